//! Shared and cyclic references (`Unpickler::shared_references(true)`) against CPython:
//! every case of tests/data/shared (tests/data/make_shared_fixtures.py), at protocols
//! 0–5, loads to a value that, with each reference expanded as Python's `repr` expands
//! an object (and `...` for one it is already printing), prints what CPython printed;
//! with as many `Value::Shared` as CPython's value has containers reached twice. The
//! default load still gives a tree or a `Cycle` error.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use unpickle::value::{Ref, RefKind};
use unpickle::{ErrorKind, Limit, Limits, Unpickler, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shared")
}

fn load_shared(data: &[u8]) -> Result<Value, unpickle::Error> {
    Unpickler::new().shared_references(true).load_slice(data)
}

/// Every `Shared` definition by id (asserting each id is defined once).
fn defs<'v>(v: &'v Value, out: &mut HashMap<u32, &'v Value>) {
    match v {
        Value::Shared(s) => {
            assert!(
                out.insert(s.id, &s.value).is_none(),
                "id {} defined twice",
                s.id
            );
            defs(&s.value, out);
        }
        Value::List(items) | Value::Tuple(items) => items.iter().for_each(|x| defs(x, out)),
        Value::Dict(d) => d.values().for_each(|x| defs(x, out)),
        _ => {}
    }
}

/// Python's `repr` of the object graph the value describes.
fn python_repr(v: &Value, defs: &HashMap<u32, &Value>, open: &mut Vec<u32>, out: &mut String) {
    let seq = |items: &[Value], open: &mut Vec<u32>, out: &mut String| {
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            python_repr(x, defs, open, out);
        }
    };
    match v {
        Value::Shared(s) if open.contains(&s.id) => out.push_str(match &s.value {
            Value::List(_) => "[...]",
            Value::Tuple(_) => "(...)",
            _ => "{...}",
        }),
        Value::Shared(s) => {
            open.push(s.id);
            python_repr(&s.value, defs, open, out);
            open.pop();
        }
        Value::Ref(r) if open.contains(&r.id) => out.push_str(r.kind.placeholder()),
        Value::Ref(r) => {
            open.push(r.id);
            python_repr(defs[&r.id], defs, open, out);
            open.pop();
        }
        Value::List(items) => {
            out.push('[');
            seq(items, open, out);
            out.push(']');
        }
        Value::Tuple(items) => {
            out.push('(');
            seq(items, open, out);
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Value::Dict(d) => {
            out.push('{');
            for (i, (k, x)) in d.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&k.to_string());
                out.push_str(": ");
                python_repr(x, defs, open, out);
            }
            out.push('}');
        }
        leaf => out.push_str(&leaf.to_string()),
    }
}

#[test]
fn shared_and_cyclic_values_match_cpython() {
    let mut cases = 0;
    for entry in fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".repr") else {
            continue;
        };
        let text = fs::read_to_string(dir().join(&name)).unwrap();
        let mut lines = text.lines();
        let (want, count) = (lines.next().unwrap(), lines.next().unwrap());
        let count: usize = count.parse().unwrap();
        for p in 0..=5 {
            let data = fs::read(dir().join(format!("{stem}_p{p}.pkl"))).unwrap();
            let v = load_shared(&data).unwrap_or_else(|e| panic!("{stem} p{p}: {e}"));
            let mut d = HashMap::new();
            defs(&v, &mut d);
            let mut got = String::new();
            python_repr(&v, &d, &mut Vec::new(), &mut got);
            assert_eq!(got, want, "{stem} p{p}");
            assert_eq!(d.len(), count, "{stem} p{p}: shared containers");
            // Ids are 0, 1, 2 … in the order the definitions print.
            let mut ids: Vec<u32> = d.keys().copied().collect();
            ids.sort_unstable();
            assert_eq!(ids, (0..count as u32).collect::<Vec<_>>(), "{stem} p{p}");
            // Without cycles the tree form is what Python prints; with one, the default
            // load refuses it.
            match unpickle::from_slice(&data) {
                Ok(tree) => assert_eq!(tree.to_string(), want, "{stem} p{p}"),
                Err(e) => {
                    assert!(matches!(e.kind(), ErrorKind::Cycle), "{stem} p{p}: {e}");
                    assert!(
                        want.contains("...]") || want.contains("...}") || want.contains("(...)")
                    );
                }
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 8 * 6);
}

#[test]
fn the_three_shapes_of_the_issue() {
    for p in 0..=5 {
        let read = |stem: &str| fs::read(dir().join(format!("{stem}_p{p}.pkl"))).unwrap();
        let list = Ref {
            id: 0,
            kind: RefKind::List,
        };
        // l = []; l.append(l)
        let v = load_shared(&read("self_list")).unwrap();
        assert_eq!(v.to_string(), "[[...]]");
        let Value::Shared(s) = &v else {
            panic!("{v:?}")
        };
        assert_eq!(s.id, 0);
        assert_eq!(s.value, Value::list([Value::Ref(list)]));
        // a = [1]; [a, a]
        let v = load_shared(&read("shared_list")).unwrap();
        let first = Value::Shared(Box::new(unpickle::value::Shared {
            id: 0,
            value: Value::list([Value::from(1)]),
        }));
        assert_eq!(v, Value::list([first, Value::Ref(list)]));
        assert_eq!(v.to_string(), "[[1], [...]]");
        // d = {}; d['self'] = d
        let v = load_shared(&read("self_dict")).unwrap();
        assert_eq!(v.to_string(), "{'self': {...}}");
        let Value::Shared(s) = &v else {
            panic!("{v:?}")
        };
        assert_eq!(
            s.value.get("self"),
            Some(&Value::Ref(Ref {
                id: 0,
                kind: RefKind::Dict
            }))
        );
    }
}

