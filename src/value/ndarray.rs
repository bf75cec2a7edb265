//! numpy arrays, dtypes and scalars as typed Rust data (the [`crate::presets::numpy`]
//! preset builds them; [`crate::npy`] reads `.npy` files into them).
//!
//! # Display
//!
//! Arrays print as an expression that Python reads back, after
//! `from numpy import array, dtype, inf, nan`, to an array equal to the pickled one
//! (`numpy.array_equal`; NaNs compare unequal as always):
//!
//! - `array([1.5, 2.0], dtype='<f8')`, nested lists for more dimensions
//!   (`array([[1, 2], [3, 4]], dtype='<i2')`), the bare element for 0-d arrays
//!   (`array(3.25, dtype='<f8')`);
//! - an array with no elements whose shape is not `(0,)` adds its shape:
//!   `array([], dtype='<f8').reshape((0, 3))`;
//! - the dtype is numpy's `dtype.str` (`'<f8'`, `'|b1'`, `'<U2'`, `'|S3'`, `'|O'`); structured
//!   dtypes print in numpy's dict form
//!   (`{'names': ['a', 'b'], 'formats': ['<i4', '<f8'], 'offsets': [0, 4], 'itemsize': 12}`);
//! - every float element (`f2`, `f4`, `f8`, and complex parts) is Python's `repr` of its
//!   exact value as a float64, so `float32(0.1)` prints as `0.10000000149011612`: full
//!   precision, exact on reading back;
//! - bools print `True`/`False`, integers in decimal, `S` elements as `bytes` and `U`
//!   elements as `str` (trailing NULs dropped, as numpy returns them), raw `V` elements as
//!   `bytes` of the full item size, structured elements as tuples, object elements as their
//!   own repr;
//! - `datetime64`/`timedelta64` arrays print their int64 counts and a view:
//!   `array([0, 86400], dtype='<i8').view('<M8[s]')`;
//! - Fortran order is not shown (it does not affect equality; see [`NdArray::is_fortran`]).
//!
//! Scalars print as numpy 2 writes them (`np.float64(1.5)`, `np.int32(7)`, `np.True_`,
//! `np.str_('ab')`, `np.bytes_(b'x')`, `np.complex128(1+2j)`), with the same float rule, so
//! they read back after `import numpy as np`. A dtype prints as `dtype('<f8')`.

use std::fmt::{self, Write};

use super::display::write_value;
use super::repr;
use super::Value;

/// The most dimensions an array may have (numpy 2's `NPY_MAXDIMS`).
pub const MAX_DIMS: usize = 64;

/// Byte order of a dtype's elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`
    Little,
    /// `>`
    Big,
    /// `|`: single bytes, or no byte order (bool, `S`, `V`, object).
    NotApplicable,
}

impl ByteOrder {
    /// numpy's character: `<`, `>` or `|`.
    pub fn as_char(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::NotApplicable => '|',
        }
    }

    /// The byte order of the machine running this code.
    pub fn native() -> ByteOrder {
        if cfg!(target_endian = "big") {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        }
    }
}

/// The kind of a dtype (numpy's `dtype.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DtypeKind {
    /// `b`: bool, 1 byte.
    Bool,
    /// `i`: signed integer of 1, 2, 4 or 8 bytes.
    Int,
    /// `u`: unsigned integer of 1, 2, 4 or 8 bytes.
    UInt,
    /// `f`: IEEE float of 2, 4 or 8 bytes.
    Float,
    /// `c`: complex of two floats, 8 or 16 bytes.
    Complex,
    /// `S`: fixed-width bytes.
    Bytes,
    /// `U`: fixed-width UTF-32 text (item size is 4 × characters).
    Str,
    /// `V`: raw bytes, or a structured record when the dtype has fields.
    Void,
    /// `O`: Python objects.
    Object,
    /// `M`: `datetime64`, 8 bytes.
    Datetime,
    /// `m`: `timedelta64`, 8 bytes.
    Timedelta,
}

impl DtypeKind {
    /// numpy's kind character.
    pub fn as_char(self) -> char {
        match self {
            DtypeKind::Bool => 'b',
            DtypeKind::Int => 'i',
            DtypeKind::UInt => 'u',
            DtypeKind::Float => 'f',
            DtypeKind::Complex => 'c',
            DtypeKind::Bytes => 'S',
            DtypeKind::Str => 'U',
            DtypeKind::Void => 'V',
            DtypeKind::Object => 'O',
            DtypeKind::Datetime => 'M',
            DtypeKind::Timedelta => 'm',
        }
    }
}

/// One named field of a structured dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub(crate) name: String,
    pub(crate) dtype: Dtype,
    pub(crate) offset: usize,
}

impl Field {
    /// The field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's dtype.
    pub fn dtype(&self) -> &Dtype {
        &self.dtype
    }

