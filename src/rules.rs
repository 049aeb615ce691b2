//! Stage: rules. Input: the analysed [`Model`]. Output: findings, stamped with their rule's code,
//! name and level by the registry (a rule cannot mislabel itself).
//!
//! Rule metadata and documentation live in `rules/HLnnn-name.md` (front matter + text), embedded;
//! the registry below pairs each document with its check function. A rule without a check
//! function is listed as not implemented. Invariant: rules never do I/O.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::actors::State;
use crate::findings::{Anchor, Draft, Finding};
use crate::index::TypeId;
use crate::ir::*;
use crate::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

type Check = fn(&Model) -> Vec<Draft>;

/// The rule documents, embedded. A test checks this list against the files in `rules/`.
pub const DOCS: &[&str] = &[
    include_str!("../rules/HL000-parse-failure.md"),
    include_str!("../rules/HL001-actor-without-migration.md"),
    include_str!("../rules/HL002-state-changed-without-migration.md"),
    include_str!("../rules/HL003-migration-gap.md"),
    include_str!("../rules/HL004-migration-untested.md"),
    include_str!("../rules/HL005-message-changed-incompatibly.md"),
    include_str!("../rules/HL006-dependency-actor-without-migration.md"),
    include_str!("../rules/HL007-dependency-upgrade-changes-state.md"),
    include_str!("../rules/HL008-unsupervised-actor.md"),
    include_str!("../rules/HL009-state-not-migratable.md"),
    include_str!("../rules/HL010-shipped-migration-edited.md"),
    include_str!("../rules/HL011-encoding-ambiguous.md"),
    include_str!("../rules/HL012-encoding-unsupported.md"),
    include_str!("../rules/HL013-change-unverifiable.md"),
    include_str!("../rules/HL014-suppression-unused.md"),
];

/// The check function of each implemented rule. HL014 is computed with suppressions.
fn check_of(code: &str) -> Option<Check> {
    match code {
        "HL000" => Some(hl000_parse_failure),
        "HL001" => Some(hl001_actor_without_migration),
        _ => None,
    }
}

/// Rules whose findings are computed outside `check_of` but are implemented.
const IMPLEMENTED_ELSEWHERE: &[&str] = &["HL014"];

#[derive(Debug, Deserialize)]
struct FrontMatter {
    code: String,
    name: String,
    level: String,
    summary: String,
    history: bool,
    #[serde(default)]
    examples: Option<String>,
}

#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub default_level: Level,
    pub summary: &'static str,
    pub history: bool,
    /// Whether the doc's examples are illustrations (not run by the doc test).
    pub illustration: bool,
    /// The document without its front matter.
    pub doc: &'static str,
    pub check: Option<Check>,
    pub implemented: bool,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Split a rule document into its front matter and body.
pub fn split_doc(doc: &str) -> Option<(&str, &str)> {
    let rest = doc.strip_prefix("+++\n")?;
    let end = rest.find("\n+++\n")?;
    Some((rest.get(..end)?, rest.get(end + 5..)?))
}

/// Every rule, in code order.
pub fn all() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        DOCS.iter()
            .filter_map(|doc| {
                let (front, body) = split_doc(doc)?;
                let fm: FrontMatter = toml::from_str(front).ok()?;
                let check = check_of(&fm.code);
                let implemented = check.is_some() || IMPLEMENTED_ELSEWHERE.contains(&fm.code.as_str());
                Some(Rule {
                    code: leak(fm.code),
                    name: leak(fm.name),
                    default_level: Level::parse(&fm.level).unwrap_or(Level::Warn),
                    summary: leak(fm.summary),
                    history: fm.history,
                    illustration: fm.examples.as_deref() == Some("illustration"),
                    doc: body.trim_start(),
                    check,
                    implemented,
                })
            })
            .collect()
    })
}

/// A rule by code (`HL001`, any case) or name (`actor-without-migration`).
pub fn lookup(key: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.code == code)
}

