//! Differential test against a live CPython: `tests/data/random_values.py` generates random
//! nested values from a fixed seed, pickles each at every protocol, and prints the repr
//! CPython gives the loaded value; this crate must print the same. Needs python3 (and
//! numpy for the numpy cases, `tests/data/random_arrays.py`): without them the tests fail,
//! unless `UNPICKLE_SKIP_PYTHON=1` says to skip them (`.ci/run` never sets it).

#[path = "support/numpy_oracle.rs"]
mod numpy_oracle;
#[path = "support/python.rs"]
mod python;

use unpickle::{presets, Unpickler, Value};

/// `repr()` with set and frozenset elements sorted by their own canonical repr, as
/// `canonical_repr` in random_values.py does (Python prints sets in hash order).
fn canonical(v: &Value) -> String {
    let join = |items: &mut dyn Iterator<Item = &Value>| {
        items.map(canonical).collect::<Vec<_>>().join(", ")
    };
    match v {
        Value::Set(s) | Value::FrozenSet(s) if !s.is_empty() => {
            let mut items: Vec<String> = s.iter().map(|k| canonical(k.value())).collect();
            items.sort();
            let inner = format!("{{{}}}", items.join(", "));
            if matches!(v, Value::Set(_)) {
                inner
            } else {
                format!("frozenset({inner})")
            }
        }
        Value::List(items) => format!("[{}]", join(&mut items.iter())),
        Value::Tuple(items) if items.len() == 1 => format!("({},)", canonical(&items[0])),
        Value::Tuple(items) => format!("({})", join(&mut items.iter())),
        Value::Dict(d) => format!(
            "{{{}}}",
            d.iter()
                .map(|(k, x)| format!("{}: {}", canonical(k.value()), canonical(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

const SEED: &str = "20261128";
const COUNT: &str = "5000";

#[test]
fn random_values_match_cpython() {
    if python::skipped("random_values_match_cpython") {
        return;
    }
    let out = python::run("tests/data/random_values.py", &[SEED, COUNT]);
    let mut rest = &out[..];
    let (mut checked, mut failures) = (0usize, Vec::new());
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').expect("header line");
        let header = std::str::from_utf8(&rest[..nl]).unwrap();
        let nums: Vec<usize> = header.split(' ').map(|n| n.parse().unwrap()).collect();
        let (proto, plen, rlen) = (nums[0], nums[1], nums[2]);
        rest = &rest[nl + 1..];
        let pickle = &rest[..plen];
        let expected = std::str::from_utf8(&rest[plen..plen + rlen]).unwrap();
        rest = &rest[plen + rlen + 1..];
        checked += 1;
        match unpickle::from_slice(pickle) {
            Ok(v) if canonical(&v) == expected => {}
            Ok(v) => failures.push(format!(
                "protocol {proto}: expected {expected:.300}\n   got {:.300}",
                canonical(&v)
            )),
            Err(e) => failures.push(format!(
                "protocol {proto}: expected {expected:.300}\n   error {e}"
            )),
        }
    }
    assert!(checked >= 30_000, "only {checked} pickles checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// One record of random_values.py / random_arrays.py: `"<n> <len>…\n"` then the parts.
fn records(out: &[u8], parts: usize) -> Vec<(usize, Vec<&[u8]>)> {
    let mut rest = out;
    let mut all = Vec::new();
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').expect("header line");
        let header = std::str::from_utf8(&rest[..nl]).unwrap();
        let nums: Vec<usize> = header.split(' ').map(|n| n.parse().unwrap()).collect();
        assert_eq!(nums.len(), parts + 1, "header {header}");
        rest = &rest[nl + 1..];
        let mut got = Vec::new();
        for &len in &nums[1..] {
            got.push(&rest[..len]);
            rest = &rest[len..];
        }
        assert_eq!(rest.first(), Some(&b'\n'));
        rest = &rest[1..];
        all.push((nums[0], got));
    }
    all
}

const NUMPY_COUNT: &str = "600";

/// Random numpy arrays and scalars (tests/data/random_arrays.py: every dtype kind, both
/// byte orders, C and Fortran order, structured and object arrays) at protocols 2 to 5:
/// the crate's elements must be numpy's (numpy_oracle.describe, rebuilt from the crate's
/// bytes) and its Display the documented text. Needs python3 and numpy; fails without them
/// unless `UNPICKLE_SKIP_PYTHON=1`.
#[test]
fn random_numpy_values_match_numpy() {
    if python::skipped("random_numpy_values_match_numpy") {
        return;
    }
    python::require_numpy();
    let out = python::run("tests/data/random_arrays.py", &[SEED, NUMPY_COUNT]);
    let loader = Unpickler::new().policy(presets::numpy());
    let (mut checked, mut failures) = (0usize, Vec::new());
    for (proto, parts) in records(&out, 3) {
        let (pickle, elements, display) = (parts[0], parts[1], parts[2]);
        let elements = std::str::from_utf8(elements).unwrap();
        let display = std::str::from_utf8(display).unwrap();
        checked += 1;
        match loader.load_slice(pickle) {
            Ok(v) => {
                let got = numpy_oracle::describe(&v);
                let elements = numpy_oracle::known_differences(elements);
                if got != elements {
                    failures.push(format!(
                        "protocol {proto}: numpy {elements:.300}\n   crate {got:.300}"
                    ));
                }
                let shown = v.to_string();
                if shown != display {
                    failures.push(format!(
                        "protocol {proto}: display {display:.300}\n   crate {shown:.300}"
                    ));
                }
            }
            Err(e) => failures.push(format!("protocol {proto}: {elements:.300}\n   error {e}")),
        }
    }
    assert!(checked >= 2_400, "only {checked} pickles checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
