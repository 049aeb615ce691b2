//! Stage: render. Input: the [`Report`] (model + findings). Output: text in one of the formats.
//!
//! `human` is rustc-style through codespan-reporting; `json` is the stable machine interface
//! (schema in README). Invariant: output is deterministic — no timings, no absolute paths, sorted
//! lists — so two runs give identical bytes.

use std::collections::BTreeMap;

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use serde_json::{Value, json};

use crate::actors::State;
use crate::findings::Finding;
use crate::ir::Loc;
use crate::model::Model;
use crate::rules::{self, Level};

pub const SCHEMA_VERSION: u32 = 1;

pub struct Report {
    pub model: Model,
    pub findings: Vec<Finding>,
    pub base: Option<String>,
    pub head: String,
    /// With `--baseline`: how many findings it hid, and its entries that no longer occur.
    pub baseline: Option<(usize, Vec<crate::baseline::Entry>)>,
}

impl Report {
    pub fn deny_count(&self) -> usize {
        self.findings.iter().filter(|f| f.level == Level::Deny).count()
    }

    pub fn warn_count(&self) -> usize {
        self.findings.iter().filter(|f| f.level == Level::Warn).count()
    }

    fn file_path(&self, file: u32) -> String {
        self.model.file_path(file)
    }

    fn loc_json(&self, loc: &Loc) -> (String, u32, u32) {
        (self.file_path(loc.file), loc.line, loc.col)
    }

    fn state_display(&self, s: &State) -> String {
        match s {
            State::SelfType(t) | State::Local { ty: t, .. } => {
                self.model.index.type_entry(*t).map(|e| e.path.clone()).unwrap_or_default()
            }
            State::Other { display } => display.clone(),
            State::Unit => "()".into(),
            State::Unknown { written } => written.clone(),
        }
    }

    pub fn to_json(&self) -> Value {
        let m = &self.model;
        let mut actors: Vec<Value> = m
            .actors
            .actors
            .iter()
            .map(|a| {
                let (file, line, _) = self.loc_json(&a.decl);
                let migration = m.migration_of_actor(a).map(|mig| {
                    json!({
                        "convention": mig.convention,
                        "version": mig.version.to_json(),
                        "paths": mig.paths.iter().map(|p| json!({"from": p.from, "via": p.via})).collect::<Vec<_>>(),
                    })
                });
                json!({
                    "id": a.id,
                    "framework": a.framework,
                    "package": a.package.and_then(|p| m.ws.packages.get(p)).map(|p| p.name.clone()),
                    "file": file,
                    "line": line,
                    "state": self.state_display(&a.state),
                    "stateless": matches!(a.state, State::Unit) || match a.state {
                        State::SelfType(t) | State::Local { ty: t, .. } => rules::data_fields(m, t) == Some(0),
                        _ => false,
                    },
                    "messages": a.messages.iter().map(|msg| msg.path.clone()).collect::<Vec<_>>(),
                    "remote": a.remote,
                    "ephemeral": m.is_ephemeral(&a.id),
                    "test": a.test,
                    "migration": migration,
                })
            })
            .collect();
        actors.sort_by_key(|a| {
            (
                a["file"].as_str().unwrap_or("").to_string(),
                a["line"].as_u64(),
                a["id"].as_str().unwrap_or("").to_string(),
            )
        });
        let tracked: Vec<Value> = m
            .tracked
            .values()
            .map(|t| {
                let e = m.index.type_entry(t.ty);
                let item = e.and_then(|e| m.index.item(e.item));
                json!({
                    "type": t.path,
                    "file": item.map(|i| self.file_path(i.loc.file)),
                    "line": item.map(|i| i.loc.line),
                    "reasons": t.reasons.iter().map(|r| r.describe()).collect::<Vec<_>>(),
                    "remote": t.remote,
                    "migration": t.migration.as_ref().map(|mig| json!({"convention": mig.convention, "version": mig.version.to_json()})),
                    "shape": {
                        "types": t.closure.types.iter().filter_map(|x| m.index.type_entry(*x).map(|e| e.path.clone())).collect::<Vec<_>>(),
                        "external": t.closure.externals.iter().collect::<Vec<_>>(),
                        "versioned_nested": t.closure.boundaries.iter().filter_map(|x| m.index.type_entry(*x).map(|e| e.path.clone())).collect::<Vec<_>>(),
                        "opaque": t.closure.opaque.iter().map(|(w, why)| json!({"item": w, "why": why})).collect::<Vec<_>>(),
                        "unresolved": t.closure.unresolved.iter().collect::<Vec<_>>(),
                        "truncated": t.closure.truncated,
                    },
                })
            })
            .collect();
        let findings: Vec<Value> = self.findings.iter().map(|f| self.finding_json(f)).collect();
        let failures = m.index.files.iter().filter(|f| f.error.is_some() && !m.is_dependency_file(f.id)).count();
        let dep_failures = m.index.files.iter().filter(|f| f.error.is_some() && m.is_dependency_file(f.id)).count();
        let baseline = self.baseline.as_ref().map(|(hidden, gone)| {
            json!({"suppressed": hidden, "gone": gone.iter().map(|e| json!({"fingerprint": e.fingerprint, "code": e.code, "message": e.message})).collect::<Vec<_>>()})
        });
        json!({
            "schema": SCHEMA_VERSION,
            "tool": {"name": "hotlint", "version": env!("CARGO_PKG_VERSION")},
            "base": self.base,
            "head": self.head,
            "actors": actors,
            "tracked": tracked,
            "findings": findings,
            "baseline": baseline,
            "summary": {
                "files": m.workspace_files(),
                "actors": m.actors.actors.len(),
                "tracked": m.tracked.len(),
                "deny": self.deny_count(),
                "warn": self.warn_count(),
                "parse_failures": failures,
                "dependency_parse_failures": dep_failures + m.deps.as_ref().map_or(0, |d| d.parse_failures),
            },
        })
    }

