//! Every torch dtype a checkpoint can name, with its element size, its `torch.<name>`
//! spelling and the legacy `torch.<X>Storage` class that stores it.

use std::fmt;

/// A torch dtype. The names are torch's canonical ones (`torch.float32`, not the alias
/// `torch.float`), which is how a pickle spells a dtype global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// `torch.float64`
    Float64,
    /// `torch.float32`
    Float32,
    /// `torch.float16`
    Float16,
    /// `torch.bfloat16`
    BFloat16,
    /// `torch.float8_e5m2`
    Float8E5M2,
    /// `torch.float8_e4m3fn`
    Float8E4M3Fn,
    /// `torch.float8_e5m2fnuz`
    Float8E5M2Fnuz,
    /// `torch.float8_e4m3fnuz`
    Float8E4M3Fnuz,
    /// `torch.float8_e8m0fnu`
    Float8E8M0Fnu,
    /// `torch.float4_e2m1fn_x2`: two 4-bit floats packed in one byte (one element).
    Float4E2M1FnX2,
    /// `torch.complex32`: two float16.
    Complex32,
    /// `torch.complex64`: two float32.
    Complex64,
    /// `torch.complex128`: two float64.
    Complex128,
    /// `torch.int8`
    Int8,
    /// `torch.int16`
    Int16,
    /// `torch.int32`
    Int32,
    /// `torch.int64`
    Int64,
    /// `torch.uint8`
    UInt8,
    /// `torch.uint16`
    UInt16,
    /// `torch.uint32`
    UInt32,
    /// `torch.uint64`
    UInt64,
    /// `torch.bool`: one byte, 0 or 1.
    Bool,
    /// `torch.bits8`: an opaque byte.
    Bits8,
    /// `torch.bits16`: two opaque bytes.
    Bits16,
    /// `torch.bits1x8`
    Bits1x8,
    /// `torch.bits2x4`
    Bits2x4,
    /// `torch.bits4x2`
    Bits4x2,
}

/// `(dtype, name, element size, legacy storage class)`.
const TABLE: &[(DType, &str, usize, Option<&str>)] = &[
    (DType::Float64, "float64", 8, Some("DoubleStorage")),
    (DType::Float32, "float32", 4, Some("FloatStorage")),
    (DType::Float16, "float16", 2, Some("HalfStorage")),
    (DType::BFloat16, "bfloat16", 2, Some("BFloat16Storage")),
    (DType::Float8E5M2, "float8_e5m2", 1, None),
    (DType::Float8E4M3Fn, "float8_e4m3fn", 1, None),
    (DType::Float8E5M2Fnuz, "float8_e5m2fnuz", 1, None),
    (DType::Float8E4M3Fnuz, "float8_e4m3fnuz", 1, None),
    (DType::Float8E8M0Fnu, "float8_e8m0fnu", 1, None),
    (DType::Float4E2M1FnX2, "float4_e2m1fn_x2", 1, None),
    (DType::Complex32, "complex32", 4, None),
    (
        DType::Complex64,
        "complex64",
        8,
        Some("ComplexFloatStorage"),
    ),
    (
        DType::Complex128,
        "complex128",
        16,
        Some("ComplexDoubleStorage"),
    ),
    (DType::Int8, "int8", 1, Some("CharStorage")),
    (DType::Int16, "int16", 2, Some("ShortStorage")),
    (DType::Int32, "int32", 4, Some("IntStorage")),
    (DType::Int64, "int64", 8, Some("LongStorage")),
    (DType::UInt8, "uint8", 1, Some("ByteStorage")),
    (DType::UInt16, "uint16", 2, None),
    (DType::UInt32, "uint32", 4, None),
    (DType::UInt64, "uint64", 8, None),
    (DType::Bool, "bool", 1, Some("BoolStorage")),
    (DType::Bits8, "bits8", 1, None),
    (DType::Bits16, "bits16", 2, None),
    (DType::Bits1x8, "bits1x8", 1, None),
    (DType::Bits2x4, "bits2x4", 1, None),
    (DType::Bits4x2, "bits4x2", 1, None),
];

impl DType {
    /// Every dtype, in a fixed order.
    pub fn all() -> impl Iterator<Item = DType> {
        TABLE.iter().map(|e| e.0)
    }

    fn entry(self) -> &'static (DType, &'static str, usize, Option<&'static str>) {
        // Every variant has a row (checked by a test); the fallback is never taken.
        TABLE.iter().find(|e| e.0 == self).unwrap_or(&TABLE[0])
    }

    /// The name after `torch.`, e.g. `"float32"`.
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// Bytes per element (torch's `element_size()`).
    pub fn element_size(self) -> usize {
        self.entry().2
    }

    /// The dtype named `torch.<name>` (canonical names only).
    pub fn from_name(name: &str) -> Option<DType> {
        TABLE.iter().find(|e| e.1 == name).map(|e| e.0)
    }

    /// The dtype of a legacy typed storage class (`FloatStorage` → float32).
    pub fn from_storage_class(class: &str) -> Option<DType> {
        TABLE.iter().find(|e| e.3 == Some(class)).map(|e| e.0)
    }

    /// The legacy typed storage class (`FloatStorage` for float32), if the dtype has one.
    pub fn storage_class(self) -> Option<&'static str> {
        self.entry().3
    }

    /// Whether torch counts it as floating point (`dtype.is_floating_point`).
    pub fn is_floating_point(self) -> bool {
        matches!(
            self,
            DType::Float64
                | DType::Float32
                | DType::Float16
                | DType::BFloat16
                | DType::Float8E5M2
                | DType::Float8E4M3Fn
                | DType::Float8E5M2Fnuz
                | DType::Float8E4M3Fnuz
                | DType::Float8E8M0Fnu
        )
    }

    /// Whether it is complex.
    pub fn is_complex(self) -> bool {
        matches!(
            self,
            DType::Complex32 | DType::Complex64 | DType::Complex128
        )
    }

    /// The byte size of one real component: the element size, or half of it for complex
    /// dtypes. Byte-order swaps work on units of this size.
    pub(crate) fn swap_unit(self) -> usize {
        if self.is_complex() {
            self.element_size() / 2
        } else {
            self.element_size()
        }
    }
}

impl fmt::Display for DType {
    /// `torch.float32`, as torch prints a dtype.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torch.{}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_has_its_own_row() {
        let names: Vec<&str> = DType::all().map(DType::name).collect();
        for d in DType::all() {
            assert_eq!(DType::from_name(d.name()), Some(d));
        }
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), names.len());
        assert_eq!(DType::from_storage_class("LongStorage"), Some(DType::Int64));
        assert_eq!(DType::Complex128.swap_unit(), 8);
    }
}
