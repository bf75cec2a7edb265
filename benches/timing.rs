//! A small timing binary for `benches/compare.py` (not a criterion bench, and not built by
//! `cargo test`). It times the Rust loaders on one corpus file, round-robin, and prints
//! one line per loader with the time of every run in nanoseconds:
//!
//! ```text
//! timing [--runs N] [--warmup W] FILE.pkl LOADER...
//!     LOADER: unpickle-slice | unpickle-reader | unpickle-from-slice | serde-pickle
//!             | memcpy (into a resident buffer) | memcpy-fresh (into a new allocation)
//!     prints: LOADER ns ns ns ...     or     LOADER ERROR message
//! timing --serve FILE.pkl LOADER...
//!     for every line read on stdin, one round: prints `LOADER ns LOADER+free ns ...`
//!     (the load, then the load and dropping its result; or `LOADER ERROR message`); this lets compare.py interleave these rounds with
//!     CPython's, in warm processes, so a busy patch of the machine hits every loader
//! timing --mem FILE.pkl LOADER
//!     loads once and keeps the result alive until exit, for `/usr/bin/time -v`;
//!     LOADER may also be `none` (reads the file, loads nothing: the baseline) or
//!     `none-reader` (opens the file only: the baseline for unpickle-reader).
//! ```
//!
//! For a file NAME.pkl with a NAME.idx beside it (a stream of pickles) every pickle is
//! loaded in turn and dropped at once. Otherwise the loaded value is dropped after the
//! clock stops, for every loader (compare.py does the same for CPython).

mod common;

use common::{Corpus, Loaded};
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const LOADERS: &[&str] = &[
    "unpickle-slice",
    "unpickle-reader",
    "unpickle-from-slice",
    "serde-pickle",
    "memcpy",
    "memcpy-fresh",
];

fn usage() -> ExitCode {
    eprintln!(
        "usage: timing [--runs N] [--warmup W] FILE.pkl LOADER...\n       \
         timing --serve FILE.pkl LOADER...\n       timing --mem FILE.pkl LOADER\n  LOADER: {} (and none, none-reader with --mem)",
        LOADERS.join(" | ")
    );
    ExitCode::from(2)
}

/// Runs `loader` once; returns the elapsed nanoseconds and something to drop afterwards.
fn run_once(
    loader: &str,
    u: &unpickle::Unpickler,
    c: &Corpus,
    scratch: &mut [u8],
) -> Result<(u64, Box<dyn std::any::Any>), String> {
    fn keep<T: 'static>(r: Result<Loaded<T>, String>) -> Result<Box<dyn std::any::Any>, String> {
        Ok(match r? {
            Loaded::One(v) => Box::new(v),
            Loaded::Stream(n) => Box::new(n),
        })
    }
    let t = Instant::now();
    let kept: Box<dyn std::any::Any> = match loader {
        "unpickle-slice" => keep(common::unpickle_slice(u, black_box(c)))?,
        "unpickle-reader" => keep(common::unpickle_reader(u, black_box(c)))?,
        "unpickle-from-slice" => keep(common::unpickle_from_slice(black_box(c)))?,
        "serde-pickle" => keep(common::serde_pickle_slice(black_box(c)))?,
        "memcpy" => {
            scratch.copy_from_slice(black_box(&c.data));
            black_box(&scratch);
            Box::new(())
        }
        "memcpy-fresh" => Box::new(black_box(c.data.to_vec())),
        other => return Err(format!("unknown loader {other}")),
    };
    let ns = t.elapsed().as_nanos() as u64;
    Ok((ns, kept))
}

