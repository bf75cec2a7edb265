//! The crate's numpy values in the form of `tests/data/numpy_oracle.py`'s `describe()`:
//! dtype, shape and the text of every element, rebuilt here from the crate's dtype
//! metadata, shape, memory order and raw bytes (or objects), decoded by this file's own
//! code, not by the crate's `Display` of arrays or its typed accessors. Only the Python
//! `repr()` of plain scalars (`Value::Float(x).to_string()`, checked against CPython by the
//! corpus) is borrowed from the crate. The format is described in numpy_oracle.py.

#![allow(dead_code)] // each test binary uses its own part

use unpickle::value::{ByteOrder, Dtype, DtypeKind, NdArray};
use unpickle::Value;

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn tuple(parts: Vec<String>) -> String {
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Python's repr of a shape tuple.
fn shape_text(shape: &[usize]) -> String {
    tuple(shape.iter().map(|n| n.to_string()).collect())
}

fn dtype_text(dt: &Dtype) -> String {
    if let Some(fields) = dt.fields() {
        let inner = join(fields.iter().map(|f| {
            format!(
                "{}: {}@{}",
                Value::from(f.name()),
                dtype_text(f.dtype()),
                f.offset()
            )
        }));
        return format!("{{{inner}}}/{}", dt.itemsize());
    }
    if let Some((base, shape)) = dt.subarray() {
        return format!("({}, {})", dtype_text(base), shape_text(shape));
    }
    format!("'{}'", dt.descr())
}

/// The `n` bytes at the start of `b` as an unsigned number in `order`.
fn uint(b: &[u8], n: usize, order: ByteOrder) -> u64 {
    let mut bytes = b[..n].to_vec();
    if order != ByteOrder::Big {
        bytes.reverse();
    }
    bytes.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

fn int(b: &[u8], n: usize, order: ByteOrder) -> i64 {
    let u = uint(b, n, order);
    let shift = 64 - 8 * n as u32;
    ((u << shift) as i64) >> shift
}

/// IEEE half precision, decoded here (not by the crate).
fn f16(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

fn float(b: &[u8], n: usize, order: ByteOrder) -> f64 {
    let u = uint(b, n, order);
    match n {
        2 => f16(u as u16),
        4 => f64::from(f32::from_bits(u as u32)),
        8 => f64::from_bits(u),
        _ => panic!("float of {n} bytes"),
    }
}

/// One element whose bytes start at `b`.
fn elem(b: &[u8], dt: &Dtype) -> String {
    if let Some(fields) = dt.fields() {
        return tuple(
            fields
                .iter()
                .map(|f| elem(&b[f.offset()..], f.dtype()))
                .collect(),
        );
    }
    if let Some((base, shape)) = dt.subarray() {
        let n: usize = shape.iter().product();
        let size = base.itemsize();
        return format!("[{}]", join((0..n).map(|i| elem(&b[i * size..], base))));
    }
    let (n, order) = (dt.itemsize(), dt.byteorder());
    match dt.kind() {
        DtypeKind::Bool => (if b[0] != 0 { "True" } else { "False" }).to_owned(),
        DtypeKind::Int | DtypeKind::Datetime | DtypeKind::Timedelta => int(b, n, order).to_string(),
        DtypeKind::UInt => uint(b, n, order).to_string(),
        DtypeKind::Float => Value::Float(float(b, n, order)).to_string(),
        DtypeKind::Complex => {
            Value::complex(float(b, n / 2, order), float(&b[n / 2..], n / 2, order)).to_string()
        }
        DtypeKind::Bytes => {
            let end = b[..n].iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
            Value::bytes(&b[..end]).to_string()
        }
        DtypeKind::Void => Value::bytes(&b[..n]).to_string(),
        DtypeKind::Str => {
            let mut s: Vec<char> = (0..n / 4)
                .map(|i| char::from_u32(uint(&b[4 * i..], 4, order) as u32).expect("a char"))
                .collect();
            while s.last() == Some(&'\0') {
                s.pop();
            }
            Value::from(s.into_iter().collect::<String>().as_str()).to_string()
        }
        other => panic!("raw bytes of dtype kind {other:?}"),
    }
}

/// Every element of `a` in C order.
fn elements(a: &NdArray) -> Vec<String> {
    if let Some(objects) = a.objects() {
        return objects.iter().map(describe).collect();
    }
    let bytes = a.raw_bytes().expect("raw bytes or objects");
    let shape = a.shape();
    let count: usize = shape.iter().product();
    let size = a.dtype().itemsize();
    assert_eq!(bytes.len(), count * size, "data length of {shape:?}");
    (0..count)
        .map(|c| {
            // The C-order index `c` as a multi-index, then its place in memory order.
            let mut rest = c;
            let mut index = vec![0; shape.len()];
            for (d, &n) in shape.iter().enumerate().rev() {
                index[d] = rest % n;
                rest /= n;
            }
            let place = if a.is_fortran() {
                index
                    .iter()
                    .zip(shape)
                    .rev()
                    .fold(0, |acc, (&i, &n)| acc * n + i)
            } else {
                c
            };
            elem(&bytes[place * size..], a.dtype())
        })
        .collect()
}

/// `describe()` of numpy_oracle.py, for the crate's value.
pub fn describe(v: &Value) -> String {
    match v {
        Value::NdArray(a) => format!(
            "ndarray({}, {}, [{}])",
            dtype_text(a.dtype()),
            shape_text(a.shape()),
            elements(a).join(", ")
        ),
        Value::NumpyScalar(a) => {
            let e = elements(a);
            assert_eq!(e.len(), 1, "a scalar of shape {:?}", a.shape());
            format!("scalar({}, {})", dtype_text(a.dtype()), e[0])
        }
        Value::Dtype(d) => format!("dtype({})", dtype_text(d)),
        Value::List(items) => format!("[{}]", join(items.iter().map(describe))),
        Value::Tuple(items) => tuple(items.iter().map(describe).collect()),
        Value::Dict(d) => format!(
            "{{{}}}",
            join(
                d.iter()
                    .map(|(k, x)| format!("{}: {}", describe(k.value()), describe(x)))
            )
        ),
        other => other.to_string(),
    }
}

/// numpy's text with the one known difference applied: an empty S or U scalar has dtype
/// `'|S1'` / `'<U1'` here, `'|S0'` / `'<U0'` in numpy (no dtype of this crate has a zero
/// item size: see `scalar` in src/presets/numpy.rs).
pub fn known_differences(numpy: &str) -> String {
    numpy
        .replace("scalar('|S0', b'')", "scalar('|S1', b'')")
        .replace("scalar('<U0', '')", "scalar('<U1', '')")
        .replace("scalar('>U0', '')", "scalar('>U1', '')")
}
