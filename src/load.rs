//! Stage: load. Input: the workspace, a [`Tree`] to read from, parse options. Output:
//! [`Sources`]: every source file reachable from a selected target's root through `mod`
//! declarations, each parsed exactly once.
//!
//! Files are parsed in waves (target roots, then the modules they declare, …), each wave in
//! parallel on threads with large stacks; file ids are handed out in sorted order per wave, so
//! they do not depend on the thread count. Every `mod` variant is followed, whatever its `#[cfg]`.
//! Invariant: the only stage that reads source files.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::ir::{FileId, FileSummary, ItemKind, Loc};
use crate::parse::{self, ParseOptions};
use crate::source::{self, Tree};
use crate::workspace::Workspace;

/// Parse threads get large stacks so deeply nested input cannot overflow them.
pub const PARSE_STACK_BYTES: usize = 256 << 20;

#[derive(Debug, Default)]
pub struct Sources {
    /// Indexed by [`FileId`].
    pub files: Vec<std::sync::Arc<FileSummary>>,
    /// Whether each file's `mod x;` children live beside it (`lib.rs`, `main.rs`, `mod.rs`,
    /// `#[path]` files) or in a directory named after it.
    pub mod_rs: Vec<bool>,
    /// Root file of each selected target: (package index, target index) → file.
    pub roots: BTreeMap<(usize, usize), FileId>,
    /// `mod x;` declarations whose file does not exist.
    pub missing: Vec<MissingModule>,
    /// Every loaded file by path.
    pub ids: HashMap<String, FileId>,
    /// Each `mod x;` declaration of a loaded file with the files it may be.
    pub children: Vec<ModDecl>,
}

/// A `mod x;` of a loaded file and its candidate files, as [`module_children`] gave them (the
/// index takes the first one loaded).
#[derive(Debug)]
pub struct ModDecl {
    pub file: FileId,
    pub item: u32,
    pub candidates: Vec<(String, bool)>,
}

#[derive(Clone, Debug)]
pub struct MissingModule {
    pub name: String,
    pub decl: Loc,
    pub tried: Vec<String>,
    pub cfg_gated: bool,
    /// Not missing but found at both `name.rs` and `name/mod.rs` (both in `tried`): rustc's
    /// E0761.
    pub found_at_both: bool,
    /// Why it is missing when that is known and is not "it does not exist" (git says the file is
    /// outside the sparse-checkout cone).
    pub outside_sparse_cone: Option<String>,
}

/// A `mod name;` declaration and where its file may be.
pub struct ModChild {
    pub item: u32,
    pub candidates: Vec<(String, bool)>,
    /// The candidates come from `#[path]` attributes (one per `cfg_attr` variant), not from
    /// rustc's `name.rs` / `name/mod.rs` search.
    pub path_attr: bool,
}

/// Root files of the selected members' targets, keyed by (package, target).
pub fn member_roots(ws: &Workspace) -> Vec<((usize, usize), String)> {
    let mut out = Vec::new();
    for &p in &ws.selected {
        let Some(pkg) = ws.packages.get(p) else { continue };
        for (t, target) in pkg.targets.iter().enumerate() {
            out.push(((p, t), target.root.clone()));
        }
    }
    out
}

/// Summaries of another revision's files, by path, to reuse for files whose bytes are the same.
/// Shared, not borrowed: the other revision's analysis may go on while this one loads.
#[derive(Default)]
pub struct Reuse {
    pub files: HashMap<String, Arc<FileSummary>>,
    /// When known (from git), the paths whose bytes differ from those `files` were read from:
    /// any other path of `files` is reused without being read. Otherwise each file is read and
    /// its hash compared.
    pub changed: Option<HashSet<String>>,
}

impl Reuse {
    pub fn new() -> Reuse {
        Reuse::default()
    }

    /// The summaries of `files`, to reuse.
    pub fn of(files: &[Arc<FileSummary>], changed: Option<HashSet<String>>) -> Reuse {
        Reuse { files: files.iter().map(|f| (f.rel_path.clone(), Arc::clone(f))).collect(), changed }
    }

    /// The summary to reuse for `path` without reading it, when git says it did not change.
    fn unchanged(&self, path: &str) -> Option<&Arc<FileSummary>> {
        let changed = self.changed.as_ref()?;
        let prev = self.files.get(path)?;
        // A changed directory entry is a submodule whose commit moved (or whose files changed):
        // nothing below it counts as unchanged.
        let below_changed = path.match_indices('/').any(|(i, _)| path.get(..i).is_some_and(|d| changed.contains(d)));
        (!changed.contains(path) && !below_changed && prev.error.is_none()).then_some(prev)
    }
}

