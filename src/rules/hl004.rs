//! HL004 migration-untested: a versioned tracked type whose migrations no test exercises — no
//! test names the type or its migration functions, and `tests/hotlint/<Type>/` has no golden
//! file for some version it still reads. Test bodies are read as tokens (identifiers).

use std::collections::{BTreeSet, HashSet};

use crate::findings::{Anchor, Draft};
use crate::ir::*;
use crate::migrations::Version;
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    // Every identifier any test mentions, once: asking each test per tracked type would grow with
    // their product.
    let tested: HashSet<u64> = test_bodies(m).iter().flat_map(|b| b.idents.iter().copied()).collect();
    let mut out = Vec::new();
    for (ty, t) in &m.tracked {
        let Some(mig) = &t.migration else { continue };
        // A configured version constant acknowledges a break by its bump; it has no per-version
        // paths to test.
        if matches!(mig.convention.as_str(), "configured-constant" | "savefile") {
            continue;
        }
        let Some(entry) = m.index.type_entry(*ty) else { continue };
        if entry.test {
            continue;
        }
        // Versions it still reads besides the current one; nothing to test without them.
        let versions = versions_read(&mig.version, &mig.history);
        if versions.len() < 2 {
            continue;
        }
        let mut names: BTreeSet<String> = BTreeSet::new();
        names.insert(entry.name.clone());
        for p in &mig.paths {
            names.extend(p.functions.iter().cloned());
        }
        if mig.convention == "hotlint" {
            names.insert("code_change".into());
        }
        if names.iter().any(|n| tested.contains(&ident_hash(n))) {
            continue;
        }
        let package = m.index.file_package.get(entry.item.file as usize).copied().flatten();
        let golden = package.and_then(|p| m.golden.get(&p)).and_then(|g| g.get(&entry.name));
        let missing: Vec<String> = versions
            .iter()
            .filter(|v| !golden.is_some_and(|files| files.iter().any(|f| golden_for(f, v))))
            .cloned()
            .collect();
        if missing.is_empty() {
            continue;
        }
        let Some(item) = m.index.item(entry.item) else { continue };
        let mut d = Draft::new(format!(
            "no test exercises the migrations of `{}` ({} version {}): versions {} lack a test",
            entry.name,
            mig.convention,
            mig.version,
            missing.join(", ")
        ));
        d.package = m.package_of_file(entry.item.file);
        d.primary(item.loc, "versioned type defined here");
        d.label(mig.loc, "version declared here");
        d.ty = Some(t.path.clone());
        d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
        d.notes.push(format!(
            "no `#[test]`, `#[cfg(test)]` module or `tests/` target names {}",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ));
        d.help = Some(format!(
            "add a test that reads data written by each older version and migrates it (call {} on it), \
             or keep one golden file per shipped version under `tests/hotlint/{}/` (`v1.bin`, `v2.json`, …) and a test that loads them",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or "),
            entry.name
        ));
        d.key = format!("untested:{}", t.path);
        out.push(d);
    }
    out
}

/// Every version the type can still read: its listed history, or `1..=current`.
fn versions_read(current: &Version, history: &[Version]) -> Vec<String> {
    if !history.is_empty() {
        let mut v: Vec<String> = history.iter().map(|h| h.to_string()).collect();
        let c = current.to_string();
        if !v.contains(&c) {
            v.push(c);
        }
        return v;
    }
    match current {
        Version::Int(n) if *n <= 1000 => (1..=*n).map(|i| i.to_string()).collect(),
        other => vec![other.to_string()],
    }
}

/// `v2.bin`, `2.json`, `v2-snapshot.bin` hold version 2.
fn golden_for(file: &str, version: &str) -> bool {
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_prefix('v').or_else(|| stem.strip_prefix('V')).unwrap_or(stem);
    let digits: String = stem.chars().take_while(|c| c.is_ascii_digit() || *c == '_').collect();
    !digits.is_empty() && digits.replace('_', ".") == version || stem == version
}

/// Bodies of test code: `#[test]` functions, functions in `#[cfg(test)]` modules and test
/// targets, and methods of impls there.
fn test_bodies(m: &Model) -> Vec<&Body> {
    let mut out = Vec::new();
    for f in m.index.fns.iter().filter(|f| f.test) {
        if let Some(Item { kind: ItemKind::Fn(def), .. }) = m.index.item(f.item) {
            out.push(&def.body);
        }
    }
    for imp in m.index.impls.iter().filter(|i| i.test) {
        if let Some(Item { kind: ItemKind::Impl(def), .. }) = m.index.item(imp.item) {
            out.extend(def.fns.iter().map(|f| &f.body));
        }
    }
    out
}
