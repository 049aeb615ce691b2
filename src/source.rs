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

/// Sources larger than this are not read (HL000 says so): a generated file of that size would
/// take gigabytes to analyse, and a link to an endless device is refused before this anyway.
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Manifests, configuration, `Cargo.lock`, `hotlint.lock` and baselines larger than this are
/// refused with an error naming the file.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// Read `path` when it is a regular file (links followed) of at most `limit` bytes; otherwise an
/// error that says what it is. A named pipe, a device or a socket is never opened for reading
/// (a pipe would block forever, `/dev/zero` never ends): the kind is checked before opening, and
/// again on the open handle (opened without blocking), so nothing swapped in between is read.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    check_regular(&meta, limit)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    check_regular(&meta, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    // A file that grows while it is read (or claims no size, as /proc's do) is cut at the limit.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// [`read_regular`] as text: an error when the bytes are not UTF-8.
pub fn read_regular_text(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not valid UTF-8"))
}

fn check_regular(meta: &std::fs::Metadata, limit: u64) -> io::Result<()> {
    if !meta.is_file() {
        return Err(io::Error::other(format!("it is {}, not a regular file", kind_of(&meta.file_type()))));
    }
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    Ok(())
}

fn too_large(limit: u64) -> io::Error {
    io::Error::other(format!("it is larger than {} MiB, hotlint's limit for one file", limit >> 20))
}

/// What a file that is not a regular file is, in words.
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// The error for a symbolic link whose target (as written, or where it leads) is outside the
/// workspace: its content is never read, let alone shown.
pub fn outside_workspace(target: &str) -> io::Error {
    io::Error::other(format!(
        "it is a symbolic link to `{}`, outside the workspace; hotlint reads only files inside it",
        crate::error::one_line(target)
    ))
}

/// The file system under `root`. Only regular files are read, each at most
/// [`MAX_SOURCE_BYTES`], and only inside the workspace: a path inside `root` must lead (symbolic
/// links followed) to a file inside `root`; a path the workspace names outside it (a member or
/// path dependency `../other`) must lead to a file inside that directory (`../other`).
pub struct Worktree {
    pub root: PathBuf,
    /// Canonical directory of each anchor (`""` for the root, `../other` for one outside it).
    anchors: std::sync::Mutex<std::collections::HashMap<String, Option<PathBuf>>>,
    /// Canonical path of each directory a file was read from, by relative path.
    dirs: std::sync::Mutex<std::collections::HashMap<String, Option<PathBuf>>>,
}

impl Worktree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Worktree { root: root.into(), anchors: Default::default(), dirs: Default::default() }
    }

    fn abs(&self, rel: &str) -> PathBuf {
        if rel.is_empty() { self.root.clone() } else { self.root.join(rel) }
    }

    /// Where `rel` really is, when that is inside the directory the workspace names for it;
    /// else the error to report (the link's target is named, its content never read).
    fn real_inside(&self, rel: &str) -> io::Result<PathBuf> {
        let path = self.abs(rel);
        let leading_up = rel.split('/').take_while(|p| *p == "..").count();
        let anchor_rel: String =
            rel.split('/').take(if leading_up == 0 { 0 } else { leading_up + 1 }).collect::<Vec<_>>().join("/");
        let cached = |map: &std::sync::Mutex<std::collections::HashMap<String, Option<PathBuf>>>, key: &str| {
            let found = map.lock().ok().and_then(|m| m.get(key).cloned());
            match found {
                Some(v) => v,
                None => {
                    let v = std::fs::canonicalize(self.abs(key)).ok();
                    if let Ok(mut m) = map.lock() {
                        m.insert(key.to_string(), v.clone());
                    }
                    v
                }
            }
        };
        let Some(anchor) = cached(&self.anchors, &anchor_rel) else { return std::fs::canonicalize(&path) };
        // The file's directory once per directory; the file itself only when it is a link.
        let meta = std::fs::symlink_metadata(&path)?;
        let real = if meta.file_type().is_symlink() {
            std::fs::canonicalize(&path)?
        } else {
            let name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
            match cached(&self.dirs, parent(rel)) {
                Some(dir) => dir.join(name),
                None => std::fs::canonicalize(&path)?,
            }
        };
        if real.starts_with(&anchor) {
            return Ok(real);
        }
        let shown = std::fs::read_link(&path)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_else(|_| real.to_string_lossy().into_owned());
        Err(outside_workspace(&shown))
    }
}

impl Tree for Worktree {
    fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        let real = self.real_inside(rel)?;
        read_regular(&real, MAX_SOURCE_BYTES)
    }

    fn is_file(&self, rel: &str) -> bool {
        self.abs(rel).is_file()
    }

    fn is_dir(&self, rel: &str) -> bool {
        self.abs(rel).is_dir()
    }

    /// Something is at the path, but not a regular file or a directory one can look into: a
    /// named pipe, a device, a socket, a symbolic-link loop, a name longer than the system
    /// takes. Reading it says which.
    fn is_unreadable(&self, rel: &str) -> bool {
        let path = self.abs(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(_) => match std::fs::metadata(&path) {
                Ok(meta) => !meta.is_file() && !meta.is_dir(),
                Err(e) => e.kind() != io::ErrorKind::NotFound,
            },
            Err(e) => e.kind() != io::ErrorKind::NotFound && e.raw_os_error() != Some(NOT_A_DIRECTORY),
        }
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

/// `ENOTDIR`: a path through a regular file (`a.rs/mod.rs`) is simply not there.
#[cfg(unix)]
const NOT_A_DIRECTORY: i32 = libc::ENOTDIR;
#[cfg(not(unix))]
const NOT_A_DIRECTORY: i32 = -1;

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
