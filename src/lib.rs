//! `unpickle` loads Python pickle data from untrusted sources safely.
//!
//! Nothing in a pickle is ever executed: the bytes are decoded into instructions, the
//! instructions run on a stack machine, and every global the pickle names is put to a
//! [`Policy`] that refuses it, keeps it as an inert symbolic node, or builds a native value
//! with Rust code. Every resource the input controls has a budget ([`Limits`]).
//!
//! ```
//! // pickle.dumps({'a': [1, 2.5, None]}, protocol=2)
//! let data = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00Nes.";
//! let value = unpickle::from_slice(data).unwrap();
//! assert_eq!(value.to_string(), "{'a': [1, 2.5, None]}");
//!
//! // The classic payload is refused at the GLOBAL that names it.
//! let err = unpickle::from_slice(b"cos\nsystem\n(S'ls ~'\ntR.").unwrap_err();
//! assert_eq!(err.to_string(), "refused global os.system at offset 0 (GLOBAL)");
//! ```
//!
//! # Threat model
//!
//! Promised for any input: nothing in a pickle is executed (no interpreter, no `unsafe`;
//! a global becomes a refusal, an inert node or a value a registered Rust function
//! builds); every route by which a pickle names a class or function reaches the
//! [`Policy`] with the name CPython's `find_class` would receive; no panic; memory bounded
//! by the [`Limits`] (lengths are checked before anything is allocated, shared subtrees
//! are charged per copy, a memo bomb is refused before copying, nesting past the depth
//! limit is refused as it happens); time linear in the input plus the budgets; the slice
//! and reader paths agree. Not promised: that an allowed class's arguments and state are
//! sensible (validate them), nor any bound once [`Limits::unlimited`] is used. The full
//! statement, with the tests and fuzz targets behind each promise, is the "Threat model"
//! section of the README.
//!
//! # Modules
//!
//! [`decode`] turns bytes into instructions, the machine runs them, [`policy`] decides
//! every global, [`presets`] are ready policies, [`value`] is the result, [`dis`] and
//! [`scan`] list and report, [`npy`] reads `.npy` files, [`torch`] reads PyTorch
//! checkpoints, [`convert`] writes them as safetensors, [`stream`] reads pickle after
//! pickle from one reader.
//!
//! # Cargo features
//!
//! | feature | default | adds | dependency |
//! |---|---|---|---|
//! | `serde` | off | the `unpickle::serde` module: `unpickle::serde::from_slice` / `from_reader` / `from_value` into any `Deserialize` type (plain-data pickles go straight to the type without building a [`Value`]), `Unpickler::deserialize_slice` / `deserialize_reader`, and `Serialize` / `Deserialize` for [`Value`] | `serde` |
//!
//! Nothing else is optional: without features the crate depends on `thiserror`,
//! `num-bigint`, `arcstr` and `thin-vec` only, and the command-line tool adds no
//! dependency. The crates whose types appear in [`Value`] are re-exported
//! ([`num_bigint`], [`arcstr`], [`thin_vec`]), so their versions always match this crate's.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod convert;
pub mod decode;
pub mod dis;
pub mod error;
pub mod json;
pub mod limits;
mod load;
mod machine;
pub mod npy;
pub mod opcode;
pub mod policy;
pub mod presets;
pub mod scan;
#[cfg(feature = "serde")]
pub mod serde;
pub mod stream;
pub mod torch;
pub mod value;
pub mod write;

pub use error::{Category, Error, ErrorKind, Result};
pub use limits::{Limit, Limits};
pub use load::{from_reader, from_slice, Unpickler};
pub use machine::{Encoding, GlobalUse};
pub use opcode::Opcode;
pub use policy::{Allowlist, Decision, Policy};
pub use value::{Dict, Key, Set, Value};
pub use write::{to_vec, to_writer, Protocol};

// The crates whose types `Value` holds (`Value::BigInt`, `Value::Str`, `Value::List` …), so
// users name them at the versions this crate uses without adding them as dependencies.
pub use arcstr;
pub use num_bigint;
pub use thin_vec;
