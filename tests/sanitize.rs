//! `unpickle sanitize`: load under a policy, write the loaded value as a new pickle;
//! refused, invalid or too large input writes nothing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unpickle"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The tool may exit before reading (usage errors): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A fresh folder for one test's output.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("unpickle-sanitize-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Nothing but `keep` is left in `dir` (no temporary file).
fn only(dir: &Path, keep: &[&str]) {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, keep);
}

#[test]
fn output_is_what_cpython_writes_at_the_protocol() {
    let dir = scratch("proto");
    let out = dir.join("out.pkl");
    // A protocol-0 pickle in, protocols 2 and 4 out: CPython's own bytes for the value.
    for (src, p, expected) in [
        (
            "write/containers_small_p0.pkl",
            "4",
            "write/containers_small_p4.pkl",
        ),
        ("write/str_escapes_p0.pkl", "2", "write/str_escapes_p2.pkl"),
        ("corpus/str_basic_p1.pkl", "5", "corpus/str_basic_p5.pkl"),
    ] {
        let o = run(
            &[
                "sanitize",
                "--protocol",
                p,
                data(src).to_str().unwrap(),
                out.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains(&format!("protocol {p} pickle written (policy strict)")));
        assert!(
            fs::read(&out).unwrap() == fs::read(data(expected)).unwrap(),
            "{src}"
        );
    }
    only(&dir, &["out.pkl"]);
}

#[test]
fn stdlib_types_are_written_as_cpython_pickles_them() {
    let dir = scratch("stdlib");
    let out = dir.join("out.pkl");
    let src = data("write/stdlib_collections_p2.pkl");
    let args = [
        "sanitize",
        "--policy",
        "stdlib",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
    ];
    let o = run(&args, b"");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(fs::read(&out).unwrap() == fs::read(data("write/stdlib_collections_p4.pkl")).unwrap());
    // Under strict, the same input is refused at its first global, and nothing written.
    fs::remove_file(&out).unwrap();
    let o = run(
        &["sanitize", src.to_str().unwrap(), out.to_str().unwrap()],
        b"",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stderr).contains("refused global collections.OrderedDict"),
        "{}",
        text(&o.stderr)
    );
    only(&dir, &[]);
}

#[test]
fn refused_input_writes_nothing_and_exits_3() {
    let dir = scratch("refused");
    let out = dir.join("out.pkl");
    fs::write(&out, b"old").unwrap();
    let o = run(
        &["sanitize", "-", out.to_str().unwrap()],
        b"cos\nsystem\n(S'ls ~'\ntR.",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stderr).contains("os.system"), "{}", text(&o.stderr));
    // An inert global (opaque keeps it) is refused by the writer: never written out.
    let o = run(
        &["sanitize", "--policy", "opaque", "-", out.to_str().unwrap()],
        b"\x80\x02]q\x00cos\nsystem\nq\x01a.",
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("refused global os.system"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(fs::read(&out).unwrap(), b"old");
    only(&dir, &["out.pkl"]);
}

#[test]
fn invalid_or_too_large_input_writes_nothing() {
    let dir = scratch("invalid");
    let out = dir.join("out.pkl");
    let o = run(
        &["sanitize", "-", out.to_str().unwrap()],
        b"\x80\x02]q\x00(K\x01",
    );
    assert_eq!(o.status.code(), Some(1));
    let deep = [&b"\x80\x02"[..], &[b']'; 20], &[b'a'; 19], b"."].concat();
    let o = run(
        &["sanitize", "--max-depth", "10", "-", out.to_str().unwrap()],
        &deep,
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    let o = run(
        &["sanitize", "--protocol", "6", "-", out.to_str().unwrap()],
        b"N.",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--protocol needs 0 to 5"));
    let npy = fs::read_dir(data("numpy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "npy"))
        .unwrap();
    let o = run(
        &["sanitize", npy.to_str().unwrap(), out.to_str().unwrap()],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("takes a pickle"),
        "{}",
        text(&o.stderr)
    );
    only(&dir, &[]);
}
