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
    let wanted: HashSet<&str> = m
        .tracked
        .values()
        .filter_map(|t| t.migration.as_ref())
        .flat_map(|mig| mig.paths.iter().flat_map(|p| &p.functions))
        .map(String::as_str)
        .collect();
    let fn_names = function_name_counts(m, &wanted);
    // The names imports give to other names (`use crate::Ledger as L;`), and every type name:
    // found once, not once per versioned type.
    let mut aliases: HashMap<&str, Vec<&str>> = HashMap::new();
    for imp in m.index.modules.iter().flat_map(|md| &md.imports) {
        if let (Some(last), Some(alias)) = (imp.entry.path.last(), imp.entry.alias.as_deref()) {
            if alias != last && alias != "_" {
                aliases.entry(last.as_str()).or_default().push(alias);
            }
        }
    }
    let type_names: HashSet<&str> = m.index.types.iter().map(|t| t.name.as_str()).collect();
    let known = Known { fn_names: &fn_names, aliases: &aliases, type_names: &type_names };
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
        let names = names_of(&entry.name, mig, &known);
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
fn names_of(name: &str, mig: &crate::migrations::Migration, known: &Known<'_>) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    names.insert(name.to_string());
    names.extend(known.aliases.get(name).into_iter().flatten().map(|a| a.to_string()));
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
        if known.type_names.contains(f.as_str()) || known.fn_names.get(f.as_str()) == Some(&1) {
            names.insert(f.clone());
        }
    }
    names
}

/// What [`names_of`] needs to know about the whole workspace.
struct Known<'m> {
    /// How many functions have each name.
    fn_names: &'m HashMap<&'m str, usize>,
    /// Names imports give to a name.
    aliases: &'m HashMap<&'m str, Vec<&'m str>>,
    type_names: &'m HashSet<&'m str>,
}

/// How many functions of the workspace (free functions and methods) have each of the `wanted`
/// names; a file compiled into two crates counts once.
fn function_name_counts<'m>(m: &'m Model, wanted: &HashSet<&str>) -> HashMap<&'m str, usize> {
    let mut seen: HashSet<(crate::index::ItemId, usize)> = HashSet::new();
    let mut out: HashMap<&str, usize> = HashMap::new();
    let mut count = |id, n: usize, name: &'m str| {
        if wanted.contains(name) && seen.insert((id, n)) {
            *out.entry(name).or_default() += 1;
        }
    };
    for f in &m.index.fns {
        if let Some(Item { kind: ItemKind::Fn(def), .. }) = m.index.item(f.item) {
            count(f.item, 0, def.name.as_str());
        }
    }
    for imp in &m.index.impls {
        if let Some(Item { kind: ItemKind::Impl(def), .. }) = m.index.item(imp.item) {
            for (n, f) in def.fns.iter().enumerate() {
                count(imp.item, n, f.name.as_str());
            }
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
