//! The loaded value: a plain tree of Python data, printed as Python's `repr()`.

mod display;
mod key;
mod printable;
pub(crate) mod repr;

use indexmap::{IndexMap, IndexSet};
use num_bigint::BigInt;

pub use self::key::{Key, Unhashable};

/// A Python `dict`: insertion order kept, keys compared with Python's equality
/// (`1`, `1.0` and `True` are the same key).
pub type Dict = IndexMap<Key, Value>;

/// A Python `set` or `frozenset`, in the order the pickle added the elements.
pub type Set = IndexSet<Key>;

/// A Python value loaded from a pickle.
///
/// Built-in data maps to distinct variants; [`Value::Global`] and [`Value::Object`] are the
/// inert symbolic nodes a policy may keep instead of running code. `Display` prints what
/// Python's `repr()` prints for the equivalent object.
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
    /// `complex`: real and imaginary parts.
    Complex(f64, f64),
    /// `str`
    Str(String),
    /// `bytes`
    Bytes(Vec<u8>),
    /// `bytearray`
    ByteArray(Vec<u8>),
    /// `tuple`
    Tuple(Vec<Value>),
    /// `list`
    List(Vec<Value>),
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

    /// The float, if this is a `float`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(f) => Some(f),
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

    /// The dict, if this is a `dict`.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The mapping SETITEM(S) writes into, for values that behave as a dict (a `dict`,
    /// and the dict-like types presets construct).
    pub fn dict_mut(&mut self) -> Option<&mut Dict> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The sequence APPEND(S) writes into, for values that behave as a list.
    pub fn list_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
}
