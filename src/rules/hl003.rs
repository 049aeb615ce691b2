//! HL003 migration-gap: a versioned type whose version changed without a path from the base
//! version, that went down, or whose added and removed fields are not marked for the new version.

use crate::findings::{Anchor, Draft};
use crate::ir::*;
use crate::migrations::{Migration, Version};
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    let Some(cmp) = &m.comparison else { return Vec::new() };
    let mut out = actor_and_state_versions(m);
    for diff in &cmp.diffs {
        let Some(t) = diff.head_ty.and_then(|h| m.tracked.get(&h)) else { continue };
        let Some(mig) = &t.migration else { continue };
        let (Some(base_v), Some(head_v)) = (&diff.base_version, &diff.head_version) else { continue };
        let name = t.path.rsplit("::").next().unwrap_or(&t.path).to_string();
        let mut push = |msg: String, loc: Loc, help: String, key: String| {
            let mut d = Draft::new(msg);
            d.package = m.package_of_file(loc.file);
            d.primary(loc, "here");
            d.anchors.push(Anchor { file: loc.file, first_line: loc.line, header_line: loc.line });
            d.ty = Some(t.path.clone());
            d.help = Some(help);
            d.key = key;
            out.push(d);
        };
        if let (Version::Int(a), Version::Int(b)) = (base_v, head_v) {
            if b < a {
                push(
                    format!("version of `{name}` went down from {a} to {b}"),
                    mig.loc,
                    format!("versions only go up: data written at version {a} exists; restore it and bump past {a}"),
                    format!("version-down:{}:{a}:{b}", t.path),
                );
                continue;
            }
            if b == a {
                continue;
            }
        } else if base_v == head_v || matches!(mig.convention.as_str(), "configured-constant") {
            continue;
        }
        // Bumped: is there a path from the base version?
        let covered = mig.paths.iter().any(|p| covers(&p.from, base_v));
        let needs_path = matches!(mig.convention.as_str(), "hotlint" | "versioned-enum" | "native_model" | "obake");
        if needs_path && !covered {
            let (what, help) = match mig.convention.as_str() {
                "hotlint" => (
                    format!(
                        "`{name}` moved from version {base_v} to {head_v}, but `code_change` has no arm for {base_v}"
                    ),
                    format!(
                        "add `{base_v} => …` to the `match from` in `code_change`, converting the version-{base_v} state"
                    ),
                ),
                "versioned-enum" => (
                    format!("`{name}` gained version {head_v}, but nothing converts version {base_v} to it"),
                    format!(
                        "add `impl From<…V{base_v} state…> for …V{head_v} state…`, or an arm for `V{base_v}` in the upgrade function"
                    ),
                ),
                other => (
                    format!("`{name}` moved from version {base_v} to {head_v} with no `{other}` path from {base_v}"),
                    format!("add the conversion from version {base_v} (`From` impl)"),
                ),
            };
            push(what, mig.loc, help, format!("no-path:{}:{base_v}", t.path));
        }
        if matches!(mig.convention.as_str(), "revision" | "versionize") {
            field_marks(m, t.ty, mig, base_v, head_v, diff, &mut out);
        }
    }
    out
}

/// Whether a path's `from` (`1`, `2..=4`, `1 | 3`, `*`, `<3`) covers a version.
fn covers(from: &str, v: &Version) -> bool {
    let Version::Int(n) = v else { return from == v.to_string() || from == "*" };
    if from == "*" {
        return true;
    }
    from.split('|').map(str::trim).any(|part| {
        if let Some(end) = part.strip_prefix('<') {
            return end.trim().parse::<u64>().is_ok_and(|e| *n < e);
        }
        if let Some((a, b)) = part.split_once("..=") {
            return a.trim().parse::<u64>().is_ok_and(|a| a <= *n) && b.trim().parse::<u64>().is_ok_and(|b| *n <= b);
        }
        part.parse::<u64>().is_ok_and(|x| x == *n)
    })
}