/// `--serve`: one round per line of stdin, until EOF.
fn serve(path: &Path, loaders: &[String]) -> ExitCode {
    use std::io::{BufRead, Write};
    let (dir, name) = match (path.parent(), path.file_stem().and_then(|s| s.to_str())) {
        (Some(d), Some(n)) => (d, n),
        _ => return usage(),
    };
    let Some(c) = Corpus::open(dir, name) else {
        eprintln!("cannot read {}", path.display());
        return ExitCode::from(2);
    };
    let u = common::unpickler();
    let mut scratch = vec![1u8; c.data.len()];
    let mut failed: Vec<Option<String>> = vec![None; loaders.len()];
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        if line.is_err() {
            break;
        }
        let mut cells = Vec::new();
        for (i, loader) in loaders.iter().enumerate() {
            if failed[i].is_none() {
                match run_once(loader, &u, &c, &mut scratch) {
                    Ok((ns, kept)) => {
                        // Also the time to give the memory back: allocators defer work
                        // from one to the other, so load and free are reported together too.
                        let t = Instant::now();
                        drop(kept);
                        let free = t.elapsed().as_nanos() as u64;
                        cells.push(format!("{loader} {ns} {loader}+free {}", ns + free));
                    }
                    Err(e) => failed[i] = Some(e.replace(['\n', ' '], "_")),
                }
            }
            if let Some(e) = &failed[i] {
                cells.push(format!("{loader} ERROR:{e}"));
            }
        }
        if writeln!(out, "{}", cells.join(" ")).is_err() || out.flush().is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

fn time(path: &Path, runs: usize, warmup: usize, loaders: &[String]) -> ExitCode {
    let (dir, name) = match (path.parent(), path.file_stem().and_then(|s| s.to_str())) {
        (Some(d), Some(n)) => (d, n),
        _ => return usage(),
    };
    let Some(c) = Corpus::open(dir, name) else {
        eprintln!("cannot read {}", path.display());
        return ExitCode::from(2);
    };
    let u = common::unpickler();
    let mut scratch = vec![1u8; c.data.len()];
    let mut times: Vec<Vec<u64>> = vec![Vec::new(); loaders.len()];
    let mut failed: Vec<Option<String>> = vec![None; loaders.len()];
    // Round-robin, so that a slow patch of the machine hits every loader alike.
    for round in 0..warmup + runs {
        for (i, loader) in loaders.iter().enumerate() {
            if failed[i].is_some() {
                continue;
            }
            match run_once(loader, &u, &c, &mut scratch) {
                Ok((ns, kept)) => {
                    drop(kept);
                    if round >= warmup {
                        times[i].push(ns);
                    }
                }
                Err(e) => failed[i] = Some(e),
            }
        }
    }
    // A closed pipe (`| head`) is not worth a panic: stop printing.
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for (i, loader) in loaders.iter().enumerate() {
        let line = match &failed[i] {
            Some(e) => format!("{loader} ERROR {}", e.replace('\n', " ")),
            None => {
                let t: Vec<String> = times[i].iter().map(u64::to_string).collect();
                format!("{loader} {}", t.join(" "))
            }
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// Loads once and keeps the result until exit (for peak-RSS measurement).
fn mem(path: &Path, loader: &str) -> ExitCode {
    let (dir, name) = match (path.parent(), path.file_stem().and_then(|s| s.to_str())) {
        (Some(d), Some(n)) => (d, n),
        _ => return usage(),
    };
    let u = common::unpickler();
    if loader == "none-reader" || loader == "unpickle-reader" {
        // Only the file handle: the reader path never holds the whole input.
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        if loader == "none-reader" {
            black_box(&file);
            return ExitCode::SUCCESS;
        }
        let mut r = std::io::BufReader::new(file);
        return match u.load_reader(&mut r) {
            Ok(v) => {
                black_box(&v);
                std::mem::forget(v);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        };
    }
    let Some(c) = Corpus::open(dir, name) else {
        eprintln!("cannot read {}", path.display());
        return ExitCode::from(2);
    };
    let result: Result<Box<dyn std::any::Any>, String> = match loader {
        "none" => Ok(Box::new(())),
        "unpickle-slice" => common::unpickle_slice(&u, &c).map(|l| match l {
            Loaded::One(v) => Box::new(v) as Box<dyn std::any::Any>,
            Loaded::Stream(n) => Box::new(n),
        }),
        "serde-pickle" => common::serde_pickle_slice(&c).map(|l| match l {
            Loaded::One(v) => Box::new(v) as Box<dyn std::any::Any>,
            Loaded::Stream(n) => Box::new(n),
        }),
        _ => return usage(),
    };
    match result {
        Ok(v) => {
            black_box(&v);
            // Peak RSS is what we measure; skip the teardown.
            std::mem::forget(v);
            black_box(&c.data);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes --bench; ignore it.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut runs = 5usize;
    let mut warmup = 1usize;
    let mut mem_mode = false;
    let mut serve_mode = false;
    let mut rest = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => match it.next().and_then(|v| v.parse().ok()) {
                Some(v) => runs = v,
                None => return usage(),
            },
            "--warmup" => match it.next().and_then(|v| v.parse().ok()) {
                Some(v) => warmup = v,
                None => return usage(),
            },
            "--mem" => mem_mode = true,
            "--serve" => serve_mode = true,
            "-h" | "--help" => return usage(),
            _ => rest.push(a),
        }
    }
    if rest.is_empty() {
        // Bare `cargo bench` runs every bench target: with nothing to do, say so and pass.
        let dir = common::corpus_dir();
        eprintln!(
            "timing: the helper of benches/compare.py; nothing to do without arguments ({})",
            if dir.join("manifest.json").exists() {
                "run `python3 benches/compare.py`".to_string()
            } else {
                common::missing_hint(&dir)
            }
        );
        return ExitCode::SUCCESS;
    }
    if rest.len() < 2 {
        return usage();
    }
    let path = Path::new(&rest[0]);
    if mem_mode {
        if rest.len() != 2 {
            return usage();
        }
        return mem(path, &rest[1]);
    }
    if serve_mode {
        return serve(path, &rest[1..]);
    }
    time(path, runs, warmup, &rest[1..])
}
