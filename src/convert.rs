//! PyTorch checkpoints to safetensors, without Python.
//!
//! ```no_run
//! let ckpt = unpickle::torch::load("pytorch_model.bin")?;
//! let file = std::fs::File::create("model.safetensors")?;
//! let report = unpickle::convert::write(&ckpt, std::io::BufWriter::new(file), &Default::default())?;
//! println!("{} tensors, {} bytes of data", report.tensors, report.data_bytes);
//! # Ok::<(), unpickle::Error>(())
//! ```
//! [`write_file`] does the same into a temporary file in the output's folder and renames
//! it into place only when everything was written, so a failed conversion leaves no file.
//!
//! # What is written
//! - **Names.** The saved object must be a dict, list or tuple. Its dict keys and list
//!   indices are joined with `.`: a state dict's keys stay as they are
//!   (`encoder.layer.0.weight`), an optimizer's state becomes `state.0.exp_avg`. A key that
//!   is not a `str` is written as its Python repr (`0` for an int key).
//! - **Tensors** are written row-major, contiguous and little-endian whatever their
//!   strides, offset and the checkpoint's byte order, each under its own name, in the
//!   order the `safetensors` crate writes (descending dtype alignment, then name), so
//!   every tensor is aligned to its element size. dtypes map to their safetensors names
//!   ([`safetensors_dtype`]); `float4_e2m1fn_x2` becomes `F4` with its last dimension
//!   doubled, as the safetensors Python bindings do. A dtype safetensors has no name for
//!   (complex128, complex32, the bits types) is [`ConvertError::DType`], naming the tensor.
//! - **Aliases.** Two names are one tensor only when they are the very same view: the
//!   same storage, offset, shape, stride and dtype. The data is then written once, under
//!   the name that sorts first, and `__metadata__` maps each other name to it
//!   (`{"dropped": "kept"}`, as Hugging Face's `convert.py` records it). Any other view of
//!   a shared storage (a transpose, a row, a slice) is written as its own contiguous copy:
//!   `convert.py` would record a transposed view that covers its whole storage as an
//!   alias of the untransposed tensor, which reads back wrong.
//! - **Everything else** is kept: `__metadata__` holds `"format": "pt"` (which
//!   `transformers` requires) and, under its flattened name, the Python repr of every
//!   value that is not a tensor (`state.0.step` → `5`, `param_groups.0` →
//!   `{'lr': 0.1, ...}`). A dict, list or tuple that holds no tensor is one such value;
//!   an empty one too. [`Options::tensors_only`] leaves these out (the aliases stay:
//!   without them the dropped names would be lost).
//! - **Refused**: two values under one flattened name (`{"a.b": x, "a": {"b": y}}`),
//!   a tensor inside something that has no names (a set, an inert object), a storage
//!   whose bytes were not loaded, a header over the 100 MB the `safetensors` crate
//!   accepts. Nothing is dropped silently.
//!
//! # Memory and passes
//! The header is computed from shapes alone; then each tensor is streamed to the writer
//! ([`crate::torch::Tensor::write_contiguous`]: one `write_all` of the borrowed bytes for
//! a contiguous little-endian tensor, 64 KiB chunks otherwise). Nothing is held beyond
//! the loaded checkpoint but the header and one 64 KiB chunk; the output is written in
//! one pass, front to back, so any [`io::Write`] will do.
//!
//! # Why not the `safetensors` crate's writer
//! Its `serialize` builds the whole file in one `Vec`, and `serialize_to_file` writes only
//! to a path; neither streams to a writer. Its metadata is a hash map, so with more than
//! one entry the header's order (and the file's bytes) change from run to run. The format
//! is small (a u64 header length, a JSON header padded with spaces to 8 bytes, the data),
//! so this module writes it itself, and the tests check every file it writes with the
//! crate's own reader and, where the crate's output is deterministic, byte for byte
//! against the crate's writer.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Category, Error, ErrorKind, Result};
use crate::torch::{Checkpoint, DType, Storage, Tensor};
use crate::value::{ArrayData, TzInfo, Value};

/// The largest header the `safetensors` crate reads (its `MAX_HEADER_SIZE`).
pub const MAX_HEADER_BYTES: usize = 100_000_000;

