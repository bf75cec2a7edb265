//! The loaded value: a plain tree of Python data, printed as Python's `repr()`.
//!
//! # Layout
//!
//! A [`Value`] is 16 bytes (and so is `Option<Value>`): a tag and one 8-byte payload.
//!
//! | variants | payload (8 bytes) |
//! |---|---|
//! | `None`, `Bool`, `Int(i64)`, `Float(f64)`, `Date`, `TimeDelta` | inline |
//! | `Str` | [`ArcStr`]: one shared allocation holding count, length and text; a clone (a memo read) is a count increment |
//! | `List`, `Tuple` | [`ThinVec<Value>`]: length and capacity live in the allocation |
//! | `Bytes`, `ByteArray` | `Box<Vec<u8>>`: an owned buffer moves in without a copy, and a copy is one `memcpy` (a `ThinVec<u8>` is filled byte by byte: 4× slower for 64 KiB blobs) |
//! | everything wider: `BigInt`, `Complex`, dicts, sets, globals, inert objects, the typed standard-library and numpy values | one `Box` |
//!
//! Strings deref to `&str`, lists and tuples to `&[Value]`, bytes to `&[u8]`, so a
//! `match` reads as it would over std types:
//!
//! ```
//! use unpickle::Value;
//! let v = Value::list([Value::from("a"), Value::from(1), Value::from(2.5)]);
//! match &v {
//!     Value::List(items) => match &items[..] {
//!         [Value::Str(s), Value::Int(i), _] => assert_eq!((s.as_str(), *i), ("a", 1)),
//!         _ => unreachable!(),
//!     },
//!     _ => unreachable!(),
//! }
//! assert_eq!(v.to_string(), "['a', 1, 2.5]");
//! ```
//!
//! Dicts and sets ([`Dict`], [`Set`]) are insertion-ordered vectors that build a hash
//! index only when large (see [`dict`]).

mod access;
pub mod dict;
mod display;
mod key;
pub mod ndarray;
mod printable;
pub(crate) mod repr;
pub mod stdlib_types;
mod surrogate;

use num_bigint::BigInt;

pub use arcstr::ArcStr;
pub use thin_vec::ThinVec;

pub use self::access::ValueIndex;
pub use self::dict::{Dict, Lookup, Set};
pub(crate) use self::key::unequal_to_itself;
pub use self::key::{Key, Unhashable};
pub use self::ndarray::{ArrayData, ByteOrder, Dtype, DtypeKind, Field, NdArray};
pub use self::stdlib_types::{
    Date, DateTime, Decimal, DecimalKind, DefaultDict, Deque, Fraction, SafeUuid, Time, TimeDelta,
    TimeZone, TzInfo, Uuid,
};
pub use self::surrogate::{CodePoint, SurrogateStr};

