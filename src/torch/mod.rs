//! PyTorch checkpoints (`.pt`, `.pth`, `.bin`) loaded safely, with typed [`Tensor`]s whose
//! bytes stay in the file's buffer.
//!
//! ```no_run
//! let ckpt = unpickle::torch::load("model.pt")?;
//! for (path, t) in ckpt.tensors() {
//!     println!("{path}: {} {:?}", t.dtype(), t.shape());
//! }
//! # Ok::<(), unpickle::Error>(())
//! ```
//!
//! # Formats
//! - **Zip** (`torch.save` since 1.6): read by a small strict reader of its own (see
//!   below); `data.pkl` is loaded by the machine under the [`crate::presets::torch`] policy
//!   and every persistent id becomes a [`Storage`] over the record `data/<key>`.
//! - **Legacy stream** (torch < 1.6, `_use_new_zipfile_serialization=False`): five
//!   pickles (magic number, protocol 1001, `sys_info`, the main pickle, the storage keys),
//!   every one of them loaded by the restricted machine, then the raw storages.
//! - **Refused, with a message saying why**: TorchScript archives (a `constants.pkl`,
//!   `bytecode.pkl` or `code/` entry in any letter case, or any `__torch__` global), the
//!   pre-0.4 tar format, and anything else ([`CheckpointError`] has one kind per reason).
//!
//! # The zip reader
//! torch writes stored (uncompressed) ZIP64 entries, 64-byte aligned by padding in the
//! local headers only, with CRCs that may be 0; torch never checks CRCs. The `zip` crate
//! rejects CRC-0 files, so this module reads the container itself, checking every offset
//! and size against the file's real length before use and never allocating from a size
//! the file claims (the list of entries is bounded by the bytes of the central
//! directory and by [`Loader::max_entries`]). CRCs are not checked, as in torch.
//! **Deflated entries are refused** ([`CheckpointError::Compressed`]): torch never
//! writes them, and refusing them keeps every tensor a borrowed slice of the file.
//! The prefix folder is taken from the first central-directory entry, as torch does,
//! and every entry must share it; names are matched ignoring letter case (as torch's
//! lookup does), so two names that differ only in case are refused.
//!
//! # Buffers and memory
//! [`load`] reads the whole file into memory once; it does not map it. That is a
//! decision: mapping a file takes `unsafe` (the crate is `#![forbid(unsafe_code)]`), and
//! a map is only sound while nobody else writes the file — another process truncating
//! or rewriting it would change tensor bytes, or fault, under a program that already
//! checked them. Because the loader holds its own copy, **a file that changes after
//! [`load`] returns changes nothing**: every check made at load time stays true for as
//! long as the [`Checkpoint`] lives. The cost is one read of the file (page cache to
//! memory, about memcpy speed; see `benches/RESULTS-torch.md` in the repository) and
//! resident memory the size of the file. A caller that wants a map anyway can make one
//! itself and hand it over as a [`Buffer`] ([`Buffer::new`] takes any
//! `AsRef<[u8]>`) to [`Loader::load_buffer`]. [`from_reader`] reads any `Read + Seek`
//! the same way. Every tensor's bytes are then a slice of that one buffer, shared by all
//! storages; nothing is copied until a caller asks for a copy ([`Tensor::to_vec`],
//! [`Tensor::write_contiguous`]).

mod dtype;
mod error;
mod legacy;
mod repr;
mod scan;
mod tensor;
mod zip;

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use self::dtype::DType;
pub use self::error::CheckpointError;
pub use self::scan::{CheckpointReport, MemberReport};
pub use self::tensor::{Buffer, ByteOrder, Element, Storage, Tensor, TensorKind, MAX_DIMS};

use crate::error::{Category, Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::load::Unpickler;
use crate::policy::{Decision, Policy};
use crate::value::Value;

impl CheckpointError {
    /// The coarse class: TorchScript is a refusal (exit 3 in the CLI), too many entries a
    /// limit, everything else invalid input.
    pub fn category(&self) -> Category {
        match self {
            CheckpointError::TorchScript(_) | CheckpointError::Tar => Category::Refused,
            CheckpointError::TooManyEntries { .. } => Category::Limit,
            _ => Category::Invalid,
        }
    }
}

impl From<CheckpointError> for Error {
    fn from(e: CheckpointError) -> Error {
        Error::new(ErrorKind::Checkpoint(e))
    }
}

/// The legacy storage class that holds `dtype` (`FloatStorage` for float32), if any.
pub fn storage_class(dtype: DType) -> Option<&'static str> {
    dtype.storage_class()
}

