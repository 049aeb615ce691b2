//! HL002 state-changed-without-migration: a tracked type changed, between base and head, in a way
//! its encoding cannot read back (the verdict table), and its version was not bumped.

use crate::compare::{self, Change, TypeDiff};
use crate::findings::{Anchor, Draft};
use crate::migrations::Version;
use crate::model::Model;
use crate::tracked::Reason;

pub fn check(m: &Model) -> Vec<Draft> {
    let Some(cmp) = &m.comparison else { return Vec::new() };
    let mut out = Vec::new();
    let mut seen: std::collections::BTreeMap<(String, &str, String), usize> = std::collections::BTreeMap::new();
    for diff in &cmp.diffs {
        let Some(t) = diff.head_ty.and_then(|h| m.tracked.get(&h)) else { continue };
        // Remote-only messages are HL005's.
        if t.reasons.iter().all(|r| matches!(r, Reason::Remote { .. })) {
            continue;
        }
        let Some(enc) = m.encodings.get(&t.ty) else { continue };
        if bumped(diff) {
            continue;
        }
        let need = compare::directions(t);
        for c in &diff.changes {
            let judged = compare::judge(c, enc, need);
            if !(judged.breaks() || judged.partial_only()) {
                continue;
            }
            // One finding per change: a definition reached by several tracked types is reported
            // once, the others named in a note.
            let key = (c.def_key.clone(), c.kind, c.what.clone());
            if let Some(&i) = seen.get(&key) {
                if let Some(d) = out.get_mut(i) {
                    let d: &mut Draft = d;
                    d.notes.push(format!("it also reaches the tracked type `{}`", t.path));
                }
                continue;
            }
            seen.insert(key, out.len());
            out.push(finding(m, diff, t, c, enc, &judged, cmp.base_commit.as_str()));
        }
        // Adding a prefixing convention to data already stored unversioned changes its bytes.
        if diff.base_version.is_none() {
            if let Some(mig) = &t.migration {
                let prefixing = crate::migrations::conventions()
                    .ok()
                    .and_then(|cs| cs.into_iter().find(|c| c.name == mig.convention))
                    .is_some_and(|c| c.prefixing);
                let was_stored = diff.base_ty.and_then(|b| cmp.base.tracked.get(&b)).is_some();
                if prefixing && was_stored {
                    let mut d = Draft::new(format!(
                        "`{}` is now `{}`-versioned: data stored before, without the version prefix, cannot be read",
                        short(&t.path),
                        mig.convention
                    ));
                    d.package = m.package_of_file(mig.loc.file);
                    d.primary(mig.loc, "versioning added here");
                    d.ty = Some(t.path.clone());
                    d.help = Some("read the unversioned data once and rewrite it (a one-off migration), or declare it gone: `[[track]] type = \"…\"` with `compat = \"forward\"`".into());
                    d.key = format!("prefix-added:{}:{}", t.path, mig.convention);
                    out.push(d);
                }
            }
        }
        // Dropping a prefixing convention (its derive removed, serde left alone) changes the
        // bytes the other way: what was stored with the version prefix no longer reads.
        if t.migration.is_none() {
            if let Some(conv) = &diff.base_convention {
                let prefixing = crate::migrations::conventions()
                    .ok()
                    .and_then(|cs| cs.into_iter().find(|c| &c.name == conv))
                    .is_some_and(|c| c.prefixing);
                let item = m.index.type_entry(t.ty).and_then(|e| m.index.item(e.item));
                if let (true, Some(item)) = (prefixing, item) {
                    let mut d = Draft::new(format!(
                        "`{}` is no longer `{conv}`-versioned: data stored before, with `{conv}`'s version prefix and format, cannot be read by its serde derive",
                        short(&t.path)
                    ));
                    d.package = m.package_of_file(item.loc.file);
                    d.primary(item.loc, "versioning removed here");
                    d.anchors.push(Anchor {
                        file: item.loc.file,
                        first_line: item.first_line,
                        header_line: item.loc.line,
                    });
                    d.ty = Some(t.path.clone());
                    d.help = Some(format!(
                        "keep reading the old data through `{conv}` once and rewrite it (a one-off migration), or declare it gone: `[[track]] type = \"{}\"` with `compat = \"forward\"`",
                        t.path
                    ));
                    d.key = format!("prefix-removed:{}:{conv}", t.path);
                    out.push(d);
                }
            }
        }
    }
    out
}