/// Run every implemented rule whose level is not `allow`; stamp code, name and level.
pub fn run(model: &Model, levels: &dyn Fn(&Rule, Option<&str>) -> Level) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in all() {
        let Some(check) = rule.check else { continue };
        if rule.history && !model.has_history {
            continue;
        }
        for d in check(model) {
            let level = levels(rule, d.package.as_deref());
            if level == Level::Allow {
                continue;
            }
            out.push(d.stamp(rule, level));
        }
    }
    out
}

// ---- HL000 ----------------------------------------------------------------------------------

fn hl000_parse_failure(m: &Model) -> Vec<Draft> {
    let mut out = Vec::new();
    for f in &m.index.files {
        let Some(err) = &f.error else { continue };
        if m.is_dependency_file(f.id) {
            continue;
        }
        let mut d = Draft::new(format!("`{}` could not be analysed: {}", f.rel_path, err.message));
        d.package = m.package_of_file(f.id);
        match err.loc {
            Some(loc) => d.primary(loc, "syn cannot parse this"),
            None => d.primary(Loc { file: f.id, line: 1, col: 1, end_line: 1, end_col: 1 }, "this file"),
        }
        d.help = Some("hotlint skipped this file and analysed the rest; actors and state defined in it are not checked. If the compiler accepts it, please report it (it may be a documented limit of syn, listed in README)".into());
        d.key = format!("parse:{}", f.rel_path);
        out.push(d);
    }
    for miss in &m.index.missing {
        if miss.cfg_gated {
            continue;
        }
        let mut d = Draft::new(format!("file not found for module `{}`", miss.name));
        d.package = m.package_of_file(miss.decl.file);
        d.primary(miss.decl, "declared here");
        d.help = Some(format!(
            "create one of {}, or add `#[path = \"…\"]`; hotlint analysed the rest",
            miss.tried.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(" or ")
        ));
        d.key = format!(
            "missing-mod:{}:{}",
            m.index.file(miss.decl.file).map(|f| f.rel_path.as_str()).unwrap_or(""),
            miss.name
        );
        out.push(d);
    }
    out
}

// ---- HL001 ----------------------------------------------------------------------------------

/// Number of fields of a workspace type (variants count for enums); `None` if it is not a
/// struct, enum or union definition.
pub fn data_fields(m: &Model, t: TypeId) -> Option<usize> {
    let e = m.index.type_entry(t)?;
    match &m.index.item(e.item)?.kind {
        ItemKind::Type(def) => Some(match def.kind {
            TypeKind::Enum => def.variants.len(),
            _ => def.fields.len(),
        }),
        ItemKind::Alias(_) => Some(1),
        _ => None,
    }
}

