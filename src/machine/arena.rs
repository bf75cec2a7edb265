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
use crate::value::{CallKind, Dict, Global, Key, Mutation, Object, Set, Value};

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

/// An arena node: an object that may be shared or mutated.
pub(crate) enum Node {
    /// A memoized leaf value.
    Leaf(Value),
    List(Vec<Item>),
    Tuple(Vec<Item>),
    Dict(Vec<(Item, Item)>),
    Set(Vec<Item>),
    FrozenSet(Vec<Item>),
    /// A global the policy let through, not called (yet).
    Global(Global, Decision),
    /// An inert call result.
    Object(Box<ObjNode>),
    /// A value a policy constructor made; BUILD goes back to the constructor.
    Native {
        value: Value,
        global: Global,
        ctor: Arc<dyn Constructor>,
    },
    /// Converted and moved out.
    Taken,
}

impl Node {
    /// Python's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Leaf(v) | Node::Native { value: v, .. } => v.type_name(),
            Node::List(_) => "list",
            Node::Tuple(_) => "tuple",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Global(..) => "global",
            Node::Object(_) => "object",
            Node::Taken => "object",
        }
    }

    /// Calls `f` for every item the node holds.
    fn for_each_item(&self, mut f: impl FnMut(&Item)) {
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
            Node::Leaf(_) | Node::Global(..) | Node::Native { .. } | Node::Taken => {}
        }
    }

    /// Whether the node is a container in the result (counts as a nesting level).
    fn is_level(&self) -> bool {
        !matches!(self, Node::Leaf(_) | Node::Global(..) | Node::Taken)
    }
}

/// A converted node: the value, the bytes it takes (charged again for every copy) and its
/// height (how many container levels it spans).
struct Done {
    value: Value,
    size: u64,
    height: u64,
}

struct Slot {
    node: Node,
    /// How many times a handle to this node was placed into a container (or is the
    /// result): the conversion moves the node into its last use.
    uses: u32,
    done: Option<Done>,
    visiting: bool,
}

/// Bytes a value takes in memory beyond its payload.
pub(crate) const VALUE_SIZE: u64 = std::mem::size_of::<Value>() as u64;

/// The arena plus the result budget.
pub(crate) struct Arena {
    slots: Vec<Slot>,
    pub used: u64,
    pub max_bytes: u64,
    pub max_depth: u64,
}

/// The approximate bytes of a leaf value (its payload plus itself).
pub(crate) fn leaf_size(v: &Value) -> u64 {
    match v {
        Value::Str(s) => VALUE_SIZE + s.len() as u64,
        Value::Bytes(b) | Value::ByteArray(b) => VALUE_SIZE + b.len() as u64,
        Value::BigInt(b) => VALUE_SIZE + b.bits() / 8 + 32,
        Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Complex(..) => {
            VALUE_SIZE
        }
        // Values a constructor or a persistent loader made may hold anything: measure
        // them (without recursion), payload included.
        _ => crate::value::metrics(v).size,
    }
}

