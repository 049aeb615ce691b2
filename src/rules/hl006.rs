//! HL006 dependency-actor-without-migration: a dependency that defines actors with state and no
//! versioned migration: on upgrade they restart instead of migrating. One finding per dependency.

use std::collections::BTreeMap;

use crate::findings::Draft;
use crate::ir::{Item, ItemKind, Loc};
use crate::model::Model;
use crate::resolve::{Res, Resolver};

pub fn check(m: &Model) -> Vec<Draft> {
    let Some(scan) = &m.deps else { return Vec::new() };
    let spawned = spawn_sites(m);
    let mut out = Vec::new();
    for dep in &scan.scanned {
        if dep.actors.is_empty() || m.config.deps_allow.iter().any(|e| e.value == dep.name) {
            continue;
        }
        let n = dep.actors.len();
        let mut d = Draft::new(format!(
            "dependency `{} {}` defines {n} actor{} with state and no versioned migration: on upgrade {} instead of migrating",
            dep.name,
            dep.version,
            if n == 1 { "" } else { "s" },
            if n == 1 { "it restarts" } else { "they restart" }
        ));
        d.package = Some(dep.name.clone());
        for (id, state, file, line) in dep.actors.iter().take(25) {
            d.notes.push(format!("`{id}` ({file}:{line}) holds `{state}`"));
        }
        if n > 25 {
            d.notes.push(format!("… and {} more", n - 25));
        }
        // Where our own code spawns or starts one of them, when the call names the type.
        for (id, ..) in &dep.actors {
            let Some(key) = crate_and_name(id) else { continue };
            for (loc, func) in spawned.get(&key).into_iter().flatten().take(5) {
                d.notes.push(format!(
                    "`{id}` is started by this workspace at {}:{} (`{func}`)",
                    m.file_path(loc.file),
                    loc.line
                ));
            }
        }
        d.help = Some(format!(
            "rebuild what these actors hold after an upgrade (or pin `{}` across the deploy); once that is understood, acknowledge it with `allow = [\"{}\"]` under `[deps]` in hotlint.toml",
            dep.name, dep.name
        ));
        d.ty = Some(dep.name.clone());
        d.key = format!("dep-actors:{}", dep.name);
        out.push(d);
    }
    out
}

/// `(crate, type name)` of a canonical path (`ractor_cluster::node::NodeServer` gives
/// `("ractor_cluster", "NodeServer")`): re-exports move a type's path, not its crate and name.
fn crate_and_name(path: &str) -> Option<(String, String)> {
    let (first, rest) = path.split_once("::")?;
    let last = rest.rsplit("::").next()?;
    Some((first.replace('-', "_"), last.to_string()))
}

/// The workspace's spawn and start calls whose path or receiver names an external type
/// (`Scheduler::spawn(…)`, `NodeServer::new(…).start()`), by that type's crate and name.
fn spawn_sites(m: &Model) -> BTreeMap<(String, String), Vec<(Loc, String)>> {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let mut fns = Vec::new();
    for f in &m.index.fns {
        if let Some(Item { kind: ItemKind::Fn(def), .. }) = m.index.item(f.item) {
            fns.push((def, f.module));
        }
    }
    for imp in &m.index.impls {
        if let Some(Item { kind: ItemKind::Impl(def), .. }) = m.index.item(imp.item) {
            fns.extend(def.fns.iter().map(|f| (f, imp.module)));
        }
    }
    let mut out: BTreeMap<(String, String), Vec<(Loc, String)>> = BTreeMap::new();
    for (def, scope) in fns {
        for call in &def.body.calls {
            let named = if call.path.is_empty() { call.receiver.iter().cloned().collect() } else { call.path.clone() };
            if named.is_empty() {
                continue;
            }
            if let Res::Extern(p) = res.resolve(scope, false, &named, &[], crate::resolve::Ns::Type) {
                if let Some(key) = crate_and_name(&p.join("::")) {
                    let shown = if call.path.is_empty() {
                        format!(".{}()", call.func)
                    } else {
                        format!("{}::{}", call.path.join("::"), call.func)
                    };
                    out.entry(key).or_default().push((call.loc, shown));
                }
            }
        }
    }
    for sites in out.values_mut() {
        sites.sort_by_key(|(loc, _)| (loc.file, loc.line, loc.col));
    }
    out
}
