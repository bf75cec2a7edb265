//! Shared and cyclic references, for loads that ask for them
//! ([`crate::Unpickler::shared_references`]).
//!
//! By default a load gives a tree: an object the pickle reaches twice through the memo is
//! copied for each use (every copy charged to [`crate::Limits::max_result_bytes`]) and a
//! cycle, which no tree can hold, is a [`crate::ErrorKind::Cycle`] error. With shared
//! references on, each container (list, tuple, dict, set, frozenset, inert object) the
//! result reaches more than once appears once, as [`Value::Shared`] with an id, at its
//! first place in the order Python's `repr` walks the value (depth first, left to right);
//! every other place holds a [`Value::Ref`] with that id. A cycle is then an ordinary
//! value: `l = []; l.append(l)` loads as `Shared { id: 0, value: List([Ref(0)]) }` and
//! prints `[[...]]`, as Python prints it.
//!
//! The rest holds as in a tree: the value owns all its parts, so `Drop`, `Display`,
//! `Clone`, comparisons and serde never follow a reference and never recurse deeper than
//! the depth limit, which counts the levels of the value as it is laid out (each shared
//! container where it first appears). What stays a copy: strings, numbers and the values
//! a policy's constructors build (immutable, or built from copies of their arguments),
//! and everything inside a dict key or a set element (Python compares keys by value, so
//! a key is always a plain value; a cycle through a key stays a `Cycle` error).
//!
//! `Display` prints a reference as Python prints a container it is already printing, so a
//! cycle prints exactly as in Python; a container shared without a cycle is printed in full
//! once and as `[...]` after that, where Python would print it again.

use super::Value;

/// A container that the loaded value reaches more than once, at its first place.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    /// The id that [`Ref`]s to this container carry: 0, 1, 2 … in the order the
    /// definitions appear.
    pub id: u32,
    /// The container.
    pub value: Value,
}

/// Another use of the [`Shared`] container with the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ref {
    /// The id of the [`Shared`] container.
    pub id: u32,
    /// Its type.
    pub kind: RefKind,
}

/// The type of a referenced container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefKind {
    /// `list`
    List,
    /// `tuple`
    Tuple,
    /// `dict`
    Dict,
    /// `set`
    Set,
    /// `frozenset`
    FrozenSet,
    /// An inert object ([`Value::Object`]).
    Object,
}

impl RefKind {
    /// Python's type name (`'list'` …; `'object'` for an inert object).
    pub fn type_name(self) -> &'static str {
        match self {
            RefKind::List => "list",
            RefKind::Tuple => "tuple",
            RefKind::Dict => "dict",
            RefKind::Set => "set",
            RefKind::FrozenSet => "frozenset",
            RefKind::Object => "object",
        }
    }

    /// What Python's `repr` prints for a container of this type that it is already
    /// printing.
    pub fn placeholder(self) -> &'static str {
        match self {
            RefKind::List => "[...]",
            RefKind::Tuple => "(...)",
            RefKind::Dict => "{...}",
            RefKind::Set => "set(...)",
            RefKind::FrozenSet => "frozenset(...)",
            RefKind::Object => "...",
        }
    }
}
