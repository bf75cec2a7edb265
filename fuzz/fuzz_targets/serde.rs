//! Raw bytes deserialized into a few representative Rust types (feature `serde`) under the
//! strict and opaque presets: never a panic, and the direct path agrees with reading the
//! loaded value (`from_value(load(bytes))`): both fail, or both give the same value. A
//! type that borrows `&str` only promises: when the direct path lends, the value agrees.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use unpickle::{presets, Unpickler};
use unpickle_fuzz::{limits, tiny_limits};

#[derive(Deserialize, Debug, PartialEq)]
struct Record {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<String>,
    active: bool,
}

#[derive(Deserialize, Debug, PartialEq)]
enum E {
    Unit,
    New(i64),
    Pair(i64, Option<String>),
    Struct { x: u8, y: Vec<bool> },
}

fn agree<'de, T: Deserialize<'de> + PartialEq + std::fmt::Debug>(
    loader: &Unpickler,
    data: &'de [u8],
    value: &'de Option<unpickle::Value>,
) {
    let direct = loader.deserialize_slice::<T>(data);
    let general = match value {
        Some(v) => unpickle::serde::from_value::<T>(v).ok(),
        None => None,
    };
    match (direct, general) {
        // Compared as printed, so that a NaN equals itself.
        (Ok(a), Some(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
        (Err(_), None) => {}
        (a, b) => panic!("direct {a:?} but from_value {b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    for loader in [
        Unpickler::new().limits(limits()),
        Unpickler::new().policy(presets::opaque()).limits(limits()),
        Unpickler::new().limits(tiny_limits()),
    ] {
        let value = loader.load_slice(data).ok();
        agree::<Vec<Record>>(&loader, data, &value);
        agree::<Vec<i64>>(&loader, data, &value);
        agree::<BTreeMap<String, Vec<Option<f64>>>>(&loader, data, &value);
        agree::<(i64, String, Option<u128>)>(&loader, data, &value);
        agree::<E>(&loader, data, &value);
        agree::<serde_json::Value>(&loader, data, &value);
        agree::<unpickle::Value>(&loader, data, &value);
        if let (Ok(a), Some(v)) = (loader.deserialize_slice::<Vec<&str>>(data), &value) {
            let b = unpickle::serde::from_value::<Vec<&str>>(v).map_err(|_| ());
            assert_eq!(Ok(a), b);
        }
    }
});
