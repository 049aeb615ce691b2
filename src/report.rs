//! Stage: render. Input: the [`Report`] (model + findings). Output: text in one of the formats.
//!
//! `human` is rustc-style through codespan-reporting; `json` is the stable machine interface
//! (schema in README). Invariant: output is deterministic — no timings, no absolute paths, sorted
//! lists — so two runs give identical bytes.

use std::collections::BTreeMap;

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term;
use serde_json::{Value, json};

use crate::actors::State;
use crate::error::{one_line, printable_source};
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
    /// How the base was chosen ("the merge base of `main` and the working tree"), for the
    /// human summary: a run without findings still says what it compared against.
    pub base_how: Option<String>,
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
                    "state": one_line(&self.state_display(&a.state)),
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
                    "reasons": t.reasons.iter().map(|r| one_line(&r.describe())).collect::<Vec<_>>(),
                    "remote": t.remote,
                    "migration": t.migration.as_ref().map(|mig| json!({"convention": mig.convention, "version": mig.version.to_json()})),
                    "shape": {
                        "types": t.closure.types.iter().filter_map(|x| m.index.type_entry(*x).map(|e| e.path.clone())).collect::<Vec<_>>(),
                        "external": t.closure.externals.iter().collect::<Vec<_>>(),
                        "versioned_nested": t.closure.boundaries.iter().filter_map(|x| m.index.type_entry(*x).map(|e| e.path.clone())).collect::<Vec<_>>(),
                        "opaque": t.closure.opaque.iter().map(|(w, why)| json!({"item": one_line(w), "why": one_line(why)})).collect::<Vec<_>>(),
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
                // As the human summary counts them: test-only actors are listed above
                // (`test: true`) but never reported, so they are not counted.
                "actors": m.actors.actors.iter().filter(|a| !a.test).count(),
                // Actors without a migration whose state is only handles, resources and
                // configuration (rules/rebuilt-on-start.toml): not HL001, counted here.
                "handles_only": rules::handle_only_actors(m),
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
        v.insert("message".into(), json!(one_line(&d.message)));
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
            .map(|(l, msg)| {
                json!({"file": self.file_path(l.file), "line": l.line, "column": l.col, "message": one_line(msg)})
            })
            .collect();
        v.insert("labels".into(), json!(labels));
        v.insert("notes".into(), json!(d.notes.iter().map(|n| one_line(n)).collect::<Vec<_>>()));
        v.insert("help".into(), json!(d.help.as_deref().map(one_line)));
        v.insert("fingerprint".into(), json!(f.fingerprint));
        Value::Object(v)
    }

    /// rustc-style diagnostics followed by a summary line.
    pub fn to_human(&self, color: bool) -> String {
        let mut out = self.render(&self.findings, color);
        out.push_str(&self.summary_line());
        out
    }

    /// rustc-style diagnostics of `findings`.
    fn render(&self, findings: &[Finding], color: bool) -> String {
        // Files whose lines are all short are shown as they are, shared by every diagnostic; a
        // file with a long line gets its own cut copy per diagnostic (see [`Snippet`]).
        let mut shared: BTreeMap<u32, Option<Snippet>> = BTreeMap::new();
        let mut buffer = if color { term::termcolor::Buffer::ansi() } else { term::termcolor::Buffer::no_color() };
        let config = term::Config::default();
        for f in findings {
            let d = &f.draft;
            let severity = match f.level {
                Level::Deny => Severity::Error,
                _ => Severity::Warning,
            };
            // Text from the user's files (names, serialized names, paths) reaches the terminal
            // escaped: no escape sequence, no line break that would forge another line.
            let mut diag = Diagnostic::new(severity).with_code(f.code).with_message(one_line(&d.message));
            // The labels' files and original byte ranges, then each file's snippet.
            let all_labels: Vec<(bool, &Loc, &String)> = d
                .primary
                .iter()
                .map(|(loc, msg)| (true, loc, msg))
                .chain(d.labels.iter().map(|(loc, msg)| (false, loc, msg)))
                .collect();
            let mut ranges: BTreeMap<u32, Vec<std::ops::Range<usize>>> = BTreeMap::new();
            for (_, loc, _) in &all_labels {
                if let Some(src) = self.model.index.file(loc.file) {
                    ranges.entry(loc.file).or_default().push(byte_range(&src.text, loc));
                }
            }
            let mut files = SnippetFiles::default();
            let mut ids: BTreeMap<u32, usize> = BTreeMap::new();
            for (&file, file_ranges) in &ranges {
                let Some(src) = self.model.index.file(file) else { continue };
                let whole = shared
                    .entry(file)
                    .or_insert_with(|| Snippet::whole(&src.rel_path, &src.text))
                    .clone()
                    .unwrap_or_else(|| Snippet::cut(&src.rel_path, &src.text, file_ranges));
                ids.insert(file, files.files.len());
                files.files.push(whole);
            }
            let mut labels = Vec::new();
            let mut next_range: BTreeMap<u32, usize> = BTreeMap::new();
            for (primary, loc, msg) in &all_labels {
                let (Some(&id), Some(file_ranges)) = (ids.get(&loc.file), ranges.get(&loc.file)) else { continue };
                let n = next_range.entry(loc.file).or_default();
                let Some(range) = file_ranges.get(*n) else { continue };
                *n += 1;
                let range = files.files.get(id).map(|s| s.display_range(range)).unwrap_or_default();
                let label = if *primary { Label::primary(id, range) } else { Label::secondary(id, range) };
                labels.push(label.with_message(one_line(msg)));
            }
            diag = diag.with_labels(labels);
            let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {}", one_line(n))).collect();
            if let Some(h) = &d.help {
                notes.push(format!("help: {}", one_line(h)));
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
                    notes.insert(0, format!("note: in package `{}`", one_line(p)));
                }
            }
            diag = diag.with_notes(notes);
            let _ = term::emit_to_write_style(&mut buffer, &config, &files, &diag);
        }
        String::from_utf8_lossy(buffer.as_slice()).into_owned()
    }

    pub fn summary_line(&self) -> String {
        let m = &self.model;
        let actors = m.actors.actors.iter().filter(|a| !a.test).count();
        let migrated = m.actors.actors.iter().filter(|a| !a.test && m.migration_of_actor(a).is_some()).count();
        let handles = rules::handle_only_actors(m);
        let handles = if handles == 0 { String::new() } else { format!(", {handles} whose state is only handles") };
        let mut s = format!(
            "hotlint: {} file{}, {} actor{} ({} with a migration{handles}), {} tracked type{}: {} error{}, {} warning{}\n",
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
        match (&self.base, &self.base_how) {
            (Some(base), how) if m.has_history => {
                let shown = if base.len() == 40 { crate::git::short(base) } else { base.as_str() };
                let how = how.as_deref().map(|h| format!(" ({h})")).unwrap_or_default();
                s.push_str(&format!("note: compared with `{shown}`{how}\n"));
            }
            _ => s.push_str("note: the rules that compare revisions (HL002, HL003, HL005, HL007, HL010) did not run: no `--base` and no hotlint.lock\n"),
        }
        s
    }

    /// `-q`: deny findings in full, every other finding on one line (`warning[HL001]:
    /// src/lib.rs:9:1: …`), no summary: what blocks is shown whole, the rest is not buried under.
    pub fn to_human_quiet(&self, color: bool) -> String {
        let mut out = String::new();
        for f in &self.findings {
            if f.level == Level::Deny {
                out.push_str(&self.render(std::slice::from_ref(f), color));
                continue;
            }
            let at = match &f.draft.primary {
                Some((loc, _)) => format!("{}:{}:{}: ", self.file_path(loc.file), loc.line, loc.col),
                None => f.draft.package.as_deref().map(|p| format!("package `{p}`: ")).unwrap_or_default(),
            };
            let head = format!("{}[{}]", f.level.as_str().replace("warn", "warning"), f.code);
            let head = if color { format!("\u{1b}[1;33m{head}\u{1b}[0m") } else { head };
            out.push_str(&format!("{head}: {at}{}\n", f.draft.message));
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Lines longer than this many characters are cut in snippets, as rustc cuts them: a window
/// around the labels, with `...` for what is left out (a generated one-line table of megabytes
/// would otherwise be printed whole, and again as the padding of its caret line).
pub const MAX_SNIPPET_LINE_CHARS: usize = 160;
/// Characters kept before the first label of a cut line.
const SNIPPET_CONTEXT_CHARS: usize = 40;

/// The text codespan shows for one file: the file itself, or a copy with its long lines cut.
/// Lines are never added or removed, so line numbers stay the file's; columns in the header
/// (`file:line:column`) are computed on the original line.
#[derive(Clone, Debug)]
struct Snippet {
    name: String,
    text: std::sync::Arc<str>,
    line_starts: std::sync::Arc<[usize]>,
    /// Lines that were cut, by line index.
    cuts: BTreeMap<usize, Cut>,
    original: std::sync::Arc<str>,
}

/// One cut line: the original bytes `window` are shown after `prefix` bytes (`...` or nothing).
#[derive(Clone, Debug)]
struct Cut {
    original_line: std::ops::Range<usize>,
    window: std::ops::Range<usize>,
    prefix: usize,
}

impl Snippet {
    /// The file as it is, or `None` when it has a line too long to show whole.
    fn whole(name: &str, text: &std::sync::Arc<str>) -> Option<Snippet> {
        // Bytes bound characters from above: most files need no character count at all.
        let long =
            text.split('\n').any(|l| l.len() > MAX_SNIPPET_LINE_CHARS && l.chars().count() > MAX_SNIPPET_LINE_CHARS);
        if long {
            return None;
        }
        let shown: std::sync::Arc<str> = match printable_source(text) {
            std::borrow::Cow::Borrowed(_) => text.clone(),
            std::borrow::Cow::Owned(s) => std::sync::Arc::from(s),
        };
        Some(Snippet {
            name: one_line(name),
            text: shown,
            line_starts: files::line_starts(text).collect(),
            cuts: BTreeMap::new(),
            original: text.clone(),
        })
    }

    /// The file with each long line cut to a window around the labels on it (`ranges`, byte
    /// ranges of the original), or around its start when no label is on it.
    fn cut(name: &str, text: &std::sync::Arc<str>, ranges: &[std::ops::Range<usize>]) -> Snippet {
        let mut shown = String::new();
        let mut cuts = BTreeMap::new();
        let mut start = 0usize;
        for (index, line) in text.split_inclusive('\n').enumerate() {
            let content = line.trim_end_matches(['\n', '\r']);
            let end = start + content.len();
            if content.len() <= MAX_SNIPPET_LINE_CHARS || content.chars().count() <= MAX_SNIPPET_LINE_CHARS {
                shown.push_str(line);
                start += line.len();
                continue;
            }
            // The labels' extent on this line, in original bytes.
            let on_line: Vec<usize> =
                ranges.iter().flat_map(|r| [r.start, r.end]).filter(|o| (start..=end).contains(o)).collect();
            let first = on_line.iter().copied().min().unwrap_or(start);
            let boundaries: Vec<usize> = content.char_indices().map(|(i, _)| start + i).chain([end]).collect();
            let at = boundaries.partition_point(|b| *b < first);
            let from_index = at.saturating_sub(SNIPPET_CONTEXT_CHARS);
            let to_index = (from_index + MAX_SNIPPET_LINE_CHARS).min(boundaries.len() - 1);
            let from = boundaries.get(from_index).copied().unwrap_or(start);
            let to = boundaries.get(to_index).copied().unwrap_or(end);
            let prefix = if from > start { "..." } else { "" };
            shown.push_str(prefix);
            shown.push_str(text.get(from..to).unwrap_or(""));
            if to < end {
                shown.push_str("...");
            }
            shown.push_str(line.get(content.len()..).unwrap_or(""));
            cuts.insert(index, Cut { original_line: start..end, window: from..to, prefix: prefix.len() });
            start += line.len();
        }
        // Same byte lengths: the ranges computed above still hold.
        let shown: std::sync::Arc<str> = std::sync::Arc::from(printable_source(&shown).into_owned());
        Snippet {
            name: one_line(name),
            line_starts: files::line_starts(&shown).collect(),
            text: shown,
            cuts,
            original: text.clone(),
        }
    }

    /// Where an original byte range is in the shown text; ends outside a cut window stick to
    /// the window's edge.
    fn display_range(&self, range: &std::ops::Range<usize>) -> std::ops::Range<usize> {
        if self.cuts.is_empty() {
            return range.clone();
        }
        let a = self.display_offset(range.start);
        let b = self.display_offset(range.end).max(a);
        a..b
    }

    fn display_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for cut in self.cuts.values() {
            if offset < cut.original_line.start {
                break;
            }
            let shown_len = cut.prefix + cut.window.len() + if cut.window.end < cut.original_line.end { 3 } else { 0 };
            if offset <= cut.original_line.end {
                let line_start = (cut.original_line.start as isize + shift).max(0) as usize;
                let clamped = offset.clamp(cut.window.start, cut.window.end);
                return line_start + cut.prefix + (clamped - cut.window.start);
            }
            shift += shown_len as isize - cut.original_line.len() as isize;
        }
        (offset as isize + shift).max(0) as usize
    }
}

/// The snippets of one diagnostic, for codespan.
#[derive(Default)]
struct SnippetFiles {
    files: Vec<Snippet>,
}

impl<'a> Files<'a> for SnippetFiles {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, files::Error> {
        self.files.get(id).map(|s| s.name.as_str()).ok_or(files::Error::FileMissing)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, files::Error> {
        self.files.get(id).map(|s| &*s.text).ok_or(files::Error::FileMissing)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, files::Error> {
        let snippet = self.files.get(id).ok_or(files::Error::FileMissing)?;
        Ok(snippet.line_starts.partition_point(|s| *s <= byte_index).saturating_sub(1))
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<std::ops::Range<usize>, files::Error> {
        let snippet = self.files.get(id).ok_or(files::Error::FileMissing)?;
        let start = snippet.line_starts.get(line_index).copied().ok_or(files::Error::LineTooLarge {
            given: line_index,
            max: snippet.line_starts.len().saturating_sub(1),
        })?;
        let end = snippet.line_starts.get(line_index + 1).copied().unwrap_or(snippet.text.len());
        Ok(start..end)
    }

    fn column_number(&'a self, id: usize, line_index: usize, byte_index: usize) -> Result<usize, files::Error> {
        let snippet = self.files.get(id).ok_or(files::Error::FileMissing)?;
        let line = self.line_range(id, line_index)?;
        let Some(cut) = snippet.cuts.get(&line_index) else {
            return Ok(files::column_index(&snippet.text, line, byte_index) + 1);
        };
        // The column on the original line.
        let in_window = byte_index.saturating_sub(line.start + cut.prefix).min(cut.window.len());
        let original = cut.window.start + in_window;
        Ok(files::column_index(&snippet.original, cut.original_line.start..cut.original_line.end, original) + 1)
    }
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
