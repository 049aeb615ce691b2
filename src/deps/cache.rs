//! The on-disk cache of dependency scan results, for sources that cannot change: a registry
//! package (by name, version and the checksum `Cargo.lock` records) or a git dependency (by its
//! locked full revision). One JSON file per package under `<target dir>/hotlint/deps/`.
//!
//! Invariants: a file that cannot be read, parsed, or whose key, format or hotlint build differs
//! is a miss, never an error; writing goes to a temporary file in the same directory, renamed
//! over the final name, so a concurrent reader sees a whole file or none; a failed write is
//! ignored (the run's result does not depend on the cache).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Scanned;

/// Bump when what a scan records, or how it is computed, changes in a way the hotlint build
/// identity below would not catch.
const FORMAT: u32 = 2;

/// The cache of one run: a directory and what every key shares (the profiles the scan used and
/// the hotlint build).
pub struct Cache {
    dir: PathBuf,
    context: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// The key in full: package identity, profiles and build; a hash collision in the file name
    /// is still a miss.
    key: String,
    scanned: Scanned,
}

impl Cache {
    /// `dir` is where entries go; `profiles_fingerprint` says which framework profiles and aliases
    /// the scan used, since they change what a scan finds.
    pub fn new(dir: PathBuf, profiles_fingerprint: u64) -> Cache {
        Cache {
            dir,
            context: format!("hotlint {} {} {profiles_fingerprint:016x}", env!("CARGO_PKG_VERSION"), build_id()),
        }
    }

    /// The scan recorded for `identity` (`name version checksum`, or `name git-source`).
    pub fn get(&self, name: &str, identity: &str) -> Option<Scanned> {
        let (path, key) = self.entry_path(name, identity);
        // An entry that is not a regular file (a named pipe planted there) is a miss, not a hang.
        let bytes = crate::source::read_regular(&path, crate::source::MAX_TEXT_BYTES).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.format == FORMAT && entry.key == key).then_some(entry.scanned)
    }

    /// Record a scan; any failure leaves the cache as it was.
    pub fn put(&self, name: &str, identity: &str, scanned: &Scanned) {
        let (path, key) = self.entry_path(name, identity);
        let entry = Entry { format: FORMAT, key, scanned: scanned.clone() };
        let Ok(bytes) = serde_json::to_vec(&entry) else { return };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        // An entry that is not a regular file (a named pipe, a link planted in the cache) is left
        // alone: hotlint's own directory is never written through, and a pipe would block.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_file()) {
            return;
        }
        // Atomic, as every write of hotlint's; a failure leaves the cache as it was.
        let _ = crate::output::write_file(&path, &bytes);
    }

    fn entry_path(&self, name: &str, identity: &str) -> (PathBuf, String) {
        let key = format!("{identity}\n{}", self.context);
        let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
        let safe: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        (self.dir.join(format!("{safe}-{hash:016x}.json")), key)
    }
}

/// Where the cache lives for the workspace at `root` whose target directory is `target_dir`, or
/// `None` for no cache: `HOTLINT_NO_CACHE` set; else `HOTLINT_CACHE_DIR` when set; else
/// `<target dir>/hotlint/deps` — but only in a directory cargo made for its builds: it exists and
/// holds cargo's `CACHEDIR.TAG` (a checkout never built gets no new directory), it is not the
/// workspace root or above it, and it is not inside a `.git` directory. A repository's own
/// `.cargo/config.toml` saying `build.target-dir = ".git"` (or `"src"`) therefore gets nothing
/// written there until cargo itself has built there.
pub fn dir_for(target_dir: &Path, root: &Path) -> Option<PathBuf> {
    if std::env::var_os("HOTLINT_NO_CACHE").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    if let Some(dir) = std::env::var_os("HOTLINT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let target = target_dir.canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    let tagged = std::fs::symlink_metadata(target.join("CACHEDIR.TAG")).is_ok_and(|m| m.is_file());
    let in_git = target.components().any(|c| c.as_os_str() == ".git");
    (tagged && !in_git && !root.starts_with(&target)).then(|| target.join("hotlint").join("deps"))
}

/// What identifies this hotlint build beyond its version: the executable's size and
/// modification time, so a rebuilt hotlint (whose scanner may have changed) never reads entries
/// an older build wrote.
fn build_id() -> String {
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    match meta {
        Ok(m) => {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}-{modified}", m.len())
        }
        Err(_) => "unknown".into(),
    }
}
