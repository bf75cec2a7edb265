//! The machine's working storage: stack items, the arena of mutable objects, and the
//! conversion of the finished graph into a [`Value`] tree.
//!
//! During loading every container lives in the arena and the stack, memo and other
//! containers hold handles to it, so aliasing behaves exactly as in CPython (a list
//! memoized while empty and filled later is filled for every reference). Converting to a
//! tree moves each node into its last use and copies it for the others; every copy is
//! charged to the result budget, cycles are an error, and the walk is iterative with the
//! depth limit enforced, so no input can make it recurse, loop or allocate without bound.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limit;
use crate::policy::{Constructor, Decision};
use crate::value::{CallKind, Dict, Global, Key, Mutation, Object, Set, ThinVec, Value};

/// What the stack, the memo and containers hold: a finished leaf value, or a handle to an
/// arena node.
#[derive(Debug)]
pub(crate) enum Item {
    /// A value that is never mutated in place (None, bool, int, float, str, bytes …).
    V(Value),
    /// An arena node.
    R(u32),
}

/// An inert object under construction.
pub(crate) struct ObjNode {
    pub callable: Item,
    pub kind: CallKind,
    pub args: Vec<Item>,
    pub kwargs: Vec<(Item, Item)>,
    pub mutations: Vec<MutNode>,
}

/// A [`Mutation`] under construction.
pub(crate) enum MutNode {
    SetState(Item),
    Append(Item),
    Extend(Vec<Item>),
    SetItem(Item, Item),
    Add(Vec<Item>),
}

/// A value a policy constructor made, with what BUILD needs to go back to it.
pub(crate) struct NativeNode {
    pub value: Value,
    pub global: Global,
    pub ctor: Arc<dyn Constructor>,
}

/// An arena node: an object that may be shared or mutated.
pub(crate) enum Node {
    List(Vec<Item>),
    Tuple(Vec<Item>),
    Dict(Vec<(Item, Item)>),
    Set(Vec<Item>),
    FrozenSet(Vec<Item>),
    /// A global the policy let through, not called (yet).
    Global(Box<(Global, Decision)>),
    /// An inert call result.
    Object(Box<ObjNode>),
    /// A value a policy constructor made; BUILD goes back to the constructor.
    Native(Box<NativeNode>),
    /// Converted, waiting for its remaining uses; with its height.
    Built(Value, u32),
    /// Converted and moved out.
    Taken,
}

impl Node {
    /// Python's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Native(n) => n.value.type_name(),
            Node::Built(v, _) => v.type_name(),
            Node::List(_) => "list",
            Node::Tuple(_) => "tuple",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Global(..) => "global",
            Node::Object(_) | Node::Taken => "object",
        }
    }

    /// Calls `f` for every item the node holds.
    pub(super) fn for_each_item(&self, mut f: impl FnMut(&Item)) {
        match self {
            Node::List(v) | Node::Tuple(v) | Node::Set(v) | Node::FrozenSet(v) => {
                v.iter().for_each(f)
            }
            Node::Dict(kv) => kv.iter().for_each(|(k, v)| {
                f(k);
                f(v)
            }),
            Node::Object(o) => {
                f(&o.callable);
                o.args.iter().for_each(&mut f);
                o.kwargs.iter().for_each(|(k, v)| {
                    f(k);
                    f(v)
                });
                for m in &o.mutations {
                    match m {
                        MutNode::SetState(x) | MutNode::Append(x) => f(x),
                        MutNode::Extend(xs) | MutNode::Add(xs) => xs.iter().for_each(&mut f),
                        MutNode::SetItem(k, v) => {
                            f(k);
                            f(v)
                        }
                    }
                }
            }
            Node::Global(..) | Node::Native(_) | Node::Built(..) | Node::Taken => {}
        }
    }

    /// Calls `f` for every item the node holds, mutably.
    pub(super) fn for_each_item_mut(&mut self, mut f: impl FnMut(&mut Item)) {
        match self {
            Node::List(v) | Node::Tuple(v) | Node::Set(v) | Node::FrozenSet(v) => {
                v.iter_mut().for_each(f)
            }
            Node::Dict(kv) => kv.iter_mut().for_each(|(k, v)| {
                f(k);
                f(v)
            }),
            Node::Object(o) => {
                f(&mut o.callable);
                o.args.iter_mut().for_each(&mut f);
                o.kwargs.iter_mut().for_each(|(k, v)| {
                    f(k);
                    f(v)
                });
                for m in &mut o.mutations {
                    match m {
                        MutNode::SetState(x) | MutNode::Append(x) => f(x),
                        MutNode::Extend(xs) | MutNode::Add(xs) => xs.iter_mut().for_each(&mut f),
                        MutNode::SetItem(k, v) => {
                            f(k);
                            f(v)
                        }
                    }
                }
            }
            Node::Global(..) | Node::Native(_) | Node::Built(..) | Node::Taken => {}
        }
    }

    /// Whether sealing may convert the node (a leaf already built is shared with the memo).
    fn is_sealable(&self) -> bool {
        !matches!(self, Node::Built(..) | Node::Taken)
    }

    /// Whether the node is a container in the result (counts as a nesting level).
    fn is_level(&self) -> bool {
        !matches!(self, Node::Global(..) | Node::Taken)
    }
}

struct Slot {
    node: Node,
    /// How many times a handle to this node was placed into a container (or is the
    /// result), so the conversion can move the node into its last use; the top bit marks
    /// a node whose conversion is in progress (cycle detection).
    uses: u32,
    /// A lower bound of the node's height (container levels), kept up to date as items
    /// are added, so nesting past the depth limit fails while loading rather than at the
    /// conversion (a million nested lists would otherwise all be built first).
    height: u32,
}

const VISITING: u32 = 1 << 31;
/// Marks a node the memo or a DUP also holds: it may be reached again, so it is never
/// sealed (see [`Arena::seal_from`]).
const PINNED: u32 = 1 << 30;
const USES: u32 = PINNED - 1;

