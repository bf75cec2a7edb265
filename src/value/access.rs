//! Reading values as `serde_json` users expect: typed accessors (`as_bool`, `as_f64`,
//! `as_dict`, `as_set` …), `v["key"][0]` indexing, [`Value::get`] and a path lookup,
//! [`Value::pointer`]. The rules are on [`ValueIndex`].

use std::ops;

use num_bigint::BigInt;

use super::{Dict, Set, Value};

/// The `Value::None` every absent index returns (see [`Value`]'s `Index`).
static NONE: Value = Value::None;

impl Value {
    /// The bool, if this is a `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// The integer as a `u64`, if this is a non-negative `int` that fits one (or a `bool`).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Bool(b) => Some(u64::from(*b)),
            Value::BigInt(b) => u64::try_from(&**b).ok(),
            _ => None,
        }
    }

    /// The number as an `f64`, if this is a `float`, an `int` or a `bool`, converted as
    /// Python's `float(x)` converts: an `int` is rounded to the nearest `f64` (ties to
    /// even), so it is exact only when its magnitude is at most 2^53 or it has few
    /// enough significant bits; an `int` whose magnitude rounds past `f64::MAX` (where
    /// CPython raises `OverflowError`) gives `None`. To accept floats only, match
    /// [`Value::Float`].
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            // `as` rounds to nearest, ties to even, as CPython's `float(int)`.
            Value::Int(i) => Some(*i as f64),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::BigInt(b) => big_to_f64(b),
            _ => None,
        }
    }

    /// The mapping, if this is a `dict` or one of the dict types the presets build
    /// (`OrderedDict`, `Counter`, `defaultdict`: its items, without the factory).
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Value::Dict(d) | Value::OrderedDict(d) | Value::Counter(d) => Some(d),
            Value::DefaultDict(d) => Some(&d.dict),
            _ => None,
        }
    }

    /// The elements, if this is a `set` or a `frozenset`.
    pub fn as_set(&self) -> Option<&Set> {
        match self {
            Value::Set(s) | Value::FrozenSet(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of a sequence Python can index by position: a `list`, a `tuple` or a
    /// `deque` (as a slice).
    fn positional(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Tuple(v) => Some(v),
            Value::Deque(d) => Some(&d.items),
            _ => None,
        }
    }

    /// What `self[index]` holds, or `None` when there is nothing there (a missing key, a
    /// position out of range, or a value that is not a container). [`ValueIndex`] lists
    /// what may index and the rules.
    ///
    /// ```
    /// // pickle.dumps({'lr': [0.1, 0.01], 3: 'three'}, protocol=2)
    /// let v = unpickle::from_slice(
    ///     b"\x80\x02}q\x00(X\x02\x00\x00\x00lrq\x01]q\x02(G?\xb9\x99\x99\x99\x99\x99\x9a\
    ///       G?\x84z\xe1G\xae\x14{eK\x03X\x05\x00\x00\x00threeq\x03u.",
    /// )
    /// .unwrap();
    /// assert_eq!(v.get("lr").and_then(|l| l.get(1)).and_then(|x| x.as_f64()), Some(0.01));
    /// assert_eq!(v.get(3).and_then(|x| x.as_str()), Some("three"));
    /// assert_eq!(v.get("missing"), None);
    /// assert_eq!(v["lr"][-1], unpickle::Value::from(0.01));
    /// assert!(v["missing"][0].is_none());
    /// ```
    pub fn get<I: ValueIndex>(&self, index: I) -> Option<&Value> {
        index.index_into(self)
    }

    /// The value at `path`, a JSON-pointer-like string (RFC 6901): `""` is the value
    /// itself, `"/config/lr/0"` is `self["config"]["lr"][0]`, with `~1` for a `/` and `~0`
    /// for a `~` inside a segment.
    ///
    /// On a sequence (`list`, `tuple`, `deque`) a segment is a position in decimal (no
    /// sign, no leading zero, as in RFC 6901). On a mapping a segment is first looked up as
    /// a `str` key; if there is none and the segment is an integer in Python's decimal
    /// form (`0`, `-3`, no leading zeros, any size), it is then looked up as an `int` key, so
    /// `{'layers': {0: 'a'}}` answers `"/layers/0"`. For any other key type (a tuple, a
    /// bytes key) use [`Value::get`] with a [`Value`] index.
    pub fn pointer(&self, path: &str) -> Option<&Value> {
        if path.is_empty() {
            return Some(self);
        }
        let rest = path.strip_prefix('/')?;
        let mut at = self;
        for raw in rest.split('/') {
            let seg = unescape(raw);
            at = if let Some(items) = at.positional() {
                items.get(position(&seg)?)?
            } else {
                let d = at.as_dict()?;
                match d.get(seg.as_ref()) {
                    Some(v) => v,
                    None => d.get(&int_key(&seg)?)?,
                }
            };
        }
        Some(at)
    }
}

/// A pointer segment with `~1` and `~0` decoded (in that order, as RFC 6901 says).
fn unescape(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('~') {
        raw.replace("~1", "/").replace("~0", "~").into()
    } else {
        raw.into()
    }
}

/// An RFC 6901 array index: decimal digits, no leading zero unless it is `0`.
fn position(seg: &str) -> Option<usize> {
    position_text(seg).then(|| seg.parse().ok())?
}

/// Whether `seg` is decimal digits with no leading zero (or exactly `0`).
fn position_text(seg: &str) -> bool {
    !seg.is_empty()
        && seg.bytes().all(|b| b.is_ascii_digit())
        && (seg == "0" || !seg.starts_with('0'))
}

/// A segment read as an `int` key: Python's `repr` of an `int` (an optional `-`, then
/// digits without leading zeros), so a key and its text match one to one.
fn int_key(seg: &str) -> Option<Value> {
    let digits = seg.strip_prefix('-').unwrap_or(seg);
    if digits == "0" && seg.starts_with('-') {
        return None;
    }
    position_text(digits).then_some(())?;
    match seg.parse::<i64>() {
        Ok(i) => Some(Value::Int(i)),
        Err(_) => seg.parse::<BigInt>().ok().map(Value::from_bigint),
    }
}

/// `float(b)` as CPython computes it: correctly rounded (to nearest, ties to even), `None`
/// when it rounds past `f64::MAX` (CPython's `OverflowError`).
fn big_to_f64(b: &BigInt) -> Option<f64> {
    let mag = b.magnitude();
    let bits = mag.bits();
    let f = if bits <= 64 {
        // One digit at most: `as` rounds to nearest, ties to even.
        mag.to_u64_digits().first().copied().unwrap_or(0) as f64
    } else {
        // The top 64 bits, with the lowest one set when any bit below them is
        // ("round to odd"): rounding that to 53 bits gives the correctly rounded result.
        let shift = bits - 64;
        let top = (mag >> shift).to_u64_digits().first().copied().unwrap_or(0);
        let sticky = mag.trailing_zeros().is_some_and(|z| z < shift);
        let top = (top | u64::from(sticky)) as f64;
        if shift > 1023 {
            return None;
        }
        // 2^shift exactly; the product only rounds when it overflows to infinity.
        top * f64::from_bits((1023 + shift) << 52)
    };
    let f = if b.sign() == num_bigint::Sign::Minus {
        -f
    } else {
        f
    };
    f.is_finite().then_some(f)
}

/// What can index a [`Value`]: a `str` (a dict key), a `usize` or an `i64` (a position
/// in a sequence, from the end when negative; an `int` key in a dict), a `bool` (as the
/// `int` it equals), or a [`Value`] (any key, by Python's equality). Sealed.
///
/// The accessors' rules, in one place:
///
/// - **Python's equality decides.** `True == 1` in Python, so [`Value::as_i64`] and
///   [`Value::as_f64`] accept a `bool`, and a dict key `1` is found by the index `1`
///   and by the index `true` alike.
/// - **Dict-like means every mapping the loader builds**: `dict`, `OrderedDict`,
///   `Counter` and `defaultdict` (the same set SETITEMS writes into). **Sequence-like**
///   means `list`, `tuple` and `deque` for indexing and paths.
/// - **Indexing as in Python, absence as in `serde_json`.** `v[k]` looks up `k` as
///   Python's `v[k]` would (a `usize` or `i64` on a sequence is a position, counted from
///   the end when negative; on a dict it is an `int` key; a `&str` is a `str` key) and
///   returns a shared `Value::None` when there is nothing there, so `v["a"][0]["b"]`
///   never panics. Use [`Value::get`] to tell a missing entry from a stored `None`.
/// - **Floats from ints round as Python's `float(x)` does**: to the nearest `f64`, ties
///   to even, so the conversion is exact only up to 2^53; an `int` too large for a
///   float (CPython's `OverflowError`) is `None`.
pub trait ValueIndex: private::Sealed {
    /// What `v[self]` holds, if anything.
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value>;
}

mod private {
    /// Keeps [`super::ValueIndex`] closed to the types listed there.
    pub trait Sealed {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl Sealed for usize {}
    impl Sealed for i64 {}
    impl Sealed for i32 {}
    impl Sealed for bool {}
    impl Sealed for super::Value {}
    impl<T: Sealed + ?Sized> Sealed for &T {}
}

impl ValueIndex for str {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_dict()?.get(self)
    }
}

impl ValueIndex for String {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        self.as_str().index_into(v)
    }
}

