//! `Deserialize` for [`Value`]: any serde format's data as Python data, so
//! `serde_json::from_str::<unpickle::Value>(…)` works.

use std::fmt;

use num_bigint::BigInt;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::value::{Dict, Key, Value};

impl<'de> Deserialize<'de> for Value {
    /// unit and none are None; integers are int (of any size serde carries); floats,
    /// strings, bytes and bools are themselves; sequences are lists; maps are dicts (a key
    /// Python could not hash, such as a list, is an error).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::from_bigint(BigInt::from(u)))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Value, E> {
        Ok(Value::from_bigint(BigInt::from(i)))
    }
    fn visit_u128<E>(self, u: u128) -> Result<Value, E> {
        Ok(Value::from_bigint(BigInt::from(u)))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.into()))
    }
    fn visit_bytes<E>(self, b: &[u8]) -> Result<Value, E> {
        Ok(Value::bytes(b))
    }
    fn visit_byte_buf<E>(self, b: Vec<u8>) -> Result<Value, E> {
        Ok(Value::bytes(&b))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::None)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // The hint is the format's claim: capped, never trusted for a large allocation.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(x) = seq.next_element()? {
            items.push(x);
        }
        Ok(Value::list(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut d = Dict::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some((k, v)) = map.next_entry::<Value, Value>()? {
            let k = Key::new(k).map_err(de::Error::custom)?;
            d.insert(k, v);
        }
        Ok(Value::Dict(Box::new(d)))
    }
}
