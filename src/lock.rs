//! The shipped-shape lock, `hotlint.lock`: for every tracked type, its canonical shape (each
//! definition of its closure as a normalised Rust item with canonical paths), version, encoding
//! and a fingerprint of each migration path — what has shipped, as Orleans' contract manifest or
//! serde-reflection's format files record it.
//!
//! Comparing against the lock rebuilds a model from it: the recorded definitions become an
//! in-memory workspace (one crate per crate name, inline modules per path) that goes through the
//! ordinary pipeline, and the recorded versions and migration fingerprints stand for that model's
//! migrations. So the lock and a git revision are compared by the same code.
//! Invariant: the file is sorted, one block per type, retired types kept; written atomically and
//! only by `cargo hotlint lock`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::index::{ModId, TypeId};
use crate::ir::*;
use crate::migrations::{Migration, MigrationPath, Version};
use crate::model::Model;
use crate::resolve::{Res, Resolver};

pub const FILE: &str = "hotlint.lock";
pub const FORMAT_VERSION: u32 = 2;
/// The first format: one TOML string per definition.
pub const OLD_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub version: u32,
    #[serde(default, rename = "type")]
    pub types: Vec<Entry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub encoding: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convention: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
    /// Deliberate breaks recorded by `lock --accept CODE:TYPE -- reason`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// `from via = fingerprint` per migration path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<String>,
    /// Every definition of the shape, `canonical::path = <normalised item>`, one line per field or
    /// variant (format 2).
    pub definitions: Vec<String>,
}

pub fn read(root: &Path) -> Result<Option<Lock>> {
    let path = root.join(FILE);
    // Something at that path that is not a regular file is an error that says what it is.
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let text = crate::source::read_regular_text(&path, crate::source::MAX_TEXT_BYTES)
        .map_err(|e| Error::Read { path: FILE.into(), message: e.to_string() })?;
    let lock = parse(&text)?;
    warn_if_old(&lock, "");
    Ok(Some(lock))
}

/// A lock in the first format is read, and said to be old on stderr: `lock` rewrites it.
pub fn warn_if_old(lock: &Lock, which: &str) {
    if lock.version == OLD_FORMAT_VERSION {
        eprintln!(
            "warning: {FILE}{which} is in the old format ({OLD_FORMAT_VERSION}, one line per definition); it is read as it is, and `cargo hotlint lock` rewrites it in format {FORMAT_VERSION} (one line per field or variant)"
        );
    }
}

pub fn parse(text: &str) -> Result<Lock> {
    let lock: Lock = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1).unwrap_or(1);
        Error::Config { location: format!("{FILE}:{line}"), message: e.message().trim().replace('\n', " ") }
    })?;
    if lock.version != FORMAT_VERSION && lock.version != OLD_FORMAT_VERSION {
        return Err(Error::Config {
            location: FILE.into(),
            message: format!(
                "lock format version {} is not supported (this hotlint writes {FORMAT_VERSION})",
                lock.version
            ),
        });
    }
    Ok(lock)
}

pub fn render(lock: &Lock) -> String {
    let mut s = String::from(
        "# hotlint.lock: the shapes that have shipped. Written by `cargo hotlint lock` when a release is cut;\n\
         # `cargo hotlint check` compares against it when no `--base` is given. Do not edit by hand.\n",
    );
    s.push_str(&toml::to_string_pretty(lock).unwrap_or_default());
    s
}

/// The lock `model` would write: its tracked types, with `previous` entries that disappeared kept
/// as retired and their acceptances kept.
pub fn from_model(m: &Model, previous: Option<&Lock>) -> Lock {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let mut types: BTreeMap<String, Entry> = BTreeMap::new();
    for t in m.tracked.values() {
        // Test-only types never ship. Types of a bin, example or bench that shares its package's
        // lib name (`svc[bin]::…`, the default `lib.rs` + `main.rs` layout) do, and are recorded
        // under that suffixed crate name.
        if m.index.type_entry(t.ty).is_some_and(|e| e.test) {
            continue;
        }
        let mut defs: BTreeSet<Vec<String>> = BTreeSet::new();
        for &d in t.closure.types.iter().chain(t.closure.boundaries.iter()) {
            if let Some(lines) = render_def(m, &res, d) {
                defs.insert(lines);
            }
        }
        let encoding = m.encodings.get(&t.ty).map(|e| e.class.as_str()).unwrap_or("named").to_string();
        let migrations = t
            .migration
            .iter()
            .flat_map(|mig| mig.paths.iter())
            .filter(|p| p.fingerprint != 0)
            .map(|p| format!("{} {} = {:016x}", p.from, p.via, p.fingerprint))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let accepted = previous
            .and_then(|l| l.types.iter().find(|e| e.path == t.path))
            .map(|e| e.accepted.clone())
            .unwrap_or_default();
        types.insert(
            t.path.clone(),
            Entry {
                path: t.path.clone(),
                encoding,
                convention: t.migration.as_ref().map(|mig| mig.convention.clone()),
                version: t.migration.as_ref().map(|mig| mig.version.to_string()),
                retired: false,
                accepted,
                migrations,
                definitions: defs.into_iter().flatten().collect(),
            },
        );
    }
    if let Some(prev) = previous {
        for e in &prev.types {
            types.entry(e.path.clone()).or_insert_with(|| Entry { retired: true, ..e.clone() });
        }
    }
    Lock { version: FORMAT_VERSION, types: types.into_values().collect() }
}

