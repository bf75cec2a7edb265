//! What each fuzz target checks, shared by the targets (`fuzz/fuzz_targets/`) and by
//! `tests/fuzz_corpus.rs`, which includes this file to replay the committed corpus through
//! exactly these checks: the loaders the targets use, a reader that delivers its bytes in
//! tiny chunks, a policy that records every question it is asked, error-kind comparison,
//! and one function per target that takes the target's raw input (configuration bytes
//! included). Every check panics when it fails. Needs only `unpickle`.

#![allow(dead_code)] // the test includes it whole and uses what it replays

use std::io::{self, BufReader, Read};
use std::mem::discriminant;
use std::sync::{Arc, Mutex};

use unpickle::decode::Decoder;
use unpickle::policy::ExtensionRegistry;
use unpickle::{presets, Allowlist, Decision, ErrorKind, Limits, Policy, Unpickler, Value};

/// The limits every target uses: the defaults, except a result budget small enough that
/// libFuzzer's RSS limit (2 GiB) catches any memory the budgets fail to bound, and that a
/// load which legitimately fills the budget stays well within `-timeout=10` under
/// coverage instrumentation (a 256 MiB budget took ~8 s for four loads of one input).
pub fn limits() -> Limits {
    Limits::default().max_result_bytes(64 << 20)
}

/// Tiny limits, so that every budget is actually reached by short inputs.
pub fn tiny_limits() -> Limits {
    Limits::default()
        .max_depth(8)
        .max_result_bytes(64 << 10)
        .max_item_len(300)
        .max_memo(16)
        .max_marks(8)
        .max_digits(20)
        .max_frame(256)
}

/// An extension registry that maps codes of every width to allowed and refused names.
pub fn registry() -> ExtensionRegistry {
    ExtensionRegistry::new()
        .add(1, "os", "system")
        .add(2, "builtins", "set")
        .add(0x1234, "builtins", "frozenset")
        .add(0x0012_3456, "_codecs", "encode")
        .add(0x7fff_ffff, "builtins", "eval")
}

/// A persistent loader that hands the id back wrapped in a tuple, or fails for `'x'`.
pub fn persistent(pid: Value) -> Result<Value, String> {
    if pid.as_str() == Some("x") {
        return Err("no such object".to_owned());
    }
    Ok(Value::tuple([Value::from("persistent"), pid]))
}

/// A loader with `policy`, `limits` and both hooks.
pub fn loader(policy: impl Policy + 'static, limits: Limits) -> Unpickler {
    Unpickler::new()
        .policy(policy)
        .limits(limits)
        .extensions(registry())
        .persistent_load(persistent)
}

/// Renders a value (exercising `Display` on everything that loads).
pub fn render(v: &Value) -> String {
    v.to_string()
}

/// Whether two error kinds are the same kind (limits: the same limit; refusals: the same
/// name).
pub fn same_kind(a: &ErrorKind, b: &ErrorKind) -> bool {
    match (a, b) {
        (ErrorKind::Limit { limit: x, .. }, ErrorKind::Limit { limit: y, .. }) => x == y,
        (
            ErrorKind::Refused {
                module: m1,
                name: n1,
            },
            ErrorKind::Refused {
                module: m2,
                name: n2,
            },
        ) => m1 == m2 && n1 == n2,
        _ => discriminant(a) == discriminant(b),
    }
}

/// A reader that hands out its data in chunks of 1 to 8 bytes (sizes taken from
/// `sizes`), and reports `Interrupted` when the size byte is 0xff (never twice in a row).
pub struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    step: usize,
    interrupted: bool,
    /// Bytes handed out so far.
    pub consumed: usize,
}

impl<'a> Chunked<'a> {
    /// Delivers `data` in chunks chosen by `sizes` (cycled; 1 byte at a time if empty).
    pub fn new(data: &'a [u8], sizes: &'a [u8]) -> Self {
        Chunked {
            data,
            sizes,
            step: 0,
            interrupted: false,
            consumed: 0,
        }
    }
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = if self.sizes.is_empty() {
            1
        } else {
            self.sizes[self.step % self.sizes.len()]
        };
        self.step += 1;
        if size == 0xff && !self.interrupted {
            self.interrupted = true;
            return Err(io::ErrorKind::Interrupted.into());
        }
        self.interrupted = false;
        let rest = &self.data[self.consumed..];
        let n = (usize::from(size % 8) + 1).min(buf.len()).min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.consumed += n;
        Ok(n)
    }
}