/// A reused summary under the id it gets here: shared when the id is the same (the usual case:
/// the same files in the same order), else copied with its locations renumbered.
fn reused(prev: &Arc<FileSummary>, id: FileId) -> Arc<FileSummary> {
    if prev.id == id { Arc::clone(prev) } else { Arc::new(prev.with_id(id)) }
}

/// Source paths the configuration excludes (`exclude` globs).
pub trait Excluded: Sync {
    fn excludes(&self, path: &str) -> bool;
}

impl Excluded for globset::GlobSet {
    fn excludes(&self, path: &str) -> bool {
        self.is_match(path)
    }
}

/// Parse every file reachable from `roots`, adding to `sources` (which may already hold files).
/// A file whose path and bytes match one in `reuse` is not parsed again.
pub fn load(
    sources: &mut Sources,
    roots: Vec<((usize, usize), String)>,
    tree: &dyn Tree,
    opts: &ParseOptions,
    exclude: &dyn Excluded,
    jobs: usize,
    reuse: &Reuse,
) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).stack_size(PARSE_STACK_BYTES).build();
    let mut wave: BTreeMap<String, bool> = BTreeMap::new();
    let mut pending_roots = Vec::new();
    let mut identities: BTreeSet<String> = sources.files.iter().filter_map(|f| tree.identity(&f.rel_path)).collect();
    for (key, root) in roots {
        if exclude.excludes(&root) {
            continue;
        }
        if !sources.ids.contains_key(&root) {
            if let Some(i) = tree.identity(&root) {
                identities.insert(i);
            }
            wave.insert(root.clone(), true);
        }
        pending_roots.push((key, root));
    }
    while !wave.is_empty() {
        let start = sources.files.len() as FileId;
        let batch: Vec<(FileId, String, bool)> =
            wave.iter().enumerate().map(|(i, (path, modrs))| (start + i as FileId, path.clone(), *modrs)).collect();
        for (id, path, modrs) in &batch {
            sources.ids.insert(path.clone(), *id);
            sources.mod_rs.push(*modrs);
        }
        let parse_all = || {
            batch
                .par_iter()
                .map(|(id, path, _)| match reuse.unchanged(path) {
                    Some(prev) => reused(prev, *id),
                    None => read_and_parse(tree, *id, path, opts, reuse),
                })
                .collect::<Vec<_>>()
        };
        let parsed = match &pool {
            Ok(pool) => pool.install(parse_all),
            Err(_) => parse_all(),
        };
        wave = BTreeMap::new();
        for file in parsed {
            let modrs = sources.mod_rs.get(file.id as usize).copied().unwrap_or(true);
            for child in module_children(&file, modrs) {
                // A path that exists but cannot be examined (a symbolic-link loop) is taken, so
                // that reading it reports why, instead of calling the module's file missing.
                let present: Vec<&(String, bool)> =
                    child.candidates.iter().filter(|(c, _)| tree.is_file(c) || tree.is_unreadable(c)).collect();
                let both = match (child.path_attr, present.as_slice()) {
                    (false, [first, second, ..]) => Some((first.0.clone(), second.0.clone())),
                    _ => None,
                };
                if let Some((first, second)) = both {
                    // `a.rs` and `a/mod.rs` both: rustc refuses the crate (E0761); neither is
                    // loaded, and HL000 names both.
                    if let Some(item) = file.items.get(child.item as usize) {
                        sources.missing.push(MissingModule {
                            name: module_name(item),
                            decl: item.loc,
                            tried: vec![first, second],
                            cfg_gated: has_cfg_ancestor(&file, child.item),
                            found_at_both: true,
                            outside_sparse_cone: None,
                        });
                    }
                } else {
                    match present.first() {
                        Some((path, child_modrs)) => {
                            // A file already loaded under another path (a symbolic link, a link
                            // loop) is not loaded again: the module stays undeclared there.
                            let identity = tree.identity(path);
                            let seen = identity.as_ref().is_some_and(|i| !identities.insert(i.clone()));
                            if !exclude.excludes(path) && !sources.ids.contains_key(path) && !seen {
                                wave.entry(path.clone()).or_insert(*child_modrs);
                            }
                        }
                        None => {
                            if let Some(item) = file.items.get(child.item as usize) {
                                sources.missing.push(MissingModule {
                                    name: module_name(item),
                                    decl: item.loc,
                                    tried: child.candidates.iter().map(|(c, _)| c.clone()).collect(),
                                    cfg_gated: has_cfg_ancestor(&file, child.item),
                                    found_at_both: false,
                                    outside_sparse_cone: None,
                                });
                            }
                        }
                    }
                }
                sources.children.push(ModDecl { file: file.id, item: child.item, candidates: child.candidates });
            }
            sources.files.push(file);
        }
        sources.files.sort_by_key(|f| f.id);
    }
    for (key, path) in pending_roots {
        if let Some(&id) = sources.ids.get(&path) {
            sources.roots.insert(key, id);
        }
    }
}

