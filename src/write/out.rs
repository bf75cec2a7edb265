//! The output buffer: opcodes go here, grouped into FRAMEs at protocol 4 and above exactly
//! where CPython's C pickler puts them.
//!
//! CPython's rules (`Modules/_pickle.c`): a frame opens lazily at the first byte written
//! after PROTO (or after the previous frame closed); at the start of saving each object the
//! open frame is closed if it holds at least 64 KiB; a `str`, `bytes` or `bytearray`
//! payload of at least 64 KiB closes the open frame and is written, with its opcode,
//! outside any frame; a frame that would hold fewer than 4 bytes loses its header. STOP is
//! the last byte of the last frame.

use std::io::{self, Write};

/// `FRAME`: opcode byte and 8-byte length.
const FRAME_HEADER: usize = 9;
/// CPython's `FRAME_SIZE_TARGET`: a frame is closed once it holds this many bytes.
pub(crate) const FRAME_TARGET: usize = 64 * 1024;
/// CPython's `FRAME_SIZE_MIN`: a smaller frame is written without its header.
const FRAME_MIN: usize = 4;
/// Bytes gathered before they are handed to a writer (when there is one).
const FLUSH_AT: usize = 256 * 1024;

/// The pickle being written.
pub(crate) struct Out<'w> {
    pub(crate) buf: Vec<u8>,
    /// Where the open frame's header sits in `buf`.
    frame_start: Option<usize>,
    /// Protocol 4 and above, after PROTO.
    framing: bool,
    /// Where finished bytes go when writing to a stream; `None` for [`super::to_vec`].
    sink: Option<&'w mut dyn Write>,
}

impl<'w> Out<'w> {
    pub(crate) fn new(sink: Option<&'w mut dyn Write>) -> Out<'w> {
        Out {
            buf: Vec::with_capacity(if sink.is_some() { FLUSH_AT + 1024 } else { 256 }),
            frame_start: None,
            framing: false,
            sink,
        }
    }

    /// Frames from now on (after PROTO at protocol 4 and above).
    pub(crate) fn start_framing(&mut self) {
        self.framing = true;
    }

    #[inline]
    fn open_frame(&mut self) {
        if self.framing && self.frame_start.is_none() {
            self.frame_start = Some(self.buf.len());
            self.buf.extend_from_slice(&[0; FRAME_HEADER]);
        }
    }

    /// Writes opcode bytes (inside the open frame, opening one if needed).
    #[inline]
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        self.open_frame();
        self.buf.extend_from_slice(bytes);
    }

    /// Writes one byte.
    #[inline]
    pub(crate) fn byte(&mut self, b: u8) {
        self.open_frame();
        self.buf.push(b);
    }

    /// Closes the open frame: writes its header, or removes the header of a frame too
    /// small to have one.
    pub(crate) fn commit(&mut self) {
        let Some(start) = self.frame_start.take() else {
            return;
        };
        let len = self.buf.len() - start - FRAME_HEADER;
        if len >= FRAME_MIN {
            let mut header = [0u8; FRAME_HEADER];
            header[0] = crate::opcode::Opcode::Frame as u8;
            header[1..].copy_from_slice(&(len as u64).to_le_bytes());
            if let Some(slot) = self.buf.get_mut(start..start + FRAME_HEADER) {
                slot.copy_from_slice(&header);
            }
        } else {
            self.buf.drain(start..start + FRAME_HEADER);
        }
    }

    /// The start of saving one object: closes a frame that has reached the target size,
    /// and hands finished bytes to the writer.
    #[inline]
    pub(crate) fn boundary(&mut self) -> io::Result<()> {
        match self.frame_start {
            Some(start) if self.buf.len() - start - FRAME_HEADER >= FRAME_TARGET => {
                self.commit();
                self.flush_some()
            }
            None if self.buf.len() >= FLUSH_AT => self.flush_some(),
            _ => Ok(()),
        }
    }

    /// Writes an opcode with its header and a payload: a payload of 64 KiB or more goes
    /// outside any frame, as in CPython's `_Pickler_write_bytes`.
    pub(crate) fn payload(&mut self, header: &[u8], data: &[u8]) -> io::Result<()> {
        if data.len() < FRAME_TARGET {
            self.write(header);
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        self.commit();
        self.buf.extend_from_slice(header);
        match self.sink.as_mut() {
            Some(sink) => {
                sink.write_all(&self.buf)?;
                self.buf.clear();
                sink.write_all(data)
            }
            None => {
                self.buf.extend_from_slice(data);
                Ok(())
            }
        }
    }

    /// Hands the bytes so far to the writer, if there is one and no frame is open.
    fn flush_some(&mut self) -> io::Result<()> {
        if self.frame_start.is_some() {
            return Ok(());
        }
        if let Some(sink) = self.sink.as_mut() {
            sink.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Closes the last frame and hands everything to the writer.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.commit();
        self.flush_some()
    }
}
