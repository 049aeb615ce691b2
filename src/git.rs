//! Stage: revisions. Input: a directory inside a git repository and revision names. Output:
//! commit ids (with merge-base semantics) and a [`GitTree`] — a read-only [`Tree`] over a commit
//! or the index, read from the object database (for the index, a working-tree file whose bytes
//! hash to the staged blob's id is read from disk instead: the same bytes, without git).
//!
//! Only this module talks to git, through the `git` binary (so every revision syntax git accepts
//! works). Invariants: nothing here writes the working tree, the index, refs or the object store:
//! only plumbing that never refreshes the index (`diff-tree`, `diff-index`, `ls-tree`,
//! `ls-files`, `cat-file`), with `GIT_OPTIONAL_LOCKS=0`, no file-system monitor, and no lazy fetch
//! from a partial clone's promisor (`GIT_NO_LAZY_FETCH=1`, and no transport allowed): an object
//! git does not have is reported, never downloaded. The repository is the one holding the
//! workspace: `GIT_DIR`/`GIT_WORK_TREE`/`GIT_INDEX_FILE` are honoured only when they describe it
//! ([`GitEnv`]). Errors are one line naming the revision or directory.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::source::Tree;

/// Variables that tell git which repository, work tree, index or object store to use. Every git
/// command hotlint runs starts without them; [`GitEnv`] puts back those that describe the
/// workspace's own repository.
const LOCATION_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
];

/// The location variables honoured for one repository (absolute paths).
#[derive(Clone, Debug, Default)]
pub struct GitEnv {
    vars: Vec<(&'static str, OsString)>,
}

impl GitEnv {
    /// `GIT_DIR` and `GIT_WORK_TREE` from hotlint's environment when they name a repository whose
    /// work tree holds `dir` (a hook run by git, a bisect script: the workspace's own
    /// repository), made absolute; else none of them, so git finds the repository from `dir`
    /// (a `GIT_DIR` left over for another repository is never read, let alone written).
    fn for_dir(dir: &Path) -> GitEnv {
        let cwd = std::env::current_dir().unwrap_or_default();
        let given = |name: &'static str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(|v| (name, cwd.join(PathBuf::from(v)).into_os_string()))
        };
        let vars: Vec<(&'static str, OsString)> = ["GIT_DIR", "GIT_WORK_TREE"].into_iter().filter_map(given).collect();
        if vars.is_empty() {
            return GitEnv::default();
        }
        let candidate = GitEnv { vars };
        let Ok(top) = run_in(dir, &candidate, &["rev-parse", "--show-toplevel"]) else { return GitEnv::default() };
        let inside = match (Path::new(&top).canonicalize(), dir.canonicalize()) {
            (Ok(top), Ok(dir)) => dir.starts_with(top),
            _ => false,
        };
        if !inside {
            return GitEnv::default();
        }
        // The work tree git found, made explicit: git commands run in other directories than
        // the one hotlint was started in.
        let mut vars = candidate.vars;
        vars.retain(|(k, _)| *k != "GIT_WORK_TREE");
        vars.push(("GIT_WORK_TREE", OsString::from(top)));
        GitEnv { vars }
    }

    /// `GIT_INDEX_FILE` from hotlint's environment when it lies in `git_dir` (git sets it for the
    /// hooks of `git commit -a` and `git commit <paths>`: the index being committed); `Err` with
    /// the value when it is set elsewhere and so not used.
    fn index_file(&mut self, git_dir: &Path) -> std::result::Result<(), String> {
        let Some(value) = std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) else { return Ok(()) };
        let path = std::env::current_dir().unwrap_or_default().join(&value);
        let parent = path.parent().and_then(|p| p.canonicalize().ok());
        match (parent, git_dir.canonicalize()) {
            (Some(parent), Ok(git_dir)) if parent.starts_with(&git_dir) => {
                self.vars.push(("GIT_INDEX_FILE", path.into_os_string()));
                Ok(())
            }
            _ => Err(value.to_string_lossy().into_owned()),
        }
    }
}

/// A git command in `dir` that writes nothing and fetches nothing (see the module's invariants).
fn git_in(dir: &Path, env: &GitEnv) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        // A file-system monitor daemon would be started, and write under the git directory.
        .args(["-c", "core.fsmonitor=false"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        // A partial clone's missing blobs are not fetched from the promisor remote (git 2.44+);
        // no transport is allowed either, so older git cannot fetch them.
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_ALLOW_PROTOCOL", "none")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    for var in LOCATION_VARS {
        c.env_remove(var);
    }
    for (k, v) in &env.vars {
        c.env(k, v);
    }
    c
}

fn run_in(dir: &Path, env: &GitEnv, args: &[&str]) -> std::result::Result<String, String> {
    let out = git_in(dir, env).args(args).output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "the `git` program was not found on PATH".to_string(),
        _ => format!("could not run git: {e}"),
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("git failed").trim().to_string())
    }
}

/// Why `dir` could not be opened as a repository, from git's first error line.
fn open_error(dir: &Path, git_said: &str) -> Error {
    if git_said.contains("not found on PATH") {
        Error::Usage(format!("revision comparison needs git: {git_said}"))
    } else if let Some(at) = git_said.split("detected dubious ownership in repository at '").nth(1) {
        // git refuses a repository owned by another user (CVE-2022-24765): the repository is
        // there, and git says how to trust it.
        let at = at.strip_suffix('\'').unwrap_or(at);
        Error::Usage(format!(
            "git refuses to open the repository at `{at}`: detected dubious ownership (it belongs to another user); if you trust it, run `git config --global --add safe.directory {at}` (needed for `--base`, `--head`, `--staged`)"
        ))
    } else {
        Error::Usage(format!(
            "`{}` is not inside a git repository (needed for `--base`, `--head`, `--staged`)",
            dir.display()
        ))
    }
}

