//! The value accessors against CPython: `as_f64` on ints as `float(x)`, indexing and
//! `pointer` as Python's `v[k]…`, `as_bool`/`as_dict`/`as_set` as `type(x) is bool`,
//! `dict(x)`, `set(x)`, and the numpy integer accessors as `a.ravel().tolist()`. The
//! expected answers are in tests/data/access, written by
//! tests/data/make_access_fixtures.py from what CPython's restricted unpickler loaded.

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::num_bigint::BigInt;
use unpickle::value::NdArray;
use unpickle::{presets, Unpickler, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/access")
}

fn load(name: &str, policy: unpickle::Allowlist) -> Value {
    let data = fs::read(dir().join(name)).unwrap();
    Unpickler::new()
        .policy(policy)
        .load_slice(&data)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn expect(name: &str) -> String {
    fs::read_to_string(dir().join(name)).unwrap()
}

#[test]
fn as_f64_rounds_ints_as_python_float() {
    let want: Vec<String> = expect("floats.expect").lines().map(str::to_owned).collect();
    assert!(want.len() > 100);
    assert!(want.iter().any(|w| w == "OverflowError"));
    for p in 0..=5 {
        let v = load(&format!("floats_p{p}.pkl"), presets::strict());
        let items = v.as_seq().unwrap();
        assert_eq!(items.len(), want.len());
        for (x, w) in items.iter().zip(&want) {
            let got = match x.as_f64() {
                Some(f) => format!("{:016x}", f.to_bits()),
                None => "OverflowError".to_owned(),
            };
            assert_eq!(&got, w, "float({x}) at protocol {p}");
        }
    }
}

/// A path of Python keys (JSON strings, integers, booleans) applied with `Index`, and
/// again with `get`, which must agree (`None` ⇔ the shared `Value::None` for an absent
/// entry).
fn index_path<'v>(v: &'v Value, keys: &[serde_json::Value]) -> Option<&'v Value> {
    let mut at = v;
    let mut indexed = v;
    for k in keys {
        let next = match k {
            serde_json::Value::String(s) => {
                indexed = &indexed[s.as_str()];
                at.get(s.as_str())
            }
            serde_json::Value::Bool(b) => {
                indexed = &indexed[*b];
                at.get(*b)
            }
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => {
                    indexed = &indexed[i];
                    at.get(i)
                }
                // Beyond i64 (serde_json reads it as an exact f64 here): a `Value` index,
                // an int key of any size.
                None => {
                    let big: BigInt = format!("{:.0}", n.as_f64().unwrap()).parse().unwrap();
                    let key = Value::from(big);
                    indexed = &indexed[&key];
                    at.get(&key)
                }
            },
            other => panic!("unexpected key {other}"),
        };
        match next {
            Some(n) => at = n,
            None => {
                assert!(indexed.is_none(), "absent entries index as None");
                return None;
            }
        }
    }
    assert_eq!(indexed, at);
    Some(at)
}

#[test]
fn index_get_and_pointer_agree_with_python() {
    let lines = expect("tree.expect");
    for p in 0..=5 {
        let v = load(&format!("tree_p{p}.pkl"), presets::stdlib());
        let mut pointers = 0;
        for line in lines.lines() {
            let mut cols = line.splitn(3, '\t');
            let (ptr, keys, want) = (
                cols.next().unwrap(),
                cols.next().unwrap(),
                cols.next().unwrap(),
            );
            let show = |r: Option<&Value>| r.map_or("ABSENT".to_owned(), |x| x.to_string());
            if keys != "-" {
                let keys: Vec<serde_json::Value> = serde_json::from_str(keys).unwrap();
                assert_eq!(show(index_path(&v, &keys)), want, "{keys:?} at p{p}");
            }
            if ptr != "-" {
                pointers += 1;
                assert_eq!(show(v.pointer(ptr)), want, "pointer {ptr:?} at p{p}");
            }
        }
        assert!(pointers > 30);
    }
}

