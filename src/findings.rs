//! Findings: what rules report, how they are suppressed (inline allows, configuration), the
//! suppression audit (HL014), their stable fingerprints and their final order.
//!
//! Invariant: the fingerprint is xxh3-64 of `code NUL actor-or-type NUL change-key`, printed as
//! 16 hex digits: it does not depend on line numbers, paths of unrelated files or the process.

use std::collections::BTreeSet;

use crate::ir::{AllowComment, Loc};
use crate::rules::{self, Level, Rule};

/// Lines of one item where an inline allow applies: a comment directly above `first_line`, or
/// inside `first_line..=header_line` (the attribute lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub file: u32,
    pub first_line: u32,
    pub header_line: u32,
}

/// A finding before the registry stamps its rule and level.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub message: String,
    pub package: Option<String>,
    pub primary: Option<(Loc, String)>,
    pub labels: Vec<(Loc, String)>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    pub actor: Option<String>,
    pub ty: Option<String>,
    /// What changed, for the fingerprint (never line numbers).
    pub key: String,
    pub anchors: Vec<Anchor>,
    /// Report at most at warn (HL005's "safe once every node runs the new version").
    pub warn_only: bool,
}

impl Draft {
    pub fn new(message: String) -> Draft {
        Draft { message, ..Draft::default() }
    }

    pub fn primary(&mut self, loc: Loc, label: &str) {
        self.primary = Some((loc, label.to_string()));
    }

    pub fn label(&mut self, loc: Loc, label: &str) {
        self.labels.push((loc, label.to_string()));
    }

    pub fn stamp(self, rule: &Rule, level: Level) -> Finding {
        let subject = self.actor.clone().or_else(|| self.ty.clone()).unwrap_or_default();
        let fingerprint = fingerprint(rule.code, &subject, &self.key);
        Finding { code: rule.code, name: rule.name, level, draft: self, fingerprint }
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub level: Level,
    pub draft: Draft,
    pub fingerprint: String,
}

pub fn fingerprint(code: &str, subject: &str, key: &str) -> String {
    let text = format!("{code}\0{subject}\0{key}");
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Where an allow comment sits.
pub struct AllowSite<'a> {
    pub file: u32,
    pub comment: &'a AllowComment,
    pub text: &'a str,
}

/// Whether the allow comment at `line` covers `anchor`: inside its attribute lines, or above it
/// with only comments and blank lines between.
pub fn covers(text: &str, line: u32, anchor: &Anchor) -> bool {
    if line >= anchor.first_line && line <= anchor.header_line {
        return true;
    }
    if line >= anchor.first_line {
        return false;
    }
    let lines: Vec<&str> = text.lines().collect();
    ((line + 1)..anchor.first_line).all(|l| {
        lines.get(l as usize - 1).is_none_or(|t| {
            let t = t.trim();
            t.is_empty() || t.starts_with("//")
        })
    })
}

/// Drop findings covered by inline allows; report allows that are unused or lack a reason (HL014).
pub fn apply_allows(
    findings: Vec<Finding>,
    sites: &[AllowSite<'_>],
    hl014: Option<Level>,
    rule_ran: &dyn Fn(&Rule) -> bool,
) -> (Vec<Finding>, Vec<Finding>) {
    // Which (allow, rule) pairs silenced something: each rule of an allow is audited on its own.
    let mut used: BTreeSet<(usize, &'static str)> = BTreeSet::new();
    let mut kept = Vec::new();
    'f: for f in findings {
        for (i, s) in sites.iter().enumerate() {
            let names_rule = s.comment.rules.iter().any(|r| rules::lookup(r).is_some_and(|rr| rr.code == f.code));
            if !names_rule {
                continue;
            }
            let rule = rules::by_code(f.code);
            if rule.is_some_and(|r| r.history) {
                continue;
            }
            if f.draft.anchors.iter().any(|a| a.file == s.file && covers(s.text, s.comment.line, a)) {
                used.insert((i, f.code));
                continue 'f;
            }
        }
        kept.push(f);
    }
    let mut audit = Vec::new();
    let Some(level) = hl014 else { return (kept, audit) };
    let Some(rule) = rules::by_code("HL014") else { return (kept, audit) };
    for (i, s) in sites.iter().enumerate() {
        let loc = s.comment.loc;
        let mut push = |message: String, help: String, key: String| {
            let mut d = Draft::new(message);
            d.primary(loc, "this allow");
            d.help = Some(help);
            d.key = key;
            audit.push(d.stamp(rule, level));
        };
        if s.comment.reason.is_none() {
            push(
                "inline allow has no reason".into(),
                "say why after `--`: `// hotlint: allow(actor-without-migration) -- state is a cache rebuilt in pre_start`".into(),
                format!("allow-no-reason:{}", s.comment.rules.join(",")),
            );
        }
        for r in &s.comment.rules {
            match rules::lookup(r) {
                None => push(format!("inline allow names unknown rule `{r}`"), "`cargo hotlint rules` lists the rules by code and name".into(), format!("allow-unknown:{r}")),
                Some(rr) if rr.history => push(
                    format!("rule {} ({}) compares revisions and cannot be allowed inline", rr.code, rr.name),
                    "accept one change through a baseline (`--write-baseline`) or `cargo hotlint lock --accept CODE:TYPE -- reason`".into(),
                    format!("allow-history:{}", rr.code),
                ),
                Some(rr) if !used.contains(&(i, rr.code)) && rule_ran(rr) => push(
                    format!("inline allow of `{}` matches no finding", rr.name),
                    "remove it, or move it to the line above the item it should cover".into(),
                    format!("allow-unused:{}", rr.code),
                ),
                Some(_) => {}
            }
        }
    }
    (kept, audit)
}

/// Final order: (file, line, column, code, fingerprint); findings without a file come last.
pub fn sort(findings: &mut [Finding], path_of: &dyn Fn(u32) -> String) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            let (file, line, col) = match &f.draft.primary {
                Some((l, _)) => (Some(path_of(l.file)), l.line, l.col),
                None => (None, 0, 0),
            };
            (file.is_none(), file, line, col, f.code, f.fingerprint.clone())
        };
        key(a).cmp(&key(b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_covers_item_below_through_comments() {
        let text = "// hotlint: allow(x) -- y\n// more\n#[derive(Debug)]\nstruct S;\n";
        let a = Anchor { file: 0, first_line: 3, header_line: 4 };
        assert!(covers(text, 1, &a));
        let text2 = "// hotlint: allow(x) -- y\nfn f() {}\nstruct S;\n";
        let b = Anchor { file: 0, first_line: 3, header_line: 3 };
        assert!(!covers(text2, 1, &b));
    }

    #[test]
    fn fingerprint_is_stable() {
        assert_eq!(fingerprint("HL001", "a::B", "k"), fingerprint("HL001", "a::B", "k"));
        assert_ne!(fingerprint("HL001", "a::B", "k"), fingerprint("HL001", "a::C", "k"));
    }
}