/// A repository seen from the workspace root.
#[derive(Clone, Debug)]
pub struct Repo {
    /// The working tree's top directory.
    pub top: PathBuf,
    /// Path of the workspace root inside the repository (`""` or `crates/app/`-style, with `/`).
    pub prefix: String,
    pub dir: PathBuf,
    /// The repository's git directory (for a linked worktree, its own).
    pub git_dir: PathBuf,
    /// `HEAD`'s commit when [`Repo::open_with_head`] asked for it (`Some(None)`: no commit yet).
    resolved_head: Option<Option<String>>,
    env: GitEnv,
    /// `GIT_INDEX_FILE` when it was set outside this repository and so not used.
    pub ignored_index_file: Option<String>,
}

impl Repo {
    fn git(&self, dir: &Path) -> Command {
        git_in(dir, &self.env)
    }

    fn run(&self, args: &[&str]) -> std::result::Result<String, String> {
        run_in(&self.dir, &self.env, args)
    }

    pub fn open(dir: &Path) -> Result<Repo> {
        Repo::open_asking(dir, false)
    }

    /// [`Repo::open`], also resolving `HEAD` in the same git process (what [`Repo::head`] then
    /// answers without running git). `--revs-only` leaves out a `HEAD` that names no commit yet
    /// (an unborn branch). When that command fails, [`Repo::open`] runs alone, so its errors are
    /// the same.
    pub fn open_with_head(dir: &Path) -> Result<Repo> {
        Repo::open_asking(dir, true)
    }

    fn open_asking(dir: &Path, with_head: bool) -> Result<Repo> {
        let env = GitEnv::for_dir(dir);
        // One process for every answer: `<git dir>\n<top>\n<prefix>[\n<commit>]` (the prefix
        // line is empty at the top).
        let mut args = vec!["rev-parse", "--absolute-git-dir", "--show-toplevel", "--show-prefix"];
        if with_head {
            args.extend(["--revs-only", "HEAD^{commit}"]);
        }
        let answer = match run_in(dir, &env, &args) {
            Ok(answer) => answer,
            Err(_) if with_head => return Repo::open_asking(dir, false),
            Err(e) => return Err(open_error(dir, &e)),
        };
        let mut lines = answer.split('\n');
        let git_dir = lines.next().unwrap_or("");
        let top = lines.next().unwrap_or("");
        let prefix = lines.next().unwrap_or("");
        let head = lines.next();
        let is_id = |h: &str| (h.len() == 40 || h.len() == 64) && h.bytes().all(|b| b.is_ascii_hexdigit());
        // Anything else than the expected lines: ask again the way `open` and `head` do.
        if git_dir.is_empty() || top.is_empty() || lines.next().is_some() || head.is_some_and(|h| !is_id(h)) {
            if with_head {
                return Repo::open_asking(dir, false);
            }
            return Err(open_error(dir, "unexpected answer from git"));
        }
        let mut env = env;
        let ignored_index_file = env.index_file(Path::new(git_dir)).err();
        Ok(Repo {
            top: PathBuf::from(top),
            prefix: prefix.to_string(),
            dir: dir.to_path_buf(),
            git_dir: PathBuf::from(git_dir),
            resolved_head: with_head.then(|| head.map(str::to_string)),
            env,
            ignored_index_file,
        })
    }

    /// The commit a revision names (any syntax `git rev-parse` accepts, `:/message` included; an
    /// annotated tag is peeled to its commit).
    pub fn commit(&self, rev: &str) -> Result<String> {
        if rev.starts_with('-') {
            return Err(Error::Usage(format!("unknown revision `{rev}`")));
        }
        let unknown = || {
            if self.is_shallow() {
                Error::Usage(format!(
                    "unknown revision `{rev}`: this is a shallow clone whose history may lack it; fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
                ))
            } else {
                Error::Usage(format!("unknown revision `{rev}` (see `git rev-parse {rev}`)"))
            }
        };
        let id = self.run(&["rev-parse", "--verify", "--quiet", "--end-of-options", rev]).map_err(|_| unknown())?;
        let kind = self.run(&["cat-file", "-t", &id]).map_err(|_| unknown())?;
        match kind.as_str() {
            "commit" => Ok(id),
            "tag" => self
                .run(&["rev-parse", "--verify", "--quiet", &format!("{id}^{{commit}}")])
                .map_err(|_| Error::Usage(format!("revision `{rev}` does not name a commit"))),
            _ => Err(Error::Usage(format!("revision `{rev}` does not name a commit (it is a {kind})"))),
        }
    }

    pub fn is_shallow(&self) -> bool {
        self.run(&["rev-parse", "--is-shallow-repository"]).is_ok_and(|s| s == "true")
    }

    /// The merge base of `base` and `head` (what a pull request diff compares against).
    /// `base_name` is the revision as the user wrote it, for messages.
    pub fn merge_base(&self, base: &str, head: &str, base_name: &str) -> Result<String> {
        let base_shown = base_name;
        self.run(&["merge-base", base, head]).map_err(|_| {
            let base = base_shown;
            if self.is_shallow() {
                Error::Usage(format!(
                    "no merge base between `{base}` and the head: this shallow clone lacks the history; fetch it all (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
                ))
            } else {
                Error::Usage(format!("`{base}` and the head have no common history (try `--base-exact`)"))
            }
        })
    }

