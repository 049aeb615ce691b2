#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The example workspaces under `examples/` and the CI configurations under `examples/ci/`,
//! exercised as a user meets them (SPEC.md §7, "Integrations").
//!
//! - Every example directory is its own workspace (`[workspace]`, `publish = false`) with a
//!   `README.md` and a `make-history.sh`; together the examples cover every framework profile.
//! - Every ```` ```console ```` block of an example's README is run, command by command, and what
//!   the real binary prints is compared with what the README shows. The commands a README may use
//!   are `cargo hotlint …` (run as `cargo-hotlint hotlint …`, the way cargo calls it),
//!   `./make-history.sh …`, `cd DIR` and `echo $?`; a path under `/tmp/` stands for a fresh
//!   temporary directory, and the real directory is written back as the README's path in the
//!   output. Lines are compared without trailing whitespace (editors strip it), and nothing else
//!   is normalised: `make-history.sh` fixes commit dates and identities, so commit ids are the
//!   same everywhere. Run with `HOTLINT_BLESS=1` to rewrite the README outputs after a deliberate
//!   change of hotlint's output.
//! - Every `make-history.sh` builds its two-commit history in a temporary directory: the plain
//!   history must make `check --base HEAD~1` exit 1 with the example's deny rule, the
//!   `--migrated` one must exit 0 with no deny finding, and the example directory itself must not
//!   change.
//! - The CI configurations parse as YAML (a dependency-free reader of the block subset they use,
//!   and PyYAML as well when `python3 -c 'import yaml'` works), have the structure the
//!   integration needs (full-history checkout, SARIF upload, plan as job summary, merge request
//!   target as base), and every `cargo-hotlint hotlint …` command they run uses only flags and
//!   format names that the binary's `--help` lists and that its argument parser accepts. Their
//!   scripts then run for real against a history made by `make-history.sh`.
//!
//! Hermetic: no network; git runs without user or system configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

/// The deny rule that each example's plain (not `--migrated`) history must fire.
const HISTORY_RULE: &[(&str, &str)] = &[
    ("actix-sessions", "HL002"),
    ("coerce-wallet", "HL002"),
    ("kameo-inventory", "HL002"),
    ("kameo-remote", "HL005"),
    ("ractor-counter", "HL002"),
    ("revisioned-checkpoint", "HL002"),
    ("riker-thermostat", "HL002"),
    ("xtra-ledger", "HL002"),
];

/// Framework profiles that the examples must cover between them, at least one actor each.
const FRAMEWORKS: &[&str] = &["actix", "coerce", "kameo", "ractor", "riker", "xtra"];

// =============================================================================================
// Harness

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every example workspace: the directories of `examples/` except `ci/`, sorted.
fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "ci")
        .collect();
    names.sort();
    names
}

/// The environment every child process of this file gets: no user or system git
/// configuration, no colours.
fn isolate(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("NO_COLOR", "1")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("CARGO_TERM_COLOR")
}

/// Runs `program args…` in `dir` with standard error merged into standard output, in the order
/// a terminal shows them.
fn run_merged(dir: &Path, program: &str, args: &[String]) -> (i32, String) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("exec \"$0\" \"$@\" 2>&1").arg(program).args(args).current_dir(dir);
    let out = isolate(&mut cmd).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn hotlint(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("hotlint").args(args).current_dir(dir);
    isolate(&mut cmd).output().unwrap()
}

fn make_history(example: &str, dir: &Path, migrated: bool) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(examples_dir().join(example).join("make-history.sh"));
    if migrated {
        cmd.arg("--migrated");
    }
    cmd.arg(dir);
    let out = isolate(&mut cmd).output().unwrap();
    assert!(
        out.status.success(),
        "{example}: make-history.sh{} failed:\n{}",
        if migrated { " --migrated" } else { "" },
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(dir);
    let out = isolate(&mut cmd).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// Every file under `dir` (but `target/`) with its bytes, to show that a script left it alone.
fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "target" {
                    stack.push(path);
                }
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}):\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["level"].as_str().unwrap().to_string()))
        .collect()
}

// =============================================================================================
// Layout

#[test]
fn every_example_is_a_standalone_workspace_with_readme_and_history_script() {
    let names = example_names();
    let listed: BTreeSet<&str> = HISTORY_RULE.iter().map(|(n, _)| *n).collect();
    let found: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(found, listed, "every example needs an entry in HISTORY_RULE, and every entry an example");
    for name in &names {
        let dir = examples_dir().join(name);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let lines: Vec<&str> = manifest.lines().map(str::trim).collect();
        assert!(lines.contains(&"[workspace]"), "{name}: Cargo.toml needs an empty `[workspace]` table");
        assert!(lines.contains(&"publish = false"), "{name}: Cargo.toml needs `publish = false`");
        assert!(dir.join("src").is_dir(), "{name}: no src/");
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(readme.contains("```console"), "{name}: README.md shows no command");
        let script = std::fs::read_to_string(dir.join("make-history.sh")).unwrap();
        assert!(script.starts_with("#!/usr/bin/env bash\n"), "{name}: make-history.sh is not a bash script");
        assert!(script.contains("\nset -euo pipefail\n"), "{name}: make-history.sh needs `set -euo pipefail`");
        assert!(readme.contains("./make-history.sh"), "{name}: README.md does not run make-history.sh");
        assert!(readme.contains("./make-history.sh --migrated"), "{name}: README.md does not show --migrated");
    }
    let index = std::fs::read_to_string(examples_dir().join("README.md")).unwrap();
    for name in names.iter().map(String::as_str).chain(["ci"]) {
        assert!(index.contains(&format!("]({name}/)")), "examples/README.md does not link {name}/");
    }
}

