//! The documented serde forms of the values that are neither JSON-like data nor
//! containers: the stdlib types and numpy values presets construct, and the inert globals
//! and objects a policy keeps (which are errors naming the global). See the table in
//! [`super`].

use std::fmt::Write as _;

use num_bigint::BigInt;
use serde::de::{self, Deserializer, IntoDeserializer, Visitor};

use super::de::visit_big;
use crate::error::Error;
use crate::value::ndarray::f16_to_f64;
use crate::value::{DecimalKind, DtypeKind, NdArray, TimeDelta, TimeZone, TzInfo, Value};

/// What the caller asked for, which picks among a value's forms.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    Any,
    Str,
    Bytes,
    Map,
}

/// A small owned value holding a rich value's form.
pub(crate) enum Mini {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Big(BigInt),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Seq(Vec<Mini>),
    Map(Vec<(&'static str, Mini)>),
}

/// How the errors and paths describe a rich value.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Global(_) | Value::Object(_) => format!("inert object {}", inert_name(v)),
        Value::NdArray(a) => format!("ndarray of shape {:?}", a.shape()),
        other => other.type_name().to_string(),
    }
}

/// The dotted name of the global an inert value calls (following calls of calls).
fn inert_name(mut v: &Value) -> String {
    loop {
        match v {
            Value::Global(g) => return g.dotted(),
            Value::Object(o) => v = &o.callable,
            other => return other.type_name().to_string(),
        }
    }
}

fn form(v: &Value, want: Want) -> Result<Mini, Error> {
    Ok(match v {
        Value::Global(_) | Value::Object(_) => {
            return Err(<Error as de::Error>::custom(format!(
                "found an inert object: the pickle calls {}, which the policy kept as a name \
                 without calling it; nothing to deserialize",
                inert_name(v)
            )))
        }
        Value::Date(d) => Mini::Str(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
        Value::Time(t) => {
            let mut s = String::new();
            iso_time(
                &mut s,
                t.hour(),
                t.minute(),
                t.second(),
                t.microsecond(),
                t.tzinfo(),
            )?;
            Mini::Str(s)
        }
        Value::DateTime(t) => {
            let mut s = format!("{:04}-{:02}-{:02}T", t.year(), t.month(), t.day());
            iso_time(
                &mut s,
                t.hour(),
                t.minute(),
                t.second(),
                t.microsecond(),
                t.tzinfo(),
            )?;
            Mini::Str(s)
        }
        Value::TimeDelta(d) => Mini::Seq(vec![
            Mini::Int(d.days().into()),
            Mini::Int(d.seconds().into()),
            Mini::Int(d.microseconds().into()),
        ]),
        Value::TimeZone(tz) => Mini::Str(tz_str(tz)),
        Value::Decimal(d) => Mini::Str(decimal_str(d.is_negative(), d.kind())),
        Value::Fraction(f) => Mini::Seq(vec![
            Mini::Big(f.numerator().clone()),
            Mini::Big(f.denominator().clone()),
        ]),
        Value::Uuid(u) if want == Want::Bytes => Mini::Bytes(u.as_bytes().to_vec()),
        Value::Uuid(u) => {
            let h = format!("{:032x}", u.as_u128());
            Mini::Str(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            ))
        }
        Value::Dtype(d) => Mini::Str(d.descr()),
        Value::NumpyScalar(a) => match elements(a)?.pop() {
            Some(x) => x,
            None => return Err(<Error as de::Error>::custom("empty numpy scalar")),
        },
        Value::NdArray(a) if want == Want::Map => Mini::Map(vec![
            ("dtype", Mini::Str(a.dtype().descr())),
            (
                "shape",
                Mini::Seq(a.shape().iter().map(|&n| Mini::UInt(n as u64)).collect()),
            ),
            ("data", Mini::Seq(elements(a)?)),
        ]),
        Value::NdArray(a) => Mini::Seq(elements(a)?),
        other => {
            return Err(<Error as de::Error>::custom(format!(
                "a Python {} has no serde form",
                other.type_name()
            )))
        }
    })
}

/// `HH:MM:SS[.ffffff][+HH:MM[:SS[.ffffff]]]`, as Python's `isoformat()`.
fn iso_time(
    s: &mut String,
    h: u8,
    m: u8,
    sec: u8,
    us: u32,
    tz: Option<&TzInfo>,
) -> Result<(), Error> {
    let _ = write!(s, "{h:02}:{m:02}:{sec:02}");
    if us != 0 {
        let _ = write!(s, ".{us:06}");
    }
    match tz {
        None => {}
        Some(TzInfo::TimeZone(tz)) => offset_str(s, tz.offset()),
        Some(TzInfo::Other(v)) => {
            return Err(<Error as de::Error>::custom(format!(
                "a time zone the policy kept inert ({}) has no fixed offset",
                inert_name(v)
            )))
        }
    }
    Ok(())
}

