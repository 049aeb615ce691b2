#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Revision comparison as a user meets it (SPEC.md §1 "Encoding", verdict table and directions,
//! §2 migration conventions, §3 HL002/HL003/HL005/HL010/HL013, §4 `--base`, `--base-exact`,
//! `--head`, `--staged`): every case builds a real temporary git repository, commits a crate,
//! applies a change (committed, left in the working tree, or staged), runs the real binary with
//! `--format json` and compares the findings the change brought with what the case expects.
//!
//! "The findings a change brought" are the findings of the run with a base minus those of the
//! same head checked without one: single-revision rules (HL001 for an actor without migration,
//! HL004 for an untested migration, …) fire at both and are not the change's.
//!
//! Hermetic: git runs with no global or system configuration (`GIT_CONFIG_GLOBAL=/dev/null`,
//! `GIT_CONFIG_NOSYSTEM=1`), identity given with `-c` on each commit; cargo never touches the
//! network (`cargo metadata --no-deps --offline`, no dependency is downloaded).
//!
//! Cases where hotlint is wrong today live in `pending_*` tests: they assert the current (wrong)
//! behaviour, with a `FIXME` saying what is expected, so the suite passes and documents the bug.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

// =============================================================================================
// Harness: a temporary git repository holding one crate.

struct Repo {
    dir: TempDir,
}

/// A `git` command isolated from the user's configuration.
fn git_command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    if let Some(parent) = dir.parent() {
        c.env("GIT_CEILING_DIRECTORIES", parent);
    }
    c
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

impl Repo {
    /// An empty repository whose default branch is `main`.
    fn new() -> Repo {
        let repo = Repo::plain();
        git_in(repo.path(), &["init", "-q", "-b", "main", "."]);
        repo
    }

    /// A directory that is not a git repository.
    fn plain() -> Repo {
        Repo { dir: tempfile::tempdir().unwrap() }
    }

    /// A shallow clone (`--depth 1`) of `source`, with extra `git clone` arguments.
    fn shallow_clone(source: &Repo, extra: &[&str]) -> Repo {
        let repo = Repo::plain();
        let url = format!("file://{}", source.path().display());
        let mut args = vec!["clone", "-q", "--depth", "1"];
        args.extend_from_slice(extra);
        args.push(&url);
        args.push(".");
        git_in(repo.path(), &args);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) -> &Repo {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    fn remove(&self, rel: &str) {
        let path = self.path().join(rel);
        if path.exists() {
            std::fs::remove_file(path).unwrap();
        }
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// Stage everything and commit it; the new commit's id.
    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        ]);
        self.rev("HEAD")
    }

    fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", rev])
    }

    /// Write a crate: its manifest, `hotlint.toml` (or none) and source files (every other `.rs`
    /// under `src/` is removed, so a file that moved does not linger).
    fn set_crate(&self, krate: &Crate) {
        self.write("Cargo.toml", &krate.manifest());
        if krate.config.is_empty() {
            self.remove("hotlint.toml");
        } else {
            self.write("hotlint.toml", &krate.config);
        }
        for old in rs_files(&self.path().join("src")) {
            let rel = old.strip_prefix(self.path()).unwrap().to_string_lossy().replace('\\', "/");
            if !krate.files.iter().any(|(p, _)| *p == rel) {
                std::fs::remove_file(old).unwrap();
            }
        }
        for (rel, text) in &krate.files {
            self.write(rel, text);
        }
    }

    /// Run the binary here: no colour, no network, no user git configuration.
    fn hotlint(&self, args: &[&str]) -> Run {
        self.hotlint_in("", args)
    }

    /// Run the binary in the directory `sub` of the repository.
    fn hotlint_in(&self, sub: &str, args: &[&str]) -> Run {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.path().join(sub))
            .env("CARGO_NET_OFFLINE", "true")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("CARGO_TERM_COLOR")
            .env_remove("RUST_BACKTRACE")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        if let Some(parent) = self.path().parent() {
            command.env("GIT_CEILING_DIRECTORIES", parent);
        }
        Run::new(args, output_of(&mut command))
    }

    /// `check --format json` with these arguments; asserts that the run was done (exit 0 or 1,
    /// matching whether a deny finding was reported).
    fn check(&self, args: &[&str]) -> Report {
        let mut full = vec!["check", "--format", "json"];
        full.extend_from_slice(args);
        let run = self.hotlint(&full);
        run.report()
    }
}

/// Run a command; retry while the binary cannot be executed for a moment (the target
/// directory is shared: another build may be replacing it, "text file busy").
fn output_of(command: &mut Command) -> Output {
    let mut attempt = 0;
    loop {
        match command.output() {
            Ok(output) => return output,
            Err(e) if attempt < 100 => {
                attempt += 1;
                eprintln!("retrying {BIN}: {e}");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => panic!("cannot run {BIN}: {e}"),
        }
    }
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rs_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn new(args: &[&str], output: Output) -> Run {
        let run = Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
            "{:?} panicked: {}",
            run.args,
            run.stderr
        );
        run
    }

    fn report(self) -> Report {
        let json: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{:?}: not JSON ({e}); exit {:?}; stderr: {}\nstdout: {}",
                self.args, self.code, self.stderr, self.stdout
            )
        });
        let findings: Vec<Found> = json["findings"].as_array().unwrap().iter().map(Found::of).collect();
        let deny = findings.iter().any(|f| f.level == "deny");
        assert_eq!(
            self.code,
            Some(if deny { 1 } else { 0 }),
            "{:?}: exit status must say whether a deny finding was reported; stderr: {}",
            self.args,
            self.stderr
        );
        Report { json, findings }
    }

    /// A run that could not be done: exit 2, nothing on stdout, one line on stderr.
    fn error_line(&self) -> String {
        assert_eq!(
            self.code,
            Some(2),
            "{:?}: expected exit 2; stdout: {}; stderr: {}",
            self.args,
            self.stdout,
            self.stderr
        );
        assert!(self.stdout.is_empty(), "{:?}: nothing on stdout, got {}", self.args, self.stdout);
        let err = self.stderr.trim_end();
        assert_eq!(err.lines().count(), 1, "{:?}: one line on stderr, got:\n{err}", self.args);
        assert!(err.starts_with("error: "), "{:?}: {err}", self.args);
        err.to_string()
    }
}

struct Report {
    json: Value,
    findings: Vec<Found>,
}

impl Report {
    fn base(&self) -> Option<String> {
        self.json["base"].as_str().map(str::to_string)
    }

    fn head(&self) -> String {
        self.json["head"].as_str().unwrap_or_default().to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    code: String,
    level: String,
    message: String,
    help: String,
    file: String,
    line: u64,
}

impl Found {
    fn of(v: &Value) -> Found {
        Found {
            code: v["code"].as_str().unwrap_or_default().to_string(),
            level: v["level"].as_str().unwrap_or_default().to_string(),
            message: v["message"].as_str().unwrap_or_default().to_string(),
            help: v["help"].as_str().unwrap_or_default().to_string(),
            file: v["file"].as_str().unwrap_or_default().to_string(),
            line: v["line"].as_u64().unwrap_or(0),
        }
    }

    fn short(&self) -> String {
        format!("{} {} {}:{} {}", self.code, self.level, self.file, self.line, self.message)
    }
}

/// Findings of `with` that are not in `without` (multiset difference on code, level, message,
/// file and line).
fn new_findings(with: &[Found], without: &[Found]) -> Vec<Found> {
    let key = |f: &Found| (f.code.clone(), f.level.clone(), f.message.clone(), f.file.clone(), f.line);
    let mut left: BTreeMap<_, usize> = BTreeMap::new();
    for f in without {
        *left.entry(key(f)).or_default() += 1;
    }
    let mut out = Vec::new();
    for f in with {
        match left.get_mut(&key(f)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(f.clone()),
        }
    }
    out.sort();
    out
}

// =============================================================================================
// Expectations.

/// One expected finding: code, level, words its message must contain, words its help must
/// contain.
#[derive(Clone, Debug)]
struct Expect {
    code: &'static str,
    level: &'static str,
    words: Vec<&'static str>,
    help: Vec<&'static str>,
}

fn deny(code: &'static str, words: &[&'static str]) -> Expect {
    Expect { code, level: "deny", words: words.to_vec(), help: Vec::new() }
}

fn warn(code: &'static str, words: &[&'static str]) -> Expect {
    Expect { code, level: "warn", words: words.to_vec(), help: Vec::new() }
}

impl Expect {
    fn help(mut self, words: &[&'static str]) -> Expect {
        self.help = words.to_vec();
        self
    }

    fn matches(&self, f: &Found) -> bool {
        f.code == self.code
            && f.level == self.level
            && self.words.iter().all(|w| f.message.contains(w))
            && self.help.iter().all(|w| f.help.contains(w))
    }
}

/// `None` when the findings are exactly the expected ones (same count, each expectation matched
/// by a distinct finding); otherwise a description of the difference.
fn mismatch(actual: &[Found], expected: &[Expect]) -> Option<String> {
    let mut used = vec![false; actual.len()];
    let mut missing = Vec::new();
    for e in expected {
        match (0..actual.len()).find(|i| !used[*i] && e.matches(&actual[*i])) {
            Some(i) => used[i] = true,
            None => missing.push(format!("{} {} {:?} help {:?}", e.code, e.level, e.words, e.help)),
        }
    }
    let extra: Vec<String> = actual.iter().zip(&used).filter(|(_, u)| !**u).map(|(f, _)| f.short()).collect();
    if missing.is_empty() && extra.is_empty() {
        None
    } else {
        Some(format!(
            "  missing: {}\n  unexpected: {}\n  actual:\n{}",
            if missing.is_empty() { "-".into() } else { missing.join("; ") },
            if extra.is_empty() { "-".to_string() } else { extra.len().to_string() },
            if actual.is_empty() {
                "    (none)".to_string()
            } else {
                actual.iter().map(|f| format!("    {} (help: {})", f.short(), f.help)).collect::<Vec<_>>().join("\n")
            }
        ))
    }
}

fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(failures.is_empty(), "{what}: {} case(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

// =============================================================================================
// Crates.

/// A crate at one revision: dependencies, hotlint.toml, source files.
#[derive(Clone, Debug)]
struct Crate {
    deps: String,
    config: String,
    files: Vec<(String, String)>,
}

impl Crate {
    fn manifest(&self) -> String {
        format!(
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{}\n# A workspace of its own.\n[workspace]\n",
            self.deps
        )
    }
}

/// How the tracked type is encoded (SPEC §1 "Encoding").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enc {
    /// serde_json among the dependencies.
    Named,
    /// bincode 1 among the dependencies.
    Positional,
    /// postcard among the dependencies.
    Varint,
    /// `[[track]] encoding = "memory"`, no serde derive.
    Memory,
}

const RACTOR: &str = "ractor = \"0.15\"\n";
const SERDE: &str = "serde = { version = \"1\", features = [\"derive\"] }\n";
const DERIVE: &str = "#[derive(Serialize, Deserialize)]";

impl Enc {
    fn deps(self) -> String {
        let format = match self {
            Enc::Named => "serde_json = \"1\"\n",
            Enc::Positional => "bincode = \"1\"\n",
            Enc::Varint => "postcard = { version = \"1\", features = [\"alloc\"] }\n",
            Enc::Memory => "",
        };
        // serde_repr is not a format: it only changes how enums are encoded.
        let repr = if self == Enc::Memory { "" } else { "serde_repr = \"0.1\"\n" };
        format!("{RACTOR}{SERDE}{format}{repr}")
    }

    fn config(self) -> String {
        match self {
            Enc::Memory => "version = 1\n\n[[track]]\ntype = \"demo::Stored\"\nencoding = \"memory\"\n".into(),
            _ => String::new(),
        }
    }

    /// The source as this encoding spells it: a memory type derives no serde traits.
    fn source(self, body: &str) -> String {
        match self {
            Enc::Memory => body.replace(DERIVE, "#[derive(Clone)]"),
            _ => body.to_string(),
        }
    }
}

/// The state of a ractor actor (`Keeper`, state `Stored`), followed by `body`.
fn state_lib(body: &str) -> String {
    format!(
        "use ractor::Actor;\nuse serde::{{Deserialize, Serialize}};\n\npub struct Keeper;\n\n\
         impl Actor for Keeper {{\n    type Msg = ();\n    type State = Stored;\n    type Arguments = ();\n}}\n\n{body}"
    )
}

fn single(deps: &str, config: &str, lib: &str) -> Crate {
    Crate { deps: deps.to_string(), config: config.to_string(), files: vec![("src/lib.rs".into(), lib.to_string())] }
}

// =============================================================================================
// Running one case in one mode.

/// Where the head of a case lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Left in the working tree: `check --base main`.
    Worktree,
    /// Committed; the working tree is put back to the base: `check --head HEAD --base HEAD~1`.
    Committed,
    /// Staged; the working tree is put back to the base: `check --staged`.
    Staged,
}

const ALL_MODES: &[Mode] = &[Mode::Worktree, Mode::Committed, Mode::Staged];

/// Build the repository for a case, run hotlint, return the findings the change brought and the
/// run's JSON `base`/`head`.
fn run_case(base: &Crate, head: &Crate, mode: Mode) -> (Vec<Found>, Report) {
    let repo = Repo::new();
    repo.set_crate(base);
    let base_commit = repo.commit("base");
    let (with, without) = match mode {
        Mode::Worktree => {
            repo.set_crate(head);
            let without = repo.check(&[]);
            let with = repo.check(&["--base", "main"]);
            (with, without)
        }
        Mode::Committed => {
            repo.set_crate(head);
            repo.commit("head");
            // The working tree differs from the checked revision, so it must not be read.
            repo.set_crate(base);
            let without = repo.check(&["--head", "HEAD"]);
            let with = repo.check(&["--head", "HEAD", "--base", "HEAD~1"]);
            assert_eq!(with.head(), repo.rev("HEAD"));
            (with, without)
        }
        Mode::Staged => {
            repo.set_crate(head);
            repo.git(&["add", "-A"]);
            // The working tree equals the index here: checking it gives the staged content's
            // single-revision findings.
            let without = repo.check(&[]);
            // The working tree goes back to the base: what a pre-commit hook sees is the index.
            repo.set_crate(base);
            let with = repo.check(&["--staged"]);
            assert_eq!(with.head(), "staged");
            (with, without)
        }
    };
    assert_eq!(with.base().as_deref(), Some(base_commit.as_str()), "{mode:?}: JSON `base` is the base commit");
    (new_findings(&with.findings, &without.findings), with)
}

/// A case of the tables below.
struct Case {
    name: String,
    base: Crate,
    head: Crate,
    expect: Vec<Expect>,
    modes: &'static [Mode],
}

fn run_cases(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        for &mode in case.modes {
            let (found, _) = run_case(&case.base, &case.head, mode);
            if let Some(m) = mismatch(&found, &case.expect) {
                failures.push(format!("{} [{mode:?}]\n{m}", case.name));
            }
        }
    }
    failures
}

// =============================================================================================
// The verdict table, per change kind and encoding class, for actor state (backward only).

/// Whether a change is readable (no finding) or breaks (HL002) under one encoding class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum V {
    Ok,
    Breaks,
    /// Data-dependent ("~"): HL002 at warn, naming the values that fail.
    Partial,
    /// The change makes no sense for this class (serde attributes on a memory type).
    NotApplicable,
}

use V::{Breaks, NotApplicable, Ok as Fine, Partial};

/// One change of a tracked type, with the verdict for a state type (backward) per class:
/// named, positional, positional-varint, memory.
struct Row {
    kind: &'static str,
    name: &'static str,
    base: &'static str,
    head: &'static str,
    /// Words the HL002 message must contain.
    words: &'static [&'static str],
    named: V,
    positional: V,
    varint: V,
    memory: V,
}

const STRUCT_BASE: &str = "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
    pub items: Vec<u64>,
}
";

const ENUM_BASE: &str = "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32),
    Done { code: i32 },
}
";

const FIELDLESS_BASE: &str = "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Low = 1,
    High = 2,
}
";

const REPR_BASE: &str = "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub level: Level,
}

#[derive(serde_repr::Serialize_repr, serde_repr::Deserialize_repr)]
#[repr(u8)]
pub enum Level {
    Low = 1,
    High = 2,
}
";

/// `Count` serializes as its `u32` (a newtype struct).
const NEWTYPE_BASE: &str = "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: Count,
    pub name: String,
}

#[derive(Serialize, Deserialize)]
pub struct Count(pub u32);
";

