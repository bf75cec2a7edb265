//! `Serialize` for [`Value`]: Python data in serde's data model, so a loaded value can be
//! written in any format serde supports (`serde_json::to_string(&value)`).

use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};

use super::rich;
use crate::value::Value;

impl Serialize for Value {
    /// See the table in the [`crate::serde`] module: None is unit, ints beyond 128 bits
    /// are decimal strings, complex is a `(re, im)` tuple, bytes are bytes, tuples are
    /// tuples, lists, sets and deques are sequences, dicts of every kind are maps, the
    /// stdlib and numpy types take their documented forms, and an inert global or object
    /// is an error naming it.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::None => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::BigInt(b) => {
                if let Ok(i) = i128::try_from(&**b) {
                    s.serialize_i128(i)
                } else if let Ok(u) = u128::try_from(&**b) {
                    s.serialize_u128(u)
                } else {
                    s.serialize_str(&b.to_string())
                }
            }
            Value::Float(f) => s.serialize_f64(*f),
            Value::Complex(c) => {
                let mut t = s.serialize_tuple(2)?;
                t.serialize_element(&c.re)?;
                t.serialize_element(&c.im)?;
                t.end()
            }
            Value::Str(x) => s.serialize_str(x),
            Value::Bytes(b) | Value::ByteArray(b) => s.serialize_bytes(b),
            Value::Tuple(items) => {
                let mut t = s.serialize_tuple(items.len())?;
                for x in items.iter() {
                    t.serialize_element(x)?;
                }
                t.end()
            }
            Value::List(items) => s.collect_seq(items.iter()),
            Value::Deque(d) => s.collect_seq(d.items().iter()),
            Value::Set(k) | Value::FrozenSet(k) => {
                let mut q = s.serialize_seq(Some(k.len()))?;
                for x in k.iter() {
                    q.serialize_element(x.value())?;
                }
                q.end()
            }
            Value::Dict(d) | Value::OrderedDict(d) | Value::Counter(d) => {
                let mut m = s.serialize_map(Some(d.len()))?;
                for (k, v) in d.iter() {
                    m.serialize_entry(k.value(), v)?;
                }
                m.end()
            }
            Value::DefaultDict(d) => {
                let mut m = s.serialize_map(Some(d.dict().len()))?;
                for (k, v) in d.dict().iter() {
                    m.serialize_entry(k.value(), v)?;
                }
                m.end()
            }
            Value::NdArray(a) if a.objects().is_some() => {
                s.collect_seq(a.objects().unwrap_or_default().iter())
            }
            // Shared references (`Unpickler::shared_references`): a definition is its
            // value; a reference has no tree form (serde formats have no references).
            Value::Shared(x) => x.value.serialize(s),
            Value::Ref(r) => Err(S::Error::custom(format!(
                "a reference to shared {} #{} (loaded with shared_references) has no serde form",
                r.kind.type_name(),
                r.id
            ))),
            other => rich::serialize(other, s),
        }
    }
}

impl Serialize for crate::value::Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

/// Writes a rich value's documented form.
pub(crate) fn custom<S: Serializer>(msg: String) -> S::Error {
    S::Error::custom(msg)
}
