//! Every checkpoint torch 2.11 wrote (tests/data/torch/real, copied from the shared
//! fixtures) loads with exactly the facts torch read back from it (expected.tsv, made from
//! the manifest by tests/data/torch/make_expected.py): per tensor dtype, shape, stride,
//! offset, element count, requires_grad, and the sum of its elements computed here from
//! the decoded bytes. The full-module and with-object files are refused naming the class.

#[path = "support/torch_manifest.rs"]
mod manifest;

use std::collections::BTreeMap;

use manifest::{dir, expected, list};
use unpickle::torch::{self, DType, Tensor};
use unpickle::{ErrorKind, Value};

/// The sum of the elements in f64, in element order (real parts for complex dtypes).
fn sum(t: &Tensor) -> f64 {
    t.to_f64_vec().unwrap().iter().sum()
}

#[test]
fn every_real_checkpoint_loads_with_the_manifest_facts() {
    let (ok, _) = expected();
    assert_eq!(ok.len(), 8, "expected.tsv lists {} files", ok.len());
    for (file, tensors) in &ok {
        let ckpt = torch::load(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got: BTreeMap<String, &Tensor> = ckpt.tensors().into_iter().collect();
        assert_eq!(got.len(), tensors.len(), "{file}: tensor count");
        for e in tensors {
            let t = got
                .get(&e.path)
                .unwrap_or_else(|| panic!("{file}: no tensor at {}", e.path));
            let what = format!("{file} {}", e.path);
            assert_eq!(t.dtype().to_string(), e.dtype, "{what}");
            assert_eq!(list(t.shape()), e.shape, "{what}");
            assert_eq!(list(t.stride()), e.stride, "{what}");
            assert_eq!(t.storage_offset(), e.offset, "{what}");
            assert_eq!(t.numel(), e.numel, "{what}");
            assert_eq!(t.requires_grad(), e.requires_grad, "{what}");
            let s = sum(t);
            // torch sums in its own (vectorised) order; the two sums of the same f64
            // values may differ in the last bits only.
            let tol = 1e-12 * t.to_f64_vec().unwrap().iter().map(|x| x.abs()).sum::<f64>();
            assert!(
                (s - e.sum).abs() <= tol,
                "{what}: sum {s} != {} (tolerance {tol})",
                e.sum
            );
        }
    }
}

#[test]
fn the_data_pkl_members_are_exactly_the_archives_pickles() {
    // The committed *.data.pkl files are the archives' data.pkl bytes.
    for entry in std::fs::read_dir(dir()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(stem) = name.strip_suffix(".data.pkl") else {
            continue;
        };
        let archive = std::fs::read(dir().join(format!("{stem}.pt"))).unwrap();
        let pkl = std::fs::read(&p).unwrap();
        assert!(
            archive.windows(pkl.len()).any(|w| w == pkl.as_slice()),
            "{name} is not inside {stem}.pt"
        );
    }
}

#[test]
fn refused_checkpoints_name_the_class() {
    let (_, refused) = expected();
    assert_eq!(refused.len(), 2);
    for (file, global) in &refused {
        let err = torch::load(dir().join(file)).unwrap_err();
        match err.kind() {
            ErrorKind::Refused { module, name } => {
                assert_eq!(format!("{module}.{name}"), *global, "{file}")
            }
            other => panic!("{file}: {other:?}"),
        }
        assert_eq!(err.category(), unpickle::Category::Refused);
    }
}

#[test]
fn views_share_one_storage() {
    let ckpt = torch::load(dir().join("torch_views.pt")).unwrap();
    let ts = ckpt.tensors();
    let base = ts[0].1;
    for (path, t) in &ts {
        assert!(
            torch::Storage::same(base.storage(), t.storage()),
            "{path} has its own storage"
        );
    }
    // The transposed view decodes to the transpose of the base.
    let b = base.to_vec::<f32>().unwrap();
    let t = ts.iter().find(|(p, _)| p == "/t").unwrap().1;
    assert!(!t.is_contiguous());
    let tv = t.to_vec::<f32>().unwrap();
    for i in 0..6 {
        for j in 0..4 {
            assert_eq!(tv[i * 4 + j], b[j * 6 + i]);
        }
    }
    // write_contiguous of a strided view writes the same elements as to_vec.
    let mut out = Vec::new();
    t.write_contiguous(&mut out).unwrap();
    let le: Vec<u8> = tv.iter().flat_map(|x| x.to_le_bytes()).collect();
    assert_eq!(out, le);
    // A contiguous tensor's bytes are borrowed from the file.
    assert!(base.contiguous_bytes().is_some());
    assert!(t.contiguous_bytes().is_none());
}

#[test]
fn misc_values_load_typed() {
    let ckpt = torch::load(dir().join("torch_misc.pt")).unwrap();
    let Value::Dict(d) = ckpt.value() else {
        panic!("{}", ckpt.value())
    };
    let get = |k: &str| {
        d.get(&unpickle::Key::new(Value::Str(k.into())).unwrap())
            .unwrap()
    };
    assert_eq!(get("size").to_string(), "(2, 3)");
    assert_eq!(get("dtype").to_string(), "torch.float16");
    let Value::Tensor(p) = get("param") else {
        panic!()
    };
    assert_eq!(p.kind(), torch::TensorKind::Parameter);
    assert_eq!(p.dtype(), DType::Float32);
}
