//! The static report of a checkpoint (`unpickle scan`): every pickle in it — every zip
//! member that is a pickle, not only `data.pkl`, and each of the legacy stream's five —
//! with the globals it names and the policy's verdicts, plus what a checkpoint should not
//! contain (TorchScript, members torch does not write, hidden pickles).

use std::sync::Arc;

use super::{zip, ByteOrder, CheckpointError, Format, Loader, Records, StorageLoader};
use crate::error::Result;
use crate::scan::PickleReport;

/// One pickle of a checkpoint, as scanned.
#[derive(Debug)]
pub struct MemberReport {
    /// The zip member's name, or the legacy pickle's role (`magic`, `protocol`,
    /// `sys_info`, `main`, `storage keys`).
    pub name: String,
    /// What scanning found; its offsets count from the start of the file.
    pub report: PickleReport,
}

/// What [`Loader::scan`] found in a checkpoint.
#[derive(Debug)]
pub struct CheckpointReport {
    /// Zip or legacy.
    pub format: Format,
    /// Every pickle, in file order.
    pub pickles: Vec<MemberReport>,
    /// Findings about the container: a TorchScript archive, members torch does not
    /// write, entries outside the prefix.
    pub warnings: Vec<String>,
    /// Whether one of the warnings is that the file is a TorchScript archive (which a
    /// load refuses).
    pub torchscript: bool,
}

const LEGACY_ROLES: [&str; 5] = ["magic", "protocol", "sys_info", "main", "storage keys"];

/// Whether a member name (below the prefix) is one torch.save writes.
fn expected_member(rel: &str) -> bool {
    matches!(
        rel,
        "data.pkl"
            | ".format_version"
            | ".storage_alignment"
            | "byteorder"
            | "version"
            | ".data/version"
            | ".data/serialization_id"
    ) || rel
        .strip_prefix("data/")
        .is_some_and(|k| !k.is_empty() && !k.contains('/'))
}

impl Loader {
    /// Scans a checkpoint without loading it: every pickle goes through the machine with
    /// this loader's policy and limits, refused globals kept inert so that all are
    /// reported; persistent ids resolve to storages without bytes.
    ///
    /// # Errors
    /// [`CheckpointError`] when the bytes are not a checkpoint or the zip container is
    /// not acceptable (the same checks as a load).
    pub fn scan(&self, data: &[u8]) -> Result<CheckpointReport> {
        let storages = Arc::new(StorageLoader::new(Records::Deferred, ByteOrder::Little));
        let unpickler = self.unpickler(storages);
        match super::detect(data) {
            Some(Format::Zip) => self.scan_zip(&unpickler, data),
            Some(Format::Legacy) => {
                let reports = crate::scan::scan_slice(&unpickler, data);
                let pickles = reports
                    .into_iter()
                    .zip(LEGACY_ROLES)
                    .map(|(report, role)| MemberReport {
                        name: role.to_owned(),
                        report,
                    })
                    .collect();
                Ok(CheckpointReport {
                    format: Format::Legacy,
                    pickles,
                    warnings: Vec::new(),
                    torchscript: false,
                })
            }
            Some(Format::Tar) => Err(CheckpointError::Tar.into()),
            None => Err(CheckpointError::NotACheckpoint(
                "neither a zip archive nor a legacy torch stream".into(),
            )
            .into()),
        }
    }

    fn scan_zip(&self, unpickler: &crate::Unpickler, data: &[u8]) -> Result<CheckpointReport> {
        let entries = zip::entries(data, self.max_entries)?;
        let mut warnings = Vec::new();
        let torchscript = match super::check_torchscript(&entries) {
            Ok(()) => false,
            Err(e) => {
                warnings.push(e.to_string());
                true
            }
        };
        let prefix = entries
            .first()
            .and_then(|e| e.name.split_once('/'))
            .map(|(p, _)| p.to_owned());
        let mut pickles = Vec::new();
        for e in &entries {
            let rel = prefix
                .as_deref()
                .and_then(|p| e.name.strip_prefix(p))
                .and_then(|r| r.strip_prefix('/'));
            let Some(rel) = rel else {
                warnings.push(format!(
                    "member {:?} is outside the archive's prefix",
                    e.name
                ));
                continue;
            };
            let bytes = data.get(e.data.clone()).unwrap_or_default();
            let storage = rel.starts_with("data/");
            let named_pickle = rel.to_lowercase().ends_with(".pkl");
            let looks_pickle =
                bytes.first() == Some(&0x80) && bytes.get(1).is_some_and(|&p| p <= 5);
            if !expected_member(rel) && !torchscript {
                warnings.push(format!("unexpected member {:?}", e.name));
            }
            if named_pickle || (looks_pickle && !storage) {
                if rel != "data.pkl" && !torchscript {
                    warnings.push(format!(
                        "member {:?} is a pickle other than data.pkl",
                        e.name
                    ));
                }
                for mut report in crate::scan::scan_slice(unpickler, bytes) {
                    report.shift(e.data.start as u64);
                    pickles.push(MemberReport {
                        name: e.name.clone(),
                        report,
                    });
                }
            }
        }
        Ok(CheckpointReport {
            format: Format::Zip,
            pickles,
            warnings,
            torchscript,
        })
    }
}