/// A Python value loaded from a pickle.
///
/// Built-in data maps to distinct variants; [`Value::Global`] and [`Value::Object`] are the
/// inert symbolic nodes a policy may keep instead of running code. `Display` prints what
/// Python's `repr()` prints for the equivalent object. The layout (16 bytes) is described
/// in the [module documentation](self).
///
/// Integers are [`Value::Int`] whenever they fit an `i64` and [`Value::BigInt`] only when
/// they do not, so each integer has exactly one representation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `None`
    None,
    /// `bool`
    Bool(bool),
    /// `int` that fits an `i64`.
    Int(i64),
    /// `int` that does not fit an `i64`.
    BigInt(Box<BigInt>),
    /// `float`
    Float(f64),
    /// `complex`: real and imaginary parts (build one with [`Value::complex`]).
    Complex(Box<Complex>),
    /// `str`. Shared, as in Python: a string the pickle memoized and reads back many times
    /// (dict keys in a list of records) is one allocation, not one copy per use. Build one
    /// with `Value::from("text")`.
    Str(ArcStr),
    /// `bytes` (build with [`Value::bytes`]).
    Bytes(Box<Vec<u8>>),
    /// `bytearray`
    ByteArray(Box<Vec<u8>>),
    /// `tuple` (build with [`Value::tuple`]).
    Tuple(ThinVec<Value>),
    /// `list` (build with [`Value::list`]).
    List(ThinVec<Value>),
    /// `dict`
    Dict(Box<Dict>),
    /// `set`
    Set(Box<Set>),
    /// `frozenset`
    FrozenSet(Box<Set>),
    /// A global (class or function) the policy kept as a name, not called: prints as the
    /// dotted name, e.g. `os.system`.
    Global(Box<Global>),
    /// A call, object creation or state change the policy kept inert; see [`Object`].
    Object(Box<Object>),
    /// `collections.OrderedDict`: prints `OrderedDict([('a', 1)])`.
    OrderedDict(Box<Dict>),
    /// `collections.defaultdict`: prints `defaultdict(<class 'list'>, {'a': [1]})`.
    DefaultDict(Box<DefaultDict>),
    /// `collections.deque`: prints `deque([1, 2], maxlen=3)`.
    Deque(Box<Deque>),
    /// `collections.Counter`: prints `Counter({'a': 2, 'b': 1})` (most common first).
    Counter(Box<Dict>),
    /// `datetime.date`: prints `datetime.date(2024, 1, 2)`.
    Date(Date),
    /// `datetime.time`: prints `datetime.time(3, 4, 5, 6)`.
    Time(Box<Time>),
    /// `datetime.datetime`: prints `datetime.datetime(2024, 1, 2, 3, 4)`.
    DateTime(Box<DateTime>),
    /// `datetime.timedelta`: prints `datetime.timedelta(days=1)`.
    TimeDelta(TimeDelta),
    /// `datetime.timezone`: prints `datetime.timezone.utc`.
    TimeZone(Box<TimeZone>),
    /// `decimal.Decimal`: prints `Decimal('1.10')`.
    Decimal(Box<Decimal>),
    /// `fractions.Fraction`: prints `Fraction(3, 4)`.
    Fraction(Box<Fraction>),
    /// `uuid.UUID`: prints `UUID('12345678-1234-5678-1234-567812345678')`.
    Uuid(Box<Uuid>),
    /// A numpy `ndarray`: prints `array([1.5, 2.0], dtype='<f8')` (see [`ndarray`]).
    NdArray(Box<NdArray>),
    /// A numpy scalar, held as a 0-d array: prints `np.float64(1.5)`.
    NumpyScalar(Box<NdArray>),
    /// A numpy `dtype`: prints `dtype('<f8')`.
    Dtype(Box<Dtype>),
    /// A PyTorch tensor, parameter or storage (the `torch` preset): prints as torch's
    /// repr, `tensor([1., 2.])` (see [`crate::torch`]).
    Tensor(Box<crate::torch::Tensor>),
    /// A `str` holding lone surrogates (`'\udcff'`), which [`Value::Str`] cannot: prints as
    /// Python's `repr()`. A string without one is always [`Value::Str`].
    SurrogateStr(Box<SurrogateStr>),
}

/// A Python `complex`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Complex {
    /// The real part.
    pub re: f64,
    /// The imaginary part.
    pub im: f64,
}

/// A global named by a pickle: `module` and `name` as Python's `find_class` would receive
/// them (after the Python‑2 name mapping).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    /// The module, e.g. `"os"`.
    pub module: String,
    /// The (possibly dotted) qualified name inside the module, e.g. `"system"`.
    pub name: String,
}

impl Global {
    /// A global from its module and name.
    pub fn new(module: impl Into<String>, name: impl Into<String>) -> Global {
        Global {
            module: module.into(),
            name: name.into(),
        }
    }

    /// `module.name`
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// How an inert [`Object`] came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallKind {
    /// `callable(*args)`: REDUCE, INST, OBJ. Printed `callable(arg, …)`.
    Call,
    /// `cls.__new__(cls, *args, **kwargs)`: NEWOBJ, NEWOBJ_EX. Printed
    /// `cls.__new__(cls, arg, …, key=value, …)`.
    New,
    /// Not called: the mutations apply to the global itself (BUILD on a bare global).
    /// Printed as the dotted name followed by the mutations.
    Bare,
}

