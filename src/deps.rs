//! Stage: dependencies. Input: the workspace's `Cargo.lock`, the framework profiles, the
//! `[deps]` configuration. Output: for each dependency that can define actors, the actors it
//! defines whose state has no versioned migration (HL006).
//!
//! The resolved graph comes from `Cargo.lock` and the sources from where cargo unpacked them
//! (`$CARGO_HOME/registry/src/*/name-version`, or a path dependency's directory), so the scan never
//! touches the network and runs the same pipeline (parse, index, actors, migrations) on each
//! package's lib target. Invariant: a dependency's files never produce HL000; its parse failures
//! are counted in the summary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::actors::State;
use crate::config::Config;
use crate::profiles::Profile;
use crate::workspace::{Discovery, Workspace};

/// One scanned dependency.
#[derive(Clone, Debug)]
pub struct Scanned {
    pub name: String,
    pub version: String,
    /// Actors with state and no versioned migration: (id, state, file inside the package, line).
    pub actors: Vec<(String, String, String, u32)>,
    pub parse_failures: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Scan {
    pub scanned: Vec<Scanned>,
    /// Dependencies that could define actors but whose sources are not on disk.
    pub missing: Vec<String>,
    pub parse_failures: usize,
    /// Why `Cargo.lock` exists but could not be read (the scan was skipped), for a warning.
    pub lock_problem: Option<String>,
}

#[derive(Debug)]
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    deps: Vec<String>,
}

fn read_lock(root: &Path) -> Option<Vec<Locked>> {
    let text = std::fs::read_to_string(root.join("Cargo.lock")).ok()?;
    let table: toml::Table = text.parse().ok()?;
    let mut out = Vec::new();
    for p in table.get("package")?.as_array()? {
        let (Some(name), Some(version)) =
            (p.get("name").and_then(|x| x.as_str()), p.get("version").and_then(|x| x.as_str()))
        else {
            continue;
        };
        let deps = p
            .get("dependencies")
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter().filter_map(|d| d.as_str()).map(|d| d.split(' ').next().unwrap_or(d).to_string()).collect()
            })
            .unwrap_or_default();
        out.push(Locked {
            name: name.to_string(),
            version: version.to_string(),
            source: p.get("source").and_then(|x| x.as_str()).map(str::to_string),
            deps,
        });
    }
    Some(out)
}

/// Why an existing `Cargo.lock` could not be read: unresolved merge conflict markers (named by
/// their first line), or the TOML error; `None` when there is no `Cargo.lock` (nothing to scan).
fn lock_problem(root: &Path) -> Option<String> {
    let skipped = "the dependency scan (HL006) was skipped";
    let text = match std::fs::read(root.join("Cargo.lock")) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(format!("could not read `Cargo.lock`: {e}; {skipped}")),
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let marker = text
        .lines()
        .enumerate()
        .find(|(_, l)| ["<<<<<<<", "=======", ">>>>>>>", "|||||||"].iter().any(|m| l.starts_with(m)));
    if let Some((n, line)) = marker {
        let marker = line.get(..7).unwrap_or(line);
        return Some(format!(
            "`Cargo.lock` has unresolved merge conflict markers (`{marker}` on line {}); {skipped} (resolve the conflict, or regenerate it with `cargo generate-lockfile`)",
            n + 1
        ));
    }
    match text.parse::<toml::Table>() {
        Err(e) => {
            let line = e.span().map(|s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1);
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            Some(format!("`Cargo.lock`{at} is not valid TOML: {}; {skipped}", e.message()))
        }
        Ok(_) => Some(format!("`Cargo.lock` lists no `[[package]]`; {skipped}")),
    }
}

fn cargo_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(h);
    }
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cargo")
}

/// Where cargo unpacked a registry package.
pub fn registry_dir(name: &str, version: &str) -> Option<PathBuf> {
    let src = cargo_home().join("registry").join("src");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&src).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    dirs.sort();
    dirs.into_iter().map(|d| d.join(format!("{name}-{version}"))).find(|p| p.join("Cargo.toml").is_file())
}

