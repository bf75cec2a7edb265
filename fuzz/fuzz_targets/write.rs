//! Load → write → load: what loads is written, the written pickle loads back to an equal
//! value and writes to the same bytes (see `unpickle_fuzz::write_target`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| unpickle_fuzz::write_target(data));