const ROWS: &[Row] = &[
    Row {
        kind: "field-added-required",
        name: "required field appended",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
    pub items: Vec<u64>,
    pub extra: u64,
}
",
        words: &["`extra`", "`Stored`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "field-added-optional",
        name: "`Option` field appended",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
    pub items: Vec<u64>,
    pub extra: Option<u64>,
}
",
        words: &["`extra`", "`Stored`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "field-added-optional",
        name: "`#[serde(default)]` field appended",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
    pub items: Vec<u64>,
    #[serde(default)]
    pub extra: u64,
}
",
        words: &["`extra`", "`Stored`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "field-removed",
        name: "field removed",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "`Stored`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "field-removed",
        name: "field removed, new `deny_unknown_fields`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    pub count: u32,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "`Stored`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "field-renamed",
        name: "field renamed (same position, same type)",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub label: String,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "`label`"],
        named: Breaks,
        positional: Fine,
        varint: Fine,
        memory: Fine,
    },
    Row {
        kind: "field-renamed",
        name: "field renamed with `alias` of the old name",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(alias = \"name\")]
    pub label: String,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "`label`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: NotApplicable,
    },
    Row {
        kind: "field-renamed",
        name: "serialized name changed by `rename`, Rust name kept",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(rename = \"title\")]
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "`title`"],
        named: Breaks,
        positional: Fine,
        varint: Fine,
        memory: NotApplicable,
    },
    Row {
        kind: "field-renamed",
        name: "Rust name changed, serialized name kept by `rename`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(rename = \"name\")]
    pub title: String,
    pub items: Vec<u64>,
}
",
        words: &[],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: NotApplicable,
    },
    Row {
        kind: "fields-reordered",
        name: "fields reordered",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub name: String,
    pub count: u32,
    pub items: Vec<u64>,
}
",
        words: &["reordered", "`Stored`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "field-retyped-same-model",
        name: "`Vec` → `VecDeque`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
    pub items: std::collections::VecDeque<u64>,
}
",
        words: &["`items`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "field-retyped-same-model",
        name: "`String` → `Box<str>`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: Box<str>,
    pub items: Vec<u64>,
}
",
        words: &["`name`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "integer-widened",
        name: "`u32` → `u64`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u64,
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`count`", "`u32`", "`u64`"],
        named: Fine,
        positional: Breaks,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "field-retyped",
        name: "`u32` → `i64` (signedness changed)",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: i64,
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`count`", "`u32`", "`i64`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "field-retyped",
        name: "`u32` → `String`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: String,
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`count`", "String`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "skip-added",
        name: "`#[serde(skip)]` added to a field",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(skip)]
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "skip"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "variant-appended",
        name: "variant appended",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32),
    Done { code: i32 },
    Failed(String),
}
",
        words: &["`Failed`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "variant-inserted",
        name: "variant inserted before others",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Paused,
    Running(u32),
    Done { code: i32 },
}
",
        words: &["`Paused`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "variant-inserted",
        name: "variants reordered",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Running(u32),
    Idle,
    Done { code: i32 },
}
",
        words: &["reordered", "`Stored`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "variant-removed-last",
        name: "last variant removed",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32),
}
",
        words: &["`Done`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "variant-renamed",
        name: "variant renamed (same index, same payload)",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32),
    Finished { code: i32 },
}
",
        words: &["`Done`", "`Finished`"],
        named: Breaks,
        positional: Fine,
        varint: Fine,
        memory: Fine,
    },
    Row {
        kind: "variant-renamed",
        name: "variant renamed with `alias` of the old name",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32),
    #[serde(alias = \"Done\")]
    Finished { code: i32 },
}
",
        words: &["`Done`", "`Finished`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: NotApplicable,
    },
    Row {
        kind: "field-retyped",
        name: "variant payload retyped",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(String),
    Done { code: i32 },
}
",
        words: &["Running", "String`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "field-added-required",
        name: "field added to a struct variant",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32),
    Done { code: i32, reason: String },
}
",
        words: &["`reason`", "Done"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "discriminant-changed",
        name: "discriminant changed",
        base: FIELDLESS_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Low = 1,
    High = 5,
}
",
        words: &["`High`", "5"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "field-added-optional",
        name: "field appended to a container with `#[serde(default)]`",
        base: "#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct Stored {
    pub count: u32,
}
",
        head: "#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct Stored {
    pub count: u32,
    pub more: u32,
}
",
        words: &["`more`", "`Stored`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "repr-value-changed",
        name: "discriminant changed, `serde_repr` (nested enum)",
        base: REPR_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub level: Level,
}

#[derive(serde_repr::Serialize_repr, serde_repr::Deserialize_repr)]
#[repr(u8)]
pub enum Level {
    Low = 1,
    High = 5,
}
",
        words: &["`High`", "`Level`", "5"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "container-representation-changed",
        name: "internal `tag` renamed",
        base: "#[derive(Serialize, Deserialize)]
#[serde(tag = \"type\")]
pub enum Stored {
    Idle,
    Done { code: i32 },
}
",
        head: "#[derive(Serialize, Deserialize)]
#[serde(tag = \"kind\")]
pub enum Stored {
    Idle,
    Done { code: i32 },
}
",
        words: &["tag", "`kind`"],
        named: Breaks,
        // `tag` needs a self-describing format: the type is `named` whatever the dependencies
        // say (and HL012 if configured positional), so the other classes do not apply.
        positional: NotApplicable,
        varint: NotApplicable,
        memory: NotApplicable,
    },
    // `rename_all` changes every serialized name at once: it is one change of the container (the
    // variants are matched by their Rust names under it, none is removed).
    Row {
        kind: "container-representation-changed",
        name: "`rename_all` added to an enum",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
#[serde(rename_all = \"snake_case\")]
pub enum Stored {
    Idle,
    Running(u32),
    Done { code: i32 },
}
",
        words: &["rename_all", "snake_case"],
        named: Breaks,
        positional: Fine,
        varint: Fine,
        memory: NotApplicable,
    },
    Row {
        kind: "field-retyped-same-model",
        name: "newtype struct → its inner type",
        base: NEWTYPE_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
}

#[derive(Serialize, Deserialize)]
pub struct Count(pub u32);
",
        words: &["`count`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "tuple-field-added",
        name: "field appended to a tuple variant (a sequence in every format)",
        base: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32, u32),
}
",
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32, u32, Option<u8>),
}
",
        words: &["`Stored::Running`", "sequence"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "tuple-field-removed",
        name: "field removed from a tuple struct",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored(pub u32, pub u64);
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored(pub u32);
",
        words: &["`Stored`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "option-added",
        name: "`T` → `Option<T>`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: Option<u32>,
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`count`", "`Option<u32>`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "option-removed",
        name: "`Option<T>` → `T`: only `Some` values read",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: Option<u32>,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
}
",
        words: &["`count`"],
        named: Partial,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "float-widened",
        name: "`f32` → `f64`",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub ratio: f32,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub ratio: f64,
}
",
        words: &["`ratio`", "`f64`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "array-to-vec",
        name: "`[T; N]` → `Vec<T>`",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: [u8; 4],
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: Vec<u8>,
}
",
        words: &["`id`", "`[u8; 4]`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "vec-to-array",
        name: "`Vec<T>` → `[T; N]`: only vectors of that length read",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: Vec<u8>,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: [u8; 4],
}
",
        words: &["`id`"],
        named: Partial,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "map-pairs",
        name: "`BTreeMap<K, V>` → `Vec<(K, V)>`",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub by_id: std::collections::BTreeMap<u32, String>,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub by_id: Vec<(u32, String)>,
}
",
        words: &["`by_id`"],
        named: Breaks,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "char-to-string",
        name: "`char` → `String`",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub mark: char,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub mark: String,
}
",
        words: &["`mark`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "string-to-char",
        name: "`String` → `char`: only one-character strings read",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub mark: String,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub mark: char,
}
",
        words: &["`mark`"],
        named: Partial,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "unit-fields",
        name: "unit variant gains fields",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle { since: Option<u64> },
    Running(u32),
    Done { code: i32 },
}
",
        words: &["`Stored::Idle`", "unit"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "unit-to-empty-braces",
        name: "`struct T;` → `struct T {}`",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored;
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {}
",
        words: &["`Stored`"],
        named: Breaks,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "tuple-struct-variant",
        name: "tuple variant → struct variant, same types",
        base: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running(u32, u64),
}
",
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Running { n: u32, m: u64 },
}
",
        words: &["`Stored::Running`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "struct-newtype",
        name: "struct → newtype around a struct with the same fields",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored(pub Inner);

#[derive(Serialize, Deserialize)]
pub struct Inner {
    pub count: u32,
    pub name: String,
}
",
        words: &["`Stored`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "variant-removed",
        name: "variant removed from the middle (positional: silent)",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    Done { code: i32 },
}
",
        words: &["`Running`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "serde-repr-changed",
        name: "`serde_repr` added to a nested enum",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub level: Level,
}

#[derive(Serialize, Deserialize)]
pub enum Level {
    Low = 1,
    High = 2,
}
",
        head: REPR_BASE,
        words: &["serde_repr", "`Level`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "transparent-changed",
        name: "`transparent` added to a one-field struct",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: Count,
}

#[derive(Serialize, Deserialize)]
pub struct Count {
    pub n: u32,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: Count,
}

#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub struct Count {
    pub n: u32,
}
",
        words: &["transparent", "`Count`"],
        named: Breaks,
        positional: Fine,
        varint: Fine,
        memory: NotApplicable,
    },
    Row {
        kind: "skip-deserializing-added",
        name: "`skip_deserializing` added (the value is still written)",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(skip_deserializing)]
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "skip_deserializing"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "skip-serializing-added",
        name: "`skip_serializing_if` added without `default`",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(skip_serializing_if = \"String::is_empty\")]
    pub name: String,
    pub items: Vec<u64>,
}
",
        words: &["`name`", "skip_serializing_if"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "skip-variant-not-last",
        name: "`skip` added to a variant that is not the last",
        base: ENUM_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub enum Stored {
    Idle,
    #[serde(skip)]
    Running(u32),
    Done { code: i32 },
}
",
        words: &["`Running`", "skip"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: NotApplicable,
    },
    Row {
        kind: "field-retyped-same-model",
        name: "field retyped to an alias of the same type",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    pub name: String,
    pub items: Items,
}

pub type Items = Vec<u64>;
",
        words: &["`items`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "field-retyped-same-model",
        name: "`[u8; 36]` → `[u8; LEN]` with `const LEN: usize = 36`",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: [u8; 36],
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: [u8; LEN],
}

pub const LEN: usize = 36;
",
        words: &["`id`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "field-retyped",
        name: "`[u8; LEN]` with `LEN` changed 36 → 37",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: [u8; LEN],
}

pub const LEN: usize = 36;
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub id: [u8; LEN],
}

pub const LEN: usize = 37;
",
        words: &["`id`", "`[u8; 36]`", "`[u8; 37]`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "field-retyped",
        name: "retyped to an alias of another type: the message says what the alias means",
        base: STRUCT_BASE,
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: Count,
    pub name: String,
    pub items: Vec<u64>,
}

pub type Count = i64;
",
        words: &["`count`", "`u32` → `i64`"],
        named: Breaks,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "integer-widened",
        name: "`usize` → `u64`: serde writes `usize` as `u64`",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: usize,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u64,
}
",
        words: &["`count`"],
        named: Fine,
        positional: Fine,
        varint: Fine,
        memory: Breaks,
    },
    Row {
        kind: "integer-widened",
        name: "`u8` → `u16`: postcard writes `u8` as a raw byte",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub small: u8,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub small: u16,
}
",
        words: &["`small`"],
        named: Fine,
        positional: Breaks,
        varint: Breaks,
        memory: Breaks,
    },
    Row {
        kind: "flatten-changed",
        name: "`flatten` added to a field",
        base: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(flatten)]
    pub meta: Meta,
    pub extra: Meta,
}

#[derive(Serialize, Deserialize)]
pub struct Meta {
    pub tag: String,
}
",
        head: "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: u32,
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub extra: Meta,
}

#[derive(Serialize, Deserialize)]
pub struct Meta {
    pub tag: String,
}
",
        words: &["flatten", "`extra`"],
        named: Breaks,
        // `flatten` needs a self-describing format: the type is `named` whatever the
        // dependencies say.
        positional: NotApplicable,
        varint: NotApplicable,
        memory: NotApplicable,
    },
];

/// The HL002 finding (or none) a row gives under one encoding.
fn row_case(row: &Row, enc: Enc, verdict: V) -> Option<Case> {
    let expect = match verdict {
        NotApplicable => return None,
        Fine => Vec::new(),
        Breaks => vec![deny("HL002", row.words)],
        Partial => vec![warn("HL002", row.words)],
    };
    Some(Case {
        name: format!("{} — {} ({:?})", row.kind, row.name, enc),
        base: single(&enc.deps(), &enc.config(), &state_lib(&enc.source(row.base))),
        head: single(&enc.deps(), &enc.config(), &state_lib(&enc.source(row.head))),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    })
}

fn matrix(enc: Enc) -> Vec<Case> {
    ROWS.iter()
        .filter_map(|row| {
            let v = match enc {
                Enc::Named => row.named,
                Enc::Positional => row.positional,
                Enc::Varint => row.varint,
                Enc::Memory => row.memory,
            };
            row_case(row, enc, v)
        })
        .collect()
}

#[test]
fn verdicts_named_state() {
    assert_no_failures("named (serde_json)", &run_cases(&matrix(Enc::Named)));
}

#[test]
fn verdicts_positional_state() {
    assert_no_failures("positional (bincode 1)", &run_cases(&matrix(Enc::Positional)));
}

#[test]
fn verdicts_positional_varint_state() {
    assert_no_failures("positional-varint (postcard)", &run_cases(&matrix(Enc::Varint)));
}

#[test]
fn verdicts_memory_state() {
    assert_no_failures("memory ([[track]] encoding)", &run_cases(&matrix(Enc::Memory)));
}

/// Every kind of the verdict table that a change can produce is exercised by some row.
#[test]
fn the_rows_cover_the_table() {
    let table: toml::Value = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/compat.toml")).unwrap(),
    )
    .unwrap();
    let kinds: Vec<String> =
        table["change"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap().to_string()).collect();
    // `moved`, `opaque-changed` and `index-changed` (minicbor, prost) have tests of their own.
    for kind in kinds.iter().filter(|k| !matches!(k.as_str(), "moved" | "opaque-changed" | "index-changed")) {
        assert!(ROWS.iter().any(|r| r.kind == kind), "no row exercises `{kind}`");
    }
    for row in ROWS {
        assert!(kinds.iter().any(|k| k == row.kind), "row kind `{}` is not in rules/compat.toml", row.kind);
    }
}

// =============================================================================================
// Encoding inference and overrides.

#[test]
fn encoding_inference_and_overrides() {
    let widened = ROWS.iter().find(|r| r.kind == "integer-widened").unwrap();
    let case = |name: &str, deps: String, config: &str, expect: Vec<Expect>| Case {
        name: name.to_string(),
        base: single(&deps, config, &state_lib(widened.base)),
        head: single(&deps, config, &state_lib(widened.head)),
        expect,
        modes: &[Mode::Worktree],
    };
    let hl002 = || vec![deny("HL002", &["`count`", "`u32`", "`u64`"])];
    let cases = vec![
        // bincode 2 is `config::standard()`, varints: widening reads back.
        case("bincode 2 → positional-varint", format!("{RACTOR}{SERDE}bincode = \"2\"\n"), "", Vec::new()),
        case("bincode 1 → positional", format!("{RACTOR}{SERDE}bincode = \"1.3\"\n"), "", hl002()),
        case("rmp-serde → named", format!("{RACTOR}{SERDE}rmp-serde = \"1\"\n"), "", Vec::new()),
        case("ron → named", format!("{RACTOR}{SERDE}ron = \"0.8\"\n"), "", Vec::new()),
        case("borsh → positional", format!("{RACTOR}{SERDE}borsh = \"1\"\n"), "", hl002()),
        // `[encoding]` overrides what the dependencies say, by crate or by type.
        case(
            "[encoding] crate = positional over serde_json",
            format!("{RACTOR}{SERDE}serde_json = \"1\"\n"),
            "version = 1\n\n[encoding]\ndemo = \"positional\"\n",
            hl002(),
        ),
        case(
            "[encoding] type = positional over serde_json",
            format!("{RACTOR}{SERDE}serde_json = \"1\"\n"),
            "version = 1\n\n[encoding]\n\"demo::Stored\" = \"positional\"\n",
            hl002(),
        ),
        case(
            "[[track]] encoding = named over bincode",
            format!("{RACTOR}{SERDE}bincode = \"1\"\n"),
            "version = 1\n\n[[track]]\ntype = \"demo::Stored\"\nencoding = \"named\"\n",
            Vec::new(),
        ),
        // Several classes: the strictest is used (HL011 at both revisions, not the change's).
        case(
            "serde_json + bincode 1 → strictest (positional)",
            format!("{RACTOR}{SERDE}serde_json = \"1\"\nbincode = \"1\"\n"),
            "",
            hl002(),
        ),
    ];
    assert_no_failures("encoding inference", &run_cases(&cases));
}

// =============================================================================================
// Directions: state is backward; remote messages need both; `compat` overrides.

/// A kameo remote actor (`Hub`, stateless) receiving `Join` (a struct) and `Cmd` (an enum)
/// through `#[remote_message]` impls; `body` defines `Join` and `Cmd`.
fn kameo_lib(body: &str) -> String {
    format!(
        "use kameo::prelude::{{remote_message, Actor, Context, Message, RemoteActor}};\n\
         use serde::{{Deserialize, Serialize}};\n\n\
         #[derive(Actor, RemoteActor)]\npub struct Hub;\n\n\
         #[remote_message]\nimpl Message<Join> for Hub {{\n    type Reply = ();\n\n    \
         async fn handle(&mut self, msg: Join, _ctx: &mut Context<Self, Self::Reply>) {{\n        let _ = msg;\n    }}\n}}\n\n\
         #[remote_message]\nimpl Message<Cmd> for Hub {{\n    type Reply = ();\n\n    \
         async fn handle(&mut self, msg: Cmd, _ctx: &mut Context<Self, Self::Reply>) {{\n        let _ = msg;\n    }}\n}}\n\n{body}"
    )
}

fn kameo_deps() -> String {
    format!("kameo = {{ version = \"0.19\", features = [\"remote\"] }}\n{SERDE}")
}

const KAMEO_BASE: &str = "#[derive(Serialize, Deserialize)]
pub struct Join {
    pub user: String,
    pub room: u32,
}

#[derive(Serialize, Deserialize)]
pub enum Cmd {
    Start,
    Stop,
}
";

/// A ractor cluster actor (`Node`, state `()`) whose message enum `NodeMsg` is remote; `body`
/// defines `NodeMsg`.
fn ractor_cluster_lib(body: &str) -> String {
    format!(
        "use ractor::Actor;\nuse ractor_cluster::RactorClusterMessage;\n\npub struct Node;\n\n\
         impl Actor for Node {{\n    type Msg = NodeMsg;\n    type State = ();\n    type Arguments = ();\n}}\n\n{body}"
    )
}

fn ractor_cluster_deps() -> String {
    format!("{RACTOR}ractor_cluster = \"0.15\"\n")
}

const CLUSTER_BASE: &str = "#[derive(RactorClusterMessage)]
pub enum NodeMsg {
    Ping(u32),
    Join(String),
}
";

fn kameo_case(name: &str, base: &str, head: &str, expect: Vec<Expect>) -> Case {
    Case {
        name: format!("kameo remote: {name}"),
        base: single(&kameo_deps(), "", &kameo_lib(base)),
        head: single(&kameo_deps(), "", &kameo_lib(head)),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    }
}

fn cluster_case(name: &str, head: &str, expect: Vec<Expect>) -> Case {
    Case {
        name: format!("ractor cluster: {name}"),
        base: single(&ractor_cluster_deps(), "", &ractor_cluster_lib(CLUSTER_BASE)),
        head: single(&ractor_cluster_deps(), "", &ractor_cluster_lib(head)),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    }
}

const JOIN_CMD: &str = "
#[derive(Serialize, Deserialize)]
pub enum Cmd {
    Start,
    Stop,
}
";

fn join(fields: &str) -> String {
    format!("#[derive(Serialize, Deserialize)]\npub struct Join {{\n{fields}}}\n{JOIN_CMD}")
}

fn cmd(variants: &str) -> String {
    format!(
        "#[derive(Serialize, Deserialize)]\npub struct Join {{\n    pub user: String,\n    pub room: u32,\n}}\n\n\
         #[derive(Serialize, Deserialize)]\npub enum Cmd {{\n{variants}}}\n"
    )
}

