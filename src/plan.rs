//! `plan`: the upgrade a release implies, in the language of an OTP appup. Input: a report with
//! a comparison. Output: per actor and tracked type, what happens to its state on upgrade; per
//! remote message, whether old and new nodes understand each other; per dependency whose locked
//! version changed, the tracked types it reaches. As Markdown (a pull-request comment) or JSON.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::actors::{Actor, State};
use crate::compare;
use crate::error::one_line;
use crate::findings::Finding;
use crate::matching;
use crate::report::Report;
use crate::rules::Level;
use crate::tracked::Reason;

#[derive(Debug, Clone)]
pub struct Entry {
    pub subject: String,
    pub kind: &'static str,
    pub verdict: String,
    pub detail: Vec<String>,
}

/// The history findings `check` reports about `subject` (a tracked type's path or an actor's id):
/// the plan reads the same comparison, so it never calls safe what `check` denies.
fn findings_about<'a>(r: &'a Report, subject: &str) -> Vec<&'a Finding> {
    r.findings
        .iter()
        .filter(|f| crate::rules::by_code(f.code).is_some_and(|rule| rule.history))
        .filter(|f| f.draft.ty.as_deref() == Some(subject) || f.draft.actor.as_deref() == Some(subject))
        .collect()
}

/// A verdict made consistent with `check`'s findings about the same item: one that says "safe"
/// while a deny finding stands is replaced, and every finding is listed in the detail.
fn with_findings(verdict: String, findings: &[&Finding], detail: &mut Vec<String>) -> String {
    for f in findings {
        detail.push(format!("{} ({}): {}", f.code, f.level.as_str(), f.draft.message));
    }
    let deny: Vec<&str> = findings.iter().filter(|f| f.level == Level::Deny).map(|f| f.code).collect();
    let says_broken =
        ["without migration", "breaking", "incompatible", "see findings"].iter().any(|w| verdict.contains(w));
    if deny.is_empty() || says_broken {
        return verdict;
    }
    let mut codes = deny;
    codes.dedup();
    format!("breaking: see {}", codes.join(", "))
}

