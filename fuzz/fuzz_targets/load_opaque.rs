//! Raw bytes loaded under the `opaque` preset: every global kept inert, so the machine's
//! inert-object paths (calls, BUILD, mutations, cycles through objects) are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle::presets;
use unpickle_fuzz::{limits, loader, render};

fuzz_target!(|data: &[u8]| {
    let l = loader(presets::opaque(), limits());
    if let Ok(v) = l.load_slice(data) {
        render(&v);
    }
});
