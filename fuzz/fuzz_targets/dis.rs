//! The pickletools-compatible listing: never panics, and listing from a slice and from a
//! reader fed in tiny chunks gives the same text and the same outcome.
#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use unpickle_fuzz::{same_kind, Chunked};

fuzz_target!(|data: &[u8]| {
    let mut from_slice = Vec::new();
    let a = unpickle::dis::dis(data, &mut from_slice);
    let mut from_reader = Vec::new();
    let reader = BufReader::with_capacity(3, Chunked::new(data, &[2, 0, 5, 0xff, 1]));
    let b = unpickle::dis::dis_reader(reader, &mut from_reader);
    assert_eq!(
        String::from_utf8_lossy(&from_slice),
        String::from_utf8_lossy(&from_reader),
        "listings differ"
    );
    match (a, b) {
        (Ok(()), Ok(())) => {}
        (Err(x), Err(y)) => assert!(same_kind(x.kind(), y.kind()), "{x:?} vs {y:?}"),
        (x, y) => panic!("slice {x:?}, reader {y:?}"),
    }
});
