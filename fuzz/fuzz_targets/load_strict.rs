//! Raw bytes loaded under the `strict` preset (the default policy), with both hooks set;
//! whatever loads is printed (Display is part of the surface).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::load_strict_target(data));
