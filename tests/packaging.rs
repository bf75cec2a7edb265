//! What `cargo package` ships: the library, the command-line tool, the README, the
//! licenses and the examples — not the test fixtures (the fuzz corpus alone is 8,465
//! files), the benchmark scripts, the fuzz crate or CI.

use std::process::Command;

#[test]
fn the_package_ships_what_users_need_and_nothing_else() {
    let out = Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo package --list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(out.stdout).unwrap();
    let files: Vec<&str> = list.lines().collect();
    for needed in [
        "Cargo.toml",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "src/lib.rs",
        "src/bin/unpickle.rs",
    ] {
        assert!(files.contains(&needed), "{needed} missing from {files:?}");
    }
    for f in &files {
        assert!(
            !["tests/", "benches/", "fuzz/", ".ci/"]
                .iter()
                .any(|dir| f.starts_with(dir)),
            "{f} is shipped"
        );
    }
    assert!(files.len() < 100, "{} files: {files:?}", files.len());
}

/// Every `[features]` entry of Cargo.toml has a row in the crate docs' feature table
/// (src/lib.rs), and the table names no feature that does not exist.
#[test]
fn every_cargo_feature_is_documented_in_the_crate_docs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let section = manifest
        .split("\n[features]\n")
        .nth(1)
        .expect("a [features] section");
    let declared: Vec<&str> = section
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .filter(|k| !k.is_empty() && !k.starts_with('#'))
        .collect();
    assert!(!declared.is_empty());
    let documented: Vec<&str> = lib
        .lines()
        .skip_while(|l| !l.starts_with("//! # Cargo features"))
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| l.split_once('`').map(|(name, _)| name))
        .collect();
    assert_eq!(documented, declared, "the feature table of src/lib.rs");
}
