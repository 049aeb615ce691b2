//! Where cargo put a locked package's sources: the registry cache
//! (`$CARGO_HOME/registry/src/<index>/name-version`), a git checkout
//! (`$CARGO_HOME/git/checkouts/<repo>-<hash>/<short rev>/…`), a vendored directory
//! (`[source.*] directory = "vendor"` in a `.cargo/config.toml`), or a path dependency's
//! directory. Reads only; never downloads.

use std::path::{Path, PathBuf};

/// `$CARGO_HOME`, or `~/.cargo`.
pub fn cargo_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cargo")
}

/// The places a run looks in, listed once per run.
pub struct Locator {
    /// `$CARGO_HOME/registry/src/*`, sorted.
    registry_roots: Vec<PathBuf>,
    /// Vendored-source directories from `.cargo/config.toml` files, nearest first.
    vendor_dirs: Vec<PathBuf>,
    /// `$CARGO_HOME/git/checkouts`.
    git_checkouts: PathBuf,
}

impl Locator {
    pub fn new(workspace_root: &Path) -> Locator {
        let home = cargo_home();
        Locator {
            registry_roots: registry_roots(&home),
            vendor_dirs: vendor_dirs(workspace_root, &home),
            git_checkouts: home.join("git").join("checkouts"),
        }
    }

    /// List the registry indexes again (after a `cargo fetch` may have added one).
    pub fn refresh(&mut self) {
        self.registry_roots = registry_roots(&cargo_home());
    }

    /// A registry package: unpacked by cargo, or in a vendored directory.
    pub fn registry(&self, name: &str, version: &str) -> Option<PathBuf> {
        let dir_name = format!("{name}-{version}");
        if let Some(found) =
            self.registry_roots.iter().map(|r| r.join(&dir_name)).find(|p| p.join("Cargo.toml").is_file())
        {
            return Some(found);
        }
        self.vendored(name, version)
    }

    /// `cargo vendor` writes `vendor/name` (and `vendor/name-version` for a second version, or
    /// always with `--versioned-dirs`).
    fn vendored(&self, name: &str, version: &str) -> Option<PathBuf> {
        for dir in &self.vendor_dirs {
            let versioned = dir.join(format!("{name}-{version}"));
            if versioned.join("Cargo.toml").is_file() {
                return Some(versioned);
            }
            let plain = dir.join(name);
            if package_identity(&plain).is_some_and(|(n, v)| n == name && v == version) {
                return Some(plain);
            }
        }
        None
    }

    /// A git dependency locked at `source` (`git+URL?branch=…#full-rev`): cargo checks the
    /// revision out under `git/checkouts/<last URL segment>-<hash>/<abbreviated rev>/`, a whole
    /// repository in which the package is one of possibly many manifests.
    pub fn git(&self, name: &str, source: &str) -> Option<PathBuf> {
        let rest = source.strip_prefix("git+")?;
        let (url, rev) = rest.split_once('#')?;
        let url = url.split('?').next().unwrap_or(url);
        let ident = url.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let ident = ident.strip_suffix(".git").unwrap_or(ident).to_lowercase();
        if ident.is_empty() || rev.len() < 7 {
            return self.vendored_git(name);
        }
        let mut repos: Vec<PathBuf> = std::fs::read_dir(&self.git_checkouts)
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| {
                let file_name = e.file_name().to_string_lossy().to_lowercase();
                file_name.rsplit_once('-').is_some_and(|(repo, _hash)| repo == ident)
            })
            .map(|e| e.path())
            .collect();
        repos.sort();
        for repo in repos {
            let mut checkouts: Vec<PathBuf> = std::fs::read_dir(&repo)
                .ok()
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
                .filter(|e| {
                    let short = e.file_name().to_string_lossy().to_string();
                    short.len() >= 7 && rev.starts_with(&short)
                })
                .map(|e| e.path())
                .collect();
            checkouts.sort();
            if let Some(dir) = checkouts.iter().find_map(|c| find_package_in(c, name)) {
                return Some(dir);
            }
        }
        self.vendored_git(name)
    }

    /// `cargo vendor` puts git packages beside registry ones, by name.
    fn vendored_git(&self, name: &str) -> Option<PathBuf> {
        self.vendor_dirs.iter().map(|d| d.join(name)).find(|p| package_identity(p).is_some_and(|(n, _)| n == name))
    }
}

/// Where cargo unpacked a registry package.
pub fn registry_dir(name: &str, version: &str) -> Option<PathBuf> {
    registry_roots(&cargo_home())
        .into_iter()
        .map(|d| d.join(format!("{name}-{version}")))
        .find(|p| p.join("Cargo.toml").is_file())
}

fn registry_roots(home: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(home.join("registry").join("src"))
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

/// `[source.NAME] directory = "…"` in `.cargo/config.toml` (or `.cargo/config`) files from the
/// workspace root up, then `$CARGO_HOME/config.toml`; a relative directory is relative to the
/// directory that holds `.cargo` (cargo's rule for config paths).
fn vendor_dirs(workspace_root: &Path, home: &Path) -> Vec<PathBuf> {
    let mut configs: Vec<(PathBuf, PathBuf)> = Vec::new();
    for dir in workspace_root.ancestors() {
        for file in ["config.toml", "config"] {
            configs.push((dir.join(".cargo").join(file), dir.to_path_buf()));
        }
    }
    for file in ["config.toml", "config"] {
        configs.push((home.join(file), home.parent().map(Path::to_path_buf).unwrap_or_default()));
    }
    let mut out = Vec::new();
    for (file, base) in configs {
        let Ok(text) = crate::source::read_regular_text(&file, crate::source::MAX_TEXT_BYTES) else { continue };
        let Ok(table) = text.parse::<toml::Table>() else { continue };
        let Some(sources) = table.get("source").and_then(|s| s.as_table()) else { continue };
        for source in sources.values() {
            if let Some(dir) = source.get("directory").and_then(|d| d.as_str()) {
                let dir = base.join(dir);
                if dir.is_dir() && !out.contains(&dir) {
                    out.push(dir);
                }
            }
        }
    }
    out
}

/// `[package] name` and `version` of the manifest in `dir`.
fn package_identity(dir: &Path) -> Option<(String, String)> {
    let text = crate::source::read_regular_text(&dir.join("Cargo.toml"), crate::source::MAX_TEXT_BYTES).ok()?;
    let table: toml::Table = text.parse().ok()?;
    let package = table.get("package")?;
    let name = package.get("name")?.as_str()?.to_string();
    let version = package.get("version").and_then(|v| v.as_str()).unwrap_or("").to_string();
    Some((name, version))
}

/// The directory under `checkout` whose manifest declares package `name` (the root first, then
/// breadth-first a few levels down, skipping `target` and hidden directories).
fn find_package_in(checkout: &Path, name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(checkout)
        .max_depth(4)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let file_name = e.file_name().to_string_lossy();
            e.depth() == 0 || !(file_name.starts_with('.') || file_name == "target")
        })
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    dirs.sort_by_key(|d| d.components().count());
    dirs.into_iter().find(|d| package_identity(d).is_some_and(|(n, _)| n == name))
}
