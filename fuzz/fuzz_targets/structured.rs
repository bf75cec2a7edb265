//! Random opcode programs (built with `arbitrary`), assembled into well-formed opcodes so
//! that deep machine states are reached rather than parse errors: loaded under the chosen
//! policy and limits, printed, and checked for reader/slice agreement and scan coverage.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle_fuzz::{assemble, structured_checks, Program};

fuzz_target!(|program: Program| structured_checks(&assemble(&program), program.config));
