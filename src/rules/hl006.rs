//! HL006 dependency-actor-without-migration: a dependency that defines actors with state and no
//! versioned migration: on upgrade they restart instead of migrating. One finding per dependency.

use std::collections::BTreeMap;

use crate::findings::Draft;
use crate::ir::{Item, ItemKind, Loc, Ty, TyPath};
use crate::model::Model;
use crate::resolve::{Ns, Res, Resolver};

pub fn check(m: &Model) -> Vec<Draft> {
    let Some(scan) = &m.deps else { return Vec::new() };
    let sites = reference_sites(m);
    let mut out = Vec::new();
    for dep in &scan.scanned {
        if dep.actors.is_empty() || m.config.deps_allow.iter().any(|e| e.value == dep.name) {
            continue;
        }
        // Only the actors the workspace names or starts are its state (SPEC §3): a framework's
        // internal actors, or a library's test mocks, that nothing here touches are not.
        let used: Vec<(&DepActor, &Vec<Site>)> = dep
            .actors
            .iter()
            .filter_map(|a| Some((a, crate_and_name(&a.0).and_then(|key| sites.get(&key))?)))
            .collect();
        if used.is_empty() {
            continue;
        }
        let n = used.len();
        let mut d = Draft::new(format!(
            "dependency `{} {}` defines {n} actor{} with state and no versioned migration that this workspace {}: on upgrade {} instead of migrating",
            dep.name,
            dep.version,
            if n == 1 { "" } else { "s" },
            if used.iter().any(|(_, s)| s.iter().any(|s| s.starts)) { "starts or names" } else { "names" },
            if n == 1 { "it restarts" } else { "they restart" }
        ));
        d.package = Some(dep.name.clone());
        for ((id, state, file, line), sites) in used.iter().take(25) {
            d.notes.push(format!("`{id}` ({file}:{line}) holds `{state}`"));
            // Where the workspace starts it, else where it names it.
            let starts: Vec<&Site> = sites.iter().filter(|s| s.starts).collect();
            let shown: Vec<&Site> = if starts.is_empty() { sites.iter().collect() } else { starts };
            for site in shown.iter().take(3) {
                d.notes.push(format!(
                    "`{id}` is {} by this workspace at {}:{} ({})",
                    if site.starts { "started" } else { "named" },
                    m.file_path(site.loc.file),
                    site.loc.line,
                    site.how
                ));
            }
        }
        if n > 25 {
            d.notes.push(format!("… and {} more", n - 25));
        }
        let untouched = dep.actors.len() - n;
        if untouched > 0 {
            d.notes.push(format!(
                "its {untouched} other actor{} (never named or started here) {} not counted",
                if untouched == 1 { "" } else { "s" },
                if untouched == 1 { "is" } else { "are" }
            ));
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

/// A dependency's actor: (id, state, file inside the package, line).
type DepActor = (String, String, String, u32);

/// Where the workspace refers to an external type.
struct Site {
    loc: Loc,
    /// In words: "`Scheduler::spawn`", "`use`", "field `peer`".
    how: String,
    /// A spawn or start call (else the type is only named).
    starts: bool,
}

/// Every place the workspace names an external type, by that type's crate and name: spawn and
/// start calls, `use` declarations, field, parameter, return and impl types, and function bodies
/// that mention the name in a crate depending on its crate.
fn reference_sites(m: &Model) -> BTreeMap<(String, String), Vec<Site>> {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let mut out: BTreeMap<(String, String), Vec<Site>> = BTreeMap::new();
    for ((krate, name), calls) in spawn_sites(m) {
        out.entry((krate, name)).or_default().extend(calls.into_iter().map(|(loc, how)| Site {
            loc,
            how: format!("`{how}`"),
            starts: true,
        }));
    }
    let mut record = |path: &[String], loc: Loc, how: String| {
        if let Some(key) = crate_and_name(&path.join("::")) {
            out.entry(key).or_default().push(Site { loc, how, starts: false });
        }
    };
    // `use` declarations: each module's imports, located at their `use` item.
    for (id, module) in m.index.modules.iter().enumerate() {
        if m.is_dependency_file(module.file) {
            continue;
        }
        for import in module.imports.iter().filter(|i| !i.entry.glob) {
            let entry = &import.entry;
            let Res::Extern(p) = res.resolve(id as crate::index::ModId, entry.global, &entry.path, &[], Ns::Type)
            else {
                continue;
            };
            let loc = m.index.file(module.file).and_then(|f| {
                f.items.iter().find_map(|it| match &it.kind {
                    ItemKind::Use(v) if v.iter().any(|e| e.path == entry.path) => Some(it.loc),
                    _ => None,
                })
            });
            if let Some(loc) = loc {
                record(&p, loc, "`use`".into());
            }
        }
    }
    // Types written in fields, signatures and impl headers.
    let mut typed = |scope: crate::index::ModId, ty: &Ty, generics: &[String], loc: Loc, how: &str| {
        let mut paths = Vec::new();
        paths_in(ty, &mut paths, 0);
        for p in paths {
            if let Res::Extern(full) = res.resolve_ty_path(scope, p, generics) {
                record(&full, loc, how.to_string());
            }
        }
    };
    for t in &m.index.types {
        if m.is_dependency_file(t.item.file) {
            continue;
        }
        if let Some(Item { kind: ItemKind::Type(def), .. }) = m.index.item(t.item) {
            for f in def.all_fields() {
                let how = match &f.name {
                    Some(n) => format!("field `{n}` of `{}`", def.name),
                    None => format!("a field of `{}`", def.name),
                };
                typed(t.module, &f.ty, &def.generics, f.loc, &how);
            }
        }
    }
    for imp in &m.index.impls {
        if m.is_dependency_file(imp.item.file) {
            continue;
        }
        let Some(Item { kind: ItemKind::Impl(def), .. }) = m.index.item(imp.item) else { continue };
        typed(imp.module, &def.self_ty, &def.generics, def.header, "an impl header");
        if let Some(tp) = &def.trait_path {
            typed(imp.module, &Ty::Path(tp.clone()), &def.generics, def.header, "an impl header");
        }
        for f in &def.fns {
            for p in &f.params {
                typed(imp.module, &p.ty, &def.generics, f.loc, &format!("a parameter of `{}`", f.name));
            }
            if let Some(r) = &f.ret {
                typed(imp.module, r, &def.generics, f.loc, &format!("the return type of `{}`", f.name));
            }
        }
    }
    for f in &m.index.fns {
        if m.is_dependency_file(f.item.file) {
            continue;
        }
        let Some(Item { kind: ItemKind::Fn(def), .. }) = m.index.item(f.item) else { continue };
        for p in &def.params {
            typed(f.module, &p.ty, &[], def.loc, &format!("a parameter of `{}`", def.name));
        }
        if let Some(r) = &def.ret {
            typed(f.module, r, &[], def.loc, &format!("the return type of `{}`", def.name));
        }
    }
    // Function bodies that mention the name, in a crate that depends on its crate.
    let wanted: Vec<((String, String), u64)> = m
        .deps
        .iter()
        .flat_map(|s| s.scanned.iter())
        .flat_map(|d| d.actors.iter())
        .filter_map(|a| crate_and_name(&a.0))
        .map(|(k, n)| {
            let h = crate::ir::ident_hash(&n);
            ((k, n), h)
        })
        .collect();
    if !wanted.is_empty() {
        let bodies = m
            .index
            .fns
            .iter()
            .filter_map(|f| match m.index.item(f.item) {
                Some(Item { kind: ItemKind::Fn(def), .. }) => Some((f.module, f.item.file, def)),
                _ => None,
            })
            .chain(m.index.impls.iter().flat_map(|imp| match m.index.item(imp.item) {
                Some(Item { kind: ItemKind::Impl(def), .. }) => {
                    def.fns.iter().map(|f| (imp.module, imp.item.file, f)).collect::<Vec<_>>()
                }
                _ => Vec::new(),
            }));
        for (scope, file, def) in bodies {
            if m.is_dependency_file(file) {
                continue;
            }
            let Some(krate) = m.index.krate_of(scope) else { continue };
            for ((dep_crate, name), hash) in &wanted {
                if def.body.idents.binary_search(hash).is_ok() && krate.externs.contains_key(dep_crate) {
                    out.entry((dep_crate.clone(), name.clone())).or_default().push(Site {
                        loc: def.loc,
                        how: format!("in `{}`", def.name),
                        starts: false,
                    });
                }
            }
        }
    }
    for sites in out.values_mut() {
        sites.sort_by_key(|s| (!s.starts, s.loc.file, s.loc.line, s.loc.col));
        sites.dedup_by_key(|s| (s.loc.file, s.loc.line, s.loc.col));
    }
    out
}

/// Every path in a type (`Option<ActorRef<NodeServer>>` gives three).
fn paths_in<'a>(ty: &'a Ty, out: &mut Vec<&'a TyPath>, depth: usize) {
    if depth > 32 {
        return;
    }
    match ty {
        Ty::Path(p) => {
            out.push(p);
            for a in p.segments.iter().flat_map(|s| s.args.iter()) {
                paths_in(a, out, depth + 1);
            }
        }
        Ty::Tuple(v) => v.iter().for_each(|t| paths_in(t, out, depth + 1)),
        Ty::Array(t, _) | Ty::Slice(t) | Ty::Ref(t) | Ty::Ptr(t) => paths_in(t, out, depth + 1),
        _ => {}
    }
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
