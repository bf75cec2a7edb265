//! CPython's failures, as the fixtures record them, against the crate's error for the same
//! input: kind AND message.
//!
//! A fixture records a failure as `ERROR: <Class>: <message>` (newlines in the message
//! written `\n`) or `REFUSED: module.name`. Unless the case is listed in
//! `tests/data/oracle_differences.tsv`, the crate must answer:
//! - `REFUSED: m.n`: `Refused { module: m, name: n }`;
//! - `EOFError`: `Truncated(message)`;
//! - any other class (`UnpicklingError`, `ValueError`, `TypeError`, `IndexError`,
//!   `UnicodeDecodeError`): `Malformed(message)`;
//!
//! with CPython's message, character for character. A listed case must fail with exactly
//! the `ErrorKind` (its `Debug` text) the list gives, the fixture must still say what the
//! list says CPython says (`(value)`: CPython loads a value), and every listed entry must
//! be met, so that the list cannot go stale.

#![allow(dead_code)] // each test binary uses its own part

use std::cell::Cell;
use std::fs;
use std::path::Path;

use unpickle::{Error, ErrorKind, Value};

/// One intentional difference.
struct Entry {
    /// `corpus:NAME`, `corpus:NAME[ENC]`, or a prefix ending in `*`.
    case: String,
    /// The fixture's text, or `(value)`.
    cpython: String,
    /// `format!("{:?}", kind)` of the crate's error.
    crate_error: String,
    met: Cell<usize>,
}

/// The committed list of intentional differences.
pub struct Differences(Vec<Entry>);

impl Differences {
    /// Reads `tests/data/oracle_differences.tsv`.
    pub fn load() -> Differences {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oracle_differences.tsv");
        let text = fs::read_to_string(&path).unwrap();
        let mut entries = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "oracle_differences.tsv: {line}");
            assert!(!cols[3].trim().is_empty(), "no reason given: {line}");
            entries.push(Entry {
                case: cols[0].to_owned(),
                cpython: cols[1].to_owned(),
                crate_error: cols[2].to_owned(),
                met: Cell::new(0),
            });
        }
        Differences(entries)
    }

    fn find(&self, case: &str, enc: &str) -> Option<&Entry> {
        let with_enc = format!("{case}[{enc}]");
        self.0.iter().find(|e| match e.case.strip_suffix('*') {
            Some(prefix) => case.starts_with(prefix),
            None => e.case == case || e.case == with_enc,
        })
    }

    /// Checks the crate's outcome `got` for `case` (`corpus:NAME`) under encoding `enc`
    /// against the fixture text `expected`. `Ok(true)`: the failure was checked;
    /// `Ok(false)`: CPython loaded a value and the case is not listed (the caller compares
    /// the values); `Err`: why the outcome is wrong.
    pub fn check(
        &self,
        case: &str,
        enc: &str,
        expected: &str,
        got: &Result<Value, Error>,
    ) -> Result<bool, String> {
        let cpython_failed = expected.starts_with("ERROR: ") || expected.starts_with("REFUSED: ");
        if let Some(entry) = self.find(case, enc) {
            entry.met.set(entry.met.get() + 1);
            let listed = if entry.cpython == "(value)" {
                !cpython_failed
            } else {
                entry.cpython == expected
            };
            if !listed {
                return Err(format!(
                    "the list says CPython gives {:?}, the fixture says {expected:?}",
                    entry.cpython
                ));
            }
            return match got {
                Err(e) if format!("{:?}", e.kind()) == entry.crate_error => Ok(true),
                _ => Err(format!("listed as {}", entry.crate_error)),
            };
        }
        if !cpython_failed {
            return Ok(false);
        }
        let Err(e) = got else {
            return Err("CPython failed, the crate loaded a value".into());
        };
        let ok = if let Some(global) = expected.strip_prefix("REFUSED: ") {
            matches!(e.kind(), ErrorKind::Refused { module, name }
                if format!("{module}.{name}") == global)
        } else {
            let rest = &expected["ERROR: ".len()..];
            let (class, message) = rest.split_once(": ").unwrap_or((rest, ""));
            let message = message.replace("\\n", "\n");
            match (class, e.kind()) {
                ("EOFError", ErrorKind::Truncated(m)) => *m == message,
                ("EOFError", _) => false,
                (_, ErrorKind::Malformed(m)) => *m == message,
                _ => false,
            }
        };
        if ok {
            Ok(true)
        } else {
            Err(format!(
                "expected the kind and message of {expected:?}, got {:?}",
                e.kind()
            ))
        }
    }

    /// Fails unless every entry whose case starts with `prefix` was met.
    #[track_caller]
    pub fn assert_all_met(&self, prefix: &str) {
        let stale: Vec<&str> = self
            .0
            .iter()
            .filter(|e| e.case.starts_with(prefix) && e.met.get() == 0)
            .map(|e| e.case.as_str())
            .collect();
        assert!(
            stale.is_empty(),
            "oracle_differences.tsv lists cases no test met: {stale:?}"
        );
    }
}