/// Bytes a value takes in memory beyond its payload.
pub(crate) const VALUE_SIZE: u64 = std::mem::size_of::<Value>() as u64;
const SLOT_SIZE: u64 = std::mem::size_of::<Slot>() as u64;

/// The arena's vectors, emptied, kept from one load for the next (see [`Arena::recycle`]).
#[derive(Default)]
pub(crate) struct Spare {
    slots: Vec<Slot>,
    free: Vec<u32>,
    pairs: Vec<Vec<(Item, Item)>>,
}

/// Empties `v` and takes it for reuse, unless it grew past a thousand elements (a big
/// load's memory is not kept by the thread: with the spare dict vectors, at most about
/// 160 KiB is).
pub(crate) fn reusable<T>(v: &mut Vec<T>) -> Vec<T> {
    const KEEP: usize = 1024;
    v.clear();
    if v.capacity() <= KEEP {
        std::mem::take(v)
    } else {
        Vec::new()
    }
}

/// Per-slot marks of the expansion check, kept between checks so that one costs what it
/// visits, not the arena's size: a mark counts only when its epoch is the current check's.
/// (Fresh zeroed vectors of the arena's size on every check made a pickle that memoizes
/// everything, as torch's do, quadratic: each constructor call checked its arguments.)
#[derive(Default)]
struct Marks {
    epoch: u32,
    /// (epoch, state, expanded size) by slot.
    of: Vec<(u32, u8, u64)>,
}

impl Marks {
    /// Starts a check: every mark of an earlier check becomes stale.
    fn next_epoch(&mut self) -> u32 {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.of.iter_mut().for_each(|m| m.0 = 0);
            self.epoch = 1;
        }
        self.epoch
    }
}

/// The arena plus the result budget.
pub(crate) struct Arena {
    slots: Vec<Slot>,
    /// Whether some container is referenced more than once: only then can the tree be
    /// exponentially larger than the graph, and the expansion is checked before building.
    shared_containers: bool,
    /// The expansion check's marks, kept between checks (see [`Marks`]).
    marks: Marks,
    /// Emptied pair vectors of converted dicts, reused by the next dicts: freeing them
    /// while loading makes the allocator consolidate its free lists again and again.
    spare_pairs: Vec<Vec<(Item, Item)>>,
    /// Slots of sealed nodes: nothing holds their handles any more, so the next nodes
    /// take them and the arena stays as small as what is still open.
    free: Vec<u32>,
    pub used: u64,
    pub max_bytes: u64,
    pub max_depth: u64,
}

/// How many container levels a value holds (0 for a scalar or a string), measured without
/// recursion for anything that may hold containers.
#[inline]
pub(crate) fn value_height(v: &Value) -> u32 {
    match v {
        Value::None
        | Value::Bool(_)
        | Value::Int(_)
        | Value::BigInt(_)
        | Value::Float(_)
        | Value::Complex(..)
        | Value::Str(_)
        | Value::Bytes(_)
        | Value::ByteArray(_) => 0,
        _ => {
            let h = crate::value::metrics(v).levels;
            u32::try_from(h).unwrap_or(u32::MAX)
        }
    }
}

/// The approximate bytes of a value: its payload plus itself for scalars and strings;
/// measured in full (without recursion) for anything a constructor or a persistent loader
/// made, which may hold anything.
pub(crate) fn leaf_size(v: &Value) -> u64 {
    match v {
        Value::Str(s) => VALUE_SIZE + s.len() as u64,
        Value::Bytes(b) | Value::ByteArray(b) => VALUE_SIZE + b.len() as u64,
        Value::BigInt(b) => VALUE_SIZE + b.bits() / 8 + 32,
        Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Complex(..) => {
            VALUE_SIZE
        }
        _ => crate::value::metrics(v).size,
    }
}

impl Arena {
    /// An empty arena with the result budget, reusing `spare`'s vectors.
    pub fn new(max_bytes: u64, max_depth: u64, spare: Spare) -> Arena {
        Arena {
            slots: spare.slots,
            shared_containers: false,
            marks: Marks::default(),
            spare_pairs: spare.pairs,
            free: spare.free,
            used: 0,
            max_bytes,
            max_depth,
        }
    }

    /// Empties the arena and gives back its vectors for the next load, unless they grew
    /// large (a big load's memory is not kept).
    pub fn recycle(&mut self) -> Spare {
        Spare {
            slots: reusable(&mut self.slots),
            free: reusable(&mut self.free),
            pairs: std::mem::take(&mut self.spare_pairs),
        }
    }

    /// An empty vector for a new dict's pairs, reused when one is spare.
    #[inline]
    pub fn pairs_vec(&mut self) -> Vec<(Item, Item)> {
        self.spare_pairs.pop().unwrap_or_default()
    }

    /// Keeps an emptied pair vector for the next dict (a bounded number of small ones).
    #[inline]
    fn recycle_pairs(&mut self, mut v: Vec<(Item, Item)>) {
        // As many as a few levels of nested dicts use; 16 × 64 pairs is 64 KiB at most.
        const KEEP: usize = 16;
        const MAX_PAIRS: usize = 64;
        if self.spare_pairs.len() < KEEP && v.capacity() <= MAX_PAIRS && v.capacity() > 0 {
            v.clear();
            self.spare_pairs.push(v);
        }
    }

    /// Charges `n` bytes to the result budget.
    #[inline]
    pub fn charge(&mut self, n: u64) -> Result<()> {
        self.used = self.used.saturating_add(n);
        if self.used > self.max_bytes {
            return Err(Error::limit(Limit::ResultBytes, self.max_bytes));
        }
        Ok(())
    }

    /// Adds a node and returns its handle.
    #[inline]
    pub fn alloc(&mut self, node: Node) -> Result<u32> {
        self.alloc_in(node, true)
    }

