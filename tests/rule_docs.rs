#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The rule docs are tests (STYLE.md, habit 8).
//!
//! Every `rules/HLnnn-name.md` carries TOML front matter between `+++` lines and fenced examples:
//! ```text
//! ```rust,bad / ```rust,good                  the whole src/lib.rs of a throwaway crate `demo`
//! ```toml,manifest,bad|good                   the contents of its `[dependencies]` table
//! ```toml,config,bad|good                     its whole hotlint.toml
//! ```rust,bad,before / ```rust,bad,after      history rules: two revisions of src/lib.rs
//! ```rust,good,before / ```rust,good,after
//! ```rust,illustration / ```toml,illustration shown, never run (`examples = "illustration"`)
//! ```toml                                     a configuration snippet: it must be accepted
//! ```
//! Each example becomes a crate in a temporary directory, checked by the real binary with
//! `--format json`. A good example must report nothing at all; a bad example must report its own
//! rule and no other. For a rule that `cargo-hotlint rules --format json` does not list as
//! implemented yet, a bad example is only checked not to fire another rule; the full property
//! is asserted as soon as the registry says `implemented: true`, with no edit here.
//!
//! One test function per rule, generated from one list; a test fails when that list, the
//! registry and the files in `rules/` disagree.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

macro_rules! rule_doc_tests {
    ($($test_name:ident => $code:literal,)*) => {
        $(
            #[test]
            fn $test_name() {
                check_rule_doc($code);
            }
        )*

        /// The codes that have a generated test above, in order.
        const CODES_WITH_A_TEST: &[&str] = &[$($code),*];
    };
}

rule_doc_tests! {
    hl000_parse_failure_doc_examples => "HL000",
    hl001_actor_without_migration_doc_examples => "HL001",
    hl002_state_changed_without_migration_doc_examples => "HL002",
    hl003_migration_gap_doc_examples => "HL003",
    hl004_migration_untested_doc_examples => "HL004",
    hl005_message_changed_incompatibly_doc_examples => "HL005",
    hl006_dependency_actor_without_migration_doc_examples => "HL006",
    hl007_dependency_upgrade_changes_state_doc_examples => "HL007",
    hl008_unsupervised_actor_doc_examples => "HL008",
    hl009_state_not_migratable_doc_examples => "HL009",
    hl010_shipped_migration_edited_doc_examples => "HL010",
    hl011_encoding_ambiguous_doc_examples => "HL011",
    hl012_encoding_unsupported_doc_examples => "HL012",
    hl013_change_unverifiable_doc_examples => "HL013",
    hl014_suppression_unused_doc_examples => "HL014",
}

#[test]
fn every_registered_rule_has_a_doc_test_and_every_doc_a_rule() {
    let registry_codes: Vec<&str> = registry().iter().map(|rule| rule.code.as_str()).collect();
    assert_eq!(CODES_WITH_A_TEST, registry_codes.as_slice(), "the list in tests/rule_docs.rs must follow the registry");

    let mut doc_files: Vec<String> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("HL") && name.ends_with(".md"))
        .collect();
    doc_files.sort();
    let expected_files: Vec<String> = registry().iter().map(|rule| format!("{}-{}.md", rule.code, rule.name)).collect();
    assert_eq!(doc_files, expected_files, "rules/ must hold exactly one `CODE-name.md` per registered rule");
}

