//! Criterion benches for issue 5: `unpickle` (slice path, `io::Read` path through a
//! `BufReader<File>`) against serde-pickle's `value_from_slice`, on the same corpus files,
//! in the same run. Throughput is in bytes of pickle.
//!
//! ```text
//! python3 benches/make_corpus.py          # once
//! cargo bench --bench load                # all files
//! cargo bench --bench load -- records     # one corpus
//! ```
//!
//! Dropping a loaded value is not timed (`iter_with_large_drop`), except inside the message
//! streams, where each message is dropped as soon as it is loaded. With no corpus present
//! the bench prints a hint and exits successfully. Under `cargo test --benches` (no
//! `--bench` argument) it only runs every loader once on a tiny built-in corpus.

mod common;

use common::{Corpus, Loaded};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;

fn unwrap<T>(name: &str, loader: &str, r: Result<Loaded<T>, String>) -> Loaded<T> {
    r.unwrap_or_else(|e| panic!("{loader} failed on {name}: {e}"))
}

fn benches(c: &mut Criterion, corpora: &[Corpus]) {
    let u = common::unpickler();
    for corpus in corpora {
        let mut g = c.benchmark_group(corpus.name.as_str());
        g.throughput(Throughput::Bytes(corpus.data.len() as u64));
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function(BenchmarkId::from_parameter("unpickle_slice"), |b| {
            b.iter_with_large_drop(|| {
                unwrap(
                    &corpus.name,
                    "unpickle",
                    common::unpickle_slice(&u, black_box(corpus)),
                )
            })
        });
        g.bench_function(BenchmarkId::from_parameter("unpickle_reader"), |b| {
            b.iter_with_large_drop(|| {
                unwrap(
                    &corpus.name,
                    "unpickle",
                    common::unpickle_reader(&u, black_box(corpus)),
                )
            })
        });
        if corpus.is_stream() {
            g.bench_function(BenchmarkId::from_parameter("unpickle_from_slice"), |b| {
                b.iter_with_large_drop(|| {
                    unwrap(
                        &corpus.name,
                        "unpickle",
                        common::unpickle_from_slice(black_box(corpus)),
                    )
                })
            });
        }
        // serde-pickle cannot load every corpus; say so instead of failing the run.
        match common::serde_pickle_slice(corpus) {
            Ok(_) => {
                g.bench_function(BenchmarkId::from_parameter("serde_pickle"), |b| {
                    b.iter_with_large_drop(|| {
                        unwrap(
                            &corpus.name,
                            "serde-pickle",
                            common::serde_pickle_slice(black_box(corpus)),
                        )
                    })
                });
            }
            Err(e) => eprintln!(
                "{}: serde-pickle cannot load it ({e}); skipped",
                corpus.name
            ),
        }
        g.finish();
    }
}

/// `cargo test --benches` (no `--bench` argument): run every loader once on a tiny corpus,
/// so CI checks the bench code in seconds without the corpus.
fn smoke() {
    let u = common::unpickler();
    let (dir, corpora) = common::tiny_corpus().expect("cannot write the tiny corpus");
    assert_eq!(corpora.len(), 2, "tiny corpus incomplete");
    for c in &corpora {
        let one = u
            .load_slice(&c.data[c.spans[0].0..c.spans[0].1])
            .expect("unpickle");
        assert_eq!(one.to_string(), "{'a': [1, 2.5, None]}");
        let n = c.spans.len();
        match common::unpickle_slice(&u, c).expect("unpickle_slice") {
            Loaded::One(v) => assert_eq!(v, one),
            Loaded::Stream(k) => assert_eq!(k, n),
        }
        match common::unpickle_from_slice(c).expect("from_slice") {
            Loaded::One(v) => assert_eq!(v, one),
            Loaded::Stream(k) => assert_eq!(k, n),
        }
        match common::unpickle_reader(&u, c).expect("unpickle_reader") {
            Loaded::One(v) => assert_eq!(v, one),
            Loaded::Stream(k) => assert_eq!(k, n),
        }
        common::serde_pickle_slice(c).expect("serde-pickle");
    }
    let _ = std::fs::remove_dir_all(dir);
    println!("bench smoke test: 2 tiny corpora loaded by every loader; ok");
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        smoke();
        return;
    }
    let dir = common::corpus_dir();
    let corpora: Vec<Corpus> = common::FILES
        .iter()
        .filter_map(|name| Corpus::open(&dir, name))
        .collect();
    if corpora.is_empty() {
        eprintln!("{}", common::missing_hint(&dir));
        return;
    }
    // Large inputs and a noisy 2-core machine: few samples, flat sampling; the median and
    // the spread are what to read. `-- --sample-size N` etc. override these.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    benches(&mut c, &corpora);
    c.final_summary();
}
