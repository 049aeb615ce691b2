#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Determinism and "nothing written that was not asked for" (issue 7, items 5 and 6).
//!
//! Determinism: one busy workspace (two packages, many modules and actors, a file that does not
//! parse, a stale configuration entry, a tracked type changed between two commits) is checked in
//! every output format, and the bytes must not depend on the thread count, the run, the order in
//! which the file system returns directory entries, or the environment (`HOME`, `CARGO_HOME`,
//! locale, time zone, whether `cargo metadata` could run).
//!
//! Nothing written: before and after every command that is not asked to write a file, the
//! working tree (paths, modes, contents, modification times), the index file's bytes, the refs
//! (`git for-each-ref` and `HEAD`), the object store's file list and every other file under
//! `.git` are snapshotted and must be equal. `--output FILE`, `--write-baseline FILE` and `lock`
//! write their file and nothing else, and leave no temporary file behind.
//!
//! Hermetic: git runs without global or system configuration, commits have fixed dates and
//! identity (so two copies of the workspace have the same commit ids), and no dependency is
//! downloaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

/// The arguments whose output is compared, each with a name for messages.
const RUNS: &[(&str, &[&str])] = &[
    ("json", &["--format", "json"]),
    ("sarif", &["--format", "sarif"]),
    ("human", &["--color", "never"]),
    ("github", &["--format", "github"]),
    ("cargo-json", &["--format", "cargo-json"]),
    ("json --base", &["--format", "json", "--base", "HEAD~1"]),
    ("sarif --base", &["--format", "sarif", "--base", "HEAD~1"]),
    ("human --base", &["--color", "never", "--base", "HEAD~1"]),
    ("json --staged", &["--format", "json", "--staged"]),
    ("plan", &["plan", "--base", "HEAD~1"]),
    ("plan json", &["plan", "--base", "HEAD~1", "--format", "json"]),
];

// =============================================================================================
// Determinism.

#[test]
fn output_is_identical_across_thread_counts_and_runs() {
    let workspace = BusyWorkspace::create(Order::Sorted);
    for (name, args) in RUNS {
        let reference = workspace.run(&with(args, &["-j", "1"]), &[]);
        assert!(!reference.stdout.is_empty(), "{name}: no output: {}", stderr(&reference));
        for jobs in ["2", "7", "1"] {
            let mut again = workspace.run(&with(args, &["-j", jobs]), &[]);
            // `-j` beyond the machine's threads is capped and said on stderr: the one line that
            // may differ (the threads used do not).
            let err: String =
                stderr(&again).lines().filter(|l| !l.starts_with("warning: `-j ")).map(|l| format!("{l}\n")).collect();
            again.stderr = err.into_bytes();
            assert_same(name, &format!("-j 1 vs -j {jobs}"), &reference, &again);
        }
        // The default thread count (all cores).
        assert_same(name, "-j 1 vs default", &reference, &workspace.run(args, &[]));
    }
}

