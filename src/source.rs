//! Stage: sources. Input: a place to read files from. Output: bytes and directory listings.
//!
//! Every later stage reads files through [`Tree`], so the same discovery and parsing code runs on
//! the working tree and (for revision comparison) on a git revision. Paths are relative to the
//! tree's root, with `/` separators; `..` components are resolved lexically.
//! Invariant: a `Tree` only reads; nothing here writes.

use std::io;
use std::path::{Path, PathBuf};

/// A read-only view of a directory tree.
pub trait Tree: Sync + Send {
    fn read(&self, rel: &str) -> io::Result<Vec<u8>>;
    fn is_file(&self, rel: &str) -> bool;
    fn is_dir(&self, rel: &str) -> bool;
    /// Entries of a directory: (name, is_dir), sorted by name.
    fn list_dir(&self, rel: &str) -> io::Result<Vec<(String, bool)>>;
    /// Text for messages ("the working tree", "revision 1a2b3c").
    fn describe(&self) -> String;

    /// A path that exists but whose kind cannot be known (a symbolic-link loop, a link into a
    /// directory that may not be searched): reading it says why.
    fn is_unreadable(&self, rel: &str) -> bool {
        let _ = rel;
        false
    }

    /// What a path really is, when two paths can name one file (symbolic links on disk): the
    /// loader reads a file once, whatever path leads to it, so a link loop cannot multiply it.
    fn identity(&self, rel: &str) -> Option<String> {
        let _ = rel;
        None
    }

    /// The git blob id of a file, in a tree read from git: two files with the same id have the
    /// same bytes, so what is derived from them can be shared.
    fn blob_id(&self, rel: &str) -> Option<String> {
        let _ = rel;
        None
    }
}

/// The file system under `root`.
pub struct Worktree {
    pub root: PathBuf,
}

impl Worktree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Worktree { root: root.into() }
    }

    fn abs(&self, rel: &str) -> PathBuf {
        if rel.is_empty() { self.root.clone() } else { self.root.join(rel) }
    }
}

impl Tree for Worktree {
    fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.abs(rel))
    }

    fn is_file(&self, rel: &str) -> bool {
        self.abs(rel).is_file()
    }

    fn is_dir(&self, rel: &str) -> bool {
        self.abs(rel).is_dir()
    }

    fn is_unreadable(&self, rel: &str) -> bool {
        let path = self.abs(rel);
        std::fs::symlink_metadata(&path).is_ok()
            && std::fs::metadata(&path).is_err_and(|e| e.kind() != io::ErrorKind::NotFound)
    }

    fn list_dir(&self, rel: &str) -> io::Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.abs(rel))? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            let is_dir = entry.path().is_dir();
            out.push((name, is_dir));
        }
        out.sort();
        Ok(out)
    }

    fn describe(&self) -> String {
        "the working tree".into()
    }

    /// The file's device and inode (one `stat`, where resolving every component of the path
    /// would take a system call per directory): two paths, links or not, to one file are equal.
    #[cfg(unix)]
    fn identity(&self, rel: &str) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(self.abs(rel)).ok().map(|m| format!("{}:{}", m.dev(), m.ino()))
    }

    #[cfg(not(unix))]
    fn identity(&self, rel: &str) -> Option<String> {
        std::fs::canonicalize(self.abs(rel)).ok().map(|p| p.to_string_lossy().into_owned())
    }
}

/// Join `base` (a directory, relative) and `rel`, resolving `.` and `..` lexically.
pub fn join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty() && *p != ".").collect()
    };
    for p in rel.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The directory part of a relative path (`a/b/c.rs` → `a/b`).
pub fn parent(rel: &str) -> &str {
    rel.rfind('/').and_then(|i| rel.get(..i)).unwrap_or("")
}

/// The file stem (`a/b/c.rs` → `c`).
pub fn stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.strip_suffix(".rs").unwrap_or(name)
}

/// `path` relative to `root` with `/` separators, or `None` when it is not below `root`.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
}

/// `path` relative to `root`, allowing `../` for paths outside it.
pub fn relative_lossy(root: &Path, path: &Path) -> String {
    if let Some(r) = relative(root, path) {
        return r;
    }
    let root_parts: Vec<_> = root.components().collect();
    let path_parts: Vec<_> = path.components().collect();
    let common = root_parts.iter().zip(&path_parts).take_while(|(a, b)| a == b).count();
    let mut out: Vec<String> = std::iter::repeat_n("..".to_string(), root_parts.len().saturating_sub(common)).collect();
    out.extend(path_parts.iter().skip(common).map(|c| c.as_os_str().to_string_lossy().into_owned()));
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins() {
        assert_eq!(join("a/b", "../c.rs"), "a/c.rs");
        assert_eq!(join("", "src/lib.rs"), "src/lib.rs");
        assert_eq!(join("a", "./b/./c"), "a/b/c");
        assert_eq!(join("", "../x"), "../x");
        assert_eq!(parent("a/b/c.rs"), "a/b");
        assert_eq!(stem("a/b/c.rs"), "c");
    }
}

/// Files held in memory: fuzzing and tests run the whole pipeline without a file system.
#[derive(Default)]
pub struct MemoryTree {
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
}

impl Tree for MemoryTree {
    fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        self.files.get(rel).cloned().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in memory"))
    }

    fn is_file(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    fn is_dir(&self, rel: &str) -> bool {
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        self.files.keys().any(|k| k.starts_with(&prefix))
    }

    fn list_dir(&self, rel: &str) -> io::Result<Vec<(String, bool)>> {
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        let mut out = std::collections::BTreeSet::new();
        for k in self.files.keys() {
            if let Some(rest) = k.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((d, _)) => out.insert((d.to_string(), true)),
                    None => out.insert((rest.to_string(), false)),
                };
            }
        }
        Ok(out.into_iter().collect())
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}
