//! The command-line contract: output and exit codes (DESIGN.md, "Command-line contract").

use std::io::Write;
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

const EVIL: &[u8] = b"cos\nsystem\n(S'ls ~'\ntR.";

#[test]
fn show_prints_the_repr() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.pkl");
    let out = run(&["show", sample], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("{'name': 'unpickle', "));
    let out = run(
        &["show", "-"],
        b"\x80\x02]q\x00(K\x01G?\xf8\x00\x00\x00\x00\x00\x00e.",
    );
    assert_eq!(text(&out.stdout), "[1, 1.5]\n");
}

#[test]
fn refusal_exits_3_naming_the_global_and_offset() {
    let out = run(&["show", "-"], EVIL);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("os.system") && err.contains("offset 0"),
        "{err}"
    );
}

#[test]
fn opaque_shows_the_inert_call() {
    let out = run(&["show", "--policy", "opaque", "-"], EVIL);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "os.system('ls ~')\n");
}

#[test]
fn encoding_option() {
    let py2 = b"S'caf\\xe9'\n.";
    assert_eq!(run(&["show", "-"], py2).status.code(), Some(1));
    let out = run(&["show", "--encoding", "latin1", "-"], py2);
    assert_eq!(text(&out.stdout), "'caf\u{e9}'\n");
    let out = run(&["show", "--encoding", "bytes", "-"], py2);
    assert_eq!(text(&out.stdout), "b'caf\\xe9'\n");
}

#[test]
fn exit_codes() {
    // Malformed: 1.
    assert_eq!(run(&["show", "-"], b"\xff").status.code(), Some(1));
    // Data after STOP is malformed for show.
    assert_eq!(run(&["show", "-"], b"N.N").status.code(), Some(1));
    // Limit: 4 (an INT of 5000 digits).
    let mut big = b"I".to_vec();
    big.extend(std::iter::repeat_n(b'7', 5000));
    big.extend_from_slice(b"\n.");
    assert_eq!(run(&["show", "-"], &big).status.code(), Some(4));
    // Usage and I/O: 2.
    assert_eq!(run(&["show"], b"").status.code(), Some(2));
    assert_eq!(run(&["frobnicate"], b"").status.code(), Some(2));
    assert_eq!(
        run(&["show", "--policy", "nope", "-"], b"N.").status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["show", "/nonexistent/file.pkl"], b"").status.code(),
        Some(2)
    );
}

#[test]
fn scan_reports_every_pickle_and_global() {
    // Two pickles in one input: a harmless one, then the payload.
    let mut two = b"\x80\x02K\x01.".to_vec();
    two.extend_from_slice(EVIL);
    let out = run(&["scan", "-"], &two);
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("- @5: os.system refused"), "{stdout}");
    assert!(
        stdout.contains("2 pickle(s), 1 global(s), 1 refused"),
        "{stdout}"
    );
    // Names built at run time (STACK_GLOBAL from memoized strings) are reported too.
    let sg = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93N\x85R.";
    let out = run(&["scan", "-"], sg);
    assert!(
        text(&out.stdout).contains("os.system refused"),
        "{}",
        text(&out.stdout)
    );
    // A clean file: exit 0.
    let out = run(&["scan", "-"], b"\x80\x02K\x01.");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn dis_matches_pickletools_layout() {
    let out = run(&["dis", "-"], b"\x80\x02]q\x00K\x01a.");
    assert_eq!(out.status.code(), Some(0));
    // `python3 -m pickletools` on the same bytes.
    assert_eq!(
        text(&out.stdout),
        "    0: \\x80 PROTO      2\n    2: ]    EMPTY_LIST\n    3: q    BINPUT     0\n    5: K    BININT1    1\n    7: a    APPEND\n    8: .    STOP\nhighest protocol among opcodes = 2\n"
    );
}

#[test]
fn show_reads_npy_files_under_the_policy() {
    let npy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/real/numpy_object.npy"
    );
    let out = run(&["show", "--policy", "numpy", npy], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("array(["),
        "{}",
        text(&out.stdout)
    );
    // A numpy pickle is refused under a policy without numpy.
    let pkl = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/real/numpy_f32_2d_p2.pkl"
    );
    assert_eq!(
        run(&["show", "--policy", "stdlib", pkl], b"").status.code(),
        Some(3)
    );
}