/// revision/versionize: fields added since the base must start at the new version.
fn field_marks(
    m: &Model,
    ty: u32,
    mig: &Migration,
    base_v: &Version,
    head_v: &Version,
    diff: &crate::compare::TypeDiff,
    out: &mut Vec<Draft>,
) {
    let Some(entry) = m.index.type_entry(ty) else { return };
    let Some(Item { kind: ItemKind::Type(def), .. }) = m.index.item(entry.item) else { return };
    let attr_name = if mig.convention == "revision" { "revision" } else { "version" };
    // A field gone from the struct: data written before still carries it, and the convention can
    // only skip it when the field stays, marked `end = N` (with a `convert_fn` if its value moves).
    for c in diff.changes.iter().filter(|c| c.def_path == entry.path && c.kind == "field-removed") {
        let mut d = Draft::new(format!(
            "{} at version {head_v}: data written at version {base_v} still has it, and `{}` cannot skip a field it no longer declares",
            c.what, mig.convention
        ));
        d.package = m.package_of_file(mig.loc.file);
        d.primary(mig.loc, "version declared here");
        d.ty = Some(entry.path.clone());
        d.help = Some(format!(
            "keep the field, marked `#[{attr_name}(start = …, end = {head_v})]` (with `convert_fn = \"…\"` to carry its value into the new shape)"
        ));
        d.key = format!("field-removed-no-end:{}:{}", entry.path, c.what);
        out.push(d);
    }
    for c in diff.changes.iter().filter(|c| c.def_path == entry.path && c.kind.starts_with("field-added")) {
        let Some(loc) = c.head_loc else { continue };
        let Some(field) = def.fields.iter().find(|f| f.loc == loc) else { continue };
        let start = field
            .attrs
            .iter()
            .filter(|a| a.is(attr_name))
            .find_map(|a| meta_get(a.list(), "start").and_then(|s| s.value_str()).map(str::to_string));
        // Data written at the base version (or before) has no such field: `start` must be above
        // it (a version skipped in between is fine), and not above the head's.
        let ok = match (&start, base_v, head_v) {
            (Some(s), Version::Int(b), Version::Int(h)) => s.parse::<u64>().is_ok_and(|s| s > *b && s <= *h),
            (Some(_), _, _) => true,
            (None, _, _) => false,
        };
        if !ok {
            let fname = field.name.clone().unwrap_or_default();
            let mut d = Draft::new(format!(
                "field `{fname}` added to `{}` at version {head_v} without `#[{attr_name}(start = {head_v})]`: data written at version {base_v} has no such field",
                entry.name
            ));
            d.package = m.package_of_file(loc.file);
            d.primary(loc, "added here");
            d.anchors.push(Anchor { file: loc.file, first_line: loc.line, header_line: loc.line });
            d.ty = Some(entry.path.clone());
            d.help = Some(format!(
                "mark it `#[{attr_name}(start = {head_v})]` (with `default_fn = \"…\"` if it needs a value for old data)"
            ));
            d.key = format!("field-no-start:{}:{fname}", entry.path);
            out.push(d);
        }
    }
}

/// SPEC §2: when both the actor and its state declare a version and they differ, that is HL003.
/// The version stored beside the state and the one a migration is written against disagree, so
/// one of them names a layout that never existed.
fn actor_and_state_versions(m: &Model) -> Vec<Draft> {
    use crate::actors::State;
    let mut out = Vec::new();
    for a in m.actors.actors.iter().filter(|a| !a.test) {
        let (Some(actor_ty), State::Local { ty: state_ty, .. }) = (a.ty, &a.state) else { continue };
        if actor_ty == *state_ty {
            continue;
        }
        let (Some(on_actor), Some(on_state)) = (m.migrations.get(&actor_ty), m.migrations.get(state_ty)) else {
            continue;
        };
        if on_actor.version == on_state.version {
            continue;
        }
        let actor = a.id.rsplit("::").next().unwrap_or(&a.id).to_string();
        let state = m.index.type_entry(*state_ty).map(|e| e.name.clone()).unwrap_or_default();
        let mut d = Draft::new(format!(
            "actor `{actor}` declares version {} but its state `{state}` declares version {}",
            on_actor.version, on_state.version
        ));
        d.package = m.package_of_file(on_actor.loc.file);
        d.primary(on_actor.loc, &format!("the actor's version ({})", on_actor.convention));
        d.label(on_state.loc, &format!("the state's version ({})", on_state.convention));
        d.anchors.push(Anchor {
            file: on_actor.loc.file,
            first_line: on_actor.loc.line,
            header_line: on_actor.loc.line,
        });
        d.notes.push("the version stored with the state and the one its migration is written against must be one number: with two, old data is read as the wrong layout".into());
        d.actor = Some(a.id.clone());
        d.ty = m.index.type_entry(*state_ty).map(|e| e.path.clone());
        d.help = Some(format!(
            "declare the version once, on the state type `{state}` (SPEC §2: on the actor only when the state type is not the crate's own), or make both the same"
        ));
        d.key = format!("actor-state-versions:{}:{}:{}", a.id, on_actor.version, on_state.version);
        out.push(d);
    }
    out
}