    /// Byte offset of the field inside a record.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// A numpy dtype: kind, item size, byte order, alignment; the fields of a structured dtype;
/// the base and shape of a subarray dtype; the unit of a datetime dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct Dtype {
    pub(crate) kind: DtypeKind,
    pub(crate) itemsize: usize,
    pub(crate) byteorder: ByteOrder,
    pub(crate) alignment: usize,
    pub(crate) fields: Option<Vec<Field>>,
    pub(crate) subarray: Option<Box<(Dtype, Vec<usize>)>>,
    pub(crate) unit: Option<(String, u32)>,
    /// Nesting levels of this dtype (1 for a plain dtype), kept so that depth checks
    /// need no walk.
    pub(crate) nest: u32,
}

/// The datetime units numpy knows.
const UNITS: [&str; 14] = [
    "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic",
];

impl Dtype {
    /// A plain dtype from numpy's type string as `numpy.dtype.__reduce__` writes it
    /// (`'f8'`, `'i4'`, `'b1'`, `'U8'` (bytes), `'S3'`, `'V16'`, `'O8'`, `'M8'`), with
    /// byte order `byteorder`.
    pub fn parse(spec: &str, byteorder: ByteOrder) -> Result<Dtype, String> {
        let bad = || format!("data type {spec:?} not understood");
        let mut chars = spec.chars();
        let kind_char = chars.next().ok_or_else(bad)?;
        let digits = chars.as_str();
        let size: Option<usize> = if digits.is_empty() {
            None
        } else if digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Some(digits.parse().map_err(|_| bad())?)
        } else {
            return Err(bad());
        };
        let (kind, itemsize) = match (kind_char, size) {
            ('b', Some(1)) | ('?', None) => (DtypeKind::Bool, 1),
            ('i', Some(n @ (1 | 2 | 4 | 8))) => (DtypeKind::Int, n),
            ('u', Some(n @ (1 | 2 | 4 | 8))) => (DtypeKind::UInt, n),
            ('f', Some(n @ (2 | 4 | 8))) => (DtypeKind::Float, n),
            ('c', Some(n @ (8 | 16))) => (DtypeKind::Complex, n),
            ('S', n) => (DtypeKind::Bytes, n.unwrap_or(0)),
            ('U', n) => (
                DtypeKind::Str,
                n.unwrap_or(0).checked_mul(4).ok_or_else(bad)?,
            ),
            ('V', n) => (DtypeKind::Void, n.unwrap_or(0)),
            ('O', Some(8) | None) => (DtypeKind::Object, 8),
            ('M', Some(8) | None) => (DtypeKind::Datetime, 8),
            ('m', Some(8) | None) => (DtypeKind::Timedelta, 8),
            ('f', Some(12 | 16)) | ('c', Some(24 | 32)) => {
                return Err(format!("data type {spec:?} (long double) is not supported"))
            }
            _ => return Err(bad()),
        };
        let byteorder = match kind {
            DtypeKind::Bool | DtypeKind::Bytes | DtypeKind::Void | DtypeKind::Object => {
                ByteOrder::NotApplicable
            }
            _ if itemsize == 1 => ByteOrder::NotApplicable,
            _ => byteorder,
        };
        let alignment = match kind {
            DtypeKind::Complex => itemsize / 2,
            DtypeKind::Bytes | DtypeKind::Void => 1,
            DtypeKind::Str => 4,
            _ => itemsize,
        };
        Ok(Dtype {
            kind,
            itemsize,
            byteorder,
            alignment,
            fields: None,
            subarray: None,
            unit: None,
            nest: 1,
        })
    }

    /// Parses numpy's `dtype.str` form (`'<f8'`, `'|b1'`, `'>U3'` (characters), `'|O'`,
    /// `'<M8[s]'`), as `.npy` headers write it.
    pub fn from_descr(descr: &str) -> Result<Dtype, String> {
        let bad = || format!("data type {descr:?} not understood");
        let mut chars = descr.chars();
        let first = chars.next().ok_or_else(bad)?;
        let (order, rest) = match first {
            '<' => (ByteOrder::Little, chars.as_str()),
            '>' => (ByteOrder::Big, chars.as_str()),
            '|' => (ByteOrder::NotApplicable, chars.as_str()),
            '=' => (ByteOrder::native(), chars.as_str()),
            _ => (ByteOrder::native(), descr),
        };
        let (base, unit) = match rest.split_once('[') {
            Some((b, u)) => (b, Some(u.strip_suffix(']').ok_or_else(bad)?)),
            None => (rest, None),
        };
        // In `dtype.str`, `U` counts characters, as in the reduce string.
        let mut dt = Dtype::parse(base, order)?;
        if matches!(dt.kind, DtypeKind::Int | DtypeKind::UInt | DtypeKind::Float)
            && dt.itemsize > 1
            && order == ByteOrder::NotApplicable
        {
            return Err(bad());
        }
        match (dt.kind, unit) {
            (DtypeKind::Datetime | DtypeKind::Timedelta, Some(u)) => {
                dt.unit = Some(parse_unit(u).ok_or_else(bad)?);
            }
            (_, Some(_)) => return Err(bad()),
            _ => {}
        }
        Ok(dt)
    }

    /// The kind.
    pub fn kind(&self) -> DtypeKind {
        self.kind
    }

    /// Bytes per element.
    pub fn itemsize(&self) -> usize {
        self.itemsize
    }

    /// The byte order.
    pub fn byteorder(&self) -> ByteOrder {
        self.byteorder
    }

    /// The alignment in bytes.
    pub fn alignment(&self) -> usize {
        self.alignment
    }

    /// The fields, in order, if this is a structured dtype.
    pub fn fields(&self) -> Option<&[Field]> {
        self.fields.as_deref()
    }

    /// The base dtype and shape, if this is a subarray dtype (`('<f8', (2,))`).
    pub fn subarray(&self) -> Option<(&Dtype, &[usize])> {
        self.subarray.as_deref().map(|(d, s)| (d, s.as_slice()))
    }

    /// The unit and its multiplier, for `datetime64` and `timedelta64` (`("s", 1)`).
    pub fn datetime_unit(&self) -> Option<(&str, u32)> {
        self.unit.as_ref().map(|(u, n)| (u.as_str(), *n))
    }

    /// Whether the dtype is (or contains) Python objects.
    pub fn has_object(&self) -> bool {
        // Iterative: nesting is bounded anyway, but this keeps it trivially so.
        let mut todo = vec![self];
        while let Some(d) = todo.pop() {
            if d.kind == DtypeKind::Object {
                return true;
            }
            if let Some(fields) = &d.fields {
                todo.extend(fields.iter().map(|f| &f.dtype));
            }
            if let Some(sub) = &d.subarray {
                todo.push(&sub.0);
            }
        }
        false
    }

    /// numpy's `dtype.str` for a dtype without fields or subarray: `'<f8'`, `'|b1'`,
    /// `'<U2'` (characters), `'|S3'`, `'|O'`, `'<M8[s]'`.
    pub fn descr(&self) -> String {
        let mut s = String::new();
        s.push(self.byteorder.as_char());
        s.push(self.kind.as_char());
        match self.kind {
            DtypeKind::Object => {}
            DtypeKind::Str => s.push_str(&(self.itemsize / 4).to_string()),
            _ => s.push_str(&self.itemsize.to_string()),
        }
        if let Some((unit, n)) = &self.unit {
            if unit != "generic" {
                s.push('[');
                if *n != 1 {
                    s.push_str(&n.to_string());
                }
                s.push_str(unit);
                s.push(']');
            }
        }
        s
    }

    pub(crate) fn compute_nest(&self) -> u32 {
        let fields = self
            .fields
            .iter()
            .flatten()
            .map(|f| f.dtype.nest)
            .max()
            .unwrap_or(0);
        let sub = self.subarray.as_ref().map_or(0, |s| s.0.nest);
        1 + fields.max(sub)
    }

    /// Writes the dtype as numpy's `array(…, dtype=…)` argument: `'<f8'`, a dict for
    /// structured dtypes, a `(base, shape)` tuple for subarrays.
    pub(crate) fn write_spec<W: Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        if let Some(fields) = &self.fields {
            out.write_str("{'names': [")?;
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                repr::write_str(out, &f.name)?;
            }
            out.write_str("], 'formats': [")?;
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                f.dtype.write_spec(out)?;
            }
            out.write_str("], 'offsets': [")?;
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write!(out, "{}", f.offset)?;
            }
            return write!(out, "], 'itemsize': {}}}", self.itemsize);
        }
        if let Some(sub) = &self.subarray {
            out.write_char('(')?;
            sub.0.write_spec(out)?;
            out.write_str(", ")?;
            write_shape(out, &sub.1)?;
            return out.write_char(')');
        }
        out.write_char('\'')?;
        out.write_str(&self.descr())?;
        out.write_char('\'')
    }

    /// Python's type name of the numpy scalar type (`'float64'`, `'int32'`, `'bool'` …).
    pub(crate) fn scalar_type_name(&self) -> &'static str {
        match (self.kind, self.itemsize) {
            (DtypeKind::Bool, _) => "bool",
            (DtypeKind::Int, 1) => "int8",
            (DtypeKind::Int, 2) => "int16",
            (DtypeKind::Int, 4) => "int32",
            (DtypeKind::Int, _) => "int64",
            (DtypeKind::UInt, 1) => "uint8",
            (DtypeKind::UInt, 2) => "uint16",
            (DtypeKind::UInt, 4) => "uint32",
            (DtypeKind::UInt, _) => "uint64",
            (DtypeKind::Float, 2) => "float16",
            (DtypeKind::Float, 4) => "float32",
            (DtypeKind::Float, _) => "float64",
            (DtypeKind::Complex, 8) => "complex64",
            (DtypeKind::Complex, _) => "complex128",
            (DtypeKind::Bytes, _) => "bytes_",
            (DtypeKind::Str, _) => "str_",
            (DtypeKind::Void, _) => "void",
            (DtypeKind::Object, _) => "object_",
            (DtypeKind::Datetime, _) => "datetime64",
            (DtypeKind::Timedelta, _) => "timedelta64",
        }
    }
}