#[test]
fn output_does_not_depend_on_directory_order_or_location() {
    // tmpfs returns directory entries newest first, so copies created in different orders there
    // see different `read_dir` orders; ext4 (the usual /tmp) returns them in name-hash order,
    // which is neither. The copies also live at different absolute paths, which must not leak
    // into the output.
    let shuffled_base = tmpfs_dir();
    let sorted = BusyWorkspace::create(Order::Sorted);
    let reversed = BusyWorkspace::create_in(shuffled_base.as_deref(), Order::Reversed);
    let interleaved = BusyWorkspace::create_in(shuffled_base.as_deref(), Order::Interleaved);
    let listing = |w: &BusyWorkspace| -> Vec<std::ffi::OsString> {
        std::fs::read_dir(w.path().join("alpha/src")).unwrap().map(|e| e.unwrap().file_name()).collect()
    };
    if shuffled_base.is_some() {
        assert_ne!(listing(&reversed), listing(&interleaved), "the file system did not shuffle the directory order");
    }
    assert_eq!(
        sorted.git(&["rev-parse", "HEAD"]),
        reversed.git(&["rev-parse", "HEAD"]),
        "commits are not reproducible"
    );
    for (name, args) in RUNS {
        let reference = sorted.run(args, &[]);
        let text = String::from_utf8_lossy(&reference.stdout);
        if *name == "cargo-json" {
            // cargo's message format carries absolute paths (`manifest_path`, `src_path`) by
            // design; compare with the root replaced.
            for (what, other) in [("reversed", &reversed), ("interleaved", &interleaved)] {
                let other_text = String::from_utf8_lossy(&other.run(args, &[]).stdout)
                    .replace(&other.path().display().to_string(), "<root>");
                let this = text.replace(&sorted.path().display().to_string(), "<root>");
                assert_same_text(name, &format!("sorted vs {what} creation order"), &this, &other_text);
            }
            continue;
        }
        for (what, other) in [("reversed", &reversed), ("interleaved", &interleaved)] {
            assert_same(name, &format!("sorted vs {what} creation order"), &reference, &other.run(args, &[]));
        }
        let root = sorted.path().display().to_string();
        assert!(!text.contains(&root), "{name}: an absolute path in the output");
        assert!(!text.contains(&std::env::temp_dir().display().to_string()), "{name}: an absolute path in the output");
    }
}

#[test]
fn output_does_not_depend_on_the_environment() {
    let workspace = BusyWorkspace::create(Order::Sorted);
    let empty_home = TempDir::new().unwrap();
    let empty_cargo_home = TempDir::new().unwrap();
    let home = empty_home.path().to_str().unwrap();
    let cargo_home = empty_cargo_home.path().to_str().unwrap();
    let environments: &[&[(&str, &str)]] = &[
        &[("HOME", home)],
        &[("CARGO_HOME", cargo_home)],
        &[("HOME", home), ("CARGO_HOME", cargo_home)],
        &[("LC_ALL", "C"), ("LANG", "C")],
        &[("LC_ALL", "tr_TR.UTF-8"), ("LANG", "tr_TR.UTF-8")],
        &[("LANG", "ja_JP.UTF-8"), ("LC_ALL", "")],
        &[("LC_ALL", "POSIX"), ("TZ", "Pacific/Kiritimati")],
        &[("TERM", "dumb"), ("COLUMNS", "20")],
        &[("TERM", "xterm-256color"), ("COLUMNS", "400")],
        // hotlint's own manifest reader instead of `cargo metadata`.
        &[("HOTLINT_NO_CARGO", "1")],
    ];
    for (name, args) in RUNS {
        let reference = workspace.run(args, &[]);
        for env in environments {
            let other = workspace.run(args, env);
            assert_same_text(
                name,
                &format!("with {env:?}"),
                &String::from_utf8_lossy(&reference.stdout),
                &String::from_utf8_lossy(&other.stdout),
            );
            assert_eq!(other.status.code(), reference.status.code(), "{name}: exit status differs with {env:?}");
            // stderr may gain one line: cargo could not run, so hotlint read the manifests.
            let extra: Vec<String> = stderr(&other)
                .lines()
                .filter(|l| !stderr(&reference).lines().any(|r| r == *l))
                .map(str::to_string)
                .collect();
            assert!(
                extra.is_empty()
                    || (extra.len() == 1
                        && extra[0].starts_with("warning: `cargo metadata` could not describe the workspace")),
                "{name}: stderr differs with {env:?}: {extra:?}"
            );
        }
    }
}

// =============================================================================================
// Nothing written.

