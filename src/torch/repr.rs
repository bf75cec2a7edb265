//! `Display` for [`Tensor`]: torch's `repr` with its default print options (precision 4,
//! threshold 1000, edge items 3, line width 80, `sci_mode` automatic), following
//! `torch/_tensor_str.py` step by step, so `unpickle show model.pt` reads like
//! `print(torch.load(...))`.
//!
//! float4_e2m1fn_x2 prints as torch 2.10 prints it: each byte's uint8 value, through the
//! floating-point formatter (`tensor([  0.,  33., 255.], dtype=torch.float4_e2m1fn_x2)`).
//!
//! Where it differs from torch: the bits dtypes print a placeholder
//! (`tensor(<bits8 data>, size=(2,))`) instead of values (torch has no cast to print them
//! with); a tensor whose storage
//! bytes were not loaded prints `tensor(<missing storage '0'>, size=(2, 3))`; a bare
//! storage prints only torch's summary line (`[torch.storage.TypedStorage(dtype=torch.float32,
//! device=cpu) of size 6]`), without its elements; the device is the recorded label.

use std::fmt;

use super::dtype::DType;
use super::tensor::{Tensor, TensorKind};

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGE: usize = 3;
const LINEWIDTH: usize = 80;

/// One element, as torch's printing sees it after `.float()` for the small floats.
#[derive(Clone, Copy)]
enum Scalar {
    Float(f64),
    Int(i128),
    Bool(bool),
}

/// torch's `_Formatter` for one real component.
struct Formatter {
    floating: bool,
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

/// Python's `'{:.{p}e}'.format(x)`: at least two exponent digits, with a sign.
fn sci(x: f64, p: usize) -> String {
    if !x.is_finite() {
        return nonfinite(x);
    }
    let s = format!("{x:.p$e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn nonfinite(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

fn fixed(x: f64, p: usize) -> String {
    if !x.is_finite() {
        return nonfinite(x);
    }
    format!("{x:.p$}")
}

fn int_str(v: Scalar) -> String {
    match v {
        Scalar::Int(i) => i.to_string(),
        Scalar::Bool(true) => "True".into(),
        Scalar::Bool(false) => "False".into(),
        Scalar::Float(f) => fixed(f, PRECISION),
    }
}

impl Formatter {
    fn new(floating: bool, values: &[Scalar]) -> Formatter {
        let mut f = Formatter {
            floating,
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };
        if !floating {
            for &v in values {
                f.max_width = f.max_width.max(int_str(v).len());
            }
            return f;
        }
        let vals: Vec<f64> = values
            .iter()
            .filter_map(|v| match v {
                Scalar::Float(x) if x.is_finite() && *x != 0.0 => Some(*x),
                _ => None,
            })
            .collect();
        if vals.is_empty() {
            return f;
        }
        let min = vals.iter().fold(f64::INFINITY, |m, x| m.min(x.abs()));
        let max = vals.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        f.int_mode = vals.iter().all(|x| *x == x.ceil());
        if f.int_mode {
            if max / min > 1000.0 || max > 1.0e8 {
                f.sci_mode = true;
                for &x in &vals {
                    f.max_width = f.max_width.max(sci(x, PRECISION).len());
                }
            } else {
                for &x in &vals {
                    f.max_width = f.max_width.max(fixed(x, 0).len() + 1);
                }
            }
        } else if max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4 {
            f.sci_mode = true;
            for &x in &vals {
                f.max_width = f.max_width.max(sci(x, PRECISION).len());
            }
        } else {
            for &x in &vals {
                f.max_width = f.max_width.max(fixed(x, PRECISION).len());
            }
        }
        f
    }

    fn format(&self, v: Scalar) -> String {
        let s = match v {
            Scalar::Float(x) if self.floating => {
                if self.sci_mode {
                    sci(x, PRECISION)
                } else if self.int_mode {
                    let mut s = fixed(x, 0);
                    if x.is_finite() {
                        s.push('.');
                    }
                    s
                } else {
                    fixed(x, PRECISION)
                }
            }
            other => int_str(other),
        };
        let pad = self.max_width.saturating_sub(s.len());
        format!("{}{s}", " ".repeat(pad))
    }
}

/// Reads elements by multi-index.
struct View<'a> {
    t: &'a Tensor,
    bytes: &'a [u8],
}

impl View<'_> {
    /// The element at `idx` as (real, imaginary) scalars.
    fn at(&self, idx: &[usize]) -> (Scalar, Scalar) {
        let t = self.t;
        let mut pos = t.storage_offset();
        for (i, st) in idx.iter().zip(t.stride()) {
            pos += i * st;
        }
        let es = t.dtype().element_size();
        let raw = self.bytes.get(pos * es..pos * es + es).unwrap_or_default();
        let mut b = [0u8; 16];
        let big = t.storage().byte_order() == super::ByteOrder::Big;
        let unit = t.dtype().swap_unit();
        for (dst, src) in b.chunks_mut(unit).zip(raw.chunks(unit)) {
            if big {
                for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = *s;
                }
            } else {
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = *s;
                }
            }
        }
        decode(t.dtype(), &b)
    }
}

