//! Raw bytes loaded under the `opaque` preset: every global kept inert, so the machine's
//! inert-object paths (calls, BUILD, mutations, cycles through objects) are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::load_opaque_target(data));