impl ValueIndex for i64 {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        if let Some(items) = v.positional() {
            let i = if *self < 0 {
                items
                    .len()
                    .checked_sub(usize::try_from(self.unsigned_abs()).ok()?)?
            } else {
                usize::try_from(*self).ok()?
            };
            return items.get(i);
        }
        v.as_dict()?.get(&Value::Int(*self))
    }
}

impl ValueIndex for i32 {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        i64::from(*self).index_into(v)
    }
}

impl ValueIndex for usize {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        if let Some(items) = v.positional() {
            return items.get(*self);
        }
        let key = match i64::try_from(*self) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(Box::new(BigInt::from(*self))),
        };
        v.as_dict()?.get(&key)
    }
}

impl ValueIndex for bool {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        i64::from(*self).index_into(v)
    }
}

impl ValueIndex for Value {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        match self {
            Value::Int(i) => i.index_into(v),
            Value::Bool(b) => b.index_into(v),
            _ => match v.as_dict() {
                Some(d) => d.get(self),
                // A sequence position is an int; a big one is out of range.
                None => None,
            },
        }
    }
}

impl<T: ValueIndex + ?Sized> ValueIndex for &T {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        (**self).index_into(v)
    }
}

impl<I: ValueIndex> ops::Index<I> for Value {
    type Output = Value;

    /// `v[index]` as [`Value::get`], with a shared `Value::None` for "nothing there", as
    /// `serde_json::Value` does: never panics.
    fn index(&self, index: I) -> &Value {
        index.index_into(self).unwrap_or(&NONE)
    }
}
