//! Every fixture of `tests/data/corpus` (written by `tests/data/make_fixtures.py` with
//! CPython as the oracle) loads to exactly the `repr()` CPython printed, or fails with the
//! error kind and message CPython's exception maps to (`tests/support/oracle_errors.rs`);
//! each intentional difference is listed, with its reason, in
//! `tests/data/oracle_differences.tsv`.

#[path = "support/oracle_errors.rs"]
mod oracle_errors;

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::{presets, Encoding, Unpickler};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus")
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
    let differences = oracle_errors::Differences::load();
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
            let wrong = match differences.check(&format!("corpus:{name}"), enc, expected, &got) {
                Ok(true) => None,
                Ok(false) if matches!(&got, Ok(v) if v.to_string() == expected) => None,
                Ok(false) => Some("not CPython's value".to_owned()),
                Err(why) => Some(why),
            };
            if let Some(why) = wrong {
                failures.push(format!(
                    "{name} [{enc}]: {why}\n    expected {expected:.200}\n    got {:.200}",
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
                    // Kind, message and offset.
                    (Err(a), Err(b)) => {
                        format!("{:?}", a.kind()) == format!("{:?}", b.kind())
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
    differences.assert_all_met("corpus:");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ from CPython:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