#[test]
fn examples_cover_every_framework_a_remote_actor_and_the_migration_conventions() {
    let mut frameworks = BTreeSet::new();
    let mut conventions = BTreeSet::new();
    let mut remote = false;
    for name in example_names() {
        let out = hotlint(&examples_dir().join(&name), &["check", "--format", "json"]);
        assert!(out.status.code().unwrap() < 2, "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let report = json_of(&out);
        for actor in report["actors"].as_array().unwrap() {
            frameworks.insert(actor["framework"].as_str().unwrap().to_string());
            remote |= actor["remote"] == Value::Bool(true);
        }
        for tracked in report["tracked"].as_array().unwrap() {
            if let Some(c) = tracked["migration"]["convention"].as_str() {
                conventions.insert(c.to_string());
            }
        }
        // No example hides a broken parse.
        assert!(!findings(&report).iter().any(|(code, _)| code == "HL000"), "{name}: HL000");
    }
    for f in FRAMEWORKS {
        assert!(frameworks.contains(*f), "no example has a {f} actor (found {frameworks:?})");
    }
    assert!(remote, "no example has a remote actor");
    for c in ["hotlint", "revision", "versioned-enum"] {
        assert!(conventions.contains(c), "no example uses the {c} migration convention (found {conventions:?})");
    }
}

// =============================================================================================
// READMEs: run what they show, compare with what they print

/// One `$ command` line of a README console block, and the output lines shown after it.
struct Step {
    command: String,
    /// Index in the README's lines of the first output line, and the number of output lines.
    output_at: usize,
    output_len: usize,
}

/// The console blocks of a README, as lists of steps.
fn console_blocks(lines: &[&str]) -> Vec<Vec<Step>> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "```console" {
            i += 1;
            continue;
        }
        i += 1;
        let mut steps: Vec<Step> = Vec::new();
        while i < lines.len() && lines[i].trim_end() != "```" {
            if let Some(command) = lines[i].strip_prefix("$ ") {
                steps.push(Step { command: command.trim().to_string(), output_at: i + 1, output_len: 0 });
            } else {
                let step = steps.last_mut().unwrap_or_else(|| panic!("output before any `$ ` line: {}", lines[i]));
                step.output_len += 1;
            }
            i += 1;
        }
        assert!(i < lines.len(), "unclosed console block");
        blocks.push(steps);
        i += 1;
    }
    blocks
}

