//! The legacy stream format (`torch.save` before 1.6, or with
//! `_use_new_zipfile_serialization=False`): five pickles — the magic number, the protocol
//! version 1001, `sys_info`, the main object, the list of storage keys — then, for each
//! key in that list, an int64 little-endian element count and the storage's raw bytes
//! (always little-endian). Every one of the five pickles goes through the restricted
//! machine with the loader's policy and limits.

use std::sync::Arc;

use num_bigint::BigInt;

use super::{ByteOrder, Checkpoint, CheckpointError, Format, Loader, Records, StorageLoader};
use crate::error::Result;
use crate::value::Value;
use crate::{Limits, Unpickler};

/// `0x1950a86a20f9469cfc6c`.
fn magic() -> BigInt {
    BigInt::from(0x1950_a86a_20f9_469c_fc6c_u128)
}

const PROTOCOL: i64 = 1001;

fn bad(msg: impl Into<String>) -> crate::Error {
    CheckpointError::Legacy(msg.into()).into()
}

/// Whether `data` starts with a pickle (of any protocol) whose value is the legacy magic
/// number. Loaded with the strict policy and small limits, from at most 256 bytes.
pub(super) fn first_pickle_is_magic(data: &[u8]) -> bool {
    let head = data.get(..data.len().min(256)).unwrap_or_default();
    let loader = Unpickler::new().limits(Limits::default().max_depth(4).max_result_bytes(4096));
    let mut rest = head;
    match loader.load_reader(&mut rest) {
        Ok(Value::BigInt(b)) => *b == magic(),
        _ => false,
    }
}

/// Loads a legacy checkpoint.
pub(super) fn load(loader: &Loader, buf: super::Buffer) -> Result<Checkpoint> {
    let data = buf.bytes();
    let storages = Arc::new(StorageLoader::new(Records::Deferred, ByteOrder::Little));
    let mut pos = 0usize;
    let mut next = |what: &str| -> Result<Value> {
        let rest = data.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            return Err(bad(format!("the file ends before the {what} pickle")));
        }
        let (v, used) = loader.load_one(rest, &storages)?;
        pos += used;
        Ok(v)
    };
    match next("magic number")? {
        Value::BigInt(b) if *b == magic() => {}
        other => return Err(bad(format!("wrong magic number {other}"))),
    }
    match next("protocol")? {
        Value::Int(PROTOCOL) => {}
        other => return Err(bad(format!("unsupported protocol version {other}"))),
    }
    // sys_info is read and ignored, as torch does; it must still be a dict.
    let sys_info = next("sys_info")?;
    if !matches!(sys_info, Value::Dict(_)) {
        return Err(bad(format!(
            "sys_info must be a dict, not '{}'",
            sys_info.type_name()
        )));
    }
    let value = next("main")?;
    let keys = match next("storage keys")? {
        Value::List(keys) => keys,
        other => {
            return Err(bad(format!(
                "the storage key list is a '{}', not a list",
                other.type_name()
            )))
        }
    };
    let state = storages
        .state
        .lock()
        .map_err(|_| bad("storage table poisoned"))?;
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    for key in &keys {
        let key = super::text(key).ok_or_else(|| bad(format!("storage key {key} is not a str")))?;
        if !seen.insert(key.clone()) {
            return Err(bad(format!("storage key {key:?} listed twice")));
        }
        let storage = state
            .by_key
            .get(&key)
            .ok_or_else(|| bad(format!("storage {key:?} is listed but no tensor uses it")))?;
        let count_at = pos;
        let count: [u8; 8] = data
            .get(count_at..count_at + 8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(format!("the file ends before the size of storage {key:?}")))?;
        let count = i64::from_le_bytes(count);
        if usize::try_from(count).ok() != Some(storage.numel()) {
            return Err(CheckpointError::Storage {
                key,
                message: format!(
                    "the file stores {count} elements, the pickle says {}",
                    storage.numel()
                ),
            }
            .into());
        }
        let start = count_at + 8;
        let end = start
            .checked_add(storage.nbytes())
            .filter(|&e| e <= data.len())
            .ok_or_else(|| bad(format!("the file ends inside storage {key:?}")))?;
        storage.fill(buf.clone(), start..end)?;
        pos = end;
    }
    // Every storage the pickle used must have been in the list (views are filled from
    // their roots below).
    let views: std::collections::HashSet<&str> =
        state.views.iter().map(|(v, _, _)| v.as_str()).collect();
    for key in &state.order {
        if !seen.contains(key) && !views.contains(key.as_str()) {
            return Err(bad(format!(
                "storage {key:?} is used but not in the key list"
            )));
        }
    }
    for (view, root, offset) in &state.views {
        let (Some(v), Some(r)) = (state.by_key.get(view), state.by_key.get(root)) else {
            continue;
        };
        if seen.contains(view) {
            return Err(bad(format!("view {view:?} is also listed as a storage")));
        }
        let es = r.dtype().element_size();
        let range = r
            .archive_range()
            .ok_or_else(|| bad(format!("storage {root:?} has no bytes")))?;
        let start = range.start + offset * es;
        v.fill(buf.clone(), start..start + v.nbytes())?;
    }
    drop(state);
    if pos != data.len() {
        return Err(bad(format!(
            "{} bytes after the last storage",
            data.len() - pos
        )));
    }
    Ok(Checkpoint {
        value,
        format: Format::Legacy,
        prefix: None,
        byte_order: ByteOrder::Little,
        version: None,
        entries: Vec::new(),
    })
}
