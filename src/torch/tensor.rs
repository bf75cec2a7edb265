//! [`Tensor`] and [`Storage`]: typed views of bytes that stay in the checkpoint's buffer.
//!
//! # For code built on top (e.g. a safetensors writer)
//! A tensor is fully described by [`Tensor::dtype`], [`Tensor::shape`],
//! [`Tensor::stride`] and [`Tensor::storage_offset`] (both in elements, as torch counts
//! them) over a [`Storage`]. Tensors that share a storage (views, tied weights) hold the
//! same one: [`Storage::same`] tells, [`Storage::key`] names it, and
//! [`Storage::archive_range`] gives its bytes' place in the checkpoint file, so overlaps
//! between storages (legacy views) can be found too. [`Tensor::write_contiguous`] writes
//! the elements in row-major order as little-endian bytes to any [`io::Write`] (one
//! `write_all` for a contiguous little-endian tensor), which is what a converter needs.
//!
//! All shape arithmetic was checked when the tensor was built (`numel × element size`
//! fits, every element a view can reach lies inside its storage), so these methods do not
//! fail on that account; they fail only for a storage whose bytes were not loaded (a bare
//! `data.pkl`) or a typed read of the wrong dtype.

use std::fmt;
use std::io;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use super::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::value::ndarray::f16_to_f64;

/// The bytes of a whole checkpoint file, shared by every storage loaded from it.
#[derive(Clone)]
pub struct Buffer(Arc<dyn AsRef<[u8]> + Send + Sync>);

impl Buffer {
    /// Wraps bytes (a `Vec<u8>`, a memory map …).
    pub fn new(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Buffer {
        Buffer(Arc::new(bytes))
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Buffer({} bytes)", self.bytes().len())
    }
}

/// The byte order of a storage's bytes (a checkpoint's `byteorder` record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    /// Little-endian (the default, and every legacy file).
    Little,
    /// Big-endian: decoded values are swapped.
    Big,
}

/// A storage: a run of bytes of the checkpoint, with the dtype and element count its
/// persistent id gave. Cloning shares it.
#[derive(Clone)]
pub struct Storage(Arc<StorageInner>);

struct StorageInner {
    key: String,
    dtype: DType,
    numel: usize,
    nbytes: usize,
    location: String,
    order: ByteOrder,
    /// Set once: at creation (zip), after the main pickle (legacy), or never (a bare
    /// `data.pkl`).
    bytes: OnceLock<(Buffer, Range<usize>)>,
}

impl Storage {
    /// A storage of `numel` elements of `dtype` over `range` of `buffer`.
    ///
    /// # Errors
    /// [`super::CheckpointError::Storage`] if the range's length is not
    /// `numel × element size` or lies outside the buffer.
    pub fn new(
        key: &str,
        dtype: DType,
        numel: usize,
        location: &str,
        order: ByteOrder,
        bytes: Option<(Buffer, Range<usize>)>,
    ) -> Result<Storage> {
        let nbytes = numel
            .checked_mul(dtype.element_size())
            .ok_or_else(|| storage_err(key, format!("{numel} elements of {dtype} overflow")))?;
        let storage = Storage(Arc::new(StorageInner {
            key: key.to_owned(),
            dtype,
            numel,
            nbytes,
            location: location.to_owned(),
            order,
            bytes: OnceLock::new(),
        }));
        if let Some((buf, range)) = bytes {
            storage.fill(buf, range)?;
        }
        Ok(storage)
    }

    /// Gives a storage created without bytes its bytes: `range` of `buf`, which must be
    /// exactly `nbytes()` long and inside the buffer.
    pub(crate) fn fill(&self, buf: Buffer, range: Range<usize>) -> Result<()> {
        let key = &self.0.key;
        if buf.bytes().get(range.clone()).is_none() {
            return Err(storage_err(key, "record lies outside the file".into()));
        }
        if range.len() != self.0.nbytes {
            return Err(storage_err(
                key,
                format!(
                    "record has {} bytes, {} elements of {} need {}",
                    range.len(),
                    self.0.numel,
                    self.0.dtype,
                    self.0.nbytes
                ),
            ));
        }
        self.0
            .bytes
            .set((buf, range))
            .map_err(|_| storage_err(key, "storage bytes given twice".into()))
    }

    /// The storage key (the record `data/<key>` in a zip, the key in a legacy file).
    pub fn key(&self) -> &str {
        &self.0.key
    }