#[test]
fn remote_messages_need_both_directions() {
    let cases = vec![
        kameo_case(
            "required field added: new nodes cannot read old messages",
            KAMEO_BASE,
            &join("    pub user: String,\n    pub room: u32,\n    pub note: String,\n"),
            vec![deny("HL005", &["`note`", "`Join`"])],
        ),
        kameo_case(
            "`Option` field added: both directions read",
            KAMEO_BASE,
            &join("    pub user: String,\n    pub room: u32,\n    pub note: Option<String>,\n"),
            Vec::new(),
        ),
        kameo_case(
            "`#[serde(default)]` field added: both directions read",
            KAMEO_BASE,
            &join("    pub user: String,\n    pub room: u32,\n    #[serde(default)]\n    pub note: String,\n"),
            Vec::new(),
        ),
        kameo_case(
            "optional field added, old `deny_unknown_fields`: a pure addition old nodes reject",
            &KAMEO_BASE.replacen("pub struct Join", "#[serde(deny_unknown_fields)]\npub struct Join", 1),
            &format!(
                "#[derive(Serialize, Deserialize)]\n#[serde(deny_unknown_fields)]\npub struct Join {{\n    pub user: String,\n    pub room: u32,\n    pub note: Option<String>,\n}}\n{JOIN_CMD}"
            ),
            vec![warn("HL005", &["`note`", "safe once every node runs the new version"])],
        ),
        kameo_case(
            "required field removed: old nodes cannot read new messages",
            KAMEO_BASE,
            &join("    pub user: String,\n"),
            vec![deny("HL005", &["`room`", "old nodes cannot read"])],
        ),
        kameo_case(
            "`Option` field removed: both directions read",
            &join("    pub user: String,\n    pub room: u32,\n    pub note: Option<String>,\n"),
            KAMEO_BASE,
            Vec::new(),
        ),
        kameo_case(
            "field renamed",
            KAMEO_BASE,
            &join("    pub login: String,\n    pub room: u32,\n"),
            vec![deny("HL005", &["`user`", "`login`"])],
        ),
        // `alias` lets new nodes read the old name; old nodes still cannot read the new one.
        kameo_case(
            "field renamed with `alias`: old nodes cannot read the new name",
            KAMEO_BASE,
            &join("    #[serde(alias = \"user\")]\n    pub login: String,\n    pub room: u32,\n"),
            vec![deny("HL005", &["`user`", "`login`"])],
        ),
        kameo_case(
            "integer widened: old nodes cannot read wide values",
            KAMEO_BASE,
            &join("    pub user: String,\n    pub room: u64,\n"),
            vec![deny("HL005", &["`room`", "`u64`"])],
        ),
        kameo_case(
            "fields reordered: named, no finding",
            KAMEO_BASE,
            &join("    pub room: u32,\n    pub user: String,\n"),
            Vec::new(),
        ),
        kameo_case(
            "variant appended: warn, safe once every node runs the new version",
            KAMEO_BASE,
            &cmd("    Start,\n    Stop,\n    Pause,\n"),
            vec![warn("HL005", &["`Pause`", "safe once every node runs the new version"])],
        ),
        kameo_case(
            "variant appended, old has `#[serde(other)]`: old nodes read it as the fallback",
            &cmd("    Start,\n    Stop,\n    #[serde(other)]\n    Unknown,\n"),
            &cmd("    Start,\n    Stop,\n    #[serde(other)]\n    Unknown,\n    Pause,\n"),
            Vec::new(),
        ),
        kameo_case(
            "variant removed: new nodes cannot read it",
            KAMEO_BASE,
            &cmd("    Start,\n"),
            vec![deny("HL005", &["`Stop`", "new nodes cannot read"])],
        ),
        kameo_case(
            "variant renamed with `alias`: old nodes cannot read the new name",
            KAMEO_BASE,
            &cmd("    Start,\n    #[serde(alias = \"Stop\")]\n    Halt,\n"),
            vec![deny("HL005", &["`Stop`", "`Halt`"])],
        ),
        cluster_case(
            "variant appended: warn",
            "#[derive(RactorClusterMessage)]\npub enum NodeMsg {\n    Ping(u32),\n    Join(String),\n    Leave(String),\n}\n",
            vec![warn("HL005", &["`Leave`", "safe once every node runs the new version"])],
        ),
        cluster_case(
            "variant renamed: the name is the message's identity",
            "#[derive(RactorClusterMessage)]\npub enum NodeMsg {\n    Ping(u32),\n    Enter(String),\n}\n",
            vec![deny("HL005", &["`Join`", "`Enter`", "identity"])],
        ),
        cluster_case(
            "argument widened: positional, both directions break",
            "#[derive(RactorClusterMessage)]\npub enum NodeMsg {\n    Ping(u64),\n    Join(String),\n}\n",
            vec![deny("HL005", &["Ping", "`u64`"])],
        ),
        cluster_case(
            "argument added",
            "#[derive(RactorClusterMessage)]\npub enum NodeMsg {\n    Ping(u32, u32),\n    Join(String),\n}\n",
            vec![deny("HL005", &["Ping"])],
        ),
        cluster_case(
            "variant removed",
            "#[derive(RactorClusterMessage)]\npub enum NodeMsg {\n    Ping(u32),\n}\n",
            vec![deny("HL005", &["`Join`"])],
        ),
    ];
    assert_no_failures("remote messages", &run_cases(&cases));
}

/// A type tracked only through `[[track]]` (no actor), named encoding, with a `compat` setting.
fn tracked_case(name: &str, compat: Option<&str>, base: &str, head: &str, expect: Vec<Expect>) -> Case {
    let config = format!(
        "version = 1\n\n[[track]]\ntype = \"demo::Snapshot\"\n{}",
        compat.map(|c| format!("compat = \"{c}\"\n")).unwrap_or_default()
    );
    let deps = format!("{SERDE}serde_json = \"1\"\n");
    let lib = |body: &str| format!("use serde::{{Deserialize, Serialize}};\n\n{body}");
    Case {
        name: format!("[[track]] compat = {compat:?}: {name}"),
        base: single(&deps, &config, &lib(base)),
        head: single(&deps, &config, &lib(head)),
        expect,
        modes: &[Mode::Worktree],
    }
}

const SNAPSHOT_BASE: &str = "#[derive(Serialize, Deserialize)]
pub struct Snapshot {
    pub id: u64,
    pub note: String,
}
";

const SNAPSHOT_NOTE_REMOVED: &str = "#[derive(Serialize, Deserialize)]
pub struct Snapshot {
    pub id: u64,
}
";

const SNAPSHOT_NOTE_ADDED: &str = "#[derive(Serialize, Deserialize)]
pub struct Snapshot {
    pub id: u64,
    pub note: String,
    pub extra: u32,
}
";

const SNAPSHOT_NOTE_ALIASED: &str = "#[derive(Serialize, Deserialize)]
pub struct Snapshot {
    pub id: u64,
    #[serde(alias = \"note\")]
    pub memo: String,
}
";

#[test]
fn compat_overrides_the_direction() {
    let cases = vec![
        // Default for a tracked type: backward. A removed field reads back under `named`.
        tracked_case("field removed", None, SNAPSHOT_BASE, SNAPSHOT_NOTE_REMOVED, Vec::new()),
        tracked_case("field removed", Some("backward"), SNAPSHOT_BASE, SNAPSHOT_NOTE_REMOVED, Vec::new()),
        // Forward: the old code cannot read data without the field.
        tracked_case(
            "field removed",
            Some("full"),
            SNAPSHOT_BASE,
            SNAPSHOT_NOTE_REMOVED,
            vec![deny("HL002", &["`note`", "`Snapshot`"])],
        ),
        tracked_case(
            "field removed",
            Some("forward"),
            SNAPSHOT_BASE,
            SNAPSHOT_NOTE_REMOVED,
            vec![deny("HL002", &["`note`", "`Snapshot`"])],
        ),
        // A required field added: backward breaks, forward (old readers ignore it) is fine.
        tracked_case(
            "required field added",
            Some("backward"),
            SNAPSHOT_BASE,
            SNAPSHOT_NOTE_ADDED,
            vec![deny("HL002", &["`extra`", "`Snapshot`"])],
        ),
        tracked_case(
            "required field added",
            Some("full"),
            SNAPSHOT_BASE,
            SNAPSHOT_NOTE_ADDED,
            vec![deny("HL002", &["`extra`", "`Snapshot`"])],
        ),
        tracked_case("required field added", Some("forward"), SNAPSHOT_BASE, SNAPSHOT_NOTE_ADDED, Vec::new()),
        // An `alias` of the old name lets new code read old data (backward), but new code writes
        // the new name, which old code does not know (forward ×).
        tracked_case(
            "field renamed with `alias`",
            Some("full"),
            SNAPSHOT_BASE,
            SNAPSHOT_NOTE_ALIASED,
            vec![deny("HL002", &["`note`", "`memo`"])],
        ),
        tracked_case("field renamed with `alias`", Some("backward"), SNAPSHOT_BASE, SNAPSHOT_NOTE_ALIASED, Vec::new()),
    ];
    assert_no_failures("compat", &run_cases(&cases));
}

// =============================================================================================
// Migration conventions (SPEC §2): a bump with a path is silent; a bump without one is HL003; a
// change without a bump is HL002; a version that went down is HL003.

fn named_deps() -> String {
    Enc::Named.deps()
}

fn state_case(name: &str, deps: &str, base: &str, head: &str, expect: Vec<Expect>) -> Case {
    Case {
        name: name.to_string(),
        base: single(deps, "", &state_lib(base)),
        head: single(deps, "", &state_lib(head)),
        expect,
        modes: ALL_MODES,
    }
}

/// hotlint's convention: `STATE_VERSION` and `code_change` with `arms` in its `match from`.
fn hotlint_state(fields: &str, version: &str, arms: &str) -> String {
    format!(
        "#[derive(Serialize, Deserialize)]\npub struct Stored {{\n{fields}}}\n\n\
         impl Stored {{\n    pub const STATE_VERSION: u32 = {version};\n\n    \
         pub fn code_change(from: u32, old: u32) -> Result<Stored, String> {{\n        match from {{\n{arms}            \
         _ => Err(format!(\"cannot read state version {{from}}\")),\n        }}\n    }}\n}}\n"
    )
}

const COUNT_U32: &str = "    pub count: u32,\n";
const COUNT_STRING: &str = "    pub count: String,\n";

#[test]
fn hotlint_convention() {
    let deps = named_deps();
    let cases = vec![
        state_case(
            "bumped 1 → 2 with an arm for 1",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "2", "            1 => Ok(Stored { count: old.to_string() }),\n"),
            Vec::new(),
        ),
        state_case(
            "bumped 1 → 2 with a range arm `1..=1`",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "2", "            1..=1 => Ok(Stored { count: old.to_string() }),\n"),
            Vec::new(),
        ),
        state_case(
            "bumped 1 → 2, only a failing catch-all: no path from 1",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "2", ""),
            vec![deny("HL003", &["`Stored`", "1", "2"]).help(&["1 =>"])],
        ),
        state_case(
            "bumped 1 → 2, the arm for 1 only fails (`Err`)",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "2", "            1 => Err(\"version 1 is gone\".to_string()),\n"),
            vec![deny("HL003", &["`Stored`", "1", "2"])],
        ),
        state_case(
            "bumped 1 → 2, the arm for 1 only panics (`unreachable!`)",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "2", "            1 => unreachable!(\"no version 1 data\"),\n"),
            vec![deny("HL003", &["`Stored`", "1", "2"])],
        ),
        state_case(
            "bumped 1 → 3 with an `|` arm covering 1 and 2",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "3", "            1 | 2 => Ok(Stored { count: old.to_string() }),\n"),
            Vec::new(),
        ),
        state_case(
            "bumped 1 → 2 with an arm for another version only",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "2", "            0 => Ok(Stored { count: old.to_string() }),\n"),
            vec![deny("HL003", &["`Stored`", "1"])],
        ),
        state_case(
            "changed without a bump",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_STRING, "1", ""),
            vec![deny("HL002", &["`count`", "`Stored`"]).help(&["STATE_VERSION", "code_change"])],
        ),
        state_case(
            "version went down 2 → 1",
            &deps,
            &hotlint_state(COUNT_U32, "2", "            1 => Ok(Stored { count: old }),\n"),
            &hotlint_state(COUNT_U32, "1", "            1 => Ok(Stored { count: old }),\n"),
            vec![deny("HL003", &["`Stored`", "went down", "2", "1"])],
        ),
        state_case(
            "bumped through a workspace const with an arm",
            &deps,
            &format!("pub const VERSION: u32 = 1;\n\n{}", hotlint_state(COUNT_U32, "VERSION", "")),
            &format!(
                "pub const VERSION: u32 = 2;\n\n{}",
                hotlint_state(COUNT_STRING, "VERSION", "            1 => Ok(Stored { count: old.to_string() }),\n")
            ),
            Vec::new(),
        ),
        state_case(
            "bumped through a workspace const without an arm",
            &deps,
            &format!("pub const VERSION: u32 = 1;\n\n{}", hotlint_state(COUNT_U32, "VERSION", "")),
            &format!("pub const VERSION: u32 = 2;\n\n{}", hotlint_state(COUNT_STRING, "VERSION", "")),
            vec![deny("HL003", &["`Stored`", "1", "2"])],
        ),
        state_case(
            "bumped without a shape change, with an arm",
            &deps,
            &hotlint_state(COUNT_U32, "1", ""),
            &hotlint_state(COUNT_U32, "2", "            1 => Ok(Stored { count: old }),\n"),
            Vec::new(),
        ),
    ];
    assert_no_failures("hotlint convention", &run_cases(&cases));
}

#[test]
fn hotlint_convention_catch_all_that_migrates_is_a_path() {
    // A catch-all whose body does not only fail is a path from every older version.
    let deps = named_deps();
    let base = hotlint_state(COUNT_U32, "1", "");
    let head = "#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub count: String,
}

impl Stored {
    pub const STATE_VERSION: u32 = 2;

    pub fn code_change(from: u32, old: u32) -> Result<Stored, String> {
        match from {
            _ => Ok(Stored { count: old.to_string() }),
        }
    }
}
";
    assert_no_failures(
        "catch-all",
        &run_cases(&[state_case("catch-all that migrates", &deps, &base, head, Vec::new())]),
    );
}

#[test]
fn version_that_is_not_a_literal_is_hl013() {
    // `1 + 1` is not a literal nor a const with one: hotlint cannot tell whether it was bumped.
    // HL013 says so (a single-revision finding, at head); no HL002/HL003 is guessed.
    let deps = named_deps();
    let base = single(&deps, "", &state_lib(&hotlint_state(COUNT_U32, "1", "")));
    let head = single(
        &deps,
        "",
        &state_lib(&hotlint_state(COUNT_STRING, "1 + 1", "            1 => Ok(Stored { count: old.to_string() }),\n")),
    );
    let (new, report) = run_case(&base, &head, Mode::Worktree);
    assert_eq!(mismatch(&new, &[]), None);
    let hl013: Vec<&Found> = report.findings.iter().filter(|f| f.code == "HL013").collect();
    assert_eq!(hl013.len(), 1, "{:?}", report.findings);
    assert_eq!(hl013[0].level, "warn");
    assert!(hl013[0].message.contains("`1 + 1`") && hl013[0].message.contains("`Stored`"), "{}", hl013[0].message);
}

fn revision_deps() -> String {
    format!("{RACTOR}{SERDE}revision = \"0.10\"\n")
}

fn revisioned(revision: &str, fields: &str) -> String {
    format!("use revision::revisioned;\n\n#[revisioned(revision = {revision})]\npub struct Stored {{\n{fields}}}\n")
}

#[test]
fn revision_convention() {
    let deps = revision_deps();
    let base = revisioned("1", COUNT_U32);
    let cases = vec![
        state_case(
            "field added at the new revision with `start = 2`",
            &deps,
            &base,
            &revisioned("2", "    pub count: u32,\n    #[revision(start = 2)]\n    pub extra: u64,\n"),
            Vec::new(),
        ),
        state_case(
            "field added with `start = 2` and a `default_fn`",
            &deps,
            &base,
            &revisioned(
                "2",
                "    pub count: u32,\n    #[revision(start = 2, default_fn = \"default_extra\")]\n    pub extra: u64,\n",
            ),
            Vec::new(),
        ),
        state_case(
            "field added at the new revision without `start`",
            &deps,
            &base,
            &revisioned("2", "    pub count: u32,\n    pub extra: u64,\n"),
            vec![deny("HL003", &["`extra`", "start = 2"])],
        ),
        state_case(
            "field added with the wrong `start`",
            &deps,
            &base,
            &revisioned("2", "    pub count: u32,\n    #[revision(start = 3)]\n    pub extra: u64,\n"),
            vec![deny("HL003", &["`extra`", "start = 2"])],
        ),
        state_case(
            "field added without a bump",
            &deps,
            &base,
            &revisioned("1", "    pub count: u32,\n    pub extra: u64,\n"),
            vec![deny("HL002", &["`extra`", "`Stored`"]).help(&["revision = 2"])],
        ),
        state_case(
            "revision went down",
            &deps,
            &revisioned("2", "    pub count: u32,\n    #[revision(start = 2)]\n    pub extra: u64,\n"),
            &revisioned("1", "    pub count: u32,\n    #[revision(start = 2)]\n    pub extra: u64,\n"),
            vec![deny("HL003", &["`Stored`", "went down"])],
        ),
        state_case(
            "field retired with `end` and `convert_fn`",
            &deps,
            &revisioned("1", "    pub count: u32,\n    pub name: String,\n"),
            &revisioned(
                "2",
                "    pub count: u32,\n    #[revision(end = 2, convert_fn = \"drop_name\")]\n    pub name: String,\n",
            ),
            Vec::new(),
        ),
    ];
    assert_no_failures("revision convention", &run_cases(&cases));
}

#[test]
fn revision_field_removed_without_end() {
    // SPEC §2: "a field removed from the current shape must keep its old versions readable
    // (`end =` plus `convert_fn`) … Otherwise: HL003". Bumping to revision 2 and deleting `name`
    // outright leaves revision-1 data unreadable.
    let deps = revision_deps();
    let base = single(&deps, "", &state_lib(&revisioned("1", "    pub count: u32,\n    pub name: String,\n")));
    let head = single(&deps, "", &state_lib(&revisioned("2", COUNT_U32)));
    let (found, _) = run_case(&base, &head, Mode::Worktree);
    assert_eq!(mismatch(&found, &[deny("HL003", &["`name`"])]), None);
}

