//! Stage: rules. Input: the analysed [`Model`]. Output: findings, stamped with their rule's code,
//! name and level by the registry (a rule cannot mislabel itself).
//!
//! Rule metadata and documentation live in `rules/HLnnn-name.md` (front matter + text), embedded;
//! the registry below pairs each document with its check function. A rule without a check
//! function is listed as not implemented. Invariant: rules never do I/O.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

mod hl000;
mod hl001;
mod hl002;
mod hl003;
mod hl004;
mod hl005;
mod hl006;
mod hl007;
mod hl008;
mod hl009;
mod hl010;
mod hl011;
mod hl012;
mod hl013;

pub use hl001::{data_fields, handle_only_actors, rebuilt_on_start_markdown, state_holds_data};
pub use hl002::bumped;

use crate::findings::{Draft, Finding};
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
    include_str!("../../rules/HL000-parse-failure.md"),
    include_str!("../../rules/HL001-actor-without-migration.md"),
    include_str!("../../rules/HL002-state-changed-without-migration.md"),
    include_str!("../../rules/HL003-migration-gap.md"),
    include_str!("../../rules/HL004-migration-untested.md"),
    include_str!("../../rules/HL005-message-changed-incompatibly.md"),
    include_str!("../../rules/HL006-dependency-actor-without-migration.md"),
    include_str!("../../rules/HL007-dependency-upgrade-changes-state.md"),
    include_str!("../../rules/HL008-unsupervised-actor.md"),
    include_str!("../../rules/HL009-state-not-migratable.md"),
    include_str!("../../rules/HL010-shipped-migration-edited.md"),
    include_str!("../../rules/HL011-encoding-ambiguous.md"),
    include_str!("../../rules/HL012-encoding-unsupported.md"),
    include_str!("../../rules/HL013-change-unverifiable.md"),
    include_str!("../../rules/HL014-suppression-unused.md"),
];

/// The check function of each implemented rule. HL014 is computed with suppressions.
fn check_of(code: &str) -> Option<Check> {
    match code {
        "HL000" => Some(hl000::hl000_parse_failure),
        "HL001" => Some(hl001::hl001_actor_without_migration),
        "HL002" => Some(hl002::check),
        "HL003" => Some(hl003::check),
        "HL004" => Some(hl004::check),
        "HL005" => Some(hl005::check),
        "HL006" => Some(hl006::check),
        "HL007" => Some(hl007::check),
        "HL010" => Some(hl010::check),
        "HL013" => Some(hl013::check),
        "HL008" => Some(hl008::check),
        "HL009" => Some(hl009::check),
        "HL011" => Some(hl011::check),
        "HL012" => Some(hl012::check),
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
    // Rules are independent: they run side by side (on the current rayon pool), and their
    // findings are taken in the rules' order.
    let drafts: Vec<(&Rule, Vec<Draft>)> = {
        use rayon::prelude::*;
        all()
            .par_iter()
            .filter(|rule| !rule.history || model.has_history)
            .filter_map(|rule| rule.check.map(|check| (rule, check(model))))
            .collect()
    };
    let mut out = Vec::new();
    for (rule, found) in drafts {
        for d in found {
            let mut level = levels(rule, d.package.as_deref());
            if d.warn_only && level == Level::Deny {
                level = Level::Warn;
            }
            if level == Level::Allow {
                continue;
            }
            out.push(d.stamp(rule, level));
        }
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
    // `-D warnings` promotes whatever is still at warn once every other flag is applied, as rustc
    // does; `-A warnings` / `-W warnings` act in place.
    let mut deny_warnings = false;
    for (flag, rule) in flags {
        let level = match flag {
            'A' => Level::Allow,
            'W' => Level::Warn,
            _ => Level::Deny,
        };
        if rule == "warnings" {
            if level == Level::Deny {
                deny_warnings = true;
            } else {
                deny_warnings = false;
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
    if deny_warnings {
        for lv in table.values_mut() {
            if *lv == Level::Warn {
                *lv = Level::Deny;
            }
        }
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
