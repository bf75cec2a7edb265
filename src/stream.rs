//! A stream of pickles: one value per pickle, read one after another from a reader, as a
//! Python program reads a file written by repeated `pickle.dump` calls.
//!
//! The iterator yields `Some(Ok(value))` for each pickle, `None` at a clean end of input
//! (the input ends exactly after a pickle's STOP, or is empty), and `Some(Err(_))` once for
//! a pickle that fails — [`crate::ErrorKind::Truncated`] when the input ends inside a
//! pickle — after which it ends. Offsets in its errors count from the start of the stream
//! (see [`crate::Error::offset`]).
//!
//! ```
//! use unpickle::Unpickler;
//! // pickle.dump(1, f); pickle.dump('a', f); pickle.dump(None, f)
//! let data: &[u8] = b"\x80\x04K\x01.\x80\x04\x8c\x01a\x94.\x80\x04N.";
//! let values: Vec<String> = Unpickler::new()
//!     .pickles(data)
//!     .map(|v| v.map(|v| v.to_string()))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(values, ["1", "'a'", "None"]);
//! # Ok::<(), unpickle::Error>(())
//! ```

use std::io::{self, BufRead, Read};

use crate::error::{Error, Result};
use crate::load::Unpickler;
use crate::value::Value;

/// The iterator of [`Unpickler::pickles`]: every pickle in a reader, one value each.
#[derive(Debug)]
pub struct Pickles<R> {
    unpickler: Unpickler,
    reader: Counted<R>,
    done: bool,
}

impl<R: BufRead> Pickles<R> {
    pub(crate) fn new(unpickler: Unpickler, reader: R) -> Pickles<R> {
        Pickles {
            unpickler,
            reader: Counted {
                inner: reader,
                count: 0,
            },
            done: false,
        }
    }

    /// Bytes consumed so far: after a value, the offset at which the next pickle starts.
    pub fn position(&self) -> u64 {
        self.reader.count
    }

    /// The reader, positioned just past the last pickle read (after an error, anywhere up
    /// to that pickle's STOP).
    pub fn into_inner(self) -> R {
        self.reader.inner
    }

    /// Whether the input has more bytes; retries reads that were interrupted.
    fn more(&mut self) -> io::Result<bool> {
        loop {
            match self.reader.inner.fill_buf() {
                Ok(buf) => return Ok(!buf.is_empty()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: BufRead> Iterator for Pickles<R> {
    type Item = Result<Value>;

    fn next(&mut self) -> Option<Result<Value>> {
        if self.done {
            return None;
        }
        let start = self.reader.count;
        let result = match self.more() {
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => Err(Error::from(e)),
            Ok(true) => self
                .unpickler
                .load_reader(&mut self.reader)
                .map_err(|e| e.offset_by(start)),
        };
        self.done = result.is_err();
        Some(result)
    }
}

impl<R: BufRead> std::iter::FusedIterator for Pickles<R> {}

/// A reader that counts the bytes consumed through it.
#[derive(Debug)]
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.count += amt as u64;
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Unpickler};
    use std::io::BufReader;

    const THREE: &[u8] = b"\x80\x04K\x01.\x80\x04\x8c\x01a\x94.\x80\x04N.";

    fn all(data: &[u8], chunk: usize) -> Vec<Result<String, (String, Option<u64>)>> {
        let reader = BufReader::with_capacity(chunk, data);
        Unpickler::new()
            .pickles(reader)
            .map(|r| {
                r.map(|v| v.to_string())
                    .map_err(|e| (e.to_string(), e.offset()))
            })
            .collect()
    }

    #[test]
    fn one_value_per_pickle_then_a_clean_end() {
        for chunk in [1, 3, 64 << 10] {
            let got = all(THREE, chunk);
            let want: Vec<Result<String, (String, Option<u64>)>> =
                vec![Ok("1".into()), Ok("'a'".into()), Ok("None".into())];
            assert_eq!(got, want, "chunk {chunk}");
        }
        assert!(all(b"", 8).is_empty());
        // Streaming from the first byte gives the same.
        let v: Vec<_> = Unpickler::new()
            .read_ahead(0)
            .pickles(THREE)
            .map(|r| r.unwrap().to_string())
            .collect();
        assert_eq!(v, ["1", "'a'", "None"]);
    }

    #[test]
    fn a_pickle_cut_short_is_truncated_and_ends_the_stream() {
        let cut = &THREE[..THREE.len() - 1];
        let mut it = Unpickler::new().pickles(cut);
        assert_eq!(it.next().unwrap().unwrap().to_string(), "1");
        assert_eq!(it.position(), 5);
        assert_eq!(it.next().unwrap().unwrap().to_string(), "'a'");
        let e = it.next().unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated(_)), "{e}");
        assert!(it.next().is_none());
        assert!(it.next().is_none());
    }

    #[test]
    fn errors_in_later_pickles_carry_stream_offsets() {
        // The second pickle starts at 5; its bad opcode is at stream offset 7.
        let mut data = b"\x80\x04K\x01.".to_vec();
        data.extend_from_slice(b"\x80\x04\xff.");
        for chunk in [1, 64 << 10] {
            let got = all(&data, chunk);
            assert_eq!(got.len(), 2, "{got:?}");
            let (msg, offset) = got[1].clone().unwrap_err();
            assert_eq!(offset, Some(7), "{msg}");
            assert!(msg.ends_with("at offset 7"), "{msg}");
        }
        // A refusal in the third pickle.
        let mut data = THREE.to_vec();
        data.extend_from_slice(b"cos\nsystem\n(S'ls ~'\ntR.");
        let got = all(&data, 1 << 10);
        assert_eq!(
            got[3],
            Err((
                "refused global os.system at offset 16 (GLOBAL)".to_owned(),
                Some(16)
            ))
        );
    }
}
