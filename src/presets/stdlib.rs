//! The constructors of the `stdlib` preset: `collections`, `datetime`, `decimal`,
//! `fractions` and `uuid`, each accepting exactly the call shapes CPython's pickler writes
//! for it (protocols 0–5, and Python 2.7's where they differ: `Counter` as
//! `copy_reg._reconstructor(Counter, dict, {...})` at protocols 0–1 and `Counter.__new__`
//! with SETITEMS and an empty BUILD at protocol 2, `OrderedDict` from `[[k, v], ...]`,
//! `deque` from a list, the datetime types from a Python 2 `str` loaded with `latin1` or
//! `bytes`; `tests/data/make_compat.py` writes each as Python 2.7 did). Any other
//! `_reconstructor` of a class this preset builds is refused, naming the shape.

use num_bigint::BigInt;

use crate::policy::{Allowlist, Constructor};
use crate::value::{
    CallKind, Date, DateTime, Decimal, DefaultDict, Deque, Dict, Fraction, Global, Key, Mutation,
    Object, Range, SafeUuid, Slice, ThinVec, Time, TimeDelta, TimeZone, TzInfo, Uuid, Value,
};

/// `s.encode('latin-1')`, or `None` if a character is beyond U+00FF.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Checks the number of positional arguments, failing with CPython's message for the same
/// call (`range expected at least 1 argument, got 0`).
fn arity(args: &[Value], n: std::ops::RangeInclusive<usize>, what: &str) -> Result<(), String> {
    let got = args.len();
    if n.contains(&got) {
        return Ok(());
    }
    let (bound, count) = if n.start() == n.end() {
        ("", *n.start())
    } else if got < *n.start() {
        ("at least ", *n.start())
    } else {
        ("at most ", *n.end())
    };
    let plural = if count == 1 { "" } else { "s" };
    Err(format!(
        "{what} expected {bound}{count} argument{plural}, got {got}"
    ))
}

/// A dict from `[(k, v), …]` or `[[k, v], …]` pairs (Python 2's OrderedDict).
fn dict_from_pairs(items: ThinVec<Value>) -> Result<Dict, String> {
    let mut d = Dict::with_capacity(items.len());
    for item in items {
        let pair = match item {
            Value::List(p) | Value::Tuple(p) => p,
            other => {
                return Err(format!(
                    "cannot convert dictionary update sequence element of type '{}'",
                    other.type_name()
                ))
            }
        };
        if pair.len() != 2 {
            return Err("dictionary update sequence element has wrong length".to_owned());
        }
        let mut pair = pair.into_iter();
        let (Some(k), Some(v)) = (pair.next(), pair.next()) else {
            return Err("dictionary update sequence element has wrong length".to_owned());
        };
        d.insert(Key::new(k).map_err(|e| e.to_string())?, v);
    }
    Ok(d)
}

pub(super) fn ordered_dict(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 0..=1, "OrderedDict")?;
    let d = match args.into_iter().next() {
        None => Dict::default(),
        Some(Value::List(items)) => dict_from_pairs(items)?,
        Some(other) => {
            return Err(format!(
                "expected a list of pairs, got '{}'",
                other.type_name()
            ))
        }
    };
    Ok(Value::OrderedDict(Box::new(d)))
}

fn defaultdict(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 0..=1, "defaultdict")?;
    let factory = match args.into_iter().next() {
        None | Some(Value::None) => None,
        Some(Value::Global(g)) => Some(*g),
        Some(_) => return Err("first argument must be callable or None".to_owned()),
    };
    Ok(Value::DefaultDict(Box::new(DefaultDict::new(factory))))
}

fn deque(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 0..=2, "deque")?;
    let mut it = args.into_iter();
    // Python 3 writes `((), maxlen)` (or `()`) and APPENDS the items; Python 2 passed
    // the items as a list.
    let items = match it.next() {
        None => ThinVec::new(),
        Some(Value::Tuple(t)) | Some(Value::List(t)) => t,
        Some(other) => return Err(format!("'{}' object is not iterable", other.type_name())),
    };
    let maxlen = match it.next() {
        None | Some(Value::None) => None,
        Some(Value::Int(n)) if n >= 0 => Some(usize::try_from(n).map_err(|e| e.to_string())?),
        Some(Value::Int(_)) => return Err("maxlen must be non-negative".to_owned()),
        Some(_) => return Err("an integer is required".to_owned()),
    };
    let mut d = Deque::new(maxlen);
    d.items = items;
    Ok(Value::Deque(Box::new(d)))
}

