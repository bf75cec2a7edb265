//! Writing pickles: a [`Value`] back into the bytes CPython's pickler would write.
//!
//! ```
//! use unpickle::write::{to_vec, Protocol};
//! use unpickle::Value;
//!
//! let v = Value::list([Value::from(1), Value::from("a"), Value::None]);
//! // pickle.dumps([1, 'a', None], protocol=2)
//! assert_eq!(
//!     to_vec(&v, Protocol::V2).unwrap(),
//!     b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01Ne.",
//! );
//! ```
//!
//! # What CPython would write
//!
//! For built-in data (None, bool, int, float, complex, str, bytes, bytearray, tuple, list,
//! dict, set, frozenset) the output is byte for byte what CPython 3.11's
//! `pickle.dumps(obj, protocol=p)` writes for the equivalent object, at every protocol
//! 0–5: the same opcodes (BININT1/BININT2/BININT, LONG1/LONG4 or text LONG below
//! protocol 2, BINFLOAT, SHORT_BINUNICODE/BINUNICODE/BINUNICODE8, SHORT_BINBYTES/
//! BINBYTES/BINBYTES8, `_codecs.encode(text, 'latin1')` for bytes below protocol 3,
//! `builtins.set`/`frozenset` reduces below protocol 4, TUPLE1/2/3, APPENDS, SETITEMS and
//! ADDITEMS in batches of 1000, the text forms of protocol 0), the same memo numbering
//! (PUT, BINPUT, LONG_BINPUT or MEMOIZE) and the same FRAMEs from protocol 4 on.
//!
//! Where the bytes can differ, CPython still loads an equal object:
//! - **Identity.** CPython writes a second reference to the same object as a GET. A
//!   `Value` shares only strings (see the memo rules below): two references to one list
//!   in Python are two equal lists in a `Value` (the loader copies shared containers), so
//!   they are written twice.
//! - **Set order.** CPython writes a set's elements in hash-table order; a [`Set`] keeps
//!   the order it was built in. A set loaded from a pickle is written in the order it was
//!   read, so a round trip is byte-identical; a set built in Rust is written in insertion
//!   order.
//!
//! Memo rules: a `str` is the same object as another when both are one
//! [`ArcStr`](crate::value::ArcStr) allocation (the loader reads a memoized string back as
//! one allocation); the empty string, one-character strings below U+0100 and the empty
//! `bytes` are one object each, as they are singletons in CPython. Every other value is
//! its own object.
//!
//! # Limits
//!
//! The writer refuses what the loader would refuse under the same [`Limits`] (by default
//! [`Limits::default`]): a value nested deeper than `max_depth`, larger than
//! `max_result_bytes`, with an int wider than `max_int_bits`, a string or bytes longer
//! than `max_item_len`, more memo entries than `max_memo`, or (protocols 0 and 1, which
//! write big ints in decimal) more than `max_digits` digits. The walk uses an explicit
//! stack, so no value can make it recurse.
//!
//! # Globals
//!
//! The writer emits only the globals that rebuild the data types it writes
//! (`builtins.complex`, `_codecs.encode`, …, and for typed values the classes they
//! are). An inert [`Value::Global`] or [`Value::Object`] (what a policy kept instead of
//! running) names code: it is written only when [`Options::inert`] is set, and is
//! otherwise refused with an error of kind [`ErrorKind::Refused`](crate::ErrorKind::Refused)
//! naming the global, so a writer never emits a code reference by accident.

mod memo;
mod op;
mod out;
mod plain;
mod typed;

use std::io::Write;

use crate::error::{Error, Result};
use crate::limits::{Limit, Limits};
use crate::value::{Set, Value};

use self::memo::Memo;
use self::out::Out;
use self::plain::Pickler;

/// A pickle protocol version, 0 to 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// Protocol 0: text opcodes.
    V0,
    /// Protocol 1: binary opcodes.
    V1,
    /// Protocol 2 (Python 2.3): PROTO, NEWOBJ, TUPLE1–3, LONG1.
    V2,
    /// Protocol 3 (Python 3.0): bytes opcodes.
    V3,
    /// Protocol 4 (Python 3.4): framing, MEMOIZE, sets; CPython's default.
    V4,
    /// Protocol 5 (Python 3.8): BYTEARRAY8.
    V5,
}

impl Protocol {
    /// CPython's `pickle.DEFAULT_PROTOCOL` (4).
    pub const DEFAULT: Protocol = Protocol::V4;
    /// CPython's `pickle.HIGHEST_PROTOCOL` (5).
    pub const HIGHEST: Protocol = Protocol::V5;

    /// The protocol numbered `n`, if it exists.
    pub fn new(n: u8) -> Option<Protocol> {
        Some(match n {
            0 => Protocol::V0,
            1 => Protocol::V1,
            2 => Protocol::V2,
            3 => Protocol::V3,
            4 => Protocol::V4,
            5 => Protocol::V5,
            _ => return None,
        })
    }

