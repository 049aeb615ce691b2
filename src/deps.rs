//! Stage: dependencies. Input: the workspace's `Cargo.lock`, the framework profiles, the
//! `[deps]` configuration. Output: for each dependency that can define actors, the actors it
//! defines whose state has no versioned migration (HL006); for each dependency upgrade between
//! two lock files, how the types tracked state reaches changed (HL007).
//!
//! The resolved graph comes from `Cargo.lock` and the sources from where cargo put them
//! ([`locate`]: the registry cache, git checkouts, vendored directories, path dependencies), and
//! each package's lib target goes through the same pipeline (parse, index, actors, migrations).
//! Scan results of immutable sources are kept in an on-disk [`cache`]. Invariants: a
//! dependency's files never produce HL000 (its parse failures are counted in the summary); the
//! HL006 scan never touches the network; HL007 fetches an old version's sources through cargo
//! (a throwaway project in a temporary directory) only when not offline.

mod cache;
mod locate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::actors::State;
use crate::config::Config;
use crate::profiles::Profile;
use crate::workspace::{Discovery, Workspace};

pub use locate::{cargo_home, registry_dir};

/// One scanned dependency.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// Dependencies that could define actors but whose sources are not on disk
    /// (`name version`, sorted).
    pub missing: Vec<String>,
    pub parse_failures: usize,
    /// Why `Cargo.lock` exists but could not be read (the scan was skipped), for a warning.
    pub lock_problem: Option<String>,
    /// How many of `scanned` came from the on-disk cache (for `--timings` and benchmarks; never
    /// in the output).
    pub from_cache: usize,
}

/// How a scan runs (nothing here changes its result).
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Draw a progress bar on stderr when the scan takes more than a moment (the caller checks
    /// that stderr is a terminal).
    pub progress: bool,
    /// Where the cache lives instead of the default (`HOTLINT_CACHE_DIR`, else the target
    /// directory): for benchmarks and tests.
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug)]
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    deps: Vec<String>,
}

fn read_lock(root: &Path) -> Option<Vec<Locked>> {
    let text = crate::source::read_regular_text(&root.join("Cargo.lock"), crate::source::MAX_TEXT_BYTES).ok()?;
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
            checksum: p.get("checksum").and_then(|x| x.as_str()).map(str::to_string),
            deps,
        });
    }
    Some(out)
}

/// Why an existing `Cargo.lock` could not be read: unresolved merge conflict markers (named by
/// their first line), or the TOML error; `None` when there is no `Cargo.lock` (nothing to scan).
fn lock_problem(root: &Path) -> Option<String> {
    let skipped = "the dependency scan (HL006) was skipped";
    let text = match crate::source::read_regular(&root.join("Cargo.lock"), crate::source::MAX_TEXT_BYTES) {
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

/// A package to scan: where its sources are and, for immutable sources, its cache identity.
struct Candidate<'a> {
    locked: &'a Locked,
    dir: PathBuf,
    identity: Option<String>,
}

/// Scan the dependencies of `ws` that can define actors (or all of them with `scan = "all"`).
pub fn scan(ws: &Workspace, config: &Config, profiles: &[Profile], jobs: usize, options: &ScanOptions) -> Scan {
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
    let locator = locate::Locator::new(&ws.root);
    let mut candidates = Vec::new();
    for p in &locked {
        if members.contains(p.name.as_str()) {
            continue;
        }
        let can_define = mode == "all" || is_framework(&p.name) || p.deps.iter().any(|d| is_framework(d));
        if !can_define {
            continue;
        }
        let (dir, identity) = match &p.source {
            Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => (
                locator.registry(&p.name, &p.version),
                p.checksum.as_ref().map(|c| format!("{} {} {s} {c}", p.name, p.version)),
            ),
            // A locked git source names its full revision: immutable too.
            Some(s) if s.starts_with("git+") => {
                (locator.git(&p.name, s), s.contains('#').then(|| format!("{} {} {s}", p.name, p.version)))
            }
            None => (path_dirs.get(&p.name).map(|d| ws.root.join(d)), None),
            Some(_) => (None, None),
        };
        match dir {
            Some(dir) => candidates.push(Candidate { locked: p, dir, identity }),
            None => out.missing.push(format!("{} {}", p.name, p.version)),
        }
    }
    out.missing.sort();
    out.missing.dedup();
    let cache_dir = match &options.cache_dir {
        Some(dir) => Some(dir.clone()),
        None => cache::dir_for(&ws.target_dir(), &ws.root),
    };
    let cache = cache_dir.map(|dir| cache::Cache::new(dir, profiles_fingerprint(config, profiles)));
    let progress = Progress::new(options.progress, candidates.len());
    for c in &candidates {
        let cached = match (&cache, &c.identity) {
            (Some(cache), Some(id)) => cache.get(&c.locked.name, id),
            _ => None,
        };
        let scanned = match cached {
            Some(s) => {
                out.from_cache += 1;
                Some(s)
            }
            None => {
                let s = scan_package(&c.dir, config, profiles, jobs).map(|s| Scanned {
                    name: c.locked.name.clone(),
                    version: c.locked.version.clone(),
                    ..s
                });
                if let (Some(cache), Some(id), Some(s)) = (&cache, &c.identity, &s) {
                    cache.put(&c.locked.name, id, s);
                }
                s
            }
        };
        progress.tick(&c.locked.name);
        if let Some(s) = scanned {
            out.parse_failures += s.parse_failures;
            out.scanned.push(s);
        }
    }
    progress.finish();
    out
}

/// Which profiles and aliases a scan used: part of every cache key.
fn profiles_fingerprint(config: &Config, profiles: &[Profile]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(format!("{profiles:?}\n{:?}", config.aliases).as_bytes())
}

/// The progress bar: drawn on stderr only when asked and only once the scan has taken more than
/// a moment, so fast (warm) runs never flash one.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: std::time::Instant,
    shown: std::cell::Cell<bool>,
}

