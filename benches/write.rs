//! Writing: `unpickle::to_vec` against serde-pickle's `to_vec`, on values loaded from the
//! files `benches/write.py` generates (and times CPython's `pickle.dumps` on). Run through
//! that script, which prints the ratios:
//!
//! ```text
//! python3 benches/write.py            # generates target/write-bench/, times all three
//! ```
//!
//! Direct use: `cargo bench --bench write -- DIR NAME...` prints, per file,
//! `NAME unpickle_p4_ns unpickle_p3_ns serde_pickle_ns` (medians of the rounds). Without
//! arguments (as under `cargo test --benches`) it writes one small built-in value once.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use unpickle::{Protocol, Unpickler};

/// Median nanoseconds of `f`, over at least 5 rounds and about `budget` of time.
fn median(budget: Duration, mut f: impl FnMut()) -> u128 {
    f(); // warm-up
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 50) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_nanos());
    }
    times.sort_unstable();
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some((dir, names)) = args.split_first() else {
        let v = unpickle::Value::list((0..1000).map(unpickle::Value::from));
        let bytes = unpickle::to_vec(&v, Protocol::V4).expect("writes");
        assert!(unpickle::from_slice(&bytes).expect("loads") == v);
        return;
    };
    let loader = Unpickler::new().limits(unpickle::Limits::default().max_result_bytes(1 << 32));
    for name in names {
        let data = std::fs::read(Path::new(dir).join(format!("{name}.pkl"))).expect("read");
        let value = loader.load_slice(&data).expect("unpickle loads it");
        let theirs = serde_pickle::value_from_slice(&data, serde_pickle::DeOptions::new())
            .expect("serde-pickle loads it");
        let budget = Duration::from_secs(2);
        let p4 = median(budget, || {
            black_box(unpickle::to_vec(black_box(&value), Protocol::V4).unwrap());
        });
        let p3 = median(budget, || {
            black_box(unpickle::to_vec(black_box(&value), Protocol::V3).unwrap());
        });
        let sp = median(budget, || {
            black_box(
                serde_pickle::value_to_vec(black_box(&theirs), serde_pickle::SerOptions::new())
                    .unwrap(),
            );
        });
        println!("{name} {p4} {p3} {sp}");
    }
}