/// What the pickle did to an inert object after creating it, in stream order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Mutation {
    /// BUILD: printed `.__setstate__(state)`.
    SetState(Value),
    /// APPEND: printed `.append(item)`.
    Append(Value),
    /// APPENDS: printed `.extend([items])`.
    Extend(Vec<Value>),
    /// SETITEM / one pair of SETITEMS: printed `.__setitem__(key, value)`.
    SetItem(Value, Value),
    /// ADDITEMS: printed `.add(item)` for each item.
    Add(Vec<Value>),
}

/// An inert symbolic node: what the pickle would have called, with the arguments, and what
/// it did to the result. Nothing was executed.
///
/// Display forms (each a Python-like expression that starts with the dotted name):
/// - `os.system('ls ~')` — a call (REDUCE, INST, OBJ);
/// - `mymod.Point.__new__(mymod.Point, 1, k=2)` — NEWOBJ / NEWOBJ_EX;
/// - followed by one suffix per [`Mutation`], e.g.
///   `mymod.Point.__new__(mymod.Point).__setstate__({'x': 1})`.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// What is called: usually a [`Value::Global`], possibly another inert object.
    pub callable: Value,
    /// How it is called.
    pub kind: CallKind,
    /// Positional arguments.
    pub args: Vec<Value>,
    /// Keyword arguments (NEWOBJ_EX), in order.
    pub kwargs: Vec<(Value, Value)>,
    /// What the pickle did to the object afterwards.
    pub mutations: Vec<Mutation>,
}

impl Value {
    /// A `list` of `items`, allocated once at its exact size.
    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    /// A `tuple` of `items`, allocated once at its exact size.
    pub fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Tuple(items.into_iter().collect())
    }

    /// A `bytes` value holding a copy of `b`.
    pub fn bytes(b: &[u8]) -> Value {
        Value::Bytes(Box::new(b.to_vec()))
    }

    /// A `bytearray` value holding a copy of `b`.
    pub fn bytearray(b: &[u8]) -> Value {
        Value::ByteArray(Box::new(b.to_vec()))
    }

    /// A `complex` value.
    pub fn complex(re: f64, im: f64) -> Value {
        Value::Complex(Box::new(Complex { re, im }))
    }

    /// A `dict` value.
    pub fn dict(d: Dict) -> Value {
        Value::Dict(Box::new(d))
    }

    /// An integer value in its one canonical representation.
    pub fn from_bigint(b: BigInt) -> Value {
        match i64::try_from(&b) {
            Ok(v) => Value::Int(v),
            Err(_) => Value::BigInt(Box::new(b)),
        }
    }

    /// Python's name for the value's type, as in error messages (`'list'`, `'dict'` …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex(..) => "complex",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::ByteArray(_) => "bytearray",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Global(_) => "global",
            Value::Object(_) => "object",
            Value::OrderedDict(_) => "OrderedDict",
            Value::DefaultDict(_) => "defaultdict",
            Value::Deque(_) => "deque",
            Value::Counter(_) => "Counter",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::DateTime(_) => "datetime",
            Value::TimeDelta(_) => "timedelta",
            Value::TimeZone(_) => "timezone",
            Value::Decimal(_) => "Decimal",
            Value::Fraction(_) => "Fraction",
            Value::Uuid(_) => "UUID",
            Value::NdArray(_) => "ndarray",
            Value::NumpyScalar(a) => a.dtype.scalar_type_name(),
            Value::Dtype(_) => "dtype",
            Value::Tensor(_) => "Tensor",
            Value::SurrogateStr(_) => "str",
        }
    }

    /// The string, if this is a `str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an `int` that fits an `i64` (or a `bool`, as in Python).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            Value::Bool(b) => Some(i64::from(b)),
            _ => None,
        }
    }

    /// The integer as a `BigInt`, if this is an `int` (or a `bool`, as in Python).
    pub fn to_bigint(&self) -> Option<BigInt> {
        match self {
            Value::Int(i) => Some(BigInt::from(*i)),
            Value::Bool(b) => Some(BigInt::from(u8::from(*b))),
            Value::BigInt(b) => Some((**b).clone()),
            _ => None,
        }
    }

    /// The bytes, if this is `bytes` or a `bytearray`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) | Value::ByteArray(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if this is a `tuple` or a `list`.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::Tuple(v) | Value::List(v) => Some(v),
            _ => None,
        }
    }

    /// The mapping SETITEM(S) writes into, for values that behave as a dict (a `dict`,
    /// and the dict-like types presets construct).
    pub fn dict_mut(&mut self) -> Option<&mut Dict> {
        match self {
            Value::Dict(d) | Value::OrderedDict(d) | Value::Counter(d) => Some(d),
            Value::DefaultDict(d) => Some(&mut d.dict),
            _ => None,
        }
    }

    /// The sequence APPEND(S) writes into, for values that behave as a list.
    pub fn list_mut(&mut self) -> Option<&mut ThinVec<Value>> {
        match self {
            Value::List(l) => Some(l),
            Value::Deque(d) => Some(&mut d.items),
            _ => None,
        }
    }

    /// The numpy array, if this is one.
    pub fn as_ndarray(&self) -> Option<&NdArray> {
        match self {
            Value::NdArray(a) => Some(a),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i64::from(i))
    }
}

