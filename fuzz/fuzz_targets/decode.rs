//! Raw bytes through the decoder alone: every instruction up to STOP or the first error,
//! under the default limits and under tiny ones. Must never panic, and must always make
//! progress (the position moves forward with every instruction).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::decode_target(data));