/// `+HH:MM[:SS[.ffffff]]`, as Python writes a UTC offset.
fn offset_str(s: &mut String, d: TimeDelta) {
    let total = d.total_microseconds();
    let sign = if total < 0 { '-' } else { '+' };
    let t = total.unsigned_abs();
    let (us, secs) = (t % 1_000_000, t / 1_000_000);
    let _ = write!(s, "{sign}{:02}:{:02}", secs / 3600, secs / 60 % 60);
    if secs % 60 != 0 || us != 0 {
        let _ = write!(s, ":{:02}", secs % 60);
    }
    if us != 0 {
        let _ = write!(s, ".{us:06}");
    }
}

/// Python's `str(timezone)`: its name, `UTC`, or `UTC+HH:MM`.
fn tz_str(tz: &TimeZone) -> String {
    if let Some(n) = tz.name() {
        return n.to_string();
    }
    let mut s = String::from("UTC");
    if tz.offset().total_microseconds() != 0 {
        offset_str(&mut s, tz.offset());
    }
    s
}

/// Python's `str(Decimal)`.
fn decimal_str(negative: bool, kind: &DecimalKind) -> String {
    let mut s = String::new();
    if negative {
        s.push('-');
    }
    match kind {
        DecimalKind::Infinity => s.push_str("Infinity"),
        DecimalKind::NaN(p) => {
            s.push_str("NaN");
            s.push_str(p);
        }
        DecimalKind::SNaN(p) => {
            s.push_str("sNaN");
            s.push_str(p);
        }
        DecimalKind::Finite {
            coefficient,
            exponent,
        } => {
            let digits = coefficient.len() as i64;
            let adjusted = exponent + digits - 1;
            if *exponent <= 0 && adjusted >= -6 {
                if *exponent == 0 {
                    s.push_str(coefficient);
                } else {
                    let point = digits + exponent;
                    if point <= 0 {
                        s.push_str("0.");
                        s.extend(std::iter::repeat_n('0', (-point) as usize));
                        s.push_str(coefficient);
                    } else {
                        let (a, b) = coefficient.split_at(point as usize);
                        s.push_str(a);
                        s.push('.');
                        s.push_str(b);
                    }
                }
            } else {
                let (a, b) = coefficient.split_at(1);
                s.push_str(a);
                if !b.is_empty() {
                    s.push('.');
                    s.push_str(b);
                }
                let _ = write!(
                    s,
                    "E{}{}",
                    if adjusted < 0 { '-' } else { '+' },
                    adjusted.abs()
                );
            }
        }
    }
    s
}

