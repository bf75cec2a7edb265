//! A disassembler whose listing is, line for line, what `python3 -m pickletools FILE` prints
//! (CPython 3.11's `pickletools.dis` with its default options).
//!
//! The stream is read with the crate's [`Decoder`]; on top of it this module reproduces
//! pickletools' layout (offset, opcode code, MARK indentation, name, argument as Python's
//! `repr`) and its crude emulation of the unpickler's stack and memo, which is what lets
//! pickletools report a missing MARK, a stack underflow, memo misuse and a stack left
//! non-empty after STOP. Where pickletools raises, the lines it would have printed before the
//! fault are written and an error is returned.
//!
//! The decoder parses arguments the way CPython's C unpickler does, which is stricter than
//! pickletools in places (frames are enforced, a lone surrogate is refused, text arguments
//! follow `_pickle.c`), so a few inputs that pickletools lists are errors here; the listing
//! of anything both accept is identical.
//!
//! ```
//! let mut out = Vec::new();
//! unpickle::dis::dis(b"\x80\x04K\x01.", &mut out)?;
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "    0: \\x80 PROTO      4\n    2: K    BININT1    1\n    4: .    STOP\n\
//!      highest protocol among opcodes = 2\n"
//! );
//! # Ok::<(), unpickle::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io;

use crate::decode::{text, Decoder, Input, Instruction, Int};
use crate::error::{Error, Result};
use crate::limits::{Limit, Limits};
use crate::opcode::{ArgKind, Opcode};

/// Lists one pickle, up to and including its STOP, exactly as `python3 -m pickletools`
/// does, ending with the `highest protocol among opcodes = N` line.
///
/// Bytes after STOP are not read. The decoder runs with [`Limits::default`]; besides, at
/// most [`Limits::get_max_marks`] MARKs may be open and [`Limits::get_max_memo`] memo
/// entries stored (pickletools has no such bounds).
///
/// # Errors
///
/// Where pickletools would raise (a malformed argument, no MARK on the stack, a stack
/// underflow, a memo key stored twice or never stored, a stack left non-empty after STOP),
/// the lines it prints before the fault are written and the error is returned; also any
/// decoder error (truncated input, unknown opcode, bad frame, a limit), and a write error.
pub fn dis<W: io::Write>(data: &[u8], out: &mut W) -> Result<()> {
    with_buffer(Decoder::from_slice(data, Limits::default()), out)
}

/// Like [`dis`], reading the pickle from `reader` (through [`Decoder::from_reader`]); the
/// reader is left just past STOP.
///
/// # Errors
///
/// As [`dis`], plus read errors.
pub fn dis_reader<R: io::Read, W: io::Write>(reader: R, out: &mut W) -> Result<()> {
    with_buffer(Decoder::from_reader(reader, Limits::default()), out)
}

/// Runs the listing through a buffer that is flushed whatever the outcome, so the lines
/// printed before a fault always reach `out`.
fn with_buffer<I: Input, W: io::Write>(decoder: Decoder<I>, out: &mut W) -> Result<()> {
    let mut buffered = io::BufWriter::new(out);
    let result = run(decoder, &Limits::default(), &mut buffered);
    let flushed = io::Write::flush(&mut buffered);
    result?;
    flushed?;
    Ok(())
}

fn run<I: Input, W: io::Write>(
    mut decoder: Decoder<I>,
    limits: &Limits,
    out: &mut W,
) -> Result<()> {
    let mut machine = Machine::default();
    let mut line = String::new();
    let mut stop_offset = 0;
    while let Some(decoded) = decoder.next_instruction()? {
        let (offset, opcode) = (decoded.offset, decoded.opcode);
        stop_offset = offset;
        let at = |e: Error| e.at(offset, Some(opcode));
        // pickletools' genops reads the argument before anything is printed.
        let arg = Arg::read(opcode, &decoded.instruction).map_err(at)?;
        machine.check_limits(opcode, limits).map_err(at)?;
        // pickletools prints the offset first: a fault while it prepares the rest of the
        // line leaves the offset on its own, without a newline.
        write!(out, "{offset:>5}: ")?;
        line.clear();
        let step = machine.step(opcode, &arg, limits, &mut line).map_err(at)?;
        out.write_all(line.as_bytes())?;
        machine.finish(step, offset).map_err(at)?;
        if opcode == Opcode::Stop {
            break;
        }
    }
    writeln!(out, "highest protocol among opcodes = {}", machine.maxproto)?;
    if !machine.stack.is_empty() {
        let mut msg = String::from("stack not empty after STOP: [");
        for (i, obj) in machine.stack.iter().enumerate() {
            if i > 0 {
                msg.push_str(", ");
            }
            msg.push_str(obj.name());
        }
        msg.push(']');
        return Err(Error::malformed(msg).at(stop_offset, Some(Opcode::Stop)));
    }
    Ok(())
}

/// pickletools' `StackObject`s: what its stack emulation knows about each stack entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StackObject {
    Int,
    IntOrBool,
    Bool,
    Float,
    BytesOrStr,
    Bytes,
    ByteArray,
    Str,
    None,
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
    Buffer,
    Any,
    Mark,
}

impl StackObject {
    /// pickletools' name for it, which is also its `repr`.
    fn name(self) -> &'static str {
        use StackObject as O;
        match self {
            O::Int => "int",
            O::IntOrBool => "int_or_bool",
            O::Bool => "bool",
            O::Float => "float",
            O::BytesOrStr => "bytes_or_str",
            O::Bytes => "bytes",
            O::ByteArray => "bytearray",
            O::Str => "str",
            O::None => "None",
            O::Tuple => "tuple",
            O::List => "list",
            O::Dict => "dict",
            O::Set => "set",
            O::FrozenSet => "frozenset",
            O::Buffer => "buffer",
            O::Any => "any",
            O::Mark => "mark",
        }
    }
}

