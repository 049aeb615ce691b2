//! Fuzz target (d, second half): a `hotlint.lock` text → the recorded types, rebuilt into sources
//! and parsed (what comparing against the lock does), or a one-line error.
//!
//! Invariants checked: no panic, and an error is one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(message) = hotlint::fuzzing::parse_lock(text) {
        assert!(!message.contains('\n'), "lock error spans lines: {message:?}");
    }
});