/// A versioned serde enum `Stored { V1(StateV1), V2(StateV2), … }` with its inner types and
/// conversions.
fn versioned_enum(variants: &[&str], structs: &str, impls: &str) -> String {
    let vs: String = variants.iter().map(|v| format!("    {v},\n")).collect();
    format!("{structs}\n#[derive(Serialize, Deserialize)]\npub enum Stored {{\n{vs}}}\n\n{impls}")
}

const V1_V2: &str = "#[derive(Serialize, Deserialize)]
pub struct StateV1 {
    pub count: u32,
}

#[derive(Serialize, Deserialize)]
pub struct StateV2 {
    pub count: u64,
    pub name: String,
}
";

const V3: &str = "
#[derive(Serialize, Deserialize)]
pub struct StateV3 {
    pub count: u64,
    pub name: String,
    pub tags: Vec<String>,
}
";

const FROM_1_TO_2: &str = "impl From<StateV1> for StateV2 {
    fn from(old: StateV1) -> Self {
        StateV2 { count: old.count.into(), name: String::new() }
    }
}
";

const FROM_2_TO_3: &str = "
impl From<StateV2> for StateV3 {
    fn from(old: StateV2) -> Self {
        StateV3 { count: old.count, name: old.name, tags: Vec::new() }
    }
}
";

#[test]
fn versioned_enum_convention() {
    let deps = named_deps();
    let base = versioned_enum(&["V1(StateV1)", "V2(StateV2)"], V1_V2, FROM_1_TO_2);
    let cases = vec![
        state_case(
            "V3 added with `From<StateV2>`",
            &deps,
            &base,
            &versioned_enum(
                &["V1(StateV1)", "V2(StateV2)", "V3(StateV3)"],
                &format!("{V1_V2}{V3}"),
                &format!("{FROM_1_TO_2}{FROM_2_TO_3}"),
            ),
            Vec::new(),
        ),
        state_case(
            "V3 added with `TryFrom<StateV2>`",
            &deps,
            &base,
            &versioned_enum(
                &["V1(StateV1)", "V2(StateV2)", "V3(StateV3)"],
                &format!("{V1_V2}{V3}"),
                &format!(
                    "{FROM_1_TO_2}\nimpl TryFrom<StateV2> for StateV3 {{\n    type Error = String;\n\n    \
                     fn try_from(old: StateV2) -> Result<Self, String> {{\n        \
                     Ok(StateV3 {{ count: old.count, name: old.name, tags: Vec::new() }})\n    }}\n}}\n"
                ),
            ),
            Vec::new(),
        ),
        state_case(
            "V3 added, converted by one upgrade fn matching every older variant",
            &deps,
            &base,
            &versioned_enum(
                &["V1(StateV1)", "V2(StateV2)", "V3(StateV3)"],
                &format!("{V1_V2}{V3}"),
                &format!(
                    "{FROM_1_TO_2}\npub fn upgrade(stored: Stored) -> StateV3 {{\n    match stored {{\n        \
                     Stored::V1(old) => upgrade(Stored::V2(old.into())),\n        \
                     Stored::V2(old) => StateV3 {{ count: old.count, name: old.name, tags: Vec::new() }},\n        \
                     Stored::V3(state) => state,\n    }}\n}}\n"
                ),
            ),
            Vec::new(),
        ),
        state_case(
            "V3 added without a conversion from V2",
            &deps,
            &base,
            &versioned_enum(&["V1(StateV1)", "V2(StateV2)", "V3(StateV3)"], &format!("{V1_V2}{V3}"), FROM_1_TO_2),
            vec![deny("HL003", &["`Stored`", "3", "2"])],
        ),
        state_case(
            "a shipped version's struct changed",
            &deps,
            &base,
            &versioned_enum(
                &["V1(StateV1)", "V2(StateV2)"],
                &V1_V2.replacen("pub count: u32", "pub count: i32", 1),
                FROM_1_TO_2,
            ),
            vec![deny("HL002", &["`count`", "`StateV1`"])],
        ),
        state_case(
            "the shipped `From<StateV1>` edited",
            &deps,
            &base,
            &versioned_enum(
                &["V1(StateV1)", "V2(StateV2)"],
                V1_V2,
                &FROM_1_TO_2.replace("String::new()", "String::from(\"anonymous\")"),
            ),
            vec![warn("HL010", &["`Stored`", "1"])],
        ),
    ];
    assert_no_failures("versioned enum convention", &run_cases(&cases));
}

// =============================================================================================
// HL010: a shipped migration path edited; adding a path for a new version is no edit.

const SHIPPED_ARM: &str = "            1 => Ok(Stored { count: old }),\n";

#[test]
fn shipped_code_change_arms() {
    let deps = named_deps();
    let base = hotlint_state(COUNT_U32, "2", SHIPPED_ARM);
    let cases = vec![
        state_case(
            "a new arm for the version being left",
            &deps,
            &base,
            &hotlint_state(COUNT_U32, "3", &format!("{SHIPPED_ARM}            2 => Ok(Stored {{ count: old }}),\n")),
            Vec::new(),
        ),
        state_case(
            "the shipped arm for 1 edited, with a new arm for 2",
            &deps,
            &base,
            &hotlint_state(
                COUNT_U32,
                "3",
                "            1 => Ok(Stored { count: old + 1 }),\n            2 => Ok(Stored { count: old }),\n",
            ),
            vec![warn("HL010", &["`Stored`", "from version 1"])],
        ),
        state_case(
            "the shipped arm for 1 edited, no bump",
            &deps,
            &base,
            &hotlint_state(COUNT_U32, "2", "            1 => Ok(Stored { count: old * 2 }),\n"),
            vec![warn("HL010", &["`Stored`", "from version 1"])],
        ),
        state_case(
            "the shipped arm reformatted and commented: same tokens",
            &deps,
            &base,
            &hotlint_state(
                COUNT_U32,
                "2",
                "            // The first layout had the same field.\n            1 => Ok(Stored {\n                count: old\n            }),\n",
            ),
            Vec::new(),
        ),
        state_case(
            "arms reordered",
            &deps,
            &hotlint_state(COUNT_U32, "3", &format!("{SHIPPED_ARM}            2 => Ok(Stored {{ count: old }}),\n")),
            &hotlint_state(COUNT_U32, "3", &format!("            2 => Ok(Stored {{ count: old }}),\n{SHIPPED_ARM}")),
            Vec::new(),
        ),
    ];
    assert_no_failures("HL010", &run_cases(&cases));
}

// =============================================================================================
// HL013: a hand-written serde impl is opaque, compared by fingerprint.

fn hand_written(body: &str) -> String {
    format!(
        "use ractor::Actor;\nuse serde::{{Deserialize, Deserializer}};\n\npub struct Keeper;\n\n\
         impl Actor for Keeper {{\n    type Msg = ();\n    type State = Stored;\n    type Arguments = ();\n}}\n\n\
         pub struct Stored {{\n    pub count: u32,\n}}\n\n\
         impl<'de> Deserialize<'de> for Stored {{\n    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {{\n\
         {body}    }}\n}}\n"
    )
}

const HAND_BODY: &str = "        let count = u32::deserialize(d)?;\n        Ok(Stored { count })\n";

#[test]
fn hand_written_deserialize() {
    let deps = Enc::Positional.deps();
    let cases = vec![
        Case {
            name: "hand-written Deserialize body edited".into(),
            base: single(&deps, "", &hand_written(HAND_BODY)),
            head: single(
                &deps,
                "",
                &hand_written(
                    "        let count = u64::deserialize(d)?;\n        Ok(Stored { count: count as u32 })\n",
                ),
            ),
            expect: vec![warn("HL013", &["Stored", "hand-written"])],
            modes: ALL_MODES,
        },
        Case {
            name: "hand-written Deserialize: comments and formatting only".into(),
            base: single(&deps, "", &hand_written(HAND_BODY)),
            head: single(
                &deps,
                "",
                &hand_written(
                    "        // Read the count.\n        let count =\n            u32::deserialize(d)?;\n        Ok(Stored {\n            count\n        })\n",
                ),
            ),
            expect: Vec::new(),
            modes: ALL_MODES,
        },
    ];
    assert_no_failures("HL013", &run_cases(&cases));
}

// =============================================================================================
// Suspected renames: fields (variants) removed and added that pair up by position and type.

#[test]
fn suspected_renames() {
    let field_renamed = ROWS.iter().find(|r| r.kind == "field-renamed").unwrap();
    let variant_renamed = ROWS.iter().find(|r| r.kind == "variant-renamed").unwrap();
    let case = |name: &str, enc: Enc, row: &Row, expect: Vec<Expect>| Case {
        name: format!("{name} ({enc:?})"),
        base: single(&enc.deps(), "", &state_lib(row.base)),
        head: single(&enc.deps(), "", &state_lib(row.head)),
        expect,
        modes: &[Mode::Worktree],
    };
    let cases = vec![
        case(
            "field renamed",
            Enc::Named,
            field_renamed,
            vec![deny("HL002", &["`name`", "`label`", "renamed"]).help(&["#[serde(alias = \"name\")]"])],
        ),
        case("field renamed", Enc::Positional, field_renamed, Vec::new()),
        case(
            "variant renamed",
            Enc::Named,
            variant_renamed,
            vec![deny("HL002", &["`Done`", "`Finished`", "renamed"]).help(&["#[serde(alias = \"Done\")]"])],
        ),
        case("variant renamed", Enc::Positional, variant_renamed, Vec::new()),
        // Renamed and retyped: not a rename but a removal and an addition (named: the removal
        // reads back, the required addition does not).
        Case {
            name: "renamed and retyped (Named)".into(),
            base: single(&named_deps(), "", &state_lib(STRUCT_BASE)),
            head: single(&named_deps(), "", &state_lib(&STRUCT_BASE.replace("pub name: String", "pub label: u64"))),
            expect: vec![deny("HL002", &["`label`", "added"])],
            modes: &[Mode::Worktree],
        },
        // Two fields renamed at once (same types, same positions): names are not on the wire.
        Case {
            name: "two fields renamed (Positional)".into(),
            base: single(&Enc::Positional.deps(), "", &state_lib(STRUCT_BASE)),
            head: single(
                &Enc::Positional.deps(),
                "",
                &state_lib(
                    &STRUCT_BASE.replace("pub name: String", "pub label: String").replace("pub count", "pub total"),
                ),
            ),
            expect: Vec::new(),
            modes: &[Mode::Worktree],
        },
    ];
    assert_no_failures("renames", &run_cases(&cases));
}

// =============================================================================================
// Moves between modules: no change of shape; a change of wire identity where the identity holds
// the module path (kameo's default remote message id).

fn in_module(module: &str, body: &str) -> String {
    let indented: String =
        body.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") }).collect();
    format!("pub mod {module} {{\n    use serde::{{Deserialize, Serialize}};\n\n{indented}}}\n")
}

/// The state actor with `Stored` defined in `module` (`None`: at the crate root).
fn state_lib_in(module: Option<&str>, body: &str) -> String {
    match module {
        None => state_lib(body),
        Some(m) => format!(
            "use ractor::Actor;\n\npub struct Keeper;\n\n\
             impl Actor for Keeper {{\n    type Msg = ();\n    type State = {m}::Stored;\n    type Arguments = ();\n}}\n\n{}",
            in_module(m, body)
        ),
    }
}

#[test]
fn moves_between_modules() {
    let mut cases = Vec::new();
    for enc in [Enc::Named, Enc::Positional] {
        let deps = enc.deps();
        cases.push(Case {
            name: format!("state moved from the root into `mod store` ({enc:?})"),
            base: single(&deps, "", &state_lib_in(None, STRUCT_BASE)),
            head: single(&deps, "", &state_lib_in(Some("store"), STRUCT_BASE)),
            expect: Vec::new(),
            modes: ALL_MODES,
        });
        cases.push(Case {
            name: format!("state moved from `mod a` to `mod b` ({enc:?})"),
            base: single(&deps, "", &state_lib_in(Some("a"), STRUCT_BASE)),
            head: single(&deps, "", &state_lib_in(Some("b"), STRUCT_BASE)),
            expect: Vec::new(),
            modes: ALL_MODES,
        });
        cases.push(Case {
            name: format!("state moved into its own file ({enc:?})"),
            base: single(&deps, "", &state_lib(STRUCT_BASE)),
            head: Crate {
                deps: deps.clone(),
                config: String::new(),
                files: vec![
                    (
                        "src/lib.rs".into(),
                        "use ractor::Actor;\n\npub mod state;\n\npub struct Keeper;\n\n\
                         impl Actor for Keeper {\n    type Msg = ();\n    type State = state::Stored;\n    type Arguments = ();\n}\n"
                            .into(),
                    ),
                    ("src/state.rs".into(), format!("use serde::{{Deserialize, Serialize}};\n\n{STRUCT_BASE}")),
                ],
            },
            expect: Vec::new(),
            modes: ALL_MODES,
        });
    }
    // Moved and changed: still matched by name, the change is reported.
    cases.push(Case {
        name: "state moved and a field retyped (Positional)".into(),
        base: single(&Enc::Positional.deps(), "", &state_lib_in(Some("a"), STRUCT_BASE)),
        head: single(
            &Enc::Positional.deps(),
            "",
            &state_lib_in(Some("b"), &STRUCT_BASE.replace("pub count: u32", "pub count: u64")),
        ),
        expect: vec![deny("HL002", &["`count`", "`u64`"])],
        modes: ALL_MODES,
    });
    // A nested type of the shape moved.
    let nested = |module: Option<&str>| {
        let inner = "#[derive(Serialize, Deserialize)]\npub struct Inner {\n    pub depth: u8,\n}\n";
        let (path, defs) = match module {
            None => ("Inner".to_string(), inner.to_string()),
            Some(m) => (format!("{m}::Inner"), in_module(m, inner)),
        };
        state_lib(&format!(
            "#[derive(Serialize, Deserialize)]\npub struct Stored {{\n    pub count: u32,\n    pub inner: {path},\n}}\n\n{defs}"
        ))
    };
    cases.push(Case {
        name: "a nested type moved into a module (Positional)".into(),
        base: single(&Enc::Positional.deps(), "", &nested(None)),
        head: single(&Enc::Positional.deps(), "", &nested(Some("parts"))),
        expect: Vec::new(),
        modes: ALL_MODES,
    });
    // ractor cluster messages are identified by variant name: a move changes nothing.
    cases.push(Case {
        name: "ractor cluster message moved into a module".into(),
        base: single(&ractor_cluster_deps(), "", &ractor_cluster_lib(CLUSTER_BASE)),
        head: single(
            &ractor_cluster_deps(),
            "",
            "use ractor::Actor;\n\npub struct Node;\n\n\
                 impl Actor for Node {\n    type Msg = wire::NodeMsg;\n    type State = ();\n    type Arguments = ();\n}\n\n\
                 pub mod wire {\n    use ractor_cluster::RactorClusterMessage;\n\n    \
                 #[derive(RactorClusterMessage)]\n    pub enum NodeMsg {\n        Ping(u32),\n        Join(String),\n    }\n}\n",
        ),
        expect: Vec::new(),
        modes: &[Mode::Worktree],
    });
    // kameo's default remote id holds the module path: a move changes it.
    cases.push(Case {
        name: "kameo remote message moved (default id)".into(),
        base: single(&kameo_deps(), "", &kameo_lib(KAMEO_BASE)),
        head: single(
            &kameo_deps(),
            "",
            &kameo_lib(&format!(
                "pub use wire::Join;\n\n{}\n#[derive(Serialize, Deserialize)]\npub enum Cmd {{\n    Start,\n    Stop,\n}}\n",
                in_module("wire", "#[derive(Serialize, Deserialize)]\npub struct Join {\n    pub user: String,\n    pub room: u32,\n}\n")
            )),
        ),
        expect: vec![deny("HL005", &["`Join`", "moved", "id"])],
        modes: ALL_MODES,
    });
    // `#[remote_message("…")]` pins the id: the same move changes nothing.
    let pinned = |body: &str| {
        kameo_lib(body).replacen(
            "#[remote_message]\nimpl Message<Join>",
            "#[remote_message(\"3b9128f1-0593-44a0-b83a-f4188baa05bf\")]\nimpl Message<Join>",
            1,
        )
    };
    cases.push(Case {
        name: "kameo remote message moved (pinned id)".into(),
        base: single(&kameo_deps(), "", &pinned(KAMEO_BASE)),
        head: single(
            &kameo_deps(),
            "",
            &pinned(&format!(
                "pub use wire::Join;\n\n{}\n#[derive(Serialize, Deserialize)]\npub enum Cmd {{\n    Start,\n    Stop,\n}}\n",
                in_module("wire", "#[derive(Serialize, Deserialize)]\npub struct Join {\n    pub user: String,\n    pub room: u32,\n}\n")
            )),
        ),
        expect: Vec::new(),
        modes: ALL_MODES,
    });
    assert_no_failures("moves", &run_cases(&cases));
}

// =============================================================================================
// Neutral changes: no finding at all, in every mode, under the strictest serialized encoding
// (positional: order and widths matter) and under `named` (names matter).

