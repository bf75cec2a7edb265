//! The text arguments of protocol‑0 opcodes, parsed exactly as CPython's C unpickler
//! (`Modules/_pickle.c`) parses them.

use std::borrow::Cow;

use num_bigint::BigInt;

use crate::error::{Error, Result};
use crate::limits::Limit;

/// An integer decoded from the stream: small ones stay machine words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Int {
    /// Fits in an `i64`.
    Small(i64),
    /// Does not fit in an `i64`.
    Big(BigInt),
}

impl Int {
    /// Normalises a big integer: one that fits an `i64` becomes `Small`.
    pub(crate) fn from_big(b: BigInt) -> Int {
        match i64::try_from(&b) {
            Ok(v) => Int::Small(v),
            Err(_) => Int::Big(b),
        }
    }
}

/// C's `isspace` in the "C" locale, which is also CPython's `Py_ISSPACE` for ASCII.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The part of a line a C string function sees: everything before the first NUL.
fn c_string(line: &[u8]) -> &[u8] {
    match line.iter().position(|&b| b == 0) {
        Some(i) => &line[..i],
        None => line,
    }
}

/// `strtol(s, &end, 0)` where the whole text must be consumed; `None` where CPython would
/// fall back to `PyLong_FromString` (overflow, junk, no digits).
fn strtol_exact(s: &[u8]) -> Option<i64> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if let Some(&c) = s.get(i) {
        if c == b'+' || c == b'-' {
            neg = c == b'-';
            i += 1;
        }
    }
    let mut base = 10u32;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x' | b'X'))
            && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut acc: i128 = 0;
    while let Some(d) = s.get(i).and_then(|&c| char::from(c).to_digit(base)) {
        acc = acc * i128::from(base) + i128::from(d);
        if acc > i128::from(i64::MAX) + 1 {
            return None;
        }
        i += 1;
    }
    if i == start || i != s.len() {
        return None;
    }
    let v = if neg { -acc } else { acc };
    i64::try_from(v).ok()
}

