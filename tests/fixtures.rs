#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

//! Fixture workspaces, run through the real binary.
//!
//! Every directory under `tests/fixtures/` is a small workspace (each with its own
//! `[workspace]` table, so cargo does not attach it to ours). The test runs
//! `cargo-hotlint --manifest-path <fixture>/Cargo.toml --format json` on each and compares:
//!
//! - the findings with the inline markers written in the fixture's sources. A marker is a
//!   comment at the end of the line where a finding's primary location must be:
//!   `//~ HL001` (several codes separated by spaces; a code given twice expects two findings).
//!   `//~^ HL014` means "on the previous line" (one `^` per line up), for lines where a marker
//!   would change the meaning of the line itself, such as an inline allow comment. In TOML files
//!   the marker is `#~ CODE` / `#~^ CODE`. Every line without a marker must produce no finding.
//! - the actors with the fixture's `expect.toml`: `[[actor]]` entries with `id`, `framework`,
//!   `state`, `stateless`, `test` and `migration` (a convention name or `"none"`), and optionally
//!   `messages`, `remote` and `ephemeral`. The listed set must be exactly what hotlint lists.
//!   `unlocated = ["HL014", …]` lists the codes of findings that have no file (configuration
//!   entries), once per expected finding.
//!
//! A directory whose name starts with `pending-` holds a case that hotlint gets wrong today. It
//! keeps the *correct* expectation and a FIXME that explains the bug; it is skipped here until
//! the bug is fixed, and then renamed. `HOTLINT_CHECK_PENDING=1 cargo test --test fixtures`
//! checks the pending fixtures too, to see whether a fix makes them pass.
//!
//! The ractor and kameo fixtures also have insta snapshots of their human and JSON output.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");
const PENDING_PREFIX: &str = "pending-";

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

/// Every fixture directory, sorted by name, pending ones included.
fn all_fixtures() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures_root())
        .expect("tests/fixtures exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run_hotlint(fixture: &Path, extra: &[&str]) -> Run {
    let manifest = fixture.join("Cargo.toml");
    let output = Command::new(BIN)
        .arg("--manifest-path")
        .arg(&manifest)
        .args(extra)
        .current_dir(fixture)
        .env_remove("CARGO_TERM_COLOR")
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-hotlint");
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

// ---- expectations ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    actor: Vec<ExpectActor>,
    #[serde(default)]
    unlocated: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectActor {
    id: String,
    framework: String,
    state: String,
    stateless: bool,
    test: bool,
    migration: String,
    messages: Option<Vec<String>>,
    remote: Option<bool>,
    ephemeral: Option<bool>,
}

/// A finding's place: (file relative to the workspace root, line, code).
type Place = (String, u64, String);

/// Source files of a fixture that may carry markers, relative to its root, with `/`.
fn marked_files(root: &Path) -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    walk(&p, root, out);
                }
            } else if name.ends_with(".rs") || (name.ends_with(".toml") && name != "expect.toml") {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, p));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// The markers of one file: `//~ CODE …` (`#~` in TOML), `^` once per line up.
fn markers_in(rel: &str, text: &str) -> Result<Vec<Place>, String> {
    let token = if rel.ends_with(".toml") { "#~" } else { "//~" };
    let mut out = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let Some(pos) = line.find(token) else { continue };
        let rest = &line[pos + token.len()..];
        let ups = rest.chars().take_while(|c| *c == '^').count();
        let codes: Vec<&str> = rest[ups..].split_whitespace().collect();
        let here = idx as u64 + 1;
        if codes.is_empty() {
            return Err(format!("{rel}:{here}: marker without a code"));
        }
        if ups as u64 >= here {
            return Err(format!("{rel}:{here}: marker points above the first line"));
        }
        for code in codes {
            let well_formed =
                code.len() == 5 && code.starts_with("HL") && code[2..].chars().all(|c| c.is_ascii_digit());
            if !well_formed {
                return Err(format!("{rel}:{here}: `{code}` is not a rule code (markers hold codes only)"));
            }
            out.push((rel.to_string(), here - ups as u64, code.to_string()));
        }
    }
    Ok(out)
}

fn expected_places(root: &Path) -> Result<Vec<Place>, String> {
    let mut out = Vec::new();
    for (rel, path) in marked_files(root) {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{rel}: {e}"))?;
        out.extend(markers_in(&rel, &text)?);
    }
    out.sort();
    Ok(out)
}

