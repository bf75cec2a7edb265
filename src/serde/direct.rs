//! The direct path: a pickle of plain data run into a compact graph of its own, which the
//! caller's type then reads (see the module docs of [`super`]).
//!
//! The graph is built by the machine's rules for the opcodes of plain data (marks and the
//! fence, the memo, in-place APPENDS/SETITEMS/ADDITEMS, hashability of keys, the depth and
//! result budgets). Whatever is outside that subset, or anything unusual (an error of any
//! kind, repeated dict keys, keys compared by more than identity of text or number,
//! trailing bytes), gives [`NotDirect`], and the caller loads the pickle with the machine
//! instead, which then decides. So the graph never accepts what the loader refuses, and
//! when it accepts, its tree is the loader's tree.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use num_bigint::BigInt;
use serde::de::Deserialize;

use super::de::De;
use super::tree::{Shape, Tree};
use crate::decode::{Decoder, Instruction, Int, SliceInput};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{Limit, Limits};
use crate::machine::Encoding;
use crate::opcode::HIGHEST_PROTOCOL;
use crate::value::Value;

/// The pickle is not for the direct path: load it with the machine.
#[derive(Debug)]
pub(crate) struct NotDirect;

type Built<T> = std::result::Result<T, NotDirect>;

/// One stack item, memo entry or container item: a scalar, or an index into one of the
/// graph's tables.
#[derive(Clone, Copy, Debug)]
enum Slot {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Index into `strs` (lent from the input) or, when the flag is set, `owned_strs`.
    Str(u32, bool),
    /// Index into `bytes` (lent) or `owned_bytes`; the second flag marks a bytearray.
    Bytes(u32, bool, bool),
    Big(u32),
    Node(u32),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    List,
    Tuple,
    Dict,
    Set,
    FrozenSet,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::List => "list",
            Kind::Tuple => "tuple",
            Kind::Dict => "dict",
            Kind::Set => "set",
            Kind::FrozenSet => "frozenset",
        }
    }
}

struct Node {
    kind: Kind,
    /// The items; a dict's as key, value, key, value …
    items: Vec<Slot>,
    /// Container levels below and including this one, as the depth limit counts them.
    height: u32,
}

/// The bytes a value takes in the loader's result beyond its payload.
const VALUE: u64 = std::mem::size_of::<Value>() as u64;
/// What the loader charges for an object it keeps in its arena; more, so the direct path
/// never accepts a pickle the loader's running budget refuses.
const NODE: u64 = 128;

/// A plain-data pickle as a graph; `'de` is the input's lifetime.
pub(crate) struct Graph<'de> {
    data: &'de [u8],
    strs: Vec<&'de str>,
    owned_strs: Vec<String>,
    bytes: Vec<&'de [u8]>,
    owned_bytes: Vec<Vec<u8>>,
    bigs: Vec<BigInt>,
    nodes: Vec<Node>,
    root: Slot,
    /// What the check of a shared graph found: a cycle (see [`Graph::check_tree`]).
    cycle: Option<Error>,
    limits: Limits,
}

/// The state of the run that builds a graph.
struct Run<'l> {
    stack: Vec<Slot>,
    marks: Vec<usize>,
    memo: Vec<Option<Slot>>,
    sparse: HashMap<i64, Slot>,
    entries: u64,
    limits: &'l Limits,
    encoding: Encoding,
    used: u64,
    /// Whether the memo handed out a container: then the tree may be larger than the
    /// graph, or not a tree at all, and the whole graph is checked at the end.
    shared: bool,
}

