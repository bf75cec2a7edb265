//! Deserializing pickles straight into Rust types, and `Value` ⇄ serde (feature `serde`).
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! #[derive(serde::Deserialize, Debug, PartialEq)]
//! struct Record<'a> {
//!     id: i64,
//!     name: &'a str,
//!     tags: Vec<String>,
//! }
//! // pickle.dumps([{'id': 1, 'name': 'ada', 'tags': ['x']}], protocol=4)
//! let data = b"\x80\x04\x95(\x00\x00\x00\x00\x00\x00\x00]\x94}\x94(\x8c\x02id\x94K\x01\x8c\x04name\x94\x8c\x03ada\x94\x8c\x04tags\x94]\x94\x8c\x01x\x94aua.";
//! let records: Vec<Record> = unpickle::serde::from_slice(data).unwrap();
//! assert_eq!(records, [Record { id: 1, name: "ada", tags: vec!["x".into()] }]);
//! # }
//! ```
//!
//! [`from_slice`], [`from_reader`] and [`from_value`] have the shapes serde_json users
//! know; [`Unpickler::deserialize_slice`] and [`Unpickler::deserialize_reader`] do the same
//! under an [`Unpickler`]'s policy, limits and encoding. `unpickle::from_slice` keeps
//! returning a [`Value`].
//!
//! # The direct path
//!
//! A pickle of plain data (no global: what `pickle.dumps` writes for None, bools, ints,
//! floats, str, bytes, bytearray, tuples, lists, dicts, sets and frozensets) is not
//! loaded into a [`Value`]: it is run into a compact graph of its own (16-byte slots;
//! strings and bytes as spans of the input, so `&str` and `&[u8]` fields borrow them
//! wherever the pickle holds them verbatim), and the caller's type reads that graph.
//! A shared object (one the memo hands out again) is deserialized each time it is
//! reached; every copy counts against [`crate::Limits::max_result_bytes`] before anything is
//! read, so an expansion bomb is a [`Limit`](crate::ErrorKind::Limit) error, and a cycle is
//! a [`Cycle`](crate::ErrorKind::Cycle) error whose [`crate::Error::path`] says where.
//!
//! Anything else (a global the policy must decide, a dict with float or tuple keys,
//! repeated keys, anything unusual or malformed) takes the general path: the pickle is
//! loaded as [`Unpickler::load_slice`] loads it and the value is read by the same rules,
//! with the loader's own errors. Strings are then lent only by [`from_value`]; a type
//! that borrows `&str` from such a pickle gets an error saying a borrowed string was
//! expected.
//!
//! # Python → serde
//!
//! | Python | deserializes into | notes |
//! |---|---|---|
//! | `None` | `()`, `Option::None`, unit structs | any other type: error |
//! | `bool` | `bool` | not an integer (stricter than Python) |
//! | `int` | any integer type that holds it, `i128`/`u128` included; `f32`/`f64` | too large: error naming the int's size in bits |
//! | `float` | `f64`, `f32` | |
//! | `complex` | `(f64, f64)`, `[f64; 2]` | real, imaginary |
//! | `str` | `String`, `&str` (borrowed), `char`, `Box<str>`, `Cow<str>`, enum unit variants | |
//! | `bytes`, `bytearray` | `serde_bytes::ByteBuf`, `&[u8]` (borrowed), `Vec<u8>` and other sequences of `u8` | Python 2 `str` loaded with [`Encoding::Bytes`](crate::Encoding) is bytes |
//! | `tuple`, `list`, `set`, `frozenset`, `collections.deque` | `Vec<T>`, tuples, arrays, `HashSet`, `BTreeSet`, tuple structs | a set in the pickle's order; every element must be read |
//! | `dict`, `OrderedDict`, `defaultdict`, `Counter` | maps (`HashMap`, `BTreeMap`, `IndexMap` …), structs | string keys name struct fields; other keys deserialize into any key type: `HashMap<i64, _>`, `HashMap<(i32, i32), _>` |
//! | `'V'`, `{'V': data}`, `('V',)`, `('V', data)` | enums | serde-pickle's forms: data serde-pickle wrote reads back |
//! | `datetime.date`, `.datetime`, `.time` | `String` | ISO 8601 as `isoformat()` writes it (`2024-01-02T03:04:05+01:00`) |
//! | `datetime.timedelta` | `(i32, i32, i32)` | `(days, seconds, microseconds)` |
//! | `datetime.timezone` | `String` | `str(tz)`: `UTC`, `UTC+01:00`, or its name |
//! | `decimal.Decimal` | `String` | `str(d)`, exact |
//! | `fractions.Fraction` | `(i64, i64)` (any integers) | numerator, denominator |
//! | `uuid.UUID` | `String`; `[u8; 16]`/bytes when bytes are asked for | `str(u)`; `u.bytes` |
//! | numpy `ndarray` (bool, int, uint, float, complex, datetime64/timedelta64 as counts) | `Vec<T>` of its elements in C order; a struct or map `{dtype: String, shape: Vec<usize>, data: Vec<T>}` | object arrays are sequences of their objects |
//! | numpy scalar | the number | |
//! | numpy `dtype` | `String` | its `descr`, e.g. `<f8` |
//! | inert global or object (policy `opaque`) | nothing | an error naming the global the pickle calls |
//!
//! `Value` implements `Serialize` by the same table read backwards (None is unit, a tuple
//! a tuple, a set a sequence, every dict a map, an int beyond 128 bits a decimal string,
//! a numpy array `{dtype, shape, data}`, an inert object an error), and `Deserialize` from
//! any format (sequences become lists, maps dicts).
//!
//! # Rust → pickle
//!
//! [`to_vec`] and [`to_writer`] pickle any `Serialize` type at a protocol, through a
//! [`Value`] ([`to_value`]) that [`crate::write`] writes as CPython would: the
//! deserializer's table read backwards, so that what is written deserializes back into the
//! same type. `bool`, integers (`i128`/`u128` too), floats, `str` and `char` as themselves;
//! bytes (`serde_bytes`) as `bytes`; `None` and `()` and unit structs as `None`; sequences
//! as lists, tuples and tuple structs as tuples, maps as dicts (a key must be hashable in
//! Python: a list key is an error), structs as dicts with str keys; enums as serde-pickle
//! writes them: a unit variant `'V'`, any other `{'V': data}`.
//!
//! # Errors
//!
//! Errors are [`crate::Error`]s: the loader's own (with their kind and byte offset), or
//! [`ErrorKind::Deserialize`](crate::ErrorKind::Deserialize) saying what was expected and
//! what was found. [`crate::Error::path`] names where in the value: `[3].name` (a struct field of
//! the fourth item), `['config']['lr']` (map keys), `` (the top).

