//! The hashable key type of dicts and sets, with Python's equality and hashing rules.

use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use arcstr::ArcStr;
use num_bigint::BigInt;

use super::{Mutation, Set, Value};

/// A value that can be a dict key or a set element: Python's hashable built-ins (None,
/// bool, int, float, complex, str, bytes, tuples of hashable values, frozensets) and the
/// inert symbolic nodes.
///
/// Equality follows Python: numbers compare by value across types (`1 == 1.0 == True`),
/// `nan` is not equal to itself, `str` never equals `bytes`, frozensets compare as sets.
/// Inert nodes compare structurally (Python would compare most objects by identity).
///
/// A `Key` holding a `str` hashes like the `str` itself, so `dict.get("name")` works.
#[derive(Clone, Debug)]
pub struct Key(Value);

/// The error of [`Key::new`]: Python would raise `TypeError: unhashable type`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("unhashable type: '{type_name}'")]
pub struct Unhashable {
    /// Python's name of the offending type.
    pub type_name: &'static str,
}

impl Key {
    /// Wraps a hashable value; lists, dicts, sets, bytearrays and tuples containing them are
    /// refused as Python refuses them.
    pub fn new(value: Value) -> Result<Key, Unhashable> {
        check_hashable(&value)?;
        Ok(Key(value))
    }

    /// The value.
    pub fn value(&self) -> &Value {
        &self.0
    }

    /// The value, unwrapped.
    pub fn into_value(self) -> Value {
        self.0
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key(Value::from(s))
    }
}

impl From<String> for Key {
    fn from(s: String) -> Key {
        Key(Value::from(s))
    }
}

impl From<bool> for Key {
    fn from(b: bool) -> Key {
        Key(Value::Bool(b))
    }
}

impl From<i64> for Key {
    fn from(i: i64) -> Key {
        Key(Value::Int(i))
    }
}

impl std::ops::Deref for Key {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.0
    }
}

fn check_hashable(v: &Value) -> Result<(), Unhashable> {
    let Value::Tuple(items) = v else {
        return match v {
            Value::List(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::ByteArray(_)
            | Value::Slice(_) => Err(Unhashable {
                type_name: v.type_name(),
            }),
            _ => Ok(()),
        };
    };
    // Iterative, so a deep tuple cannot exhaust the stack.
    let mut todo: Vec<&Value> = items.iter().collect();
    while let Some(v) = todo.pop() {
        match v {
            Value::List(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::ByteArray(_)
            | Value::OrderedDict(_)
            | Value::DefaultDict(_)
            | Value::Deque(_)
            | Value::Counter(_)
            | Value::NdArray(_)
            | Value::Slice(_) => {
                return Err(Unhashable {
                    type_name: v.type_name(),
                })
            }
            Value::Tuple(items) => todo.extend(items.iter()),
            _ => {}
        }
    }
    Ok(())
}

/// Whether `v` is a key unequal to itself (a NaN, or a tuple or frozenset holding one):
/// only the identity of the object makes two uses of it one key.
pub(crate) fn unequal_to_itself(v: &Value) -> bool {
    match v {
        Value::Float(f) => f.is_nan(),
        Value::Complex(c) => c.re.is_nan() || c.im.is_nan(),
        Value::Tuple(_) | Value::FrozenSet(_) => !key_eq(v, v),
        _ => false,
    }
}

/// A number reduced to the form in which equal numbers are identical.
enum Num<'a> {
    Int(i64),
    Big(std::borrow::Cow<'a, BigInt>),
    Float(f64),
    Complex(f64, f64),
}

fn float_to_int(f: f64) -> Option<Num<'static>> {
    if !f.is_finite() || f.fract() != 0.0 {
        return None;
    }
    // 2^63 is exact in f64.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&f) {
        return Some(Num::Int(f as i64));
    }
    // An integral float beyond i64: mantissa × 2^exponent exactly.
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let mant = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let mut b = BigInt::from(mant) << usize::try_from(exp).ok()?;
    if f < 0.0 {
        b = -b;
    }
    Some(Num::Big(std::borrow::Cow::Owned(b)))
}

