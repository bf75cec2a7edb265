//! Typed deserialization (feature `serde`): `unpickle::serde` against serde-pickle's
//! `from_slice` into the same Rust types, and CPython's C `pickle.loads` on the same bytes,
//! in the same run.
//!
//! ```text
//! python3 gen_perf_corpus.py --out /tmp/perfcorpus     # the corpus the ratios are judged on
//! UNPICKLE_CORPUS=/tmp/perfcorpus cargo bench --features serde --bench serde
//! UNPICKLE_CORPUS=/tmp/perfcorpus cargo bench --features serde --bench serde -- records
//! ```
//!
//! Files: `records`, `ints`, `floats`, `strings` (`NAME.pPROTO.pkl`, one pickle) and
//! `messages` (`messages.pPROTO.bin`: pickles each preceded by its length as a u32 LE), at
//! protocols 2 and 4. Types: records → `Vec<Record>` (`i64`, `String`, `f64`,
//! `Vec<String>`, `bool`), ints → `Vec<i64>`, floats → `Vec<f64>`, strings → `Vec<String>`
//! and `Vec<&str>`, messages → one `Message` struct per message.
//!
//! After criterion's groups it prints a ratio table measured its own way, the method of
//! `benches/compare.py`: rounds alternating the loaders (CPython in a child `python3`), a
//! median of at least five timed loads each, the result dropped after the clock stops;
//! for messages, the time per message, each dropped as soon as it is read. The machine is
//! shared: read ratios, not absolute times. Without the corpus it prints a hint and exits;
//! under `cargo test --benches` it only checks every loader on a tiny built-in pickle.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Record {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<String>,
    active: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Kwargs {
    priority: i64,
    retry: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Message {
    task: String,
    id: String,
    args: (i64, String),
    kwargs: Kwargs,
    retries: i64,
    eta: Option<String>,
    expires: Option<String>,
    utc: bool,
    timelimit: (Option<f64>, Option<f64>),
}

/// One file of the corpus: its pickles (one, or one per message).
struct File {
    name: String,
    path: PathBuf,
    pickles: Vec<Vec<u8>>,
}

fn open(dir: &Path, corpus: &str, proto: u8) -> Option<File> {
    let name = format!("{corpus}_p{proto}");
    if corpus == "messages" {
        let path = dir.join(format!("messages.p{proto}.bin"));
        let data = std::fs::read(&path).ok()?;
        let mut pickles = Vec::new();
        let mut rest = &data[..];
        while let Some((len, tail)) = rest.split_first_chunk::<4>() {
            let len = u32::from_le_bytes(*len) as usize;
            pickles.push(tail.get(..len)?.to_vec());
            rest = &tail[len..];
        }
        return Some(File {
            name,
            path,
            pickles,
        });
    }
    let path = dir.join(format!("{corpus}.p{proto}.pkl"));
    let data = std::fs::read(&path).ok()?;
    Some(File {
        name,
        path,
        pickles: vec![data],
    })
}

/// The typed loads of one corpus: `unpickle::serde` and serde-pickle into the same types.
/// Each returns how many objects it read, so nothing is optimized away.
type Load = fn(&[u8]) -> usize;

fn loaders(corpus: &str) -> Vec<(&'static str, Load, Load)> {
    fn sp<'a, T: Deserialize<'a>>(b: &'a [u8]) -> T {
        serde_pickle::from_slice(b, serde_pickle::DeOptions::new()).expect("serde-pickle")
    }
    fn up<'a, T: Deserialize<'a>>(b: &'a [u8]) -> T {
        unpickle::serde::from_slice(b).expect("unpickle")
    }
    match corpus {
        "records" => vec![(
            "Vec<Record>",
            |b| up::<Vec<Record>>(b).len(),
            |b| sp::<Vec<Record>>(b).len(),
        )],
        "ints" => vec![(
            "Vec<i64>",
            |b| up::<Vec<i64>>(b).len(),
            |b| sp::<Vec<i64>>(b).len(),
        )],
        "floats" => vec![(
            "Vec<f64>",
            |b| up::<Vec<f64>>(b).len(),
            |b| sp::<Vec<f64>>(b).len(),
        )],
        "strings" => vec![
            (
                "Vec<String>",
                |b| up::<Vec<String>>(b).len(),
                |b| sp::<Vec<String>>(b).len(),
            ),
            // serde-pickle never lends (it reads through a buffer): String for it.
            (
                "Vec<&str>",
                |b| up::<Vec<&str>>(b).len(),
                |b| sp::<Vec<String>>(b).len(),
            ),
        ],
        "messages" => vec![(
            "Message",
            |b| up::<Message>(b).retries as usize,
            |b| sp::<Message>(b).retries as usize,
        )],
        _ => Vec::new(),
    }
}

fn run_all(f: Load, file: &File) -> usize {
    file.pickles.iter().map(|p| f(black_box(p))).sum()
}

fn benches(c: &mut Criterion, files: &[File]) {
    for file in files {
        let corpus = file.name.split('_').next().unwrap_or("");
        let bytes: usize = file.pickles.iter().map(|p| p.len()).sum();
        for (ty, ours, theirs) in loaders(corpus) {
            let mut g = c.benchmark_group(format!("{} {ty}", file.name));
            g.throughput(Throughput::Bytes(bytes as u64));
            g.sampling_mode(SamplingMode::Flat);
            g.bench_function(BenchmarkId::from_parameter("unpickle_serde"), |b| {
                b.iter(|| run_all(ours, file))
            });
            g.bench_function(BenchmarkId::from_parameter("serde_pickle"), |b| {
                b.iter(|| run_all(theirs, file))
            });
            g.finish();
        }
    }
}

/// Median seconds of `n` timed runs of `f` (per pickle for a message stream).
fn median(n: usize, mut f: impl FnMut() -> Duration) -> f64 {
    let mut t: Vec<f64> = (0..n).map(|_| f().as_secs_f64()).collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// Times `load` on every pickle of `file`: the whole file, or per message for a stream.
fn time_rust(load: Load, file: &File) -> f64 {
    run_all(load, file); // warm-up
    let per = if file.pickles.len() > 1 {
        file.pickles.len() as f64
    } else {
        1.0
    };
    median(5, || {
        let t = Instant::now();
        black_box(run_all(load, file));
        t.elapsed()
    }) / per
}

/// CPython's C `pickle.loads` on the same bytes, in a child process: median seconds (per
/// message for a stream); `None` without python3.
fn time_cpython(file: &File) -> Option<f64> {
    const SCRIPT: &str = r#"
import pickle, struct, sys, time
path, stream = sys.argv[1], sys.argv[2] == "1"
data = open(path, "rb").read()
if stream:
    parts, i = [], 0
    while i < len(data):
        n = struct.unpack_from("<I", data, i)[0]
        parts.append(data[i + 4:i + 4 + n]); i += 4 + n
else:
    parts = [data]
loads = pickle.loads
def once():
    t = time.perf_counter()
    for p in parts:
        x = loads(p)
        if stream:
            del x
    e = time.perf_counter() - t
    return e
once(); once()
ts = sorted(once() for _ in range(5))
print(ts[2] / len(parts))
"#;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&file.path)
        .arg(if file.pickles.len() > 1 { "1" } else { "0" })
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut()?, &mut out).ok()?;
    child.wait().ok()?;
    out.trim().parse().ok()
}

/// The ratio table: two rounds, loader order reversed in the second; medians.
fn ratios(files: &[File]) {
    println!();
    println!("typed deserialization, same run (ms per file; µs per message for messages)");
    println!(
        "{:<14} {:<12} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "file", "type", "CPython", "unpickle", "serde-pk", "×CPython", "×serde-pk"
    );
    for file in files {
        let corpus = file.name.split('_').next().unwrap_or("");
        for (ty, ours, theirs) in loaders(corpus) {
            let (mut cp, mut us, mut sp) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..2 {
                if round == 0 {
                    cp.extend(time_cpython(file));
                    us.push(time_rust(ours, file));
                    sp.push(time_rust(theirs, file));
                } else {
                    sp.push(time_rust(theirs, file));
                    us.push(time_rust(ours, file));
                    cp.extend(time_cpython(file));
                }
            }
            let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
            let scale = if file.pickles.len() > 1 { 1e6 } else { 1e3 };
            let (c, u, s) = (avg(&cp), avg(&us), avg(&sp));
            println!(
                "{:<14} {:<12} {:>9.2} {:>9.2} {:>9.2} {:>8.2} {:>8.2}",
                file.name,
                ty,
                c * scale,
                u * scale,
                s * scale,
                c / u,
                s / u
            );
            let _ = std::io::stdout().flush();
        }
    }
}

/// `cargo test --benches`: every loader once on a tiny pickle.
fn smoke() {
    // pickle.dumps([{'id': 1, 'name': 'a', 'score': 0.5, 'tags': ['x'], 'active': True}], 4)
    let data = b"\x80\x04\x95>\x00\x00\x00\x00\x00\x00\x00]\x94}\x94(\x8c\x02id\x94K\x01\x8c\x04name\x94\x8c\x01a\x94\x8c\x05score\x94G?\xe0\x00\x00\x00\x00\x00\x00\x8c\x04tags\x94]\x94\x8c\x01x\x94a\x8c\x06active\x94\x88ua.";
    for (_, ours, theirs) in loaders("records") {
        assert_eq!(ours(data), 1);
        assert_eq!(theirs(data), 1);
    }
    println!("serde bench smoke test: ok");
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        smoke();
        return;
    }
    let dir = std::env::var_os("UNPICKLE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("benches/corpus"));
    let files: Vec<File> = ["records", "ints", "floats", "strings", "messages"]
        .iter()
        .flat_map(|c| [4, 2].map(|p| open(&dir, c, p)))
        .flatten()
        .collect();
    if files.is_empty() {
        eprintln!(
            "no corpus in {}: write it with gen_perf_corpus.py --out DIR and set \
             UNPICKLE_CORPUS=DIR; skipping",
            dir.display()
        );
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let files: Vec<File> = files
        .into_iter()
        .filter(|f| filter.is_empty() || filter.iter().any(|x| f.name.contains(x.as_str())))
        .collect();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    benches(&mut c, &files);
    c.final_summary();
    ratios(&files);
}
