//! Raw bytes loaded under the `strict` preset (the default policy), with both hooks set;
//! whatever loads is printed (Display is part of the surface).
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle::presets;
use unpickle_fuzz::{limits, loader, render};

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = unpickle::Unpickler::new().limits(limits()).load_slice(data) {
        render(&v);
    }
    let l = loader(presets::strict(), limits());
    if let Ok(v) = l.load_slice_with_buffers(data, vec![b"buf".to_vec(), Vec::new()]) {
        render(&v);
    }
});
