//! Checkpoint → safetensors throughput (issue 13), against memcpy of the same bytes and
//! against the `safetensors` crate's writer, in the same run.
//!
//! The checkpoint is generated at run time (nothing is committed): a torch-style zip
//! (`archive/data.pkl` + `archive/data/<key>` records, stored) holding an OrderedDict of
//! 64 float32 tensors of 1024 × 512, 128 MiB of tensor data, written to the system's
//! temporary folder and removed at the end.
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

use std::borrow::Cow;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use safetensors::tensor::{Dtype, View};
use unpickle::convert::{self, Options};
use unpickle::torch::{self, Buffer, Tensor};

const TENSORS: usize = 64;
const ROWS: usize = 1024;
const COLS: usize = 512;

/// A protocol-2 pickle of `OrderedDict((name, _rebuild_tensor_v2(storage, 0, (ROWS, COLS),
/// (COLS, 1), False, OrderedDict())) …)`, as `torch.save` writes a state dict.
fn data_pkl() -> Vec<u8> {
    fn s(p: &mut Vec<u8>, t: &str) {
        p.push(b'X');
        p.extend((t.len() as u32).to_le_bytes());
        p.extend(t.as_bytes());
    }
    fn i(p: &mut Vec<u8>, n: u32) {
        p.push(b'J');
        p.extend(n.to_le_bytes());
    }
    let mut p = b"\x80\x02ccollections\nOrderedDict\n)R(".to_vec();
    for k in 0..TENSORS {
        s(&mut p, &format!("layers.{k}.weight"));
        p.extend(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        s(&mut p, "storage");
        p.extend(b"ctorch\nFloatStorage\n");
        s(&mut p, &k.to_string());
        s(&mut p, "cpu");
        i(&mut p, (ROWS * COLS) as u32);
        p.extend(b"tQK\x00(");
        i(&mut p, ROWS as u32);
        i(&mut p, COLS as u32);
        p.extend(b"t(");
        i(&mut p, COLS as u32);
        i(&mut p, 1);
        p.extend(b"t\x89ccollections\nOrderedDict\n)RtR");
    }
    p.extend(b"u.");
    p
}

/// A stored zip of `entries`, 64-byte aligned data, CRCs 0 (torch's reader ignores them).
fn zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let at = out.len() as u32;
        // Pad the local header's extra field so the data starts 64-byte aligned.
        let base = out.len() + 30 + name.len() + 4;
        let pad = (64 - base % 64) % 64;
        let sizes = (data.len() as u32).to_le_bytes();
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend(0u32.to_le_bytes());
        out.extend(sizes);
        out.extend(sizes);
        out.extend((name.len() as u16).to_le_bytes());
        out.extend(((pad + 4) as u16).to_le_bytes());
        out.extend(name.as_bytes());
        out.extend(b"FB");
        out.extend((pad as u16).to_le_bytes());
        out.extend(std::iter::repeat_n(b'Z', pad));
        out.extend(data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend(0u32.to_le_bytes());
        central.extend(sizes);
        central.extend(sizes);
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0u8; 12]);
        central.extend(at.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_at = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0, 0, 0, 0]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_at.to_le_bytes());
    out.extend([0, 0]);
    out
}

fn checkpoint() -> Vec<u8> {
    let mut entries = vec![
        ("archive/data.pkl".to_owned(), data_pkl()),
        ("archive/byteorder".to_owned(), b"little".to_vec()),
    ];
    let mut x: u32 = 1;
    for k in 0..TENSORS {
        let data: Vec<u8> = (0..ROWS * COLS)
            .flat_map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((x >> 8) as f32 / 16_777_216.0 - 0.5).to_le_bytes()
            })
            .collect();
        entries.push((format!("archive/data/{k}"), data));
    }
    entries.push(("archive/version".to_owned(), b"3\n".to_vec()));
    zip(&entries)
}

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
    let file = checkpoint();
    let dir = std::env::temp_dir().join(format!("unpickle-bench-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let input: PathBuf = dir.join("model.pt");
    std::fs::write(&input, &file).expect("write the checkpoint");
    let buf = Buffer::new(file);
    let ckpt = torch::Loader::new().load_buffer(buf.clone()).expect("load");
    let tensors = ckpt.tensors();
    let data_bytes: usize = tensors.iter().map(|(_, t)| t.nbytes()).sum();
    assert!(data_bytes >= 100 << 20);
    let total = {
        let mut v = Vec::new();
        convert::write(&ckpt, &mut v, &Options::new()).expect("convert");
        v.len()
    };
    eprintln!(
        "checkpoint: {} MB, {TENSORS} tensors, {} MB of tensor data, {} MB written",
        buf.bytes().len() >> 20,
        data_bytes >> 20,
        total >> 20
    );

    let mut g = c.benchmark_group("convert_128MiB");
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
