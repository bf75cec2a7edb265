//! The writer proper: an explicit stack of tasks walks the value (no recursion, whatever
//! its depth) and writes each object with the opcodes CPython's C pickler chooses.

use num_bigint::BigInt;

use std::borrow::Cow;

use super::memo::{Ident, Memo, Named};
use super::op;
use super::out::Out;
use super::Options;
use crate::error::{Error, Result};
use crate::limits::Limit;
use crate::value::{ArcStr, Key, Value};

/// CPython's `BATCHSIZE`: APPENDS, SETITEMS and ADDITEMS take at most this many items.
const BATCH: usize = 1000;

/// A run of elements: a list's or tuple's values, a dict's pairs, a set's keys.
#[derive(Clone, Copy)]
pub(super) enum Seq<'v> {
    Values(&'v [Value]),
    Pairs(&'v [(Key, Value)]),
    Keys(&'v [Key]),
    ValuePairs(&'v [(Value, Value)]),
}

impl<'v> Seq<'v> {
    fn len(&self) -> usize {
        match self {
            Seq::Values(v) => v.len(),
            Seq::Pairs(p) => p.len(),
            Seq::Keys(k) => k.len(),
            Seq::ValuePairs(p) => p.len(),
        }
    }

    /// Element `i`: a value, or a pair's key and value.
    #[inline]
    fn get(&self, i: usize) -> (Option<&'v Value>, Option<&'v Value>) {
        match *self {
            Seq::Values(v) => (v.get(i), None),
            Seq::Keys(k) => (k.get(i).map(Key::value), None),
            Seq::Pairs(p) => match p.get(i) {
                Some((k, x)) => (Some(k.value()), Some(x)),
                None => (None, None),
            },
            Seq::ValuePairs(p) => match p.get(i) {
                Some((k, x)) => (Some(k), Some(x)),
                None => (None, None),
            },
        }
    }

    /// Pushes the saves of element `i` (a pair: key first), in reverse for the stack.
    #[inline]
    fn push(&self, i: usize, stack: &mut Vec<Task<'v>>) {
        match self {
            Seq::Values(v) => {
                if let Some(x) = v.get(i) {
                    stack.push(Task::Save(x));
                }
            }
            Seq::Pairs(p) => {
                if let Some((k, x)) = p.get(i) {
                    stack.push(Task::Save(x));
                    stack.push(Task::Save(k.value()));
                }
            }
            Seq::Keys(k) => {
                if let Some(k) = k.get(i) {
                    stack.push(Task::Save(k.value()));
                }
            }
            Seq::ValuePairs(p) => {
                if let Some((k, x)) = p.get(i) {
                    stack.push(Task::Save(x));
                    stack.push(Task::Save(k));
                }
            }
        }
    }
}

/// One step of the walk.
pub(super) enum Task<'v> {
    /// Save a value.
    Save(&'v Value),
    /// Write one opcode byte (not a save: no frame boundary).
    Op(u8),
    /// Memoize the object just completed.
    Memo(Option<Ident>),
    /// Save elements `pos..end` in order.
    Items {
        seq: Seq<'v>,
        pos: usize,
        end: usize,
    },
    /// MARK, up to [`BATCH`] elements from `pos`, `close`; again while more remain (or,
    /// for dicts and sets, after a full batch, as CPython does).
    Batch {
        seq: Seq<'v>,
        pos: usize,
        close: u8,
        full_repeats: bool,
    },
    /// Protocol 0: each element from `pos` followed by `op` (APPEND, SETITEM).
    Each { seq: Seq<'v>, pos: usize, op: u8 },
    /// Save a float (a reduce argument).
    Float(f64),
    /// Save an int (a reduce argument).
    Int(i64),
    /// Save an int of any width.
    Big(Cow<'v, BigInt>),
    /// Save a global: module and qualified name as Python 3 names them.
    Global(Cow<'v, str>, Cow<'v, str>),
    /// Memoize a global just written by STACK_GLOBAL.
    MemoGlobal(Cow<'v, str>, Cow<'v, str>),
    /// Save an interned string constant (a module name, `'latin1'`).
    Const(Cow<'v, str>),
    /// Save a temporary `str` made by decoding bytes as latin-1 (protocol ≤ 2 bytes).
    Latin1(Cow<'v, [u8]>),
    /// Save a temporary list of the elements (set and frozenset reduce arguments).
    ListOf(Seq<'v>),
    /// Save a temporary dict of the pairs (a Counter's argument).
    DictOf(Seq<'v>),
    /// Save a temporary `bytes`.
    FreshBytes(Cow<'v, [u8]>),
    /// Save a temporary `str`.
    FreshStr(Cow<'v, str>),
    /// SETITEM(S) / APPEND(S) for the items of the object on the stack, in the groups
    /// CPython makes for an iterator (`dictitems`, `listitems` of a reduce).
    IterItems { seq: Seq<'v>, single: u8, multi: u8 },
    /// The next group of [`Task::IterItems`], from `pos`.
    IterFrom {
        seq: Seq<'v>,
        pos: usize,
        single: u8,
        multi: u8,
    },
    /// Save the empty tuple.
    EmptyTuple,
    /// Save a new empty dict (items follow as separate tasks).
    EmptyDict,
    /// Save a tuple of the elements.
    TupleOf(Seq<'v>),
    /// Save a dict of keyword arguments.
    KwargsOf(&'v [(Value, Value)]),
    /// Save `module.name(*args)` (a new object).
    Reduce(&'static str, &'static str, Vec<Task<'v>>),
    /// Save a `datetime.timezone`.
    TimeZone(&'v crate::value::TimeZone),
    /// Save a tuple of the next `n` tasks' values: the opening half (a MARK below
    /// protocol 2 or for more than 3 items). The closing half is [`Task::TupleEnd`].
    TupleStart(usize),
    /// Close a tuple of `n` items opened by [`Task::TupleStart`] and memoize it.
    TupleEnd(usize),
}

/// The writer's state for one pickle.
pub(crate) struct Pickler<'v, 'w> {
    pub(super) out: Out<'w>,
    pub(super) memo: Memo,
    pub(super) proto: u8,
    pub(super) opts: &'v Options,
    pub(super) stack: Vec<Task<'v>>,
}

/// Whether the string is one of CPython's singletons, and which.
#[inline]
fn str_ident(s: &ArcStr) -> Option<Ident> {
    let b = s.as_bytes();
    match b.len() {
        0 => Some(Ident::EmptyStr),
        1 => b.first().map(|&c| Ident::Char(c)),
        2 if b[0] == 0xC2 || b[0] == 0xC3 => {
            // U+0080..U+00FF
            Some(Ident::Char(((b[0] & 0x03) << 6) | (b[1] & 0x3F)))
        }
        _ => match ArcStr::strong_count(s) {
            // Held once: nothing else in the value refers to it.
            Some(1) => None,
            _ => Some(Ident::Ptr(b.as_ptr() as usize)),
        },
    }
}

impl<'v, 'w> Pickler<'v, 'w> {
    /// Writes the whole pickle for `v`: PROTO, the value, STOP.
    pub(super) fn dump(&mut self, v: &'v Value) -> Result<()> {
        if self.proto >= 2 {
            self.out.write(&[op::PROTO, self.proto]);
        }
        if self.proto >= 4 {
            self.out.start_framing();
        }
        self.stack.push(Task::Save(v));
        while let Some(task) = self.stack.pop() {
            self.step(task)?;
        }
        self.out.byte(op::STOP);
        self.out.finish()?;
        Ok(())
    }

    fn step(&mut self, task: Task<'v>) -> Result<()> {
        match task {
            Task::Save(v) => {
                self.out.boundary()?;
                self.save(v)?;
            }
            Task::Op(b) => self.out.byte(b),
            Task::Memo(id) => self.put(id)?,
            Task::Items { seq, mut pos, end } => {
                // Elements written without a task of their own (most of them): the walk
                // only stacks what holds other values or expands into several saves.
                while pos < end {
                    match seq.get(pos) {
                        (Some(v), None) => {
                            if !self.save_flat(v)? {
                                break;
                            }
                        }
                        (Some(k), Some(v)) if self.flat(k) && self.flat(v) => {
                            self.save_flat(k)?;
                            self.save_flat(v)?;
                        }
                        _ => break,
                    }
                    pos += 1;
                }
                if pos < end {
                    if pos + 1 < end {
                        self.stack.push(Task::Items {
                            seq,
                            pos: pos + 1,
                            end,
                        });
                    }
                    seq.push(pos, &mut self.stack);
                }
            }
            Task::Batch {
                seq,
                pos,
                close,
                full_repeats,
            } => {
                let end = seq.len().min(pos.saturating_add(BATCH));
                self.out.byte(op::MARK);
                let again = if full_repeats {
                    end - pos == BATCH
                } else {
                    end < seq.len()
                };
                if again {
                    self.stack.push(Task::Batch {
                        seq,
                        pos: end,
                        close,
                        full_repeats,
                    });
                }
                self.stack.push(Task::Op(close));
                self.stack.push(Task::Items { seq, pos, end });
            }
            Task::Each { seq, pos, op } => {
                if pos < seq.len() {
                    self.stack.push(Task::Each {
                        seq,
                        pos: pos + 1,
                        op,
                    });
                    self.stack.push(Task::Op(op));
                    seq.push(pos, &mut self.stack);
                }
            }
            Task::Float(f) => {
                self.out.boundary()?;
                self.float(f);
            }
            Task::Int(i) => {
                self.out.boundary()?;
                self.int(i)?;
            }
            Task::Big(b) => {
                self.out.boundary()?;
                match i64::try_from(&*b) {
                    Ok(i) => self.int(i)?,
                    Err(_) => self.bigint(&b)?,
                }
            }
            Task::Global(module, name) => {
                self.out.boundary()?;
                self.global(module, name)?;
            }
            Task::MemoGlobal(module, name) => {
                let idx = self.memo.put_named(Named::Global(&module, &name))?;
                self.put_index(idx)?;
            }
            Task::Const(s) => {
                self.out.boundary()?;
                if let Some(idx) = self.memo.get_named(Named::Str(&s)) {
                    self.get_index(idx)?;
                } else {
                    self.text(&s)?;
                    let idx = self.memo.put_named(Named::Str(&s))?;
                    self.put_index(idx)?;
                }
            }
            Task::Latin1(b) => {
                self.out.boundary()?;
                let id = match &*b {
                    [c] => Some(Ident::Char(*c)),
                    _ => None,
                };
                if let Some(id) = id {
                    if self.get(id)? {
                        return Ok(());
                    }
                }
                let text: String = b.iter().map(|&c| char::from(c)).collect();
                self.text(&text)?;
                self.put(id)?;
            }
            Task::ListOf(seq) => {
                self.out.boundary()?;
                self.list(seq)?;
            }
            Task::DictOf(seq) => {
                self.out.boundary()?;
                self.dict(seq)?;
            }
            Task::FreshBytes(b) => {
                self.out.boundary()?;
                self.bytes(b, None)?;
            }
            Task::FreshStr(s) => {
                self.out.boundary()?;
                self.text(&s)?;
                self.put(None)?;
            }
            Task::IterItems { seq, single, multi } => self.iter_items(seq, 0, single, multi),
            Task::IterFrom {
                seq,
                pos,
                single,
                multi,
            } => self.iter_items(seq, pos, single, multi),
            Task::EmptyTuple => {
                self.out.boundary()?;
                self.empty_tuple();
            }
            Task::EmptyDict => {
                self.out.boundary()?;
                if self.proto == 0 {
                    self.out.write(&[op::MARK, op::DICT]);
                } else {
                    self.out.byte(op::EMPTY_DICT);
                }
                self.put(None)?;
            }
            Task::TupleOf(seq) => {
                self.out.boundary()?;
                let n = seq.len();
                if n == 0 {
                    self.empty_tuple();
                } else {
                    if n > 3 || self.proto < 2 {
                        self.out.byte(op::MARK);
                    }
                    self.stack.push(Task::TupleEnd(n));
                    self.stack.push(Task::Items {
                        seq,
                        pos: 0,
                        end: n,
                    });
                }
            }
            Task::KwargsOf(pairs) => {
                self.out.boundary()?;
                self.dict(Seq::ValuePairs(pairs))?;
            }
            Task::Reduce(module, name, args) => self.push_reduce(module, name, args, None),
            Task::TimeZone(tz) => {
                self.out.boundary()?;
                self.push_timezone(tz)?;
            }
            Task::TupleStart(n) => {
                self.out.boundary()?;
                if n == 0 {
                    self.empty_tuple();
                } else if n > 3 || self.proto < 2 {
                    self.out.byte(op::MARK);
                }
            }
            Task::TupleEnd(n) => {
                if n > 0 {
                    self.out.byte(tuple_op(n, self.proto));
                    self.put(None)?;
                }
            }
        }
        Ok(())
    }

    /// Whether saving `v` writes it completely, pushing no task (so it can be written in
    /// place, in order, by the loop over a container's elements).
    #[inline]
    fn flat(&self, v: &Value) -> bool {
        match v {
            Value::None
            | Value::Bool(_)
            | Value::Int(_)
            | Value::BigInt(_)
            | Value::Float(_)
            | Value::Str(_)
            | Value::SurrogateStr(_) => true,
            Value::Bytes(_) => self.proto >= 3,
            Value::ByteArray(_) => self.proto >= 5,
            _ => false,
        }
    }

    /// Saves `v` in place if it is [`flat`](Self::flat) (the common scalars first, without
    /// the general dispatch); says whether it did.
    #[inline]
    fn save_flat(&mut self, v: &'v Value) -> Result<bool> {
        match v {
            Value::Int(i) => {
                self.out.boundary()?;
                self.int(*i)?;
            }
            Value::Float(f) => {
                self.out.boundary()?;
                self.float(*f);
            }
            _ if self.flat(v) => {
                self.out.boundary()?;
                self.save(v)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pushes the tasks that save `items` as a tuple (reduce arguments).
    pub(super) fn push_tuple(&mut self, items: Vec<Task<'v>>) {
        let n = items.len();
        self.stack.push(Task::TupleEnd(n));
        self.stack.extend(items.into_iter().rev());
        self.stack.push(Task::TupleStart(n));
    }

    /// Pushes the tasks of `callable(*args)` for a reduce that builds a new object
    /// (memoized under `id`): `global`, the args tuple, REDUCE.
    pub(super) fn push_reduce(
        &mut self,
        module: &'static str,
        name: &'static str,
        args: Vec<Task<'v>>,
        id: Option<Ident>,
    ) {
        self.stack.push(Task::Memo(id));
        self.stack.push(Task::Op(op::REDUCE));
        if args.is_empty() {
            self.stack.push(Task::EmptyTuple);
        } else {
            self.push_tuple(args);
        }
        self.stack
            .push(Task::Global(Cow::Borrowed(module), Cow::Borrowed(name)));
    }

    /// Writes a GET if `id` was memoized; says whether it did.
    #[inline]
    pub(super) fn get(&mut self, id: Ident) -> Result<bool> {
        let Some(idx) = self.memo.get(&id) else {
            return Ok(false);
        };
        self.get_index(idx)?;
        Ok(true)
    }

    /// GET, BINGET or LONG_BINGET of memo entry `idx`.
    fn get_index(&mut self, idx: u64) -> Result<()> {
        if self.proto == 0 {
            self.out.write(format!("g{idx}\n").as_bytes());
        } else if idx < 256 {
            self.out.write(&[op::BINGET, idx as u8]);
        } else {
            let idx = u32::try_from(idx).map_err(|_| memo_too_large())?;
            self.out.byte(op::LONG_BINGET);
            self.out.write(&idx.to_le_bytes());
        }
        Ok(())
    }

    /// Memoizes the object just written.
    #[inline]
    pub(super) fn put(&mut self, id: Option<Ident>) -> Result<()> {
        let idx = self.memo.put(id)?;
        self.put_index(idx)
    }

    /// PUT, BINPUT, LONG_BINPUT or MEMOIZE of memo entry `idx`.
    fn put_index(&mut self, idx: u64) -> Result<()> {
        if self.proto >= 4 {
            self.out.byte(op::MEMOIZE);
        } else if self.proto == 0 {
            self.out.write(format!("p{idx}\n").as_bytes());
        } else if idx < 256 {
            self.out.write(&[op::BINPUT, idx as u8]);
        } else {
            let idx = u32::try_from(idx).map_err(|_| memo_too_large())?;
            self.out.byte(op::LONG_BINPUT);
            self.out.write(&idx.to_le_bytes());
        }
        Ok(())
    }

    fn save(&mut self, v: &'v Value) -> Result<()> {
        match v {
            Value::None => self.out.byte(op::NONE),
            Value::Bool(b) => {
                if self.proto >= 2 {
                    self.out.byte(if *b { op::NEWTRUE } else { op::NEWFALSE });
                } else {
                    self.out.write(if *b { b"I01\n" } else { b"I00\n" });
                }
            }
            Value::Int(i) => self.int(*i)?,
            Value::BigInt(b) => self.bigint(b)?,
            Value::Float(f) => self.float(*f),
            Value::Complex(c) => self.push_reduce(
                "builtins",
                "complex",
                vec![Task::Float(c.re), Task::Float(c.im)],
                None,
            ),
            Value::Str(s) => {
                let id = str_ident(s);
                if let Some(id) = id {
                    if self.get(id)? {
                        return Ok(());
                    }
                }
                self.text(s)?;
                self.put(id)?;
            }
            Value::SurrogateStr(s) => {
                self.surrogate_text(s)?;
                self.put(None)?;
            }
            Value::Bytes(b) => {
                let id = b.is_empty().then_some(Ident::EmptyBytes);
                if let Some(id) = id {
                    if self.get(id)? {
                        return Ok(());
                    }
                }
                self.bytes(Cow::Borrowed(b), id)?;
            }
            Value::ByteArray(b) => self.bytearray(b)?,
            // Already past the frame boundary: the same steps as a temporary tuple.
            Value::Tuple(items) => self.step(Task::TupleOf(Seq::Values(items)))?,
            Value::List(items) => self.list(Seq::Values(items))?,
            Value::Dict(d) => self.dict(Seq::Pairs(d.as_slice()))?,
            Value::Set(s) => self.set(Seq::Keys(s.as_slice()))?,
            Value::FrozenSet(s) => self.frozenset(Seq::Keys(s.as_slice()))?,
            other => self.save_typed(other)?,
        }
        Ok(())
    }

    /// An `int` that fits an `i64`.
    pub(super) fn int(&mut self, i: i64) -> Result<()> {
        if let Ok(small) = i32::try_from(i) {
            if self.proto == 0 {
                self.out.write(format!("I{small}\n").as_bytes());
            } else if (0..=0xff).contains(&small) {
                self.out.write(&[op::BININT1, small as u8]);
            } else if (0..=0xffff).contains(&small) {
                let b = (small as u16).to_le_bytes();
                self.out.write(&[op::BININT2, b[0], b[1]]);
            } else {
                self.out.byte(op::BININT);
                self.out.write(&small.to_le_bytes());
            }
            return Ok(());
        }
        if self.proto < 2 {
            return self.long_text(&i.to_string());
        }
        let bytes = i.to_le_bytes();
        // The shortest two's complement: drop high bytes that only repeat the sign.
        let mut n = 8;
        while n > 1 {
            let (top, next) = (bytes[n - 1], bytes[n - 2]);
            if (top == 0 && next & 0x80 == 0) || (top == 0xff && next & 0x80 != 0) {
                n -= 1;
            } else {
                break;
            }
        }
        self.out.write(&[op::LONG1, n as u8]);
        self.out.write(&bytes[..n]);
        Ok(())
    }

    /// An `int` beyond `i64`.
    fn bigint(&mut self, b: &BigInt) -> Result<()> {
        if self.proto < 2 {
            // Decimal conversion is quadratic: refuse by size first, as the loader would
            // refuse the digits (about 3.32 bits per digit).
            let max = self.opts.limits.max_digits;
            if b.bits() > max.saturating_mul(10) / 3 + 4 {
                return Err(Error::limit(Limit::Digits, max));
            }
            return self.long_text(&b.to_string());
        }
        let bytes = b.to_signed_bytes_le();
        self.check_len(bytes.len())?;
        match u8::try_from(bytes.len()) {
            Ok(n) => self.out.write(&[op::LONG1, n]),
            Err(_) => {
                let n = i32::try_from(bytes.len())
                    .map_err(|_| Error::unsupported("an int of 2 GiB or more"))?;
                self.out.byte(op::LONG4);
                self.out.write(&n.to_le_bytes());
            }
        }
        // CPython writes an int's bytes inside the frame, however long.
        self.out.write(&bytes);
        Ok(())
    }

    /// LONG in text form (protocols 0 and 1): `L123L\n`.
    fn long_text(&mut self, digits: &str) -> Result<()> {
        let max = self.opts.limits.max_digits;
        if digits.trim_start_matches('-').len() as u64 > max {
            return Err(Error::limit(Limit::Digits, max));
        }
        self.out.byte(op::LONG);
        self.out.write(digits.as_bytes());
        self.out.write(b"L\n");
        Ok(())
    }

    pub(super) fn float(&mut self, f: f64) {
        if self.proto == 0 {
            let mut text = String::from("F");
            // Writing into a String cannot fail.
            let _ = crate::value::repr::write_float(&mut text, f);
            text.push('\n');
            self.out.write(text.as_bytes());
        } else {
            self.out.byte(op::BINFLOAT);
            self.out.write(&f.to_be_bytes());
        }
    }

    /// The loader's `max_item_len`: one argument in the stream may not be longer.
    fn check_len(&self, n: usize) -> Result<()> {
        let max = self.opts.limits.max_item_len;
        if n as u64 > max {
            return Err(Error::limit(Limit::ItemLen, max));
        }
        Ok(())
    }

    /// A `str`'s opcode and text (not memoized here).
    pub(super) fn text(&mut self, s: &str) -> Result<()> {
        if self.proto == 0 {
            return self.unicode_line(s.chars().map(u32::from));
        }
        self.text_utf8(s.as_bytes())
    }

    /// A `str` given as its UTF-8 (surrogatepass) bytes, at protocol 1 and above.
    fn text_utf8(&mut self, b: &[u8]) -> Result<()> {
        self.check_len(b.len())?;
        let n = b.len();
        if n <= 0xff && self.proto >= 4 {
            self.out.payload(&[op::SHORT_BINUNICODE, n as u8], b)?;
        } else if let Ok(n32) = u32::try_from(n) {
            let l = n32.to_le_bytes();
            self.out
                .payload(&[op::BINUNICODE, l[0], l[1], l[2], l[3]], b)?;
        } else if self.proto >= 4 {
            let mut h = [0u8; 9];
            h[0] = op::BINUNICODE8;
            h[1..].copy_from_slice(&(n as u64).to_le_bytes());
            self.out.payload(&h, b)?;
        } else {
            return Err(Error::unsupported(
                "a str of 4 GiB or more below protocol 4",
            ));
        }
        Ok(())
    }

    fn surrogate_text(&mut self, s: &crate::value::SurrogateStr) -> Result<()> {
        if self.proto == 0 {
            return self.unicode_line(s.code_points().map(|c| match c {
                crate::value::CodePoint::Char(c) => u32::from(c),
                crate::value::CodePoint::Surrogate(u) => u32::from(u),
            }));
        }
        self.text_utf8(s.as_bytes())
    }

    /// UNICODE (protocol 0): raw-unicode-escape, with `\`, NUL, LF, CR and `\x1a`
    /// escaped too, as CPython's pickler writes it.
    fn unicode_line(&mut self, chars: impl Iterator<Item = u32>) -> Result<()> {
        let mut line = vec![op::UNICODE];
        for c in chars {
            if c >= 0x10000 {
                line.extend_from_slice(format!("\\U{c:08x}").as_bytes());
            } else if c >= 256 || matches!(c, 0x5c | 0 | 0x0a | 0x0d | 0x1a) {
                line.extend_from_slice(format!("\\u{c:04x}").as_bytes());
            } else {
                line.push(c as u8);
            }
        }
        self.check_len(line.len() - 1)?;
        line.push(b'\n');
        self.out.write(&line);
        Ok(())
    }

    /// A `bytes` object, memoized under `id`.
    pub(super) fn bytes(&mut self, b: Cow<'v, [u8]>, id: Option<Ident>) -> Result<()> {
        if self.proto < 3 {
            // No opcode for bytes: `bytes()` or `_codecs.encode(text, 'latin1')`.
            if b.is_empty() {
                self.push_reduce("builtins", "bytes", Vec::new(), id);
            } else {
                self.push_reduce(
                    "_codecs",
                    "encode",
                    vec![Task::Latin1(b), Task::Const(Cow::Borrowed("latin1"))],
                    id,
                );
            }
            return Ok(());
        }
        self.check_len(b.len())?;
        let n = b.len();
        if n <= 0xff {
            self.out.payload(&[op::SHORT_BINBYTES, n as u8], &b)?;
        } else if let Ok(n32) = u32::try_from(n) {
            let l = n32.to_le_bytes();
            self.out
                .payload(&[op::BINBYTES, l[0], l[1], l[2], l[3]], &b)?;
        } else if self.proto >= 4 {
            let mut h = [0u8; 9];
            h[0] = op::BINBYTES8;
            h[1..].copy_from_slice(&(n as u64).to_le_bytes());
            self.out.payload(&h, &b)?;
        } else {
            return Err(Error::unsupported(
                "a bytes object of 4 GiB or more below protocol 4",
            ));
        }
        self.put(id)
    }

    fn bytearray(&mut self, b: &'v [u8]) -> Result<()> {
        if self.proto < 5 {
            let args = if b.is_empty() {
                Vec::new()
            } else {
                vec![Task::FreshBytes(Cow::Borrowed(b))]
            };
            self.push_reduce("builtins", "bytearray", args, None);
            return Ok(());
        }
        self.check_len(b.len())?;
        let mut h = [0u8; 9];
        h[0] = op::BYTEARRAY8;
        h[1..].copy_from_slice(&(b.len() as u64).to_le_bytes());
        self.out.payload(&h, b)?;
        self.put(None)
    }

    fn empty_tuple(&mut self) {
        if self.proto == 0 {
            self.out.write(&[op::MARK, op::TUPLE]);
        } else {
            self.out.byte(op::EMPTY_TUPLE);
        }
    }

    /// A list (also the temporary list of a set's items below protocol 4).
    pub(super) fn list(&mut self, seq: Seq<'v>) -> Result<()> {
        if self.proto == 0 {
            self.out.write(&[op::MARK, op::LIST]);
            self.put(None)?;
            self.stack.push(Task::Each {
                seq,
                pos: 0,
                op: op::APPEND,
            });
            return Ok(());
        }
        self.out.byte(op::EMPTY_LIST);
        self.put(None)?;
        match seq.len() {
            0 => {}
            1 => {
                self.stack.push(Task::Op(op::APPEND));
                seq.push(0, &mut self.stack);
            }
            _ => self.stack.push(Task::Batch {
                seq,
                pos: 0,
                close: op::APPENDS,
                full_repeats: false,
            }),
        }
        Ok(())
    }

    /// A dict's items (also the dict-like types).
    pub(super) fn dict(&mut self, seq: Seq<'v>) -> Result<()> {
        if self.proto == 0 {
            self.out.write(&[op::MARK, op::DICT]);
            self.put(None)?;
            self.stack.push(Task::Each {
                seq,
                pos: 0,
                op: op::SETITEM,
            });
            return Ok(());
        }
        self.out.byte(op::EMPTY_DICT);
        self.put(None)?;
        self.dict_items(seq);
        Ok(())
    }

    /// SETITEM / SETITEMS batches for the items of a dict already on the stack.
    pub(super) fn dict_items(&mut self, seq: Seq<'v>) {
        if self.proto == 0 {
            self.stack.push(Task::Each {
                seq,
                pos: 0,
                op: op::SETITEM,
            });
            return;
        }
        match seq.len() {
            0 => {}
            1 => {
                self.stack.push(Task::Op(op::SETITEM));
                seq.push(0, &mut self.stack);
            }
            _ => self.stack.push(Task::Batch {
                seq,
                pos: 0,
                close: op::SETITEMS,
                full_repeats: true,
            }),
        }
    }

    fn set(&mut self, seq: Seq<'v>) -> Result<()> {
        if self.proto < 4 {
            self.push_reduce("builtins", "set", vec![Task::ListOf(seq)], None);
            return Ok(());
        }
        self.out.byte(op::EMPTY_SET);
        self.put(None)?;
        if seq.len() > 0 {
            self.stack.push(Task::Batch {
                seq,
                pos: 0,
                close: op::ADDITEMS,
                full_repeats: true,
            });
        }
        Ok(())
    }

    fn frozenset(&mut self, seq: Seq<'v>) -> Result<()> {
        if self.proto < 4 {
            self.push_reduce("builtins", "frozenset", vec![Task::ListOf(seq)], None);
            return Ok(());
        }
        self.out.byte(op::MARK);
        self.stack.push(Task::Memo(None));
        self.stack.push(Task::Op(op::FROZENSET));
        self.stack.push(Task::Items {
            seq,
            pos: 0,
            end: seq.len(),
        });
        Ok(())
    }

    /// A global: GLOBAL below protocol 4 (Python 2 names below protocol 3), STACK_GLOBAL
    /// from 4; memoized.
    pub(super) fn global(&mut self, module: Cow<'v, str>, name: Cow<'v, str>) -> Result<()> {
        if let Some(idx) = self.memo.get_named(Named::Global(&module, &name)) {
            return self.get_index(idx);
        }
        if self.proto >= 4 {
            self.stack
                .push(Task::MemoGlobal(module.clone(), name.clone()));
            self.stack.push(Task::Op(op::STACK_GLOBAL));
            // CPython's module names are interned (one object for every global of the
            // module); a qualified name is its own object.
            self.stack.push(Task::FreshStr(name));
            self.stack.push(Task::Const(module));
            return Ok(());
        }
        let (m, n) = if self.proto < 3 {
            super::typed::python2_name(&module, &name)
        } else {
            (&*module, &*name)
        };
        // GLOBAL is two text lines: ASCII below protocol 3 (UTF-8 from 3), as CPython
        // writes them; a newline cannot be written at all.
        let fits = |t: &str| !t.contains('\n') && (self.proto >= 3 || t.is_ascii());
        if !fits(m) || !fits(n) {
            return Err(Error::unsupported(format!(
                "the global {module}.{name} cannot be written with GLOBAL at protocol {}",
                self.proto
            )));
        }
        self.global_text(m, n);
        let idx = self.memo.put_named(Named::Global(&module, &name))?;
        self.put_index(idx)
    }

    /// `c module\nname\n`.
    pub(super) fn global_text(&mut self, module: &str, name: &str) {
        self.out.byte(op::GLOBAL);
        self.out.write(module.as_bytes());
        self.out.byte(b'\n');
        self.out.write(name.as_bytes());
        self.out.byte(b'\n');
    }
}

impl<'v> Pickler<'v, '_> {
    /// The items of an iterator a reduce returned (`listitems`, `dictitems`): at protocol
    /// 0 each with `single`; above, groups of up to 1000, a group of one with `single`
    /// and a larger one between MARK and `multi`.
    pub(super) fn iter_items(&mut self, seq: Seq<'v>, pos: usize, single: u8, multi: u8) {
        let len = seq.len();
        if pos >= len {
            return;
        }
        if self.proto == 0 {
            self.stack.push(Task::Each {
                seq,
                pos,
                op: single,
            });
            return;
        }
        let end = len.min(pos + BATCH);
        if end < len {
            self.stack.push(Task::IterFrom {
                seq,
                pos: end,
                single,
                multi,
            });
        }
        if end - pos == 1 {
            self.stack.push(Task::Op(single));
            seq.push(pos, &mut self.stack);
        } else {
            self.out.byte(op::MARK);
            self.stack.push(Task::Op(multi));
            self.stack.push(Task::Items { seq, pos, end });
        }
    }
}

/// TUPLE1/2/3 at protocol 2 and above for up to 3 items, TUPLE (after a MARK) otherwise.
fn tuple_op(n: usize, proto: u8) -> u8 {
    match (n, proto >= 2) {
        (1, true) => op::TUPLE1,
        (2, true) => op::TUPLE2,
        (3, true) => op::TUPLE3,
        _ => op::TUPLE,
    }
}

fn memo_too_large() -> Error {
    Error::unsupported("more than 2^32 memo entries")
}
