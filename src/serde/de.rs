//! The deserializer: one implementation of serde's data model over any [`Tree`], with the
//! path of every error (`[3].name`, `['config']['lr']`) added as it travels out.

use std::fmt::Write as _;

use num_bigint::BigInt;
use serde::de::{self, DeserializeSeed, Deserializer, Expected, Unexpected, Visitor};

use super::rich;
use super::tree::{Shape, Tree};
use crate::error::{Error, ErrorKind};

impl de::Error for Error {
    #[cold]
    fn custom<T: std::fmt::Display>(msg: T) -> Error {
        Error::new(ErrorKind::Deserialize(msg.to_string()))
    }
}

/// Deserializes what `node` is.
pub(crate) struct De<T> {
    pub node: T,
}

/// How Python describes what was found, for "expected … found …" errors.
fn found<'de, 'a, T: Tree<'de, 'a>>(shape: &Shape<'de, 'a, T>) -> String {
    match shape {
        Shape::None => "None".into(),
        Shape::Bool(b) => format!("bool {}", if *b { "True" } else { "False" }),
        Shape::Int(i) => format!("int {i}"),
        Shape::Big(b) => format!("int of {} bits", b.bits() + 1),
        Shape::Float(f) => format!("float {f:?}"),
        Shape::Complex(..) => "complex".into(),
        Shape::Str(s) | Shape::StrT(s) => format!("str of {} characters", s.chars().count()),
        Shape::Bytes(b) | Shape::BytesT(b) => format!("bytes of length {}", b.len()),
        Shape::Seq(name, items) => format!("{name} of length {}", items.len()),
        Shape::Map(name, pairs) => format!("{name} of length {}", pairs.len()),
        Shape::Rich(v) => rich::describe(v),
    }
}

/// The error for finding `shape` where `exp` was expected.
#[cold]
pub(crate) fn mismatch<'de, 'a, T: Tree<'de, 'a>>(
    shape: &Shape<'de, 'a, T>,
    exp: &dyn Expected,
) -> Error {
    <Error as de::Error>::invalid_type(Unexpected::Other(&found(shape)), exp)
}

/// An `int` beyond `i64`: as `i128` or `u128` when it fits, else an error naming its size.
pub(crate) fn visit_big<'de, V: Visitor<'de>>(b: &BigInt, v: V) -> Result<V::Value, Error> {
    if let Ok(u) = u64::try_from(b) {
        return v.visit_u64(u);
    }
    if let Ok(i) = i128::try_from(b) {
        return v.visit_i128(i);
    }
    if let Ok(u) = u128::try_from(b) {
        return v.visit_u128(u);
    }
    Err(<Error as de::Error>::custom(format!(
        "int of {} bits does not fit any Rust integer type (at most 128 bits), expected {}",
        b.bits() + 1,
        ExpectedOf(&v)
    )))
}

/// Prints a visitor's expectation.
struct ExpectedOf<'v, V>(&'v V);
impl<'de, V: Visitor<'de>> std::fmt::Display for ExpectedOf<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.expecting(f)
    }
}

/// Runs `v` over the items; all of them must be read.
fn visit_seq<'de, 'a, T: Tree<'de, 'a>, V: Visitor<'de>>(
    items: T::Items,
    v: V,
) -> Result<V::Value, Error> {
    let len = items.len();
    let mut seq = SeqDe { items, index: 0 };
    let out = v.visit_seq(&mut seq)?;
    if seq.items.len() != 0 {
        return Err(<Error as de::Error>::invalid_length(len, &"fewer elements"));
    }
    Ok(out)
}

/// Runs `v` over the pairs; all of them must be read. `fields` says the caller reads a
/// struct, so string keys print as `.name` in paths.
fn visit_map<'de, 'a, T: Tree<'de, 'a>, V: Visitor<'de>>(
    pairs: T::Pairs,
    fields: bool,
    v: V,
) -> Result<V::Value, Error> {
    let len = pairs.len();
    let mut map = MapDe {
        pairs,
        value: None,
        fields,
    };
    let out = v.visit_map(&mut map)?;
    if map.pairs.len() != 0 {
        return Err(<Error as de::Error>::invalid_length(len, &"fewer entries"));
    }
    Ok(out)
}

macro_rules! via_any {
    ($($name:ident)*) => {$(
        #[inline]
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.deserialize_any(v)
        }
    )*};
}

macro_rules! ints {
    ($($name:ident)*) => {$(
        #[inline]
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.node.shape() {
                Shape::Int(i) => v.visit_i64(i),
                Shape::Big(b) => visit_big(b, v),
                Shape::Rich(x) => rich::any(x, v),
                s => Err(mismatch(&s, &v)),
            }
        }
    )*};
}

