//! Replays the committed fuzz corpus through the loader under plain `cargo test`, so every
//! input the fuzzers kept (the minimised corpus of each target in `tests/data/fuzz/`) and
//! every crash they found (`fuzz/regressions/`) is re-checked without fuzzing tools.
//!
//! Each input is loaded under `strict` and `opaque`, with the default limits and with tiny
//! ones, with an extension registry and a persistent loader set, and checked the way the
//! fuzz targets check it: no panic; whatever loads prints; the `io::Read` path (one byte at
//! a time) agrees with the slice path; every global the load asks the policy about is in
//! `scan`'s report; the `dis` listing is the same from a slice and from a reader. Files of
//! the `npy` target also go through the `.npy` loader. The files of `reader_vs_slice` and `scan_vs_load` start with bytes that
//! pick a configuration there; here they are simply more hostile pickles.

use std::mem::discriminant;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use unpickle::policy::ExtensionRegistry;
use unpickle::{presets, Allowlist, Decision, ErrorKind, Limits, Policy, Unpickler, Value};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if p
            .file_name()
            .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn tiny() -> Limits {
    Limits::default()
        .max_depth(8)
        .max_result_bytes(64 << 10)
        .max_item_len(300)
        .max_memo(16)
        .max_marks(8)
        .max_digits(20)
        .max_frame(256)
}

fn configs() -> Vec<(Allowlist, Limits)> {
    let budget = Limits::default().max_result_bytes(64 << 20);
    vec![
        (presets::strict(), budget.clone()),
        (presets::opaque(), budget),
        (presets::strict(), tiny()),
        (presets::opaque(), tiny()),
    ]
}

fn loader(policy: impl Policy + 'static, limits: Limits) -> Unpickler {
    Unpickler::new()
        .policy(policy)
        .limits(limits)
        .extensions(
            ExtensionRegistry::new()
                .add(1, "os", "system")
                .add(2, "builtins", "set")
                .add(0x1234, "builtins", "frozenset")
                .add(0x0012_3456, "_codecs", "encode")
                .add(0x7fff_ffff, "builtins", "eval"),
        )
        .persistent_load(|pid: Value| {
            if pid.as_str() == Some("x") {
                Err("no such object".to_owned())
            } else {
                Ok(Value::tuple([Value::from("persistent"), pid]))
            }
        })
}

fn same_kind(a: &ErrorKind, b: &ErrorKind) -> bool {
    match (a, b) {
        (ErrorKind::Limit { limit: x, .. }, ErrorKind::Limit { limit: y, .. }) => x == y,
        _ => discriminant(a) == discriminant(b),
    }
}

/// A reader that hands out one byte per call and counts what it handed out.
struct OneByte<'a> {
    data: &'a [u8],
    consumed: usize,
}