/// Commands that must leave the repository exactly as they found it.
const READ_ONLY: &[&[&str]] = &[
    &[],
    &["check"],
    &["hotlint", "check", "--format", "json"],
    &["--format", "json"],
    &["--format", "sarif"],
    &["--format", "github"],
    &["--format", "cargo-json"],
    &["--color", "always"],
    &["-q", "--timings"],
    &["--deps"],
    &["--no-deps"],
    &["-D", "warnings"],
    &["--base", "HEAD~1"],
    &["--base", "HEAD~1", "--base-exact"],
    &["--base", "main"],
    &["--head", "HEAD"],
    &["--head", "HEAD~1", "--base", "HEAD"],
    &["--staged"],
    &["--staged", "--base", "HEAD~1"],
    &["plan", "--base", "HEAD~1"],
    &["plan", "--base", "HEAD~1", "--format", "json"],
    &["lock", "--check"],
    &["rules"],
    &["rules", "--format", "json"],
    &["explain", "HL002"],
    &["--help"],
    &["--version"],
    // Runs that cannot be done.
    &["--base", "nosuch"],
    &["--head", "HEAD^{tree}"],
    &["-p", "nosuch"],
    &["--config", "/nonexistent/hotlint.toml"],
    &["--baseline", "/nonexistent/baseline.json"],
    &["--output", "/nonexistent/dir/out.json"],
];

#[test]
fn read_only_commands_write_nothing() {
    let workspace = BusyWorkspace::create(Order::Sorted);
    // Something to see in `--staged` and the working tree: one change staged, one not.
    workspace.write("alpha/src/m00.rs", &workspace.read("alpha/src/m00.rs").replace("Counterm00", "Staged"));
    workspace.git(&["add", "alpha/src/m00.rs"]);
    workspace.write("beta/src/m01.rs", &workspace.read("beta/src/m01.rs").replace("Counterm01", "Unstaged"));
    let baseline_dir = TempDir::new().unwrap();
    let baseline = baseline_dir.path().join("baseline.json");
    let written = workspace.run(&["--write-baseline", baseline.to_str().unwrap(), "-q"], &[]);
    assert!(baseline.is_file(), "{}", stderr(&written));
    let with_baseline: &[&str] = &["--baseline", baseline.to_str().unwrap()];
    let mut commands: Vec<&[&str]> = READ_ONLY.to_vec();
    commands.push(with_baseline);
    for args in commands {
        let before = Snapshot::take(workspace.path());
        let output = workspace.run(args, &[]);
        assert!(matches!(output.status.code(), Some(0..=2)), "{args:?}: {}", stderr(&output));
        before.assert_unchanged(&Snapshot::take(workspace.path()), args);
    }
}

#[test]
fn read_only_commands_write_nothing_in_a_conflicted_repository() {
    let workspace = BusyWorkspace::create(Order::Sorted);
    workspace.git(&["checkout", "-q", "-b", "other", "HEAD~1"]);
    workspace
        .write("alpha/src/state.rs", &workspace.read("alpha/src/state.rs").replace("pub count: u64", "pub count: i64"));
    workspace.commit("other");
    workspace.git(&["checkout", "-q", "main"]);
    let merge = git_command(workspace.path()).args(identity()).args(["merge", "other"]).output().unwrap();
    assert!(!merge.status.success(), "the merge should stop on a conflict");
    for args in
        [&[][..], &["--staged"][..], &["--base", "HEAD"][..], &["--base", "other"][..], &["--head", "MERGE_HEAD"][..]]
    {
        let before = Snapshot::take(workspace.path());
        let output = workspace.run(args, &[]);
        assert!(matches!(output.status.code(), Some(0..=2)), "{args:?}: {}", stderr(&output));
        before.assert_unchanged(&Snapshot::take(workspace.path()), args);
    }
}