pub(super) fn counter(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 0..=1, "Counter")?;
    let d = match args.into_iter().next() {
        None => Dict::default(),
        Some(Value::Dict(d)) => *d,
        Some(other) => {
            return Err(format!(
                "expected a dict of counts, got '{}'",
                other.type_name()
            ))
        }
    };
    Ok(Value::Counter(Box::new(d)))
}

/// The packed state of a date/time/datetime: bytes, or (Python 2 pickles loaded with
/// `encoding='latin1'`) a str encoded back to latin-1, as CPython does. `None` when the
/// argument is not a state of length `len` whose byte `check` passes `sane`, in which case
/// CPython would parse the arguments as numbers and fail.
fn packed_state(
    v: &Value,
    len: usize,
    check: usize,
    sane: fn(u8) -> bool,
    type_name: &str,
) -> Result<Option<Vec<u8>>, String> {
    let bytes = match v {
        Value::Bytes(b) => b.to_vec(),
        Value::Str(s) if s.chars().count() == len => match latin1(s) {
            Some(b) => b,
            None => {
                // CPython checks the one byte first, then fails to encode.
                let c = s.chars().nth(check).map_or(0, u32::from);
                if c <= 0xFF && sane(c as u8) {
                    return Err(format!(
                        "Failed to encode latin1 string when unpickling a {type_name} object. pickle.load(data, encoding='latin1') is assumed."
                    ));
                }
                return Ok(None);
            }
        },
        _ => return Ok(None),
    };
    if bytes.len() == len && bytes.get(check).is_some_and(|&b| sane(b)) {
        Ok(Some(bytes))
    } else {
        Ok(None)
    }
}

fn not_state(type_name: &str) -> String {
    format!("{type_name}: expected the packed state that pickle writes")
}

fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn date(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=1, "date")?;
    let state = args
        .first()
        .map(|s| packed_state(s, 4, 2, |m| (1..=12).contains(&m), "date"))
        .transpose()?
        .flatten()
        .ok_or_else(|| not_state("date"))?;
    let year = u16::from_be_bytes([byte(&state, 0), byte(&state, 1)]);
    Ok(Value::Date(Date::new(
        year,
        byte(&state, 2),
        byte(&state, 3),
    )?))
}

fn tzinfo(v: Option<Value>) -> Result<Option<TzInfo>, String> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(Value::TimeZone(tz)) => Ok(Some(TzInfo::TimeZone(*tz))),
        Some(v @ (Value::Object(_) | Value::Global(_))) => Ok(Some(TzInfo::Other(v))),
        Some(_) => Err("bad tzinfo state arg".to_owned()),
    }
}

fn micro(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([0, byte(b, at), byte(b, at + 1), byte(b, at + 2)])
}

fn time(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=2, "time")?;
    let mut it = args.into_iter();
    let state = it
        .next()
        .map(|s| packed_state(&s, 6, 0, |h| (h & 0x7f) < 24, "time"))
        .transpose()?
        .flatten()
        .ok_or_else(|| not_state("time"))?;
    let tz = tzinfo(it.next())?;
    let h = byte(&state, 0);
    let t = Time::new(
        h & 0x7f,
        byte(&state, 1),
        byte(&state, 2),
        micro(&state, 3),
        h & 0x80 != 0,
        tz,
    )?;
    Ok(Value::Time(Box::new(t)))
}

fn datetime(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=2, "datetime")?;
    let mut it = args.into_iter();
    let state = it
        .next()
        .map(|s| packed_state(&s, 10, 2, |m| (1..=12).contains(&(m & 0x7f)), "datetime"))
        .transpose()?
        .flatten()
        .ok_or_else(|| not_state("datetime"))?;
    let tz = tzinfo(it.next())?;
    let year = u16::from_be_bytes([byte(&state, 0), byte(&state, 1)]);
    let m = byte(&state, 2);
    let d = Date::new(year, m & 0x7f, byte(&state, 3))?;
    let t = Time::new(
        byte(&state, 4),
        byte(&state, 5),
        byte(&state, 6),
        micro(&state, 7),
        m & 0x80 != 0,
        tz,
    )?;
    Ok(Value::DateTime(Box::new(DateTime::new(d, t))))
}

