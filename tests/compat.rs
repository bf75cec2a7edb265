//! The cases of `tests/data/compat` (written by `tests/data/make_compat.py`, CPython 3.11
//! as the oracle): where this crate and CPython used to disagree. Each loads to exactly the
//! `repr()` CPython printed, or fails with the error kind the index names for CPython's
//! exception and, as for the corpus, CPython's kind and message or the error listed in
//! `tests/data/oracle_differences.tsv`; from a slice and from readers alike.

#[path = "support/oracle_errors.rs"]
mod oracle_errors;

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::{presets, Encoding, Error, ErrorKind, Limits, Unpickler, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/compat")
}

fn loader(policy: &str, encoding: &str) -> Unpickler {
    let enc = match encoding {
        "ASCII" => Encoding::Ascii,
        "latin1" => Encoding::Latin1,
        "bytes" => Encoding::Bytes,
        other => panic!("unknown encoding {other}"),
    };
    let p = match policy {
        "strict" => presets::strict(),
        "stdlib" => presets::stdlib(),
        other => panic!("unknown policy {other}"),
    };
    Unpickler::new().policy(p).encoding(enc)
}

/// Whether `e` is the kind `want` (an index column) names.
fn kind_matches(e: &Error, want: &str, expected: &str) -> bool {
    match (e.kind(), want) {
        (ErrorKind::Malformed(_), "malformed") => true,
        (ErrorKind::Construct { .. }, "construct") => true,
        (ErrorKind::Unsupported(_), "unsupported") => true,
        (ErrorKind::Limit { limit, .. }, w) if w.starts_with("limit:") => {
            format!("limit:{limit:?}") == w
        }
        (ErrorKind::Refused { module, name }, "refused") => {
            expected == format!("REFUSED: {module}.{name}")
        }
        (ErrorKind::Refused { .. } | ErrorKind::Limit { .. } | ErrorKind::Io(_), _) => false,
        (_, "error") => true,
        _ => false,
    }
}

/// What CPython's value prints as, where `repr()` refused (over 4300 digits): the
/// `hex()` the generator wrote (none where the crate's bit limit refuses the value, whose
/// test lifts the limit).
fn expected_display(name: &str, expected: &str) -> String {
    if expected.starts_with("ERROR: repr: ValueError: Exceeds the limit") {
        match fs::read_to_string(dir().join(format!("{name}.hex"))) {
            Ok(hex) => hex.trim_end().to_owned(),
            Err(_) => "(an int whose repr CPython refused)".to_owned(),
        }
    } else {
        expected.to_owned()
    }
}

fn outcome(r: &Result<Value, Error>) -> String {
    match r {
        Ok(v) => format!("{:.300}", v.to_string()),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn compat_cases_match_cpython() {
    let index = fs::read_to_string(dir().join("index.tsv"))
        .expect("tests/data/compat/index.tsv is missing: run python3 tests/data/make_compat.py");
    let differences = oracle_errors::Differences::load();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in index.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, policy, encodings, want) = (cols[0], cols[1], cols[2], cols[3]);
        let data = fs::read(dir().join(format!("{name}.pkl"))).unwrap();
        for enc in encodings.split(',') {
            let expected = fs::read_to_string(dir().join(format!("{name}.{enc}.repr"))).unwrap();
            let expected = expected.trim_end_matches('\n');
            let l = loader(policy, enc);
            let got = l.load_slice(&data);
            checked += 1;
            // CPython's failures: kind and message (tests/support/oracle_errors.rs), or the
            // difference listed for the case; the index's column names the kind too.
            let shown = expected_display(name, expected);
            let ok = match differences.check(&format!("compat:{name}"), enc, &shown, &got) {
                Ok(true) => {
                    want == "-" || matches!(&got, Err(e) if kind_matches(e, want, expected))
                }
                Ok(false) => want == "-" && matches!(&got, Ok(v) if v.to_string() == shown),
                Err(why) => {
                    failures.push(format!("{name} [{enc}]: {why}"));
                    true
                }
            };
            if !ok {
                failures.push(format!(
                    "{name} [{enc}] (want {want}): expected {expected:.300}\n    got {}",
                    outcome(&got)
                ));
            }
            // Where the crate's bit limit refuses what CPython loads, lifting it gives
            // CPython's value.
            if want == "limit:IntBits" && !expected.starts_with("ERROR") {
                let wide = l.clone().limits(Limits::default().max_int_bits(u64::MAX));
                let got = wide.load_slice(&data);
                let exp = expected_display(name, expected);
                if !matches!(&got, Ok(v) if v.to_string() == exp) {
                    failures.push(format!(
                        "{name} [{enc}] without the bit limit: expected {exp:.300}\n    got {}",
                        outcome(&got)
                    ));
                }
            }
            for (what, reader) in [("reader", l.clone()), ("streaming", l.read_ahead(0))] {
                let streamed = reader.load_reader(&data[..]);
                let same = match (&got, &streamed) {
                    (Ok(a), Ok(b)) => format!("{a:?}") == format!("{b:?}"),
                    // Kind and message.
                    (Err(a), Err(b)) => format!("{:?}", a.kind()) == format!("{:?}", b.kind()),
                    _ => false,
                };
                if !same {
                    failures.push(format!(
                        "{name} [{enc}]: slice {} but {what} {}",
                        outcome(&got),
                        outcome(&streamed)
                    ));
                }
            }
        }
    }
    assert!(checked >= 280, "only {checked} cases checked");
    differences.assert_all_met("compat:");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ from CPython:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// PERSID's id must be ASCII, checked as CPython checks it: only once a persistent loader
/// is there (without one, the missing loader is the error: see the compat fixtures). With a
/// loader that returns the id, CPython 3.11 (`persistent_load = lambda self, pid: pid`)
/// raises `UnpicklingError: persistent IDs in protocol 0 must be ASCII strings` for
/// `P\xe9\n.` and loads `Pid\n.` as `'id'`.
#[test]
fn persid_with_a_loader() {
    let l = Unpickler::new().persistent_load(|pid: Value| Ok(pid));
    for reader in [false, true] {
        let load = |d: &[u8]| {
            if reader {
                l.clone().read_ahead(0).load_reader(d)
            } else {
                l.load_slice(d)
            }
        };
        let e = load(b"P\xe9\n.").unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Malformed(m) if m == "persistent IDs in protocol 0 must be ASCII strings"),
            "{e}"
        );
        assert_eq!(load(b"Pid\n.").unwrap().to_string(), "'id'");
    }
}