fn neutral_cases() -> Vec<(&'static str, String, String)> {
    let with_impls = |first: &str, second: &str| state_lib(&format!("{STRUCT_BASE}\n{first}\n{second}"));
    let impl_a = "impl Stored {\n    pub fn total(&self) -> u64 {\n        self.items.iter().sum()\n    }\n}\n";
    let impl_b = "impl Default for Stored {\n    fn default() -> Self {\n        Stored { count: 0, name: String::new(), items: Vec::new() }\n    }\n}\n";
    let generic = |param: &str| {
        state_lib(&format!(
            "#[derive(Serialize, Deserialize)]\npub struct Stored {{\n    pub count: u32,\n    pub held: Holder<u64>,\n}}\n\n\
             #[derive(Serialize, Deserialize)]\npub struct Holder<{param}> {{\n    pub items: Vec<{param}>,\n    pub first: Option<{param}>,\n}}\n"
        ))
    };
    vec![
        (
            "comments and doc comments",
            state_lib(STRUCT_BASE),
            state_lib(
                "/// The state that survives restarts.\n#[derive(Serialize, Deserialize)]\npub struct Stored {\n    \
                 /// How many.\n    pub count: u32,\n    // A display name.\n    pub name: String,\n    pub items: Vec<u64>, /* ids */\n}\n",
            ),
        ),
        (
            "formatting",
            state_lib(STRUCT_BASE),
            state_lib(
                "#[derive(Serialize,Deserialize)] pub struct Stored { pub count : u32 , pub name: String,\n\n pub items : Vec < u64 > }\n",
            ),
        ),
        (
            "method body",
            with_impls(impl_a, ""),
            with_impls(&impl_a.replace("sum()", "copied().max().unwrap_or(0)"), ""),
        ),
        ("impl blocks reordered", with_impls(impl_a, impl_b), with_impls(impl_b, impl_a)),
        (
            "an unrelated type changed",
            state_lib(&format!("{STRUCT_BASE}\npub struct Scratch {{\n    pub a: u32,\n}}\n")),
            state_lib(&format!("{STRUCT_BASE}\npub struct Scratch {{\n    pub b: String,\n    pub a: u64,\n}}\n")),
        ),
        (
            "an unrelated serde type changed",
            state_lib(&format!(
                "{STRUCT_BASE}\n#[derive(Serialize, Deserialize)]\npub struct Wire {{\n    pub a: u32,\n}}\n"
            )),
            state_lib(&format!(
                "{STRUCT_BASE}\n#[derive(Serialize, Deserialize)]\npub struct Wire {{\n    pub a: String,\n}}\n"
            )),
        ),
        ("a generic parameter renamed", generic("T"), generic("Item")),
        (
            "a derive that does not touch serde added",
            state_lib(STRUCT_BASE),
            state_lib(
                &STRUCT_BASE
                    .replace("#[derive(Serialize, Deserialize)]", "#[derive(Clone, Debug, Serialize, Deserialize)]"),
            ),
        ),
        (
            "items reordered in the file",
            state_lib(STRUCT_BASE),
            format!(
                "use ractor::Actor;\nuse serde::{{Deserialize, Serialize}};\n\n{STRUCT_BASE}\n\
                 impl Actor for Keeper {{\n    type Msg = ();\n    type State = Stored;\n    type Arguments = ();\n}}\n\npub struct Keeper;\n"
            ),
        ),
        ("a type moved between modules", state_lib_in(Some("a"), STRUCT_BASE), state_lib_in(Some("b"), STRUCT_BASE)),
        (
            "a `use` alias for a field type",
            state_lib(STRUCT_BASE),
            state_lib(&format!("use std::vec::Vec as List;\n\n{}", STRUCT_BASE.replace("Vec<u64>", "List<u64>"))),
        ),
    ]
}

/// The state in `src/state.rs`, whose field `count` has the type `Count` that `src/ids.rs`
/// re-exports as `ids`.
fn state_in_its_file(ids: &str) -> Crate {
    Crate {
        deps: Enc::Positional.deps(),
        config: String::new(),
        files: vec![
            (
                "src/lib.rs".into(),
                "use ractor::Actor;\n\npub mod ids;\npub mod state;\n\npub struct Keeper;\n\n\
                 impl Actor for Keeper {\n    type Msg = ();\n    type State = state::Stored;\n    type Arguments = ();\n}\n"
                    .into(),
            ),
            (
                "src/state.rs".into(),
                "use crate::ids::*;\nuse serde::{Deserialize, Serialize};\n\n\
                 #[derive(Serialize, Deserialize)]\npub struct Stored {\n    pub count: Count,\n    pub name: String,\n}\n"
                    .into(),
            ),
            ("src/ids.rs".into(), ids.to_string()),
        ],
    }
}

/// A file git says did not change (its definitions are reused from the head, not compared field
/// by field) still changes shape when a name it uses now means another type.
#[test]
fn field_type_changed_by_another_file() {
    let cases = vec![
        Case {
            name: "`Count` re-exported from another type".into(),
            base: state_in_its_file("pub use std::num::NonZeroU32 as Count;\n"),
            head: state_in_its_file("pub use std::num::NonZeroU64 as Count;\n"),
            expect: vec![deny("HL002", &["`count`", "NonZeroU32", "NonZeroU64"])],
            modes: ALL_MODES,
        },
        Case {
            name: "`Count` unchanged, another file edited".into(),
            base: state_in_its_file("pub use std::num::NonZeroU32 as Count;\n"),
            head: state_in_its_file("// the count of stored items\npub use std::num::NonZeroU32 as Count;\n"),
            expect: Vec::new(),
            modes: ALL_MODES,
        },
    ];
    assert_no_failures("field types changed by another file", &run_cases(&cases));
}

/// A definition in a file git says did not change is judged as the same definition in a file
/// that changed elsewhere: serialized names that repeat (`#[cfg]` twins) are paired the same way.
#[test]
fn untouched_and_touched_files_are_judged_alike() {
    let lib = "use ractor::Actor;\n\npub mod state;\n\npub struct Keeper;\n\n\
               impl Actor for Keeper {\n    type Msg = ();\n    type State = state::Stored;\n    type Arguments = ();\n}\n";
    let twins = "use serde::{Deserialize, Serialize};\n\n#[derive(Serialize, Deserialize)]\npub struct Stored {\n    \
                 #[cfg(unix)]\n    pub fd: i32,\n    #[cfg(windows)]\n    pub fd: u64,\n}\n\n\
                 #[derive(Serialize, Deserialize)]\npub enum Mode {\n    #[cfg(unix)]\n    Raw(u32),\n    \
                 #[cfg(windows)]\n    Raw(String),\n}\n";
    let krate = |state: String| Crate {
        deps: Enc::Positional.deps(),
        config: "version = 1\n\n[[track]]\ntype = \"demo::state::Mode\"\n".into(),
        files: vec![("src/lib.rs".into(), lib.into()), ("src/state.rs".into(), state)],
    };
    let repo = Repo::new();
    repo.set_crate(&krate(twins.to_string()));
    repo.commit("base");
    let untouched: Vec<String> = repo.check(&["--base", "HEAD"]).findings.iter().map(Found::short).collect();
    repo.set_crate(&krate(format!("{twins}// touched\n")));
    let touched: Vec<String> = repo.check(&["--base", "HEAD"]).findings.iter().map(Found::short).collect();
    assert_eq!(untouched, touched);
}

#[test]
fn neutral_changes_report_nothing() {
    let mut failures = Vec::new();
    for enc in [Enc::Positional, Enc::Named] {
        for (name, base, head) in neutral_cases() {
            let base = single(&enc.deps(), "", &base);
            let head = single(&enc.deps(), "", &head);
            for &mode in ALL_MODES {
                let (new, report) = run_case(&base, &head, mode);
                if let Some(m) = mismatch(&new, &[]) {
                    failures.push(format!("{name} ({enc:?}) [{mode:?}]\n{m}"));
                }
                // Nothing from the history rules either (they are the only ones a base adds).
                let history: Vec<String> = report
                    .findings
                    .iter()
                    .filter(|f| matches!(f.code.as_str(), "HL002" | "HL003" | "HL005" | "HL007" | "HL010" | "HL013"))
                    .map(Found::short)
                    .collect();
                if !history.is_empty() {
                    failures.push(format!("{name} ({enc:?}) [{mode:?}]: history findings {history:?}"));
                }
            }
        }
    }
    assert_no_failures("neutral changes", &failures);
}

// =============================================================================================
// Revisions: `--base` (merge base), `--base-exact`, `--head`, `--staged`.

/// A positional crate with two tracked types: the state `Stored` (field `count`) and
/// `Other` (field `a`, tracked through `[[track]]`).
fn two_types(count: &str, a: &str) -> Crate {
    let lib = state_lib(&format!(
        "#[derive(Serialize, Deserialize)]\npub struct Stored {{\n    pub count: {count},\n}}\n\n\
         #[derive(Serialize, Deserialize)]\npub struct Other {{\n    pub a: {a},\n}}\n"
    ));
    single(&Enc::Positional.deps(), "version = 1\n\n[[track]]\ntype = \"demo::Other\"\n", &lib)
}

const COUNT_WIDENED: &str = "field `count` of `Stored` changed type `u32` → `u64`";

/// The findings `args` (with a base) brings over the same head checked without a base.
fn history(repo: &Repo, args: &[&str]) -> (Vec<Found>, Report) {
    let with = repo.check(args);
    let mut plain: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "--base" => i += 2,
            "--base-exact" => i += 1,
            // `--staged` always compares (with HEAD): check the index content's single-revision
            // findings through a revision-free run instead (callers keep it equal to HEAD's).
            "--staged" => i += 1,
            other => {
                plain.push(other);
                i += 1;
            }
        }
    }
    let without = repo.check(&plain);
    (new_findings(&with.findings, &without.findings), with)
}

/// main: A → B (changes `Other.a`); feature (from A): F (changes `Stored.count`).
fn diverged() -> (Repo, String, String, String) {
    let repo = Repo::new();
    repo.set_crate(&two_types("u32", "u32"));
    let a = repo.commit("A");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.set_crate(&two_types("u64", "u32"));
    let f = repo.commit("F: widen count");
    repo.git(&["checkout", "-q", "main"]);
    repo.set_crate(&two_types("u32", "u64"));
    let b = repo.commit("B: widen a");
    (repo, a, b, f)
}

#[test]
fn base_is_the_merge_base() {
    let (repo, a, b, f) = diverged();
    repo.git(&["checkout", "-q", "feature"]);
    let mut failures = Vec::new();
    let mut expect = |what: &str, args: &[&str], base: &str, expected: Vec<Expect>| {
        let (new, report) = history(&repo, args);
        if report.base().as_deref() != Some(base) {
            failures.push(format!("{what}: JSON base {:?}, expected {base}", report.base()));
        }
        if let Some(m) = mismatch(&new, &expected) {
            failures.push(format!("{what}\n{m}"));
        }
    };
    // The branch's own change only: B landed on main after the branch point.
    expect("--base main", &["--base", "main"], &a, vec![deny("HL002", &[COUNT_WIDENED])]);
    expect("--base refs/heads/main", &["--base", "refs/heads/main"], &a, vec![deny("HL002", &[COUNT_WIDENED])]);
    expect("--base <B's id>", &["--base", &b], &a, vec![deny("HL002", &[COUNT_WIDENED])]);
    expect("--base main~0", &["--base", "main~0"], &a, vec![deny("HL002", &[COUNT_WIDENED])]);
    // Against B itself, B's change shows up reverted (`a` narrowed back to u32).
    expect(
        "--base main --base-exact",
        &["--base", "main", "--base-exact"],
        &b,
        vec![deny("HL002", &[COUNT_WIDENED]), deny("HL002", &["field `a` of `Other` changed type `u64` → `u32`"])],
    );
    // `--head` takes part in the merge base: from main's checkout, the feature branch.
    repo.git(&["checkout", "-q", "main"]);
    let mut failures2 = Vec::new();
    let (new, report) = history(&repo, &["--head", "feature", "--base", "main"]);
    if report.base().as_deref() != Some(a.as_str()) || report.head() != f {
        failures2.push(format!("--head feature --base main: base {:?} head {}", report.base(), report.head()));
    }
    if let Some(m) = mismatch(&new, &[deny("HL002", &[COUNT_WIDENED])]) {
        failures2.push(format!("--head feature --base main\n{m}"));
    }
    // And the other way round: main's change, seen from the feature branch point.
    let (new, report) = history(&repo, &["--head", "main", "--base", "feature"]);
    if report.base().as_deref() != Some(a.as_str()) || report.head() != b {
        failures2.push(format!("--head main --base feature: base {:?} head {}", report.base(), report.head()));
    }
    if let Some(m) = mismatch(&new, &[deny("HL002", &["field `a` of `Other` changed type `u32` → `u64`"])]) {
        failures2.push(format!("--head main --base feature\n{m}"));
    }
    failures.extend(failures2);
    assert_no_failures("merge base", &failures);
}

#[test]
fn head_checks_a_revision_not_the_working_tree() {
    let repo = Repo::new();
    repo.set_crate(&two_types("u32", "u32"));
    let c1 = repo.commit("C1");
    repo.set_crate(&two_types("u64", "u32"));
    let c2 = repo.commit("C2: widen count");
    repo.set_crate(&two_types("u64", "u64"));
    let c3 = repo.commit("C3: widen a");
    // A working tree that differs from every commit, with its own breaking change.
    repo.set_crate(&two_types("String", "String"));
    let a_widened = "field `a` of `Other` changed type `u32` → `u64`";
    let mut failures = Vec::new();
    let mut expect = |args: &[&str], base: &str, head: &str, expected: Vec<Expect>| {
        let (new, report) = history(&repo, args);
        if report.base().as_deref() != Some(base) || report.head() != head {
            failures.push(format!("{args:?}: base {:?} head {}, expected {base} {head}", report.base(), report.head()));
        }
        if let Some(m) = mismatch(&new, &expected) {
            failures.push(format!("{args:?}\n{m}"));
        }
    };
    expect(&["--head", "HEAD~1", "--base", "HEAD~2"], &c1, &c2, vec![deny("HL002", &[COUNT_WIDENED])]);
    expect(&["--head", &c3, "--base", &c2], &c2, &c3, vec![deny("HL002", &[a_widened])]);
    expect(
        &["--head", "HEAD", "--base", "HEAD~2"],
        &c1,
        &c3,
        vec![deny("HL002", &[COUNT_WIDENED]), deny("HL002", &[a_widened])],
    );
    expect(&["--head", "main", "--base", "main"], &c3, &c3, Vec::new());
    // `--head` alone: a revision, no history comparison.
    let report = repo.check(&["--head", "HEAD~1"]);
    assert_eq!(report.base(), None);
    assert_eq!(report.head(), c2);
    assert!(report.findings.iter().all(|f| f.code != "HL002"), "{:?}", report.findings);
    assert_no_failures("--head", &failures);
}

#[test]
fn staged_checks_the_index() {
    let repo = Repo::new();
    repo.set_crate(&two_types("u32", "u32"));
    let c1 = repo.commit("C1");
    let a_widened = "field `a` of `Other` changed type `u32` → `u64`";

    // Unstaged only: the index equals HEAD, nothing to report; the working tree has the change.
    repo.set_crate(&two_types("u64", "u32"));
    let (new, report) = history(&repo, &["--staged"]);
    assert_eq!(report.base().as_deref(), Some(c1.as_str()), "--staged compares with HEAD");
    assert_eq!(report.head(), "staged");
    assert_eq!(mismatch(&new, &[]), None, "an unstaged change is not what would be committed");
    let (new, _) = history(&repo, &["--base", "HEAD"]);
    assert_eq!(mismatch(&new, &[deny("HL002", &[COUNT_WIDENED])]), None, "the working tree has it");

    // Staged, then the working tree changed further: only the staged change counts.
    repo.git(&["add", "src/lib.rs"]);
    repo.set_crate(&two_types("u64", "u64"));
    let (new, _) = history(&repo, &["--staged"]);
    assert_eq!(mismatch(&new, &[deny("HL002", &[COUNT_WIDENED])]), None, "staged count, unstaged a");
    let (new, _) = history(&repo, &["--base", "HEAD"]);
    assert_eq!(
        mismatch(&new, &[deny("HL002", &[COUNT_WIDENED]), deny("HL002", &[a_widened])]),
        None,
        "the working tree has both"
    );

    // Staged, then reverted in the working tree: still what would be committed.
    repo.set_crate(&two_types("u32", "u32"));
    let (new, _) = history(&repo, &["--staged"]);
    assert_eq!(mismatch(&new, &[deny("HL002", &[COUNT_WIDENED])]), None, "staged, reverted in the worktree");

    // `--staged --base REV`: the index against the merge base of REV and HEAD.
    repo.set_crate(&two_types("u64", "u32"));
    let c2 = repo.commit("C2: widen count");
    repo.set_crate(&two_types("u64", "u64"));
    repo.git(&["add", "-A"]);
    repo.set_crate(&two_types("u64", "u32"));
    let (new, report) = history(&repo, &["--staged", "--base", "HEAD~1"]);
    assert_eq!(report.base().as_deref(), Some(c1.as_str()));
    assert_eq!(mismatch(&new, &[deny("HL002", &[COUNT_WIDENED]), deny("HL002", &[a_widened])]), None);
    let (new, report) = history(&repo, &["--staged"]);
    assert_eq!(report.base().as_deref(), Some(c2.as_str()));
    assert_eq!(mismatch(&new, &[deny("HL002", &[a_widened])]), None);
}

#[test]
fn staged_file_added_and_deleted_in_the_index() {
    // The state moves to a new file that exists only in the index (and changes on the way);
    // the old definition's file is deleted from the index but still on disk.
    let repo = Repo::new();
    let deps = Enc::Positional.deps();
    repo.set_crate(&single(&deps, "", &state_lib(STRUCT_BASE)));
    repo.commit("base");
    let head = Crate {
        deps: deps.clone(),
        config: String::new(),
        files: vec![
            (
                "src/lib.rs".into(),
                "use ractor::Actor;\n\npub mod state;\n\npub struct Keeper;\n\n\
                 impl Actor for Keeper {\n    type Msg = ();\n    type State = state::Stored;\n    type Arguments = ();\n}\n"
                    .into(),
            ),
            (
                "src/state.rs".into(),
                format!("use serde::{{Deserialize, Serialize}};\n\n{}", STRUCT_BASE.replace("pub count: u32", "pub count: u64")),
            ),
        ],
    };
    repo.set_crate(&head);
    repo.git(&["add", "-A"]);
    // Back to the base on disk: the new file is gone from the working tree, kept in the index.
    repo.set_crate(&single(&deps, "", &state_lib(STRUCT_BASE)));
    assert!(!repo.path().join("src/state.rs").exists());
    let report = repo.check(&["--staged"]);
    let hl002: Vec<&Found> = report.findings.iter().filter(|f| f.code == "HL002").collect();
    assert_eq!(hl002.len(), 1, "{:?}", report.findings);
    assert!(hl002[0].message.contains("`count`") && hl002[0].file == "src/state.rs", "{:?}", hl002[0]);
}

#[test]
fn staged_in_a_repository_without_commits() {
    // A pre-commit hook on the first commit: there is no HEAD to compare with, so there is no
    // history comparison, and the run is not an error.
    let repo = Repo::new();
    repo.set_crate(&two_types("u32", "u32"));
    repo.git(&["add", "-A"]);
    let report = repo.check(&["--staged"]);
    assert_eq!(report.base(), None);
    assert_eq!(report.head(), "staged");
    assert!(report.findings.iter().all(|f| f.code != "HL002"));
    // `--base HEAD` there names a revision that does not exist.
    let line = repo.hotlint(&["check", "--base", "HEAD"]).error_line();
    assert!(line.contains("`HEAD`"), "{line}");
}

// =============================================================================================
// Runs that cannot be done: exit 2, one line.

