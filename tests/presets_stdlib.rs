//! The `stdlib` preset beyond the corpus: edge cases whose expected repr CPython's
//! restricted unpickler produced (`tests/data/make_stdlib_extra.py` → `tests/data/stdlib`),
//! and the typed accessors.

#[path = "support/oracle_errors.rs"]
mod oracle_errors;

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::value::{DecimalKind, SafeUuid, TzInfo};
use unpickle::{presets, ErrorKind, Unpickler, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stdlib")
}

fn load(name: &str) -> Result<Value, unpickle::Error> {
    let data = fs::read(dir().join(format!("{name}.pkl"))).unwrap();
    Unpickler::new().policy(presets::stdlib()).load_slice(&data)
}

#[test]
fn extra_cases_match_cpython() {
    let differences = oracle_errors::Differences::load();
    let mut n = 0;
    for entry in fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("pkl") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let expected = fs::read_to_string(dir().join(format!("{name}.repr"))).unwrap();
        let expected = expected.trim_end();
        // CPython's failures: kind and message, or the error oracle_differences.tsv lists.
        let got = load(&name);
        match differences.check(&format!("stdlib:{name}"), "-", expected, &got) {
            Ok(true) => {}
            Ok(false) => assert_eq!(got.unwrap().to_string(), expected, "{name}"),
            Err(why) => panic!("{name}: {why}"),
        }
        n += 1;
    }
    assert_eq!(n, 43);
    differences.assert_all_met("stdlib:");
}

#[test]
fn typed_accessors() {
    let Value::Time(t) = load("time_fold_tz_p4").unwrap() else {
        panic!()
    };
    assert_eq!(
        (t.hour(), t.minute(), t.second(), t.microsecond(), t.fold()),
        (23, 59, 59, 999_999, true)
    );
    let Some(TzInfo::TimeZone(tz)) = t.tzinfo() else {
        panic!()
    };
    assert_eq!(tz.offset().seconds(), 19_800);
    assert!(!tz.is_utc());

    let Value::List(dates) = load("dates_edges_p0").unwrap() else {
        panic!()
    };
    let Value::DateTime(max) = &dates[3] else {
        panic!()
    };
    assert_eq!((max.year(), max.month(), max.day()), (9999, 12, 31));
    assert!(max.tzinfo().is_none());

    let Value::List(decs) = load("decimals_p4").unwrap() else {
        panic!()
    };
    let Value::Decimal(d) = &decs[2] else {
        panic!()
    };
    assert!(d.is_negative());
    assert_eq!(
        d.kind(),
        &DecimalKind::Finite {
            coefficient: "15".into(),
            exponent: 9
        }
    );

    let Value::Uuid(u) = load("uuid_safe_p0").unwrap() else {
        panic!()
    };
    assert_eq!(u.as_u128(), u128::MAX);
    assert_eq!(u.is_safe(), SafeUuid::Unsafe);

    let Value::Deque(d) = load("deque_overflow_p2").unwrap() else {
        panic!()
    };
    assert_eq!(d.items(), &[Value::Int(2), Value::Int(3)]);
    assert_eq!(d.maxlen(), Some(2));

    let Value::DefaultDict(d) = load("defaultdict_dict_p0").unwrap() else {
        panic!()
    };
    assert_eq!(d.factory().unwrap().dotted(), "builtins.dict");
}

#[test]
fn names_only_are_not_called() {
    // builtins.list may be named (a defaultdict factory) but calling it is refused.
    let e = Unpickler::new()
        .policy(presets::stdlib())
        .load_slice(b"cbuiltins\nlist\n(tR.")
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Construct { global, message }
            if global == "builtins.list"
                && message == "builtins.list may not be called (a policy allows a call with Allowlist::call)"),
        "{e}"
    );
    // Under strict, the stdlib types are refused.
    let e = unpickle::from_slice(&fs::read(dir().join("od_nested_p2.pkl")).unwrap()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Refused { .. }), "{e}");
}

#[test]
fn nested_ordered_dicts_hit_the_depth_limit() {
    // OrderedDict(...) nested 100000 deep through SETITEM: a depth error, not a stack
    // overflow. (A lower limit than the default keeps the values this test builds before
    // the error shallow enough for a debug build's 2 MiB test thread.)
    let mut p = b"\x80\x02ccollections\nOrderedDict\nq\x01h\x01)Rq\x000".to_vec();
    for _ in 0..100_000 {
        p.extend_from_slice(b"h\x01)RK\x01h\x00sq\x000");
    }
    p.extend_from_slice(b"h\x00.");
    let e = Unpickler::new()
        .policy(presets::stdlib())
        .limits(unpickle::Limits::default().max_depth(200))
        .load_slice(&p)
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: unpickle::Limit::Depth,
                ..
            }
        ),
        "{e}"
    );
}
