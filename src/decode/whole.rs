//! Reading a whole pickle from a stream before decoding it.
//!
//! A stream load cannot look ahead, so it must keep every memo entry and cannot seal what
//! the pickle will never touch again. For pickles up to a bound (`Unpickler::read_ahead`)
//! the stream path therefore first copies the pickle, opcode by opcode, into memory (consuming exactly up
//! to its STOP, as before) and then loads it as a slice. Anything unusual — a pickle larger
//! than that, the end of the input or an I/O error before STOP, bytes the opcode walk
//! cannot follow — hands what was read so far, followed by the rest of the stream (or the
//! I/O error it gave), to the streaming decoder, so every result, error and offset is
//! exactly what streaming alone would give.

use std::io::{self, BufRead, Read};

use super::input::fill;
use super::skim::{fixed_table, step, takes_lines, Step};
use crate::opcode::Opcode;

/// How long a text line may be before the walk gives up and leaves it to the streaming
/// decoder (which has its own limit for lines).
const LINE_MAX: u64 = 64 << 10;

/// An argument this long hands the rest of the pickle to the streaming decoder, which
/// reads it straight into its value: such pickles (numpy arrays, blobs) gain nothing from
/// the memo look-ahead, and their bytes are not held twice.
const LONG_ARGUMENT: usize = 64 << 10;

/// Whole lengths of the fixed-length opcodes but STOP (see [`fixed_table`]).
static FIXED: [u8; 256] = fixed_table(&[Opcode::Stop as u8]);

/// What [`read_whole`] found.
pub(crate) enum Whole {
    /// The buffer holds the pickle up to and including its STOP.
    Complete,
    /// The buffer holds what was consumed so far; stream the rest, after the I/O error
    /// reading stopped at, if any.
    Partial(Option<io::Error>),
}

/// Reads one pickle of at most `max` bytes from `reader` into `buf`, consuming nothing
/// past its STOP.
pub(crate) fn read_whole<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>, max: usize) -> Whole {
    const STOP: u8 = Opcode::Stop as u8;
    // The start of the first opcode not yet known to be complete.
    let mut pos = 0usize;
    loop {
        let chunk = match fill(reader) {
            Ok(c) => c,
            Err(e) => return Whole::Partial(Some(e)),
        };
        if chunk.is_empty() {
            return Whole::Partial(None);
        }
        let n = chunk.len();
        buf.extend_from_slice(chunk);
        let pending = loop {
            // Opcodes of a fixed length, skipped with one lookup each.
            while let Some(&op) = buf.get(pos) {
                let n = usize::from(FIXED[usize::from(op)]);
                if n == 0 || pos + n > buf.len() {
                    break;
                }
                pos += n;
            }
            match step(buf, pos) {
                Step::Op { op, end } => {
                    pos = end;
                    if op == STOP {
                        // Give back what follows STOP: it belongs to the next pickle.
                        let extra = buf.len() - end;
                        reader.consume(n - extra);
                        buf.truncate(end);
                        return Whole::Complete;
                    }
                }
                Step::Incomplete { end } => break end,
                Step::Bad => {
                    reader.consume(n);
                    return Whole::Partial(None);
                }
            }
        };
        reader.consume(n);
        match pending {
            Some(end) if end > max || end - pos >= LONG_ARGUMENT => return Whole::Partial(None),
            Some(_) => {}
            // A text line: read up to its newline at once (never past it), so a long line
            // is not walked again for every chunk.
            None if buf.get(pos).is_some_and(|&op| takes_lines(op)) => {
                match reader.by_ref().take(LINE_MAX).read_until(b'\n', buf) {
                    Ok(_) if buf.last() == Some(&b'\n') => {}
                    Ok(_) => return Whole::Partial(None),
                    Err(e) => return Whole::Partial(Some(e)),
                }
            }
            // A length field not all there yet: a few bytes, the next chunk brings them.
            None => {}
        }
        if buf.len() > max {
            return Whole::Partial(None);
        }
    }
}

/// A reader that fails once with the error the real reader gave, then ends: chained after
/// the bytes read before it, the streaming decoder meets the error where it happened.
pub(crate) struct Failed(pub Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

impl BufRead for Failed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(&[]),
        }
    }

    fn consume(&mut self, _: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_stop_and_leaves_the_rest() {
        let data = b"\x80\x04K\x01.K\x02.";
        let mut r = io::BufReader::with_capacity(3, &data[..]);
        let mut buf = Vec::new();
        assert!(matches!(
            read_whole(&mut r, &mut buf, 1 << 20),
            Whole::Complete
        ));
        assert_eq!(buf, b"\x80\x04K\x01.");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"K\x02.");
    }

    #[test]
    fn long_arguments_and_truncation_stream_on() {
        let mut data = b"\x80\x04\x8e\x00\x00\x02\x00\x00\x00\x00\x00".to_vec();
        data.extend(std::iter::repeat_n(7u8, 1 << 17));
        data.push(b'.');
        // A long argument hands over to streaming after the bytes read so far.
        let mut buf = Vec::new();
        assert!(matches!(
            read_whole(&mut io::BufReader::new(&data[..]), &mut buf, 1 << 20),
            Whole::Partial(None)
        ));
        assert!(data.starts_with(&buf) && buf.len() < data.len());
        // The end of the input before STOP: the same, with what was read so far.
        let cut = &data[..40];
        let mut buf = Vec::new();
        assert!(matches!(
            read_whole(&mut io::BufReader::with_capacity(4, cut), &mut buf, 1 << 20),
            Whole::Partial(None)
        ));
        assert!(cut.starts_with(&buf));
        let short = b"\x80\x04\x8c\x05hello";
        let mut buf = Vec::new();
        assert!(matches!(
            read_whole(
                &mut io::BufReader::with_capacity(4, &short[..]),
                &mut buf,
                1 << 20
            ),
            Whole::Partial(None)
        ));
        assert!(buf == short);
    }
}