/// Which container a checkpoint uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// The zip archive of `torch.save` since 1.6.
    Zip,
    /// The legacy stream of pickles and raw storages.
    Legacy,
    /// The pre-0.4 tar format (recognised in order to be refused).
    Tar,
}

/// The legacy magic number, `0x1950a86a20f9469cfc6c`, as its protocol-2 pickle writes it.
const LEGACY_MAGIC_P2: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

/// Recognises a checkpoint by its first bytes: a zip (`PK\x03\x04`, torch's own test), a
/// legacy stream (a first pickle that holds the legacy magic number), or the tar format
/// (`ustar` at offset 257). `None` for anything else.
pub fn detect(data: &[u8]) -> Option<Format> {
    if data.starts_with(b"PK\x03\x04") {
        return Some(Format::Zip);
    }
    if data.get(257..262) == Some(b"ustar".as_slice()) {
        return Some(Format::Tar);
    }
    if data.starts_with(LEGACY_MAGIC_P2) || legacy::first_pickle_is_magic(data) {
        return Some(Format::Legacy);
    }
    None
}

/// Whether `data` starts like a checkpoint ([`detect`] finds a zip or legacy stream).
pub fn is_checkpoint(data: &[u8]) -> bool {
    matches!(detect(data), Some(Format::Zip | Format::Legacy))
}

/// One pickle in a checkpoint, for reports: where it is and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The zip entry name, or the legacy pickle's role (`magic`, `protocol`, `sys_info`,
    /// `main`, `storage keys`).
    pub name: String,
    /// Its bytes' place in the file.
    pub range: std::ops::Range<usize>,
}

/// A loaded checkpoint: the object `torch.save` was given, with its tensors.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    value: Value,
    format: Format,
    prefix: Option<String>,
    byte_order: ByteOrder,
    version: Option<u32>,
    entries: Vec<String>,
}

impl Checkpoint {
    /// The saved object (a state dict is an [`Value::OrderedDict`] of tensors).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The saved object, by value.
    pub fn into_value(self) -> Value {
        self.value
    }

    /// Zip or legacy.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The zip's prefix folder (`archive`, `pytorch_model` …).
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The storages' byte order (the `byteorder` record; little when absent).
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// The zip's `version` record (1–10).
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// Every zip entry name, in central-directory order (empty for legacy files).
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Every tensor reachable in the value, with its path (`/layer.weight`,
    /// `/state/0/momentum_buffer`: dict keys and list/tuple indices joined by `/`), in
    /// the value's order. Walks without recursion.
    pub fn tensors(&self) -> Vec<(String, &Tensor)> {
        tensors(&self.value)
    }
}

/// Every tensor in `value` with its path (see [`Checkpoint::tensors`]).
pub fn tensors(value: &Value) -> Vec<(String, &Tensor)> {
    let mut out = Vec::new();
    let mut todo: Vec<(String, &Value)> = vec![(String::new(), value)];
    while let Some((path, v)) = todo.pop() {
        let mut kids: Vec<(String, &Value)> = Vec::new();
        match v {
            Value::Tensor(t) => out.push((path, &**t)),
            Value::Dict(d) | Value::OrderedDict(d) | Value::Counter(d) => {
                for (k, x) in d.iter() {
                    let key = match k.value() {
                        Value::Str(s) => s.to_string(),
                        other => other.to_string(),
                    };
                    kids.push((format!("{path}/{key}"), x));
                }
            }
            Value::List(items) | Value::Tuple(items) => {
                for (i, x) in items.iter().enumerate() {
                    kids.push((format!("{path}/{i}"), x));
                }
            }
            _ => {}
        }
        todo.extend(kids.into_iter().rev());
    }
    out
}

/// The policy wrapper that keeps `os`, `sys`, `posix` and `nt` refused whatever the
/// caller's policy says.
struct Blocked(Arc<dyn Policy>);

impl Policy for Blocked {
    fn find_class(&self, module: &str, name: &str) -> Decision {
        let blocked = crate::presets::torch_blocked_modules().iter().any(|b| {
            module
                .strip_prefix(b)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        });
        if blocked {
            Decision::Refuse
        } else {
            self.0.find_class(module, name)
        }
    }
}

/// Loads checkpoints with a policy (default [`crate::presets::torch`]), limits, and a
/// bound on zip entries.
#[derive(Clone)]
pub struct Loader {
    policy: Arc<dyn Policy>,
    limits: Limits,
    max_entries: u64,
}

impl Default for Loader {
    fn default() -> Loader {
        Loader::new()
    }
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("limits", &self.limits)
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

/// What a persistent id resolves against.
enum Records {
    /// A zip's entries below the prefix, by lower-cased name.
    Zip {
        buf: Buffer,
        by_name: HashMap<String, std::ops::Range<usize>>,
    },
    /// Storages whose bytes come later (legacy) or never (a bare `data.pkl`).
    Deferred,
}

/// Resolves `('storage', storage_type, key, location, numel[, view])` persistent ids.
struct StorageLoader {
    records: Records,
    order: ByteOrder,
    state: Mutex<LoaderState>,
}

#[derive(Default)]
struct LoaderState {
    /// Storages by key, in first-use order.
    by_key: HashMap<String, Storage>,
    order: Vec<String>,
    /// Legacy views: (view key, root key, offset in elements).
    views: Vec<(String, String, usize)>,
    /// The first typed error, reported instead of the machine's wrapper.
    error: Option<Error>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Bytes(b) if b.is_ascii() => Some(b.iter().map(|&c| char::from(c)).collect()),
        _ => None,
    }
}

/// The dtype a storage class global stands for.
fn storage_dtype(v: &Value) -> std::result::Result<DType, String> {
    let Value::Global(g) = v else {
        return Err(format!("storage type must be a storage class, not {v}"));
    };
    match (g.module.as_str(), g.name.as_str()) {
        ("torch" | "torch.storage", "UntypedStorage") => Ok(DType::UInt8),
        ("torch" | "torch.cuda", class) => DType::from_storage_class(class)
            .ok_or_else(|| format!("{} is not a storage class", g.dotted())),
        _ => Err(format!("{} is not a storage class", g.dotted())),
    }
}

impl StorageLoader {
    fn new(records: Records, order: ByteOrder) -> StorageLoader {
        StorageLoader {
            records,
            order,
            state: Mutex::new(LoaderState::default()),
        }
    }

