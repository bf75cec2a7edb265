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