impl<'de> Graph<'de> {
    /// Runs the pickle in `data` into a graph, or says it is not for the direct path.
    pub fn build(data: &'de [u8], limits: &Limits, encoding: Encoding) -> Built<Graph<'de>> {
        let mut g = Graph {
            data,
            strs: Vec::new(),
            owned_strs: Vec::new(),
            bytes: Vec::new(),
            owned_bytes: Vec::new(),
            bigs: Vec::new(),
            nodes: Vec::new(),
            root: Slot::None,
            cycle: None,
            limits: limits.clone(),
        };
        let mut run = Run {
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Vec::new(),
            sparse: HashMap::new(),
            entries: 0,
            limits,
            encoding,
            used: 0,
            shared: false,
        };
        let mut dec = Decoder::new(SliceInput::new(data), limits.clone());
        loop {
            let ins = match dec.next_instruction() {
                Ok(Some(d)) => d.instruction,
                _ => return Err(NotDirect),
            };
            if let Some(root) = g.step(&mut run, ins)? {
                g.root = root;
                break;
            }
        }
        if dec.position() != data.len() as u64 {
            return Err(NotDirect);
        }
        g.check_keys()?;
        if run.shared {
            match g.check_tree(run.used) {
                Ok(()) => {}
                Err(e) if matches!(e.kind(), ErrorKind::Cycle) => g.cycle = Some(e),
                // Past a budget: the loader says which, and where it stopped.
                Err(_) => return Err(NotDirect),
            }
        }
        Ok(g)
    }

    /// Deserializes a `T` from the graph, unless it holds a cycle.
    pub fn deserialize<T: Deserialize<'de>>(&self) -> Result<T> {
        if let Some(e) = &self.cycle {
            return Err(Error::new(ErrorKind::Cycle).in_path(e.path().unwrap_or("")));
        }
        T::deserialize(De {
            node: Place {
                g: self,
                slot: self.root,
            },
        })
    }

    /// A leaf's string, lent from the input when it holds it verbatim.
    fn lend_str(&mut self, s: Cow<'_, str>) -> Slot {
        if let Cow::Borrowed(b) = &s {
            if let Some(lent) = self.lend(b.as_bytes()) {
                if let Ok(t) = std::str::from_utf8(lent) {
                    self.strs.push(t);
                    return Slot::Str(self.strs.len() as u32 - 1, false);
                }
            }
        }
        self.owned_strs.push(s.into_owned());
        Slot::Str(self.owned_strs.len() as u32 - 1, true)
    }

    fn lend_bytes(&mut self, b: Cow<'_, [u8]>, array: bool) -> Slot {
        if let Cow::Borrowed(x) = &b {
            if let Some(lent) = self.lend(x) {
                self.bytes.push(lent);
                return Slot::Bytes(self.bytes.len() as u32 - 1, false, array);
            }
        }
        self.owned_bytes.push(b.into_owned());
        Slot::Bytes(self.owned_bytes.len() as u32 - 1, true, array)
    }

