//! `Display` for tensors against torch's printing rules (`torch/_tensor_str.py` of torch
//! 2.10, default print options: precision 4, threshold 1000, edge items 3, line width 80).
//! No torch is at hand to print these, so every expected text below was worked out by hand
//! from those rules; the comment above each says which rules it exercises and how the
//! widths come out.

use unpickle::torch::{Buffer, ByteOrder, DType, Storage, Tensor};

/// A contiguous tensor of `dtype` and `shape` over `bytes` (little-endian).
fn tensor(dtype: DType, bytes: Vec<u8>, shape: &[i64]) -> Tensor {
    let n = bytes.len() / dtype.element_size();
    let len = bytes.len();
    let s = Storage::new(
        "0",
        dtype,
        n,
        "cpu",
        ByteOrder::Little,
        Some((Buffer::new(bytes), 0..len)),
    )
    .unwrap();
    let mut stride = vec![0i64; shape.len()];
    let mut acc = 1i64;
    for (st, &d) in stride.iter_mut().zip(shape).rev() {
        *st = acc;
        acc *= d.max(1);
    }
    Tensor::new(s, dtype, 0, shape, &stride, false).unwrap()
}

fn le<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    v.iter().flat_map(|&x| f(x)).collect()
}

/// The example. float16 0.1 and 0.2 are 0.0999755859375 and 0.199951171875:
/// not integers, max/min = 2, min ≥ 1e-4, so fixed with 4 digits ("0.1000", width 6);
/// float16 is not a default dtype, so the dtype suffix follows.
#[test]
fn float16_fixed_point_with_its_dtype() {
    let t = tensor(
        DType::Float16,
        le(&[0x2e66u16, 0x3266], u16::to_le_bytes),
        &[1, 2],
    );
    assert_eq!(
        t.to_string(),
        "tensor([[0.1000, 0.2000]], dtype=torch.float16)"
    );
}

/// `torch.arange(1001)`: 1001 > 1000 elements, so summarised to the 3 edge items each
/// side with " ..." between; the integer formatter's width is that of "1000" (4) over the
/// summarised values; int64 is a default dtype (no suffix).
#[test]
fn int64_summarised_above_1000_elements() {
    let v: Vec<i64> = (0..1001).collect();
    let t = tensor(DType::Int64, le(&v, i64::to_le_bytes), &[1001]);
    assert_eq!(
        t.to_string(),
        "tensor([   0,    1,    2,  ...,  998,  999, 1000])"
    );
}

/// A (1001, 1) tensor: summarised along the first dimension, rows joined by ",\n" and
/// indent + 1 = 8 spaces, "..." standing for the hidden rows.
#[test]
fn two_dimensional_summary_hides_rows() {
    let v: Vec<i64> = (0..1001).collect();
    let t = tensor(DType::Int64, le(&v, i64::to_le_bytes), &[1001, 1]);
    assert_eq!(
        t.to_string(),
        "tensor([[   0],\n        [   1],\n        [   2],\n        ...,\n        [ 998],\n        [ 999],\n        [1000]])"
    );
}

/// bool: the non-floating formatter over `True`/`False` (width 5, right-aligned); bool is
/// a default dtype.
#[test]
fn bool_is_right_aligned_without_a_suffix() {
    let t = tensor(DType::Bool, vec![1, 0, 0, 1], &[2, 2]);
    assert_eq!(
        t.to_string(),
        "tensor([[ True, False],\n        [False,  True]])"
    );
}

/// complex64: one formatter for the real parts (1, -0.5: fixed, width 7) and one for the
/// imaginary parts (2, -1: integers, so "2." / "-1.", width 3); the imaginary part is
/// left-stripped, and joined with "+" unless it starts with a sign. complex64 is the
/// default complex dtype.
#[test]
fn complex_parts_have_their_own_formatters() {
    let t = tensor(
        DType::Complex64,
        le(&[1.0f32, 2.0, -0.5, -1.0], f32::to_le_bytes),
        &[2],
    );
    assert_eq!(t.to_string(), "tensor([ 1.0000+2.j, -0.5000-1.j])");
}

/// float64 with min < 1e-4: scientific notation with 4 digits and a two-digit exponent.
#[test]
fn small_values_switch_to_scientific_notation() {
    let t = tensor(DType::Float64, le(&[1e-5f64, 1.0], f64::to_le_bytes), &[2]);
    assert_eq!(
        t.to_string(),
        "tensor([1.0000e-05, 1.0000e+00], dtype=torch.float64)"
    );
}

/// Only non-zero finite values size the formatter: with none, the width stays 1 and the
/// integer mode stays on, so 0 prints "0." and the non-finite values bare.
#[test]
fn non_finite_values_and_zero() {
    let t = tensor(
        DType::Float32,
        le(
            &[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0],
            f32::to_le_bytes,
        ),
        &[4],
    );
    assert_eq!(t.to_string(), "tensor([nan, inf, -inf, 0.])");
}

/// Line wrapping: width 3 + 2 per element, floor((80 - 7) / 5) = 14 per line, lines
/// joined by ",\n" and 8 spaces; the dtype suffix fits after the last line.
#[test]
fn long_vectors_wrap_at_80_columns() {
    let t = tensor(DType::Int8, vec![100; 30], &[30]);
    let line = vec!["100"; 14].join(", ");
    assert_eq!(
        t.to_string(),
        format!("tensor([{line},\n        {line},\n        100, 100], dtype=torch.int8)")
    );
}

/// float4_e2m1fn_x2: torch 2.10 views it as uint8 to print it but keeps the
/// floating-point formatter (integers, so "0." … "255.", width 4).
#[test]
fn float4_prints_its_bytes_as_torch_does() {
    let t = tensor(DType::Float4E2M1FnX2, vec![0, 33, 255], &[3]);
    assert_eq!(
        t.to_string(),
        "tensor([  0.,  33., 255.], dtype=torch.float4_e2m1fn_x2)"
    );
}

/// An empty tensor: "[]", its size unless it is 1-D, its dtype unless float32.
#[test]
fn empty_tensors_show_size_and_dtype() {
    let t = tensor(DType::Int64, Vec::new(), &[0, 3]);
    assert_eq!(t.to_string(), "tensor([], size=(0, 3), dtype=torch.int64)");
}
