//! The pickler's memo: which objects were already written, and under which index.
//!
//! CPython memoizes every `str`, `bytes`, `bytearray`, tuple, list, dict, set, frozenset,
//! global and reduced object by identity, and writes a second reference to the same
//! object as a GET. A [`Value`](crate::Value) tree shares nothing but strings, so identity
//! is decided here:
//!
//! - a `str` is the object its [`ArcStr`](crate::value::ArcStr) allocation is: the loader
//!   reads a memoized string back as one shared allocation, so a string shared in the
//!   pickle it came from is shared when written again; equal strings in separate
//!   allocations are separate objects;
//! - the empty `str`, one-character strings below U+0100 and the empty `bytes` are one
//!   object each by content, because CPython keeps them as singletons (whatever made them:
//!   its unpickler, `chr()`, a `latin1` decode);
//! - every other value is its own object: a container is never written as a GET.
//! - `datetime.timezone.utc` is one object;
//! - the globals and constant strings the writer adds (`builtins.set`, `'latin1'`, the
//!   module and qualified names of STACK_GLOBAL) are one object each, as they are in
//!   CPython (interned).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{Error, Result};
use crate::limits::Limit;

/// An object identity that a later reference may hit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Ident {
    /// A shared string allocation, by address.
    Ptr(usize),
    /// The empty `str`.
    EmptyStr,
    /// A one-character `str` below U+0100.
    Char(u8),
    /// The empty `bytes`.
    EmptyBytes,
    /// `datetime.timezone.utc` (what `timezone(timedelta(0))` returns).
    Utc,
}

/// An object CPython keeps once, by its text: an interned string (a module or attribute
/// name, `'latin1'`) or a global (`module` and qualified name as Python 3 names them).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Named<'a> {
    /// An interned `str`.
    Str(&'a str),
    /// A global.
    Global(&'a str, &'a str),
}

/// Hashes the few words of an [`Ident`] with a multiply-rotate (FxHash): the keys are
/// addresses and constants, not data an attacker chooses.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// The memo of one pickle being written.
pub(crate) struct Memo {
    /// Identities that may be referenced again, with their index.
    seen: HashMap<Ident, u64, BuildHasherDefault<IdHasher>>,
    /// Interned strings and globals, by text.
    named: HashMap<(bool, Box<str>, Box<str>), u64>,
    /// The next index (CPython's `len(memo)`).
    next: u64,
    /// The loader's memo budget: a pickle that needs more entries would be refused.
    max: u64,
}

impl Memo {
    pub(crate) fn new(max: u64) -> Memo {
        Memo {
            seen: HashMap::default(),
            named: HashMap::new(),
            next: 0,
            max,
        }
    }

    /// The index of an object already written, if it was.
    #[inline]
    pub(crate) fn get(&self, id: &Ident) -> Option<u64> {
        if self.seen.is_empty() {
            return None;
        }
        self.seen.get(id).copied()
    }

    fn named_key(n: Named<'_>) -> (bool, Box<str>, Box<str>) {
        match n {
            Named::Str(s) => (false, s.into(), "".into()),
            Named::Global(m, q) => (true, m.into(), q.into()),
        }
    }

    /// The index of an interned string or global already written, if it was.
    pub(crate) fn get_named(&self, n: Named<'_>) -> Option<u64> {
        self.named.get(&Self::named_key(n)).copied()
    }

    /// Takes the next index for an interned string or global.
    pub(crate) fn put_named(&mut self, n: Named<'_>) -> Result<u64> {
        let idx = self.put(None)?;
        self.named.insert(Self::named_key(n), idx);
        Ok(idx)
    }

    /// Takes the next index for a new object; `id` is `None` for an object nothing can
    /// reference again (it still takes an index, as in CPython).
    #[inline]
    pub(crate) fn put(&mut self, id: Option<Ident>) -> Result<u64> {
        let idx = self.next;
        if idx >= self.max {
            return Err(Error::limit(Limit::Memo, self.max));
        }
        self.next += 1;
        if let Some(id) = id {
            self.seen.insert(id, idx);
        }
        Ok(idx)
    }
}