mod de;
mod direct;
mod rich;
mod ser;
mod tree;
mod value_de;

use std::io::{self, Read as _};

use serde::de::{Deserialize, DeserializeOwned};

use self::de::De;
use self::tree::ValueNode;
use crate::error::{ErrorKind, Result};
use crate::load::Unpickler;
use crate::value::Value;

/// Deserializes a `T` from one pickle in `data`, with the strict policy and default
/// limits. Bytes after the pickle's STOP are an error. `&str` and `&[u8]` in `T` borrow
/// from `data`.
///
/// # Errors
/// The loader's errors, and [`ErrorKind::Deserialize`] when the data does not fit `T`;
/// [`crate::Error::path`] says where.
pub fn from_slice<'de, T: Deserialize<'de>>(data: &'de [u8]) -> Result<T> {
    Unpickler::new().deserialize_slice(data)
}

/// Deserializes a `T` from one pickle read from `reader` (strict policy, default limits),
/// consuming no byte past its STOP.
///
/// # Errors
/// As [`from_slice`], plus I/O errors.
pub fn from_reader<R: io::BufRead, T: DeserializeOwned>(reader: R) -> Result<T> {
    Unpickler::new().deserialize_reader(reader)
}

/// Deserializes a `T` from a loaded [`Value`]; `&str` and `&[u8]` in `T` borrow from it.
///
/// # Errors
/// [`ErrorKind::Deserialize`] when the value does not fit `T`; [`crate::Error::path`] says where.
pub fn from_value<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T> {
    top(T::deserialize(De {
        node: ValueNode::<true>(value),
    }))
}

