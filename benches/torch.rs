//! Benchmarks for `unpickle::torch` on a generated state dict of 1,000 float32 tensors
//! (160 × 160, 102.4 MB of data) in both formats, written on first run to
//! `benches/torch_data/` (git-ignored, never committed) by this file's own writer, which
//! reproduces torch.save's layouts (protocol-2 `data.pkl`, stored ZIP64 entries with
//! 64-byte alignment; the legacy five pickles + raw storages).
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
//!   cost per tensor.
//!
//! Under `cargo test --benches` (no `--bench` argument) it only checks a tiny checkpoint.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use unpickle::torch::{self, Buffer};

const SIDE: usize = 160;

/// A protocol-2 `data.pkl` of an OrderedDict of `n` tensors `layer{i}.weight`, each over
/// its own FloatStorage key `i` (legacy: 6-field persistent ids with a `None` view).
fn data_pkl(n: usize, legacy: bool) -> Vec<u8> {
    let mut p = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(".to_vec();
    let s = |p: &mut Vec<u8>, t: &str| {
        p.push(b'X');
        p.extend_from_slice(&(t.len() as u32).to_le_bytes());
        p.extend_from_slice(t.as_bytes());
    };
    let int = |p: &mut Vec<u8>, v: u32| {
        p.push(b'J');
        p.extend_from_slice(&(v as i32).to_le_bytes());
    };
    for i in 0..n {
        s(&mut p, &format!("layer{i}.weight"));
        p.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        s(&mut p, "storage");
        p.extend_from_slice(b"ctorch\nFloatStorage\n");
        s(&mut p, &i.to_string());
        s(&mut p, "cpu");
        int(&mut p, (SIDE * SIDE) as u32);
        if legacy {
            p.push(b'N');
        }
        p.extend_from_slice(b"tQK\x00(");
        int(&mut p, SIDE as u32);
        int(&mut p, SIDE as u32);
        p.extend_from_slice(b"t(");
        int(&mut p, SIDE as u32);
        p.extend_from_slice(b"K\x01t\x89h\x00)RtR");
    }
    p.extend_from_slice(b"u.");
    p
}

fn storage(i: usize) -> Vec<u8> {
    (0..SIDE * SIDE)
        .flat_map(|j| ((i * 7 + j) as f32 * 0.001).to_le_bytes())
        .collect()
}

/// torch's zip layout: stored entries, FB padding to 64 bytes in the local headers, data
/// descriptors, ZIP64 end records (CRCs written as 0, as torch may).
fn write_zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let off = out.len();
        let pad = (64 - (off + 30 + name.len() + 4) % 64) % 64;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 8, 8, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&((pad + 4) as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"FB");
        out.extend_from_slice(&(pad as u16).to_le_bytes());
        out.extend(std::iter::repeat_n(b'Z', pad));
        out.extend_from_slice(data);
        out.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        central.push((name, data.len(), off));
    }
    let cd = out.len();
    for (name, len, off) in &central {
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0x1e, 3, 0x2d, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&(*len as u32).to_le_bytes());
        out.extend_from_slice(&(*len as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(*off as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    let (cd_size, n) = (out.len() - cd, central.len() as u64);
    let rec = out.len();
    out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
    out.extend_from_slice(&44u64.to_le_bytes());
    out.extend_from_slice(&[0x1e, 0, 0x2d, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for v in [n, n, cd_size as u64, cd as u64] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(rec as u64).to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(cd_size as u32).to_le_bytes());
    out.extend_from_slice(&(cd as u32).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn make_zip(n: usize) -> Vec<u8> {
    let mut e = vec![
        ("archive/data.pkl".to_owned(), data_pkl(n, false)),
        ("archive/.format_version".to_owned(), b"1".to_vec()),
        ("archive/.storage_alignment".to_owned(), b"64".to_vec()),
        ("archive/byteorder".to_owned(), b"little".to_vec()),
    ];
    for i in 0..n {
        e.push((format!("archive/data/{i}"), storage(i)));
    }
    e.push(("archive/version".to_owned(), b"3\n".to_vec()));
    e.push(("archive/.data/serialization_id".to_owned(), vec![b'0'; 40]));
    write_zip(&e)
}

fn make_legacy(n: usize) -> Vec<u8> {
    let mut out = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.".to_vec();
    out.extend_from_slice(b"\x80\x02M\xe9\x03.");
    out.extend_from_slice(b"\x80\x02}q\x00.");
    out.extend_from_slice(&data_pkl(n, true));
    // The keys sorted as strings, as torch writes them; storages in that order.
    let mut keys: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    keys.sort();
    out.extend_from_slice(b"\x80\x02](");
    for k in &keys {
        out.push(b'X');
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(k.as_bytes());
    }
    out.extend_from_slice(b"e.");
    for k in &keys {
        let i: usize = k.parse().unwrap_or(0);
        out.extend_from_slice(&((SIDE * SIDE) as i64).to_le_bytes());
        out.extend_from_slice(&storage(i));
    }
    out
}

fn file(dir: &Path, name: &str, make: impl Fn() -> Vec<u8>) -> PathBuf {
    let p = dir.join(name);
    if !p.exists() {
        std::fs::create_dir_all(dir).expect("create benches/torch_data");
        std::fs::write(&p, make()).expect("write the generated checkpoint");
    }
    p
}

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
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/torch_data");
    let zip_path = file(&dir, "state_1000.pt", || make_zip(n));
    let legacy_path = file(&dir, "state_1000_legacy.pt", || make_legacy(n));
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