/// Why a loaded checkpoint cannot be written as safetensors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The tensor's dtype has no safetensors name.
    #[error("tensor {name:?} is {dtype}, which safetensors cannot hold")]
    DType {
        /// The tensor's flattened name.
        name: String,
        /// Its dtype.
        dtype: DType,
    },
    /// A `float4_e2m1fn_x2` tensor with no dimension (its element count cannot be doubled).
    #[error("tensor {name:?} is a 0-d {dtype}, which safetensors cannot hold (F4 needs a last dimension to double)")]
    ZeroDimF4 {
        /// The tensor's flattened name.
        name: String,
        /// Its dtype.
        dtype: DType,
    },
    /// Two values flatten to the same name, or a name is reserved (`__metadata__` for a
    /// tensor, `format` for a metadata entry).
    #[error("two values are named {0:?} once flattened (or the name is reserved)")]
    NameClash(String),
    /// The saved object is not a dict, list or tuple, so its tensors have no names.
    #[error("the checkpoint holds {0}, not a dict, list or tuple of tensors")]
    NotAContainer(String),
    /// A tensor inside a value that gives it no name (a set, an inert object, a numpy
    /// object array …).
    #[error("{name:?} is a '{type_name}' that holds a tensor, which safetensors cannot name")]
    HiddenTensor {
        /// The flattened name of the value that holds the tensor.
        name: String,
        /// Python's name of its type.
        type_name: &'static str,
    },
    /// A tensor whose storage bytes were not loaded (a bare `data.pkl`).
    #[error("the bytes of tensor {0:?} were not loaded")]
    NotLoaded(String),
    /// The header would exceed [`MAX_HEADER_BYTES`]; the name of the entry where it did.
    #[error(
        "the safetensors header would pass the {MAX_HEADER_BYTES} bytes readers accept (at {0:?})"
    )]
    HeaderTooLarge(String),
}

impl ConvertError {
    /// Every conversion error is a property of the input: [`Category::Invalid`].
    pub fn category(&self) -> Category {
        Category::Invalid
    }
}

impl From<ConvertError> for Error {
    fn from(e: ConvertError) -> Error {
        Error::new(ErrorKind::Convert(e))
    }
}

/// How to convert.
#[derive(Clone, Debug, Default)]
pub struct Options {
    tensors_only: bool,
}

impl Options {
    /// The defaults: non-tensor values are kept in `__metadata__`.
    pub fn new() -> Options {
        Options::default()
    }

    /// Leaves non-tensor values out of `__metadata__` (`format` and the aliases stay).
    pub fn tensors_only(mut self, yes: bool) -> Options {
        self.tensors_only = yes;
        self
    }
}

/// What a conversion wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Tensors written (aliases not counted).
    pub tensors: usize,
    /// Names recorded in `__metadata__` as aliases of a written tensor.
    pub aliases: usize,
    /// Non-tensor values recorded in `__metadata__`.
    pub values: usize,
    /// Non-tensor values left out ([`Options::tensors_only`]).
    pub values_left_out: usize,
    /// Bytes of the header (with its 8-byte length prefix).
    pub header_bytes: u64,
    /// Bytes of tensor data.
    pub data_bytes: u64,
}

/// The safetensors dtype name of a torch dtype, if safetensors has one.
pub fn safetensors_dtype(dtype: DType) -> Option<&'static str> {
    rank(dtype).map(|(_, name)| name)
}

/// The safetensors name and its position in the crate's `Dtype` enum (whose order is the
/// alignment order its writer sorts by).
fn rank(dtype: DType) -> Option<(u8, &'static str)> {
    Some(match dtype {
        DType::Bool => (0, "BOOL"),
        DType::Float4E2M1FnX2 => (1, "F4"),
        DType::UInt8 => (4, "U8"),
        DType::Int8 => (5, "I8"),
        DType::Float8E5M2 => (6, "F8_E5M2"),
        DType::Float8E4M3Fn => (7, "F8_E4M3"),
        DType::Float8E8M0Fnu => (8, "F8_E8M0"),
        DType::Float8E4M3Fnuz => (9, "F8_E4M3FNUZ"),
        DType::Float8E5M2Fnuz => (10, "F8_E5M2FNUZ"),
        DType::Int16 => (11, "I16"),
        DType::UInt16 => (12, "U16"),
        DType::Float16 => (13, "F16"),
        DType::BFloat16 => (14, "BF16"),
        DType::Int32 => (15, "I32"),
        DType::UInt32 => (16, "U32"),
        DType::Float32 => (17, "F32"),
        DType::Complex64 => (18, "C64"),
        DType::Float64 => (19, "F64"),
        DType::Int64 => (20, "I64"),
        DType::UInt64 => (21, "U64"),
        _ => return None,
    })
}