/// One definition as `path = item`, with every type written by its canonical path.
fn render_def(m: &Model, res: &Resolver<'_>, ty: TypeId) -> Option<Vec<String>> {
    let e = m.index.type_entry(ty)?;
    let item = m.index.item(e.item)?;
    let ItemKind::Type(def) = &item.kind else { return None };
    // A hand-written serde impl is recorded by its fingerprint: its bytes are its own business.
    let tracker = crate::tracked::Tracker { index: &m.index, res, migrations: &m.migrations, impls: &m.impls };
    if let Some(fp) = tracker.hand_written_serde(ty) {
        return Some(vec![format!("{} = #[hotlint_opaque = \"{fp:016x}\"] pub struct {};", e.path, def.name)]);
    }
    let generics = &def.generics;
    let params = if generics.is_empty() { String::new() } else { format!("<{}>", generics.join(", ")) };
    let canon = |t: &Ty| canon_ty(res, e.module, t, generics, 0);
    let mut s = format!("{} = ", e.path);
    s.push_str(&container_attrs(&item.attrs));
    // One line per field or variant, so a one-field change is a one-line diff.
    let lines = |fields: &Fields| -> Vec<String> {
        match fields {
            Fields::Named(v) => v
                .iter()
                .map(|f| {
                    format!(
                        "    {}pub {}: {},",
                        field_attrs(&f.attrs),
                        f.name.clone().unwrap_or_default(),
                        canon(&f.ty)
                    )
                })
                .collect(),
            Fields::Tuple(v) => {
                v.iter().map(|f| format!("    {}pub {},", field_attrs(&f.attrs), canon(&f.ty))).collect()
            }
            Fields::Unit => Vec::new(),
        }
    };
    let body = |fields: &Fields| -> String {
        match fields {
            Fields::Named(v) => format!(
                " {{ {} }}",
                v.iter()
                    .map(|f| format!(
                        "{}pub {}: {}",
                        field_attrs(&f.attrs),
                        f.name.clone().unwrap_or_default(),
                        canon(&f.ty)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Fields::Tuple(v) => {
                format!(
                    "({})",
                    v.iter()
                        .map(|f| format!("{}pub {}", field_attrs(&f.attrs), canon(&f.ty)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            Fields::Unit => String::new(),
        }
    };
    let mut out = Vec::new();
    match def.kind {
        TypeKind::Enum => {
            s.push_str(&format!("pub enum {}{params} {{", def.name));
            out.push(s);
            for v in &def.variants {
                let disc = v.discriminant.as_ref().map(|d| format!(" = {d}")).unwrap_or_default();
                out.push(format!("    {}{}{}{},", field_attrs(&v.attrs), v.name, body(&v.fields), disc));
            }
            out.push("}".into());
        }
        _ => match &def.fields {
            Fields::Named(_) => {
                s.push_str(&format!("pub struct {}{params} {{", def.name));
                out.push(s);
                out.extend(lines(&def.fields));
                out.push("}".into());
            }
            Fields::Tuple(_) => {
                s.push_str(&format!("pub struct {}{params}(", def.name));
                out.push(s);
                out.extend(lines(&def.fields));
                out.push(");".into());
            }
            Fields::Unit => {
                s.push_str(&format!("pub struct {}{params};", def.name));
                out.push(s);
            }
        },
    }
    Some(out)
}

fn container_attrs(attrs: &[Attr]) -> String {
    let mut out = String::new();
    let derives: Vec<String> = derives(attrs)
        .filter_map(|(p, _)| p.last().cloned())
        .filter(|l| matches!(l.as_str(), "Serialize" | "Deserialize" | "Serialize_repr" | "Deserialize_repr"))
        .map(|l| if l.ends_with("_repr") { format!("::serde_repr::{l}") } else { format!("::serde::{l}") })
        .collect();
    if !derives.is_empty() {
        out.push_str(&format!("#[derive({})] ", derives.join(", ")));
    }
    out.push_str(&field_attrs(attrs));
    out
}

/// The attributes that change an encoding or a migration: `serde`, `repr`, `revision`, `version`.
fn field_attrs(attrs: &[Attr]) -> String {
    attrs
        .iter()
        .filter(|a| {
            a.cfg.is_none()
                && (a.is("serde") || a.is("repr") || a.is("revision") || a.is("version") || a.is("revisioned"))
        })
        .map(|a| match &a.args {
            AttrArgs::List(l) => {
                format!("#[{}({})] ", a.path.join("::"), l.iter().map(meta_to_string).collect::<Vec<_>>().join(", "))
            }
            AttrArgs::Value(v) => format!("#[{} = {:?}] ", a.path.join("::"), v),
            AttrArgs::None => format!("#[{}] ", a.path.join("::")),
        })
        .collect()
}

fn canon_ty(res: &Resolver<'_>, scope: ModId, ty: &Ty, generics: &[String], depth: usize) -> String {
    if depth > 32 {
        return crate::actors::written(ty);
    }
    let c = |t: &Ty| canon_ty(res, scope, t, generics, depth + 1);
    match ty {
        Ty::Path(p) => {
            let head = match res.resolve_ty_path(scope, p, generics) {
                Res::Type(t) => format!("::{}", res.index.type_entry(t).map(|e| e.path.clone()).unwrap_or_default()),
                r @ (Res::Extern(_) | Res::ExternCandidates(_)) => format!("::{}", res.display(&r)),
                Res::Prim(n) | Res::Param(n) => n,
                _ => p.names().join("::"),
            };
            let args: Vec<String> = p.segments.last().map(|s| s.args.iter().map(c).collect()).unwrap_or_default();
            if args.is_empty() { head } else { format!("{head}<{}>", args.join(", ")) }
        }
        Ty::Tuple(v) => format!("({})", v.iter().map(c).collect::<Vec<_>>().join(", ")),
        Ty::Array(t, n) => format!("[{}; {n}]", c(t)),
        Ty::Slice(t) => format!("[{}]", c(t)),
        Ty::Ref(t) => format!("&'static {}", c(t)),
        other => crate::actors::written(other),
    }
}

/// A crate name of the lock split into the package's lib name and the target kind its suffix
/// names: `svc` → (`svc`, lib), `svc[bin]` → (`svc`, bin).
pub fn split_crate_name(krate: &str) -> (&str, crate::workspace::TargetKind) {
    use crate::workspace::TargetKind;
    let Some((name, rest)) = krate.split_once('[') else { return (krate, TargetKind::Lib) };
    let kind = match rest.trim_end_matches(']') {
        "bin" => TargetKind::Bin,
        "example" => TargetKind::Example,
        "test" => TargetKind::Test,
        "bench" => TargetKind::Bench,
        _ => TargetKind::Lib,
    };
    (name, kind)
}

/// The in-memory workspace a lock stands for, and the migrations it records (by type path).
/// The definitions of an entry, each one string: a line that starts without indentation begins
/// a definition (`path = item…`), indented lines and closing lines continue it (format 2 writes
/// one line per field or variant; format 1 wrote one line per definition).
pub fn definitions_of(e: &Entry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in &e.definitions {
        let starts = line.contains(" = ") && !line.starts_with(' ') && !line.starts_with('}') && !line.starts_with(')');
        match out.last_mut() {
            Some(last) if !starts => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => out.push(line.clone()),
        }
    }
    out
}

/// Sources are keyed by crate name as canonical paths spell it (`svc`, `svc[bin]`); a suffixed
/// crate's references to its own items are written `crate::…` (a suffix is no Rust syntax, and
/// nothing outside a bin can name its items).
pub fn synthetic_sources(lock: &Lock) -> (BTreeMap<String, String>, BTreeMap<String, Migration>) {
    // crate → module path → items
    let mut crates: BTreeMap<String, BTreeMap<Vec<String>, BTreeSet<String>>> = BTreeMap::new();
    let mut migrations = BTreeMap::new();
    for e in &lock.types {
        for d in &definitions_of(e) {
            let Some((path, item)) = d.split_once(" = ") else { continue };
            let mut segs: Vec<String> = path.split("::").map(str::to_string).collect();
            segs.pop();
            if segs.is_empty() {
                continue;
            }
            let krate = segs.remove(0);
            crates.entry(krate).or_default().entry(segs).or_default().insert(item.to_string());
        }
        if let (Some(conv), Some(v)) = (&e.convention, &e.version) {
            let version =
                crate::migrations::int_literal(v).map(Version::Int).unwrap_or_else(|| Version::Text(v.clone()));
            let paths = e
                .migrations
                .iter()
                .filter_map(|m| {
                    let (left, fp) = m.rsplit_once(" = ")?;
                    let (from, via) = left.split_once(' ')?;
                    Some(MigrationPath {
                        from: from.to_string(),
                        via: via.to_string(),
                        fingerprint: u64::from_str_radix(fp, 16).ok()?,
                        loc: None,
                        functions: Vec::new(),
                    })
                })
                .collect();
            migrations.insert(
                e.path.clone(),
                Migration {
                    convention: conv.clone(),
                    version,
                    history: Vec::new(),
                    paths,
                    loc: Loc::default(),
                    encoding: None,
                },
            );
        }
    }
    let mut files = BTreeMap::new();
    for (krate, modules) in crates {
        let own = format!("::{krate}::");
        let mut text = String::new();
        for (path, items) in modules {
            for p in &path {
                text.push_str(&format!("pub mod {p} {{ "));
            }
            for it in items {
                if krate.contains('[') {
                    text.push_str(&it.replace(&own, "crate::"));
                } else {
                    text.push_str(&it);
                }
                text.push('\n');
            }
            for _ in &path {
                text.push_str("}\n");
            }
        }
        files.insert(krate, text);
    }
    (files, migrations)
}
