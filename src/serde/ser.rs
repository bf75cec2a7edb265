//! `Serialize` for [`Value`]: Python data in serde's data model, so a loaded value can be
//! written in any format serde supports (`serde_json::to_string(&value)`); and the other
//! way, any `Serialize` type into a [`Value`] ([`ToValue`]), which the writer then
//! pickles.

use num_bigint::BigInt;
use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};

use super::rich;
use crate::value::{Dict, Key, Value};

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
            Value::Dict(_) | Value::OrderedDict(_) | Value::Counter(_) | Value::DefaultDict(_) => {
                let d = self.as_dict();
                let mut m = s.serialize_map(d.map(|d| d.len()))?;
                for (k, v) in d.into_iter().flat_map(|d| d.iter()) {
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

// ------------------------------------------------------------------ Rust → pickle

impl serde::ser::Error for crate::Error {
    #[cold]
    fn custom<T: std::fmt::Display>(msg: T) -> crate::Error {
        crate::Error::unsupported(msg.to_string())
    }
}

/// Serializes any `T` into a [`Value`], along the deserializer's table read backwards
/// (see [`super::to_value`]).
pub(crate) struct ToValue;

type Res = crate::Result<Value>;

fn key(v: Value) -> crate::Result<Key> {
    Key::new(v).map_err(|u| crate::Error::unsupported(format!("a map key of {u}")))
}

/// `{'Variant': data}`: the externally tagged form the deserializer reads back.
fn tagged(variant: &'static str, data: Value) -> Value {
    Value::dict(Dict::from_pairs([(Key::from(variant), data)]))
}

impl Serializer for ToValue {
    type Ok = Value;
    type Error = crate::Error;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant = Items;
    type SerializeMap = Pairs;
    type SerializeStruct = Pairs;
    type SerializeStructVariant = Pairs;

    fn serialize_bool(self, v: bool) -> Res {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Res {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Res {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Res {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Res {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Res {
        Ok(Value::from_bigint(BigInt::from(v)))
    }
    fn serialize_u8(self, v: u8) -> Res {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Res {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Res {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_u128(self, v: u128) -> Res {
        Ok(Value::from_bigint(BigInt::from(v)))
    }
    fn serialize_f32(self, v: f32) -> Res {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Res {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Res {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        Ok(Value::bytes(v))
    }
    fn serialize_none(self) -> Res {
        Ok(Value::None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        Ok(Value::None)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Res {
        Ok(Value::None)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Res {
        Ok(Value::from(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Res {
        Ok(tagged(variant, v.serialize(ToValue)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> crate::Result<Items> {
        Ok(Items::new(len, false, None))
    }
    fn serialize_tuple(self, len: usize) -> crate::Result<Items> {
        Ok(Items::new(Some(len), true, None))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> crate::Result<Items> {
        Ok(Items::new(Some(len), true, None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> crate::Result<Items> {
        Ok(Items::new(Some(len), true, Some(variant)))
    }
    fn serialize_map(self, len: Option<usize>) -> crate::Result<Pairs> {
        Ok(Pairs::new(len, None))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> crate::Result<Pairs> {
        Ok(Pairs::new(Some(len), None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> crate::Result<Pairs> {
        Ok(Pairs::new(Some(len), Some(variant)))
    }
}

/// A list or tuple being serialized (a tuple variant's data: `{'V': (…)}`).
pub(crate) struct Items {
    items: Vec<Value>,
    tuple: bool,
    variant: Option<&'static str>,
}

impl Items {
    fn new(len: Option<usize>, tuple: bool, variant: Option<&'static str>) -> Items {
        // A length hint is not trusted beyond a small bound.
        Items {
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
            tuple,
            variant,
        }
    }
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> crate::Result<()> {
        self.items.push(v.serialize(ToValue)?);
        Ok(())
    }
    fn done(self) -> Res {
        let v = if self.tuple {
            Value::tuple(self.items)
        } else {
            Value::list(self.items)
        };
        Ok(match self.variant {
            Some(name) => tagged(name, v),
            None => v,
        })
    }
}

macro_rules! items {
    ($($tr:ident :: $m:ident),*) => {$(
        impl serde::ser::$tr for Items {
            type Ok = Value;
            type Error = crate::Error;
            fn $m<T: Serialize + ?Sized>(&mut self, v: &T) -> crate::Result<()> {
                self.push(v)
            }
            fn end(self) -> Res {
                self.done()
            }
        }
    )*};
}
items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// A dict being serialized (a struct's fields are str keys; a struct variant's data is
/// `{'V': {…}}`).
pub(crate) struct Pairs {
    dict: Dict,
    key: Option<Key>,
    variant: Option<&'static str>,
}

impl Pairs {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> Pairs {
        Pairs {
            dict: Dict::with_capacity(len.unwrap_or(0).min(1024)),
            key: None,
            variant,
        }
    }
    fn done(self) -> Res {
        let v = Value::dict(self.dict);
        Ok(match self.variant {
            Some(name) => tagged(name, v),
            None => v,
        })
    }
}

impl SerializeMap for Pairs {
    type Ok = Value;
    type Error = crate::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> crate::Result<()> {
        self.key = Some(key(k.serialize(ToValue)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> crate::Result<()> {
        let k = self
            .key
            .take()
            .ok_or_else(|| crate::Error::unsupported("a map value without its key"))?;
        self.dict.insert(k, v.serialize(ToValue)?);
        Ok(())
    }
    fn end(self) -> Res {
        self.done()
    }
}

impl serde::ser::SerializeStruct for Pairs {
    type Ok = Value;
    type Error = crate::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> crate::Result<()> {
        self.dict.insert(Key::from(name), v.serialize(ToValue)?);
        Ok(())
    }
    fn end(self) -> Res {
        self.done()
    }
}

impl serde::ser::SerializeStructVariant for Pairs {
    type Ok = Value;
    type Error = crate::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> crate::Result<()> {
        serde::ser::SerializeStruct::serialize_field(self, name, v)
    }
    fn end(self) -> Res {
        self.done()
    }
}
