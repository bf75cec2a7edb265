//! The static report of every global a pickle references, with the policy's verdict.
//!
//! `scan` runs the same machine as a load, asking the same policy, but keeps refused
//! globals inert instead of stopping, so it reports every global a load would ask about —
//! however the names were built (STACK_GLOBAL from memoized strings, EXT codes …) — and it
//! covers every pickle in the input, not only the first.
//!
//! Persistent ids (PERSID, BINPERSID: how a torch checkpoint's `data.pkl` refers to its
//! storages) are reported too, and do not stop the scan: without a persistent loader each
//! one loads as the inert node [`crate::policy::inert_persistent_id`] makes; with one, the
//! loader is called as in a load. Either way the id is recorded in
//! [`PickleReport::persistent_ids`].
//!
//! A `.npy` file is recognised by its bytes ([`crate::npy::MAGIC`]): an object array's
//! pickle is scanned, a plain array has none. Every offset in a report is an offset in
//! `data`.
//!
//! ```
//! use unpickle::{scan, Unpickler};
//! // A harmless pickle, then the classic payload.
//! let data = b"\x80\x02K\x01.cos\nsystem\n(S'ls ~'\ntR.";
//! let reports = scan::scan(data, &Unpickler::new());
//! assert_eq!(reports.len(), 2);
//! let g = &reports[1].globals[0];
//! assert_eq!((g.offset, g.global.dotted(), g.verdict), (5, "os.system".to_owned(), "refused"));
//! ```

use std::sync::Arc;

use crate::decode::{Decoder, SliceInput};
use crate::error::Error;
use crate::limits::Limits;
use crate::load::Unpickler;
use crate::machine::GlobalUse;
use crate::npy;
use crate::policy::PersistentLoad;
use crate::value::Value;

/// What scanning one pickle found.
#[derive(Debug)]
pub struct PickleReport {
    /// Byte offset where the pickle starts.
    pub offset: u64,
    /// Every global the machine asked the policy about, in stream order.
    pub globals: Vec<GlobalUse>,
    /// Every persistent id the pickle loads, in stream order.
    pub persistent_ids: Vec<PersistentId>,
    /// The error that stopped the pickle (other than refusals and persistent ids, which
    /// scan records and passes), and its offset (the same as the error's own
    /// [`Error::offset`]: both count from the start of the data scanned).
    pub error: Option<(Error, Option<u64>)>,
}

/// One persistent id a pickle loads (PERSID or BINPERSID).
#[derive(Clone, Debug)]
pub struct PersistentId {
    /// Byte offset of the opcode.
    pub offset: u64,
    /// The id: a `str` for PERSID, any value for BINPERSID (torch: a tuple such as
    /// `('storage', torch.FloatStorage, '0', 'cpu', 6)`).
    pub pid: Value,
}

impl PickleReport {
    /// Whether any global was refused.
    pub fn any_refused(&self) -> bool {
        self.globals.iter().any(|g| g.verdict == "refused")
    }
}

/// Scans every pickle in `data` with `unpickler`'s policy, limits and hooks; a `.npy` file
/// is recognised by its magic string, and its object-array pickle (if any) is scanned.
/// Offsets count from the start of `data`.
pub fn scan(data: &[u8], unpickler: &Unpickler) -> Vec<PickleReport> {
    if !data.starts_with(npy::MAGIC) {
        return scan_slice(unpickler, data);
    }
    let header = match npy::parse_header(data) {
        Ok(h) => h,
        Err(e) => {
            let offset = e.offset();
            return vec![PickleReport {
                offset: 0,
                globals: Vec::new(),
                persistent_ids: Vec::new(),
                error: Some((e, offset)),
            }];
        }
    };
    if header.dtype.kind() != crate::value::DtypeKind::Object {
        return Vec::new();
    }
    let start = header.data_offset;
    let mut reports = scan_slice(unpickler, data.get(start..).unwrap_or_default());
    for r in &mut reports {
        r.shift(start as u64);
    }
    reports
}

impl PickleReport {
    /// Moves every offset by `base` (the report was made on data starting there).
    pub(crate) fn shift(&mut self, base: u64) {
        self.offset += base;
        for g in &mut self.globals {
            g.offset += base;
        }
        for p in &mut self.persistent_ids {
            p.offset += base;
        }
        if let Some((e, off)) = self.error.take() {
            let e = e.offset_by(base);
            let off = off.map(|o| o + base);
            self.error = Some((e, off));
        }
    }
}

/// Loads every pickle in `data`, one after another (each with a fresh memo), until the
/// bytes end; with every global recorded and refused ones kept inert, and every
/// persistent id recorded (kept inert when no loader is set). Offsets count from the start
/// of `data`.
fn scan_slice(unpickler: &Unpickler, data: &[u8]) -> Vec<PickleReport> {
    let mut reports = Vec::new();
    let mut start = 0usize;
    while start < data.len() {
        let rest = data.get(start..).unwrap_or_default();
        let recorder = Arc::new(PidRecorder {
            inner: unpickler.get_persistent_load(),
            pids: std::sync::Mutex::new(Vec::new()),
        });
        let scanner = unpickler
            .clone()
            .persistent_load(SharedRecorder(recorder.clone()));
        let mut dec = Decoder::new(SliceInput::new(rest), unpickler.get_limits().clone());
        let mut globals = Vec::new();
        let result = scanner.run(&mut dec, None, Some(&mut globals), None);
        let consumed = dec.position() as usize;
        let pids = recorder
            .pids
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        let failed = result.is_err();
        let mut report = PickleReport {
            offset: 0,
            globals,
            persistent_ids: pid_offsets(rest, unpickler.get_limits())
                .into_iter()
                .zip(pids)
                .map(|(offset, pid)| PersistentId { offset, pid })
                .collect(),
            error: result.err().map(|e| {
                let off = e.offset();
                (e, off)
            }),
        };
        report.shift(start as u64);
        reports.push(report);
        if failed || consumed == 0 {
            break;
        }
        start += consumed;
    }
    reports
}

/// The persistent loader scan installs: records every id, then calls the caller's loader
/// if there is one, or keeps the id inert.
struct PidRecorder {
    inner: Option<Arc<dyn PersistentLoad>>,
    pids: std::sync::Mutex<Vec<Value>>,
}

/// The recorder as the scanning unpickler holds it, shared with the scan loop.
struct SharedRecorder(Arc<PidRecorder>);

impl PersistentLoad for SharedRecorder {
    fn persistent_load(&self, pid: Value) -> std::result::Result<Value, String> {
        let this = &self.0;
        if let Ok(mut pids) = this.pids.lock() {
            pids.push(pid.clone());
        }
        match &this.inner {
            Some(loader) => loader.persistent_load(pid),
            None => Ok(crate::policy::inert_persistent_id(pid)),
        }
    }
}

/// The offsets of the PERSID and BINPERSID opcodes of the first pickle in `data`, in order
/// (the machine runs every opcode in order, so the n-th id it loads is the n-th of these).
fn pid_offsets(data: &[u8], limits: &Limits) -> Vec<u64> {
    let mut dec = Decoder::new(SliceInput::new(data), limits.clone());
    let mut offsets = Vec::new();
    while let Ok(Some(d)) = dec.next_instruction() {
        match d.opcode {
            crate::opcode::Opcode::PersId | crate::opcode::Opcode::BinPersId => {
                offsets.push(d.offset)
            }
            crate::opcode::Opcode::Stop => break,
            _ => {}
        }
    }
    offsets
}
