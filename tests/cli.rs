//! The command-line contract: output and exit codes (DESIGN.md, "Command-line contract").

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;

/// Every spawn in this file holds this lock, so that no child forked by another test
/// thread can inherit the read end of a [`closed_pipe`] while it is being made (a child
/// holds such a copy from `fork` until `exec`, which `spawn` waits for).
static SPAWN: Mutex<()> = Mutex::new(());

fn spawn(cmd: &mut Command) -> Child {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    cmd.spawn().unwrap()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn(
        Command::new(env!("CARGO_BIN_EXE_unpickle"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
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

const BIN: &str = env!("CARGO_BIN_EXE_unpickle");

fn data(path: &str) -> String {
    format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The write end of a pipe whose read end is closed: the read end was the standard input
/// of a child that has exited. Writing to it fails with EPIPE, every time, as writing to
/// `| head` does once head has gone.
fn closed_pipe() -> Stdio {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    let mut reader = Command::new(BIN)
        .arg("--version")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let write_end = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    Stdio::from(write_end)
}

/// Runs the tool with `stdin` as input and the given output ends; returns the exit code
/// and whatever reached a captured standard error.
fn run_to(args: &[&str], stdin: &[u8], stdout: Stdio, stderr: Stdio) -> (Option<i32>, String) {
    let mut child = spawn(
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(stderr),
    );
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stderr))
}

/// A protocol-2 list of `n` small ints: its repr and listing are long.
fn long_list(n: usize) -> Vec<u8> {
    let mut p = b"\x80\x02](".to_vec();
    for i in 0..n {
        p.extend_from_slice(&[b'K', (i % 256) as u8]);
    }
    p.extend_from_slice(b"e.");
    p
}

#[test]
fn a_closed_stderr_is_no_panic() {
    // What `unpickle show --policy bogus x 2>&1 | true` did: usage errors, read errors and
    // load errors are written to a closed standard error. No panic (101): the exit code
    // says what happened.
    let cases: [(&[&str], &[u8], i32); 6] = [
        (&["show", "--policy", "bogus", "x"], b"", 2),
        (&["frobnicate"], b"", 2),
        (&[], b"", 2),
        (&["show", "/nonexistent/file.pkl"], b"", 2),
        (&["show", "-"], b"\xff", 1),
        (&["show", "-"], EVIL, 3),
    ];
    for (args, stdin, code) in cases {
        let (got, _) = run_to(args, stdin, closed_pipe(), closed_pipe());
        assert_eq!(got, Some(code), "{args:?}");
    }
    // `unpickle dis big.pkl 2>&1 | true`: both ends closed.
    let big = long_list(20_000);
    let (got, _) = run_to(&["dis", "-"], &big, closed_pipe(), closed_pipe());
    assert_eq!(got, Some(141));
}

#[test]
fn a_closed_stdout_ends_quietly_with_141() {
    // `unpickle show big.pkl | head -c 10`: stop quietly, never blame the input.
    let big = long_list(20_000);
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.pkl");
    let cases: [(&[&str], &[u8]); 9] = [
        (&["show", "-"], &big),
        (&["show", sample], b""),
        (&["dis", "-"], &big),
        (&["scan", "-"], &big),
        (&["scan", "--json", "-"], &big),
        (&["scan", "-"], EVIL),
        (&["--help"], b""),
        (&["show", "--help"], b""),
        (&["--version"], b""),
    ];
    for (args, stdin) in cases {
        let (got, err) = run_to(args, stdin, closed_pipe(), Stdio::piped());
        assert_eq!(got, Some(141), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

#[test]
fn version_and_help_on_every_command() {
    let out = run(&["--version"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        format!("unpickle {}\n", env!("CARGO_PKG_VERSION"))
    );
    for cmd in ["show", "scan", "dis"] {
        for help in [vec![cmd, "--help"], vec![cmd, "-h"], vec!["help", cmd]] {
            let out = run(&help, b"");
            assert_eq!(out.status.code(), Some(0), "{help:?}");
            let stdout = text(&out.stdout);
            assert!(
                stdout.starts_with(&format!("usage: unpickle {cmd} ")),
                "{help:?}: {stdout}"
            );
        }
    }
    // The load commands document the accepted encodings and every limit flag.
    let show = text(&run(&["show", "--help"], b"").stdout);
    for needle in [
        "latin1",
        "utf-8",
        "bytes",
        "ascii",
        "Case-insensitive",
        "--max-depth",
    ] {
        assert!(show.contains(needle), "{needle}: {show}");
    }
    let scan = text(&run(&["scan", "--help"], b"").stdout);
    assert!(
        scan.contains("--json") && scan.contains("--max-frame"),
        "{scan}"
    );
    // An option a command does not take is a usage error that says where to look.
    let out = run(&["dis", "--policy", "strict", "-"], b"N.");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unpickle dis --help"));
}

#[test]
fn options_take_their_value_with_or_without_equals() {
    let cases: [&[&str]; 4] = [
        &["show", "--policy", "opaque", "-"],
        &["show", "--policy=opaque", "-"],
        &["show", "--policy=OPAQUE", "-"],
        &["show", "-", "--policy=opaque"],
    ];
    for args in cases {
        let out = run(args, EVIL);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(text(&out.stdout), "os.system('ls ~')\n", "{args:?}");
    }
    assert_eq!(
        run(&["show", "--policy=", "-"], EVIL).status.code(),
        Some(2)
    );
    assert_eq!(run(&["show", "--policy"], EVIL).status.code(), Some(2));
    assert_eq!(run(&["scan", "--json=1", "-"], EVIL).status.code(), Some(2));
    // `--` ends the options.
    let out = run(&["show", "--", "-"], b"K\x01.");
    assert_eq!(text(&out.stdout), "1\n");
}

/// `\x80\x02` then `depth` nested empty lists.
fn nested(depth: usize) -> Vec<u8> {
    let mut p = b"\x80\x02".to_vec();
    p.extend(std::iter::repeat_n(b']', depth));
    p.extend(std::iter::repeat_n(b'a', depth - 1));
    p.push(b'.');
    p
}

#[test]
fn limits_have_flags_and_errors_name_them() {
    let deep = nested(1500);
    let out = run(&["show", "-"], &deep);
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(
        err.contains("hint:") && err.contains("--max-depth N (now 1000)"),
        "{err}"
    );
    for flag in [&["--max-depth", "2000"][..], &["--max-depth=2K"][..]] {
        let mut args = vec!["show"];
        args.extend_from_slice(flag);
        args.push("-");
        let out = run(&args, &deep);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{flag:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).starts_with("[[[[["));
    }
    // Lowering a limit works too, and a bad number is a usage error.
    assert_eq!(
        run(&["show", "--max-depth", "1", "-"], &nested(2))
            .status
            .code(),
        Some(4)
    );
    assert_eq!(
        run(&["show", "--max-depth", "x", "-"], b"N.").status.code(),
        Some(2)
    );
    let mut big = b"I".to_vec();
    big.extend(std::iter::repeat_n(b'7', 5000));
    big.extend_from_slice(b"\n.");
    let out = run(&["show", "-"], &big);
    assert!(text(&out.stderr).contains("--max-digits N (now 4300)"));
    let out = run(&["show", "--max-digits", "5000", "-"], &big);
    assert_eq!(out.status.code(), Some(0));
    // Beyond Python's 4300 digits an int prints in hex; Python's hex(int('7' * 5000)):
    let shown = text(&out.stdout);
    assert!(
        shown.starts_with("0x26cc3f1d3b") && shown.len() == 4155 + 1,
        "{shown}"
    );
}

#[test]
fn encodings_are_case_insensitive_and_errors_suggest_one() {
    let py2 = b"S'caf\\xe9'\n.";
    let out = run(&["show", "-"], py2);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("'ascii' codec can't decode") && err.contains("try --encoding latin1"),
        "{err}"
    );
    for name in ["latin1", "LATIN1", "Latin-1", "iso-8859-1", "L1"] {
        let out = run(&["show", "--encoding", name, "-"], py2);
        assert_eq!(text(&out.stdout), "'caf\u{e9}'\n", "{name}");
    }
    for name in ["BYTES", "bytes"] {
        let out = run(&[&format!("--encoding={name}")[..], "-"], py2);
        // The option belongs after the command.
        assert_eq!(out.status.code(), Some(2));
        let out = run(&["show", &format!("--encoding={name}"), "-"], py2);
        assert_eq!(text(&out.stdout), "b'caf\\xe9'\n", "{name}");
    }
    let out = run(
        &["show", "--encoding", "UTF-8", "-"],
        b"S'caf\\xc3\\xa9'\n.",
    );
    assert_eq!(text(&out.stdout), "'caf\u{e9}'\n");
    let out = run(&["show", "--encoding", "ebcdic", "-"], py2);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ascii, latin1, utf-8 or bytes"));
}

#[test]
fn errors_say_what_to_try() {
    // A refusal names the preset that allows the global.
    let od = b"\x80\x02ccollections\nOrderedDict\n)R.";
    let err = text(&run(&["show", "-"], od).stderr);
    assert!(
        err.contains("hint: --policy stdlib allows collections.OrderedDict"),
        "{err}"
    );
    // Several pickles in one input.
    let err = text(&run(&["show", "-"], b"N.N.").stderr);
    assert!(err.contains("`unpickle scan` reads every pickle"), "{err}");
    // A persistent id.
    let err = text(&run(&["show", "-"], b"Pid\n.").stderr);
    assert!(err.contains("--policy opaque shows them inert"), "{err}");
}

#[test]
fn scan_reports_every_global_and_persistent_id_of_a_torch_data_pkl() {
    let pkl = data("torch/real/torch_dtypes.data.pkl");
    let out = run(&["scan", &pkl], b"");
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    // pickletools' list of the opcodes that name globals and load persistent ids.
    let expected = std::fs::read_to_string(data("cli/torch_dtypes.scan.tsv")).unwrap();
    let (mut globals, mut pids) = (0, 0);
    for row in expected.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        let line = match cols[1] {
            "GLOBAL" => {
                globals += 1;
                format!("{pkl} @{}: {} refused\n", cols[0], cols[2])
            }
            _ => {
                pids += 1;
                format!("{pkl} @{}: persistent id ('storage', torch.", cols[0])
            }
        };
        assert!(stdout.contains(&line), "{line} not in\n{stdout}");
    }
    assert_eq!((globals, pids), (13, 11));
    assert!(
        stdout.ends_with(&format!(
            "{pkl}: 1 pickle(s), 13 global(s), 13 refused, 11 persistent id(s)\n"
        )),
        "{stdout}"
    );
    // `show --policy opaque` keeps the persistent ids inert too.
    let out = run(&["show", "--policy", "opaque", &pkl], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout)
        .contains("pickle.persistent_load(('storage', torch.FloatStorage, '0', 'cpu', 6))"));
}

#[test]
fn scan_json() {
    let mut two = b"\x80\x02K\x01.".to_vec();
    two.extend_from_slice(EVIL);
    let out = run(&["scan", "--json", "-", "/nonexistent\"file"], &two);
    assert_eq!(out.status.code(), Some(3));
    // Checked with `python3 -m json.tool` when written.
    assert_eq!(
        text(&out.stdout),
        concat!(
            r#"{"files": [{"file": "-", "format": "pickle", "pickles": ["#,
            r#"{"offset": 0, "globals": [], "persistent_ids": [], "error": null}, "#,
            r#"{"offset": 5, "globals": [{"offset": 5, "module": "os", "name": "system", "verdict": "refused"}], "persistent_ids": [], "error": null}], "#,
            r#""globals": 1, "refused": 1, "persistent_ids": 0, "error": null}, "#,
            r#"{"file": "/nonexistent\"file", "error": {"message": "I/O error: No such file or directory (os error 2)", "offset": null, "category": "io"}}], "#,
            r#""exit": 3}"#,
            "\n"
        )
    );
    let out = run(&["scan", "--json", "-"], b"Pid\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        concat!(
            r#"{"files": [{"file": "-", "format": "pickle", "pickles": ["#,
            r#"{"offset": 0, "globals": [], "persistent_ids": [{"offset": 0, "repr": "'id'"}], "#,
            r#""error": {"message": "truncated input: pickle data was truncated (no STOP) at offset 4", "offset": 4, "category": "invalid"}}], "#,
            r#""globals": 0, "refused": 0, "persistent_ids": 1, "error": null}], "exit": 1}"#,
            "\n"
        )
    );
}

#[test]
fn npy_is_recognised_by_every_command_with_file_offsets() {
    let npy = data("real/numpy_object.npy");
    // dis: pickletools.dis of the file positioned at the pickle.
    let out = run(&["dis", &npy], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listing = std::fs::read_to_string(data("cli/numpy_object.npy.dis")).unwrap();
    let stdout = text(&out.stdout);
    let (first, rest) = stdout.split_once('\n').unwrap();
    assert_eq!(
        first,
        ".npy version 1.0: {'descr': '|O', 'fortran_order': False, 'shape': (4,)}; the pickle starts at offset 128"
    );
    assert_eq!(rest, listing);
    // scan: the globals at their file offsets.
    let out = run(&["scan", &npy], b"");
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let offsets = std::fs::read_to_string(data("cli/numpy_object.npy.globals")).unwrap();
    let seen: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with(" allowed"))
        .map(|l| l.split(" @").nth(1).unwrap().split(':').next().unwrap())
        .collect();
    assert_eq!(seen, offsets.lines().collect::<Vec<_>>());
    // show: an error in the pickle is reported at its file offset (the pickle's byte 11
    // is file byte 139).
    let mut bad = std::fs::read(&npy).unwrap();
    bad[139] = 0xff;
    let out = run(&["show", "-"], &bad);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("at offset 139"), "{err}");
    let out = run(&["scan", "-"], &bad);
    assert!(
        text(&out.stdout).contains("at offset 139"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["dis", "-"], &bad);
    assert!(
        text(&out.stderr).contains("at offset 139"),
        "{}",
        text(&out.stderr)
    );
    // A plain .npy: no pickle.
    let mut plain =
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".to_vec();
    plain.resize(127, b' ');
    plain.push(b'\n');
    plain.extend_from_slice(&[0; 16]);
    let out = run(&["scan", "-"], &plain);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "- @0: .npy version 1.0: {'descr': '<f8', 'fortran_order': False, 'shape': (2,)}\n\
         -: 0 pickle(s), 0 global(s), 0 refused, 0 persistent id(s)\n"
    );
    let out = run(&["dis", "-"], &plain);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).ends_with("; 16 bytes of raw data at offset 128, no pickle\n"));
}

#[test]
fn later_pickles_in_a_stream_report_file_offsets() {
    // The second pickle starts at 2; its bad opcode is at file offset 4, not 2.
    let out = run(&["scan", "-"], b"N.\x80\x02\xff.");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("-: error: ") && stdout.contains(" at offset 4"),
        "{stdout}"
    );
    // show: data after STOP at its file offset.
    let err = text(&run(&["show", "-"], b"N.N.").stderr);
    assert!(err.contains("at offset 2"), "{err}");
}