    fn fail(&self, e: Error) -> String {
        let msg = e.to_string();
        if let Ok(mut st) = self.state.lock() {
            st.error.get_or_insert(e);
        }
        msg
    }

    fn load(&self, pid: Value) -> std::result::Result<Value, String> {
        let Value::Tuple(items) = pid else {
            return Err(format!(
                "persistent id must be a tuple, not '{}'",
                pid.type_name()
            ));
        };
        let (kind, rest) = items.split_first().ok_or("empty persistent id")?;
        if text(kind).as_deref() != Some("storage") {
            return Err(format!(
                "persistent id of kind {kind} is not supported (only 'storage')"
            ));
        }
        let (st_type, key, location, numel, view) = match rest {
            [t, k, l, n] => (t, k, l, n, None),
            [t, k, l, n, v] if matches!(self.records, Records::Deferred) => (t, k, l, n, Some(v)),
            _ => return Err(format!("storage persistent id with {} fields", items.len())),
        };
        let dtype = storage_dtype(st_type)?;
        let key = text(key).ok_or("storage key must be a str")?;
        let location = text(location).ok_or("storage location must be a str")?;
        let numel = match numel {
            Value::Int(n) => {
                usize::try_from(*n).map_err(|_| format!("storage size {n} is negative"))?
            }
            other => return Err(format!("storage size must be an int, not {other}")),
        };
        let view = match view {
            None | Some(Value::None) => None,
            Some(Value::Tuple(v)) => match v.as_slice() {
                [vk, Value::Int(off), Value::Int(size)] => {
                    let vk = text(vk).ok_or("view key must be a str")?;
                    let off = usize::try_from(*off).map_err(|_| "negative view offset")?;
                    let size = usize::try_from(*size).map_err(|_| "negative view size")?;
                    Some((vk, off, size))
                }
                _ => return Err("view metadata must be (key, offset, size)".to_owned()),
            },
            Some(other) => return Err(format!("view metadata must be a tuple, not {other}")),
        };
        let mut st = self.state.lock().map_err(|_| "poisoned")?;
        let root = self.storage(&mut st, &key, dtype, numel, &location)?;
        let storage = match view {
            None => root,
            Some((vk, off, size)) => {
                let end = off.checked_add(size).ok_or("view overflows")?;
                if end > numel {
                    let e = Error::from(CheckpointError::Storage {
                        key: vk.clone(),
                        message: format!(
                            "view of elements {off}..{end} of storage {key:?}, which has {numel}"
                        ),
                    });
                    drop(st);
                    return Err(self.fail(e));
                }
                if !st.by_key.contains_key(&vk) {
                    st.views.push((vk.clone(), key.clone(), off));
                }
                self.storage(&mut st, &vk, dtype, size, &location)?
            }
        };
        Ok(Value::Tensor(Box::new(Tensor::of_storage(storage))))
    }

