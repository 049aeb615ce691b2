//! Stage: analysis. Input: the workspace, its index, the configuration and the profiles.
//! Output: the [`Model`] every rule reads: actors, migrations, tracked types and their shapes.
//! Invariant: built once per revision; rules only read it.

use std::collections::BTreeMap;

use crate::actors::{self, Actor, Actors};
use crate::config::Config;
use crate::encoding::{self, Encoding};
use crate::error::Result;
use crate::index::{Index, TypeId};
use crate::migrations::{self, Migration};
use crate::profiles::Profile;
use crate::resolve::Resolver;
use crate::source::Tree;
use crate::tracked::Reason;
use crate::tracked::{self, Tracked};
use crate::workspace::Workspace;

/// One revision's analysis. A base's ([`Depth::Base`]) leaves the tracked types' closures, the
/// encodings and the golden files empty: the comparison and the rules read those of the head.
#[derive(Debug)]
pub struct Model {
    pub ws: Workspace,
    pub index: Index,
    pub config: Config,
    pub profiles: Vec<Profile>,
    pub actors: Actors,
    pub migrations: BTreeMap<TypeId, Migration>,
    pub tracked: BTreeMap<TypeId, Tracked>,
    pub impls: BTreeMap<TypeId, Vec<usize>>,
    /// What goes on the wire for each tracked type (built for the head and the base alike).
    pub schemas: crate::schema::Schemas,
    /// Encoding of each tracked type.
    pub encodings: BTreeMap<TypeId, Encoding>,
    /// Files under `tests/hotlint/<Type>/` of each package (package index → type name → files).
    pub golden: BTreeMap<usize, BTreeMap<String, Vec<String>>>,
    /// Whether a base revision (or a lock) is being compared against.
    pub has_history: bool,
    /// The comparison with the base revision, when there is one.
    pub comparison: Option<crate::compare::Comparison>,
    /// `Cargo.lock` of this tree: package name → locked versions.
    pub lock: BTreeMap<String, Vec<String>>,
    /// The same with each version's source (registry, git revision, none for a path), which
    /// HL007 needs: a git revision can change under an unchanged version.
    pub lock_sources: LockSources,
    /// The dependency scan (HL006), when it ran.
    pub deps: Option<crate::deps::Scan>,
    /// Dependency upgrades between base and head that reach tracked types (HL007, HL013).
    pub dep_changes: Vec<crate::deps::DepChange>,
    /// A base revision compared with the working tree: sources whose checked-out bytes a
    /// conversion makes differ from the stored blobs this model read (path, which; HL013).
    pub base_doubts: Vec<(String, String)>,
    /// Selected packages outside the git repository compared with (name, workspace-relative
    /// directory): they have no base there (HL013).
    pub outside_repository: Vec<(String, String)>,
}

/// What an analysis computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Everything the rules read.
    Full,
    /// What a comparison reads from its base (a revision or the lock): actors, migrations and
    /// tracked types with their reasons; no shapes (the head's closures are compared), no
    /// encodings, no golden files.
    Base,
}

pub fn analyse(ws: Workspace, index: Index, config: Config, profiles: Vec<Profile>, tree: &dyn Tree) -> Result<Model> {
    analyse_to(Depth::Full, ws, index, config, profiles, tree)
}

