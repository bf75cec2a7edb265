//! Checkpoint → safetensors throughput (issue 13), against memcpy of the same bytes and
//! against the `safetensors` crate's writer, in the same run.
//!
//! The checkpoint is the one `benches/torch.rs` loads (`benches/common/checkpoint.rs`,
//! generated on first use into the git-ignored `benches/torch_data/`): torch.save's zip
//! layout holding an OrderedDict of 1,000 float32 tensors of 160 × 160, 102.4 MB of
//! tensor data. Outputs go to the system's temporary folder, removed at the end.
//!
//! ```text
//! cargo bench --bench convert
//! ```
//! Groups (throughput in bytes of tensor data):
//! - `memcpy`: copying the tensor bytes into a reserved buffer (the floor);
//! - `convert/to_vec`: `convert::write` of an already loaded checkpoint into a reserved `Vec`;
//! - `convert/load_and_write`: loading from the in-memory file, then `convert::write`;
//! - `convert/file`: `convert::convert_file`, path to path (read, load, write, fsync, rename);
//! - `safetensors_crate/serialize`: the crate's `serialize` of the same tensors (borrowed);
//! - `safetensors_crate/serialize_to_file`: the crate's file writer (tempfile + rename).

#[path = "common/checkpoint.rs"]
mod checkpoint;

use std::borrow::Cow;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use safetensors::tensor::{Dtype, View};
use unpickle::convert::{self, Options};
use unpickle::torch::{self, Buffer, Tensor};

/// A loaded tensor as the crate's writer sees it (borrowed bytes).
struct Borrowed<'a>(&'a Tensor, Vec<usize>);

impl View for &Borrowed<'_> {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn shape(&self) -> &[usize] {
        &self.1
    }
    fn data(&self) -> Cow<'_, [u8]> {
        match self.0.contiguous_bytes() {
            Some(b) => Cow::Borrowed(b),
            None => Cow::Owned(self.0.to_contiguous_bytes().unwrap_or_default()),
        }
    }
    fn data_len(&self) -> usize {
        self.0.nbytes()
    }
}

fn bench(c: &mut Criterion) {
    let input: PathBuf = checkpoint::zip_1000();
    let file = std::fs::read(&input).expect("read the checkpoint");
    let dir = std::env::temp_dir().join(format!("unpickle-bench-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let buf = Buffer::new(file);
    let ckpt = torch::Loader::new().load_buffer(buf.clone()).expect("load");
    let tensors = ckpt.tensors();
    let data_bytes: usize = tensors.iter().map(|(_, t)| t.nbytes()).sum();
    assert!(data_bytes >= 100_000_000);
    let total = {
        let mut v = Vec::new();
        convert::write(&ckpt, &mut v, &Options::new()).expect("convert");
        v.len()
    };
    eprintln!(
        "checkpoint: {} bytes, {} tensors, {data_bytes} bytes of tensor data, {total} bytes written",
        buf.bytes().len(),
        tensors.len()
    );

    let mut g = c.benchmark_group("convert_1000_tensors");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(data_bytes as u64));

    let mut out: Vec<u8> = Vec::with_capacity(total);
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            out.clear();
            for (_, t) in &tensors {
                out.extend_from_slice(t.contiguous_bytes().unwrap_or_default());
            }
            black_box(out.len())
        })
    });
    g.bench_function("convert/to_vec", |b| {
        b.iter(|| {
            out.clear();
            convert::write(&ckpt, &mut out, &Options::new()).unwrap();
            black_box(out.len())
        })
    });
    g.bench_function("convert/load_and_write", |b| {
        b.iter(|| {
            out.clear();
            let ck = torch::Loader::new().load_buffer(buf.clone()).unwrap();
            convert::write(&ck, &mut out, &Options::new()).unwrap();
            black_box(out.len())
        })
    });
    let views: Vec<(String, Borrowed<'_>)> = tensors
        .iter()
        .map(|(p, t)| {
            (
                p.trim_start_matches('/').to_owned(),
                Borrowed(t, t.shape().to_vec()),
            )
        })
        .collect();
    let meta = || {
        Some(std::collections::HashMap::from([(
            "format".into(),
            "pt".into(),
        )]))
    };
    g.bench_function("safetensors_crate/serialize", |b| {
        b.iter(|| {
            let v =
                safetensors::serialize(views.iter().map(|(n, t)| (n.as_str(), t)), meta()).unwrap();
            black_box(v.len())
        })
    });
    let output = dir.join("model.safetensors");
    g.bench_function("convert/file", |b| {
        b.iter(|| convert::convert_file(&input, &output, &Options::new()).unwrap())
    });
    let crate_output = dir.join("crate.safetensors");
    g.bench_function("safetensors_crate/serialize_to_file", |b| {
        b.iter(|| {
            safetensors::serialize_to_file(
                views.iter().map(|(n, t)| (n.as_str(), t)),
                meta(),
                &crate_output,
            )
            .unwrap()
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
