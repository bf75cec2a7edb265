//! `.npy` files (numpy's `np.save` format, versions 1.0, 2.0 and 3.0): the header is parsed
//! strictly, by a small parser of its own (never evaluated), and the data becomes a typed
//! [`NdArray`]. Object arrays are stored as a pickle after the header; it is loaded with the
//! caller's [`Unpickler`] and its policy — a safe `np.load(allow_pickle=True)`.
//!
//! ```
//! use unpickle::{npy, presets, Unpickler};
//! // np.save of np.array([1.5, 2.0])
//! let mut file = b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".to_vec();
//! file.resize(127, b' ');
//! file.push(b'\n');
//! file.extend_from_slice(&1.5f64.to_le_bytes());
//! file.extend_from_slice(&2.0f64.to_le_bytes());
//! let array = npy::load(&file, &Unpickler::new().policy(presets::numpy())).unwrap();
//! assert_eq!(array.to_f64().unwrap(), vec![1.5, 2.0]);
//! ```

use crate::error::{Error, Result};
use crate::load::Unpickler;
use crate::value::ndarray::{element_count, MAX_DIMS};
use crate::value::{Dtype, DtypeKind, NdArray, Value};

/// The magic string every `.npy` file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The parsed header of a `.npy` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// The format version, `(1, 0)`, `(2, 0)` or `(3, 0)`.
    pub version: (u8, u8),
    /// The dtype named by `descr`.
    pub dtype: Dtype,
    /// `fortran_order`.
    pub fortran_order: bool,
    /// `shape`.
    pub shape: Vec<usize>,
    /// Where the data starts (the header's end).
    pub data_offset: usize,
}

fn bad(offset: usize, msg: impl Into<String>) -> Error {
    Error::malformed(format!("npy: {}", msg.into())).at(offset as u64, None)
}

/// Parses the header of a `.npy` file.
///
/// # Errors
/// [`crate::ErrorKind::Truncated`] if `data` ends inside the header;
/// [`crate::ErrorKind::Malformed`] for a wrong magic string, an unknown version, a header
/// that is not exactly the dict numpy writes (`descr`, `fortran_order`, `shape`), a dtype
/// that does not parse, or a negative or oversized shape.
pub fn parse_header(data: &[u8]) -> Result<Header> {
    if data.len() < 8 {
        return Err(Error::truncated("npy: file shorter than its preamble"));
    }
    if data.get(..6) != Some(MAGIC.as_slice()) {
        return Err(bad(0, "not a .npy file (bad magic string)"));
    }
    let version = (
        data.get(6).copied().unwrap_or(0),
        data.get(7).copied().unwrap_or(0),
    );
    let short = || Error::truncated("npy: file ends inside the header length");
    let (len, start): (usize, usize) = match version {
        (1, 0) => {
            let b: [u8; 2] = data
                .get(8..10)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(short)?;
            (usize::from(u16::from_le_bytes(b)), 10)
        }
        (2, 0) | (3, 0) => {
            let b: [u8; 4] = data
                .get(8..12)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(short)?;
            let n = u32::from_le_bytes(b);
            (
                usize::try_from(n).map_err(|_| bad(8, "header too long"))?,
                12,
            )
        }
        (major, minor) => return Err(bad(6, format!("unsupported version {major}.{minor}"))),
    };
    let end = start
        .checked_add(len)
        .ok_or_else(|| bad(8, "header too long"))?;
    let raw = data
        .get(start..end)
        .ok_or_else(|| Error::truncated("npy: file ends inside the header"))?;
    let text: String = if version.0 == 3 {
        std::str::from_utf8(raw)
            .map_err(|_| bad(start, "header is not UTF-8"))?
            .to_owned()
    } else {
        raw.iter().map(|&b| char::from(b)).collect()
    };
    let (descr, fortran_order, shape) =
        parse_dict(&text).map_err(|m| bad(start, format!("bad header: {m}")))?;
    let dtype = Dtype::from_descr(&descr).map_err(|m| bad(start, m))?;
    Ok(Header {
        version,
        dtype,
        fortran_order,
        shape,
        data_offset: end,
    })
}