pub(crate) fn parse_unit(u: &str) -> Option<(String, u32)> {
    let split = u.find(|c: char| !c.is_ascii_digit()).unwrap_or(u.len());
    let (num, unit) = u.split_at(split);
    let n: u32 = if num.is_empty() {
        1
    } else if num.len() <= 9 {
        num.parse().ok()?
    } else {
        return None;
    };
    UNITS
        .contains(&unit)
        .then(|| (unit.to_owned(), n))
        .filter(|_| n > 0)
}

impl fmt::Display for Dtype {
    /// `dtype('<f8')`, or `dtype({...})` for structured dtypes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dtype(")?;
        self.write_spec(f)?;
        f.write_char(')')
    }
}

fn write_shape<W: Write + ?Sized>(out: &mut W, shape: &[usize]) -> fmt::Result {
    out.write_char('(')?;
    for (i, d) in shape.iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        write!(out, "{d}")?;
    }
    if shape.len() == 1 {
        out.write_char(',')?;
    }
    out.write_char(')')
}

/// The elements of an [`NdArray`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ArrayData {
    /// The raw bytes of every dtype but object, in the array's memory order (C, or Fortran
    /// when [`NdArray::is_fortran`]), in the dtype's byte order.
    Bytes(Vec<u8>),
    /// The elements of an object array, in C (row-major) order.
    Objects(Vec<Value>),
}

