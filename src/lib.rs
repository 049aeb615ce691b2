//! hotlint: a static upgrade-safety linter for Rust actor systems.
//!
//! It answers one question before a deploy: *will the state the running system holds survive
//! the new code?* The pipeline, one stage per module, each handing an owned value to the next:
//!
//! ```text
//! workspace ─▶ config ─▶ load (sources + parse) ─▶ index ─▶ model (actors, migrations,
//!   tracked types + shapes) ─▶ rules ─▶ findings (allows, HL014, order) ─▶ report (render)
//! ```
//!
//! [`check`] below is that flow, one line per stage.
//!
//! Invariants:
//! - Broken user code is a finding (HL000), never an `Err`; `Err` means hotlint cannot do its
//!   job (no manifest, bad configuration) and maps to exit status 2.
//! - syn trees never leave the parsing thread; only owned summaries ([`ir`]) do, and no
//!   `proc_macro2::Span` outlives parsing.
//! - Only `load` reads source files, only `config` reads configuration, only `workspace` runs
//!   cargo (`cargo metadata`, and `cargo fetch` in a temporary project for HL007); rules never do
//!   I/O; nothing writes unless the user asked (`--output`), except the dependency scan cache in
//!   an existing target directory ([`deps`]), as cargo writes `target/`.
//! - Output is deterministic: sorted collections, relative `/` paths, no timings in JSON.

pub mod actors;
pub mod baseline;
pub mod cli;
pub mod compare;
pub mod config;
pub mod deps;
pub mod encoding;
pub mod error;
pub mod findings;
pub mod formats;
pub mod fuzzing;
pub mod git;
pub mod index;
pub mod ir;
pub mod load;
pub mod lock;
pub mod matching;
pub mod migrations;
pub mod model;
pub mod output;
pub mod parse;
pub mod plan;
pub mod profiles;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod schema;
pub mod source;
pub mod tracked;
pub mod workspace;

use std::path::PathBuf;
use std::time::Instant;

pub use error::{Error, Result};

/// What a `check` run needs to know.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub manifest_path: Option<PathBuf>,
    pub cwd: PathBuf,
    pub selection: workspace::Selection,
    pub config: Option<PathBuf>,
    /// `-W/-A/-D` flags in command-line order.
    pub level_flags: Vec<(char, String)>,
    /// Threads; 0 = all cores.
    pub jobs: usize,
    pub timings: bool,
    /// `--base REV`: compare against the merge base of REV and the head.
    pub base: Option<String>,
    /// `--base-exact`: compare against REV itself.
    pub base_exact: bool,
    /// `--head REV`: check a revision instead of the working tree.
    pub head: Option<String>,
    /// `--staged`: check the index.
    pub staged: bool,
    /// `--deps` / `--no-deps`; `None`: scan, except with `--staged`.
    pub deps: Option<bool>,
    /// `--offline` (or `--frozen`, or `CARGO_NET_OFFLINE`): never touch the network, so a
    /// dependency's sources missing from disk are HL013 instead of fetched.
    pub offline: bool,
    /// `--locked` (or `--frozen`): refuse to run when `Cargo.lock` would need to change.
    pub locked: bool,
    /// Draw progress on stderr for long dependency scans (stderr is a terminal, not `--quiet`).
    pub progress: bool,
    /// Analyse the head alone: no comparison with the lock or `HEAD` (`schema`).
    pub no_history: bool,
}

