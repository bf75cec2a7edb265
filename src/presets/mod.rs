//! Ready-made policies. Each returns an [`Allowlist`], so a caller extends a preset in one
//! line: `presets::strict().inert("mymod", "Point")`.

mod builtins;
mod numpy;
mod stdlib;

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

/// `strict` plus the standard library's data types, built as typed values:
///
/// - `collections.OrderedDict`, `defaultdict` (the factory is recorded by name, never
///   called), `deque` (with `maxlen`) and `Counter`;
/// - `datetime.date`, `time`, `datetime`, `timedelta` and `timezone`, from the packed byte
///   state (fold, microseconds, tzinfo), also as Python 2 writes them when loaded with
///   [`crate::Encoding::Latin1`] (or `Bytes`);
/// - `decimal.Decimal`, `fractions.Fraction`, `uuid.UUID`;
/// - the helpers CPython's pickles of these use: `copyreg._reconstructor` (protocols 0–1)
///   and `builtins.object`, `list`, `dict`, `int`, `str` as names only (a defaultdict
///   factory, a `_reconstructor` base); calling them is refused.
///
/// Each constructor accepts exactly the argument shapes CPython writes and rejects others
/// with [`crate::ErrorKind::Construct`]. Values are validated (a date of month 13 is
/// refused even where CPython's unpickler would build an invalid object).
pub fn stdlib() -> Allowlist {
    stdlib::allowlist()
}

/// `stdlib` plus numpy: arrays through every route numpy pickles them
/// (`numpy.core.multiarray._reconstruct` / `numpy._core.multiarray._reconstruct` with the
/// BUILD state; protocol 5's `numpy.core.numeric._frombuffer` /
/// `numpy._core.numeric._frombuffer`, in-band or out-of-band), `numpy.dtype` with its state
/// (byte order, item size, alignment, structured fields, subarrays, datetime units),
/// numpy scalars (`numpy.core.multiarray.scalar` and its 2.x twin). Arrays load as
/// [`crate::value::NdArray`]; object arrays load their elements under the same policy.
/// `numpy.ndarray` itself may only be named (as `_reconstruct` requires), not called.
pub fn numpy() -> Allowlist {
    numpy::allowlist()
}