    /// The dtype of the storage class (`uint8` for `UntypedStorage`).
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Elements of [`Storage::dtype`].
    pub fn numel(&self) -> usize {
        self.0.numel
    }

    /// Bytes.
    pub fn nbytes(&self) -> usize {
        self.0.nbytes
    }

    /// The device label the file records (`cpu`, `cuda:0` …): a label only.
    pub fn location(&self) -> &str {
        &self.0.location
    }

    /// The byte order of the bytes.
    pub fn byte_order(&self) -> ByteOrder {
        self.0.order
    }

    /// The raw bytes (in [`Storage::byte_order`]), borrowed from the checkpoint; `None`
    /// when they were not loaded (a bare `data.pkl`).
    pub fn bytes(&self) -> Option<&[u8]> {
        let (buf, range) = self.0.bytes.get()?;
        buf.bytes().get(range.clone())
    }

    /// Where the bytes lie in the checkpoint file, if loaded.
    pub fn archive_range(&self) -> Option<Range<usize>> {
        self.0.bytes.get().map(|(_, r)| r.clone())
    }

    /// Whether `a` and `b` are the same storage (as `t.untyped_storage()._cdata` equality).
    pub fn same(a: &Storage, b: &Storage) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

fn storage_err(key: &str, message: String) -> Error {
    Error::new(ErrorKind::Checkpoint(super::CheckpointError::Storage {
        key: key.to_owned(),
        message,
    }))
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("key", &self.0.key)
            .field("dtype", &self.0.dtype)
            .field("numel", &self.0.numel)
            .field("location", &self.0.location)
            .field("order", &self.0.order)
            .field("loaded", &self.0.bytes.get().is_some())
            .finish()
    }
}

impl PartialEq for Storage {
    fn eq(&self, other: &Storage) -> bool {
        Storage::same(self, other)
            || (self.0.key == other.0.key
                && self.0.dtype == other.0.dtype
                && self.0.numel == other.0.numel
                && self.0.order == other.0.order
                && self.bytes() == other.bytes())
    }
}

/// What a [`Tensor`] value stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TensorKind {
    /// A `torch.Tensor`.
    Tensor,
    /// A `torch.nn.Parameter` (prints `Parameter containing:`).
    Parameter,
    /// A bare storage (what a persistent id loads, or a pickled storage itself): 1-D,
    /// contiguous, of the storage's dtype.
    Storage,
}

/// A tensor: dtype, shape, stride and offset over a shared [`Storage`].
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    dtype: DType,
    shape: Vec<usize>,
    stride: Vec<usize>,
    offset: usize,
    numel: usize,
    requires_grad: bool,
    kind: TensorKind,
    storage: Storage,
}

/// The most dimensions a tensor may have (torch's own limit is 64 for many ops).
pub const MAX_DIMS: usize = 64;

impl Tensor {
    /// A tensor of `dtype` over `storage`, checked: shape and stride of the same length
    /// (at most [`MAX_DIMS`]), no negative size or stride, `numel × element size` without
    /// overflow, and every element the view reaches (`offset + Σ (size_i − 1)·stride_i`)
    /// inside the storage's bytes. A tensor with a zero-size dimension reaches nothing.
    ///
    /// # Errors
    /// A message saying which check failed.
    pub fn new(
        storage: Storage,
        dtype: DType,
        offset: i64,
        shape: &[i64],
        stride: &[i64],
        requires_grad: bool,
    ) -> std::result::Result<Tensor, String> {
        if shape.len() != stride.len() {
            return Err(format!(
                "size has {} dimensions, stride {}",
                shape.len(),
                stride.len()
            ));
        }
        if shape.len() > MAX_DIMS {
            return Err(format!("more than {MAX_DIMS} dimensions"));
        }
        let us = |v: i64, what: &str| {
            usize::try_from(v).map_err(|_| format!("negative {what} {v} is not supported"))
        };
        let offset = us(offset, "storage offset")?;
        let shape: Vec<usize> = shape
            .iter()
            .map(|&s| us(s, "size"))
            .collect::<std::result::Result<_, _>>()?;
        let stride: Vec<usize> = stride
            .iter()
            .map(|&s| us(s, "stride"))
            .collect::<std::result::Result<_, _>>()?;
        let es = dtype.element_size();
        let too_big = || "the tensor's size overflows".to_owned();
        let mut numel = 1usize;
        for &s in &shape {
            numel = numel.checked_mul(s).ok_or_else(too_big)?;
        }
        numel.checked_mul(es).ok_or_else(too_big)?;
        if numel > 0 {
            let mut last = offset;
            for (&s, &st) in shape.iter().zip(&stride) {
                let step = (s - 1).checked_mul(st).ok_or_else(too_big)?;
                last = last.checked_add(step).ok_or_else(too_big)?;
            }
            let need = last
                .checked_add(1)
                .and_then(|n| n.checked_mul(es))
                .ok_or_else(too_big)?;
            if need > storage.nbytes() {
                return Err(format!(
                    "the view reaches element {last} of {dtype} (byte {need}), past the storage of {} bytes",
                    storage.nbytes()
                ));
            }
        }
        Ok(Tensor {
            dtype,
            shape,
            stride,
            offset,
            numel,
            requires_grad,
            kind: TensorKind::Tensor,
            storage,
        })
    }