/// One tensor to write.
struct Entry<'a> {
    name: String,
    tensor: &'a Tensor,
    rank: u8,
    dtype: &'static str,
    shape: Vec<usize>,
}

/// A conversion planned from a value: every name, the header, the data's size; nothing
/// written yet. [`Plan::write`] streams it.
pub struct Plan<'a> {
    entries: Vec<Entry<'a>>,
    header: Vec<u8>,
    report: Report,
}

impl fmt::Debug for Plan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("tensors", &self.entries.len())
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// A node of the saved object, in pre-order.
struct Node<'a> {
    parent: usize,
    /// Its name part under its parent (`None` for the root and for values inside
    /// something that has no names).
    part: Option<String>,
    value: &'a Value,
    /// A dict, list or tuple: its children get names.
    named: bool,
}

/// A dict key as a name part: a `str` as it is, anything else as its repr.
fn key_part(k: &Value) -> String {
    match k {
        Value::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// The values directly inside `v`, each with its name part when `v` gives names.
fn children<'a>(v: &'a Value, out: &mut Vec<(Option<String>, &'a Value)>) -> bool {
    match v {
        Value::Dict(d) | Value::OrderedDict(d) | Value::Counter(d) => {
            out.extend(d.iter().map(|(k, x)| (Some(key_part(k.value())), x)));
            true
        }
        Value::DefaultDict(d) => {
            out.extend(d.dict.iter().map(|(k, x)| (Some(key_part(k.value())), x)));
            true
        }
        Value::List(items) | Value::Tuple(items) => {
            out.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (Some(i.to_string()), x)),
            );
            true
        }
        Value::Deque(d) => {
            out.extend(
                d.items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (Some(i.to_string()), x)),
            );
            true
        }
        // A container reached twice (`Unpickler::shared_references`): its first place
        // holds it, and names go on through it.
        Value::Shared(x) => children(&x.value, out),
        // Everything below only matters for finding tensors the names cannot reach.
        Value::Slice(sl) => {
            out.extend([&sl.start, &sl.stop, &sl.step].map(|x| (None, x)));
            false
        }
        Value::Set(s) | Value::FrozenSet(s) => {
            out.extend(s.iter().map(|k| (None, k.value())));
            false
        }
        Value::Object(o) => {
            out.push((None, &o.callable));
            out.extend(o.args.iter().map(|x| (None, x)));
            for (k, x) in &o.kwargs {
                out.push((None, k));
                out.push((None, x));
            }
            for m in &o.mutations {
                use crate::value::Mutation;
                match m {
                    Mutation::SetState(x) | Mutation::Append(x) => out.push((None, x)),
                    Mutation::Extend(xs) | Mutation::Add(xs) => {
                        out.extend(xs.iter().map(|x| (None, x)))
                    }
                    Mutation::SetItem(k, x) => {
                        out.push((None, k));
                        out.push((None, x));
                    }
                }
            }
            false
        }
        Value::NdArray(a) | Value::NumpyScalar(a) => {
            if let ArrayData::Objects(items) = &a.data {
                out.extend(items.iter().map(|x| (None, x)));
            }
            false
        }
        Value::Time(t) => {
            if let Some(TzInfo::Other(x)) = &t.tzinfo {
                out.push((None, x));
            }
            false
        }
        Value::DateTime(t) => {
            if let Some(TzInfo::Other(x)) = &t.tzinfo {
                out.push((None, x));
            }
            false
        }
        _ => false,
    }
}

/// The saved object in pre-order (value order), without recursion.
fn nodes(root: &Value) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut todo: Vec<(usize, Option<String>, &Value)> = vec![(0, None, root)];
    let mut kids = Vec::new();
    while let Some((parent, part, value)) = todo.pop() {
        let me = out.len();
        kids.clear();
        let named = children(value, &mut kids);
        out.push(Node {
            parent,
            part,
            value,
            named,
        });
        todo.extend(kids.drain(..).rev().map(|(p, v)| (me, p, v)));
    }
    out
}

/// Writes `s` as a JSON string, escaped exactly as `serde_json` escapes it (so that the
/// header matches the `safetensors` crate's writer byte for byte).
fn json_str(out: &mut Vec<u8>, s: &str) {
    let mut t = String::with_capacity(s.len() + 2);
    // Writing into a String cannot fail.
    let _ = crate::json::write_str(&mut t, s);
    out.extend_from_slice(t.as_bytes());
}