/// The [`Value`] `value` serializes to (see "Rust → pickle" above).
///
/// # Errors
/// [`ErrorKind::Unsupported`] for what has no Python value (an unhashable map key), and
/// the type's own `Serialize` errors.
pub fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Result<Value> {
    value.serialize(ser::ToValue)
}

/// Pickles `value` at `protocol` (as [`crate::to_vec`] pickles its [`to_value`]).
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Point { x: i32, y: i32 }
/// let data = unpickle::serde::to_vec(&Point { x: 1, y: 2 }, unpickle::Protocol::V2).unwrap();
/// // pickle.dumps({'x': 1, 'y': 2}, protocol=2)
/// assert_eq!(data, b"\x80\x02}q\x00(X\x01\x00\x00\x00xq\x01K\x01X\x01\x00\x00\x00yq\x02K\x02u.");
/// let back: Point = unpickle::serde::from_slice(&data).unwrap();
/// assert_eq!(back, Point { x: 1, y: 2 });
/// ```
///
/// # Errors
/// As [`to_value`] and [`crate::to_vec`].
pub fn to_vec<T: serde::Serialize + ?Sized>(
    value: &T,
    protocol: crate::write::Protocol,
) -> Result<Vec<u8>> {
    crate::write::to_vec(&to_value(value)?, protocol)
}

/// Pickles `value` at `protocol` into `w` (see [`to_vec`]).
///
/// # Errors
/// As [`to_vec`], plus I/O errors.
pub fn to_writer<W: io::Write, T: serde::Serialize + ?Sized>(
    w: W,
    value: &T,
    protocol: crate::write::Protocol,
) -> Result<()> {
    crate::write::to_writer(w, &to_value(value)?, protocol)
}

/// Reads a value that lives shorter than `'de` (its strings are not lent).
pub(crate) fn from_transient<'de, T: Deserialize<'de>>(value: &Value) -> Result<T> {
    top(T::deserialize(De {
        node: ValueNode::<false>(value),
    }))
}

/// Marks a deserialization error met at the top with the empty path.
fn top<T>(r: Result<T>) -> Result<T> {
    r.map_err(|e| match e.kind() {
        ErrorKind::Deserialize(_) if e.path().is_none() => e.in_path(""),
        _ => e,
    })
}

impl Unpickler {
    /// Deserializes a `T` from one pickle in `data` under this loader's policy, limits and
    /// encoding; bytes after its STOP are an error. See [`from_slice`].
    ///
    /// # Errors
    /// As [`from_slice`].
    pub fn deserialize_slice<'de, T: Deserialize<'de>>(&self, data: &'de [u8]) -> Result<T> {
        match direct::Graph::build(data, self.get_limits(), self.get_encoding()) {
            Ok(graph) => top(graph.deserialize()),
            Err(direct::NotDirect) => from_transient(&self.load_slice(data)?),
        }
    }

    /// Deserializes a `T` from one pickle read from `reader` under this loader's settings,
    /// consuming no byte past its STOP (see [`Unpickler::load_reader`]).
    ///
    /// # Errors
    /// As [`from_reader`].
    pub fn deserialize_reader<R: io::BufRead, T: DeserializeOwned>(
        &self,
        mut reader: R,
    ) -> Result<T> {
        use crate::decode::whole::{read_whole, Whole};
        let mut buf = Vec::new();
        match read_whole(&mut reader, &mut buf, self.get_read_ahead()) {
            Whole::Complete => self.deserialize_slice(&buf),
            // Too large to read whole, or a read failed: the loader streams it on.
            Whole::Partial(error) => {
                let streaming = self.clone().read_ahead(0);
                let start = io::Cursor::new(buf);
                let value = match error {
                    Some(e) => {
                        streaming.load_reader(start.chain(crate::decode::whole::Failed(Some(e))))?
                    }
                    None => streaming.load_reader(start.chain(reader))?,
                };
                from_transient(&value)
            }
        }
    }
}