    /// Adds a node, in the slot of a sealed one when `reuse` allows and there is one.
    fn alloc_in(&mut self, node: Node, reuse: bool) -> Result<u32> {
        self.charge(SLOT_SIZE)?;
        let height = match &node {
            Node::Native(n) => value_height(&n.value),
            Node::Built(v, _) => value_height(v),
            n if n.is_level() => {
                let mut below = 0u32;
                n.for_each_item(|it| below = below.max(self.item_height(it)));
                below.saturating_add(1)
            }
            _ => 0,
        };
        self.check_height(height)?;
        let slot = Slot {
            node,
            uses: 0,
            height,
        };
        if reuse {
            if let Some(id) = self.free.pop() {
                if let Some(s) = self.slots.get_mut(id as usize) {
                    *s = slot;
                    return Ok(id);
                }
            }
        }
        let id = u32::try_from(self.slots.len())
            .ok()
            .filter(|&id| id < VISITING)
            .ok_or_else(|| Error::limit(Limit::ResultBytes, self.max_bytes))?;
        self.slots.push(slot);
        Ok(id)
    }

    /// The height of what an item holds (0 for a leaf). A value that holds containers (a
    /// sealed item copied out of a tuple, a constructed value) is measured.
    #[inline]
    fn item_height(&self, item: &Item) -> u32 {
        match item {
            Item::R(id) => self.slots.get(*id as usize).map_or(0, |s| s.height),
            Item::V(v) => value_height(v),
        }
    }

    #[inline]
    fn check_height(&self, height: u32) -> Result<()> {
        if u64::from(height) > self.max_depth {
            return Err(Error::limit(Limit::Depth, self.max_depth));
        }
        Ok(())
    }

    /// Records that `items` were added to node `parent`, raising its height if they are
    /// taller than what it held, and refusing nesting past the depth limit.
    #[inline]
    pub fn grew(&mut self, parent: u32, items: &[Item]) -> Result<()> {
        let below = items
            .iter()
            .map(|it| self.item_height(it))
            .max()
            .unwrap_or(0);
        self.raise(parent, below)
    }

    /// Raises the height of `parent` to hold items `below` levels high, refusing nesting
    /// past the depth limit.
    #[inline]
    fn raise(&mut self, parent: u32, below: u32) -> Result<()> {
        let h = below.saturating_add(1);
        if let Some(s) = self.slots.get_mut(parent as usize) {
            if h > s.height {
                s.height = h;
            }
        }
        self.check_height(h)
    }

    #[inline]
    pub fn node(&self, id: u32) -> &Node {
        // Handles are only made by `alloc`, so they are always in range; the fallback
        // keeps even a logic error from panicking.
        self.slots
            .get(id as usize)
            .map_or(&Node::Taken, |s| &s.node)
    }

    #[inline]
    pub fn node_mut(&mut self, id: u32) -> Option<&mut Node> {
        self.slots.get_mut(id as usize).map(|s| &mut s.node)
    }

