//! Benchmarks for `unpickle::torch` on a generated state dict of 1,000 float32 tensors
//! (160 × 160, 102.4 MB of data) in both formats, written on first run to
//! `benches/torch_data/` (git-ignored, never committed) by `benches/common/checkpoint.rs`,
//! which reproduces torch.save's layouts and which `benches/convert.rs` shares.
//!
//! ```text
//! cargo bench --bench torch
//! ```
//!
//! Measured, in the same run:
//! - `load_zip` / `load_legacy`: from the bytes in memory to a `Checkpoint` with every
//!   tensor's metadata read (`tensors()`, dtype, shape);
//! - `read_file_zip`: `torch::load(path)`, i.e. reading the file (page cache) and loading;
//! - `copy_all_tensors` against `memcpy`: every tensor's bytes written contiguously into
//!   one preallocated buffer, against one `copy_from_slice` of the same number of bytes;
//! - `data_pkl`: the pickle part alone (`Loader::load_data_pkl`); divide by 1,000 for the
//!   cost per tensor. The generated pickle names both globals of every tensor and
//!   memoizes nothing;
//! - `data_pkl_real300`: the same for the `data.pkl` torch itself wrote for 300 tensors
//!   (`tests/data/torch/real/`), which memoizes every object and names each global once:
//!   divide by 300.
//!
//! Under `cargo test --benches` (no `--bench` argument) it only checks a tiny checkpoint.

#[path = "common/checkpoint.rs"]
mod checkpoint;

use std::hint::black_box;
use std::time::Duration;

use checkpoint::{data_pkl, make_legacy, make_zip, SIDE};
use criterion::{Criterion, SamplingMode, Throughput};
use unpickle::torch::{self, Buffer};

fn metadata(c: &torch::Checkpoint) -> usize {
    c.tensors()
        .iter()
        .map(|(p, t)| p.len() + t.shape().len() + t.dtype().element_size())
        .sum()
}

fn smoke() {
    for data in [make_zip(3), make_legacy(3)] {
        let c = torch::from_slice(&data).expect("the tiny checkpoint loads");
        assert_eq!(c.tensors().len(), 3);
        assert_eq!(c.tensors()[2].1.to_vec::<f32>().unwrap().len(), SIDE * SIDE);
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        smoke();
        return;
    }
    let n = 1000;
    let zip_path = checkpoint::zip_1000();
    let legacy_path = checkpoint::legacy_1000();
    let zip = Buffer::new(std::fs::read(&zip_path).expect("read"));
    let legacy = Buffer::new(std::fs::read(&legacy_path).expect("read"));
    let loader = torch::Loader::new();
    let ckpt = loader
        .load_buffer(zip.clone())
        .expect("the generated zip loads");
    let total: usize = ckpt.tensors().iter().map(|(_, t)| t.nbytes()).sum();
    eprintln!(
        "zip {} bytes, legacy {} bytes, {} tensors, {total} tensor bytes",
        zip.bytes().len(),
        legacy.bytes().len(),
        ckpt.tensors().len()
    );
    let pkl = data_pkl(n, false);
    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/torch/real/torch_300_tensors.data.pkl"
    ))
    .expect("read the real data.pkl");

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut g = c.benchmark_group("torch");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("load_zip", |b| {
        b.iter(|| metadata(&loader.load_buffer(black_box(zip.clone())).unwrap()))
    });
    g.bench_function("load_legacy", |b| {
        b.iter(|| metadata(&loader.load_buffer(black_box(legacy.clone())).unwrap()))
    });
    g.bench_function("data_pkl", |b| {
        b.iter(|| loader.load_data_pkl(black_box(&pkl)).unwrap())
    });
    g.bench_function("data_pkl_real300", |b| {
        b.iter(|| loader.load_data_pkl(black_box(&real)).unwrap())
    });
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("read_file_zip", |b| {
        b.iter(|| metadata(&torch::load(black_box(&zip_path)).unwrap()))
    });
    let tensors = ckpt.tensors();
    let mut dst: Vec<u8> = Vec::with_capacity(total);
    g.bench_function("copy_all_tensors", |b| {
        b.iter(|| {
            dst.clear();
            for (_, t) in &tensors {
                t.write_contiguous(&mut dst).unwrap();
            }
            black_box(dst.len())
        })
    });
    let src = vec![1u8; total];
    let mut out = vec![0u8; total];
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&src));
            black_box(out[total - 1])
        })
    });
    g.finish();
    c.final_summary();
}