#[test]
fn shallow_clone_without_the_base() {
    let (source, _a, b, _f) = diverged();
    // A depth-1 clone of main: `HEAD~1` is not in it.
    let clone = Repo::shallow_clone(&source, &["--branch", "main"]);
    let line = clone.hotlint(&["check", "--base", "HEAD~1"]).error_line();
    assert!(line.contains("HEAD~1"), "names the revision: {line}");
    assert!(line.contains("fetch-depth") && line.contains("full history"), "suggests fetching: {line}");
    // A depth-1 clone of both branch tips: `origin/main` exists, their merge base does not.
    let clone = Repo::shallow_clone(&source, &["--no-single-branch", "--branch", "feature"]);
    let line = clone.hotlint(&["check", "--base", "origin/main"]).error_line();
    assert!(line.contains("fetch-depth") && line.contains("shallow"), "suggests fetching the full history: {line}");
    assert!(line.contains("`origin/main`"), "names the revision as given: {line}");
    // `--base-exact` needs no history: the tip itself is there.
    let (new, report) = history(&clone, &["--base", "origin/main", "--base-exact"]);
    assert_eq!(report.base().as_deref(), Some(b.as_str()));
    assert_eq!(
        mismatch(
            &new,
            &[deny("HL002", &[COUNT_WIDENED]), deny("HL002", &["field `a` of `Other` changed type `u64` → `u32`"])]
        ),
        None
    );
}

#[test]
fn bad_revisions_exit_2_naming_them() {
    let repo = Repo::new();
    repo.set_crate(&two_types("u32", "u32"));
    repo.commit("C1");
    let tree = repo.rev("HEAD^{tree}");
    let blob = repo.rev("HEAD:src/lib.rs");
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["--base", "nope"], "nope", "unknown revision"),
        (vec!["--base", "main~5"], "main~5", "unknown revision"),
        (vec!["--head", "nope"], "nope", "unknown revision"),
        (vec!["--base", "HEAD", "--head", "nope"], "nope", "unknown revision"),
        (vec!["--base", "HEAD^{tree}"], "HEAD^{tree}", "commit"),
        (vec!["--base", &tree], &tree, "commit"),
        (vec!["--base", "HEAD:src/lib.rs"], "HEAD:src/lib.rs", "commit"),
        (vec!["--base", &blob], &blob, "commit"),
        (vec!["--head", "HEAD^{tree}"], "HEAD^{tree}", "commit"),
        (vec!["--head", "HEAD:Cargo.toml"], "HEAD:Cargo.toml", "commit"),
        (vec!["--base", "HEAD^{tree}", "--base-exact"], "HEAD^{tree}", "commit"),
    ];
    let mut failures = Vec::new();
    for (args, name, words) in cases {
        let mut full = vec!["check", "--format", "json"];
        full.extend(args.iter().copied());
        let run = repo.hotlint(&full);
        if run.code != Some(2) || !run.stdout.is_empty() {
            failures.push(format!(
                "{args:?}: exit {:?}, stdout {:?}, stderr {}",
                run.code,
                run.stdout.len(),
                run.stderr
            ));
            continue;
        }
        let line = run.error_line();
        if !line.contains(&format!("`{name}`")) || !line.contains(words) {
            failures.push(format!("{args:?}: `{line}` should name `{name}` and say {words:?}"));
        }
    }
    // Argument combinations that make no sense.
    for args in [&["--base-exact"][..], &["--staged", "--head", "HEAD"][..]] {
        let mut full = vec!["check"];
        full.extend_from_slice(args);
        let run = repo.hotlint(&full);
        if run.code != Some(2) {
            failures.push(format!("{args:?}: exit {:?}: {}", run.code, run.stderr));
        }
    }
    assert_no_failures("bad revisions", &failures);
}

#[test]
fn not_a_git_repository() {
    let dir = Repo::plain();
    dir.set_crate(&two_types("u32", "u32"));
    for args in
        [&["--base", "HEAD"][..], &["--head", "HEAD"][..], &["--staged"][..], &["--base", "main", "--base-exact"][..]]
    {
        let mut full = vec!["check"];
        full.extend_from_slice(args);
        let line = dir.hotlint(&full).error_line();
        assert!(line.contains("not inside a git repository"), "{args:?}: {line}");
    }
    // Without revision options git is not needed.
    let report = dir.check(&[]);
    assert_eq!(report.base(), None);
    assert_eq!(report.head(), "worktree");
}

// =============================================================================================
// Reading revisions never writes: the working tree, the index, HEAD and refs are as they were.

#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    status: String,
    head: String,
    index: Vec<u8>,
    refs: String,
    /// Every file under `.git` (objects, logs, config, …) and of the working tree, with bytes.
    files: BTreeMap<String, Vec<u8>>,
}

fn snapshot(repo: &Repo) -> Snapshot {
    let mut files = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap());
            }
        }
    }
    walk(repo.path(), repo.path(), &mut files);
    Snapshot {
        // `--no-optional-locks`: a plain `git status` refreshes a stale stat cache and rewrites
        // `.git/index` itself, which would make this test see its own write as hotlint's.
        status: repo.git(&["--no-optional-locks", "status", "--porcelain=v1", "-uall", "--ignored"]),
        head: repo.git(&["rev-parse", "HEAD"]),
        index: std::fs::read(repo.path().join(".git/index")).unwrap(),
        refs: format!(
            "{}\n{}",
            repo.git(&["for-each-ref", "--format=%(refname) %(objectname)"]),
            repo.git(&["symbolic-ref", "-q", "HEAD"])
        ),
        files,
    }
}

#[test]
fn no_command_changes_the_repository() {
    let (repo, a, _b, _f) = diverged();
    repo.git(&["checkout", "-q", "feature"]);
    // A staged change, an unstaged change on top, and an untracked file.
    repo.set_crate(&two_types("u64", "u64"));
    repo.git(&["add", "-A"]);
    repo.set_crate(&two_types("String", "u64"));
    repo.write("notes.txt", "untracked\n");
    let before = snapshot(&repo);
    let short_a = &a[..12];
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", "--format", "json", "--base", "main"],
        vec!["check", "--base", "main"],
        vec!["check", "--format", "json", "--base", "main", "--base-exact"],
        vec!["check", "--format", "json", "--head", "feature", "--base", "main"],
        vec!["check", "--format", "json", "--head", "main~1"],
        vec!["check", "--format", "json", "--staged"],
        vec!["check", "--staged", "--base", short_a],
        vec!["check", "--format", "json"],
        vec!["plan", "--base", "main"],
        vec!["plan", "--base", "main", "--format", "json"],
        vec!["hotlint", "check", "--base", "main"],
        vec!["check", "--base", "nope"],
        vec!["check", "--base", "HEAD^{tree}"],
        vec!["check", "--head", "HEAD:src/lib.rs"],
    ];
    for args in runs {
        let run = repo.hotlint(&args);
        assert!(matches!(run.code, Some(0..=2)), "{args:?}: {:?} {}", run.code, run.stderr);
        let after = snapshot(&repo);
        if after != before {
            let changed: Vec<&String> = after
                .files
                .keys()
                .chain(before.files.keys())
                .filter(|k| after.files.get(*k) != before.files.get(*k))
                .collect();
            panic!(
                "{args:?} changed the repository: status {:?} → {:?}; head {} → {}; index same: {}; refs same: {}; files: {changed:?}",
                before.status,
                after.status,
                before.head,
                after.head,
                before.index == after.index,
                before.refs == after.refs
            );
        }
    }
}

// =============================================================================================
// The shape is the closure: nested types, generic arguments, `cfg_attr` derives; a nested type
// with its own version is checked on its own.

#[test]
fn changes_inside_the_closure() {
    let deps = Enc::Positional.deps();
    let with_inner = |inner_field: &str, outer_field: &str| {
        state_lib(&format!(
            "#[derive(Serialize, Deserialize)]\npub struct Stored {{\n    pub count: u32,\n    {outer_field}\n}}\n\n\
             #[derive(Serialize, Deserialize)]\npub struct Inner {{\n    {inner_field}\n}}\n"
        ))
    };
    let cases = vec![
        state_case(
            "a nested struct's field retyped",
            &deps,
            &with_inner("pub depth: u8,", "pub inner: Inner,"),
            &with_inner("pub depth: u16,", "pub inner: Inner,"),
            vec![deny("HL002", &["`depth`", "`Inner`"])],
        ),
        state_case(
            "a field retyped inside a generic argument",
            &deps,
            &with_inner("pub depth: u8,", "pub inner: Vec<Option<Inner>>,"),
            &with_inner("pub depth: i8,", "pub inner: Vec<Option<Inner>>,"),
            vec![deny("HL002", &["`depth`", "`Inner`"])],
        ),
        state_case(
            "a field retyped inside a map value",
            &deps,
            &with_inner("pub depth: u8,", "pub inner: std::collections::HashMap<String, Inner>,"),
            &with_inner("pub depth: u8,\n    pub width: u8,", "pub inner: std::collections::HashMap<String, Inner>,"),
            vec![deny("HL002", &["`width`", "`Inner`"])],
        ),
        state_case(
            "a `#[serde(skip)]` field's type changed: not on the wire",
            &deps,
            &with_inner("pub depth: u8,", "#[serde(skip)]\n    pub inner: Inner,"),
            &with_inner("pub depth: String,", "#[serde(skip)]\n    pub inner: Inner,"),
            Vec::new(),
        ),
        state_case(
            "`Deserialize` derived through `cfg_attr`",
            &deps,
            &state_lib(&STRUCT_BASE.replace(
                "#[derive(Serialize, Deserialize)]",
                "#[cfg_attr(feature = \"persist\", derive(Serialize, Deserialize))]",
            )),
            &state_lib(
                &STRUCT_BASE
                    .replace(
                        "#[derive(Serialize, Deserialize)]",
                        "#[cfg_attr(feature = \"persist\", derive(Serialize, Deserialize))]",
                    )
                    .replace("pub count: u32", "pub count: u64"),
            ),
            vec![deny("HL002", &["`count`", "`u64`"])],
        ),
        state_case(
            "state that is not serialized nor versioned: dropped and rebuilt, never HL002",
            &deps,
            &state_lib("pub struct Stored {\n    pub count: u32,\n}\n"),
            &state_lib("pub struct Stored {\n    pub count: String,\n    pub more: Vec<u8>,\n}\n"),
            Vec::new(),
        ),
        // The nested type carries its own version: the closure stops there; it is checked on
        // its own, and its migration covers its change.
        state_case(
            "a nested versioned type bumped with a path",
            &deps,
            &with_inner(
                "pub depth: u8,\n}\n\nimpl Inner {\n    pub const STATE_VERSION: u32 = 1;\n\n    pub fn code_change(from: u32, old: u8) -> Result<Inner, String> {\n        match from {\n            _ => Err(format!(\"{from} {old}\")),\n        }\n    }",
                "pub inner: Inner,",
            ),
            &with_inner(
                "pub depth: u16,\n}\n\nimpl Inner {\n    pub const STATE_VERSION: u32 = 2;\n\n    pub fn code_change(from: u32, old: u8) -> Result<Inner, String> {\n        match from {\n            1 => Ok(Inner { depth: old.into() }),\n            _ => Err(format!(\"{from} {old}\")),\n        }\n    }",
                "pub inner: Inner,",
            ),
            Vec::new(),
        ),
        state_case(
            "a nested versioned type changed without a bump: reported on it",
            &deps,
            &with_inner(
                "pub depth: u8,\n}\n\nimpl Inner {\n    pub const STATE_VERSION: u32 = 1;\n\n    pub fn code_change(from: u32, old: u8) -> Result<Inner, String> {\n        match from {\n            _ => Err(format!(\"{from} {old}\")),\n        }\n    }",
                "pub inner: Inner,",
            ),
            &with_inner(
                "pub depth: u16,\n}\n\nimpl Inner {\n    pub const STATE_VERSION: u32 = 1;\n\n    pub fn code_change(from: u32, old: u8) -> Result<Inner, String> {\n        match from {\n            _ => Err(format!(\"{from} {old}\")),\n        }\n    }",
                "pub inner: Inner,",
            ),
            vec![deny("HL002", &["`depth`", "`Inner`"])],
        ),
    ];
    assert_no_failures("closure", &run_cases(&cases));
}

#[test]
fn remote_message_closure() {
    let info = |field: &str| {
        format!(
            "#[derive(Serialize, Deserialize)]\npub struct Join {{\n    pub user: String,\n    pub info: Info,\n}}\n\n\
             #[derive(Serialize, Deserialize)]\npub struct Info {{\n    {field}\n}}\n{JOIN_CMD}"
        )
    };
    let cases = vec![kameo_case(
        "a nested type's field retyped",
        &info("pub level: u8,"),
        &info("pub level: String,"),
        vec![deny("HL005", &["`level`", "`Info`"])],
    )];
    assert_no_failures("remote closure", &run_cases(&cases));
}

#[test]
fn kameo_remote_message_type_renamed() {
    // kameo's default remote message id is derived from the message type as spelled (SPEC §1,
    // rules/frameworks/kameo.toml `identity = "type-hash"`): renaming `Join` to `Enter` changes
    // the id, so old and new nodes no longer route each other's messages: HL005 deny, as for a
    // move.
    let base = single(&kameo_deps(), "", &kameo_lib(KAMEO_BASE));
    let head = single(&kameo_deps(), "", &kameo_lib(KAMEO_BASE).replace("Join", "Enter"));
    let (found, _) = run_case(&base, &head, Mode::Worktree);
    assert_eq!(mismatch(&found, &[deny("HL005", &["`Join`", "`Enter`"])]), None, "{found:?}");
    // A new message added beside the old ones is not a rename: nothing.
    let added =
        format!("{KAMEO_BASE}\n#[derive(Serialize, Deserialize)]\npub struct Leave {{\n    pub user: String,\n}}\n");
    let head = single(
        &kameo_deps(),
        "",
        &format!(
            "{}\n#[remote_message]\nimpl Message<Leave> for Hub {{\n    type Reply = ();\n\n    async fn handle(&mut self, msg: Leave, _ctx: &mut Context<Self, Self::Reply>) {{\n        let _ = msg;\n    }}\n}}\n",
            kameo_lib(&added)
        ),
    );
    let (found, _) = run_case(&base, &head, Mode::Worktree);
    assert_eq!(mismatch(&found, &[]), None, "{found:?}");
}

// =============================================================================================
// Adding a convention to data already stored (SPEC §2).

#[test]
fn convention_added_to_stored_data() {
    let positional = Enc::Positional.deps();
    let cases = vec![
        // The revision crate prefixes every value with its revision: old bytes do not read.
        state_case(
            "`#[revisioned]` added to serialized state",
            &format!("{positional}revision = \"0.10\"\n"),
            STRUCT_BASE,
            &format!(
                "use revision::revisioned;\n\n{}",
                STRUCT_BASE.replace(
                    "#[derive(Serialize, Deserialize)]",
                    "#[derive(Serialize, Deserialize)]\n#[revisioned(revision = 1)]"
                )
            ),
            vec![deny("HL002", &["`Stored`", "revision"])],
        ),
        // hotlint's convention changes no bytes.
        state_case(
            "hotlint's convention added to serialized state",
            &positional,
            STRUCT_BASE,
            &format!(
                "{STRUCT_BASE}\nimpl Stored {{\n    pub const STATE_VERSION: u32 = 1;\n\n    \
                 pub fn code_change(from: u32) -> Result<Stored, String> {{\n        match from {{\n            \
                 _ => Err(format!(\"unknown version {{from}}\")),\n        }}\n    }}\n}}\n"
            ),
            Vec::new(),
        ),
    ];
    assert_no_failures("convention added", &run_cases(&cases));
}

// =============================================================================================
// Workspace layout at each revision; repositories whose workspace is below the top.

/// A package named `name` in `dir` (positional encoding); `standalone` gives it a `[workspace]`
/// of its own.
fn member(dir: &str, name: &str, lib: &str, standalone: bool) -> Vec<(String, String)> {
    vec![
        (
            format!("{dir}/Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{}{}",
                Enc::Positional.deps(),
                if standalone { "\n[workspace]\n" } else { "" }
            ),
        ),
        (format!("{dir}/src/lib.rs"), lib.to_string()),
    ]
}

#[test]
fn workspace_member_moved_between_revisions() {
    let repo = Repo::new();
    let write_ws = |dir: &str, lib: &str, old: Option<&str>| {
        if let Some(old) = old {
            std::fs::remove_dir_all(repo.path().join(old)).unwrap();
        }
        repo.write("Cargo.toml", &format!("[workspace]\nmembers = [\"{dir}\"]\nresolver = \"2\"\n"));
        for (p, t) in member(dir, "demo", lib, false) {
            repo.write(&p, &t);
        }
    };
    write_ws("demo", &state_lib(STRUCT_BASE), None);
    repo.commit("base: one member at demo/");
    // The member moves to crates/demo: same types, no finding.
    write_ws("crates/demo", &state_lib(STRUCT_BASE), Some("demo"));
    let (new, _) = history(&repo, &["--base", "HEAD"]);
    assert_eq!(mismatch(&new, &[]), None, "a member that moved is the same member");
    // Moved and changed: the change is found in its new place.
    write_ws("crates/demo", &state_lib(&STRUCT_BASE.replace("pub count: u32", "pub count: u64")), None);
    let (new, _) = history(&repo, &["--base", "HEAD"]);
    assert_eq!(mismatch(&new, &[deny("HL002", &["`count`", "`u64`"])]), None);
    assert_eq!(new[0].file, "crates/demo/src/lib.rs");
    // Committed, and read back through `--head`.
    repo.commit("moved and changed");
    let (new, _) = history(&repo, &["--head", "HEAD", "--base", "HEAD~1"]);
    assert_eq!(mismatch(&new, &[deny("HL002", &["`count`", "`u64`"])]), None);
}

#[test]
fn member_added_at_head_is_not_a_change() {
    let repo = Repo::new();
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"demo\"]\nresolver = \"2\"\n");
    for (p, t) in member("demo", "demo", &state_lib(STRUCT_BASE), false) {
        repo.write(&p, &t);
    }
    repo.commit("base");
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"demo\", \"extra\"]\nresolver = \"2\"\n");
    for (p, t) in member("extra", "extra", &state_lib(STRUCT_BASE), false) {
        repo.write(&p, &t);
    }
    let (new, _) = history(&repo, &["--base", "HEAD"]);
    assert_eq!(mismatch(&new, &[]), None, "types of a new member have no history");
}

