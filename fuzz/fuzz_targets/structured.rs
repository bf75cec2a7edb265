//! Random opcode programs (built with `arbitrary`), assembled into well-formed opcodes so
//! that deep machine states are reached rather than parse errors: loaded under the chosen
//! policy and limits, printed, and checked for reader/slice agreement and scan coverage.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle_fuzz::{
    assemble, check_reader_agrees, check_scan_covers_load, config, loader, render, Program,
};

fuzz_target!(|program: Program| {
    let data = assemble(&program);
    let (policy, limits) = config(program.config);
    let l = loader(policy.clone(), limits.clone());
    if let Ok(v) = l.load_slice_with_buffers(&data, vec![b"buf".to_vec(), Vec::new()]) {
        render(&v);
    }
    check_reader_agrees(&l, &data, &[3, 0, 7, 1]);
    check_scan_covers_load(policy, &data, limits);
});