/// Loads `data` through both paths and checks that they agree: the reader path reads one
/// pickle and stops after its STOP; the slice path must give the same value for exactly
/// those bytes, and an error of the same kind when the reader path fails.
pub fn check_reader_agrees(loader: &Unpickler, data: &[u8], sizes: &[u8]) {
    // Read whole first (the default), streamed from the first byte, and streamed after a
    // short prefix read ahead (the hand-over between the two).
    let prefix = usize::from(sizes.get(1).copied().unwrap_or(0));
    for l in [
        loader.clone(),
        loader.clone().read_ahead(0),
        loader.clone().read_ahead(prefix + 1),
    ] {
        reader_agrees(&l, data, sizes);
    }
}

fn reader_agrees(loader: &Unpickler, data: &[u8], sizes: &[u8]) {
    // A small buffer whose size also comes from the input, over the chunked source.
    let capacity = usize::from(sizes.first().copied().unwrap_or(0) % 16) + 1;
    let mut reader = io::BufReader::with_capacity(capacity, Chunked::new(data, sizes));
    let from_reader = loader.load_reader(&mut reader);
    match from_reader {
        Ok(v) => {
            // Handed out by the source, less what the buffer still holds.
            let consumed = reader.get_ref().consumed - reader.buffer().len();
            let from_slice = loader.load_slice(&data[..consumed]);
            match from_slice {
                Ok(w) => assert_eq!(render(&v), render(&w), "reader and slice values differ"),
                Err(e) => panic!("reader loaded {v} from {consumed} bytes; slice failed: {e}"),
            }
        }
        Err(e) => {
            let from_slice = loader.load_slice(data);
            match from_slice {
                Ok(w) => panic!("reader failed ({e}), slice loaded {w}"),
                Err(f) => assert!(
                    same_kind(e.kind(), f.kind()),
                    "reader error {e:?} and slice error {f:?} are of different kinds"
                ),
            }
        }
    }
}

/// A policy that records every `(module, name)` it is asked about, then asks `inner`.
pub struct Recorder {
    inner: Allowlist,
    /// The questions, in order.
    pub calls: Mutex<Vec<(String, String)>>,
}

impl Recorder {
    /// Records and delegates to `inner`.
    pub fn new(inner: Allowlist) -> Arc<Recorder> {
        Arc::new(Recorder {
            inner,
            calls: Mutex::new(Vec::new()),
        })
    }