    /// A whole storage as a 1-D tensor of its own dtype ([`TensorKind::Storage`]).
    pub fn of_storage(storage: Storage) -> Tensor {
        let n = storage.numel();
        Tensor {
            dtype: storage.dtype(),
            shape: vec![n],
            stride: vec![1],
            offset: 0,
            numel: n,
            requires_grad: false,
            kind: TensorKind::Storage,
            storage,
        }
    }

    pub(crate) fn into_parameter(mut self, requires_grad: bool) -> Tensor {
        self.kind = TensorKind::Parameter;
        self.requires_grad = requires_grad;
        self
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The size of each dimension (`[]` for a 0-d tensor).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The stride of each dimension, in elements.
    pub fn stride(&self) -> &[usize] {
        &self.stride
    }

    /// The offset of the first element in the storage, in elements of [`Tensor::dtype`].
    pub fn storage_offset(&self) -> usize {
        self.offset
    }

    /// The number of elements (1 for a 0-d tensor).
    pub fn numel(&self) -> usize {
        self.numel
    }

    /// `requires_grad`.
    pub fn requires_grad(&self) -> bool {
        self.requires_grad
    }

    /// Tensor, parameter or bare storage.
    pub fn kind(&self) -> TensorKind {
        self.kind
    }

    /// The storage (shared with every view of it).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The byte length of a contiguous copy: `numel × element size`.
    pub fn nbytes(&self) -> usize {
        // Checked not to overflow in `Tensor::new`.
        self.numel.saturating_mul(self.dtype.element_size())
    }

    /// Whether the elements are laid out row-major without gaps (torch's
    /// `is_contiguous()`: dimensions of size 1 may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&s, &st) in self.shape.iter().zip(&self.stride).rev() {
            if s != 1 {
                if st != expected {
                    return false;
                }
                expected = expected.saturating_mul(s);
            }
        }
        true
    }

    fn loaded(&self) -> Result<&[u8]> {
        self.storage.bytes().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported(format!(
                "the bytes of storage {:?} were not loaded",
                self.storage.key()
            )))
        })
    }

    /// The tensor's bytes, borrowed from the checkpoint without copying, when the tensor
    /// is contiguous (its elements are one run of the storage); in the storage's byte
    /// order. `None` for a strided view or an unloaded storage.
    pub fn contiguous_bytes(&self) -> Option<&[u8]> {
        if !self.is_contiguous() {
            return None;
        }
        let es = self.dtype.element_size();
        let start = self.offset.checked_mul(es)?;
        self.storage
            .bytes()?
            .get(start..start.checked_add(self.nbytes())?)
    }

    /// Calls `f` with the byte offset in the storage of every element, in row-major order.
    fn for_each_element(&self, mut f: impl FnMut(usize)) {
        if self.numel == 0 {
            return;
        }
        let es = self.dtype.element_size();
        let dims = self.shape.len();
        let mut index = vec![0usize; dims];
        // Every reachable element was checked in `new`, so none of this overflows.
        let mut pos = self.offset;
        loop {
            f(pos * es);
            let mut d = dims;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                let (Some(i), Some(&s), Some(&st)) =
                    (index.get_mut(d), self.shape.get(d), self.stride.get(d))
                else {
                    return;
                };
                *i += 1;
                if *i < s {
                    pos += st;
                    break;
                }
                pos -= (*i - 1) * st;
                *i = 0;
            }
        }
    }

    /// Writes the elements in row-major order as little-endian bytes: `nbytes()` bytes,
    /// in one `write_all` when the tensor is contiguous and little-endian.
    ///
    /// # Errors
    /// An I/O error of `w`, or (as [`io::ErrorKind::Other`]) a storage that was not loaded.
    pub fn write_contiguous<W: io::Write>(&self, w: &mut W) -> io::Result<()> {
        let swap = self.storage.byte_order() == ByteOrder::Big && self.dtype.swap_unit() > 1;
        if !swap {
            if let Some(b) = self.contiguous_bytes() {
                return w.write_all(b);
            }
        }
        let bytes = self.loaded().map_err(io::Error::other)?;
        let es = self.dtype.element_size();
        let unit = self.dtype.swap_unit();
        let mut out = Vec::with_capacity(self.nbytes().min(1 << 16));
        let mut result = Ok(());
        self.for_each_element(|at| {
            if result.is_err() {
                return;
            }
            let el = bytes.get(at..at + es).unwrap_or_default();
            if swap {
                for part in el.chunks(unit) {
                    out.extend(part.iter().rev());
                }
            } else {
                out.extend_from_slice(el);
            }
            if out.len() >= 1 << 16 {
                result = w.write_all(&out);
                out.clear();
            }
        });
        result?;
        w.write_all(&out)
    }

    /// A contiguous little-endian copy of the elements (see [`Tensor::write_contiguous`]).
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for a storage that was not loaded.
    pub fn to_contiguous_bytes(&self) -> Result<Vec<u8>> {
        self.loaded()?;
        let mut out = Vec::with_capacity(self.nbytes());
        self.write_contiguous(&mut out)?;
        Ok(out)
    }

    /// The elements in row-major order as `T`, which must be the tensor's dtype
    /// (`to_vec::<f32>()` for float32), decoded from the storage's byte order.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for another dtype or a storage that was not loaded.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.dtype {
            return Err(Error::new(ErrorKind::Unsupported(format!(
                "to_vec of a {} tensor as {}",
                self.dtype,
                T::DTYPE
            ))));
        }
        self.decode(|b| T::decode_le(b))
    }

    fn decode<T>(&self, conv: impl Fn(&[u8]) -> T) -> Result<Vec<T>> {
        let bytes = self.loaded()?;
        let es = self.dtype.element_size();
        let unit = self.dtype.swap_unit();
        let big = self.storage.byte_order() == ByteOrder::Big && unit > 1;
        let mut out = Vec::with_capacity(self.numel);
        let mut scratch = [0u8; 16];
        self.for_each_element(|at| {
            let el = bytes.get(at..at + es).unwrap_or_default();
            if big {
                let tmp = scratch.get_mut(..el.len()).unwrap_or_default();
                for (dst, src) in tmp.chunks_mut(unit).zip(el.chunks(unit)) {
                    for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                        *d = *s;
                    }
                }
                out.push(conv(tmp));
            } else {
                out.push(conv(el));
            }
        });
        Ok(out)
    }

    /// The elements as `f64` for every real dtype (float16, bfloat16 and the integers
    /// convert exactly; int64/uint64 beyond 2^53 round; bool is 0 or 1); for complex
    /// dtypes, the real parts.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for float4_e2m1fn_x2 and the bits dtypes, and for a
    /// storage that was not loaded.
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        let conv: fn(&[u8]) -> f64 = match self.dtype {
            DType::Float64 | DType::Complex128 => |b| f64::decode_le(b),
            DType::Float32 | DType::Complex64 => |b| f64::from(f32::decode_le(b)),
            DType::Float16 | DType::Complex32 => |b| f16_to_f64(u16::decode_le(b)),
            DType::BFloat16 => |b| bf16_to_f64(u16::decode_le(b)),
            DType::Int8 => |b| f64::from(i8::decode_le(b)),
            DType::Int16 => |b| f64::from(i16::decode_le(b)),
            DType::Int32 => |b| f64::from(i32::decode_le(b)),
            DType::Int64 => |b| i64::decode_le(b) as f64,
            DType::UInt8 => |b| f64::from(u8::decode_le(b)),
            DType::UInt16 => |b| f64::from(u16::decode_le(b)),
            DType::UInt32 => |b| f64::from(u32::decode_le(b)),
            DType::UInt64 => |b| u64::decode_le(b) as f64,
            DType::Bool => |b| f64::from(u8::from(bool::decode_le(b))),
            DType::Float8E5M2 => |b| f8_to_f64(DType::Float8E5M2, u8::decode_le(b)),
            DType::Float8E4M3Fn => |b| f8_to_f64(DType::Float8E4M3Fn, u8::decode_le(b)),
            DType::Float8E5M2Fnuz => |b| f8_to_f64(DType::Float8E5M2Fnuz, u8::decode_le(b)),
            DType::Float8E4M3Fnuz => |b| f8_to_f64(DType::Float8E4M3Fnuz, u8::decode_le(b)),
            DType::Float8E8M0Fnu => |b| f8_to_f64(DType::Float8E8M0Fnu, u8::decode_le(b)),
            other => {
                return Err(Error::new(ErrorKind::Unsupported(format!(
                    "no f64 conversion for {other}"
                ))))
            }
        };
        self.decode(conv)
    }

    /// For complex dtypes, `(real, imaginary)` pairs as `f64`.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for other dtypes and unloaded storages.
    pub fn to_complex_vec(&self) -> Result<Vec<(f64, f64)>> {
        let conv: fn(&[u8]) -> (f64, f64) = match self.dtype {
            DType::Complex128 => |b| {
                (
                    f64::decode_le(b),
                    f64::decode_le(b.get(8..).unwrap_or_default()),
                )
            },
            DType::Complex64 => |b| {
                (
                    f64::from(f32::decode_le(b)),
                    f64::from(f32::decode_le(b.get(4..).unwrap_or_default())),
                )
            },
            DType::Complex32 => |b| {
                (
                    f16_to_f64(u16::decode_le(b)),
                    f16_to_f64(u16::decode_le(b.get(2..).unwrap_or_default())),
                )
            },
            other => {
                return Err(Error::new(ErrorKind::Unsupported(format!(
                    "{other} is not complex"
                ))))
            }
        };
        self.decode(conv)
    }
}

