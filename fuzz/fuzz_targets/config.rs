//! Fuzz target (c): a `hotlint.toml` text → configuration or a one-line error.
//!
//! Invariants checked: no panic, and an error is one line (it is printed as `error: …` and CI
//! logs show one line per problem).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(message) = hotlint::fuzzing::parse_config(text) {
        assert!(!message.contains('\n'), "configuration error spans lines: {message:?}");
    }
});