#[test]
fn workspace_below_the_repository_top() {
    let repo = Repo::new();
    repo.write("README.md", "monorepo\n");
    for (p, t) in member("services/demo", "demo", &state_lib(STRUCT_BASE), true) {
        repo.write(&p, &t);
    }
    let base = repo.commit("base");
    repo.write("services/demo/src/lib.rs", &state_lib(&STRUCT_BASE.replace("pub count: u32", "pub count: u64")));
    // From the workspace root and from a directory inside it.
    for cwd in ["services/demo", "services/demo/src"] {
        let report = repo.hotlint_in(cwd, &["check", "--format", "json", "--base", "HEAD"]).report();
        assert_eq!(report.base().as_deref(), Some(base.as_str()), "{cwd}");
        let hl002: Vec<&Found> = report.findings.iter().filter(|f| f.code == "HL002").collect();
        assert_eq!(hl002.len(), 1, "{cwd}: {:?}", report.findings);
        assert!(hl002[0].message.contains("`count`"), "{cwd}: {:?}", hl002[0]);
        // Paths are relative to the workspace root.
        assert_eq!(hl002[0].file, "src/lib.rs", "{cwd}");
    }
}

#[test]
fn staged_in_a_workspace_below_the_repository_top() {
    // `--staged` resolves `HEAD` with the repository's top and the workspace's prefix, and reads
    // the base's changed files by path through the index's git reader: a workspace in a
    // subdirectory, first without any commit (no `HEAD`), then with a staged modification of a
    // file whose name has a space and a staged deletion.
    let repo = Repo::new();
    repo.write("README.md", "monorepo\n");
    let lib = "use ractor::Actor;\n\n#[path = \"state file.rs\"]\npub mod state;\npub mod gone;\n\npub struct Keeper;\n\n\
               impl Actor for Keeper {\n    type Msg = ();\n    type State = state::Stored;\n    type Arguments = ();\n}\n";
    let state =
        |count: &str| format!("use serde::{{Deserialize, Serialize}};\n\n{}", STRUCT_BASE.replace("u32", count));
    for (p, t) in member("services/demo", "demo", lib, true) {
        repo.write(&p, &t);
    }
    repo.write("services/demo/src/state file.rs", &state("u32"));
    repo.write("services/demo/src/gone.rs", "pub struct Gone;\n");
    repo.git(&["add", "-A"]);
    for cwd in ["services/demo", "services/demo/src"] {
        let report = repo.hotlint_in(cwd, &["check", "--format", "json", "--staged"]).report();
        assert_eq!(report.base(), None, "{cwd}: no commit, no base");
        assert_eq!(report.head(), "staged", "{cwd}");
        assert!(report.findings.iter().all(|f| f.code != "HL002"), "{cwd}: {:?}", report.findings);
    }
    let base = repo.commit("base");
    repo.write("services/demo/src/state file.rs", &state("u64"));
    repo.write("services/demo/src/lib.rs", &lib.replace("pub mod gone;\n", ""));
    repo.git(&["add", "-A"]);
    // The working tree goes back to the base: only what is staged counts.
    repo.write("services/demo/src/state file.rs", &state("u32"));
    for cwd in ["services/demo", "services/demo/src"] {
        let report = repo.hotlint_in(cwd, &["check", "--format", "json", "--staged"]).report();
        assert_eq!(report.base().as_deref(), Some(base.as_str()), "{cwd}");
        let hl002: Vec<&Found> = report.findings.iter().filter(|f| f.code == "HL002").collect();
        assert_eq!(hl002.len(), 1, "{cwd}: {:?}", report.findings);
        assert!(hl002[0].message.contains("`count`"), "{cwd}: {:?}", hl002[0]);
        assert_eq!(hl002[0].file, "src/state file.rs", "{cwd}");
    }
}

#[test]
fn base_without_the_workspace() {
    // The crate is new on this branch: the base revision has no `Cargo.toml` at all. Nothing has
    // history, so the run is done with no history finding (every tracked type is "added"), as
    // for a member added at head; the exit status follows the head's own findings.
    let repo = Repo::new();
    repo.write("README.md", "empty\n");
    let base = repo.commit("before the crate");
    repo.set_crate(&single(&Enc::Positional.deps(), "", &state_lib(STRUCT_BASE)));
    let (new, report) = history(&repo, &["--base", "HEAD"]);
    assert_eq!(report.base().as_deref(), Some(base.as_str()));
    assert_eq!(mismatch(&new, &[]), None, "types new at head have no history");
}

#[test]
fn revision_syntax_git_accepts() {
    let repo = Repo::new();
    repo.set_crate(&two_types("u32", "u32"));
    let c1 = repo.commit("C1");
    // An annotated tag (a tag object, peeled to its commit) and a lightweight one.
    repo.git(&["-c", "user.name=t", "-c", "user.email=t@t", "tag", "-a", "v1.0.0", "-m", "release"]);
    repo.git(&["tag", "light"]);
    repo.set_crate(&two_types("u64", "u32"));
    let c2 = repo.commit("C2");
    repo.set_crate(&two_types("u64", "u64"));
    let a_widened = "field `a` of `Other` changed type `u32` → `u64`";
    let short_c1 = &c1[..8];
    for (args, base) in [
        (vec!["--base", "v1.0.0"], &c1),
        (vec!["--base", "light"], &c1),
        (vec!["--base", "HEAD^"], &c1),
        (vec!["--base", "HEAD@{1}"], &c1),
        (vec!["--base", short_c1], &c1),
        (vec!["--base", "v1.0.0^{commit}"], &c1),
    ] {
        let (new, report) = history(&repo, &args);
        assert_eq!(report.base().as_deref(), Some(base.as_str()), "{args:?}");
        assert_eq!(mismatch(&new, &[deny("HL002", &[COUNT_WIDENED]), deny("HL002", &[a_widened])]), None, "{args:?}");
    }
    let (new, report) = history(&repo, &["--base", "HEAD"]);
    assert_eq!(report.base().as_deref(), Some(c2.as_str()));
    assert_eq!(mismatch(&new, &[deny("HL002", &[a_widened])]), None);
}

#[test]
fn commit_message_search_revision() {
    // `:/C1` (the youngest commit whose message matches `C1`) is revision syntax git accepts and
    // names a commit: `--base :/C1` compares against it.
    let repo = Repo::new();
    repo.set_crate(&two_types("u32", "u32"));
    let c1 = repo.commit("C1");
    repo.set_crate(&two_types("u64", "u32"));
    repo.commit("C2");
    assert_eq!(repo.rev(":/C1"), c1, "git resolves it");
    let (new, report) = history(&repo, &["--base", ":/C1"]);
    assert_eq!(report.base().as_deref(), Some(c1.as_str()));
    assert_eq!(mismatch(&new, &[deny("HL002", &[COUNT_WIDENED])]), None);
}

// =============================================================================================
// What a finding says.

#[test]
fn hl002_names_the_change_and_both_revisions() {
    let deps = Enc::Positional.deps();
    let base = single(&deps, "", &state_lib(STRUCT_BASE));
    let head = single(&deps, "", &state_lib(&STRUCT_BASE.replace("pub count: u32", "pub count: u64")));
    let (new, report) = run_case(&base, &head, Mode::Worktree);
    assert_eq!(new.len(), 1, "{new:?}");
    let f = report.json["findings"].as_array().unwrap().iter().find(|f| f["code"] == "HL002").unwrap();
    assert_eq!(f["name"], "state-changed-without-migration");
    assert_eq!(f["type"], "demo::Stored");
    assert_eq!(f["file"], "src/lib.rs");
    let head_text = state_lib(&STRUCT_BASE.replace("pub count: u32", "pub count: u64"));
    let line = head_text.lines().position(|l| l.contains("pub count: u64")).unwrap() + 1;
    assert_eq!(f["line"].as_u64(), Some(line as u64), "points at the changed field at head");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("`count`") && message.contains("`u32` → `u64`") && message.contains("bincode"),
        "{message}"
    );
    // The base revision's definition is shown, labelled with the base commit.
    let base_commit = report.base().unwrap();
    let notes: Vec<&str> = f["notes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(notes.iter().any(|n| n.contains(&base_commit[..12]) && n.contains("pub count: u32")), "{notes:?}");
    let help = f["help"].as_str().unwrap();
    assert!(help.contains("STATE_VERSION") && help.contains("code_change"), "{help}");
}

#[test]
fn serde_repr_state_is_tracked() {
    // An actor state that derives `Deserialize_repr` (serde_repr) is read back with serde (SPEC
    // §1 "Tracked type": "derives or implements serde `Deserialize`"), and changing a
    // discriminant under serde_repr breaks every encoding (verdict table, "× with
    // `serde_repr`"), as for a nested enum (the `serde_repr` row of ROWS).
    let base = "#[derive(serde_repr::Serialize_repr, serde_repr::Deserialize_repr)]\n#[repr(u8)]\npub enum Stored {\n    Low = 1,\n    High = 2,\n}\n";
    let head = base.replace("High = 2", "High = 5");
    for enc in [Enc::Named, Enc::Positional] {
        let (found, report) = run_case(
            &single(&enc.deps(), "", &state_lib(base)),
            &single(&enc.deps(), "", &state_lib(&head)),
            Mode::Worktree,
        );
        assert_eq!(mismatch(&found, &[deny("HL002", &["`High`"])]), None, "{enc:?}");
        assert!(!report.json["tracked"].as_array().unwrap().is_empty(), "{enc:?}: the state is tracked");
    }
}

// =============================================================================================
// `#[cfg]` variants of re-exports: every variant of every `use`, `pub use`, glob and `mod` on the
// way to a type is part of the shape, not only the first one found (a state type per target
// architecture, re-exported by glob, where only the first arch's was compared).

/// A crate whose actor state `Stored` holds `arch::VcpuState`, with `files` besides `src/lib.rs`.
fn arch_crate(lib_extra: &str, files: &[(&str, &str)]) -> Crate {
    let lib = format!(
        "use ractor::Actor;\nuse serde::{{Deserialize, Serialize}};\n\npub mod arch;\n{lib_extra}\npub struct Keeper;\n\n\
         impl Actor for Keeper {{\n    type Msg = ();\n    type State = Stored;\n    type Arguments = ();\n}}\n\n\
         #[derive(Serialize, Deserialize)]\npub struct Stored {{\n    pub vcpu: arch::VcpuState,\n}}\n"
    );
    let mut all = vec![("src/lib.rs".to_string(), lib)];
    all.extend(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    Crate { deps: Enc::Positional.deps(), config: String::new(), files: all }
}

const ARCH_GLOBS: &str = "#[cfg(target_arch = \"x86_64\")]\nmod x86_64;\n#[cfg(target_arch = \"x86_64\")]\npub use x86_64::*;\n\n\
                          #[cfg(target_arch = \"aarch64\")]\nmod aarch64;\n#[cfg(target_arch = \"aarch64\")]\npub use aarch64::*;\n";

fn vcpu(fields: &str) -> String {
    format!(
        "use serde::{{Deserialize, Serialize}};\n\n#[derive(Serialize, Deserialize)]\npub struct VcpuState {{\n{fields}}}\n"
    )
}

/// The findings a change brought, as (code, file) pairs, in the three ways a head is given.
fn cfg_case(name: &str, base: &Crate, head: &Crate, expect: &[(&str, &str)], failures: &mut Vec<String>) {
    for &mode in ALL_MODES {
        let (found, _) = run_case(base, head, mode);
        let got: Vec<(String, String)> = found.iter().map(|f| (f.code.clone(), f.file.clone())).collect();
        let want: Vec<(String, String)> = expect.iter().map(|(c, f)| (c.to_string(), f.to_string())).collect();
        if got != want {
            failures.push(format!(
                "{name} [{mode:?}]: expected {want:?}, got:\n{}",
                found.iter().map(|f| format!("    {}", f.short())).collect::<Vec<_>>().join("\n")
            ));
        }
    }
}

#[test]
fn every_cfg_variant_of_a_re_export_is_compared() {
    let mut failures = Vec::new();
    let x86 = vcpu("    pub regs: [u64; 16],\n");
    let arm = vcpu("    pub regs: [u64; 31],\n");
    let arm_retyped = vcpu("    pub regs: Vec<u32>,\n");
    let arm_neutral = format!(
        "{arm}\nimpl VcpuState {{\n    pub fn count(&self) -> usize {{\n        self.regs.len() // all of them\n    }}\n}}\n"
    );

    // Glob re-exports, one per architecture: the field retyped in the second arch's state.
    let globs = |arm: &str| {
        arch_crate("", &[("src/arch/mod.rs", ARCH_GLOBS), ("src/arch/x86_64.rs", &x86), ("src/arch/aarch64.rs", arm)])
    };
    cfg_case(
        "glob re-export, second arch retyped",
        &globs(&arm),
        &globs(&arm_retyped),
        &[("HL002", "src/arch/aarch64.rs")],
        &mut failures,
    );
    cfg_case("glob re-export, second arch neutral change", &globs(&arm), &globs(&arm_neutral), &[], &mut failures);
    // The first arch too (it was the only one compared before).
    let x86_retyped = vcpu("    pub regs: Vec<u32>,\n");
    cfg_case(
        "glob re-export, first arch retyped",
        &globs(&arm),
        &arch_crate(
            "",
            &[("src/arch/mod.rs", ARCH_GLOBS), ("src/arch/x86_64.rs", &x86_retyped), ("src/arch/aarch64.rs", &arm)],
        ),
        &[("HL002", "src/arch/x86_64.rs")],
        &mut failures,
    );

    // Named `pub use` of inline modules, under `unix` / `windows`.
    let named = |windows: &str| {
        let arch = format!(
            "#[cfg(unix)]\npub use self::unix::VcpuState;\n#[cfg(windows)]\npub use self::windows::VcpuState;\n\n\
             #[cfg(unix)]\nmod unix {{\n    use serde::{{Deserialize, Serialize}};\n\n    #[derive(Serialize, Deserialize)]\n    \
             pub struct VcpuState {{\n        pub fd: i32,\n    }}\n}}\n\n\
             #[cfg(windows)]\nmod windows {{\n    use serde::{{Deserialize, Serialize}};\n\n    #[derive(Serialize, Deserialize)]\n    \
             pub struct VcpuState {{\n{windows}    }}\n}}\n"
        );
        arch_crate("", &[("src/arch.rs", &arch)])
    };
    cfg_case(
        "named pub use, second variant retyped",
        &named("        pub handle: u64,\n"),
        &named("        pub handle: String,\n"),
        &[("HL002", "src/arch.rs")],
        &mut failures,
    );
    cfg_case(
        "named pub use, second variant unchanged",
        &named("        pub handle: u64,\n"),
        &named("        // the raw handle\n        pub handle: u64,\n"),
        &[],
        &mut failures,
    );

    // Two `mod imp` under exclusive predicates, reached by a plain (not `pub`) glob `use`, and
    // the type named through that module's re-export.
    let twins = |second: &str| {
        let arch = format!(
            "#[cfg(feature = \"simulated\")]\nmod imp {{\n    use serde::{{Deserialize, Serialize}};\n\n    #[derive(Serialize, Deserialize)]\n    \
             pub struct VcpuState {{\n        pub ticks: u64,\n    }}\n}}\n\n\
             #[cfg(not(feature = \"simulated\"))]\nmod imp {{\n    use serde::{{Deserialize, Serialize}};\n\n    #[derive(Serialize, Deserialize)]\n    \
             pub struct VcpuState {{\n{second}    }}\n}}\n\nuse imp::*;\npub type Vcpu = VcpuState;\n"
        );
        let mut c = arch_crate("", &[("src/arch.rs", &arch)]);
        c.files[0].1 = c.files[0].1.replace("arch::VcpuState", "arch::Vcpu");
        c
    };
    cfg_case(
        "cfg'd `mod` twins, second retyped",
        &twins("        pub cycles: u32,\n"),
        &twins("        pub cycles: i64,\n"),
        &[("HL002", "src/arch.rs")],
        &mut failures,
    );
    cfg_case(
        "cfg'd `mod` twins, unchanged",
        &twins("        pub cycles: u32,\n"),
        &twins("        pub cycles: u32,\n"),
        &[],
        &mut failures,
    );
    assert_no_failures("cfg variants of re-exports", &failures);
}

// =============================================================================================
// obake as real code writes it: the names its macro generates (`Record_v0_1_0`), the bare name
// for the latest version, and the version macro (`Record!["0.1.0"]`), on either side of `From`.

fn obake_deps() -> String {
    format!("obake = {{ version = \"1\", features = [\"serde\"] }}\n{SERDE}serde_json = \"1\"\n")
}

/// A crate with the obake type `Record` at `versions`, its fields, and `impls` after it.
fn obake_lib(versions: &[&str], fields: &str, impls: &str) -> String {
    let versions: String = versions.iter().map(|v| format!("#[obake(version(\"{v}\"))]\n")).collect();
    format!(
        "#![allow(non_camel_case_types)]\nuse serde::{{Deserialize, Serialize}};\n\n\
         #[obake::versioned]\n{versions}#[derive(Serialize, Deserialize)]\npub struct Record {{\n{fields}}}\n\n{impls}"
    )
}

const OBAKE_V1_FIELDS: &str = "    pub id: u64,\n    #[obake(cfg(\"0.1.0\"))]\n    pub name: String,\n";
const OBAKE_V2_FIELDS: &str = "    pub id: u64,\n    #[obake(cfg(\"0.1.0\"))]\n    pub name: String,\n    #[obake(cfg(\">=0.2.0\"))]\n    pub names: Vec<String>,\n";

fn obake_case(name: &str, head_impls: &str, expect: Vec<Expect>) -> Case {
    Case {
        name: format!("obake: {name}"),
        base: single(&obake_deps(), "", &obake_lib(&["0.1.0"], OBAKE_V1_FIELDS, "")),
        head: single(&obake_deps(), "", &obake_lib(&["0.1.0", "0.2.0"], OBAKE_V2_FIELDS, head_impls)),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    }
}

const OBAKE_BODY: &str =
    "    fn from(old: FROM) -> Self {\n        Self { id: old.id, names: vec![old.name] }\n    }\n";

fn obake_from(from: &str, to: &str) -> String {
    format!("impl From<{from}> for {to} {{\n{}}}\n", OBAKE_BODY.replace("FROM", from))
}

#[test]
fn obake_migrations_as_real_code_spells_them() {
    let gap = || vec![deny("HL003", &["`Record`", "0.1.0", "0.2.0"])];
    let cases = vec![
        // Must not fire: every spelling of a path from 0.1.0 to the new version.
        obake_case("generated name to the bare name (the latest)", &obake_from("Record_v0_1_0", "Record"), Vec::new()),
        obake_case("generated names on both sides", &obake_from("Record_v0_1_0", "Record_v0_2_0"), Vec::new()),
        obake_case("version macro on both sides", &obake_from("Record![\"0.1.0\"]", "Record![\"0.2.0\"]"), Vec::new()),
        obake_case("version macro to the bare name", &obake_from("Record![\"0.1.0\"]", "Record"), Vec::new()),
        obake_case("a path to the generated name", &obake_from("self::Record_v0_1_0", "crate::Record"), Vec::new()),
        // Must fire: no path, a path the wrong way, a path of another type.
        obake_case("no `From` impl", "", gap()),
        obake_case(
            "a conversion the other way",
            "impl From<Record> for Record_v0_1_0 {\n    fn from(new: Record) -> Self {\n        Self { id: new.id, name: String::new() }\n    }\n}\n",
            gap(),
        ),
        obake_case(
            "a path of another type whose name starts the same",
            &format!(
                "pub struct RecordSet {{ pub id: u64, pub names: Vec<String> }}\npub struct RecordSet_v0_1_0 {{ pub id: u64, pub name: String }}\n{}",
                obake_from("RecordSet_v0_1_0", "RecordSet")
            ),
            gap(),
        ),
    ];
    assert_no_failures("obake", &run_cases(&cases));
}

#[test]
fn obake_fields_within_the_current_version_are_compared() {
    let path = obake_from("Record_v0_1_0", "Record");
    let at_v2 = |fields: &str| single(&obake_deps(), "", &obake_lib(&["0.1.0", "0.2.0"], fields, &path));
    let case = |name: &str, head: &str, expect: Vec<Expect>| Case {
        name: format!("obake within 0.2.0: {name}"),
        base: at_v2(OBAKE_V2_FIELDS),
        head: at_v2(head),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    };
    let cases = vec![
        // Must fire: the current version's data changes and no version says so.
        case(
            "required field added to the current version",
            &format!("{OBAKE_V2_FIELDS}    #[obake(cfg(\">=0.2.0\"))]\n    pub owner: String,\n"),
            vec![deny("HL002", &["`owner`", "`Record`"])],
        ),
        case(
            "field of every version retyped",
            &OBAKE_V2_FIELDS.replace("pub id: u64", "pub id: String"),
            vec![deny("HL002", &["`id`", "`Record`"])],
        ),
        // Must not fire: a field of an older version only, an optional field, nothing at all.
        case(
            "field of the old version retyped",
            &OBAKE_V2_FIELDS.replace("pub name: String", "pub name: u32"),
            Vec::new(),
        ),
        case(
            "optional field added to the current version",
            &format!(
                "{OBAKE_V2_FIELDS}    #[obake(cfg(\">=0.2.0\"))]\n    #[serde(default)]\n    pub owner: Option<String>,\n"
            ),
            Vec::new(),
        ),
        case("a comment", &format!("    // the record's key\n{OBAKE_V2_FIELDS}"), Vec::new()),
    ];
    assert_no_failures("obake within a version", &run_cases(&cases));
}

// =============================================================================================
// Actor handles: a remote message that carries a `RemoteActorRef<Node>` carries an id, not the
// actor `Node`; the actor's own fields never travel.

#[test]
fn an_actor_named_by_a_handle_in_a_message_is_not_its_data() {
    let lib = |node_fields: &str, ping_fields: &str| {
        format!(
            "use kameo::prelude::*;\nuse serde::{{Deserialize, Serialize}};\n\n\
             #[derive(Actor, RemoteActor)]\npub struct Node {{\n{node_fields}}}\n\n\
             #[derive(Serialize, Deserialize)]\npub struct Ping {{\n{ping_fields}    pub from: RemoteActorRef<Node>,\n}}\n\n\
             #[remote_message]\nimpl Message<Ping> for Node {{\n    type Reply = ();\n\n    \
             async fn handle(&mut self, msg: Ping, _ctx: &mut Context<Self, Self::Reply>) {{\n        let _ = msg;\n    }}\n}}\n"
        )
    };
    let case = |name: &str, base: String, head: String, expect: Vec<Expect>| Case {
        name: format!("kameo handle: {name}"),
        base: single(&kameo_deps(), "", &base),
        head: single(&kameo_deps(), "", &head),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    };
    let cases = vec![
        case(
            "the actor's field retyped",
            lib("    pub peers: Vec<String>,\n", "    pub n: u32,\n"),
            lib("    pub peers: Vec<u64>,\n", "    pub n: u32,\n"),
            Vec::new(),
        ),
        case(
            "the message's own field retyped",
            lib("    pub peers: Vec<String>,\n", "    pub n: u32,\n"),
            lib("    pub peers: Vec<String>,\n", "    pub n: String,\n"),
            vec![deny("HL005", &["`n`", "`Ping`"])],
        ),
    ];
    assert_no_failures("actor handles", &run_cases(&cases));
}

// =============================================================================================
// native_model as its users write it: one struct per version, the new one naming the old with
// `from = Prev` or `try_from = (Prev, Error)`; a path is from the version `Prev` declares.

fn native_model_deps() -> String {
    format!("native_model = \"0.4\"\n{SERDE}serde_json = \"1\"\n")
}

fn native_model_lib(body: &str) -> String {
    format!("use native_model::native_model;\nuse serde::{{Deserialize, Serialize}};\n\n{body}")
}

const ITEM_V1: &str = "#[derive(Serialize, Deserialize)]\n#[native_model(id = 1, version = 1)]\npub struct Item {\n    pub name: String,\n}\n";

fn item_v2(attr: &str) -> String {
    format!(
        "#[derive(Serialize, Deserialize)]\n#[native_model(id = 1, version = 1)]\npub struct ItemV1 {{\n    pub name: String,\n}}\n\n\
         #[derive(Serialize, Deserialize)]\n{attr}\npub struct Item {{\n    pub name: String,\n    pub count: u32,\n}}\n\n\
         impl From<ItemV1> for Item {{\n    fn from(old: ItemV1) -> Self {{\n        Item {{ name: old.name, count: 0 }}\n    }}\n}}\n\n\
         impl From<Item> for ItemV1 {{\n    fn from(new: Item) -> Self {{\n        ItemV1 {{ name: new.name }}\n    }}\n}}\n"
    )
}

#[test]
fn native_model_paths_as_its_users_write_them() {
    let case = |name: &str, head: String, expect: Vec<Expect>| Case {
        name: format!("native_model: {name}"),
        base: single(&native_model_deps(), "", &native_model_lib(ITEM_V1)),
        head: single(&native_model_deps(), "", &native_model_lib(&head)),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    };
    let cases = vec![
        // Must not fire: a bump whose new version names the old one.
        case("bumped with `from`", item_v2("#[native_model(id = 1, version = 2, from = ItemV1)]"), Vec::new()),
        case(
            "bumped with `try_from`",
            item_v2("#[native_model(id = 1, version = 2, try_from = (ItemV1, std::convert::Infallible))]"),
            Vec::new(),
        ),
        // Must fire: a bump with no path.
        case(
            "bumped with no path",
            item_v2("#[native_model(id = 1, version = 2)]"),
            vec![deny("HL003", &["`Item`", "from 1"])],
        ),
    ];
    assert_no_failures("native_model", &run_cases(&cases));
}

// =============================================================================================
// Wire schemas: classes of changes judged by what goes on the wire (issue 15).

/// A `[[track]]` type `demo::Stored` (and any extra `[[track]]` types) with these dependencies.
fn wire_case(name: &str, deps: &str, extra_track: &[&str], base: &str, head: &str, expect: Vec<Expect>) -> Case {
    let mut config = String::from("version = 1\n\n[[track]]\ntype = \"demo::Stored\"\n");
    for t in extra_track {
        config.push_str(&format!("\n[[track]]\ntype = \"{t}\"\n"));
    }
    Case {
        name: format!("wire: {name}"),
        base: single(deps, &config, base),
        head: single(deps, &config, head),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    }
}

fn json_deps() -> String {
    format!("{SERDE}serde_json = \"1\"\nbitflags = \"2\"\n")
}

fn bincode_deps() -> String {
    format!("{SERDE}bincode = \"1\"\n")
}

const FLAGS_STATE: &str = "use serde::{Deserialize, Serialize};

bitflags::bitflags! {
    #[derive(Serialize, Deserialize)]
    pub struct Flags: u32 {
        const READ = 1;
    }
}

#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub flags: Flags,
    pub count: u32,
}
";

