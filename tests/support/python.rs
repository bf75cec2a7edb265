//! Running the CPython oracle from a test.
//!
//! Tests that compare with a live `python3` run it whenever they run: a missing python3
//! (or numpy, for the tests that need it) fails the test, so a CI machine without them
//! cannot report a green run that compared nothing. Set `UNPICKLE_SKIP_PYTHON=1` to skip
//! these tests on purpose (they then print that they were skipped); `.ci/run` never sets
//! it.

#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;
use std::process::Command;

/// The variable that skips the live-CPython tests on purpose.
pub const SKIP: &str = "UNPICKLE_SKIP_PYTHON";

/// Whether the live-CPython tests are skipped on purpose; prints so when they are.
pub fn skipped(what: &str) -> bool {
    let skip = std::env::var_os(SKIP).is_some_and(|v| v == "1");
    if skip {
        eprintln!("{what}: skipped ({SKIP}=1)");
    }
    skip
}

/// Runs `python3 SCRIPT ARGS…` (the script's path relative to the crate root) and returns
/// its standard output; fails the test if python3 cannot run it or it fails.
#[track_caller]
pub fn run(script: &str, args: &[&str]) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed to run {script} ({e}); set {SKIP}=1 to skip on purpose")
        });
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Fails the test unless `python3 -c 'import numpy'` works.
#[track_caller]
pub fn require_numpy() {
    let ok = Command::new("python3")
        .args(["-c", "import numpy"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "numpy is needed (python3 -m pip install numpy); set {SKIP}=1 to skip on purpose"
    );
}
