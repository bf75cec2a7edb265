//! The static report of every global a pickle references, with the policy's verdict.
//!
//! `scan` runs the same machine as a load, asking the same policy, but keeps refused
//! globals inert instead of stopping, so it reports every global a load would ask about —
//! however the names were built (STACK_GLOBAL from memoized strings, EXT codes …) — and it
//! covers every pickle in the input, not only the first.

use crate::error::Error;
use crate::load::Unpickler;
use crate::machine::GlobalUse;

/// What scanning one pickle found.
#[derive(Debug)]
pub struct PickleReport {
    /// Byte offset where the pickle starts.
    pub offset: u64,
    /// Every global the machine asked the policy about, in stream order.
    pub globals: Vec<GlobalUse>,
    /// The error that stopped the pickle (other than refusals, which scan records and
    /// passes), with its absolute offset.
    pub error: Option<(Error, Option<u64>)>,
}

impl PickleReport {
    /// Whether any global was refused.
    pub fn any_refused(&self) -> bool {
        self.globals.iter().any(|g| g.verdict == "refused")
    }
}

/// Scans every pickle in `data` with `unpickler`'s policy, limits and hooks.
pub fn scan(unpickler: &Unpickler, data: &[u8]) -> Vec<PickleReport> {
    unpickler.scan_slice(data)
}