/// A numpy `ndarray` (or, as [`Value::NumpyScalar`], a numpy scalar as a 0-d array).
///
/// The element count (product of the shape), the item size and the data length always
/// agree: the constructors check it with overflow-checked arithmetic.
#[derive(Clone, Debug, PartialEq)]
pub struct NdArray {
    pub(crate) dtype: Dtype,
    pub(crate) shape: Vec<usize>,
    pub(crate) fortran: bool,
    pub(crate) data: ArrayData,
}

/// The number of elements of `shape`, or an error when it overflows.
pub fn element_count(shape: &[usize]) -> Result<usize, String> {
    shape.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d)
            .ok_or_else(|| "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size.".to_owned())
    })
}

impl NdArray {
    /// An array of a non-object dtype from its raw bytes (in C order, or Fortran order
    /// when `fortran`). Fails unless `len(data) == prod(shape) * itemsize`.
    pub fn from_bytes(
        dtype: Dtype,
        shape: Vec<usize>,
        fortran: bool,
        data: Vec<u8>,
    ) -> Result<NdArray, String> {
        if dtype.has_object() {
            return Err("cannot create an object array from raw bytes".to_owned());
        }
        check_shape(&shape, &dtype)?;
        let expected = element_count(&shape)?
            .checked_mul(dtype.itemsize)
            .ok_or_else(|| "array is too big".to_owned())?;
        if expected != data.len() {
            return Err(format!(
                "buffer size does not match array size: {} bytes for {} expected",
                data.len(),
                expected
            ));
        }
        Ok(NdArray {
            dtype,
            shape,
            fortran,
            data: ArrayData::Bytes(data),
        })
    }

    /// An object array from its elements in C order. Fails unless there are
    /// `prod(shape)` of them.
    pub fn from_objects(
        dtype: Dtype,
        shape: Vec<usize>,
        fortran: bool,
        items: Vec<Value>,
    ) -> Result<NdArray, String> {
        if dtype.kind != DtypeKind::Object {
            return Err("only object arrays hold Python objects".to_owned());
        }
        check_shape(&shape, &dtype)?;
        if element_count(&shape)? != items.len() {
            return Err(format!(
                "object array of {} elements for shape {:?}",
                items.len(),
                shape
            ));
        }
        Ok(NdArray {
            dtype,
            shape,
            fortran,
            data: ArrayData::Objects(items),
        })
    }

    /// Converts the data to the machine's byte order, as numpy's `ndarray.__setstate__`
    /// does on unpickling (a `'>i4'` array pickled through `_reconstruct` loads as `'<i4'`
    /// on a little-endian machine, with the same values). Structured dtypes keep their
    /// fields' byte orders, as in numpy.
    pub(crate) fn make_native(&mut self) {
        let order = self.dtype.byteorder;
        if order == ByteOrder::NotApplicable || order == ByteOrder::native() {
            return;
        }
        let unit = match self.dtype.kind {
            DtypeKind::Complex => self.dtype.itemsize / 2,
            DtypeKind::Str => 4,
            _ => self.dtype.itemsize,
        };
        if let ArrayData::Bytes(b) = &mut self.data {
            if unit > 1 {
                for chunk in b.chunks_exact_mut(unit) {
                    chunk.reverse();
                }
            }
        }
        self.dtype.byteorder = ByteOrder::native();
    }

    /// The dtype.
    pub fn dtype(&self) -> &Dtype {
        &self.dtype
    }

