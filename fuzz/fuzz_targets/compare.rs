//! Fuzz target (b): two revisions of `src/lib.rs` → shape comparison → every rule.
//!
//! The input is `base NUL head`; without a NUL byte, base and head are the same text. Invariants
//! checked: no panic, no hang, deterministic codes, and old → old reports no change (no HL002,
//! HL005 or HL010 when base and head are the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Rules that only fire on a difference between the revisions.
const CHANGE_RULES: [&str; 3] = ["HL002", "HL005", "HL010"];

fuzz_target!(|data: &[u8]| {
    let (base, head) = match data.iter().position(|b| *b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, data),
    };
    let codes = hotlint::fuzzing::compare_sources(base, head);
    assert_eq!(codes, hotlint::fuzzing::compare_sources(base, head), "compare_sources is not deterministic");
    if base == head {
        let changes: Vec<&&str> = codes.iter().filter(|c| CHANGE_RULES.contains(c)).collect();
        assert!(changes.is_empty(), "identical revisions reported a change: {changes:?}");
    }
});
