//! Fuzz target (d): a baseline file's text (`--baseline FILE`) → entries or a one-line error.
//! (`hotlint.lock` does not exist yet; when it does, its reader gets a target here too.)
//!
//! Invariants checked: no panic, and an error is one line with no control character (user text
//! in it is escaped, so a file cannot split the line or send escape sequences to the terminal).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(message) = hotlint::fuzzing::parse_baseline(text) {
        assert!(
            !message.chars().any(|c| c.is_control() && c != '\t'),
            "baseline error holds a control character: {message:?}"
        );
    }
});
