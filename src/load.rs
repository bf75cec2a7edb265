//! The entry points: [`from_slice`], [`from_reader`] and the configurable [`Unpickler`].

use std::io::{self, Read};
use std::sync::Arc;

use crate::decode::whole::{read_whole, Failed, Whole};
use crate::decode::{Decoder, Input, IoInput, SliceInput};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::machine::{Encoding, GlobalUse, Machine, MemoWants, Setup};
use crate::policy::{ExtensionRegistry, PersistentLoad, Policy};
use crate::presets;
use crate::value::Value;

/// The default of [`Unpickler::read_ahead`].
const DEFAULT_READ_AHEAD: usize = 64 << 20;

/// Loads one pickle from `data` with the [`presets::strict`] policy and default
/// [`Limits`]. Bytes after the pickle's STOP are an error.
///
/// ```
/// // pickle.dumps({'a': 1}, protocol=4)
/// let v = unpickle::from_slice(b"\x80\x04\x95\n\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.").unwrap();
/// assert_eq!(v.to_string(), "{'a': 1}");
/// ```
///
/// # Errors
/// Any [`Error`]: malformed or truncated input, a refused global, an exceeded limit.
/// Never panics, whatever the input.
pub fn from_slice(data: &[u8]) -> Result<Value> {
    Unpickler::new().load_slice(data)
}

/// Loads one pickle from `reader` with the strict policy and default limits, consuming no
/// byte past its STOP (see [`Unpickler::load_reader`]).
///
/// # Errors
/// As [`from_slice`], plus I/O errors.
pub fn from_reader<R: io::BufRead>(reader: R) -> Result<Value> {
    Unpickler::new().load_reader(reader)
}

/// A configured loader: policy, limits, encoding of Python 2 strings, and the hooks for
/// extension codes and persistent ids. Cheap to clone and reusable for many loads.
///
/// ```
/// use unpickle::{presets, Encoding, Limits, Unpickler};
/// let loader = Unpickler::new()
///     .policy(presets::strict())
///     .limits(Limits::default().max_depth(64))
///     .encoding(Encoding::Latin1);
/// assert_eq!(loader.load_slice(b"S'caf\\xe9'\n.").unwrap().to_string(), "'café'");
/// ```
#[derive(Clone)]
pub struct Unpickler {
    policy: Arc<dyn Policy>,
    limits: Limits,
    encoding: Encoding,
    extensions: Option<ExtensionRegistry>,
    persistent: Option<Arc<dyn PersistentLoad>>,
    read_ahead: usize,
    shared: bool,
}

impl Default for Unpickler {
    fn default() -> Unpickler {
        Unpickler::new()
    }
}

impl std::fmt::Debug for Unpickler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unpickler")
            .field("limits", &self.limits)
            .field("encoding", &self.encoding)
            .field("extensions", &self.extensions)
            .field("persistent", &self.persistent.is_some())
            .field("read_ahead", &self.read_ahead)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

impl Unpickler {
    /// The strict policy, default limits, ASCII for Python 2 strings, no hooks.
    pub fn new() -> Unpickler {
        // The strict allowlist is built once per process and shared: `from_slice` and
        // `from_reader` make a new `Unpickler` for every call.
        static STRICT: std::sync::OnceLock<Arc<dyn Policy>> = std::sync::OnceLock::new();
        Unpickler {
            policy: STRICT.get_or_init(|| Arc::new(presets::strict())).clone(),
            limits: Limits::default(),
            encoding: Encoding::Ascii,
            extensions: None,
            persistent: None,
            read_ahead: DEFAULT_READ_AHEAD,
            shared: false,
        }
    }

    /// Uses `policy` to decide every global.
    pub fn policy(mut self, policy: impl Policy + 'static) -> Unpickler {
        self.policy = Arc::new(policy);
        self
    }

