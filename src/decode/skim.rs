//! Opcode boundaries without decoding: how long each opcode is, from its byte and its
//! length field, with no argument parsed and nothing allocated. The memo look-ahead of
//! slice loads and the look-ahead buffering of stream loads both walk pickles this way;
//! anything that matters (limits, errors, values) is left to the decoder, which reads the
//! same bytes with the same boundaries.

use crate::opcode::{ArgKind, Opcode};

/// One step of the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A complete opcode: its byte, and where the next one starts.
    Op {
        /// The opcode's byte.
        op: u8,
        /// Just past its argument.
        end: usize,
    },
    /// The bytes end inside the opcode that starts here; where it ends, when its length
    /// is already known (a fixed length, or a length field that is all there).
    Incomplete {
        /// Just past the opcode's argument, if known.
        end: Option<usize>,
    },
    /// Not something the walk can follow (an unknown byte, a negative length): the
    /// decoder will say what is wrong with it.
    Bad,
}

/// Per opcode byte: `0..=8` is a fixed argument length; the rest are the codes below.
const ACTION: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut i = 0;
    while i < Opcode::ALL.len() {
        let op = Opcode::ALL[i];
        t[op as usize] = action_of(op.arg_kind());
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
const BAD: u8 = 15;

/// What [`step`] does for an argument kind: `0..=8` is a fixed length.
const fn action_of(kind: ArgKind) -> u8 {
    use ArgKind as A;
    match kind {
        A::None => 0,
        A::Uint1 => 1,
        A::Uint2 => 2,
        A::Uint4 | A::Int4 => 4,
        // FRAME's length is skipped; the framed opcodes follow and are walked.
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

/// A table, per opcode byte, of the whole length (opcode and argument) of each opcode with
/// a fixed-length argument, except those in `except`; 0 for the rest. Walks that only care
/// about a few opcodes skip all others with one lookup.
pub(crate) const fn fixed_table(except: &[u8]) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < Opcode::ALL.len() {
        let b = Opcode::ALL[i] as u8;
        let action = ACTION[b as usize];
        let mut skip = action <= 8;
        let mut j = 0;
        while j < except.len() {
            if except[j] == b {
                skip = false;
            }
            j += 1;
        }
        if skip {
            t[b as usize] = 1 + action;
        }
        i += 1;
    }
    t
}

/// The little-endian unsigned number in `b` (at most 8 bytes).
#[inline]
pub(crate) fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |n, &x| (n << 8) | u64::from(x))
}

/// The `width`-byte little-endian unsigned number at `at` in `data` (`width` ≤ 8), if all
/// its bytes are there.
#[inline]
pub(crate) fn le_at(data: &[u8], at: usize, width: usize) -> Option<u64> {
    data.get(at..at.checked_add(width)?).map(le)
}

/// Whether opcode byte `op` takes text lines (its end is the next newline, or the one after).
#[inline]
pub(crate) fn takes_lines(op: u8) -> bool {
    matches!(ACTION[usize::from(op)], LINE | LINES2)
}

/// The opcode that starts at `pos`.
#[inline]
pub(crate) fn step(data: &[u8], pos: usize) -> Step {
    let Some(&op) = data.get(pos) else {
        return Step::Incomplete { end: None };
    };
    let action = ACTION[usize::from(op)];
    let start = pos + 1;
    let end = if action <= 8 {
        Some(start + usize::from(action))
    } else {
        match action {
            LINE => line_end(data, start),
            LINES2 => line_end(data, start).and_then(|e| line_end(data, e)),
            COUNT1 => counted(data, start, 1),
            COUNT4 => counted(data, start, 4),
            COUNT8 => counted(data, start, 8),
            COUNT4_SIGNED => match data.get(start + 3) {
                Some(&b) if b >= 0x80 => return Step::Bad,
                _ => counted(data, start, 4),
            },
            _ => return Step::Bad,
        }
    };
    match end {
        Some(end) if end <= data.len() => Step::Op { op, end },
        end => Step::Incomplete { end },
    }
}

/// Just past the newline of the line that starts at `pos`, if it is there.
fn line_end(data: &[u8], pos: usize) -> Option<usize> {
    Some(pos + data.get(pos..)?.iter().position(|&b| b == b'\n')? + 1)
}

/// Just past a `width`-byte length at `pos` and the bytes it counts (`None` if the length
/// field is not all there, or the end does not fit a `usize`).
fn counted(data: &[u8], pos: usize, width: usize) -> Option<usize> {
    let n = usize::try_from(le_at(data, pos, width)?).ok()?;
    (pos + width).checked_add(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_every_argument_kind() {
        let ok = |data: &[u8], end| assert_eq!(step(data, 0), Step::Op { op: data[0], end });
        ok(b"K\x05", 2);
        ok(b"J\x01\x02\x03\x04", 5);
        ok(b"G12345678", 9);
        ok(b"I12\nN", 4);
        ok(b"cos\nsystem\n.", 11);
        ok(b"X\x02\x00\x00\x00hi", 7);
        ok(b"\x8c\x02hi", 4);
        ok(b"\x8e\x01\x00\x00\x00\x00\x00\x00\x00z", 10);
        ok(b"T\x01\x00\x00\x00z", 6);
        let incomplete = |end| Step::Incomplete { end };
        assert_eq!(step(b"X\x05\x00\x00\x00ab", 0), incomplete(Some(10)));
        assert_eq!(step(b"I12", 0), incomplete(None));
        assert_eq!(step(b"J\x01", 0), incomplete(Some(5)));
        assert_eq!(step(b"X\x05\x00", 0), incomplete(None));
        assert_eq!(step(b"", 0), incomplete(None));
        assert_eq!(step(b"T\xff\xff\xff\xff", 0), Step::Bad);
        assert_eq!(step(b"\xff", 0), Step::Bad);
        assert_eq!(
            step(b"\x8e\xff\xff\xff\xff\xff\xff\xff\xff", 0),
            incomplete(None)
        );
    }
}