    /// The questions so far.
    pub fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Policy for Recorder {
    fn find_class(&self, module: &str, name: &str) -> Decision {
        if let Ok(mut c) = self.calls.lock() {
            c.push((module.to_owned(), name.to_owned()));
        }
        self.inner.find_class(module, name)
    }
}

/// Checks that every global a load asks the policy about is in `scan`'s report of the
/// first pickle, in the same order, and that nothing else is there unless the load
/// stopped at a refusal (scan keeps refused globals inert and goes on).
pub fn check_scan_covers_load(policy: Allowlist, data: &[u8], limits: Limits) {
    let rec = Recorder::new(policy.clone());
    // Scan recognises a `.npy` file by its bytes: compare with loading it as one.
    let with_rec = loader(rec.clone(), limits.clone());
    let load = if data.starts_with(unpickle::npy::MAGIC) {
        unpickle::npy::load(data, &with_rec).map(|_| ())
    } else {
        with_rec.load_slice(data).map(|_| ())
    };
    let asked = rec.calls();
    let reports = unpickle::scan::scan(data, &loader(policy, limits));
    let scanned: Vec<(String, String)> = reports
        .first()
        .map(|r| {
            r.globals
                .iter()
                .map(|g| (g.global.module.clone(), g.global.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        scanned.len() >= asked.len() && scanned[..asked.len()] == asked[..],
        "load asked {asked:?}, scan reported {scanned:?}"
    );
    // Scan goes on past a refusal and past a persistent id a load cannot resolve.
    let refused = matches!(&load, Err(e) if matches!(e.kind(), ErrorKind::Refused { .. })
        || matches!(e.opcode(), Some(unpickle::Opcode::PersId | unpickle::Opcode::BinPersId)));
    if !refused {
        assert_eq!(
            asked, scanned,
            "load ({load:?}) asked other globals than scan reported"
        );
    }
}

/// The policy and limits a program's `config` selects.
pub fn config(c: u8) -> (Allowlist, Limits) {
    match c % 4 {
        0 => (presets::strict(), limits()),
        1 => (presets::opaque(), limits()),
        2 => (presets::strict(), tiny_limits()),
        _ => (presets::opaque(), tiny_limits()),
    }
}

/// The `decode` target: raw bytes through the decoder alone, under the default limits and
/// under tiny ones; offsets only move forward and stay within the input.
pub fn decode_target(data: &[u8]) {
    for l in [limits(), tiny_limits()] {
        let mut dec = Decoder::from_slice(data, l);
        let mut last = 0;
        while let Ok(Some(d)) = dec.next_instruction() {
            let _ = d.instruction.clone().into_owned();
            assert!(d.offset >= last, "offset {} after {last}", d.offset);
            last = d.offset + 1;
            assert!(
                dec.position() >= last,
                "position {} before {last}",
                dec.position()
            );
            assert!(
                dec.position() <= data.len() as u64,
                "position past the input"
            );
        }
    }
}

/// The `dis` target: the listing from a slice and from a reader fed in tiny chunks (with
/// an `Interrupted` error) is the same text with the same outcome.
pub fn dis_target(data: &[u8]) {
    let mut from_slice = Vec::new();
    let a = unpickle::dis::dis(data, &mut from_slice);
    let mut from_reader = Vec::new();
    let reader = BufReader::with_capacity(3, Chunked::new(data, &[2, 0, 5, 0xff, 1]));
    let b = unpickle::dis::dis_reader(reader, &mut from_reader);
    assert_eq!(
        String::from_utf8_lossy(&from_slice),
        String::from_utf8_lossy(&from_reader),
        "listings differ"
    );
    match (a, b) {
        (Ok(()), Ok(())) => {}
        (Err(x), Err(y)) => assert!(same_kind(x.kind(), y.kind()), "{x:?} vs {y:?}"),
        (x, y) => panic!("slice {x:?}, reader {y:?}"),
    }
}

/// The `npy` target: `.npy` header parsing and array loading (object arrays through the
/// numpy preset) never panic and stay within the budgets.
pub fn npy_target(data: &[u8]) {
    let _ = unpickle::npy::parse_header(data);
    let loader = Unpickler::new().policy(presets::numpy()).limits(limits());
    if let Ok(array) = unpickle::npy::load(data, &loader) {
        let _ = format!("{array:?}");
    }
}

/// The `torch` target: bytes → `torch::from_reader` (zip and legacy containers, the
/// `torch` preset, storages and tensor checks) never panic and stay within the budgets;
/// whatever loads can be printed, decoded, written out contiguously (exactly `nbytes()`
/// bytes) and converted to safetensors (a converted file is never shorter than its
/// header); the bare-`data.pkl` path and the checkpoint scan never panic either.
pub fn torch_target(data: &[u8]) {
    use unpickle::{convert, torch};
    let loader = torch::Loader::new().limits(limits()).max_entries(4096);
    let _ = torch::detect(data);
    if let Ok(ckpt) = loader.from_reader(std::io::Cursor::new(data)) {
        let _ = ckpt.value().to_string();
        for (_, t) in ckpt.tensors() {
            let _ = t.to_f64_vec();
            let mut out = Vec::new();
            let _ = t.write_contiguous(&mut out);
            assert!(out.is_empty() || out.len() == t.nbytes());
        }
        let mut out = Vec::new();
        if convert::write(&ckpt, &mut out, &convert::Options::new()).is_ok() {
            assert!(
                out.len() >= 8,
                "a converted file has at least its header length"
            );
        }
    }
    let _ = loader.load_data_pkl(data);
    let _ = loader.scan(data);
}

/// The `load_strict` target: raw bytes under `strict` (plain, and with both hooks and
/// out-of-band buffers); whatever loads is printed.
pub fn load_strict_target(data: &[u8]) {
    if let Ok(v) = Unpickler::new().limits(limits()).load_slice(data) {
        render(&v);
    }
    let l = loader(presets::strict(), limits());
    if let Ok(v) = l.load_slice_with_buffers(data, vec![b"buf".to_vec(), Vec::new()]) {
        render(&v);
    }
}

/// The `load_opaque` target: raw bytes under `opaque`; whatever loads is printed.
pub fn load_opaque_target(data: &[u8]) {
    let l = loader(presets::opaque(), limits());
    if let Ok(v) = l.load_slice(data) {
        render(&v);
    }
}

/// The `reader_vs_slice` target: the first byte picks the policy and limits, the next 8
/// the chunk sizes, the rest is the pickle.
pub fn reader_vs_slice_target(data: &[u8]) {
    let Some((&cfg, rest)) = data.split_first() else {
        return;
    };
    let (sizes, pickle) = rest.split_at(rest.len().min(8));
    let (policy, limits) = config(cfg);
    check_reader_agrees(&loader(policy, limits), pickle, sizes);
}

/// The `scan_vs_load` target: the first byte picks the policy and limits, the rest is the
/// pickle.
pub fn scan_vs_load_target(data: &[u8]) {
    let Some((&cfg, pickle)) = data.split_first() else {
        return;
    };
    let (policy, limits) = config(cfg);
    check_scan_covers_load(policy, pickle, limits);
}

/// The `structured` target's checks on an assembled pickle under configuration `cfg`:
/// loaded with buffers and printed, reader/slice agreement, scan coverage.
pub fn structured_checks(data: &[u8], cfg: u8) {
    let (policy, limits) = config(cfg);
    let l = loader(policy.clone(), limits.clone());
    if let Ok(v) = l.load_slice_with_buffers(data, vec![b"buf".to_vec(), Vec::new()]) {
        render(&v);
    }
    check_reader_agrees(&l, data, &[3, 0, 7, 1]);
    check_scan_covers_load(policy, data, limits);
}

/// The `write` target: the first byte picks the protocol (0–5) and the policy (`strict`,
/// or `opaque` with inert nodes written back), the rest is the pickle. Whatever loads is
/// written, and the pickle written must load back (same policy and limits) and write
/// again; under `strict` it must write the same bytes again (a fixed point) and load to
/// an equal value where no NaN makes equality moot. The writer may refuse only what it documents: a value it cannot write
/// (`Unsupported`), an inert global under `strict` (`Refused`), and an item length, memo size or digit count that the written form
/// needs beyond the limits (escapes at protocol 0, one memo entry per object, decimal
/// digits below protocol 2).
pub fn write_target(data: &[u8]) {
    use unpickle::write::{Options, Protocol};
    use unpickle::Limit;
    let Some((&cfg, pickle)) = data.split_first() else {
        return;
    };
    let protocol = Protocol::new(cfg % 6).unwrap_or_default();
    let opaque = (cfg / 6) % 2 == 1;
    let load = |bytes: &[u8]| {
        if opaque {
            loader(presets::opaque(), limits()).load_slice(bytes)
        } else {
            loader(presets::strict(), limits()).load_slice(bytes)
        }
    };
    let Ok(v1) = load(pickle) else {
        return;
    };
    let opts = Options::new(protocol).limits(limits()).inert(opaque);
    let w1 = match opts.to_vec(&v1) {
        Ok(w) => w,
        Err(e) => {
            let documented = match e.kind() {
                ErrorKind::Unsupported(_) => true,
                // A bare global the policy allows as a constructor but the pickle never
                // called stays an inert global: refused unless inert nodes are asked for.
                ErrorKind::Refused { .. } => !opaque,
                ErrorKind::Limit { limit, .. } => {
                    matches!(limit, Limit::ItemLen | Limit::Memo | Limit::Digits)
                }
                _ => false,
            };
            assert!(documented, "writing {} failed: {e}", render(&v1));
            return;
        }
    };
    let v2 = load(&w1).unwrap_or_else(|e| panic!("written pickle does not load: {e}"));
    let w2 = opts.to_vec(&v2).expect("a reloaded value writes");
    if opaque {
        // The globals the writer adds for data (`_codecs.encode` for bytes below
        // protocol 3, `builtins.set` below 4, `builtins.complex` …) load back as inert
        // calls under `opaque`: no equality to expect, only that it all loads and writes.
        return;
    }
    assert!(w1 == w2, "write/load/write is not a fixed point");
    let shown = render(&v1);
    if !shown.contains("nan") {
        assert!(
            v1 == v2,
            "reloaded value differs: {shown} / {}",
            render(&v2)
        );
    }
}
