//! Stage: migrations. Input: the index, a resolver, the conventions under `rules/migrations/`.
//! Output: for every workspace type that declares a versioned migration, the [`Migration`]: its
//! convention, the version it declares, and the paths it offers from older versions.
//!
//! Each convention is a data file naming its markers; one small function per convention *kind*
//! reads them. Invariant: no I/O; a version that is not an integer literal (or a path to a const
//! whose value is one) is `Version::Unknown`, never guessed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::index::{Index, ModId, TypeId};
use crate::ir::*;
use crate::resolve::{Ns, Res, Resolver};

pub const BUILTIN: &[(&str, &str)] = &[
    ("configured-constant", include_str!("../rules/migrations/configured-constant.toml")),
    ("hotlint", include_str!("../rules/migrations/hotlint.toml")),
    ("native_model", include_str!("../rules/migrations/native_model.toml")),
    ("obake", include_str!("../rules/migrations/obake.toml")),
    ("revision", include_str!("../rules/migrations/revision.toml")),
    ("savefile", include_str!("../rules/migrations/savefile.toml")),
    ("versioned-enum", include_str!("../rules/migrations/versioned-enum.toml")),
    ("versionize", include_str!("../rules/migrations/versionize.toml")),
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Convention {
    pub name: String,
    pub kind: String,
    pub summary: String,
    #[serde(default)]
    pub version_const: Option<String>,
    #[serde(default)]
    pub migration_fn: Option<String>,
    #[serde(default)]
    pub type_attributes: Vec<String>,
    #[serde(default)]
    pub version_key: Option<String>,
    #[serde(default)]
    pub version_attribute: Option<String>,
    #[serde(default)]
    pub from_key: Option<String>,
    #[serde(default)]
    pub field_attribute: Option<String>,
    #[serde(default)]
    pub manual_traits: Vec<String>,
    #[serde(default)]
    pub manual_fn: Option<String>,
    #[serde(default)]
    pub derives: Vec<String>,
    /// The encoding the convention's own binary format fixes (SPEC §2).
    #[serde(default)]
    pub encoding: Option<String>,
    /// Whether adding the convention to stored data changes its bytes.
    pub prefixing: bool,
}

pub fn conventions() -> Result<Vec<Convention>> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            toml::from_str(text).map_err(|e: toml::de::Error| Error::Config {
                location: format!("rules/migrations/{name}.toml"),
                message: e.message().to_string(),
            })
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    Int(u64),
    /// A semver string (obake).
    Semver(String),
    /// A configured constant's initializer as written.
    Text(String),
    /// Not a literal and not a const with a literal value: cannot verify (HL013).
    Unknown(String),
}

impl Version {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Version::Int(n) => serde_json::json!(n),
            Version::Semver(s) | Version::Text(s) => serde_json::json!(s),
            Version::Unknown(s) => serde_json::json!(format!("?{s}")),
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Version::Int(n) => write!(f, "{n}"),
            Version::Semver(s) | Version::Text(s) => write!(f, "{s}"),
            Version::Unknown(s) => write!(f, "`{s}`"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct MigrationPath {
    /// Versions this path migrates from: `1`, `2..=4`, `*` (any other, a catch-all arm).
    pub from: String,
    /// What carries it: "`code_change` arm", "`convert_fn = \"f\"`", "`From<StateV1>`".
    pub via: String,
    pub fingerprint: u64,
    pub loc: Option<Loc>,
    /// Functions that carry the path (`code_change`, a `convert_fn`, an upgrade fn): what a
    /// test of it would name.
    pub functions: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub convention: String,
    pub version: Version,
    /// Older versions the convention lists itself (revision history, obake versions).
    pub history: Vec<Version>,
    pub paths: Vec<MigrationPath>,
    /// Where the version is declared.
    pub loc: Loc,
    pub encoding: Option<String>,
}

/// Impls of each workspace type (by self type), as indices into `index.impls`.
pub fn impls_by_type(index: &Index, res: &Resolver<'_>) -> BTreeMap<TypeId, Vec<usize>> {
    let mut out: BTreeMap<TypeId, Vec<usize>> = BTreeMap::new();
    for (i, imp) in index.impls.iter().enumerate() {
        let Some(Item { kind: ItemKind::Impl(def), .. }) = index.item(imp.item) else { continue };
        if let Some(Res::Type(t)) = res.resolve_ty(imp.module, &def.self_ty, &def.generics) {
            out.entry(t).or_default().push(i);
        }
    }
    out
}

pub struct Finder<'a> {
    pub index: &'a Index,
    pub res: &'a Resolver<'a>,
    pub impls: &'a BTreeMap<TypeId, Vec<usize>>,
    pub conventions: &'a [Convention],
    /// Attribute and derive paths worth resolving: only those whose last name is a convention's
    /// (or renamed by an import or an alias) can name one.
    wanted: crate::actors::Wanted<'a>,
}

impl<'a> Finder<'a> {
    pub fn new(
        index: &'a Index,
        res: &'a Resolver<'a>,
        impls: &'a BTreeMap<TypeId, Vec<usize>>,
        conventions: &'a [Convention],
        aliases: &'a BTreeMap<String, String>,
    ) -> Self {
        let names = conventions
            .iter()
            .flat_map(|c| c.type_attributes.iter().chain(&c.derives))
            .map(|p| crate::profiles::last_segment(p))
            .collect();
        let wanted = crate::actors::Wanted::with_names(index, names, aliases);
        Finder { index, res, impls, conventions, wanted }
    }
}

impl Finder<'_> {
    /// Every workspace type with a versioned migration.
    pub fn all(&self) -> BTreeMap<TypeId, Migration> {
        let mut out = BTreeMap::new();
        for t in 0..self.index.types.len() as TypeId {
            if let Some(m) = self.of(t) {
                out.insert(t, m);
            }
        }
        out
    }

