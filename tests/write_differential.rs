//! The writer against a live CPython: random values (`tests/data/random_values.py`, the
//! loader's differential corpus) and the fixture corpus are loaded, written again by
//! this crate, and
//! - the bytes must be CPython's own for the same value at the same protocol, except
//!   where CPython's value holds one container object twice (a `Value` holds copies);
//! - CPython must load every pickle written here to a value equal to the one it loaded
//!   from its own bytes (`tests/data/write/check_written.py`, restricted unpickler).
//!
//! Needs python3; fails without it unless `UNPICKLE_SKIP_PYTHON=1`.

#[path = "support/python.rs"]
mod python;

use std::fs;
use std::path::Path;

use unpickle::{presets, Protocol, Unpickler};

/// One pickle written here, with the CPython pickle of the same value.
struct Record {
    what: String,
    policy: &'static str,
    ours: Vec<u8>,
    theirs: Vec<u8>,
    identical_expected: bool,
}

/// Asks CPython about `records`; returns its verdict per record.
fn verdicts(records: &[Record]) -> Vec<String> {
    let mut file = Vec::new();
    for r in records {
        file.extend_from_slice(
            format!("{} {} {}\n", r.policy, r.ours.len(), r.theirs.len()).as_bytes(),
        );
        file.extend_from_slice(&r.ours);
        file.extend_from_slice(&r.theirs);
    }
    let path = std::env::temp_dir().join(format!("unpickle-written-{}.bin", std::process::id()));
    fs::write(&path, &file).unwrap();
    let out = python::run(
        "tests/data/write/check_written.py",
        &[path.to_str().unwrap()],
    );
    let _ = fs::remove_file(&path);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn judge(records: Vec<Record>, min: usize) {
    assert!(records.len() >= min, "only {} records", records.len());
    let verdicts = verdicts(&records);
    assert_eq!(verdicts.len(), records.len());
    let (mut identical, mut shared, mut failures) = (0, 0, Vec::new());
    for (r, v) in records.iter().zip(&verdicts) {
        let same_bytes = r.ours == r.theirs;
        identical += usize::from(same_bytes);
        match v.as_str() {
            "equal" if same_bytes || !r.identical_expected => {}
            "equal" => failures.push(format!("{}: not CPython's bytes", r.what)),
            "equal shared" => shared += usize::from(!same_bytes),
            other => failures.push(format!("{}: {other}", r.what)),
        }
    }
    eprintln!(
        "{} pickles: {identical} byte-identical, {shared} differ by shared objects",
        records.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        records.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn random_values_write_as_cpython() {
    if python::skipped("random_values_write_as_cpython") {
        return;
    }
    let out = python::run("tests/data/random_values.py", &["20261203", "2000"]);
    let mut rest = &out[..];
    let mut records = Vec::new();
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap();
        let nums: Vec<usize> = std::str::from_utf8(&rest[..nl])
            .unwrap()
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        let (proto, plen, rlen) = (nums[0], nums[1], nums[2]);
        rest = &rest[nl + 1..];
        let theirs = rest[..plen].to_vec();
        rest = &rest[plen + rlen + 1..];
        let v = unpickle::from_slice(&theirs).unwrap();
        let ours = unpickle::to_vec(&v, Protocol::new(proto as u8).unwrap()).unwrap();
        records.push(Record {
            what: format!("random #{} protocol {proto}", records.len() / 6),
            policy: "strict",
            ours,
            theirs,
            identical_expected: true,
        });
    }
    judge(records, 12_000);
}

/// Every pickle of the fixture corpora that loads under `strict` or `stdlib`: written
/// here at every protocol, CPython loads an equal value (round trip through this
/// crate); byte identity is checked without Python in tests/write.rs.
#[test]
fn corpus_round_trips_through_cpython() {
    if python::skipped("corpus_round_trips_through_cpython") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut records = Vec::new();
    for dir in ["corpus", "write"] {
        let mut names: Vec<_> = fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pkl"))
            .collect();
        names.sort();
        for path in names {
            let theirs = fs::read(&path).unwrap();
            let loaded = [("strict", presets::strict()), ("stdlib", presets::stdlib())]
                .into_iter()
                .find_map(|(name, p)| {
                    Unpickler::new()
                        .policy(p)
                        .load_slice(&theirs)
                        .ok()
                        .map(|v| (name, v))
                });
            let Some((policy, v)) = loaded else { continue };
            for p in 0..6 {
                let ours = unpickle::to_vec(&v, Protocol::new(p).unwrap()).unwrap();
                records.push(Record {
                    what: format!("{} at protocol {p}", path.display()),
                    policy,
                    ours,
                    theirs: theirs.clone(),
                    identical_expected: false,
                });
            }
        }
    }
    judge(records, 2500);
}