    /// The same bytes as `part` as a slice of the input, if `part` lies inside it.
    fn lend(&self, part: &[u8]) -> Option<&'de [u8]> {
        let start = (part.as_ptr() as usize).checked_sub(self.data.as_ptr() as usize)?;
        let lent = self.data.get(start..start.checked_add(part.len())?)?;
        (lent.as_ptr() == part.as_ptr()).then_some(lent)
    }

    /// The height of what a slot holds (0 for a leaf).
    fn height(&self, s: Slot) -> u32 {
        match s {
            Slot::Node(id) => self.nodes.get(id as usize).map_or(0, |n| n.height),
            _ => 0,
        }
    }

    fn new_node(&mut self, run: &mut Run, kind: Kind, items: Vec<Slot>) -> Built<Slot> {
        let below = items.iter().map(|&s| self.height(s)).max().unwrap_or(0);
        let height = below + 1;
        if u64::from(height) > run.limits.max_depth {
            return Err(NotDirect);
        }
        run.charge(NODE)?;
        let id = u32::try_from(self.nodes.len()).map_err(|_| NotDirect)?;
        self.nodes.push(Node {
            kind,
            items,
            height,
        });
        Ok(Slot::Node(id))
    }

    /// The container `target` of kind `kind`, grown by `items` (APPENDS, SETITEMS,
    /// ADDITEMS); anything else is left to the loader.
    fn extend(
        &mut self,
        max_depth: u64,
        target: Slot,
        kind: Kind,
        items: impl ExactSizeIterator<Item = Slot>,
        below: u32,
    ) -> Built<()> {
        let Slot::Node(id) = target else {
            return Err(NotDirect);
        };
        let node = self.nodes.get_mut(id as usize).ok_or(NotDirect)?;
        if node.kind != kind {
            return Err(NotDirect);
        }
        node.items.extend(items);
        let h = below + 1;
        if h > node.height {
            node.height = h;
            if u64::from(h) > max_depth {
                return Err(NotDirect);
            }
        }
        Ok(())
    }

    /// Python would refuse this as a dict key or set element (the loader's check).
    fn unhashable(&self, s: Slot) -> bool {
        match s {
            Slot::Bytes(_, _, array) => array,
            Slot::Node(id) => self
                .nodes
                .get(id as usize)
                .is_none_or(|n| matches!(n.kind, Kind::List | Kind::Dict | Kind::Set)),
            _ => false,
        }
    }

    /// Runs one instruction; the root at STOP.
    #[inline]
    fn step(&mut self, run: &mut Run, ins: Instruction<'_>) -> Built<Option<Slot>> {
        use Instruction as I;
        let (slot, payload) = match ins {
            I::None => (Slot::None, 0),
            I::Bool(b) => (Slot::Bool(b), 0),
            I::Int(Int::Small(i)) => (Slot::Int(i), 0),
            I::Int(Int::Big(b)) => {
                let n = b.bits() / 8 + 32;
                self.bigs.push(b);
                (Slot::Big(self.bigs.len() as u32 - 1), n)
            }
            I::Float(f) => (Slot::Float(f), 0),
            I::Unicode(s) => {
                let n = s.len() as u64;
                (self.lend_str(s), n)
            }
            I::Bytes(b) => {
                let n = b.len() as u64;
                (self.lend_bytes(b, false), n)
            }
            I::ByteArray(b) => {
                let n = b.len() as u64;
                (self.lend_bytes(b, true), n)
            }
            I::String(b) => {
                let n = b.len() as u64;
                let slot = match run.encoding {
                    Encoding::Bytes => self.lend_bytes(b, false),
                    Encoding::Ascii if b.is_ascii() => self.py2_text(b)?,
                    Encoding::Utf8 => self.py2_text(b)?,
                    Encoding::Latin1 if b.is_ascii() => self.py2_text(b)?,
                    Encoding::Latin1 => {
                        let s: String = b.iter().map(|&c| char::from(c)).collect();
                        self.owned_strs.push(s);
                        Slot::Str(self.owned_strs.len() as u32 - 1, true)
                    }
                    _ => return Err(NotDirect),
                };
                (slot, n)
            }
            other => return self.structure(run, other),
        };
        run.charge(VALUE + payload)?;
        run.stack.push(slot);
        Ok(None)
    }

    /// Runs one instruction that is not a leaf; the root at STOP.
    #[inline]
    fn structure(&mut self, run: &mut Run, ins: Instruction<'_>) -> Built<Option<Slot>> {
        use Instruction as I;
        match ins {
            I::Stop => return run.pop().map(Some),
            I::Mark => {
                if run.marks.len() as u64 >= run.limits.max_marks {
                    return Err(NotDirect);
                }
                run.marks.push(run.stack.len());
            }
            I::Pop => {
                if run.marks.last() == Some(&run.stack.len()) {
                    run.marks.pop();
                } else {
                    run.pop()?;
                }
            }
            I::PopMark => {
                run.pop_mark()?;
            }
            I::EmptyList => self.push_node(run, Kind::List, Vec::new())?,
            I::EmptyDict => self.push_node(run, Kind::Dict, Vec::new())?,
            I::EmptySet => self.push_node(run, Kind::Set, Vec::new())?,
            I::EmptyTuple => self.push_node(run, Kind::Tuple, Vec::new())?,
            I::List => {
                let items = run.pop_mark()?;
                self.push_node(run, Kind::List, items)?;
            }
            I::Tuple => {
                let items = run.pop_mark()?;
                self.push_node(run, Kind::Tuple, items)?;
            }
            I::Tuple1 | I::Tuple2 | I::Tuple3 => {
                let n = match ins {
                    I::Tuple1 => 1,
                    I::Tuple2 => 2,
                    _ => 3,
                };
                if run.stack.len() < run.fence() + n {
                    return Err(NotDirect);
                }
                let items = run.stack.split_off(run.stack.len() - n);
                self.push_node(run, Kind::Tuple, items)?;
            }
            I::FrozenSet => {
                let items = run.pop_mark()?;
                if items.iter().any(|&k| self.unhashable(k)) {
                    return Err(NotDirect);
                }
                self.push_node(run, Kind::FrozenSet, items)?;
            }
            I::Dict => {
                let items = run.pop_mark()?;
                if items.len() % 2 != 0 || items.iter().step_by(2).any(|&k| self.unhashable(k)) {
                    return Err(NotDirect);
                }
                self.push_node(run, Kind::Dict, items)?;
            }
            I::Append => {
                let v = run.pop()?;
                let target = run.top()?;
                let below = self.height(v);
                self.extend(
                    run.limits.max_depth,
                    target,
                    Kind::List,
                    std::iter::once(v),
                    below,
                )?;
            }
            I::Appends => {
                let Some(mark) = run.batch()? else {
                    return Ok(None);
                };
                let target = *run.stack.get(mark - 1).ok_or(NotDirect)?;
                let below = self.max_height(&run.stack[mark..]);
                let max = run.limits.max_depth;
                let items = run.stack.drain(mark..);
                self.extend(max, target, Kind::List, items, below)?;
            }
            I::SetItem => {
                if run.stack.len() < run.fence() + 3 {
                    return Err(NotDirect);
                }
                let len = run.stack.len();
                let (k, v) = (run.stack[len - 2], run.stack[len - 1]);
                if self.unhashable(k) {
                    return Err(NotDirect);
                }
                run.stack.truncate(len - 2);
                let target = run.top()?;
                let below = self.height(v);
                self.extend(
                    run.limits.max_depth,
                    target,
                    Kind::Dict,
                    [k, v].into_iter(),
                    below,
                )?;
            }
            I::SetItems => {
                let Some(mark) = run.batch()? else {
                    return Ok(None);
                };
                let pairs = &run.stack[mark..];
                if pairs.len() % 2 != 0 || pairs.iter().step_by(2).any(|&k| self.unhashable(k)) {
                    return Err(NotDirect);
                }
                let target = *run.stack.get(mark - 1).ok_or(NotDirect)?;
                let below = self.max_height(&run.stack[mark..]);
                let max = run.limits.max_depth;
                let items = run.stack.drain(mark..);
                self.extend(max, target, Kind::Dict, items, below)?;
            }
            I::AddItems => {
                let mark = run.marks.pop().ok_or(NotDirect)?;
                if mark > run.stack.len() || mark <= run.fence() {
                    return Err(NotDirect);
                }
                if mark < run.stack.len() {
                    let target = *run.stack.get(mark - 1).ok_or(NotDirect)?;
                    let items = &run.stack[mark..];
                    if items.iter().any(|&k| self.unhashable(k)) {
                        return Err(NotDirect);
                    }
                    let below = self.max_height(items);
                    let max = run.limits.max_depth;
                    let items = run.stack.drain(mark..);
                    self.extend(max, target, Kind::Set, items, below)?;
                }
            }
            I::Get(idx) => {
                let slot = run.memo_get(idx).ok_or(NotDirect)?;
                match slot {
                    Slot::Node(_) => run.shared = true,
                    s => run.charge(VALUE + self.payload(s))?,
                }
                run.stack.push(slot);
            }
            I::Put(idx) => self.memoize(run, idx)?,
            I::Memoize => self.memoize(run, run.entries as i64)?,
            I::Proto(p) => {
                if p > HIGHEST_PROTOCOL {
                    return Err(NotDirect);
                }
            }
            I::Frame(_) => {}
            _ => return Err(NotDirect),
        }
        Ok(None)
    }

    fn py2_text(&mut self, b: Cow<'_, [u8]>) -> Built<Slot> {
        match b {
            Cow::Borrowed(x) => {
                let lent = self.lend(x).ok_or(NotDirect)?;
                let t = std::str::from_utf8(lent).map_err(|_| NotDirect)?;
                self.strs.push(t);
                Ok(Slot::Str(self.strs.len() as u32 - 1, false))
            }
            Cow::Owned(x) => {
                let t = String::from_utf8(x).map_err(|_| NotDirect)?;
                self.owned_strs.push(t);
                Ok(Slot::Str(self.owned_strs.len() as u32 - 1, true))
            }
        }
    }

    fn max_height(&self, items: &[Slot]) -> u32 {
        items.iter().map(|&s| self.height(s)).max().unwrap_or(0)
    }

    fn push_node(&mut self, run: &mut Run, kind: Kind, items: Vec<Slot>) -> Built<()> {
        let slot = self.new_node(run, kind, items)?;
        run.stack.push(slot);
        Ok(())
    }

    /// The payload bytes of a leaf, as the loader counts them.
    fn payload(&self, s: Slot) -> u64 {
        match s {
            Slot::Str(i, false) => self.strs.get(i as usize).map_or(0, |x| x.len() as u64),
            Slot::Str(i, true) => self
                .owned_strs
                .get(i as usize)
                .map_or(0, |x| x.len() as u64),
            Slot::Bytes(i, false, _) => self.bytes.get(i as usize).map_or(0, |x| x.len() as u64),
            Slot::Bytes(i, true, _) => self
                .owned_bytes
                .get(i as usize)
                .map_or(0, |x| x.len() as u64),
            Slot::Big(i) => self.bigs.get(i as usize).map_or(0, |b| b.bits() / 8 + 32),
            _ => 0,
        }
    }

    /// PUT / MEMOIZE of the top of the stack at `idx`.
    fn memoize(&mut self, run: &mut Run, idx: i64) -> Built<()> {
        let top = run.top()?;
        if !matches!(top, Slot::Node(_)) {
            // The loader keeps a memoized leaf in its arena and copies it out again.
            run.charge(NODE + VALUE + self.payload(top))?;
        }
        run.memo_put(idx, top)
    }

    /// Dict keys and set elements: the loader keeps the first of equal keys (and the
    /// last value); the direct path has no such rule, so a repeated key, or a key whose
    /// equality is more than identity of text or number (floats, big ints, tuples,
    /// frozensets: `1 == 1.0`, NaN), leaves the pickle to the loader.
    fn check_keys(&self) -> Built<()> {
        for n in &self.nodes {
            let (step, count) = match n.kind {
                Kind::Dict => (2, n.items.len() / 2),
                Kind::Set | Kind::FrozenSet => (1, n.items.len()),
                _ => continue,
            };
            if count < 2 {
                if let Some(&k) = n.items.first() {
                    self.key(k)?;
                }
                continue;
            }
            if count <= 8 {
                let mut keys = [KeyId::None; 8];
                for (i, &k) in n.items.iter().step_by(step).enumerate() {
                    let id = self.key(k)?;
                    if keys[..i].contains(&id) {
                        return Err(NotDirect);
                    }
                    keys[i] = id;
                }
            } else {
                let mut seen = HashSet::with_capacity(count);
                for &k in n.items.iter().step_by(step) {
                    if !seen.insert(self.key(k)?) {
                        return Err(NotDirect);
                    }
                }
            }
        }
        Ok(())
    }

    fn key(&self, k: Slot) -> Built<KeyId<'_>> {
        Ok(match k {
            Slot::None => KeyId::None,
            Slot::Bool(b) => KeyId::Int(i64::from(b)),
            Slot::Int(i) => KeyId::Int(i),
            Slot::Str(..) => KeyId::Str(self.text(k).ok_or(NotDirect)?),
            Slot::Bytes(_, _, false) => KeyId::Bytes(self.blob(k).ok_or(NotDirect)?),
            _ => return Err(NotDirect),
        })
    }

    fn text(&self, s: Slot) -> Option<&str> {
        match s {
            Slot::Str(i, false) => self.strs.get(i as usize).copied(),
            Slot::Str(i, true) => self.owned_strs.get(i as usize).map(|s| s.as_str()),
            _ => None,
        }
    }

    fn blob(&self, s: Slot) -> Option<&[u8]> {
        match s {
            Slot::Bytes(i, false, _) => self.bytes.get(i as usize).copied(),
            Slot::Bytes(i, true, _) => self.owned_bytes.get(i as usize).map(|b| b.as_slice()),
            _ => None,
        }
    }

    /// When the memo shared containers: the tree the graph stands for must have no cycle,
    /// stay within the depth limit, and, with every shared object counted once per place
    /// it appears, within the result budget on top of the `used` bytes the run charged
    /// (more than the loader counts, so nothing it refuses passes). One pass over the
    /// graph, without recursion.
    fn check_tree(&self, used: u64) -> Result<()> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let Slot::Node(root) = self.root else {
            return Ok(());
        };
        let n = self.nodes.len();
        let mut state = vec![NEW; n];
        // For a finished node: its expanded size and its height.
        let mut size = vec![0u64; n];
        let mut height = vec![0u32; n];
        // (node, index of the next item to visit)
        let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
        if let Some(s) = state.get_mut(root as usize) {
            *s = OPEN;
        }
        while let Some(&mut (id, ref mut next)) = stack.last_mut() {
            let node = self.nodes.get(id as usize).ok_or_else(dangling)?;
            if let Some(&item) = node.items.get(*next) {
                *next += 1;
                if let Slot::Node(c) = item {
                    match state.get(c as usize) {
                        Some(&NEW) => {
                            if stack.len() as u64 >= self.limits.max_depth {
                                return Err(Error::limit(Limit::Depth, self.limits.max_depth)
                                    .in_path(&self.path_of(&stack)));
                            }
                            state[c as usize] = OPEN;
                            stack.push((c, 0));
                        }
                        Some(&OPEN) => {
                            return Err(Error::new(ErrorKind::Cycle).in_path(&self.path_of(&stack)))
                        }
                        _ => {}
                    }
                }
                continue;
            }
            // All items done: add them up.
            let mut total = VALUE;
            let mut h = 0u32;
            for &item in &node.items {
                let (s, ih) = match item {
                    Slot::Node(c) => (
                        size.get(c as usize).copied().unwrap_or(0),
                        height.get(c as usize).copied().unwrap_or(0),
                    ),
                    leaf => (VALUE + self.payload(leaf), 0),
                };
                total = total.saturating_add(s);
                h = h.max(ih);
            }
            if total.saturating_add(used) > self.limits.max_result_bytes {
                return Err(
                    Error::limit(Limit::ResultBytes, self.limits.max_result_bytes)
                        .in_path(&self.path_of(&stack[..stack.len() - 1])),
                );
            }
            let i = id as usize;
            size[i] = total;
            height[i] = h + 1;
            if stack.len() as u64 + u64::from(h) > self.limits.max_depth {
                return Err(Error::limit(Limit::Depth, self.limits.max_depth)
                    .in_path(&self.path_of(&stack[..stack.len() - 1])));
            }
            state[i] = DONE;
            stack.pop();
        }
        Ok(())
    }

    /// The path from the root through the items the walk `stack` is visiting.
    #[cold]
    fn path_of(&self, stack: &[(u32, usize)]) -> String {
        let mut out = String::new();
        for &(id, next) in stack {
            let Some(node) = self.nodes.get(id as usize) else {
                break;
            };
            let i = next.saturating_sub(1);
            if node.kind == Kind::Dict {
                let key = node.items.get(i & !1).copied().unwrap_or(Slot::None);
                if i % 2 == 0 {
                    out.push_str("[<key>]");
                } else {
                    out.push_str(&super::de::key_segment(Place { g: self, slot: key }, false));
                }
            } else {
                out.push_str(&format!("[{i}]"));
            }
        }
        out
    }
}

