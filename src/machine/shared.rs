//! The conversion of the finished graph when shared references are asked for
//! ([`crate::Unpickler::shared_references`]; the value layout is described in
//! [`crate::value::shared`]).
//!
//! Four linear passes, none recursive: (1) from the root, count how often each node is
//! reached and find the nodes inside dict keys and set elements; (2) every container
//! reached twice or more (outside keys) is *shared*: each handle to it becomes a
//! `Value::Ref` leaf, so the graph falls apart into trees, one for the root and one per
//! shared container; (3) each tree is converted by the arena's ordinary conversion (depth
//! limit, budget charges and copies of the remaining shared leaves as in a plain load);
//! (4) walking the result as `repr` does, the first reference to each shared container is
//! replaced by its tree, wrapped in `Value::Shared`, and references are renumbered in that
//! order; a tree is placed only where the depth limit allows it.

use std::collections::HashMap;

use super::arena::{Arena, Item, Node};
use crate::error::{Error, Result};
use crate::limits::Limit;
use crate::value::{Mutation, Ref, RefKind, Shared, Value};

/// Calls `f` for every item of `node`, saying whether it is a dict key or a set element.
fn each_edge(node: &Node, mut f: impl FnMut(&Item, bool)) {
    match node {
        Node::Dict(kv) => kv.iter().for_each(|(k, v)| {
            f(k, true);
            f(v, false)
        }),
        Node::Set(v) | Node::FrozenSet(v) => v.iter().for_each(|i| f(i, true)),
        other => other.for_each_item(|i| f(i, false)),
    }
}

/// The reference kind of a node that may be shared, `None` for the others (leaves already
/// built, values constructors made, globals: copied as in a tree).
fn kind(node: &Node) -> Option<RefKind> {
    Some(match node {
        Node::List(_) => RefKind::List,
        Node::Tuple(_) => RefKind::Tuple,
        Node::Dict(_) => RefKind::Dict,
        Node::Set(_) => RefKind::Set,
        Node::FrozenSet(_) => RefKind::FrozenSet,
        Node::Object(_) => RefKind::Object,
        _ => return None,
    })
}

/// Converts the graph below `root` into a value in which every container reached more
/// than once is one [`Value::Shared`] and [`Value::Ref`]s.
pub(super) fn take_shared(arena: &mut Arena, root: Item) -> Result<Value> {
    let root = match root {
        Item::V(v) => return Ok(v),
        Item::R(id) => id,
    };
    let n = arena.len();
    if root as usize >= n {
        return Err(Error::malformed("dangling object handle"));
    }

    // (1) Reach: in-degrees from reachable nodes (the root counts once), and key targets.
    let mut reached = vec![0u32; n];
    let mut in_key = vec![false; n];
    let mut keys: Vec<u32> = Vec::new();
    let mut order: Vec<u32> = Vec::new();
    reached[root as usize] = 1;
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        order.push(id);
        each_edge(arena.node(id), |it, key| {
            if let Item::R(c) = *it {
                if let Some(r) = reached.get_mut(c as usize) {
                    if *r == 0 {
                        todo.push(c);
                    }
                    *r = r.saturating_add(1);
                    if key {
                        keys.push(c);
                    }
                }
            }
        });
    }
    // Everything below a key stays a plain value.
    while let Some(id) = keys.pop() {
        match in_key.get_mut(id as usize) {
            Some(k) if !*k => *k = true,
            _ => continue,
        }
        arena.node(id).for_each_item(|it| {
            if let Item::R(c) = *it {
                keys.push(c);
            }
        });
    }

    // (2) Shared containers, and their handles replaced by references (by arena id for
    // now; renumbered in (4)).
    let mut shared: Vec<Option<RefKind>> = vec![None; n];
    for &id in &order {
        let i = id as usize;
        if reached[i] >= 2 && !in_key[i] {
            shared[i] = kind(arena.node(id));
        }
    }
    for &id in &order {
        if let Some(node) = arena.node_mut(id) {
            node.for_each_item_mut(|it| {
                if let Item::R(c) = *it {
                    if let Some(Some(kind)) = shared.get(c as usize) {
                        *it = Item::V(Value::Ref(Ref { id: c, kind: *kind }));
                    }
                }
            });
        }
    }
    // What is left is a forest: recount the placements the conversion will consume.
    let mut uses = vec![0u32; n];
    for &id in &order {
        arena.node(id).for_each_item(|it| {
            if let Item::R(c) = *it {
                if let Some(u) = uses.get_mut(c as usize) {
                    *u = u.saturating_add(1);
                }
            }
        });
    }
    for &id in &order {
        arena.set_uses(id, uses[id as usize]);
    }

    // (3) Convert each tree.
    let mut trees: HashMap<u32, Value> = HashMap::new();
    let mut top = match shared[root as usize] {
        Some(kind) => Value::Ref(Ref { id: root, kind }),
        None => arena.take_value(Item::R(root))?,
    };
    for &id in &order {
        if shared[id as usize].is_some() {
            let v = arena.take_value(Item::R(id))?;
            trees.insert(id, v);
        }
    }

    // (4) Place each tree at its first reference, in repr order.
    splice(&mut top, trees, arena.max_depth)?;
    Ok(top)
}

/// Replaces the first reference to each tree (depth first, left to right) by the tree,
/// renumbering references in that order; refuses to place a tree past `max_depth`.
fn splice(top: &mut Value, mut trees: HashMap<u32, Value>, max_depth: u64) -> Result<()> {
    let mut ids: HashMap<u32, u32> = HashMap::new();
    // (value, container levels above it)
    let mut todo: Vec<(&mut Value, u64)> = vec![(top, 0)];
    while let Some((v, depth)) = todo.pop() {
        if let Value::Ref(r) = *v {
            if let Some(&id) = ids.get(&r.id) {
                *v = Value::Ref(Ref { id, kind: r.kind });
                continue;
            }
            let Some(tree) = trees.remove(&r.id) else {
                return Err(Error::malformed("reference to a missing object"));
            };
            let levels = crate::value::metrics(&tree).levels;
            if depth.saturating_add(levels) > max_depth {
                return Err(Error::limit(Limit::Depth, max_depth));
            }
            let id = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            ids.insert(r.id, id);
            *v = Value::Shared(Box::new(Shared { id, value: tree }));
        }
        let below = depth + 1;
        match v {
            Value::Shared(s) => todo.push((&mut s.value, depth)),
            Value::List(items) | Value::Tuple(items) => {
                todo.extend(items.iter_mut().rev().map(|c| (c, below)))
            }
            Value::Dict(d) => {
                let values: Vec<&mut Value> = d.values_mut().collect();
                todo.extend(values.into_iter().rev().map(|c| (c, below)));
            }
            Value::Object(o) => {
                let mut parts: Vec<&mut Value> = vec![&mut o.callable];
                parts.extend(o.args.iter_mut());
                for (k, x) in o.kwargs.iter_mut() {
                    parts.push(k);
                    parts.push(x);
                }
                for m in o.mutations.iter_mut() {
                    match m {
                        Mutation::SetState(x) | Mutation::Append(x) => parts.push(x),
                        Mutation::Extend(xs) | Mutation::Add(xs) => parts.extend(xs.iter_mut()),
                        Mutation::SetItem(k, x) => {
                            parts.push(k);
                            parts.push(x);
                        }
                    }
                }
                todo.extend(parts.into_iter().rev().map(|c| (c, below)));
            }
            // Sets hold keys (no references); everything else holds no graph values.
            _ => {}
        }
    }
    Ok(())
}