fn normalise(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// Runs the steps of one console block from the example directory; returns each step's output.
fn run_block(example: &str, steps: &[Step], tmp: &Path) -> Vec<String> {
    let home = examples_dir().join(example);
    let mut cwd = home.clone();
    let mut status = 0;
    // README path → real temporary path.
    let mut paths: BTreeMap<String, PathBuf> = BTreeMap::new();
    let map_arg = |paths: &mut BTreeMap<String, PathBuf>, arg: &str| -> String {
        if arg.starts_with("/tmp/") {
            let real = paths.entry(arg.to_string()).or_insert_with(|| tmp.join(arg.trim_start_matches("/tmp/")));
            real.to_string_lossy().into_owned()
        } else {
            arg.to_string()
        }
    };
    let mut outputs = Vec::new();
    for step in steps {
        let words: Vec<&str> = step.command.split_whitespace().collect();
        let output = match words.as_slice() {
            ["cargo", "hotlint", rest @ ..] => {
                let mut args = vec!["hotlint".to_string()];
                args.extend(rest.iter().map(|a| map_arg(&mut paths, a)));
                let (code, out) = run_merged(&cwd, BIN, &args);
                status = code;
                out
            }
            ["./make-history.sh", rest @ ..] => {
                let mut args = vec![home.join("make-history.sh").to_string_lossy().into_owned()];
                args.extend(rest.iter().map(|a| map_arg(&mut paths, a)));
                let (code, out) = run_merged(&cwd, "bash", &args);
                status = code;
                out
            }
            ["cd", dir] => {
                cwd = PathBuf::from(map_arg(&mut paths, dir));
                String::new()
            }
            ["echo", "$?"] => format!("{status}\n"),
            _ => panic!("{example}/README.md: unsupported command in a console block: `{}`", step.command),
        };
        // Write the README's paths back over the real ones.
        let mut output = output;
        let mut by_length: Vec<(&String, &PathBuf)> = paths.iter().collect();
        by_length.sort_by_key(|(_, real)| std::cmp::Reverse(real.as_os_str().len()));
        for (shown, real) in by_length {
            output = output.replace(&*real.to_string_lossy(), shown);
        }
        outputs.push(output);
    }
    outputs
}

#[test]
fn readme_commands_print_what_the_readmes_show() {
    let bless = std::env::var_os("HOTLINT_BLESS").is_some_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for name in example_names().into_iter().chain(["ci".to_string()]) {
        let path = examples_dir().join(&name).join("README.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Output replacements, by first line index: (number of lines replaced, new lines).
        let mut replace: BTreeMap<usize, (usize, Vec<String>)> = BTreeMap::new();
        for steps in console_blocks(&lines) {
            let tmp = TempDir::new().unwrap();
            let outputs = run_block(&name, &steps, tmp.path());
            for (step, output) in steps.iter().zip(outputs) {
                let shown: Vec<String> = normalise(&lines[step.output_at..step.output_at + step.output_len].join("\n"));
                let actual = normalise(&output);
                if shown != actual {
                    mismatches.push(format!(
                        "examples/{name}/README.md, `$ {}` (line {}):\n--- README\n{}\n--- actual\n{}\n",
                        step.command,
                        step.output_at,
                        shown.join("\n"),
                        actual.join("\n")
                    ));
                    replace.insert(step.output_at, (step.output_len, actual));
                }
            }
        }
        if bless && !replace.is_empty() {
            let mut out: Vec<String> = Vec::new();
            let mut i = 0;
            while i < lines.len() {
                if let Some((len, new)) = replace.get(&i) {
                    out.extend(new.iter().cloned());
                    if *len > 0 {
                        i += len;
                        continue;
                    }
                }
                out.push(lines[i].to_string());
                i += 1;
            }
            std::fs::write(&path, out.join("\n") + "\n").unwrap();
        }
    }
    if bless {
        return;
    }
    assert!(
        mismatches.is_empty(),
        "{} README output(s) differ from what the commands print (HOTLINT_BLESS=1 rewrites them):\n\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

// =============================================================================================
// make-history.sh: the bad change fires its deny rule, the migrated one nothing at deny

#[test]
fn make_history_bad_change_fires_and_migrated_change_is_clean() {
    for (name, rule) in HISTORY_RULE {
        let home = examples_dir().join(name);
        let before = snapshot_tree(&home);
        for migrated in [false, true] {
            let tmp = TempDir::new().unwrap();
            let repo = tmp.path().join("history");
            make_history(name, &repo, migrated);
            assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "2", "{name}: two commits expected");
            assert_eq!(git(&repo, &["status", "--porcelain"]), "", "{name}: the history leaves a clean tree");
            let out = hotlint(&repo, &["check", "--base", "HEAD~1", "--format", "json"]);
            let report = json_of(&out);
            let found = findings(&report);
            let deny: Vec<&(String, String)> = found.iter().filter(|(_, level)| level == "deny").collect();
            if migrated {
                assert_eq!(out.status.code(), Some(0), "{name} --migrated: exit status, findings {found:?}");
                assert!(deny.is_empty(), "{name} --migrated: deny findings {deny:?}");
            } else {
                assert_eq!(out.status.code(), Some(1), "{name}: exit status, findings {found:?}");
                assert!(deny.iter().any(|(code, _)| code == rule), "{name}: no deny {rule} among {found:?}");
            }
            // The base the run used is version 1, the parent commit.
            assert_eq!(report["base"].as_str(), Some(git(&repo, &["rev-parse", "HEAD~1"]).as_str()), "{name}");
        }
        assert!(before == snapshot_tree(&home), "{name}: make-history.sh changed the example directory");
    }
}

/// A coerce persistent actor's state is not dropped on upgrade: coerce rebuilds it from the
/// snapshots and journal events registered in `configure`, which hotlint tracks (HL002 guards
/// them; here the snapshot is even a versioned enum). SPEC §1 "Tracked type": only actor state
/// that is *not* tracked "lives and dies with its process", is planned as "state dropped and
/// rebuilt", and gets HL001 ("the actor has no way to carry its state across an upgrade").
///
/// FIXME(src): fails today: `Wallet` gets HL001 (whose note says the journal and snapshot types
/// "carry no version", though `WalletSnapshot` declares one, and whose help proposes
/// `ephemeral` or a `STATE_VERSION` on the actor), and `plan` says "state dropped and rebuilt
/// (no migration)". Once fixed, `HOTLINT_BLESS=1` updates examples/coerce-wallet/README.md.
#[test]
fn coerce_persistent_actor_state_is_recovered_not_dropped() {
    let out = hotlint(&examples_dir().join("coerce-wallet"), &["check", "--format", "json"]);
    let found = findings(&json_of(&out));
    assert!(!found.iter().any(|(code, _)| code == "HL001"), "HL001 on a persistent actor: {found:?}");

    let tmp = TempDir::new().unwrap();
    let repo = tmp.path().join("history");
    make_history("coerce-wallet", &repo, true);
    let plan = json_of(&hotlint(&repo, &["plan", "--base", "HEAD~1", "--format", "json"]));
    let wallet = plan["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "actor" && e["item"] == "coerce_wallet::wallet::Wallet")
        .expect("no plan entry for the wallet actor");
    let verdict = wallet["verdict"].as_str().unwrap();
    assert!(!verdict.contains("dropped"), "plan for a persistent actor: {verdict}");
}

#[test]
fn make_history_refuses_a_directory_that_is_not_empty_or_inside_the_example() {
    let tmp = TempDir::new().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), "keep me").unwrap();
    for (name, _) in HISTORY_RULE {
        let mut cmd = Command::new("bash");
        cmd.arg(examples_dir().join(name).join("make-history.sh")).arg(tmp.path());
        let out = isolate(&mut cmd).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"), "{name}");
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    assert!(!tmp.path().join(".git").exists());

    // Nor will it write inside the example, even into a directory that does not exist yet.
    for (name, _) in HISTORY_RULE {
        let inside = examples_dir().join(name).join("history");
        let mut cmd = Command::new("bash");
        cmd.arg(examples_dir().join(name).join("make-history.sh")).arg(&inside);
        let out = isolate(&mut cmd).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!inside.exists(), "{name}: make-history.sh created {}", inside.display());
    }
}

// =============================================================================================
// CI configurations

/// A YAML value of the block subset the CI files use: block mappings and sequences, plain,
/// single- and double-quoted scalars, `|` and `>` block scalars, comments. Anything else
/// (flow collections, anchors, tags, multi-document streams) is rejected, so a file that this
/// reader accepts is YAML with the meaning this reader gives it.
#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Null,
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    fn seq(&self) -> &[Yaml] {
        match self {
            Yaml::Seq(items) => items,
            _ => &[],
        }
    }

    fn entries(&self) -> &[(String, Yaml)] {
        match self {
            Yaml::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Every string below this value.
    fn strings(&self) -> Vec<&str> {
        match self {
            Yaml::Null => vec![],
            Yaml::Str(s) => vec![s.as_str()],
            Yaml::Seq(items) => items.iter().flat_map(Yaml::strings).collect(),
            Yaml::Map(entries) => entries.iter().flat_map(|(_, v)| v.strings()).collect(),
        }
    }
}

struct YamlReader<'a> {
    lines: Vec<&'a str>,
    /// Replacement text for a line whose start was consumed (`- key: value` → `key: value`).
    shifted: BTreeMap<usize, (usize, &'a str)>,
    pos: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The line without a trailing ` # comment` (outside quotes).
fn strip_comment(text: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || bytes[i - 1] == b' ') => return text[..i].trim_end(),
            _ => {}
        }
    }
    text.trim_end()
}

fn scalar(text: &str, line: usize) -> Result<Yaml, String> {
    let text = strip_comment(text);
    if text.is_empty() {
        return Ok(Yaml::Null);
    }
    let first = text.chars().next().unwrap_or(' ');
    if "[{&*!|>%@`".contains(first) {
        return Err(format!("line {line}: `{text}` is outside the YAML subset this reader accepts"));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'').ok_or(format!("line {line}: unclosed single quote"))?;
        return Ok(Yaml::Str(inner.replace("''", "'")));
    }
    if let Some(inner) = text.strip_prefix('"') {
        let inner = inner.strip_suffix('"').ok_or(format!("line {line}: unclosed double quote"))?;
        if inner.contains('\\') {
            return Err(format!("line {line}: escapes in double quotes are outside the subset"));
        }
        return Ok(Yaml::Str(inner.to_string()));
    }
    if text.contains(": ") || text.ends_with(':') {
        return Err(format!("line {line}: a plain scalar cannot contain `: `"));
    }
    Ok(Yaml::Str(text.to_string()))
}

