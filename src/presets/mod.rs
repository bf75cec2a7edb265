//! Ready-made policies. Each returns an [`Allowlist`], so a caller extends a preset in one
//! line: `presets::strict().inert("mymod", "Point")`.

mod builtins;
mod numpy;
mod stdlib;
mod torch;

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
/// - `range` and `slice` (REDUCE, `__builtin__.xrange` below protocol 3) as
///   [`Value::Range`](crate::Value::Range) and [`Value::Slice`](crate::Value::Slice), and
///   `Ellipsis` and `NotImplemented`, which pickles name as globals, as
///   [`Value::Ellipsis`](crate::Value::Ellipsis) and
///   [`Value::NotImplemented`](crate::Value::NotImplemented) (a
///   [`Constructor::constant`](crate::policy::Constructor::constant));
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

/// `strict` plus torch 2.x's `weights_only` allowlist (`torch/_weights_only_unpickler.py`),
/// as typed constructors:
///
/// - `torch._utils._rebuild_tensor`, `_rebuild_tensor_v2`, `_rebuild_tensor_v3` (newer
///   dtypes over `UntypedStorage`), `_rebuild_parameter`, `_rebuild_parameter_with_state`
///   (with an empty state), `torch._tensor._rebuild_from_type_v2` (for `torch.Tensor` and
///   `Parameter` only, empty state) and `torch.nn.parameter.Parameter`: they build a
///   [`crate::torch::Tensor`] ([`crate::Value::Tensor`]) over the storage a persistent id
///   loaded, checking shape, stride and offset against the storage's bytes; backward hooks
///   must be empty; `metadata` (the conj/neg bits) must be empty or all false — a
///   conjugated or negated view is refused rather than silently loaded unconjugated;
/// - every `torch.<dtype>` (named, prints `torch.float16`), the `torch.<X>Storage`
///   classes, `torch.UntypedStorage` and `torch.storage.UntypedStorage` (as storage types
///   of persistent ids; calling them is refused), `torch.Tensor`;
/// - `torch.Size` (a tuple of non-negative ints), `torch.device` (checked, kept as an
///   inert `torch.device('cuda', 0)` node);
/// - `collections.OrderedDict` with the `_metadata` BUILD state dicts carry (checked and
///   dropped: [`crate::Value::OrderedDict`] has no attributes), `collections.Counter`;
/// - from `strict`: `_codecs.encode`, `builtins.set`, `complex`, `bytearray` (and the
///   other built-in data types).
///
/// Refused by name (not allowlisted), because not every field can be checked or they do
/// not describe bytes in the file: quantized tensors (`_rebuild_qtensor`), sparse
/// (`_rebuild_sparse_tensor`, `torch.serialization._get_layout`), nested
/// (`_rebuild_nested_tensor`), meta (`_rebuild_meta_tensor_no_storage`), wrapper
/// subclasses (`_rebuild_wrapper_subclass`) and device tensors
/// (`_rebuild_device_tensor_from_numpy` / `_from_cpu_tensor`).
///
/// Globals of the modules `os`, `sys`, `posix` and `nt` are refused even when a user adds
/// them ([`Allowlist::block_module`]), as torch's own blocklist does.
pub fn torch() -> Allowlist {
    torch::allowlist()
}

/// The modules the `torch` preset and [`crate::torch::Loader`] always refuse.
pub(crate) fn torch_blocked_modules() -> &'static [&'static str] {
    &torch::BLOCKED_MODULES
}