#[test]
fn front_matter_agrees_with_the_registry() {
    let mut problems = String::new();
    for rule in registry() {
        let doc = RuleDoc::load(&rule.code);
        let front = &doc.front_matter;
        for key in front.keys() {
            if !["code", "name", "level", "summary", "history", "examples"].contains(&key.as_str()) {
                writeln!(problems, "{}: unknown front matter key `{key}`", doc.file_name).unwrap();
            }
        }
        let expect_str = |key: &str, want: &str, problems: &mut String| match front.get(key).and_then(|v| v.as_str()) {
            Some(got) if got == want => {}
            got => writeln!(problems, "{}: front matter `{key}` is {got:?}, registry says {want:?}", doc.file_name)
                .unwrap(),
        };
        expect_str("code", &rule.code, &mut problems);
        expect_str("name", &rule.name, &mut problems);
        expect_str("level", &rule.default_level, &mut problems);
        expect_str("summary", &rule.summary, &mut problems);
        if front.get("history").and_then(toml::Value::as_bool) != Some(rule.history) {
            writeln!(
                problems,
                "{}: front matter `history` disagrees with the registry ({})",
                doc.file_name, rule.history
            )
            .unwrap();
        }
        if let Some(examples) = front.get("examples") {
            if examples.as_str() != Some("illustration") {
                writeln!(problems, "{}: `examples` may only be \"illustration\", not {examples}", doc.file_name)
                    .unwrap();
            }
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn explain_prints_every_doc_by_code_and_by_name() {
    for rule in registry() {
        let doc = RuleDoc::load(&rule.code);
        let by_code = run_bin(&["explain", &rule.code], None);
        let by_name = run_bin(&["explain", &rule.name], None);
        for (how, output) in [("code", &by_code), ("name", &by_name)] {
            assert_eq!(output.status.code(), Some(0), "explain {} (by {how}) failed: {}", rule.code, stderr_of(output));
            let text = String::from_utf8(output.stdout.clone()).unwrap();
            let first_line = text.lines().next().unwrap_or_default();
            assert!(
                first_line.contains(&rule.code) && first_line.contains(&rule.name),
                "explain {} (by {how}): the first line should name the code and the name, got {first_line:?}",
                rule.code
            );
            assert!(
                text.contains(doc.body.trim()),
                "explain {} (by {how}) does not print the text of {}",
                rule.code,
                doc.file_name
            );
        }
        assert_eq!(by_code.stdout, by_name.stdout, "explain {} by code and by name differ", rule.code);
    }
}

/// The plain ```toml blocks of a doc (its "Configuration" section) are whole hotlint.toml files
/// that a reader will copy: the configuration reader must accept each one.
#[test]
fn configuration_snippets_in_docs_are_accepted() {
    let mut problems = String::new();
    for rule in registry() {
        let doc = RuleDoc::load(&rule.code);
        let base_source = doc
            .block("rust,good")
            .or_else(|| doc.block("rust,good,after"))
            .map_or_else(String::new, |block| block.text.clone());
        let manifest = doc.block("toml,manifest,good").map(|block| block.text.as_str());
        for snippet in doc.blocks.iter().filter(|block| block.info == "toml") {
            let dir = tempfile::tempdir().unwrap();
            write_demo_crate(dir.path(), &base_source, manifest, Some(&snippet.text));
            let output = run_bin(&["check", "--format", "json"], Some(dir.path()));
            if output.status.code() == Some(2) || output.status.code().is_none() {
                writeln!(
                    problems,
                    "{}:{}: configuration snippet rejected: {}",
                    doc.file_name,
                    snippet.line,
                    stderr_of(&output)
                )
                .unwrap();
            }
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

// ---------------------------------------------------------------------------------------------
// The per-rule check.

/// Checks every example of one rule's doc; collects every problem and fails once, listing all.
fn check_rule_doc(code: &str) {
    let rule = registry().iter().find(|rule| rule.code == code).unwrap_or_else(|| panic!("`{code}` is not registered"));
    let doc = RuleDoc::load(code);
    let mut problems = Vec::new();
    doc.check_block_markers(&mut problems);

    if doc.front_matter.get("examples").and_then(toml::Value::as_str) == Some("illustration") {
        check_illustration_doc(&doc, &mut problems);
    } else if rule.history {
        check_history_doc(rule, &doc, &mut problems);
    } else {
        check_single_revision_doc(rule, &doc, &mut problems);
    }

    assert!(problems.is_empty(), "{}:\n  {}", doc.file_name, problems.join("\n  "));
}

/// Illustration docs show code that cannot be run as one crate (a second crate, a dependency
/// upgrade): they must still show it, and must not carry runnable blocks that would be skipped.
fn check_illustration_doc(doc: &RuleDoc, problems: &mut Vec<String>) {
    if !doc.blocks.iter().any(|block| block.tags().contains(&"illustration")) {
        problems.push("`examples = \"illustration\"` but no ```…,illustration block".to_owned());
    }
    for block in &doc.blocks {
        if block.is_runnable() {
            problems.push(format!(
                "line {}: runnable block ```{} in an illustration doc is never run",
                block.line, block.info
            ));
        }
    }
}

fn check_single_revision_doc(rule: &RegistryRule, doc: &RuleDoc, problems: &mut Vec<String>) {
    for block in &doc.blocks {
        if block.tags().iter().any(|tag| *tag == "before" || *tag == "after") {
            problems.push(format!("line {}: ```{} in a doc with `history = false`", block.line, block.info));
        }
        if block.tags().contains(&"illustration") {
            problems.push(format!("line {}: ```{} without `examples = \"illustration\"`", block.line, block.info));
        }
    }
    for polarity in [Polarity::Bad, Polarity::Good] {
        let Some(source) = doc.block(&format!("rust,{polarity}")) else {
            problems.push(format!("no ```rust,{polarity} example"));
            continue;
        };
        let manifest = doc.block(&format!("toml,manifest,{polarity}")).map(|block| block.text.as_str());
        let config = doc.block(&format!("toml,config,{polarity}")).map(|block| block.text.as_str());
        let dir = tempfile::tempdir().unwrap();
        write_demo_crate(dir.path(), &source.text, manifest, config);
        let what = format!("```rust,{polarity} (line {})", source.line);
        match check_json(dir.path(), &[]) {
            Err(problem) => problems.push(format!("{what}: {problem}")),
            Ok(findings) => judge(rule, polarity, &what, &findings, problems),
        }
    }
}

fn check_history_doc(rule: &RegistryRule, doc: &RuleDoc, problems: &mut Vec<String>) {
    for block in &doc.blocks {
        if block.info == "rust,bad" || block.info == "rust,good" {
            problems.push(format!(
                "line {}: ```{} in a history doc: use ```{},before and ```{},after",
                block.line, block.info, block.info, block.info
            ));
        }
    }
    for polarity in [Polarity::Bad, Polarity::Good] {
        let before = doc.block(&format!("rust,{polarity},before"));
        let after = doc.block(&format!("rust,{polarity},after"));
        let (Some(before), Some(after)) = (before, after) else {
            problems.push(format!("needs both ```rust,{polarity},before and ```rust,{polarity},after"));
            continue;
        };
        let manifest = doc.block(&format!("toml,manifest,{polarity}")).map(|block| block.text.as_str());
        let config = doc.block(&format!("toml,config,{polarity}")).map(|block| block.text.as_str());

        // Each revision alone is ordinary code: with no base there is no change to judge, so a
        // good revision reports nothing and a bad one reports no other rule.
        for revision in [before, after] {
            let dir = tempfile::tempdir().unwrap();
            write_demo_crate(dir.path(), &revision.text, manifest, config);
            let what = format!("```{} (line {}) checked alone", revision.info, revision.line);
            match check_json(dir.path(), &[]) {
                Err(problem) => problems.push(format!("{what}: {problem}")),
                Ok(findings) => match polarity {
                    Polarity::Good => expect_no_findings(&what, &findings, problems),
                    Polarity::Bad => expect_no_other_rule(&rule.code, &what, &findings, problems),
                },
            }
        }

        // FIXME: `--base` is not implemented yet. Until the registry says this rule is
        // implemented, the two revisions are not committed and compared; from then on they are,
        // with no edit to this test.
        if rule.implemented {
            let dir = tempfile::tempdir().unwrap();
            write_demo_crate(dir.path(), &before.text, manifest, config);
            git(dir.path(), &["init", "--quiet"]);
            git(dir.path(), &["add", "--all"]);
            git(dir.path(), &["commit", "--quiet", "--message", "before"]);
            write_demo_crate(dir.path(), &after.text, manifest, config);
            let what = format!("```rust,{polarity},before (line {}) → after (line {})", before.line, after.line);
            match check_json(dir.path(), &["--base", "HEAD"]) {
                Err(problem) => problems.push(format!("{what}: {problem}")),
                Ok(findings) => judge(rule, polarity, &what, &findings, problems),
            }
        }
    }
}

/// The property of an example: good reports nothing; bad reports its own rule and no other.
fn judge(rule: &RegistryRule, polarity: Polarity, what: &str, findings: &[Finding], problems: &mut Vec<String>) {
    match polarity {
        Polarity::Good => expect_no_findings(what, findings, problems),
        Polarity::Bad => {
            expect_no_other_rule(&rule.code, what, findings, problems);
            if rule.implemented {
                if !findings.iter().any(|finding| finding.code == rule.code) {
                    problems.push(format!("{what}: expected at least one {} finding, got none", rule.code));
                }
            } else {
                // FIXME: assert the rule fires once implemented. That happens by itself: the
                // branch above runs as soon as `rules --format json` says `implemented: true`.
            }
        }
    }
}

fn expect_no_findings(what: &str, findings: &[Finding], problems: &mut Vec<String>) {
    if !findings.is_empty() {
        problems.push(format!("{what}: a good example must report nothing, got:\n{}", describe(findings)));
    }
}

fn expect_no_other_rule(code: &str, what: &str, findings: &[Finding], problems: &mut Vec<String>) {
    let others: Vec<Finding> = findings.iter().filter(|finding| finding.code != code).cloned().collect();
    if !others.is_empty() {
        problems.push(format!("{what}: a bad example of {code} must fire no other rule, got:\n{}", describe(&others)));
    }
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|finding| {
            format!("      {} {} {}:{}: {}", finding.code, finding.level, finding.file, finding.line, finding.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Docs and their blocks.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Polarity {
    Bad,
    Good,
}

impl std::fmt::Display for Polarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Polarity::Bad => "bad",
            Polarity::Good => "good",
        })
    }
}

struct RuleDoc {
    file_name: String,
    front_matter: toml::Table,
    /// Everything after the closing `+++` line: what `explain` prints.
    body: String,
    blocks: Vec<Block>,
}

struct Block {
    /// The info string after the opening fence, as written (`rust,bad,before`).
    info: String,
    text: String,
    /// 1-based line of the opening fence in the doc.
    line: usize,
}

/// The tagged info strings a doc may use; anything else with a comma is a typo.
const KNOWN_TAGGED_BLOCKS: &[&str] = &[
    "rust,bad",
    "rust,good",
    "rust,bad,before",
    "rust,bad,after",
    "rust,good,before",
    "rust,good,after",
    "toml,manifest,bad",
    "toml,manifest,good",
    "toml,config,bad",
    "toml,config,good",
    "rust,illustration",
    "toml,illustration",
];

impl Block {
    fn tags(&self) -> Vec<&str> {
        self.info.split(',').collect()
    }

    fn is_runnable(&self) -> bool {
        self.info.contains(',') && !self.info.ends_with(",illustration")
    }
}

impl RuleDoc {
    fn load(code: &str) -> RuleDoc {
        let entry = std::fs::read_dir(rules_dir())
            .unwrap()
            .map(|entry| entry.unwrap())
            .find(|entry| entry.file_name().to_string_lossy().starts_with(&format!("{code}-")))
            .unwrap_or_else(|| panic!("no rules/{code}-*.md"));
        let file_name = entry.file_name().into_string().unwrap();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("+++"), "{file_name}: must start with a `+++` line");
        let front: Vec<&str> = lines.by_ref().take_while(|line| *line != "+++").collect();
        let front_matter: toml::Table =
            toml::from_str(&front.join("\n")).unwrap_or_else(|error| panic!("{file_name}: front matter: {error}"));
        let front_matter_lines = front.len() + 2;
        let body: String = text.lines().skip(front_matter_lines).map(|line| format!("{line}\n")).collect();
        let blocks = parse_blocks(&body, front_matter_lines, &file_name);
        RuleDoc { file_name, front_matter, body, blocks }
    }

    /// The one block with this info string (a doc with two is reported by `check_block_markers`).
    fn block(&self, info: &str) -> Option<&Block> {
        self.blocks.iter().find(|block| block.info == info)
    }

    fn check_block_markers(&self, problems: &mut Vec<String>) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for block in &self.blocks {
            if block.info.contains(',') && !KNOWN_TAGGED_BLOCKS.contains(&block.info.as_str()) {
                problems.push(format!("line {}: unknown block marker ```{}", block.line, block.info));
            }
            if block.is_runnable() {
                if let Some(first) = seen.insert(&block.info, block.line) {
                    problems.push(format!(
                        "line {}: a second ```{} (the first is on line {first})",
                        block.line, block.info
                    ));
                }
            }
            if block.info == "toml" && !block.text.starts_with("version = 1") {
                problems.push(format!("line {}: a configuration snippet must start with `version = 1`", block.line));
            }
        }
        for block in &self.blocks {
            if block.info.starts_with("toml,config,") && !block.text.starts_with("version = 1") {
                problems.push(format!("line {}: ```{} must start with `version = 1`", block.line, block.info));
            }
        }
    }
}

/// Splits markdown into fenced blocks. `first_line` is how many lines precede `markdown` in the
/// file, so that block lines are the file's.
fn parse_blocks(markdown: &str, first_line: usize, file_name: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let line_number = first_line + index + 1;
        match open.take() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_owned(), line_number, String::new()));
                }
            }
            Some((info, start, mut text)) => {
                if line.trim_end() == "```" {
                    blocks.push(Block { info, text, line: start });
                } else {
                    text.push_str(line);
                    text.push('\n');
                    open = Some((info, start, text));
                }
            }
        }
    }
    if let Some((info, start, _)) = open {
        panic!("{file_name}:{start}: ```{info} is never closed");
    }
    blocks
}

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