fn int_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::BigInt(_) => Err("Python int too large to convert to C int".to_owned()),
        other => Err(format!(
            "unsupported type for timedelta component: {}",
            other.type_name()
        )),
    }
}

fn timedelta(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 3..=3, "timedelta")?;
    let [d, s, us] = <[Value; 3]>::try_from(args).map_err(|_| "bad arguments".to_owned())?;
    Ok(Value::TimeDelta(TimeDelta::new(
        int_arg(&d)?,
        int_arg(&s)?,
        int_arg(&us)?,
    )?))
}

fn timezone(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=2, "timezone")?;
    let mut it = args.into_iter();
    let offset = match it.next() {
        Some(Value::TimeDelta(t)) => t,
        Some(other) => {
            return Err(format!(
                "timezone() argument 1 must be datetime.timedelta, not {}",
                other.type_name()
            ))
        }
        None => return Err("timezone() missing required argument 'offset'".to_owned()),
    };
    let name = match it.next() {
        None => None,
        Some(Value::Str(s)) => Some(s.to_string()),
        Some(other) => {
            return Err(format!(
                "timezone() argument 2 must be str, not {}",
                other.type_name()
            ))
        }
    };
    Ok(Value::TimeZone(Box::new(TimeZone::new(offset, name)?)))
}

fn decimal(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=1, "Decimal")?;
    match args.first() {
        Some(Value::Str(s)) => Ok(Value::Decimal(Box::new(Decimal::parse(s)?))),
        Some(other) => Err(format!(
            "conversion from {} to Decimal is not supported",
            other.type_name()
        )),
        None => Err("Decimal expected a str".to_owned()),
    }
}

/// CPython's default limit on the digits of an int parsed from text.
const MAX_INT_DIGITS: usize = 4300;

fn big(v: &Value) -> Option<BigInt> {
    v.to_bigint()
}

fn parse_int(s: &str) -> Result<BigInt, String> {
    let digits: String = s.chars().filter(|&c| c != '_').collect();
    let unsigned = digits.strip_prefix(['-', '+']).unwrap_or(&digits);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Invalid literal for Fraction: {s:?}"));
    }
    if unsigned.len() > MAX_INT_DIGITS {
        return Err(format!(
            "Exceeds the limit ({MAX_INT_DIGITS} digits) for integer string conversion"
        ));
    }
    digits
        .parse()
        .map_err(|_| format!("Invalid literal for Fraction: {s:?}"))
}

fn fraction(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=2, "Fraction")?;
    let (n, d) = match args.as_slice() {
        // Python 3.11+: (numerator, denominator).
        [n, d] => (
            big(n).ok_or("both arguments should be Rational instances")?,
            big(d).ok_or("both arguments should be Rational instances")?,
        ),
        // Older Pythons: (str(self),), i.e. 'n/d' or 'n'.
        [Value::Str(s)] => {
            let t = s.trim();
            match t.split_once('/') {
                Some((n, d)) => (parse_int(n.trim())?, parse_int(d.trim())?),
                None => (parse_int(t)?, BigInt::from(1)),
            }
        }
        _ => return Err("argument should be a string or a Rational instance".to_owned()),
    };
    Ok(Value::Fraction(Box::new(Fraction::new(n, d)?)))
}

/// `uuid.UUID.__setstate__(state)` on the object `__new__` or `_reconstructor` made.
fn uuid_from_state(state: Value) -> Result<Value, String> {
    let Value::Dict(d) = state else {
        return Err("UUID state must be a dict".to_owned());
    };
    let mut int = None;
    let mut is_safe = SafeUuid::Unknown;
    for (k, v) in d.iter() {
        match k.value().as_str() {
            Some("int") => {
                let b = big(v).ok_or("UUID int must be an int")?;
                int = Some(
                    u128::try_from(&b).map_err(|_| "int is out of range (need a 128-bit value)")?,
                );
            }
            Some("is_safe") => {
                is_safe = match v {
                    Value::Int(0) => SafeUuid::Safe,
                    Value::Int(-1) => SafeUuid::Unsafe,
                    Value::None => SafeUuid::Unknown,
                    _ => return Err(format!("{v} is not a valid SafeUUID")),
                }
            }
            _ => return Err(format!("UUID state has an unexpected key {}", k.value())),
        }
    }
    let int = int.ok_or("UUID state has no 'int'")?;
    Ok(Value::Uuid(Box::new(Uuid::new(int, is_safe))))
}

