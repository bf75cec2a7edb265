//! Every global a load asks the policy about is in `scan`'s report of that pickle, in the
//! same order, and scan reports nothing else unless the load stopped at a refusal. The first
//! byte picks the policy and limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::scan_vs_load_target(data));