    /// The storage `key`, created on first use; the same key must always come with the
    /// same dtype and size.
    fn storage(
        &self,
        st: &mut LoaderState,
        key: &str,
        dtype: DType,
        numel: usize,
        location: &str,
    ) -> std::result::Result<Storage, String> {
        if let Some(s) = st.by_key.get(key) {
            if s.dtype() != dtype || s.numel() != numel {
                let e = Error::from(CheckpointError::Storage {
                    key: key.to_owned(),
                    message: format!(
                        "used as {} elements of {} and as {numel} of {dtype}",
                        s.numel(),
                        s.dtype()
                    ),
                });
                let msg = e.to_string();
                st.error.get_or_insert(e);
                return Err(msg);
            }
            return Ok(s.clone());
        }
        let bytes = match &self.records {
            Records::Zip { buf, by_name } => {
                let name = format!("data/{key}").to_lowercase();
                let Some(range) = by_name.get(&name) else {
                    let e = Error::from(CheckpointError::MissingRecord(format!("data/{key}")));
                    let msg = e.to_string();
                    st.error.get_or_insert(e);
                    return Err(msg);
                };
                Some((buf.clone(), range.clone()))
            }
            Records::Deferred => None,
        };
        let s = match Storage::new(key, dtype, numel, location, self.order, bytes) {
            Ok(s) => s,
            Err(e) => {
                let msg = e.to_string();
                st.error.get_or_insert(e);
                return Err(msg);
            }
        };
        st.by_key.insert(key.to_owned(), s.clone());
        st.order.push(key.to_owned());
        Ok(s)
    }
}

/// A slice read as a [`std::io::BufRead`] at most 64 KiB at a time. A bare `&[u8]` hands
/// its whole rest to the reader in one chunk, and the reader copies every chunk it is
/// given before it finds STOP: for a legacy file's pickles that was the whole file
/// (hundreds of megabytes of storages) copied once per pickle.
struct Chunked<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut chunk = std::io::BufRead::fill_buf(self)?;
        let n = chunk.read(out)?;
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Chunked<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let end = self.data.len().min(self.pos.saturating_add(64 << 10));
        Ok(self.data.get(self.pos..end).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        self.pos = self.data.len().min(self.pos.saturating_add(n));
    }
}

fn typed_error(e: Error, storages: &StorageLoader) -> Error {
    if let ErrorKind::Refused { module, name } = e.kind() {
        if module.split('.').next() == Some("__torch__") {
            let msg = format!(
                "the pickle names {module}.{name} (a TorchScript class) at offset {}",
                e.offset().unwrap_or(0)
            );
            return CheckpointError::TorchScript(msg).into();
        }
    }
    let stored = storages.state.lock().ok().and_then(|mut s| s.error.take());
    stored.unwrap_or(e)
}

impl Loader {
    /// The [`crate::presets::torch`] policy, default limits, at most 1,000,000 zip
    /// entries.
    pub fn new() -> Loader {
        Loader {
            policy: Arc::new(crate::presets::torch()),
            limits: Limits::default(),
            max_entries: 1_000_000,
        }
    }

    /// Uses `policy` for every pickle of the checkpoint. `os`, `sys`, `posix` and `nt`
    /// stay refused whatever it says.
    pub fn policy(mut self, policy: impl Policy + 'static) -> Loader {
        self.policy = Arc::new(policy);
        self
    }

    /// Uses `limits` for every pickle of the checkpoint.
    pub fn limits(mut self, limits: Limits) -> Loader {
        self.limits = limits;
        self
    }

    /// The most zip entries accepted ([`CheckpointError::TooManyEntries`] beyond).
    pub fn max_entries(mut self, max: u64) -> Loader {
        self.max_entries = max;
        self
    }

    fn unpickler(&self, storages: Arc<StorageLoader>) -> Unpickler {
        Unpickler::new()
            .policy(Blocked(self.policy.clone()))
            .limits(self.limits.clone())
            .persistent_load(move |pid| storages.load(pid))
    }

