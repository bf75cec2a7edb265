//! [`SurrogateStr`]: a Python `str` that holds lone surrogate code points, which Rust's
//! `str` cannot.

use std::fmt;

/// A Python `str` holding at least one surrogate code point (U+D800 to U+DFFF), as
/// `os.listdir` returns for file names that are not valid UTF-8 (`'\udcff'`), which Rust's
/// `str` cannot hold. Strings without one are always [`crate::Value::Str`].
///
/// Held as Python's `s.encode('utf-8', 'surrogatepass')`: every code point in UTF-8, a
/// surrogate encoded on its own in three bytes (so `'\ud800\udc00'`, two code points, stays
/// two, unlike WTF-8). `Display` prints Python's `repr()`, e.g. `'\udcff.txt'`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SurrogateStr(Box<[u8]>);

/// One code point of a [`SurrogateStr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePoint {
    /// A Unicode scalar value.
    Char(char),
    /// A lone surrogate, U+D800 to U+DFFF.
    Surrogate(u16),
}

impl SurrogateStr {
    /// The string encoded by `bytes` (UTF-8 where a surrogate may be encoded on its own, as
    /// Python's `'surrogatepass'` error handler reads it), if it holds a surrogate; `None`
    /// if `bytes` is not such an encoding or holds no surrogate.
    pub fn from_surrogatepass(bytes: &[u8]) -> Option<SurrogateStr> {
        let mut any = false;
        for piece in Pieces(bytes) {
            match piece {
                Piece::Text(_) => {}
                Piece::Surrogate(_) => any = true,
                Piece::Invalid => return None,
            }
        }
        any.then(|| SurrogateStr(bytes.into()))
    }

    /// The code points in the `'surrogatepass'` UTF-8 encoding (what Python's
    /// `s.encode('utf-8', 'surrogatepass')` returns).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The code points, in order.
    pub fn code_points(&self) -> impl Iterator<Item = CodePoint> + '_ {
        Pieces(&self.0).flat_map(|p| {
            let (text, sur) = match p {
                Piece::Text(t) => (t, None),
                Piece::Surrogate(s) => ("", Some(CodePoint::Surrogate(s))),
                Piece::Invalid => ("", None),
            };
            text.chars().map(CodePoint::Char).chain(sur)
        })
    }

    /// Runs of text and the surrogates between them, in order.
    pub(crate) fn pieces(&self) -> impl Iterator<Item = Result<&str, u16>> + '_ {
        Pieces(&self.0).filter_map(|p| match p {
            Piece::Text(t) => Some(Ok(t)),
            Piece::Surrogate(s) => Some(Err(s)),
            Piece::Invalid => None,
        })
    }

    /// The text with every surrogate replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> String {
        self.pieces()
            .map(|p| p.unwrap_or("\u{fffd}"))
            .collect::<Vec<_>>()
            .concat()
    }
}

impl fmt::Display for SurrogateStr {
    /// Python's `repr()`: `'\ud800'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::repr::write_surrogate_str(f, self)
    }
}

enum Piece<'a> {
    Text(&'a str),
    Surrogate(u16),
    Invalid,
}

/// Splits surrogatepass UTF-8 into valid UTF-8 runs and surrogates.
struct Pieces<'a>(&'a [u8]);

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if self.0.is_empty() {
            return None;
        }
        match std::str::from_utf8(self.0) {
            Ok(s) => {
                self.0 = &[];
                Some(Piece::Text(s))
            }
            Err(e) if e.valid_up_to() > 0 => {
                let (ok, rest) = self.0.split_at(e.valid_up_to());
                self.0 = rest;
                // Valid up to here by from_utf8's word.
                Some(std::str::from_utf8(ok).map_or(Piece::Invalid, Piece::Text))
            }
            Err(_) => match *self.0 {
                [0xed, b1 @ 0xa0..=0xbf, b2 @ 0x80..=0xbf, ..] => {
                    self.0 = &self.0[3..];
                    let cp = 0xd000 | (u16::from(b1 & 0x3f) << 6) | u16::from(b2 & 0x3f);
                    Some(Piece::Surrogate(cp))
                }
                _ => {
                    self.0 = &[];
                    Some(Piece::Invalid)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogatepass_round_trip() {
        // '\ud800\udc00x\udcff'.encode('utf-8', 'surrogatepass') (CPython 3.11).
        let b = b"\xed\xa0\x80\xed\xb0\x80x\xed\xb3\xbf";
        let s = SurrogateStr::from_surrogatepass(b).unwrap();
        assert_eq!(
            s.code_points().collect::<Vec<_>>(),
            [
                CodePoint::Surrogate(0xd800),
                CodePoint::Surrogate(0xdc00),
                CodePoint::Char('x'),
                CodePoint::Surrogate(0xdcff)
            ]
        );
        assert_eq!(s.as_bytes(), b);
        assert_eq!(s.to_string_lossy(), "\u{fffd}\u{fffd}x\u{fffd}");
        assert!(SurrogateStr::from_surrogatepass(b"plain").is_none());
        assert!(SurrogateStr::from_surrogatepass(b"\xed\xa0").is_none());
        assert!(SurrogateStr::from_surrogatepass(b"\xff\xed\xa0\x80").is_none());
    }
}
