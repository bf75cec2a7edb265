//! `unpickle::dis` against `python3 -m pickletools` (CPython 3.11).
//!
//! The corpus in `tests/data/corpus/` holds `NAME.pkl` and `NAME.dis`, the latter being
//! pickletools' listing, or the lines it printed followed by one `ERROR: ` line where it
//! raised.

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::dis::{dis, dis_reader};

/// Corpus cases whose listing cannot match, because the crate's decoder (which follows the
/// C unpickler and the protocol strictly) rejects what pickletools lists. For these the test
/// checks that the output is a strict prefix of pickletools' listing (never a wrong line)
/// and that an error is returned; should one start matching, it must leave this list.
const DIVERGENT: &[(&str, &str)] = &[];

/// What pickletools printed before raising, and whether it raised. The `ERROR: ` line is
/// the last; pickletools prints an opcode's offset before the rest of its line, so a fault
/// raised in between leaves `    N: ` in front of it, which is part of the printed text.
fn split_expected(expected: &str) -> (&str, bool) {
    let body = expected.strip_suffix('\n').unwrap_or(expected);
    let start = body.rfind('\n').map_or(0, |i| i + 1);
    let last = &body[start..];
    let prefix = match last.find(": ERROR: ") {
        Some(i)
            if !last[..i].trim_start().is_empty()
                && last[..i].trim_start().bytes().all(|b| b.is_ascii_digit()) =>
        {
            i + 2
        }
        _ => 0,
    };
    if last[prefix..].starts_with("ERROR: ") {
        (&expected[..start + prefix], true)
    } else {
        (expected, false)
    }
}

/// The listing and whether it failed.
fn run(data: &[u8]) -> (String, bool) {
    let mut out = Vec::new();
    let failed = dis(data, &mut out).is_err();
    (String::from_utf8(out).expect("listing is UTF-8"), failed)
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus")
}

#[test]
fn corpus_matches_pickletools() {
    matches_pickletools(&corpus_dir(), DIVERGENT);
}

/// The same for `tests/data/compat` (`tests/data/make_compat.py`): the inputs on which the
/// listing used to stop early.
#[test]
fn compat_cases_match_pickletools() {
    matches_pickletools(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/compat"),
        &[],
    );
}

