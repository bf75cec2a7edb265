//! The `io::Read` path, fed in chunks of 1–8 bytes (with `Interrupted` errors mixed in),
//! must agree with the slice path: the same value for the bytes up to STOP, or an error of
//! the same kind. The first byte picks the policy and limits; the next 8 the chunk sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle_fuzz::{check_reader_agrees, config, loader};

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, rest)) = data.split_first() else {
        return;
    };
    let (sizes, pickle) = rest.split_at(rest.len().min(8));
    let (policy, limits) = config(cfg);
    check_reader_agrees(&loader(policy, limits), pickle, sizes);
});