/// Loads the array of a `.npy` file. Raw data must be exactly `prod(shape) × itemsize`
/// bytes; object arrays are loaded from the pickle that follows the header with `loader`
/// (give it [`crate::presets::numpy`] or a policy built on it), which must yield an array of
/// the header's shape.
///
/// Every offset in an error counts from the start of the file, also for errors in an
/// object array's pickle.
///
/// # Errors
/// As [`parse_header`]; [`crate::ErrorKind::Malformed`] when the data length does not match
/// the header; any error of the pickle load for object arrays.
pub fn load(data: &[u8], loader: &Unpickler) -> Result<NdArray> {
    let h = parse_header(data)?;
    let body = data.get(h.data_offset..).unwrap_or_default();
    if h.dtype.kind() == DtypeKind::Object {
        // The pickle starts at `data_offset`: its errors' offsets are moved there, so
        // every offset counts from the start of the file.
        let value = loader
            .load_slice(body)
            .map_err(|e| e.offset_by(h.data_offset as u64))?;
        return match value {
            Value::NdArray(a) if a.shape() == h.shape.as_slice() => Ok(*a),
            Value::NdArray(a) => Err(bad(
                h.data_offset,
                format!(
                    "pickled array of shape {:?}, header says {:?}",
                    a.shape(),
                    h.shape
                ),
            )),
            other => Err(bad(
                h.data_offset,
                format!("pickle holds a '{}', not an array", other.type_name()),
            )),
        };
    }
    let expected = element_count(&h.shape)
        .ok()
        .and_then(|n| n.checked_mul(h.dtype.itemsize()))
        .ok_or_else(|| bad(h.data_offset, "shape × itemsize overflows"))?;
    if body.len() < expected {
        return Err(Error::truncated(format!(
            "npy: {} data bytes, the header implies {expected}",
            body.len()
        )));
    }
    if body.len() > expected {
        return Err(bad(
            h.data_offset,
            format!("{} data bytes, the header implies {expected}", body.len()),
        ));
    }
    NdArray::from_bytes(h.dtype, h.shape, h.fortran_order, body.to_vec())
        .map_err(|m| bad(h.data_offset, m))
}

/// A tiny scanner over the header text.
struct Scan<'a> {
    s: &'a str,
}

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        self.s = self.s.trim_start_matches([' ', '\t']);
    }

    fn eat(&mut self, token: &str) -> bool {
        self.ws();
        match self.s.strip_prefix(token) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!(
                "expected {token:?} at {:?}",
                self.s.get(..20).unwrap_or(self.s)
            ))
        }
    }

    /// A Python string literal in single or double quotes, without escapes.
    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let quote = self.s.chars().next().filter(|c| *c == '\'' || *c == '"');
        let quote = quote.ok_or("expected a string")?;
        let rest = self.s.get(1..).unwrap_or("");
        let end = rest.find(quote).ok_or("unterminated string")?;
        let body = rest.get(..end).unwrap_or("");
        if body.contains('\\') {
            return Err("escapes are not supported in header strings".to_owned());
        }
        self.s = rest.get(end + 1..).unwrap_or("");
        Ok(body.to_owned())
    }

    fn int(&mut self) -> Result<usize, String> {
        self.ws();
        if self.s.starts_with('-') {
            return Err("negative dimensions are not allowed".to_owned());
        }
        let end = self
            .s
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.s.len());
        let digits = self.s.get(..end).unwrap_or("");
        if digits.is_empty() || digits.len() > 19 {
            return Err("expected a dimension".to_owned());
        }
        let n = digits
            .parse()
            .map_err(|_| "dimension too large".to_owned())?;
        self.s = self.s.get(end..).unwrap_or("");
        // Python 2's numpy wrote longs as `3L`.
        self.eat("L");
        Ok(n)
    }

    fn shape(&mut self) -> Result<Vec<usize>, String> {
        self.expect("(")?;
        let mut dims = Vec::new();
        loop {
            if self.eat(")") {
                break;
            }
            if dims.len() >= MAX_DIMS {
                return Err(format!("more than {MAX_DIMS} dimensions"));
            }
            dims.push(self.int()?);
            if self.eat(")") {
                if dims.len() == 1 {
                    return Err("a 1-tuple needs a trailing comma".to_owned());
                }
                break;
            }
            self.expect(",")?;
        }
        Ok(dims)
    }
}

/// Parses `{'descr': …, 'fortran_order': …, 'shape': (…), }` followed by spaces and a
/// newline.
fn parse_dict(text: &str) -> Result<(String, bool, Vec<usize>), String> {
    let mut sc = Scan { s: text };
    sc.expect("{")?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        if sc.eat("}") {
            break;
        }
        let key = sc.string()?;
        sc.expect(":")?;
        match key.as_str() {
            "descr" if descr.is_none() => {
                sc.ws();
                if sc.s.starts_with('[') {
                    return Err("structured descr lists are not supported".to_owned());
                }
                descr = Some(sc.string()?);
            }
            "fortran_order" if fortran.is_none() => {
                fortran = Some(if sc.eat("True") {
                    true
                } else if sc.eat("False") {
                    false
                } else {
                    return Err("fortran_order must be True or False".to_owned());
                });
            }
            "shape" if shape.is_none() => shape = Some(sc.shape()?),
            other => return Err(format!("unexpected or repeated key {other:?}")),
        }
        if sc.eat("}") {
            break;
        }
        sc.expect(",")?;
    }
    match sc.s.strip_suffix('\n') {
        Some(pad) if pad.bytes().all(|b| b == b' ') => {}
        _ => return Err("the dict must be followed by spaces and a newline".to_owned()),
    }
    Ok((
        descr.ok_or("missing 'descr'")?,
        fortran.ok_or("missing 'fortran_order'")?,
        shape.ok_or("missing 'shape'")?,
    ))
}