/// The elements of a numeric numpy array in C (row-major) order.
fn elements(a: &NdArray) -> Result<Vec<Mini>, Error> {
    let Some(raw) = a.raw_bytes() else {
        return Err(<Error as de::Error>::custom("not a numeric array"));
    };
    let dt = a.dtype();
    let size = dt.itemsize();
    let little = dt.byteorder() != crate::value::ByteOrder::Big;
    let word = |b: &[u8]| -> u64 {
        let mut buf = [0u8; 8];
        if little {
            buf[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(buf)
        } else {
            buf[8 - b.len()..].copy_from_slice(b);
            u64::from_be_bytes(buf)
        }
    };
    let one = |b: &[u8]| -> Result<Mini, Error> {
        let bits = 8 * b.len() as u32;
        Ok(match (dt.kind(), b.len()) {
            (DtypeKind::Bool, 1) => Mini::Bool(b[0] != 0),
            (DtypeKind::Int | DtypeKind::Datetime | DtypeKind::Timedelta, 1..=8) => {
                let shift = 64 - bits;
                Mini::Int(((word(b) << shift) as i64) >> shift)
            }
            (DtypeKind::UInt, 1..=8) => Mini::UInt(word(b)),
            (DtypeKind::Float, 2) => Mini::Float(f16_to_f64(word(b) as u16)),
            (DtypeKind::Float, 4) => Mini::Float(f64::from(f32::from_bits(word(b) as u32))),
            (DtypeKind::Float, 8) => Mini::Float(f64::from_bits(word(b))),
            (DtypeKind::Complex, 8 | 16) => {
                let h = b.len() / 2;
                let part = |p: &[u8]| {
                    if h == 4 {
                        f64::from(f32::from_bits(word(p) as u32))
                    } else {
                        f64::from_bits(word(p))
                    }
                };
                Mini::Seq(vec![Mini::Float(part(&b[..h])), Mini::Float(part(&b[h..]))])
            }
            _ => {
                return Err(<Error as de::Error>::custom(format!(
                    "numpy arrays of dtype {} have no serde form",
                    dt.descr()
                )))
            }
        })
    };
    let n = a.len();
    let mut out = Vec::with_capacity(n);
    let shape = a.shape();
    for i in 0..n {
        // The element's position in memory: C order as it is, Fortran order reversed.
        let at = if a.is_fortran() && shape.len() > 1 {
            let (mut rest, mut pos, mut stride) = (i, 0usize, 1usize);
            let mut idx = vec![0usize; shape.len()];
            for (d, &len) in shape.iter().enumerate().rev() {
                idx[d] = rest % len.max(1);
                rest /= len.max(1);
            }
            for (d, &len) in shape.iter().enumerate() {
                pos += idx[d] * stride;
                stride *= len;
            }
            pos
        } else {
            i
        };
        let b = raw
            .get(at * size..(at + 1) * size)
            .ok_or_else(|| <Error as de::Error>::custom("array data shorter than its shape"))?;
        out.push(one(b)?);
    }
    Ok(out)
}

pub(crate) fn any<'de, V: Visitor<'de>>(x: &Value, v: V) -> Result<V::Value, Error> {
    form(x, Want::Any)?.deserialize_any(v)
}

pub(crate) fn string<'de, V: Visitor<'de>>(x: &Value, v: V) -> Result<V::Value, Error> {
    form(x, Want::Str)?.deserialize_any(v)
}

pub(crate) fn bytes<'de, V: Visitor<'de>>(x: &Value, v: V) -> Result<V::Value, Error> {
    form(x, Want::Bytes)?.deserialize_any(v)
}

pub(crate) fn seq<'de, V: Visitor<'de>>(x: &Value, v: V) -> Result<V::Value, Error> {
    form(x, Want::Any)?.deserialize_any(v)
}

pub(crate) fn map<'de, V: Visitor<'de>>(x: &Value, v: V) -> Result<V::Value, Error> {
    form(x, Want::Map)?.deserialize_any(v)
}

impl<'de> Deserializer<'de> for Mini {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Mini::Bool(b) => v.visit_bool(b),
            Mini::Int(i) => v.visit_i64(i),
            Mini::UInt(u) => v.visit_u64(u),
            Mini::Big(b) => match i64::try_from(&b) {
                Ok(i) => v.visit_i64(i),
                Err(_) => visit_big(&b, v),
            },
            Mini::Float(f) => v.visit_f64(f),
            Mini::Str(s) => v.visit_string(s),
            Mini::Bytes(b) => v.visit_byte_buf(b),
            Mini::Seq(items) => {
                let mut seq = de::value::SeqDeserializer::new(items.into_iter());
                let out = v.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Mini::Map(pairs) => {
                let mut map = de::value::MapDeserializer::new(pairs.into_iter());
                let out = v.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for Mini {
    type Deserializer = Mini;
    fn into_deserializer(self) -> Mini {
        self
    }
}

/// A sequence of plain scalars: a complex number's parts, or `bytes` read as `u8`s.
pub(crate) struct Scalars<I>(I);

impl<'f> Scalars<std::iter::Map<std::slice::Iter<'f, f64>, fn(&f64) -> Mini>> {
    /// Floats (a complex number's parts).
    pub fn floats(items: &'f [f64]) -> Self {
        Scalars(items.iter().map(|&f| Mini::Float(f)))
    }
}

impl<'b> Scalars<std::iter::Map<std::slice::Iter<'b, u8>, fn(&u8) -> Mini>> {
    /// `bytes` as a sequence of `u8`.
    pub fn bytes(items: &'b [u8]) -> Self {
        Scalars(items.iter().map(|&b| Mini::UInt(b.into())))
    }
}

impl<'de, I: ExactSizeIterator<Item = Mini>> de::SeqAccess<'de> for Scalars<I> {
    type Error = Error;
    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        match self.0.next() {
            Some(m) => seed.deserialize(m).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// Writes a rich value in its documented form (numpy arrays as `{dtype, shape, data}`).
pub(crate) fn serialize<S: serde::Serializer>(x: &Value, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match form(x, Want::Map) {
        Ok(m) => m.serialize(s),
        Err(e) => Err(super::ser::custom::<S>(e.to_string())),
    }
}

impl serde::Serialize for Mini {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Mini::Bool(b) => s.serialize_bool(*b),
            Mini::Int(i) => s.serialize_i64(*i),
            Mini::UInt(u) => s.serialize_u64(*u),
            Mini::Big(b) => match (i128::try_from(b), u128::try_from(b)) {
                (Ok(i), _) => s.serialize_i128(i),
                (_, Ok(u)) => s.serialize_u128(u),
                _ => s.serialize_str(&b.to_string()),
            },
            Mini::Float(f) => s.serialize_f64(*f),
            Mini::Str(x) => s.serialize_str(x),
            Mini::Bytes(b) => s.serialize_bytes(b),
            Mini::Seq(items) => s.collect_seq(items),
            Mini::Map(pairs) => {
                let mut m = s.serialize_map(Some(pairs.len()))?;
                for (k, v) in pairs {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}
