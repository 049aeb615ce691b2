//! Stage: render, machine formats for integrations. Input: a [`Report`]. Output: SARIF 2.1.0
//! (code scanning), GitHub workflow commands, and cargo's `compiler-message` JSON lines (editors
//! that run a custom check command, e.g. rust-analyzer's `check.overrideCommand`).
//!
//! SARIF and GitHub paths are relative to the repository root (the workspace may sit below it);
//! cargo-json spans are relative to the workspace root, as cargo's are. Invariant: deterministic
//! output, no timings; SARIF carries no absolute path.

use serde_json::{Value, json};
use serde_sarif::sarif;

use crate::error::{one_line, printable_source};
use crate::ir::Loc;
use crate::report::Report;
use crate::rules::{self, Level};

/// Where the docs of each rule are published (SARIF `helpUri`).
pub const DOCS_BASE: &str = "https://github.com/hotlint/hotlint/blob/main/rules/";

impl Report {
    /// The workspace root's path inside its git repository (`""` at the top, `crates/app/`).
    fn repo_prefix(&self) -> String {
        crate::git::Repo::open(&self.model.ws.root).map(|r| r.prefix).unwrap_or_default()
    }

    fn loc_path(&self, loc: &Loc) -> String {
        self.model.file_path(loc.file)
    }

    /// SARIF 2.1.0; every `artifactLocation.uri` is a relative URI reference (RFC 3986), so a
    /// path's spaces and non-ASCII characters are percent-encoded.
    pub fn to_sarif(&self) -> Value {
        let prefix = self.repo_prefix();
        let descriptors: Vec<sarif::ReportingDescriptor> = rules::all()
            .iter()
            .map(|r| {
                let level = match r.default_level {
                    Level::Deny => "error",
                    Level::Warn => "warning",
                    Level::Allow => "none",
                };
                sarif::ReportingDescriptor::builder()
                    .id(r.code)
                    .name(r.name.to_string())
                    .short_description(sarif::MultiformatMessageString::builder().text(r.summary.to_string()).build())
                    .full_description(
                        sarif::MultiformatMessageString::builder()
                            .text(first_paragraph(r.doc, "## What it finds"))
                            .build(),
                    )
                    .help(
                        sarif::MultiformatMessageString::builder()
                            .text(r.doc.to_string())
                            .markdown(r.doc.to_string())
                            .build(),
                    )
                    .help_uri(format!("{DOCS_BASE}{}-{}.md", r.code, r.name))
                    .default_configuration(sarif::ReportingConfiguration::builder().level(json!(level)).build())
                    .build()
            })
            .collect();
        let results: Vec<sarif::Result> = self
            .findings
            .iter()
            .map(|f| {
                let index = rules::all().iter().position(|r| r.code == f.code).unwrap_or(0) as i64;
                let level = match f.level {
                    Level::Deny => sarif::ResultLevel::Error,
                    Level::Warn => sarif::ResultLevel::Warning,
                    Level::Allow => sarif::ResultLevel::None,
                };
                let mut text = one_line(&f.draft.message);
                if let Some(h) = &f.draft.help {
                    text.push_str("\nhelp: ");
                    text.push_str(&one_line(h));
                }
                let mut fingerprints = std::collections::BTreeMap::new();
                fingerprints.insert("hotlint/v1".to_string(), f.fingerprint.clone());
                let locations: Vec<sarif::Location> = f
                    .draft
                    .primary
                    .iter()
                    .map(|(loc, _)| {
                        let region = sarif::Region::builder()
                            .start_line(loc.line as i64)
                            .start_column(loc.col as i64)
                            .end_line(loc.end_line.max(loc.line) as i64)
                            .end_column(loc.end_col.max(1) as i64)
                            .build();
                        sarif::Location::builder()
                            .physical_location(
                                sarif::PhysicalLocation::builder()
                                    .artifact_location(
                                        sarif::ArtifactLocation::builder()
                                            .uri(uri_reference(&format!("{prefix}{}", self.loc_path(loc))))
                                            .build(),
                                    )
                                    .region(region)
                                    .build(),
                            )
                            .build()
                    })
                    .collect();
                let mut result = sarif::Result::builder()
                    .rule_id(f.code.to_string())
                    .rule_index(index)
                    .level(level)
                    .message(sarif::Message::builder().text(text).build())
                    .partial_fingerprints(fingerprints)
                    .build();
                if !locations.is_empty() {
                    result.locations = Some(locations);
                }
                result
            })
            .collect();
        let driver = sarif::ToolComponent::builder()
            .name("hotlint".to_string())
            .version(env!("CARGO_PKG_VERSION").to_string())
            .information_uri("https://github.com/hotlint/hotlint".to_string())
            .rules(descriptors)
            .build();
        let run = sarif::Run::builder().tool(sarif::Tool::builder().driver(driver).build()).results(results).build();
        let log = sarif::Sarif::builder()
            .schema(sarif::SCHEMA_URL.to_string())
            .version(json!("2.1.0"))
            .runs(vec![run])
            .build();
        serde_json::to_value(log).unwrap_or(Value::Null)
    }