/// `v`'s repr, or [`ConvertError::HeaderTooLarge`] as soon as it passes `budget` bytes (a
/// large `bytes` value prints four times its size: it is never printed whole).
fn repr_within(v: &Value, name: &str, budget: usize) -> Result<String> {
    struct Capped {
        s: String,
        budget: usize,
    }
    impl fmt::Write for Capped {
        fn write_str(&mut self, part: &str) -> fmt::Result {
            if self.s.len().saturating_add(part.len()) > self.budget {
                return Err(fmt::Error);
            }
            self.s.push_str(part);
            Ok(())
        }
    }
    let mut out = Capped {
        s: String::new(),
        budget,
    };
    match fmt::write(&mut out, format_args!("{v}")) {
        Ok(()) => Ok(out.s),
        Err(_) => Err(ConvertError::HeaderTooLarge(name.to_owned()).into()),
    }
}

/// Whether two tensors are the very same view (and so one may stand for the other).
fn same_view(a: &Tensor, b: &Tensor) -> bool {
    Storage::same(a.storage(), b.storage())
        && a.dtype() == b.dtype()
        && a.storage_offset() == b.storage_offset()
        && a.shape() == b.shape()
        && a.stride() == b.stride()
}

/// Plans the conversion of `value` (a checkpoint's saved object).
///
/// # Errors
/// [`ErrorKind::Convert`] for anything safetensors cannot hold (see the module docs).
pub fn plan<'a>(value: &'a Value, opts: &Options) -> Result<Plan<'a>> {
    if !matches!(
        value,
        Value::Dict(_)
            | Value::OrderedDict(_)
            | Value::Counter(_)
            | Value::DefaultDict(_)
            | Value::List(_)
            | Value::Tuple(_)
            | Value::Deque(_)
    ) {
        let what = match value {
            Value::Tensor(_) => "a bare tensor".to_owned(),
            other => format!("a '{}'", other.type_name()),
        };
        return Err(ConvertError::NotAContainer(what).into());
    }
    let nodes = nodes(value);
    // Which nodes hold a tensor (a child always comes after its parent in pre-order).
    let mut holds = vec![false; nodes.len()];
    for (i, n) in nodes.iter().enumerate().skip(1).rev() {
        if holds.get(i) == Some(&true) || matches!(n.value, Value::Tensor(_)) {
            for at in [i, n.parent] {
                if let Some(h) = holds.get_mut(at) {
                    *h = true;
                }
            }
        }
    }
    // In pre-order: a node gets a name when its parent is expanded (the root is); a
    // dict, list or tuple that holds a tensor is expanded, anything else is a leaf.
    let mut names: Vec<String> = vec![String::new(); nodes.len()];
    let mut expanded = vec![false; nodes.len()];
    if let Some(e) = expanded.first_mut() {
        *e = true;
    }
    let mut seen: HashSet<String> = HashSet::new();
    // (node, name, tensor) and (node, name, repr), in value order.
    let mut tensors: Vec<(usize, String, &Tensor)> = Vec::new();
    let mut values: Vec<(usize, String, String)> = Vec::new();
    let mut repr_bytes = 0usize;
    let mut report = Report::default();
    for (i, n) in nodes.iter().enumerate().skip(1) {
        let parent = nodes.get(n.parent);
        if expanded.get(n.parent) != Some(&true) || !parent.is_some_and(|p| p.named) {
            continue;
        }
        let part = n.part.as_deref().unwrap_or_default();
        let name = match names.get(n.parent) {
            Some(p) if n.parent != 0 => format!("{p}.{part}"),
            _ => part.to_owned(),
        };
        let holds_tensor = holds.get(i) == Some(&true);
        match n.value {
            Value::Tensor(t) => {
                if name == "__metadata__" || !seen.insert(name.clone()) {
                    return Err(ConvertError::NameClash(name).into());
                }
                if t.storage().bytes().is_none() {
                    return Err(ConvertError::NotLoaded(name).into());
                }
                tensors.push((i, name.clone(), t));
            }
            _ if n.named && holds_tensor => {
                if let Some(e) = expanded.get_mut(i) {
                    *e = true;
                }
            }
            other if holds_tensor => {
                return Err(ConvertError::HiddenTensor {
                    name,
                    type_name: other.type_name(),
                }
                .into());
            }
            other => {
                if name == "format" || !seen.insert(name.clone()) {
                    return Err(ConvertError::NameClash(name).into());
                }
                if opts.tensors_only {
                    report.values_left_out += 1;
                } else {
                    let repr = repr_within(
                        other,
                        &name,
                        MAX_HEADER_BYTES - repr_bytes.min(MAX_HEADER_BYTES),
                    )?;
                    repr_bytes = repr_bytes.saturating_add(repr.len() + name.len());
                    values.push((i, name.clone(), repr));
                }
            }
        }
        if let Some(slot) = names.get_mut(i) {
            *slot = name;
        }
    }

    // Aliases: the same view under several names. Bucket by what can be hashed, then
    // compare the storages themselves.
    type ViewKey<'k> = (&'k str, DType, usize, &'k [usize], &'k [usize]);
    let mut buckets: HashMap<ViewKey<'_>, Vec<usize>> = HashMap::new();
    for (j, (_, _, t)) in tensors.iter().enumerate() {
        let key = (
            t.storage().key(),
            t.dtype(),
            t.storage_offset(),
            t.shape(),
            t.stride(),
        );
        buckets.entry(key).or_default().push(j);
    }
    // For each tensor, the tensor whose data stands for it (itself unless an alias).
    let mut kept: Vec<usize> = (0..tensors.len()).collect();
    let tensor_name = |j: usize| tensors.get(j).map(|(_, n, _)| n.as_str());
    for group in buckets.into_values() {
        let mut rest = group;
        while let Some(&first) = rest.first() {
            let (same, other): (Vec<usize>, Vec<usize>) =
                rest.iter()
                    .partition(|&&j| match (tensors.get(first), tensors.get(j)) {
                        (Some((_, _, a)), Some((_, _, b))) => same_view(a, b),
                        _ => false,
                    });
            // The name that sorts first is kept, as convert.py keeps it.
            let keep = same
                .iter()
                .copied()
                .min_by(|&a, &b| tensor_name(a).cmp(&tensor_name(b)))
                .unwrap_or(first);
            for &j in &same {
                if let Some(k) = kept.get_mut(j) {
                    *k = keep;
                }
            }
            rest = other;
        }
    }

    // Metadata: format, then the aliases and the values, merged in value order.
    let mut meta: Vec<(String, String)> = vec![("format".to_owned(), "pt".to_owned())];
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut values = values.into_iter().peekable();
    for (j, (at, name, t)) in tensors.iter().enumerate() {
        while let Some((_, n, r)) = values.next_if(|(vi, _, _)| vi < at) {
            meta.push((n, r));
            report.values += 1;
        }
        let keep = kept.get(j).copied().unwrap_or(j);
        if keep != j {
            let kept_name = tensor_name(keep).unwrap_or_default().to_owned();
            meta.push((name.clone(), kept_name));
            report.aliases += 1;
            continue;
        }
        let dtype = t.dtype();
        let dtype_err = || ConvertError::DType {
            name: name.clone(),
            dtype,
        };
        let (rank, st) = rank(dtype).ok_or_else(dtype_err)?;
        let mut shape = t.shape().to_vec();
        if dtype == DType::Float4E2M1FnX2 {
            let last = shape.last_mut().ok_or_else(|| ConvertError::ZeroDimF4 {
                name: name.clone(),
                dtype,
            })?;
            *last = last.checked_mul(2).ok_or_else(dtype_err)?;
        }
        entries.push(Entry {
            name: name.clone(),
            tensor: t,
            rank,
            dtype: st,
            shape,
        });
    }
    for (_, n, r) in values {
        meta.push((n, r));
        report.values += 1;
    }

    // The crate's order: descending alignment, then name.
    entries.sort_by(|a, b| b.rank.cmp(&a.rank).then_with(|| a.name.cmp(&b.name)));
    let mut header = Vec::with_capacity(64 * (entries.len() + meta.len()) + 64);
    header.extend_from_slice(b"{\"__metadata__\":{");
    for (i, (k, v)) in meta.iter().enumerate() {
        if i > 0 {
            header.push(b',');
        }
        json_str(&mut header, k);
        header.push(b':');
        json_str(&mut header, v);
        if header.len() > MAX_HEADER_BYTES {
            return Err(ConvertError::HeaderTooLarge(k.clone()).into());
        }
    }
    header.push(b'}');
    let mut offset: u64 = 0;
    for e in &entries {
        header.push(b',');
        json_str(&mut header, &e.name);
        header.extend_from_slice(b":{\"dtype\":");
        json_str(&mut header, e.dtype);
        header.extend_from_slice(b",\"shape\":[");
        for (i, d) in e.shape.iter().enumerate() {
            if i > 0 {
                header.push(b',');
            }
            header.extend_from_slice(d.to_string().as_bytes());
        }
        let end = offset.saturating_add(e.tensor.nbytes() as u64);
        header.extend_from_slice(format!("],\"data_offsets\":[{offset},{end}]}}").as_bytes());
        offset = end;
        if header.len() > MAX_HEADER_BYTES {
            return Err(ConvertError::HeaderTooLarge(e.name.clone()).into());
        }
    }
    header.push(b'}');
    let padded = header.len().next_multiple_of(8);
    if padded > MAX_HEADER_BYTES {
        let last = entries.last().map(|e| e.name.clone()).unwrap_or_default();
        return Err(ConvertError::HeaderTooLarge(last).into());
    }
    header.resize(padded, b' ');
    report.tensors = entries.len();
    report.header_bytes = 8 + padded as u64;
    report.data_bytes = offset;
    Ok(Plan {
        entries,
        header,
        report,
    })
}

