//! Deserializing pickles into Rust types (feature `serde`): one test per row of the
//! mapping table, on pickles CPython wrote (tests/data/serde/make_serde.py), each compared
//! with what Python says the data is (expected.json), on the direct path
//! (`deserialize_slice`) and on the general one (`from_value` of the loaded value).
#![cfg(feature = "serde")]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use unpickle::{presets, ErrorKind, Unpickler};

fn dir() -> String {
    format!("{}/tests/data/serde", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str, proto: u64) -> Vec<u8> {
    let path = format!("{}/{name}.p{proto}.pkl", dir());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The protocols a case was written at, and what Python says it holds.
fn case(name: &str) -> (Vec<u64>, Json) {
    let text = std::fs::read_to_string(format!("{}/expected.json", dir())).unwrap();
    let all: Json = serde_json::from_str(&text).unwrap();
    let c = &all[name];
    let protos = c["protocols"]
        .as_array()
        .unwrap_or_else(|| panic!("no case {name}"))
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect();
    (protos, c["expect"].clone())
}

fn strict() -> Unpickler {
    Unpickler::new()
}

fn stdlib() -> Unpickler {
    Unpickler::new().policy(presets::stdlib())
}

/// Each protocol's pickle of `name` deserializes into `T` on both paths, and `T` is what
/// Python says the data is.
fn check<T: DeserializeOwned + Serialize>(name: &str, loader: &Unpickler) {
    let (protos, expect) = case(name);
    for proto in protos {
        let data = fixture(name, proto);
        let direct: T = loader
            .deserialize_slice(&data)
            .unwrap_or_else(|e| panic!("{name} p{proto}: {e}"));
        assert_eq!(
            serde_json::to_value(&direct).unwrap(),
            expect,
            "{name} p{proto}"
        );
        let value = loader.load_slice(&data).unwrap();
        let general: T = unpickle::serde::from_value(&value)
            .unwrap_or_else(|e| panic!("{name} p{proto} from_value: {e}"));
        assert_eq!(
            serde_json::to_value(&general).unwrap(),
            expect,
            "{name} p{proto}"
        );
        let read: T = loader.deserialize_reader(&data[..]).unwrap();
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            expect,
            "{name} p{proto}"
        );
    }
}

/// Each protocol's pickle of `name` fails to deserialize into `T`, on both paths, with the
/// same message, which contains `needle`; returns the error of the direct path.
fn fails<T: DeserializeOwned + std::fmt::Debug>(
    name: &str,
    loader: &Unpickler,
    needle: &str,
) -> unpickle::Error {
    let (protos, _) = case(name);
    let mut last = None;
    for proto in protos {
        let data = fixture(name, proto);
        let err = loader.deserialize_slice::<T>(&data).unwrap_err();
        assert!(err.to_string().contains(needle), "{name} p{proto}: {err}");
        if let Ok(value) = loader.load_slice(&data) {
            let general = unpickle::serde::from_value::<T>(&value).unwrap_err();
            assert_eq!(general.to_string(), err.to_string(), "{name} p{proto}");
        }
        last = Some(err);
    }
    last.unwrap()
}

#[test]
fn none_is_unit_and_option_none() {
    check::<()>("none", &strict());
    check::<Option<i64>>("none", &strict());
    fails::<i64>(
        "none",
        &strict(),
        "at the top: invalid type: None, expected i64",
    );
}

#[test]
fn bools() {
    check::<Vec<bool>>("bool", &strict());
    check::<(bool, bool)>("bool", &strict());
    // A bool is not read as an integer.
    fails::<Vec<i64>>(
        "bool",
        &strict(),
        "at [0]: invalid type: bool True, expected i64",
    );
}

#[test]
fn ints_into_every_integer_type_that_holds_them() {
    check::<Vec<i64>>("ints", &strict());
    check::<Vec<i128>>("ints", &strict());
    // An int reads as a float too.
    let as_float: Vec<f64> = strict().deserialize_slice(&fixture("ints", 4)).unwrap();
    assert_eq!(as_float[3], 65536.0);
    // -1 at index 1 does not fit a u64.
    fails::<Vec<u64>>(
        "ints",
        &strict(),
        "at [1]: invalid value: integer `-1`, expected u64",
    );
    fails::<Vec<i8>>(
        "ints",
        &strict(),
        "at [2]: invalid value: integer `255`, expected i8",
    );
    for (name, want) in [("u64max", "u64"), ("i128min", "i128"), ("u128max", "u128")] {
        let (protos, expect) = case(name);
        for proto in protos {
            let data = fixture(name, proto);
            let got = match want {
                "u64" => strict()
                    .deserialize_slice::<u64>(&data)
                    .map(|x| x.to_string()),
                "i128" => strict()
                    .deserialize_slice::<i128>(&data)
                    .map(|x| x.to_string()),
                _ => strict()
                    .deserialize_slice::<u128>(&data)
                    .map(|x| x.to_string()),
            };
            assert_eq!(Json::String(got.unwrap()), expect, "{name} p{proto}");
        }
    }
    fails::<u64>("u128max", &strict(), "expected u64");
    let e = fails::<u128>("int201bits", &strict(), "int of 202 bits does not fit");
    assert!(matches!(e.kind(), ErrorKind::Deserialize(_)));
}

#[test]
fn floats() {
    check::<Vec<f64>>("floats", &strict());
    fails::<Vec<String>>(
        "floats",
        &strict(),
        "at [0]: invalid type: float 1.5, expected a string",
    );
}

#[test]
fn complex_is_a_pair() {
    check::<(f64, f64)>("complex", &strict());
    check::<[f64; 2]>("complex", &strict());
}

#[test]
fn strings() {
    check::<String>("str", &strict());
    check::<char>("char", &strict());
    check::<Box<str>>("str", &strict());
    fails::<i64>(
        "str",
        &strict(),
        "invalid type: str of 12 characters, expected i64",
    );
}

#[test]
fn bytes_and_bytearray() {
    for name in ["bytes", "bytearray"] {
        check::<serde_bytes::ByteBuf>(name, &strict());
        check::<Vec<u8>>(name, &strict());
    }
}

#[test]
fn sequences() {
    check::<(i64, String, Option<i64>)>("tuple", &strict());
    check::<Vec<Json>>("tuple", &strict());
    check::<Vec<i64>>("list", &strict());
    check::<[i64; 3]>("list", &strict());
    check::<BTreeSet<i64>>("set", &strict());
    check::<BTreeSet<i64>>("frozenset", &strict());
    // Every element must be read.
    fails::<(i64, i64)>(
        "list",
        &strict(),
        "invalid length 3, expected fewer elements",
    );
}

#[test]
fn dicts_of_every_kind_are_maps_and_structs() {
    #[derive(Serialize, Deserialize)]
    struct AB {
        a: i64,
        b: i64,
    }
    check::<BTreeMap<String, i64>>("dict", &strict());
    check::<AB>("dict", &strict());
    check::<HashMap<String, i64>>("ordereddict", &stdlib());
    check::<BTreeMap<String, Vec<i64>>>("defaultdict", &stdlib());
    check::<BTreeMap<String, i64>>("counter", &stdlib());
}

#[test]
fn other_keys_into_any_key_type() {
    check::<BTreeMap<i64, String>>("int_keys", &strict());
    let (protos, expect) = case("tuple_keys");
    for proto in protos {
        let got: HashMap<(i32, i32), String> = strict()
            .deserialize_slice(&fixture("tuple_keys", proto))
            .unwrap();
        let mut got: Vec<_> = got.into_iter().collect();
        got.sort();
        assert_eq!(serde_json::to_value(&got).unwrap(), expect, "p{proto}");
    }
    // serde_json's maps take only string keys: said, with the path.
    fails::<Json>(
        "int_keys",
        &strict(),
        "at [1]: invalid type: int 1, expected a string key",
    );
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum E {
    Unit,
    Newtype(i64),
    Tuple(i64, String),
    Struct { x: i64, y: i64 },
}

#[test]
fn enums_in_serde_pickles_forms() {
    for name in [
        "enum_unit",
        "enum_unit_tuple",
        "enum_newtype_dict",
        "enum_newtype_tuple",
        "enum_tuple",
        "enum_struct",
    ] {
        check::<E>(name, &strict());
    }
}

#[test]
fn enums_serde_pickle_wrote_read_back() {
    for value in [
        E::Unit,
        E::Newtype(-3),
        E::Tuple(1, "x".into()),
        E::Struct { x: 1, y: 2 },
    ] {
        for compat in [false, true] {
            let opts = serde_pickle::SerOptions::new();
            let opts = if compat {
                opts.compat_enum_repr()
            } else {
                opts
            };
            let data = serde_pickle::to_vec(&value, opts).unwrap();
            let back: E = unpickle::serde::from_slice(&data).unwrap();
            assert_eq!(back, value, "compat {compat}");
        }
    }
}

#[test]
fn stdlib_types_in_their_documented_forms() {
    check::<String>("date", &stdlib());
    check::<String>("datetime", &stdlib());
    check::<String>("datetime_tz", &stdlib());
    check::<String>("time", &stdlib());
    check::<(i32, i32, i32)>("timedelta", &stdlib());
    check::<Vec<String>>("decimal", &stdlib());
    check::<String>("uuid", &stdlib());
    check::<(i64, i64)>("fraction", &stdlib());
    let (protos, _) = case("uuid");
    for proto in protos {
        let b: serde_bytes::ByteBuf = stdlib().deserialize_slice(&fixture("uuid", proto)).unwrap();
        assert_eq!(hex(&b), "12345678123456781234567812345678");
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn numpy_arrays_in_their_documented_form() {
    #[derive(Serialize, Deserialize)]
    struct Array<T> {
        dtype: String,
        shape: Vec<usize>,
        data: Vec<T>,
    }
    let np = Unpickler::new().policy(presets::numpy());
    check::<Array<i32>>("ndarray_i4", &np);
    check::<Array<f64>>("ndarray_fortran", &np);
    check::<f32>("numpy_scalar", &np);
    // As a sequence: the elements in C order.
    let (protos, expect) = case("ndarray_fortran");
    for proto in protos {
        let flat: Vec<f64> = np
            .deserialize_slice(&fixture("ndarray_fortran", proto))
            .unwrap();
        assert_eq!(serde_json::to_value(flat).unwrap(), expect["data"]);
    }
}

#[test]
fn inert_objects_are_an_error_naming_the_global() {
    let opaque = Unpickler::new().policy(presets::opaque());
    let e = fails::<Vec<Json>>(
        "inert",
        &opaque,
        "at [1]: found an inert object: the pickle calls __main__.Point",
    );
    assert_eq!(e.path(), Some("[1]"));
    // The strict policy refuses it while loading, with the loader's error.
    let e = fails::<Vec<Json>>("inert", &strict(), "refused global __main__.Point");
    assert!(matches!(e.kind(), ErrorKind::Refused { .. }));
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Record {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<String>,
    active: bool,
}

#[test]
fn records_from_dataclasses() {
    check::<Vec<Record>>("records", &strict());
    // dataclasses.astuple: structs read sequences in field order.
    check::<Vec<Record>>("records_tuples", &strict());
}

#[test]
fn errors_name_the_path_and_what_was_expected() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Named {
        id: i64,
        name: String,
    }
    let e = fails::<Vec<Named>>(
        "bad_record",
        &strict(),
        "at [3].name: invalid type: int 5, expected a string",
    );
    assert_eq!(e.path(), Some("[3].name"));
    let e = fails::<HashMap<String, HashMap<String, f64>>>(
        "config",
        &strict(),
        "at ['config']['lr']: invalid type: str of 4 characters, expected f64",
    );
    assert_eq!(e.path(), Some("['config']['lr']"));
    let e = fails::<i64>(
        "list",
        &strict(),
        "at the top: invalid type: list of length 3, expected i64",
    );
    assert_eq!(e.path(), Some(""));
}

#[test]
fn shared_references_are_read_each_time() {
    // `x=[None]; x=[x,x]; x=[x,x]`: 22 bytes at protocol 2 that serde-pickle refuses.
    assert_eq!(fixture("shared22", 2).len(), 22);
    check::<Vec<Vec<Vec<Option<()>>>>>("shared22", &strict());
    assert!(serde_pickle::from_slice::<Vec<Vec<Vec<Option<()>>>>>(
        &fixture("shared22", 2),
        Default::default()
    )
    .is_err());
    check::<Json>("dag", &strict());
}

#[test]
fn cycles_are_an_error_naming_where() {
    for (name, path) in [("self_list", "[0]"), ("self_dict", "['self']")] {
        for proto in case(name).0 {
            let e = strict()
                .deserialize_slice::<Json>(&fixture(name, proto))
                .unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Cycle), "{name} p{proto}: {e}");
            assert_eq!(e.path(), Some(path), "{name} p{proto}: {e}");
        }
    }
}

/// A memo bomb: each level is a list holding the level below twice (BINGET), 40 levels.
fn bomb(levels: u32) -> Vec<u8> {
    let mut p = b"\x80\x02".to_vec();
    p.extend(b"]q\x00"); // level 0: [] in memo 0
    for i in 1..=levels {
        p.extend([
            b'(',
            b'h',
            (i - 1) as u8,
            b'h',
            (i - 1) as u8,
            b'l',
            b'q',
            i as u8,
        ]);
    }
    p.push(b'.');
    p
}

#[test]
fn an_expansion_bomb_is_a_limit_error() {
    let data = bomb(40);
    let e = strict().deserialize_slice::<Json>(&data).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: unpickle::Limit::ResultBytes,
                ..
            }
        ),
        "{e}"
    );
    // A small one loads, every copy read.
    let v: Json = strict().deserialize_slice(&bomb(3)).unwrap();
    assert_eq!(v.to_string(), "[[[[],[]],[[],[]]],[[[],[]],[[],[]]]]");
}

