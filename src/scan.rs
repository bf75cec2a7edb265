//! The static report of every global a pickle references, with the policy's verdict.
//!
//! `scan` runs the same machine as a load, asking the same policy, but keeps refused
//! globals inert instead of stopping, so it reports every global a load would ask about —
//! however the names were built (STACK_GLOBAL from memoized strings, EXT codes …) — and it
//! covers every pickle in the input, not only the first.

use crate::decode::{Decoder, SliceInput};
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

/// Scans every pickle in `data` with `unpickler`'s policy, limits and hooks: loads each
/// one after another (each with a fresh memo) until the bytes end or one fails, with every
/// global recorded and refused ones kept inert.
pub fn scan(unpickler: &Unpickler, data: &[u8]) -> Vec<PickleReport> {
    let mut reports = Vec::new();
    let mut start = 0usize;
    while start < data.len() {
        let rest = data.get(start..).unwrap_or_default();
        let mut dec = Decoder::new(SliceInput::new(rest), unpickler.get_limits().clone());
        let mut globals = Vec::new();
        let result = unpickler.run(&mut dec, None, Some(&mut globals), None);
        for g in &mut globals {
            g.offset += start as u64;
        }
        let consumed = dec.position() as usize;
        let error = result.err().map(|e| {
            let off = e.offset().map(|o| o + start as u64);
            (e, off)
        });
        let failed = error.is_some();
        reports.push(PickleReport {
            offset: start as u64,
            globals,
            error,
        });
        if failed || consumed == 0 {
            break;
        }
        start += consumed;
    }
    reports
}