impl From<u64> for Value {
    /// An `int`: [`Value::Int`] when it fits an `i64`, [`Value::BigInt`] otherwise.
    fn from(i: u64) -> Value {
        match i64::try_from(i) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(Box::new(BigInt::from(i))),
        }
    }
}

impl From<BigInt> for Value {
    /// An `int` in its one canonical representation (see [`Value::from_bigint`]).
    fn from(b: BigInt) -> Value {
        Value::from_bigint(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(ArcStr::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(ArcStr::from(s))
    }
}

impl From<ArcStr> for Value {
    fn from(s: ArcStr) -> Value {
        Value::Str(s)
    }
}

impl From<Vec<Value>> for Value {
    /// A `list`.
    fn from(items: Vec<Value>) -> Value {
        Value::List(ThinVec::from(items))
    }
}

impl From<Dict> for Value {
    /// A `dict`.
    fn from(d: Dict) -> Value {
        Value::Dict(Box::new(d))
    }
}

impl From<Set> for Value {
    /// A `set`.
    fn from(s: Set) -> Value {
        Value::Set(Box::new(s))
    }
}

impl FromIterator<Value> for Value {
    /// A `list`.
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Value {
        Value::list(iter)
    }
}

/// The size and height of a value, as the loader's budgets count them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Metrics {
    /// Approximate bytes in memory: every value's own size plus its payload.
    pub size: u64,
    /// Nesting levels: 1 for a scalar, 1 + the children's height for a container.
    pub height: u64,
    /// Container levels, as the depth limit counts them: the most containers on one path
    /// from the top (0 for a scalar; 1 for an empty list, as for a list of ints).
    pub levels: u64,
    /// Bits of the widest integer (0 if none is wider than an `i64`).
    pub int_bits: u64,
}

const VALUE_BYTES: u64 = std::mem::size_of::<Value>() as u64;

/// Measures `v` without recursion (its depth may be anything).
pub(crate) fn metrics(v: &Value) -> Metrics {
    let mut m = Metrics::default();
    let mut todo: Vec<(&Value, u64)> = vec![(v, 1)];
    while let Some((v, depth)) = todo.pop() {
        let mut height = depth;
        let waiting = todo.len();
        m.size = m.size.saturating_add(VALUE_BYTES);
        let payload: u64 = match v {
            Value::Str(s) => s.len() as u64,
            Value::SurrogateStr(s) => s.as_bytes().len() as u64,
            Value::Bytes(b) | Value::ByteArray(b) => b.len() as u64,
            Value::BigInt(b) => {
                m.int_bits = m.int_bits.max(b.bits());
                b.bits() / 8 + 32
            }
            Value::Tuple(items) | Value::List(items) => {
                todo.extend(items.iter().map(|c| (c, depth + 1)));
                0
            }
            Value::Dict(d) | Value::OrderedDict(d) | Value::Counter(d) => {
                for (k, x) in d.iter() {
                    todo.push((k.value(), depth + 1));
                    todo.push((x, depth + 1));
                }
                0
            }
            Value::DefaultDict(d) => {
                for (k, x) in d.dict.iter() {
                    todo.push((k.value(), depth + 1));
                    todo.push((x, depth + 1));
                }
                64
            }
            Value::Set(s) | Value::FrozenSet(s) => {
                todo.extend(s.iter().map(|k| (k.value(), depth + 1)));
                0
            }
            Value::Deque(d) => {
                todo.extend(d.items.iter().map(|c| (c, depth + 1)));
                0
            }
            Value::Object(o) => {
                todo.push((&o.callable, depth + 1));
                todo.extend(o.args.iter().map(|c| (c, depth + 1)));
                for (k, x) in &o.kwargs {
                    todo.push((k, depth + 1));
                    todo.push((x, depth + 1));
                }
                for mu in &o.mutations {
                    match mu {
                        Mutation::SetState(x) | Mutation::Append(x) => todo.push((x, depth + 1)),
                        Mutation::Extend(xs) | Mutation::Add(xs) => {
                            todo.extend(xs.iter().map(|c| (c, depth + 1)))
                        }
                        Mutation::SetItem(k, x) => {
                            todo.push((k, depth + 1));
                            todo.push((x, depth + 1));
                        }
                    }
                }
                0
            }
            Value::Time(t) => {
                if let Some(TzInfo::Other(x)) = &t.tzinfo {
                    todo.push((x, depth + 1));
                }
                64
            }
            Value::DateTime(t) => {
                if let Some(TzInfo::Other(x)) = &t.tzinfo {
                    todo.push((x, depth + 1));
                }
                64
            }
            Value::Decimal(d) => match &d.kind {
                DecimalKind::Finite { coefficient, .. } => coefficient.len() as u64 + 32,
                DecimalKind::NaN(p) | DecimalKind::SNaN(p) => p.len() as u64 + 32,
                DecimalKind::Infinity => 32,
            },
            Value::Fraction(f) => {
                let bits = f.numerator.bits().max(f.denominator.bits());
                m.int_bits = m.int_bits.max(bits);
                (f.numerator.bits() + f.denominator.bits()) / 8 + 64
            }
            Value::TimeZone(t) => t.name.as_ref().map_or(0, |n| n.len() as u64) + 32,
            Value::Uuid(_) => 32,
            Value::NdArray(a) | Value::NumpyScalar(a) => {
                height += u64::from(a.dtype.nest.saturating_sub(1));
                let dt = u64::from(a.dtype.nest) * 128 + a.shape.len() as u64 * 8;
                match &a.data {
                    ArrayData::Bytes(b) => dt + b.len() as u64,
                    ArrayData::Objects(items) => {
                        todo.extend(items.iter().map(|c| (c, depth + 1)));
                        dt
                    }
                }
            }
            Value::Dtype(d) => {
                height += u64::from(d.nest.saturating_sub(1));
                u64::from(d.nest) * 128
            }
            _ => 0,
        };
        m.size = m.size.saturating_add(payload);
        m.height = m.height.max(height);
        // A container is a level even when empty; anything else that holds values (an
        // object array, a time with a tzinfo object) is one when it holds some.
        let container = matches!(
            v,
            Value::List(_)
                | Value::Tuple(_)
                | Value::Dict(_)
                | Value::OrderedDict(_)
                | Value::Counter(_)
                | Value::DefaultDict(_)
                | Value::Set(_)
                | Value::FrozenSet(_)
                | Value::Deque(_)
                | Value::Object(_)
        ) || todo.len() > waiting;
        m.levels = m.levels.max(if container { height } else { height - 1 });
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Option<Value>>(), 16);
        assert_eq!(std::mem::size_of::<Key>(), 16);
    }
}