    /// Uses `limits`.
    pub fn limits(mut self, limits: Limits) -> Unpickler {
        self.limits = limits;
        self
    }

    /// Decodes Python 2 8-bit strings with `encoding` (Python's `encoding=`).
    pub fn encoding(mut self, encoding: Encoding) -> Unpickler {
        self.encoding = encoding;
        self
    }

    /// Resolves EXT1/EXT2/EXT4 codes through `registry` (the names still go through the
    /// policy).
    pub fn extensions(mut self, registry: ExtensionRegistry) -> Unpickler {
        self.extensions = Some(registry);
        self
    }

    /// Resolves PERSID/BINPERSID through `loader` (refused when none is set).
    pub fn persistent_load(mut self, loader: impl PersistentLoad + 'static) -> Unpickler {
        self.persistent = Some(Arc::new(loader));
        self
    }

    /// How many bytes of one pickle [`Unpickler::load_reader`] may read into memory before
    /// decoding it (default 64 MiB). A pickle that fits is loaded as a slice, which can
    /// look ahead for the memo entries it reads back (much faster for memoized strings and
    /// containers); a larger one, or any error before STOP, streams on from where the
    /// reading stopped, with the same result. `0` streams from the first byte: memory then
    /// grows only with the result, never with the input.
    pub fn read_ahead(mut self, max_bytes: usize) -> Unpickler {
        self.read_ahead = max_bytes;
        self
    }

    /// With `true`, a container the pickle reaches more than once (through the memo) is
    /// loaded once, as [`crate::Value::Shared`], and referred to elsewhere by
    /// [`crate::Value::Ref`], so shared structure stays shared and cycles load (`l = [];
    /// l.append(l)` prints `[[...]]`, as in Python). Off by default: a load gives a tree,
    /// copying shared containers and refusing cycles with [`crate::ErrorKind::Cycle`].
    /// The layout and what stays a copy are described in [`crate::value::shared`]. Serde
    /// deserialization (feature `serde`) always reads trees.
    ///
    /// ```
    /// use unpickle::{Unpickler, Value};
    /// // l = []; l.append(l); pickle.dumps(l, protocol=2)
    /// let data = b"\x80\x02]q\x00h\x00a.";
    /// assert!(unpickle::from_slice(data).is_err());
    /// let v = Unpickler::new().shared_references(true).load_slice(data).unwrap();
    /// assert_eq!(v.to_string(), "[[...]]");
    /// let Value::Shared(s) = &v else { unreachable!() };
    /// assert!(matches!(&s.value, Value::List(items) if items[0] == Value::Ref(unpickle::value::Ref {
    ///     id: s.id,
    ///     kind: unpickle::value::RefKind::List,
    /// })));
    /// ```
    pub fn shared_references(mut self, on: bool) -> Unpickler {
        self.shared = on;
        self
    }

    /// The persistent loader, if one is set.
    pub(crate) fn get_persistent_load(&self) -> Option<Arc<dyn PersistentLoad>> {
        self.persistent.clone()
    }

    /// The limits in force.
    pub fn get_limits(&self) -> &Limits {
        &self.limits
    }

    /// The encoding of Python 2 strings in force.
    pub fn get_encoding(&self) -> Encoding {
        self.encoding
    }

    /// The read-ahead in force (see [`Unpickler::read_ahead`]).
    pub fn get_read_ahead(&self) -> usize {
        self.read_ahead
    }

