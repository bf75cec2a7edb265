//! Helpers shared by the fuzz targets: the loaders they use, a reader that delivers its
//! bytes in tiny chunks, a policy that records every question it is asked, error-kind
//! comparison, and the opcode-level program that the `structured` target assembles.

use std::io::{self, Read};
use std::mem::discriminant;
use std::sync::{Arc, Mutex};

use arbitrary::Arbitrary;
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

/// Globals the structured programs name.
pub const NAMES: &[(&str, &str)] = &[
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("builtins", "bytes"),
    ("_codecs", "encode"),
    ("__builtin__", "set"),
    ("copy_reg", "_reconstructor"),
    ("os", "system"),
    ("mymod", "Point"),
];

/// Strings the structured programs use.
pub const STRINGS: &[&str] = &[
    "latin1",
    "latin-1",
    "builtins",
    "set",
    "frozenset",
    "os",
    "system",
    "",
    "a",
    "\u{e9}",
    "\u{1F600}",
    "__builtin__",
    "x",
];

/// One step of a structured program.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    Mark,
    Stop,
    Pop,
    PopMark,
    Dup,
    None,
    NewTrue,
    NewFalse,
    IntText(i64),
    BoolText(bool),
    BinInt(i32),
    BinInt1(u8),
    BinInt2(u16),
    LongText(i64),
    Long1(Vec<u8>),
    Long4(Vec<u8>),
    FloatText(f64),
    BinFloat(f64),
    StringText(u8),
    ShortBinString(u8),
    BinString(u8),
    UnicodeText(u8),
    ShortBinUnicode(u8),
    BinUnicode(u8),
    BinUnicode8(u8),
    ShortBinBytes(Vec<u8>),
    BinBytes(Vec<u8>),
    BinBytes8(Vec<u8>),
    ByteArray8(Vec<u8>),
    EmptyList,
    EmptyDict,
    EmptySet,
    EmptyTuple,
    List,
    Tuple,
    Tuple1,
    Tuple2,
    Tuple3,
    Dict,
    FrozenSet,
    Append,
    Appends,
    SetItem,
    SetItems,
    AddItems,
    Get(u8),
    BinGet(u8),
    LongBinGet(u32),
    Put(u8),
    BinPut(u8),
    LongBinPut(u32),
    Memoize,
    Global(u8),
    StackGlobal,
    Inst(u8),
    Obj,
    Reduce,
    Build,
    NewObj,
    NewObjEx,
    Ext1(u8),
    Ext2(u16),
    Ext4(i32),
    PersId(u8),
    BinPersId,
    NextBuffer,
    ReadonlyBuffer,
    Proto(u8),
    /// A FRAME covering the next `n` steps exactly.
    Frame(u8),
    /// The previous step again, `n` more times (deep nesting, floods, memo bombs).
    Repeat(u16),
    /// Arbitrary bytes.
    Raw(Vec<u8>),
}

/// A structured program: a protocol, steps, and which loader configuration to use.
#[derive(Arbitrary, Debug, Clone)]
pub struct Program {
    pub proto: Option<u8>,
    pub ops: Vec<Op>,
    pub config: u8,
}

fn pick<T>(items: &[T], i: u8) -> &T {
    &items[usize::from(i) % items.len()]
}

