//! A loaded [`Value`] as JSON (what `unpickle show --json` prints), with no dependency.
//!
//! JSON's own types are written as themselves: None is `null`, bools, ints that fit an
//! `i64` and finite floats are numbers, `str` is a string, a `list` an array, and a `dict`
//! whose keys are all `str` an object (in the dict's order). Everything JSON lacks is an
//! object with one key naming the Python type after a `$`:
//!
//! | Python | JSON |
//! |---|---|
//! | int beyond `i64` | `{"$int": "1267650600228229401496703205376"}` |
//! | float NaN, ±infinity | `{"$float": "nan"}`, `{"$float": "inf"}`, `{"$float": "-inf"}` |
//! | complex | `{"$complex": [1.0, -2.0]}` |
//! | bytes, bytearray | `{"$bytes": "AP9h"}`, `{"$bytearray": "eHk="}` (base64) |
//! | tuple, set, frozenset, deque | `{"$tuple": [1, 2]}`, `{"$set": […]}`, `{"$frozenset": […]}`, `{"$deque": […]}` |
//! | dict with a key that is not a `str`, or whose only key starts with `$` | `{"$dict": [[key, value], …]}` |
//! | OrderedDict, defaultdict, Counter | `{"$OrderedDict": [[key, value], …]}`, `{"$defaultdict": …}`, `{"$Counter": …}` |
//! | an inert global | `{"$global": "os.system"}` |
//! | an inert object | `{"$object": "os.system('ls ~')"}` (its `repr`, see [`crate::value::Object`]) |
//! | any other type (datetime, Decimal, UUID, numpy …) | `{"$repr": "datetime.date(2024, 1, 2)"}` |
//!
//! So a JSON object is a `dict` of `str` keys exactly when it has no single `$` key, and
//! nothing is lost but the exact types behind `$repr`. Nesting is bounded by the loader's
//! depth limit.

use std::fmt::{self, Write};

use crate::value::{Dict, Value};

/// `v` as JSON, on one line.
///
/// ```
/// // pickle.dumps({'a': (1, b'\x00'), 2: float('nan')}, protocol=4)
/// let v = unpickle::from_slice(b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K\x01C\x01\x00\x94\x86\x94K\x02G\x7f\xf8\x00\x00\x00\x00\x00\x00u.").unwrap();
/// assert_eq!(
///     unpickle::json::to_string(&v),
///     r#"{"$dict": [["a", {"$tuple": [1, {"$bytes": "AA=="}]}], [2, {"$float": "nan"}]]}"#
/// );
/// ```
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write(&mut out, v);
    out
}

/// Writes `v` as JSON into `out`.
///
/// # Errors
/// Only those of `out`.
pub fn write<W: Write + ?Sized>(out: &mut W, v: &Value) -> fmt::Result {
    match v {
        Value::None => out.write_str("null"),
        Value::Bool(b) => out.write_str(if *b { "true" } else { "false" }),
        Value::Int(i) => write!(out, "{i}"),
        Value::BigInt(b) => write!(out, "{{\"$int\": \"{b}\"}}"),
        Value::Float(f) => write_float(out, *f),
        Value::Complex(c) => {
            out.write_str("{\"$complex\": [")?;
            write_float(out, c.re)?;
            out.write_str(", ")?;
            write_float(out, c.im)?;
            out.write_str("]}")
        }
        Value::Str(s) => write_str(out, s),
        Value::Bytes(b) => tagged(out, "bytes", |o| write_base64(o, b)),
        Value::ByteArray(b) => tagged(out, "bytearray", |o| write_base64(o, b)),
        Value::List(items) => write_array(out, items.iter()),
        Value::Tuple(items) => tagged(out, "tuple", |o| write_array(o, items.iter())),
        Value::Set(s) => tagged(out, "set", |o| write_array(o, s.iter().map(|k| k.value()))),
        Value::FrozenSet(s) => tagged(out, "frozenset", |o| {
            write_array(o, s.iter().map(|k| k.value()))
        }),
        Value::Deque(d) => tagged(out, "deque", |o| write_array(o, d.items().iter())),
        Value::Dict(d) => {
            let plain = d.keys().all(|k| matches!(k.value(), Value::Str(_)))
                && !(d.len() == 1
                    && d.keys()
                        .next()
                        .and_then(|k| k.value().as_str())
                        .is_some_and(|k| k.starts_with('$')));
            if plain {
                write_object(out, d)
            } else {
                tagged(out, "dict", |o| write_pairs(o, d))
            }
        }
        Value::OrderedDict(d) => tagged(out, "OrderedDict", |o| write_pairs(o, d)),
        Value::Counter(d) => tagged(out, "Counter", |o| write_pairs(o, d)),
        Value::DefaultDict(d) => tagged(out, "defaultdict", |o| write_pairs(o, d.dict())),
        Value::Global(g) => tagged(out, "global", |o| write_str(o, &g.dotted())),
        Value::Object(_) => tagged(out, "object", |o| write_str(o, &v.to_string())),
        other => tagged(out, "repr", |o| write_str(o, &other.to_string())),
    }
}

