//! Where the decoder's bytes come from: a borrowed slice, or any `io::Read`.
//!
//! Both give the decoder the same three operations — the next byte, `n` bytes, a line —
//! and neither allocates more than has actually arrived: the slice checks a claimed length
//! against what remains, the reader grows its buffer chunk by chunk as bytes come in.

use std::borrow::Cow;
use std::io;

use crate::error::{Error, Result};

/// Bytes read per step when a long argument comes from an `io::Read`.
const CHUNK: usize = 64 * 1024;

/// A source of pickle bytes. Sealed: implemented by [`SliceInput`] and [`IoInput`].
pub trait Input: sealed::Sealed {
    /// Bytes consumed so far.
    fn position(&self) -> u64;
    /// The next byte, or `None` at the end of the input.
    fn next_byte(&mut self) -> Result<Option<u8>>;
    /// Exactly `n` bytes, or `None` if the input ends first.
    fn take(&mut self, n: u64) -> Result<Option<Cow<'_, [u8]>>>;
    /// The bytes up to (not including) the next `\n`, which is consumed; see [`Line`]
    /// for the input ending first and for lines longer than `max` bytes.
    fn line(&mut self, max: u64) -> Result<Line<'_>>;
    /// How many bytes remain, where that is known (slices).
    fn remaining(&self) -> Option<u64>;
}

/// The outcome of reading a line.
pub enum Line<'a> {
    /// The line, without its newline.
    Text(Cow<'a, [u8]>),
    /// The input ended before a newline.
    Eof,
    /// No newline within the allowed length.
    TooLong,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::SliceInput<'_> {}
    impl<R: std::io::Read> Sealed for super::IoInput<R> {}
}

/// Input from a byte slice; arguments borrow from it.
pub struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceInput<'a> {
    /// Reads `data` from its start.
    pub fn new(data: &'a [u8]) -> Self {
        SliceInput { data, pos: 0 }
    }

    /// The bytes not consumed yet.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }
}

impl Input for SliceInput<'_> {
    #[inline]
    fn position(&self) -> u64 {
        self.pos as u64
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>> {
        let b = self.data.get(self.pos).copied();
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    #[inline]
    fn take(&mut self, n: u64) -> Result<Option<Cow<'_, [u8]>>> {
        let rest = self.rest();
        match usize::try_from(n).ok().and_then(|n| rest.get(..n)) {
            Some(s) => {
                self.pos += s.len();
                Ok(Some(Cow::Borrowed(s)))
            }
            None => Ok(None),
        }
    }

    fn line(&mut self, max: u64) -> Result<Line<'_>> {
        let rest = self.rest();
        let limit = usize::try_from(max).ok().and_then(|m| m.checked_add(1));
        let window = limit.map_or(rest, |m| &rest[..rest.len().min(m)]);
        match window.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.pos += i + 1;
                Ok(Line::Text(Cow::Borrowed(&rest[..i])))
            }
            // `max + 1` bytes without a newline: too long, whether or not the input ends
            // right there (as a reader sees it, byte by byte).
            None if Some(window.len()) == limit => Ok(Line::TooLong),
            None => Ok(Line::Eof),
        }
    }

    fn remaining(&self) -> Option<u64> {
        Some((self.data.len() - self.pos.min(self.data.len())) as u64)
    }
}

/// Input from any [`io::Read`]. It reads exactly the bytes the pickle needs and no more, so
/// the reader is left just past STOP; wrap unbuffered readers (files, sockets) in a
/// [`io::BufReader`] for speed.
pub struct IoInput<R> {
    reader: R,
    pos: u64,
    scratch: Vec<u8>,
}

impl<R: io::Read> IoInput<R> {
    /// Reads from `reader`.
    pub fn new(reader: R) -> Self {
        IoInput {
            reader,
            pos: 0,
            scratch: Vec::new(),
        }
    }

    /// Gives the reader back.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The reader.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Fills `buf` completely; `Ok(false)` if the input ends first.
    fn fill(&mut self, buf: &mut [u8]) -> Result<bool> {
        let mut done = 0;
        while done < buf.len() {
            match self.reader.read(&mut buf[done..]) {
                Ok(0) => {
                    self.pos += done as u64;
                    return Ok(false);
                }
                Ok(k) => done += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::from(e)),
            }
        }
        self.pos += done as u64;
        Ok(true)
    }
}

impl<R: io::Read> Input for IoInput<R> {
    fn position(&self) -> u64 {
        self.pos
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>> {
        let mut b = [0u8; 1];
        Ok(if self.fill(&mut b)? { Some(b[0]) } else { None })
    }

    fn take(&mut self, n: u64) -> Result<Option<Cow<'_, [u8]>>> {
        let Ok(n) = usize::try_from(n) else {
            // More than the address space: it cannot arrive; read what there is.
            let mut sink = io::sink();
            let got = io::copy(&mut io::Read::take(&mut self.reader, n), &mut sink)?;
            self.pos += got;
            return Ok(None);
        };
        if n <= CHUNK {
            let mut buf = std::mem::take(&mut self.scratch);
            buf.clear();
            buf.resize(n, 0);
            let ok = self.fill(&mut buf)?;
            self.scratch = buf;
            return Ok(if ok {
                Some(Cow::Borrowed(&self.scratch[..]))
            } else {
                None
            });
        }
        // Long payload: grow chunk by chunk, so a lying length costs only what arrives.
        let mut buf = Vec::new();
        while buf.len() < n {
            let step = (n - buf.len()).min(CHUNK.max(buf.len()));
            let start = buf.len();
            buf.resize(start + step, 0);
            if !self.fill(&mut buf[start..])? {
                return Ok(None);
            }
        }
        Ok(Some(Cow::Owned(buf)))
    }

    fn line(&mut self, max: u64) -> Result<Line<'_>> {
        self.scratch.clear();
        loop {
            let mut b = [0u8; 1];
            if !self.fill(&mut b)? {
                return Ok(Line::Eof);
            }
            if b[0] == b'\n' {
                return Ok(Line::Text(Cow::Borrowed(&self.scratch[..])));
            }
            if self.scratch.len() as u64 >= max {
                return Ok(Line::TooLong);
            }
            self.scratch.push(b[0]);
        }
    }

    fn remaining(&self) -> Option<u64> {
        None
    }
}