    /// Runs the machine on one pickle from `dec`; with `record`, every global is recorded
    /// and refused ones are kept inert (a scan).
    pub(crate) fn run<'s, I: Input>(
        &'s self,
        dec: &mut Decoder<I>,
        buffers: Option<&'s mut (dyn Iterator<Item = Vec<u8>> + 's)>,
        record: Option<&'s mut Vec<GlobalUse>>,
        wants: Option<MemoWants>,
    ) -> Result<Value> {
        let setup = Setup {
            policy: &*self.policy,
            limits: &self.limits,
            encoding: self.encoding,
            extensions: self.extensions.as_ref(),
            persistent: self.persistent.as_deref(),
            buffers,
            record,
            wants,
            shared: self.shared,
        };
        Machine::new(setup).run(dec)
    }

    /// Loads one pickle from `data`; bytes after its STOP are an error.
    ///
    /// # Errors
    /// Any [`Error`]; never panics.
    pub fn load_slice(&self, data: &[u8]) -> Result<Value> {
        // No `buffers=` at all: NEXT_BUFFER is unsupported, as in `load_reader`.
        self.load_slice_from(data, None)
    }

    /// Loads one pickle from `data` whose protocol‑5 out-of-band buffers (NEXT_BUFFER)
    /// come from `buffers`, as Python's `buffers=`. A buffer loads as a `bytearray`, or as
    /// `bytes` after READONLY_BUFFER.
    ///
    /// # Errors
    /// Any [`Error`]; never panics.
    pub fn load_slice_with_buffers(
        &self,
        data: &[u8],
        buffers: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<Value> {
        let mut buffers = buffers.into_iter();
        self.load_slice_from(data, Some(&mut buffers))
    }

    fn load_slice_from<'s>(
        &'s self,
        data: &[u8],
        buffers: Option<&'s mut (dyn Iterator<Item = Vec<u8>> + 's)>,
    ) -> Result<Value> {
        let mut dec = Decoder::new(SliceInput::new(data), self.limits.clone());
        let value = self.run(&mut dec, buffers, None, MemoWants::scan(data))?;
        let end = dec.position();
        if end != data.len() as u64 {
            return Err(Error::malformed(format!(
                "{} bytes of data after STOP",
                data.len() as u64 - end
            ))
            .at(end, None));
        }
        Ok(value)
    }

    /// Loads one pickle from `reader`, consuming exactly up to its STOP and no further, so
    /// the next pickle in the same stream can be loaded by calling this again (after an
    /// error the reader may be anywhere up to that STOP). Any [`io::Read`] works wrapped in
    /// an [`io::BufReader`] (keep using that `BufReader`); `&[u8]` works as it is. Memory
    /// grows only with the bytes that actually arrive: the pickle itself, up to
    /// [`Unpickler::read_ahead`] bytes of it, and the result.
    ///
    /// # Errors
    /// Any [`Error`]; never panics.
    pub fn load_reader<R: io::BufRead>(&self, mut reader: R) -> Result<Value> {
        // Read the pickle whole when it is not too large, to load it as a slice (with the
        // memo look-ahead); otherwise, or on anything unusual, stream it (see
        // `decode::whole`). Either way the bytes, and so the outcome, are the same.
        if self.read_ahead == 0 {
            return self.stream(reader);
        }
        let mut buf = Vec::new();
        match read_whole(&mut reader, &mut buf, self.read_ahead) {
            // It ends exactly at its STOP, so the slice path's trailing-bytes check holds.
            Whole::Complete => self.load_slice_from(&buf, None),
            Whole::Partial(Some(error)) => {
                self.stream(io::Cursor::new(buf).chain(Failed(Some(error))))
            }
            Whole::Partial(None) => self.stream(io::Cursor::new(buf).chain(reader)),
        }
    }

    /// Every pickle in `reader`, one after another: an iterator that yields one value per
    /// pickle and ends (`None`) at a clean end of input; see [`crate::stream`].
    pub fn pickles<R: io::BufRead>(&self, reader: R) -> crate::stream::Pickles<R> {
        crate::stream::Pickles::new(self.clone(), reader)
    }

    /// Decodes one pickle from `reader` as it arrives.
    fn stream<R: io::BufRead>(&self, reader: R) -> Result<Value> {
        let mut dec = Decoder::new(IoInput::new(reader), self.limits.clone());
        self.run(&mut dec, None, None, None)
    }
}
