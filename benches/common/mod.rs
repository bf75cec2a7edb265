//! Shared by the criterion benches (`load.rs`) and the timing binary (`timing.rs`): where the
//! corpus lives, which files it has, and the loaders under test.
//!
//! Every loader uses the public API exactly as an application would: one `Unpickler` with
//! the strict policy and default limits, built once and reused.
#![allow(dead_code)]

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// The corpus files, in table order. `make_corpus.py` writes them.
pub const FILES: &[&str] = &[
    "records_p2",
    "records_p4",
    "ints_p2",
    "ints_p4",
    "floats_p2",
    "floats_p4",
    "strings_p2",
    "strings_p4",
    "blobs_p2",
    "blobs_p4",
    "blobs_bytearray_p5",
    "nested_p2",
    "nested_p4",
    "messages_p2",
    "messages_p4",
    "bigints_p2",
    "bigints_p4",
    "sets_p2",
    "sets_p4",
];

/// `$UNPICKLE_CORPUS`, or `benches/corpus` in this crate.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("UNPICKLE_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/corpus"),
    }
}

/// The hint printed when the corpus is missing.
pub fn missing_hint(dir: &Path) -> String {
    format!(
        "no benchmark corpus in {}: run `python3 benches/make_corpus.py` first \
         (or `python3 benches/compare.py`, which builds it); skipping",
        dir.display()
    )
}

/// One corpus file in memory: its bytes and, for a stream of pickles, where each ends.
pub struct Corpus {
    pub name: String,
    pub path: PathBuf,
    pub data: Vec<u8>,
    /// `(start, end)` of every pickle; one entry for a single pickle.
    pub spans: Vec<(usize, usize)>,
}

impl Corpus {
    /// Reads `NAME.pkl` (and `NAME.idx` for a stream) from `dir`; `None` if absent.
    pub fn open(dir: &Path, name: &str) -> Option<Corpus> {
        let path = dir.join(format!("{name}.pkl"));
        let data = std::fs::read(&path).ok()?;
        let spans = match std::fs::read(dir.join(format!("{name}.idx"))) {
            Ok(idx) => {
                let mut spans = Vec::with_capacity(idx.len() / 4);
                let mut start = 0usize;
                for len in idx.chunks_exact(4) {
                    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                    spans.push((start, start + len));
                    start += len;
                }
                assert_eq!(start, data.len(), "{name}.idx does not match {name}.pkl");
                spans
            }
            Err(_) => vec![(0, data.len())],
        };
        Some(Corpus {
            name: name.to_string(),
            path,
            data,
            spans,
        })
    }

    pub fn is_stream(&self) -> bool {
        self.spans.len() > 1
    }

    fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.spans.iter().map(|&(a, b)| &self.data[a..b])
    }
}

/// The loader used by every bench: strict policy, default limits.
///
/// If a corpus ever exceeds a default limit, raise that one limit here, explicitly, and
/// say so in benches/README.md.
pub fn unpickler() -> unpickle::Unpickler {
    unpickle::Unpickler::new()
}

/// What a load produced: one value, or nothing for a stream (each message is dropped as
/// soon as it is loaded, as a consumer would).
pub enum Loaded<T> {
    One(T),
    Stream(usize),
}

/// `Unpickler::load_slice` on each pickle.
pub fn unpickle_slice(
    u: &unpickle::Unpickler,
    c: &Corpus,
) -> Result<Loaded<unpickle::Value>, String> {
    if !c.is_stream() {
        return u
            .load_slice(&c.data)
            .map(Loaded::One)
            .map_err(|e| e.to_string());
    }
    let mut n = 0;
    for p in c.pieces() {
        let v = u.load_slice(p).map_err(|e| e.to_string())?;
        std::hint::black_box(&v);
        n += 1;
    }
    Ok(Loaded::Stream(n))
}

/// `unpickle::from_slice` on each pickle: a fresh `Unpickler` (and strict allowlist) per
/// call, to show what the convenience function costs per message.
pub fn unpickle_from_slice(c: &Corpus) -> Result<Loaded<unpickle::Value>, String> {
    if !c.is_stream() {
        return unpickle::from_slice(&c.data)
            .map(Loaded::One)
            .map_err(|e| e.to_string());
    }
    let mut n = 0;
    for p in c.pieces() {
        let v = unpickle::from_slice(p).map_err(|e| e.to_string())?;
        std::hint::black_box(&v);
        n += 1;
    }
    Ok(Loaded::Stream(n))
}

/// `Unpickler::load_reader` through one `BufReader<File>`, once per pickle in the file.
/// Opening the file is part of the measurement (it is a few microseconds).
pub fn unpickle_reader(
    u: &unpickle::Unpickler,
    c: &Corpus,
) -> Result<Loaded<unpickle::Value>, String> {
    let file = File::open(&c.path).map_err(|e| e.to_string())?;
    let mut r = BufReader::new(file);
    if !c.is_stream() {
        return u
            .load_reader(&mut r)
            .map(Loaded::One)
            .map_err(|e| e.to_string());
    }
    for _ in 0..c.spans.len() {
        let v = u.load_reader(&mut r).map_err(|e| e.to_string())?;
        std::hint::black_box(&v);
    }
    Ok(Loaded::Stream(c.spans.len()))
}

/// serde-pickle's `value_from_slice` on each pickle.
pub fn serde_pickle_slice(c: &Corpus) -> Result<Loaded<serde_pickle::Value>, String> {
    let opts = || serde_pickle::DeOptions::new();
    if !c.is_stream() {
        return serde_pickle::value_from_slice(&c.data, opts())
            .map(Loaded::One)
            .map_err(|e| e.to_string());
    }
    let mut n = 0;
    for p in c.pieces() {
        let v = serde_pickle::value_from_slice(p, opts()).map_err(|e| e.to_string())?;
        std::hint::black_box(&v);
        n += 1;
    }
    Ok(Loaded::Stream(n))
}

/// `pickle.dumps({'a': [1, 2.5, None]}, protocol=2)`.
const TINY: &[u8] =
    b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00Nes.";

/// A tiny corpus written to a temporary folder: one pickle, and a stream of three with
/// its index. For `cargo test --benches`, which should check the bench code, not time it.
/// The caller removes the folder (the first value) when done.
pub fn tiny_corpus() -> std::io::Result<(PathBuf, Vec<Corpus>)> {
    let dir = std::env::temp_dir().join(format!("unpickle-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("tiny.pkl"), TINY)?;
    std::fs::write(dir.join("tiny_stream.pkl"), TINY.repeat(3))?;
    std::fs::write(
        dir.join("tiny_stream.idx"),
        (TINY.len() as u32).to_le_bytes().repeat(3),
    )?;
    let corpora = ["tiny", "tiny_stream"]
        .iter()
        .filter_map(|n| Corpus::open(&dir, n))
        .collect();
    Ok((dir, corpora))
}
