//! The stack machine: CPython's unpickler semantics for every opcode of protocols 0–5, on
//! the decoder's instructions, with the policy deciding every global.
//!
//! The stack/mark discipline follows `Modules/_pickle.c`: marks are stack heights, and no
//! opcode may pop below the innermost mark (the "fence").

mod arena;
mod shared;
mod wants;

use std::collections::HashMap;

use crate::decode::{Decoder, Input, Instruction, Int};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{Limit, Limits};
use crate::opcode::HIGHEST_PROTOCOL;
use crate::policy::{compat, Decision, ExtensionRegistry, PersistentLoad, Policy};
use crate::value::{CallKind, Global, Value};

use self::arena::{copy_item, leaf_size, reusable, Arena, Item, MutNode, Node, ObjNode};
pub(crate) use self::wants::MemoWants;

/// How Python 2 8-bit strings (STRING, BINSTRING, SHORT_BINSTRING) are decoded: Python's
/// `encoding=` argument of `pickle.loads`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// `'ASCII'` (Python's default): a byte above 0x7f is an error.
    #[default]
    Ascii,
    /// `'latin1'`: every byte is the code point of the same number.
    Latin1,
    /// `'utf-8'`.
    Utf8,
    /// `'bytes'`: 8-bit strings load as `bytes`.
    Bytes,
}

/// One global the machine asked the policy about.
#[derive(Clone, Debug)]
pub struct GlobalUse {
    /// Byte offset of the opcode that named it.
    pub offset: u64,
    /// The name as the policy saw it (after the Python‑2 mapping).
    pub global: Global,
    /// The policy's verdict word: see [`Decision::verdict`].
    pub verdict: &'static str,
}

/// What the machine needs besides the input.
pub(crate) struct Setup<'a> {
    pub policy: &'a dyn Policy,
    pub limits: &'a Limits,
    pub encoding: Encoding,
    pub extensions: Option<&'a ExtensionRegistry>,
    pub persistent: Option<&'a dyn PersistentLoad>,
    pub buffers: Option<&'a mut dyn Iterator<Item = Vec<u8>>>,
    /// When set, every global is recorded here and refused ones are kept inert (scan).
    pub record: Option<&'a mut Vec<GlobalUse>>,
    /// The memo indices the pickle reads back, when known: the others are not kept.
    pub wants: Option<MemoWants>,
    /// Containers reached more than once become `Value::Shared`/`Value::Ref` (see
    /// `shared.rs`) instead of copies, and cycles load.
    pub shared: bool,
}

/// Vectors a finished load leaves for the next one on the same thread.
#[derive(Default)]
struct Spare {
    stack: Vec<Item>,
    marks: Vec<usize>,
    memo: Vec<u32>,
    arena: arena::Spare,
}

thread_local! {
    static SPARE: std::cell::RefCell<Spare> = std::cell::RefCell::default();
}

/// The memo: arena handles, dense indices in a vector, sparse ones in a map, both bounded
/// by the number of entries. Everything memoized lives in the arena (an immutable leaf as
/// an already-built node), so every later reference aliases it.
struct Memo {
    dense: Vec<u32>,
    sparse: HashMap<i64, u32>,
    entries: u64,
    max: u64,
}

/// An unused dense memo slot (arena handles stay below 2^31).
const EMPTY: u32 = u32::MAX;
/// An entry that exists (it counts for MEMOIZE's index and the memo limit) but whose value
/// was not kept, because no GET reads it.
const SKIPPED: u32 = u32::MAX - 1;

impl Memo {
    fn get(&self, idx: i64) -> Option<u32> {
        let dense = usize::try_from(idx)
            .ok()
            .and_then(|i| self.dense.get(i))
            .copied()
            .filter(|&id| id != EMPTY);
        dense
            .or_else(|| self.sparse.get(&idx).copied())
            .filter(|&id| id != SKIPPED)
    }

    /// Counts one more entry, against the memo limit.
    fn count(&mut self) -> Result<()> {
        self.entries += 1;
        if self.entries > self.max {
            return Err(Error::limit(Limit::Memo, self.max));
        }
        Ok(())
    }

    fn put(&mut self, idx: i64, id: u32) -> Result<()> {
        let slot = usize::try_from(idx)
            .ok()
            .and_then(|i| self.dense.get_mut(i));
        let fresh = match slot {
            Some(s) => std::mem::replace(s, id) == EMPTY,
            None => {
                let len = self.dense.len() as u64;
                // Grow the vector only as far as the entries pay for it.
                let i = u64::try_from(idx).unwrap_or(u64::MAX);
                if i < 2 * (self.entries + 16) && i >= len {
                    self.dense.resize(i as usize, EMPTY);
                    self.dense.push(id);
                    true
                } else {
                    self.sparse.insert(idx, id).is_none()
                }
            }
        };
        if fresh {
            self.count()?;
        }
        Ok(())
    }
}

/// The machine for one pickle.
pub(crate) struct Machine<'a> {
    setup: Setup<'a>,
    arena: Arena,
    stack: Vec<Item>,
    marks: Vec<usize>,
    memo: Memo,
    proto: u8,
    offset: u64,
}

fn underflow() -> Error {
    Error::malformed("unpickling stack underflow")
}