    /// Loads one pickle of the checkpoint, turning the typed errors the storage loader
    /// met, and `__torch__` globals, into their own kinds.
    fn load_pickle(&self, data: &[u8], storages: &Arc<StorageLoader>) -> Result<Value> {
        let result = self.unpickler(storages.clone()).load_slice(data);
        result.map_err(|e| typed_error(e, storages))
    }

    /// Loads the pickle that starts `data` and returns it with its length (bytes after
    /// its STOP are the caller's business).
    fn load_one(&self, data: &[u8], storages: &Arc<StorageLoader>) -> Result<(Value, usize)> {
        let mut rest = Chunked { data, pos: 0 };
        let value = self
            .unpickler(storages.clone())
            .load_reader(&mut rest)
            .map_err(|e| typed_error(e, storages))?;
        Ok((value, rest.pos))
    }

    /// Loads a checkpoint held in `buf` (zip or legacy, recognised by its bytes).
    ///
    /// # Errors
    /// [`ErrorKind::Checkpoint`] for the container ([`CheckpointError`] says which check
    /// failed), any pickle error of the machine (a refused global names the class).
    pub fn load_buffer(&self, buf: Buffer) -> Result<Checkpoint> {
        match detect(buf.bytes()) {
            Some(Format::Zip) => self.load_zip(buf),
            Some(Format::Legacy) => legacy::load(self, buf),
            Some(Format::Tar) => Err(CheckpointError::Tar.into()),
            None => Err(CheckpointError::NotACheckpoint(
                "neither a zip archive nor a legacy torch stream".into(),
            )
            .into()),
        }
    }

    /// Loads a checkpoint from bytes (copied once into a shared buffer).
    ///
    /// # Errors
    /// As [`Loader::load_buffer`].
    pub fn load_slice(&self, data: &[u8]) -> Result<Checkpoint> {
        self.load_buffer(Buffer::new(data.to_vec()))
    }

    /// Reads the file at `path` into memory and loads it.
    ///
    /// # Errors
    /// I/O errors, and as [`Loader::load_buffer`].
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Checkpoint> {
        let data = std::fs::read(path)?;
        self.load_buffer(Buffer::new(data))
    }

    /// Reads `reader` from its start to its end and loads it. The length comes from
    /// seeking to the end, so the buffer is sized by the real stream, not by a claim.
    ///
    /// # Errors
    /// I/O errors, and as [`Loader::load_buffer`].
    pub fn from_reader<R: Read + Seek>(&self, mut reader: R) -> Result<Checkpoint> {
        let len = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 30));
        reader.read_to_end(&mut data)?;
        self.load_buffer(Buffer::new(data))
    }

    /// Loads a bare `data.pkl` taken out of an archive: its tensors are built and
    /// checked against the sizes their persistent ids claim, but their storages hold no
    /// bytes (printing shows which storage each lacks).
    ///
    /// # Errors
    /// Any pickle error.
    pub fn load_data_pkl(&self, data: &[u8]) -> Result<Value> {
        let storages = Arc::new(StorageLoader::new(Records::Deferred, ByteOrder::Little));
        self.load_pickle(data, &storages)
    }

    fn load_zip(&self, buf: Buffer) -> Result<Checkpoint> {
        let entries = zip::entries(buf.bytes(), self.max_entries)?;
        check_torchscript(&entries)?;
        // Two data.pkl is its own error, whatever their folders.
        let mut pkl: Option<&str> = None;
        for e in &entries {
            if e.name.rsplit('/').next().map(str::to_lowercase).as_deref() == Some("data.pkl") {
                if let Some(first) = pkl {
                    return Err(CheckpointError::TwoDataPkl {
                        first: first.to_owned(),
                        second: e.name.clone(),
                    }
                    .into());
                }
                pkl = Some(&e.name);
            }
        }
        let first = entries.first().ok_or_else(|| {
            Error::from(CheckpointError::NotACheckpoint(
                "the zip archive is empty".into(),
            ))
        })?;
        let prefix = match first.name.split_once('/') {
            Some((p, _)) if !p.is_empty() => p.to_owned(),
            _ => return Err(CheckpointError::NoFolder(first.name.clone()).into()),
        };
        let mut by_name = HashMap::with_capacity(entries.len());
        for e in &entries {
            let rel = e
                .name
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .ok_or_else(|| {
                    Error::from(CheckpointError::MixedPrefix {
                        name: e.name.clone(),
                        prefix: prefix.clone(),
                    })
                })?;
            by_name.insert(rel.to_lowercase(), e.data.clone());
        }
        let record = |name: &str| by_name.get(name).and_then(|r| buf.bytes().get(r.clone()));
        let byte_order = match record("byteorder") {
            None => ByteOrder::Little,
            Some(b"little") => ByteOrder::Little,
            Some(b"big") => ByteOrder::Big,
            Some(other) => {
                let shown: String =
                    String::from_utf8_lossy(other.get(..64).unwrap_or(other)).into();
                return Err(CheckpointError::ByteOrder(shown).into());
            }
        };
        let version_raw = record(".data/version")
            .or_else(|| record("version"))
            .ok_or_else(|| Error::from(CheckpointError::MissingRecord("version".into())))?;
        let version = parse_version(version_raw)?;
        let data_pkl = record("data.pkl").ok_or_else(|| {
            Error::from(CheckpointError::MissingRecord(format!("{prefix}/data.pkl")))
        })?;
        let storages = Arc::new(StorageLoader::new(
            Records::Zip {
                buf: buf.clone(),
                by_name: by_name.clone(),
            },
            byte_order,
        ));
        let value = self.load_pickle(data_pkl, &storages)?;
        Ok(Checkpoint {
            value,
            format: Format::Zip,
            prefix: Some(prefix),
            byte_order,
            version: Some(version),
            entries: entries.into_iter().map(|e| e.name).collect(),
        })
    }
}