    pub fn head(&self) -> Result<String> {
        let unborn = || Error::Usage("the repository has no commit yet (HEAD does not exist)".into());
        match &self.resolved_head {
            Some(head) => head.clone().ok_or_else(unborn),
            None => self.run(&["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).map_err(|_| unborn()),
        }
    }

    /// The files of a commit below the workspace root.
    pub fn tree_at(&self, commit: &str) -> Result<GitTree> {
        // git's reader starts while the commit is listed.
        let batch = Arc::new(BatchCell::new(&self.top, &self.env));
        batch.start();
        let out = self
            .git(&self.top)
            .args(["ls-tree", "-r", "-z", "--full-tree", commit])
            .output()
            .map_err(|e| Error::Usage(format!("could not run git: {e}")))?;
        if !out.status.success() {
            return Err(Error::Usage(format!("could not list revision `{commit}`")));
        }
        let mut entries = Listing::default();
        let mut gitlinks = Vec::new();
        for rec in out.stdout.split(|b| *b == 0) {
            // `<mode> SP <type> SP <oid> TAB <path>`
            let Some(tab) = rec.iter().position(|b| *b == b'\t') else { continue };
            let meta = String::from_utf8_lossy(rec.get(..tab).unwrap_or(&[])).into_owned();
            let path = String::from_utf8_lossy(rec.get(tab + 1..).unwrap_or(&[])).into_owned();
            let mut parts = meta.split(' ');
            let (Some(mode), Some(kind), Some(oid)) = (parts.next(), parts.next(), parts.next()) else { continue };
            match kind {
                "blob" => entries.add(mode, path, oid.to_string()),
                "commit" => gitlinks.push((path, oid.to_string())),
                _ => {}
            }
        }
        let describe = format!("revision {}", short(commit));
        let submodules = self.submodules(gitlinks, &mut entries, &describe);
        GitTree::with_batch(self, entries.below_root(self), submodules, describe, batch, HashMap::new(), None)
    }

    /// Start `git diff-index --cached` between commit `base` and the index (raw records: the
    /// base's mode and blob of every path that differs), without waiting for it: it runs while
    /// the caller lists the index and parses the head.
    pub fn start_staged_diff(&self, base: &str) -> PendingDiff {
        let child = self
            .git(&self.top)
            .args(["diff-index", "--cached", "-z", "--no-renames", "--ignore-submodules=none", base, "--"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        PendingDiff { child, base: base.to_string() }
    }

    /// The files of commit `base` as the index's tree `index` and git's list of the paths where
    /// the two differ give them: for `--staged`, whose base is `HEAD`, this spares listing the
    /// whole commit (most of the run's git time in a large repository). The base's blobs of the
    /// paths that differ are read through the index's `git cat-file --batch`, and the base's
    /// manifests whose blobs the index has already read are not read again. `None` when it
    /// cannot be exact (submodules, unmerged paths, a long list, git failing): the caller lists
    /// the commit.
    pub fn tree_at_via_index(&self, base: &str, index: &GitTree, diff: &StagedDiff) -> Option<GitTree> {
        if !index.submodules.is_empty() || !index.warnings.is_empty() || diff.base != base {
            return None;
        }
        let records = diff.records.as_ref()?;
        // Workspace-relative, as the index's; paths outside the workspace are left out.
        let mut entries = Listing { files: index.files.clone(), links: index.links.clone() };
        let mut from_base = Vec::new();
        for record in records {
            let Some(rel) = record.path.strip_prefix(&self.prefix) else { continue };
            entries.files.remove(rel);
            entries.links.remove(rel);
            match (record.status.as_str(), record.base_mode.as_str()) {
                ("A", _) => {}
                (_, "160000") => return None,
                ("M" | "D" | "T", _) => from_base.push((rel.to_string(), record)),
                _ => return None,
            }
        }
        if from_base.len() > 1000 {
            return None;
        }
        let mut known: HashMap<String, Vec<u8>> = index
            .prefetched
            .iter()
            .filter_map(|(path, bytes)| Some((index.files.get(path)?.clone(), bytes.clone())))
            .collect();
        let wanted: Vec<String> = from_base
            .iter()
            .filter(|(_, r)| r.base_mode != "120000" && !known.contains_key(&r.base_oid))
            .map(|(_, r)| r.base_oid.clone())
            .collect();
        let replies = index.exchange(&wanted).ok()?;
        for (oid, reply) in wanted.iter().zip(replies) {
            let Reply::Found { kind, bytes, .. } = reply else { return None };
            if kind != "blob" {
                return None;
            }
            known.insert(oid.clone(), bytes);
        }
        for (rel, record) in from_base {
            entries.add(&record.base_mode, rel, record.base_oid.clone());
        }
        GitTree::with_batch(
            self,
            entries,
            Submodules::default(),
            format!("revision {}", short(base)),
            Arc::clone(&index.batch),
            known,
            None,
        )
        .ok()
    }

    /// The files of the submodules (gitlinks) below the workspace root, each at the commit the
    /// superproject records, read from the submodule's own object store: added to `entries`
    /// under the submodule's path. Returns where each submodule's objects are and what could not
    /// be read (a submodule that is not initialised, or whose store lacks the commit).
    fn submodules(&self, gitlinks: Vec<(String, String)>, entries: &mut Listing, describe: &str) -> Submodules {
        let mut out = Submodules::default();
        for (path, commit) in gitlinks {
            if !path.starts_with(&self.prefix) {
                continue;
            }
            let unavailable = |why: &str| {
                format!(
                    "submodule `{path}` in {describe}: {why}; its files are missing from that side of the comparison (`git submodule update --init {path}` fetches it)"
                )
            };
            let Some(git_dir) = self.submodule_git_dir(&path) else {
                out.warnings.push(unavailable("it is not initialised (no repository at its path)"));
                continue;
            };
            // The submodule's own repository: none of the superproject's location variables.
            let listing = git_in(&self.top, &GitEnv::default())
                .arg(format!("--git-dir={}", git_dir.display()))
                .args(["ls-tree", "-r", "-z", "--full-tree", &commit])
                .output();
            let listing = match listing {
                Ok(o) if o.status.success() => o.stdout,
                _ => {
                    out.warnings
                        .push(unavailable(&format!("its commit {} is not in its object store", short(&commit))));
                    continue;
                }
            };
            for rec in listing.split(|b| *b == 0) {
                let Some(tab) = rec.iter().position(|b| *b == b'\t') else { continue };
                let meta = String::from_utf8_lossy(rec.get(..tab).unwrap_or(&[])).into_owned();
                let inner = String::from_utf8_lossy(rec.get(tab + 1..).unwrap_or(&[])).into_owned();
                let mut parts = meta.split(' ');
                if let (Some(mode), Some("blob"), Some(oid)) = (parts.next(), parts.next(), parts.next()) {
                    // A symbolic link inside a submodule is not followed: its target is read
                    // from the submodule's store, which the tree does not track by path.
                    if mode != "120000" {
                        entries.files.insert(format!("{path}/{inner}"), oid.to_string());
                    }
                }
            }
            out.git_dirs.insert(path, git_dir);
        }
        out
    }

    /// The object store of the submodule at `path`: its checked-out repository, else git's
    /// `modules/<path>` (where `git submodule` keeps it, by its default name), else `None`.
    fn submodule_git_dir(&self, path: &str) -> Option<PathBuf> {
        let dir = self.top.join(path);
        let neutral = GitEnv::default();
        let top = run_in(&dir, &neutral, &["rev-parse", "--show-toplevel"]).ok().map(PathBuf::from);
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        // A directory that is not a repository of its own answers for the superproject.
        if top.is_some_and(|t| same(&t, &dir)) {
            return run_in(&dir, &neutral, &["rev-parse", "--absolute-git-dir"]).ok().map(PathBuf::from);
        }
        let common = run_in(&self.top, &self.env, &["rev-parse", "--path-format=absolute", "--git-common-dir"]).ok()?;
        let modules = Path::new(&common).join("modules").join(path);
        modules.is_dir().then_some(modules)
    }

    /// The files staged in the index below the workspace root.
    pub fn tree_of_index(&self) -> Result<GitTree> {
        // git's reader starts while the index is listed.
        let batch = Arc::new(BatchCell::new(&self.top, &self.env));
        batch.start();
        let out = self
            .git(&self.top)
            .args(["ls-files", "-s", "-z"])
            .output()
            .map_err(|e| Error::Usage(format!("could not run git: {e}")))?;
        let mut entries = Listing::default();
        let mut gitlinks = Vec::new();
        for rec in out.stdout.split(|b| *b == 0) {
            // `<mode> SP <oid> SP <stage> TAB <path>`
            let Some(tab) = rec.iter().position(|b| *b == b'\t') else { continue };
            let meta = String::from_utf8_lossy(rec.get(..tab).unwrap_or(&[])).into_owned();
            let path = String::from_utf8_lossy(rec.get(tab + 1..).unwrap_or(&[])).into_owned();
            let parts: Vec<&str> = meta.split(' ').collect();
            if let (Some(mode), Some(oid), Some(stage)) = (parts.first(), parts.get(1), parts.get(2)) {
                // Conflicted entries keep stage 2 ("ours"); gitlinks (submodules) are read at the
                // commit the index records.
                if *stage != "0" && *stage != "2" {
                    continue;
                }
                if *mode == "160000" {
                    gitlinks.push((path, oid.to_string()));
                    continue;
                }
                entries.add(mode, path, oid.to_string());
            }
        }
        let describe = "the index".to_string();
        let submodules = self.submodules(gitlinks, &mut entries, &describe);
        let checkout = Some(self.top.join(&self.prefix));
        GitTree::with_batch(self, entries.below_root(self), submodules, describe, batch, HashMap::new(), checkout)
    }
}

/// What the files of a comparison's head are.
pub enum Head<'a> {
    Commit(&'a str),
    Index,
    WorkingTree,
}

impl Repo {
    /// Workspace-relative paths whose contents differ between commit `base` and `head`, as git
    /// sees them, from plumbing that never refreshes (so never writes) the index. For the working
    /// tree that is the index's stat cache: a file whose stat data is stale is listed (the caller
    /// then compares bytes), and what the stat cache cannot vouch for is in
    /// [`Repo::worktree_doubts`]. `None` when git cannot tell; callers then compare bytes.
    pub fn changed_paths(&self, base: &str, head: Head<'_>) -> Option<HashSet<String>> {
        let mut cmd = self.git(&self.top);
        match head {
            Head::Commit(h) => {
                cmd.args(["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--ignore-submodules=none", base, h])
            }
            Head::Index => cmd.args([
                "diff-index",
                "--cached",
                "-z",
                "--name-only",
                "--no-renames",
                "--ignore-submodules=none",
                base,
            ]),
            // A submodule's work tree is not examined (git would run `status` inside it, which
            // may write its index): the caller reads every submodule's files at the base.
            Head::WorkingTree => {
                cmd.args(["diff-index", "-z", "--name-only", "--no-renames", "--ignore-submodules=all", base])
            }
        };
        let out = cmd.arg("--").output().ok()?;
        if !out.status.success() {
            return None;
        }
        let mut changed = HashSet::new();
        for path in out.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            let path = std::str::from_utf8(path).ok()?;
            if let Some(rel) = path.strip_prefix(&self.prefix) {
                changed.insert(rel.to_string());
            }
        }
        Some(changed)
    }

    /// What git's "unchanged" cannot be trusted for in the working tree: index entries git does
    /// not compare with their files (`assume-unchanged`, `skip-worktree`, which a sparse checkout
    /// sets), and sources whose checkout passes through a conversion that makes their bytes
    /// differ from their blobs (a clean/smudge `filter`, `working-tree-encoding`, `ident`).
    pub fn worktree_doubts(&self) -> WorktreeDoubts {
        let mut out = WorktreeDoubts::default();
        let Ok(listing) = self.git(&self.top).args(["ls-files", "-z", "-v"]).output() else { return out };
        let mut sources = Vec::new();
        for rec in listing.stdout.split(|b| *b == 0) {
            // `<tag> SP <path>`: a lowercase tag is assume-unchanged, `S` skip-worktree.
            let (Some(&tag), Some(path)) = (rec.first(), rec.get(2..)) else { continue };
            let Ok(path) = std::str::from_utf8(path) else { continue };
            let Some(rel) = path.strip_prefix(&self.prefix) else { continue };
            if tag.is_ascii_lowercase() || tag == b'S' {
                out.unwatched.push(rel.to_string());
            }
            if rel.ends_with(".rs") {
                sources.push(path.to_string());
            }
        }
        if sources.is_empty() {
            return out;
        }
        let child = self
            .git(&self.top)
            .args(["check-attr", "-z", "--stdin", "filter", "working-tree-encoding", "ident"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else { return out };
        let Some(mut stdin) = child.stdin.take() else { return out };
        let answer = std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut w = std::io::BufWriter::new(&mut stdin);
                for p in &sources {
                    if w.write_all(p.as_bytes()).and_then(|_| w.write_all(b"\0")).is_err() {
                        break;
                    }
                }
                let _ = w.flush();
            });
            child.wait_with_output()
        });
        let Ok(answer) = answer else { return out };
        // `<path> NUL <attribute> NUL <value> NUL` per path and attribute.
        let mut fields = answer.stdout.split(|b| *b == 0);
        while let (Some(path), Some(attr), Some(value)) = (fields.next(), fields.next(), fields.next()) {
            let (path, attr, value) =
                (String::from_utf8_lossy(path), String::from_utf8_lossy(attr), String::from_utf8_lossy(value));
            let what = match (attr.as_ref(), value.as_ref()) {
                (_, "unspecified" | "unset") | ("filter", "set") => continue,
                ("ident", _) => "`ident` keyword expansion".to_string(),
                (attr, value) => format!("`{attr}={value}`"),
            };
            if let Some(rel) = path.strip_prefix(&self.prefix) {
                out.filtered.push((rel.to_string(), what));
            }
        }
        out.filtered.sort();
        out.filtered.dedup_by(|a, b| a.0 == b.0);
        out
    }
}

impl Repo {
    /// Which of `paths` (workspace-relative) the index marks `skip-worktree`: outside a sparse
    /// checkout's cone, so absent from the working tree on purpose.
    pub fn skip_worktree(&self, paths: &[String]) -> HashSet<String> {
        let mut cmd = self.git(&self.dir);
        cmd.args(["ls-files", "-z", "-t", "--"]);
        cmd.args(paths.iter().map(|p| format!(":(literal){p}")));
        let Ok(out) = cmd.output() else { return HashSet::new() };
        out.stdout
            .split(|b| *b == 0)
            .filter_map(|rec| match (rec.first(), rec.get(2..)) {
                (Some(b'S'), Some(path)) => std::str::from_utf8(path).ok().map(str::to_string),
                _ => None,
            })
            .collect()
    }
}

/// See [`Repo::worktree_doubts`]; paths are workspace-relative.
#[derive(Debug, Default)]
pub struct WorktreeDoubts {
    /// Index entries git does not compare with the working tree.
    pub unwatched: Vec<String>,
    /// Sources whose checked-out bytes differ from their blobs by a conversion: path, which.
    pub filtered: Vec<(String, String)>,
}

/// A tree's entries: regular files and symbolic links, path → blob id.
#[derive(Debug, Default)]
struct Listing {
    files: BTreeMap<String, String>,
    links: BTreeMap<String, String>,
}

impl Listing {
    fn add(&mut self, mode: &str, path: String, oid: String) {
        if mode == "120000" {
            self.links.insert(path, oid);
        } else {
            self.files.insert(path, oid);
        }
    }

