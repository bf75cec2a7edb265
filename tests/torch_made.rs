//! Checkpoints built by hand from torch's documented format (tests/data/torch/made, written
//! by tests/data/torch/make_fixtures.py, which packs the values itself): every accepted one
//! loads with the packed values; every hostile one fails with its exact error kind.

use std::collections::BTreeMap;
use std::path::PathBuf;

use unpickle::torch::{self, CheckpointError, Tensor};
use unpickle::{Category, ErrorKind};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torch/made")
}

fn rows() -> Vec<Vec<String>> {
    std::fs::read_to_string(dir().join("expected.tsv"))
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The error's kind as expected.tsv spells it.
fn kind(e: &unpickle::Error) -> String {
    match e.kind() {
        ErrorKind::Checkpoint(c) => {
            let dbg = format!("{c:?}");
            dbg.split(|ch: char| !ch.is_alphanumeric())
                .next()
                .unwrap_or("")
                .to_owned()
        }
        ErrorKind::Refused { module, name } => format!("Refused:{module}.{name}"),
        ErrorKind::Construct { .. } => "Construct".into(),
        ErrorKind::Malformed(_) => "Malformed".into(),
        other => format!("{other:?}"),
    }
}

fn list(v: &[usize]) -> String {
    format!(
        "[{}]",
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[test]
fn accepted_files_load_with_the_packed_values() {
    let mut by_file: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for r in rows().into_iter().filter(|r| r[1] == "ok") {
        by_file.entry(r[0].clone()).or_default().push(r);
    }
    assert_eq!(by_file.len(), 10);
    for (file, tensors) in by_file {
        let ckpt = torch::load(dir().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got: BTreeMap<String, &Tensor> = ckpt.tensors().into_iter().collect();
        assert_eq!(got.len(), tensors.len(), "{file}");
        for r in tensors {
            let t = got
                .get(&r[2])
                .unwrap_or_else(|| panic!("{file}: no {}", r[2]));
            let what = format!("{file} {}", r[2]);
            assert_eq!(t.dtype().to_string(), r[3], "{what}");
            assert_eq!(list(t.shape()), r[4], "{what}");
            assert_eq!(list(t.stride()), r[5], "{what}");
            assert_eq!(t.storage_offset().to_string(), r[6], "{what}");
            let want: Vec<f64> = r[7]
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            assert_eq!(t.to_f64_vec().unwrap(), want, "{what}");
        }
    }
}

#[test]
fn hostile_files_fail_with_their_exact_kind() {
    // Every row is checked and every mismatch listed, so one broken guard cannot hide
    // another behind the first failing row.
    let mut n = 0;
    let mut wrong = Vec::new();
    for r in rows().into_iter().filter(|r| r[1] == "error") {
        n += 1;
        let err = match torch::load(dir().join(&r[0])) {
            Ok(c) => {
                wrong.push(format!("{}: loaded {}", r[0], c.value()));
                continue;
            }
            Err(e) => e,
        };
        println!("{}: {err}", r[0]);
        if kind(&err) != r[2] {
            wrong.push(format!(
                "{}: {} instead of {}: {err}",
                r[0],
                kind(&err),
                r[2]
            ));
        }
        // The coarse category (the CLI's exit code): what torch would refuse to run
        // (TorchScript, the tar format, a refused global) is a refusal, everything else
        // invalid input.
        let category = match r[2].as_str() {
            "TorchScript" | "Tar" => Category::Refused,
            k if k.starts_with("Refused:") => Category::Refused,
            _ => Category::Invalid,
        };
        if err.category() != category {
            wrong.push(format!(
                "{}: {:?} instead of {category:?}: {err}",
                r[0],
                err.category()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(n, 46);
}

#[test]
fn torchscript_is_a_refusal_that_says_why() {
    let err = torch::load(dir().join("ts_code_case.pt")).unwrap_err();
    assert_eq!(err.category(), unpickle::Category::Refused);
    assert!(err.to_string().contains("CODE/__torch__/m.py"), "{err}");
    let err = torch::load(dir().join("ts_global.pt")).unwrap_err();
    assert!(err.to_string().contains("__torch__.Model.Model"), "{err}");
}

#[test]
fn the_entry_limit_is_enforced() {
    let data = std::fs::read(dir().join("torch_layout.pt")).unwrap();
    torch::Loader::new()
        .max_entries(7)
        .load_slice(&data)
        .unwrap();
    let err = torch::Loader::new()
        .max_entries(6)
        .load_slice(&data)
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::Checkpoint(CheckpointError::TooManyEntries { count: 7, max: 6 })
    ));
    assert_eq!(err.category(), unpickle::Category::Limit);
}

#[test]
fn os_and_sys_stay_refused_when_a_user_allows_them() {
    let policy = unpickle::presets::torch()
        .inert("os", "system")
        .inert("sys", "exit");
    let loader = torch::Loader::new().policy(policy.clone());
    let err = loader.load(dir().join("os_system.pt")).unwrap_err();
    assert_eq!(kind(&err), "Refused:os.system");
    // The preset itself blocks them too, also with a plain Unpickler.
    let v = unpickle::Unpickler::new()
        .policy(policy)
        .load_slice(b"cos\nsystem\n.");
    assert!(matches!(v.unwrap_err().kind(), ErrorKind::Refused { .. }));
    // A wrapping policy that allows everything does not get past the loader either.
    let loader = torch::Loader::new().policy(unpickle::presets::opaque());
    let err = loader.load(dir().join("os_system.pt")).unwrap_err();
    assert_eq!(kind(&err), "Refused:os.system");
}

#[test]
fn big_endian_storages_are_decoded_and_written_little_endian() {
    let ckpt = torch::load(dir().join("big_endian.pt")).unwrap();
    assert_eq!(ckpt.byte_order(), torch::ByteOrder::Big);
    let ts: BTreeMap<String, &Tensor> = ckpt.tensors().into_iter().collect();
    assert_eq!(ts["/h"].to_vec::<i16>().unwrap(), vec![-2, 300]);
    let mut out = Vec::new();
    ts["/h"].write_contiguous(&mut out).unwrap();
    assert_eq!(out, [(-2i16).to_le_bytes(), 300i16.to_le_bytes()].concat());
    // Big-endian bytes are never handed out as if they were little-endian.
    assert_eq!(
        ts["/f"].to_contiguous_bytes().unwrap(),
        [
            1.5f32.to_le_bytes(),
            (-2.0f32).to_le_bytes(),
            1e-3f32.to_le_bytes()
        ]
        .concat()
    );
}

/// A member torch never writes loads (torch reads only data.pkl and its storages), but
/// `scan` reports it: the hidden pickle with its refused global, the text file as an
/// unexpected member.
#[test]
fn scan_reports_members_a_checkpoint_should_not_have() {
    let data = std::fs::read(dir().join("hidden_pickle.pt")).unwrap();
    torch::from_slice(&data).unwrap();
    let report = torch::Loader::new().scan(&data).unwrap();
    assert!(!report.torchscript);
    assert_eq!(
        report.warnings,
        [
            "unexpected member \"archive/extra.pkl\"",
            "member \"archive/extra.pkl\" is a pickle other than data.pkl",
            "unexpected member \"archive/notes.txt\"",
        ]
    );
    let members: Vec<&str> = report.pickles.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(members, ["archive/data.pkl", "archive/extra.pkl"]);
    let hidden = &report.pickles[1].report;
    let globals: Vec<(String, &str)> = hidden
        .globals
        .iter()
        .map(|g| (g.global.dotted(), g.verdict))
        .collect();
    assert_eq!(globals, [("os.system".to_owned(), "refused")]);
}
