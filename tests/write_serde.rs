//! `unpickle::serde::to_vec`: Rust types → pickle, compared with bytes CPython wrote for
//! the equivalent dict, and read back by this crate's deserializer and by serde-pickle.
#![cfg(feature = "serde")]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use unpickle::{ErrorKind, Protocol};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Kind {
    Red,
    Circle(f64),
    Pair(i32, i32),
    Named { a: u8 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Record {
    id: i64,
    name: String,
    tags: Vec<String>,
    score: f64,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    pair: (i32, String),
    maybe: Option<u32>,
    kind: Kind,
    shape: Kind,
    big: u128,
}

fn sample() -> Record {
    Record {
        id: 7,
        name: "ada".into(),
        tags: vec!["a".into(), "b".into()],
        score: 1.5,
        blob: vec![0, 1],
        pair: (1, "z".into()),
        maybe: None,
        kind: Kind::Red,
        shape: Kind::Circle(2.0),
        big: 1 << 100,
    }
}

/// pickle.dumps({'id': 7, 'name': 'ada', 'tags': ['a', 'b'], 'score': 1.5,
/// 'blob': b'\x00\x01', 'pair': (1, 'z'), 'maybe': None, 'kind': 'Red',
/// 'shape': {'Circle': 2.0}, 'big': 2**100}, 4)
const CPYTHON: &[u8] = b"\x80\x04\x95\xa0\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x07\x8c\x04name\x94\x8c\x03ada\x94\x8c\x04tags\x94]\x94(\x8c\x01a\x94\x8c\x01b\x94e\x8c\x05score\x94G?\xf8\x00\x00\x00\x00\x00\x00\x8c\x04blob\x94C\x02\x00\x01\x94\x8c\x04pair\x94K\x01\x8c\x01z\x94\x86\x94\x8c\x05maybe\x94N\x8c\x04kind\x94\x8c\x03Red\x94\x8c\x05shape\x94}\x94\x8c\x06Circle\x94G@\x00\x00\x00\x00\x00\x00\x00s\x8c\x03big\x94\x8a\r\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10u.";

#[test]
fn a_struct_pickles_as_cpython_pickles_its_dict() {
    assert!(unpickle::serde::to_vec(&sample(), Protocol::V4).unwrap() == CPYTHON);
}

#[test]
fn round_trips_at_every_protocol() {
    let values = vec![
        sample(),
        Record {
            maybe: Some(3),
            kind: Kind::Pair(-1, 2),
            shape: Kind::Named { a: 9 },
            big: u128::MAX,
            ..sample()
        },
    ];
    for p in 0..6 {
        let protocol = Protocol::new(p).unwrap();
        let data = unpickle::serde::to_vec(&values, protocol).unwrap();
        let back: Vec<Record> = unpickle::serde::from_slice(&data).unwrap();
        assert_eq!(back, values, "protocol {p}");
        let mut w = Vec::new();
        unpickle::serde::to_writer(&mut w, &values, protocol).unwrap();
        assert_eq!(w, data);
        // serde-pickle reads the enum forms too (it has no u128: not in this part).
        let kinds = vec![
            Kind::Red,
            Kind::Circle(0.5),
            Kind::Pair(1, 2),
            Kind::Named { a: 3 },
        ];
        let data = unpickle::serde::to_vec(&kinds, protocol).unwrap();
        let theirs: Vec<Kind> =
            serde_pickle::from_slice(&data, serde_pickle::DeOptions::new()).unwrap();
        assert_eq!(theirs, kinds, "serde-pickle at protocol {p}");
    }
}

#[test]
fn maps_and_their_keys() {
    let mut m = BTreeMap::new();
    m.insert((1, 2), "a");
    m.insert((3, 4), "b");
    let data = unpickle::serde::to_vec(&m, Protocol::V2).unwrap();
    let back: BTreeMap<(i32, i32), String> = unpickle::serde::from_slice(&data).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[&(1, 2)], "a");
    // A list is no dict key in Python.
    let mut bad = BTreeMap::new();
    bad.insert(vec![1], 1);
    let e = unpickle::serde::to_vec(&bad, Protocol::V2).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Unsupported(m) if m.contains("unhashable type: 'list'")));
}