    /// The entries below the workspace root, by workspace-relative path.
    fn below_root(self, repo: &Repo) -> Listing {
        Listing { files: below_root(repo, self.files), links: below_root(repo, self.links) }
    }
}

/// One record of `git diff-index --cached` between a commit and the index (repository-relative).
struct StagedRecord {
    status: String,
    path: String,
    base_mode: String,
    base_oid: String,
}

/// A `git diff-index --cached` started by [`Repo::start_staged_diff`].
pub struct PendingDiff {
    child: Option<Child>,
    base: String,
}

impl PendingDiff {
    /// The commit the index is compared with.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Wait for git's answer.
    pub fn finish(mut self) -> StagedDiff {
        let records = self.child.take().and_then(|child| {
            let out = child.wait_with_output().ok()?;
            if !out.status.success() {
                return None;
            }
            let mut records = Vec::new();
            // `:<base mode> SP <index mode> SP <base oid> SP <index oid> SP <status> NUL <path> NUL`.
            let mut fields = out.stdout.split(|b| *b == 0);
            while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
                let meta = std::str::from_utf8(meta).ok()?;
                let mut parts = meta.trim_start_matches(':').split(' ');
                let (Some(base_mode), Some(_), Some(base_oid), Some(_), Some(status)) =
                    (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return None;
                };
                records.push(StagedRecord {
                    status: status.to_string(),
                    path: std::str::from_utf8(path).ok()?.to_string(),
                    base_mode: base_mode.to_string(),
                    base_oid: base_oid.to_string(),
                });
            }
            Some(records)
        });
        StagedDiff { base: self.base.clone(), records }
    }
}

