//! Stage: configuration. Input: the workspace root (and `--config`). Output: a [`Config`].
//!
//! `hotlint.toml` at the workspace root, or `[workspace.metadata.hotlint]` in the root
//! `Cargo.toml` (one of the two), plus `[package.metadata.hotlint]` in members; `--config FILE`
//! replaces the discovered configuration. Unknown keys are errors that name the key, the file and
//! the line. Invariant: the only stage that reads configuration files; it never writes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::profiles::{self, Profile};
use crate::rules::{self, Level};
use crate::source::Tree;
use crate::workspace::{Package, Workspace};

/// Where a configuration entry was written, for messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[derive(Clone, Debug)]
pub struct Entry<T> {
    pub value: T,
    pub origin: Origin,
    /// The package whose `[package.metadata.hotlint]` declared it, if any.
    pub package: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Files the configuration came from (for messages).
    pub sources: Vec<String>,
    pub levels: BTreeMap<&'static str, Entry<Level>>,
    /// Per-package level overrides: package → rule code → level.
    pub package_levels: BTreeMap<String, BTreeMap<&'static str, Level>>,
    pub ephemeral: Vec<Entry<String>>,
    pub remote: Vec<Entry<String>>,
    pub frameworks: Vec<Profile>,
    pub aliases: BTreeMap<String, String>,
    pub alias_entries: Vec<Entry<String>>,
    pub track: Vec<Entry<Track>>,
    pub encoding: Vec<Entry<(String, String)>>,
    pub exclude: Vec<String>,
    /// `exclude` globs of `[package.metadata.hotlint]`: (package directory, globs relative to it).
    pub package_exclude: Vec<(String, Vec<String>)>,
    /// Every member's directory (where a package's own `exclude` stops: at a nested member).
    pub member_dirs: Vec<String>,
    pub deps_scan: Option<String>,
    pub deps_allow: Vec<Entry<String>>,
    /// Entries of a package's `[package.metadata.hotlint]` that name an item of another
    /// package: they apply to nothing (a package's configuration is its own), and HL014 says so.
    /// (`ephemeral`, `remote`, `track` or `encoding`; the entry.)
    pub out_of_scope: Vec<(&'static str, Entry<String>)>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Track {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub compat: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Option<toml::Spanned<i64>>,
    #[serde(default)]
    rules: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    ephemeral: Vec<toml::Spanned<String>>,
    #[serde(default)]
    remote: Vec<toml::Spanned<String>>,
    #[serde(default)]
    framework: Vec<toml::Spanned<Profile>>,
    #[serde(default)]
    frameworks: Option<RawFrameworks>,
    #[serde(default)]
    track: Vec<toml::Spanned<Track>>,
    #[serde(default)]
    encoding: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    exclude: Vec<toml::Spanned<String>>,
    #[serde(default)]
    deps: Option<RawDeps>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrameworks {
    #[serde(default)]
    aliases: BTreeMap<String, toml::Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeps {
    #[serde(default)]
    scan: Option<toml::Spanned<String>>,
    #[serde(default)]
    allow: Vec<toml::Spanned<String>>,
}

#[derive(Debug, Deserialize)]
struct CargoWorkspace {
    workspace: Option<CargoWsSection>,
    package: Option<CargoPkgSection>,
}

#[derive(Debug, Deserialize)]
struct CargoWsSection {
    metadata: Option<CargoMeta>,
}

#[derive(Debug, Deserialize)]
struct CargoPkgSection {
    metadata: Option<CargoMeta>,
}

#[derive(Debug, Deserialize)]
struct CargoMeta {
    hotlint: Option<RawConfig>,
}

/// A source text being read, for line numbers in errors.
struct Text<'a> {
    name: &'a str,
    text: &'a str,
}

impl Text<'_> {
    fn line_of(&self, offset: usize) -> u32 {
        self.text.get(..offset.min(self.text.len())).map_or(0, |t| t.matches('\n').count()) as u32 + 1
    }

    fn origin(&self, span: std::ops::Range<usize>) -> Origin {
        Origin { file: self.name.to_string(), line: self.line_of(span.start) }
    }

    fn error(&self, e: &toml::de::Error) -> Error {
        let location = match e.span() {
            Some(s) => format!("{}:{}", self.name, self.line_of(s.start)),
            None => self.name.to_string(),
        };
        Error::Config { location, message: e.message().trim().replace('\n', " ") }
    }
}

/// Load the configuration for `ws`: `--config FILE`, else the files `tree` holds — the
/// revision being checked (the working tree, the index for `--staged`, a commit for `--head`),
/// never the working tree's files for another revision.
pub fn load(ws: &Workspace, tree: &dyn Tree, explicit: Option<&Path>) -> Result<Config> {
    let mut config = Config { member_dirs: ws.packages.iter().map(|p| p.dir.clone()).collect(), ..Config::default() };
    if let Some(path) = explicit {
        let text = read(path)?;
        let name = path.display().to_string();
        let t = Text { name: &name, text: &text };
        let raw: RawConfig = toml::from_str(&text).map_err(|e| t.error(&e))?;
        apply(&mut config, raw, &t, None)?;
        config.sources.push(name);
        return Ok(config);
    }
    let cargo_text = if tree.is_file("Cargo.toml") { Some(read_in(tree, "Cargo.toml")?) } else { None };
    let from_cargo = match &cargo_text {
        Some(text) => {
            let t = Text { name: "Cargo.toml", text };
            // Cargo.toml is already valid for cargo (or for our manifest reader); only the
            // hotlint tables are checked strictly here.
            match toml::from_str::<CargoWorkspace>(text) {
                Ok(c) => c.workspace.and_then(|w| w.metadata).and_then(|m| m.hotlint),
                Err(e)
                    if e.message().contains("hotlint")
                        || e.span()
                            .is_some_and(|s| text.get(..s.start).is_some_and(|p| p.contains("metadata.hotlint"))) =>
                {
                    return Err(t.error(&e));
                }
                Err(_) => None,
            }
        }
        None => None,
    };
    if tree.is_file("hotlint.toml") {
        if from_cargo.is_some() {
            let line = cargo_text
                .as_deref()
                .and_then(|t| t.lines().position(|l| l.trim_start().starts_with("[workspace.metadata.hotlint")))
                .map(|l| format!(":{}", l + 1))
                .unwrap_or_default();
            return Err(Error::Config {
                location: "hotlint.toml".into(),
                message: format!(
                    "both `hotlint.toml` and `[workspace.metadata.hotlint]` (Cargo.toml{line}) exist; keep one of them"
                ),
            });
        }
        let text = read_in(tree, "hotlint.toml")?;
        let t = Text { name: "hotlint.toml", text: &text };
        let raw: RawConfig = toml::from_str(&text).map_err(|e| t.error(&e))?;
        apply(&mut config, raw, &t, None)?;
        config.sources.push("hotlint.toml".into());
    } else if let (Some(raw), Some(text)) = (from_cargo, &cargo_text) {
        let t = Text { name: "Cargo.toml", text };
        apply(&mut config, raw, &t, None)?;
        config.sources.push("Cargo.toml".into());
    }
    for &p in &ws.selected {
        let Some(pkg) = ws.packages.get(p) else { continue };
        let name = crate::source::join(&pkg.dir, "Cargo.toml");
        let Ok(text) = read_in(tree, &name) else { continue };
        let t = Text { name: &name, text: &text };
        let parsed = match toml::from_str::<CargoWorkspace>(&text) {
            Ok(c) => c,
            Err(e) if e.span().is_some_and(|s| text.get(..s.start).is_some_and(|p| p.contains("metadata.hotlint"))) => {
                return Err(t.error(&e));
            }
            Err(_) => continue,
        };
        if let Some(raw) = parsed.package.and_then(|p| p.metadata).and_then(|m| m.hotlint) {
            apply(&mut config, raw, &t, Some(pkg))?;
            config.sources.push(name);
        }
    }
    Ok(config)
}

/// A configuration from text (as `hotlint.toml` would hold it), without a workspace.
pub fn parse_str(text: &str, name: &str) -> Result<Config> {
    let mut config = Config::default();
    let t = Text { name, text };
    let raw: RawConfig = toml::from_str(text).map_err(|e| t.error(&e))?;
    apply(&mut config, raw, &t, None)?;
    Ok(config)
}

fn read(path: &Path) -> Result<String> {
    crate::source::read_regular_text(path, crate::source::MAX_TEXT_BYTES)
        .map_err(|e| Error::Read { path: path.display().to_string(), message: e.to_string() })
}

fn read_in(tree: &dyn Tree, rel: &str) -> Result<String> {
    let bytes = tree.read(rel).map_err(|e| Error::Read { path: rel.to_string(), message: e.to_string() })?;
    String::from_utf8(bytes).map_err(|_| Error::Read { path: rel.to_string(), message: "not UTF-8 text".into() })
}

/// The crate names a package's items start their canonical paths with: each target's name as
/// code spells it, suffixed (`svc[bin]`) when a non-lib target shares the lib's name.
pub fn package_crates(pkg: &Package) -> Vec<String> {
    let lib = pkg.lib().map(|l| l.name.replace('-', "_"));
    pkg.targets
        .iter()
        .map(|t| {
            let name = t.name.replace('-', "_");
            if t.kind != crate::workspace::TargetKind::Lib && lib.as_deref() == Some(name.as_str()) {
                format!("{name}[{}]", t.kind.as_str())
            } else {
                name
            }
        })
        .collect()
}

/// Whether a canonical path (or a crate name) belongs to one of `crates`.
fn in_crates(path: &str, crates: &[String]) -> bool {
    let krate = path.split("::").next().unwrap_or_default();
    crates.iter().any(|c| c == krate)
}

/// Add one configuration source. A package's own (`pkg`) applies to that package only: its
/// `[rules]` to its findings, its `ephemeral`, `remote`, `[[track]]` and `[encoding]` entries to
/// its own items (an entry naming another package's item is kept aside for HL014), its `exclude`
/// globs to its own files, relative to its directory. `[deps]`, `[[framework]]` and
/// `[frameworks]` describe the whole workspace's dependencies and recognition: they are refused
/// there with an error that says where they belong.
fn apply(config: &mut Config, raw: RawConfig, t: &Text<'_>, pkg: Option<&Package>) -> Result<()> {
    let package = pkg.map(|p| p.name.as_str());
    let err =
        |span: std::ops::Range<usize>, message: String| Error::Config { location: t.origin(span).to_string(), message };
    if let Some(p) = pkg {
        let workspace_wide = [
            ("[deps]", raw.deps.is_some()),
            ("[[framework]]", !raw.framework.is_empty()),
            ("[frameworks]", raw.frameworks.is_some()),
        ];
        if let Some((key, _)) = workspace_wide.iter().find(|(_, present)| *present) {
            let line = t
                .text
                .lines()
                .position(|l| {
                    let l = l.trim_start();
                    l.starts_with(&format!("[package.metadata.hotlint.{}", key.trim_matches(['[', ']'])))
                        || l.starts_with(&format!("[[package.metadata.hotlint.{}", key.trim_matches(['[', ']'])))
                })
                .map(|l| format!(":{}", l + 1))
                .unwrap_or_default();
            return Err(Error::Config {
                location: format!("{}{line}", t.name),
                message: format!(
                    "`{key}` in `[package.metadata.hotlint]` of `{}`: it applies to the whole workspace, so it belongs in hotlint.toml or `[workspace.metadata.hotlint]`",
                    p.name
                ),
            });
        }
    }
    let crates = pkg.map(package_crates);
    // A package's entry that names another package's item applies to nothing.
    let scoped = |config: &mut Config, what: &'static str, e: Entry<String>| -> Option<Entry<String>> {
        match &crates {
            Some(crates) if !in_crates(&e.value, crates) => {
                config.out_of_scope.push((what, e));
                None
            }
            _ => Some(e),
        }
    };
    match &raw.version {
        Some(v) if *v.get_ref() == 1 => {}
        Some(v) => {
            return Err(err(
                v.span(),
                format!("unsupported configuration `version = {}`; this hotlint reads version 1", v.get_ref()),
            ));
        }
        None if package.is_none() && !t.name.ends_with("Cargo.toml") => {
            return Err(Error::Config {
                location: format!("{}:1", t.name),
                message: "the configuration must start with `version = 1`".into(),
            });
        }
        None => {}
    }
    let entry = |s: &toml::Spanned<String>| Entry {
        value: s.get_ref().clone(),
        origin: t.origin(s.span()),
        package: package.map(str::to_string),
    };
    let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
    for (key, level) in &raw.rules {
        let Some(rule) = rules::lookup(key) else {
            return Err(err(
                level.span(),
                format!("unknown rule `{key}` in `[rules]`; `cargo hotlint rules` lists them"),
            ));
        };
        if let Some(prev) = seen.insert(rule.code, key.clone()) {
            return Err(err(
                level.span(),
                format!("rule {} is given twice in `[rules]` (as `{prev}` and `{key}`)", rule.code),
            ));
        }
        let Some(lv) = Level::parse(level.get_ref()) else {
            return Err(err(
                level.span(),
                format!("level `{}` of `{key}` must be `allow`, `warn` or `deny`", level.get_ref()),
            ));
        };
        match package {
            Some(p) => {
                config.package_levels.entry(p.to_string()).or_default().insert(rule.code, lv);
            }
            None => {
                config.levels.insert(rule.code, Entry { value: lv, origin: t.origin(level.span()), package: None });
            }
        }
    }
    for e in raw.ephemeral.iter().map(entry) {
        if let Some(e) = scoped(config, "ephemeral", e) {
            config.ephemeral.push(e);
        }
    }
    for e in raw.remote.iter().map(entry) {
        if let Some(e) = scoped(config, "remote", e) {
            config.remote.push(e);
        }
    }
    for f in raw.framework {
        let span = f.span();
        let profile = f.into_inner();
        profiles::validate(&profile, &t.origin(span).to_string())?;
        config.frameworks.push(profile);
    }
    if let Some(fw) = raw.frameworks {
        for (from, to) in fw.aliases {
            config.alias_entries.push(entry(&to));
            config.aliases.insert(from, to.into_inner());
        }
    }
    for tr in raw.track {
        let origin = t.origin(tr.span());
        let track = tr.into_inner();
        if let Some(e) = &track.encoding {
            check_encoding(e).map_err(|m| Error::Config { location: origin.to_string(), message: m })?;
        }
        if track.version.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(Error::Config {
                location: origin.to_string(),
                message: "`[[track]] version = \"\"` names nothing: write the path of the constant that versions the type (`crate::path::CONST`), or leave `version` out".into(),
            });
        }
        if let Some(c) = &track.compat {
            if !matches!(c.as_str(), "backward" | "forward" | "full") {
                return Err(Error::Config {
                    location: origin.to_string(),
                    message: format!("`compat = \"{c}\"` must be `backward`, `forward` or `full`"),
                });
            }
        }
        let e = Entry { value: track, origin, package: package.map(str::to_string) };
        match &crates {
            Some(crates) if !in_crates(&e.value.ty, crates) => {
                let Entry { value, origin, package } = e;
                config.out_of_scope.push(("track", Entry { value: value.ty, origin, package }));
            }
            _ => config.track.push(e),
        }
    }
    for (key, enc) in raw.encoding {
        check_encoding(enc.get_ref()).map_err(|m| err(enc.span(), m))?;
        let origin = t.origin(enc.span());
        match &crates {
            Some(crates) if !in_crates(&key, crates) => {
                config
                    .out_of_scope
                    .push(("encoding", Entry { value: key, origin, package: package.map(str::to_string) }));
            }
            _ => config.encoding.push(Entry {
                value: (key, enc.get_ref().clone()),
                origin,
                package: package.map(str::to_string),
            }),
        }
    }
    let mut own_excludes = Vec::new();
    for glob in raw.exclude {
        // Checked here, where the line is known; `exclude_set` compiles them later.
        if let Err(e) = globset::Glob::new(glob.get_ref()) {
            return Err(err(glob.span(), format!("bad `exclude` glob `{}`: {}", glob.get_ref(), e.kind())));
        }
        match pkg {
            Some(_) => own_excludes.push(glob.into_inner()),
            None => config.exclude.push(glob.into_inner()),
        }
    }
    if let (Some(p), false) = (pkg, own_excludes.is_empty()) {
        config.package_exclude.push((p.dir.clone(), own_excludes));
    }
    if let Some(deps) = raw.deps {
        if let Some(scan) = deps.scan {
            if !matches!(scan.get_ref().as_str(), "actor-crates" | "all" | "none") {
                return Err(err(
                    scan.span(),
                    format!("`[deps] scan = \"{}\"` must be `actor-crates`, `all` or `none`", scan.get_ref()),
                ));
            }
            config.deps_scan = Some(scan.into_inner());
        }
        config.deps_allow.extend(deps.allow.iter().map(entry));
    }
    Ok(())
}