#[test]
fn snapshots_see_a_rewrite_with_the_same_bytes_and_a_deleted_temporary_file() {
    // The detector itself: writes that leave contents unchanged must still show.
    let workspace = BusyWorkspace::create(Order::Sorted);
    let unchanged = |change: &dyn Fn()| {
        let before = Snapshot::take(workspace.path());
        std::thread::sleep(std::time::Duration::from_millis(10));
        change();
        let after = Snapshot::take(workspace.path());
        before.differences(&after, None).is_empty()
    };
    let path = workspace.path().join("alpha/src/m03.rs");
    assert!(!unchanged(&|| std::fs::write(&path, std::fs::read(&path).unwrap()).unwrap()), "same-bytes rewrite");
    let tmp = workspace.path().join("beta/.tmp-file");
    assert!(!unchanged(&|| {
        std::fs::write(&tmp, "x").unwrap();
        std::fs::remove_file(&tmp).unwrap();
    }));
    let index = workspace.path().join(".git/index");
    assert!(!unchanged(&|| std::fs::write(&index, std::fs::read(&index).unwrap()).unwrap()), "index rewrite");
    assert!(!unchanged(&|| {
        workspace.git(&["update-ref", "refs/heads/extra", "HEAD"]);
    }));
    assert!(!unchanged(&|| {
        workspace.git(&["hash-object", "-w", "--stdin"]);
    }));
    assert!(unchanged(&|| {
        workspace.git(&["rev-parse", "HEAD"]);
    }));
}

#[test]
fn output_writes_only_its_file() {
    let workspace = BusyWorkspace::create(Order::Sorted);
    let expected = workspace.run(&["--format", "json"], &[]).stdout;
    // Inside the repository (new file, then replacing it), in a subdirectory, and outside.
    std::fs::create_dir(workspace.path().join("reports")).unwrap();
    let outside = TempDir::new().unwrap();
    let targets = [
        workspace.path().join("report.json"),
        workspace.path().join("report.json"),
        workspace.path().join("reports/hotlint.json"),
        outside.path().join("report.json"),
    ];
    for target in &targets {
        let before = Snapshot::take(workspace.path());
        let output = workspace.run(&["--format", "json", "--output", target.to_str().unwrap()], &[]);
        assert!(output.stdout.is_empty(), "with --output, stdout stays empty");
        assert_eq!(std::fs::read(target).unwrap(), expected, "{}", target.display());
        let after = Snapshot::take(workspace.path());
        let rel = target.strip_prefix(workspace.path()).ok().map(|p| p.to_str().unwrap().to_string());
        before.assert_changed_only(&after, rel.as_deref(), &["--output", &target.display().to_string()]);
    }
    let leftovers: Vec<_> = std::fs::read_dir(outside.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "a temporary file was left beside the output: {leftovers:?}");
}

#[test]
fn write_baseline_writes_only_its_file() {
    let workspace = BusyWorkspace::create(Order::Sorted);
    let expected_stdout = workspace.run(&["--format", "json"], &[]).stdout;
    let outside = TempDir::new().unwrap();
    for target in [workspace.path().join("hotlint-baseline.json"), outside.path().join("baseline.json")] {
        let before = Snapshot::take(workspace.path());
        let args = ["--format", "json", "--write-baseline", target.to_str().unwrap()];
        let output = workspace.run(&args, &[]);
        // The report still goes to stdout, unchanged by writing the baseline.
        assert_eq!(output.stdout, expected_stdout);
        let baseline: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
        assert_eq!(baseline["hotlint-baseline"], 1);
        assert!(!baseline["findings"].as_array().unwrap().is_empty());
        let rel = target.strip_prefix(workspace.path()).ok().map(|p| p.to_str().unwrap().to_string());
        before.assert_changed_only(&Snapshot::take(workspace.path()), rel.as_deref(), &args);
        // Written twice, the same bytes.
        let first = std::fs::read(&target).unwrap();
        workspace.run(&args, &[]);
        assert_eq!(std::fs::read(&target).unwrap(), first, "the baseline is not deterministic");
    }
    let leftovers: Vec<_> = std::fs::read_dir(outside.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "a temporary file was left beside the baseline: {leftovers:?}");
}