    /// The shape (empty for a 0-d array or a scalar).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Whether the data is in Fortran (column-major) order. Only meaningful with two or
    /// more dimensions.
    pub fn is_fortran(&self) -> bool {
        self.fortran
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        element_count(&self.shape).unwrap_or(0)
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw data.
    pub fn data(&self) -> &ArrayData {
        &self.data
    }

    /// The raw bytes (memory order, dtype byte order), unless this is an object array.
    pub fn raw_bytes(&self) -> Option<&[u8]> {
        match &self.data {
            ArrayData::Bytes(b) => Some(b),
            ArrayData::Objects(_) => None,
        }
    }

    /// The elements of an object array, in C order.
    pub fn objects(&self) -> Option<&[Value]> {
        match &self.data {
            ArrayData::Objects(o) => Some(o),
            ArrayData::Bytes(_) => None,
        }
    }

    /// Indices (in memory order) of the elements, visited in C (row-major) order.
    fn c_order(&self) -> COrder {
        COrder::new(&self.shape, self.fortran && self.shape.len() > 1)
    }

    /// The items' bytes in C order (each `itemsize` long).
    fn items(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let size = self.dtype.itemsize;
        let bytes = self.raw_bytes().unwrap_or_default();
        self.c_order().map(move |i| {
            i.checked_mul(size)
                .and_then(|s| bytes.get(s..s.checked_add(size)?))
                .unwrap_or_default()
        })
    }

    /// Each element as `N` bytes in native byte order, in C order, if the dtype has this
    /// kind and item size.
    fn native<const N: usize>(&self, kinds: &[DtypeKind]) -> Option<Vec<[u8; N]>> {
        if !kinds.contains(&self.dtype.kind)
            || self.dtype.itemsize != N
            || self.dtype.fields.is_some()
            || self.dtype.subarray.is_some()
        {
            return None;
        }
        let swap = self.dtype.byteorder != ByteOrder::NotApplicable
            && self.dtype.byteorder != ByteOrder::native();
        Some(self.items().map(|b| to_native::<N>(b, swap)).collect())
    }

    /// Complex elements: each part as `N` bytes, native order.
    fn complex_native<const N: usize>(&self) -> Option<Vec<([u8; N], [u8; N])>> {
        if self.dtype.kind != DtypeKind::Complex || self.dtype.itemsize != 2 * N {
            return None;
        }
        let swap = self.dtype.byteorder != ByteOrder::native();
        Some(
            self.items()
                .map(|b| {
                    let (re, im) = b.split_at(N.min(b.len()));
                    (to_native::<N>(re, swap), to_native::<N>(im, swap))
                })
                .collect(),
        )
    }

    /// `f64` elements in C order (dtype `f8`).
    pub fn to_f64(&self) -> Option<Vec<f64>> {
        Some(
            self.native::<8>(&[DtypeKind::Float])?
                .into_iter()
                .map(f64::from_ne_bytes)
                .collect(),
        )
    }

    /// `f32` elements in C order (dtype `f4`).
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        Some(
            self.native::<4>(&[DtypeKind::Float])?
                .into_iter()
                .map(f32::from_ne_bytes)
                .collect(),
        )
    }

    /// Half-precision elements as raw IEEE binary16 bits, in C order (dtype `f2`).
    pub fn to_f16_bits(&self) -> Option<Vec<u16>> {
        Some(
            self.native::<2>(&[DtypeKind::Float])?
                .into_iter()
                .map(u16::from_ne_bytes)
                .collect(),
        )
    }

    /// `bool` elements in C order (dtype `b1`; any non-zero byte is true, as in numpy).
    pub fn to_bool(&self) -> Option<Vec<bool>> {
        Some(
            self.native::<1>(&[DtypeKind::Bool])?
                .into_iter()
                .map(|[b]| b != 0)
                .collect(),
        )
    }

    /// The elements of an integer array of exactly this width and signedness, in C order
    /// and native byte order. Each accessor answers one dtype only (`to_i32` is `i4`, not
    /// `i2` widened), as [`NdArray::to_f64`] answers `f8` only, so a caller is never handed
    /// values of a type it did not ask for.
    fn ints<const N: usize, T>(&self, kind: DtypeKind, from: fn([u8; N]) -> T) -> Option<Vec<T>> {
        Some(self.native::<N>(&[kind])?.into_iter().map(from).collect())
    }

    /// `i8` elements in C order (dtype `i1`).
    pub fn to_i8(&self) -> Option<Vec<i8>> {
        self.ints::<1, _>(DtypeKind::Int, i8::from_ne_bytes)
    }

    /// `i16` elements in C order (dtype `i2`).
    pub fn to_i16(&self) -> Option<Vec<i16>> {
        self.ints::<2, _>(DtypeKind::Int, i16::from_ne_bytes)
    }

    /// `i32` elements in C order (dtype `i4`).
    pub fn to_i32(&self) -> Option<Vec<i32>> {
        self.ints::<4, _>(DtypeKind::Int, i32::from_ne_bytes)
    }