fn is_global(v: &Value, module: &str, name: &str) -> bool {
    matches!(v, Value::Global(g) if g.module == module && g.name == name)
}

/// `uuid.UUID`: `UUID.__new__(UUID)` (NEWOBJ, protocols 2+) then BUILD with the state.
struct UuidCtor;

impl Constructor for UuidCtor {
    fn new_object(
        &self,
        global: &Global,
        args: Vec<Value>,
        kwargs: Vec<(Value, Value)>,
    ) -> Result<Value, String> {
        if !args.is_empty() || !kwargs.is_empty() {
            return Err("UUID.__new__ takes no arguments in a pickle".to_owned());
        }
        // An uninitialized UUID until BUILD gives it its state: kept as the inert call.
        Ok(Value::Object(Box::new(Object {
            callable: Value::Global(Box::new(global.clone())),
            kind: CallKind::New,
            args: Vec::new(),
            kwargs: Vec::new(),
            mutations: Vec::new(),
        })))
    }

    fn build(&self, _global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        match obj {
            Value::Object(o) if o.mutations.is_empty() => uuid_from_state(state),
            _ => Err("UUID state was already set".to_owned()),
        }
    }
}

/// `copyreg._reconstructor(cls, object, None)`: how protocols 0 and 1 pickle objects
/// without `__reduce__` of their own (e.g. `uuid.UUID`). For `uuid.UUID` the BUILD that
/// follows makes a [`Uuid`]; for any other class (which the policy must have let through)
/// the call and its state stay inert.
struct Reconstructor;

impl Constructor for Reconstructor {
    fn call(&self, global: &Global, args: Vec<Value>) -> Result<Value, String> {
        arity(&args, 3..=3, "_reconstructor")?;
        let (cls, base) = match args.as_slice() {
            [Value::Global(cls), Value::Global(base), _] if base.module == "builtins" => {
                (cls, base)
            }
            _ => return Err("expected (cls, builtins type, state)".to_owned()),
        };
        // The classes this preset builds have their own shapes (UUID's is the one below).
        let known = matches!(
            cls.module.as_str(),
            "collections" | "datetime" | "decimal" | "fractions"
        );
        match (base.name.as_str(), &args[2]) {
            // Python 2.7 versions whose Counter had no `__reduce__` (protocols 0-1):
            // `dict.__new__(Counter, state)`, then `dict.__init__(obj, state)`.
            ("dict", Value::Dict(_)) if is_global(&args[0], "collections", "Counter") => {
                let state = args.into_iter().nth(2);
                return counter(state.into_iter().collect());
            }
            ("object", Value::None) if !known => {}
            // Another class the policy let through: the call is kept inert, as for
            // `object` (its base's `__new__` and `__init__` would run on the state).
            _ if !known && !is_global(&args[0], "uuid", "UUID") => {}
            _ => {
                return Err(format!(
                    "_reconstructor({cls}, {base}, ...) is not a shape pickle writes for {cls}"
                ))
            }
        }
        Ok(Value::Object(Box::new(Object {
            callable: Value::Global(Box::new(global.clone())),
            kind: CallKind::Call,
            args,
            kwargs: Vec::new(),
            mutations: Vec::new(),
        })))
    }

    fn build(&self, _global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        let Value::Object(mut o) = obj else {
            return Err("object state was already set".to_owned());
        };
        let is_uuid = o.args.first().is_some_and(|c| is_global(c, "uuid", "UUID"));
        if is_uuid && o.mutations.is_empty() {
            return uuid_from_state(state);
        }
        o.mutations.push(Mutation::SetState(state));
        Ok(Value::Object(o))
    }
}

/// `collections.Counter`: `Counter(dict)` (REDUCE: Python 3, and Python 2.7's
/// `Counter.__reduce__`) and, as Python 2.7 versions without that method wrote it at
/// protocol 2, `Counter.__new__(Counter)` followed by SETITEMS and a BUILD of the empty
/// instance `__dict__`.
struct CounterCtor;

impl Constructor for CounterCtor {
    fn call(&self, _global: &Global, args: Vec<Value>) -> Result<Value, String> {
        counter(args)
    }

