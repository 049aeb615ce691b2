//! Stage: workspace discovery. Input: a manifest path (or the current directory) and the
//! package selection. Output: a [`Workspace`]: members, their targets and declared dependencies.
//!
//! `cargo metadata --no-deps` describes the workspace when it can. Real repositories often defeat
//! it (a pinned toolchain that is not installed, nightly-only manifest keys, path dependencies
//! outside the checkout); then [`read_manifests`] reads the manifests itself, says so on stderr,
//! and goes on. The manifest reader works over a [`Tree`], so it also serves git revisions.
//! Invariant: hotlint's own cargo calls never trigger a toolchain download
//! (`RUSTUP_AUTO_INSTALL=0`) and never touch the network (`--no-deps`, `--offline`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::source::{self, Tree};

#[derive(Clone, Debug)]
pub struct Workspace {
    /// Absolute path of the workspace root directory.
    pub root: PathBuf,
    /// Every member, sorted by name.
    pub packages: Vec<Package>,
    /// Indices into `packages` of the members to check.
    pub selected: Vec<usize>,
    pub discovery: Discovery,
    /// Dependency packages whose sources were loaded to follow re-exports of a framework
    /// (their lib target only). Package index `packages.len() + i` refers to `deps[i]`.
    pub deps: Vec<Package>,
}

impl Workspace {
    /// Where cargo builds this workspace: `cargo metadata`'s `target_directory`, or (when hotlint
    /// read the manifests itself) `$CARGO_TARGET_DIR`, else `target` under the root.
    pub fn target_dir(&self) -> PathBuf {
        match &self.discovery {
            Discovery::Cargo { target_dir } => target_dir.clone(),
            Discovery::Manifests { .. } => match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
                Some(dir) => self.root.join(dir),
                None => self.root.join("target"),
            },
        }
    }

    /// A member (`i < packages.len()`) or a loaded dependency.
    pub fn package(&self, i: usize) -> Option<&Package> {
        match i.checked_sub(self.packages.len()) {
            None => self.packages.get(i),
            Some(d) => self.deps.get(d),
        }
    }

    pub fn is_dependency(&self, i: usize) -> bool {
        i >= self.packages.len()
    }

    /// Find the sources of dependency `crate_name` (as code spells it) of a selected member:
    /// a path dependency, or a registry package locked in `Cargo.lock` and unpacked under
    /// `$CARGO_HOME/registry/src`. Only its lib target is kept.
    pub fn locate_dependency(&self, crate_name: &str) -> Option<Package> {
        let dep = self
            .selected
            .iter()
            .filter_map(|&p| self.packages.get(p))
            .flat_map(|p| p.deps.iter())
            .find(|d| d.crate_name() == crate_name || d.package.replace('-', "_") == crate_name)?;
        let tree = source::Worktree::new(&self.root);
        let dir = match &dep.path {
            Some(path) => path.clone(),
            None => {
                let version = locked_version(&self.root, &dep.package)?;
                let registry = cargo_home().join("registry").join("src");
                let found = std::fs::read_dir(&registry)
                    .ok()?
                    .filter_map(|e| e.ok())
                    .map(|e| e.path().join(format!("{}-{}", dep.package, version)))
                    .find(|p| p.join("Cargo.toml").is_file())?;
                source::relative_lossy(&self.root, &found)
            }
        };
        let manifest = read_toml(&tree, &source::join(&dir, "Cargo.toml")).ok()?;
        let name = manifest.get("package")?.get("name")?.as_str()?.to_string();
        let mut targets = manifest_targets(&tree, &dir, &name, &manifest);
        targets.retain(|t| t.kind == TargetKind::Lib);
        let deps = manifest_deps(&dir, &manifest, &toml::Table::new());
        Some(Package { name, version: String::new(), dir, edition: String::new(), targets, deps })
    }
}

/// Download registry package `name` `=version` into cargo's caches (`$CARGO_HOME/registry`)
/// by running `cargo fetch` in a throwaway project in a temporary directory, never in the user's
/// tree. `cargo` is `$CARGO` (set when hotlint runs as `cargo hotlint`) or `cargo` on `PATH`. The
/// error is one line: why cargo could not.
pub fn fetch_registry_package(name: &str, version: &str) -> std::result::Result<(), String> {
    let valid = |s: &str, extra: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || extra.contains(c))
    };
    if !valid(name, "") || !valid(version, ".+") {
        return Err(format!("`{name} {version}` is not a package name and version cargo can fetch"));
    }
    let dir = tempfile::Builder::new().prefix("hotlint-fetch-").tempdir().map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"hotlint-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[lib]\npath = \"lib.rs\"\n\n[dependencies]\n{name} = \"={version}\"\n"
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("lib.rs"), "").map_err(|e| e.to_string())?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .arg("fetch")
        .arg("--quiet")
        .current_dir(dir.path())
        .env("RUSTUP_AUTO_INSTALL", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("error:"))
        .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("cargo fetch failed");
    Err(line.trim_start_matches("error:").trim().to_string())
}

fn cargo_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(h);
    }
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cargo")
}

