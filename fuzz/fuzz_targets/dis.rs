//! The pickletools-compatible listing: never panics, and listing from a slice and from a
//! reader fed in tiny chunks gives the same text and the same outcome.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::dis_target(data));
