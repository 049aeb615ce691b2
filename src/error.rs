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
    #[error("invalid manifest `{path}`{at}{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    BadManifest {
        path: String,
        /// Where it was read when not from the working tree: ` at revision 1a2b3c4d5e6f`.
        at: String,
        line: Option<usize>,
        message: String,
    },
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
/// the terminal, and so are the invisible characters that reorder text on screen (bidirectional
/// overrides and isolates: "trojan source"). Tabs become spaces.
pub fn one_line(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_debug()),
            c if is_bidi_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The characters that change the display order of text around them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Source text as a terminal may show it: every character that is not printable (control
/// characters other than tab and line ends, bidirectional controls) is replaced by one of the
/// same UTF-8 length, so byte offsets and columns stay those of the file: `?` for a one-byte
/// control (ESC, DEL), `¿` for a two-byte one (C1: U+0080–U+009F), U+FFFD for a bidirectional
/// control (three bytes).
pub fn printable_source(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || is_bidi_control(c);
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                c if !unsafe_char(c) => c,
                c if c.len_utf8() == 1 => '?',
                c if c.len_utf8() == 2 => '\u{bf}',
                _ => '\u{fffd}',
            })
            .collect(),
    )
}
