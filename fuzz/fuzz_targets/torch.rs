//! PyTorch checkpoints: bytes → `torch::from_reader` (zip and legacy containers, the
//! `torch` preset, storages and tensor checks) never panic and stay within the budgets;
//! whatever loads can be printed, decoded and written out; and the library's checkpoint
//! scan never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle::torch;
use unpickle_fuzz::limits;

fuzz_target!(|data: &[u8]| {
    let loader = torch::Loader::new().limits(limits()).max_entries(4096);
    let _ = torch::detect(data);
    if let Ok(ckpt) = loader.from_reader(std::io::Cursor::new(data)) {
        let _ = ckpt.value().to_string();
        for (_, t) in ckpt.tensors() {
            let _ = t.to_f64_vec();
            let mut out = Vec::new();
            let _ = t.write_contiguous(&mut out);
            assert!(out.is_empty() || out.len() == t.nbytes());
        }
    }
    let _ = loader.load_data_pkl(data);
    let _ = loader.scan(data);
});
