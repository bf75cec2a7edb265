//! The constructors of the `numpy` preset.

use crate::policy::Allowlist;

pub(super) fn allowlist() -> Allowlist {
    super::stdlib::allowlist()
}