/// The highest version of `package` in the workspace's `Cargo.lock`.
fn locked_version(root: &Path, package: &str) -> Option<String> {
    let text = crate::source::read_regular_text(&root.join("Cargo.lock"), crate::source::MAX_TEXT_BYTES).ok()?;
    let lock: toml::Table = text.parse().ok()?;
    let mut versions: Vec<(Vec<u64>, String)> = lock
        .get("package")?
        .as_array()?
        .iter()
        .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some(package))
        .filter_map(|p| p.get("version").and_then(|v| v.as_str()))
        .map(|v| (v.split(['.', '-', '+']).map(|x| x.parse().unwrap_or(0)).collect(), v.to_string()))
        .collect();
    versions.sort();
    versions.pop().map(|(_, v)| v)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discovery {
    /// `cargo metadata` described the workspace; `target_dir` is its `target_directory`.
    Cargo { target_dir: PathBuf },
    /// hotlint read the manifests itself; `reason` is why cargo could not.
    Manifests { reason: String },
}

#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Directory relative to the workspace root (`""` for the root package).
    pub dir: String,
    pub edition: String,
    pub targets: Vec<Target>,
    pub deps: Vec<Dep>,
}

#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Root source file, relative to the workspace root.
    pub root: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    Lib,
    Bin,
    Example,
    Test,
    Bench,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Lib => "lib",
            TargetKind::Bin => "bin",
            TargetKind::Example => "example",
            TargetKind::Test => "test",
            TargetKind::Bench => "bench",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DepKind {
    Normal,
    Dev,
    Build,
}

#[derive(Clone, Debug)]
pub struct Dep {
    /// The package name on the registry (after `package = …`).
    pub package: String,
    /// The name the code uses when it differs (`foo = { package = "bar" }` gives `foo`).
    pub rename: Option<String>,
    pub kind: DepKind,
    /// Path of a path dependency, relative to the workspace root (may start with `../`).
    pub path: Option<String>,
    /// The version requirement as written (`"1"`, `"^2.0"`), when there is one.
    pub req: Option<String>,
}

impl Dep {
    /// The name Rust code uses for this dependency.
    pub fn crate_name(&self) -> String {
        self.rename.clone().unwrap_or_else(|| self.package.clone()).replace('-', "_")
    }
}

impl Package {
    pub fn lib(&self) -> Option<&Target> {
        self.targets.iter().find(|t| t.kind == TargetKind::Lib)
    }
}

/// How the user selected packages (`-p`, `--workspace`, `--exclude`).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub packages: Vec<String>,
    pub workspace: bool,
    pub exclude: Vec<String>,
}

/// Find the manifest: `--manifest-path`, else `Cargo.toml` in `cwd` or a parent.
pub fn find_manifest(manifest_path: Option<&Path>, cwd: &Path) -> Result<PathBuf> {
    let found = find_manifest_anywhere(manifest_path, cwd)?;
    // Every path hotlint reports is text, and `cargo metadata` cannot describe such a path
    // either: said, rather than "no such file" for a path turned into another by the conversion.
    if found.to_str().is_none() {
        return Err(Error::Usage(format!(
            "the workspace path `{}` is not valid UTF-8; hotlint, like `cargo metadata`, needs UTF-8 paths: rename the directory",
            crate::error::one_line(&found.to_string_lossy())
        )));
    }
    Ok(found)
}

fn find_manifest_anywhere(manifest_path: Option<&Path>, cwd: &Path) -> Result<PathBuf> {
    if let Some(p) = manifest_path {
        let p = if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
        if p.is_dir() {
            let m = p.join("Cargo.toml");
            return if m.is_file() { Ok(m) } else { Err(Error::ManifestMissing(m.display().to_string())) };
        }
        return if p.is_file() { Ok(p) } else { Err(Error::ManifestMissing(p.display().to_string())) };
    }
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        let m = d.join("Cargo.toml");
        if m.is_file() {
            return Ok(m);
        }
        dir = d.parent();
    }
    Err(Error::NoManifest(cwd.display().to_string()))
}

/// Discover the workspace of `manifest`, through cargo when it can, else by reading manifests.
/// With `via_cargo` false (the analysed files come from git revisions, whose manifests hotlint
/// reads itself anyway), cargo is not asked: that saves its start-up, most of a `--staged` run.
pub fn discover(manifest: &Path, selection: &Selection, via_cargo: bool) -> Result<Workspace> {
    let manifest = manifest
        .canonicalize()
        .map_err(|e| Error::Read { path: manifest.display().to_string(), message: e.to_string() })?;
    if !via_cargo {
        // Only the root: the packages are read at the revision, by `at_tree_selecting`.
        let root = find_workspace_root(&manifest)?;
        let discovery = Discovery::Manifests { reason: "the manifests are read from git".into() };
        return Ok(Workspace { root, packages: Vec::new(), selected: Vec::new(), discovery, deps: Vec::new() });
    }
    let (root, packages, discovery) = match from_cargo(&manifest) {
        Ok((root, packages, target_dir)) => (root, packages, Discovery::Cargo { target_dir }),
        Err(reason) => {
            let root = find_workspace_root(&manifest)?;
            let tree = source::Worktree::new(&root);
            let packages = read_manifests(&tree)?;
            // cargo refuses such a workspace; hotlint checks the members that are there, and
            // says which one is not (unless cargo's own reason, printed too, already names it).
            for member in members_without_manifest(&tree) {
                if !reason.contains(&format!("{member}`")) {
                    crate::output::stderr_line(&format!(
                        "warning: workspace member `{member}` has no `Cargo.toml`; hotlint checked the others"
                    ));
                }
            }
            (root, packages, Discovery::Manifests { reason })
        }
    };
    let current_dir = manifest.parent().and_then(|d| source::relative(&root, d)).unwrap_or_default();
    let selected = select(&packages, selection, &current_dir)?;
    Ok(Workspace { root, packages, selected, discovery, deps: Vec::new() })
}

