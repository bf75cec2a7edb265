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
    /// `('storage', torch.FloatStorage, '0', 'cpu', 6)`). `None` for an id larger than
    /// [`MAX_RECORDED_PID_BYTES`], or once the ids kept for one pickle reach
    /// [`MAX_RECORDED_PIDS_BYTES`] in all: the copies are outside the load's budgets, and
    /// BINPERSID is one byte, so a hostile pickle could otherwise make the report
    /// thousands of times larger than itself.
    pub pid: Option<Value>,
}

/// The largest persistent id (in bytes, as [`crate::Limits::max_result_bytes`] counts
/// them) a report keeps a copy of: ids written by real programs (torch's storage tuples)
/// take a few hundred.
pub const MAX_RECORDED_PID_BYTES: u64 = 1024;

/// The most bytes of persistent ids a report keeps copies of, for one pickle.
pub const MAX_RECORDED_PIDS_BYTES: u64 = 1 << 20;

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
pub(crate) fn scan_slice(unpickler: &Unpickler, data: &[u8]) -> Vec<PickleReport> {
    let mut reports = Vec::new();
    let mut start = 0usize;
    while start < data.len() {
        let rest = data.get(start..).unwrap_or_default();
        let recorder = Arc::new(PidRecorder {
            inner: unpickler.get_persistent_load(),
            pids: std::sync::Mutex::new(Vec::new()),
            kept: std::sync::atomic::AtomicU64::new(0),
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
    pids: std::sync::Mutex<Vec<Option<Value>>>,
    /// Bytes of ids copied into `pids` so far.
    kept: std::sync::atomic::AtomicU64,
}

/// The recorder as the scanning unpickler holds it, shared with the scan loop.
struct SharedRecorder(Arc<PidRecorder>);

impl PersistentLoad for SharedRecorder {
    fn persistent_load(&self, pid: Value) -> std::result::Result<Value, String> {
        let this = &self.0;
        use std::sync::atomic::Ordering::Relaxed;
        let size = crate::value::metrics(&pid).size;
        let small = size <= MAX_RECORDED_PID_BYTES;
        let keep = small && this.kept.load(Relaxed) + size <= MAX_RECORDED_PIDS_BYTES;
        if keep {
            this.kept.fetch_add(size, Relaxed);
        }
        if let Ok(mut pids) = this.pids.lock() {
            pids.push(keep.then(|| pid.clone()));
        }
        match &this.inner {
            Some(loader) => loader.persistent_load(pid),
            // The inert node holds the id only when it is small: the scan shows no value,
            // and a chain of BINPERSIDs, each id the last one's node, must not grow a
            // value by one level per opcode (each step would cost as much as the chain).
            None if small => Ok(crate::policy::inert_persistent_id(pid)),
            None => Ok(crate::policy::inert_persistent_id(Value::None)),
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

#[cfg(test)]
mod tests {
    use super::{scan, MAX_RECORDED_PIDS_BYTES};
    use crate::{ErrorKind, Limit, Unpickler};

    #[test]
    fn persistent_ids_are_reported_and_copies_stay_bounded() {
        // 20 000 BINPERSIDs, each of a 500-byte string: 10 MB of ids from a 10 MB pickle
        // would be fine, but the copies are outside the budgets: at most 1 MiB is kept.
        let mut p = b"\x80\x02".to_vec();
        for _ in 0..20_000 {
            p.extend_from_slice(b"X\xf4\x01\x00\x00");
            p.extend(std::iter::repeat_n(b'a', 500));
            p.extend_from_slice(b"Q0");
        }
        p.extend_from_slice(b"N.");
        let reports = scan(&p, &Unpickler::new());
        let [r] = reports.as_slice() else {
            panic!("{reports:?}")
        };
        assert!(r.error.is_none(), "{:?}", r.error);
        assert_eq!(r.persistent_ids.len(), 20_000);
        assert_eq!(r.persistent_ids[1].offset, 2 + 505 + 2 + 505);
        let kept = r.persistent_ids.iter().filter(|p| p.pid.is_some()).count();
        let per_id = 516; // 500 bytes and one 16-byte value
        assert!(
            kept <= (MAX_RECORDED_PIDS_BYTES / per_id) as usize && kept > 1000,
            "{kept}"
        );
        assert!(r.persistent_ids.last().is_some_and(|p| p.pid.is_none()));
    }

    #[test]
    fn a_chain_of_binpersids_does_not_grow_the_value() {
        // Each id is the node the previous one loaded as: without a bound the value grows
        // a level per opcode until the depth limit stops the scan at the 1000th.
        let mut p = b"\x80\x02N".to_vec();
        p.extend(std::iter::repeat_n(b'Q', 5000));
        p.push(b'.');
        let reports = scan(&p, &Unpickler::new());
        assert!(reports[0].error.is_none(), "{:?}", reports[0].error);
        assert_eq!(reports[0].persistent_ids.len(), 5000);
        // A load with a loader that wraps does stop at the depth limit.
        let wrap = Unpickler::new().persistent_load(crate::policy::InertPersistent);
        let e = wrap.load_slice(&p).unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Limit {
                    limit: Limit::Depth,
                    ..
                }
            ),
            "{e}"
        );
    }
}