#[test]
fn lock_writes_only_hotlint_lock() {
    let workspace = BusyWorkspace::create(Order::Sorted);
    let before = Snapshot::take(workspace.path());
    let output = workspace.run(&["lock"], &[]);
    let after = Snapshot::take(workspace.path());
    match output.status.code() {
        // Not built (yet): then it writes nothing at all.
        Some(2) => before.assert_unchanged(&after, &["lock"]),
        Some(0) => {
            before.assert_changed_only(&after, Some("hotlint.lock"), &["lock"]);
            // `lock --check` right after agrees and writes nothing.
            let check = workspace.run(&["lock", "--check"], &[]);
            assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
            after.assert_unchanged(&Snapshot::take(workspace.path()), &["lock", "--check"]);
        }
        other => panic!("lock: exit {other:?}: {}", stderr(&output)),
    }
}

// =============================================================================================
// The workspace.

#[derive(Clone, Copy)]
enum Order {
    Sorted,
    Reversed,
    Interleaved,
}

struct BusyWorkspace {
    dir: TempDir,
}

const STATE: &str = "use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct AlphaState {
    pub count: u64,
    pub names: Vec<String>,
}

pub struct Keeper;

impl ractor::Actor for Keeper {
    type Msg = ();
    type State = AlphaState;
    type Arguments = ();
}
";

/// A ractor actor per module, two per file, so findings share files and differ by line.
fn module_source(module: &str) -> String {
    format!(
        "pub struct Counter{module};\npub struct Counter{module}State {{\n    pub count: u64,\n}}\n\
         impl ractor::Actor for Counter{module} {{\n    type Msg = ();\n    type State = Counter{module}State;\n    \
         type Arguments = ();\n}}\n\npub struct Other{module};\npub struct Other{module}State {{\n    pub seen: Vec<u8>,\n}}\n\
         impl ractor::Actor for Other{module} {{\n    type Msg = ();\n    type State = Other{module}State;\n    \
         type Arguments = ();\n}}\n"
    )
}

impl BusyWorkspace {
    /// The workspace at its base commit, then a second commit changing a tracked type.
    fn create(order: Order) -> BusyWorkspace {
        BusyWorkspace::create_in(None, order)
    }

    /// The same, in a temporary directory under `base` (the system's temporary directory when
    /// `None`), writing the files in `order`.
    fn create_in(base: Option<&Path>, order: Order) -> BusyWorkspace {
        let dir = match base {
            Some(base) => tempfile::Builder::new().tempdir_in(base).unwrap(),
            None => TempDir::new().unwrap(),
        };
        let workspace = BusyWorkspace { dir };
        workspace.git(&["init", "-q", "-b", "main", "."]);
        let mut files = BusyWorkspace::files();
        match order {
            Order::Sorted => {}
            Order::Reversed => files.reverse(),
            Order::Interleaved => {
                let (even, odd): (Vec<_>, Vec<_>) = files.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
                files = odd.into_iter().rev().chain(even).map(|(_, f)| f).collect();
            }
        }
        for (rel, text) in &files {
            workspace.write(rel, text);
        }
        workspace.commit("base");
        workspace.write("alpha/src/state.rs", &STATE.replace("pub count: u64", "pub count: u32"));
        workspace.commit("head");
        workspace
    }