fn tagged<W: Write + ?Sized>(
    out: &mut W,
    tag: &str,
    body: impl FnOnce(&mut W) -> fmt::Result,
) -> fmt::Result {
    write!(out, "{{\"${tag}\": ")?;
    body(out)?;
    out.write_char('}')
}

fn write_float<W: Write + ?Sized>(out: &mut W, f: f64) -> fmt::Result {
    if f.is_nan() {
        out.write_str("{\"$float\": \"nan\"}")
    } else if f.is_infinite() {
        let sign = if f < 0.0 { "-" } else { "" };
        write!(out, "{{\"$float\": \"{sign}inf\"}}")
    } else {
        // Python's repr of a finite float is a JSON number (`1e+300`, `-0.0`).
        crate::value::repr::write_float(out, f)
    }
}

fn write_array<'v, W: Write + ?Sized>(
    out: &mut W,
    items: impl Iterator<Item = &'v Value>,
) -> fmt::Result {
    out.write_char('[')?;
    for (i, x) in items.enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        write(out, x)?;
    }
    out.write_char(']')
}

fn write_pairs<W: Write + ?Sized>(out: &mut W, d: &Dict) -> fmt::Result {
    out.write_char('[')?;
    for (i, (k, v)) in d.iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        out.write_char('[')?;
        write(out, k.value())?;
        out.write_str(", ")?;
        write(out, v)?;
        out.write_char(']')?;
    }
    out.write_char(']')
}

fn write_object<W: Write + ?Sized>(out: &mut W, d: &Dict) -> fmt::Result {
    out.write_char('{')?;
    for (i, (k, v)) in d.iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        write(out, k.value())?;
        out.write_str(": ")?;
        write(out, v)?;
    }
    out.write_char('}')
}

/// A JSON string escaped exactly as `serde_json` escapes it: `"` and `\`, the short forms
/// `\n \r \t \b \f`, other control characters as `\u00XX`, the rest as is (the
/// safetensors header writer relies on the sameness to match that crate's bytes).
pub(crate) fn write_str<W: Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    out.write_char('"')?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.write_str(&s[start..i])?;
        if esc.is_empty() {
            write!(out, "\\u{:04x}", c as u32)?;
        } else {
            out.write_str(esc)?;
        }
        start = i + c.len_utf8();
    }
    out.write_str(&s[start..])?;
    out.write_char('"')
}

/// Standard base64 with padding (RFC 4648), in a JSON string.
fn write_base64<W: Write + ?Sized>(out: &mut W, b: &[u8]) -> fmt::Result {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.write_char('"')?;
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &x)| n | u32::from(x) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = (n >> (18 - 6 * i)) & 63;
                out.write_char(char::from(ALPHABET[idx as usize]))?;
            } else {
                out.write_char('=')?;
            }
        }
    }
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        // RFC 4648 section 10.
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut s = String::new();
            write_base64(&mut s, raw.as_bytes()).unwrap();
            assert_eq!(s, format!("\"{enc}\""));
        }
    }

    #[test]
    fn strings_escape_what_json_requires() {
        let mut s = String::new();
        write_str(&mut s, "a\"b\\c\nd\u{1}é\u{8}\u{c}\u{7f}").unwrap();
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001é\\b\\f\u{7f}\"");
    }
}