    /// The number of slots (every handle is below it).
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Sets how many placements of node `id` remain to be converted (see
    /// `shared::take_shared`, which rewrites the graph into trees).
    pub(super) fn set_uses(&mut self, id: u32, uses: u32) {
        if let Some(s) = self.slots.get_mut(id as usize) {
            s.uses = uses.min(USES);
        }
    }

    /// Records that `item` was placed into a container.
    #[inline]
    pub fn placed(&mut self, item: &Item) {
        if let Item::R(id) = item {
            if let Some(s) = self.slots.get_mut(*id as usize) {
                if s.uses & USES < USES {
                    s.uses += 1;
                }
                if s.uses & USES >= 2 && !matches!(s.node, Node::Built(..)) {
                    self.shared_containers = true;
                }
            }
        }
    }

    /// Marks node `id` as reachable again later (memoized, or duplicated on the stack).
    #[inline]
    pub fn pin(&mut self, id: u32) {
        if let Some(s) = self.slots.get_mut(id as usize) {
            s.uses |= PINNED;
        }
    }

    /// Seals the items of container `parent` from position `from` on (pairs, for a dict):
    /// each item that is a handle to a node nothing else can reach any more (placed once,
    /// not memoized for a later GET, not duplicated) and whose own items are all leaves
    /// is converted into its value now, while it is hot in the cache, instead of in the
    /// conversion pass at the end. Heights were recorded when the items were added, so
    /// the depth limit still sees what the sealed values hold.
    pub fn seal_from(&mut self, parent: u32, from: usize) -> Result<()> {
        let Some(slot) = self.slots.get_mut(parent as usize) else {
            return Ok(());
        };
        let mut node = std::mem::replace(&mut slot.node, Node::Taken);
        let mut result = Ok(());
        match &mut node {
            Node::List(v) | Node::Tuple(v) | Node::Set(v) | Node::FrozenSet(v) => {
                for it in v.get_mut(from..).unwrap_or_default() {
                    if let Item::R(_) = it {
                        result = self.seal(it);
                        if result.is_err() {
                            break;
                        }
                    }
                }
            }
            Node::Dict(kv) => {
                for (k, v) in kv.get_mut(from..).unwrap_or_default() {
                    result = self.seal(k).and_then(|()| self.seal(v));
                    if result.is_err() {
                        break;
                    }
                }
            }
            _ => {}
        }
        if let Some(slot) = self.slots.get_mut(parent as usize) {
            slot.node = node;
        }
        result
    }

    /// Converts one placed item into its value if nothing else can reach its node (see
    /// [`Arena::seal_from`]).
    #[inline]
    fn seal(&mut self, item: &mut Item) -> Result<()> {
        let Item::R(id) = *item else {
            return Ok(());
        };
        match self.slots.get(id as usize) {
            // Exactly one placement, and neither pinned nor being visited.
            Some(s) if s.uses == 1 && s.node.is_sealable() => {}
            _ => return Ok(()),
        }
        let slots = &self.slots;
        let mut ready = true;
        // A tuple holding a value unequal to itself through its handle (a memoized NaN)
        // stays in the graph: as a dict or set key it is one key with another tuple
        // holding the same object (see `merge_identical_keys`), which its value no longer
        // shows.
        let tuple = matches!(self.node(id), Node::Tuple(_));
        self.node(id).for_each_item(|it| {
            if let Item::R(c) = it {
                ready &= match slots.get(*c as usize) {
                    Some(Slot {
                        node: Node::Built(v, _),
                        ..
                    }) => !(tuple && crate::value::unequal_to_itself(v)),
                    _ => false,
                };
            }
        });
        if !ready {
            return Ok(());
        }
        let Some(slot) = self.slots.get_mut(id as usize) else {
            return Ok(());
        };
        let mut node = std::mem::replace(&mut slot.node, Node::Taken);
        slot.uses = 0;
        // Before the handles become copies, while identity is still visible.
        self.merge_identical_keys(&mut node);
        // Memoized leaves are copied, not moved: the memo may hand them out again. Every
        // copy is charged, so a GET loop cannot multiply them for free.
        let mut copied = 0u64;
        node.for_each_item_mut(|it| {
            if let Item::R(c) = *it {
                if let Some(Slot {
                    node: Node::Built(v, _),
                    ..
                }) = self.slots.get(c as usize)
                {
                    copied = copied.saturating_add(leaf_size(v));
                    *it = Item::V(v.clone());
                }
            }
        });
        self.charge(copied)?;
        let (value, _) = self.build_node(node, 1, 0)?;
        *item = Item::V(value);
        self.free.push(id);
        Ok(())
    }

    /// Records that `items` are being added to container `parent` (placements and height,
    /// as [`Arena::placed_all`] and [`Arena::grew`] in one pass); returns whether any of
    /// them is a handle, i.e. whether there is anything to seal afterwards.
    #[inline]
    pub fn adopt(&mut self, parent: u32, items: &[Item]) -> Result<bool> {
        let mut below = 0u32;
        let mut handles = false;
        for it in items {
            if let Item::R(_) = it {
                handles = true;
                self.placed(it);
            }
            below = below.max(self.item_height(it));
        }
        self.raise(parent, below)?;
        Ok(handles)
    }

    /// The items of tuple `id` taken out of it, if nothing but the stack held the tuple
    /// (never placed, memoized for a GET or duplicated): REDUCE and NEWOBJ have just popped
    /// it, so it is dead and its items move instead of being copied. `None` otherwise.
    pub fn take_tuple(&mut self, id: u32) -> Option<Vec<Item>> {
        let slot = self.slots.get_mut(id as usize)?;
        if slot.uses != 0 {
            return None;
        }
        let Node::Tuple(items) = &mut slot.node else {
            return None;
        };
        let items = std::mem::take(items);
        slot.node = Node::Taken;
        self.free.push(id);
        // The tuple no longer holds them.
        for it in &items {
            if let Item::R(c) = it {
                if let Some(s) = self.slots.get_mut(*c as usize) {
                    if s.uses & USES > 0 {
                        s.uses -= 1;
                    }
                }
            }
        }
        Some(items)
    }

    /// Records placements for every item.
    #[inline]
    pub fn placed_all(&mut self, items: &[Item]) {
        for i in items {
            self.placed(i);
        }
    }

    /// Converts the result: consumes the graph, moving nodes into their last use.
    pub fn take_value(&mut self, root: Item) -> Result<Value> {
        self.placed(&root);
        let root = match root {
            Item::V(v) => return Ok(v),
            Item::R(id) => id,
        };
        self.convert(root)?;
        self.fetch(root, 1)
    }

    /// The value of an item the caller owns: a value (moved off the stack, out of a dead
    /// tuple, or copied and charged by the caller) as it is; a handle as a charged copy,
    /// since the graph still holds the node.
    pub fn owned_value(&mut self, item: Item) -> Result<Value> {
        match item {
            Item::V(v) => Ok(v),
            r => self.value_of(&r),
        }
    }

    /// Converts an item without disturbing the graph (for constructor arguments): the
    /// subgraph is copied first, then the copy is converted; every copy is charged.
    pub fn value_of(&mut self, item: &Item) -> Result<Value> {
        match item {
            Item::V(v) => {
                self.charge(leaf_size(v))?;
                Ok(v.clone())
            }
            Item::R(id) => {
                // Copy the reachable subgraph into fresh slots, then convert the copy.
                let base = self.slots.len();
                let mut map: HashMap<u32, u32> = HashMap::new();
                let mut todo = vec![*id];
                while let Some(old) = todo.pop() {
                    if map.contains_key(&old) {
                        continue;
                    }
                    let copy = shallow_copy(self.node(old));
                    let mut leaves = 0u64;
                    copy.for_each_item(|it| match it {
                        Item::R(c) if !map.contains_key(c) => todo.push(*c),
                        Item::V(v) => leaves += leaf_size(v),
                        Item::R(_) => {}
                    });
                    self.charge(leaves)?;
                    // Fresh slots only: the copies are dropped below by truncating to
                    // `base` (no node is sealed while this runs, so `free` stays below it).
                    let new = self.alloc_in(copy, false)?;
                    map.insert(old, new);
                }
                // Point the copies at each other and recount their uses.
                for slot in self.slots.iter_mut().skip(base) {
                    remap(&mut slot.node, &map);
                }
                let root = map.get(id).copied().unwrap_or(*id);
                let mut counts: Vec<u32> = vec![0; self.slots.len() - base];
                for slot in self.slots.iter().skip(base) {
                    slot.node.for_each_item(|it| {
                        if let Item::R(c) = it {
                            if let Some(n) = (*c as usize)
                                .checked_sub(base)
                                .and_then(|i| counts.get_mut(i))
                            {
                                *n = n.saturating_add(1);
                            }
                        }
                    });
                }
                for (slot, n) in self.slots.iter_mut().skip(base).zip(counts) {
                    slot.uses = n.min(USES);
                    if n >= 2 && !matches!(slot.node, Node::Built(..)) {
                        self.shared_containers = true;
                    }
                }
                if let Some(s) = self.slots.get_mut(root as usize) {
                    s.uses = s.uses.saturating_add(1).min(USES);
                }
                self.convert(root)?;
                let v = self.fetch(root, 1)?;
                self.slots.truncate(base);
                Ok(v)
            }
        }
    }

    /// Converts node `root` and everything below it into `Node::Built` values, bottom up,
    /// without recursion.
    fn convert(&mut self, root: u32) -> Result<()> {
        if self.shared_containers {
            self.check_expansion(root)?;
        }
        // (node, expanded, depth of the node in the tree)
        let mut stack: Vec<(u32, bool, u64)> = vec![(root, false, 1)];
        while let Some(&(id, expanded, depth)) = stack.last() {
            let Some(slot) = self.slots.get(id as usize) else {
                return Err(Error::malformed("dangling object handle"));
            };
            if matches!(slot.node, Node::Built(..)) {
                stack.pop();
                continue;
            }
            if expanded {
                stack.pop();
                let value = self.build(id, depth)?;
                if let Some(s) = self.slots.get_mut(id as usize) {
                    s.uses &= USES;
                    s.node = value;
                }
                continue;
            }
            if slot.uses & VISITING != 0 {
                return Err(Error::new(ErrorKind::Cycle));
            }
            let is_level = slot.node.is_level();
            if is_level && depth > self.max_depth {
                return Err(Error::limit(Limit::Depth, self.max_depth));
            }
            if matches!(slot.node, Node::Dict(_) | Node::Set(_) | Node::FrozenSet(_)) {
                // Before the keys are built, while the identity of what they hold shows.
                let mut node = match self.slots.get_mut(id as usize) {
                    Some(s) => std::mem::replace(&mut s.node, Node::Taken),
                    None => return Err(Error::malformed("dangling object handle")),
                };
                self.merge_identical_keys(&mut node);
                if let Some(s) = self.slots.get_mut(id as usize) {
                    s.node = node;
                }
            }
            let Some(slot) = self.slots.get(id as usize) else {
                return Err(Error::malformed("dangling object handle"));
            };
            let child_depth = depth + u64::from(is_level);
            let mut cycle = false;
            let slots = &self.slots;
            let before = stack.len();
            slot.node.for_each_item(|it| {
                if let Item::R(c) = it {
                    match slots.get(*c as usize) {
                        Some(cs) if cs.uses & VISITING != 0 || *c == id => cycle = true,
                        Some(cs) if matches!(cs.node, Node::Built(..)) => {}
                        _ => stack.push((*c, false, child_depth)),
                    }
                }
            });
            if cycle {
                return Err(Error::new(ErrorKind::Cycle));
            }
            if let Some(s) = self.slots.get_mut(id as usize) {
                s.uses |= VISITING;
            }
            if let Some(top) = stack.get_mut(before - 1) {
                top.1 = true;
            }
        }
        Ok(())
    }

    /// Refuses, before building anything, a graph whose tree form would exceed the result
    /// budget: one pass over the graph adds up each node's expanded size (shared nodes
    /// counted once per reference), so a memo bomb fails in time linear in its input
    /// instead of after copying up to the budget. Cycles are found here too.
    fn check_expansion(&mut self, root: u32) -> Result<()> {
        let mut marks = std::mem::take(&mut self.marks);
        let result = self.check_expansion_with(root, &mut marks);
        self.marks = marks;
        result
    }

    fn check_expansion_with(&self, root: u32, marks: &mut Marks) -> Result<()> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let epoch = marks.next_epoch();
        if marks.of.len() < self.slots.len() {
            marks.of.resize(self.slots.len(), (0, NEW, 0));
        }
        let state = |marks: &Marks, i: usize| {
            marks
                .of
                .get(i)
                .map(|&(e, s, _)| if e == epoch { s } else { NEW })
        };
        let mut stack: Vec<(u32, bool)> = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            let i = id as usize;
            let Some(slot) = self.slots.get(i) else {
                return Err(Error::malformed("dangling object handle"));
            };
            if expanded {
                let mut total = match &slot.node {
                    Node::Built(v, _) => leaf_size(v),
                    Node::Native(nn) => leaf_size(&nn.value),
                    _ => VALUE_SIZE,
                };
                slot.node.for_each_item(|it| {
                    let add = match it {
                        Item::V(v) => leaf_size(v),
                        Item::R(c) => marks
                            .of
                            .get(*c as usize)
                            .filter(|m| m.0 == epoch)
                            .map_or(0, |m| m.2),
                    };
                    total = total.saturating_add(add);
                });
                if total > self.max_bytes {
                    return Err(Error::limit(Limit::ResultBytes, self.max_bytes));
                }
                if let Some(m) = marks.of.get_mut(i) {
                    *m = (epoch, DONE, total);
                }
                continue;
            }
            match state(marks, i) {
                Some(DONE) => continue,
                Some(OPEN) => return Err(Error::new(ErrorKind::Cycle)),
                _ => {}
            }
            if let Some(m) = marks.of.get_mut(i) {
                *m = (epoch, OPEN, 0);
            }
            stack.push((id, true));
            let mut cycle = false;
            slot.node.for_each_item(|it| {
                if let Item::R(c) = it {
                    match state(marks, *c as usize) {
                        Some(NEW) => stack.push((*c, false)),
                        Some(OPEN) => cycle = true,
                        _ => {}
                    }
                }
            });
            if cycle {
                return Err(Error::new(ErrorKind::Cycle));
            }
        }
        Ok(())
    }

    /// The value of a converted node placed at `depth`: moved on its last use, otherwise
    /// copied and charged. Returns it with its height checked against the depth limit.
    fn fetch(&mut self, id: u32, depth: u64) -> Result<Value> {
        let Some(slot) = self.slots.get_mut(id as usize) else {
            return Err(Error::malformed("dangling object handle"));
        };
        let Node::Built(v, height) = &slot.node else {
            return Err(Error::malformed("object used before it was complete"));
        };
        if depth + u64::from(*height) > self.max_depth.saturating_add(1) {
            return Err(Error::limit(Limit::Depth, self.max_depth));
        }
        slot.uses = (slot.uses & USES).saturating_sub(1);
        if slot.uses == 0 {
            match std::mem::replace(&mut slot.node, Node::Taken) {
                Node::Built(v, _) => Ok(v),
                _ => Err(Error::malformed("object used before it was complete")),
            }
        } else {
            // Charged before copying, so an over-budget copy is never made.
            let size = leaf_size(v);
            let used = self.used.saturating_add(size);
            if used > self.max_bytes {
                return Err(Error::limit(Limit::ResultBytes, self.max_bytes));
            }
            let copy = v.clone();
            self.used = used;
            Ok(copy)
        }
    }

    /// Merges the keys of a dict or set node that CPython takes for one key although they
    /// are unequal to themselves: CPython compares keys by identity before equality, also
    /// inside tuples, so one NaN (or a tuple holding one) read twice through the memo is
    /// one key, and so are two tuples holding the same NaN object; two different NaN
    /// objects are two keys. Identity is the arena handle, which the conversion to values
    /// loses, so this runs first (and tuples holding such a handle are not sealed, see
    /// [`Arena::seal`]). The first key and its position stay, the last value wins. Only
    /// keys that may be unequal to themselves are looked at (for the others equality
    /// decides the same), grouped by a hash that agrees with [`Arena::same_key`], so many
    /// such keys cost linear time.
    fn merge_identical_keys(&self, node: &mut Node) {
        let self_unequal = |it: &Item| match it {
            Item::R(id) => match self.node(*id) {
                Node::Built(v, _) => crate::value::unequal_to_itself(v),
                Node::Tuple(_) | Node::FrozenSet(_) => true,
                _ => false,
            },
            Item::V(_) => false,
        };
        // Made only for a dict or set that holds such a key: this runs at every seal.
        let tables = || {
            let state = std::collections::hash_map::RandomState::new();
            // Positions (in the output) of the kept sensitive keys, by identity hash.
            let kept: HashMap<u64, Vec<usize>> = HashMap::new();
            (state, kept)
        };
        match node {
            Node::Dict(kv) => {
                if !kv.iter().any(|(k, _)| self_unequal(k)) {
                    return;
                }
                let (state, mut kept) = tables();
                let mut out: Vec<(Item, Item)> = Vec::with_capacity(kv.len());
                for (k, v) in kv.drain(..) {
                    if self_unequal(&k) {
                        let h = self.identity_hash(&k, &state);
                        let ps = kept.entry(h).or_default();
                        let at = ps
                            .iter()
                            .copied()
                            .find(|&p| out.get(p).is_some_and(|(old, _)| self.same_key(old, &k)));
                        if let Some(pair) = at.and_then(|p| out.get_mut(p)) {
                            pair.1 = v;
                            continue;
                        }
                        ps.push(out.len());
                    }
                    out.push((k, v));
                }
                *kv = out;
            }
            Node::Set(items) | Node::FrozenSet(items) => {
                if !items.iter().any(self_unequal) {
                    return;
                }
                let (state, mut kept) = tables();
                let mut out: Vec<Item> = Vec::with_capacity(items.len());
                for k in items.drain(..) {
                    if self_unequal(&k) {
                        let h = self.identity_hash(&k, &state);
                        let ps = kept.entry(h).or_default();
                        if ps
                            .iter()
                            .any(|&p| out.get(p).is_some_and(|old| self.same_key(old, &k)))
                        {
                            continue;
                        }
                        ps.push(out.len());
                    }
                    out.push(k);
                }
                *items = out;
            }
            _ => {}
        }
    }

    /// What an item is for key comparison: a tuple still in the graph (its items), or a
    /// value with the handle it was reached through.
    fn key_view<'s>(&'s self, it: &'s Item) -> KeyView<'s> {
        match it {
            Item::R(id) => match self.node(*id) {
                Node::Tuple(items) => KeyView::Tuple(items),
                Node::Built(v, _) => KeyView::Value(v, Some(*id)),
                _ => KeyView::Other(*id),
            },
            Item::V(v) => KeyView::Value(v, None),
        }
    }

    /// CPython's key equality on the graph: the same object, or tuples of the same length
    /// whose items are pairwise the same object or equal, or equal values. Iterative.
    fn same_key(&self, a: &Item, b: &Item) -> bool {
        let mut todo: Vec<(&Item, &Item)> = vec![(a, b)];
        while let Some((a, b)) = todo.pop() {
            if let (Item::R(x), Item::R(y)) = (a, b) {
                if x == y {
                    continue;
                }
            }
            match (self.key_view(a), self.key_view(b)) {
                (KeyView::Tuple(x), KeyView::Tuple(y)) => {
                    if x.len() != y.len() {
                        return false;
                    }
                    todo.extend(x.iter().zip(y));
                }
                (KeyView::Value(x, _), KeyView::Value(y, _)) => {
                    if !crate::value::key_eq(x, y) {
                        return false;
                    }
                }
                // A tuple in the graph against a built one, or objects: unequal unless
                // the same handle (checked above).
                _ => return false,
            }
        }
        true
    }

    /// A hash that agrees with [`Arena::same_key`]: values unequal to themselves hash by
    /// their handle (only the same object equals them), others by value. Iterative.
    fn identity_hash(&self, key: &Item, state: &std::collections::hash_map::RandomState) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = state.build_hasher();
        let mut todo: Vec<&Item> = vec![key];
        while let Some(it) = todo.pop() {
            match self.key_view(it) {
                KeyView::Tuple(items) => {
                    h.write_u8(1);
                    h.write_usize(items.len());
                    todo.extend(items.iter().rev());
                }
                KeyView::Value(v, id) => {
                    if crate::value::unequal_to_itself(v) {
                        // Equal to nothing but the same object: a handle, or (a value
                        // with no handle) a fixed hash, as it equals nothing else anyway.
                        h.write_u8(2);
                        h.write_u32(id.unwrap_or(u32::MAX));
                    } else {
                        h.write_u8(3);
                        crate::value::hash_value(v, &mut h);
                    }
                }
                KeyView::Other(id) => {
                    h.write_u8(4);
                    h.write_u32(id);
                }
            }
        }
        h.finish()
    }

    /// Builds the value of node `id` (all of whose children are built), placed at `depth`.
    fn build(&mut self, id: u32, depth: u64) -> Result<Node> {
        let (mut node, recorded) = match self.slots.get_mut(id as usize) {
            Some(s) => (std::mem::replace(&mut s.node, Node::Taken), s.height),
            None => return Err(Error::malformed("dangling object handle")),
        };
        if let Node::Built(v, h) = node {
            return Ok(Node::Built(v, h));
        }
        self.merge_identical_keys(&mut node);
        let (value, height) = self.build_node(node, depth, recorded)?;
        Ok(Node::Built(value, height))
    }

    /// Builds the value of `node`, whose handles all point at built nodes, placed at
    /// `depth`; with its height: the larger of what its built children say and
    /// `recorded`, the height recorded while loading (which includes sealed items).
    fn build_node(&mut self, node: Node, depth: u64, recorded: u32) -> Result<(Value, u32)> {
        let level = u32::from(node.is_level());
        let child_depth = depth + u64::from(level);
        let mut height = 0u32;
        let mut item = |arena: &mut Arena, it: Item| -> Result<Value> {
            match it {
                Item::V(v) => Ok(v),
                Item::R(c) => {
                    if let Some(Node::Built(_, h)) = arena.slots.get(c as usize).map(|s| &s.node) {
                        height = height.max(*h);
                    }
                    arena.fetch(c, child_depth)
                }
            }
        };
        let value = match node {
            Node::List(v) => Value::List(match leaves_only(v) {
                Ok(values) => values,
                Err(v) => {
                    let mut out = ThinVec::with_capacity(v.len());
                    for i in v {
                        out.push(item(self, i)?);
                    }
                    out
                }
            }),
            Node::Tuple(v) => Value::Tuple(match leaves_only(v) {
                Ok(values) => values,
                Err(v) => {
                    let mut out = ThinVec::with_capacity(v.len());
                    for i in v {
                        out.push(item(self, i)?);
                    }
                    out
                }
            }),
            Node::Set(v) => Value::Set(Box::new(to_set(v, |i| item(self, i))?)),
            Node::FrozenSet(v) => Value::FrozenSet(Box::new(to_set(v, |i| item(self, i))?)),
            Node::Dict(mut kv) => {
                // One exact-size allocation; repeated keys merge as they are inserted.
                let mut d = Dict::with_capacity(kv.len());
                for (k, v) in kv.drain(..) {
                    let k = item(self, k)?;
                    let v = item(self, v)?;
                    d.insert(to_key(k)?, v);
                }
                self.recycle_pairs(kv);
                Value::Dict(Box::new(d))
            }
            Node::Global(g) => Value::Global(Box::new(g.0)),
            Node::Native(n) => {
                // A constructed value may contain other values (an object array, an
                // OrderedDict of OrderedDicts): its real height counts against the depth
                // limit, so nesting natives cannot build a tree deeper than the limit.
                let m = crate::value::metrics(&n.value);
                height = u32::try_from(m.levels)
                    .unwrap_or(u32::MAX)
                    .saturating_sub(level);
                n.value
            }
            Node::Object(o) => {
                let o = *o;
                let callable = item(self, o.callable)?;
                let args = o
                    .args
                    .into_iter()
                    .map(|i| item(self, i))
                    .collect::<Result<_>>()?;
                let mut kwargs = Vec::with_capacity(o.kwargs.len());
                for (k, v) in o.kwargs {
                    let k = item(self, k)?;
                    let v = item(self, v)?;
                    kwargs.push((k, v));
                }
                let mut mutations = Vec::with_capacity(o.mutations.len());
                for m in o.mutations {
                    mutations.push(match m {
                        MutNode::SetState(x) => Mutation::SetState(item(self, x)?),
                        MutNode::Append(x) => Mutation::Append(item(self, x)?),
                        MutNode::Extend(xs) => Mutation::Extend(
                            xs.into_iter()
                                .map(|i| item(self, i))
                                .collect::<Result<_>>()?,
                        ),
                        MutNode::Add(xs) => Mutation::Add(
                            xs.into_iter()
                                .map(|i| item(self, i))
                                .collect::<Result<_>>()?,
                        ),
                        MutNode::SetItem(k, v) => {
                            let k = item(self, k)?;
                            Mutation::SetItem(k, item(self, v)?)
                        }
                    });
                }
                Value::Object(Box::new(Object {
                    callable,
                    kind: o.kind,
                    args,
                    kwargs,
                    mutations,
                }))
            }
            Node::Built(v, h) => return Ok((v, h)),
            Node::Taken => return Err(Error::malformed("object used after it was consumed")),
        };
        let height = (height + level).max(recorded);
        if depth + u64::from(height) > self.max_depth.saturating_add(1) {
            return Err(Error::limit(Limit::Depth, self.max_depth));
        }
        Ok((value, height))
    }
}