fn load_expect(root: &Path) -> Result<Expect, String> {
    let path = root.join("expect.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("expect.toml: {e}"))?;
    toml::from_str(&text).map_err(|e| format!("expect.toml: {e}"))
}

// ---- comparison --------------------------------------------------------------------------

/// Multiset difference `a - b`.
fn minus<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let mut counts: BTreeMap<&T, usize> = BTreeMap::new();
    for x in b {
        *counts.entry(x).or_default() += 1;
    }
    let mut out = Vec::new();
    for x in a {
        match counts.get_mut(x) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(x.clone()),
        }
    }
    out
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn compare_findings(json: &Value, expected: &[Place], unlocated: &[String], report: &mut String) {
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    let mut actual: Vec<Place> = Vec::new();
    let mut actual_unlocated: Vec<String> = Vec::new();
    let mut messages: BTreeMap<Place, Vec<String>> = BTreeMap::new();
    let mut unlocated_messages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &findings {
        let code = str_field(f, "code").to_string();
        match f.get("file").and_then(Value::as_str) {
            Some(file) => {
                let place = (file.to_string(), f["line"].as_u64().unwrap_or(0), code);
                messages.entry(place.clone()).or_default().push(str_field(f, "message").to_string());
                actual.push(place);
            }
            None => {
                unlocated_messages.entry(code.clone()).or_default().push(str_field(f, "message").to_string());
                actual_unlocated.push(code);
            }
        }
    }
    actual.sort();
    for (file, line, code) in minus(expected, &actual) {
        let _ = writeln!(
            report,
            "  missing finding    {file}:{line} {code} (a marker asks for it, hotlint did not report it)"
        );
    }
    for place in minus(&actual, expected) {
        let (file, line, code) = &place;
        let msg = messages.get(&place).map(|m| m.join(" | ")).unwrap_or_default();
        let _ = writeln!(report, "  unexpected finding {file}:{line} {code}: {msg}");
    }
    let mut expected_unlocated = unlocated.to_vec();
    expected_unlocated.sort();
    actual_unlocated.sort();
    for code in minus(&expected_unlocated, &actual_unlocated) {
        let _ = writeln!(report, "  missing finding    (no file) {code} (listed in `unlocated`)");
    }
    let unexpected_unlocated = minus(&actual_unlocated, &expected_unlocated);
    if !unexpected_unlocated.is_empty() {
        // Which of the same-coded findings is the extra one is unknowable: show them all.
        for code in unexpected_unlocated.iter().collect::<BTreeSet<_>>() {
            let n = unexpected_unlocated.iter().filter(|c| *c == code).count();
            let all = unlocated_messages.get(code).map(|m| m.join(" | ")).unwrap_or_default();
            let _ = writeln!(report, "  unexpected finding (no file) {code} ×{n}; all {code} without a file: {all}");
        }
    }
}