impl<'a> Machine<'a> {
    pub fn new(setup: Setup<'a>) -> Machine<'a> {
        let limits = setup.limits;
        // The vectors the last load on this thread left (nothing if it was large): a
        // small pickle then allocates only its result.
        let spare = SPARE
            .try_with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)))
            .ok()
            .and_then(|s| s.ok())
            .unwrap_or_default();
        Machine {
            arena: Arena::new(limits.max_result_bytes, limits.max_depth, spare.arena),
            stack: spare.stack,
            marks: spare.marks,
            memo: Memo {
                dense: spare.memo,
                sparse: HashMap::new(),
                entries: 0,
                max: limits.max_memo,
            },
            proto: 0,
            offset: 0,
            setup,
        }
    }

    /// Runs the pickle to its STOP and returns the value.
    pub fn run<I: Input>(mut self, dec: &mut Decoder<I>) -> Result<Value> {
        let result = self.run_to_stop(dec);
        let spare = Spare {
            stack: reusable(&mut self.stack),
            marks: reusable(&mut self.marks),
            memo: reusable(&mut self.memo.dense),
            arena: self.arena.recycle(),
        };
        // A load inside a load (a persistent loader that loads) finds the cell borrowed,
        // and one during the thread's teardown finds it gone: either keeps nothing.
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = spare;
            }
        });
        result
    }

    fn run_to_stop<I: Input>(&mut self, dec: &mut Decoder<I>) -> Result<Value> {
        loop {
            let d = match dec.next_instruction()? {
                Some(d) => d,
                None => return Err(Error::truncated("pickle data was truncated (no STOP)")),
            };
            self.offset = d.offset;
            let (offset, opcode) = (d.offset, d.opcode);
            match self.step(d.instruction) {
                Ok(false) => {}
                Ok(true) => {
                    let root = self.pop().map_err(|e| e.at(offset, Some(opcode)))?;
                    // The memo and leftover stack items are not part of the result.
                    self.stack.clear();
                    self.memo.dense.clear();
                    self.memo.sparse.clear();
                    let value = if self.setup.shared {
                        shared::take_shared(&mut self.arena, root)
                    } else {
                        self.arena.take_value(root)
                    };
                    return value.map_err(|e| e.at(offset, Some(opcode)));
                }
                Err(e) => return Err(e.at(offset, Some(opcode))),
            }
        }
    }

    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    /// Pushes a value without a payload (None, bool, int, float).
    #[inline]
    fn push_scalar(&mut self, v: Value) -> Result<()> {
        self.arena.charge(arena::VALUE_SIZE)?;
        self.stack.push(Item::V(v));
        Ok(())
    }

    #[inline]
    fn push_value(&mut self, v: Value) -> Result<()> {
        self.arena.charge(leaf_size(&v))?;
        self.stack.push(Item::V(v));
        Ok(())
    }

    #[inline]
    fn push_node(&mut self, node: Node) -> Result<()> {
        let id = self.arena.alloc(node)?;
        self.stack.push(Item::R(id));
        Ok(())
    }

    /// Pushes a container made from items taken off the stack, sealing them (see
    /// [`Arena::seal_from`]).
    #[inline]
    fn push_container(&mut self, node: Node) -> Result<()> {
        let id = self.arena.alloc(node)?;
        self.stack.push(Item::R(id));
        self.arena.seal_from(id, 0)
    }

    #[inline]
    fn pop(&mut self) -> Result<Item> {
        if self.stack.len() <= self.fence() {
            return Err(underflow());
        }
        self.stack.pop().ok_or_else(underflow)
    }

    /// Pops the innermost mark and returns the items above it.
    fn pop_mark(&mut self) -> Result<Vec<Item>> {
        let mark = self.marker()?;
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn marker(&mut self) -> Result<usize> {
        self.marks
            .pop()
            .ok_or_else(|| Error::malformed("could not find MARK"))
    }

    fn top(&self) -> Result<&Item> {
        if self.stack.len() <= self.fence() {
            return Err(underflow());
        }
        self.stack.last().ok_or_else(underflow)
    }

    /// The node behind a handle on the stack, for in-place operations.
    fn node_of(&self, item: &Item) -> Option<u32> {
        match item {
            Item::R(id) => Some(*id),
            Item::V(_) => None,
        }
    }

    fn item_type(&self, item: &Item) -> &'static str {
        match item {
            Item::V(v) => v.type_name(),
            Item::R(id) => self.arena.node(*id).type_name(),
        }
    }

    /// The leaf value an item holds (directly, or memoized).
    fn leaf<'s>(&'s self, item: &'s Item) -> Option<&'s Value> {
        match item {
            Item::V(v) => Some(v),
            Item::R(id) => match self.arena.node(*id) {
                Node::Built(v, _) => Some(v),
                _ => None,
            },
        }
    }

    fn is_none(&self, item: &Item) -> bool {
        matches!(self.leaf(item), Some(Value::None))
    }

    fn py2_string(&self, bytes: std::borrow::Cow<'_, [u8]>) -> Result<Value> {
        Ok(match self.setup.encoding {
            Encoding::Bytes => Value::Bytes(Box::new(bytes.into_owned())),
            Encoding::Latin1 => Value::Str(
                bytes
                    .iter()
                    .map(|&b| char::from(b))
                    .collect::<String>()
                    .into(),
            ),
            Encoding::Ascii => {
                if let Some(pos) = bytes.iter().position(|b| !b.is_ascii()) {
                    return Err(Error::malformed(format!(
                        "'ascii' codec can't decode byte 0x{:02x} in position {pos}: ordinal not in range(128)",
                        bytes[pos]
                    )));
                }
                // Checked ASCII above, so this is valid UTF-8.
                Value::Str(crate::decode::text::utf8(&bytes)?.into())
            }
            Encoding::Utf8 => Value::Str(crate::decode::text::utf8(&bytes)?.into()),
        })
    }

    /// Asks the policy about a global (after the Python‑2 mapping for protocols < 3).
    fn find_class(&mut self, module: &str, name: &str) -> Result<Node> {
        let (module, name) = if self.proto < 3 {
            compat::map_py2_name(module, name)
        } else {
            (module, name)
        };
        let decision = self.setup.policy.find_class(module, name);
        let global = Global::new(module, name);
        if let Some(record) = self.setup.record.as_deref_mut() {
            record.push(GlobalUse {
                offset: self.offset,
                global: global.clone(),
                verdict: decision.verdict(),
            });
            if matches!(decision, Decision::Refuse) {
                return Ok(Node::Global(Box::new((global, Decision::Inert))));
            }
        }
        match decision {
            Decision::Refuse => Err(Error::new(ErrorKind::Refused {
                module: global.module,
                name: global.name,
            })),
            // A global that names an object, not something to call (`builtins.Ellipsis`).
            Decision::Construct(c) => match c.constant(&global) {
                Some(v) => Ok(Node::Built(v, 0)),
                None => Ok(Node::Global(Box::new((global, Decision::Construct(c))))),
            },
            d => Ok(Node::Global(Box::new((global, d)))),
        }
    }

    /// Calls what `callable` names with `args` (REDUCE, INST, OBJ: `kind` Call; NEWOBJ:
    /// New) and returns the resulting node.
    fn call(
        &mut self,
        callable: Item,
        kind: CallKind,
        args: Vec<Item>,
        kwargs: Vec<(Item, Item)>,
    ) -> Result<Node> {
        let target = match &callable {
            Item::R(id) => match self.arena.node(*id) {
                Node::Global(g) => match &g.1 {
                    Decision::Construct(c) => Some((g.0.clone(), c.clone())),
                    _ => None,
                },
                Node::Object(_) => None,
                other => {
                    return Err(Error::malformed(format!(
                        "'{}' object is not callable",
                        other.type_name()
                    )))
                }
            },
            Item::V(v) => {
                return Err(Error::malformed(format!(
                    "'{}' object is not callable",
                    v.type_name()
                )))
            }
        };
        match target {
            None => {
                // Inert: record the call.
                self.arena.placed(&callable);
                self.arena.placed_all(&args);
                for (k, v) in &kwargs {
                    self.arena.placed(k);
                    self.arena.placed(v);
                }
                Ok(Node::Object(Box::new(ObjNode {
                    callable,
                    kind,
                    args,
                    kwargs,
                    mutations: Vec::new(),
                })))
            }
            Some((global, ctor)) => {
                let mut vargs = Vec::with_capacity(args.len());
                for a in args {
                    vargs.push(self.arena.owned_value(a)?);
                }
                let result = match kind {
                    CallKind::Call => ctor.call(&global, vargs),
                    _ => {
                        let mut vk = Vec::with_capacity(kwargs.len());
                        for (k, v) in kwargs {
                            vk.push((self.arena.owned_value(k)?, self.arena.owned_value(v)?));
                        }
                        ctor.new_object(&global, vargs, vk)
                    }
                };
                let value = result.map_err(|message| {
                    Error::new(ErrorKind::Construct {
                        global: global.dotted(),
                        message,
                    })
                })?;
                self.charge_made(&value)?;
                Ok(Node::Native(Box::new(arena::NativeNode {
                    value,
                    global,
                    ctor,
                })))
            }
        }
    }

    /// The items of a tuple just popped off the stack (REDUCE and NEWOBJ arguments): moved
    /// out of it when nothing else holds it, copied otherwise.
    fn tuple_items(&mut self, item: &Item, what: &str) -> Result<Vec<Item>> {
        if let Item::R(id) = item {
            if let Some(items) = self.arena.take_tuple(*id) {
                return Ok(items);
            }
        }
        match item {
            Item::R(id) => match self.arena.node(*id) {
                Node::Tuple(v) => {
                    // The tuple keeps its items: copies of values (which may be whole
                    // sealed containers) are charged before they are made.
                    self.arena.charge(copies_size(v.iter()))?;
                    match self.arena.node(*id) {
                        Node::Tuple(v) => Ok(v.iter().map(copy_item).collect()),
                        _ => Err(underflow()),
                    }
                }
                other => Err(Error::malformed(format!(
                    "{what} must be a tuple, not '{}'",
                    other.type_name()
                ))),
            },
            Item::V(v) => Err(Error::malformed(format!(
                "{what} must be a tuple, not '{}'",
                v.type_name()
            ))),
        }
    }

    /// Appends `items` to the object at stack position `at - 1` (APPEND, APPENDS).
    fn append_items(&mut self, target: &Item, mut items: Vec<Item>, batch: bool) -> Result<()> {
        let Some(id) = self.node_of(target) else {
            return Err(no_attr(self.item_type(target), "append"));
        };
        self.arena.placed_all(&items);
        self.arena.grew(id, &items)?;
        match self.arena.node_mut(id) {
            Some(Node::List(list)) => {
                let from = list.len();
                list.append(&mut items);
                self.arena.seal_from(id, from)
            }
            Some(Node::Object(o)) => {
                if batch {
                    o.mutations.push(MutNode::Extend(items));
                } else {
                    o.mutations.extend(items.into_iter().map(MutNode::Append));
                }
                Ok(())
            }
            Some(Node::Native { .. }) => {
                let values = self.values_of_items(&items)?;
                match self.arena.node_mut(id) {
                    Some(Node::Native(n)) => match n.value.list_mut() {
                        Some(l) => {
                            l.extend(values);
                            Ok(())
                        }
                        None => Err(no_attr(n.value.type_name(), "append")),
                    },
                    Some(n) => Err(no_attr(n.type_name(), "append")),
                    None => Err(underflow()),
                }
            }
            Some(n) => Err(no_attr(n.type_name(), "append")),
            None => Err(underflow()),
        }
    }

    fn values_of_items(&mut self, items: &[Item]) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(self.arena.value_of(i)?);
        }
        Ok(out)
    }

    /// Checks cheaply that a key can be hashed; deep cases are checked on conversion.
    fn check_key(&self, key: &Item) -> Result<()> {
        let bad = match key {
            Item::V(Value::ByteArray(_)) => Some("bytearray"),
            Item::V(Value::List(_)) => Some("list"),
            Item::V(Value::Dict(_)) => Some("dict"),
            Item::V(Value::Set(_)) => Some("set"),
            Item::R(id) => match self.arena.node(*id) {
                Node::Built(Value::ByteArray(_), _) => Some("bytearray"),
                Node::List(_) => Some("list"),
                Node::Dict(_) => Some("dict"),
                Node::Set(_) => Some("set"),
                _ => None,
            },
            _ => None,
        };
        match bad {
            Some(t) => Err(Error::malformed(format!("unhashable type: '{t}'"))),
            None => Ok(()),
        }
    }

    /// SETITEM(S): `target[k] = v` for each pair.
    fn set_items(&mut self, target: &Item, items: Vec<Item>) -> Result<()> {
        let Some(id) = self.node_of(target) else {
            return Err(Error::malformed(format!(
                "'{}' object does not support item assignment",
                self.item_type(target)
            )));
        };
        let kind = self.arena.node(id).type_name();
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        match self.arena.node(id) {
            Node::Dict(_) => {
                for (k, v) in &pairs {
                    self.check_key(k)?;
                    self.arena.placed(k);
                    self.arena.placed(v);
                    self.arena.grew(id, std::slice::from_ref(v))?;
                }
                let mut from = 0;
                if let Some(Node::Dict(d)) = self.arena.node_mut(id) {
                    from = d.len();
                    d.extend(pairs);
                }
                self.arena.seal_from(id, from)
            }
            Node::Object(_) => {
                for (k, v) in &pairs {
                    self.arena.placed(k);
                    self.arena.placed(v);
                    self.arena.grew(id, std::slice::from_ref(k))?;
                    self.arena.grew(id, std::slice::from_ref(v))?;
                }
                if let Some(Node::Object(o)) = self.arena.node_mut(id) {
                    o.mutations
                        .extend(pairs.into_iter().map(|(k, v)| MutNode::SetItem(k, v)));
                }
                Ok(())
            }
            Node::List(_) => {
                // `list[i] = v` with an int index, as CPython's PyObject_SetItem does.
                for (k, v) in pairs {
                    let idx = match &k {
                        Item::V(Value::Int(i)) => *i,
                        Item::V(Value::Bool(b)) => i64::from(*b),
                        _ => {
                            return Err(Error::malformed(format!(
                                "list indices must be integers or slices, not {}",
                                self.item_type(&k)
                            )))
                        }
                    };
                    self.arena.placed(&v);
                    self.arena.grew(id, std::slice::from_ref(&v))?;
                    if let Some(Node::List(l)) = self.arena.node_mut(id) {
                        let len = l.len() as i64;
                        let i = if idx < 0 { idx + len } else { idx };
                        match usize::try_from(i).ok().and_then(|i| l.get_mut(i)) {
                            Some(slot) => *slot = v,
                            None => {
                                return Err(Error::malformed("list assignment index out of range"))
                            }
                        }
                    }
                }
                Ok(())
            }
            Node::Native { .. } => {
                let mut vals = Vec::with_capacity(pairs.len());
                for (k, v) in &pairs {
                    let k = arena::to_key(self.arena.value_of(k)?)?;
                    vals.push((k, self.arena.value_of(v)?));
                }
                match self.arena.node_mut(id).and_then(|n| match n {
                    Node::Native(n) => n.value.dict_mut(),
                    _ => None,
                }) {
                    Some(d) => {
                        d.extend(vals);
                        Ok(())
                    }
                    None => Err(Error::malformed(format!(
                        "'{kind}' object does not support item assignment"
                    ))),
                }
            }
            _ => Err(Error::malformed(format!(
                "'{kind}' object does not support item assignment"
            ))),
        }
    }

    fn add_items(&mut self, target: &Item, items: Vec<Item>) -> Result<()> {
        let Some(id) = self.node_of(target) else {
            return Err(no_attr(self.item_type(target), "add"));
        };
        match self.arena.node(id) {
            Node::Set(_) => {
                for k in &items {
                    self.check_key(k)?;
                }
                self.arena.placed_all(&items);
                self.arena.grew(id, &items)?;
                let mut from = 0;
                if let Some(Node::Set(s)) = self.arena.node_mut(id) {
                    from = s.len();
                    s.extend(items);
                }
                self.arena.seal_from(id, from)
            }
            Node::Object(_) => {
                self.arena.placed_all(&items);
                self.arena.grew(id, &items)?;
                if let Some(Node::Object(o)) = self.arena.node_mut(id) {
                    o.mutations.push(MutNode::Add(items));
                }
                Ok(())
            }
            n => Err(no_attr(n.type_name(), "add")),
        }
    }

    fn build(&mut self, target: &Item, state: Item) -> Result<()> {
        let Some(id) = self.node_of(target) else {
            return self.default_setstate(target, &state);
        };
        match self.arena.node(id) {
            Node::Object(_) => {
                self.arena.placed(&state);
                self.arena.grew(id, std::slice::from_ref(&state))?;
                if let Some(Node::Object(o)) = self.arena.node_mut(id) {
                    o.mutations.push(MutNode::SetState(state));
                }
                Ok(())
            }
            Node::Global(g) if matches!(g.1, Decision::Inert) => {
                // BUILD on a bare inert global: record it on an inert node.
                let g = g.0.clone();
                let callable = self
                    .arena
                    .alloc(Node::Global(Box::new((g, Decision::Inert))))?;
                self.arena.placed(&Item::R(callable));
                self.arena.placed(&state);
                self.arena.grew(id, std::slice::from_ref(&state))?;
                if let Some(n) = self.arena.node_mut(id) {
                    *n = Node::Object(Box::new(ObjNode {
                        callable: Item::R(callable),
                        kind: CallKind::Bare,
                        args: Vec::new(),
                        kwargs: Vec::new(),
                        mutations: vec![MutNode::SetState(state)],
                    }));
                }
                Ok(())
            }
            Node::Native(_) => {
                if self.is_none(&state) {
                    return Ok(());
                }
                let state = self.arena.value_of(&state)?;
                let Some(Node::Native(n)) = self.arena.node_mut(id) else {
                    return Err(underflow());
                };
                let obj = std::mem::replace(&mut n.value, Value::None);
                let (global, ctor) = (n.global.clone(), n.ctor.clone());
                let new = ctor.build(&global, obj, state).map_err(|message| {
                    Error::new(ErrorKind::Construct {
                        global: global.dotted(),
                        message,
                    })
                })?;
                self.charge_made(&new)?;
                if let Some(Node::Native(n)) = self.arena.node_mut(id) {
                    n.value = new;
                }
                Ok(())
            }
            _ => self.default_setstate(target, &state),
        }
    }

    /// BUILD on a built-in object without `__setstate__`, as CPython's `load_build`: the
    /// state `None` is a no-op; any other state needs a `__dict__`, which built-in values
    /// lack; a `(None, slotstate)` pair sets each slot-state entry as an attribute, so an
    /// empty dict is a no-op and anything else fails as `setattr` would.
    fn default_setstate(&self, target: &Item, state: &Item) -> Result<()> {
        if self.is_none(state) {
            return Ok(());
        }
        let type_name = self.item_type(target);
        let pair = match state {
            Item::R(id) => match self.arena.node(*id) {
                Node::Tuple(v) => match &v[..] {
                    [st, slot] => Some((st, slot)),
                    _ => None,
                },
                _ => None,
            },
            Item::V(_) => None,
        };
        let Some((st, slot)) = pair else {
            return Err(no_attr(type_name, "__dict__"));
        };
        if !self.is_none(st) {
            return Err(no_attr(type_name, "__dict__"));
        }
        // The slot state's first key, if it is a non-empty dict: the first attribute set
        // (its type, and its value when it is a leaf).
        let first_key: Option<Option<(&str, Option<&Value>)>> = match slot {
            Item::R(id) => match self.arena.node(*id) {
                Node::Dict(kv) => Some(kv.first().map(|(k, _)| (self.item_type(k), self.leaf(k)))),
                _ => None,
            },
            Item::V(Value::Dict(d)) => {
                Some(d.keys().next().map(|k| (k.type_name(), Some(k.value()))))
            }
            Item::V(_) => None,
        };
        match first_key {
            None => Err(Error::malformed("slot state is not a dictionary")),
            Some(None) => Ok(()),
            Some(Some((_, Some(Value::Str(name))))) => Err(no_attr(type_name, name)),
            Some(Some((key_type, _))) => Err(Error::malformed(format!(
                "attribute name must be string, not '{key_type}'"
            ))),
        }
    }

    /// Executes one instruction; `Ok(true)` at STOP.
    #[inline(always)]
    fn step(&mut self, ins: Instruction<'_>) -> Result<bool> {
        use Instruction as I;
        match ins {
            I::Stop => return Ok(true),
            I::None => self.push_scalar(Value::None)?,
            I::Bool(b) => self.push_scalar(Value::Bool(b))?,
            I::Int(Int::Small(i)) => self.push_scalar(Value::Int(i))?,
            I::Int(Int::Big(b)) => self.push_value(Value::BigInt(Box::new(b)))?,
            I::Float(f) => self.push_scalar(Value::Float(f))?,
            I::Unicode(s) => self.push_value(Value::Str(s.into()))?,
            I::UnicodeSurrogates(b) => {
                let s = crate::value::SurrogateStr::from_surrogatepass(&b)
                    .ok_or_else(|| Error::malformed("invalid surrogatepass UTF-8"))?;
                self.push_value(Value::SurrogateStr(Box::new(s)))?
            }
            I::Bytes(b) => self.push_value(Value::Bytes(Box::new(b.into_owned())))?,
            I::ByteArray(b) => self.push_value(Value::ByteArray(Box::new(b.into_owned())))?,
            I::String(b) => {
                let v = self.py2_string(b)?;
                self.push_value(v)?
            }
            I::Mark => {
                if self.marks.len() as u64 >= self.setup.limits.max_marks {
                    return Err(Error::limit(Limit::Marks, self.setup.limits.max_marks));
                }
                self.marks.push(self.stack.len());
            }
            I::Pop => {
                // CPython: a mark at the top of the stack is popped instead of an item.
                if self.marks.last() == Some(&self.stack.len()) {
                    self.marks.pop();
                } else {
                    self.pop()?;
                }
            }
            I::PopMark => {
                self.pop_mark()?;
            }
            I::Dup => {
                let item = copy_item(self.top()?);
                match &item {
                    Item::V(v) => self.arena.charge(leaf_size(v))?,
                    Item::R(id) => self.arena.pin(*id),
                }
                self.stack.push(item);
            }
            I::EmptyList => self.push_node(Node::List(Vec::new()))?,
            I::EmptyDict => {
                let pairs = self.arena.pairs_vec();
                self.push_node(Node::Dict(pairs))?
            }
            I::EmptySet => self.push_node(Node::Set(Vec::new()))?,
            I::EmptyTuple => self.push_node(Node::Tuple(Vec::new()))?,
            I::List => {
                let items = self.pop_mark()?;
                self.arena.placed_all(&items);
                self.push_container(Node::List(items))?;
            }
            I::Tuple => {
                let items = self.pop_mark()?;
                self.arena.placed_all(&items);
                self.push_container(Node::Tuple(items))?;
            }
            I::Tuple1 | I::Tuple2 | I::Tuple3 => {
                let n = match ins {
                    I::Tuple1 => 1,
                    I::Tuple2 => 2,
                    _ => 3,
                };
                if self.stack.len() < self.fence() + n {
                    return Err(underflow());
                }
                let items = self.stack.split_off(self.stack.len() - n);
                self.arena.placed_all(&items);
                self.push_container(Node::Tuple(items))?;
            }
            I::FrozenSet => {
                let items = self.pop_mark()?;
                for k in &items {
                    self.check_key(k)?;
                }
                self.arena.placed_all(&items);
                self.push_container(Node::FrozenSet(items))?;
            }
            I::Dict => {
                let items = self.pop_mark()?;
                if items.len() % 2 != 0 {
                    return Err(Error::malformed("odd number of items for DICT"));
                }
                let mut pairs = self.arena.pairs_vec();
                pairs.reserve(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    self.check_key(&k)?;
                    self.arena.placed(&k);
                    self.arena.placed(&v);
                    pairs.push((k, v));
                }
                self.push_container(Node::Dict(pairs))?;
            }
            I::Append => {
                let v = self.pop()?;
                let target = copy_item(self.top()?);
                self.append_items(&target, vec![v], false)?;
            }
            I::Appends => {
                let mark = self.marker()?;
                if mark > self.stack.len() || mark <= self.fence() {
                    return Err(underflow());
                }
                if mark == self.stack.len() {
                    return Ok(false);
                }
                let target = copy_item(self.stack.get(mark - 1).ok_or_else(underflow)?);
                // Fast path: a plain list takes the items straight from the stack.
                if let Item::R(id) = target {
                    if let Some(Node::List(_)) = self.arena.node_mut(id) {
                        let Machine { stack, arena, .. } = self;
                        let handles = arena.adopt(id, &stack[mark..])?;
                        let mut from = 0;
                        if let Some(Node::List(list)) = arena.node_mut(id) {
                            from = list.len();
                            list.extend(stack.drain(mark..));
                        }
                        if handles {
                            arena.seal_from(id, from)?;
                        }
                        return Ok(false);
                    }
                }
                let items = self.stack.split_off(mark);
                self.append_items(&target, items, true)?;
            }
            I::SetItem => {
                if self.stack.len() < self.fence() + 3 {
                    return Err(underflow());
                }
                let items = self.stack.split_off(self.stack.len() - 2);
                let target = copy_item(self.top()?);
                self.set_items(&target, items)?;
            }
            I::SetItems => {
                let mark = self.marker()?;
                if mark > self.stack.len() || mark <= self.fence() {
                    return Err(underflow());
                }
                if mark == self.stack.len() {
                    return Ok(false);
                }
                if (self.stack.len() - mark) % 2 != 0 {
                    return Err(Error::malformed("odd number of items for SETITEMS"));
                }
                let target = copy_item(self.stack.get(mark - 1).ok_or_else(underflow)?);
                // Fast path: a plain dict takes the pairs straight from the stack.
                if let Item::R(id) = target {
                    if let Some(Node::Dict(_)) = self.arena.node_mut(id) {
                        for k in self.stack[mark..].iter().step_by(2) {
                            self.check_key(k)?;
                        }
                        let Machine { stack, arena, .. } = self;
                        let handles = arena.adopt(id, &stack[mark..])?;
                        let mut from = 0;
                        if let Some(Node::Dict(d)) = arena.node_mut(id) {
                            from = d.len();
                            d.reserve((stack.len() - mark) / 2);
                            let mut drain = stack.drain(mark..);
                            while let (Some(k), Some(v)) = (drain.next(), drain.next()) {
                                d.push((k, v));
                            }
                        }
                        if handles {
                            arena.seal_from(id, from)?;
                        }
                        return Ok(false);
                    }
                }
                let items = self.stack.split_off(mark);
                self.set_items(&target, items)?;
            }
            I::AddItems => {
                let mark = self.marker()?;
                if mark > self.stack.len() || mark <= self.fence() {
                    return Err(underflow());
                }
                let items = self.stack.split_off(mark);
                if !items.is_empty() {
                    let target = copy_item(self.stack.last().ok_or_else(underflow)?);
                    self.add_items(&target, items)?;
                }
            }
            I::Get(idx) => {
                let id = self.memo.get(idx).ok_or_else(|| {
                    Error::malformed(format!("Memo value not found at index {idx}"))
                })?;
                self.stack.push(Item::R(id));
            }
            I::Put(idx) => self.memoize(idx)?,
            I::Memoize => self.memoize(self.memo.entries as i64)?,
            I::Global { module, name } => {
                let node = self.find_class(&module, &name)?;
                self.push_node(node)?;
            }
            I::StackGlobal => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Some(Value::Str(module)), Some(Value::Str(name))) =
                    (self.leaf(&module), self.leaf(&name))
                else {
                    return Err(Error::malformed("STACK_GLOBAL requires str"));
                };
                let (module, name) = (module.clone(), name.clone());
                let node = self.find_class(&module, &name)?;
                self.push_node(node)?;
            }
            I::Inst { module, name } => {
                let args = self.pop_mark()?;
                let node = self.find_class(&module, &name)?;
                let cls = self.arena.alloc(node)?;
                let obj = self.call(Item::R(cls), CallKind::Call, args, Vec::new())?;
                self.push_node(obj)?;
            }
            I::Obj => {
                let mut items = self.pop_mark()?;
                if items.is_empty() {
                    return Err(underflow());
                }
                let cls = items.remove(0);
                let obj = self.call(cls, CallKind::Call, items, Vec::new())?;
                self.push_node(obj)?;
            }
            I::Reduce => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let args = self.tuple_items(&args, "argument list")?;
                let obj = self.call(callable, CallKind::Call, args, Vec::new())?;
                self.push_node(obj)?;
            }
            I::NewObj => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let args = self.tuple_items(&args, "NEWOBJ expected an arg tuple; it")?;
                let obj = self.call(cls, CallKind::New, args, Vec::new())?;
                self.push_node(obj)?;
            }
            I::NewObjEx => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                let args = self.tuple_items(&args, "NEWOBJ_EX args")?;
                let kwargs = match &kwargs {
                    Item::R(id) => match self.arena.node(*id) {
                        Node::Dict(kv) => {
                            let size = copies_size(kv.iter().flat_map(|(k, v)| [k, v]));
                            self.arena.charge(size)?;
                            match self.arena.node(*id) {
                                Node::Dict(kv) => kv
                                    .iter()
                                    .map(|(k, v)| (copy_item(k), copy_item(v)))
                                    .collect(),
                                _ => return Err(underflow()),
                            }
                        }
                        n => {
                            return Err(Error::malformed(format!(
                                "NEWOBJ_EX kwargs must be a dict, not '{}'",
                                n.type_name()
                            )))
                        }
                    },
                    Item::V(v) => {
                        return Err(Error::malformed(format!(
                            "NEWOBJ_EX kwargs must be a dict, not '{}'",
                            v.type_name()
                        )))
                    }
                };
                let obj = self.call(cls, CallKind::New, args, kwargs)?;
                self.push_node(obj)?;
            }
            I::Build => {
                if self.stack.len() < self.fence() + 2 {
                    return Err(underflow());
                }
                let state = self.pop()?;
                let target = copy_item(self.top()?);
                self.build(&target, state)?;
            }
            I::Ext(code) => {
                if code <= 0 {
                    return Err(Error::malformed("EXT specifies code <= 0"));
                }
                let global = self
                    .setup
                    .extensions
                    .and_then(|r| r.get(code))
                    .cloned()
                    .ok_or_else(|| {
                        Error::unsupported(format!("unregistered extension code {code}"))
                    })?;
                let node = self.find_class(&global.module, &global.name)?;
                self.push_node(node)?;
            }
            I::PersId(line) => {
                // CPython asks for the loader first, then decodes the id as ASCII.
                if self.setup.persistent.is_none() {
                    return Err(no_persistent_load());
                }
                let pid = match std::str::from_utf8(&line) {
                    Ok(s) if s.is_ascii() => Value::Str(s.into()),
                    _ => {
                        return Err(Error::malformed(
                            "persistent IDs in protocol 0 must be ASCII strings",
                        ))
                    }
                };
                self.persistent(pid)?;
            }
            I::BinPersId => {
                let pid = self.pop()?;
                let pid = self.arena.value_of(&pid)?;
                self.persistent(pid)?;
            }
            I::NextBuffer => {
                let Some(buffers) = self.setup.buffers.as_deref_mut() else {
                    return Err(Error::unsupported(
                        "pickle stream refers to out-of-band data but no *buffers* argument was given",
                    ));
                };
                let buf = buffers
                    .next()
                    .ok_or_else(|| Error::malformed("not enough out-of-band buffers"))?;
                self.push_value(Value::ByteArray(buf.into()))?;
            }
            I::ReadonlyBuffer => self.readonly_buffer()?,
            I::Proto(p) => {
                if p > HIGHEST_PROTOCOL {
                    return Err(Error::malformed(format!(
                        "unsupported pickle protocol: {p}"
                    )));
                }
                self.proto = p;
            }
            I::Frame(_) => {}
        }
        Ok(false)
    }

    /// READONLY_BUFFER: CPython's `memoryview(top)`, made read-only. A `bytearray` becomes
    /// `bytes` (a memoized one stays a `bytearray` in the memo, as in CPython); `bytes` and
    /// numpy values stay as they are; an inert object or global (what it would have been is
    /// unknown) is left alone; anything else is not a bytes-like object: a `TypeError` in
    /// CPython, malformed here.
    fn readonly_buffer(&mut self) -> Result<()> {
        let top = self.top()?;
        let value = match top {
            Item::V(v) => Some(v),
            Item::R(id) => match self.arena.node(*id) {
                Node::Built(v, _) => Some(v),
                Node::Native(n) => Some(&n.value),
                Node::Global(_) | Node::Object(_) => return Ok(()),
                _ => None,
            },
        };
        let copy = match value {
            Some(Value::ByteArray(b)) => match top {
                Item::V(_) => None,
                Item::R(_) => Some(Value::Bytes(b.clone())),
            },
            Some(
                Value::Bytes(_) | Value::NdArray(_) | Value::NumpyScalar(_) | Value::Object(_),
            ) => return Ok(()),
            _ => {
                return Err(Error::malformed(format!(
                    "memoryview: a bytes-like object is required, not '{}'",
                    self.item_type(top)
                )))
            }
        };
        match copy {
            Some(v) => {
                self.arena.charge(leaf_size(&v))?;
                if let Some(slot) = self.stack.last_mut() {
                    *slot = Item::V(v);
                }
            }
            None => {
                if let Some(Item::V(v)) = self.stack.last_mut() {
                    if let Value::ByteArray(b) = v {
                        *v = Value::Bytes(std::mem::take(b));
                    }
                }
            }
        }
        Ok(())
    }

    fn persistent(&mut self, pid: Value) -> Result<()> {
        let Some(loader) = self.setup.persistent else {
            return Err(no_persistent_load());
        };
        let v = loader
            .persistent_load(pid)
            .map_err(|m| Error::malformed(format!("persistent_load failed: {m}")))?;
        // The loader's value may wrap the id it was given: a chain of BINPERSIDs must not
        // build a value deeper than the depth limit (its drop would recurse that deep).
        let max = self.setup.limits.max_depth;
        let m = crate::value::metrics(&v);
        if m.levels > max {
            return Err(Error::limit(Limit::Depth, max));
        }
        self.check_int_bits(&m)?;
        self.push_value(v)
    }

    /// Charges a value a constructor made, once its integers pass `max_int_bits`.
    fn charge_made(&mut self, v: &Value) -> Result<()> {
        let m = crate::value::metrics(v);
        self.check_int_bits(&m)?;
        self.arena.charge(m.size)
    }

    fn check_int_bits(&self, m: &crate::value::Metrics) -> Result<()> {
        let max = self.setup.limits.max_int_bits;
        if m.int_bits > max {
            return Err(Error::limit(Limit::IntBits, max));
        }
        Ok(())
    }

    /// PUT / MEMOIZE: stores the top of the stack at `idx`, unless no GET reads it back.
    /// Then, in a pickle without PUTs (so this is MEMOIZE, and `idx` is a new index) the
    /// entry is only counted; otherwise it is recorded as skipped, so a later PUT or
    /// MEMOIZE at the same index is not counted twice.
    #[inline]
    fn memoize(&mut self, idx: i64) -> Result<()> {
        match &self.setup.wants {
            Some(w) if !w.wanted(idx) => {
                let puts = w.puts;
                self.top()?;
                if puts {
                    self.memo.put(idx, SKIPPED)
                } else {
                    self.memo.count()
                }
            }
            _ => {
                let id = self.memo_item()?;
                self.memo.put(idx, id)
            }
        }
    }

    /// What the memo keeps for the top of the stack: a handle. An immutable leaf is moved
    /// into the arena as an already-built node, so the memo and every later reference
    /// share it and the conversion moves it into its last use.
    fn memo_item(&mut self) -> Result<u32> {
        if self.stack.len() <= self.fence() {
            return Err(underflow());
        }
        let Some(top) = self.stack.last_mut() else {
            return Err(underflow());
        };
        let id = match top {
            Item::R(id) => *id,
            Item::V(v) => {
                let v = std::mem::replace(v, Value::None);
                let height = arena::value_height(&v);
                let id = self.arena.alloc(Node::Built(v, height))?;
                if let Some(top) = self.stack.last_mut() {
                    *top = Item::R(id);
                }
                id
            }
        };
        self.arena.pin(id);
        Ok(id)
    }
}

/// What copying the value items among `items` costs (handles are copied for free).
fn copies_size<'i>(items: impl Iterator<Item = &'i Item>) -> u64 {
    items.fold(0u64, |n, it| match it {
        Item::V(v) => n.saturating_add(leaf_size(v)),
        Item::R(_) => n,
    })
}

fn no_attr(type_name: &str, attr: &str) -> Error {
    Error::malformed(format!("'{type_name}' object has no attribute '{attr}'"))
}

fn no_persistent_load() -> Error {
    Error::unsupported(
        "A load persistent id instruction was encountered, but no persistent_load function was specified.",
    )
}