impl Drop for PendingDiff {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The paths where the index differs from a commit, with git's status letter and the commit's
/// side, repository-relative; `None` when git failed or named a path that is not UTF-8.
pub struct StagedDiff {
    base: String,
    records: Option<Vec<StagedRecord>>,
}

impl StagedDiff {
    /// Workspace-relative paths whose contents differ between the commit and the index: what
    /// [`Repo::changed_paths`] answers for [`Head::Index`], from the same run of git.
    pub fn changed_paths(&self, repo: &Repo, base: &str) -> Option<HashSet<String>> {
        if self.base != base {
            return repo.changed_paths(base, Head::Index);
        }
        let records = self.records.as_ref()?;
        Some(records.iter().filter_map(|r| r.path.strip_prefix(&repo.prefix)).map(str::to_string).collect())
    }
}

pub fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

struct Batch {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// A `git cat-file --batch` of the repository, started on first use (or ahead, while git lists
/// the files), shared by the trees read from one object store (the index and, for `--staged`,
/// its base); stopped when the last of them is dropped.
struct BatchCell {
    top: PathBuf,
    env: GitEnv,
    batch: Mutex<Option<Batch>>,
}

/// One answer of `git cat-file --batch`.
enum Reply {
    Found {
        kind: String,
        bytes: Vec<u8>,
    },
    /// `<request> missing` (or `ambiguous`): no object, no bytes follow.
    Missing,
}

impl BatchCell {
    fn new(top: &Path, env: &GitEnv) -> BatchCell {
        BatchCell { top: top.to_path_buf(), env: env.clone(), batch: Mutex::new(None) }
    }

    /// Start git now, so its start-up overlaps other work; a failure is left for the first read.
    fn start(&self) {
        if let Ok(mut guard) = self.batch.lock() {
            if guard.is_none() {
                *guard = self.spawn().ok();
            }
        }
    }

    fn spawn(&self) -> std::io::Result<Batch> {
        let mut child = git_in(&self.top, &self.env)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = BufReader::new(child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?);
        Ok(Batch { child, stdin, stdout })
    }