/// Splits `key: rest` at the first `:` that ends the line or is followed by a space.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let (mut single, mut double) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b':' if !single && !double && (i + 1 == bytes.len() || bytes[i + 1] == b' ') => {
                return Some((&text[..i], &text[i + 1..]));
            }
            b'#' if !single && !double && i > 0 && bytes[i - 1] == b' ' => return None,
            _ => {}
        }
    }
    None
}

impl<'a> YamlReader<'a> {
    fn parse(text: &'a str) -> Result<Yaml, String> {
        for (i, line) in text.lines().enumerate() {
            if line.starts_with(' ') && line.trim_start_matches(' ').starts_with('\t') || line.starts_with('\t') {
                return Err(format!("line {}: tab in indentation", i + 1));
            }
            if line.trim_end() == "---" || line.trim_end() == "..." {
                return Err(format!("line {}: document markers are outside the subset", i + 1));
            }
        }
        let mut reader = YamlReader { lines: text.lines().collect(), shifted: BTreeMap::new(), pos: 0 };
        let value = match reader.peek() {
            Some((0, _)) => reader.node(0)?,
            Some((n, _)) => return Err(format!("line {}: the document starts indented by {n}", reader.pos + 1)),
            None => Yaml::Null,
        };
        if let Some((_, text)) = reader.peek() {
            return Err(format!("line {}: unexpected `{text}`", reader.pos + 1));
        }
        Ok(value)
    }