    fn finding_json(&self, f: &Finding) -> Value {
        let d = &f.draft;
        let mut v = serde_json::Map::new();
        v.insert("code".into(), json!(f.code));
        v.insert("name".into(), json!(f.name));
        v.insert("level".into(), json!(f.level.as_str()));
        v.insert("message".into(), json!(d.message));
        v.insert("package".into(), json!(d.package));
        match &d.primary {
            Some((loc, _)) => {
                v.insert("file".into(), json!(self.file_path(loc.file)));
                v.insert("line".into(), json!(loc.line));
                v.insert("column".into(), json!(loc.col));
                v.insert("end_line".into(), json!(loc.end_line));
                v.insert("end_column".into(), json!(loc.end_col));
            }
            None => {
                v.insert("file".into(), Value::Null);
            }
        }
        v.insert("actor".into(), json!(d.actor));
        v.insert("type".into(), json!(d.ty));
        let labels: Vec<Value> = d
            .labels
            .iter()
            .map(|(l, msg)| json!({"file": self.file_path(l.file), "line": l.line, "column": l.col, "message": msg}))
            .collect();
        v.insert("labels".into(), json!(labels));
        v.insert("notes".into(), json!(d.notes));
        v.insert("help".into(), json!(d.help));
        v.insert("fingerprint".into(), json!(f.fingerprint));
        Value::Object(v)
    }