/// The workspace as hotlint's own manifest reader sees it, without cargo and without a word on
/// stderr (`None` on any problem): what loading may start from while `cargo metadata` runs. Its
/// packages are in cargo's order (by name, then directory), so the two agree on what to load
/// whenever they agree on the members and their targets.
pub fn guess(manifest: &Path, selection: &Selection) -> Option<Workspace> {
    let manifest = manifest.canonicalize().ok()?;
    let root = find_workspace_root(&manifest).ok()?;
    let packages = read_manifests(&source::Worktree::new(&root)).ok()?;
    let current_dir = manifest.parent().and_then(|d| source::relative(&root, d)).unwrap_or_default();
    let selected = select(&packages, selection, &current_dir).ok()?;
    let discovery = Discovery::Manifests { reason: "read by hotlint while cargo runs".into() };
    Some(Workspace { root, packages, selected, discovery, deps: Vec::new() })
}

fn select(packages: &[Package], sel: &Selection, current_dir: &str) -> Result<Vec<usize>> {
    let mut chosen: BTreeSet<usize> = BTreeSet::new();
    if !sel.packages.is_empty() {
        for name in &sel.packages {
            let idx =
                packages.iter().position(|p| &p.name == name).ok_or_else(|| Error::UnknownPackage(name.clone()))?;
            chosen.insert(idx);
        }
    } else if !sel.workspace && !current_dir.is_empty() {
        if let Some(idx) = packages.iter().position(|p| p.dir == current_dir) {
            chosen.insert(idx);
        }
    }
    if chosen.is_empty() {
        chosen.extend(0..packages.len());
    }
    for name in &sel.exclude {
        if let Some(idx) = packages.iter().position(|p| &p.name == name) {
            chosen.remove(&idx);
        } else {
            return Err(Error::UnknownPackage(name.clone()));
        }
    }
    // As cargo refuses it: nothing left to check is not a clean run.
    if chosen.is_empty() && !sel.exclude.is_empty() {
        return Err(Error::Usage(format!(
            "`--exclude {}` leaves no package to check: every selected package is excluded",
            sel.exclude.join(" --exclude ")
        )));
    }
    Ok(chosen.into_iter().collect())
}

/// Why cargo must not be run on `manifest`: a file it would read (its configuration in every
/// ancestor and in `$CARGO_HOME`, the manifests of the workspace) is not a regular file of a
/// sane size — cargo would read `/dev/zero` until memory runs out, or wait on a named pipe
/// forever. hotlint's own reader then reads the manifests, each with the same checks.
fn unreadable_for_cargo(manifest: &Path) -> Option<String> {
    let check = |path: &Path| -> Option<String> {
        std::fs::symlink_metadata(path).ok()?;
        let problem = match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => source::kind_of(&m.file_type()).to_string(),
            Ok(m) if m.len() > source::MAX_TEXT_BYTES => format!("larger than {} MiB", source::MAX_TEXT_BYTES >> 20),
            Ok(_) => return None,
            Err(e) => e.to_string(),
        };
        Some(format!("`{}` is {problem}, not a regular file cargo can read", path.display()))
    };
    let dir = manifest.parent()?;
    for d in dir.ancestors() {
        for name in [".cargo/config.toml", ".cargo/config"] {
            if let Some(why) = check(&d.join(name)) {
                return Some(why);
            }
        }
    }
    for name in ["config.toml", "config"] {
        if let Some(why) = check(&cargo_home().join(name)) {
            return Some(why);
        }
    }
    if let Some(why) = check(manifest) {
        return Some(why);
    }
    let root = find_workspace_root(manifest).ok()?;
    let tree = source::Worktree::new(&root);
    let root_toml = read_toml(&tree, "Cargo.toml").ok()?;
    expand_members(&tree, &root_toml).iter().find_map(|m| check(&root.join(m).join("Cargo.toml")))
}