fn dangling() -> Error {
    Error::malformed("dangling object handle")
}

/// What decides whether two keys are one: identity of text, bytes or number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum KeyId<'g> {
    None,
    Int(i64),
    Str(&'g str),
    Bytes(&'g [u8]),
}

impl Run<'_> {
    #[inline]
    fn charge(&mut self, n: u64) -> Built<()> {
        self.used = self.used.saturating_add(n);
        if self.used > self.limits.max_result_bytes {
            return Err(NotDirect);
        }
        Ok(())
    }

    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[inline]
    fn pop(&mut self) -> Built<Slot> {
        if self.stack.len() <= self.fence() {
            return Err(NotDirect);
        }
        self.stack.pop().ok_or(NotDirect)
    }

    #[inline]
    fn top(&self) -> Built<Slot> {
        if self.stack.len() <= self.fence() {
            return Err(NotDirect);
        }
        self.stack.last().copied().ok_or(NotDirect)
    }

    fn pop_mark(&mut self) -> Built<Vec<Slot>> {
        let mark = self.marks.pop().ok_or(NotDirect)?;
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    /// Pops the mark of an APPENDS / SETITEMS batch: its position, or `None` for an
    /// empty batch (a no-op, as in the loader).
    #[inline]
    fn batch(&mut self) -> Built<Option<usize>> {
        let mark = self.marks.pop().ok_or(NotDirect)?;
        if mark > self.stack.len() || mark <= self.fence() {
            return Err(NotDirect);
        }
        Ok((mark < self.stack.len()).then_some(mark))
    }

    #[inline]
    fn memo_get(&self, idx: i64) -> Option<Slot> {
        match usize::try_from(idx).ok().and_then(|i| self.memo.get(i)) {
            Some(Some(s)) => Some(*s),
            _ => self.sparse.get(&idx).copied(),
        }
    }

    #[inline]
    fn memo_put(&mut self, idx: i64, slot: Slot) -> Built<()> {
        // The loader's rule, to the letter (so the memo limit counts the same entries).
        let fresh = match usize::try_from(idx).ok() {
            Some(i) if i < self.memo.len() => self.memo[i].replace(slot).is_none(),
            // Grow the vector only as far as the entries pay for it.
            Some(i) if (i as u64) < 2 * (self.entries + 16) => {
                self.memo.resize(i, None);
                self.memo.push(Some(slot));
                true
            }
            _ => self.sparse.insert(idx, slot).is_none(),
        };
        if fresh {
            self.entries += 1;
            if self.entries > self.limits.max_memo {
                return Err(NotDirect);
            }
        }
        Ok(())
    }
}

/// One place in a [`Graph`], read by the deserializer.
#[derive(Clone, Copy)]
pub(crate) struct Place<'g, 'de> {
    g: &'g Graph<'de>,
    slot: Slot,
}

/// The items of a sequence in a [`Graph`].
pub(crate) struct PlaceItems<'g, 'de> {
    g: &'g Graph<'de>,
    items: std::slice::Iter<'g, Slot>,
}

impl<'g, 'de> Iterator for PlaceItems<'g, 'de> {
    type Item = Place<'g, 'de>;
    #[inline]
    fn next(&mut self) -> Option<Place<'g, 'de>> {
        self.items.next().map(|&slot| Place { g: self.g, slot })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}
impl ExactSizeIterator for PlaceItems<'_, '_> {}

/// The pairs of a dict in a [`Graph`].
pub(crate) struct PlacePairs<'g, 'de> {
    g: &'g Graph<'de>,
    items: std::slice::ChunksExact<'g, Slot>,
}

impl<'g, 'de> Iterator for PlacePairs<'g, 'de> {
    type Item = (Place<'g, 'de>, Place<'g, 'de>);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let g = self.g;
        self.items.next().and_then(|kv| match kv {
            [k, v] => Some((Place { g, slot: *k }, Place { g, slot: *v })),
            _ => None,
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}
impl ExactSizeIterator for PlacePairs<'_, '_> {}

impl<'g, 'de> Tree<'de, 'g> for Place<'g, 'de> {
    type Items = PlaceItems<'g, 'de>;
    type Pairs = PlacePairs<'g, 'de>;

    #[inline]
    fn shape(self) -> Shape<'de, 'g, Self> {
        let g = self.g;
        match self.slot {
            Slot::None => Shape::None,
            Slot::Bool(b) => Shape::Bool(b),
            Slot::Int(i) => Shape::Int(i),
            Slot::Float(f) => Shape::Float(f),
            Slot::Str(i, false) => Shape::Str(g.strs.get(i as usize).copied().unwrap_or("")),
            Slot::Str(i, true) => {
                Shape::StrT(g.owned_strs.get(i as usize).map_or("", |s| s.as_str()))
            }
            Slot::Bytes(i, false, _) => {
                Shape::Bytes(g.bytes.get(i as usize).copied().unwrap_or(&[]))
            }
            Slot::Bytes(i, true, _) => {
                Shape::BytesT(g.owned_bytes.get(i as usize).map_or(&[], |b| b.as_slice()))
            }
            Slot::Big(i) => match g.bigs.get(i as usize) {
                Some(b) => Shape::Big(b),
                None => Shape::None,
            },
            Slot::Node(id) => match g.nodes.get(id as usize) {
                Some(n) if n.kind == Kind::Dict => Shape::Map(
                    n.kind.name(),
                    PlacePairs {
                        g,
                        items: n.items.chunks_exact(2),
                    },
                ),
                Some(n) => Shape::Seq(
                    n.kind.name(),
                    PlaceItems {
                        g,
                        items: n.items.iter(),
                    },
                ),
                None => Shape::None,
            },
        }
    }
}
