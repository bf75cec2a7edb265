//! `unpickle` loads Python pickle data from untrusted sources safely.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod decode;
pub mod dis;
pub mod error;
pub mod limits;
pub mod opcode;

pub use error::{Category, Error, ErrorKind, Result};
pub use limits::{Limit, Limits};
pub use opcode::Opcode;