fn parse_version(raw: &[u8]) -> Result<u32> {
    let shown = || String::from_utf8_lossy(raw.get(..32).unwrap_or(raw)).into_owned();
    let text =
        std::str::from_utf8(raw).map_err(|_| Error::from(CheckpointError::Version(shown())))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CheckpointError::Version(shown()).into());
    }
    match text.parse::<u32>() {
        Ok(v @ 1..=10) => Ok(v),
        _ => Err(CheckpointError::Version(shown()).into()),
    }
}

/// Refuses TorchScript archives: a `constants.pkl` or `bytecode.pkl` entry, or anything
/// inside a `code/` folder, in any letter case.
fn check_torchscript(entries: &[zip::Entry]) -> Result<()> {
    for e in entries {
        let lower = e.name.to_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        let last = parts.last().copied().unwrap_or("");
        let why = if last == "constants.pkl" || last == "bytecode.pkl" {
            Some(format!("it has a {:?} entry", e.name))
        } else if parts.iter().rev().skip(1).any(|p| *p == "code") {
            Some(format!("it has TorchScript code ({:?})", e.name))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(CheckpointError::TorchScript(why).into());
        }
    }
    Ok(())
}

/// What `unpickle show` loads: a checkpoint (zip or legacy, recognised by its bytes) with
/// `policy` (the [`crate::presets::torch`] preset when `None`) and `limits`; with
/// `bare_data_pkl`, any other input as a bare `data.pkl` (tensors without bytes). `None`
/// when `data` is neither, for the caller to load as a plain pickle.
pub fn load_for_show(
    data: &[u8],
    policy: Option<crate::Allowlist>,
    limits: Limits,
    bare_data_pkl: bool,
) -> Option<Result<Value>> {
    let mut loader = Loader::new().limits(limits);
    if let Some(p) = policy {
        loader = loader.policy(p);
    }
    match detect(data) {
        Some(_) => Some(loader.load_slice(data).map(Checkpoint::into_value)),
        None if bare_data_pkl => Some(loader.load_data_pkl(data)),
        None => None,
    }
}

/// Loads the checkpoint at `path` with the default [`Loader`].
///
/// # Errors
/// As [`Loader::load`].
pub fn load(path: impl AsRef<Path>) -> Result<Checkpoint> {
    Loader::new().load(path)
}

/// Loads a checkpoint from any `Read + Seek` with the default [`Loader`].
///
/// # Errors
/// As [`Loader::from_reader`].
pub fn from_reader<R: Read + Seek>(reader: R) -> Result<Checkpoint> {
    Loader::new().from_reader(reader)
}

/// Loads a checkpoint from bytes with the default [`Loader`].
///
/// # Errors
/// As [`Loader::load_buffer`].
pub fn from_slice(data: &[u8]) -> Result<Checkpoint> {
    Loader::new().load_slice(data)
}
