//! The one error type: what went wrong, where (byte offset) and in which opcode.

use std::fmt;

use crate::limits::Limit;
use crate::opcode::Opcode;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a valid pickle, or the pickle asks for something that cannot be
    /// done (stack underflow, a missing mark, an unhashable key, bad text in INT …).
    #[error("{0}")]
    Malformed(String),
    /// The input ended before the pickle did.
    #[error("truncated input: {0}")]
    Truncated(String),
    /// The policy refused a global the pickle names.
    #[error("refused global {module}.{name}")]
    Refused {
        /// The module, after the Python‑2 name mapping.
        module: String,
        /// The qualified name inside the module, after the Python‑2 name mapping.
        name: String,
    },
    /// A resource budget was exceeded.
    #[error("limit exceeded: {limit} (the limit is {max})")]
    Limit {
        /// Which budget.
        limit: Limit,
        /// Its configured value.
        max: u64,
    },
    /// The pickle contains a structure that cannot be a tree: an object that contains
    /// itself. [`crate::Unpickler::shared_references`] loads such pickles (except for a
    /// cycle through a dict key or set element, which stays this error).
    #[error("the pickle contains a reference cycle (an object that contains itself)")]
    Cycle,
    /// The pickle needs something the caller did not provide: a persistent-id loader, an
    /// extension registry entry, out-of-band buffers; or a value this crate does not
    /// represent (a lone surrogate in a string).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A constructor that the policy allowed rejected its arguments.
    #[error("{global}: {message}")]
    Construct {
        /// The dotted name of the global whose constructor failed.
        global: String,
        /// Why.
        message: String,
    },
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The loaded data does not fit the Rust type it is deserialized into (feature
    /// `serde`): what was expected and what was found; [`Error::path`] says where.
    #[error("{0}")]
    Deserialize(String),
    /// A PyTorch checkpoint's container is not acceptable (see [`crate::torch`]).
    #[error("{0}")]
    Checkpoint(crate::torch::CheckpointError),
    /// A loaded checkpoint cannot be written as safetensors (see [`crate::convert`]).
    #[error("{0}")]
    Convert(crate::convert::ConvertError),
}

/// A coarse classification of an [`Error`], the one the command-line tool maps to exit
/// codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Category {
    /// Malformed, truncated or invalid pickle (including cycles, unsupported features and
    /// rejected constructor arguments). Exit code 1.
    Invalid,
    /// Reading the input failed. Exit code 2.
    Io,
    /// The policy refused a global. Exit code 3.
    Refused,
    /// A resource limit was exceeded. Exit code 4.
    Limit,
}

/// An error with the byte offset of the opcode where it was met.
///
/// It is one pointer wide, so `Result<Value, Error>` stays small.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    offset: Option<u64>,
    opcode: Option<Opcode>,
    /// Where in the loaded value, as `[3].name` or `['config']['lr']` (empty: the top).
    path: Option<String>,
}

impl Error {
    /// A new error of `kind`, without position.
    #[cold]
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Inner {
            kind,
            offset: None,
            opcode: None,
            path: None,
        }))
    }

    #[cold]
    pub(crate) fn malformed(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Malformed(msg.into()))
    }

    #[cold]
    pub(crate) fn truncated(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Truncated(msg.into()))
    }

    #[cold]
    pub(crate) fn limit(limit: Limit, max: u64) -> Error {
        Error::new(ErrorKind::Limit { limit, max })
    }

    #[cold]
    pub(crate) fn unsupported(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported(msg.into()))
    }

    /// Sets the position if none is set yet (the innermost position wins).
    pub(crate) fn at(mut self, offset: u64, opcode: Option<Opcode>) -> Error {
        if self.0.offset.is_none() {
            self.0.offset = Some(offset);
            self.0.opcode = opcode;
        }
        self
    }

    /// Puts `segment` (`[3]`, `.name`, `['lr']`) in front of the path: called by each
    /// level of a deserialization the error passes on its way out.
    #[cold]
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) fn in_path(mut self, segment: &str) -> Error {
        let path = self.0.path.get_or_insert_with(String::new);
        path.insert_str(0, segment);
        self
    }

    /// Where in the loaded value the error was met, when it was met while deserializing
    /// into a Rust type (feature `serde`): `""` for the top, `[3].name`, `['config']['lr']`.
    pub fn path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }

    /// Moves the position by `base` bytes: for an error met in data that starts `base`
    /// bytes into a larger input (a later pickle in a stream, the pickle in a `.npy` file),
    /// so that the offset counts from the start of that input.
    pub(crate) fn offset_by(mut self, base: u64) -> Error {
        if let Some(offset) = self.0.offset.as_mut() {
            *offset = offset.saturating_add(base);
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The byte offset of the opcode where the error was met (the start of the opcode
    /// byte), where one applies.
    ///
    /// It counts from the start of the input of the call that returned the error:
    /// - [`crate::from_slice`], [`crate::Unpickler::load_slice`]: the slice;
    /// - [`crate::from_reader`], [`crate::Unpickler::load_reader`]: where the reader was
    ///   when the call began (the start of this pickle);
    /// - [`crate::stream::Pickles`]: the start of the stream, so the offset of an error in
    ///   the third pickle of a file is a file offset;
    /// - [`crate::npy::load`], [`crate::npy::parse_header`]: the start of the `.npy` file
    ///   (an object array's pickle starts at [`crate::npy::Header::data_offset`]);
    /// - [`crate::scan::scan`], [`crate::dis::dis`]: the start of the data given.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The opcode being executed or decoded, where one applies.
    pub fn opcode(&self) -> Option<Opcode> {
        self.0.opcode
    }

    /// The coarse class of the error.
    pub fn category(&self) -> Category {
        match &self.0.kind {
            ErrorKind::Refused { .. } => Category::Refused,
            ErrorKind::Limit { .. } => Category::Limit,
            ErrorKind::Checkpoint(c) => c.category(),
            ErrorKind::Convert(c) => c.category(),
            ErrorKind::Io(_) => Category::Io,
            _ => Category::Invalid,
        }
    }

    /// Whether the error is that the input ended too early (a streaming caller may retry
    /// with more data).
    pub fn is_eof(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Truncated(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.0.path {
            let path = if path.is_empty() { "the top" } else { path };
            write!(f, "at {path}: ")?;
        }
        fmt::Display::fmt(&self.0.kind, f)?;
        if let Some(offset) = self.0.offset {
            write!(f, " at offset {offset}")?;
        }
        if let Some(op) = self.0.opcode {
            write!(f, " ({op})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("opcode", &self.0.opcode)
            .field("path", &self.0.path)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}
