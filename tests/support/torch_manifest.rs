//! The facts torch 2.11 read back from the real checkpoints (tests/data/torch/real, copied
//! from the shared fixtures): `expected.tsv`, made from the manifest by
//! tests/data/torch/make_expected.py. Shared by the loading and the conversion tests.

#![allow(dead_code)] // each test binary uses its own part

use std::collections::BTreeMap;
use std::path::PathBuf;

/// tests/data/torch/real.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torch/real")
}

/// One tensor as torch saw it.
pub struct Expect {
    /// Its path in the saved object (`/state/0/momentum_buffer`).
    pub path: String,
    /// `torch.float32` …
    pub dtype: String,
    /// `[2, 3]` (see [`list`]).
    pub shape: String,
    /// `[3, 1]`.
    pub stride: String,
    /// In elements.
    pub offset: usize,
    /// Elements.
    pub numel: usize,
    /// The sum of its elements in f64 (real parts for complex dtypes).
    pub sum: f64,
    /// `requires_grad`.
    pub requires_grad: bool,
}

/// The files that load, with their tensors in manifest order, and the refused files with
/// the global torch names as the reason.
pub fn expected() -> (BTreeMap<String, Vec<Expect>>, BTreeMap<String, String>) {
    let text = std::fs::read_to_string(dir().join("expected.tsv")).unwrap();
    let (mut ok, mut refused) = (BTreeMap::new(), BTreeMap::new());
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            [file, "refused", global] => {
                refused.insert(file.to_string(), global.to_string());
            }
            [file, "tensor", path, dtype, shape, stride, offset, numel, sum, rg] => {
                ok.entry(file.to_string())
                    .or_insert_with(Vec::new)
                    .push(Expect {
                        path: path.to_string(),
                        dtype: dtype.to_string(),
                        shape: shape.to_string(),
                        stride: stride.to_string(),
                        offset: offset.parse().unwrap(),
                        numel: numel.parse().unwrap(),
                        sum: sum.parse().unwrap(),
                        requires_grad: *rg == "True",
                    });
            }
            _ => panic!("bad line {line:?}"),
        }
    }
    (ok, refused)
}

/// A shape or stride as expected.tsv writes it (Python's list repr): `[2, 3]`.
pub fn list(v: &[usize]) -> String {
    format!(
        "[{}]",
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}