    /// The protocol's number.
    pub fn number(self) -> u8 {
        self as u8
    }
}

impl Default for Protocol {
    /// [`Protocol::DEFAULT`].
    fn default() -> Protocol {
        Protocol::DEFAULT
    }
}

/// How to write: protocol, limits, and whether inert globals may be written.
///
/// ```
/// use unpickle::write::{Options, Protocol};
/// let opts = Options::new(Protocol::V2).limits(unpickle::Limits::default().max_depth(50));
/// assert_eq!(opts.to_vec(&unpickle::Value::None).unwrap(), b"\x80\x02N.");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Options {
    protocol: Protocol,
    limits: Limits,
    inert: bool,
}

impl Options {
    /// Writing at `protocol`, under [`Limits::default`], refusing inert globals.
    pub fn new(protocol: Protocol) -> Options {
        Options {
            protocol,
            limits: Limits::default(),
            inert: false,
        }
    }

    /// Refuse what a loader with these limits would refuse.
    pub fn limits(mut self, limits: Limits) -> Options {
        self.limits = limits;
        self
    }

    /// Whether inert [`Value::Global`] and [`Value::Object`] nodes may be written (as the
    /// GLOBAL, REDUCE, NEWOBJ and BUILD opcodes they came from). Off by default: such a
    /// node names code that the reader of the pickle would run.
    pub fn inert(mut self, allow: bool) -> Options {
        self.inert = allow;
        self
    }

    /// The pickle of `v`.
    pub fn to_vec(&self, v: &Value) -> Result<Vec<u8>> {
        let size = self.check(v)?;
        let mut out = Out::new(None);
        // A pickle is usually about half the in-memory size (16-byte values, 2–9 byte
        // opcodes): reserving that saves most of the reallocations on the way.
        out.buf
            .reserve(usize::try_from(size / 2).unwrap_or(0).min(1 << 28));
        let mut p = self.pickler(out);
        p.dump(v)?;
        Ok(p.out.buf)
    }

    /// Writes the pickle of `v` to `w`, a frame at a time (nothing is written if the value
    /// is refused by the limits; an error met later leaves a partial pickle in `w`).
    pub fn to_writer<W: Write>(&self, mut w: W, v: &Value) -> Result<()> {
        self.check(v)?;
        let mut p = self.pickler(Out::new(Some(&mut w)));
        p.dump(v)?;
        drop(p);
        w.flush()?;
        Ok(())
    }

    /// Writes the pickle of `v` to the file at `path`, which appears (by rename of a
    /// temporary file in the same folder) only when complete: on any error nothing is
    /// written and an existing file is left as it was.
    pub fn to_file(&self, path: impl AsRef<std::path::Path>, v: &Value) -> Result<()> {
        self.check(v)?;
        crate::convert::write_atomically(path.as_ref(), |w| {
            let mut p = self.pickler(Out::new(Some(w)));
            p.dump(v)
        })
    }

    fn pickler<'v, 'w>(&'v self, out: Out<'w>) -> Pickler<'v, 'w> {
        Pickler {
            out,
            memo: Memo::new(self.limits.max_memo),
            proto: self.protocol.number(),
            opts: self,
            stack: Vec::new(),
        }
    }

    /// The budgets measured on the whole value before anything is written; returns the
    /// value's size as the loader counts it.
    fn check(&self, v: &Value) -> Result<u64> {
        let l = &self.limits;
        let m = crate::value::metrics(v);
        if m.levels > l.max_depth {
            return Err(Error::limit(Limit::Depth, l.max_depth));
        }
        if m.size > l.max_result_bytes {
            return Err(Error::limit(Limit::ResultBytes, l.max_result_bytes));
        }
        if m.int_bits > l.max_int_bits {
            return Err(Error::limit(Limit::IntBits, l.max_int_bits));
        }
        Ok(m.size)
    }
}

/// The pickle of `v` at `protocol`, as `pickle.dumps(v, protocol)` writes it (see the
/// [module documentation](self) for where it can differ), under [`Limits::default`] and
/// refusing inert globals.
pub fn to_vec(v: &Value, protocol: Protocol) -> Result<Vec<u8>> {
    Options::new(protocol).to_vec(v)
}

/// Writes the pickle of `v` at `protocol` to `w` (see [`to_vec`] and
/// [`Options::to_writer`]).
pub fn to_writer<W: Write>(w: W, v: &Value, protocol: Protocol) -> Result<()> {
    Options::new(protocol).to_writer(w, v)
}

// Keeps the doc link to `Set` in the module documentation resolvable.
#[allow(dead_code)]
type _SetDoc = Set;