#[test]
fn borrowed_str_and_bytes_come_from_the_input() {
    // Protocol 0 writes text escaped, so not verbatim: protocols 2 and 4 here.
    for proto in [2, 4] {
        let data = fixture("records", proto);
        #[derive(Deserialize)]
        struct R<'a> {
            name: &'a str,
            tags: Vec<&'a str>,
        }
        let rs: Vec<R> = unpickle::serde::from_slice(&data).unwrap();
        let range = data.as_ptr_range();
        for r in &rs {
            assert!(range.contains(&r.name.as_ptr()), "p{proto}");
            assert!(r.tags.iter().all(|t| range.contains(&t.as_ptr())));
        }
        assert_eq!(rs[4].name, "name 4");
    }
    let data = fixture("bytes", 4);
    let b: &[u8] = unpickle::serde::from_slice(&data).unwrap();
    assert_eq!(b, b"\x00\xffab");
    assert!(data.as_ptr_range().contains(&b.as_ptr()));
}

#[test]
fn value_converts_to_and_from_serde_json() {
    let v = strict().load_slice(&fixture("records", 4)).unwrap();
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j, case("records").1);
    let back: unpickle::Value = serde_json::from_value(j.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), j);
    let j2: Json = unpickle::serde::from_value(&v).unwrap();
    assert_eq!(j2, j);
    // What JSON lacks: bytes are a list of numbers, tuples arrays, sets arrays.
    let v = strict().load_slice(&fixture("tuple", 4)).unwrap();
    assert_eq!(serde_json::to_value(&v).unwrap(), json!([1, "a", null]));
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut data = fixture("list", 4);
    data.push(b'N');
    let e = strict().deserialize_slice::<Vec<i64>>(&data).unwrap_err();
    assert!(e.to_string().contains("1 bytes of data after STOP"), "{e}");
}