    /// Ask `requests` (blob ids, or `<rev>:<path>`) in one pipelined exchange: the requests are
    /// written by a second thread while this one reads the answers, so neither pipe fills up.
    fn exchange(&self, requests: &[String]) -> std::io::Result<Vec<Reply>> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let mut guard = self.batch.lock().map_err(|_| std::io::Error::other("git reader poisoned"))?;
        if guard.is_none() {
            *guard = Some(self.spawn()?);
        }
        let b = guard.as_mut().ok_or_else(|| std::io::Error::other("no git reader"))?;
        let (stdin, stdout) = (&mut b.stdin, &mut b.stdout);
        let result = std::thread::scope(|scope| {
            let writer = scope.spawn(move || -> std::io::Result<()> {
                let mut w = std::io::BufWriter::new(stdin);
                for request in requests {
                    writeln!(w, "{request}")?;
                }
                w.flush()
            });
            let replies = requests.iter().map(|_| read_reply(stdout)).collect::<std::io::Result<Vec<_>>>();
            let written = writer.join().map_err(|_| std::io::Error::other("git writer failed"))?;
            written.and(replies)
        });
        if result.is_err() {
            // Answers may be left unread in the pipe: this reader is done; the next starts anew.
            if let Some(mut b) = guard.take() {
                let _ = b.child.kill();
                let _ = b.child.wait();
            }
        }
        result
    }

    /// The bytes of one blob.
    fn read(&self, oid: &str) -> std::io::Result<Vec<u8>> {
        let mut guard = self.batch.lock().map_err(|_| std::io::Error::other("git reader poisoned"))?;
        if guard.is_none() {
            *guard = Some(self.spawn()?);
        }
        let b = guard.as_mut().ok_or_else(|| std::io::Error::other("no git reader"))?;
        writeln!(b.stdin, "{oid}")?;
        b.stdin.flush()?;
        match read_reply(&mut b.stdout)? {
            Reply::Found { bytes, .. } => Ok(bytes),
            Reply::Missing => Err(missing_blob(oid)),
        }
    }
}

impl Drop for BatchCell {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.batch.lock() {
            if let Some(mut b) = guard.take() {
                drop(b.stdin);
                let _ = b.child.wait();
            }
        }
    }
}

/// The entries of `repo_entries` (repository-relative paths) below the workspace root, by
/// workspace-relative path.
fn below_root(repo: &Repo, repo_entries: BTreeMap<String, String>) -> BTreeMap<String, String> {
    if repo.prefix.is_empty() {
        return repo_entries;
    }
    repo_entries
        .into_iter()
        .filter_map(|(path, oid)| Some((path.strip_prefix(&repo.prefix)?.to_string(), oid)))
        .collect()
}

/// The submodules of a tree (see [`Repo::submodules`]).
#[derive(Debug, Default)]
struct Submodules {
    /// Repository-relative path of each submodule read → its git directory.
    git_dirs: BTreeMap<String, PathBuf>,
    warnings: Vec<String>,
}

/// A commit's (or the index's) files under the workspace root, read with `git cat-file --batch`
/// (a submodule's files from its own object store). Symbolic links are followed inside the tree,
/// as a checkout would follow them; one that leaves the workspace is never followed.
pub struct GitTree {
    /// Submodules whose files are in `files`: workspace-relative path → git directory.
    submodules: BTreeMap<String, PathBuf>,
    /// What could not be read (a submodule's commit that is not available), for the user.
    pub warnings: Vec<String>,
    /// Workspace-relative path → blob id, regular files.
    files: BTreeMap<String, String>,
    /// Workspace-relative path → blob id, symbolic links.
    links: BTreeMap<String, String>,
    /// Each link's target as written (`None`: git does not have its blob).
    link_targets: BTreeMap<String, Option<String>>,
    dirs: BTreeSet<String>,
    batch: Arc<BatchCell>,
    /// Blobs read ahead in one exchange with git (the manifests), or known from another tree
    /// of the same repository, by path.
    prefetched: HashMap<String, Vec<u8>>,
    /// For the index: the workspace's directory in the working tree, where a file whose bytes
    /// are its blob's (git's object id says so) is read instead of asking git.
    checkout: Option<PathBuf>,
    top: PathBuf,
    describe: String,
}

/// Why a path of a [`GitTree`] leads nowhere.
enum Unfollowed {
    /// A link whose target lies outside the workspace (the target as written).
    Outside(String),
    /// More links than a system follows.
    Loop,
    /// A link whose blob git does not have.
    Missing(String),
}

/// Links followed for one path at most, as Linux's `ELOOP` limit.
const MAX_LINK_HOPS: usize = 40;

impl GitTree {
    /// A tree reading through `batch`; `known` holds the bytes of blobs already read, by id;
    /// `checkout` is where the working tree may hold the same files (see [`GitTree::checkout`]).
    /// `entries` are workspace-relative (see [`below_root`]).
    fn with_batch(
        repo: &Repo,
        entries: Listing,
        submodules: Submodules,
        describe: String,
        batch: Arc<BatchCell>,
        known: HashMap<String, Vec<u8>>,
        checkout: Option<PathBuf>,
    ) -> Result<GitTree> {
        let Listing { files, links } = entries;
        let mut dirs = BTreeSet::new();
        dirs.insert(String::new());
        for rel in files.keys().chain(links.keys()) {
            let mut d = rel.as_str();
            while let Some(i) = d.rfind('/') {
                d = d.get(..i).unwrap_or("");
                if dirs.contains(d) {
                    break;
                }
                dirs.insert(d.to_string());
            }
        }
        let git_dirs = submodules
            .git_dirs
            .into_iter()
            .filter_map(|(path, dir)| Some((path.strip_prefix(&repo.prefix)?.to_string(), dir)))
            .collect();
        let mut tree = GitTree {
            submodules: git_dirs,
            warnings: submodules.warnings,
            files,
            links,
            link_targets: BTreeMap::new(),
            dirs,
            batch,
            prefetched: HashMap::new(),
            checkout,
            top: repo.top.clone(),
            describe,
        };
        if !known.is_empty() {
            tree.prefetched = tree
                .files
                .iter()
                .filter(|(path, _)| tree.submodule_of(path).is_none())
                .filter_map(|(path, oid)| Some((path.clone(), known.get(oid)?.clone())))
                .collect();
        }
        // Every workspace read starts with the manifests: one exchange instead of one per file.
        // The links' targets are read in the same exchange.
        let mut manifests = Vec::new();
        for (path, oid) in &tree.files {
            let is_manifest = path == "Cargo.toml" || path.ends_with("/Cargo.toml");
            if !is_manifest || tree.submodule_of(path).is_some() || tree.prefetched.contains_key(path) {
                continue;
            }
            match tree.checked_out(path, oid) {
                Some(bytes) => {
                    tree.prefetched.insert(path.clone(), bytes);
                }
                None => manifests.push(path.clone()),
            }
        }
        let link_oids: Vec<(String, String)> = tree.links.iter().map(|(p, o)| (p.clone(), o.clone())).collect();
        let mut requests: Vec<String> = manifests.iter().filter_map(|p| tree.files.get(p).cloned()).collect();
        requests.extend(link_oids.iter().map(|(_, oid)| oid.clone()));
        let paths: Vec<&String> = manifests.iter().chain(link_oids.iter().map(|(p, _)| p)).collect();
        if let Ok(replies) = tree.batch.exchange(&requests) {
            for (path, reply) in paths.into_iter().zip(replies) {
                let bytes = match reply {
                    Reply::Found { bytes, .. } => Some(bytes),
                    Reply::Missing => None,
                };
                if tree.links.contains_key(path) {
                    let target = bytes.map(|b| String::from_utf8_lossy(&b).into_owned());
                    tree.link_targets.insert(path.clone(), target);
                } else if let Some(bytes) = bytes {
                    tree.prefetched.insert(path.clone(), bytes);
                }
            }
        }
        Ok(tree)
    }

