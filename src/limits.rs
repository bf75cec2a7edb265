//! Resource budgets: every resource a pickle controls has one, with a safe default.
//!
//! The defaults load anything CPython's pickler writes at its default recursion limit
//! (nesting up to 1000) and any single object up to 512 MiB, while keeping a hostile
//! pickle's cost bounded: memory by [`Limits::max_result_bytes`], time by the input length
//! plus the budgets (every opcode does work bounded by its own input bytes or by a budget).

use std::fmt;

/// Names one budget of [`Limits`]; carried by [`crate::ErrorKind::Limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_result_bytes`].
    ResultBytes,
    /// [`Limits::max_item_len`].
    ItemLen,
    /// [`Limits::max_memo`].
    Memo,
    /// [`Limits::max_marks`].
    Marks,
    /// [`Limits::max_digits`].
    Digits,
    /// [`Limits::max_frame`].
    Frame,
    /// [`Limits::max_int_bits`].
    IntBits,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Depth => "nesting depth",
            Limit::ResultBytes => "total bytes of the result",
            Limit::ItemLen => "length of one item",
            Limit::Memo => "memo entries",
            Limit::Marks => "mark depth",
            Limit::Digits => "decimal digits of an integer",
            Limit::Frame => "frame size",
            Limit::IntBits => "bits of an integer",
        })
    }
}

/// Resource budgets for one load.
///
/// `Limits::default()` is the safe choice for untrusted input; [`Limits::unlimited`] is for
/// trusted data only. Setters take and return `self`:
///
/// ```
/// use unpickle::Limits;
/// let limits = Limits::default().max_depth(100).max_result_bytes(1 << 20);
/// assert_eq!(limits.get_max_depth(), 100);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub(crate) max_depth: u64,
    pub(crate) max_result_bytes: u64,
    pub(crate) max_item_len: u64,
    pub(crate) max_memo: u64,
    pub(crate) max_marks: u64,
    pub(crate) max_digits: u64,
    pub(crate) max_frame: u64,
    pub(crate) max_int_bits: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 1000,
            max_result_bytes: 1 << 30,
            max_item_len: 512 << 20,
            max_memo: 1 << 22,
            max_marks: 4096,
            max_digits: 4300,
            max_frame: 64 << 20,
            max_int_bits: 1 << 16,
        }
    }
}

macro_rules! knob {
    ($field:ident, $getter:ident, $doc:literal, $default:literal) => {
        #[doc = $doc]
        #[doc = ""]
        #[doc = concat!("The default is ", $default, ". Exceeding it is an error of kind [`crate::ErrorKind::Limit`].")]
        pub fn $field(mut self, value: u64) -> Limits {
            self.$field = value;
            self
        }

        #[doc = concat!("The value of [`Limits::", stringify!($field), "`] in force.")]
        pub fn $getter(&self) -> u64 {
            self.$field
        }
    };
}

impl Limits {
    /// No budget at all except what the machine itself needs: for trusted data only.
    ///
    /// With an unlimited depth, a value nested millions of levels deep can be built, and
    /// dropping or printing it recurses that deep and may overflow the thread's stack.
    pub fn unlimited() -> Limits {
        Limits {
            max_depth: u64::MAX,
            max_result_bytes: u64::MAX,
            max_item_len: u64::MAX,
            max_memo: u64::MAX,
            max_marks: u64::MAX,
            max_digits: u64::MAX,
            max_frame: u64::MAX,
            max_int_bits: u64::MAX,
        }
    }

    knob!(
        max_depth,
        get_max_depth,
        "How deeply containers and objects may nest in the result (a top-level `[[1]]` has depth 2). Printing and dropping a value at the default depth fit in a 2 MiB thread stack; cloning and comparing one (derived, recursive) do in optimized builds, but may need more in unoptimized ones.",
        "1000"
    );
    knob!(
        max_result_bytes,
        get_max_result_bytes,
        "Bytes the result may take: every value counts its in-memory size and its payload, and every copy made for a shared reference counts again.",
        "1 GiB"
    );
    knob!(
        max_item_len,
        get_max_item_len,
        "Length in bytes of one argument in the stream: a string, a byte string, a text line, a LONG4 integer.",
        "512 MiB"
    );
    knob!(
        max_memo,
        get_max_memo,
        "Entries in the memo (PUT, BINPUT, LONG_BINPUT, MEMOIZE).",
        "4194304"
    );
    knob!(max_marks, get_max_marks, "MARKs open at once.", "4096");
    knob!(
        max_digits,
        get_max_digits,
        "Decimal digits of an INT or LONG in text form (CPython refuses more than 4300).",
        "4300"
    );
    knob!(
        max_frame,
        get_max_frame,
        "Length a FRAME may declare.",
        "64 MiB"
    );
    knob!(
        max_int_bits,
        get_max_int_bits,
        "Bits of one integer (sign not counted): from LONG, LONG1 and LONG4 (whose text or byte length says nothing about it: `0x` text and sign padding), and in any value a constructor or the persistent loader returns. An integer that fits an `i64` always passes. The default is 4 × the largest RSA key in use (16,384 bits) and 4.6 × the largest int CPython converts to or from decimal text by default (4300 digits, about 14,300 bits); any operation on an int of that size takes microseconds, while a 64-Mbit one costs seconds in anything quadratic (decimal conversion, `gcd`).",
        "65536"
    );
}
