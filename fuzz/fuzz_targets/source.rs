//! Fuzz target (a): source text → index → actors → shapes → rules, as the crate's `src/lib.rs`.
//!
//! Invariants checked: no panic, no hang, and the same bytes give the same summary twice (the
//! pipeline is deterministic).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = hotlint::fuzzing::analyse_source(data);
    let second = hotlint::fuzzing::analyse_source(data);
    assert_eq!(first, second, "analyse_source is not deterministic");
});
