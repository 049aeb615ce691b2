//! HL013 change-unverifiable: a change hotlint cannot judge — an opaque type's fingerprint
//! changed (hand-written serde impl, custom `with` functions, macro-generated types), a version
//! that is not a literal, or a base revision's file that could not be read or parsed (a blob a
//! partial clone does not have, syntax syn refuses) or that a checkout converts.

use crate::findings::{Anchor, Draft};
use crate::migrations::Version;
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    let mut out = base_unread(m);
    if let Some(cmp) = &m.comparison {
        // One finding per opaque part, whatever tracked types reach it (named in notes).
        let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for diff in &cmp.diffs {
            let Some(t) = diff.head_ty.and_then(|h| m.tracked.get(&h)) else { continue };
            for (what, why) in &diff.opaque_changed {
                if let Some(&i) = seen.get(what) {
                    if let Some(d) = out.get_mut(i) {
                        let d: &mut Draft = d;
                        d.notes.push(format!("it also reaches the tracked type `{}`", t.path));
                    }
                    continue;
                }
                seen.insert(what.clone(), out.len());
                let mut d = Draft::new(format!("`{what}` changed and hotlint cannot verify how: {why}"));
                if let Some(item) = m.index.type_entry(t.ty).and_then(|e| m.index.item(e.item)) {
                    d.package = m.package_of_file(item.loc.file);
                    d.primary(item.loc, "tracked type");
                    d.anchors.push(Anchor {
                        file: item.loc.file,
                        first_line: item.first_line,
                        header_line: item.loc.line,
                    });
                }
                d.ty = Some(t.path.clone());
                d.help = Some("check by hand that data written before still reads (a round-trip test over stored bytes), or bump the version with a migration".into());
                d.key = format!("opaque:{what}");
                out.push(d);
            }
        }
    }
    for dc in &m.dep_changes {
        let Some(why) = &dc.unverifiable else { continue };
        let mut d = Draft::new(format!(
            "dependency `{} {} → {}` may change `{}`, which tracked state reaches, and hotlint cannot verify it: {why}",
            dc.package, dc.from, dc.to, dc.ty
        ));
        d.package = Some(dc.package.clone());
        for r in &dc.reached {
            d.notes.push(format!("reached by the tracked type `{r}`"));
        }
        d.ty = Some(dc.ty.clone());
        d.help = Some(
            "check the dependency's changelog for serialization changes, or keep a round-trip test over stored bytes"
                .into(),
        );
        d.key = format!("dep-unverifiable:{}:{}", dc.package, dc.ty);
        out.push(d);
    }
    // Dependencies that could define actors but were not scanned: their sources are not on disk.
    if let Some(scan) = m.deps.as_ref().filter(|s| !s.missing.is_empty()) {
        let n = scan.missing.len();
        let mut d = Draft::new(format!(
            "{n} dependenc{} that can define actors {} not scanned: {} sources are not on disk",
            if n == 1 { "y" } else { "ies" },
            if n == 1 { "was" } else { "were" },
            if n == 1 { "its" } else { "their" }
        ));
        for p in scan.missing.iter().take(25) {
            d.notes.push(format!("`{p}`"));
        }
        if n > 25 {
            d.notes.push(format!("… and {} more", n - 25));
        }
        d.help = Some("`cargo fetch` downloads them into cargo's cache (hotlint's dependency scan never downloads); then run hotlint again".into());
        d.key = "deps-missing".into();
        out.push(d);
    }
    // A resource limit reached while following a shape: said, not hung and not guessed.
    for t in m.tracked.values().filter(|t| t.closure.truncated) {
        let Some(item) = m.index.type_entry(t.ty).and_then(|e| m.index.item(e.item)) else { continue };
        let mut d = Draft::new(format!(
            "the shape of `{}` reaches a limit (more than {} definitions, types nested deeper than {}, or a type reached through more than {} re-exports or {} name lookups); the rest is not checked",
            t.path,
            crate::tracked::MAX_CLOSURE,
            crate::tracked::MAX_TYPE_DEPTH,
            crate::resolve::MAX_CHAIN,
            crate::resolve::MAX_LOOKUPS
        ));
        d.package = m.package_of_file(item.loc.file);
        d.primary(item.loc, "tracked type");
        d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
        d.ty = Some(t.path.clone());
        d.help = Some("split the persisted state, or track a smaller type with `[[track]]`; README \"Known limits\" lists the limits".into());
        d.key = format!("limit:{}", t.path);
        out.push(d);
    }
    for t in m.tracked.values() {
        let Some(mig) = &t.migration else { continue };
        if let Version::Unknown(text) = &mig.version {
            let name = t.path.rsplit("::").next().unwrap_or(&t.path);
            let mut d =
                Draft::new(format!("the version of `{name}` is `{text}`, not an integer literal or a const with one"));
            d.package = m.package_of_file(mig.loc.file);
            d.primary(mig.loc, "version declared here");
            d.anchors.push(Anchor { file: mig.loc.file, first_line: mig.loc.line, header_line: mig.loc.line });
            d.ty = Some(t.path.clone());
            d.help = Some(
                "write the version as a literal (`2`) or a `const` whose value is one, so bumps can be checked".into(),
            );
            d.key = format!("version-unknown:{}", t.path);
            out.push(d);
        }
    }
    out
}

