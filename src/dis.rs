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
//! The decoder runs in its listing mode: text arguments are read
//! by pickletools' readers (INT and LONG in base 10, FLOAT by `float()`, a lone-quote STRING,
//! a negative PUT index), frames are not enforced and lone surrogates are shown, so `dis`
//! validates no more than pickletools does: it prints the same lines, and fails only where
//! pickletools fails, after the same lines. Two bounds pickletools lacks remain, for memory:
//! one argument's length ([`Limits::get_max_item_len`]) and the marks and memo entries below.
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
use crate::value::repr::{
    write_bytearray, write_bytes, write_float, write_str, write_surrogate_str,
};

/// Lists one pickle, up to and including its STOP, exactly as `python3 -m pickletools`
/// does, ending with the `highest protocol among opcodes = N` line.
///
/// Bytes after STOP are not read. The decoder runs with [`Limits::default`] (but ints of
/// any width, as pickletools); besides, at
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
    with_buffer(Decoder::from_slice(data, limits()).for_listing(), 0, out)
}

/// Like [`dis`] for the pickle that starts `start` bytes into `data` (the pickle in a
/// `.npy` file, a later pickle in a stream), with every offset — in the listing and in an
/// error — counted from the start of `data`. This is what `pickletools.dis` prints for a
/// file positioned at `start` (it takes offsets from the file's `tell()`).
///
/// # Errors
///
/// As [`dis`]; a `start` past the end of `data` is truncated input.
pub fn dis_at<W: io::Write>(data: &[u8], start: usize, out: &mut W) -> Result<()> {
    let rest = data.get(start..).unwrap_or_default();
    with_buffer(
        Decoder::from_slice(rest, limits()).for_listing(),
        start as u64,
        out,
    )
}

/// The decoder's limits for a listing: the defaults, except that an int of any width is
/// read (pickletools reads it, and fails only when it cannot print it).
fn limits() -> Limits {
    Limits::default().max_int_bits(u64::MAX)
}

/// Like [`dis`], reading the pickle from `reader` (through [`Decoder::from_reader`]); the
/// reader is left just past STOP.
///
/// # Errors
///
/// As [`dis`], plus read errors.
pub fn dis_reader<R: io::BufRead, W: io::Write>(reader: R, out: &mut W) -> Result<()> {
    with_buffer(Decoder::from_reader(reader, limits()).for_listing(), 0, out)
}

/// Runs the listing through a buffer that is flushed whatever the outcome, so the lines
/// printed before a fault always reach `out`. Offsets are moved by `base`.
fn with_buffer<I: Input, W: io::Write>(decoder: Decoder<I>, base: u64, out: &mut W) -> Result<()> {
    let mut buffered = io::BufWriter::new(out);
    let result = run(decoder, base, &limits(), &mut buffered);
    let flushed = io::Write::flush(&mut buffered);
    result?;
    flushed?;
    Ok(())
}

fn run<I: Input, W: io::Write>(
    mut decoder: Decoder<I>,
    base: u64,
    limits: &Limits,
    out: &mut W,
) -> Result<()> {
    let mut machine = Machine::default();
    let mut line = String::new();
    let mut stop_offset = 0;
    while let Some(decoded) = decoder.next_instruction().map_err(|e| e.offset_by(base))? {
        let (offset, opcode) = (decoded.offset + base, decoded.opcode);
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
    /// A `str` holding lone surrogates.
    Surrogates(crate::value::SurrogateStr),
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
            I::UnicodeSurrogates(b) => Arg::Surrogates(
                crate::value::SurrogateStr::from_surrogatepass(b)
                    .ok_or_else(|| Error::malformed("invalid surrogatepass UTF-8"))?,
            ),
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
            I::PersId(id) => Arg::Str(Cow::Owned(noescape(text::utf8(id)?)?.into_owned())),
            I::Ext(code) => Arg::Small(i128::from(*code)),
            // pickletools' `00`/`01` hack applies to GET and PUT too (`I::Bool` above).
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
            Arg::Bool(b) => Ok(i64::from(*b)),
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
            Arg::Surrogates(s) => write_surrogate_str(out, s).map_err(fmt_failed)?,
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