/// The plan's entries, deterministic order.
pub fn entries(r: &Report) -> Vec<Entry> {
    let m = &r.model;
    let Some(cmp) = &m.comparison else { return Vec::new() };
    let mut out = Vec::new();
    // What is missing from a base that has files hotlint could not read is not known to be new.
    let unread: BTreeSet<&str> = cmp
        .base
        .index
        .files
        .iter()
        .filter(|f| f.error.is_some() && !cmp.base.is_dependency_file(f.id))
        .map(|f| f.rel_path.as_str())
        .collect();
    let outside = |f: &str| m.outside_repository.iter().find(|(_, dir)| f.starts_with(&format!("{dir}/")));
    let added = |file: Option<String>| match file {
        Some(f) if outside(&f).is_some() => format!(
            "unknown: package `{}` is outside the git repository, so it has no base (HL013)",
            outside(&f).map(|(n, _)| n.as_str()).unwrap_or_default()
        ),
        Some(f) if unread.contains(f.as_str()) => {
            format!("unknown: `{f}` could not be read at the base (HL013), so whether it is new cannot be told")
        }
        _ if !unread.is_empty() => "added, or defined in a base file hotlint could not read (HL013)".to_string(),
        _ => "added".to_string(),
    };
    // Actors, matched across revisions as types are: by id, else as the only move of that name.
    let base_actors: Vec<&Actor> = cmp.base.actors.actors.iter().filter(|a| !a.test).collect();
    let head_actors: BTreeSet<&str> = m.actors.actors.iter().filter(|a| !a.test).map(|a| a.id.as_str()).collect();
    let mut matched_actors: BTreeSet<&str> = BTreeSet::new();
    for a in m.actors.actors.iter().filter(|a| !a.test) {
        let state_ty = match a.state {
            State::SelfType(t) | State::Local { ty: t, .. } => Some(t),
            _ => None,
        };
        let before = matching::counterpart(
            &a.id,
            matching::name_of(&a.id),
            base_actors.iter().map(|b| (*b, b.id.as_str(), matching::name_of(&b.id))),
            |id| head_actors.contains(id),
        );
        let mut detail = vec![format!("{} actor", a.framework)];
        if let Some(b) = before {
            matched_actors.insert(b.id.as_str());
            if b.id != a.id {
                detail.push(format!("moved from `{}`", b.id));
            }
        }
        let stateless =
            matches!(a.state, State::Unit) || state_ty.and_then(|t| crate::rules::data_fields(m, t)) == Some(0);
        let migration = m.migration_of_actor(a);
        let diff = state_ty.and_then(|t| cmp.diffs.iter().find(|d| d.head_ty == Some(t)));
        let verdict = if before.is_none() {
            added(Some(m.file_path(a.decl.file)))
        } else if stateless {
            "stateless: restarted".to_string()
        } else if let Some(mig) = migration {
            match diff {
                Some(d) if crate::rules::bumped(d) => {
                    format!("migrated v{} → v{} ({})", show(&d.base_version), mig.version, mig.convention)
                }
                Some(d) if d.changes.is_empty() && d.opaque_changed.is_empty() => {
                    format!("state unchanged (v{}, {})", mig.version, mig.convention)
                }
                Some(_) => format!("state changed at v{} ({}): see findings", mig.version, mig.convention),
                None => format!("versioned v{} ({})", mig.version, mig.convention),
            }
        } else if m.actors.persisted.iter().any(|p| p.actor == a.id) {
            "state recovered from its journal and snapshots (tracked types below)".to_string()
        } else if m.is_ephemeral(&a.id) {
            "ephemeral: state rebuilt on start".to_string()
        } else {
            "state dropped and rebuilt (no migration)".to_string()
        };
        let verdict = with_findings(verdict, &findings_about(r, &a.id), &mut detail);
        out.push(Entry { subject: a.id.clone(), kind: "actor", verdict, detail });
    }
    for gone in base_actors.iter().filter(|b| !matched_actors.contains(b.id.as_str())) {
        out.push(Entry { subject: gone.id.clone(), kind: "actor", verdict: "removed".into(), detail: Vec::new() });
    }
    // Tracked types.
    for d in &cmp.diffs {
        let Some(t) = d.head_ty.and_then(|h| m.tracked.get(&h)) else { continue };
        let Some(enc) = m.encodings.get(&t.ty) else { continue };
        let remote_only = t.reasons.iter().all(|r| matches!(r, Reason::Remote { .. }));
        let need = compare::directions(t);
        let mut broken = (false, false);
        for c in &d.changes {
            let (b, f) = compare::breaks(c, enc.class, need);
            broken.0 |= b;
            broken.1 |= f;
        }
        let mut detail: Vec<String> = d.changes.iter().map(|c| c.what.clone()).collect();
        detail.extend(d.opaque_changed.iter().map(|(w, why)| format!("`{w}`: {why} (cannot verify)")));
        if let Some(from) = &d.moved_from {
            detail.push(format!("moved from `{from}`"));
        }
        let verdict = if d.base_ty.is_none() {
            let item = m.index.type_entry(t.ty).and_then(|e| m.index.item(e.item));
            added(item.map(|i| m.file_path(i.loc.file)))
        } else if d.changes.is_empty() && d.opaque_changed.is_empty() {
            "unchanged".to_string()
        } else if crate::rules::bumped(d) && !remote_only {
            let conv = t.migration.as_ref().map(|m| format!(" ({})", m.convention)).unwrap_or_default();
            format!("changed and migrated v{} → v{}{conv}", show(&d.base_version), show(&d.head_version))
        } else if remote_only {
            match broken {
                (false, false) => "compatible both ways".to_string(),
                (true, true) => "breaking in both directions: old and new nodes cannot talk".to_string(),
                (false, true) => "forward-incompatible: safe once every node runs the new version".to_string(),
                (true, false) => "backward-incompatible: new nodes cannot read old messages".to_string(),
            }
        } else if !(broken.0 || broken.1) {
            format!("changed, compatible ({})", enc.class.as_str())
        } else if crate::rules::bumped(d) {
            format!("changed and migrated v{} → v{}", show(&d.base_version), show(&d.head_version))
        } else {
            format!("changed without migration: data written before cannot be read ({})", enc.class.as_str())
        };
        let verdict = with_findings(verdict, &findings_about(r, &t.path), &mut detail);
        let kind = if remote_only { "message" } else { "type" };
        out.push(Entry { subject: t.path.clone(), kind, verdict, detail });
    }
    // Base types with no head counterpart: a remote message is filed with the messages.
    let head_types: BTreeSet<&str> = m.tracked.values().map(|t| t.path.as_str()).collect();
    let matched_base: BTreeSet<u32> = cmp.diffs.iter().filter_map(|d| d.base_ty).collect();
    for (bty, t) in &cmp.base.tracked {
        if !matched_base.contains(bty) && !head_types.contains(t.path.as_str()) {
            let remote_only = t.reasons.iter().all(|r| matches!(r, Reason::Remote { .. }));
            let (kind, verdict) = if remote_only {
                ("message", "removed: old nodes may still send it until every node runs the new version")
            } else {
                ("type", "removed")
            };
            out.push(Entry { subject: t.path.clone(), kind, verdict: verdict.into(), detail: Vec::new() });
        }
    }
    // Dependencies whose locked version changed, and the tracked types they reach.
    for (name, versions) in &m.lock {
        let before = cmp.base.lock.get(name);
        if before == Some(versions) || before.is_none() {
            continue;
        }
        let krate = name.replace('-', "_");
        let reached: Vec<String> = m
            .tracked
            .values()
            .filter(|t| t.closure.externals.iter().any(|e| e.starts_with(&format!("{krate}::"))))
            .map(|t| t.path.clone())
            .collect();
        if reached.is_empty() {
            continue;
        }
        let verdict = format!("{} → {}", before.map(|v| v.join(", ")).unwrap_or_default(), versions.join(", "));
        out.push(Entry {
            subject: name.clone(),
            kind: "dependency",
            verdict,
            detail: reached.iter().map(|p| format!("reaches `{p}`")).collect(),
        });
    }
    out.sort_by(|a, b| (order(a.kind), &a.subject).cmp(&(order(b.kind), &b.subject)));
    out
}