    fn new_object(
        &self,
        _global: &Global,
        args: Vec<Value>,
        kwargs: Vec<(Value, Value)>,
    ) -> Result<Value, String> {
        if !args.is_empty() || !kwargs.is_empty() {
            return Err("Counter.__new__ takes no arguments in a pickle".to_owned());
        }
        counter(Vec::new())
    }

    fn build(&self, _global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        // CPython updates the instance `__dict__`: nothing to do for an empty one; any
        // attribute would be lost here, so it is refused.
        match state {
            Value::Dict(d) if d.is_empty() => Ok(obj),
            other => Err(format!(
                "Counter instance attributes are not kept: state {:.80}",
                other.to_string()
            )),
        }
    }
}

/// An `int` argument of `range()`: an `int` or a `bool` (Python accepts what has
/// `__index__`; of the loaded types, those).
fn index_arg(v: Value) -> Result<BigInt, String> {
    match v {
        Value::Int(i) => Ok(BigInt::from(i)),
        Value::Bool(b) => Ok(BigInt::from(u8::from(b))),
        Value::BigInt(b) => Ok(*b),
        other => Err(format!(
            "'{}' object cannot be interpreted as an integer",
            other.type_name()
        )),
    }
}

/// `builtins.range(start, stop, step)` (REDUCE: how every protocol pickles a range, as
/// `__builtin__.xrange` below protocol 3), or `range(stop)`, `range(start, stop)`.
fn range(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=3, "range")?;
    let one = args.len() == 1;
    let mut it = args.into_iter().map(index_arg);
    let first = it.next().transpose()?.unwrap_or_default();
    let (start, stop) = if one {
        (BigInt::from(0), first)
    } else {
        (first, it.next().transpose()?.unwrap_or_default())
    };
    let step = it.next().transpose()?.unwrap_or_else(|| BigInt::from(1));
    Ok(Value::Range(Box::new(Range::new(start, stop, step)?)))
}

/// `builtins.slice(start, stop, step)`, or `slice(stop)`, `slice(start, stop)`: any values.
fn slice(args: Vec<Value>) -> Result<Value, String> {
    arity(&args, 1..=3, "slice")?;
    let one = args.len() == 1;
    let mut it = args.into_iter();
    let first = it.next().unwrap_or(Value::None);
    let (start, stop) = if one {
        (Value::None, first)
    } else {
        (first, it.next().unwrap_or(Value::None))
    };
    let step = it.next().unwrap_or(Value::None);
    Ok(Value::Slice(Box::new(Slice { start, stop, step })))
}

/// A global that is an object, not a class: `builtins.Ellipsis` and
/// `builtins.NotImplemented`, pickled by name (GLOBAL / STACK_GLOBAL) at every protocol.
struct Constant(fn() -> Value);

impl Constructor for Constant {
    fn constant(&self, _global: &Global) -> Option<Value> {
        Some((self.0)())
    }
}

/// A class that may be named (as a defaultdict factory, a `_reconstructor` base) but not
/// called: the default [`Constructor`] methods refuse every call.
pub(super) struct NameOnly;

impl Constructor for NameOnly {}

pub(super) fn allowlist() -> Allowlist {
    let mut list = super::builtins::allowlist()
        .call("collections", "OrderedDict", ordered_dict)
        .call("collections", "defaultdict", defaultdict)
        .call("collections", "deque", deque)
        .construct("collections", "Counter", CounterCtor)
        .call("datetime", "date", date)
        .call("datetime", "time", time)
        .call("datetime", "datetime", datetime)
        .call("datetime", "timedelta", timedelta)
        .call("datetime", "timezone", timezone)
        .call("decimal", "Decimal", decimal)
        .call("fractions", "Fraction", fraction)
        .construct("uuid", "UUID", UuidCtor)
        .construct("copyreg", "_reconstructor", Reconstructor)
        .call("builtins", "range", range)
        .call("builtins", "slice", slice)
        .construct("builtins", "Ellipsis", Constant(|| Value::Ellipsis))
        .construct(
            "builtins",
            "NotImplemented",
            Constant(|| Value::NotImplemented),
        );
    for name in ["object", "list", "dict", "int", "str"] {
        list = list.construct("builtins", name, NameOnly);
    }
    list
}