/// Scan the dependencies of `ws` that can define actors (or all of them with `scan = "all"`).
pub fn scan(ws: &Workspace, config: &Config, profiles: &[Profile], jobs: usize) -> Scan {
    let mut out = Scan::default();
    let mode = config.deps_scan.as_deref().unwrap_or("actor-crates");
    if mode == "none" {
        return out;
    }
    let Some(locked) = read_lock(&ws.root) else {
        out.lock_problem = lock_problem(&ws.root);
        return out;
    };
    let members: BTreeSet<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
    let framework_crates: BTreeSet<String> =
        profiles.iter().filter(|p| !p.not_actor).flat_map(|p| p.crates.iter().map(|c| c.replace('_', "-"))).collect();
    let is_framework = |n: &str| framework_crates.contains(&n.replace('_', "-"));
    // Path dependencies outside the workspace: their directory from the members' manifests.
    let path_dirs: BTreeMap<String, String> = ws
        .packages
        .iter()
        .flat_map(|p| p.deps.iter())
        .filter_map(|d| d.path.as_ref().map(|path| (d.package.clone(), path.clone())))
        .collect();
    for p in &locked {
        if members.contains(p.name.as_str()) {
            continue;
        }
        let can_define = mode == "all" || is_framework(&p.name) || p.deps.iter().any(|d| is_framework(d));
        if !can_define {
            continue;
        }
        let dir = match &p.source {
            Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => registry_dir(&p.name, &p.version),
            None => path_dirs.get(&p.name).map(|d| ws.root.join(d)),
            // Git checkouts: not located yet.
            _ => None,
        };
        let Some(dir) = dir else {
            out.missing.push(format!("{} {}", p.name, p.version));
            continue;
        };
        if let Some(s) = scan_package(&dir, config, profiles, jobs) {
            out.parse_failures += s.parse_failures;
            out.scanned.push(Scanned { name: p.name.clone(), version: p.version.clone(), ..s });
        }
    }
    out
}

/// Parse and analyse one package's lib target from its sources.
pub fn package_model(dir: &Path, config: &Config, profiles: &[Profile], jobs: usize) -> Option<crate::model::Model> {
    let tree = crate::source::Worktree::new(dir);
    let mut package = crate::workspace::read_package_at(&tree)?;
    package.targets.retain(|t| t.kind == crate::workspace::TargetKind::Lib);
    let ws = Workspace {
        root: dir.to_path_buf(),
        packages: vec![package],
        selected: vec![0],
        discovery: Discovery::Manifests { reason: "dependency".into() },
        deps: Vec::new(),
    };
    let opts = crate::parse::ParseOptions { interesting_calls: crate::profiles::interesting_calls(profiles) };
    let mut sources = crate::load::Sources::default();
    crate::load::load(
        &mut sources,
        crate::load::member_roots(&ws),
        &tree,
        &opts,
        &globset::GlobSet::empty(),
        jobs,
        &crate::load::Reuse::new(),
    );
    let index = crate::index::build(&ws, sources);
    let dep_config =
        Config { frameworks: config.frameworks.clone(), aliases: config.aliases.clone(), ..Config::default() };
    crate::model::analyse(ws, index, dep_config, profiles.to_vec(), &tree).ok()
}

/// A dependency whose locked version changed between base and head, and a type of it that a
/// tracked type's shape reaches: how its shape changed (HL007), or why that cannot be told (HL013).
#[derive(Clone, Debug)]
pub struct DepChange {
    pub package: String,
    pub from: String,
    pub to: String,
    /// The dependency's type, as the workspace reaches it (`uuid::Uuid`).
    pub ty: String,
    /// Workspace tracked types whose shape reaches it.
    pub reached: Vec<String>,
    pub changes: Vec<crate::compare::Change>,
    /// Why it cannot be verified (opaque impl changed, sources missing, type not found).
    pub unverifiable: Option<String>,
}