/// An opcode's stack effect in pickletools' terms: the length of `stack_before`, where
/// `markobject` is in it (it is always followed by `stackslice`), and `stack_after`.
///
/// Generated from CPython 3.11's `pickletools.opcodes`.
fn stack_effect(op: Opcode) -> (usize, Option<usize>, &'static [StackObject]) {
    use Opcode as Op;
    use StackObject as O;
    match op {
        Op::Int => (0, None, &[O::IntOrBool]),
        Op::BinInt => (0, None, &[O::Int]),
        Op::BinInt1 => (0, None, &[O::Int]),
        Op::BinInt2 => (0, None, &[O::Int]),
        Op::Long => (0, None, &[O::Int]),
        Op::Long1 => (0, None, &[O::Int]),
        Op::Long4 => (0, None, &[O::Int]),
        Op::String => (0, None, &[O::BytesOrStr]),
        Op::BinString => (0, None, &[O::BytesOrStr]),
        Op::ShortBinString => (0, None, &[O::BytesOrStr]),
        Op::BinBytes => (0, None, &[O::Bytes]),
        Op::ShortBinBytes => (0, None, &[O::Bytes]),
        Op::BinBytes8 => (0, None, &[O::Bytes]),
        Op::ByteArray8 => (0, None, &[O::ByteArray]),
        Op::NextBuffer => (0, None, &[O::Buffer]),
        Op::ReadonlyBuffer => (1, None, &[O::Buffer]),
        Op::None => (0, None, &[O::None]),
        Op::NewTrue => (0, None, &[O::Bool]),
        Op::NewFalse => (0, None, &[O::Bool]),
        Op::Unicode => (0, None, &[O::Str]),
        Op::ShortBinUnicode => (0, None, &[O::Str]),
        Op::BinUnicode => (0, None, &[O::Str]),
        Op::BinUnicode8 => (0, None, &[O::Str]),
        Op::Float => (0, None, &[O::Float]),
        Op::BinFloat => (0, None, &[O::Float]),
        Op::EmptyList => (0, None, &[O::List]),
        Op::Append => (2, None, &[O::List]),
        Op::Appends => (3, Some(1), &[O::List]),
        Op::List => (2, Some(0), &[O::List]),
        Op::EmptyTuple => (0, None, &[O::Tuple]),
        Op::Tuple => (2, Some(0), &[O::Tuple]),
        Op::Tuple1 => (1, None, &[O::Tuple]),
        Op::Tuple2 => (2, None, &[O::Tuple]),
        Op::Tuple3 => (3, None, &[O::Tuple]),
        Op::EmptyDict => (0, None, &[O::Dict]),
        Op::Dict => (2, Some(0), &[O::Dict]),
        Op::SetItem => (3, None, &[O::Dict]),
        Op::SetItems => (3, Some(1), &[O::Dict]),
        Op::EmptySet => (0, None, &[O::Set]),
        Op::AddItems => (3, Some(1), &[O::Set]),
        Op::FrozenSet => (2, Some(0), &[O::FrozenSet]),
        Op::Pop => (1, None, &[]),
        Op::Dup => (1, None, &[O::Any, O::Any]),
        Op::Mark => (0, None, &[O::Mark]),
        Op::PopMark => (2, Some(0), &[]),
        Op::Get => (0, None, &[O::Any]),
        Op::BinGet => (0, None, &[O::Any]),
        Op::LongBinGet => (0, None, &[O::Any]),
        Op::Put => (0, None, &[]),
        Op::BinPut => (0, None, &[]),
        Op::LongBinPut => (0, None, &[]),
        Op::Memoize => (1, None, &[O::Any]),
        Op::Ext1 => (0, None, &[O::Any]),
        Op::Ext2 => (0, None, &[O::Any]),
        Op::Ext4 => (0, None, &[O::Any]),
        Op::Global => (0, None, &[O::Any]),
        Op::StackGlobal => (2, None, &[O::Any]),
        Op::Reduce => (2, None, &[O::Any]),
        Op::Build => (2, None, &[O::Any]),
        Op::Inst => (2, Some(0), &[O::Any]),
        Op::Obj => (3, Some(0), &[O::Any]),
        Op::NewObj => (2, None, &[O::Any]),
        Op::NewObjEx => (3, None, &[O::Any]),
        Op::Proto => (0, None, &[]),
        Op::Stop => (1, None, &[]),
        Op::Frame => (0, None, &[]),
        Op::PersId => (0, None, &[O::Any]),
        Op::BinPersId => (1, None, &[O::Any]),
    }
}

/// The state of pickletools' emulation.
struct Machine {
    stack: Vec<StackObject>,
    /// Offsets of the MARKs still open.
    markstack: Vec<u64>,
    memo: HashMap<i64, StackObject>,
    maxproto: i32,
}

impl Default for Machine {
    fn default() -> Machine {
        Machine {
            stack: Vec::new(),
            markstack: Vec::new(),
            memo: HashMap::new(),
            maxproto: -1,
        }
    }
}

/// What is left to do for an opcode once its line is printed.
struct Step {
    /// The fault pickletools raises right after printing the line.
    error: Option<String>,
    numtopop: usize,
    after: Cow<'static, [StackObject]>,
}

impl Machine {
    /// This crate's bounds, which pickletools does not have: checked before an opcode's line.
    fn check_limits(&self, op: Opcode, limits: &Limits) -> Result<()> {
        match op {
            Opcode::Mark if self.markstack.len() as u64 >= limits.max_marks => {
                Err(Error::limit(Limit::Marks, limits.max_marks))
            }
            Opcode::Put | Opcode::BinPut | Opcode::LongBinPut | Opcode::Memoize
                if self.memo.len() as u64 >= limits.max_memo =>
            {
                Err(Error::limit(Limit::Memo, limits.max_memo))
            }
            _ => Ok(()),
        }
    }