fn le<const N: usize>(b: &[u8; 16], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (d, s) in out.iter_mut().zip(b.iter().skip(at)) {
        *d = *s;
    }
    out
}

/// Decodes little-endian element bytes; complex dtypes give two parts.
fn decode(d: DType, b: &[u8; 16]) -> (Scalar, Scalar) {
    use super::tensor::bf16_to_f64;
    use crate::value::ndarray::f16_to_f64;
    let zero = Scalar::Float(0.0);
    let f = Scalar::Float;
    let i = |x: i128| Scalar::Int(x);
    match d {
        DType::Float64 => (f(f64::from_le_bytes(le(b, 0))), zero),
        DType::Float32 => (f(f64::from(f32::from_le_bytes(le(b, 0)))), zero),
        DType::Float16 => (f(f16_to_f64(u16::from_le_bytes(le(b, 0)))), zero),
        DType::BFloat16 => (f(bf16_to_f64(u16::from_le_bytes(le(b, 0)))), zero),
        DType::Complex128 => (
            f(f64::from_le_bytes(le(b, 0))),
            f(f64::from_le_bytes(le(b, 8))),
        ),
        DType::Complex64 => (
            f(f64::from(f32::from_le_bytes(le(b, 0)))),
            f(f64::from(f32::from_le_bytes(le(b, 4)))),
        ),
        DType::Complex32 => (
            f(f16_to_f64(u16::from_le_bytes(le(b, 0)))),
            f(f16_to_f64(u16::from_le_bytes(le(b, 2)))),
        ),
        DType::Int8 => (i(i128::from(i8::from_le_bytes(le(b, 0)))), zero),
        DType::Int16 => (i(i128::from(i16::from_le_bytes(le(b, 0)))), zero),
        DType::Int32 => (i(i128::from(i32::from_le_bytes(le(b, 0)))), zero),
        DType::Int64 => (i(i128::from(i64::from_le_bytes(le(b, 0)))), zero),
        DType::UInt8 => (i(i128::from(b[0])), zero),
        DType::UInt16 => (i(i128::from(u16::from_le_bytes(le(b, 0)))), zero),
        DType::UInt32 => (i(i128::from(u32::from_le_bytes(le(b, 0)))), zero),
        DType::UInt64 => (i(i128::from(u64::from_le_bytes(le(b, 0)))), zero),
        DType::Bool => (Scalar::Bool(b[0] != 0), zero),
        DType::Float8E5M2
        | DType::Float8E4M3Fn
        | DType::Float8E5M2Fnuz
        | DType::Float8E4M3Fnuz
        | DType::Float8E8M0Fnu => (f(super::tensor::f8_to_f64(d, b[0])), zero),
        // torch views it as uint8 to print it, with the floating-point formatter.
        DType::Float4E2M1FnX2 => (f(f64::from(b[0])), zero),
        _ => (zero, zero),
    }
}

