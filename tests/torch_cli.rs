//! `unpickle show` and `scan` on checkpoints: recognised by their bytes, loaded with the
//! torch preset, TorchScript refused with exit 3, every pickle of a checkpoint scanned.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_unpickle"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const REAL: &str = "tests/data/torch/real";
const MADE: &str = "tests/data/torch/made";

#[test]
fn show_prints_a_checkpoint_as_torch_does() {
    let (code, out, err) = run(&["show", &format!("{REAL}/torch_views.pt")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(
        "{'base': tensor([[ 0.,  1.,  2.,  3.,  4.,  5.],\n        [ 6.,  7.,  8.,  9., 10., 11.],"
    ), "{out}");
    assert!(out.contains("'col': tensor([ 3.,  9., 15., 21.])"), "{out}");
    // The legacy format too.
    let (code, out, _) = run(&["show", &format!("{REAL}/torch_embed_state_legacy.pt")]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("OrderedDict([('0.weight', tensor([["),
        "{out}"
    );
}

#[test]
fn torchscript_exits_3_naming_the_reason() {
    let (code, out, err) = run(&["show", &format!("{MADE}/ts_code_case.pt")]);
    assert_eq!(code, 3);
    assert!(out.is_empty());
    assert!(err.contains("TorchScript archive refused"), "{err}");
    let (code, out, _) = run(&["scan", &format!("{MADE}/ts_constants.pt")]);
    assert_eq!(code, 3);
    assert!(
        out.contains("warning: TorchScript archive refused"),
        "{out}"
    );
    assert!(out.contains("ts_constants.pt: 2 pickle(s)"), "{out}");
}

#[test]
fn refused_classes_exit_3_and_opaque_shows_them() {
    let (code, _, err) = run(&["show", &format!("{REAL}/torch_with_object.pt")]);
    assert_eq!(code, 3);
    assert!(
        err.contains("refused global torch.optim.adam.Adam"),
        "{err}"
    );
    let (code, out, _) = run(&[
        "show",
        "--policy",
        "opaque",
        &format!("{REAL}/torch_with_object.pt"),
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("torch.optim.adam.Adam"), "{out}");
}

#[test]
fn a_bare_data_pkl_shows_the_storages_it_lacks() {
    let (code, out, err) = run(&[
        "show",
        "--policy",
        "torch",
        &format!("{REAL}/torch_views.data.pkl"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("{'base': tensor(<missing storage \"0\">, size=(4, 6)),"),
        "{out}"
    );
}

#[test]
fn scan_reports_each_legacy_pickle_and_the_refusals() {
    let (code, out, _) = run(&["scan", &format!("{REAL}/torch_embed_state_legacy.pt")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("5 pickle(s), 3 global(s), 0 refused, 7 persistent id(s)\n"),
        "{out}"
    );
    let (code, out, _) = run(&["scan", &format!("{REAL}/torch_full_module.pt")]);
    assert_eq!(code, 3);
    assert!(
        out.contains("torch.nn.modules.container.Sequential refused"),
        "{out}"
    );
    // A hostile container is an error, not a report.
    let (code, out, _) = run(&["scan", &format!("{MADE}/dup_case.pt")]);
    assert_eq!(code, 1);
    assert!(out.contains("error: duplicate zip entry names"), "{out}");
}
