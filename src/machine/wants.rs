//! Which memo entries a pickle ever reads back.
//!
//! Picklers memoize nearly every string and container, but most entries are never fetched
//! again. When the whole pickle is in memory, one quick pass over the opcodes (no values
//! are built) finds the indices that BINGET and LONG_BINGET name; the machine then skips
//! memoizing everything else, so those values stay plain leaves on the stack instead of
//! shared arena nodes that the conversion must copy out. The pass is only an optimisation:
//! anything it does not understand (text GET, an unknown opcode, truncation) makes it give
//! up, and every entry is kept as before.

use crate::opcode::{ArgKind, Opcode};

/// The memo indices a pickle reads back: a bitset over the indices below a bound that the
/// input's length pays for, and one flag for every index above it.
pub(crate) struct MemoWants {
    bits: Vec<u64>,
    bound: u64,
    beyond: bool,
}

/// What the scan does at each byte: `0..=8` skips that many argument bytes; the rest are
/// the codes below. Built at compile time from the opcode table.
static ACTION: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < Opcode::ALL.len() {
        let op = Opcode::ALL[i];
        t[op as usize] = match op {
            Opcode::Stop => STOP,
            Opcode::Get => GIVE_UP,
            Opcode::BinGet => GET1,
            Opcode::LongBinGet => GET4,
            _ => action_of(op.arg_kind()),
        };
        i += 1;
    }
    t
};

const LINE: u8 = 9;
const LINES2: u8 = 10;
const COUNT1: u8 = 11;
const COUNT4_SIGNED: u8 = 12;
const COUNT4: u8 = 13;
const COUNT8: u8 = 14;
const STOP: u8 = 15;
const GET1: u8 = 16;
const GET4: u8 = 17;
const GIVE_UP: u8 = 18;
const INVALID: u8 = 19;

const fn action_of(kind: ArgKind) -> u8 {
    use ArgKind as A;
    match kind {
        A::None => 0,
        A::Uint1 => 1,
        A::Uint2 => 2,
        A::Uint4 | A::Int4 => 4,
        // FRAME's length is skipped; the framed opcodes follow and are scanned.
        A::Uint8 | A::Float8 => 8,
        A::DecimalnlShort
        | A::DecimalnlLong
        | A::Floatnl
        | A::Stringnl
        | A::StringnlNoescape
        | A::Unicodestringnl => LINE,
        A::StringnlNoescapePair => LINES2,
        A::String1 | A::Bytes1 | A::Unicodestring1 | A::Long1 => COUNT1,
        A::String4 | A::Long4 => COUNT4_SIGNED,
        A::Bytes4 | A::Unicodestring4 => COUNT4,
        A::Bytes8 | A::Bytearray8 | A::Unicodestring8 => COUNT8,
    }
}

/// The little-endian unsigned number in `b` (at most 8 bytes).
fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |n, &x| (n << 8) | u64::from(x))
}

/// The end of the line that starts at `pos` (just past its newline).
fn line_end(data: &[u8], pos: usize) -> Option<usize> {
    Some(pos + data.get(pos..)?.iter().position(|&b| b == b'\n')? + 1)
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
        };
        let mut pos = 0usize;
        loop {
            let action = ACTION[usize::from(*data.get(pos)?)];
            pos += 1;
            // A position past the end is caught by the next opcode's `get`.
            if action <= 8 {
                pos += usize::from(action);
                continue;
            }
            let counted = |width: usize| -> Option<usize> {
                let end = pos.checked_add(width)?;
                let n = usize::try_from(le(data.get(pos..end)?)).ok()?;
                end.checked_add(n)
            };
            pos = match action {
                LINE => line_end(data, pos)?,
                LINES2 => line_end(data, line_end(data, pos)?)?,
                COUNT1 => counted(1)?,
                COUNT4 => counted(4)?,
                COUNT8 => counted(8)?,
                COUNT4_SIGNED => {
                    if data.get(pos + 3).is_some_and(|&b| b >= 0x80) {
                        return None;
                    }
                    counted(4)?
                }
                GET1 => {
                    wants.add(u64::from(*data.get(pos)?));
                    pos + 1
                }
                GET4 => {
                    wants.add(le(data.get(pos..pos.checked_add(4)?)?));
                    pos + 4
                }
                STOP => return Some(wants),
                _ => return None,
            };
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