/// Compare, between two `Cargo.lock`s, the dependency types that tracked types reach.
pub fn upgrade_changes(
    head: &crate::model::Model,
    base_lock: &BTreeMap<String, Vec<String>>,
    jobs: usize,
) -> Vec<DepChange> {
    let mut out = Vec::new();
    for (name, versions) in &head.lock {
        let Some(before) = base_lock.get(name) else { continue };
        if before == versions {
            continue;
        }
        let krate = name.replace('-', "_");
        let prefix = format!("{krate}::");
        // Types of this dependency reached by tracked types: path → tracked types.
        let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for t in head.tracked.values() {
            for e in t.closure.externals.iter().filter(|e| e.starts_with(&prefix)) {
                let bare = e.split('<').next().unwrap_or(e).to_string();
                reached.entry(bare).or_default().insert(t.path.clone());
            }
        }
        if reached.is_empty() {
            continue;
        }
        let (Some(from), Some(to)) = (
            before.iter().find(|v| !versions.contains(v)).or(before.first()),
            versions.iter().find(|v| !before.contains(v)).or(versions.first()),
        ) else {
            continue;
        };
        let unverifiable = |why: String| -> Vec<DepChange> {
            reached
                .iter()
                .map(|(ty, by)| DepChange {
                    package: name.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    ty: ty.clone(),
                    reached: by.iter().cloned().collect(),
                    changes: Vec::new(),
                    unverifiable: Some(why.clone()),
                })
                .collect()
        };
        let (Some(old_dir), Some(new_dir)) = (registry_dir(name, from), registry_dir(name, to)) else {
            let missing: Vec<String> = [(from, registry_dir(name, from)), (to, registry_dir(name, to))]
                .into_iter()
                .filter(|(_, d)| d.is_none())
                .map(|(v, _)| format!("{name} {v}"))
                .collect();
            out.extend(unverifiable(format!(
                "the sources of {} are not on disk (hotlint does not download them; `cargo fetch` at that revision puts them there)",
                missing.join(" and ")
            )));
            continue;
        };
        let (Some(old), Some(mut new)) = (
            package_model(&old_dir, &head.config, &head.profiles, jobs),
            package_model(&new_dir, &head.config, &head.profiles, jobs),
        ) else {
            out.extend(unverifiable(format!("the sources of {name} could not be analysed")));
            continue;
        };
        // Make the reached types the new model's tracked types, so one comparison judges them.
        let res = crate::resolve::Resolver::new(&new.index, &new.config.aliases);
        let root = new.index.crates.first().map(|c| c.root);
        let mut found: BTreeMap<u32, String> = BTreeMap::new();
        for ty in reached.keys() {
            let segs: Vec<String> = ty.split("::").skip(1).map(str::to_string).collect();
            if let (Some(root), false) = (root, segs.is_empty()) {
                if let crate::resolve::Res::Type(t) = res.resolve(root, false, &segs, &[], crate::resolve::Ns::Type) {
                    found.insert(t, ty.clone());
                }
            }
        }
        let tracker =
            crate::tracked::Tracker { index: &new.index, res: &res, migrations: &new.migrations, impls: &new.impls };
        let mut tracked = BTreeMap::new();
        for &t in found.keys() {
            let Some(e) = new.index.type_entry(t) else { continue };
            tracked.insert(
                t,
                crate::tracked::Tracked {
                    ty: t,
                    path: e.path.clone(),
                    reasons: BTreeSet::new(),
                    remote: false,
                    migration: None,
                    closure: tracker.closure(t, false),
                    config_encoding: None,
                    config_compat: None,
                    config_version: None,
                },
            );
        }
        new.tracked = tracked;
        let cmp = crate::compare::compare(old, &new, String::new());
        for d in &cmp.diffs {
            let Some(ty) = d.head_ty.and_then(|t| found.get(&t)) else { continue };
            let by: Vec<String> = reached.get(ty).map(|s| s.iter().cloned().collect()).unwrap_or_default();
            let unverifiable = if d.base_ty.is_none() {
                Some(format!("`{ty}` is not found in {name} {from}"))
            } else {
                d.opaque_changed.first().map(|(w, why)| format!("`{w}`: {why}"))
            };
            if d.changes.is_empty() && unverifiable.is_none() {
                continue;
            }
            out.push(DepChange {
                package: name.clone(),
                from: from.clone(),
                to: to.clone(),
                ty: ty.clone(),
                reached: by,
                changes: d.changes.clone(),
                unverifiable,
            });
        }
    }
    out
}

fn scan_package(dir: &Path, config: &Config, profiles: &[Profile], jobs: usize) -> Option<Scanned> {
    let model = package_model(dir, config, profiles, jobs)?;
    let parse_failures = model.index.files.iter().filter(|f| f.error.is_some()).count();
    let mut actors = Vec::new();
    for a in model.actors.actors.iter().filter(|a| !a.test) {
        let (has_data, state) = match &a.state {
            State::SelfType(t) | State::Local { ty: t, .. } => (
                crate::rules::data_fields(&model, *t).unwrap_or(1) > 0,
                model.index.type_entry(*t).map(|e| e.path.clone()).unwrap_or_default(),
            ),
            State::Unit => (false, "()".into()),
            State::Other { display } => (true, display.clone()),
            State::Unknown { written } => (!written.starts_with('<'), written.clone()),
        };
        if !has_data || model.migration_of_actor(a).is_some() {
            continue;
        }
        actors.push((a.id.clone(), state, model.file_path(a.decl.file), a.decl.line));
    }
    actors.sort();
    Some(Scanned { name: String::new(), version: String::new(), actors, parse_failures })
}