impl Progress {
    const DELAY: std::time::Duration = std::time::Duration::from_millis(300);

    fn new(on: bool, len: usize) -> Progress {
        let bar = on.then(|| {
            let bar =
                indicatif::ProgressBar::with_draw_target(Some(len as u64), indicatif::ProgressDrawTarget::hidden());
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} dependencies: {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix("Scanning");
            bar
        });
        Progress { bar, start: std::time::Instant::now(), shown: std::cell::Cell::new(false) }
    }

    fn tick(&self, name: &str) {
        let Some(bar) = &self.bar else { return };
        bar.set_message(name.to_string());
        bar.inc(1);
        if !self.shown.get() && self.start.elapsed() >= Self::DELAY {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.shown.set(true);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
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
    crate::on_threads(jobs, || crate::model::analyse(ws, index, dep_config, profiles.to_vec(), &tree)).ok()
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

/// Where a locked package comes from (`Cargo.lock`'s `source`).
enum Source {
    Registry { crates_io: bool },
    Git { rev: String },
}

impl Source {
    fn of(source: &str) -> Source {
        if let Some(rest) = source.strip_prefix("git+") {
            return Source::Git { rev: rest.rsplit_once('#').map(|(_, r)| r.to_string()).unwrap_or_default() };
        }
        let crates_io = source == "registry+https://github.com/rust-lang/crates.io-index"
            || source == "sparse+https://index.crates.io/";
        Source::Registry { crates_io }
    }
}

/// Compare, between two `Cargo.lock`s, the dependency types that tracked types reach.
///
/// An old (or new) version whose sources are not on disk is fetched through cargo
/// ([`crate::workspace::fetch_registry_package`]) unless `offline`; what cannot be had is HL013.
pub fn upgrade_changes(
    head: &crate::model::Model,
    base_lock: &crate::model::LockSources,
    jobs: usize,
    offline: bool,
) -> Vec<DepChange> {
    let mut out = Vec::new();
    let mut locator = locate::Locator::new(&head.ws.root);
    for (name, entries) in &head.lock_sources {
        let Some(before) = base_lock.get(name) else { continue };
        // A change of version or of source (a git revision moves under an unchanged version).
        if before == entries {
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
            before.iter().find(|v| !entries.contains(v)).or(before.first()),
            entries.iter().find(|v| !before.contains(v)).or(entries.first()),
        ) else {
            continue;
        };
        let shown = |(version, source): &(String, Option<String>)| match source.as_deref().map(Source::of) {
            Some(Source::Git { rev }) => format!("{version} (git {})", rev.get(..12).unwrap_or(&rev)),
            Some(Source::Registry { .. }) => version.clone(),
            None => format!("{version} (path)"),
        };
        let (from_shown, to_shown) = (shown(from), shown(to));
        // Sources hotlint cannot read are one HL013 for the package, naming every type reached.
        let unverifiable = |why: String| -> DepChange {
            DepChange {
                package: name.clone(),
                from: from_shown.clone(),
                to: to_shown.clone(),
                ty: reached.keys().cloned().collect::<Vec<_>>().join("`, `"),
                reached: reached.values().flatten().cloned().collect::<BTreeSet<_>>().into_iter().collect(),
                changes: Vec::new(),
                unverifiable: Some(why),
            }
        };
        // Each side from where cargo put it. Only a package of the default registry is ever
        // fetched (through cargo, unless offline): a git or path source is never looked up on
        // the registry, where a package of the same name is another crate.
        let mut dirs: Vec<Option<PathBuf>> = Vec::new();
        let mut why_missing: Vec<String> = Vec::new();
        for (version, source) in [from, to] {
            let found = match source.as_deref().map(Source::of) {
                Some(Source::Registry { crates_io }) => {
                    let mut dir = locator.registry(name, version);
                    if dir.is_none() && crates_io && !offline {
                        match crate::workspace::fetch_registry_package(name, version) {
                            Ok(()) => {
                                locator.refresh();
                                dir = locator.registry(name, version);
                                if dir.is_none() {
                                    why_missing.push(format!(
                                        "the sources of {name} {version} are not where cargo's fetch put them"
                                    ));
                                }
                            }
                            Err(e) => {
                                why_missing.push(format!("the sources of {name} {version} could not be fetched: {e}"))
                            }
                        }
                    } else if dir.is_none() && offline {
                        why_missing.push(format!("the sources of {name} {version} are not on disk, and `--offline` forbids fetching them (run without `--offline`, or `cargo fetch` at that revision)"));
                    } else if dir.is_none() {
                        why_missing.push(format!("the sources of {name} {version} (from a registry other than crates.io) are not on disk (`cargo fetch` at that revision puts them there)"));
                    }
                    dir
                }
                Some(Source::Git { .. }) => {
                    let dir = source.as_deref().and_then(|s| locator.git(name, s));
                    if dir.is_none() {
                        why_missing.push(format!("the git checkout of {name} at {} is not on disk (hotlint never fetches it; `cargo fetch` at that revision puts it there)", shown(&(version.clone(), source.clone()))));
                    }
                    dir
                }
                None => {
                    why_missing.push(format!(
                        "{name} is a path dependency: hotlint does not read its sources at the base revision"
                    ));
                    None
                }
            };
            dirs.push(found);
        }
        let (Some(Some(old_dir)), Some(Some(new_dir))) = (dirs.first().cloned(), dirs.get(1).cloned()) else {
            out.push(unverifiable(why_missing.join("; ")));
            continue;
        };
        let (from, to) = (&from_shown, &to_shown);
        let (Some(old), Some(mut new)) = (
            package_model(&old_dir, &head.config, &head.profiles, jobs),
            package_model(&new_dir, &head.config, &head.profiles, jobs),
        ) else {
            out.push(unverifiable(format!("the sources of {name} could not be analysed")));
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
        new.rebuild_schemas();
        let cmp = crate::on_threads(jobs, || crate::compare::compare(old, &new, String::new()));
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
        // The same test as HL001: state that holds data, not only handles rebuilt on start.
        let holds = crate::rules::state_holds_data(&model, &a.state);
        let (has_data, state) = match &a.state {
            State::SelfType(t) | State::Local { ty: t, .. } => (
                holds && crate::rules::data_fields(&model, *t).unwrap_or(1) > 0,
                model.index.type_entry(*t).map(|e| e.path.clone()).unwrap_or_default(),
            ),
            State::Unit => (false, "()".into()),
            State::Other { display } => (holds, display.clone()),
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
