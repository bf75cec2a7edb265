//! Every global a load asks the policy about is in `scan`'s report of that pickle, in the
//! same order, and scan reports nothing else unless the load stopped at a refusal. The first
//! byte picks the policy and limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpickle_fuzz::{check_scan_covers_load, config};

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, pickle)) = data.split_first() else {
        return;
    };
    let (policy, limits) = config(cfg);
    check_scan_covers_load(policy, pickle, limits);
});