/// Read a file and parse it, unless its bytes are those of the summary `reuse` holds for it.
fn read_and_parse(tree: &dyn Tree, id: FileId, path: &str, opts: &ParseOptions, reuse: &Reuse) -> Arc<FileSummary> {
    match tree.read(path) {
        Ok(bytes) => match reuse.files.get(path) {
            Some(prev) if prev.hash == xxhash_rust::xxh3::xxh3_64(&bytes) && prev.error.is_none() => reused(prev, id),
            _ => Arc::new(parse::parse_file(id, path.to_string(), &bytes, opts)),
        },
        Err(e) => Arc::new(unreadable(id, path, &e)),
    }
}

fn unreadable(id: FileId, path: &str, e: &std::io::Error) -> FileSummary {
    let message = match e.kind() {
        std::io::ErrorKind::PermissionDenied => "could not read file: permission denied".to_string(),
        std::io::ErrorKind::NotFound => "could not read file: it does not exist".to_string(),
        // The OS's words, lowercased as messages are ("too many levels of symbolic links").
        _ => {
            let text = e.to_string();
            let mut chars = text.chars();
            let first = chars.next().map(|c| c.to_lowercase().to_string()).unwrap_or_default();
            format!("could not read file: {first}{}", chars.as_str())
        }
    };
    FileSummary {
        id,
        rel_path: path.to_string(),
        text: std::sync::Arc::from(""),
        hash: 0,
        error: Some(crate::ir::ParseFailure { message, loc: None }),
        items: Vec::new(),
        inner_attrs: Vec::new(),
        allows: Vec::new(),
    }
}

fn module_name(item: &crate::ir::Item) -> String {
    match &item.kind {
        ItemKind::Mod(m) => m.name.clone(),
        _ => String::new(),
    }
}

fn has_cfg_ancestor(file: &FileSummary, mut idx: u32) -> bool {
    let mut guard = 0;
    while let Some(item) = file.items.get(idx as usize) {
        if item.attrs.iter().any(|a| a.is("cfg")) {
            return true;
        }
        match item.parent {
            Some(p) if guard < 1000 => {
                idx = p;
                guard += 1;
            }
            _ => return false,
        }
    }
    false
}

/// The out-of-line `mod` declarations of `file` and the files each may live in, in the order
/// rustc tries them.
pub fn module_children(file: &FileSummary, mod_rs: bool) -> Vec<ModChild> {
    let dir = source::parent(&file.rel_path);
    let base = if mod_rs { dir.to_string() } else { source::join(dir, source::stem(&file.rel_path)) };
    let mut out = Vec::new();
    for (idx, item) in file.items.iter().enumerate() {
        let ItemKind::Mod(m) = &item.kind else { continue };
        if m.inline {
            continue;
        }
        // Inline ancestors add directories; a module inside a function is not followed.
        let mut inline_dirs = Vec::new();
        let mut parent = item.parent;
        let mut in_fn = false;
        let mut guard = 0;
        while let Some(p) = parent {
            let Some(pi) = file.items.get(p as usize) else { break };
            match &pi.kind {
                ItemKind::Mod(pm) => {
                    inline_dirs.push(pm.path_attrs.first().cloned().unwrap_or_else(|| pm.name.clone()))
                }
                _ => in_fn = true,
            }
            parent = pi.parent;
            guard += 1;
            if guard > 1000 {
                break;
            }
        }
        if in_fn {
            continue;
        }
        inline_dirs.reverse();
        let mut candidates = Vec::new();
        if !m.path_attrs.is_empty() {
            let anchor =
                if inline_dirs.is_empty() { dir.to_string() } else { source::join(&base, &inline_dirs.join("/")) };
            let mut seen = BTreeSet::new();
            for p in &m.path_attrs {
                let c = source::join(&anchor, p);
                if seen.insert(c.clone()) {
                    candidates.push((c, true));
                }
            }
        } else {
            let d = if inline_dirs.is_empty() { base.clone() } else { source::join(&base, &inline_dirs.join("/")) };
            candidates.push((source::join(&d, &format!("{}.rs", m.name)), false));
            candidates.push((source::join(&d, &format!("{}/mod.rs", m.name)), true));
        }
        out.push(ModChild { item: idx as u32, candidates, path_attr: !m.path_attrs.is_empty() });
    }
    out
}

impl Sources {
    /// The file a `mod` item resolves to, the way [`load`] chose it.
    pub fn child_file(&self, candidates: &[(String, bool)]) -> Option<FileId> {
        candidates.iter().find_map(|(c, _)| self.ids.get(c).copied())
    }
}