    /// `i64` elements in C order (dtype `i8`).
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        self.ints::<8, _>(DtypeKind::Int, i64::from_ne_bytes)
    }

    /// `u8` elements in C order (dtype `u1`).
    pub fn to_u8(&self) -> Option<Vec<u8>> {
        self.ints::<1, _>(DtypeKind::UInt, u8::from_ne_bytes)
    }

    /// `u16` elements in C order (dtype `u2`).
    pub fn to_u16(&self) -> Option<Vec<u16>> {
        self.ints::<2, _>(DtypeKind::UInt, u16::from_ne_bytes)
    }

    /// `u32` elements in C order (dtype `u4`).
    pub fn to_u32(&self) -> Option<Vec<u32>> {
        self.ints::<4, _>(DtypeKind::UInt, u32::from_ne_bytes)
    }

    /// `u64` elements in C order (dtype `u8`).
    pub fn to_u64(&self) -> Option<Vec<u64>> {
        self.ints::<8, _>(DtypeKind::UInt, u64::from_ne_bytes)
    }

    /// `complex64` elements as `(re, im)` pairs, in C order.
    pub fn to_complex64(&self) -> Option<Vec<(f32, f32)>> {
        Some(
            self.complex_native::<4>()?
                .into_iter()
                .map(|(r, i)| (f32::from_ne_bytes(r), f32::from_ne_bytes(i)))
                .collect(),
        )
    }

    /// `complex128` elements as `(re, im)` pairs, in C order.
    pub fn to_complex128(&self) -> Option<Vec<(f64, f64)>> {
        Some(
            self.complex_native::<8>()?
                .into_iter()
                .map(|(r, i)| (f64::from_ne_bytes(r), f64::from_ne_bytes(i)))
                .collect(),
        )
    }

    /// The fixed-width items of an `S` (or raw `V`) array, full width, in C order.
    pub fn to_fixed_bytes(&self) -> Option<Vec<&[u8]>> {
        if !matches!(self.dtype.kind, DtypeKind::Bytes | DtypeKind::Void)
            || self.dtype.fields.is_some()
            || self.dtype.subarray.is_some()
        {
            return None;
        }
        Some(self.items().collect())
    }

    /// The elements of a `U` array as strings (UTF-32 decoded, trailing NULs dropped as
    /// numpy does), in C order. `None` for another dtype; an element that is not valid
    /// Unicode (a lone surrogate) is `Err` with its code points.
    pub fn to_strings(&self) -> Option<Vec<Result<String, Vec<u32>>>> {
        if self.dtype.kind != DtypeKind::Str || self.dtype.subarray.is_some() {
            return None;
        }
        let big = self.dtype.byteorder == ByteOrder::Big;
        Some(
            self.items()
                .map(|b| {
                    let cps = utf32(b, big);
                    cps.iter()
                        .map(|&c| char::from_u32(c))
                        .collect::<Option<String>>()
                        .ok_or(cps)
                })
                .collect(),
        )
    }

    fn write_element<W: Write + ?Sized>(
        out: &mut W,
        dtype: &Dtype,
        b: &[u8],
        scalar: bool,
    ) -> fmt::Result {
        let swap =
            dtype.byteorder != ByteOrder::NotApplicable && dtype.byteorder != ByteOrder::native();
        if let Some(fields) = &dtype.fields {
            out.write_char('(')?;
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                let part = f
                    .offset
                    .checked_add(f.dtype.itemsize)
                    .and_then(|end| b.get(f.offset..end))
                    .unwrap_or_default();
                NdArray::write_element(out, &f.dtype, part, scalar)?;
            }
            if fields.len() == 1 {
                out.write_char(',')?;
            }
            return out.write_char(')');
        }
        if let Some(sub) = &dtype.subarray {
            let (base, shape) = (&sub.0, &sub.1);
            let count = element_count(shape).map_err(|_| fmt::Error)?;
            let size = base.itemsize;
            return write_nested(out, shape, count, |out, i| {
                let part = i
                    .checked_mul(size)
                    .and_then(|s| b.get(s..s.checked_add(size)?))
                    .unwrap_or_default();
                NdArray::write_element(out, base, part, scalar)
            });
        }
        match (dtype.kind, dtype.itemsize) {
            (DtypeKind::Bool, _) => out.write_str(if b.iter().any(|&x| x != 0) {
                "True"
            } else {
                "False"
            }),
            (DtypeKind::Int, n) => write!(out, "{}", int_of(b, n, swap, true)),
            (DtypeKind::UInt, n) => write!(out, "{}", int_of(b, n, swap, false)),
            (DtypeKind::Datetime | DtypeKind::Timedelta, _) => {
                write!(out, "{}", int_of(b, 8, swap, true))
            }
            (DtypeKind::Float, n) => repr::write_float(out, float_of(b, n, swap)),
            (DtypeKind::Complex, n) => {
                let (re, im) = b.split_at((n / 2).min(b.len()));
                let (re, im) = (float_of(re, n / 2, swap), float_of(im, n / 2, swap));
                if scalar {
                    let mut s = String::new();
                    repr::write_complex(&mut s, re, im)?;
                    let inner = s
                        .strip_prefix('(')
                        .and_then(|s| s.strip_suffix(')'))
                        .unwrap_or(&s);
                    out.write_str(inner)
                } else {
                    repr::write_complex(out, re, im)
                }
            }
            (DtypeKind::Bytes, _) => {
                let end = b.iter().rposition(|&x| x != 0).map_or(0, |p| p + 1);
                repr::write_bytes(out, b.get(..end).unwrap_or_default())
            }
            (DtypeKind::Void, _) => repr::write_bytes(out, b),
            (DtypeKind::Str, _) => {
                let cps = utf32(b, dtype.byteorder == ByteOrder::Big);
                match cps
                    .iter()
                    .map(|&c| char::from_u32(c))
                    .collect::<Option<String>>()
                {
                    Some(s) => repr::write_str(out, &s),
                    None => write_code_points(out, &cps),
                }
            }
            (DtypeKind::Object, _) => out.write_str("None"),
        }
    }
}