fn order(kind: &str) -> u8 {
    match kind {
        "actor" => 0,
        "type" => 1,
        "message" => 2,
        _ => 3,
    }
}

fn show(v: &Option<crate::migrations::Version>) -> String {
    v.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "?".into())
}

/// The plan as Markdown; `scope` is the user's own selection arguments (`-p node`,
/// `--manifest-path …`), repeated in the suggested `check` command so it checks what was planned.
pub fn to_markdown(r: &Report, scope: &[String]) -> String {
    let base = r.base.as_deref().map(crate::git::short).unwrap_or("?");
    let mut s = format!("## hotlint upgrade plan: `{base}` → `{}`\n\n", short_head(&r.head));
    let all = entries(r);
    let sections: BTreeMap<&str, &str> = [
        ("actor", "Actors"),
        ("type", "Persisted and versioned state"),
        ("message", "Remote messages"),
        ("dependency", "Dependencies"),
    ]
    .into_iter()
    .collect();
    for (kind, title) in [("actor", "Actors"), ("type", ""), ("message", ""), ("dependency", "")] {
        let title = if title.is_empty() { sections.get(kind).copied().unwrap_or(kind) } else { title };
        let rows: Vec<&Entry> = all.iter().filter(|e| e.kind == kind).collect();
        if rows.is_empty() {
            continue;
        }
        s.push_str(&format!(
            "### {title}\n\n| {} | on upgrade |\n|---|---|\n",
            if kind == "dependency" { "package" } else { "item" }
        ));
        for e in rows {
            let detail: String = e.detail.iter().map(|d| format!("<br>{}", cell(d))).collect();
            s.push_str(&format!("| `{}` | {}{detail} |\n", cell(&e.subject), cell(&e.verdict)));
        }
        s.push('\n');
    }
    let mut command = vec!["cargo hotlint check".to_string(), format!("--base {base}")];
    command.extend(scope.iter().cloned());
    s.push_str(&format!(
        "{} deny finding(s), {} warning(s); run `{}` for details.\n",
        r.deny_count(),
        r.warn_count(),
        command.join(" ")
    ));
    s
}

/// Text from the user's files as one Markdown table cell: escaped to one line (no control
/// character, no line break that would end the row), with the characters that would end the cell
/// or open markup (`|`, `<`, `>`) escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

fn short_head(h: &str) -> &str {
    if h.len() == 40 { crate::git::short(h) } else { h }
}

pub fn to_json(r: &Report) -> Value {
    json!({
        "schema": crate::report::SCHEMA_VERSION,
        "base": r.base,
        "head": r.head,
        "plan": entries(r).into_iter().map(|e| json!({"kind": e.kind, "item": one_line(&e.subject), "verdict": one_line(&e.verdict), "detail": e.detail.iter().map(|d| one_line(d)).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "summary": {"deny": r.deny_count(), "warn": r.warn_count()},
    })
}
