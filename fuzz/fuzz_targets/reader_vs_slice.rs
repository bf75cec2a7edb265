//! The `io::Read` path, fed in chunks of 1–8 bytes (with `Interrupted` errors mixed in),
//! must agree with the slice path: the same value for the bytes up to STOP, or an error of
//! the same kind. The first byte picks the policy and limits; the next 8 the chunk sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::reader_vs_slice_target(data));