/// Writes a Python string literal for code points that include lone surrogates.
fn write_code_points<W: Write + ?Sized>(out: &mut W, cps: &[u32]) -> fmt::Result {
    out.write_char('\'')?;
    for &c in cps {
        match char::from_u32(c) {
            Some(ch) if (' '..='~').contains(&ch) && ch != '\\' && ch != '\'' => {
                out.write_char(ch)?
            }
            _ if c <= 0xFF => write!(out, "\\x{c:02x}")?,
            _ if c <= 0xFFFF => write!(out, "\\u{c:04x}")?,
            _ => write!(out, "\\U{c:08x}")?,
        }
    }
    out.write_char('\'')
}

fn utf32(b: &[u8], big: bool) -> Vec<u32> {
    let mut cps: Vec<u32> = b
        .chunks_exact(4)
        .map(|c| {
            let a = [
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
                c.get(2).copied().unwrap_or(0),
                c.get(3).copied().unwrap_or(0),
            ];
            if big {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }
        })
        .collect();
    while cps.last() == Some(&0) {
        cps.pop();
    }
    cps
}

fn to_native<const N: usize>(b: &[u8], swap: bool) -> [u8; N] {
    let mut a = [0u8; N];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    if swap {
        a.reverse();
    }
    a
}

/// An integer element of `n` bytes as i128 (enough for every i8…u64).
fn int_of(b: &[u8], n: usize, swap: bool, signed: bool) -> i128 {
    match n {
        1 => {
            let [x] = to_native::<1>(b, false);
            if signed {
                i128::from(x as i8)
            } else {
                i128::from(x)
            }
        }
        2 => {
            let a = to_native::<2>(b, swap);
            if signed {
                i128::from(i16::from_ne_bytes(a))
            } else {
                i128::from(u16::from_ne_bytes(a))
            }
        }
        4 => {
            let a = to_native::<4>(b, swap);
            if signed {
                i128::from(i32::from_ne_bytes(a))
            } else {
                i128::from(u32::from_ne_bytes(a))
            }
        }
        _ => {
            let a = to_native::<8>(b, swap);
            if signed {
                i128::from(i64::from_ne_bytes(a))
            } else {
                i128::from(u64::from_ne_bytes(a))
            }
        }
    }
}

/// A float element of `n` (2, 4 or 8) bytes, widened exactly to f64.
fn float_of(b: &[u8], n: usize, swap: bool) -> f64 {
    match n {
        2 => f16_to_f64(u16::from_ne_bytes(to_native::<2>(b, swap))),
        4 => f64::from(f32::from_ne_bytes(to_native::<4>(b, swap))),
        _ => f64::from_ne_bytes(to_native::<8>(b, swap)),
    }
}

/// IEEE binary16 bits to the exactly equal f64.
pub fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    let mag = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1024.0 + mant) * 2f64.powi(e - 25),
    };
    sign * mag
}

fn check_shape(shape: &[usize], dtype: &Dtype) -> Result<(), String> {
    if shape.len() > MAX_DIMS {
        return Err(format!(
            "maximum supported dimension for an ndarray is currently {MAX_DIMS}, found {}",
            shape.len()
        ));
    }
    if dtype.itemsize == 0 {
        return Err("an array's dtype must have a non-zero item size".to_owned());
    }
    Ok(())
}

/// Visits the memory indices of a C- or Fortran-ordered array in C order.
struct COrder {
    idx: Vec<usize>,
    shape: Vec<usize>,
    /// Memory strides in elements, per dimension.
    strides: Vec<usize>,
    pos: usize,
    remaining: usize,
}

impl COrder {
    fn new(shape: &[usize], fortran: bool) -> COrder {
        let n = shape.len();
        let mut strides = vec![1usize; n];
        if fortran {
            for k in 1..n {
                let prev = strides.get(k - 1).copied().unwrap_or(1);
                let dim = shape.get(k - 1).copied().unwrap_or(1);
                if let Some(s) = strides.get_mut(k) {
                    *s = prev.saturating_mul(dim);
                }
            }
        } else {
            for k in (0..n.saturating_sub(1)).rev() {
                let next = strides.get(k + 1).copied().unwrap_or(1);
                let dim = shape.get(k + 1).copied().unwrap_or(1);
                if let Some(s) = strides.get_mut(k) {
                    *s = next.saturating_mul(dim);
                }
            }
        }
        COrder {
            idx: vec![0; n],
            shape: shape.to_vec(),
            strides,
            pos: 0,
            remaining: element_count(shape).unwrap_or(0),
        }
    }
}

