//! The library's error type: why hotlint could not do its job (exit status 2).
//!
//! Problems in the user's *code* are findings, never errors. Each variant carries the path,
//! package or key that explains it, and its message is one line.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error(
        "could not find `Cargo.toml` in `{0}` or any parent directory; run hotlint inside a Cargo workspace or pass `--manifest-path`"
    )]
    NoManifest(String),
    #[error("manifest `{0}` does not exist")]
    ManifestMissing(String),
    #[error("failed to read `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("invalid manifest `{path}`{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    BadManifest { path: String, line: Option<usize>, message: String },
    #[error("package `{0}` is not a member of the workspace (see `cargo metadata --no-deps` for the members)")]
    UnknownPackage(String),
    #[error("{location}: {message}")]
    Config { location: String, message: String },
    #[error("unknown rule `{0}`; `cargo hotlint rules` lists them")]
    UnknownRule(String),
    #[error("{0}")]
    Usage(String),
    #[error("failed to write `{path}`: {message}")]
    Write { path: String, message: String },
}

pub type Result<T> = std::result::Result<T, Error>;

/// User text made safe for a one-line message: control characters are escaped as `{:?}` would
/// print them (`\n`, `\u{1b}`), so a file cannot split an error line or send escape sequences to
/// the terminal. Tabs become spaces.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_debug()),
            c => out.push(c),
        }
    }
    out
}