// ---------------------------------------------------------------------------------------------
// The registry, as the binary reports it.

struct RegistryRule {
    code: String,
    name: String,
    default_level: String,
    summary: String,
    history: bool,
    implemented: bool,
}

/// `cargo-hotlint rules --format json`, read once.
fn registry() -> &'static [RegistryRule] {
    static REGISTRY: OnceLock<Vec<RegistryRule>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let output = run_bin(&["rules", "--format", "json"], None);
        assert_eq!(output.status.code(), Some(0), "rules --format json: {}", stderr_of(&output));
        let rules: Value = serde_json::from_slice(&output.stdout).unwrap();
        let field = |rule: &Value, key: &str| {
            rule[key].as_str().unwrap_or_else(|| panic!("rule without `{key}`: {rule}")).to_owned()
        };
        rules
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| RegistryRule {
                code: field(rule, "code"),
                name: field(rule, "name"),
                default_level: field(rule, "default_level"),
                summary: field(rule, "summary"),
                history: rule["history"].as_bool().unwrap(),
                implemented: rule["implemented"].as_bool().unwrap(),
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Running the binary on a throwaway crate.

#[derive(Clone, Debug)]
struct Finding {
    code: String,
    level: String,
    file: String,
    line: u64,
    message: String,
}

/// Writes the crate `demo` of an example: Cargo.toml, src/lib.rs and, when given, hotlint.toml.
/// The empty `[workspace]` keeps cargo from attaching it to an enclosing workspace.
fn write_demo_crate(dir: &Path, lib_rs: &str, dependencies: Option<&str>, config: Option<&str>) {
    let manifest = format!(
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{}\n[workspace]\n",
        dependencies.unwrap_or_default()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib_rs).unwrap();
    let config_path = dir.join("hotlint.toml");
    match config {
        Some(config) => std::fs::write(config_path, config).unwrap(),
        None => {
            if config_path.exists() {
                std::fs::remove_file(config_path).unwrap();
            }
        }
    }
}

/// Runs `check --format json` in `dir`; the findings, or why the run itself is wrong.
fn check_json(dir: &Path, extra_args: &[&str]) -> Result<Vec<Finding>, String> {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra_args);
    let output = run_bin(&args, Some(dir));
    let status = output.status.code();
    if status != Some(0) && status != Some(1) {
        return Err(format!("exit status {status:?}: {}", stderr_of(&output)));
    }
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("stdout is not JSON ({error}): {}", stderr_of(&output)))?;
    let findings: Vec<Finding> = report["findings"]
        .as_array()
        .ok_or("no `findings` array in the JSON output")?
        .iter()
        .map(|finding| Finding {
            code: finding["code"].as_str().unwrap_or_default().to_owned(),
            level: finding["level"].as_str().unwrap_or_default().to_owned(),
            file: finding["file"].as_str().unwrap_or("-").to_owned(),
            line: finding["line"].as_u64().unwrap_or_default(),
            message: finding["message"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    let has_deny = findings.iter().any(|finding| finding.level == "deny");
    if (status == Some(1)) != has_deny {
        return Err(format!("exit status {status:?} but deny findings: {has_deny}\n{}", describe(&findings)));
    }
    Ok(findings)
}

fn run_bin(args: &[&str], dir: Option<&Path>) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).env("CARGO_NET_OFFLINE", "true").env_remove("CARGO_TERM_COLOR").env_remove("NO_COLOR");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().unwrap()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim_end().to_owned()
}

/// Runs git with no user or system configuration, so that the tests do not depend on the machine.
fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=hotlint tests", "-c", "user.email=tests@hotlint.invalid", "-c", "commit.gpgsign=false"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", stderr_of(&output));
}