impl Plan<'_> {
    /// What [`Plan::write`] will write.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The tensors' names in the order their data is written.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// Writes the file to `w`, front to back: the header's length, the header, each
    /// tensor's data.
    ///
    /// # Errors
    /// An I/O error of `w`.
    pub fn write<W: Write>(&self, mut w: W) -> Result<Report> {
        w.write_all(&(self.header.len() as u64).to_le_bytes())?;
        w.write_all(&self.header)?;
        for e in &self.entries {
            e.tensor.write_contiguous(&mut w)?;
        }
        w.flush()?;
        Ok(self.report.clone())
    }
}

/// Converts a loaded checkpoint to safetensors, written to `w` in one pass.
///
/// # Errors
/// [`ErrorKind::Convert`] for anything safetensors cannot hold (checked before anything
/// is written), an I/O error of `w`.
pub fn write<W: Write>(ckpt: &Checkpoint, w: W, opts: &Options) -> Result<Report> {
    write_value(ckpt.value(), w, opts)
}

/// [`write()`] for a checkpoint's saved object.
///
/// # Errors
/// As [`write()`].
pub fn write_value<W: Write>(value: &Value, w: W, opts: &Options) -> Result<Report> {
    plan(value, opts)?.write(w)
}

/// Converts a loaded checkpoint into the file at `path`: written to a new temporary
/// file in the same folder, flushed to disk, then renamed over `path`. On any error the
/// temporary file is removed and `path` is left as it was.
///
/// # Errors
/// As [`write()`], and the I/O errors of creating, syncing and renaming the file.
pub fn write_file(ckpt: &Checkpoint, path: impl AsRef<Path>, opts: &Options) -> Result<Report> {
    let plan = plan(ckpt.value(), opts)?;
    write_atomically(path.as_ref(), |w| plan.write(w))
}