    /// Everything pickletools does for one opcode after printing its offset and before
    /// printing the rest of its line, which goes to `line` (with its newline). An error here
    /// is one pickletools raises before finishing the line.
    fn step(
        &mut self,
        op: Opcode,
        arg: &Arg<'_>,
        limits: &Limits,
        line: &mut String,
    ) -> Result<Step> {
        let mut code = String::new();
        write_str(&mut code, char::from(op.byte()).encode_utf8(&mut [0; 4])).map_err(fmt_failed)?;
        let code = code
            .get(1..code.len().saturating_sub(1))
            .unwrap_or_default();
        write!(line, "{code:<4} ").map_err(fmt_failed)?;
        for _ in 0..self.markstack.len() {
            line.push_str(INDENT);
        }
        line.push_str(op.name());

        self.maxproto = self.maxproto.max(i32::from(op.protocol()));
        let (mut numtopop, mark_at, after) = stack_effect(op);
        let mut after = Cow::Borrowed(after);

        let mut markmsg = None;
        let mut error = None;
        if mark_at.is_some() || (op == Opcode::Pop && self.stack.last() == Some(&StackObject::Mark))
        {
            if let Some(markpos) = self.markstack.pop() {
                markmsg = Some(format!("(MARK at {markpos})"));
                // Pop everything at and after the topmost markobject.
                loop {
                    match self.stack.pop() {
                        Some(StackObject::Mark) => break,
                        Some(_) => {}
                        // pickletools' `stack[-1]` raises IndexError before printing.
                        None => return Err(Error::malformed("list index out of range")),
                    }
                }
                numtopop = mark_at.unwrap_or(0);
            } else {
                let msg = "no MARK exists on stack";
                markmsg = Some(msg.to_owned());
                error = Some(msg.to_owned());
            }
        }

        match op {
            Opcode::Put | Opcode::BinPut | Opcode::LongBinPut | Opcode::Memoize => {
                let memo_idx = if op == Opcode::Memoize {
                    markmsg = Some(format!("(as {})", self.memo.len()));
                    i64::try_from(self.memo.len()).unwrap_or(i64::MAX)
                } else {
                    arg.memo_index()?
                };
                if self.memo.contains_key(&memo_idx) {
                    let mut msg = String::from("memo key ");
                    arg.write_repr(&mut msg, limits)?;
                    msg.push_str(" already defined");
                    error = Some(msg);
                } else {
                    match self.stack.last() {
                        None => error = Some("stack is empty -- can't store into memo".into()),
                        Some(StackObject::Mark) => {
                            error = Some("can't store markobject in the memo".into())
                        }
                        Some(&top) => {
                            self.memo.insert(memo_idx, top);
                        }
                    }
                }
            }
            Opcode::Get | Opcode::BinGet | Opcode::LongBinGet => {
                match self.memo.get(&arg.memo_index()?) {
                    Some(&obj) => after = Cow::Owned(vec![obj]),
                    None => {
                        let mut msg = String::from("memo key ");
                        arg.write_repr(&mut msg, limits)?;
                        msg.push_str(" has never been stored into");
                        error = Some(msg);
                    }
                }
            }
            _ => {}
        }

        if !matches!(arg, Arg::None) || markmsg.is_some() {
            // pickletools makes "a mild effort to align arguments".
            for _ in op.name().len()..10 {
                line.push(' ');
            }
            if !matches!(arg, Arg::None) {
                line.push(' ');
                arg.write_repr(line, limits)?;
            }
            if let Some(m) = markmsg {
                line.push(' ');
                line.push_str(&m);
            }
        }
        line.push('\n');
        Ok(Step {
            error,
            numtopop,
            after,
        })
    }

    /// What pickletools does after printing an opcode's line: raise a pending fault, check
    /// and apply the stack effect.
    fn finish(&mut self, step: Step, offset: u64) -> Result<()> {
        if let Some(msg) = step.error {
            return Err(Error::malformed(msg));
        }
        let len = self.stack.len();
        if len < step.numtopop {
            return Err(Error::malformed(format!(
                "tries to pop {} items from stack with only {len} items",
                step.numtopop
            )));
        }
        self.stack.truncate(len - step.numtopop);
        if step.after.contains(&StackObject::Mark) {
            self.markstack.push(offset);
        }
        self.stack.extend_from_slice(&step.after);
        Ok(())
    }
}

/// pickletools' `indentchunk` for its default `indentlevel` of 4.
const INDENT: &str = "    ";