/// Lint a workspace: its working tree, a revision or the index, against a base revision when
/// one is given.
pub fn check(opts: &Options) -> Result<report::Report> {
    let mut timer = Timer::new(opts.timings);
    let manifest = workspace::find_manifest(opts.manifest_path.as_deref(), &opts.cwd)?;
    // With `--head` or `--staged` every analysed file and manifest comes from git.
    let head_from_git = opts.head.is_some() || opts.staged;
    let (ws, early, early_base) = discover(&manifest, opts, head_from_git)?;
    let ws_root = ws.root.clone();
    if let (workspace::Discovery::Manifests { reason }, false) = (&ws.discovery, head_from_git) {
        output::stderr_line(&format!(
            "warning: `cargo metadata` could not describe the workspace ({reason}); hotlint read the manifests itself"
        ));
    }
    timer.lap(match (&early, &early_base) {
        (Some(_), Some(_)) => "workspace (beside load+parse and the base's git reads)",
        (Some(_), None) => "workspace (beside load+parse)",
        _ => "workspace",
    });
    // The configuration is read at the revision being checked: for a head from git (`--staged`,
    // `--head`), from that tree once it is known (below).
    let (setup, early) = match early {
        Some((setup, sources)) => (Some(setup), Some(sources)),
        None if head_from_git => (None, None),
        None => (Some(Setup::of(&ws, &source::Worktree::new(&ws.root), opts)?), None),
    };
    let uses_git = opts.base.is_some() || opts.head.is_some() || opts.staged;
    // `HEAD` is resolved by the same git process that finds the repository.
    let (early_repo, early_commit, early_tree) = match early_base {
        Some(e) => (Some(e.repo), e.commit, e.tree),
        None => (None, None, None),
    };
    let repo = match early_repo {
        Some(repo) => Some(repo?),
        None if uses_git => Some(git::Repo::open_with_head(&ws.root)?),
        None => None,
    };
    if let (Some(repo), true) = (&repo, opts.staged) {
        if let Some(ignored) = &repo.ignored_index_file {
            warn_about(&[format!(
                "`GIT_INDEX_FILE` (`{ignored}`) is not inside this repository's git directory; `--staged` reads the repository's own index"
            )]);
        }
    }
    // Manifests parsed once per run, shared by the head and the base.
    let manifests = workspace::ManifestCache::default();
    // `--staged` compared with `HEAD`: git lists the staged paths while the index is read.
    let mut staged_diff = match (&repo, &opts.head, opts.staged) {
        (Some(repo), None, true) if opts.base.is_none() && !ws.root.join(lock::FILE).is_file() => {
            repo.head().ok().map(|head| repo.start_staged_diff(&head))
        }
        _ => None,
    };
    // The head: the working tree, a revision, or the index.
    let head_rev = match (&repo, &opts.head) {
        (Some(repo), Some(rev)) => {
            let commit = repo.commit(rev)?;
            let tree = repo.tree_at(&commit)?;
            Some((commit, tree))
        }
        _ => None,
    };
    let index_tree = match (&repo, &head_rev, opts.staged) {
        (Some(repo), None, true) => Some(repo.tree_of_index()?),
        _ => None,
    };
    let worktree = source::Worktree::new(&ws.root);
    let (head_label, head_commit, head_ws, head_tree): (
        String,
        Option<String>,
        workspace::Workspace,
        &dyn source::Tree,
    ) = match (&head_rev, &index_tree) {
        (Some((commit, tree)), _) => {
            warn_about(&tree.warnings);
            let head_ws = workspace::at_tree_selecting(tree, &ws.root, &manifest, &opts.selection, &manifests)?;
            (commit.clone(), Some(commit.clone()), head_ws, tree)
        }
        (None, Some(tree)) => {
            warn_about(&tree.warnings);
            let head_ws = workspace::at_tree_selecting(tree, &ws.root, &manifest, &opts.selection, &manifests)?;
            ("staged".to_string(), None, head_ws, tree)
        }
        _ => ("worktree".to_string(), None, ws, &worktree),
    };
    if opts.locked {
        workspace::check_locked(&head_ws, head_tree)?;
    }
    let Setup { config, levels, profiles, ctx } = match setup {
        Some(setup) => setup,
        None => Setup::of(&head_ws, head_tree, opts)?,
    };
    let head_is_worktree = head_rev.is_none() && index_tree.is_none();
    let mut head_sources = match early {
        Some(sources) if head_is_worktree => sources,
        _ => {
            let sources = load_tree(&head_ws, head_tree, &ctx, &load::Reuse::new());
            timer.lap("load+parse");
            sources
        }
    };
    if head_is_worktree {
        explain_missing_modules(&mut head_sources.missing, repo.as_ref(), &ws_root);
    }
    // The base: `--base` (merge base with the head, or exact); without it the shipped-shape lock
    // when it exists, else `HEAD` for `--staged`.
    // With `--staged`, the lock is the staged one: what the commit will hold.
    let lock = match (&index_tree, opts.base.is_none() && opts.head.is_none() && !opts.no_history) {
        (Some(index), true) => staged_lock(index)?,
        (None, true) => lock::read(&ws_root)?,
        (_, false) => None,
    };
    let base_commit = match (&repo, &opts.base) {
        (Some(repo), Some(rev)) => Some(match early_commit {
            Some(commit) => commit?,
            None => base_commit_of(repo, rev, opts.base_exact, head_commit.as_deref())?,
        }),
        (Some(repo), None) if opts.staged && lock.is_none() && !opts.no_history => repo.head().ok(),
        _ => None,
    };
    // The base revision is read, parsed and analysed on its own thread while the head is indexed
    // and analysed: both are mostly sequential work, and the base reuses the head's summaries of
    // the files git says did not change.
    let (model, base) = std::thread::scope(|scope| {
        let base = match (&repo, &base_commit) {
            (Some(repo), Some(commit)) => {
                let rev = BaseRev {
                    repo,
                    commit,
                    head: match (&head_commit, opts.staged) {
                        (Some(h), _) => git::Head::Commit(h),
                        (None, true) => git::Head::Index,
                        (None, false) => git::Head::WorkingTree,
                    },
                    index_tree: index_tree.as_ref(),
                    staged_diff: index_tree.as_ref().and(staged_diff.take()),
                    manifests: &manifests,
                    root: &ws_root,
                    head_ws: head_ws.clone(),
                    reuse: load::Reuse::of(&head_sources.files, None),
                    early: early_tree,
                };
                let (config, profiles, ctx) = (config.clone(), profiles.clone(), &ctx);
                Some(scope.spawn(move || analyse_base(rev, config, profiles, ctx, opts.timings)))
            }
            _ => None,
        };
        let model = finish_tree(
            model::Depth::Full,
            head_ws,
            head_sources,
            head_tree,
            config.clone(),
            profiles.clone(),
            &ctx,
            &mut timer,
        );
        let base = base.map(|b| b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (model, base)
    });
    let mut model = model?;
    if let (Some(base), Some(commit)) = (base, &base_commit) {
        let (base_model, warnings, base_timer) = base?;
        warn_about(&warnings);
        timer.absorb(base_timer, "base ");
        let base_lock = base_model.lock_sources.clone();
        model.comparison = Some(on_threads(ctx.jobs, || compare::compare(base_model, &model, commit.clone())));
        // A member outside the repository (`../other`) has no history in it: not "added".
        if let Some(repo) = &repo {
            model.outside_repository = model
                .ws
                .selected
                .iter()
                .filter_map(|&p| model.ws.packages.get(p))
                .filter(|p| source::join(&repo.prefix, &p.dir).starts_with(".."))
                .map(|p| (p.name.clone(), p.dir.clone()))
                .collect();
        }
        model.has_history = true;
        timer.lap("compare");
        // Dependencies whose locked version changed, for the types tracked types reach (HL007).
        if opts.deps.unwrap_or(!opts.staged) {
            model.dep_changes = deps::upgrade_changes(&model, &base_lock, ctx.jobs, opts.offline);
            timer.lap("dependency upgrades");
        }
    } else if let Some(lock) = &lock {
        let base_model = lock_model(lock, &model, &ctx)?;
        model.comparison = Some(on_threads(ctx.jobs, || compare::compare(base_model, &model, lock::FILE.to_string())));
        model.has_history = true;
        timer.lap("compare");
    }
    // Dependencies that define actors (HL006): read from Cargo.lock and cargo's unpacked sources.
    // After HL007's fetches, so what a run finds never depends on what an earlier run fetched:
    // the scan sees the same disk on the first run as on the second.
    if opts.deps.unwrap_or(!opts.staged) && head_commit.is_none() {
        let scan_options = deps::ScanOptions { progress: opts.progress, cache_dir: None };
        let scan = deps::scan(&model.ws, &model.config, &model.profiles, ctx.jobs, &scan_options);
        timer.lap(&format!("deps ({} packages, {} from cache)", scan.scanned.len(), scan.from_cache));
        warn_about(scan.lock_problem.iter().cloned().collect::<Vec<_>>().as_slice());
        model.deps = Some(scan);
    }
    let findings = on_threads(ctx.jobs, || run_rules(&model, &levels));
    timer.lap("rules");
    let head_what = match (&opts.head, opts.staged) {
        (Some(rev), _) => format!("`{rev}`"),
        (None, true) => "the index".to_string(),
        (None, false) => "`HEAD`".to_string(),
    };
    if lock.is_some() && base_commit.is_none() {
        let base_how =
            Some(if index_tree.is_some() { "the shipped shapes, as staged" } else { "the shipped shapes" }.to_string());
        return Ok(report::Report {
            model,
            findings,
            base: Some(lock::FILE.into()),
            head: head_label,
            baseline: None,
            base_how,
        });
    }
    let base_how = match (&opts.base, opts.base_exact) {
        (Some(rev), true) => Some(format!("`{rev}` itself, `--base-exact`")),
        (Some(rev), false) => Some(format!("the merge base of `{rev}` and {head_what}")),
        (None, _) if base_commit.is_some() => Some("`HEAD`: `--staged` compares the index with it".to_string()),
        (None, _) => None,
    };
    Ok(report::Report { model, findings, base: base_commit, head: head_label, baseline: None, base_how })
}

/// Modules whose file the working tree lacks because a sparse checkout left it out: git has it
/// (`skip-worktree`), so "create the file" would be the wrong advice. git is asked only when a
/// module's file is missing.
fn explain_missing_modules(missing: &mut [load::MissingModule], repo: Option<&git::Repo>, root: &std::path::Path) {
    if missing.iter().all(|m| m.found_at_both) {
        return;
    }
    let opened;
    let repo = match repo {
        Some(repo) => repo,
        None => match git::Repo::open(root) {
            Ok(r) => {
                opened = r;
                &opened
            }
            Err(_) => return,
        },
    };
    let tried: Vec<String> = missing.iter().flat_map(|m| m.tried.iter().cloned()).collect();
    let sparse = repo.skip_worktree(&tried);
    for m in missing.iter_mut() {
        m.outside_sparse_cone = m.tried.iter().find(|t| sparse.contains(*t)).cloned();
    }
}

/// `hotlint.lock` as the index holds it (`None` when it is not staged).
fn staged_lock(index: &git::GitTree) -> Result<Option<lock::Lock>> {
    if !source::Tree::is_file(index, lock::FILE) {
        return Ok(None);
    }
    let read_error = |message: String| Error::Read { path: format!("{} (staged)", lock::FILE), message };
    let bytes = source::Tree::read(index, lock::FILE).map_err(|e| read_error(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| read_error("it is not valid UTF-8".into()))?;
    let lock = lock::parse(&text)?;
    lock::warn_if_old(&lock, " (staged)");
    Ok(Some(lock))
}

/// The model a lock stands for: its recorded definitions as an in-memory workspace, with the
/// recorded versions and migration fingerprints as that model's migrations.
fn lock_model(lock: &lock::Lock, head: &model::Model, ctx: &Context) -> Result<model::Model> {
    // The lock records the whole workspace; the head's selection keeps the entries of its own
    // crates and of crates the head no longer has (renamed, merged: their types may have moved
    // into the selection). A crate that still exists outside the selection is left out, as the
    // head leaves it out (SPEC §4 "Selection at a base").
    let crate_of =
        |p: &workspace::Package| -> Vec<String> { p.targets.iter().map(|t| t.name.replace('-', "_")).collect() };
    let owners = |path: &str| -> Vec<usize> {
        let krate = path.split("::").next().unwrap_or_default();
        let (name, _) = lock::split_crate_name(krate);
        (0..head.ws.packages.len())
            .filter(|&i| head.ws.packages.get(i).is_some_and(|p| crate_of(p).iter().any(|c| c == name)))
            .collect()
    };
    let lock = &lock::Lock {
        version: lock.version,
        types: lock
            .types
            .iter()
            .filter(|e| {
                let owners = owners(&e.path);
                owners.is_empty() || owners.iter().any(|o| head.ws.selected.contains(o))
            })
            .cloned()
            .collect(),
    };
    let (crates, migrations) = lock::synthetic_sources(lock);
    let mut tree = source::MemoryTree::default();
    // One package per lib name: a suffixed crate (`svc[bin]`) is a target of the package `svc`,
    // beside its lib (empty when the lock records none), so the index names it `svc[bin]` again.
    let mut packages: std::collections::BTreeMap<String, workspace::Package> = std::collections::BTreeMap::new();
    for (krate, text) in &crates {
        let (name, kind) = lock::split_crate_name(krate);
        let package = packages.entry(name.to_string()).or_insert_with(|| {
            let lib = format!("{name}/src/lib.rs");
            tree.files.entry(lib.clone()).or_default();
            workspace::Package {
                name: name.to_string(),
                version: "0.0.0".into(),
                dir: name.to_string(),
                edition: "2021".into(),
                targets: vec![workspace::Target {
                    name: name.to_string(),
                    kind: workspace::TargetKind::Lib,
                    root: lib,
                }],
                deps: Vec::new(),
            }
        });
        let root = match kind {
            workspace::TargetKind::Lib => format!("{name}/src/lib.rs"),
            other => {
                let root = format!("{name}/src/{}.rs", other.as_str());
                package.targets.push(workspace::Target { name: name.to_string(), kind: other, root: root.clone() });
                root
            }
        };
        tree.files.insert(root, text.clone().into_bytes());
    }
    // Every package depends on every lib, its own included: the recorded items name their own
    // crate's types by its name (`::svc::Inner`).
    let names: Vec<String> = packages.keys().cloned().collect();
    let mut packages: Vec<workspace::Package> = packages.into_values().collect();
    for p in &mut packages {
        p.deps = names
            .iter()
            .map(|n| workspace::Dep {
                package: n.clone(),
                rename: None,
                kind: workspace::DepKind::Normal,
                path: Some(n.clone()),
                req: None,
            })
            .collect();
    }
    let ws = workspace::Workspace {
        root: head.ws.root.clone(),
        selected: (0..packages.len()).collect(),
        packages,
        discovery: workspace::Discovery::Manifests { reason: lock::FILE.into() },
        deps: Vec::new(),
    };
    let mut sources = load::Sources::default();
    load::load(
        &mut sources,
        load::member_roots(&ws),
        &tree,
        &ctx.parse,
        &globset::GlobSet::empty(),
        ctx.jobs,
        &load::Reuse::new(),
    );
    // A recorded definition that does not parse (a brace lost in a hand edit or a merge) would
    // take every type of its crate with it, and their changes would pass as additions.
    if let Some(failed) = sources.files.iter().find_map(|f| f.error.as_ref()) {
        let entry = lock.types.iter().find_map(|e| {
            e.definitions.iter().find_map(|d| {
                let (path, item) = d.split_once(" = ")?;
                syn::parse_str::<syn::Item>(item).err().map(|err| (e.path.clone(), path.to_string(), err.to_string()))
            })
        });
        let message = match entry {
            Some((entry, path, why)) => format!(
                "the definition of `{path}` recorded for `{entry}` does not parse ({why}); the file was edited by hand or merged badly: restore it from version control, or write it again with `cargo hotlint lock`"
            ),
            None => format!(
                "its recorded definitions do not parse ({}); restore it from version control, or write it again with `cargo hotlint lock`",
                failed.message
            ),
        };
        return Err(Error::Config { location: lock::FILE.into(), message: error::one_line(&message) });
    }
    let index = index::build(&ws, sources);
    let mut model = on_threads(ctx.jobs, || {
        model::analyse_to(model::Depth::Base, ws, index, head.config.clone(), head.profiles.clone(), &tree)
    })?;
    for (path, mig) in migrations {
        for &ty in model.index.type_by_path.get(&path).cloned().unwrap_or_default().iter() {
            model.migrations.insert(ty, mig.clone());
        }
    }
    for e in lock.types.iter().filter(|e| !e.retired) {
        for &ty in model.index.type_by_path.get(&e.path).cloned().unwrap_or_default().iter() {
            model.tracked.entry(ty).or_insert_with(|| tracked::Tracked {
                ty,
                path: e.path.clone(),
                reasons: [tracked::Reason::Configured].into_iter().collect(),
                remote: false,
                migration: model.migrations.get(&ty).cloned(),
                closure: tracked::Closure::default(),
                config_encoding: Some(e.encoding.clone()),
                config_compat: None,
                config_version: None,
            });
        }
    }
    model.rebuild_schemas();
    Ok(model)
}

/// What every tree's analysis shares.
struct Context {
    parse: parse::ParseOptions,
    exclude: config::Exclude,
    jobs: usize,
}

/// The base revision to analyse beside the head.
struct BaseRev<'a> {
    repo: &'a git::Repo,
    commit: &'a str,
    /// What the base is compared with: git lists the files that differ between them.
    head: git::Head<'a>,
    /// With `--staged`, the index: the base is listed from it and the staged paths.
    index_tree: Option<&'a git::GitTree>,
    /// With `--staged`, the index against `HEAD`, when git was started on it early.
    staged_diff: Option<git::PendingDiff>,
    manifests: &'a workspace::ManifestCache,
    root: &'a PathBuf,
    head_ws: workspace::Workspace,
    /// The head's summaries, reused for the files git says did not change.
    reuse: load::Reuse,
    /// The base's tree, already read beside the head's parse ([`EarlyBase`]).
    early: Option<Result<BaseTree>>,
}

/// The revision `--base REV` names: REV itself with `--base-exact`, else its merge base with the
/// head (`head`, or `HEAD` for the working tree and the index).
fn base_commit_of(repo: &git::Repo, rev: &str, exact: bool, head: Option<&str>) -> Result<String> {
    let commit = repo.commit(rev)?;
    if exact {
        return Ok(commit);
    }
    let head = match head {
        Some(h) => h.to_string(),
        None => repo.head()?,
    };
    repo.merge_base(&commit, &head, rev)
}

/// At most this many changed sources of the base are read ahead ([`read_base_tree`]).
const READ_AHEAD: usize = 256;

/// What git says of the base before its files are loaded (the changed ones read ahead).
struct BaseTree {
    tree: git::GitTree,
    /// Its packages, from its manifests; `None` when the workspace did not exist yet.
    packages: Option<Vec<workspace::Package>>,
    /// The paths that differ from the head (`None`: git could not tell).
    changed: Option<std::collections::HashSet<String>>,
    /// Sources whose working-tree bytes a checkout converts (path, how): the base's blobs are
    /// read as stored, so the two sides may differ by that conversion alone.
    doubts: Vec<(String, String)>,
}

/// List the base's tree, read its manifests and ask git which paths differ from the head.
fn read_base_tree(
    repo: &git::Repo,
    commit: &str,
    head: git::Head<'_>,
    index_tree: Option<&git::GitTree>,
    staged_diff: Option<git::PendingDiff>,
    manifests: &workspace::ManifestCache,
    timer: &mut Timer,
) -> Result<BaseTree> {
    // The index against the base: which paths differ (one git run, for both uses below).
    let staged_diff = index_tree.map(|_| match staged_diff {
        Some(pending) if pending.base() == commit => pending.finish(),
        _ => repo.start_staged_diff(commit).finish(),
    });
    let via_index = index_tree.zip(staged_diff.as_ref());
    let mut tree = match via_index.and_then(|(index, diff)| repo.tree_at_via_index(commit, index, diff)) {
        Some(tree) => tree,
        None => repo.tree_at(commit)?,
    };
    timer.lap("tree");
    // A base where the workspace did not exist yet: everything is new.
    let packages = if source::Tree::is_file(&tree, "Cargo.toml") {
        Some(workspace::read_manifests_cached(&tree, manifests)?)
    } else {
        None
    };
    // Git names the files that changed; the others are not even read.
    let worktree = matches!(head, git::Head::WorkingTree);
    let mut changed = match (&staged_diff, head) {
        (Some(diff), git::Head::Index) => diff.changed_paths(repo, commit),
        (_, head) => repo.changed_paths(commit, head),
    };
    // What git's "unchanged" cannot vouch for is compared by its bytes: symbolic links (their
    // targets may differ while they do not), submodules in the working tree (git is not asked to
    // look inside them), entries git does not compare with their files (assume-unchanged,
    // skip-worktree) and files a checkout converts (a clean/smudge filter, which is also said).
    let mut doubts = Vec::new();
    if let Some(changed) = &mut changed {
        changed.extend(tree.link_paths().cloned());
        if worktree {
            changed.extend(tree.submodule_paths().cloned());
            let found = repo.worktree_doubts();
            changed.extend(found.unwatched);
            for (path, what) in found.filtered {
                changed.insert(path.clone());
                doubts.push((path, what));
            }
        }
    }
    // The changed sources are read now, in one exchange (a few: a large change is read on use).
    if let Some(changed) = &changed {
        let sources = || changed.iter().filter(|p| p.ends_with(".rs"));
        if sources().count() <= READ_AHEAD {
            tree.read_ahead_files(sources());
        }
    }
    timer.lap("workspace, changed paths");
    Ok(BaseTree { tree, packages, changed, doubts })
}

/// The git work of `--base` that needs neither cargo nor the head's files (the repository, the
/// base commit, [`BaseTree`]), done on its own thread while cargo runs and the working tree is
/// parsed. Each step's error is kept, for [`check`] to report where it would have met it.
struct EarlyBase {
    /// The workspace root it was read for (kept only if cargo names the same).
    root: PathBuf,
    repo: Result<git::Repo>,
    /// Once the repository opened.
    commit: Option<Result<String>>,
    /// Once the commit resolved.
    tree: Option<Result<BaseTree>>,
}

impl EarlyBase {
    fn read(root: PathBuf, rev: &str, exact: bool) -> EarlyBase {
        let repo = git::Repo::open_with_head(&root);
        let commit = repo.as_ref().ok().map(|repo| base_commit_of(repo, rev, exact, None));
        let tree = match (&repo, &commit) {
            (Ok(repo), Some(Ok(commit))) => Some(read_base_tree(
                repo,
                commit,
                git::Head::WorkingTree,
                None,
                None,
                &workspace::ManifestCache::default(),
                &mut Timer::new(false),
            )),
            _ => None,
        };
        EarlyBase { root, repo, commit, tree }
    }
}

/// Read, parse, index and analyse the base revision (on its own thread): its model, the warnings
/// reading its tree gave, and its stage timings.
fn analyse_base(
    rev: BaseRev<'_>,
    config: config::Config,
    profiles: Vec<profiles::Profile>,
    ctx: &Context,
    timings: bool,
) -> Result<(model::Model, Vec<String>, Timer)> {
    let mut timer = Timer::buffered(timings);
    let BaseTree { mut tree, packages, changed, doubts } = match rev.early {
        Some(early) => early?,
        None => {
            read_base_tree(rev.repo, rev.commit, rev.head, rev.index_tree, rev.staged_diff, rev.manifests, &mut timer)?
        }
    };
    let base_ws = match packages {
        Some(packages) => workspace::with_packages(packages, source::Tree::describe(&tree), rev.root, &rev.head_ws),
        None => workspace::Workspace {
            root: rev.root.clone(),
            packages: Vec::new(),
            selected: Vec::new(),
            discovery: workspace::Discovery::Manifests { reason: "no workspace at the base".into() },
            deps: Vec::new(),
        },
    };
    let reuse = load::Reuse { changed, ..rev.reuse };
    let sources = load_tree(&base_ws, &tree, ctx, &reuse);
    timer.lap("load+parse");
    drop(reuse);
    let mut model = finish_tree(model::Depth::Base, base_ws, sources, &tree, config, profiles, ctx, &mut timer)?;
    model.base_doubts = doubts;
    Ok((model, std::mem::take(&mut tree.warnings), timer))
}

/// The workspace (from `cargo metadata`, unless the head comes from git), and the working tree's
/// files already loaded when they could be: they start loading from hotlint's own reading of the
/// manifests ([`workspace::guess`]) while cargo runs, and are kept when cargo names the same root,
/// members (names, directories) and targets (else they are loaded again, from cargo's workspace).
/// With `--base`, git reads the base meanwhile ([`EarlyBase`], kept when the root is the same).
#[allow(clippy::type_complexity)]
fn discover(
    manifest: &std::path::Path,
    opts: &Options,
    head_from_git: bool,
) -> Result<(workspace::Workspace, Option<(Setup, load::Sources)>, Option<EarlyBase>)> {
    if head_from_git {
        return Ok((workspace::discover(manifest, &opts.selection, false)?, None, None));
    }
    std::thread::scope(|s| {
        let cargo = s.spawn(|| workspace::discover(manifest, &opts.selection, true));
        let guess = workspace::guess(manifest, &opts.selection);
        // `--base`: git reads the base beside the parse (kept if cargo names the same root).
        let base = match (&guess, &opts.base) {
            (Some(guess), Some(rev)) => {
                let root = guess.root.clone();
                Some(s.spawn(move || EarlyBase::read(root, rev, opts.base_exact)))
            }
            _ => None,
        };
        let early = guess.and_then(|guess| {
            let setup = Setup::of(&guess, &source::Worktree::new(&guess.root), opts).ok()?;
            let sources = load_tree(&guess, &source::Worktree::new(&guess.root), &setup.ctx, &load::Reuse::new());
            Some((guess, setup, sources))
        });
        let ws = cargo.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        let early = early
            .filter(|(guess, ..)| {
                guess.root == ws.root
                    && load::member_roots(guess) == load::member_roots(&ws)
                    && members(guess).eq(members(&ws))
            })
            .map(|(_, setup, sources)| (setup, sources));
        let base =
            base.map(|b| b.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).filter(|b| b.root == ws.root);
        Ok((ws, early, base))
    })
}

/// The selected packages' names and directories: with the member roots, what the configuration
/// ([`config::load`] reads each member's `[package.metadata.hotlint]`) and the loading depend on.
fn members(ws: &workspace::Workspace) -> impl Iterator<Item = (&str, &str)> {
    ws.selected.iter().filter_map(|&p| ws.packages.get(p)).map(|p| (p.name.as_str(), p.dir.as_str()))
}

/// Load and parse one tree's files (the working tree, a revision, the index).
fn load_tree(ws: &workspace::Workspace, tree: &dyn source::Tree, ctx: &Context, reuse: &load::Reuse) -> load::Sources {
    let mut sources = load::Sources::default();
    load::load(&mut sources, load::member_roots(ws), tree, &ctx.parse, &ctx.exclude, ctx.jobs, reuse);
    sources
}

/// What a check needs from the workspace's configuration before it reads any file.
struct Setup {
    config: config::Config,
    levels: std::collections::BTreeMap<&'static str, rules::Level>,
    profiles: Vec<profiles::Profile>,
    ctx: Context,
}

impl Setup {
    fn of(ws: &workspace::Workspace, tree: &dyn source::Tree, opts: &Options) -> Result<Setup> {
        let config = config::load(ws, tree, opts.config.as_deref())?;
        let levels = rules::level_table(&config.levels.iter().map(|(k, v)| (*k, v.value)).collect(), &opts.level_flags)
            .map_err(Error::UnknownRule)?;
        let profiles = profiles::load(&config.frameworks)?;
        // An alias must lead to a framework a profile describes, or it silently follows nothing.
        for alias in &config.alias_entries {
            let krate = alias.value.split("::").next().unwrap_or("");
            if !profiles.iter().any(|p| p.crates.iter().any(|c| c.replace('-', "_") == krate)) {
                let mut known: Vec<&str> = profiles.iter().flat_map(|p| p.crates.iter().map(String::as_str)).collect();
                known.sort_unstable();
                known.dedup();
                return Err(Error::Config {
                    location: alias.origin.to_string(),
                    message: format!(
                        "`[frameworks] aliases` leads to `{}`, which is no framework's crate (known: {}); name the framework crate the re-export leads to, or add a `[[framework]]` profile for it",
                        error::one_line(&alias.value),
                        known.join(", ")
                    ),
                });
            }
        }
        // Never more threads than the machine runs at once (the command line says when it caps).
        let available = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let jobs = if opts.jobs == 0 { available } else { opts.jobs.min(available) };
        let ctx = Context {
            parse: parse::ParseOptions { interesting_calls: profiles::interesting_calls(&profiles) },
            exclude: config.exclude_set()?,
            jobs,
        };
        Ok(Setup { config, levels, profiles, ctx })
    }
}

/// Index and analyse one tree's parsed files (the head fully, a base for the comparison).
#[allow(clippy::too_many_arguments)]
fn finish_tree(
    depth: model::Depth,
    ws: workspace::Workspace,
    sources: load::Sources,
    tree: &dyn source::Tree,
    config: config::Config,
    profiles: Vec<profiles::Profile>,
    ctx: &Context,
    timer: &mut Timer,
) -> Result<model::Model> {
    let mut index = index::build(&ws, sources);
    timer.lap("index");
    // A framework re-exported by a dependency whose sources are on disk: load that crate too.
    let reexporters = actors::reexport_candidates(&index, &config.aliases, &profiles);
    let mut ws = ws;
    let mut dep_roots = Vec::new();
    for name in reexporters {
        if let Some(pkg) = ws.locate_dependency(&name) {
            let p = ws.packages.len() + ws.deps.len();
            dep_roots.extend(pkg.targets.iter().enumerate().map(|(t, target)| ((p, t), target.root.clone())));
            ws.deps.push(pkg);
        }
    }
    if !dep_roots.is_empty() {
        let mut sources = index.into_sources();
        let disk = source::Worktree::new(&ws.root);
        load::load(
            &mut sources,
            dep_roots,
            &disk,
            &ctx.parse,
            &globset::GlobSet::empty(),
            ctx.jobs,
            &load::Reuse::new(),
        );
        index = index::build(&ws, sources);
    }
    timer.lap("re-exporting dependencies");
    let model = on_threads(ctx.jobs, || model::analyse_to(depth, ws, index, config, profiles, tree))?;
    timer.lap("analyse");
    Ok(model)
}

/// Run `f` on a rayon pool of `jobs` threads (`-j`), so that what it runs in parallel uses no
/// more; on the calling thread alone if no pool can be made.
pub(crate) fn on_threads<R: Send>(jobs: usize, f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Run the rules, apply inline allows and audit suppressions (HL014), and sort.
pub fn run_rules(
    model: &model::Model,
    levels: &std::collections::BTreeMap<&'static str, rules::Level>,
) -> Vec<findings::Finding> {
    let level_of = |rule: &rules::Rule, package: Option<&str>| -> rules::Level {
        if let Some(lv) = package.and_then(|p| model.config.package_levels.get(p)).and_then(|t| t.get(rule.code)) {
            return *lv;
        }
        levels.get(rule.code).copied().unwrap_or(rule.default_level)
    };
    let raw = rules::run(model, &level_of);
    let sites: Vec<findings::AllowSite<'_>> = model
        .index
        .files
        .iter()
        .flat_map(|f| f.allows.iter().map(move |c| findings::AllowSite { file: f.id, comment: c, text: &f.text }))
        .collect();
    let hl014 = rules::by_code("HL014")
        .map(|r| levels.get(r.code).copied().unwrap_or(r.default_level))
        .filter(|l| *l != rules::Level::Allow);
    let rule_ran = |r: &rules::Rule| {
        r.implemented
            && (!r.history || model.has_history)
            && levels.get(r.code).copied().unwrap_or(r.default_level) != rules::Level::Allow
    };
    let (mut kept, mut audit) = findings::apply_allows(raw, &sites, hl014, &rule_ran);
    if let Some(level) = hl014 {
        audit.extend(config_audit(model, level));
    }
    kept.extend(audit);
    // One finding per location and change: a file compiled into two crates reports once.
    let path_of = |f: u32| model.file_path(f);
    findings::sort(&mut kept, &path_of);
    kept.dedup_by(|a, b| {
        a.code == b.code
            && a.draft.message == b.draft.message
            && a.draft.primary.as_ref().map(|p| (p.0.file, p.0.line, p.0.col))
                == b.draft.primary.as_ref().map(|p| (p.0.file, p.0.line, p.0.col))
    });
    kept
}

/// Warnings on stderr: what hotlint could not read but went on without.
fn warn_about(warnings: &[String]) {
    for w in warnings {
        output::stderr_line(&format!("warning: {}", error::one_line(w)));
    }
}

/// HL014 for configuration entries that match nothing.
fn config_audit(model: &model::Model, level: rules::Level) -> Vec<findings::Finding> {
    let Some(rule) = rules::by_code("HL014") else { return Vec::new() };
    let mut out = Vec::new();
    let actor_ids: std::collections::BTreeSet<&str> = model.actors.actors.iter().map(|a| a.id.as_str()).collect();
    // An entry may name an item of a file that could not be analysed (HL000: unparsable, not
    // UTF-8, conflict markers, a module whose file is missing or ambiguous): "matches nothing"
    // would be a guess, and the HL000 already says what to fix. Entries inside the module of
    // such a file (canonical paths name the defining module) are not reported.
    let file_modules = |file: u32| {
        model
            .index
            .modules
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.file == file && m.container.is_none())
            .map(|(id, _)| model.index.module_path(id as index::ModId))
    };
    let mut unanalysed: Vec<String> = model
        .index
        .files
        .iter()
        .filter(|f| f.error.is_some() && !model.is_dependency_file(f.id))
        .flat_map(|f| file_modules(f.id))
        .collect();
    for missing in &model.index.missing {
        unanalysed.extend(file_modules(missing.decl.file).map(|m| format!("{m}::{}", missing.name)));
    }
    let mut push = |what: &str, value: &str, origin: &config::Origin, help: String| {
        if unanalysed.iter().any(|m| value == m || value.strip_prefix(m.as_str()).is_some_and(|r| r.starts_with("::")))
        {
            return;
        }
        let mut d =
            findings::Draft::new(format!("`{what}` entry `{}` ({origin}) matches nothing", error::one_line(value)));
        d.help = Some(help);
        d.key = format!("config-unused:{what}:{value}");
        d.ty = Some(value.to_string());
        out.push(d.stamp(rule, level));
    };
    for e in &model.config.ephemeral {
        if !actor_ids.contains(e.value.as_str()) {
            push("ephemeral", &e.value, &e.origin, "name an actor by its canonical path (`crate::module::Actor`, as `--format json` lists it), or remove the entry".into());
        }
    }
    for e in &model.config.remote {
        if !actor_ids.contains(e.value.as_str()) {
            push(
                "remote",
                &e.value,
                &e.origin,
                "name an actor by its canonical path (`crate::module::Actor`), or remove the entry".into(),
            );
        }
    }
    for e in &model.config.track {
        if !model.index.type_by_path.contains_key(&e.value.ty) {
            push("track", &e.value.ty, &e.origin, "name a workspace type by its canonical path (`crate::module::Type`, where it is defined), or remove the entry".into());
        }
        // A version constant that names nothing versions nothing: the type is then judged as
        // unversioned, and the entry says why.
        if let Some(version) = &e.value.version {
            if !model.index.consts.iter().any(|c| model.const_path(c).as_deref() == Some(version.as_str())) {
                push(
                    "track version",
                    version,
                    &e.origin,
                    format!(
                        "name a workspace constant by its canonical path (`crate::module::CONST`, where it is defined); until then `{}` has no version",
                        e.value.ty
                    ),
                );
            }
        }
    }
    let crate_names: std::collections::BTreeSet<&str> = model.index.crates.iter().map(|c| c.name.as_str()).collect();
    if let Some(scan) = &model.deps {
        let scanned: std::collections::BTreeSet<&str> = scan.scanned.iter().map(|d| d.name.as_str()).collect();
        for e in &model.config.deps_allow {
            if !scanned.contains(e.value.as_str()) {
                push("[deps] allow", &e.value, &e.origin, "name a dependency that defines actors (as `cargo hotlint` lists it under HL006), or remove the entry".into());
            }
        }
    }
    for e in &model.config.encoding {
        let (key, _) = &e.value;
        if !crate_names.contains(key.as_str()) && !model.index.type_by_path.contains_key(key) {
            push(
                "encoding",
                key,
                &e.origin,
                "name a workspace crate or a type by its canonical path, or remove the entry".into(),
            );
        }
    }
    let mut scoped = Vec::new();
    // A package's own configuration names only that package's items.
    for (what, e) in &model.config.out_of_scope {
        let package = e.package.as_deref().unwrap_or_default();
        let mut d = findings::Draft::new(format!(
            "`{what}` entry `{}` ({}) names an item outside package `{package}`: a package's configuration applies to that package only",
            error::one_line(&e.value),
            e.origin
        ));
        d.help = Some("move the entry to hotlint.toml (or `[workspace.metadata.hotlint]`), or to the `[package.metadata.hotlint]` of the package that defines the item".into());
        d.key = format!("config-out-of-scope:{what}:{package}:{}", e.value);
        d.ty = Some(e.value.clone());
        d.package = e.package.clone();
        scoped.push(d.stamp(rule, level));
    }
    out.extend(scoped);
    out
}

/// `--timings`: stage durations on stderr, never in the output. A buffered timer (another
/// thread's) keeps its lines until [`Timer::absorb`] prints them.
struct Timer {
    on: bool,
    last: Instant,
    buffer: Option<Vec<String>>,
}

impl Timer {
    fn new(on: bool) -> Self {
        Timer { on, last: Instant::now(), buffer: None }
    }

    fn buffered(on: bool) -> Self {
        Timer { on, last: Instant::now(), buffer: Some(Vec::new()) }
    }

    fn lap(&mut self, stage: &str) {
        if self.on {
            let now = Instant::now();
            let line = format!("{stage:<12} {:>8.1} ms", (now - self.last).as_secs_f64() * 1000.0);
            match &mut self.buffer {
                Some(lines) => lines.push(line),
                None => output::stderr_line(&format!("timing: {line}")),
            }
            self.last = now;
        }
    }

    /// Print another thread's laps, each labelled with `prefix`.
    fn absorb(&mut self, other: Timer, prefix: &str) {
        for line in other.buffer.unwrap_or_default() {
            output::stderr_line(&format!("timing: {prefix}{line}"));
        }
    }
}