fn check_encoding(e: &str) -> std::result::Result<(), String> {
    if matches!(e, "positional" | "positional-varint" | "named" | "memory") {
        Ok(())
    } else {
        Err(format!("encoding `{e}` must be `positional`, `positional-varint`, `named` or `memory`"))
    }
}

impl Config {
    /// The exclude globs, compiled: the workspace's (relative to the root) and each package's
    /// (relative to its directory, for its own files only).
    pub fn exclude_set(&self) -> Result<Exclude> {
        let compile = |globs: &[String]| -> Result<globset::GlobSet> {
            let mut b = globset::GlobSetBuilder::new();
            for g in globs {
                let glob = globset::Glob::new(g).map_err(|e| Error::Config {
                    location: "exclude".into(),
                    message: format!("bad glob `{g}`: {e}"),
                })?;
                b.add(glob);
            }
            b.build().map_err(|e| Error::Config { location: "exclude".into(), message: e.to_string() })
        };
        let mut packages = Vec::new();
        for (dir, globs) in &self.package_exclude {
            packages.push((dir.clone(), compile(globs)?));
        }
        Ok(Exclude { workspace: compile(&self.exclude)?, packages, member_dirs: self.member_dirs.clone() })
    }
}

/// Which source paths are excluded: the workspace's globs (relative to the root), and each
/// package's own (relative to its directory; they match only files of that package, not those
/// of a member nested inside it).
#[derive(Clone, Debug, Default)]
pub struct Exclude {
    workspace: globset::GlobSet,
    packages: Vec<(String, globset::GlobSet)>,
    member_dirs: Vec<String>,
}

impl crate::load::Excluded for Exclude {
    fn excludes(&self, path: &str) -> bool {
        if self.workspace.is_match(path) {
            return true;
        }
        if self.packages.is_empty() {
            return false;
        }
        let under = |dir: &str| dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
        // The package whose files these are: the deepest member directory holding the path.
        let owner = self.member_dirs.iter().filter(|d| under(d)).max_by_key(|d| d.len());
        self.packages.iter().any(|(dir, globs)| {
            Some(dir) == owner
                && globs.is_match(if dir.is_empty() { path } else { path.get(dir.len() + 1..).unwrap_or(path) })
        })
    }
}