/// `cargo metadata --no-deps`. The error is one line explaining why cargo could not.
fn from_cargo(manifest: &Path) -> std::result::Result<(PathBuf, Vec<Package>, PathBuf), String> {
    if std::env::var_os("HOTLINT_NO_CARGO").is_some() {
        return Err("HOTLINT_NO_CARGO is set".into());
    }
    if let Some(why) = unreadable_for_cargo(manifest) {
        return Err(why);
    }
    let mut cmd = cargo_metadata::MetadataCommand::new();
    if let Some(dir) = manifest.parent() {
        // Run where the workspace is, so its own toolchain pin applies (and, not installed,
        // fails fast instead of being downloaded).
        cmd.current_dir(dir);
    }
    cmd.manifest_path(manifest).no_deps().env("RUSTUP_AUTO_INSTALL", "0").other_options(vec!["--offline".to_string()]);
    let meta = cmd.exec().map_err(|e| {
        let text = e.to_string();
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("error:") || l.contains("error"))
            .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
            .unwrap_or("cargo metadata failed")
            .to_string();
        // `cargo metadata exited with an error: error: toolchain … is not installed` → the cause.
        line.rsplit("error: ").next().unwrap_or(&line).trim().to_string()
    })?;
    let root: PathBuf = meta.workspace_root.clone().into_std_path_buf();
    let members: BTreeSet<_> = meta.workspace_members.iter().collect();
    let mut packages = Vec::new();
    for p in &meta.packages {
        if !members.contains(&p.id) {
            continue;
        }
        let pkg_dir = p.manifest_path.parent().map(|d| d.as_std_path().to_path_buf()).unwrap_or_default();
        let dir = source::relative_lossy(&root, &pkg_dir);
        let mut targets = Vec::new();
        for t in &p.targets {
            use cargo_metadata::TargetKind as K;
            let kind = if t
                .kind
                .iter()
                .any(|k| matches!(k, K::Lib | K::RLib | K::DyLib | K::CDyLib | K::StaticLib | K::ProcMacro))
            {
                TargetKind::Lib
            } else if t.kind.contains(&K::Bin) {
                TargetKind::Bin
            } else if t.kind.contains(&K::Example) {
                TargetKind::Example
            } else if t.kind.contains(&K::Test) {
                TargetKind::Test
            } else if t.kind.contains(&K::Bench) {
                TargetKind::Bench
            } else {
                continue;
            };
            targets.push(Target {
                name: t.name.clone(),
                kind,
                root: source::relative_lossy(&root, t.src_path.as_std_path()),
            });
        }
        let deps = p
            .dependencies
            .iter()
            .map(|d| Dep {
                package: d.name.clone(),
                rename: d.rename.clone(),
                kind: match d.kind {
                    cargo_metadata::DependencyKind::Development => DepKind::Dev,
                    cargo_metadata::DependencyKind::Build => DepKind::Build,
                    _ => DepKind::Normal,
                },
                path: d.path.as_ref().map(|pp| source::relative_lossy(&root, pp.as_std_path())),
                req: Some(d.req.to_string()).filter(|r| r != "*"),
            })
            .collect();
        packages.push(Package {
            name: p.name.to_string(),
            version: p.version.to_string(),
            dir,
            edition: p.edition.as_str().to_string(),
            targets: sorted_targets(targets),
            deps,
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.dir.cmp(&b.dir)));
    Ok((root, packages, meta.target_directory.clone().into_std_path_buf()))
}

fn sorted_targets(mut t: Vec<Target>) -> Vec<Target> {
    t.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.name.cmp(&b.name)).then(a.root.cmp(&b.root)));
    t.dedup_by(|a, b| a.kind == b.kind && a.name == b.name);
    t
}

// ---- the manifest reader --------------------------------------------------------------------

fn read_toml(tree: &dyn Tree, rel: &str) -> Result<toml::Table> {
    // A manifest read from git names its revision: a broken one at the base is not the checkout's.
    let describe = tree.describe();
    let at = if describe == "the working tree" { String::new() } else { format!(" at {describe}") };
    let bytes = tree.read(rel).map_err(|e| Error::Read {
        path: rel.to_string(),
        message: if at.is_empty() { e.to_string() } else { format!("{e} ({describe})") },
    })?;
    let text = String::from_utf8_lossy(&bytes);
    text.parse::<toml::Table>().map_err(|e| {
        let line = e.span().map(|s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1);
        Error::BadManifest {
            path: rel.to_string(),
            at: at.clone(),
            line,
            message: e.message().lines().next().unwrap_or("").to_string(),
        }
    })
}

/// The workspace a base revision had (`packages`, read from the tree `describe` names), with
/// every package selected that the head's selection (`like`) can reach definitions of (SPEC §4
/// "Selection at a base"): a package of the same name or directory as a selected head member,
/// and every package that has no counterpart at the head at all (renamed, merged into another,
/// split): its definitions may now live in the selection under another path. A package that
/// still exists at the head outside the selection is left out, as the head leaves it out. With
/// the whole workspace selected at the head, that is every package of the base.
pub fn with_packages(packages: Vec<Package>, describe: String, root: &Path, like: &Workspace) -> Workspace {
    let chosen: BTreeSet<usize> = like.selected.iter().copied().collect();
    let selected: Vec<usize> = packages
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            let heads: Vec<usize> = (0..like.packages.len())
                .filter(|&h| like.packages.get(h).is_some_and(|h| h.name == p.name || h.dir == p.dir))
                .collect();
            heads.is_empty() || heads.iter().any(|h| chosen.contains(h))
        })
        .map(|(i, _)| i)
        .collect();
    Workspace {
        root: root.to_path_buf(),
        packages,
        selected,
        discovery: Discovery::Manifests { reason: describe },
        deps: Vec::new(),
    }
}

