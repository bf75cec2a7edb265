//! What can be wrong with a checkpoint's container, as distinct error kinds (carried by
//! [`crate::ErrorKind::Checkpoint`]).

/// Why a file is not loaded as a checkpoint. Each hostile-container case has its own kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Neither a zip nor a legacy checkpoint (nor a bare pickle where one was allowed).
    #[error("not a PyTorch checkpoint: {0}")]
    NotACheckpoint(String),
    /// A TorchScript archive (`torch.jit.save`): its code would run in torch, so it is
    /// refused, as `torch.load(weights_only=True)` refuses it since 2.6.
    #[error("TorchScript archive refused: {0}")]
    TorchScript(String),
    /// The pre-0.4 tar format (`ustar` at offset 257), which torch itself refuses under
    /// `weights_only`.
    #[error("the pre-0.4 tar checkpoint format is refused (torch refuses it under weights_only)")]
    Tar,
    /// The zip's end records (end of central directory, ZIP64 locator or record) are
    /// missing, inconsistent with each other, or point outside the file.
    #[error("bad zip end record: {0}")]
    EndRecord(String),
    /// A central-directory or local header is malformed or lies outside the file.
    #[error("bad zip header: {0}")]
    Header(String),
    /// More entries than [`crate::torch::Loader::max_entries`].
    #[error("the zip has {count} entries, more than the limit of {max}")]
    TooManyEntries {
        /// Entries the central directory claims.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// An entry is compressed (deflated or another method) or encrypted. torch writes
    /// stored entries only; this reader does not inflate.
    #[error("zip entry {name:?} is {what}: only stored (uncompressed) entries are read")]
    Compressed {
        /// The entry.
        name: String,
        /// `deflated`, `compressed with method N` or `encrypted`.
        what: String,
    },
    /// Two entries with the same name, or names that differ only in letter case (torch's
    /// lookup ignores case, so which one it would read is unspecified).
    #[error("duplicate zip entry names {first:?} and {second:?} (torch's lookup ignores case)")]
    DuplicateName {
        /// The first name.
        first: String,
        /// The second.
        second: String,
    },
    /// The local header of an entry disagrees with its central-directory header.
    #[error("zip entry {name:?}: local and central headers disagree on {field}")]
    HeaderMismatch {
        /// The entry (its central-directory name).
        name: String,
        /// `name`, `method`, `size`, `flags`.
        field: &'static str,
    },
    /// Two entries' bytes overlap (a zip bomb's trick), or an entry runs past the end of the
    /// file or into the central directory.
    #[error("zip entry {name:?} {what}")]
    Overlap {
        /// The entry.
        name: String,
        /// What it overlaps.
        what: String,
    },
    /// An entry name that is absolute, has a `..` component, a backslash, a drive letter,
    /// a NUL, or is not UTF-8.
    #[error("unsafe zip entry name {0:?}")]
    UnsafeName(String),
    /// The first central-directory entry is not inside a folder, so the archive has no
    /// prefix (torch's reader refuses this too).
    #[error("the first zip entry {0:?} is not inside a folder, so the archive has no prefix")]
    NoFolder(String),
    /// An entry outside the prefix folder of the first entry (torch's reader refuses these
    /// too).
    #[error("zip entry {name:?} is not under the archive's prefix {prefix:?}")]
    MixedPrefix {
        /// The entry.
        name: String,
        /// The prefix taken from the first central-directory entry.
        prefix: String,
    },
    /// More than one `data.pkl` in the archive.
    #[error("more than one data.pkl: {first:?} and {second:?}")]
    TwoDataPkl {
        /// One.
        first: String,
        /// The other.
        second: String,
    },
    /// A record the format requires is missing (`data.pkl`, or a storage's `data/<key>`).
    #[error("missing record {0:?}")]
    MissingRecord(String),
    /// `byteorder` is neither `little` nor `big`.
    #[error("byteorder record must be 'little' or 'big', not {0:?}")]
    ByteOrder(String),
    /// The `version` record is outside 1–10 (torch reads 1..=0xA), or not a number.
    #[error("unsupported checkpoint version {0:?} (torch reads 1 to 10)")]
    Version(String),
    /// A storage's record does not have the size its persistent id claims, or one key is
    /// used with two dtypes or sizes.
    #[error("storage {key:?}: {message}")]
    Storage {
        /// The storage key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The legacy stream format is malformed (magic number, protocol, storage list or
    /// storage bytes).
    #[error("legacy checkpoint: {0}")]
    Legacy(String),
}
