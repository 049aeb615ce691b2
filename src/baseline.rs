//! Baselines: record today's findings by fingerprint (`--write-baseline FILE`) so a team can
//! adopt hotlint on an old codebase and fail only on new findings (`--baseline FILE`).
//!
//! The file is JSON: `{"hotlint-baseline": 1, "findings": [{fingerprint, code, name, subject,
//! message}]}`, sorted by fingerprint. Fingerprints are stable across line moves and unrelated
//! edits (see `findings::fingerprint`). Invariant: written atomically, only when asked.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::findings::Finding;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(rename = "hotlint-baseline")]
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub code: String,
    pub name: String,
    pub subject: Option<String>,
    pub message: String,
}

pub fn of(findings: &[Finding]) -> Baseline {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            code: f.code.to_string(),
            name: f.name.to_string(),
            subject: f.draft.actor.clone().or_else(|| f.draft.ty.clone()),
            message: f.draft.message.clone(),
        })
        .collect();
    entries.sort();
    entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    Baseline { version: FORMAT_VERSION, findings: entries }
}

pub fn write(path: &Path, findings: &[Finding]) -> Result<()> {
    let mut text = serde_json::to_string_pretty(&of(findings)).unwrap_or_default();
    text.push('\n');
    crate::output::write_file(path, text.as_bytes())
}

pub fn read(path: &Path) -> Result<Baseline> {
    let text = crate::source::read_regular_text(path, crate::source::MAX_TEXT_BYTES)
        .map_err(|e| Error::Read { path: path.display().to_string(), message: e.to_string() })?;
    let b: Baseline = serde_json::from_str(&text).map_err(|e| Error::Config {
        location: format!("{}:{}", path.display(), e.line()),
        message: format!("not a hotlint baseline: {e}"),
    })?;
    if b.version != FORMAT_VERSION {
        return Err(Error::Config {
            location: path.display().to_string(),
            message: format!("baseline format {} is not supported (this hotlint writes {FORMAT_VERSION})", b.version),
        });
    }
    Ok(b)
}

/// Remove findings the baseline records; return the baseline entries that no longer occur.
pub fn apply(baseline: &Baseline, findings: &mut Vec<Finding>) -> (usize, Vec<Entry>) {
    let known: BTreeSet<&str> = baseline.findings.iter().map(|e| e.fingerprint.as_str()).collect();
    let current: BTreeSet<String> = findings.iter().map(|f| f.fingerprint.clone()).collect();
    let before = findings.len();
    findings.retain(|f| !known.contains(f.fingerprint.as_str()));
    let gone = baseline.findings.iter().filter(|e| !current.contains(&e.fingerprint)).cloned().collect();
    (before - findings.len(), gone)
}