    /// The tree path `rel` leads to once the symbolic links on its way are followed (each target
    /// taken relative to the link's directory, as the system does).
    fn follow(&self, rel: &str) -> std::result::Result<String, Unfollowed> {
        if self.links.is_empty() {
            return Ok(rel.to_string());
        }
        let mut pending: std::collections::VecDeque<String> =
            rel.split('/').filter(|p| !p.is_empty()).map(str::to_string).collect();
        let mut done = String::new();
        let mut hops = 0;
        while let Some(part) = pending.pop_front() {
            let here = if done.is_empty() { part } else { format!("{done}/{part}") };
            let Some(oid) = self.links.get(&here) else {
                done = here;
                continue;
            };
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return Err(Unfollowed::Loop);
            }
            let Some(Some(target)) = self.link_targets.get(&here) else { return Err(Unfollowed::Missing(oid.clone())) };
            let joined = crate::source::join(crate::source::parent(&here), target);
            if target.starts_with('/') || joined == ".." || joined.starts_with("../") {
                return Err(Unfollowed::Outside(target.clone()));
            }
            for p in joined.split('/').rev() {
                pending.push_front(p.to_string());
            }
            done = String::new();
        }
        Ok(done)
    }

    /// The workspace-relative paths of this tree's symbolic links (their summaries are never
    /// reused from another tree: what they point to may differ while they do not).
    pub fn link_paths(&self) -> impl Iterator<Item = &String> {
        self.links.keys()
    }

    /// The workspace-relative paths of the submodules read into this tree.
    pub fn submodule_paths(&self) -> impl Iterator<Item = &String> {
        self.submodules.keys()
    }

    /// The working tree's bytes of `rel` when they are those of blob `oid`: git's object id of
    /// the bytes read is `oid` (a file changed since it was staged, a filter or end-of-line
    /// conversion, a symbolic link give other bytes, and git is asked). Reading a file and
    /// hashing it is much cheaper than git inflating the object; SHA-256 repositories always ask.
    fn checked_out(&self, rel: &str, oid: &str) -> Option<Vec<u8>> {
        let dir = self.checkout.as_ref()?;
        if oid.len() != 40 {
            return None;
        }
        // Only a regular file, not through a link, and not larger than its blob can be.
        let bytes = crate::source::read_regular(&dir.join(rel), crate::source::MAX_SOURCE_BYTES).ok()?;
        (blob_sha1(&bytes) == oid).then_some(bytes)
    }

    /// Read `paths` in one pipelined exchange with `git cat-file --batch`; a blob git does not
    /// have is left out (the later read reports it).
    fn read_ahead(&self, paths: Vec<String>) -> std::io::Result<HashMap<String, Vec<u8>>> {
        let oids: Vec<String> = paths.iter().filter_map(|p| self.files.get(p).cloned()).collect();
        let replies = self.batch.exchange(&oids)?;
        let mut out = HashMap::new();
        for (path, reply) in paths.into_iter().zip(replies) {
            if let Reply::Found { bytes, .. } = reply {
                out.insert(path, bytes);
            }
        }
        Ok(out)
    }

    /// Read the files `paths` names (others are skipped) in one exchange with git, ahead of
    /// their use: the files a base revision changed, read while the head is still being parsed.
    /// A failure is left for the later read to report.
    pub fn read_ahead_files<'p>(&mut self, paths: impl IntoIterator<Item = &'p String>) {
        let paths: Vec<String> = paths
            .into_iter()
            .filter(|p| {
                self.files.contains_key(*p) && self.submodule_of(p).is_none() && !self.prefetched.contains_key(*p)
            })
            .cloned()
            .collect();
        if let Ok(read) = self.read_ahead(paths) {
            self.prefetched.extend(read);
        }
    }

    /// Ask `requests` of this tree's `git cat-file --batch` in one exchange.
    fn exchange(&self, requests: &[String]) -> std::io::Result<Vec<Reply>> {
        self.batch.exchange(requests)
    }

    /// The git directory of the submodule holding `rel`, if a submodule does.
    fn submodule_of(&self, rel: &str) -> Option<&PathBuf> {
        self.submodules
            .iter()
            .find(|(path, _)| rel.strip_prefix(path.as_str()).is_some_and(|rest| rest.starts_with('/')))
            .map(|(_, dir)| dir)
    }

    /// Blob id of a file, for "unchanged between revisions" checks.
    pub fn blob(&self, rel: &str) -> Option<&str> {
        self.files.get(rel).map(String::as_str)
    }
}

/// git's object id of a blob holding `bytes` in a SHA-1 repository: the SHA-1 of
/// `blob <length> NUL` and the bytes, in hex.
fn blob_sha1(bytes: &[u8]) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.digest().to_string()
}

