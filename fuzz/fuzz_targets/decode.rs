//! Raw bytes through the decoder alone: every instruction up to STOP or the first error,
//! under the default limits and under tiny ones. Must never panic, and must always make
//! progress (the position moves forward with every instruction).
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle::decode::Decoder;
use unpickle_fuzz::{limits, tiny_limits};

fuzz_target!(|data: &[u8]| {
    for l in [limits(), tiny_limits()] {
        let mut dec = Decoder::from_slice(data, l);
        let mut last = 0;
        while let Ok(Some(d)) = dec.next_instruction() {
            let _ = d.instruction.clone().into_owned();
            assert!(d.offset >= last);
            last = d.offset + 1;
            assert!(dec.position() >= last);
            assert!(dec.position() <= data.len() as u64);
        }
    }
});