/// `PyLong_FromString(s, NULL, base)` for base 0 or 10 (Python's `int(s, base)` syntax:
/// surrounding whitespace, a sign, `0x`/`0o`/`0b` prefixes for base 0, single underscores
/// between digits), with the decimal digit limit.
pub(crate) fn parse_py_int(s: &[u8], base0: bool, max_digits: u64) -> Result<Int> {
    let bad = || {
        Error::malformed(format!(
            "invalid literal for int() with base {}: {:?}",
            if base0 { 0 } else { 10 },
            String::from_utf8_lossy(s)
        ))
    };
    let mut t = s;
    while let [c, rest @ ..] = t {
        if is_c_space(*c) {
            t = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., c] = t {
        if is_c_space(*c) {
            t = rest;
        } else {
            break;
        }
    }
    let mut neg = false;
    if let [c @ (b'+' | b'-'), rest @ ..] = t {
        neg = *c == b'-';
        t = rest;
    }
    let mut radix = 10u32;
    let mut prefixed = false;
    if base0 {
        if let [b'0', p, rest @ ..] = t {
            let r = match p {
                b'x' | b'X' => 16,
                b'o' | b'O' => 8,
                b'b' | b'B' => 2,
                _ => 0,
            };
            if r != 0 {
                radix = r;
                prefixed = true;
                t = rest;
                if let [b'_', rest @ ..] = t {
                    t = rest;
                }
            }
        }
    }
    // Digits with single underscores between them.
    let mut digits = Vec::with_capacity(t.len().min(64));
    let mut prev_underscore = true;
    for &c in t {
        if c == b'_' {
            if prev_underscore {
                return Err(bad());
            }
            prev_underscore = true;
            continue;
        }
        if char::from(c).to_digit(radix).is_none() {
            return Err(bad());
        }
        digits.push(c);
        prev_underscore = false;
    }
    if digits.is_empty() || prev_underscore {
        return Err(bad());
    }
    // Base 0 forbids leading zeros in a non-zero decimal literal.
    if base0 && !prefixed && digits[0] == b'0' && digits.iter().any(|&d| d != b'0') {
        return Err(bad());
    }
    if radix == 10 && digits.len() as u64 > max_digits {
        return Err(Error::limit(Limit::Digits, max_digits));
    }
    if digits.len() <= 18 && radix == 10 {
        let mut v: i64 = 0;
        for &d in &digits {
            v = v * 10 + i64::from(d - b'0');
        }
        return Ok(Int::Small(if neg { -v } else { v }));
    }
    let mag = BigInt::parse_bytes(&digits, radix).ok_or_else(bad)?;
    Ok(Int::from_big(if neg { -mag } else { mag }))
}

/// What an INT line decodes to: CPython's `load_int`.
pub(crate) enum IntOrBool {
    Int(Int),
    Bool(bool),
}

/// INT's argument (the line without its newline): `strtol` first, `00`/`01`-style
/// three-byte lines give a bool, and anything `strtol` cannot take goes to Python's `int()`.
pub(crate) fn parse_int_line(line: &[u8], max_digits: u64) -> Result<IntOrBool> {
    let s = c_string(line);
    if let Some(x) = strtol_exact(s) {
        // CPython checks `len == 3` on the line including its newline.
        if line.len() == 2 && (x == 0 || x == 1) {
            return Ok(IntOrBool::Bool(x == 1));
        }
        return Ok(IntOrBool::Int(Int::Small(x)));
    }
    parse_py_int(s, true, max_digits).map(IntOrBool::Int)
}

/// LONG's argument: an optional trailing `L` is dropped, then Python's `int(s, 0)`.
pub(crate) fn parse_long_line(line: &[u8], max_digits: u64) -> Result<Int> {
    let s = match line.split_last() {
        Some((b'L', rest)) => rest,
        _ => line,
    };
    parse_py_int(c_string(s), true, max_digits)
}

/// GET and PUT's argument: Python's `int(s, 10)`.
pub(crate) fn parse_index_line(line: &[u8], max_digits: u64) -> Result<Int> {
    parse_py_int(c_string(line), false, max_digits)
}

/// FLOAT's argument: `PyOS_string_to_double` with the whole text consumed; overflow is an
/// error.
pub(crate) fn parse_float_line(line: &[u8]) -> Result<f64> {
    let s = c_string(line);
    let bad = || Error::malformed("could not convert string to float");
    let text = std::str::from_utf8(s).map_err(|_| bad())?;
    // Rust accepts exactly the decimal, inf/infinity and nan spellings that CPython does,
    // but not surrounding whitespace, which CPython rejects too.
    let v: f64 = text.parse().map_err(|_| bad())?;
    if v.is_infinite() {
        let t = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
        if t != "inf" && t != "infinity" {
            return Err(Error::malformed("float value out of range"));
        }
    }
    Ok(v)
}

/// Python's `int(line)` for bytes (base 10: surrounding whitespace, a sign, leading zeros,
/// single underscores between digits; nothing after the digits, not even a NUL), as
/// pickletools reads INT, LONG, GET and PUT: the bool hack of `read_decimalnl_short`
/// (`00` is False, `01` True) when `bools`, and LONG's one trailing `L` dropped when
/// `long`.
pub(crate) fn listing_int_line(
    line: &[u8],
    bools: bool,
    long: bool,
    max_digits: u64,
) -> Result<IntOrBool> {
    match line {
        b"00" if bools => return Ok(IntOrBool::Bool(false)),
        b"01" if bools => return Ok(IntOrBool::Bool(true)),
        _ => {}
    }
    let s = match line.split_last() {
        Some((b'L', rest)) if long => rest,
        _ => line,
    };
    parse_py_int(s, false, max_digits).map(IntOrBool::Int)
}

/// Python's `float(line)` for bytes, as pickletools reads FLOAT: surrounding whitespace and
/// single underscores between digits allowed; a value too large is infinite.
pub(crate) fn listing_float_line(line: &[u8]) -> Result<f64> {
    let bad = || Error::malformed("could not convert string to float");
    let mut t = line;
    while let [c, rest @ ..] = t {
        if !is_c_space(*c) {
            break;
        }
        t = rest;
    }
    while let [rest @ .., c] = t {
        if !is_c_space(*c) {
            break;
        }
        t = rest;
    }
    let mut text = String::with_capacity(t.len());
    for (i, &c) in t.iter().enumerate() {
        if c == b'_' {
            let digit = |j: Option<usize>| j.and_then(|j| t.get(j)).is_some_and(u8::is_ascii_digit);
            if !digit(i.checked_sub(1)) || !digit(i.checked_add(1)) {
                return Err(bad());
            }
            continue;
        }
        if !c.is_ascii() {
            return Err(bad());
        }
        text.push(char::from(c));
    }
    text.parse().map_err(|_| bad())
}

/// STRING's argument: quotes stripped, then `PyBytes_DecodeEscape`.
pub(crate) fn parse_string_line(line: &[u8]) -> Result<Cow<'_, [u8]>> {
    let inner = match line {
        [q @ (b'\'' | b'"'), inner @ .., last] if last == q => inner,
        _ => {
            return Err(Error::malformed(
                "the STRING opcode argument must be quoted",
            ))
        }
    };
    escape_decode(inner)
}

