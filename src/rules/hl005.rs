//! HL005 message-changed-incompatibly: a remote message type changed so that old and new nodes
//! cannot read each other's messages (both directions), or its wire identity changed. A pure
//! addition that only old readers reject is a warning: safe once every node runs the new version.

use crate::compare::{self, Outcome};
use crate::findings::{Anchor, Draft};
use crate::model::Model;
use crate::tracked::Reason;

pub fn check(m: &Model) -> Vec<Draft> {
    let Some(cmp) = &m.comparison else { return Vec::new() };
    let mut out = Vec::new();
    let mut seen: std::collections::BTreeMap<(String, &str, String), usize> = std::collections::BTreeMap::new();
    for diff in &cmp.diffs {
        let Some(t) = diff.head_ty.and_then(|h| m.tracked.get(&h)) else { continue };
        if !t.reasons.iter().any(|r| matches!(r, Reason::Remote { .. })) {
            continue;
        }
        let Some(enc) = m.encodings.get(&t.ty) else { continue };
        let identity = identity_of(m, t);
        let name = t.path.rsplit("::").next().unwrap_or(&t.path).to_string();
        for c in &diff.changes {
            let judged = compare::judge(c, enc, (true, true));
            let (b, f) = (judged.backward == Outcome::Breaks, judged.forward == Outcome::Breaks);
            // A framework's identity rule is about the message type itself: a variant renamed in
            // an enum nested in a message's payload is judged by the encoding.
            let identity_break =
                identity.as_deref() == Some("variant-name") && c.kind == "variant-renamed" && c.def_path == t.path;
            if !(b || f || identity_break || judged.partial_only()) {
                continue;
            }
            let key = (c.def_key.clone(), c.kind, c.what.clone());
            if let Some(&i) = seen.get(&key) {
                if let Some(d) = out.get_mut(i) {
                    let d: &mut Draft = d;
                    d.notes.push(format!("it also reaches the remote message `{}`", t.path));
                }
                continue;
            }
            seen.insert(key, out.len());
            let silent = if judged.silent { " (silent: it decodes without error into wrong values)" } else { "" };
            let mut d = if identity_break {
                Draft::new(format!("{}: the variant name is the message's identity on the wire", c.what))
            } else if b && f {
                Draft::new(format!("{}: old and new nodes cannot read each other's `{name}` messages{silent}", c.what))
            } else if f {
                Draft::new(format!(
                    "{}: old nodes cannot read it; safe once every node runs the new version{silent}",
                    c.what
                ))
            } else if b {
                Draft::new(format!("{}: new nodes cannot read messages from old nodes{silent}", c.what))
            } else {
                Draft::new(format!(
                    "{}: some messages between old and new nodes do not read: {}",
                    c.what,
                    judged.partial.clone().unwrap_or_else(|| "it depends on the values sent".into())
                ))
            };
            d.warn_only = judged.partial_only()
                || (!identity_break && f && !b && matches!(c.kind, "variant-appended" | "field-added-optional"));
            d.package = c.head_loc.and_then(|l| m.package_of_file(l.file));
            if let Some(loc) = c.head_loc {
                d.primary(loc, "changed here");
                d.anchors.push(Anchor { file: loc.file, first_line: loc.line, header_line: loc.line });
            }
            if let Some((file, line, text)) = &c.base_loc {
                d.notes.push(format!("at base {}: {file}:{line}: `{text}`", crate::git::short(&cmp.base_commit)));
            }
            d.notes.push(format!(
                "`{}` crosses a process boundary ({}), encoded `{}`",
                t.path,
                reasons(t),
                enc.class.as_str()
            ));
            d.ty = Some(t.path.clone());
            d.help = Some(if d.warn_only {
                "roll the deploy out fully before any node sends the new form, or gate it behind a flag".into()
            } else if identity_break {
                "keep the variant's name; add a new variant for the new meaning".into()
            } else if c.kind == "field-added-required" && enc.class == crate::encoding::Class::Named {
                "make the new field `Option<…>` or give it `#[serde(default)]`: new nodes then read old messages, and old nodes skip the field they do not know".into()
            } else if let (Some(old), true) = (&c.old_name, matches!(c.kind, "field-renamed" | "variant-renamed")) {
                format!(
                    "keep the name on the wire with `#[serde(rename = \"{old}\")]` (the Rust name may change), or add a new message type for the new form"
                )
            } else {
                "add a new message type (or variant) for the new form and keep the old one until every node is upgraded"
                    .into()
            });
            d.key = format!("message:{}:{}:{}", c.def_key, c.kind, c.what);
            out.push(d);
        }
        // kameo's remote id: an explicit `#[remote_message("id")]`, else a hash of the package,
        // its major version, the module path and the names. Dropping or adding the explicit id,
        // or changing it, changes what old and new nodes route by.
        if identity.as_deref() == Some("type-hash") {
            let pinned_of = |actors: &crate::actors::Actors, ty: Option<u32>| -> Option<(Option<String>, String)> {
                actors.actors.iter().flat_map(|a| a.messages.iter().map(move |msg| (a, msg))).find_map(|(a, msg)| {
                    (msg.ty.is_some() && msg.ty == ty && msg.remote).then(|| (msg.pinned.clone(), a.id.clone()))
                })
            };
            let head_pin = pinned_of(&m.actors, Some(t.ty));
            let base_pin = diff.base_ty.and_then(|b| pinned_of(&cmp.base.actors, Some(b)));
            if let (Some((hp, actor)), Some((bp, _))) = (head_pin, base_pin) {
                let what = match (&bp, &hp) {
                    (Some(b), None) => Some(format!(
                        "`#[remote_message(\"{b}\")]` of `{name}` lost its explicit id: the id is now derived from the package, module and type names, and differs from `{b}`"
                    )),
                    (None, Some(h)) => Some(format!(
                        "`{name}` now has the explicit remote id `{h}`: it differs from the id derived before from the package, module and type names"
                    )),
                    (Some(b), Some(h)) if b != h => {
                        Some(format!("the explicit remote id of `{name}` changed: `{b}` → `{h}`"))
                    }
                    _ => None,
                };
                if let (Some(what), Some(item)) = (what, m.index.type_entry(t.ty).and_then(|e| m.index.item(e.item))) {
                    let mut d = Draft::new(format!(
                        "{what}; old and new nodes no longer route each other's `{name}` messages to `{actor}`"
                    ));
                    d.package = m.package_of_file(item.loc.file);
                    d.primary(item.loc, "remote message");
                    d.ty = Some(t.path.clone());
                    d.help = Some(match &bp {
                        Some(b) => format!("keep the explicit id: `#[remote_message(\"{b}\")]`"),
                        None => "keep the derived id (no explicit id) until every node is upgraded".into(),
                    });
                    d.key = format!("identity-pinned:{}", t.path);
                    out.push(d);
                }
            }
        }
        // kameo's default remote id contains the module path: a move changes it.
        let pinned = m.actors.actors.iter().flat_map(|a| &a.messages).any(|msg| msg.ty == Some(t.ty) && msg.pinned_id);
        if let (Some(from), Some("type-hash"), false) = (&diff.moved_from, identity.as_deref(), pinned) {
            if let Some(item) = m.index.type_entry(t.ty).and_then(|e| m.index.item(e.item)) {
                let mut d = Draft::new(format!(
                    "`{name}` moved from `{from}`: its remote message id (derived from the module path) changed"
                ));
                d.package = m.package_of_file(item.loc.file);
                d.primary(item.loc, "moved here");
                d.ty = Some(t.path.clone());
                d.help = Some("pin the id: `#[remote_message(\"…\")]` with the old id, or move it back".into());
                d.key = format!("identity-moved:{}", t.path);
                out.push(d);
            }
        }
    }
    out.extend(renamed_messages(m, cmp));
    out
}

