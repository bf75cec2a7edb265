//! Replays the committed fuzz corpus under plain `cargo test`, so every input the fuzzers
//! kept (the minimised corpus of each target in `tests/data/fuzz/`) and every input they
//! failed on (`fuzz/regressions/`) is re-checked without fuzzing tools.
//!
//! Each file goes through exactly what its target runs: `fuzz/src/checks.rs`, the fuzz
//! crate's checks, is included here and called with the target's raw input, so the
//! configuration bytes of `reader_vs_slice` (policy and limits, then chunk sizes) and
//! `scan_vs_load` (policy and limits) pick what they pick in the target, the decoder's
//! forward-offset checks, the `.npy` checks and the checkpoint checks (`torch`) run as in
//! their targets. Beyond that, every raw pickle (all directories but those two and
//! `torch`) also goes through the `structured` target's checks under all four
//! configurations (`strict`/`opaque`, default/tiny limits: no panic, whatever loads prints,
//! the reader paths agree with the slice path on the value or on the error kind — the
//! limit, the refused global —, scan covers load) and the `dis` target's.
//!
//! `.ci/run` also runs this test with `--profile ci` (release with overflow checks), so an
//! integer overflow any input reaches panics there, as under `cargo fuzz`.

#[path = "../fuzz/src/checks.rs"]
mod checks;
#[path = "support/timing.rs"]
mod timing;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use timing::hang_guard;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if p
            .file_name()
            .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Runs `f`, turning a panic into its message.
fn run(what: &str, f: impl FnOnce()) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        format!("{what}: {msg}")
    })
}

/// The checks for one file of target `target` (its directory's name).
fn check(target: &str, data: &[u8]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut add = |r: Result<(), String>| failures.extend(r.err());
    match target {
        "decode" => add(run("decode", || checks::decode_target(data))),
        "dis" => add(run("dis", || checks::dis_target(data))),
        "npy" => add(run("npy", || checks::npy_target(data))),
        "load_strict" => add(run("load_strict", || checks::load_strict_target(data))),
        "load_opaque" => add(run("load_opaque", || checks::load_opaque_target(data))),
        "reader_vs_slice" => add(run("reader_vs_slice", || {
            checks::reader_vs_slice_target(data)
        })),
        "scan_vs_load" => add(run("scan_vs_load", || checks::scan_vs_load_target(data))),
        "torch" => add(run("torch", || checks::torch_target(data))),
        "write" => add(run("write", || checks::write_target(data))),
        "structured" | "regressions" => {}
        other => panic!("no fuzz target {other}"),
    }
    // Checkpoints (zip archives and legacy streams) are not single pickles: they get
    // their own target's checks only.
    if !matches!(
        target,
        "reader_vs_slice" | "scan_vs_load" | "torch" | "write"
    ) {
        for cfg in 0..4 {
            add(run(&format!("structured checks, config {cfg}"), || {
                checks::structured_checks(data, cfg)
            }));
        }
        if target != "dis" {
            add(run("dis", || checks::dis_target(data)));
        }
    }
    if target == "regressions" {
        add(run("decode", || checks::decode_target(data)));
        add(run("npy", || checks::npy_target(data)));
        add(run("load_strict", || checks::load_strict_target(data)));
        add(run("load_opaque", || checks::load_opaque_target(data)));
    }
    failures
}

/// Replays every file of `dir/TARGET/` (or of `dir` itself, as `target`) on a thread with
/// a 16 MiB stack: values nested up to the depth limit are dropped, cloned and printed
/// recursively, which an unoptimised build cannot always do in a test thread's 2 MiB
/// (README.md, "Threat model": "Limits are only as safe as their values").
fn replay(dir: PathBuf, target: Option<&'static str>, min_files: usize) {
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || replay_here(&dir, target, min_files))
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

fn replay_here(dir: &Path, target: Option<&str>, min_files: usize) {
    let files = files(dir);
    assert!(
        files.len() >= min_files,
        "{}: {} files, expected at least {min_files}",
        dir.display(),
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let target = target.unwrap_or_else(|| {
            f.parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .expect("target directory")
        });
        // A generous hang guard per file (libFuzzer's -timeout=10 is the real bound, on
        // the release build the targets run).
        let failed = hang_guard(|| check(target, &data));
        failures.extend(failed.into_iter().map(|w| format!("{}: {w}", f.display())));
    }
    assert!(
        failures.is_empty(),
        "{} failures in {} inputs:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The minimised corpus of every fuzz target.
#[test]
fn minimised_fuzz_corpus() {
    let dir = root().join("tests/data/fuzz");
    let targets: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/data/fuzz")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(targets.len(), 10, "{targets:?}");
    replay(dir, None, 8000);
}

/// Every crash, timeout and disagreement the fuzzers found (each also has a regression
/// test with its exact expected outcome in `tests/hostile.rs`; see fuzz/README.md).
#[test]
fn fuzz_regressions() {
    replay(root().join("fuzz/regressions"), Some("regressions"), 5);
}