/// STRING's argument as pickletools reads it (`read_stringnl`): as [`parse_string_line`],
/// except that a lone quote is the empty string (its first and last character are the
/// same quote).
pub(crate) fn listing_string_line(line: &[u8]) -> Result<Cow<'_, [u8]>> {
    match line {
        [b'\'' | b'"'] => Ok(Cow::Borrowed(&[])),
        _ => parse_string_line(line),
    }
}

/// `codecs.escape_decode` (`PyBytes_DecodeEscape`).
pub(crate) fn escape_decode(inner: &[u8]) -> Result<Cow<'_, [u8]>> {
    if !inner.contains(&b'\\') {
        return Ok(Cow::Borrowed(inner));
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while let Some(&c) = inner.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = inner.get(i) else {
            return Err(Error::malformed("Trailing \\ in string"));
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match inner.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                // CPython keeps the low byte of an octal escape above \377.
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let hex = |b: Option<&u8>| b.and_then(|&b| char::from(b).to_digit(16));
                match (hex(inner.get(i)), hex(inner.get(i + 1))) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => {
                        return Err(Error::malformed(format!(
                            "invalid \\x escape at position {}",
                            i - 2
                        )))
                    }
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// A text argument decoded as CPython decodes it: a string, or (when it holds a lone
/// surrogate, which Rust's `str` cannot) its code points as surrogatepass UTF-8 (see
/// [`crate::value::SurrogateStr`]).
pub(crate) enum Text<'a> {
    Str(Cow<'a, str>),
    Surrogates(Vec<u8>),
}

/// Appends a code point to surrogatepass UTF-8.
fn push_code_point(out: &mut Vec<u8>, v: u32) {
    match char::from_u32(v) {
        Some(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        // A surrogate: UTF-8's three-byte form, which only surrogatepass allows.
        None => out.extend_from_slice(&[
            0xe0 | (v >> 12) as u8,
            0x80 | ((v >> 6) & 0x3f) as u8,
            0x80 | (v & 0x3f) as u8,
        ]),
    }
}

/// UNICODE's argument: `raw-unicode-escape` decoding (bytes are Latin‑1 code points;
/// `\uXXXX` and `\UXXXXXXXX` after an odd number of backslashes are escapes, and may
/// name lone surrogates).
pub(crate) fn parse_unicode_line(line: &[u8]) -> Result<Text<'_>> {
    if line.is_ascii() && !line.contains(&b'\\') {
        // ASCII is valid UTF-8.
        return Ok(Text::Str(Cow::Borrowed(
            std::str::from_utf8(line)
                .map_err(|_| Error::malformed("UNICODE argument is not ASCII"))?,
        )));
    }
    let mut out: Vec<u8> = Vec::with_capacity(line.len());
    let mut surrogates = false;
    let mut i = 0;
    while let Some(&c) = line.get(i) {
        if c != b'\\' {
            push_code_point(&mut out, u32::from(c));
            i += 1;
            continue;
        }
        let run_start = i;
        while line.get(i) == Some(&b'\\') {
            out.push(b'\\');
            i += 1;
        }
        let odd = (i - run_start) % 2 == 1;
        let count = match line.get(i) {
            Some(b'u') if odd => 4,
            Some(b'U') if odd => 8,
            _ => continue,
        };
        out.pop();
        i += 1;
        let mut v: u32 = 0;
        for _ in 0..count {
            let d = line
                .get(i)
                .and_then(|&b| char::from(b).to_digit(16))
                .ok_or_else(|| {
                    Error::malformed(if count == 4 {
                        "truncated \\uXXXX escape"
                    } else {
                        "truncated \\UXXXXXXXX escape"
                    })
                })?;
            v = v * 16 + d;
            i += 1;
        }
        if v > 0x10ffff {
            return Err(Error::malformed("\\Uxxxxxxxx out of range"));
        }
        surrogates |= (0xd800..0xe000).contains(&v);
        push_code_point(&mut out, v);
    }
    if surrogates {
        return Ok(Text::Surrogates(out));
    }
    String::from_utf8(out)
        .map(|s| Text::Str(Cow::Owned(s)))
        .map_err(|_| Error::malformed("invalid UNICODE argument"))
}

/// Strict UTF-8 (GLOBAL and INST lines, `encoding='utf-8'`): an encoded surrogate is
/// invalid too, as in CPython.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        Error::malformed(format!(
            "'utf-8' codec can't decode byte 0x{:02x} in position {at}",
            bytes.get(at).copied().unwrap_or(0)
        ))
    })
}

