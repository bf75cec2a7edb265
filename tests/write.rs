//! The writer against bytes CPython wrote (`pickle.dumps`), with no Python needed:
//! `tests/data/write/` (made by `make_write_fixtures.py`) and the plain-data pickles of
//! `tests/data/corpus/` are loaded, written again at the same and at every other protocol,
//! and compared byte for byte with what CPython wrote for the same value.

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::write::{Options, Protocol};
use unpickle::{presets, Error, ErrorKind, Limit, Limits, Unpickler, Value};

fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
}

fn proto(n: u8) -> Protocol {
    Protocol::new(n).expect("protocol 0-5")
}

fn show(b: &[u8]) -> String {
    let s: String = b
        .iter()
        .flat_map(|&c| std::ascii::escape_default(c))
        .map(char::from)
        .collect();
    s.chars().take(300).collect()
}

/// Where our bytes first differ from CPython's.
fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let from = at.saturating_sub(20);
    format!(
        "lengths {} / {}, first difference at {at}:\n  cpython {}\n  ours    {}",
        theirs.len(),
        ours.len(),
        show(&theirs[from..theirs.len().min(at + 40)]),
        show(&ours[from..ours.len().min(at + 40)])
    )
}

/// `NAME_pP.pkl` files of a case, by protocol.
fn by_protocol(dir: &Path, name: &str) -> Vec<(u8, Vec<u8>)> {
    (0..6)
        .filter_map(|p| {
            fs::read(dir.join(format!("{name}_p{p}.pkl")))
                .ok()
                .map(|b| (p, b))
        })
        .collect()
}

/// Loads each protocol's pickle and writes it at every protocol there is a CPython
/// pickle for: all must be CPython's bytes. Returns the number of comparisons.
fn check_case(dir: &Path, name: &str, loader: &Unpickler, failures: &mut Vec<String>) -> usize {
    let files = by_protocol(dir, name);
    let mut checked = 0;
    for (from, src) in &files {
        let v = match loader.load_slice(src) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}_p{from}: does not load: {e}"));
                continue;
            }
        };
        for (to, expected) in &files {
            // Below protocol 4 a time's fold is not written: loading such a pickle
            // cannot give back what protocol 4 writes.
            if name.contains("fold") && *from < 4 && *to >= 4 {
                continue;
            }
            checked += 1;
            match unpickle::to_vec(&v, proto(*to)) {
                Ok(ours) if &ours == expected => {}
                Ok(ours) => failures.push(format!(
                    "{name}_p{from} written at protocol {to}: {}",
                    first_difference(&ours, expected)
                )),
                Err(e) => failures.push(format!("{name}_p{from} at protocol {to}: {e}")),
            }
        }
    }
    checked
}

#[test]
fn writer_fixtures_are_cpythons_bytes() {
    let dir = data("write");
    let index = fs::read_to_string(dir.join("index.tsv"))
        .expect("run python3 tests/data/write/make_write_fixtures.py");
    let (mut checked, mut failures) = (0, Vec::new());
    for line in index.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let policy = match cols[1] {
            "strict" => presets::strict(),
            "stdlib" => presets::stdlib(),
            other => panic!("unknown policy {other}"),
        };
        checked += check_case(
            &dir,
            cols[0],
            &Unpickler::new().policy(policy),
            &mut failures,
        );
    }
    assert!(checked >= 500, "only {checked} comparisons");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The plain-data cases of the load corpus that `pickle.dumps` wrote (`NAME_pP`), except
