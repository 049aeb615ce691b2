//! HL004 migration-untested: a versioned tracked type whose migrations no test exercises — no
//! test names the type or its migration functions, and `tests/hotlint/<Type>/` has no golden
//! file for some version it still reads. Test bodies are read as tokens (identifiers).

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::findings::{Anchor, Draft};
use crate::ir::*;
use crate::migrations::Version;
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    // Every identifier any test mentions, once: asking each test per tracked type would grow with
    // their product.
    let tested: HashSet<u64> = test_bodies(m).iter().flat_map(|b| b.idents.iter().copied()).collect();
    let fn_names = function_name_counts(m);
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
        let names = names_of(m, &entry.name, mig, &fn_names);
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
        let call = match mig.convention.as_str() {
            "hotlint" => format!("`{}::code_change(…)`", entry.name),
            _ => format!("naming {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or ")),
        };
        d.help = Some(format!(
            "add a test that reads data written by each older version and migrates it ({call}), \
             or keep one golden file per shipped version under `tests/hotlint/{}/` (`v1.bin`, `v2.json`, …) and a test that loads them",
            entry.name
        ));
        d.key = format!("untested:{}", t.path);
        out.push(d);
    }
    out
}

/// What a test names when it exercises this type's migrations: the type (also under a name an
/// import gives it: `Ledger::code_change`, `<Ledger as …>::code_change`, a value the test
/// declares as a `Ledger`), its versioned enum and versions (obake's `VersionedT`, `T_v0_1_0`),
/// the types its paths convert from, and the functions that carry its paths when no other
/// function of the workspace has their name. A name every such type shares (`code_change`)
/// says nothing about which type a test exercises.
fn names_of(
    m: &Model,
    name: &str,
    mig: &crate::migrations::Migration,
    fn_names: &HashMap<&str, usize>,
) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    names.insert(name.to_string());
    for module in &m.index.modules {
        for imp in &module.imports {
            if imp.entry.path.last().is_some_and(|l| l == name) {
                names.extend(imp.entry.alias.iter().filter(|a| *a != "_").cloned());
            }
        }
    }
    if mig.convention == "obake" {
        names.insert(format!("Versioned{name}"));
        for v in mig.history.iter().chain(std::iter::once(&mig.version)) {
            let parts: Vec<String> = v.to_string().split('.').map(str::to_string).collect();
            if parts.len() == 3 {
                names.insert(format!("{name}_v{}", parts.join("_")));
            }
        }
    }
    for f in mig.paths.iter().flat_map(|p| &p.functions) {
        let is_type = m.index.types.iter().any(|t| t.name == *f);
        if is_type || fn_names.get(f.as_str()) == Some(&1) {
            names.insert(f.clone());
        }
    }
    names
}

/// How many functions of the workspace (free functions and methods) have each name; a file
/// compiled into two crates counts once.
fn function_name_counts(m: &Model) -> HashMap<&str, usize> {
    let mut out: HashMap<&str, usize> = HashMap::new();
    let mut seen = HashSet::new();
    for id in m.index.fns.iter().map(|f| f.item).chain(m.index.impls.iter().map(|i| i.item)) {
        if !seen.insert(id) {
            continue;
        }
        match m.index.item(id).map(|i| &i.kind) {
            Some(ItemKind::Fn(def)) => *out.entry(def.name.as_str()).or_default() += 1,
            Some(ItemKind::Impl(def)) => {
                for f in &def.fns {
                    *out.entry(f.name.as_str()).or_default() += 1;
                }
            }
            _ => {}
        }
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