/// The version went up (or, for semver and configured constants, changed).
pub fn bumped(diff: &TypeDiff) -> bool {
    match (&diff.base_version, &diff.head_version) {
        (Some(Version::Int(a)), Some(Version::Int(b))) => b > a,
        (Some(a), Some(b)) => a != b,
        (None, Some(_)) => false,
        _ => false,
    }
}

fn short(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn finding(
    m: &Model,
    diff: &TypeDiff,
    t: &crate::tracked::Tracked,
    c: &Change,
    enc: &crate::encoding::Encoding,
    judged: &compare::Judged,
    base: &str,
) -> Draft {
    let reading = match enc.class {
        crate::encoding::Class::Memory => "the state carried across a reload no longer fits".to_string(),
        _ if judged.partial_only() => format!(
            "some data written before ({}) cannot be read back: {}",
            enc.source,
            judged.partial.clone().unwrap_or_else(|| "it depends on the values stored".into())
        ),
        _ if judged.silent => {
            format!("data written before ({}) decodes without error into wrong values (silent)", enc.source)
        }
        _ => format!("data written before ({}) cannot be read back", enc.source),
    };
    let mut d = Draft::new(format!("{}; {reading}", c.what));
    d.warn_only = judged.partial_only();
    d.package = c.head_loc.and_then(|l| m.package_of_file(l.file));
    if let Some(loc) = c.head_loc {
        d.primary(loc, "changed here");
        d.anchors.push(Anchor { file: loc.file, first_line: loc.line, header_line: loc.line });
    }
    if let Some((file, line, text)) = &c.base_loc {
        d.notes.push(format!("at base {}: {file}:{line}: `{text}`", crate::git::short(base)));
    }
    d.notes.push(format!("`{}` is tracked: {}", t.path, crate::tracked::reasons_text(t)));
    if c.def_path != t.path {
        d.notes.push(format!("`{}` is part of the shape of `{}`", c.def_path, t.path));
    }
    d.ty = Some(t.path.clone());
    d.help = Some(help_for(c, enc.class, t, diff));
    d.key = format!("changed:{}:{}:{}", c.def_key, c.kind, c.what);
    d
}

fn help_for(c: &Change, class: crate::encoding::Class, t: &crate::tracked::Tracked, diff: &TypeDiff) -> String {
    use crate::encoding::Class::*;
    let bump = match (&t.migration, &diff.head_version) {
        (Some(mig), Some(v)) if mig.convention == "hotlint" => {
            format!("bump `STATE_VERSION` past {v} and add a `code_change` arm for {v} that converts the old state")
        }
        (Some(mig), Some(v)) if mig.convention == "revision" => format!(
            "bump to `#[revisioned(revision = {})]` and mark the change (`#[revision(start = …)]`, or `end = …, convert_fn = \"…\"`)",
            next(v)
        ),
        (Some(mig), Some(v)) => {
            format!("bump the `{}` version past {v} and add the migration path from {v}", mig.convention)
        }
        _ => format!(
            "version the state: `impl {} {{ const STATE_VERSION: u32 = 2; fn code_change(from: u32, …) }}` with an arm for the old layout",
            t.path.rsplit("::").next().unwrap_or(&t.path)
        ),
    };
    match (c.kind, class) {
        ("field-added-required", Named) => {
            format!("make the new field `Option<…>` or add `#[serde(default)]`, or {bump}")
        }
        ("field-renamed", Named) => format!(
            "keep the old name readable with `#[serde(alias = \"{}\")]`, or {bump}",
            c.old_name.clone().unwrap_or_default()
        ),
        ("variant-renamed", Named) => {
            format!("add `#[serde(alias = \"{}\")]` to the variant, or {bump}", c.old_name.clone().unwrap_or_default())
        }
        (_, Positional | PositionalVarint) => format!(
            "positional formats read fields by position and width, so any layout change needs a new version: {bump}"
        ),
        _ => bump,
    }
}

fn next(v: &Version) -> String {
    match v {
        Version::Int(n) => (n + 1).to_string(),
        other => format!("{other}+1"),
    }
}