/// Whether torch can print the dtype's values (and so do we).
fn printable(d: DType) -> bool {
    d.is_complex()
        || d.is_floating_point()
        || d == DType::Float4E2M1FnX2
        || matches!(
            d,
            DType::Int8
                | DType::Int16
                | DType::Int32
                | DType::Int64
                | DType::UInt8
                | DType::UInt16
                | DType::UInt32
                | DType::UInt64
                | DType::Bool
        )
}

/// The indices along one dimension of size `n` that printing shows.
fn shown(n: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && n > 2 * EDGE {
        (0..EDGE)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

/// `get_summarized_data`: every element printing shows, in order.
fn summarized(view: &View<'_>, summarize: bool, out: &mut Vec<(Scalar, Scalar)>) {
    let shape = view.t.shape();
    let mut idx = vec![0usize; shape.len()];
    collect(view, shape, 0, &mut idx, summarize, out);
}

// Recursion is bounded by the number of dimensions (at most `MAX_DIMS`).
fn collect(
    view: &View<'_>,
    shape: &[usize],
    dim: usize,
    idx: &mut Vec<usize>,
    summarize: bool,
    out: &mut Vec<(Scalar, Scalar)>,
) {
    let Some(&n) = shape.get(dim) else {
        out.push(view.at(idx));
        return;
    };
    for i in shown(n, summarize).into_iter().flatten() {
        if let Some(slot) = idx.get_mut(dim) {
            *slot = i;
        }
        collect(view, shape, dim + 1, idx, summarize, out);
    }
}

struct Fmt<'a> {
    view: View<'a>,
    summarize: bool,
    real: Formatter,
    imag: Option<Formatter>,
}

impl Fmt<'_> {
    fn value(&self, idx: &[usize]) -> String {
        let (re, im) = self.view.at(idx);
        let r = self.real.format(re);
        match &self.imag {
            None => r,
            Some(fi) => {
                let i = format!("{}j", fi.format(im));
                let i = i.trim_start();
                if i.starts_with('+') || i.starts_with('-') {
                    format!("{r}{i}")
                } else {
                    format!("{r}+{i}")
                }
            }
        }
    }

    // `_tensor_str_with_formatter`; recursion bounded by the number of dimensions.
    fn tensor_str(&self, dim: usize, idx: &mut Vec<usize>, indent: usize) -> String {
        let shape = self.view.t.shape();
        let rank = shape.len() - dim;
        let n = shape.get(dim).copied().unwrap_or(0);
        if rank == 0 {
            return self.value(idx);
        }
        if rank == 1 {
            let mut width = self.real.max_width + 2;
            if let Some(fi) = &self.imag {
                width += fi.max_width + 1;
            }
            let per_line = (LINEWIDTH.saturating_sub(indent) / width).max(1);
            let data: Vec<String> = shown(n, self.summarize)
                .into_iter()
                .map(|i| match i {
                    Some(i) => {
                        if let Some(slot) = idx.get_mut(dim) {
                            *slot = i;
                        }
                        self.value(idx)
                    }
                    None => " ...".to_owned(),
                })
                .collect();
            let lines: Vec<String> = data.chunks(per_line).map(|c| c.join(", ")).collect();
            let sep = format!(",\n{}", " ".repeat(indent + 1));
            return format!("[{}]", lines.join(&sep));
        }
        let slices: Vec<String> = shown(n, self.summarize)
            .into_iter()
            .map(|i| match i {
                Some(i) => {
                    if let Some(slot) = idx.get_mut(dim) {
                        *slot = i;
                    }
                    self.tensor_str(dim + 1, idx, indent + 1)
                }
                None => "...".to_owned(),
            })
            .collect();
        let sep = format!(",{}{}", "\n".repeat(rank - 1), " ".repeat(indent + 1));
        format!("[{}]", slices.join(&sep))
    }
}

