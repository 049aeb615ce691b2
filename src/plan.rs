//! `plan`: the upgrade a release implies, in the language of an OTP appup. Input: a report with
//! a comparison. Output: per actor and tracked type, what happens to its state on upgrade; per
//! remote message, whether old and new nodes understand each other; per dependency whose locked
//! version changed, the tracked types it reaches. As Markdown (a pull-request comment) or JSON.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::actors::State;
use crate::compare;
use crate::report::Report;
use crate::tracked::Reason;

#[derive(Debug, Clone)]
pub struct Entry {
    pub subject: String,
    pub kind: &'static str,
    pub verdict: String,
    pub detail: Vec<String>,
}

/// The plan's entries, deterministic order.
pub fn entries(r: &Report) -> Vec<Entry> {
    let m = &r.model;
    let Some(cmp) = &m.comparison else { return Vec::new() };
    let mut out = Vec::new();
    // Actors.
    let base_actors: BTreeSet<&str> =
        cmp.base.actors.actors.iter().filter(|a| !a.test).map(|a| a.id.as_str()).collect();
    let head_actors: BTreeSet<&str> = m.actors.actors.iter().filter(|a| !a.test).map(|a| a.id.as_str()).collect();
    for a in m.actors.actors.iter().filter(|a| !a.test) {
        let state_ty = match a.state {
            State::SelfType(t) | State::Local { ty: t, .. } => Some(t),
            _ => None,
        };
        let stateless =
            matches!(a.state, State::Unit) || state_ty.and_then(|t| crate::rules::data_fields(m, t)) == Some(0);
        let migration = m.migration_of_actor(a);
        let diff = state_ty.and_then(|t| cmp.diffs.iter().find(|d| d.head_ty == Some(t)));
        let verdict = if !base_actors.contains(a.id.as_str()) {
            "added".to_string()
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
        out.push(Entry {
            subject: a.id.clone(),
            kind: "actor",
            verdict,
            detail: vec![format!("{} actor", a.framework)],
        });
    }
    for gone in base_actors.difference(&head_actors) {
        out.push(Entry { subject: gone.to_string(), kind: "actor", verdict: "removed".into(), detail: Vec::new() });
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
            "added".to_string()
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
        let kind = if remote_only { "message" } else { "type" };
        out.push(Entry { subject: t.path.clone(), kind, verdict, detail });
    }
    let head_types: BTreeSet<&str> = m.tracked.values().map(|t| t.path.as_str()).collect();
    let matched_base: BTreeSet<u32> = cmp.diffs.iter().filter_map(|d| d.base_ty).collect();
    for (bty, t) in &cmp.base.tracked {
        if !matched_base.contains(bty) && !head_types.contains(t.path.as_str()) {
            out.push(Entry { subject: t.path.clone(), kind: "type", verdict: "removed".into(), detail: Vec::new() });
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

pub fn to_markdown(r: &Report) -> String {
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
            let detail = if e.detail.is_empty() { String::new() } else { format!("<br>{}", e.detail.join("<br>")) };
            s.push_str(&format!("| `{}` | {}{} |\n", e.subject, e.verdict, detail.replace('|', "\\|")));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "{} deny finding(s), {} warning(s); run `cargo hotlint check --base {base}` for details.\n",
        r.deny_count(),
        r.warn_count()
    ));
    s
}

fn short_head(h: &str) -> &str {
    if h.len() == 40 { crate::git::short(h) } else { h }
}

pub fn to_json(r: &Report) -> Value {
    json!({
        "schema": crate::report::SCHEMA_VERSION,
        "base": r.base,
        "head": r.head,
        "plan": entries(r).into_iter().map(|e| json!({"kind": e.kind, "item": e.subject, "verdict": e.verdict, "detail": e.detail})).collect::<Vec<_>>(),
        "summary": {"deny": r.deny_count(), "warn": r.warn_count()},
    })
}