fn num(v: &Value) -> Option<Num<'_>> {
    Some(match v {
        Value::Bool(b) => Num::Int(i64::from(*b)),
        Value::Int(i) => Num::Int(*i),
        Value::BigInt(b) => Num::Big(std::borrow::Cow::Borrowed(b)),
        Value::Float(f) => float_to_int(*f).unwrap_or(Num::Float(*f)),
        Value::Complex(c) if c.im == 0.0 => float_to_int(c.re).unwrap_or(Num::Float(c.re)),
        Value::Complex(c) => Num::Complex(c.re, c.im),
        _ => return None,
    })
}

fn num_eq(a: &Num<'_>, b: &Num<'_>) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x == y,
        (Num::Big(x), Num::Big(y)) => x == y,
        (Num::Float(x), Num::Float(y)) => x == y,
        (Num::Complex(a, b), Num::Complex(c, d)) => a == c && b == d,
        _ => false,
    }
}

fn set_eq(a: &Set, b: &Set) -> bool {
    // Set's equality ignores order, as Python's does.
    a == b
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        key_eq(&self.0, &other.0)
    }
}

pub(crate) fn key_eq(a: &Value, b: &Value) -> bool {
    // The common case first: string keys (equal when the same shared string).
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => return ArcStr::ptr_eq(x, y) || x.as_str() == y.as_str(),
        (Value::Str(_), _) | (_, Value::Str(_)) => return false,
        // Then int keys, without the general numeric comparison.
        (Value::Int(x), Value::Int(y)) => return x == y,
        _ => {}
    }
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return num_eq(&x, &y);
    }
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::SurrogateStr(x), Value::SurrogateStr(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| key_eq(p, q))
        }
        (Value::FrozenSet(x), Value::FrozenSet(y)) => set_eq(x, y),
        (Value::Global(x), Value::Global(y)) => x == y,
        (Value::Object(x), Value::Object(y)) => x == y,
        // The typed values of the presets compare structurally (Python would compare
        // e.g. `Decimal('1.0') == 1`; such cross-type keys are not merged here).
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Time(x), Value::Time(y)) => x == y,
        (Value::DateTime(x), Value::DateTime(y)) => x == y,
        (Value::TimeDelta(x), Value::TimeDelta(y)) => x == y,
        (Value::TimeZone(x), Value::TimeZone(y)) => x == y,
        (Value::Decimal(x), Value::Decimal(y)) => x == y,
        (Value::Fraction(x), Value::Fraction(y)) => x == y,
        (Value::Uuid(x), Value::Uuid(y)) => x == y,
        (Value::NumpyScalar(x), Value::NumpyScalar(y)) => x == y,
        (Value::Dtype(x), Value::Dtype(y)) => x == y,
        (Value::Ellipsis, Value::Ellipsis) | (Value::NotImplemented, Value::NotImplemented) => true,
        (Value::Range(x), Value::Range(y)) => x.same_values(y),
        _ => false,
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(&self.0, state);
    }
}

/// A fresh hash for a NaN. NaN is unequal to everything, itself included, so any hash is
/// consistent with equality; one per NaN keeps a pickle of many NaN keys from putting them
/// all in one bucket (quadratic insertion). Maps and sets store their keys' hashes, so a
/// key's hash is never recomputed.
fn nan_hash() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A hasher with per-process random keys, for the element hashes that order-independent
/// hashes (sets, dicts) add up: with fixed keys, colliding sums could be computed offline.
fn sub_hasher() -> impl Hasher {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new).build_hasher()
}

/// Order-independent: the sum of each element's own hash.
fn hash_unordered<'a, H: Hasher>(
    items: impl Iterator<Item = (&'a Value, Option<&'a Value>)>,
    state: &mut H,
) {
    let sum = items.fold(0u64, |acc, (k, v)| {
        let mut h = sub_hasher();
        hash_value(k, &mut h);
        if let Some(v) = v {
            hash_value(v, &mut h);
        }
        acc.wrapping_add(h.finish())
    });
    state.write_u64(sum);
}