/// The base's workspace files that could not be read or parsed, and the sources a checkout
/// converts: what the base defines there is unknown, and a type compared with nothing would
/// pass as added.
fn base_unread(m: &Model) -> Vec<Draft> {
    let mut out = Vec::new();
    let Some(cmp) = &m.comparison else { return out };
    let base = &cmp.base;
    let revision = crate::git::short(&cmp.base_commit);
    let head_file = |path: &str| m.index.files.iter().find(|f| f.rel_path == path && !m.is_dependency_file(f.id));
    for f in base.index.files.iter().filter(|f| !base.is_dependency_file(f.id)) {
        let Some(err) = &f.error else { continue };
        let mut d = Draft::new(format!(
            "`{}` could not be analysed at the base `{revision}`: {}; what it defined there is unknown, so changes to it are not checked",
            f.rel_path, err.message
        ));
        if let Some(head) = head_file(&f.rel_path) {
            d.package = m.package_of_file(head.id);
            d.primary(
                crate::ir::Loc { file: head.id, line: 1, col: 1, end_line: 1, end_col: 1 },
                "this file, at the base",
            );
        }
        d.help = Some("make the base's file readable (in a partial clone, check out the base revision once so git has its blobs) or compare against a base where it parses".into());
        d.key = format!("base-unread:{}", f.rel_path);
        out.push(d);
    }
    for (name, dir) in &m.outside_repository {
        let mut d = Draft::new(format!(
            "package `{name}` (`{dir}`) is outside the git repository: it has no history at the base `{revision}`, so changes to its types are not checked"
        ));
        d.package = Some(name.clone());
        d.help =
            Some("keep the package inside the repository, or compare it with a lock (`cargo hotlint lock`)".into());
        d.key = format!("outside-repository:{name}");
        out.push(d);
    }
    if !base.base_doubts.is_empty() {
        let n = base.base_doubts.len();
        let mut d = Draft::new(format!(
            "{n} source file{} pass{} through a conversion on checkout; the base's blobs are read as stored and the working tree as converted, so their comparison may be wrong",
            if n == 1 { "" } else { "s" },
            if n == 1 { "es" } else { "" }
        ));
        for (path, what) in base.base_doubts.iter().take(25) {
            d.notes.push(format!("`{path}`: {what} (.gitattributes)"));
        }
        if n > 25 {
            d.notes.push(format!("… and {} more", n - 25));
        }
        d.help = Some("compare revisions whose blobs are both stored (`--head REV`, or `--staged`), or drop the conversion for `*.rs`".into());
        d.key = "base-converted".into();
        out.push(d);
    }
    out
}
