//! PyTorch checkpoints: bytes → `torch::from_reader`, the tensors' copies, conversion to
//! safetensors, the bare-`data.pkl` path and the checkpoint scan (see
//! `unpickle_fuzz::torch_target`).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The checks live in `unpickle_fuzz` (fuzz/src/checks.rs), where tests/fuzz_corpus.rs
// replays the committed corpus through them.
fuzz_target!(|data: &[u8]| unpickle_fuzz::torch_target(data));