fn matches_pickletools(dir: &Path, divergent: &[(&str, &str)]) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "corpus directory {} is missing ({e}); generate it with tests/data/make_fixtures.py",
            dir.display()
        )
    });
    let mut cases: Vec<PathBuf> = entries
        .map(|e| e.expect("readable corpus directory").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pkl"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no .pkl files in {}", dir.display());

    let mut failures = Vec::new();
    let mut divergent_seen = Vec::new();
    for pkl in &cases {
        let name = pkl
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file name");
        let data = fs::read(pkl).expect("readable .pkl");
        let dis_path = pkl.with_extension("dis");
        let expected =
            fs::read_to_string(&dis_path).unwrap_or_else(|e| panic!("{}: {e}", dis_path.display()));
        let (expected_lines, expect_error) = split_expected(&expected);
        let (got, failed) = run(&data);

        // The streaming entry point must agree with the slice one. Where the input is bad,
        // a slice can tell sooner (a FRAME longer than what remains fails at once, a reader
        // only finds out when the bytes run out), so there the slice's listing need only be
        // a prefix of the reader's.
        let mut streamed = Vec::new();
        let streamed_failed = dis_reader(&data[..], &mut streamed).is_err();
        let agree = if failed {
            streamed_failed && streamed.starts_with(got.as_bytes())
        } else {
            !streamed_failed && streamed == got.as_bytes()
        };
        if !agree {
            failures.push(format!("{name}: dis_reader differs from dis"));
        }

        if let Some((_, why)) = divergent.iter().find(|(n, _)| *n == name) {
            divergent_seen.push(name.to_owned());
            eprintln!("known divergence {name}: {why}");
            if !(failed && expected_lines.starts_with(&got) && got != expected_lines) {
                failures.push(format!(
                    "{name}: listed as divergent but got (failed={failed}):\n{got}"
                ));
            }
            continue;
        }
        if got != expected_lines || failed != expect_error {
            failures.push(format!(
                "{name}: expected (error={expect_error}):\n{expected}\ngot (error={failed}):\n{got}"
            ));
        }
    }
    for (name, _) in divergent {
        if !divergent_seen.iter().any(|n| n == name) {
            failures.push(format!("{name}: listed as divergent but not in the corpus"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// A hand-written protocol-0 pickle with nested MARKs (and a POP_MARK, a POP of a MARK, an
/// INT bool, memo PUTs, a UNICODE escape, a GLOBAL). Expected output: CPython 3.11
/// `python3 -m pickletools`.
#[test]
fn nested_marks_protocol_0() {
    let data = b"(lp0\n(I1\n(S'a'\nI01\n(N1F2.5\ndp1\nla(0(V\\u00e9\ncmod\nname\ntp3\n0.";
    let expected = "    0: (    MARK
    1: l        LIST       (MARK at 0)
    2: p    PUT        0
    5: (    MARK
    6: I        INT        1
    9: (        MARK
   10: S            STRING     'a'
   15: I            INT        True
   19: (            MARK
   20: N                NONE
   21: 1                POP_MARK   (MARK at 19)
   22: F            FLOAT      2.5
   27: d            DICT       (MARK at 9)
   28: p        PUT        1
   31: l        LIST       (MARK at 5)
   32: a    APPEND
   33: (    MARK
   34: 0        POP        (MARK at 33)
   35: (    MARK
   36: V        UNICODE    'é'
   44: c        GLOBAL     'mod name'
   54: t        TUPLE      (MARK at 35)
   55: p    PUT        3
   58: 0    POP
   59: .    STOP
highest protocol among opcodes = 1
";
    assert_eq!(run(data), (expected.to_owned(), false));
}

/// Faults pickletools raises mid-listing, and repr corner cases. Expected text: CPython 3.11
/// `pickletools.dis` (what it printed before raising, where it raised).
#[test]
fn faults_and_repr_corners() {
    let mut long4_huge = b"\x8b\x08\x07\x00\x00".to_vec();
    long4_huge.extend([1u8; 1800]);
    long4_huge.push(b'.');
    let cases: &[(&str, &[u8], &str, bool)] = &[
        (
            // DUP consumed the MARK; TUPLE's pop to the mark runs off the stack (IndexError)
            // after the offset was printed.
            "mark lost by DUP",
            b"(2t.",
            "    0: (    MARK\n    1: 2        DUP\n    2: ",
            true,
        ),
        (
            "MEMOIZE onto a key PUT defined",
            b"\x80\x04Np1\n\x94\x94.",
            "    0: \\x80 PROTO      4\n    2: N    NONE\n    3: p    PUT        1\n    6: \\x94 MEMOIZE    (as 1)\n",
            true,
        ),
        (
            "stack not empty after STOP",
            b"N(N.",
            "    0: N    NONE\n    1: (    MARK\n    2: N        NONE\n    3: .        STOP\nhighest protocol among opcodes = 0\n",
            true,
        ),
        (
            "PUT of a MARK",
            b"(p0\n.",
            "    0: (    MARK\n    1: p        PUT        0\n",
            true,
        ),
        (
            "an int of more than 4300 digits cannot be shown",
            &long4_huge,
            "    0: ",
            true,
        ),
        (
            "STRING that is not ASCII",
            b"S'\\xe9'\n.",
            "",
            true,
        ),
        (
            "bytearray's repr escapes ' between double quotes",
            b"\x96\x02\x00\x00\x00\x00\x00\x00\x00a'.",
            "    0: \\x96 BYTEARRAY8 bytearray(b\"a\\'\")\n   11: .    STOP\nhighest protocol among opcodes = 5\n",
            false,
        ),
        (
            "float halfway between two shortest candidates rounds half to even",
            b"GA\x9do4T\xfa\x00\x00.",
            "    0: G    BINFLOAT   123456789.24414062\n    9: .    STOP\nhighest protocol among opcodes = 1\n",
            false,
        ),
    ];
    for (what, data, expected, fails) in cases {
        assert_eq!(run(data), ((*expected).to_owned(), *fails), "{what}");
    }
}

#[test]
fn split_expected_finds_the_error_line() {
    assert_eq!(split_expected("ERROR: x\n"), ("", true));
    assert_eq!(
        split_expected("    0: N    NONE\nERROR: x\n"),
        ("    0: N    NONE\n", true)
    );
    assert_eq!(
        split_expected("    0: (    MARK\n    2: ERROR: IndexError: y\n"),
        ("    0: (    MARK\n    2: ", true)
    );
    let ok = "    0: N    NONE\n    1: .    STOP\nhighest protocol among opcodes = 0\n";
    assert_eq!(split_expected(ok), (ok, false));
}