/// An opcode's argument as pickletools' argument reader returns it.
enum Arg<'a> {
    /// The opcode takes no argument.
    None,
    /// An `int` that fits a machine word (memo indices, EXT codes, PROTO, FRAME, …).
    Small(i128),
    /// An `int` from one of the integer opcodes.
    Int(&'a Int),
    /// INT's `00`/`01`.
    Bool(bool),
    Float(f64),
    Str(Cow<'a, str>),
    Bytes(&'a [u8]),
    ByteArray(&'a [u8]),
}

impl<'a> Arg<'a> {
    /// The argument of `op` decoded as `instruction`, converted as pickletools' reader for
    /// the opcode's argument type converts it (and failing where that reader fails).
    fn read(op: Opcode, instruction: &'a Instruction<'a>) -> Result<Arg<'a>> {
        use Instruction as I;
        if op.arg_kind() == ArgKind::None {
            return Ok(Arg::None);
        }
        Ok(match instruction {
            I::Int(i) => Arg::Int(i),
            I::Bool(b) => Arg::Bool(*b),
            I::Float(f) => Arg::Float(*f),
            I::Unicode(s) => Arg::Str(Cow::Borrowed(s)),
            I::Bytes(b) => Arg::Bytes(b),
            I::ByteArray(b) => Arg::ByteArray(b),
            // stringnl: `codecs.escape_decode` (done by the decoder), then ASCII.
            I::String(b) if op == Opcode::String => Arg::Str(Cow::Borrowed(ascii(b)?)),
            // string1/string4: Latin-1.
            I::String(b) => Arg::Str(Cow::Owned(b.iter().copied().map(char::from).collect())),
            I::Global { module, name } | I::Inst { module, name } => {
                let pair = format!("{} {}", noescape(module)?, noescape(name)?);
                Arg::Str(Cow::Owned(pair))
            }
            I::PersId(id) => Arg::Str(noescape(id)?),
            I::Ext(code) => Arg::Small(i128::from(*code)),
            I::Get(i) | I::Put(i) => Arg::Small(i128::from(*i)),
            I::Proto(p) => Arg::Small(i128::from(*p)),
            I::Frame(n) => Arg::Small(i128::from(*n)),
            other => {
                return Err(Error::malformed(format!(
                    "internal error: {op} decoded as {other:?}"
                )))
            }
        })
    }

    /// The memo index of a GET or PUT family opcode.
    fn memo_index(&self) -> Result<i64> {
        match self {
            Arg::Small(i) => {
                i64::try_from(*i).map_err(|_| Error::malformed("memo index out of range"))
            }
            _ => Err(Error::malformed(
                "internal error: memo opcode without an index",
            )),
        }
    }

    /// Python's `repr` of the argument; `None` for no argument.
    fn write_repr(&self, out: &mut String, limits: &Limits) -> Result<()> {
        match self {
            Arg::None => out.push_str("None"),
            Arg::Small(i) => write!(out, "{i}").map_err(fmt_failed)?,
            Arg::Int(Int::Small(i)) => write!(out, "{i}").map_err(fmt_failed)?,
            Arg::Int(Int::Big(b)) => {
                // CPython 3.11 refuses to convert an int of more than 4300 digits to text.
                let max = limits.max_digits;
                let too_long = || Error::limit(Limit::Digits, max);
                // At least 0.3 decimal digits per bit: no need to convert a huge one.
                if b.bits() / 4 > max.saturating_add(1) {
                    return Err(too_long());
                }
                let text = b.to_string();
                if text.trim_start_matches('-').len() as u64 > max {
                    return Err(too_long());
                }
                out.push_str(&text);
            }
            Arg::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Arg::Float(f) => write_float(out, *f).map_err(fmt_failed)?,
            Arg::Str(s) => write_str(out, s).map_err(fmt_failed)?,
            Arg::Bytes(b) => write_bytes(out, b).map_err(fmt_failed)?,
            Arg::ByteArray(b) => write_bytearray(out, b).map_err(fmt_failed)?,
        }
        Ok(())
    }
}

/// `bytes.decode("ascii")`, failing as Python does.
fn ascii(b: &[u8]) -> Result<&str> {
    match b.iter().position(|c| !c.is_ascii()) {
        Some(pos) => Err(Error::malformed(format!(
            "'ascii' codec can't decode byte 0x{:02x} in position {pos}: ordinal not in range(128)",
            b.get(pos).copied().unwrap_or(0)
        ))),
        // ASCII is UTF-8.
        None => std::str::from_utf8(b).map_err(|_| Error::malformed("invalid ASCII")),
    }
}

/// pickletools' `read_stringnl_noescape` of a line the decoder has read as text: escapes
/// undone with `codecs.escape_decode`, then ASCII.
fn noescape(line: &str) -> Result<Cow<'_, str>> {
    if !line.contains('\\') {
        return Ok(Cow::Borrowed(ascii(line.as_bytes())?));
    }
    // The decoder's STRING escape decoding is `PyBytes_DecodeEscape`, as `escape_decode` is;
    // it wants the quotes STRING has.
    let quoted = format!("'{line}'");
    let decoded = text::parse_string_line(quoted.as_bytes())?;
    Ok(Cow::Owned(ascii(&decoded)?.to_owned()))
}

/// Writing into a `String` does not fail; should a formatter fail, say so.
fn fmt_failed(_: fmt::Error) -> Error {
    Error::malformed("formatting the listing failed")
}

// ---------------------------------------------------------------------------------------
// TODO(lead): replace with crate::value::repr
//
// Minimal private equivalents of `write_float`, `write_str` and `write_bytes` (Python's
// `repr` into a `fmt::Write`), until `src/value/repr.rs` is merged: delete this section and
// import those three instead. Mind `write_bytearray`: `repr(bytearray)` escapes `'` even
// between double quotes, unlike `repr(bytes)`; keep it unless repr.rs has the same.
// ---------------------------------------------------------------------------------------

/// Python's `repr(float)`: the shortest text that reads back to the same double, in
/// positional form for exponents -4..16 (with `.0` when integral), else `1e+16` style.
fn write_float<W: fmt::Write + ?Sized>(out: &mut W, x: f64) -> fmt::Result {
    if x.is_nan() {
        return out.write_str("nan");
    }
    if x.is_infinite() {
        return out.write_str(if x < 0.0 { "-inf" } else { "inf" });
    }
    if x.is_sign_negative() {
        out.write_char('-')?;
    }
    let x = x.abs();
    // Rust's `{:e}` gives the shortest round-trip digits too (`d.ddddde[-]N`), but where two
    // candidates of that length are equally near it rounds the last digit half up, and
    // Python half to even: take the correctly rounded (half-even) digits of that length
    // when they read back to the same double.
    let mut sci = format!("{x:e}");
    let shortest_len = sci.find('e').unwrap_or(sci.len());
    let precision = shortest_len.saturating_sub(2);
    let nearest = format!("{x:.precision$e}");
    if nearest != sci && nearest.parse::<f64>() == Ok(x) {
        sci = nearest;
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i64 = exp.parse().map_err(|_| fmt::Error)?;
    let ndigits = digits.len() as i64;
    let decpt = exp + 1;
    if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.write_str(first)?;
        if !rest.is_empty() {
            out.write_char('.')?;
            out.write_str(rest)?;
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", exp.abs())
    } else if decpt <= 0 {
        out.write_str("0.")?;
        for _ in 0..-decpt {
            out.write_char('0')?;
        }
        out.write_str(&digits)
    } else if decpt >= ndigits {
        out.write_str(&digits)?;
        for _ in 0..decpt - ndigits {
            out.write_char('0')?;
        }
        out.write_str(".0")
    } else {
        let (int, frac) = digits.split_at(usize::try_from(decpt).map_err(|_| fmt::Error)?);
        write!(out, "{int}.{frac}")
    }
}

/// Python's `repr(str)`.
fn write_str<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => out.write_str("\\\\")?,
            '\t' => out.write_str("\\t")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            c if c == quote => write!(out, "\\{c}")?,
            c if c < ' ' || c == '\x7f' => write!(out, "\\x{:02x}", u32::from(c))?,
            c if c.is_ascii() || is_printable(c) => out.write_char(c)?,
            c if u32::from(c) <= 0xff => write!(out, "\\x{:02x}", u32::from(c))?,
            c if u32::from(c) <= 0xffff => write!(out, "\\u{:04x}", u32::from(c))?,
            c => write!(out, "\\U{:08x}", u32::from(c))?,
        }
    }
    out.write_char(quote)
}

/// Python's `repr(bytes)`.
fn write_bytes<W: fmt::Write + ?Sized>(out: &mut W, b: &[u8]) -> fmt::Result {
    write_bytes_literal(out, b, false)
}

/// Python's `repr(bytearray)`, which unlike `repr(bytes)` escapes every `'`, even between
/// double quotes (CPython's `bytearray_repr`).
fn write_bytearray<W: fmt::Write + ?Sized>(out: &mut W, b: &[u8]) -> fmt::Result {
    out.write_str("bytearray(")?;
    write_bytes_literal(out, b, true)?;
    out.write_char(')')
}

fn write_bytes_literal<W: fmt::Write + ?Sized>(
    out: &mut W,
    b: &[u8],
    escape_single: bool,
) -> fmt::Result {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out.write_char('b')?;
    out.write_char(char::from(quote))?;
    for &c in b {
        match c {
            b'\\' => out.write_str("\\\\")?,
            b'\t' => out.write_str("\\t")?,
            b'\n' => out.write_str("\\n")?,
            b'\r' => out.write_str("\\r")?,
            c if c == quote || (escape_single && c == b'\'') => write!(out, "\\{}", char::from(c))?,
            b' '..=b'~' => out.write_char(char::from(c))?,
            c => write!(out, "\\x{c:02x}")?,
        }
    }
    out.write_char(char::from(quote))
}