/// Hashes any value consistently with both equalities in use: [`Key`]'s (Python's) and
/// `Value`'s derived one, which inert objects compare with. Every variant contributes its
/// contents, so values that differ anywhere do not systematically collide.
pub(crate) fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    if let Some(n) = num(v) {
        match n {
            Num::Float(f) if f.is_nan() => {
                state.write_u8(3);
                state.write_u64(nan_hash());
            }
            Num::Complex(re, im) if re.is_nan() || im.is_nan() => {
                state.write_u8(4);
                state.write_u64(nan_hash());
            }
            Num::Int(i) => {
                state.write_u8(1);
                state.write_i64(i);
            }
            Num::Big(b) => {
                state.write_u8(2);
                b.hash(state);
            }
            Num::Float(f) => {
                state.write_u8(3);
                state.write_u64(f.to_bits());
            }
            Num::Complex(re, im) => {
                state.write_u8(4);
                state.write_u64(re.to_bits());
                state.write_u64(im.to_bits());
            }
        }
        return;
    }
    match v {
        // Exactly `str`'s own Hash, so `str` can look keys up (see `Equivalent` below).
        Value::Str(s) => s.as_str().hash(state),
        Value::Bytes(b) => {
            state.write_u8(5);
            b.hash(state);
        }
        Value::SurrogateStr(s) => {
            state.write_u8(16);
            s.as_bytes().hash(state);
        }
        Value::Tuple(items) => {
            state.write_u8(6);
            state.write_usize(items.len());
            for i in items {
                hash_value(i, state);
            }
        }
        Value::FrozenSet(set) => {
            state.write_u8(7);
            hash_unordered(set.iter().map(|k| (k.value(), None)), state);
        }
        Value::Global(g) => {
            state.write_u8(8);
            g.hash(state);
        }
        Value::Object(o) => {
            state.write_u8(9);
            hash_value(&o.callable, state);
            state.write_usize(o.args.len());
            o.args.iter().for_each(|a| hash_value(a, state));
            state.write_usize(o.kwargs.len());
            for (k, v) in &o.kwargs {
                hash_value(k, state);
                hash_value(v, state);
            }
            state.write_usize(o.mutations.len());
            for m in &o.mutations {
                match m {
                    Mutation::SetState(x) | Mutation::Append(x) => hash_value(x, state),
                    Mutation::Extend(xs) | Mutation::Add(xs) => {
                        state.write_usize(xs.len());
                        xs.iter().for_each(|x| hash_value(x, state));
                    }
                    Mutation::SetItem(k, x) => {
                        hash_value(k, state);
                        hash_value(x, state);
                    }
                }
            }
        }
        // Not hashable as keys, but inert objects may hold them.
        Value::List(items) => {
            state.write_u8(10);
            state.write_usize(items.len());
            items.iter().for_each(|i| hash_value(i, state));
        }
        Value::ByteArray(b) => {
            state.write_u8(11);
            b.hash(state);
        }
        Value::Set(set) => {
            state.write_u8(12);
            hash_unordered(set.iter().map(|k| (k.value(), None)), state);
        }
        Value::Dict(d) => {
            state.write_u8(13);
            hash_unordered(d.iter().map(|(k, v)| (k.value(), Some(v))), state);
        }
        // As Python: what the range yields (equal ranges hash alike).
        Value::Range(r) => {
            state.write_u8(17);
            let n = r.len();
            n.hash(state);
            if n > BigInt::from(0) {
                r.start().hash(state);
            }
            if n > BigInt::from(1) {
                r.step().hash(state);
            }
        }
        _ => state.write_u8(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_numeric_equality() {
        let one = Key::new(Value::Int(1)).unwrap();
        assert_eq!(one, Key::new(Value::Bool(true)).unwrap());
        assert_eq!(one, Key::new(Value::Float(1.0)).unwrap());
        assert_eq!(one, Key::new(Value::complex(1.0, 0.0)).unwrap());
        assert_ne!(
            Key::new(Value::Float(f64::NAN)).unwrap(),
            Key::new(Value::Float(f64::NAN)).unwrap()
        );
        let big = Value::from_bigint(BigInt::from(1u8) << 70usize);
        assert_eq!(
            Key::new(big).unwrap(),
            Key::new(Value::Float(2f64.powi(70))).unwrap()
        );
    }

    #[test]
    fn unhashable() {
        assert!(Key::new(Value::list([])).is_err());
        assert!(Key::new(Value::tuple([Value::list([])])).is_err());
        assert!(Key::new(Value::tuple([Value::Int(1)])).is_ok());
    }

    #[test]
    fn str_lookup() {
        let mut d = super::super::Dict::default();
        d.insert(Key::from("a"), Value::Int(1));
        assert_eq!(d.get("a"), Some(&Value::Int(1)));
    }
}