/// The values of items that are all values (no handles), copied once into an exact-size
/// vector; the items back otherwise. A million-element list of numbers converts without
/// the bookkeeping of a fallible conversion.
fn leaves_only(items: Vec<Item>) -> std::result::Result<ThinVec<Value>, Vec<Item>> {
    if items.iter().all(|i| matches!(i, Item::V(_))) {
        let mut out = ThinVec::with_capacity(items.len());
        // A plain loop: `extend` goes through a `take` adapter and an `Option` per item,
        // about twice the instructions per element.
        for i in items {
            if let Item::V(v) = i {
                out.push(v);
            }
        }
        Ok(out)
    } else {
        Err(items)
    }
}

/// A copy of a node whose leaf items are cloned and whose handles are kept (for
/// converting without consuming).
fn shallow_copy(node: &Node) -> Node {
    fn items(v: &[Item]) -> Vec<Item> {
        v.iter().map(copy_item).collect()
    }
    fn pairs(kv: &[(Item, Item)]) -> Vec<(Item, Item)> {
        kv.iter()
            .map(|(k, v)| (copy_item(k), copy_item(v)))
            .collect()
    }
    match node {
        Node::List(v) => Node::List(items(v)),
        Node::Tuple(v) => Node::Tuple(items(v)),
        Node::Set(v) => Node::Set(items(v)),
        Node::FrozenSet(v) => Node::FrozenSet(items(v)),
        Node::Dict(kv) => Node::Dict(pairs(kv)),
        Node::Global(g) => Node::Global(g.clone()),
        Node::Native(n) => Node::Native(Box::new(NativeNode {
            value: n.value.clone(),
            global: n.global.clone(),
            ctor: n.ctor.clone(),
        })),
        Node::Object(o) => Node::Object(Box::new(ObjNode {
            callable: copy_item(&o.callable),
            kind: o.kind,
            args: items(&o.args),
            kwargs: pairs(&o.kwargs),
            mutations: o
                .mutations
                .iter()
                .map(|m| match m {
                    MutNode::SetState(x) => MutNode::SetState(copy_item(x)),
                    MutNode::Append(x) => MutNode::Append(copy_item(x)),
                    MutNode::Extend(xs) => MutNode::Extend(items(xs)),
                    MutNode::Add(xs) => MutNode::Add(items(xs)),
                    MutNode::SetItem(k, v) => MutNode::SetItem(copy_item(k), copy_item(v)),
                })
                .collect(),
        })),
        Node::Built(v, h) => Node::Built(v.clone(), *h),
        Node::Taken => Node::Taken,
    }
}