impl Iterator for COrder {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let here = self.pos;
        // Advance the odometer (last dimension fastest).
        for k in (0..self.idx.len()).rev() {
            let (Some(i), Some(&dim), Some(&stride)) =
                (self.idx.get_mut(k), self.shape.get(k), self.strides.get(k))
            else {
                break;
            };
            *i += 1;
            self.pos = self.pos.wrapping_add(stride);
            if *i < dim {
                break;
            }
            self.pos = self.pos.wrapping_sub(stride.wrapping_mul(dim));
            *i = 0;
        }
        Some(here)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Writes `count` elements (C order) as nested lists of `shape` (bare for 0-d), without
/// recursion.
fn write_nested<W: Write + ?Sized>(
    out: &mut W,
    shape: &[usize],
    count: usize,
    mut element: impl FnMut(&mut W, usize) -> fmt::Result,
) -> fmt::Result {
    let n = shape.len();
    if n == 0 {
        return element(out, 0);
    }
    if count == 0 {
        // Nested empty lists up to the first zero dimension.
        let mut depth = 0;
        for &d in shape {
            depth += 1;
            if d == 0 {
                break;
            }
        }
        for _ in 0..depth {
            out.write_char('[')?;
        }
        for _ in 0..depth {
            out.write_char(']')?;
        }
        return Ok(());
    }
    let mut idx = vec![0usize; n];
    for _ in 0..n {
        out.write_char('[')?;
    }
    for i in 0..count {
        if i > 0 {
            // How many trailing dimensions rolled over.
            let mut rolled = 0;
            for k in (0..n).rev() {
                let (Some(x), Some(&dim)) = (idx.get_mut(k), shape.get(k)) else {
                    break;
                };
                *x += 1;
                if *x < dim {
                    break;
                }
                *x = 0;
                rolled += 1;
            }
            for _ in 0..rolled {
                out.write_char(']')?;
            }
            out.write_str(", ")?;
            for _ in 0..rolled {
                out.write_char('[')?;
            }
        }
        element(out, i)?;
    }
    for _ in 0..n {
        out.write_char(']')?;
    }
    Ok(())
}

impl NdArray {
    fn is_datetime(&self) -> bool {
        matches!(self.dtype.kind, DtypeKind::Datetime | DtypeKind::Timedelta)
            && self.dtype.fields.is_none()
    }

    /// Writes the array (see the module documentation for the form).
    pub(crate) fn write_array<W: Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let count = self.len();
        out.write_str("array(")?;
        let shaped_empty = count == 0 && self.shape.as_slice() != [0];
        if shaped_empty {
            out.write_str("[]")?;
        } else {
            match &self.data {
                ArrayData::Objects(items) => {
                    write_nested(out, &self.shape, count, |out, i| match items.get(i) {
                        Some(v) => write_value(out, v),
                        None => out.write_str("None"),
                    })?
                }
                ArrayData::Bytes(bytes) => {
                    let size = self.dtype.itemsize;
                    let mut order = self.c_order();
                    write_nested(out, &self.shape, count, |out, _| {
                        let at = order.next().unwrap_or(0);
                        let b = at
                            .checked_mul(size)
                            .and_then(|s| bytes.get(s..s.checked_add(size)?))
                            .unwrap_or_default();
                        NdArray::write_element(out, &self.dtype, b, false)
                    })?
                }
            }
        }
        out.write_str(", dtype=")?;
        if self.is_datetime() {
            write!(out, "'{}i8')", self.dtype.byteorder.as_char())?;
            write!(out, ".view('{}')", self.dtype.descr())?;
        } else {
            self.dtype.write_spec(out)?;
            out.write_char(')')?;
        }
        if shaped_empty {
            out.write_str(".reshape(")?;
            write_shape(out, &self.shape)?;
            out.write_char(')')?;
        }
        Ok(())
    }

    /// Writes the array as a numpy scalar (see the module documentation).
    pub(crate) fn write_scalar<W: Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let b = self.raw_bytes().unwrap_or_default();
        let dt = &self.dtype;
        match dt.kind {
            DtypeKind::Bool if dt.fields.is_none() => {
                return out.write_str(if b.iter().any(|&x| x != 0) {
                    "np.True_"
                } else {
                    "np.False_"
                })
            }
            DtypeKind::Datetime | DtypeKind::Timedelta if dt.fields.is_none() => {
                let swap =
                    dt.byteorder != ByteOrder::NotApplicable && dt.byteorder != ByteOrder::native();
                let v = int_of(b, 8, swap, true);
                write!(out, "np.{}(", dt.scalar_type_name())?;
                if v == i128::from(i64::MIN) {
                    return out.write_str("'NaT')");
                }
                write!(out, "{v}")?;
                if let Some((unit, n)) = &dt.unit {
                    if unit != "generic" {
                        out.write_str(", '")?;
                        if *n != 1 {
                            write!(out, "{n}")?;
                        }
                        write!(out, "{unit}'")?;
                    }
                }
                return out.write_char(')');
            }
            _ => {}
        }
        write!(out, "np.{}(", dt.scalar_type_name())?;
        NdArray::write_element(out, dt, b, true)?;
        if dt.fields.is_some() {
            out.write_str(", dtype=")?;
            dt.write_spec(out)?;
        }
        out.write_char(')')
    }
}
