//! The decoder: pickle bytes in, `(offset, opcode, instruction)` out.
//!
//! It knows the wire format and nothing about values: lengths are checked against the
//! limits and against what the input holds before anything is allocated, text arguments
//! are parsed exactly as CPython's C unpickler parses them, and FRAMEs are enforced as the
//! protocol defines them (an opcode may not straddle the end of a frame, and a frame may
//! not open inside another).

mod input;
pub(crate) mod skim;
pub(crate) mod text;
pub(crate) mod whole;

use std::borrow::Cow;

use num_bigint::BigInt;

pub use self::input::{Input, IoInput, Line, SliceInput};
pub use self::text::Int;
use crate::error::{Error, Result};
use crate::limits::{Limit, Limits};
use crate::opcode::Opcode;

/// One decoded opcode with its argument. Text and binary spellings of the same thing decode
/// to the same instruction (the [`Decoded::opcode`] tells which it was).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Instruction<'a> {
    /// MARK
    Mark,
    /// STOP
    Stop,
    /// POP
    Pop,
    /// POP_MARK
    PopMark,
    /// DUP
    Dup,
    /// NONE
    None,
    /// NEWTRUE, NEWFALSE, and INT's `01`/`00` (in a listing, also GET's and PUT's, which
    /// pickletools reads as bools).
    Bool(bool),
    /// INT, BININT, BININT1, BININT2, LONG, LONG1, LONG4.
    Int(Int),
    /// FLOAT, BINFLOAT.
    Float(f64),
    /// UNICODE, BINUNICODE, SHORT_BINUNICODE, BINUNICODE8.
    Unicode(Cow<'a, str>),
    /// UNICODE, BINUNICODE, SHORT_BINUNICODE, BINUNICODE8 whose string holds a lone
    /// surrogate: its code points in UTF-8 with each surrogate encoded on its own (Python's
    /// `s.encode('utf-8', 'surrogatepass')`; see [`crate::value::SurrogateStr`]).
    UnicodeSurrogates(Cow<'a, [u8]>),
    /// BINBYTES, SHORT_BINBYTES, BINBYTES8.
    Bytes(Cow<'a, [u8]>),
    /// BYTEARRAY8.
    ByteArray(Cow<'a, [u8]>),
    /// STRING (after escape decoding), BINSTRING, SHORT_BINSTRING: a Python 2 `str`,
    /// decoded by the machine according to its encoding.
    String(Cow<'a, [u8]>),
    /// GLOBAL: module and name lines.
    Global {
        /// The module line.
        module: Cow<'a, str>,
        /// The name line.
        name: Cow<'a, str>,
    },
    /// INST: module and name lines.
    Inst {
        /// The module line.
        module: Cow<'a, str>,
        /// The name line.
        name: Cow<'a, str>,
    },
    /// STACK_GLOBAL
    StackGlobal,
    /// PERSID with its id line (which must be ASCII: the machine checks it once a
    /// persistent loader is there to take it, as CPython does).
    PersId(Cow<'a, [u8]>),
    /// BINPERSID
    BinPersId,
    /// REDUCE
    Reduce,
    /// BUILD
    Build,
    /// OBJ
    Obj,
    /// NEWOBJ
    NewObj,
    /// NEWOBJ_EX
    NewObjEx,
    /// EXT1, EXT2, EXT4 with the extension code.
    Ext(i32),
    /// APPEND
    Append,
    /// APPENDS
    Appends,
    /// LIST
    List,
    /// EMPTY_LIST
    EmptyList,
    /// DICT
    Dict,
    /// EMPTY_DICT
    EmptyDict,
    /// SETITEM
    SetItem,
    /// SETITEMS
    SetItems,
    /// TUPLE
    Tuple,
    /// EMPTY_TUPLE
    EmptyTuple,
    /// TUPLE1
    Tuple1,
    /// TUPLE2
    Tuple2,
    /// TUPLE3
    Tuple3,
    /// EMPTY_SET
    EmptySet,
    /// ADDITEMS
    AddItems,
    /// FROZENSET
    FrozenSet,
    /// GET, BINGET, LONG_BINGET with the memo index (GET's text may be negative).
    Get(i64),
    /// PUT, BINPUT, LONG_BINPUT with the memo index.
    Put(i64),
    /// MEMOIZE
    Memoize,
    /// PROTO with its version byte.
    Proto(u8),
    /// FRAME with the frame's declared length (already checked and entered by the decoder).
    Frame(u64),
    /// NEXT_BUFFER
    NextBuffer,
    /// READONLY_BUFFER
    ReadonlyBuffer,
}

impl Instruction<'_> {
    /// The same instruction owning its arguments.
    pub fn into_owned(self) -> Instruction<'static> {
        use Instruction as I;
        fn own<T: ToOwned + ?Sized>(c: Cow<'_, T>) -> Cow<'static, T> {
            Cow::Owned(c.into_owned())
        }
        match self {
            I::Unicode(s) => I::Unicode(own(s)),
            I::UnicodeSurrogates(b) => I::UnicodeSurrogates(own(b)),
            I::Bytes(b) => I::Bytes(own(b)),
            I::ByteArray(b) => I::ByteArray(own(b)),
            I::String(b) => I::String(own(b)),
            I::Global { module, name } => I::Global {
                module: own(module),
                name: own(name),
            },
            I::Inst { module, name } => I::Inst {
                module: own(module),
                name: own(name),
            },
            I::PersId(s) => I::PersId(own(s)),
            I::Mark => I::Mark,
            I::Stop => I::Stop,
            I::Pop => I::Pop,
            I::PopMark => I::PopMark,
            I::Dup => I::Dup,
            I::None => I::None,
            I::Bool(b) => I::Bool(b),
            I::Int(i) => I::Int(i),
            I::Float(f) => I::Float(f),
            I::StackGlobal => I::StackGlobal,
            I::BinPersId => I::BinPersId,
            I::Reduce => I::Reduce,
            I::Build => I::Build,
            I::Obj => I::Obj,
            I::NewObj => I::NewObj,
            I::NewObjEx => I::NewObjEx,
            I::Ext(c) => I::Ext(c),
            I::Append => I::Append,
            I::Appends => I::Appends,
            I::List => I::List,
            I::EmptyList => I::EmptyList,
            I::Dict => I::Dict,
            I::EmptyDict => I::EmptyDict,
            I::SetItem => I::SetItem,
            I::SetItems => I::SetItems,
            I::Tuple => I::Tuple,
            I::EmptyTuple => I::EmptyTuple,
            I::Tuple1 => I::Tuple1,
            I::Tuple2 => I::Tuple2,
            I::Tuple3 => I::Tuple3,
            I::EmptySet => I::EmptySet,
            I::AddItems => I::AddItems,
            I::FrozenSet => I::FrozenSet,
            I::Get(i) => I::Get(i),
            I::Put(i) => I::Put(i),
            I::Memoize => I::Memoize,
            I::Proto(p) => I::Proto(p),
            I::Frame(n) => I::Frame(n),
            I::NextBuffer => I::NextBuffer,
            I::ReadonlyBuffer => I::ReadonlyBuffer,
        }
    }
}

/// An instruction with the byte offset of its opcode and the opcode it was spelled with.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded<'a> {
    /// Byte offset of the opcode byte from the start of the input.
    pub offset: u64,
    /// The opcode.
    pub opcode: Opcode,
    /// The opcode's meaning with its decoded argument.
    pub instruction: Instruction<'a>,
}

/// Decodes one pickle from an [`Input`], opcode by opcode, up to and including STOP.
pub struct Decoder<I> {
    input: I,
    limits: Limits,
    frame_end: Option<u64>,
    stopped: bool,
    /// Reading for a listing ([`crate::dis`]): text arguments as pickletools reads them,
    /// frames not enforced.
    listing: bool,
}

impl<'a> Decoder<SliceInput<'a>> {
    /// A decoder over a byte slice.
    pub fn from_slice(data: &'a [u8], limits: Limits) -> Self {
        Decoder::new(SliceInput::new(data), limits)
    }
}

impl<R: std::io::BufRead> Decoder<IoInput<R>> {
    /// A decoder over a reader; see [`IoInput`].
    pub fn from_reader(reader: R, limits: Limits) -> Self {
        Decoder::new(IoInput::new(reader), limits)
    }
}

/// A little-endian two's-complement integer of any length (LONG1/LONG4's payload).
#[inline]
pub(crate) fn decode_long_bytes(b: &[u8]) -> Int {
    if b.len() <= 8 {
        if b.is_empty() {
            return Int::Small(0);
        }
        let mut buf = [0u8; 8];
        buf[..b.len()].copy_from_slice(b);
        let shift = 64 - 8 * b.len() as u32;
        return Int::Small(((u64::from_le_bytes(buf) << shift) as i64) >> shift);
    }
    // Up to 1024 bits: the magnitude's base-2^32 digits on the stack, two's complement
    // undone on whole digits, then one allocation (the `BigUint`'s own). num-bigint's
    // `from_signed_bytes_le` copies a negative number's bytes to the heap first and folds
    // the digits byte by byte: most of a bigint's load time (the bigints corpus).
    const STACK_DIGITS: usize = 32;
    if b.len() <= 4 * STACK_DIGITS {
        let negative = b.last().is_some_and(|&x| x > 0x7f);
        let fill = if negative { 0xff } else { 0 };
        let mut digits = [0u32; STACK_DIGITS];
        for (d, chunk) in digits.iter_mut().zip(b.chunks(4)) {
            let mut w = [fill; 4];
            w.iter_mut().zip(chunk).for_each(|(w, c)| *w = *c);
            *d = u32::from_le_bytes(w);
        }
        let digits = digits.get_mut(..b.len().div_ceil(4)).unwrap_or_default();
        if negative {
            let mut carry = true;
            for d in digits.iter_mut() {
                *d = !*d;
                if carry {
                    *d = d.wrapping_add(1);
                    carry = *d == 0;
                }
            }
        }
        let sign = if negative {
            num_bigint::Sign::Minus
        } else {
            num_bigint::Sign::Plus
        };
        return Int::from_big(BigInt::from_biguint(
            sign,
            num_bigint::BigUint::from_slice(digits),
        ));
    }
    Int::from_big(BigInt::from_signed_bytes_le(b))
}

impl<I: Input> Decoder<I> {
    /// A decoder over `input`, enforcing `limits` on lengths, digits and frames.
    pub fn new(input: I, limits: Limits) -> Self {
        Decoder {
            input,
            limits,
            frame_end: None,
            stopped: false,
            listing: false,
        }
    }

    /// Reads as pickletools does, for a listing: text arguments (INT, LONG, FLOAT, STRING,
    /// GET, PUT) are parsed by pickletools' readers rather than the C unpickler's (INT and
    /// LONG in base 10, FLOAT by `float()`, whose overflow is infinite, a lone quote as
    /// STRING's empty string, a negative PUT index, GET's and PUT's `00`/`01` as
    /// [`Instruction::Bool`]), and FRAMEs are read but not enforced.
    pub(crate) fn for_listing(mut self) -> Self {
        self.listing = true;
        self
    }

    /// The input, positioned after the last decoded opcode.
    pub fn input(&self) -> &I {
        &self.input
    }

    /// The input, to take back after STOP.
    pub fn into_input(self) -> I {
        self.input
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.input.position()
    }

    /// Whether STOP has been decoded.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The next instruction; `Ok(None)` after STOP. The end of the input before STOP is an
    /// error (truncated input).
    #[inline]
    pub fn next_instruction(&mut self) -> Result<Option<Decoded<'_>>> {
        if self.stopped {
            return Ok(None);
        }
        let offset = self.input.position();
        if self.frame_end == Some(offset) {
            self.frame_end = None;
        }
        let byte = match self.input.next_byte() {
            Ok(Some(b)) => b,
            Ok(None) => {
                return Err(Error::truncated("pickle data was truncated (no STOP)").at(offset, None))
            }
            Err(e) => return Err(e.at(offset, None)),
        };
        let Some(opcode) = Opcode::from_byte(byte) else {
            return Err(
                Error::malformed(format!("invalid load key, '\\x{byte:02x}'")).at(offset, None),
            );
        };
        if let Some(end) = self.frame_end {
            if offset + 1 > end {
                return Err(frame_straddle().at(offset, Some(opcode)));
            }
        }
        match self.decode_arg(opcode, offset) {
            Ok(instruction) => Ok(Some(Decoded {
                offset,
                opcode,
                instruction,
            })),
            Err(e) => Err(e.at(offset, Some(opcode))),
        }
    }

    /// Checks an integer against [`Limits::max_int_bits`] (one that fits an `i64` always
    /// passes).
    #[inline]
    fn int_bits(&self, i: Int) -> Result<Int> {
        match &i {
            Int::Big(b) if b.bits() > self.limits.max_int_bits => {
                Err(Error::limit(Limit::IntBits, self.limits.max_int_bits))
            }
            _ => Ok(i),
        }
    }

    /// Checks that `n` more bytes stay inside the current frame.
    #[inline]
    fn check_frame(&self, n: u64) -> Result<()> {
        if let Some(end) = self.frame_end {
            let pos = self.input.position();
            if pos.checked_add(n).is_none_or(|e| e > end) {
                return Err(frame_straddle());
            }
        }
        Ok(())
    }

    #[inline]
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.check_frame(N as u64)?;
        let mut out = [0u8; N];
        match self.input.take(N as u64)? {
            Some(b) if b.len() == N => out.copy_from_slice(&b),
            _ => return Err(Error::truncated("pickle data was truncated")),
        }
        Ok(out)
    }

    #[inline]
    fn payload(&mut self, n: u64) -> Result<Cow<'_, [u8]>> {
        if n > self.limits.max_item_len {
            return Err(Error::limit(Limit::ItemLen, self.limits.max_item_len));
        }
        self.check_frame(n)?;
        if let Some(rest) = self.input.remaining() {
            if n > rest {
                return Err(Error::truncated(format!(
                    "argument claims {n} bytes, only {rest} remain"
                )));
            }
        }
        match self.input.take(n)? {
            Some(b) => Ok(b),
            None => Err(Error::truncated(format!(
                "argument claims {n} bytes, the input ended first"
            ))),
        }
    }

    fn line(&mut self) -> Result<Cow<'_, [u8]>> {
        let max = self.limits.max_item_len;
        let frame_left = self
            .frame_end
            .map(|end| end.saturating_sub(self.input.position()));
        let window = frame_left.map_or(max, |f| f.min(max));
        let too_long_is_frame = frame_left.is_some_and(|f| f <= max);
        match self.input.line(window.saturating_sub(1))? {
            Line::Text(t) => Ok(t),
            // The input ended (not the frame): truncated, inside a frame or not.
            Line::Eof => Err(Error::truncated("pickle data was truncated (no newline)")),
            Line::TooLong if too_long_is_frame => Err(frame_straddle()),
            Line::TooLong => Err(Error::limit(Limit::ItemLen, max)),
        }
    }

    fn str_line(&mut self) -> Result<Cow<'_, str>> {
        Ok(match self.line()? {
            Cow::Borrowed(b) => Cow::Borrowed(text::utf8(b)?),
            Cow::Owned(b) => Cow::Owned(text::utf8(&b)?.to_owned()),
        })
    }

    #[inline(always)]
    fn decode_arg(&mut self, opcode: Opcode, offset: u64) -> Result<Instruction<'_>> {
        use Instruction as I;
        let digits = self.limits.max_digits;
        Ok(match opcode {
            Opcode::Mark => I::Mark,
            Opcode::Stop => {
                if let Some(end) = self.frame_end {
                    if end != self.input.position() {
                        return Err(Error::malformed(format!(
                            "STOP inside a frame that continues to offset {end}"
                        )));
                    }
                }
                self.stopped = true;
                I::Stop
            }
            Opcode::Pop => I::Pop,
            Opcode::PopMark => I::PopMark,
            Opcode::Dup => I::Dup,
            Opcode::None => I::None,
            Opcode::NewTrue => I::Bool(true),
            Opcode::NewFalse => I::Bool(false),
            Opcode::Int | Opcode::Get | Opcode::Put | Opcode::Long if self.listing => {
                let long = opcode == Opcode::Long;
                match text::listing_int_line(&self.line()?, !long, long, digits)? {
                    text::IntOrBool::Bool(b) => I::Bool(b),
                    text::IntOrBool::Int(i) => match opcode {
                        Opcode::Get => I::Get(index_from_text(i)),
                        Opcode::Put => I::Put(index_from_text(i)),
                        _ => I::Int(i),
                    },
                }
            }
            Opcode::Float if self.listing => I::Float(text::listing_float_line(&self.line()?)?),
            Opcode::String if self.listing => I::String(Cow::Owned(
                text::listing_string_line(&self.line()?)?.into_owned(),
            )),
            Opcode::Int => match text::parse_int_line(&self.line()?, digits)? {
                text::IntOrBool::Int(i) => I::Int(self.int_bits(i)?),
                text::IntOrBool::Bool(b) => I::Bool(b),
            },
            Opcode::BinInt => I::Int(Int::Small(i64::from(i32::from_le_bytes(self.fixed()?)))),
            Opcode::BinInt1 => I::Int(Int::Small(i64::from(self.fixed::<1>()?[0]))),
            Opcode::BinInt2 => I::Int(Int::Small(i64::from(u16::from_le_bytes(self.fixed()?)))),
            Opcode::Long => {
                let i = text::parse_long_line(&self.line()?, digits)?;
                I::Int(self.int_bits(i)?)
            }
            Opcode::Long1 => {
                let n = self.fixed::<1>()?[0];
                let i = decode_long_bytes(&self.payload(u64::from(n))?);
                I::Int(self.int_bits(i)?)
            }
            Opcode::Long4 => {
                let n = i32::from_le_bytes(self.fixed()?);
                let n = u64::try_from(n)
                    .map_err(|_| Error::malformed("LONG pickle has negative byte count"))?;
                let i = decode_long_bytes(&self.payload(n)?);
                I::Int(self.int_bits(i)?)
            }
            Opcode::Float => I::Float(text::parse_float_line(&self.line()?)?),
            Opcode::BinFloat => I::Float(f64::from_be_bytes(self.fixed()?)),
            Opcode::String => I::String(Cow::Owned(
                text::parse_string_line(&self.line()?)?.into_owned(),
            )),
            Opcode::BinString => {
                let n = i32::from_le_bytes(self.fixed()?);
                let n = u64::try_from(n)
                    .map_err(|_| Error::malformed("BINSTRING pickle has negative byte count"))?;
                I::String(self.payload(n)?)
            }
            Opcode::ShortBinString => {
                let n = self.fixed::<1>()?[0];
                I::String(self.payload(u64::from(n))?)
            }
            Opcode::Unicode => match text::parse_unicode_line(&self.line()?)? {
                text::Text::Str(s) => I::Unicode(Cow::Owned(s.into_owned())),
                text::Text::Surrogates(b) => I::UnicodeSurrogates(Cow::Owned(b)),
            },
            Opcode::BinUnicode => {
                let n = u32::from_le_bytes(self.fixed()?);
                unicode(text::utf8_surrogatepass(self.payload(u64::from(n))?)?)
            }
            Opcode::ShortBinUnicode => {
                let n = self.fixed::<1>()?[0];
                unicode(text::utf8_surrogatepass(self.payload(u64::from(n))?)?)
            }
            Opcode::BinUnicode8 => {
                let n = u64::from_le_bytes(self.fixed()?);
                unicode(text::utf8_surrogatepass(self.payload(n)?)?)
            }
            Opcode::BinBytes => {
                let n = u32::from_le_bytes(self.fixed()?);
                I::Bytes(self.payload(u64::from(n))?)
            }
            Opcode::ShortBinBytes => {
                let n = self.fixed::<1>()?[0];
                I::Bytes(self.payload(u64::from(n))?)
            }
            Opcode::BinBytes8 => {
                let n = u64::from_le_bytes(self.fixed()?);
                I::Bytes(self.payload(n)?)
            }
            Opcode::ByteArray8 => {
                let n = u64::from_le_bytes(self.fixed()?);
                I::ByteArray(self.payload(n)?)
            }
            Opcode::Global | Opcode::Inst => {
                let module = self.str_line()?.into_owned();
                let name = self.str_line()?.into_owned();
                let (module, name) = (Cow::Owned(module), Cow::Owned(name));
                if opcode == Opcode::Global {
                    I::Global { module, name }
                } else {
                    I::Inst { module, name }
                }
            }
            Opcode::StackGlobal => I::StackGlobal,
            Opcode::PersId => I::PersId(self.line()?),
            Opcode::BinPersId => I::BinPersId,
            Opcode::Reduce => I::Reduce,
            Opcode::Build => I::Build,
            Opcode::Obj => I::Obj,
            Opcode::NewObj => I::NewObj,
            Opcode::NewObjEx => I::NewObjEx,
            Opcode::Ext1 => I::Ext(i32::from(self.fixed::<1>()?[0])),
            Opcode::Ext2 => I::Ext(i32::from(u16::from_le_bytes(self.fixed()?))),
            Opcode::Ext4 => I::Ext(i32::from_le_bytes(self.fixed()?)),
            Opcode::Append => I::Append,
            Opcode::Appends => I::Appends,
            Opcode::List => I::List,
            Opcode::EmptyList => I::EmptyList,
            Opcode::Dict => I::Dict,
            Opcode::EmptyDict => I::EmptyDict,
            Opcode::SetItem => I::SetItem,
            Opcode::SetItems => I::SetItems,
            Opcode::Tuple => I::Tuple,
            Opcode::EmptyTuple => I::EmptyTuple,
            Opcode::Tuple1 => I::Tuple1,
            Opcode::Tuple2 => I::Tuple2,
            Opcode::Tuple3 => I::Tuple3,
            Opcode::EmptySet => I::EmptySet,
            Opcode::AddItems => I::AddItems,
            Opcode::FrozenSet => I::FrozenSet,
            Opcode::Get => I::Get(index_from_text(text::parse_index_line(
                &self.line()?,
                digits,
            )?)),
            Opcode::BinGet => I::Get(i64::from(self.fixed::<1>()?[0])),
            Opcode::LongBinGet => I::Get(i64::from(u32::from_le_bytes(self.fixed()?))),
            Opcode::Put => {
                let idx = index_from_text(text::parse_index_line(&self.line()?, digits)?);
                if idx < 0 {
                    return Err(Error::malformed("negative PUT argument"));
                }
                I::Put(idx)
            }
            Opcode::BinPut => I::Put(i64::from(self.fixed::<1>()?[0])),
            Opcode::LongBinPut => I::Put(i64::from(u32::from_le_bytes(self.fixed()?))),
            Opcode::Memoize => I::Memoize,
            Opcode::Proto => I::Proto(self.fixed::<1>()?[0]),
            Opcode::Frame if self.listing => I::Frame(u64::from_le_bytes(self.fixed()?)),
            Opcode::Frame => {
                let n = u64::from_le_bytes(self.fixed()?);
                if self.frame_end.is_some() {
                    return Err(Error::malformed(
                        "beginning of a new frame before end of current frame",
                    ));
                }
                if n > self.limits.max_frame {
                    return Err(Error::limit(Limit::Frame, self.limits.max_frame));
                }
                // A frame longer than the input is not checked here: a reader cannot know
                // that yet, and both paths must fail the same way (at the first opcode the
                // input cannot complete, or at STOP inside the frame).
                let start = self.input.position();
                self.frame_end = Some(start.checked_add(n).ok_or_else(|| {
                    Error::malformed(format!("frame at offset {offset} is too long"))
                })?);
                if n == 0 {
                    self.frame_end = None;
                }
                I::Frame(n)
            }
            Opcode::NextBuffer => I::NextBuffer,
            Opcode::ReadonlyBuffer => I::ReadonlyBuffer,
        })
    }
}