/// The workspace as a git tree has it, with the packages `selection` names, chosen as
/// [`discover`] chooses them (`manifest` is the one the user pointed at).
pub fn at_tree_selecting(
    tree: &dyn Tree,
    root: &Path,
    manifest: &Path,
    selection: &Selection,
    cache: &ManifestCache,
) -> Result<Workspace> {
    let packages = read_manifests_cached(tree, cache)?;
    let manifest = manifest.canonicalize().unwrap_or_else(|_| manifest.to_path_buf());
    let current_dir = manifest.parent().and_then(|d| source::relative(root, d)).unwrap_or_default();
    let selected = select(&packages, selection, &current_dir)?;
    Ok(Workspace {
        root: root.to_path_buf(),
        packages,
        selected,
        discovery: Discovery::Manifests { reason: tree.describe() },
        deps: Vec::new(),
    })
}

/// `--locked` (and `--frozen`), as cargo means it: `Cargo.lock` must not need to change. hotlint
/// never writes it, but reads it for the dependency scan (HL006) and upgrades (HL007), so a lock
/// the manifests have outgrown would be analysed as if it were current. Checked without the
/// network, from the manifests and the lock in `tree` (the revision being checked): the lock
/// exists, holds every member at its version, and holds for every dependency a package of that
/// name whose version meets the requirement. (cargo also re-resolves transitive dependencies;
/// a lock that only that would change is not caught.)
pub fn check_locked(ws: &Workspace, tree: &dyn Tree) -> Result<()> {
    use cargo_metadata::semver::{Version, VersionReq};
    let fail = |message: String| {
        Error::Usage(format!("`--locked`: {message}; run `cargo update` (or a build) without `--locked` to update it"))
    };
    if !tree.is_file("Cargo.lock") {
        return Err(fail("Cargo.lock does not exist, and cargo would create it".into()));
    }
    let table = read_toml(tree, "Cargo.lock")?;
    let mut locked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in table.get("package").and_then(|p| p.as_array()).into_iter().flatten() {
        if let (Some(n), Some(v)) = (p.get("name").and_then(|x| x.as_str()), p.get("version").and_then(|x| x.as_str()))
        {
            locked.entry(n.to_string()).or_default().push(v.to_string());
        }
    }
    for pkg in &ws.packages {
        if !locked.get(&pkg.name).is_some_and(|vs| vs.contains(&pkg.version)) {
            return Err(fail(format!("Cargo.lock does not hold member `{} {}`", pkg.name, pkg.version)));
        }
        for dep in &pkg.deps {
            let Some(versions) = locked.get(&dep.package) else {
                return Err(fail(format!(
                    "Cargo.lock does not hold `{}`, a dependency of `{}`",
                    dep.package, pkg.name
                )));
            };
            let Some(req) = dep.req.as_deref().and_then(|r| VersionReq::parse(r).ok()) else { continue };
            if !versions.iter().filter_map(|v| Version::parse(v).ok()).any(|v| req.matches(&v)) {
                return Err(fail(format!(
                    "`{}` is locked at {} but `{}` requires `{}`",
                    dep.package,
                    versions.join(", "),
                    pkg.name,
                    req
                )));
            }
        }
    }
    Ok(())
}

/// The directory of the workspace that `manifest` belongs to.
fn find_workspace_root(manifest: &Path) -> Result<PathBuf> {
    let dir = manifest.parent().unwrap_or(Path::new("/")).to_path_buf();
    let tree = source::Worktree::new("/");
    let rel = |p: &Path| p.to_string_lossy().trim_start_matches('/').to_string();
    let own = read_toml(&tree, &rel(manifest)).map_err(|e| match e {
        Error::BadManifest { line, message, at, .. } => {
            Error::BadManifest { path: manifest.display().to_string(), at, line, message }
        }
        Error::Read { message, .. } => Error::Read { path: manifest.display().to_string(), message },
        other => other,
    })?;
    if own.contains_key("workspace") {
        return Ok(dir);
    }
    if let Some(ws) = own.get("package").and_then(|p| p.get("workspace")).and_then(|w| w.as_str()) {
        return Ok(dir.join(ws));
    }
    let mut cur = dir.parent();
    while let Some(d) = cur {
        let m = d.join("Cargo.toml");
        if m.is_file() {
            if let Ok(t) = read_toml(&tree, &rel(&m)) {
                if t.contains_key("workspace") {
                    let members = expand_members(&source::Worktree::new(d), &t);
                    let member_rel = source::relative(d, &dir).unwrap_or_default();
                    if members.contains(&member_rel) {
                        return Ok(d.to_path_buf());
                    }
                }
            }
        }
        cur = d.parent();
    }
    Ok(dir)
}

