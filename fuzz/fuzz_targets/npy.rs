//! `.npy` files: the header parser and the array loader (raw data, and object arrays whose
//! pickle goes through the `numpy` preset) never panic and stay within the budgets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle::{presets, Unpickler};
use unpickle_fuzz::limits;

fuzz_target!(|data: &[u8]| {
    let _ = unpickle::npy::parse_header(data);
    let loader = Unpickler::new().policy(presets::numpy()).limits(limits());
    if let Ok(array) = unpickle::npy::load(data, &loader) {
        let _ = format!("{array:?}");
    }
});