/// Python's `str.isprintable` for one non-ASCII character (Unicode 14.0, as in CPython
/// 3.11).
fn is_printable(c: char) -> bool {
    // Characters below the first bound, or at/after an even number of bounds, are printable.
    NON_PRINTABLE.partition_point(|&bound| bound <= u32::from(c)) % 2 == 0
}

/// Half-open ranges `[start, end)` of the non-printable characters from U+0080 on,
/// flattened; generated from CPython 3.11's `unicodedata` (Unicode 14.0).
#[rustfmt::skip]
static NON_PRINTABLE: [u32; 1400] = [
    0x80, 0xa1, 0xad, 0xae, 0x378, 0x37a, 0x380, 0x384, 0x38b, 0x38c, 0x38d, 0x38e, 0x3a2,
    0x3a3, 0x530, 0x531, 0x557, 0x559, 0x58b, 0x58d, 0x590, 0x591, 0x5c8, 0x5d0, 0x5eb, 0x5ef,
    0x5f5, 0x606, 0x61c, 0x61d, 0x6dd, 0x6de, 0x70e, 0x710, 0x74b, 0x74d, 0x7b2, 0x7c0, 0x7fb,
    0x7fd, 0x82e, 0x830, 0x83f, 0x840, 0x85c, 0x85e, 0x85f, 0x860, 0x86b, 0x870, 0x88f, 0x898,
    0x8e2, 0x8e3, 0x984, 0x985, 0x98d, 0x98f, 0x991, 0x993, 0x9a9, 0x9aa, 0x9b1, 0x9b2, 0x9b3,
    0x9b6, 0x9ba, 0x9bc, 0x9c5, 0x9c7, 0x9c9, 0x9cb, 0x9cf, 0x9d7, 0x9d8, 0x9dc, 0x9de, 0x9df,
    0x9e4, 0x9e6, 0x9ff, 0xa01, 0xa04, 0xa05, 0xa0b, 0xa0f, 0xa11, 0xa13, 0xa29, 0xa2a, 0xa31,
    0xa32, 0xa34, 0xa35, 0xa37, 0xa38, 0xa3a, 0xa3c, 0xa3d, 0xa3e, 0xa43, 0xa47, 0xa49, 0xa4b,
    0xa4e, 0xa51, 0xa52, 0xa59, 0xa5d, 0xa5e, 0xa5f, 0xa66, 0xa77, 0xa81, 0xa84, 0xa85, 0xa8e,
    0xa8f, 0xa92, 0xa93, 0xaa9, 0xaaa, 0xab1, 0xab2, 0xab4, 0xab5, 0xaba, 0xabc, 0xac6, 0xac7,
    0xaca, 0xacb, 0xace, 0xad0, 0xad1, 0xae0, 0xae4, 0xae6, 0xaf2, 0xaf9, 0xb00, 0xb01, 0xb04,
    0xb05, 0xb0d, 0xb0f, 0xb11, 0xb13, 0xb29, 0xb2a, 0xb31, 0xb32, 0xb34, 0xb35, 0xb3a, 0xb3c,
    0xb45, 0xb47, 0xb49, 0xb4b, 0xb4e, 0xb55, 0xb58, 0xb5c, 0xb5e, 0xb5f, 0xb64, 0xb66, 0xb78,
    0xb82, 0xb84, 0xb85, 0xb8b, 0xb8e, 0xb91, 0xb92, 0xb96, 0xb99, 0xb9b, 0xb9c, 0xb9d, 0xb9e,
    0xba0, 0xba3, 0xba5, 0xba8, 0xbab, 0xbae, 0xbba, 0xbbe, 0xbc3, 0xbc6, 0xbc9, 0xbca, 0xbce,
    0xbd0, 0xbd1, 0xbd7, 0xbd8, 0xbe6, 0xbfb, 0xc00, 0xc0d, 0xc0e, 0xc11, 0xc12, 0xc29, 0xc2a,
    0xc3a, 0xc3c, 0xc45, 0xc46, 0xc49, 0xc4a, 0xc4e, 0xc55, 0xc57, 0xc58, 0xc5b, 0xc5d, 0xc5e,
    0xc60, 0xc64, 0xc66, 0xc70, 0xc77, 0xc8d, 0xc8e, 0xc91, 0xc92, 0xca9, 0xcaa, 0xcb4, 0xcb5,
    0xcba, 0xcbc, 0xcc5, 0xcc6, 0xcc9, 0xcca, 0xcce, 0xcd5, 0xcd7, 0xcdd, 0xcdf, 0xce0, 0xce4,
    0xce6, 0xcf0, 0xcf1, 0xcf3, 0xd00, 0xd0d, 0xd0e, 0xd11, 0xd12, 0xd45, 0xd46, 0xd49, 0xd4a,
    0xd50, 0xd54, 0xd64, 0xd66, 0xd80, 0xd81, 0xd84, 0xd85, 0xd97, 0xd9a, 0xdb2, 0xdb3, 0xdbc,
    0xdbd, 0xdbe, 0xdc0, 0xdc7, 0xdca, 0xdcb, 0xdcf, 0xdd5, 0xdd6, 0xdd7, 0xdd8, 0xde0, 0xde6,
    0xdf0, 0xdf2, 0xdf5, 0xe01, 0xe3b, 0xe3f, 0xe5c, 0xe81, 0xe83, 0xe84, 0xe85, 0xe86, 0xe8b,
    0xe8c, 0xea4, 0xea5, 0xea6, 0xea7, 0xebe, 0xec0, 0xec5, 0xec6, 0xec7, 0xec8, 0xece, 0xed0,
    0xeda, 0xedc, 0xee0, 0xf00, 0xf48, 0xf49, 0xf6d, 0xf71, 0xf98, 0xf99, 0xfbd, 0xfbe, 0xfcd,
    0xfce, 0xfdb, 0x1000, 0x10c6, 0x10c7, 0x10c8, 0x10cd, 0x10ce, 0x10d0, 0x1249, 0x124a,
    0x124e, 0x1250, 0x1257, 0x1258, 0x1259, 0x125a, 0x125e, 0x1260, 0x1289, 0x128a, 0x128e,
    0x1290, 0x12b1, 0x12b2, 0x12b6, 0x12b8, 0x12bf, 0x12c0, 0x12c1, 0x12c2, 0x12c6, 0x12c8,
    0x12d7, 0x12d8, 0x1311, 0x1312, 0x1316, 0x1318, 0x135b, 0x135d, 0x137d, 0x1380, 0x139a,
    0x13a0, 0x13f6, 0x13f8, 0x13fe, 0x1400, 0x1680, 0x1681, 0x169d, 0x16a0, 0x16f9, 0x1700,
    0x1716, 0x171f, 0x1737, 0x1740, 0x1754, 0x1760, 0x176d, 0x176e, 0x1771, 0x1772, 0x1774,
    0x1780, 0x17de, 0x17e0, 0x17ea, 0x17f0, 0x17fa, 0x1800, 0x180e, 0x180f, 0x181a, 0x1820,
    0x1879, 0x1880, 0x18ab, 0x18b0, 0x18f6, 0x1900, 0x191f, 0x1920, 0x192c, 0x1930, 0x193c,
    0x1940, 0x1941, 0x1944, 0x196e, 0x1970, 0x1975, 0x1980, 0x19ac, 0x19b0, 0x19ca, 0x19d0,
    0x19db, 0x19de, 0x1a1c, 0x1a1e, 0x1a5f, 0x1a60, 0x1a7d, 0x1a7f, 0x1a8a, 0x1a90, 0x1a9a,
    0x1aa0, 0x1aae, 0x1ab0, 0x1acf, 0x1b00, 0x1b4d, 0x1b50, 0x1b7f, 0x1b80, 0x1bf4, 0x1bfc,
    0x1c38, 0x1c3b, 0x1c4a, 0x1c4d, 0x1c89, 0x1c90, 0x1cbb, 0x1cbd, 0x1cc8, 0x1cd0, 0x1cfb,
    0x1d00, 0x1f16, 0x1f18, 0x1f1e, 0x1f20, 0x1f46, 0x1f48, 0x1f4e, 0x1f50, 0x1f58, 0x1f59,
    0x1f5a, 0x1f5b, 0x1f5c, 0x1f5d, 0x1f5e, 0x1f5f, 0x1f7e, 0x1f80, 0x1fb5, 0x1fb6, 0x1fc5,
    0x1fc6, 0x1fd4, 0x1fd6, 0x1fdc, 0x1fdd, 0x1ff0, 0x1ff2, 0x1ff5, 0x1ff6, 0x1fff, 0x2010,
    0x2028, 0x2030, 0x205f, 0x2070, 0x2072, 0x2074, 0x208f, 0x2090, 0x209d, 0x20a0, 0x20c1,
    0x20d0, 0x20f1, 0x2100, 0x218c, 0x2190, 0x2427, 0x2440, 0x244b, 0x2460, 0x2b74, 0x2b76,
    0x2b96, 0x2b97, 0x2cf4, 0x2cf9, 0x2d26, 0x2d27, 0x2d28, 0x2d2d, 0x2d2e, 0x2d30, 0x2d68,
    0x2d6f, 0x2d71, 0x2d7f, 0x2d97, 0x2da0, 0x2da7, 0x2da8, 0x2daf, 0x2db0, 0x2db7, 0x2db8,
    0x2dbf, 0x2dc0, 0x2dc7, 0x2dc8, 0x2dcf, 0x2dd0, 0x2dd7, 0x2dd8, 0x2ddf, 0x2de0, 0x2e5e,
    0x2e80, 0x2e9a, 0x2e9b, 0x2ef4, 0x2f00, 0x2fd6, 0x2ff0, 0x2ffc, 0x3001, 0x3040, 0x3041,
    0x3097, 0x3099, 0x3100, 0x3105, 0x3130, 0x3131, 0x318f, 0x3190, 0x31e4, 0x31f0, 0x321f,
    0x3220, 0xa48d, 0xa490, 0xa4c7, 0xa4d0, 0xa62c, 0xa640, 0xa6f8, 0xa700, 0xa7cb, 0xa7d0,
    0xa7d2, 0xa7d3, 0xa7d4, 0xa7d5, 0xa7da, 0xa7f2, 0xa82d, 0xa830, 0xa83a, 0xa840, 0xa878,
    0xa880, 0xa8c6, 0xa8ce, 0xa8da, 0xa8e0, 0xa954, 0xa95f, 0xa97d, 0xa980, 0xa9ce, 0xa9cf,
    0xa9da, 0xa9de, 0xa9ff, 0xaa00, 0xaa37, 0xaa40, 0xaa4e, 0xaa50, 0xaa5a, 0xaa5c, 0xaac3,
    0xaadb, 0xaaf7, 0xab01, 0xab07, 0xab09, 0xab0f, 0xab11, 0xab17, 0xab20, 0xab27, 0xab28,
    0xab2f, 0xab30, 0xab6c, 0xab70, 0xabee, 0xabf0, 0xabfa, 0xac00, 0xd7a4, 0xd7b0, 0xd7c7,
    0xd7cb, 0xd7fc, 0xf900, 0xfa6e, 0xfa70, 0xfada, 0xfb00, 0xfb07, 0xfb13, 0xfb18, 0xfb1d,
    0xfb37, 0xfb38, 0xfb3d, 0xfb3e, 0xfb3f, 0xfb40, 0xfb42, 0xfb43, 0xfb45, 0xfb46, 0xfbc3,
    0xfbd3, 0xfd90, 0xfd92, 0xfdc8, 0xfdcf, 0xfdd0, 0xfdf0, 0xfe1a, 0xfe20, 0xfe53, 0xfe54,
    0xfe67, 0xfe68, 0xfe6c, 0xfe70, 0xfe75, 0xfe76, 0xfefd, 0xff01, 0xffbf, 0xffc2, 0xffc8,
    0xffca, 0xffd0, 0xffd2, 0xffd8, 0xffda, 0xffdd, 0xffe0, 0xffe7, 0xffe8, 0xffef, 0xfffc,
    0xfffe, 0x10000, 0x1000c, 0x1000d, 0x10027, 0x10028, 0x1003b, 0x1003c, 0x1003e, 0x1003f,
    0x1004e, 0x10050, 0x1005e, 0x10080, 0x100fb, 0x10100, 0x10103, 0x10107, 0x10134, 0x10137,
    0x1018f, 0x10190, 0x1019d, 0x101a0, 0x101a1, 0x101d0, 0x101fe, 0x10280, 0x1029d, 0x102a0,
    0x102d1, 0x102e0, 0x102fc, 0x10300, 0x10324, 0x1032d, 0x1034b, 0x10350, 0x1037b, 0x10380,
    0x1039e, 0x1039f, 0x103c4, 0x103c8, 0x103d6, 0x10400, 0x1049e, 0x104a0, 0x104aa, 0x104b0,
    0x104d4, 0x104d8, 0x104fc, 0x10500, 0x10528, 0x10530, 0x10564, 0x1056f, 0x1057b, 0x1057c,
    0x1058b, 0x1058c, 0x10593, 0x10594, 0x10596, 0x10597, 0x105a2, 0x105a3, 0x105b2, 0x105b3,
    0x105ba, 0x105bb, 0x105bd, 0x10600, 0x10737, 0x10740, 0x10756, 0x10760, 0x10768, 0x10780,
    0x10786, 0x10787, 0x107b1, 0x107b2, 0x107bb, 0x10800, 0x10806, 0x10808, 0x10809, 0x1080a,
    0x10836, 0x10837, 0x10839, 0x1083c, 0x1083d, 0x1083f, 0x10856, 0x10857, 0x1089f, 0x108a7,
    0x108b0, 0x108e0, 0x108f3, 0x108f4, 0x108f6, 0x108fb, 0x1091c, 0x1091f, 0x1093a, 0x1093f,
    0x10940, 0x10980, 0x109b8, 0x109bc, 0x109d0, 0x109d2, 0x10a04, 0x10a05, 0x10a07, 0x10a0c,
    0x10a14, 0x10a15, 0x10a18, 0x10a19, 0x10a36, 0x10a38, 0x10a3b, 0x10a3f, 0x10a49, 0x10a50,
    0x10a59, 0x10a60, 0x10aa0, 0x10ac0, 0x10ae7, 0x10aeb, 0x10af7, 0x10b00, 0x10b36, 0x10b39,
    0x10b56, 0x10b58, 0x10b73, 0x10b78, 0x10b92, 0x10b99, 0x10b9d, 0x10ba9, 0x10bb0, 0x10c00,
    0x10c49, 0x10c80, 0x10cb3, 0x10cc0, 0x10cf3, 0x10cfa, 0x10d28, 0x10d30, 0x10d3a, 0x10e60,
    0x10e7f, 0x10e80, 0x10eaa, 0x10eab, 0x10eae, 0x10eb0, 0x10eb2, 0x10f00, 0x10f28, 0x10f30,
    0x10f5a, 0x10f70, 0x10f8a, 0x10fb0, 0x10fcc, 0x10fe0, 0x10ff7, 0x11000, 0x1104e, 0x11052,
    0x11076, 0x1107f, 0x110bd, 0x110be, 0x110c3, 0x110d0, 0x110e9, 0x110f0, 0x110fa, 0x11100,
    0x11135, 0x11136, 0x11148, 0x11150, 0x11177, 0x11180, 0x111e0, 0x111e1, 0x111f5, 0x11200,
    0x11212, 0x11213, 0x1123f, 0x11280, 0x11287, 0x11288, 0x11289, 0x1128a, 0x1128e, 0x1128f,
    0x1129e, 0x1129f, 0x112aa, 0x112b0, 0x112eb, 0x112f0, 0x112fa, 0x11300, 0x11304, 0x11305,
    0x1130d, 0x1130f, 0x11311, 0x11313, 0x11329, 0x1132a, 0x11331, 0x11332, 0x11334, 0x11335,
    0x1133a, 0x1133b, 0x11345, 0x11347, 0x11349, 0x1134b, 0x1134e, 0x11350, 0x11351, 0x11357,
    0x11358, 0x1135d, 0x11364, 0x11366, 0x1136d, 0x11370, 0x11375, 0x11400, 0x1145c, 0x1145d,
    0x11462, 0x11480, 0x114c8, 0x114d0, 0x114da, 0x11580, 0x115b6, 0x115b8, 0x115de, 0x11600,
    0x11645, 0x11650, 0x1165a, 0x11660, 0x1166d, 0x11680, 0x116ba, 0x116c0, 0x116ca, 0x11700,
    0x1171b, 0x1171d, 0x1172c, 0x11730, 0x11747, 0x11800, 0x1183c, 0x118a0, 0x118f3, 0x118ff,
    0x11907, 0x11909, 0x1190a, 0x1190c, 0x11914, 0x11915, 0x11917, 0x11918, 0x11936, 0x11937,
    0x11939, 0x1193b, 0x11947, 0x11950, 0x1195a, 0x119a0, 0x119a8, 0x119aa, 0x119d8, 0x119da,
    0x119e5, 0x11a00, 0x11a48, 0x11a50, 0x11aa3, 0x11ab0, 0x11af9, 0x11c00, 0x11c09, 0x11c0a,
    0x11c37, 0x11c38, 0x11c46, 0x11c50, 0x11c6d, 0x11c70, 0x11c90, 0x11c92, 0x11ca8, 0x11ca9,
    0x11cb7, 0x11d00, 0x11d07, 0x11d08, 0x11d0a, 0x11d0b, 0x11d37, 0x11d3a, 0x11d3b, 0x11d3c,
    0x11d3e, 0x11d3f, 0x11d48, 0x11d50, 0x11d5a, 0x11d60, 0x11d66, 0x11d67, 0x11d69, 0x11d6a,
    0x11d8f, 0x11d90, 0x11d92, 0x11d93, 0x11d99, 0x11da0, 0x11daa, 0x11ee0, 0x11ef9, 0x11fb0,
    0x11fb1, 0x11fc0, 0x11ff2, 0x11fff, 0x1239a, 0x12400, 0x1246f, 0x12470, 0x12475, 0x12480,
    0x12544, 0x12f90, 0x12ff3, 0x13000, 0x1342f, 0x14400, 0x14647, 0x16800, 0x16a39, 0x16a40,
    0x16a5f, 0x16a60, 0x16a6a, 0x16a6e, 0x16abf, 0x16ac0, 0x16aca, 0x16ad0, 0x16aee, 0x16af0,
    0x16af6, 0x16b00, 0x16b46, 0x16b50, 0x16b5a, 0x16b5b, 0x16b62, 0x16b63, 0x16b78, 0x16b7d,
    0x16b90, 0x16e40, 0x16e9b, 0x16f00, 0x16f4b, 0x16f4f, 0x16f88, 0x16f8f, 0x16fa0, 0x16fe0,
    0x16fe5, 0x16ff0, 0x16ff2, 0x17000, 0x187f8, 0x18800, 0x18cd6, 0x18d00, 0x18d09, 0x1aff0,
    0x1aff4, 0x1aff5, 0x1affc, 0x1affd, 0x1afff, 0x1b000, 0x1b123, 0x1b150, 0x1b153, 0x1b164,
    0x1b168, 0x1b170, 0x1b2fc, 0x1bc00, 0x1bc6b, 0x1bc70, 0x1bc7d, 0x1bc80, 0x1bc89, 0x1bc90,
    0x1bc9a, 0x1bc9c, 0x1bca0, 0x1cf00, 0x1cf2e, 0x1cf30, 0x1cf47, 0x1cf50, 0x1cfc4, 0x1d000,
    0x1d0f6, 0x1d100, 0x1d127, 0x1d129, 0x1d173, 0x1d17b, 0x1d1eb, 0x1d200, 0x1d246, 0x1d2e0,
    0x1d2f4, 0x1d300, 0x1d357, 0x1d360, 0x1d379, 0x1d400, 0x1d455, 0x1d456, 0x1d49d, 0x1d49e,
    0x1d4a0, 0x1d4a2, 0x1d4a3, 0x1d4a5, 0x1d4a7, 0x1d4a9, 0x1d4ad, 0x1d4ae, 0x1d4ba, 0x1d4bb,
    0x1d4bc, 0x1d4bd, 0x1d4c4, 0x1d4c5, 0x1d506, 0x1d507, 0x1d50b, 0x1d50d, 0x1d515, 0x1d516,
    0x1d51d, 0x1d51e, 0x1d53a, 0x1d53b, 0x1d53f, 0x1d540, 0x1d545, 0x1d546, 0x1d547, 0x1d54a,
    0x1d551, 0x1d552, 0x1d6a6, 0x1d6a8, 0x1d7cc, 0x1d7ce, 0x1da8c, 0x1da9b, 0x1daa0, 0x1daa1,
    0x1dab0, 0x1df00, 0x1df1f, 0x1e000, 0x1e007, 0x1e008, 0x1e019, 0x1e01b, 0x1e022, 0x1e023,
    0x1e025, 0x1e026, 0x1e02b, 0x1e100, 0x1e12d, 0x1e130, 0x1e13e, 0x1e140, 0x1e14a, 0x1e14e,
    0x1e150, 0x1e290, 0x1e2af, 0x1e2c0, 0x1e2fa, 0x1e2ff, 0x1e300, 0x1e7e0, 0x1e7e7, 0x1e7e8,
    0x1e7ec, 0x1e7ed, 0x1e7ef, 0x1e7f0, 0x1e7ff, 0x1e800, 0x1e8c5, 0x1e8c7, 0x1e8d7, 0x1e900,
    0x1e94c, 0x1e950, 0x1e95a, 0x1e95e, 0x1e960, 0x1ec71, 0x1ecb5, 0x1ed01, 0x1ed3e, 0x1ee00,
    0x1ee04, 0x1ee05, 0x1ee20, 0x1ee21, 0x1ee23, 0x1ee24, 0x1ee25, 0x1ee27, 0x1ee28, 0x1ee29,
    0x1ee33, 0x1ee34, 0x1ee38, 0x1ee39, 0x1ee3a, 0x1ee3b, 0x1ee3c, 0x1ee42, 0x1ee43, 0x1ee47,
    0x1ee48, 0x1ee49, 0x1ee4a, 0x1ee4b, 0x1ee4c, 0x1ee4d, 0x1ee50, 0x1ee51, 0x1ee53, 0x1ee54,
    0x1ee55, 0x1ee57, 0x1ee58, 0x1ee59, 0x1ee5a, 0x1ee5b, 0x1ee5c, 0x1ee5d, 0x1ee5e, 0x1ee5f,
    0x1ee60, 0x1ee61, 0x1ee63, 0x1ee64, 0x1ee65, 0x1ee67, 0x1ee6b, 0x1ee6c, 0x1ee73, 0x1ee74,
    0x1ee78, 0x1ee79, 0x1ee7d, 0x1ee7e, 0x1ee7f, 0x1ee80, 0x1ee8a, 0x1ee8b, 0x1ee9c, 0x1eea1,
    0x1eea4, 0x1eea5, 0x1eeaa, 0x1eeab, 0x1eebc, 0x1eef0, 0x1eef2, 0x1f000, 0x1f02c, 0x1f030,
    0x1f094, 0x1f0a0, 0x1f0af, 0x1f0b1, 0x1f0c0, 0x1f0c1, 0x1f0d0, 0x1f0d1, 0x1f0f6, 0x1f100,
    0x1f1ae, 0x1f1e6, 0x1f203, 0x1f210, 0x1f23c, 0x1f240, 0x1f249, 0x1f250, 0x1f252, 0x1f260,
    0x1f266, 0x1f300, 0x1f6d8, 0x1f6dd, 0x1f6ed, 0x1f6f0, 0x1f6fd, 0x1f700, 0x1f774, 0x1f780,
    0x1f7d9, 0x1f7e0, 0x1f7ec, 0x1f7f0, 0x1f7f1, 0x1f800, 0x1f80c, 0x1f810, 0x1f848, 0x1f850,
    0x1f85a, 0x1f860, 0x1f888, 0x1f890, 0x1f8ae, 0x1f8b0, 0x1f8b2, 0x1f900, 0x1fa54, 0x1fa60,
    0x1fa6e, 0x1fa70, 0x1fa75, 0x1fa78, 0x1fa7d, 0x1fa80, 0x1fa87, 0x1fa90, 0x1faad, 0x1fab0,
    0x1fabb, 0x1fac0, 0x1fac6, 0x1fad0, 0x1fada, 0x1fae0, 0x1fae8, 0x1faf0, 0x1faf7, 0x1fb00,
    0x1fb93, 0x1fb94, 0x1fbcb, 0x1fbf0, 0x1fbfa, 0x20000, 0x2a6e0, 0x2a700, 0x2b739, 0x2b740,
    0x2b81e, 0x2b820, 0x2cea2, 0x2ceb0, 0x2ebe1, 0x2f800, 0x2fa1e, 0x30000, 0x3134b, 0xe0100,
    0xe01f0, 0x110000,
];