fn str_list(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Member directories of the workspace whose root manifest is `root_toml` (relative paths).
fn expand_members(tree: &dyn Tree, root_toml: &toml::Table) -> Vec<String> {
    let ws = root_toml.get("workspace");
    let members = str_list(ws.and_then(|w| w.get("members")));
    let excludes: Vec<String> =
        str_list(ws.and_then(|w| w.get("exclude"))).iter().map(|e| source::join("", e)).collect();
    let mut out = BTreeSet::new();
    if root_toml.contains_key("package") {
        out.insert(String::new());
    }
    for pattern in members {
        for dir in expand_glob(tree, &pattern) {
            if tree.is_file(&source::join(&dir, "Cargo.toml"))
                && !excludes.iter().any(|e| *e == dir || dir.starts_with(&format!("{e}/")))
            {
                out.insert(dir);
            }
        }
    }
    out.into_iter().collect()
}

/// Directories named by the root manifest's `workspace.members` (literally or by a glob) that
/// have no `Cargo.toml`, as cargo would refuse them ("failed to load manifest for workspace
/// member"); excluded directories do not count.
fn members_without_manifest(tree: &dyn Tree) -> Vec<String> {
    let Ok(root_toml) = read_toml(tree, "Cargo.toml") else { return Vec::new() };
    let ws = root_toml.get("workspace");
    let excludes: Vec<String> =
        str_list(ws.and_then(|w| w.get("exclude"))).iter().map(|e| source::join("", e)).collect();
    let mut out = BTreeSet::new();
    for pattern in str_list(ws.and_then(|w| w.get("members"))) {
        let is_glob = pattern.contains(['*', '?', '[']);
        for dir in expand_glob(tree, &pattern) {
            let excluded = excludes.iter().any(|e| *e == dir || dir.starts_with(&format!("{e}/")));
            // A glob matches directories only; a literal member may not exist at all.
            if !excluded && (!is_glob || tree.is_dir(&dir)) && !tree.is_file(&source::join(&dir, "Cargo.toml")) {
                out.insert(dir);
            }
        }
    }
    out.into_iter().collect()
}

fn expand_glob(tree: &dyn Tree, pattern: &str) -> Vec<String> {
    let mut current = vec![String::new()];
    for seg in source::join("", pattern).split('/') {
        let mut next = Vec::new();
        let is_glob = seg.contains(['*', '?', '[']);
        for base in &current {
            if is_glob {
                let Ok(matcher) = globset::Glob::new(seg).map(|g| g.compile_matcher()) else { continue };
                if let Ok(entries) = tree.list_dir(base) {
                    for (name, is_dir) in entries {
                        if is_dir && matcher.is_match(&name) {
                            next.push(source::join(base, &name));
                        }
                    }
                }
            } else {
                next.push(source::join(base, seg));
            }
        }
        current = next;
    }
    current
}

/// A `workspace.members` or `workspace.exclude` glob that does not parse is an error at its line,
/// as cargo refuses it ("could not parse pattern"), not a member silently left out.
fn check_member_globs(tree: &dyn Tree, root: &toml::Table) -> Result<()> {
    for key in ["members", "exclude"] {
        for pattern in str_list(root.get("workspace").and_then(|w| w.get(key))) {
            let bad = source::join("", &pattern)
                .split('/')
                .filter(|seg| seg.contains(['*', '?', '[']))
                .find_map(|seg| globset::Glob::new(seg).err());
            let Some(e) = bad else { continue };
            let text = tree.read("Cargo.toml").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let quoted = format!("\"{pattern}\"");
            let line = text.lines().position(|l| l.contains(&quoted)).map(|i| i + 1);
            let describe = tree.describe();
            return Err(Error::BadManifest {
                path: "Cargo.toml".into(),
                at: if describe == "the working tree" { String::new() } else { format!(" at {describe}") },
                line,
                message: format!(
                    "invalid glob `{}` in `workspace.{key}`: {}",
                    crate::error::one_line(&pattern),
                    e.kind()
                ),
            });
        }
    }
    Ok(())
}

/// The one package whose manifest is `Cargo.toml` at the root of `tree` (a dependency's sources,
/// whose manifest cargo has already normalised).
pub fn read_package_at(tree: &dyn Tree) -> Option<Package> {
    let t = read_toml(tree, "Cargo.toml").ok()?;
    let pkg = t.get("package")?.as_table()?;
    let name = pkg.get("name")?.as_str()?.to_string();
    let field = |k: &str| pkg.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let targets = manifest_targets(tree, "", &name, &t);
    let deps = manifest_deps("", &t, &toml::Table::new());
    Some(Package {
        version: field("version"),
        edition: field("edition"),
        dir: String::new(),
        targets: sorted_targets(targets),
        deps,
        name,
    })
}

/// Read the workspace whose root manifest is `Cargo.toml` at the root of `tree`.
pub fn read_manifests(tree: &dyn Tree) -> Result<Vec<Package>> {
    read_manifests_cached(tree, &ManifestCache::default())
}

/// Manifests parsed during one run, by git blob id: the index and its base (or two revisions)
/// share most manifests byte for byte, and each is parsed once.
#[derive(Default)]
pub struct ManifestCache {
    tables: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<toml::Table>>>,
}

impl ManifestCache {
    /// [`read_toml`] of `rel`, or the table parsed from the same blob before.
    fn read(&self, tree: &dyn Tree, rel: &str) -> Result<std::sync::Arc<toml::Table>> {
        let Some(id) = tree.blob_id(rel) else { return read_toml(tree, rel).map(std::sync::Arc::new) };
        if let Some(t) = self.tables.lock().ok().and_then(|tables| tables.get(&id).cloned()) {
            return Ok(t);
        }
        let t = std::sync::Arc::new(read_toml(tree, rel)?);
        if let Ok(mut tables) = self.tables.lock() {
            tables.insert(id, std::sync::Arc::clone(&t));
        }
        Ok(t)
    }
}

/// [`read_manifests`], parsing each manifest once, and not again when `cache` has its blob: with
/// [`with_packages`], the workspace as a git revision or the index has it.
pub fn read_manifests_cached(tree: &dyn Tree, cache: &ManifestCache) -> Result<Vec<Package>> {
    let root = cache.read(tree, "Cargo.toml")?;
    check_member_globs(tree, &root)?;
    let ws_deps = root
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    let ws_package =
        root.get("workspace").and_then(|w| w.get("package")).and_then(|d| d.as_table()).cloned().unwrap_or_default();
    let mut packages = Vec::new();
    // Cargo makes every path dependency inside the workspace directory a member too.
    let mut dirs: Vec<String> = expand_members(tree, &root);
    // Each manifest read below, by directory, so the second pass does not parse it again.
    let mut tables: std::collections::HashMap<String, std::sync::Arc<toml::Table>> = Default::default();
    let mut deps_of: std::collections::HashMap<String, Vec<Dep>> = Default::default();
    let mut i = 0;
    while let Some(dir) = dirs.get(i).cloned() {
        i += 1;
        if dirs.len() > 10_000 {
            break;
        }
        let manifest_rel = source::join(&dir, "Cargo.toml");
        let Ok(t) = (if dir.is_empty() { Ok(std::sync::Arc::clone(&root)) } else { cache.read(tree, &manifest_rel) })
        else {
            continue;
        };
        tables.insert(dir.clone(), std::sync::Arc::clone(&t));
        if !root.contains_key("workspace") {
            break;
        }
        let deps = manifest_deps(&dir, &t, &ws_deps);
        for dep in &deps {
            if let Some(path) = &dep.path {
                if !path.starts_with("..") && !dirs.contains(path) && tree.is_file(&source::join(path, "Cargo.toml")) {
                    dirs.push(path.clone());
                }
            }
        }
        deps_of.insert(dir, deps);
    }
    dirs.sort();
    for dir in dirs {
        let manifest_rel = source::join(&dir, "Cargo.toml");
        let t = match tables.get(&dir) {
            Some(t) => std::sync::Arc::clone(t),
            None if dir.is_empty() => std::sync::Arc::clone(&root),
            None => cache.read(tree, &manifest_rel)?,
        };
        let Some(pkg) = t.get("package").and_then(|p| p.as_table()) else { continue };
        let Some(name) = pkg.get("name").and_then(|n| n.as_str()) else {
            return Err(Error::BadManifest {
                path: manifest_rel,
                at: match tree.describe().as_str() {
                    "the working tree" => String::new(),
                    other => format!(" at {other}"),
                },
                line: None,
                message: "`package.name` is missing".into(),
            });
        };
        let inherited = |key: &str| -> Option<String> {
            match pkg.get(key) {
                Some(toml::Value::String(s)) => Some(s.clone()),
                Some(toml::Value::Table(t)) if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) => {
                    ws_package.get(key).and_then(|v| v.as_str()).map(str::to_string)
                }
                _ => None,
            }
        };
        let version = inherited("version").unwrap_or_else(|| "0.0.0".into());
        let edition = inherited("edition").unwrap_or_else(|| "2015".into());
        let targets = manifest_targets(tree, &dir, name, &t);
        let deps = match deps_of.remove(&dir) {
            Some(deps) => deps,
            None => manifest_deps(&dir, &t, &ws_deps),
        };
        packages.push(Package {
            name: name.to_string(),
            version,
            dir,
            edition,
            targets: sorted_targets(targets),
            deps,
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.dir.cmp(&b.dir)));
    Ok(packages)
}

fn manifest_targets(tree: &dyn Tree, dir: &str, package: &str, t: &toml::Table) -> Vec<Target> {
    let pkg = t.get("package");
    let auto = |key: &str| pkg.and_then(|p| p.get(key)).and_then(|v| v.as_bool()).unwrap_or(true);
    let mut targets = Vec::new();
    // lib
    let lib = t.get("lib");
    let lib_path = lib.and_then(|l| l.get("path")).and_then(|p| p.as_str()).map(str::to_string).or_else(|| {
        let p = source::join(dir, "src/lib.rs");
        tree.is_file(&p).then(|| "src/lib.rs".to_string())
    });
    if let Some(p) = lib_path {
        let name = lib.and_then(|l| l.get("name")).and_then(|n| n.as_str()).unwrap_or(package).replace('-', "_");
        targets.push(Target { name, kind: TargetKind::Lib, root: source::join(dir, &p) });
    }
    let explicit = |key: &str| -> Vec<(Option<String>, Option<String>)> {
        t.get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e.get("name").and_then(|n| n.as_str()).map(str::to_string),
                            e.get("path").and_then(|n| n.as_str()).map(str::to_string),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let kinds = [
        ("bin", "autobins", "src/bin", TargetKind::Bin),
        ("example", "autoexamples", "examples", TargetKind::Example),
        ("test", "autotests", "tests", TargetKind::Test),
        ("bench", "autobenches", "benches", TargetKind::Bench),
    ];
    for (key, auto_key, auto_dir, kind) in kinds {
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        if auto(auto_key) {
            if kind == TargetKind::Bin && tree.is_file(&source::join(dir, "src/main.rs")) {
                found.insert(package.to_string(), "src/main.rs".into());
            }
            if let Ok(entries) = tree.list_dir(&source::join(dir, auto_dir)) {
                for (name, is_dir) in entries {
                    if is_dir {
                        let main = format!("{auto_dir}/{name}/main.rs");
                        if tree.is_file(&source::join(dir, &main)) {
                            found.insert(name, main);
                        }
                    } else if let Some(stem) = name.strip_suffix(".rs") {
                        found.insert(stem.to_string(), format!("{auto_dir}/{name}"));
                    }
                }
            }
        }
        let declared: Vec<(String, String)> = explicit(key)
            .into_iter()
            .filter_map(|(name, path)| {
                let name = name.or_else(|| path.as_deref().map(|p| source::stem(p).to_string()))?;
                let path = path.unwrap_or_else(|| {
                    if kind == TargetKind::Bin && name == package {
                        "src/main.rs".into()
                    } else {
                        let flat = format!("{auto_dir}/{name}.rs");
                        if tree.is_file(&source::join(dir, &flat)) {
                            flat
                        } else {
                            format!("{auto_dir}/{name}/main.rs")
                        }
                    }
                });
                Some((name, path))
            })
            .collect();
        // As cargo infers targets: a file a declared target names is not inferred again under
        // its own name (`[[bin]] name = "server", path = "src/main.rs"` is the only binary).
        let same_file = |a: &str, b: &str| source::join(dir, a) == source::join(dir, b);
        found.retain(|_, inferred| !declared.iter().any(|(_, path)| same_file(path, inferred)));
        for (name, path) in declared {
            found.insert(name, path);
        }
        for (name, path) in found {
            let root = source::join(dir, &path);
            if tree.is_file(&root) {
                targets.push(Target { name, kind, root });
            }
        }
    }
    targets
}

fn manifest_deps(dir: &str, t: &toml::Table, ws_deps: &toml::Table) -> Vec<Dep> {
    let mut out = Vec::new();
    let mut tables: Vec<(&toml::Value, DepKind)> = Vec::new();
    let kinds =
        [("dependencies", DepKind::Normal), ("dev-dependencies", DepKind::Dev), ("build-dependencies", DepKind::Build)];
    for (key, kind) in kinds {
        if let Some(v) = t.get(key) {
            tables.push((v, kind));
        }
    }
    if let Some(targets) = t.get("target").and_then(|v| v.as_table()) {
        for cfg in targets.values() {
            for (key, kind) in kinds {
                if let Some(v) = cfg.get(key) {
                    tables.push((v, kind));
                }
            }
        }
    }
    for (table, kind) in tables {
        let Some(table) = table.as_table() else { continue };
        for (key, spec) in table {
            let (spec, base) = match ws_deps.get(key) {
                Some(ws) if spec.get("workspace").and_then(|w| w.as_bool()) == Some(true) => (ws, ""),
                _ => (spec, dir),
            };
            let package = spec.get("package").and_then(|p| p.as_str()).map(str::to_string);
            let path = spec.get("path").and_then(|p| p.as_str()).map(|p| source::join(base, p));
            let req = match spec {
                toml::Value::String(v) => Some(v.clone()),
                other => other.get("version").and_then(|v| v.as_str()).map(str::to_string),
            };
            let (package, rename) = match package {
                Some(p) => (p, Some(key.clone())),
                None => (key.clone(), None),
            };
            out.push(Dep { package, rename, kind, path, req });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn reads_a_workspace_without_cargo() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"crates/skip\"]\n[workspace.dependencies]\nra = { package = \"ractor\", version = \"0.16\" }\n").unwrap();
        for name in ["a", "b", "skip"] {
            let d = root.join("crates").join(name);
            std::fs::create_dir_all(d.join("src/bin")).unwrap();
            std::fs::write(d.join("Cargo.toml"), format!("[package]\nname = \"{name}-pkg\"\nversion = \"0.1.0\"\n[dependencies]\nra = {{ workspace = true }}\n")).unwrap();
            std::fs::write(d.join("src/lib.rs"), "").unwrap();
            std::fs::write(d.join("src/bin/tool.rs"), "fn main() {}").unwrap();
        }
        let pkgs = read_manifests(&source::Worktree::new(root)).unwrap();
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].name, "a-pkg");
        assert_eq!(pkgs[0].targets[0].name, "a_pkg");
        assert_eq!(pkgs[0].targets[1].root, "crates/a/src/bin/tool.rs");
        assert_eq!(pkgs[0].deps[0].crate_name(), "ra");
        assert_eq!(pkgs[0].deps[0].package, "ractor");
    }
}