    /// The migration declared on type `t`, if any (first convention that matches).
    pub fn of(&self, t: TypeId) -> Option<Migration> {
        let entry = self.index.type_entry(t)?;
        let item = self.index.item(entry.item)?;
        for c in self.conventions {
            let found = match c.kind.as_str() {
                "hotlint" => self.hotlint(c, t),
                "attribute" => self.attribute(c, t, entry.module, item),
                "derive-field-versions" => self.derive_fields(c, entry.module, item),
                "semver-attribute" => self.semver(c, t, entry.module, item),
                "versioned-enum" => self.versioned_enum(c, t, entry.module, item),
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    fn impl_defs(&self, t: TypeId) -> impl Iterator<Item = (ModId, &ImplDef)> {
        self.impls.get(&t).into_iter().flatten().filter_map(|&i| {
            let imp = self.index.impls.get(i)?;
            match self.index.item(imp.item) {
                Some(Item { kind: ItemKind::Impl(def), .. }) => Some((imp.module, def)),
                _ => None,
            }
        })
    }

    /// An integer literal, or a path to a workspace const whose value is one.
    pub fn version_value(&self, scope: ModId, text: &str) -> Version {
        if let Some(n) = int_literal(text) {
            return Version::Int(n);
        }
        let segs: Vec<String> = text.split("::").map(|s| s.trim().to_string()).collect();
        if segs.iter().all(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')) {
            if let Res::Const(id) = self.res.resolve(scope, false, &segs, &[], Ns::Value) {
                if let Some(Item { kind: ItemKind::Const(c), .. }) = self.index.item(id) {
                    if let Some(n) = int_literal(&c.value) {
                        return Version::Int(n);
                    }
                }
            }
        }
        Version::Unknown(text.to_string())
    }

    fn hotlint(&self, c: &Convention, t: TypeId) -> Option<Migration> {
        let const_name = c.version_const.as_deref().unwrap_or("STATE_VERSION");
        let fn_name = c.migration_fn.as_deref().unwrap_or("code_change");
        let mut found: Option<(ModId, &ConstDef)> = None;
        for (m, def) in self.impl_defs(t) {
            if let Some(k) = def.consts.iter().find(|k| k.name == const_name) {
                found = Some((m, k));
                break;
            }
        }
        let (scope, k) = found?;
        let mut paths = Vec::new();
        for (_, def) in self.impl_defs(t) {
            for f in def.fns.iter().filter(|f| f.name == fn_name) {
                for arm in f.body.match_arms.iter().flatten() {
                    let from = match &arm.pattern {
                        _ if arm.only_fails => continue,
                        VersionPattern::Ranges(r) => r
                            .iter()
                            .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}..={b}") })
                            .collect::<Vec<_>>()
                            .join(" | "),
                        VersionPattern::CatchAll => "*".into(),
                        VersionPattern::Other(o) => o.clone(),
                    };
                    paths.push(MigrationPath {
                        from,
                        via: format!("`{fn_name}` arm"),
                        fingerprint: arm.fingerprint,
                        loc: Some(arm.loc),
                        functions: vec![fn_name.to_string()],
                    });
                }
            }
        }
        Some(Migration {
            convention: c.name.clone(),
            version: self.version_value(scope, &k.value),
            history: Vec::new(),
            paths,
            loc: k.loc,
            encoding: c.encoding.clone(),
        })
    }

    fn attr_matches(&self, scope: ModId, attr: &Attr, list: &[String]) -> bool {
        if !self.wanted.may_match(attr.path.last().map(String::as_str)) {
            return false;
        }
        let r = self.res.resolve(scope, false, &attr.path, &[], Ns::Macro);
        self.res.paths_of(&r).iter().any(|p| list.contains(p))
    }

    fn attribute(&self, c: &Convention, t: TypeId, scope: ModId, item: &Item) -> Option<Migration> {
        let attr = item.attrs.iter().find(|a| self.attr_matches(scope, a, &c.type_attributes));
        let key = c.version_key.as_deref().unwrap_or("revision");
        let (version, history, loc) = match attr {
            Some(attr) => {
                let list = attr.list();
                match meta_get(list, key) {
                    Some(Meta { value: MetaValue::Value(v), .. }) => {
                        (self.version_value(scope, v), Vec::new(), attr.loc)
                    }
                    _ => {
                        // The history form `revision(1), revision(2, optimised)`.
                        let hist: Vec<Version> = list
                            .iter()
                            .filter(|m| m.path == key)
                            .filter_map(|m| {
                                m.list().first().and_then(|x| x.value_str()).map(|v| self.version_value(scope, v))
                            })
                            .collect();
                        let latest = hist.iter().max().cloned()?;
                        (latest, hist, attr.loc)
                    }
                }
            }
            None => {
                // A manual `impl Revisioned for T { fn revision() -> u16 { N } }`.
                let manual_fn = c.manual_fn.as_deref()?;
                let mut found = None;
                for (m, def) in self.impl_defs(t) {
                    let Some(tp) = &def.trait_path else { continue };
                    let r = self.res.resolve(m, tp.global, &tp.name_refs(), &def.generics, Ns::Type);
                    if !r.extern_paths().iter().any(|p| c.manual_traits.contains(p)) {
                        continue;
                    }
                    if let Some(f) = def.fns.iter().find(|f| f.name == manual_fn) {
                        let v = f
                            .body
                            .literal
                            .as_deref()
                            .map(|l| self.version_value(m, l))
                            .unwrap_or(Version::Unknown("fn body".into()));
                        found = Some((v, Vec::new(), f.loc));
                    }
                }
                found?
            }
        };
        let mut paths = Vec::new();
        if let Some(fa) = &c.field_attribute {
            self.field_paths(item, fa, &mut paths);
        }
        if let (Some(from_key), Some(attr)) = (&c.from_key, attr) {
            // `from = Prev`, or `try_from = (Prev, Error)`: a path from the version `Prev`
            // declares (native_model's one struct per version), or from "the previous" one when
            // that cannot be read.
            let try_key = format!("try_{from_key}");
            let written = [from_key.as_str(), try_key.as_str()]
                .iter()
                .find_map(|k| meta_get(attr.list(), k).and_then(|m| m.value_str()).map(|v| (*k, v.to_string())));
            if let Some((key, value)) = written {
                let prev = first_of_tuple(&value);
                let segs: Vec<&str> = prev.split("::").collect();
                let from = match self.res.resolve(scope, false, &segs, &[], Ns::Type) {
                    Res::Type(pt) if pt != t => self.declared_version(c, pt).map(|v| v.to_string()),
                    _ => None,
                };
                let via =
                    if key == from_key.as_str() { format!("`From<{prev}>`") } else { format!("`TryFrom<{prev}>`") };
                paths.push(MigrationPath {
                    from: from.unwrap_or_else(|| "previous".into()),
                    via,
                    fingerprint: 0,
                    loc: Some(attr.loc),
                    functions: vec![last_segment(&prev).to_string()],
                });
            }
        }
        Some(Migration { convention: c.name.clone(), version, history, paths, loc, encoding: c.encoding.clone() })
    }

    /// The version an attribute convention's marker declares on type `t` (`version = 2` of
    /// `#[native_model(id = 1, version = 2)]`).
    fn declared_version(&self, c: &Convention, t: TypeId) -> Option<Version> {
        let entry = self.index.type_entry(t)?;
        let item = self.index.item(entry.item)?;
        let attr = item.attrs.iter().find(|a| self.attr_matches(entry.module, a, &c.type_attributes))?;
        let key = c.version_key.as_deref().unwrap_or("revision");
        let v = meta_get(attr.list(), key)?.value_str()?;
        Some(self.version_value(entry.module, v))
    }

    /// `#[revision(start = a, end = b, convert_fn = "f", default_fn = "g")]` on fields/variants.
    fn field_paths(&self, item: &Item, attr_name: &str, out: &mut Vec<MigrationPath>) {
        let ItemKind::Type(def) = &item.kind else { return };
        let mut visit = |attrs: &[Attr], what: String| {
            for a in attrs.iter().filter(|a| a.is(attr_name)) {
                let list = a.list();
                let get = |k: &str| meta_get(list, k).and_then(|m| m.value_str()).map(str::to_string);
                if let Some(end) = get("end") {
                    let f = get("convert_fn");
                    let via = match &f {
                        Some(f) => format!("`convert_fn = \"{f}\"` ({what})"),
                        None => format!("`end = {end}` ({what})"),
                    };
                    let functions = f.into_iter().collect();
                    out.push(MigrationPath {
                        from: format!("<{end}"),
                        via,
                        fingerprint: 0,
                        loc: Some(a.loc),
                        functions,
                    });
                }
                if let Some(start) = get("start") {
                    let f = get("default_fn");
                    let via = match &f {
                        Some(f) => format!("`default_fn = \"{f}\"` ({what})"),
                        None => format!("`start = {start}` ({what})"),
                    };
                    let functions = f.into_iter().collect();
                    out.push(MigrationPath {
                        from: format!("<{start}"),
                        via,
                        fingerprint: 0,
                        loc: Some(a.loc),
                        functions,
                    });
                }
            }
        };
        for f in def.fields.iter() {
            visit(&f.attrs, format!("field `{}`", f.name.clone().unwrap_or_default()));
        }
        for v in &def.variants {
            visit(&v.attrs, format!("variant `{}`", v.name));
        }
    }

    fn derive_fields(&self, c: &Convention, scope: ModId, item: &Item) -> Option<Migration> {
        let (_, attr) = derives_where(&item.attrs, |last| self.wanted.may_match(Some(last))).find(|(p, _)| {
            let r = self.res.resolve(scope, false, p, &[], Ns::Macro);
            self.res.paths_of(&r).iter().any(|x| c.derives.contains(x))
        })?;
        let ItemKind::Type(def) = &item.kind else { return None };
        let fa = c.field_attribute.as_deref().unwrap_or("version");
        let mut version = 1u64;
        let attrs = def.fields.iter().map(|f| &f.attrs).chain(def.variants.iter().map(|v| &v.attrs));
        for attrs in attrs {
            for a in attrs.iter().filter(|a| a.is(fa)) {
                for key in ["start", "end"] {
                    if let Some(n) = meta_get(a.list(), key).and_then(|m| m.value_str()).and_then(int_literal) {
                        version = version.max(n);
                    }
                }
            }
        }
        let mut paths = Vec::new();
        self.field_paths(item, fa, &mut paths);
        Some(Migration {
            convention: c.name.clone(),
            version: Version::Int(version),
            history: Vec::new(),
            paths,
            loc: attr.loc,
            encoding: c.encoding.clone(),
        })
    }

    fn semver(&self, c: &Convention, t: TypeId, scope: ModId, item: &Item) -> Option<Migration> {
        let attr = item.attrs.iter().find(|a| self.attr_matches(scope, a, &c.type_attributes))?;
        let vattr = c.version_attribute.as_deref().unwrap_or("obake");
        let mut versions: Vec<(Vec<u64>, String)> = item
            .attrs
            .iter()
            .filter(|a| a.is(vattr))
            .flat_map(|a| a.list().iter())
            .filter(|m| m.path == "version")
            .filter_map(|m| m.list().first().and_then(|x| x.value_str()).map(|s| (semver_key(s), s.to_string())))
            .collect();
        versions.sort();
        let latest = versions.last()?.1.clone();
        Some(Migration {
            convention: c.name.clone(),
            version: Version::Semver(latest),
            history: versions.iter().map(|(_, s)| Version::Semver(s.clone())).collect(),
            paths: self.obake_paths(t, item, &versions),
            loc: attr.loc,
            encoding: c.encoding.clone(),
        })
    }

    /// obake's migrations: a `From` impl from one version of the type to a later one, each
    /// version spelled as real code spells it: the version macro (`T!["0.1.0"]`), the name the
    /// macro generates for it (`T_v0_1_0`, obake's `{name}_v{major}_{minor}_{patch}`), or the bare
    /// `T` for the latest version (obake declares `type T = T_v<latest>`). obake's generated
    /// `From<VersionedT> for T` walks the versions in order through these impls.
    fn obake_paths(&self, t: TypeId, item: &Item, versions: &[(Vec<u64>, String)]) -> Vec<MigrationPath> {
        let ItemKind::Type(def) = &item.kind else { return Vec::new() };
        let krate = self.index.type_entry(t).and_then(|e| self.index.module(e.module)).map(|m| m.krate);
        let latest = versions.last().map(|(_, s)| s.clone());
        // The version (as the type's `#[obake(version(…))]` spells it) a written type names.
        let version_of = |scope: ModId, generics: &[String], ty: &Ty| -> Option<String> {
            let spelled = |key: Vec<u64>| {
                versions
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_else(|| key.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
            };
            match ty {
                Ty::Macro(text) => {
                    let (name, args) = text.split_once('!')?;
                    if last_segment(name.trim()).trim() != def.name {
                        return None;
                    }
                    let v = args.split('"').nth(1)?;
                    Some(spelled(semver_key(v)))
                }
                Ty::Path(p) => {
                    let last = p.last_name()?;
                    if last == def.name {
                        // The bare name is the latest version, when it is this type.
                        return match self.res.resolve_ty_path(scope, p, generics) {
                            Res::Type(x) if x == t => latest.clone(),
                            _ => None,
                        };
                    }
                    let rest = last.strip_prefix(def.name.as_str())?.strip_prefix("_v")?;
                    let key: Vec<u64> = rest.split('_').map(|n| n.parse().ok()).collect::<Option<_>>()?;
                    (key.len() == 3).then(|| spelled(key))
                }
                _ => None,
            }
        };
        let mut out = Vec::new();
        for imp in &self.index.impls {
            if self.index.module(imp.module).map(|m| m.krate) != krate {
                continue;
            }
            let Some(Item { kind: ItemKind::Impl(d), .. }) = self.index.item(imp.item) else { continue };
            let Some(tp) = &d.trait_path else { continue };
            let Some(last) = tp.segments.last() else { continue };
            if !(last.name == "From" || last.name == "TryFrom") {
                continue;
            }
            let Some(to) = version_of(imp.module, &d.generics, &d.self_ty) else { continue };
            let Some(from) = last.args.first().and_then(|a| version_of(imp.module, &d.generics, a)) else { continue };
            if semver_key(&from) >= semver_key(&to) {
                continue;
            }
            let fp = d.fns.iter().map(|f| f.body.fingerprint).fold(0u64, |acc, x| acc.rotate_left(7) ^ x);
            out.push(MigrationPath {
                from,
                via: format!("`From` impl to {to}"),
                fingerprint: fp,
                loc: Some(d.header),
                functions: vec![def.name.clone()],
            });
        }
        out
    }

    fn versioned_enum(&self, c: &Convention, t: TypeId, scope: ModId, item: &Item) -> Option<Migration> {
        let ItemKind::Type(def) = &item.kind else { return None };
        if def.kind != TypeKind::Enum
            || def.variants.is_empty()
            || !has_serde_derive(self.res, scope, &item.attrs, "Deserialize")
        {
            return None;
        }
        let mut numbered = Vec::new();
        for (pos, v) in def.variants.iter().enumerate() {
            let Fields::Tuple(fields) = &v.fields else { return None };
            if fields.len() != 1 {
                return None;
            }
            let renamed = serde_value(&v.attrs, "rename");
            let n = version_number(&v.name).or_else(|| renamed.as_deref().and_then(version_number))?;
            numbered.push((n, pos, v));
        }
        let latest = numbered.iter().map(|(n, _, _)| *n).max()?;
        let mut paths = Vec::new();
        // `From<Inner(n)> for Inner(n+1)` impls, or a fn that matches the older variants.
        let inner_ty = |v: &Variant| -> Option<TypeId> {
            let f = v.fields.iter().next()?;
            match self.res.resolve_ty(scope, &f.ty, &def.generics)? {
                Res::Type(t) => Some(t),
                _ => None,
            }
        };
        let mut by_number: BTreeMap<u64, Option<TypeId>> = BTreeMap::new();
        for (n, _, v) in &numbered {
            by_number.insert(*n, inner_ty(v));
        }
        for (n, ty) in &by_number {
            if *n == latest {
                continue;
            }
            let Some(ty) = ty else { continue };
            let from_path = self.index.type_entry(*ty).map(|e| e.name.clone()).unwrap_or_default();
            for (target_n, target) in by_number.range(n + 1..) {
                let Some(target) = target else { continue };
                for (m, imp) in self.impl_defs(*target) {
                    let Some(tp) = &imp.trait_path else { continue };
                    let last = tp.segments.last();
                    if !last.is_some_and(|s| s.name == "From" || s.name == "TryFrom") {
                        continue;
                    }
                    let arg = last.and_then(|s| s.args.first());
                    if let Some(Res::Type(a)) = arg.and_then(|a| self.res.resolve_ty(m, a, &imp.generics)) {
                        if a == *ty {
                            let fp =
                                imp.fns.iter().map(|f| f.body.fingerprint).fold(0u64, |acc, x| acc.rotate_left(7) ^ x);
                            paths.push(MigrationPath {
                                from: n.to_string(),
                                via: format!("`From<{from_path}>` (to v{target_n})"),
                                fingerprint: fp,
                                loc: Some(imp.header),
                                functions: vec![from_path.clone()],
                            });
                        }
                    }
                }
                break;
            }
        }
        // An upgrade fn taking the enum: `fn upgrade(s: StateAny) -> State { match s { … } }`.
        let enum_name = &def.name;
        let older: BTreeSet<&str> =
            numbered.iter().filter(|(n, _, _)| *n != latest).map(|(_, _, v)| v.name.as_str()).collect();
        for f in &self.index.fns {
            let Some(Item { kind: ItemKind::Fn(func), .. }) = self.index.item(f.item) else { continue };
            self.upgrade_fn(func, enum_name, &older, &mut paths);
        }
        for (_, imp) in self.impl_defs(t) {
            for func in &imp.fns {
                self.upgrade_fn(func, enum_name, &older, &mut paths);
            }
        }
        Some(Migration {
            convention: c.name.clone(),
            version: Version::Int(latest),
            history: by_number.keys().map(|n| Version::Int(*n)).collect(),
            paths,
            loc: item.loc,
            encoding: c.encoding.clone(),
        })
    }

    fn upgrade_fn(&self, func: &FnDef, enum_name: &str, older: &BTreeSet<&str>, paths: &mut Vec<MigrationPath>) {
        let takes_enum = func.params.iter().any(|p| matches!(&p.ty, Ty::Path(tp) if tp.last_name() == Some(enum_name)))
            || func.has_self;
        if !takes_enum || older.is_empty() {
            return;
        }
        let matched: BTreeSet<&str> = func
            .body
            .match_variants
            .iter()
            .filter(|p| p.len() >= 2 && p.get(p.len() - 2).is_some_and(|e| e == enum_name || e == "Self"))
            .filter_map(|p| p.last().map(String::as_str))
            .collect();
        for v in older {
            if matched.contains(v) {
                paths.push(MigrationPath {
                    from: version_number(v).map(|n| n.to_string()).unwrap_or_else(|| v.to_string()),
                    via: format!("`{}` match arm", func.name),
                    fingerprint: func.body.fingerprint,
                    loc: Some(func.loc),
                    functions: vec![func.name.clone()],
                });
            }
        }
    }
}

/// `V3`, `v3`, `"3"`, `"v3"` → 3.
fn version_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix('V').or_else(|| name.strip_prefix('v')).unwrap_or(name);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether an obake field or variant exists at `version`: its `#[obake(cfg("req"))]`
/// requirements (none means every version; several mean any of them), read as obake reads them,
/// semver requirements (`"0.1.0"` is `^0.1.0`, `">=0.0, <0.2"`, `"*"`). A requirement hotlint
/// cannot read counts as met, so the field is compared rather than dropped.
pub fn obake_active(attrs: &[Attr], version: &str) -> bool {
    let reqs: Vec<&str> = attrs
        .iter()
        .filter(|a| a.is("obake"))
        .flat_map(|a| a.list().iter())
        .filter(|m| m.path == "cfg")
        .filter_map(|m| m.list().first().and_then(|x| x.value_str()))
        .collect();
    let Some(v) = plain_version(version) else { return true };
    reqs.is_empty() || reqs.iter().any(|r| semver_req_matches(r, v).unwrap_or(true))
}

/// `major.minor.patch` of a version, pre-release and build dropped.
fn plain_version(s: &str) -> Option<[u64; 3]> {
    let core = s.trim().split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.trim().parse::<u64>().ok());
    Some([it.next()??, it.next().flatten().unwrap_or(0), it.next().flatten().unwrap_or(0)])
}

/// A semver requirement (comma-separated comparators, all of which must hold) against a
/// version, as the `semver` crate reads it; `None` when it cannot be read.
pub fn semver_req_matches(req: &str, v: [u64; 3]) -> Option<bool> {
    let mut all = true;
    for comparator in req.split(',').map(str::trim) {
        if comparator.is_empty() || comparator == "*" {
            continue;
        }
        let (op, rest) = ["<=", ">=", "=", "<", ">", "~", "^"]
            .iter()
            .find_map(|op| comparator.strip_prefix(op).map(|r| (*op, r.trim())))
            .unwrap_or(("^", comparator));
        // A partial version (`0.2`, `1`, `1.*`): the parts given, the rest unknown.
        let parts: Vec<Option<u64>> = rest
            .split(['-', '+'])
            .next()?
            .split('.')
            .map(|p| if matches!(p, "*" | "x" | "X") { Some(None) } else { p.parse().ok().map(Some) })
            .collect::<Option<_>>()?;
        if parts.is_empty() || parts.len() > 3 || (parts.first()?.is_none() && op != "^") {
            return None;
        }
        let given: Vec<u64> = parts.iter().map_while(|p| *p).collect();
        let at = |i: usize| given.get(i).copied().unwrap_or(0);
        let low = [at(0), at(1), at(2)];
        // The exclusive upper bound of the versions `given` names (`0.2` → 0.3.0, `1` → 2.0.0).
        let next = |n: usize| -> [u64; 3] {
            match n {
                0 => [u64::MAX, 0, 0],
                1 => [at(0) + 1, 0, 0],
                2 => [at(0), at(1) + 1, 0],
                _ => [at(0), at(1), at(2) + 1],
            }
        };
        let ok = match op {
            ">=" => v >= low,
            "<" => v < low,
            ">" => v >= next(given.len()),
            "<=" => v < next(given.len()),
            "=" => v >= low && v < next(given.len()),
            "~" => v >= low && v < next(given.len().min(2)),
            _ => {
                // Caret: the leftmost non-zero part given may not change.
                let first_non_zero = given.iter().position(|p| *p != 0);
                let upper = match first_non_zero {
                    Some(i) => next(i + 1),
                    None => next(given.len()),
                };
                v >= low && v < upper
            }
        };
        all &= ok;
    }
    Some(all)
}

/// `Prev` of `(Prev, Error)` (a tuple as attribute values print it), or the value itself; the
/// spaces normalised tokens put around `::` removed.
fn first_of_tuple(value: &str) -> String {
    let inner = value.trim().strip_prefix('(').and_then(|v| v.strip_suffix(')')).unwrap_or(value);
    let mut depth = 0i32;
    let mut end = inner.len();
    for (i, ch) in inner.char_indices() {
        match ch {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    inner.get(..end).unwrap_or(inner).split_whitespace().collect::<String>()
}

fn semver_key(s: &str) -> Vec<u64> {
    s.split(['.', '-', '+']).map(|p| p.parse().unwrap_or(0)).collect()
}

/// `12`, `12u32`, `1_000` → the integer.
pub fn int_literal(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit() || *c == '_').filter(|c| *c != '_').collect();
    if digits.is_empty() {
        return None;
    }
    let suffix = t.get(t.chars().take_while(|c| c.is_ascii_digit() || *c == '_').count()..).unwrap_or("");
    if !(suffix.is_empty()
        || matches!(
            suffix,
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize"
        ))
    {
        return None;
    }
    digits.parse().ok()
}

/// Whether the attributes derive serde's `Serialize`/`Deserialize` (also through `cfg_attr`).
pub fn has_serde_derive(res: &Resolver<'_>, scope: ModId, attrs: &[Attr], which: &str) -> bool {
    let repr = format!("{which}_repr");
    derives(attrs).any(|(p, _)| {
        let last = p.last().map(String::as_str);
        // `serde_repr`'s derives serialize the discriminant: serde all the same.
        if last == Some(repr.as_str()) {
            return true;
        }
        if last != Some(which) {
            return false;
        }
        let r = res.resolve(scope, false, &p, &[], Ns::Macro);
        match &r {
            Res::Extern(_) | Res::ExternCandidates(_) => r.extern_paths().iter().any(|x| x.starts_with("serde")),
            // An unresolved bare `Deserialize` is serde's in practice (a derive needs an import,
            // which may sit in a glob we cannot see through).
            Res::Unresolved => true,
            _ => false,
        }
    })
}

/// The value of `#[serde(key = "…")]` among attributes.
pub fn serde_value(attrs: &[Attr], key: &str) -> Option<String> {
    attrs.iter().filter(|a| a.is("serde")).flat_map(|a| a.list().iter()).find(|m| m.path == key).and_then(|m| match &m
        .value
    {
        MetaValue::Value(v) => Some(v.clone()),
        MetaValue::List(l) => {
            l.iter().find(|x| x.path == "deserialize").and_then(|x| x.value_str().map(str::to_string))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(int_literal("2"), Some(2));
        assert_eq!(int_literal("2u32"), Some(2));
        assert_eq!(int_literal("1_000"), Some(1000));
        assert_eq!(int_literal("V2 as u32"), None);
        assert_eq!(version_number("V12"), Some(12));
        assert_eq!(version_number("Vx"), None);
    }

    #[test]
    fn obake_requirements_read_as_semver() {
        let m = |req: &str, v: &str| plain_version(v).and_then(|v| semver_req_matches(req, v));
        // A bare version is a caret requirement.
        assert_eq!(m("0.1.0", "0.1.0"), Some(true));
        assert_eq!(m("0.1.0", "0.1.5"), Some(true));
        assert_eq!(m("0.1.0", "0.2.0"), Some(false));
        assert_eq!(m("0.0.0", "0.0.0"), Some(true));
        assert_eq!(m("0.0.0", "0.0.1"), Some(false));
        assert_eq!(m("1.2.0", "1.9.0"), Some(true));
        assert_eq!(m("1.2.0", "2.0.0"), Some(false));
        // Comparators with partial versions, several at once.
        assert_eq!(m(">=0.0, <0.2", "0.1.0"), Some(true));
        assert_eq!(m(">=0.0, <0.2", "0.2.0"), Some(false));
        assert_eq!(m(">=0.3", "0.3.0"), Some(true));
        assert_eq!(m(">=0.3", "0.2.9"), Some(false));
        assert_eq!(m(">0.2", "0.2.5"), Some(false));
        assert_eq!(m(">0.2", "0.3.0"), Some(true));
        assert_eq!(m("<=0.2", "0.2.7"), Some(true));
        assert_eq!(m("=0.2", "0.2.1"), Some(true));
        assert_eq!(m("~1.2.3", "1.2.9"), Some(true));
        assert_eq!(m("~1.2.3", "1.3.0"), Some(false));
        assert_eq!(m("*", "7.0.0"), Some(true));
        assert_eq!(m("1.*", "1.4.0"), Some(true));
        assert_eq!(m("1.*", "2.0.0"), Some(false));
        assert_eq!(m("what", "1.0.0"), None);
    }

    #[test]
    fn conventions_parse() {
        assert!(conventions().is_ok_and(|c| c.len() == BUILTIN.len()));
    }
}
