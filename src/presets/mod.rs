//! Ready-made policies. Each returns an [`Allowlist`], so a caller extends a preset in one
//! line: `presets::strict().inert("mymod", "Point")`.

mod builtins;

use crate::policy::Allowlist;

/// Built-in data only: the types pickle spells as calls in old protocols —
/// `builtins.set`, `frozenset`, `bytearray`, `complex`, `bytes` and
/// `_codecs.encode(str, 'latin1')` — in exactly the call shapes CPython writes. Every other
/// global is refused. The default policy.
pub fn strict() -> Allowlist {
    builtins::allowlist()
}

/// Every global kept as an inert symbolic node, for inspection: nothing is constructed
/// (not even `builtins.set`) and nothing is executed. A pickle of `set([1])` at protocol 2
/// loads as `builtins.set([1])`.
pub fn opaque() -> Allowlist {
    Allowlist::new().otherwise_inert()
}

/// Placeholder until the stdlib preset lands: strict.
pub fn stdlib() -> Allowlist {
    strict()
}