fn hl001_actor_without_migration(m: &Model) -> Vec<Draft> {
    let mut out = Vec::new();
    for a in &m.actors.actors {
        if a.test {
            continue;
        }
        let (state_ty, state_name, n_fields) = match &a.state {
            State::SelfType(t) | State::Local { ty: t, .. } => {
                let n = data_fields(m, *t).unwrap_or(1);
                (Some(*t), m.index.type_entry(*t).map(|e| e.name.clone()).unwrap_or_default(), n)
            }
            State::Unit => continue,
            State::Other { display } => (None, display.clone(), 1),
            State::Unknown { written } => {
                if written.starts_with('<') {
                    continue;
                }
                (None, written.clone(), 1)
            }
        };
        if n_fields == 0 {
            continue;
        }
        if m.migration_of_actor(a).is_some() {
            continue;
        }
        if m.is_ephemeral(&a.id) {
            continue;
        }
        let actor_name = a.id.rsplit("::").next().unwrap_or(&a.id).to_string();
        let is_self = matches!(a.state, State::SelfType(_));
        let mut d = if is_self {
            Draft::new(format!("actor `{actor_name}` has state and no versioned migration"))
        } else {
            Draft::new(format!("actor `{actor_name}` has no versioned migration for its state `{state_name}`"))
        };
        d.package = a.package.and_then(|p| m.ws.packages.get(p)).map(|p| p.name.clone());
        d.primary(a.decl, &format!("{} actor declared here", a.framework));
        d.actor = Some(a.id.clone());
        d.anchors.push(Anchor { file: a.decl.file, first_line: a.decl_first_line, header_line: a.decl.line });
        // An allow may also sit on the actor's own type definition.
        if let Some(item) = a.ty.and_then(|t| m.index.type_entry(t)).and_then(|e| m.index.item(e.item)) {
            d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
        }
        let state_path = state_ty.and_then(|t| m.index.type_entry(t)).map(|e| e.path.clone());
        d.ty = state_path.clone().or_else(|| Some(state_name.clone()));
        if let Some(t) = state_ty {
            if let (Some(e), Some(item)) =
                (m.index.type_entry(t), m.index.type_entry(t).and_then(|e| m.index.item(e.item)))
            {
                let what = if is_self {
                    "the actor's fields are its state"
                } else {
                    "state type defined here, with no version"
                };
                if !is_self || item.loc != a.decl {
                    d.label(item.loc, what);
                }
                d.anchors.push(Anchor { file: e.item.file, first_line: item.first_line, header_line: item.loc.line });
            }
        }
        d.notes.push(
            "on upgrade this actor's state is dropped and rebuilt from its start arguments: nothing carries it across"
                .into(),
        );
        let version_target = if state_ty.is_some() { state_name.clone() } else { actor_name.clone() };
        d.help = Some(format!(
            "if the state is rebuilt on start by design, declare the actor ephemeral: `ephemeral = [\"{}\"]` in hotlint.toml, or `// hotlint: allow(actor-without-migration) -- <why>` above it; \
             otherwise version the state: `impl {} {{ const STATE_VERSION: u32 = 1; fn code_change(from: u32, old: …) -> Result<Self, …> {{ … }} }}`",
            a.id, version_target
        ));
        d.key = format!("no-migration:{}", a.id);
        out.push(d);
    }
    out
}

/// Levels for every rule: defaults, then configuration, then command-line flags in order.
pub fn level_table(
    config_levels: &BTreeMap<&'static str, Level>,
    flags: &[(char, String)],
) -> Result<BTreeMap<&'static str, Level>, String> {
    let mut table: BTreeMap<&'static str, Level> = all().iter().map(|r| (r.code, r.default_level)).collect();
    for (code, lv) in config_levels {
        table.insert(code, *lv);
    }
    for (flag, rule) in flags {
        let level = match flag {
            'A' => Level::Allow,
            'W' => Level::Warn,
            _ => Level::Deny,
        };
        if rule == "warnings" {
            if level == Level::Deny {
                for lv in table.values_mut() {
                    if *lv == Level::Warn {
                        *lv = Level::Deny;
                    }
                }
            } else {
                for lv in table.values_mut() {
                    if *lv == Level::Warn {
                        *lv = level;
                    }
                }
            }
            continue;
        }
        let r = lookup(rule).ok_or_else(|| rule.clone())?;
        table.insert(r.code, level);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_doc_parses_and_matches_its_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let n = e.unwrap().file_name().to_string_lossy().into_owned();
                n.strip_suffix(".md").map(str::to_string)
            })
            .collect();
        files.sort();
        let names: Vec<String> = all().iter().map(|r| format!("{}-{}", r.code, r.name)).collect();
        assert_eq!(names.len(), DOCS.len(), "a rule document failed to parse");
        assert_eq!(files, names);
    }

    #[test]
    fn lookup_by_code_and_name() {
        assert_eq!(lookup("hl001").unwrap().name, "actor-without-migration");
        assert_eq!(lookup("actor-without-migration").unwrap().code, "HL001");
        assert!(lookup("nope").is_none());
    }
}