fn shape_tuple(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `_add_suffixes`.
fn add_suffixes(body: &str, suffixes: &[String], indent: usize) -> String {
    let mut out = body.to_owned();
    // Python's `len(s) - s.rfind("\n") + 1`, where `rfind` gives -1 for no newline.
    let mut last = match body.rfind('\n') {
        Some(p) => body.len() - p + 1,
        None => body.len() + 2,
    };
    for s in suffixes {
        if last + s.len() + 2 > LINEWIDTH {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
            out.push_str(s);
            last = indent + s.len();
        } else {
            out.push_str(", ");
            out.push_str(s);
            last += s.len() + 2;
        }
    }
    out.push(')');
    out
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dtype = self.dtype();
        let location = self.storage().location();
        if self.kind() == TensorKind::Storage {
            return write!(
                f,
                "[torch.storage.TypedStorage(dtype={dtype}, device={location}) of size {}]",
                self.numel()
            );
        }
        if self.kind() == TensorKind::Parameter {
            f.write_str("Parameter containing:\n")?;
        }
        let prefix = "tensor(";
        let indent = prefix.len();
        let mut suffixes = Vec::new();
        let default_dtype = matches!(
            dtype,
            DType::Float32 | DType::Complex64 | DType::Int64 | DType::Bool
        );
        let body = if self.numel() == 0 {
            if self.shape().len() != 1 {
                suffixes.push(format!("size={}", shape_tuple(self.shape())));
            }
            if dtype != DType::Float32 {
                suffixes.push(format!("dtype={dtype}"));
            }
            "[]".to_owned()
        } else if let (Some(bytes), true) = (self.storage().bytes(), printable(dtype)) {
            if !default_dtype {
                suffixes.push(format!("dtype={dtype}"));
            }
            let view = View { t: self, bytes };
            let summarize = self.numel() > THRESHOLD;
            let mut vals = Vec::new();
            summarized(&view, summarize, &mut vals);
            let floating =
                dtype.is_floating_point() || dtype.is_complex() || dtype == DType::Float4E2M1FnX2;
            let re: Vec<Scalar> = vals.iter().map(|v| v.0).collect();
            let real = Formatter::new(floating, &re);
            let imag = dtype.is_complex().then(|| {
                let im: Vec<Scalar> = vals.iter().map(|v| v.1).collect();
                Formatter::new(true, &im)
            });
            let fm = Fmt {
                view,
                summarize,
                real,
                imag,
            };
            let mut idx = vec![0usize; self.shape().len()];
            fm.tensor_str(0, &mut idx, indent)
        } else {
            suffixes.push(format!("size={}", shape_tuple(self.shape())));
            if !default_dtype {
                suffixes.push(format!("dtype={dtype}"));
            }
            if self.storage().bytes().is_none() {
                format!("<missing storage {:?}>", self.storage().key())
            } else {
                format!("<{} data>", dtype.name())
            }
        };
        if !location.starts_with("cpu") {
            suffixes.push(format!("device='{location}'"));
        }
        if self.requires_grad() {
            suffixes.push("requires_grad=True".to_owned());
        }
        let mut full = String::from(prefix);
        full.push_str(&body);
        f.write_str(&add_suffixes(&full, &suffixes, indent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn python_style_exponents() {
        assert_eq!(sci(1.2345e-5, 4), "1.2345e-05");
        assert_eq!(sci(1.0e10, 4), "1.0000e+10");
        assert_eq!(sci(-3.0e100, 4), "-3.0000e+100");
        assert_eq!(fixed(f64::NAN, 4), "nan");
    }

    #[test]
    fn writes_into_a_string() {
        let mut s = String::new();
        write!(s, "{}", shape_tuple(&[0, 3])).unwrap();
        assert_eq!(s, "(0, 3)");
        assert_eq!(shape_tuple(&[2]), "(2,)");
    }
}