/// A float8 byte of `dtype` to `f64`, exactly (torch's `.float()`).
pub(crate) fn f8_to_f64(dtype: DType, b: u8) -> f64 {
    let sign = if b & 0x80 != 0 { -1.0 } else { 1.0 };
    // (exponent bits, mantissa bits, bias)
    let (ebits, mbits, bias) = match dtype {
        DType::Float8E5M2 => return f16_to_f64(u16::from(b) << 8),
        DType::Float8E8M0Fnu => {
            return if b == 0xff {
                f64::NAN
            } else {
                2f64.powi(i32::from(b) - 127)
            }
        }
        DType::Float8E4M3Fn if b & 0x7f == 0x7f => return f64::NAN,
        DType::Float8E4M3Fn => (4, 3, 7),
        DType::Float8E5M2Fnuz | DType::Float8E4M3Fnuz if b == 0x80 => return f64::NAN,
        DType::Float8E5M2Fnuz => (5, 2, 16),
        DType::Float8E4M3Fnuz => (4, 3, 8),
        _ => return f64::NAN,
    };
    let e = i32::from((b >> mbits) & ((1 << ebits) - 1));
    let m = f64::from(b & ((1 << mbits) - 1));
    let scale = f64::from(1u8 << mbits);
    sign * if e == 0 {
        m / scale * 2f64.powi(1 - bias)
    } else {
        (1.0 + m / scale) * 2f64.powi(e - bias)
    }
}

/// bfloat16 to `f64`, exactly.
pub(crate) fn bf16_to_f64(h: u16) -> f64 {
    f64::from(f32::from_bits(u32::from(h) << 16))
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that [`Tensor::to_vec`] decodes, with the torch dtype it stands for.
pub trait Element: sealed::Sealed + Sized {
    /// The dtype whose elements are this type.
    const DTYPE: DType;
    /// Decodes one element from little-endian bytes (missing bytes read as zero).
    fn decode_le(b: &[u8]) -> Self;
}

macro_rules! element {
    ($($t:ty => $d:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn decode_le(b: &[u8]) -> $t {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                for (d, s) in a.iter_mut().zip(b) {
                    *d = *s;
                }
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}

element!(f64 => Float64, f32 => Float32, i8 => Int8, i16 => Int16, i32 => Int32,
    i64 => Int64, u8 => UInt8, u16 => UInt16, u32 => UInt32, u64 => UInt64);

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    /// Any non-zero byte is `true`.
    fn decode_le(b: &[u8]) -> bool {
        b.first().is_some_and(|&x| x != 0)
    }
}