fn compare_actors(json: &Value, expect: &Expect, report: &mut String) {
    let actual_list = json["actors"].as_array().cloned().unwrap_or_default();
    let mut actual: BTreeMap<String, Value> = BTreeMap::new();
    for a in actual_list {
        let id = str_field(&a, "id").to_string();
        if actual.insert(id.clone(), a).is_some() {
            let _ = writeln!(report, "  actor listed twice: {id}");
        }
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for e in &expect.actor {
        if !seen.insert(&e.id) {
            let _ = writeln!(report, "  expect.toml lists {} twice", e.id);
        }
        let Some(a) = actual.get(&e.id) else {
            let _ = writeln!(report, "  missing actor      {} ({} actor, state `{}`)", e.id, e.framework, e.state);
            continue;
        };
        let where_ = format!("{}:{}", str_field(a, "file"), a["line"].as_u64().unwrap_or(0));
        let mut field = |name: &str, want: String, got: String| {
            if want != got {
                let _ = writeln!(report, "  actor {} ({where_}): {name} expected `{want}`, got `{got}`", e.id);
            }
        };
        field("framework", e.framework.clone(), str_field(a, "framework").to_string());
        field("state", e.state.clone(), str_field(a, "state").to_string());
        field("stateless", e.stateless.to_string(), a["stateless"].to_string());
        field("test", e.test.to_string(), a["test"].to_string());
        let migration = a["migration"].get("convention").and_then(Value::as_str).unwrap_or("none");
        field("migration", e.migration.clone(), migration.to_string());
        if let Some(want) = &e.messages {
            let mut want = want.clone();
            want.sort();
            let mut got: Vec<String> = a["messages"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            got.sort();
            field("messages", format!("{want:?}"), format!("{got:?}"));
        }
        if let Some(want) = e.remote {
            field("remote", want.to_string(), a["remote"].to_string());
        }
        if let Some(want) = e.ephemeral {
            field("ephemeral", want.to_string(), a["ephemeral"].to_string());
        }
    }
    for (id, a) in &actual {
        if !seen.contains(id.as_str()) {
            let _ = writeln!(
                report,
                "  unexpected actor   {id} ({} actor at {}:{}, state `{}`, test {}, migration {})",
                str_field(a, "framework"),
                str_field(a, "file"),
                a["line"].as_u64().unwrap_or(0),
                str_field(a, "state"),
                a["test"],
                a["migration"].get("convention").and_then(Value::as_str).unwrap_or("none"),
            );
        }
    }
}

/// Everything wrong with one fixture, as lines of a report; empty when it passes.
fn check_fixture(root: &Path) -> String {
    let mut report = String::new();
    let expect = match load_expect(root) {
        Ok(e) => e,
        Err(e) => return format!("  {e}\n"),
    };
    let expected = match expected_places(root) {
        Ok(p) => p,
        Err(e) => return format!("  {e}\n"),
    };
    let run = run_hotlint(root, &["--format", "json"]);
    let json: Value = match serde_json::from_str(&run.stdout) {
        Ok(v) => v,
        Err(e) => {
            return format!(
                "  output is not JSON ({e}); exit status {}\n  stdout:\n{}\n  stderr:\n{}\n",
                run.status, run.stdout, run.stderr
            );
        }
    };
    compare_findings(&json, &expected, &expect.unlocated, &mut report);
    compare_actors(&json, &expect, &mut report);

    // The exit status follows the findings' levels.
    let deny = json["findings"].as_array().map_or(0, |f| f.iter().filter(|f| f["level"] == "deny").count());
    let want_status = if deny > 0 { 1 } else { 0 };
    if run.status != want_status {
        let _ =
            writeln!(report, "  exit status {} with {deny} deny finding(s); stderr: {}", run.status, run.stderr.trim());
    }
    // The output does not depend on the number of threads, nor on the run.
    let again = run_hotlint(root, &["--format", "json", "-j", "1"]);
    if again.stdout != run.stdout {
        let _ = writeln!(report, "  the JSON output differs between a default run and `-j 1`");
    }
    if !report.is_empty() && !run.stderr.trim().is_empty() {
        let _ = writeln!(report, "  (stderr: {})", run.stderr.trim());
    }
    report
}

#[test]
fn fixtures_match_their_markers_and_expected_actors() {
    let mut failures = String::new();
    let mut checked = 0;
    let check_pending = std::env::var_os("HOTLINT_CHECK_PENDING").is_some();
    for (name, root) in all_fixtures() {
        if name.starts_with(PENDING_PREFIX) && !check_pending {
            continue;
        }
        checked += 1;
        let report = check_fixture(&root);
        if !report.is_empty() {
            let _ = write!(failures, "\nfixture `{name}`:\n{report}");
        }
    }
    assert!(checked > 0, "no fixture under tests/fixtures");
    assert!(failures.is_empty(), "fixtures disagree with hotlint:{failures}");
}

/// A pending fixture must say what is wrong, so whoever fixes the bug knows what to expect.
#[test]
fn pending_fixtures_explain_their_bug() {
    for (name, root) in all_fixtures() {
        if !name.starts_with(PENDING_PREFIX) {
            continue;
        }
        let explained =
            marked_files(&root).iter().any(|(_, p)| std::fs::read_to_string(p).is_ok_and(|t| t.contains("FIXME")));
        assert!(explained, "pending fixture `{name}` has no FIXME comment explaining its bug");
        assert!(root.join("expect.toml").is_file(), "pending fixture `{name}` has no expect.toml");
    }
}

/// Markers are parsed strictly, so a typo cannot silently expect nothing.
#[test]
fn markers_are_parsed_strictly() {
    let text = "impl A for B { //~ HL001\n// hotlint: allow(x)\n//~^ HL014 HL014\nx //~^^ HL000\n";
    let got = markers_in("src/a.rs", text).unwrap();
    let want: Vec<Place> = vec![
        ("src/a.rs".into(), 1, "HL001".into()),
        ("src/a.rs".into(), 2, "HL014".into()),
        ("src/a.rs".into(), 2, "HL014".into()),
        ("src/a.rs".into(), 2, "HL000".into()),
    ];
    assert_eq!(got, want);
    assert!(markers_in("src/a.rs", "x //~ HL1\n").is_err());
    assert!(markers_in("src/a.rs", "x //~\n").is_err());
    assert!(markers_in("src/a.rs", "//~^ HL001\n").is_err());
    assert_eq!(markers_in("hotlint.toml", "ephemeral = [\"a::B\"] #~ HL014\n").unwrap().len(), 1);
}

fn snapshot(fixture: &str) {
    let root = fixtures_root().join(fixture);
    let human = run_hotlint(&root, &["--color", "never"]);
    insta::assert_snapshot!(format!("{fixture}_human"), human.stdout);
    let json = run_hotlint(&root, &["--format", "json"]);
    insta::assert_snapshot!(format!("{fixture}_json"), json.stdout);
}

#[test]
fn snapshot_ractor() {
    snapshot("ractor");
}

#[test]
fn snapshot_kameo() {
    snapshot("kameo");
}