impl std::io::Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.data.get(self.consumed), buf.first_mut()) {
            (Some(&b), Some(slot)) => {
                *slot = b;
                self.consumed += 1;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

struct Recorder {
    inner: Allowlist,
    calls: Mutex<Vec<(String, String)>>,
}

impl Policy for Recorder {
    fn find_class(&self, module: &str, name: &str) -> Decision {
        if let Ok(mut c) = self.calls.lock() {
            c.push((module.to_owned(), name.to_owned()));
        }
        self.inner.find_class(module, name)
    }
}

/// Checks one input under one configuration; returns a description of any disagreement.
fn check(data: &[u8], policy: &Allowlist, limits: &Limits) -> Result<(), String> {
    let l = loader(policy.clone(), limits.clone());
    let slice = l.load_slice(data);
    if let Ok(v) = &slice {
        let _ = v.to_string();
    }
    // Reader and slice agree: read whole first (the default), streamed from the first
    // byte, and streamed after 7 bytes read ahead.
    for reader_loader in [l.clone(), l.clone().read_ahead(0), l.clone().read_ahead(7)] {
        let mut r = std::io::BufReader::with_capacity(1, OneByte { data, consumed: 0 });
        let from_reader = reader_loader.load_reader(&mut r);
        // What the loader consumed: what the source handed out, less what is still buffered.
        let consumed = r.get_ref().consumed - r.buffer().len();
        match from_reader {
            Ok(v) => match l.load_slice(&data[..consumed]) {
                Ok(w) if v.to_string() == w.to_string() => {}
                other => {
                    return Err(format!(
                        "reader loaded {v}, slice of the same bytes: {other:?}"
                    ))
                }
            },
            Err(e) => match &slice {
                Err(f) if same_kind(e.kind(), f.kind()) => {}
                other => return Err(format!("reader failed with {e:?}, slice: {other:?}")),
            },
        }
    }
    // Scan covers load.
    let rec = Arc::new(Recorder {
        inner: policy.clone(),
        calls: Mutex::new(Vec::new()),
    });
    // Scan recognises a `.npy` file by its bytes: compare with loading it as one.
    let with_rec = loader(rec.clone(), limits.clone());
    let load = if data.starts_with(unpickle::npy::MAGIC) {
        unpickle::npy::load(data, &with_rec).map(|_| ())
    } else {
        with_rec.load_slice(data).map(|_| ())
    };
    let asked = rec.calls.lock().map(|c| c.clone()).unwrap_or_default();
    let reports = unpickle::scan::scan(data, &l);
    let scanned: Vec<(String, String)> = reports
        .first()
        .map(|r| {
            r.globals
                .iter()
                .map(|g| (g.global.module.clone(), g.global.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    if scanned.len() < asked.len() || scanned[..asked.len()] != asked[..] {
        return Err(format!("load asked {asked:?}, scan reported {scanned:?}"));
    }
    // Scan goes on past a refusal and past a persistent id a load cannot resolve.
    let refused = matches!(&load, Err(e) if matches!(e.kind(), ErrorKind::Refused { .. })
        || matches!(e.opcode(), Some(unpickle::Opcode::PersId | unpickle::Opcode::BinPersId)));
    if !refused && asked != scanned {
        return Err(format!("load asked {asked:?}, scan reported {scanned:?}"));
    }
    Ok(())
}

/// Replays on a thread with a 16 MiB stack: values nested up to the depth limit are
/// dropped, cloned and printed recursively, which an unoptimised build cannot always do
/// in a test thread's 2 MiB (README.md, "Threat model": "Limits are only as safe as their
/// values").
/// The listing from a slice and from a reader fed one byte at a time is the same, and
/// ends the same way (the `dis` fuzz target's check).
fn check_dis(data: &[u8]) -> Result<(), String> {
    let mut a = Vec::new();
    let ra = unpickle::dis::dis(data, &mut a);
    let mut b = Vec::new();
    let reader = std::io::BufReader::with_capacity(1, OneByte { data, consumed: 0 });
    let rb = unpickle::dis::dis_reader(reader, &mut b);
    if a != b {
        return Err("dis listings differ between slice and reader".to_owned());
    }
    match (ra, rb) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(x), Err(y)) if same_kind(x.kind(), y.kind()) => Ok(()),
        (x, y) => Err(format!("dis: slice {x:?}, reader {y:?}")),
    }
}

fn replay(dir: &Path, min_files: usize, per_file: Duration) {
    let dir = dir.to_path_buf();
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || replay_here(&dir, min_files, per_file))
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

fn replay_here(dir: &Path, min_files: usize, per_file: Duration) {
    let files = files(dir);
    assert!(
        files.len() >= min_files,
        "{}: {} files, expected at least {min_files}",
        dir.display(),
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let start = Instant::now();
        for (policy, limits) in configs() {
            if let Err(why) = check(&data, &policy, &limits) {
                failures.push(format!("{}: {why}", f.display()));
            }
        }
        if let Err(why) = check_dis(&data) {
            failures.push(format!("{}: {why}", f.display()));
        }
        if f.components().any(|c| c.as_os_str() == "npy") {
            // A `.npy` file: header and array (object arrays through the numpy preset).
            let _ = unpickle::npy::parse_header(&data);
            let loader = Unpickler::new()
                .policy(presets::numpy())
                .limits(Limits::default().max_result_bytes(64 << 20));
            if let Ok(a) = unpickle::npy::load(&data, &loader) {
                let _ = format!("{a:?}");
            }
        }
        let took = start.elapsed();
        if took > per_file {
            failures.push(format!("{}: took {took:?}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The minimised corpus of every fuzz target.
#[test]
fn minimised_fuzz_corpus() {
    replay(
        &root().join("tests/data/fuzz"),
        500,
        Duration::from_secs(10),
    );
}

/// Every crash, timeout and disagreement the fuzzers found (each also has a regression
/// test with its exact expected outcome in `tests/hostile.rs`; see fuzz/README.md).
#[test]
fn fuzz_regressions() {
    replay(&root().join("fuzz/regressions"), 5, Duration::from_secs(10));
}
