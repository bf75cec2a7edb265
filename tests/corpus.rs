//! Every fixture of `tests/data/corpus` (written by `tests/data/make_fixtures.py` with
//! CPython as the oracle) loads to exactly the `repr()` CPython printed, or fails the way
//! CPython failed.

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::{presets, Encoding, ErrorKind, Unpickler};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus")
}

/// Cases where CPython's C unpickler is lenient and this crate is strict by design
/// (README.md, "Threat model": "Not CPython in every corner"): the expected outcome is an error of the
/// given kind.
fn strict_by_design(name: &str) -> Option<fn(&ErrorKind) -> bool> {
    match name {
        "bad_trailing_data" => Some(|k| matches!(k, ErrorKind::Malformed(_))),
        n if n.contains("frame") => Some(|k| matches!(k, ErrorKind::Malformed(_))),
        _ => None,
    }
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

#[test]
fn corpus_matches_cpython() {
    let index = fs::read_to_string(corpus().join("index.tsv"))
        .expect("tests/data/corpus/index.tsv is missing: run python3 tests/data/make_fixtures.py");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in index.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, policy, encodings) = (cols[0], cols[1], cols[2]);
        let data = fs::read(corpus().join(format!("{name}.pkl"))).unwrap();
        for enc in encodings.split(',') {
            let expected = fs::read_to_string(corpus().join(format!("{name}.{enc}.repr"))).unwrap();
            let expected = expected.trim_end_matches('\n');
            let got = loader(policy, enc).load_slice(&data);
            checked += 1;
            let ok = match (&got, expected) {
                (Err(e), _) if strict_by_design(name).is_some() => {
                    strict_by_design(name).unwrap()(e.kind())
                }
                (Err(e), exp) if exp.starts_with("REFUSED: ") => {
                    matches!(e.kind(), ErrorKind::Refused { module, name }
                        if format!("REFUSED: {module}.{name}") == exp)
                }
                (Err(e), _) if name.starts_with("recursive") => {
                    matches!(e.kind(), ErrorKind::Cycle)
                }
                (Err(e), exp) if exp.contains("Exceeds the limit") => {
                    matches!(e.kind(), ErrorKind::Limit { .. })
                }
                (Err(e), exp) if exp.starts_with("ERROR: ") => !matches!(
                    e.kind(),
                    ErrorKind::Refused { .. } | ErrorKind::Limit { .. } | ErrorKind::Io(_)
                ),
                (Ok(v), exp) => v.to_string() == exp,
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{name} [{enc}]: expected {expected:.200}\n    got {:.200}",
                    match &got {
                        Ok(v) => v.to_string(),
                        Err(e) => format!("error: {e}"),
                    }
                ));
            }
            // The stream path keeps every memo entry (it cannot look ahead for the GETs
            // that read them), the slice path only those read back: both must agree.
            if name != "bad_trailing_data" {
                let streamed = loader(policy, enc).load_reader(&data[..]);
                let same = match (&got, &streamed) {
                    // Debug, not ==: NaN is not equal to itself.
                    (Ok(a), Ok(b)) => format!("{a:?}") == format!("{b:?}"),
                    (Err(a), Err(b)) => {
                        std::mem::discriminant(a.kind()) == std::mem::discriminant(b.kind())
                            && a.offset() == b.offset()
                    }
                    _ => false,
                };
                if !same {
                    failures.push(format!(
                        "{name} [{enc}]: slice {got:?} but reader {streamed:?}"
                    ));
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} cases checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ from CPython:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