const MINICBOR_BASE: &str = "use minicbor::{Decode, Encode};

#[derive(Encode, Decode)]
pub struct Stored {
    #[n(0)]
    pub id: u64,
    #[n(1)]
    pub label: String,
}
";

const BYTES_BASE: &str = "use ractor::BytesConvertable;

pub struct Stored(pub Vec<u8>);

impl BytesConvertable for Stored {
    fn into_bytes(self) -> Vec<u8> {
        self.0
    }
    fn from_bytes(bytes: Vec<u8>) -> Self {
        Stored(bytes)
    }
}
";

#[test]
fn wire_schema_classes() {
    let shared = |inner: &str| {
        format!(
            "use serde::{{Deserialize, Serialize}};\n\n#[derive(Serialize, Deserialize)]\npub struct Stored {{\n    pub inner: Inner,\n}}\n\n\
             #[derive(Serialize, Deserialize)]\npub struct Other {{\n    pub inner: Inner,\n    pub note: String,\n}}\n\n\
             #[derive(Serialize, Deserialize)]\npub struct Inner {{\n{inner}}}\n"
        )
    };
    let minicbor_deps = "minicbor = { version = \"0.24\", features = [\"derive\"] }\n";
    let ractor_deps = "ractor = \"0.15\"\n";
    let cases = vec![
        // A macro-defined type reached by a tracked type: its tokens changing is HL013.
        wire_case(
            "a bitflags! type changed",
            &json_deps(),
            &[],
            FLAGS_STATE,
            &FLAGS_STATE.replace("const READ = 1;", "const READ = 1;\n        const WRITE = 2;"),
            vec![warn("HL013", &["`Flags`", "bitflags"])],
        ),
        wire_case(
            "a bitflags! type unchanged, another field's comment changed",
            &json_deps(),
            &[],
            FLAGS_STATE,
            &FLAGS_STATE.replace("pub count: u32,", "// how many\n    pub count: u32,"),
            vec![],
        ),
        // One changed definition reached by two tracked types is one finding.
        wire_case(
            "a definition shared by two tracked types changed: one finding",
            &bincode_deps(),
            &["demo::Other"],
            &shared("    pub a: u32,\n    pub b: u32,\n"),
            &shared("    pub a: u32,\n"),
            vec![deny("HL002", &["`b`", "`Inner`"])],
        ),
        // minicbor: the index is the identity, the name is free.
        wire_case(
            "minicbor index changed",
            minicbor_deps,
            &[],
            MINICBOR_BASE,
            &MINICBOR_BASE.replace("#[n(1)]", "#[n(7)]"),
            vec![deny("HL002", &["`label`", "index", "#1", "#7"])],
        ),
        wire_case(
            "minicbor field renamed, index kept",
            minicbor_deps,
            &[],
            MINICBOR_BASE,
            &MINICBOR_BASE.replace("pub label: String", "pub name: String"),
            vec![],
        ),
        wire_case(
            "minicbor optional field added under a new index",
            minicbor_deps,
            &[],
            MINICBOR_BASE,
            &MINICBOR_BASE.replace(
                "    pub label: String,\n",
                "    pub label: String,\n    #[n(2)]\n    pub note: Option<String>,\n",
            ),
            vec![],
        ),
        // A hand-written BytesConvertable impl is opaque: its body changing is HL013.
        wire_case(
            "BytesConvertable body changed (a version header added)",
            ractor_deps,
            &[],
            BYTES_BASE,
            &BYTES_BASE.replace(
                "        self.0\n",
                "        let mut out = vec![1u8];\n        out.extend(self.0);\n        out\n",
            ),
            vec![warn("HL013", &["`demo::Stored`", "BytesConvertable"])],
        ),
        wire_case(
            "BytesConvertable unchanged, a comment added",
            ractor_deps,
            &[],
            BYTES_BASE,
            &BYTES_BASE.replace("pub struct Stored", "/// Raw bytes.\npub struct Stored"),
            vec![],
        ),
    ];
    assert_no_failures("wire schema classes", &run_cases(&cases));
}

/// ractor cluster: a variant renamed in an enum nested in a message's payload is judged by the
/// encoding (positional: names are not on the wire); the message enum's own variant names are
/// its identity.
#[test]
fn cluster_identity_is_for_the_message_itself() {
    let lib = |mode: &str, msg_variant: &str| {
        ractor_cluster_lib(&format!(
            "use serde::{{Deserialize, Serialize}};\n\n#[derive(RactorClusterMessage)]\npub enum NodeMsg {{\n    Ping(u32),\n    {msg_variant}(Mode),\n}}\n\n\
             #[derive(Serialize, Deserialize)]\npub enum Mode {{\n    Fast,\n    {mode},\n}}\n"
        ))
    };
    let deps = format!("{}{SERDE}", ractor_cluster_deps());
    let case = |name: &str, head: String, expect: Vec<Expect>| Case {
        name: format!("ractor cluster: {name}"),
        base: single(&deps, "", &lib("Slow", "Set")),
        head: single(&deps, "", &head),
        expect,
        modes: &[Mode::Worktree, Mode::Committed],
    };
    let cases = vec![
        case("a nested enum's variant renamed", lib("Careful", "Set"), vec![]),
        case(
            "the message's own variant renamed",
            lib("Slow", "Apply"),
            vec![deny("HL005", &["`Set`", "`Apply`", "identity"])],
        ),
    ];
    assert_no_failures("cluster identity", &run_cases(&cases));
}

/// kameo: dropping an explicit remote id (or adding one) changes the id nodes route by.
#[test]
fn kameo_explicit_remote_id() {
    let pinned = |id: &str| {
        kameo_lib(JOIN_CMD).replacen(
            "#[remote_message]\nimpl Message<Join>",
            &format!("#[remote_message({id})]\nimpl Message<Join>"),
            1,
        )
    };
    let join = "\n#[derive(Serialize, Deserialize)]\npub struct Join {\n    pub name: String,\n}\n";
    let with = |s: String| format!("{s}{join}");
    let cases = vec![
        Case {
            name: "kameo: explicit id dropped".into(),
            base: single(&kameo_deps(), "", &with(pinned("\"join-v1\""))),
            head: single(&kameo_deps(), "", &with(kameo_lib(JOIN_CMD))),
            expect: vec![deny("HL005", &["`Join`", "explicit id", "join-v1"])],
            modes: &[Mode::Worktree, Mode::Committed],
        },
        Case {
            name: "kameo: explicit id changed".into(),
            base: single(&kameo_deps(), "", &with(pinned("\"join-v1\""))),
            head: single(&kameo_deps(), "", &with(pinned("\"join-v2\""))),
            expect: vec![deny("HL005", &["`Join`", "`join-v1` → `join-v2`"])],
            modes: &[Mode::Worktree],
        },
        Case {
            name: "kameo: explicit id kept".into(),
            base: single(&kameo_deps(), "", &with(pinned("\"join-v1\""))),
            head: single(
                &kameo_deps(),
                "",
                &with(pinned("\"join-v1\"")).replace("pub struct Hub;", "/// The hub.\npub struct Hub;"),
            ),
            expect: vec![],
            modes: &[Mode::Worktree],
        },
    ];
    assert_no_failures("kameo explicit id", &run_cases(&cases));
}

/// A prefixing convention dropped (vm-superio-ser removed `Versionize` and kept serde): what
/// was stored with the version prefix no longer reads (HL002); kept, nothing.
#[test]
fn a_prefixing_convention_dropped_is_a_change_of_bytes() {
    let deps = format!("{SERDE}bincode = \"1\"\nversionize = \"0.2\"\nversionize_derive = \"0.1\"\n");
    let lib = |derive: &str, doc: &str| {
        format!(
            "use serde::{{Deserialize, Serialize}};\nuse versionize_derive::Versionize;\n\n{doc}#[derive(Clone, Deserialize, Serialize{derive})]\npub struct Stored {{\n    pub divisor: u8,\n    pub scratch: u8,\n}}\n"
        )
    };
    let cases = vec![
        wire_case(
            "`Versionize` derive removed, serde kept",
            &deps,
            &[],
            &lib(", Versionize", ""),
            &lib("", ""),
            vec![deny("HL002", &["`Stored`", "no longer `versionize`-versioned"])],
        ),
        wire_case(
            "`Versionize` derive kept",
            &deps,
            &[],
            &lib(", Versionize", ""),
            &lib(", Versionize", "/// State.\n"),
            vec![],
        ),
    ];
    assert_no_failures("prefixing convention dropped", &run_cases(&cases));
}

/// `#[serde(from/into)]` proxies and `transparent` wrappers are what goes on the wire: a change
/// behind the proxy is no change of bytes, a change of the proxy is; an alias nested in a
/// generic argument is what it names.
#[test]
fn proxies_and_aliases_inside_the_schema() {
    let lib = |wrapped_fields: &str, proxy: &str, extra: &str| {
        format!(
            "use serde::{{Deserialize, Serialize}};\n\n#[derive(Serialize, Deserialize)]\npub struct Stored {{\n    pub id: Wrapped,\n    pub pairs: Vec<Pair>,\n}}\n\n\
             #[derive(Serialize, Deserialize)]\n#[serde(from = \"{proxy}\", into = \"{proxy}\")]\npub struct Wrapped {{\n{wrapped_fields}}}\n\n{extra}"
        )
    };
    let base = lib("    inner: String,\n", "u64", "pub type Pair = (u32, u32);\n");
    let cases = vec![
        wire_case(
            "a field behind a `from` proxy changed",
            &bincode_deps(),
            &[],
            &base,
            &lib("    inner: String,\n    cache: Vec<u8>,\n", "u64", "pub type Pair = (u32, u32);\n"),
            vec![],
        ),
        wire_case(
            "the `from` proxy itself changed",
            &bincode_deps(),
            &[],
            &base,
            &lib("    inner: String,\n", "String", "pub type Pair = (u32, u32);\n"),
            vec![deny("HL002", &["`Wrapped`", "`String`", "`u64`"])],
        ),
        wire_case(
            "an alias in a generic argument replaced by what it names",
            &bincode_deps(),
            &[],
            &base,
            &lib("    inner: String,\n", "u64", "").replace("Vec<Pair>", "Vec<(u32, u32)>"),
            vec![],
        ),
        wire_case(
            "an alias in a generic argument retargeted",
            &bincode_deps(),
            &[],
            &base,
            &lib("    inner: String,\n", "u64", "pub type Pair = (u32, u64);\n"),
            vec![deny("HL002", &["`pairs`", "`Vec<(u32, u32)>` → `Vec<(u32, u64)>`"])],
        ),
    ];
    assert_no_failures("proxies and aliases", &run_cases(&cases));
}