macro_rules! floats {
    ($($name:ident)*) => {$(
        #[inline]
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.node.shape() {
                Shape::Float(f) => v.visit_f64(f),
                Shape::Int(i) => v.visit_i64(i),
                Shape::Big(b) => visit_big(b, v),
                Shape::Rich(x) => rich::any(x, v),
                s => Err(mismatch(&s, &v)),
            }
        }
    )*};
}

impl<'de, 'a, T: Tree<'de, 'a>> Deserializer<'de> for De<T> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::None => v.visit_unit(),
            Shape::Bool(b) => v.visit_bool(b),
            Shape::Int(i) => v.visit_i64(i),
            Shape::Big(b) => visit_big(b, v),
            Shape::Float(f) => v.visit_f64(f),
            Shape::Complex(re, im) => v.visit_seq(rich::Scalars::floats(&[re, im])),
            Shape::Str(s) => v.visit_borrowed_str(s),
            Shape::StrT(s) => v.visit_str(s),
            Shape::Bytes(b) => v.visit_borrowed_bytes(b),
            Shape::BytesT(b) => v.visit_bytes(b),
            Shape::Seq(_, items) => visit_seq::<T, V>(items, v),
            Shape::Map(_, pairs) => visit_map::<T, V>(pairs, false, v),
            Shape::Rich(x) => rich::any(x, v),
        }
    }

    ints! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    floats! { deserialize_f32 deserialize_f64 }

    via_any! { deserialize_identifier }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::Str(s) => v.visit_borrowed_str(s),
            Shape::StrT(s) => v.visit_str(s),
            s => Err(mismatch(&s, &v)),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::Bool(b) => v.visit_bool(b),
            s => Err(mismatch(&s, &v)),
        }
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::Str(s) => v.visit_borrowed_str(s),
            Shape::StrT(s) => v.visit_str(s),
            Shape::Rich(x) => rich::string(x, v),
            s @ (Shape::Bytes(_) | Shape::BytesT(_)) => match s {
                // Python 2 strings loaded with `encoding='bytes'`: UTF-8 text reads as str.
                Shape::Bytes(b) => v.visit_borrowed_bytes(b),
                Shape::BytesT(b) => v.visit_bytes(b),
                _ => Err(mismatch(&s, &v)),
            },
            s => Err(mismatch(&s, &v)),
        }
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::Bytes(b) => v.visit_borrowed_bytes(b),
            Shape::BytesT(b) => v.visit_bytes(b),
            Shape::Str(s) => v.visit_borrowed_str(s),
            Shape::StrT(s) => v.visit_str(s),
            Shape::Seq(_, items) => visit_seq::<T, V>(items, v),
            Shape::Rich(x) => rich::bytes(x, v),
            s => Err(mismatch(&s, &v)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(v)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::None => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::None => v.visit_unit(),
            s => Err(mismatch(&s, &v)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::Seq(_, items) => visit_seq::<T, V>(items, v),
            Shape::Bytes(b) | Shape::BytesT(b) => v.visit_seq(rich::Scalars::bytes(b)),
            Shape::Complex(re, im) => v.visit_seq(rich::Scalars::floats(&[re, im])),
            Shape::Rich(x) => rich::seq(x, v),
            s => Err(mismatch(&s, &v)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::Map(_, pairs) => visit_map::<T, V>(pairs, false, v),
            Shape::Rich(x) => rich::map(x, v),
            s => Err(mismatch(&s, &v)),
        }
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.node.shape() {
            Shape::Map(_, pairs) => visit_map::<T, V>(pairs, true, v),
            Shape::Seq(_, items) => visit_seq::<T, V>(items, v),
            Shape::Rich(x) => rich::map(x, v),
            s => Err(mismatch(&s, &v)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        // serde-pickle's forms: 'V', {'V': data}, ('V',), ('V', data).
        let shape = self.node.shape();
        match shape {
            Shape::Str(_) | Shape::StrT(_) => v.visit_enum(EnumDe {
                variant: self.node,
                data: None,
            }),
            Shape::Map(_, mut pairs) if pairs.len() == 1 => match pairs.next() {
                Some((variant, data)) => v.visit_enum(EnumDe {
                    variant,
                    data: Some(data),
                }),
                None => Err(mismatch(&shape_again(self.node), &v)),
            },
            Shape::Seq(_, mut items) if items.len() == 1 || items.len() == 2 => {
                match items.next() {
                    Some(variant) => v.visit_enum(EnumDe {
                        variant,
                        data: items.next(),
                    }),
                    None => Err(mismatch(&shape_again(self.node), &v)),
                }
            }
            Shape::Rich(x) => rich::any(x, v),
            s => Err(mismatch(&s, &v)),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        true
    }
}

/// The shape again, after an iterator was consumed (for error messages only).
#[cold]
fn shape_again<'de, 'a, T: Tree<'de, 'a>>(node: T) -> Shape<'de, 'a, T> {
    node.shape()
}

/// The path segment for the value under `key`: `.name` for a struct field, `['key']`,
/// `[3]` otherwise.
#[cold]
pub(crate) fn key_segment<'de, 'a, T: Tree<'de, 'a>>(key: T, fields: bool) -> String {
    let mut out = String::new();
    match key.shape() {
        Shape::Str(s) | Shape::StrT(s) => {
            let ident = !s.is_empty()
                && !s.starts_with(|c: char| c.is_ascii_digit())
                && s.chars().all(|c| c.is_alphanumeric() || c == '_');
            if fields && ident {
                out.push('.');
                out.push_str(s);
            } else {
                out.push('[');
                let _ = crate::value::repr::write_str(&mut out, s);
                out.push(']');
            }
        }
        Shape::Int(i) => {
            let _ = write!(out, "[{i}]");
        }
        Shape::Big(b) => {
            let _ = write!(out, "[{b}]");
        }
        Shape::Bool(b) => out.push_str(if b { "[True]" } else { "[False]" }),
        Shape::None => out.push_str("[None]"),
        Shape::Float(f) => {
            out.push('[');
            let _ = crate::value::repr::write_float(&mut out, f);
            out.push(']');
        }
        Shape::Bytes(b) | Shape::BytesT(b) => {
            out.push('[');
            let _ = crate::value::repr::write_bytes(&mut out, b);
            out.push(']');
        }
        Shape::Rich(v) => {
            let _ = write!(out, "[{v}]");
        }
        other => {
            let _ = write!(out, "[<{}>]", found(&other));
        }
    }
    out
}

struct SeqDe<I> {
    items: I,
    index: usize,
}

impl<'de, 'a, T: Tree<'de, 'a>, I: ExactSizeIterator<Item = T>> de::SeqAccess<'de> for SeqDe<I> {
    type Error = Error;

    #[inline]
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let i = self.index;
        self.index += 1;
        match seed.deserialize(De { node }) {
            Ok(x) => Ok(Some(x)),
            Err(e) => Err(e.in_path(&format!("[{i}]"))),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<P, T> {
    pairs: P,
    value: Option<(T, T)>,
    fields: bool,
}

impl<'de, 'a, T: Tree<'de, 'a>, P: ExactSizeIterator<Item = (T, T)>> de::MapAccess<'de>
    for MapDe<P, T>
{
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((k, v)) = self.pairs.next() else {
            return Ok(None);
        };
        self.value = Some((k, v));
        match seed.deserialize(De { node: k }) {
            Ok(x) => Ok(Some(x)),
            Err(e) => Err(e.in_path(&key_segment(k, self.fields))),
        }
    }

    #[inline]
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let Some((k, node)) = self.value.take() else {
            return Err(<Error as de::Error>::custom(
                "a map value was read before its key",
            ));
        };
        seed.deserialize(De { node })
            .map_err(|e| e.in_path(&key_segment(k, self.fields)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
}

struct EnumDe<T> {
    variant: T,
    data: Option<T>,
}

impl<'de, 'a, T: Tree<'de, 'a>> de::EnumAccess<'de> for EnumDe<T> {
    type Error = Error;
    type Variant = VariantDe<T>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, VariantDe<T>), Error> {
        let name = seed.deserialize(De { node: self.variant })?;
        Ok((
            name,
            VariantDe {
                variant: self.variant,
                data: self.data,
            },
        ))
    }
}

struct VariantDe<T> {
    variant: T,
    data: Option<T>,
}

impl<'de, 'a, T: Tree<'de, 'a>> VariantDe<T> {
    fn data(self, exp: &dyn Expected) -> Result<(T, String), Error> {
        let segment = key_segment(self.variant, true);
        match self.data {
            Some(d) => Ok((d, segment)),
            None => Err(<Error as de::Error>::invalid_type(
                Unexpected::UnitVariant,
                exp,
            )),
        }
    }
}

impl<'de, 'a, T: Tree<'de, 'a>> de::VariantAccess<'de> for VariantDe<T> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.data.map(|d| d.shape()) {
            None | Some(Shape::None) => Ok(()),
            Some(s) => Err(mismatch(&s, &"a unit variant")),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        let (node, seg) = self.data(&"a newtype variant")?;
        seed.deserialize(De { node }).map_err(|e| e.in_path(&seg))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        let (node, seg) = self.data(&"a tuple variant")?;
        De { node }.deserialize_seq(v).map_err(|e| e.in_path(&seg))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let (node, seg) = self.data(&"a struct variant")?;
        De { node }
            .deserialize_struct("", fields, v)
            .map_err(|e| e.in_path(&seg))
    }
}