/// A memo index given in text; one beyond `i64` can never be in the memo.
fn index_from_text(i: Int) -> i64 {
    match i {
        Int::Small(v) => v,
        Int::Big(b) => {
            if b.sign() == num_bigint::Sign::Minus {
                i64::MIN
            } else {
                i64::MAX
            }
        }
    }
}

/// The instruction for a decoded string argument.
#[inline]
fn unicode(t: text::Text<'_>) -> Instruction<'_> {
    match t {
        text::Text::Str(s) => Instruction::Unicode(s),
        text::Text::Surrogates(b) => Instruction::UnicodeSurrogates(Cow::Owned(b)),
    }
}

#[cold]
fn frame_straddle() -> Error {
    Error::malformed("pickle exhausted before end of frame (an opcode straddles the frame's end)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast LONG1/LONG4 decoding agrees with num-bigint's own two's-complement reading
    /// on every length and sign, at the edges (0x80 00.., ff ff.., 7f ff..) and on
    /// pseudo-random bytes.
    #[test]
    fn long_bytes_agree_with_num_bigint() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        };
        for len in 0..200usize {
            let mut cases: Vec<Vec<u8>> = Vec::new();
            for fill in [0x00u8, 0xff, 0x80, 0x7f, 0x01] {
                let mut b = vec![fill; len];
                cases.push(b.clone());
                if let Some(last) = b.last_mut() {
                    *last = 0x80;
                }
                cases.push(b.clone());
                if let Some(last) = b.last_mut() {
                    *last = 0x7f;
                }
                cases.push(b);
            }
            for _ in 0..20 {
                cases.push((0..len).map(|_| next()).collect());
            }
            for b in cases {
                let want = Int::from_big(BigInt::from_signed_bytes_le(&b));
                assert_eq!(decode_long_bytes(&b), want, "{b:02x?}");
            }
        }
    }
}