/// Rewrites the handles of a copied node to point at the copies.
fn remap(node: &mut Node, map: &HashMap<u32, u32>) {
    node.for_each_item_mut(|it| {
        if let Item::R(c) = it {
            if let Some(n) = map.get(c) {
                *c = *n;
            }
        }
    });
}

/// A copy of an item: a leaf is cloned, a handle is copied.
pub(crate) fn copy_item(item: &Item) -> Item {
    match item {
        Item::V(v) => Item::V(v.clone()),
        Item::R(id) => Item::R(*id),
    }
}

pub(crate) fn to_key(v: Value) -> Result<Key> {
    Key::new(v).map_err(|e| Error::malformed(e.to_string()))
}

fn to_set(items: Vec<Item>, mut f: impl FnMut(Item) -> Result<Value>) -> Result<Set> {
    let mut s = Set::with_capacity(items.len());
    for it in items {
        s.insert(to_key(f(it)?)?);
    }
    Ok(s)
}

/// An item as key comparison sees it (see [`Arena::same_key`]).
enum KeyView<'a> {
    Tuple(&'a [Item]),
    Value(&'a Value, Option<u32>),
    Other(u32),
}

#[cfg(test)]
mod tests {
    use super::Marks;

    /// Tuples holding NaN objects as dict and set keys: CPython compares tuple items by
    /// identity first, so two tuples holding the same memoized NaN are one key, two
    /// different NaN objects two keys. The expected reprs are CPython 3.11's
    /// `pickle.loads` of the same bytes.
    #[test]
    fn tuple_keys_holding_one_nan_object_are_one_key() {
        let nan = [0x7f, 0xf8, 0, 0, 0, 0, 0, 0];
        let p = |parts: &[&[u8]]| parts.concat();
        // {}, MEMOIZE, MARK, BINFLOAT nan, MEMOIZE, POP, then keys from BINGET 1.
        let head: &[u8] = &[0x80, 4, b'}', 0x94, b'(', b'G'];
        let cases: [(Vec<u8>, &str); 4] = [
            (
                p(&[head, &nan, b"\x940h\x01h\x01\x86K\x01h\x01h\x01\x86K\x02u."]),
                "{(nan, nan): 2}",
            ),
            (
                p(&[head, &nan, b"\x940h\x01\x85K\x01h\x01\x85K\x02u."]),
                "{(nan,): 2}",
            ),
            (
                p(&[head, &nan, b"\x85K\x01G", &nan, b"\x85K\x02u."]),
                "{(nan,): 1, (nan,): 2}",
            ),
            (
                p(&[
                    b"\x80\x04\x8f\x94(G",
                    &nan,
                    b"\x940h\x01\x85\x85h\x01\x85\x85\x90.",
                ]),
                "{((nan,),)}",
            ),
        ];
        for (bytes, want) in cases {
            let v = crate::from_slice(&bytes).expect("loads");
            assert_eq!(v.to_string(), want, "{bytes:02x?}");
        }
    }

    /// A mark stamped 2^32 checks ago must not look current when the epoch wraps.
    #[test]
    fn a_wrapped_epoch_leaves_no_old_mark_current() {
        let mut m = Marks {
            epoch: u32::MAX - 1,
            of: vec![(1, 2, 7), (u32::MAX - 1, 2, 7)],
        };
        assert_eq!(m.next_epoch(), u32::MAX);
        let e = m.next_epoch();
        assert_eq!(e, 1);
        assert!(m.of.iter().all(|x| x.0 != e), "{:?}", m.of);
    }
}
