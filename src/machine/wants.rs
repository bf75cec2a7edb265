//! Which memo entries a pickle ever reads back.
//!
//! Picklers memoize nearly every string and container, but most entries are never fetched
//! again. When the whole pickle is in memory, one quick pass over the opcodes (no values
//! are built) finds the indices that BINGET and LONG_BINGET name; the machine then skips
//! memoizing everything else, so those values stay plain leaves on the stack instead of
//! shared arena nodes that the conversion must copy out. The pass is only an optimisation:
//! anything it does not understand (text GET, an unknown opcode, truncation) makes it give
//! up, and every entry is kept as before.

use crate::decode::skim::{fixed_table, le, step, Step};
use crate::opcode::Opcode;

const BINGET: u8 = Opcode::BinGet as u8;
const LONG_BINGET: u8 = Opcode::LongBinGet as u8;
const STOP: u8 = Opcode::Stop as u8;
const GET: u8 = Opcode::Get as u8;

const BINPUT: u8 = Opcode::BinPut as u8;
const LONG_BINPUT: u8 = Opcode::LongBinPut as u8;
const PUT: u8 = Opcode::Put as u8;

/// Per opcode byte: the whole length of an opcode with a fixed-length argument that is not
/// a GET or STOP; 0 for the rest.
static SKIP: [u8; 256] = fixed_table(&[BINGET, LONG_BINGET, STOP]);
/// The same, until the first PUT is seen: PUTs stop too.
static SKIP_UNTIL_PUT: [u8; 256] = fixed_table(&[BINGET, LONG_BINGET, STOP, BINPUT, LONG_BINPUT]);

/// The memo indices a pickle reads back: a bitset over the indices below a bound that the
/// input's length pays for, and one flag for every index above it.
pub(crate) struct MemoWants {
    bits: Vec<u64>,
    bound: u64,
    beyond: bool,
    /// Whether the pickle has PUT, BINPUT or LONG_BINPUT. Without them every MEMOIZE
    /// stores at a new index (the count of entries so far), so an entry no GET reads
    /// need not be stored at all, only counted.
    pub puts: bool,
}

impl MemoWants {
    /// Scans `data` up to its first STOP. `None` when the pass cannot vouch for every read
    /// (a text GET, or input it cannot follow): then every entry must be kept.
    pub fn scan(data: &[u8]) -> Option<MemoWants> {
        // Indices below this bound get a bit; the bitset never outgrows the input.
        let bound = (data.len() as u64).saturating_mul(8);
        let mut wants = MemoWants {
            bits: Vec::new(),
            bound,
            beyond: false,
            puts: false,
        };
        let mut skips = &SKIP_UNTIL_PUT;
        let mut pos = 0usize;
        loop {
            // Most opcodes have a fixed length and say nothing about the memo: skip them
            // without a bounds check (a position past the end fails the next `get`).
            let skip = skips[usize::from(*data.get(pos)?)];
            if skip != 0 {
                pos += usize::from(skip);
                continue;
            }
            let Step::Op { op, end } = step(data, pos) else {
                return None;
            };
            match op {
                BINGET => wants.add(u64::from(*data.get(pos + 1)?)),
                LONG_BINGET => wants.add(le(data.get(pos + 1..end)?)),
                STOP => return Some(wants),
                GET => return None,
                BINPUT | LONG_BINPUT | PUT => {
                    wants.puts = true;
                    skips = &SKIP;
                }
                _ => {}
            }
            pos = end;
        }
    }

    fn add(&mut self, idx: u64) {
        if idx >= self.bound {
            self.beyond = true;
            return;
        }
        // `idx < bound <= 8 * data.len()`, so the bitset stays within the input's size.
        let word = (idx / 64) as usize;
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        if let Some(w) = self.bits.get_mut(word) {
            *w |= 1 << (idx % 64);
        }
    }

    /// Whether some GET reads memo index `idx`.
    #[inline]
    pub fn wanted(&self, idx: i64) -> bool {
        match u64::try_from(idx) {
            Ok(i) if i >= self.bound => self.beyond,
            Ok(i) => self
                .bits
                .get((i / 64) as usize)
                .is_some_and(|w| w & (1 << (i % 64)) != 0),
            // BINGET and LONG_BINGET cannot name a negative index.
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_binget_and_long_binget_indices() {
        // ]q\x00 h\x00 j\x05\x00\x00\x00 .
        let w =
            MemoWants::scan(b"]q\x00h\x00(j\x05\x00\x00\x00X\x02\x00\x00\x00hi\x8c\x01j.").unwrap();
        assert!(w.wanted(0));
        assert!(w.wanted(5));
        assert!(!w.wanted(1));
        assert!(!w.wanted(-1));
        assert!(!w.wanted(1 << 40));
    }

    #[test]
    fn gives_up_on_text_get_truncation_and_unknown_opcodes() {
        assert!(MemoWants::scan(b"(lp0\ng0\na.").is_none());
        assert!(MemoWants::scan(b"X\x05\x00\x00\x00ab").is_none());
        assert!(MemoWants::scan(b"\xff.").is_none());
        assert!(MemoWants::scan(b"T\xff\xff\xff\xff.").is_none());
        assert!(MemoWants::scan(b"N").is_none());
    }

    #[test]
    fn indices_past_the_bound_keep_every_high_index() {
        let w = MemoWants::scan(b"j\xff\xff\xff\xff.").unwrap();
        assert!(w.wanted(0xffff_ffff));
        assert!(w.wanted(1000));
        assert!(!w.wanted(0));
    }
}