impl Arena {
    pub fn new(max_bytes: u64, max_depth: u64) -> Arena {
        Arena {
            slots: Vec::new(),
            used: 0,
            max_bytes,
            max_depth,
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
    pub fn alloc(&mut self, node: Node) -> Result<u32> {
        self.charge(VALUE_SIZE + std::mem::size_of::<Slot>() as u64)?;
        let id = u32::try_from(self.slots.len())
            .map_err(|_| Error::limit(Limit::ResultBytes, self.max_bytes))?;
        self.slots.push(Slot {
            node,
            uses: 0,
            done: None,
            visiting: false,
        });
        Ok(id)
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

    /// Records that `item` was placed into a container.
    #[inline]
    pub fn placed(&mut self, item: &Item) {
        if let Item::R(id) = item {
            if let Some(s) = self.slots.get_mut(*id as usize) {
                s.uses = s.uses.saturating_add(1);
            }
        }
    }

    /// Records placements for every item.
    pub fn placed_all(&mut self, items: &[Item]) {
        for i in items {
            self.placed(i);
        }
    }

    /// Converts the result: consumes the graph, moving nodes into their last use.
    pub fn into_value(mut self, root: Item) -> Result<Value> {
        self.placed(&root);
        let mut cache = HashMap::new();
        self.convert(root, true, &mut cache)
    }

    /// Converts an item without disturbing the graph (for constructor arguments): every
    /// node reached is copied, and the copies are charged.
    pub fn to_value(&mut self, item: &Item) -> Result<Value> {
        let mut cache = HashMap::new();
        let copy = match item {
            Item::V(v) => {
                self.charge(leaf_size(v))?;
                return Ok(v.clone());
            }
            Item::R(id) => Item::R(*id),
        };
        self.convert(copy, false, &mut cache)
    }

    fn convert(
        &mut self,
        root: Item,
        consume: bool,
        cache: &mut HashMap<u32, Done>,
    ) -> Result<Value> {
        let root_id = match root {
            Item::V(v) => return Ok(v),
            Item::R(id) => id,
        };
        // (node, expanded, depth of the node in the tree)
        let mut stack: Vec<(u32, bool, u64)> = vec![(root_id, false, 1)];
        while let Some(&(id, expanded, depth)) = stack.last() {
            let is_done = if consume {
                self.slots
                    .get(id as usize)
                    .is_some_and(|s| s.done.is_some())
            } else {
                cache.contains_key(&id)
            };
            if is_done {
                stack.pop();
                continue;
            }
            let Some(slot) = self.slots.get(id as usize) else {
                return Err(Error::malformed("dangling object handle"));
            };
            if !expanded {
                if slot.visiting {
                    return Err(Error::new(ErrorKind::Cycle));
                }
                let is_level = slot.node.is_level();
                if is_level && depth > self.max_depth {
                    return Err(Error::limit(Limit::Depth, self.max_depth));
                }
                let child_depth = depth + u64::from(is_level);
                let mut cycle = false;
                let slots = &self.slots;
                let mut children = Vec::new();
                slot.node.for_each_item(|it| {
                    if let Item::R(c) = it {
                        match slots.get(*c as usize) {
                            Some(cs) if cs.visiting || *c == id => cycle = true,
                            Some(cs) if consume && cs.done.is_some() => {}
                            _ if !consume && cache.contains_key(c) => {}
                            _ => children.push((*c, false, child_depth)),
                        }
                    }
                });
                if cycle {
                    return Err(Error::new(ErrorKind::Cycle));
                }
                if let Some(s) = self.slots.get_mut(id as usize) {
                    s.visiting = true;
                }
                if let Some(top) = stack.last_mut() {
                    top.1 = true;
                }
                stack.extend(children);
                continue;
            }
            stack.pop();
            let done = self.build(id, depth, consume, cache)?;
            if let Some(slot) = self.slots.get_mut(id as usize) {
                slot.visiting = false;
                if consume {
                    slot.done = Some(done);
                } else {
                    cache.insert(id, done);
                }
            }
        }
        let done = if consume {
            self.take(root_id, true, cache)?
        } else {
            self.take(root_id, false, cache)?
        };
        Ok(done.0)
    }

    /// The value of a converted child: moved on its last use, otherwise copied and charged.
    fn take(
        &mut self,
        id: u32,
        consume: bool,
        cache: &mut HashMap<u32, Done>,
    ) -> Result<(Value, u64, u64)> {
        if !consume {
            let Some(d) = cache.get(&id) else {
                return Err(Error::malformed("object used before it was complete"));
            };
            let (v, size, height) = (d.value.clone(), d.size, d.height);
            self.charge(size)?;
            return Ok((v, size, height));
        }
        let Some(slot) = self.slots.get_mut(id as usize) else {
            return Err(Error::malformed("dangling object handle"));
        };
        slot.uses = slot.uses.saturating_sub(1);
        let last = slot.uses == 0;
        let Some(d) = slot.done.as_ref() else {
            return Err(Error::malformed("object used before it was complete"));
        };
        let (size, height) = (d.size, d.height);
        if last {
            let d = slot.done.take().map(|d| d.value).unwrap_or(Value::None);
            // Keep a marker so a stray later use is an error, not a panic.
            slot.done = None;
            slot.node = Node::Taken;
            slot.uses = 0;
            Ok((d, size, height))
        } else {
            let v = d.value.clone();
            self.charge(size)?;
            Ok((v, size, height))
        }
    }

    fn item_value(
        &mut self,
        item: Item,
        consume: bool,
        cache: &mut HashMap<u32, Done>,
        acc: &mut (u64, u64),
    ) -> Result<Value> {
        match item {
            Item::V(v) => {
                acc.0 += leaf_size(&v);
                Ok(v)
            }
            Item::R(id) => {
                let (v, size, height) = self.take(id, consume, cache)?;
                acc.0 += size;
                acc.1 = acc.1.max(height);
                Ok(v)
            }
        }
    }

    fn build(
        &mut self,
        id: u32,
        depth: u64,
        consume: bool,
        cache: &mut HashMap<u32, Done>,
    ) -> Result<Done> {
        let node = if consume {
            match self.slots.get_mut(id as usize) {
                Some(s) => std::mem::replace(&mut s.node, Node::Taken),
                None => return Err(Error::malformed("dangling object handle")),
            }
        } else {
            shallow_copy(slot_node(&self.slots, id))
        };
        let level = u64::from(node.is_level());
        // (size, max child height)
        let mut acc = (VALUE_SIZE, 0u64);
        macro_rules! items {
            ($v:expr) => {{
                let mut out = Vec::with_capacity($v.len());
                for it in $v {
                    out.push(self.item_value(it, consume, cache, &mut acc)?);
                }
                out
            }};
        }
        let value = match node {
            Node::Leaf(v) => {
                acc.0 = leaf_size(&v);
                v
            }
            Node::List(v) => Value::List(items!(v)),
            Node::Tuple(v) => Value::Tuple(items!(v)),
            Node::Set(v) => Value::Set(Box::new(to_set(items!(v))?)),
            Node::FrozenSet(v) => Value::FrozenSet(Box::new(to_set(items!(v))?)),
            Node::Dict(kv) => {
                let mut d = Dict::with_capacity(kv.len());
                for (k, v) in kv {
                    let k = self.item_value(k, consume, cache, &mut acc)?;
                    let v = self.item_value(v, consume, cache, &mut acc)?;
                    d.insert(to_key(k)?, v);
                }
                Value::Dict(Box::new(d))
            }
            Node::Global(g, _) => Value::Global(Box::new(g)),
            Node::Native { value, .. } => {
                // A constructed value may contain other values (an object array, an
                // OrderedDict of OrderedDicts): its real height counts against the depth
                // limit, so nesting natives cannot build a tree deeper than the limit.
                let m = crate::value::metrics(&value);
                acc.0 = m.size;
                acc.1 = m.height.saturating_sub(1);
                value
            }
            Node::Object(o) => {
                let o = *o;
                let callable = self.item_value(o.callable, consume, cache, &mut acc)?;
                let args = items!(o.args);
                let mut kwargs = Vec::with_capacity(o.kwargs.len());
                for (k, v) in o.kwargs {
                    let k = self.item_value(k, consume, cache, &mut acc)?;
                    let v = self.item_value(v, consume, cache, &mut acc)?;
                    kwargs.push((k, v));
                }
                let mut mutations = Vec::with_capacity(o.mutations.len());
                for m in o.mutations {
                    mutations.push(match m {
                        MutNode::SetState(x) => {
                            Mutation::SetState(self.item_value(x, consume, cache, &mut acc)?)
                        }
                        MutNode::Append(x) => {
                            Mutation::Append(self.item_value(x, consume, cache, &mut acc)?)
                        }
                        MutNode::Extend(xs) => Mutation::Extend(items!(xs)),
                        MutNode::Add(xs) => Mutation::Add(items!(xs)),
                        MutNode::SetItem(k, v) => Mutation::SetItem(
                            self.item_value(k, consume, cache, &mut acc)?,
                            self.item_value(v, consume, cache, &mut acc)?,
                        ),
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
            Node::Taken => return Err(Error::malformed("object used after it was consumed")),
        };
        let height = acc.1 + level;
        if depth.saturating_add(height).saturating_sub(1) > self.max_depth {
            return Err(Error::limit(Limit::Depth, self.max_depth));
        }
        Ok(Done {
            value,
            size: acc.0,
            height,
        })
    }
}

fn slot_node(slots: &[Slot], id: u32) -> &Node {
    slots.get(id as usize).map_or(&Node::Taken, |s| &s.node)
}

/// A copy of a node whose leaf items are cloned and whose handles are kept (for
/// converting without consuming).
fn shallow_copy(node: &Node) -> Node {
    fn items(v: &[Item]) -> Vec<Item> {
        v.iter().map(copy_item).collect()
    }
    match node {
        Node::Leaf(v) => Node::Leaf(v.clone()),
        Node::List(v) => Node::List(items(v)),
        Node::Tuple(v) => Node::Tuple(items(v)),
        Node::Set(v) => Node::Set(items(v)),
        Node::FrozenSet(v) => Node::FrozenSet(items(v)),
        Node::Dict(kv) => Node::Dict(
            kv.iter()
                .map(|(k, v)| (copy_item(k), copy_item(v)))
                .collect(),
        ),
        Node::Global(g, d) => Node::Global(g.clone(), d.clone()),
        Node::Native {
            value,
            global,
            ctor,
        } => Node::Native {
            value: value.clone(),
            global: global.clone(),
            ctor: ctor.clone(),
        },
        Node::Object(o) => Node::Object(Box::new(ObjNode {
            callable: copy_item(&o.callable),
            kind: o.kind,
            args: items(&o.args),
            kwargs: o
                .kwargs
                .iter()
                .map(|(k, v)| (copy_item(k), copy_item(v)))
                .collect(),
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
        Node::Taken => Node::Taken,
    }
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

fn to_set(items: Vec<Value>) -> Result<Set> {
    let mut s = Set::with_capacity(items.len());
    for v in items {
        s.insert(to_key(v)?);
    }
    Ok(s)
}
