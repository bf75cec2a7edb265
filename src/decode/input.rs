//! Where the decoder's bytes come from: a borrowed slice, or any `io::Read`.
//!
//! Both give the decoder the same three operations — the next byte, `n` bytes, a line —
//! and neither allocates more than has actually arrived: the slice checks a claimed length
//! against what remains, the reader grows its buffer chunk by chunk as bytes come in.

use std::borrow::Cow;
use std::io;

use crate::error::Result;

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
    impl<R: std::io::BufRead> Sealed for super::IoInput<R> {}
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

/// Input from any [`io::BufRead`] (wrap a plain [`io::Read`] in an [`io::BufReader`]). It
/// consumes exactly the bytes the pickle needs and no more, so the reader is left just past
/// STOP and the next pickle in the stream can be read from it.
pub struct IoInput<R> {
    reader: R,
    pos: u64,
    scratch: Vec<u8>,
    /// Bytes handed out borrowed from the reader's buffer, consumed on the next call (the
    /// borrow has ended by then), so short arguments are never copied.
    pending: usize,
}

impl<R: io::BufRead> IoInput<R> {
    /// Reads from `reader`.
    pub fn new(reader: R) -> Self {
        IoInput {
            reader,
            pos: 0,
            scratch: Vec::new(),
            pending: 0,
        }
    }

    /// Gives the reader back, positioned after the last byte decoded.
    pub fn into_inner(mut self) -> R {
        self.settle();
        self.reader
    }

    /// The reader, positioned after the last byte decoded.
    pub fn get_mut(&mut self) -> &mut R {
        self.settle();
        &mut self.reader
    }

    /// Consumes what was handed out borrowed.
    #[inline]
    fn settle(&mut self) {
        if self.pending > 0 {
            self.reader.consume(self.pending);
            self.pending = 0;
        }
    }

    /// The buffered bytes, refilled if empty; empty only at the end of the input.
    fn buffer(&mut self) -> Result<&[u8]> {
        self.settle();
        Ok(fill(&mut self.reader)?)
    }
}

/// `fill_buf`, retried on `Interrupted`.
pub(crate) fn fill<R: io::BufRead>(reader: &mut R) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            // The end of the input: a second call would read again (and could be
            // interrupted again), so answer here.
            Ok([]) => return Ok(&[]),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The buffer holds bytes now; this call returns them without reading.
    reader.fill_buf()
}

impl<R: io::BufRead> Input for IoInput<R> {
    fn position(&self) -> u64 {
        self.pos
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>> {
        let b = match self.buffer()?.first() {
            Some(&b) => b,
            None => return Ok(None),
        };
        self.reader.consume(1);
        self.pos += 1;
        Ok(Some(b))
    }

    fn take(&mut self, n: u64) -> Result<Option<Cow<'_, [u8]>>> {
        let Ok(n) = usize::try_from(n) else {
            // More than the address space: it cannot arrive; read what there is.
            loop {
                let k = self.buffer()?.len();
                if k == 0 {
                    return Ok(None);
                }
                self.reader.consume(k);
                self.pos += k as u64;
            }
        };
        self.settle();
        // Already buffered: hand it out borrowed, consume it on the next call.
        if fill(&mut self.reader)?.len() >= n {
            self.pending = n;
            self.pos += n as u64;
            let buf = fill(&mut self.reader)?;
            return Ok(buf.get(..n).map(Cow::Borrowed));
        }
        // Not all buffered: read into a vector the caller takes over, growing chunk by
        // chunk as bytes arrive (a lying length costs only what arrives). `Read::read` on
        // the BufRead serves from its buffer, then reads large spans past it directly.
        let mut buf = Vec::new();
        while buf.len() < n {
            let step = (n - buf.len()).min(CHUNK.max(buf.len()));
            buf.reserve_exact(step);
            // `read_to_end` retries `Interrupted` itself.
            let mut chunk = io::Read::take(&mut self.reader, step as u64);
            let got = io::Read::read_to_end(&mut chunk, &mut buf)?;
            self.pos += got as u64;
            if got < step {
                return Ok(None);
            }
        }
        Ok(Some(Cow::Owned(buf)))
    }

    fn line(&mut self, max: u64) -> Result<Line<'_>> {
        self.settle();
        self.scratch.clear();
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        loop {
            let buf = fill(&mut self.reader)?;
            if buf.is_empty() {
                return Ok(Line::Eof);
            }
            let room = max - self.scratch.len();
            let window = &buf[..buf.len().min(room.saturating_add(1))];
            match window.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.scratch.extend_from_slice(&window[..i]);
                    self.reader.consume(i + 1);
                    self.pos += i as u64 + 1;
                    return Ok(Line::Text(Cow::Borrowed(&self.scratch[..])));
                }
                None if window.len() > room => return Ok(Line::TooLong),
                None => {
                    let k = window.len();
                    self.scratch.extend_from_slice(window);
                    self.reader.consume(k);
                    self.pos += k as u64;
                }
            }
        }
    }

    fn remaining(&self) -> Option<u64> {
        None
    }
}