#[test]
fn as_bool_as_dict_as_set_agree_with_python() {
    let want: Vec<String> = expect("kinds.expect").lines().map(str::to_owned).collect();
    for p in 0..=5 {
        let v = load(&format!("kinds_p{p}.pkl"), presets::stdlib());
        let items = v.as_seq().unwrap();
        assert_eq!(items.len(), want.len());
        for (x, w) in items.iter().zip(&want) {
            let got = [
                match x.as_bool() {
                    Some(_) => "bool".to_owned(),
                    None => "-".to_owned(),
                },
                x.as_dict()
                    .map_or("-".to_owned(), |d| Value::dict(d.clone()).to_string()),
                x.as_set()
                    .map_or("-".to_owned(), |s| Value::from(s.clone()).to_string()),
            ]
            .join("\t");
            assert_eq!(&got, w, "{x} at protocol {p}");
            if let Some(b) = x.as_bool() {
                assert_eq!(x.to_string(), if b { "True" } else { "False" });
            }
        }
    }
}

/// Every typed accessor of an array, by name, as the elements' text.
fn typed(a: &NdArray) -> Vec<(&'static str, String)> {
    fn s<T: std::fmt::Debug>(v: Option<Vec<T>>) -> Option<String> {
        v.map(|v| format!("{v:?}").replace(' ', ""))
    }
    [
        ("i1", s(a.to_i8())),
        ("i2", s(a.to_i16())),
        ("i4", s(a.to_i32())),
        ("i8", s(a.to_i64())),
        ("u1", s(a.to_u8())),
        ("u2", s(a.to_u16())),
        ("u4", s(a.to_u32())),
        ("u8", s(a.to_u64())),
        ("b1", s(a.to_bool())),
        ("f8", s(a.to_f64())),
        ("f4", s(a.to_f32())),
    ]
    .into_iter()
    .filter_map(|(n, v)| v.map(|v| (n, v)))
    .collect()
}

#[test]
fn ndarray_integer_and_bool_accessors_agree_with_numpy() {
    let mut checked = 0;
    for entry in fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name
            .strip_prefix("ints_")
            .and_then(|n| n.strip_suffix(".pkl"))
        else {
            continue;
        };
        let want = expect(&format!("ints_{stem}.expect"));
        let (code, list) = want.trim_end().split_once('\t').unwrap();
        let list = list.replace(' ', "");
        let v = load(&name, presets::numpy());
        let got = typed(v.as_ndarray().unwrap());
        // Exactly one accessor answers, the one for this dtype, with numpy's values.
        assert_eq!(got, vec![(code_name(code), list)], "{name}");
        checked += 1;
    }
    // 9 dtypes; 6 of them in two byte orders; C and Fortran order; protocols 2 and 5.
    assert_eq!(checked, (3 + 6 * 2) * 2 * 2);
}

fn code_name(code: &str) -> &'static str {
    ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]
        .into_iter()
        .find(|c| *c == code)
        .unwrap()
}

#[test]
fn absent_entries_index_as_a_shared_none() {
    let v = Value::list([Value::from(1)]);
    // Not a container, out of range, wrong index type: all the one static None.
    let a: *const Value = &v[5];
    let b: *const Value = &v["key"][0][-1];
    let c: *const Value = &Value::from(3)["x"];
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert!(v[5].is_none());
    assert_eq!(v[0], Value::from(1));
    assert_eq!(v[-1], Value::from(1));
    assert!(v[i64::MIN].is_none());
    assert!(v[usize::MAX].is_none());
}

#[test]
fn accessors_on_non_numbers_answer_none() {
    for v in [Value::from("1"), Value::None, Value::list([])] {
        assert_eq!(v.as_f64(), None);
        assert_eq!(v.as_u64(), None);
        assert_eq!(v.as_bool(), None);
        assert_eq!(v.pointer("/0"), None);
    }
    assert_eq!(Value::from(-1).as_u64(), None);
    assert_eq!(Value::from(u64::MAX).as_u64(), Some(u64::MAX));
    assert_eq!(Value::from(true).as_u64(), Some(1));
    assert_eq!(Value::from(1).pointer(""), Some(&Value::from(1)));
    assert_eq!(Value::from(1).pointer("x"), None);
}