pub fn analyse_to(
    depth: Depth,
    ws: Workspace,
    index: Index,
    config: Config,
    profiles: Vec<Profile>,
    tree: &dyn Tree,
) -> Result<Model> {
    let conventions = migrations::conventions()?;
    let formats = encoding::formats()?;
    // Actors and migrations do not depend on each other: found side by side (on the current
    // rayon pool), each with its own resolver; tracked types need both.
    let remote: Vec<String> = config.remote.iter().map(|e| e.value.clone()).collect();
    let (actors, (impls, migrations)) = rayon::join(
        || actors::find(&index, &Resolver::new(&index, &config.aliases), &profiles, &remote),
        || {
            let res = Resolver::new(&index, &config.aliases);
            let impls = migrations::impls_by_type(&index, &res);
            let mut migrations = migrations::Finder::new(&index, &res, &impls, &conventions, &config.aliases).all();
            configured_versions(&index, &config, &mut migrations);
            (impls, migrations)
        },
    );
    let tracked = {
        let res = Resolver::new(&index, &config.aliases);
        let tracker = tracked::Tracker { index: &index, res: &res, migrations: &migrations, impls: &impls };
        tracked::find(&tracker, &actors, &config, depth == Depth::Full)
    };
    // A base's schemas are built by the comparison, for the head's definitions' counterparts only.
    let schemas = if depth == Depth::Base {
        crate::schema::Schemas::default()
    } else {
        let roots: Vec<TypeId> = tracked.keys().copied().collect();
        crate::schema::build_all(&index, &config.aliases, &impls, &migrations, &roots, &memory_types(&tracked))
    };
    let encodings = if depth == Depth::Base {
        BTreeMap::new()
    } else {
        use rayon::prelude::*;
        let tracked: Vec<&Tracked> = tracked.values().collect();
        tracked
            .par_iter()
            .map(|t| {
                let facts = encoding_facts(&index, &config, &profiles, &actors, t);
                (t.ty, encoding::infer(&ws, &index, &formats, t.ty, &facts))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    };
    let golden = if depth == Depth::Base { BTreeMap::new() } else { golden_fixtures(&ws, tree) };
    let (lock, lock_sources) = read_lock(tree);
    Ok(Model {
        ws,
        index,
        config,
        profiles,
        actors,
        migrations,
        tracked,
        impls,
        schemas,
        encodings,
        golden,
        has_history: false,
        comparison: None,
        lock,
        lock_sources,
        deps: None,
        dep_changes: Vec::new(),
        base_doubts: Vec::new(),
        outside_repository: Vec::new(),
    })
}

/// Tracked types carried in memory (`[[track]] encoding = "memory"`): every field counts.
pub fn memory_types(tracked: &BTreeMap<TypeId, Tracked>) -> std::collections::BTreeSet<TypeId> {
    tracked.iter().filter(|(_, t)| t.config_encoding.as_deref() == Some("memory")).map(|(k, _)| *k).collect()
}

/// `[[track]] version = "crate::path::CONST"`: a constant that versions the whole tree under a
/// type (savefile's global version, or a program's own snapshot version).
fn configured_versions(index: &Index, config: &Config, migrations: &mut BTreeMap<TypeId, Migration>) {
    for entry in &config.track {
        let Some(const_path) = &entry.value.version else { continue };
        let found = index.consts.iter().find_map(|c| {
            let Some(crate::ir::Item { kind: crate::ir::ItemKind::Const(k), .. }) = index.item(c.item) else {
                return None;
            };
            (format!("{}::{}", index.module_path(c.module), k.name) == *const_path).then_some(k)
        });
        let Some(k) = found else { continue };
        for &ty in index.type_by_path.get(&entry.value.ty).into_iter().flatten() {
            let savefile = index.type_entry(ty).and_then(|e| index.item(e.item)).is_some_and(|item| match &item.kind {
                crate::ir::ItemKind::Type(def) => {
                    def.fields.iter().any(|f| f.attrs.iter().any(|a| a.last().starts_with("savefile")))
                }
                _ => false,
            });
            let version = match migrations::int_literal(&k.value) {
                Some(n) => migrations::Version::Int(n),
                None => migrations::Version::Text(k.value.clone()),
            };
            migrations.entry(ty).or_insert(Migration {
                convention: if savefile { "savefile".into() } else { "configured-constant".into() },
                version,
                history: Vec::new(),
                paths: Vec::new(),
                loc: k.loc,
                encoding: savefile.then(|| "positional".to_string()),
            });
        }
    }
}

/// What decides a tracked type's encoding before its dependencies are looked at.
fn encoding_facts<'a>(
    index: &Index,
    config: &'a Config,
    profiles: &'a [Profile],
    actors: &Actors,
    t: &'a Tracked,
) -> encoding::Facts<'a> {
    let crate_name = index.type_entry(t.ty).and_then(|e| index.krate_of(e.module)).map(|c| c.name.clone());
    let configured = t.config_encoding.as_deref().or_else(|| {
        let by_type = config.encoding.iter().find(|e| e.value.0 == t.path);
        let by_crate = config.encoding.iter().find(|e| Some(&e.value.0) == crate_name.as_ref());
        by_type.or(by_crate).map(|e| e.value.1.as_str())
    });
    let profile_of = |actor: &str| -> Option<&'a Profile> {
        let framework = actors.actors.iter().find(|a| a.id == actor).map(|a| a.framework.clone())?;
        profiles.iter().find(|p| p.name == framework)
    };
    let mut framework = None;
    for r in &t.reasons {
        match r {
            // A remote message no workspace actor receives: its marker's framework says how it
            // travels, as it does for its siblings that an actor receives.
            Reason::Remote { actor: None } => {
                let profile = actors.remote_framework.get(&t.ty).and_then(|f| profiles.iter().find(|p| &p.name == f));
                if let Some(p) = profile {
                    if let Some(rem) = &p.remote {
                        framework = framework.or(Some((rem.encoding.as_str(), p.name.as_str())));
                    }
                }
            }
            Reason::Remote { actor: Some(a) } => {
                if let Some(p) = profile_of(a) {
                    if let Some(rem) = &p.remote {
                        framework = Some((rem.encoding.as_str(), p.name.as_str()));
                    }
                }
            }
            Reason::Persisted { actor, .. } => {
                if let Some(p) = profile_of(actor) {
                    if let Some(enc) = p.persist.as_ref().and_then(|ps| ps.encoding.as_deref()) {
                        framework = framework.or(Some((enc, p.name.as_str())));
                    }
                }
            }
            _ => {}
        }
    }
    let convention = t.migration.as_ref().and_then(|m| m.encoding.as_deref().map(|e| (e, m.convention.as_str())));
    encoding::Facts { configured, framework, convention }
}