    fn files() -> Vec<(String, String)> {
        let mut files = vec![
            ("Cargo.toml".to_string(), "[workspace]\nmembers = [\"alpha\", \"beta\"]\nresolver = \"2\"\n".to_string()),
            (
                "hotlint.toml".to_string(),
                "version = 1\nephemeral = [\"alpha::Gone\"]\n\n[[track]]\ntype = \"alpha::state::AlphaState\"\n\
                 encoding = \"positional\"\n"
                    .to_string(),
            ),
        ];
        for package in ["alpha", "beta"] {
            files.push((
                format!("{package}/Cargo.toml"),
                format!(
                    "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
                     [dependencies]\nractor = \"0.15\"\nserde = {{ version = \"1\", features = [\"derive\"] }}\n"
                ),
            ));
            let modules: Vec<String> = (0..12).map(|n| format!("m{n:02}")).collect();
            let mut lib: String = modules.iter().map(|m| format!("pub mod {m};\n")).collect();
            lib.push_str("pub mod broken;\npub mod nested;\n");
            if package == "alpha" {
                lib.push_str("pub mod state;\n");
                files.push((format!("{package}/src/state.rs"), STATE.to_string()));
            }
            files.push((format!("{package}/src/lib.rs"), lib));
            for module in &modules {
                files.push((format!("{package}/src/{module}.rs"), module_source(module)));
            }
            files.push((format!("{package}/src/broken.rs"), "pub struct Half {\n    pub field: ,\n}\n".to_string()));
            files.push((format!("{package}/src/nested/mod.rs"), "pub mod a;\npub mod b;\n".to_string()));
            files.push((format!("{package}/src/nested/a.rs"), module_source("NestedA")));
            files.push((format!("{package}/src/nested/b.rs"), module_source("NestedB")));
        }
        files
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = git_command(self.path()).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&[&identity()[..], &["commit", "-q", "-m", message]].concat());
    }

    /// The binary in the workspace, isolated from the user's git configuration and colour
    /// settings, with `env` added.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.path())
            .env("CARGO_NET_OFFLINE", "true")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CEILING_DIRECTORIES", format!("{}:/dev/shm", std::env::temp_dir().display()))
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("HOTLINT_NO_CARGO")
            .env_remove("NO_COLOR")
            .env_remove("CARGO_TERM_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("RUST_BACKTRACE");
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        let err = stderr(&output);
        assert!(!err.contains("panicked") && !err.contains("internal error"), "{args:?} {env:?} panicked: {err}");
        output
    }
}

/// A tmpfs directory to create temporary directories in (`/dev/shm` on Linux), if there is one.
fn tmpfs_dir() -> Option<PathBuf> {
    let shm = Path::new("/dev/shm");
    tempfile::Builder::new().tempdir_in(shm).ok().map(|_| shm.to_path_buf())
}

fn with<'a>(args: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    [args, more].concat()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_same(name: &str, what: &str, reference: &Output, other: &Output) {
    assert_eq!(other.status.code(), reference.status.code(), "{name}: exit status differs ({what})");
    assert_same_text(name, what, &String::from_utf8_lossy(&reference.stdout), &String::from_utf8_lossy(&other.stdout));
    assert_same_text(&format!("{name} (stderr)"), what, &stderr(reference), &stderr(other));
}

/// Equal texts, or a failure naming the first line that differs (not two whole reports).
fn assert_same_text(name: &str, what: &str, reference: &str, other: &str) {
    if reference == other {
        return;
    }
    let (line, (a, b)) = reference
        .lines()
        .chain(std::iter::repeat("<end>"))
        .zip(other.lines().chain(std::iter::repeat("<end>")))
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .unwrap();
    panic!("{name}: output differs ({what}) at line {}:\n  reference: {a}\n  other:     {b}", line + 1);
}

fn identity() -> [&'static str; 4] {
    ["-c", "user.name=hotlint tests", "-c", "user.email=tests@hotlint.invalid"]
}

/// A `git` command isolated from the user's configuration, with fixed commit dates.
fn git_command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    c
}

// =============================================================================================
// Snapshots of a repository.

/// What a file system entry looks like: kind, permission bits, modification time and contents
/// (or link target).
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    kind: &'static str,
    mode: u32,
    mtime_ns: i128,
    contents: Vec<u8>,
}

#[derive(Debug)]
struct Snapshot {
    /// Every path outside `.git`.
    worktree: BTreeMap<String, Entry>,
    /// `.git/index`, byte for byte, and its modification time.
    index: Option<Entry>,
    /// `git for-each-ref` and `.git/HEAD`.
    refs: String,
    /// Paths under `.git/objects`.
    objects: Vec<String>,
    /// Every other path under `.git` (config, logs, merge state, …).
    git_rest: BTreeMap<String, Entry>,
}