/// A 40-level memo bomb of lists (each list holds the previous one twice) loads in
/// linear size with references, and is refused by the budget as a tree.
#[test]
fn memo_bomb_of_lists_stays_linear() {
    // ]q\x00 then 40 times: ](h_i h_i e q_{i+1}
    let mut p = b"\x80\x02]q\x00".to_vec();
    for i in 0..40u8 {
        p.extend_from_slice(&[b']', b'(', b'h', i, b'h', i, b'e', b'q', i + 1]);
    }
    p.push(b'.');
    let e = unpickle::from_slice(&p).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::ResultBytes,
                ..
            }
        ),
        "{e}"
    );
    let v = load_shared(&p).unwrap();
    let mut d = HashMap::new();
    defs(&v, &mut d);
    assert_eq!(d.len(), 40);
    assert!(v.to_string().len() < 40 * 16, "{v}");
}

/// The depth limit counts the value as laid out: a definition is placed where it first
/// appears, and one that would nest past the limit is refused, not built. Here 30 lists
/// are made empty, gathered in one list, then chained (`l1.append(l2)` …): every list is
/// shallow while loading, and the laid-out value (`[l1, …]` with `l2` defined inside
/// `l1`, `l3` inside `l2` …) is 31 levels deep.
#[test]
fn definitions_respect_the_depth_limit() {
    const N: u8 = 30;
    let mut p = b"\x80\x02".to_vec();
    for i in 1..=N {
        p.extend_from_slice(&[b']', b'q', i, b'0']);
    }
    p.extend_from_slice(b"]q\x00(");
    for i in 1..=N {
        p.extend_from_slice(&[b'h', i]);
    }
    p.push(b'e');
    for i in 1..N {
        p.extend_from_slice(&[b'h', i, b'h', i + 1, b'a', b'0']);
    }
    p.push(b'.');
    let limited = |depth| {
        Unpickler::new()
            .shared_references(true)
            .limits(Limits::default().max_depth(depth))
            .load_slice(&p)
    };
    let v = limited(31).unwrap();
    let mut d = HashMap::new();
    defs(&v, &mut d);
    assert_eq!(
        d.len(),
        N as usize - 1,
        "l2 … l30 are reached twice, l1 once"
    );
    let e = limited(30).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::Depth,
                ..
            }
        ),
        "{e}"
    );
    // As a tree it is as deep, and refused the same way.
    let e = Unpickler::new()
        .limits(Limits::default().max_depth(30))
        .load_slice(&p)
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::Depth,
                ..
            }
        ),
        "{e}"
    );
}

/// While loading, the depth is also checked as containers grow (as for a tree): an
/// item appended counts with the height its container had then, so a back edge to the
/// top of a 21-level cycle needs one level more than the value's 21.
#[test]
fn a_cycle_is_checked_while_loading_too() {
    let data = fs::read(dir().join("deep_cycle_p2.pkl")).unwrap();
    let limited = |depth| {
        Unpickler::new()
            .shared_references(true)
            .limits(Limits::default().max_depth(depth))
            .load_slice(&data)
    };
    assert!(limited(22).is_ok());
    let e = limited(21).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::Depth,
                ..
            }
        ),
        "{e}"
    );
}

/// A cycle through a dict key cannot be a plain key: still a `Cycle` error.
#[test]
fn a_cycle_through_a_key_is_still_an_error() {
    // l = []; t = (l,) is unhashable in Python, so build the key from an inert object
    // whose state holds the dict: d = {}; o = mod.O(); o.__setstate__(d); d[o] = 1.
    let data = b"\x80\x02}q\x00cmod\nO\nq\x01)\x81q\x02h\x00b0h\x02K\x01s.";
    let policy = unpickle::presets::strict().inert("mod", "O");
    let e = Unpickler::new()
        .policy(policy.clone())
        .shared_references(true)
        .load_slice(data)
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Cycle), "{e}");
}

/// `Serialize` writes a definition as its value and refuses a reference (serde formats
/// have none); nothing recurses through a reference.
#[cfg(feature = "serde")]
#[test]
fn serde_writes_definitions_and_refuses_references() {
    let read = |stem: &str| fs::read(dir().join(format!("{stem}_p2.pkl"))).unwrap();
    let v = Value::Shared(Box::new(unpickle::value::Shared {
        id: 0,
        value: Value::list([Value::from(1)]),
    }));
    assert_eq!(serde_json::to_string(&v).unwrap(), "[1]");
    let v = load_shared(&read("self_list")).unwrap();
    let e = serde_json::to_string(&v).unwrap_err();
    assert!(e.to_string().contains("reference to shared list #0"), "{e}");
}
