//! Stage: encoding inference (part of analysis). Input: tracked types, the configuration, the
//! framework profiles, the workspace's dependencies. Output: each tracked type's encoding class
//! and how it was decided, in the order SPEC §1 gives: (1) configuration, (2) the framework
//! profile (remote and persisted messages), the convention's own format, (3) container
//! attributes that need a self-describing format, (4) the serde formats among the defining
//! crate's normal dependencies (or, when it has none, of the workspace crates that depend on it).
//! Invariant: when several classes are possible, the strictest is used and the ambiguity is kept
//! for HL011; nothing here reads files.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::index::{Index, TypeId};
use crate::ir::{Item, ItemKind};
use crate::workspace::{DepKind, Workspace};

pub const FORMATS: &str = include_str!("../rules/encodings.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Named,
    PositionalVarint,
    Positional,
    Memory,
}

impl Class {
    pub fn parse(s: &str) -> Option<Class> {
        Some(match s {
            "named" => Class::Named,
            "positional-varint" => Class::PositionalVarint,
            "positional" => Class::Positional,
            "memory" => Class::Memory,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Named => "named",
            Class::PositionalVarint => "positional-varint",
            Class::Positional => "positional",
            Class::Memory => "memory",
        }
    }

    pub fn is_positional(self) -> bool {
        matches!(self, Class::Positional | Class::PositionalVarint)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatTable {
    format: Vec<Format>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Format {
    #[serde(rename = "crate")]
    pub krate: String,
    #[serde(default)]
    pub major: Option<u64>,
    pub class: String,
}

pub fn formats() -> Result<Vec<Format>> {
    let t: FormatTable = toml::from_str(FORMATS)
        .map_err(|e| Error::Config { location: "rules/encodings.toml".into(), message: e.message().to_string() })?;
    Ok(t.format)
}

/// How a tracked type's encoding was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoding {
    pub class: Class,
    /// Why: "configured in hotlint.toml", "bincode 1 among the dependencies of `app`", …
    pub source: String,
    /// Format candidates found among dependencies: (class, format crate).
    pub candidates: Vec<(Class, String)>,
    /// Several classes were possible (HL011); `class` is the strictest.
    pub ambiguous: bool,
    /// Nothing said anything; `named` was assumed (HL011).
    pub assumed: bool,
}

/// What inference needs to know about one tracked type besides the index.
pub struct Facts<'a> {
    pub configured: Option<&'a str>,
    /// Encoding from the framework profile (remote messages, persisted types).
    pub framework: Option<(&'a str, &'a str)>,
    /// Encoding fixed by the type's migration convention (revision, versionize, savefile).
    pub convention: Option<(&'a str, &'a str)>,
}

pub fn infer(ws: &Workspace, index: &Index, formats: &[Format], ty: TypeId, facts: &Facts<'_>) -> Encoding {
    let done = |class: Class, source: String| Encoding {
        class,
        source,
        candidates: Vec::new(),
        ambiguous: false,
        assumed: false,
    };
    if let Some(c) = facts.configured.and_then(Class::parse) {
        return done(c, "configured".into());
    }
    if let Some((c, name)) = facts.convention.and_then(|(c, n)| Class::parse(c).map(|c| (c, n))) {
        return done(c, format!("fixed by the `{name}` convention's own format"));
    }
    // A derive that writes the bytes itself says how fields are identified, whatever the
    // framework or the dependencies say: minicbor and prost by index (self-describing), borsh
    // and bitcode by position.
    if let Some(codec) = index.type_entry(ty).and_then(|e| index.item(e.item)).and_then(crate::schema::derive_codec) {
        let class = if matches!(codec, "minicbor" | "prost") { Class::Named } else { Class::Positional };
        return done(class, format!("its `{codec}` derive"));
    }
    if let Some((c, name)) = facts.framework.and_then(|(c, n)| Class::parse(c).map(|c| (c, n))) {
        return done(c, format!("the wire encoding of {name}"));
    }
    let candidates = format_candidates(ws, index, formats, ty);
    if needs_self_describing(index, ty) {
        return Encoding {
            class: Class::Named,
            source: "its serde attributes need a self-describing format".into(),
            candidates,
            ambiguous: false,
            assumed: false,
        };
    }
    let classes: BTreeSet<Class> = candidates.iter().map(|(c, _)| *c).collect();
    match classes.len() {
        0 => Encoding {
            class: Class::Named,
            source: "no serde format among the dependencies; assumed `named`".into(),
            candidates,
            ambiguous: false,
            assumed: true,
        },
        1 => {
            let class = classes.iter().next().copied().unwrap_or(Class::Named);
            let names: Vec<&str> = candidates.iter().map(|(_, n)| n.as_str()).collect();
            Encoding {
                class,
                source: format!("{} among the dependencies", names.join(", ")),
                candidates,
                ambiguous: false,
                assumed: false,
            }
        }
        _ => {
            let class = classes.iter().next_back().copied().unwrap_or(Class::Positional);
            let names: Vec<String> = candidates.iter().map(|(c, n)| format!("{n} ({})", c.as_str())).collect();
            Encoding {
                class,
                source: format!("several formats among the dependencies: {}", names.join(", ")),
                candidates,
                ambiguous: true,
                assumed: false,
            }
        }
    }
}

/// `tag`, `untagged` on the container or `flatten` on a field: only self-describing formats
/// can read these.
pub fn needs_self_describing(index: &Index, ty: TypeId) -> bool {
    let Some(item) = index.type_entry(ty).and_then(|e| index.item(e.item)) else { return false };
    self_describing_attrs(item).is_some()
}

/// The first serde attribute of the type (or its fields/variants) that positional formats
/// cannot read back: `tag`, `untagged`, `flatten`, `skip_serializing_if`.
pub fn self_describing_attrs(item: &Item) -> Option<(&'static str, crate::ir::Loc)> {
    let serde_keys = |attrs: &[crate::ir::Attr], keys: &[&'static str]| -> Option<(&'static str, crate::ir::Loc)> {
        attrs
            .iter()
            .filter(|a| a.is("serde"))
            .find_map(|a| a.list().iter().find_map(|m| keys.iter().find(|k| **k == m.path).map(|k| (*k, a.loc))))
    };
    if let Some(hit) = serde_keys(&item.attrs, &["tag", "untagged"]) {
        return Some(hit);
    }
    let ItemKind::Type(def) = &item.kind else { return None };
    let fields = def.all_fields();
    for f in fields {
        if let Some(hit) = serde_keys(&f.attrs, &["flatten"]) {
            return Some(hit);
        }
    }
    None
}

/// Like [`self_describing_attrs`], also counting `skip_serializing_if` (HL012).
pub fn positional_breakers(item: &Item) -> Vec<(&'static str, crate::ir::Loc)> {
    let mut out = Vec::new();
    let keys: &[&'static str] = &["tag", "untagged", "flatten", "skip_serializing_if"];
    let mut scan = |attrs: &[crate::ir::Attr]| {
        for a in attrs.iter().filter(|a| a.is("serde")) {
            for m in a.list() {
                if let Some(k) = keys.iter().find(|k| **k == m.path) {
                    out.push((*k, a.loc));
                }
            }
        }
    };
    scan(&item.attrs);
    if let ItemKind::Type(def) = &item.kind {
        for f in def.fields.iter() {
            scan(&f.attrs);
        }
        for v in &def.variants {
            scan(&v.attrs);
            for f in v.fields.iter() {
                scan(&f.attrs);
            }
        }
    }
    out
}

fn format_candidates(ws: &Workspace, index: &Index, formats: &[Format], ty: TypeId) -> Vec<(Class, String)> {
    let Some(entry) = index.type_entry(ty) else { return Vec::new() };
    let Some(pkg_idx) = index.file_package.get(entry.item.file as usize).copied().flatten() else { return Vec::new() };
    let of_package = |p: usize| -> Vec<(Class, String)> {
        let Some(pkg) = ws.package(p) else { return Vec::new() };
        let mut out: BTreeMap<String, Class> = BTreeMap::new();
        for dep in pkg.deps.iter().filter(|d| d.kind == DepKind::Normal) {
            let major = dep.req.as_deref().and_then(major_of);
            for f in formats {
                if f.krate.replace('-', "_") != dep.package.replace('-', "_") {
                    continue;
                }
                if f.major.is_some() && major.is_some() && f.major != major {
                    continue;
                }
                if let Some(c) = Class::parse(&f.class) {
                    // `bincode 1`; for a 0.x crate the requirement as written (`ron 0.8`).
                    let label = match (major, dep.req.as_deref()) {
                        (Some(0), Some(req)) => format!("{} {}", f.krate, req.trim_start_matches(['^', '=', '~'])),
                        (Some(m), _) => format!("{} {}", f.krate, m),
                        (None, _) => f.krate.clone(),
                    };
                    out.insert(label, c);
                    break;
                }
            }
        }
        out.into_iter().map(|(n, c)| (c, n)).collect()
    };
    let own = of_package(pkg_idx);
    if !own.is_empty() {
        return own;
    }
    // The workspace crates that depend on the defining package.
    let Some(defining) = ws.package(pkg_idx) else { return Vec::new() };
    let mut out = Vec::new();
    for (i, p) in ws.packages.iter().enumerate() {
        let depends = p.deps.iter().any(|d| {
            d.kind == DepKind::Normal
                && (d.path.as_deref() == Some(defining.dir.as_str()) || d.package == defining.name)
        });
        if depends && i != pkg_idx {
            out.extend(of_package(i));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Major version of a requirement (`"1"`, `"^1.3"`, `"=2.0.0-rc.3"`, `"~1"`).
fn major_of(req: &str) -> Option<u64> {
    let t = req.trim().trim_start_matches(['^', '=', '~', '>', '<', ' ']);
    t.split(['.', ',', ' ', '-']).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_majors() {
        assert!(formats().is_ok_and(|f| f.iter().any(|x| x.krate == "bincode")));
        assert_eq!(major_of("^1.3"), Some(1));
        assert_eq!(major_of("=2.0.0-rc.3"), Some(2));
        assert!(Class::Positional > Class::PositionalVarint && Class::PositionalVarint > Class::Named);
    }
}