/// Runs `write` on a new temporary file in `path`'s folder, flushes it to disk and renames
/// it over `path`; on any error removes the temporary file and leaves `path` as it was.
/// Also used by [`crate::write::Options::to_file`].
pub(crate) fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<&std::fs::File>) -> Result<T>,
) -> Result<T> {
    let (tmp, file) = temp_beside(path)?;
    let result = (|| -> Result<T> {
        let mut w = io::BufWriter::with_capacity(1 << 20, &file);
        let done = write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(done)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Loads the checkpoint at `input` with the default [`crate::torch::Loader`] and writes
/// it to `output` with [`write_file`]. A checkpoint the loader refuses writes nothing.
///
/// # Errors
/// The loader's errors, and as [`write_file`].
pub fn convert_file(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    opts: &Options,
) -> Result<Report> {
    let ckpt = crate::torch::load(input)?;
    write_file(&ckpt, output, opts)
}

/// A new file beside `path` (same folder, so the rename cannot cross file systems),
/// named after it and the process, created exclusively.
fn temp_beside(path: &Path) -> io::Result<(PathBuf, std::fs::File)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_owned());
    let pid = std::process::id();
    let mut last = None;
    for n in 0..100u32 {
        let tmp = dir.join(format!(".{base}.{pid}.{n}.tmp"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary name free")))
}