fn encode(op: &Op, out: &mut Vec<u8>) {
    let s = |i: u8| pick(STRINGS, i).as_bytes();
    match op {
        Op::Mark => out.push(b'('),
        Op::Stop => out.push(b'.'),
        Op::Pop => out.push(b'0'),
        Op::PopMark => out.push(b'1'),
        Op::Dup => out.push(b'2'),
        Op::None => out.push(b'N'),
        Op::NewTrue => out.push(0x88),
        Op::NewFalse => out.push(0x89),
        Op::IntText(i) => out.extend_from_slice(format!("I{i}\n").as_bytes()),
        Op::BoolText(b) => out.extend_from_slice(if *b { b"I01\n" } else { b"I00\n" }),
        Op::BinInt(i) => {
            out.push(b'J');
            out.extend_from_slice(&i.to_le_bytes());
        }
        Op::BinInt1(i) => out.extend_from_slice(&[b'K', *i]),
        Op::BinInt2(i) => {
            out.push(b'M');
            out.extend_from_slice(&i.to_le_bytes());
        }
        Op::LongText(i) => out.extend_from_slice(format!("L{i}L\n").as_bytes()),
        Op::Long1(b) => {
            let b = &b[..b.len().min(255)];
            out.extend_from_slice(&[0x8a, b.len() as u8]);
            out.extend_from_slice(b);
        }
        Op::Long4(b) => {
            out.push(0x8b);
            out.extend_from_slice(&(b.len() as i32).to_le_bytes());
            out.extend_from_slice(b);
        }
        Op::FloatText(f) => out.extend_from_slice(format!("F{f:?}\n").as_bytes()),
        Op::BinFloat(f) => {
            out.push(b'G');
            out.extend_from_slice(&f.to_be_bytes());
        }
        Op::StringText(i) => {
            out.extend_from_slice(b"S'");
            for &c in s(*i) {
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' {
                    out.push(c);
                } else {
                    out.extend_from_slice(format!("\\x{c:02x}").as_bytes());
                }
            }
            out.extend_from_slice(b"'\n");
        }
        Op::ShortBinString(i) => {
            out.extend_from_slice(&[b'U', s(*i).len() as u8]);
            out.extend_from_slice(s(*i));
        }
        Op::BinString(i) => {
            out.push(b'T');
            out.extend_from_slice(&(s(*i).len() as i32).to_le_bytes());
            out.extend_from_slice(s(*i));
        }
        Op::UnicodeText(i) => {
            out.push(b'V');
            for c in pick(STRINGS, *i).chars() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    out.push(c as u8);
                } else if (c as u32) < 0x10000 {
                    out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
                } else {
                    out.extend_from_slice(format!("\\U{:08x}", c as u32).as_bytes());
                }
            }
            out.push(b'\n');
        }
        Op::ShortBinUnicode(i) => {
            out.extend_from_slice(&[0x8c, s(*i).len() as u8]);
            out.extend_from_slice(s(*i));
        }
        Op::BinUnicode(i) => {
            out.push(b'X');
            out.extend_from_slice(&(s(*i).len() as u32).to_le_bytes());
            out.extend_from_slice(s(*i));
        }
        Op::BinUnicode8(i) => {
            out.push(0x8d);
            out.extend_from_slice(&(s(*i).len() as u64).to_le_bytes());
            out.extend_from_slice(s(*i));
        }
        Op::ShortBinBytes(b) => {
            let b = &b[..b.len().min(255)];
            out.extend_from_slice(&[b'C', b.len() as u8]);
            out.extend_from_slice(b);
        }
        Op::BinBytes(b) => {
            out.push(b'B');
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        Op::BinBytes8(b) => {
            out.push(0x8e);
            out.extend_from_slice(&(b.len() as u64).to_le_bytes());
            out.extend_from_slice(b);
        }
        Op::ByteArray8(b) => {
            out.push(0x96);
            out.extend_from_slice(&(b.len() as u64).to_le_bytes());
            out.extend_from_slice(b);
        }
        Op::EmptyList => out.push(b']'),
        Op::EmptyDict => out.push(b'}'),
        Op::EmptySet => out.push(0x8f),
        Op::EmptyTuple => out.push(b')'),
        Op::List => out.push(b'l'),
        Op::Tuple => out.push(b't'),
        Op::Tuple1 => out.push(0x85),
        Op::Tuple2 => out.push(0x86),
        Op::Tuple3 => out.push(0x87),
        Op::Dict => out.push(b'd'),
        Op::FrozenSet => out.push(0x91),
        Op::Append => out.push(b'a'),
        Op::Appends => out.push(b'e'),
        Op::SetItem => out.push(b's'),
        Op::SetItems => out.push(b'u'),
        Op::AddItems => out.push(0x90),
        Op::Get(i) => out.extend_from_slice(format!("g{i}\n").as_bytes()),
        Op::BinGet(i) => out.extend_from_slice(&[b'h', *i]),
        Op::LongBinGet(i) => {
            out.push(b'j');
            out.extend_from_slice(&i.to_le_bytes());
        }
        Op::Put(i) => out.extend_from_slice(format!("p{i}\n").as_bytes()),
        Op::BinPut(i) => out.extend_from_slice(&[b'q', *i]),
        Op::LongBinPut(i) => {
            out.push(b'r');
            out.extend_from_slice(&i.to_le_bytes());
        }
        Op::Memoize => out.push(0x94),
        Op::Global(i) | Op::Inst(i) => {
            let (m, n) = pick(NAMES, *i);
            out.push(if matches!(op, Op::Global(_)) {
                b'c'
            } else {
                b'i'
            });
            out.extend_from_slice(format!("{m}\n{n}\n").as_bytes());
        }
        Op::StackGlobal => out.push(0x93),
        Op::Obj => out.push(b'o'),
        Op::Reduce => out.push(b'R'),
        Op::Build => out.push(b'b'),
        Op::NewObj => out.push(0x81),
        Op::NewObjEx => out.push(0x92),
        Op::Ext1(c) => out.extend_from_slice(&[0x82, *c]),
        Op::Ext2(c) => {
            out.push(0x83);
            out.extend_from_slice(&c.to_le_bytes());
        }
        Op::Ext4(c) => {
            out.push(0x84);
            out.extend_from_slice(&c.to_le_bytes());
        }
        Op::PersId(i) => {
            out.push(b'P');
            out.extend(s(*i).iter().filter(|&&c| c != b'\n'));
            out.push(b'\n');
        }
        Op::BinPersId => out.push(b'Q'),
        Op::NextBuffer => out.push(0x97),
        Op::ReadonlyBuffer => out.push(0x98),
        Op::Proto(p) => out.extend_from_slice(&[0x80, *p % 8]),
        Op::Frame(_) | Op::Repeat(_) => {}
        Op::Raw(b) => out.extend_from_slice(&b[..b.len().min(64)]),
    }
}

/// Assembles a program into pickle bytes (STOP appended).
pub fn assemble(p: &Program) -> Vec<u8> {
    // Encode every step first, so FRAME can measure the steps it covers.
    let mut pieces: Vec<Vec<u8>> = Vec::with_capacity(p.ops.len());
    let mut last: Vec<u8> = Vec::new();
    for op in &p.ops {
        let mut piece = Vec::new();
        match op {
            Op::Repeat(n) => {
                let n = usize::from(*n % 4096);
                if last.len() * n <= 1 << 20 {
                    for _ in 0..n {
                        piece.extend_from_slice(&last);
                    }
                }
            }
            _ => {
                encode(op, &mut piece);
                last = piece.clone();
            }
        }
        pieces.push(piece);
    }
    let mut out = Vec::new();
    if let Some(proto) = p.proto {
        out.extend_from_slice(&[0x80, proto % 6]);
    }
    for (i, op) in p.ops.iter().enumerate() {
        if let Op::Frame(n) = op {
            let len: usize = pieces[i + 1..]
                .iter()
                .take(usize::from(*n))
                .map(Vec::len)
                .sum();
            out.push(0x95);
            out.extend_from_slice(&(len as u64).to_le_bytes());
        } else {
            out.extend_from_slice(&pieces[i]);
        }
    }
    out.push(b'.');
    out
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
