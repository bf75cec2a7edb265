//! Helpers shared by the fuzz targets: what each target checks (`checks.rs`, which
//! `tests/fuzz_corpus.rs` includes to replay the corpus exactly as the targets run it), and
//! the opcode-level program that the `structured` target assembles.

use arbitrary::Arbitrary;

mod checks;
pub use checks::*;

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