/// `Cargo.lock` at the workspace root of `tree`: package → versions (empty when absent or broken).
fn read_lock(tree: &dyn Tree) -> (BTreeMap<String, Vec<String>>, LockSources) {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut sources: LockSources = BTreeMap::new();
    let Ok(bytes) = tree.read("Cargo.lock") else { return (out, sources) };
    let Ok(table) = String::from_utf8_lossy(&bytes).parse::<toml::Table>() else { return (out, sources) };
    for p in table.get("package").and_then(|p| p.as_array()).into_iter().flatten() {
        if let (Some(n), Some(v)) = (p.get("name").and_then(|x| x.as_str()), p.get("version").and_then(|x| x.as_str()))
        {
            out.entry(n.to_string()).or_default().push(v.to_string());
            let source = p.get("source").and_then(|x| x.as_str()).map(str::to_string);
            sources.entry(n.to_string()).or_default().push((v.to_string(), source));
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    for v in sources.values_mut() {
        v.sort();
        v.dedup();
    }
    (out, sources)
}

/// `Cargo.lock` by package name: every locked (version, source); no source for a path package.
pub type LockSources = BTreeMap<String, Vec<(String, Option<String>)>>;

/// `tests/hotlint/<Type>/` golden fixture files of each selected member.
fn golden_fixtures(ws: &Workspace, tree: &dyn Tree) -> BTreeMap<usize, BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for &p in &ws.selected {
        let Some(pkg) = ws.packages.get(p) else { continue };
        let base = crate::source::join(&pkg.dir, "tests/hotlint");
        let Ok(entries) = tree.list_dir(&base) else { continue };
        let mut per_type = BTreeMap::new();
        for (name, _) in entries.into_iter().filter(|(_, d)| *d) {
            let files = tree.list_dir(&crate::source::join(&base, &name)).unwrap_or_default();
            per_type.insert(name, files.into_iter().filter(|(_, d)| !d).map(|(f, _)| f).collect());
        }
        out.insert(p, per_type);
    }
    out
}

impl Model {
    /// Build the schemas of the tracked types again (after tracked types were added by hand: a
    /// lock's, a dependency's reached types).
    pub fn rebuild_schemas(&mut self) {
        let roots: Vec<TypeId> = self.tracked.keys().copied().collect();
        self.schemas = crate::schema::build_all(
            &self.index,
            &self.config.aliases,
            &self.impls,
            &self.migrations,
            &roots,
            &memory_types(&self.tracked),
        );
    }

    pub fn package_of_file(&self, file: u32) -> Option<String> {
        let p = self.index.file_package.get(file as usize).copied().flatten()?;
        self.ws.packages.get(p).map(|p| p.name.clone())
    }

    /// The migration that covers an actor's state: declared on the state type, or on the actor
    /// (when the state type is not the crate's own).
    pub fn migration_of_actor(&self, a: &Actor) -> Option<&Migration> {
        let state = match a.state {
            actors::State::SelfType(t) | actors::State::Local { ty: t, .. } => self.migrations.get(&t),
            _ => None,
        };
        state.or_else(|| a.ty.and_then(|t| self.migrations.get(&t))).or_else(|| self.persisted_migration(a))
    }

    /// A persistent actor (coerce) recovers its state from the snapshots and journal messages it
    /// registers: when every one of them is versioned, that is its migration (the snapshot's, if
    /// it has one).
    fn persisted_migration(&self, a: &Actor) -> Option<&Migration> {
        let mut persisted: Vec<&actors::Persisted> = self.actors.persisted.iter().filter(|p| p.actor == a.id).collect();
        if persisted.is_empty() {
            return None;
        }
        persisted.sort_by_key(|p| p.kind != "snapshot");
        let migrations: Vec<&Migration> = persisted.iter().filter_map(|p| self.migrations.get(&p.ty)).collect();
        if migrations.len() == persisted.len() { migrations.first().copied() } else { None }
    }

    /// The type derives or implements serde's `Serialize` or `Deserialize`.
    pub fn is_serialized(&self, ty: TypeId) -> bool {
        let res = Resolver::new(&self.index, &self.config.aliases);
        let Some(e) = self.index.type_entry(ty) else { return false };
        let Some(item) = self.index.item(e.item) else { return false };
        let tracker =
            tracked::Tracker { index: &self.index, res: &res, migrations: &self.migrations, impls: &self.impls };
        migrations::has_serde_derive(&res, e.module, &item.attrs, "Deserialize")
            || migrations::has_serde_derive(&res, e.module, &item.attrs, "Serialize")
            || tracker.hand_written_serde(ty).is_some()
    }

    /// A file of a dependency loaded only to follow re-exports.
    pub fn is_dependency_file(&self, file: u32) -> bool {
        self.index.file_package.get(file as usize).copied().flatten().is_some_and(|p| self.ws.is_dependency(p))
    }

    /// Files of the workspace itself (not of dependencies loaded for re-exports).
    pub fn workspace_files(&self) -> usize {
        self.index.files.iter().filter(|f| !self.is_dependency_file(f.id)).count()
    }

    /// The canonical path of a workspace constant (`crate::module::NAME`).
    pub fn const_path(&self, c: &crate::index::ScopedItem) -> Option<String> {
        match self.index.item(c.item) {
            Some(crate::ir::Item { kind: crate::ir::ItemKind::Const(k), .. }) => {
                Some(format!("{}::{}", self.index.module_path(c.module), k.name))
            }
            _ => None,
        }
    }

    pub fn is_ephemeral(&self, actor: &str) -> bool {
        self.config.ephemeral.iter().any(|e| e.value == actor)
    }

    pub fn file_path(&self, file: u32) -> String {
        self.index.file(file).map(|f| f.rel_path.clone()).unwrap_or_default()
    }
}