    /// The next line that carries content (not blank, not only a comment): indent and text.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        while self.pos < self.lines.len() {
            let (indent, text) = self.line(self.pos);
            if text.is_empty() || text.starts_with('#') {
                self.pos += 1;
                continue;
            }
            return Some((indent, text));
        }
        None
    }

    fn line(&self, at: usize) -> (usize, &'a str) {
        if let Some(&(indent, text)) = self.shifted.get(&at) {
            return (indent, text);
        }
        let raw = self.lines[at];
        (indent_of(raw), raw.trim().trim_end())
    }

    fn node(&mut self, indent: usize) -> Result<Yaml, String> {
        match self.peek() {
            Some((_, text)) if text == "-" || text.starts_with("- ") => self.sequence(indent),
            Some(_) => self.mapping(indent),
            None => Ok(Yaml::Null),
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<Yaml, String> {
        let mut items = Vec::new();
        while let Some((n, text)) = self.peek() {
            if n < indent {
                break;
            }
            if n > indent {
                return Err(format!("line {}: unexpected indentation", self.pos + 1));
            }
            if !(text == "-" || text.starts_with("- ")) {
                break;
            }
            let rest = text[1..].trim_start_matches(' ');
            let column = n + (text.len() - rest.len());
            let line_no = self.pos + 1;
            if rest.is_empty() || rest.starts_with('#') {
                self.pos += 1;
                match self.peek() {
                    Some((m, _)) if m > indent => items.push(self.node(m)?),
                    _ => items.push(Yaml::Null),
                }
            } else if rest.starts_with("- ") || split_key(rest).is_some() {
                // `- key: value`: a mapping (or sequence) that starts on the dash line.
                self.shifted.insert(self.pos, (column, rest));
                items.push(self.node(column)?);
            } else {
                self.pos += 1;
                items.push(scalar(rest, line_no)?);
            }
        }
        Ok(Yaml::Seq(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Yaml, String> {
        let mut entries: Vec<(String, Yaml)> = Vec::new();
        while let Some((n, text)) = self.peek() {
            if n < indent {
                break;
            }
            let line_no = self.pos + 1;
            if n > indent {
                return Err(format!("line {line_no}: unexpected indentation"));
            }
            if text.starts_with("- ") || text == "-" {
                break;
            }
            let (key, rest) =
                split_key(text).ok_or(format!("line {line_no}: expected `key: value`, found `{text}`"))?;
            let key = match scalar(key, line_no)? {
                Yaml::Str(k) => k,
                _ => return Err(format!("line {line_no}: empty key")),
            };
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(format!("line {line_no}: duplicate key `{key}`"));
            }
            self.pos += 1;
            let rest = strip_comment(rest.trim_start());
            let value = if rest.starts_with('|') || rest.starts_with('>') {
                self.block_scalar(indent, rest, line_no)?
            } else if rest.is_empty() {
                match self.peek() {
                    Some((m, _)) if m > indent => self.node(m)?,
                    // A sequence may sit at the key's own indentation.
                    Some((m, t)) if m == indent && (t == "-" || t.starts_with("- ")) => self.sequence(m)?,
                    _ => Yaml::Null,
                }
            } else {
                scalar(rest, line_no)?
            };
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }

    /// `|` keeps line breaks, `>` folds them; `-` strips the final newline.
    fn block_scalar(&mut self, indent: usize, header: &str, line_no: usize) -> Result<Yaml, String> {
        if !matches!(header, "|" | "|-" | ">" | ">-") {
            return Err(format!("line {line_no}: block scalar header `{header}` is outside the subset"));
        }
        let mut body: Vec<&str> = Vec::new();
        let mut content_indent = None;
        while self.pos < self.lines.len() {
            let raw = self.lines[self.pos];
            if raw.trim().is_empty() {
                body.push("");
                self.pos += 1;
                continue;
            }
            let n = indent_of(raw);
            if n <= indent {
                break;
            }
            let ci = *content_indent.get_or_insert(n);
            if n < ci {
                return Err(format!("line {}: block scalar line less indented than its first", self.pos + 1));
            }
            body.push(&raw[ci..]);
            self.pos += 1;
        }
        while body.last() == Some(&"") {
            body.pop();
        }
        let joined = if header.starts_with('|') { body.join("\n") } else { body.join(" ") };
        Ok(Yaml::Str(if header.ends_with('-') { joined } else { joined + "\n" }))
    }
}

fn read_ci(file: &str) -> (String, Yaml) {
    let path = examples_dir().join("ci").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let yaml = YamlReader::parse(&text).unwrap_or_else(|e| panic!("examples/ci/{file}: {e}"));
    (text, yaml)
}

#[test]
fn yaml_reader_reads_the_subset_and_rejects_the_rest() {
    let doc = "a: 1 # one\nb:\n  - x\n  - k: v\n    l: 'w # not a comment'\nc: |\n  line 1\n\n  line 2\nd:\n- y\n";
    let expected = Yaml::Map(vec![
        ("a".into(), Yaml::Str("1".into())),
        (
            "b".into(),
            Yaml::Seq(vec![
                Yaml::Str("x".into()),
                Yaml::Map(vec![
                    ("k".into(), Yaml::Str("v".into())),
                    ("l".into(), Yaml::Str("w # not a comment".into())),
                ]),
            ]),
        ),
        ("c".into(), Yaml::Str("line 1\n\nline 2\n".into())),
        ("d".into(), Yaml::Seq(vec![Yaml::Str("y".into())])),
    ]);
    assert_eq!(YamlReader::parse(doc).unwrap(), expected);
    for bad in ["a: [1, 2]\n", "a: 1\na: 2\n", "a:\n\t- x\n", "a: 1\n   b: 2\n", "a: b: c\n", "- x\ny: 1\n"] {
        assert!(YamlReader::parse(bad).is_err(), "accepted {bad:?}");
    }
}

/// PyYAML, when this machine has it, must read the file too (it is not a dependency: the
/// reader above is the check that always runs).
fn pyyaml_accepts(path: &Path) -> Option<bool> {
    let probe = Command::new("python3").args(["-c", "import yaml"]).output().ok()?;
    if !probe.status.success() {
        return None;
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(0 if isinstance(d, dict) else 1)",
        ])
        .arg(path)
        .output()
        .ok()?;
    Some(out.status.success())
}

/// The shell commands of a CI file: GitHub steps' `run`, GitLab jobs' `before_script`, `script`
/// and `after_script`, each with the name of its step or job.
fn ci_scripts(yaml: &Yaml) -> Vec<(String, String)> {
    let mut scripts = Vec::new();
    if let Some(jobs) = yaml.get("jobs") {
        for (job, def) in jobs.entries() {
            for step in def.get("steps").map(Yaml::seq).unwrap_or_default() {
                if let Some(run) = step.get("run").and_then(Yaml::str) {
                    let name = step.get("name").and_then(Yaml::str).unwrap_or(job);
                    scripts.push((name.to_string(), run.to_string()));
                }
            }
        }
    }
    for (job, def) in yaml.entries() {
        for key in ["before_script", "script", "after_script"] {
            for line in def.get(key).map(Yaml::seq).unwrap_or_default() {
                scripts.push((format!("{job}.{key}"), line.str().unwrap_or_default().to_string()));
            }
        }
    }
    scripts
}

/// The `cargo-hotlint hotlint …` invocations in a script, as argument lists (after `hotlint`),
/// with shell quotes removed and redirections dropped.
fn hotlint_invocations(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some(at) = line.find("cargo-hotlint hotlint ") else { continue };
        let mut args = Vec::new();
        for word in line[at + "cargo-hotlint hotlint ".len()..].split_whitespace() {
            if word.starts_with('>') || word.starts_with('|') || word.starts_with('&') || word == ";" || word == "2>&1"
            {
                break;
            }
            args.push(word.trim_matches(|c| c == '"' || c == '\'').to_string());
        }
        found.push(args);
    }
    found
}

/// `cargo-hotlint hotlint SUB --help`, whitespace collapsed (clap wraps to the terminal).
fn help_of(sub: &str) -> String {
    let out = hotlint(Path::new(env!("CARGO_MANIFEST_DIR")), &[sub, "--help"]);
    assert!(out.status.success(), "{sub} --help failed");
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The format names `--format` lists as possible values in a help text.
fn format_names(help: &str) -> BTreeSet<String> {
    let at = help.find("--format <FORMAT>").expect("--format is not in the help");
    let rest = &help[at..];
    let list =
        rest.find("[possible values: ").map(|i| &rest[i + "[possible values: ".len()..]).expect("no format list");
    let list = &list[..list.find(']').unwrap()];
    list.split(',').map(|s| s.trim().to_string()).collect()
}

/// Checks one CI command against the binary: the subcommand exists, every flag is in its
/// `--help`, a `--format` value is one it lists, and clap accepts the whole command line (the
/// line with `--help` appended exits 0 instead of reporting a usage error).
fn check_invocation(file: &str, args: &[String]) {
    let sub = args.first().unwrap_or_else(|| panic!("{file}: `cargo-hotlint hotlint` without a subcommand"));
    assert!(["check", "plan"].contains(&sub.as_str()), "{file}: unexpected subcommand `{sub}`");
    let help = help_of(sub);
    let formats = format_names(&help);
    for (i, arg) in args.iter().enumerate().skip(1) {
        if !arg.starts_with('-') {
            continue;
        }
        let flag = arg.split('=').next().unwrap();
        let listed = help.split([' ', ',']).any(|w| w == flag);
        assert!(listed, "{file}: `{sub} {flag}` is not in `cargo-hotlint hotlint {sub} --help`");
        if flag == "--format" {
            let value = args.get(i + 1).unwrap();
            assert!(formats.contains(value), "{file}: format `{value}` is not one of {formats:?}");
        }
    }
    let mut with_help: Vec<&str> = args.iter().map(String::as_str).collect();
    with_help.push("--help");
    let out = hotlint(Path::new(env!("CARGO_MANIFEST_DIR")), &with_help);
    assert!(
        out.status.success(),
        "{file}: clap rejects `{}`: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value following `flag` in an argument list.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map(String::as_str)
}

#[test]
fn github_actions_workflow_gates_pull_requests() {
    let (text, yaml) = read_ci("github-actions.yml");
    if let Some(ok) = pyyaml_accepts(&examples_dir().join("ci/github-actions.yml")) {
        assert!(ok, "PyYAML rejects github-actions.yml");
    }
    assert!(yaml.get("on").and_then(|on| on.get("pull_request")).is_some(), "not triggered by pull_request");
    let permissions = yaml.get("permissions").expect("no permissions");
    assert_eq!(permissions.get("security-events").and_then(Yaml::str), Some("write"), "upload-sarif needs it");
    let (_, job) = yaml.get("jobs").unwrap().entries().first().expect("no job").clone();
    let steps = job.get("steps").map(Yaml::seq).unwrap_or_default();
    let uses = |prefix: &str| {
        steps
            .iter()
            .find(|s| s.get("uses").and_then(Yaml::str).is_some_and(|u| u.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no step uses {prefix}"))
    };
    let checkout = uses("actions/checkout@");
    assert_eq!(checkout.get("with").and_then(|w| w.get("fetch-depth")).and_then(Yaml::str), Some("0"));
    let upload = uses("github/codeql-action/upload-sarif@");
    let sarif_file = upload.get("with").and_then(|w| w.get("sarif_file")).and_then(Yaml::str).unwrap();

    // The base is the pull request's target branch, through the job's environment.
    let base_env = job.get("env").and_then(|e| e.get("HOTLINT_BASE")).and_then(Yaml::str).unwrap();
    assert_eq!(base_env, "origin/${{ github.base_ref }}");

    let scripts = ci_scripts(&yaml);
    let mut check = None;
    let mut plan = None;
    for (step, script) in &scripts {
        for args in hotlint_invocations(script) {
            check_invocation("github-actions.yml", &args);
            match args[0].as_str() {
                "check" => check = Some((step.clone(), args)),
                "plan" => plan = Some((step.clone(), script.clone(), args)),
                _ => {}
            }
        }
    }
    let (check_step, check) = check.expect("the workflow runs no `check`");
    assert_eq!(flag_value(&check, "--base"), Some("$HOTLINT_BASE"));
    assert_eq!(flag_value(&check, "--format"), Some("sarif"));
    assert_eq!(flag_value(&check, "--output"), Some(sarif_file), "the uploaded file is not the one written");
    let (_, plan_script, plan) = plan.expect("the workflow runs no `plan`");
    assert_eq!(flag_value(&plan, "--base"), Some("$HOTLINT_BASE"));
    assert!(plan_script.contains(">> \"$GITHUB_STEP_SUMMARY\""), "the plan is not the job summary");
    // Exit 1 fails the job after the upload, in a step conditioned on the check's status.
    let check_id = steps
        .iter()
        .find(|s| s.get("name").and_then(Yaml::str) == Some(check_step.as_str()))
        .and_then(|s| s.get("id"))
        .and_then(Yaml::str)
        .unwrap();
    assert!(steps.iter().any(|s| {
        s.get("if").and_then(Yaml::str).is_some_and(|c| c.contains(&format!("steps.{check_id}.outputs.status")))
            && s.get("run").and_then(Yaml::str).is_some_and(|r| r.contains("exit 1"))
    }));
    assert!(text.contains("cargo install --locked"), "the workflow does not say how hotlint is installed");
}

#[test]
fn gitlab_ci_job_gates_merge_requests() {
    let (_, yaml) = read_ci("gitlab-ci.yml");
    if let Some(ok) = pyyaml_accepts(&examples_dir().join("ci/gitlab-ci.yml")) {
        assert!(ok, "PyYAML rejects gitlab-ci.yml");
    }
    let (name, job) = yaml.entries().iter().find(|(_, j)| j.get("script").is_some()).expect("no job with a script");
    let variables = job.get("variables").expect("no variables");
    assert_eq!(variables.get("GIT_DEPTH").and_then(Yaml::str), Some("0"), "{name}: no full-history clone");
    let rules: Vec<&str> = job.get("rules").map(Yaml::strings).unwrap_or_default();
    assert!(rules.iter().any(|r| r.contains("merge_request_event")), "{name}: not a merge request job");
    let artifacts = job.get("artifacts").expect("no artifacts");
    assert_eq!(artifacts.get("when").and_then(Yaml::str), Some("always"), "reports are lost when the job fails");
    let paths: Vec<&str> = artifacts.get("paths").map(Yaml::strings).unwrap_or_default();

    let mut seen = BTreeSet::new();
    for (_, script) in ci_scripts(&yaml) {
        for args in hotlint_invocations(&script) {
            check_invocation("gitlab-ci.yml", &args);
            assert_eq!(flag_value(&args, "--base"), Some("origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"));
            if let Some(output) = flag_value(&args, "--output") {
                assert!(paths.contains(&output), "{output} is not kept as an artifact");
            }
            seen.insert(args[0].clone());
        }
    }
    assert!(seen.contains("check") && seen.contains("plan"), "the job runs {seen:?}");
}

/// A history as CI sees a pull request: `origin/main` is version 1 (the target branch), `HEAD`
/// is version 2 on a branch.
fn pull_request_repo(tmp: &Path, migrated: bool) -> PathBuf {
    let repo = tmp.join("repo");
    make_history("ractor-counter", &repo, migrated);
    git(&repo, &["update-ref", "refs/remotes/origin/main", "HEAD~1"]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    repo
}

/// Runs a CI script with bash in `dir`, the binary's directory first on `PATH`.
fn run_script(dir: &Path, script: &str, env: &[(&str, &Path)], vars: &[(&str, &str)]) -> (i32, String) {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("bash");
    cmd.args(["-eo", "pipefail", "-c", script]).current_dir(dir).env("PATH", path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = isolate(&mut cmd).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// A build of hotlint without SARIF output says "not implemented" and exits 2. FIXME: once
/// `--format sarif` has landed everywhere, this goes and the SARIF checks always run.
fn sarif_pending(label: &str, status: i32, output: &str) -> bool {
    let pending = status == 2 && output.contains("not implemented");
    if pending {
        eprintln!("{label}: --format sarif is not implemented in this build: {}", output.trim());
    }
    pending
}

/// The SARIF log a check step wrote: version 2.1.0, with a result for `rule`, or with no
/// error-level result when `rule` is `None`.
fn assert_sarif(label: &str, path: &Path, rule: Option<&str>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{label}: no SARIF log: {e}"));
    let log: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(log["version"], "2.1.0", "{label}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    match rule {
        Some(rule) => assert!(results.iter().any(|r| r["ruleId"] == rule), "{label}: no {rule} result"),
        None => assert!(!results.iter().any(|r| r["level"] == "error"), "{label}: error results"),
    }
}

#[test]
fn github_actions_scripts_run_against_a_pull_request() {
    let (_, yaml) = read_ci("github-actions.yml");
    let scripts = ci_scripts(&yaml);
    let script = |name: &str| scripts.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone()).unwrap();
    for migrated in [false, true] {
        let label = if migrated { "github, migrated change" } else { "github, breaking change" };
        let tmp = TempDir::new().unwrap();
        let repo = pull_request_repo(tmp.path(), migrated);
        let summary = tmp.path().join("summary.md");
        let outputs = tmp.path().join("outputs");
        let env = [("GITHUB_STEP_SUMMARY", summary.as_path()), ("GITHUB_OUTPUT", outputs.as_path())];
        let vars = [("HOTLINT_BASE", "origin/main")];

        let (status, output) = run_script(&repo, &script("Upgrade plan"), &env, &vars);
        assert_eq!(status, 0, "{label}: plan step: {output}");
        let plan = std::fs::read_to_string(&summary).unwrap();
        assert!(plan.starts_with("## hotlint upgrade plan"), "{label}: {plan}");
        assert!(plan.contains("`ractor_counter::counter::CounterState`"), "{label}: {plan}");

        let (status, output) = run_script(&repo, &script("hotlint check"), &env, &vars);
        if sarif_pending(label, status, &output) {
            continue;
        }
        // The step passes on findings and records the status; the last step fails the job.
        assert_eq!(status, 0, "{label}: check step: {output}");
        let recorded = std::fs::read_to_string(&outputs).unwrap();
        assert_eq!(recorded.trim(), if migrated { "status=0" } else { "status=1" }, "{label}");
        assert_sarif(label, &repo.join("hotlint.sarif"), if migrated { None } else { Some("HL002") });
    }
}

#[test]
fn gitlab_ci_script_runs_against_a_merge_request() {
    let (_, yaml) = read_ci("gitlab-ci.yml");
    let (_, job) = yaml.entries().iter().find(|(_, j)| j.get("script").is_some()).unwrap();
    let lines: Vec<String> = job.get("script").unwrap().seq().iter().map(|l| l.str().unwrap().to_string()).collect();
    for migrated in [false, true] {
        let label = if migrated { "gitlab, migrated change" } else { "gitlab, breaking change" };
        let tmp = TempDir::new().unwrap();
        let repo = pull_request_repo(tmp.path(), migrated);
        let vars = [("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")];
        // The runner stops at the first failing line, as `bash -e` does.
        let (status, output) = run_script(&repo, &lines.join("\n"), &[], &vars);
        let plan = std::fs::read_to_string(repo.join("hotlint-plan.md")).unwrap();
        assert!(plan.starts_with("## hotlint upgrade plan"), "{label}: {plan}");
        if sarif_pending(label, status, &output) {
            continue;
        }
        assert_eq!(status, if migrated { 0 } else { 1 }, "{label}: {output}");
        assert_sarif(label, &repo.join("hotlint.sarif"), if migrated { None } else { Some("HL002") });
    }
}