impl Snapshot {
    fn take(root: &Path) -> Snapshot {
        let mut all = BTreeMap::new();
        let meta = std::fs::metadata(root).unwrap();
        all.insert(String::new(), Entry { kind: "dir", mode: 0, mtime_ns: mtime_ns(&meta), contents: Vec::new() });
        walk(root, root, &mut all);
        let mut worktree = BTreeMap::new();
        let mut git_rest = BTreeMap::new();
        let mut objects = Vec::new();
        let mut index = None;
        for (rel, entry) in all {
            if rel == ".git/index" {
                index = Some(entry);
            } else if rel.starts_with(".git/objects/") {
                objects.push(rel);
            } else if rel == ".git" || rel.starts_with(".git/") {
                git_rest.insert(rel, entry);
            } else {
                worktree.insert(rel, entry);
            }
        }
        let refs = git_command(root)
            .args(["for-each-ref", "--format=%(refname) %(objectname) %(symref)"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
            + &std::fs::read_to_string(root.join(".git/HEAD")).unwrap_or_default();
        Snapshot { worktree, index, refs, objects, git_rest }
    }

    fn assert_unchanged(&self, after: &Snapshot, args: &[&str]) {
        self.assert_changed_only(after, None, args);
    }

    /// Equal, except that `written` (a path relative to the root) may have been created or
    /// replaced, which also changes its directory's modification time.
    fn assert_changed_only(&self, after: &Snapshot, written: Option<&str>, args: &[&str]) {
        if let Some(rel) = written {
            assert!(after.worktree.contains_key(rel), "{args:?}: `{rel}` was not written");
        }
        let differences = self.differences(after, written);
        assert!(differences.is_empty(), "{args:?} wrote what it was not asked to: {differences:#?}");
    }

    /// What changed between two snapshots, apart from `written` and its directory's mtime.
    fn differences(&self, after: &Snapshot, written: Option<&str>) -> Vec<String> {
        let written_dir = written.map(|w| Path::new(w).parent().unwrap().to_str().unwrap().to_string());
        let mut changed: Vec<String> = Vec::new();
        for (rel, entry) in &self.worktree {
            let same = match after.worktree.get(rel) {
                Some(now) if Some(rel) == written_dir.as_ref() => {
                    (now.kind, now.mode, &now.contents) == (entry.kind, entry.mode, &entry.contents)
                }
                Some(now) => now == entry,
                None => false,
            };
            if Some(rel.as_str()) != written && !same {
                changed.push(format!("working tree: `{rel}` changed or removed"));
            }
        }
        for rel in after.worktree.keys() {
            if Some(rel.as_str()) != written && !self.worktree.contains_key(rel) {
                changed.push(format!("working tree: `{rel}` created"));
            }
        }
        if self.index != after.index {
            changed.push(".git/index".to_string());
        }
        if self.refs != after.refs {
            changed.push(format!("refs: {:?} → {:?}", self.refs, after.refs));
        }
        if self.objects != after.objects {
            changed.push("the object store (.git/objects)".to_string());
        }
        for rel in self.git_rest.keys().chain(after.git_rest.keys()) {
            if self.git_rest.get(rel) != after.git_rest.get(rel) {
                changed.push(format!("`{rel}`"));
            }
        }
        changed
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
    use std::os::unix::fs::MetadataExt;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(root).unwrap().to_str().unwrap().to_string();
        let mtime_ns = mtime_ns(&meta);
        let (kind, contents) = if meta.file_type().is_symlink() {
            ("symlink", std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes())
        } else if meta.is_dir() {
            ("dir", Vec::new())
        } else {
            ("file", std::fs::read(&path).unwrap())
        };
        // A directory's mtime changes when an entry is created or removed in it: a temporary file
        // that was written and deleted shows there.
        out.insert(rel, Entry { kind, mode: meta.mode(), mtime_ns, contents });
        if kind == "dir" {
            walk(root, &path, out);
        }
    }
}