    /// One GitHub workflow command per finding.
    pub fn to_github(&self) -> String {
        let prefix = self.repo_prefix();
        let mut out = String::new();
        for f in &self.findings {
            let cmd = match f.level {
                Level::Deny => "error",
                _ => "warning",
            };
            let mut props = Vec::new();
            if let Some((loc, _)) = &f.draft.primary {
                props.push(format!("file={}", escape_property(&one_line(&format!("{prefix}{}", self.loc_path(loc))))));
                props.push(format!("line={}", loc.line));
                props.push(format!("col={}", loc.col));
                props.push(format!("endLine={}", loc.end_line.max(loc.line)));
                props.push(format!("endColumn={}", loc.end_col.max(1)));
            }
            props.push(format!("title={}", escape_property(&format!("{} {}", f.code, f.name))));
            // Each piece escaped on its own: the one line break is hotlint's.
            let mut message = one_line(&f.draft.message);
            if let Some(h) = &f.draft.help {
                message.push_str("\nhelp: ");
                message.push_str(&one_line(h));
            }
            out.push_str(&format!("::{cmd} {}::{}\n", props.join(","), escape_data(&message)));
        }
        out
    }

    /// cargo's `compiler-message` JSON lines, one per finding.
    pub fn to_cargo_json(&self) -> String {
        let m = &self.model;
        let mut out = String::new();
        for f in &self.findings {
            let package = f
                .draft
                .primary
                .as_ref()
                .and_then(|(l, _)| m.index.file_package.get(l.file as usize).copied().flatten())
                .and_then(|p| m.ws.packages.get(p))
                .or_else(|| m.ws.packages.first());
            let Some(pkg) = package else { continue };
            let manifest = m.ws.root.join(&pkg.dir).join("Cargo.toml");
            let target = pkg.lib().or_else(|| pkg.targets.first());
            let (tname, tkind, troot) = match target {
                Some(t) => (t.name.clone(), t.kind.as_str(), m.ws.root.join(&t.root)),
                None => (pkg.name.clone(), "lib", m.ws.root.join(&pkg.dir)),
            };
            let level = match f.level {
                Level::Deny => "error",
                _ => "warning",
            };
            let mut spans = Vec::new();
            let mut push_span = |loc: &Loc, label: &str, primary: bool| {
                let text = m.index.file(loc.file).map(|s| s.text.clone());
                let range = text.as_deref().map(|t| crate::report::byte_range(t, loc)).unwrap_or(0..0);
                let line_text = text
                    .as_deref()
                    .and_then(|t| t.lines().nth(loc.line.saturating_sub(1) as usize))
                    .map(|l| printable_source(l).into_owned())
                    .unwrap_or_default();
                spans.push(json!({
                    "file_name": self.loc_path(loc),
                    "byte_start": range.start,
                    "byte_end": range.end,
                    "line_start": loc.line,
                    "line_end": loc.end_line.max(loc.line),
                    "column_start": loc.col,
                    "column_end": loc.end_col.max(1),
                    "is_primary": primary,
                    "text": [{"text": line_text, "highlight_start": loc.col, "highlight_end": loc.end_col.max(loc.col)}],
                    "label": one_line(label),
                    "suggested_replacement": null,
                    "suggestion_applicability": null,
                    "expansion": null,
                }));
            };
            if let Some((loc, label)) = &f.draft.primary {
                push_span(loc, label, true);
            }
            for (loc, label) in &f.draft.labels {
                push_span(loc, label, false);
            }
            let mut children: Vec<Value> = f
                .draft
                .notes
                .iter()
                .map(|n| {
                    json!({"message": one_line(n), "code": null, "level": "note", "spans": [], "children": [], "rendered": null})
                })
                .collect();
            if let Some(h) = &f.draft.help {
                children.push(
                    json!({"message": one_line(h), "code": null, "level": "help", "spans": [], "children": [], "rendered": null}),
                );
            }
            let rendered = {
                let mut r = format!("{level}[{}]: {}\n", f.code, one_line(&f.draft.message));
                if let Some((loc, _)) = &f.draft.primary {
                    r.push_str(&format!("  --> {}:{}:{}\n", one_line(&self.loc_path(loc)), loc.line, loc.col));
                }
                r
            };
            let msg = json!({
                "reason": "compiler-message",
                "package_id": format!("path+file://{}#{}@{}", m.ws.root.join(&pkg.dir).display(), pkg.name, pkg.version),
                "manifest_path": manifest.display().to_string(),
                "target": {
                    "kind": [tkind],
                    "crate_types": [if tkind == "lib" { "lib" } else { "bin" }],
                    "name": tname,
                    "src_path": troot.display().to_string(),
                    "edition": if pkg.edition.is_empty() { "2021".to_string() } else { pkg.edition.clone() },
                    "doc": true,
                    "doctest": tkind == "lib",
                    "test": true,
                },
                "message": {
                    "rendered": rendered,
                    "$message_type": "diagnostic",
                    "children": children,
                    "code": {"code": f.code, "explanation": null},
                    "level": level,
                    "message": format!("{} ({})", one_line(&f.draft.message), f.name),
                    "spans": spans,
                },
            });
            out.push_str(&serde_json::to_string(&msg).unwrap_or_default());
            out.push('\n');
        }
        out
    }
}

fn first_paragraph(doc: &str, heading: &str) -> String {
    let after = doc.split_once(heading).map(|(_, rest)| rest).unwrap_or(doc);
    after.trim_start().split("\n\n").next().unwrap_or("").replace('\n', " ").trim().to_string()
}

/// Workflow command data: `%`, CR and LF are escaped.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow command properties additionally escape `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A relative `/` path as an RFC 3986 URI reference (SARIF 2.1.0 §3.10.3): every byte of its
/// UTF-8 other than an unreserved character (`A-Z a-z 0-9 - . _ ~`) or the `/` separator is
/// percent-encoded, so `src/my actor.rs` is `src/my%20actor.rs` and `ü` is `%C3%BC`. Written here
/// rather than taken from a crate: it is these few lines, and the set is SARIF's, not a URL's.
pub fn uri_reference(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
