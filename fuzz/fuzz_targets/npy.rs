//! `.npy` files: the header parser and the array loader (raw data, and object arrays whose
//! pickle goes through the `numpy` preset) never panic and stay within the budgets.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::npy_target(data));