    /// rustc-style diagnostics followed by a summary line.
    pub fn to_human(&self, color: bool) -> String {
        let mut files = SimpleFiles::new();
        let mut ids: BTreeMap<u32, usize> = BTreeMap::new();
        let mut buffer = if color { term::termcolor::Buffer::ansi() } else { term::termcolor::Buffer::no_color() };
        let config = term::Config::default();
        for f in &self.findings {
            let d = &f.draft;
            let severity = match f.level {
                Level::Deny => Severity::Error,
                _ => Severity::Warning,
            };
            let mut diag = Diagnostic::new(severity).with_code(f.code).with_message(&d.message);
            let mut labels = Vec::new();
            let mut file_for = |loc: &Loc,
                                files: &mut SimpleFiles<String, std::sync::Arc<str>>|
             -> Option<(usize, std::ops::Range<usize>)> {
                let src = self.model.index.file(loc.file)?;
                let id = *ids.entry(loc.file).or_insert_with(|| files.add(src.rel_path.clone(), src.text.clone()));
                Some((id, byte_range(&src.text, loc)))
            };
            if let Some((loc, msg)) = &d.primary {
                if let Some((id, range)) = file_for(loc, &mut files) {
                    labels.push(Label::primary(id, range).with_message(msg));
                }
            }
            for (loc, msg) in &d.labels {
                if let Some((id, range)) = file_for(loc, &mut files) {
                    labels.push(Label::secondary(id, range).with_message(msg));
                }
            }
            diag = diag.with_labels(labels);
            let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
            if let Some(h) = &d.help {
                notes.push(format!("help: {h}"));
            }
            let default = rules::by_code(f.code).map(|r| r.default_level);
            if default == Some(f.level) {
                notes.push(format!(
                    "note: `{}` ({}) is {} by default; `cargo hotlint explain {}` for details",
                    f.name,
                    f.code,
                    f.level.as_str(),
                    f.code
                ));
            } else {
                notes.push(format!(
                    "note: `{}` ({}) set to {}; `cargo hotlint explain {}` for details",
                    f.name,
                    f.code,
                    f.level.as_str(),
                    f.code
                ));
            }
            if d.primary.is_none() {
                if let Some(p) = &d.package {
                    notes.insert(0, format!("note: in package `{p}`"));
                }
            }
            diag = diag.with_notes(notes);
            let _ = term::emit_to_write_style(&mut buffer, &config, &files, &diag);
        }
        let mut out = String::from_utf8_lossy(buffer.as_slice()).into_owned();
        out.push_str(&self.summary_line());
        out
    }

    pub fn summary_line(&self) -> String {
        let m = &self.model;
        let actors = m.actors.actors.iter().filter(|a| !a.test).count();
        let migrated = m.actors.actors.iter().filter(|a| !a.test && m.migration_of_actor(a).is_some()).count();
        let mut s = format!(
            "hotlint: {} file{}, {} actor{} ({} with a migration), {} tracked type{}: {} error{}, {} warning{}\n",
            m.workspace_files(),
            plural(m.workspace_files()),
            actors,
            plural(actors),
            migrated,
            m.tracked.len(),
            plural(m.tracked.len()),
            self.deny_count(),
            plural(self.deny_count()),
            self.warn_count(),
            plural(self.warn_count()),
        );
        if let Some((hidden, gone)) = &self.baseline {
            s.push_str(&format!("note: the baseline hid {hidden} known finding{}\n", plural(*hidden)));
            if !gone.is_empty() {
                s.push_str(&format!(
                    "note: {} baseline entr{} no longer occur{} (fixed; refresh it with `--write-baseline`): {}\n",
                    gone.len(),
                    if gone.len() == 1 { "y" } else { "ies" },
                    if gone.len() == 1 { "s" } else { "" },
                    gone.iter().map(|e| format!("{} {}", e.code, e.fingerprint)).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if !m.has_history {
            s.push_str("note: the rules that compare revisions (HL002, HL003, HL005, HL007, HL010) did not run: no `--base` and no hotlint.lock\n");
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Byte range of a location (columns are in characters).
pub fn byte_range(text: &str, loc: &Loc) -> std::ops::Range<usize> {
    let offset = |line: u32, col: u32| -> usize {
        let mut start = 0usize;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i as u32 + 1 == line {
                let in_line: usize = l.chars().take(col.saturating_sub(1) as usize).map(char::len_utf8).sum();
                return start + in_line;
            }
            start += l.len();
        }
        text.len()
    };
    let a = offset(loc.line, loc.col);
    let b = offset(loc.end_line.max(loc.line), if loc.end_line == 0 { loc.col } else { loc.end_col });
    if b > a { a..b } else { a..a }
}