/// kameo's default remote message id is derived from the message type's name: when one remote
/// message type of an actor is gone at the head and one new one appeared (a rename, or one
/// message replaced by another), old nodes send ids new nodes do not route, and back.
fn renamed_messages(m: &Model, cmp: &compare::Comparison) -> Vec<Draft> {
    use std::collections::BTreeMap;
    let remote_of = |reasons: &std::collections::BTreeSet<Reason>| -> Option<String> {
        reasons.iter().find_map(|r| match r {
            Reason::Remote { actor: Some(a) } => Some(a.clone()),
            _ => None,
        })
    };
    let matched_base: std::collections::BTreeSet<_> = cmp.diffs.iter().filter_map(|d| d.base_ty).collect();
    // Per receiving actor: head message types with no base counterpart, base ones with no head one.
    let mut appeared: BTreeMap<String, Vec<&crate::tracked::Tracked>> = BTreeMap::new();
    for d in cmp.diffs.iter().filter(|d| d.base_ty.is_none()) {
        let Some(t) = d.head_ty.and_then(|h| m.tracked.get(&h)) else { continue };
        let pinned = m.actors.actors.iter().flat_map(|a| &a.messages).any(|msg| msg.ty == Some(t.ty) && msg.pinned_id);
        if let (Some(actor), Some("type-hash"), false) = (remote_of(&t.reasons), identity_of(m, t).as_deref(), pinned) {
            appeared.entry(actor).or_default().push(t);
        }
    }
    let mut gone: BTreeMap<String, Vec<&crate::tracked::Tracked>> = BTreeMap::new();
    for (bty, bt) in &cmp.base.tracked {
        if matched_base.contains(bty) || m.index.type_by_path.contains_key(&bt.path) {
            continue;
        }
        if let Some(actor) = remote_of(&bt.reasons) {
            gone.entry(actor).or_default().push(bt);
        }
    }
    let mut out = Vec::new();
    for (actor, new) in &appeared {
        let (Some(old), [new]) = (gone.get(actor).map(Vec::as_slice), new.as_slice()) else { continue };
        let [old] = old else { continue };
        let Some(item) = m.index.type_entry(new.ty).and_then(|e| m.index.item(e.item)) else { continue };
        let short = |p: &str| p.rsplit("::").next().unwrap_or(p).to_string();
        let (old_name, new_name) = (short(&old.path), short(&new.path));
        let mut d = Draft::new(format!(
            "remote message `{old_name}` of `{actor}` is now `{new_name}`: its remote message id (derived from the type name) changed, so old and new nodes no longer route each other's messages"
        ));
        d.package = m.package_of_file(item.loc.file);
        d.primary(item.loc, "the message type at the head");
        d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
        d.notes.push(format!("`{}` at base {} is gone", old.path, crate::git::short(&cmp.base_commit)));
        d.ty = Some(new.path.clone());
        d.help = Some(format!(
            "pin the id: `#[remote_message(\"…\")]` with `{old_name}`'s old id, or keep the old name until every node is upgraded"
        ));
        d.key = format!("identity-renamed:{}:{}", old.path, new.path);
        out.push(d);
    }
    out
}

fn reasons(t: &crate::tracked::Tracked) -> String {
    t.reasons.iter().map(|r| r.describe()).collect::<Vec<_>>().join("; ")
}

/// The wire identity of the framework of the actors that receive this message, else of the
/// framework whose marker made it remote.
fn identity_of(m: &Model, t: &crate::tracked::Tracked) -> Option<String> {
    let identity = |fw: &str| m.profiles.iter().find(|p| p.name == fw)?.remote.as_ref()?.identity.clone();
    for r in &t.reasons {
        if let Reason::Remote { actor: Some(a) } = r {
            return identity(&m.actors.actors.iter().find(|x| &x.id == a)?.framework);
        }
    }
    identity(m.actors.remote_framework.get(&t.ty)?)
}