fn unexpected(header: &str) -> std::io::Error {
    std::io::Error::other(format!("unexpected reply from git: {}", header.trim()))
}

/// A blob the object store does not have: in a partial clone, one git would fetch on demand.
fn missing_blob(oid: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "git's object store does not have its blob {} (a partial clone fetches blobs on demand, which hotlint never lets git do; a checkout of that revision, or a clone without `--filter`, brings it)",
        short(oid)
    ))
}

/// One answer of `git cat-file --batch`: `<oid> <type> <size>`, the bytes, a newline; or
/// `<request> missing` alone.
fn read_reply(stdout: &mut BufReader<ChildStdout>) -> std::io::Result<Reply> {
    let mut header = String::new();
    stdout.read_line(&mut header)?;
    let fields: Vec<&str> = header.split_whitespace().collect();
    let (Some(_oid), Some(kind), Some(size)) = (fields.first(), fields.get(1), fields.get(2)) else {
        return match fields.as_slice() {
            [_, "missing" | "ambiguous"] => Ok(Reply::Missing),
            _ => Err(unexpected(&header)),
        };
    };
    let size: usize = size.parse().map_err(|_| unexpected(&header))?;
    let mut bytes = vec![0u8; size];
    stdout.read_exact(&mut bytes)?;
    let mut nl = [0u8; 1];
    stdout.read_exact(&mut nl)?;
    Ok(Reply::Found { kind: kind.to_string(), bytes })
}

impl Tree for GitTree {
    fn read(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        let rel = match self.follow(rel) {
            Ok(rel) => rel,
            Err(Unfollowed::Outside(target)) => return Err(crate::source::outside_workspace(&target)),
            Err(Unfollowed::Loop) => {
                return Err(std::io::Error::other("too many levels of symbolic links"));
            }
            Err(Unfollowed::Missing(oid)) => return Err(missing_blob(&oid)),
        };
        let rel = rel.as_str();
        let oid = self.files.get(rel).ok_or_else(|| {
            if self.dirs.contains(rel) {
                std::io::Error::other("it is a directory, not a regular file")
            } else {
                std::io::Error::new(std::io::ErrorKind::NotFound, "not in this revision")
            }
        })?;
        if let Some(git_dir) = self.submodule_of(rel) {
            // A submodule's blob is in its own object store (rare: one process per file).
            let out = git_in(&self.top, &GitEnv::default())
                .arg(format!("--git-dir={}", git_dir.display()))
                .args(["cat-file", "blob", oid])
                .output()?;
            if !out.status.success() {
                return Err(std::io::Error::other(format!("git cannot read blob {oid} of submodule")));
            }
            return Ok(out.stdout);
        }
        if let Some(bytes) = self.prefetched.get(rel) {
            return Ok(bytes.clone());
        }
        if let Some(bytes) = self.checked_out(rel, oid) {
            return Ok(bytes);
        }
        self.batch.read(oid)
    }

    fn is_file(&self, rel: &str) -> bool {
        self.follow(rel).is_ok_and(|r| self.files.contains_key(&r))
    }

    /// A link that cannot be followed (outside the workspace, a loop, a missing blob): reading
    /// it says why.
    fn is_unreadable(&self, rel: &str) -> bool {
        !self.links.is_empty() && self.follow(rel).is_err()
    }

    fn identity(&self, rel: &str) -> Option<String> {
        if self.links.is_empty() {
            return None;
        }
        self.follow(rel).ok()
    }

    fn blob_id(&self, rel: &str) -> Option<String> {
        self.files.get(&self.follow(rel).ok()?).cloned()
    }

    fn is_dir(&self, rel: &str) -> bool {
        self.follow(rel).is_ok_and(|r| self.dirs.contains(&r))
    }

    fn list_dir(&self, rel: &str) -> std::io::Result<Vec<(String, bool)>> {
        let dir = self.follow(rel).map_err(|_| std::io::Error::other("a symbolic link that cannot be followed"))?;
        if !self.dirs.contains(&dir) {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory in this revision"));
        }
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut out = BTreeSet::new();
        for p in self.files.range(prefix.clone()..) {
            let Some(rest) = p.0.strip_prefix(&prefix) else { break };
            match rest.split_once('/') {
                Some((d, _)) => out.insert((d.to_string(), true)),
                None => out.insert((rest.to_string(), false)),
            };
        }
        for p in self.links.range(prefix.clone()..) {
            let Some(rest) = p.0.strip_prefix(&prefix) else { break };
            match rest.split_once('/') {
                Some((d, _)) => out.insert((d.to_string(), true)),
                None => out.insert((rest.to_string(), self.is_dir(p.0))),
            };
        }
        Ok(out.into_iter().collect())
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_are_gits() {
        // `git hash-object` of bytes `(i * 7 + 3) % 256` for i below n: every padding case.
        let cases = [
            (0, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),
            (1, "fc2b5693e00bdbea3f74ac60459b1df43c295356"),
            (50, "9a9baa1ad00381697e8170254b57ddad8b810520"),
            (55, "1abe178a5e7d928b8cf998ad8479d32f2a5a50c1"),
            (56, "1d9a2224c862e8d1d2c222a7743e7e90522e8979"),
            (57, "90c4ea9afe58b2d71fe02c3059c077ad5ef48a03"),
            (63, "ae8df5ff9be67a8d83e29f107b4f65608503aff1"),
            (64, "7a750f53f0d82924d58e4994486faa24db9a1cbc"),
            (65, "996d36b8af0df3c01f859b2d2d55e4fac47f6659"),
            (119, "ed5cf336e9d28fc71f8bf11b05520c63a23e083a"),
            (120, "d4ffa4b455d65886892e4637177028134070d0d8"),
            (1000, "91475c4915324f928254bb924272e5b930262344"),
        ];
        for (n, id) in cases {
            let bytes: Vec<u8> = (0..n).map(|i: u32| ((i * 7 + 3) % 256) as u8).collect();
            assert_eq!(blob_sha1(&bytes), id, "{n} bytes");
        }
        assert_eq!(blob_sha1(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    }
}
