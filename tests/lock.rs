//! The shipped-shape lock: `lock` writes it, `check` compares against it when there is no
//! `--base`, `lock` refuses to record a break (so refreshing the lock cannot launder one) unless
//! `--accept CODE:TYPE -- reason` records it, `lock --check` names what differs, and a removed type
//! stays in the lock as retired.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

const MANIFEST: &str = "[package]\nname = \"meter\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nractor = \"0.16\"\nserde = { version = \"1\", features = [\"derive\"] }\nbincode = \"1\"\n";

const V1: &str = r#"use ractor::Actor;
use serde::{Deserialize, Serialize};

pub struct Meter;

#[derive(Serialize, Deserialize)]
pub struct MeterState {
    pub total: u32,
}

#[derive(Serialize, Deserialize)]
pub struct Journal {
    pub entries: Vec<u8>,
}

impl MeterState {
    pub const STATE_VERSION: u32 = 1;

    pub fn code_change(from: u32, _old: &[u8]) -> Result<Self, String> {
        Err(format!("no migration from {from}"))
    }
}

impl Actor for Meter {
    type Msg = ();
    type State = MeterState;
    type Arguments = ();
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrates() {
        let _ = super::MeterState::code_change(1, &[]);
    }
}
"#;

fn setup(lib: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
    std::fs::write(dir.path().join("hotlint.toml"), "version = 1\n\n[[track]]\ntype = \"meter::Journal\"\n").unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).arg("--color").arg("never").current_dir(dir).output().unwrap()
}

fn lib(dir: &Path, text: &str) {
    std::fs::write(dir.join("src/lib.rs"), text).unwrap();
}

fn lock_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("hotlint.lock")).unwrap()
}

fn codes(dir: &Path) -> Vec<String> {
    let out = run(dir, &["--format", "json", "--no-deps"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["base"], "hotlint.lock");
    v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn lock_records_shapes_and_check_compares_against_it() {
    let dir = setup(V1);
    let out = run(dir.path(), &["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = lock_text(dir.path());
    assert!(text.starts_with("# hotlint.lock"));
    assert!(text.contains("version = 2"));
    assert!(text.contains("path = \"meter::MeterState\""));
    assert!(text.contains("pub total: u32"));
    assert!(text.find("meter::Journal").unwrap() < text.find("meter::MeterState").unwrap(), "sorted by path");
    // Nothing changed: no finding against the lock, `lock --check` is clean.
    assert!(codes(dir.path()).is_empty());
    assert_eq!(run(dir.path(), &["lock", "--check"]).status.code(), Some(0));
}

#[test]
fn refreshing_the_lock_cannot_launder_a_breaking_change() {
    let dir = setup(V1);
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    let before = lock_text(dir.path());
    lib(dir.path(), &V1.replace("pub total: u32", "pub total: u64"));
    assert_eq!(codes(dir.path()), ["HL002"]);
    let out = run(dir.path(), &["lock"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("HL002") && stdout.contains("hotlint.lock not written"), "{stdout}");
    assert_eq!(lock_text(dir.path()), before, "a refused lock leaves the file as it was");
    assert_eq!(codes(dir.path()), ["HL002"], "and the break is still reported");
    // `lock --check` names the entry that differs.
    let out = run(dir.path(), &["lock", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("meter::MeterState"));
}

#[test]
fn a_deliberate_break_is_recorded_with_its_reason() {
    let dir = setup(V1);
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    lib(dir.path(), &V1.replace("pub total: u32", "pub total: u64"));
    let out = run(dir.path(), &["lock", "--accept", "HL002:meter::MeterState"]);
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    let out = run(dir.path(), &["lock", "--accept", "HL002:meter::MeterState", "--", "totals", "overflowed"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(lock_text(dir.path()).contains("HL002: totals overflowed"));
    assert!(codes(dir.path()).is_empty());
}

#[test]
fn a_migrated_change_is_locked_without_acceptance() {
    let dir = setup(V1);
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    let migrated = V1
        .replace("pub total: u32", "pub total: u64")
        .replace("STATE_VERSION: u32 = 1", "STATE_VERSION: u32 = 2")
        .replace(
            "Err(format!(\"no migration from {from}\"))",
            "match from { 1 => Ok(MeterState { total: 0 }), _ => Err(format!(\"no migration from {from}\")) }",
        );
    lib(dir.path(), &migrated);
    assert!(codes(dir.path()).is_empty());
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    assert!(lock_text(dir.path()).contains("version = \"2\""));
}

#[test]
fn a_removed_type_stays_retired() {
    let dir = setup(V1);
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    std::fs::write(dir.path().join("hotlint.toml"), "version = 1\n").unwrap();
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    let text = lock_text(dir.path());
    let journal = text.split("[[type]]").find(|b| b.contains("meter::Journal")).unwrap();
    assert!(journal.contains("retired = true"), "{text}");
}

#[test]
fn a_broken_lock_is_an_error_naming_it() {
    let dir = setup(V1);
    std::fs::write(dir.path().join("hotlint.lock"), "version = 1\n[[type]]\npath = 3\n").unwrap();
    let out = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hotlint.lock:"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Format 2 writes one line per field: a one-field change is a one-line diff of the lock.
#[test]
fn a_one_field_change_is_a_one_line_diff() {
    let dir = setup(V1);
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    let before = lock_text(dir.path());
    // A compatible change (named format: an optional field) that `lock` records.
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST.replace("bincode = \"1\"", "serde_json = \"1\"")).unwrap();
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    let before = if before == lock_text(dir.path()) { before } else { lock_text(dir.path()) };
    lib(dir.path(), &V1.replace("pub entries: Vec<u8>,", "pub entries: Vec<u8>,\n    pub note: Option<String>,"));
    let out = run(dir.path(), &["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let after = lock_text(dir.path());
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let added: Vec<&&str> = new.iter().filter(|l| !old.contains(l)).collect();
    let removed: Vec<&&str> = old.iter().filter(|l| !new.contains(l)).collect();
    assert_eq!(added.len(), 1, "added lines: {added:?}\n{after}");
    assert!(added[0].contains("pub note:"), "{added:?}");
    assert!(removed.is_empty(), "removed lines: {removed:?}");
}

/// A lock in the first format (one string per definition) is still read, with a note on stderr
/// that `lock` rewrites it; `lock` writes format 2.
#[test]
fn an_old_format_lock_is_read_and_migrated() {
    let dir = setup(V1);
    let old = "version = 1\n\n[[type]]\npath = \"meter::Journal\"\nencoding = \"positional\"\ndefinitions = [\"meter::Journal = #[derive(::serde::Serialize, ::serde::Deserialize)] pub struct Journal { pub entries: ::std::vec::Vec<u8> }\"]\n";
    std::fs::write(dir.path().join("hotlint.lock"), old).unwrap();
    let out = run(dir.path(), &["--format", "json", "--no-deps"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("old format") && err.contains("`cargo hotlint lock` rewrites it"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["base"], "hotlint.lock");
    // The recorded Journal is the same: nothing about it is reported.
    let about_journal: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["type"] == "meter::Journal").collect();
    assert!(about_journal.is_empty(), "{about_journal:?}");
    // A change against the old lock is still found.
    lib(dir.path(), &V1.replace("pub entries: Vec<u8>,", "pub entries: Vec<u64>,"));
    assert!(codes(dir.path()).contains(&"HL002".to_string()));
    lib(dir.path(), V1);
    assert_eq!(run(dir.path(), &["lock"]).status.code(), Some(0));
    assert!(lock_text(dir.path()).contains("version = 2"));
}