/// The BINUNICODE family's argument: UTF-8 with CPython's `surrogatepass` handler.
pub(crate) fn utf8_surrogatepass(b: Cow<'_, [u8]>) -> Result<Text<'_>> {
    let invalid = match b {
        Cow::Borrowed(x) => match std::str::from_utf8(x) {
            Ok(s) => return Ok(Text::Str(Cow::Borrowed(s))),
            Err(_) => x.to_vec(),
        },
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => return Ok(Text::Str(Cow::Owned(s))),
            Err(e) => e.into_bytes(),
        },
    };
    if crate::value::SurrogateStr::from_surrogatepass(&invalid).is_some() {
        return Ok(Text::Surrogates(invalid));
    }
    Err(utf8(&invalid)
        .err()
        .unwrap_or_else(|| Error::malformed("invalid UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(line: &str) -> Option<i64> {
        match parse_int_line(line.as_bytes(), 4300).ok()? {
            IntOrBool::Int(Int::Small(v)) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn int_lines_follow_strtol_then_python_int() {
        // Expected values: CPython 3.11 `pickle.loads(b"I" + line + b"\n.")`.
        assert_eq!(int("12"), Some(12));
        assert_eq!(int(" -7"), Some(-7));
        assert_eq!(int("010"), Some(8));
        assert_eq!(int("0x1f"), Some(31));
        assert_eq!(int("1_000"), Some(1000));
        assert_eq!(int("1"), Some(1));
        assert!(matches!(
            parse_int_line(b"01", 4300),
            Ok(IntOrBool::Bool(true))
        ));
        assert!(matches!(
            parse_int_line(b"00", 4300),
            Ok(IntOrBool::Bool(false))
        ));
        assert!(parse_int_line(b"junk", 4300).is_err());
        assert!(parse_int_line(b"08", 4300).is_err());
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            parse_string_line(b"'a\\x41\\101\\n\\q'").unwrap().as_ref(),
            b"aAA\n\\q"
        );
        assert!(parse_string_line(b"abc").is_err());
        assert!(parse_string_line(b"'abc\"").is_err());
        assert!(parse_string_line(b"'\\x4'").is_err());
    }

    fn text(line: &[u8]) -> Option<String> {
        match parse_unicode_line(line).ok()? {
            Text::Str(s) => Some(s.into_owned()),
            Text::Surrogates(_) => None,
        }
    }

    #[test]
    fn raw_unicode_escape() {
        // Expected values: CPython 3.11 `line.decode('raw-unicode-escape')`.
        assert_eq!(text(b"caf\\u00e9").unwrap(), "café");
        assert_eq!(text(b"a\\\\u0041").unwrap(), "a\\\\u0041");
        assert_eq!(text(b"\xe9").unwrap(), "é");
        assert!(parse_unicode_line(b"\\u12").is_err());
        assert!(parse_unicode_line(b"\\U00110000").is_err());
        // '\ud800\udc00x': two surrogates stay two code points.
        assert!(matches!(
            parse_unicode_line(b"\\ud800\\udc00x"),
            Ok(Text::Surrogates(b)) if b == b"\xed\xa0\x80\xed\xb0\x80x"
        ));
    }
}