/// the ones whose value shares a container (`shared_*`: see `shared_values_write_equal`):
/// a `Value` holds such a container twice, so it is written twice.
#[test]
fn corpus_plain_data_is_cpythons_bytes() {
    let dir = data("corpus");
    let index = fs::read_to_string(dir.join("index.tsv")).unwrap();
    let mut names: Vec<&str> = index
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let (name, policy) = (cols[0], cols[1]);
            let base = name.strip_suffix(|c: char| c.is_ascii_digit())?;
            let base = base.strip_suffix("_p")?;
            // Hand-written Python 2 pickles are not what pickle.dumps writes; cycles and
            // refused globals do not load.
            let plain = policy == "strict"
                && !name.starts_with("py2_")
                && !name.starts_with("recursive_")
                && !name.starts_with("refuse_");
            (plain && !base.starts_with("shared_")).then_some(base)
        })
        .collect();
    names.dedup();
    let (mut checked, mut failures) = (0, Vec::new());
    let loader = Unpickler::new().policy(presets::strict());
    for name in &names {
        checked += check_case(&dir, name, &loader, &mut failures);
    }
    assert!(
        names.len() >= 25 && checked >= 700,
        "only {} cases, {checked} comparisons",
        names.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Values that share a list or bytes object in Python are trees here: written with the
/// copies, they load back (here; CPython in tests/write_differential.rs) to an equal
/// value, and the bytes differ from CPython's only by that.
#[test]
fn shared_values_write_equal() {
    let dir = data("corpus");
    for name in [
        "shared_list",
        "shared_nested",
        "shared_in_tuple",
        "shared_bytes",
    ] {
        for (p, src) in by_protocol(&dir, name) {
            let v = unpickle::from_slice(&src).unwrap();
            let ours = unpickle::to_vec(&v, proto(p)).unwrap();
            assert_ne!(ours, src, "{name}_p{p} shares nothing?");
            assert_eq!(unpickle::from_slice(&ours).unwrap(), v, "{name}_p{p}");
        }
    }
}

/// `pickle.dumps(v, 4)` for a few values, spelled out: the opcodes CPython chooses.
#[test]
fn small_values_spelled_out() {
    let cases: &[(Value, u8, &[u8])] = &[
        (Value::None, 0, b"N."),
        (Value::None, 4, b"\x80\x04N."),
        (Value::Bool(true), 0, b"I01\n."),
        (Value::Bool(false), 2, b"\x80\x02\x89."),
        (Value::Int(-1), 1, b"J\xff\xff\xff\xff."),
        (Value::Int(1 << 40), 0, b"L1099511627776L\n."),
        (
            Value::Int(1 << 40),
            2,
            b"\x80\x02\x8a\x06\x00\x00\x00\x00\x00\x01.",
        ),
        (Value::Float(0.5), 0, b"F0.5\n."),
        (Value::from(""), 3, b"\x80\x03X\x00\x00\x00\x00q\x00."),
        (Value::tuple([]), 0, b"(t."),
        (
            Value::list([Value::from("a"), Value::from("a")]),
            4,
            b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x01a\x94h\x01e.",
        ),
    ];
    for (v, p, expected) in cases {
        assert_eq!(
            show(&unpickle::to_vec(v, proto(*p)).unwrap()),
            show(expected),
            "{v} at {p}"
        );
    }
}

/// Equal strings in separate allocations are separate objects (written twice); one
/// allocation referenced twice is one object (a GET), as after a load.
#[test]
fn str_identity_is_the_allocation() {
    let shared = Value::from("shared text");
    let v = Value::list([shared.clone(), shared]);
    let ours = unpickle::to_vec(&v, Protocol::V2).unwrap();
    assert_eq!(
        ours,
        b"\x80\x02]q\x00(X\x0b\x00\x00\x00shared textq\x01h\x01e."
    );
    let v = Value::list([Value::from("separate"), Value::from("separate")]);
    let ours = unpickle::to_vec(&v, Protocol::V2).unwrap();
    assert_eq!(
        ours,
        b"\x80\x02]q\x00(X\x08\x00\x00\x00separateq\x01X\x08\x00\x00\x00separateq\x02e."
    );
}

fn limit_of(e: &Error) -> Limit {
    match e.kind() {
        ErrorKind::Limit { limit, .. } => *limit,
        other => panic!("not a limit error: {other:?}"),
    }
}

fn nested(depth: usize) -> Value {
    let mut v = Value::list([]);
    for _ in 1..depth {
        v = Value::list([v]);
    }
    v
}

/// The writer refuses what the loader would refuse with the same limits, before writing.
#[test]
fn limits_refuse_as_the_loader_would() {
    let limits = Limits::default().max_depth(50);
    let at = Options::new(Protocol::V4).limits(limits.clone());
    // 50 levels load and write; 51 are refused by both.
    let ok = at.to_vec(&nested(50)).unwrap();
    Unpickler::new()
        .limits(limits.clone())
        .load_slice(&ok)
        .unwrap();
    let deep = nested(51);
    assert_eq!(limit_of(&at.to_vec(&deep).unwrap_err()), Limit::Depth);
    let written = Options::new(Protocol::V4).to_vec(&deep).unwrap();
    let refused = Unpickler::new().limits(limits).load_slice(&written);
    assert_eq!(limit_of(&refused.unwrap_err()), Limit::Depth);

    let long = Value::from("x".repeat(100));
    let short = Options::new(Protocol::V3).limits(Limits::default().max_item_len(99));
    assert_eq!(limit_of(&short.to_vec(&long).unwrap_err()), Limit::ItemLen);

    let many = Value::list((0..10).map(|i| Value::from(format!("s{i}"))));
    let few = Options::new(Protocol::V1).limits(Limits::default().max_memo(10));
    assert_eq!(limit_of(&few.to_vec(&many).unwrap_err()), Limit::Memo);

    let big = Value::from_bigint(num_bigint::BigInt::from(10u8).pow(5000));
    assert_eq!(
        limit_of(&unpickle::to_vec(&big, Protocol::V0).unwrap_err()),
        Limit::Digits
    );
    assert!(unpickle::to_vec(&big, Protocol::V2).is_ok());
    let wide = Value::from_bigint(num_bigint::BigInt::from(1u8) << 70_000u32);
    assert_eq!(
        limit_of(&unpickle::to_vec(&wide, Protocol::V2).unwrap_err()),
        Limit::IntBits
    );
    let size = Options::new(Protocol::V4).limits(Limits::default().max_result_bytes(1000));
    assert_eq!(
        limit_of(&size.to_vec(&Value::bytes(&[0; 2000])).unwrap_err()),
        Limit::ResultBytes
    );
}

/// A value far deeper than any stack: refused by default, written without recursion
/// (and loaded back) when the limits allow it.
#[test]
fn deep_values_do_not_recurse() {
    let deep = nested(20_000);
    assert_eq!(
        limit_of(&unpickle::to_vec(&deep, Protocol::V4).unwrap_err()),
        Limit::Depth
    );
    let limits = Limits::default().max_depth(30_000);
    let opts = Options::new(Protocol::V4).limits(limits.clone());
    // 20,000 levels in a 256 KiB stack: a writer that recursed would overflow it.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let bytes = opts.to_vec(&deep).unwrap();
            // 20,000 × (EMPTY_LIST, MEMOIZE) and 19,999 APPENDs, in one frame.
            assert_eq!(bytes.len(), 2 + 9 + 20_000 * 2 + 19_999 + 1);
            let back = Unpickler::new().limits(limits).load_slice(&bytes).unwrap();
            assert!(opts.to_vec(&back).unwrap() == bytes);
            // Dropping values this deep recurses: leak them instead.
            std::mem::forget(deep);
            std::mem::forget(back);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Writing to an `io::Write` gives the same bytes as `to_vec`, also with frames and
/// payloads outside them.
#[test]
fn to_writer_matches_to_vec() {
    let dir = data("write");
    for name in ["frame_large", "frame_many", "frame_split", "list_2500"] {
        for (p, src) in by_protocol(&dir, name) {
            let v = unpickle::from_slice(&src).unwrap();
            let mut out = Vec::new();
            unpickle::to_writer(&mut out, &v, proto(p)).unwrap();
            assert!(out == src, "{name}_p{p}");
        }
    }
}

/// Inert globals are refused unless asked for, naming them; asked for, they are written
/// as the GLOBAL they came from, unless a name cannot be a GLOBAL line.
#[test]
fn inert_globals_only_when_asked_for() {
    let opaque = Unpickler::new().policy(presets::opaque());
    let v = opaque
        .load_slice(b"\x80\x02]q\x00cos\nsystem\nq\x01a.")
        .unwrap();
    let e = unpickle::to_vec(&v, Protocol::V2).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Refused { module, name } if module == "os" && name == "system"),
        "{e}"
    );
    let inert = Options::new(Protocol::V2).inert(true);
    let bytes = inert.to_vec(&v).unwrap();
    assert_eq!(bytes, b"\x80\x02]q\x00cos\nsystem\nq\x01a.");
    assert_eq!(opaque.load_slice(&bytes).unwrap(), v);
    // A name with a newline (possible through STACK_GLOBAL) has no GLOBAL line.
    let odd = opaque
        .load_slice(b"\x80\x04\x8c\x03o\ns\x94\x8c\x01x\x94\x93\x94.")
        .unwrap();
    let e = inert.to_vec(&odd).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Unsupported(_)), "{e}");
    let p4 = Options::new(Protocol::V4).inert(true).to_vec(&odd).unwrap();
    assert_eq!(opaque.load_slice(&p4).unwrap(), odd);
}
