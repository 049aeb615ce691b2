#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Hardening (issue 17): hotlint never writes where it promised not to, never leaks what it
//! reads, never hangs, aborts or explodes, and never drops silently what it could not read. Each
//! test runs the real binary on a workspace (in a real temporary git repository when history is
//! involved) and asserts what the user sees, including what must *not* happen: a byte changed
//! under `.git`, a pack fetched, a secret printed, a torn file left behind.
//!
//! Hermetic as `tests/hostile.rs` is: git without global or system configuration, unable to
//! climb above the temporary directory; cargo offline. A check that needs something the machine
//! may not give (root, a user namespace, `/dev/full`) says `skipped: …` on stderr and the test's
//! name says what it needs; nothing passes silently.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

// =============================================================================================
// Git reads write nothing, fetch nothing, and read the workspace's own repository.

/// Every read-only command, run with a stale stat cache (what `touch`, `cp -a`, a Docker `COPY`
/// or an editor saving unchanged bytes leave): not one byte under `.git` changes. Porcelain
/// `git diff` refreshed the index and wrote it back, `GIT_OPTIONAL_LOCKS=0` or not.
#[test]
fn read_only_commands_leave_every_byte_of_git_unchanged_under_a_stale_stat_cache() {
    let repo = counter_repo_with_change();
    for args in READ_ONLY_COMMANDS {
        make_stale(&repo);
        let before = tree_hash(&repo.path().join(".git"));
        let run = repo.hotlint(args);
        assert!(run.code() <= 1, "{args:?}: {}", run.stderr());
        assert_eq!(tree_hash(&repo.path().join(".git")), before, "{args:?} changed .git");
    }
}

/// A linked worktree and a sparse checkout: the same, for the repository's shared git directory.
#[test]
fn read_only_commands_leave_git_unchanged_in_a_linked_worktree_and_a_sparse_checkout() {
    let repo = counter_repo_with_change();
    let linked = TempDir::new().unwrap();
    let linked_path = linked.path().join("wt");
    repo.git(&["worktree", "add", "-q", linked_path.to_str().unwrap(), "HEAD"]);
    let linked_repo = GitRepo { _dir: None, root: linked_path };
    for args in READ_ONLY_COMMANDS {
        make_stale(&linked_repo);
        let before = tree_hash(&repo.path().join(".git"));
        let run = linked_repo.hotlint(args);
        assert!(run.code() <= 1, "linked worktree {args:?}: {}", run.stderr());
        assert_eq!(tree_hash(&repo.path().join(".git")), before, "linked worktree {args:?} changed .git");
    }
    // Sparse: `src/other.rs` is outside the checkout.
    let sparse = counter_repo_with_change();
    sparse.write("src/other.rs", "pub struct Other;\n");
    sparse.write(
        "src/lib.rs",
        &format!("{}pub mod other;\n", std::fs::read_to_string(sparse.path().join("src/lib.rs")).unwrap()),
    );
    sparse.commit("other");
    sparse.git(&["sparse-checkout", "set", "--no-cone", "/*", "!/src/other.rs"]);
    assert!(!sparse.path().join("src/other.rs").exists());
    for args in READ_ONLY_COMMANDS {
        make_stale(&sparse);
        let before = tree_hash(&sparse.path().join(".git"));
        let run = sparse.hotlint(args);
        assert!(run.code() <= 1, "sparse {args:?}: {}", run.stderr());
        assert_eq!(tree_hash(&sparse.path().join(".git")), before, "sparse {args:?} changed .git");
    }
}

/// A blob-less partial clone whose promisor remote is alive: the base's blobs are never fetched
/// (no new pack, nothing on the wire), and the file whose blob is missing is HL013 naming it —
/// not a vanished HL002 with the type called "added".
#[test]
fn a_partial_clone_is_never_fetched_from_and_a_missing_blob_is_hl013() {
    let origin = counter_repo_with_change();
    origin.git(&["config", "uploadpack.allowfilter", "true"]);
    let dir = TempDir::new().unwrap();
    let clone = dir.path().join("clone");
    let url = format!("file://{}", origin.path().display());
    git_in(
        dir.path(),
        &["-c", "protocol.file.allow=always", "clone", "-q", "--filter=blob:none", &url, clone.to_str().unwrap()],
    );
    let repo = GitRepo { _dir: None, root: clone };
    let packs = || std::fs::read_dir(repo.path().join(".git/objects/pack")).unwrap().count();
    let before = (packs(), tree_hash(&repo.path().join(".git")));
    for offline in [false, true] {
        let args: &[&str] = if offline {
            &["--base", "HEAD~1", "--offline", "--format", "json"]
        } else {
            &["--base", "HEAD~1", "--format", "json"]
        };
        let run = repo.hotlint(args);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert_eq!((packs(), tree_hash(&repo.path().join(".git"))), before, "{args:?} fetched from the promisor");
        let hl013 = run.only("HL013");
        assert_eq!(hl013["file"], "src/lib.rs", "{hl013}");
        let message = hl013["message"].as_str().unwrap();
        assert!(message.starts_with("`src/lib.rs` could not be analysed at the base `"), "{message}");
        assert!(message.contains("does not have its blob"), "{message}");
    }
    let plan = repo.hotlint(&["plan", "--base", "HEAD~1"]).stdout();
    assert!(plan.contains("| `demo::CounterState` | unknown: `src/lib.rs` could not be read at the base"), "{plan}");
    assert!(!plan.contains("| added"), "{plan}");
    assert_eq!((packs(), tree_hash(&repo.path().join(".git"))), before);
    // The positive control: with the base's blobs present, the change is HL002.
    let run = origin.hotlint(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(run.codes(), ["HL002"]);
}

/// The same partial clone whose remote is gone (a dead URL): HL013, nothing hangs or asks.
#[test]
fn a_partial_clone_with_an_unreachable_promisor_is_hl013() {
    let origin = counter_repo_with_change();
    origin.git(&["config", "uploadpack.allowfilter", "true"]);
    let dir = TempDir::new().unwrap();
    let clone = dir.path().join("clone");
    let url = format!("file://{}", origin.path().display());
    git_in(
        dir.path(),
        &["-c", "protocol.file.allow=always", "clone", "-q", "--filter=blob:none", &url, clone.to_str().unwrap()],
    );
    let repo = GitRepo { _dir: None, root: clone };
    repo.git(&["remote", "set-url", "origin", "https://hotlint.invalid/gone.git"]);
    let before = tree_hash(&repo.path().join(".git"));
    let run = repo.hotlint(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.codes(), ["HL013"]);
    assert_eq!(tree_hash(&repo.path().join(".git")), before);
}

/// `GIT_DIR`/`GIT_WORK_TREE` left over for another repository: hotlint reads the workspace's own
/// repository, and the other one is neither read nor written.
#[test]
fn git_dir_of_another_repository_is_never_touched() {
    let project = counter_repo_with_change();
    let other = counter_repo_with_change();
    // The other repository's stat cache is stale: any porcelain command would rewrite its index.
    make_stale(&other);
    let other_git = other.path().join(".git");
    let before = tree_hash(&other_git);
    let env = [("GIT_DIR", other_git.to_str().unwrap()), ("GIT_WORK_TREE", other.path().to_str().unwrap())];
    let run = project.hotlint_env(&["--base", "HEAD~1", "--format", "json"], &env);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.codes(), ["HL002"]);
    assert_eq!(run.json()["base"].as_str().unwrap(), project.git(&["rev-parse", "HEAD~1"]));
    assert_eq!(tree_hash(&other_git), before, "the other repository changed");
    // The workspace's own repository named by `GIT_DIR` (as git does for hooks) is honoured.
    let own = [("GIT_DIR", ".git")];
    let run = project.hotlint_env(&["--base", "HEAD~1", "--format", "json"], &own);
    assert_eq!(run.codes(), ["HL002"], "{}", run.stderr());
}

/// `git commit -a` runs the pre-commit hook with `GIT_INDEX_FILE` naming the index being
/// committed: `--staged` reads it. One outside the repository is not used.
#[test]
fn staged_reads_the_index_a_commit_hook_is_given() {
    let repo = counter_repo_with_change();
    // A second index inside .git holding `count: i64`, the normal index untouched.
    let next = repo.path().join(".git/next-index-1.lock");
    std::fs::copy(repo.path().join(".git/index"), &next).unwrap();
    repo.write("src/lib.rs", &COUNTER_LIB.replace("count: u64", "count: i64"));
    let out = git_command(repo.path()).env("GIT_INDEX_FILE", &next).args(["add", "src/lib.rs"]).output().unwrap();
    assert!(out.status.success());
    repo.write("src/lib.rs", &COUNTER_LIB.replace("count: u64", "count: u32"));
    let run = repo.hotlint_env(&["--staged", "--format", "json"], &[("GIT_INDEX_FILE", next.to_str().unwrap())]);
    assert_eq!(run.codes(), ["HL002"], "{}", run.stderr());
    assert!(run.findings()[0]["message"].as_str().unwrap().contains("`i64`"), "{:?}", run.findings());
    // Without it, the normal index (`u32`, as committed): nothing changed.
    assert_eq!(repo.hotlint(&["--staged", "--format", "json"]).codes(), Vec::<String>::new());
    // An index file outside the repository is not read.
    let elsewhere = TempDir::new().unwrap();
    let foreign = elsewhere.path().join("index");
    std::fs::copy(&next, &foreign).unwrap();
    let run = repo.hotlint_env(&["--staged", "--format", "json"], &[("GIT_INDEX_FILE", foreign.to_str().unwrap())]);
    assert_eq!(run.codes(), Vec::<String>::new(), "{}", run.stderr());
    assert!(run.stderr().contains("GIT_INDEX_FILE"), "{}", run.stderr());
}

/// `assume-unchanged` and `skip-worktree` tell git not to look at a file: its stat cache says
/// "unchanged" whatever the bytes. `--base` compares the bytes it reads.
#[test]
fn assume_unchanged_and_skip_worktree_files_are_compared_by_their_bytes() {
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        let repo = counter_repo_with_change();
        repo.git(&["update-index", flag, "src/lib.rs"]);
        repo.write("src/lib.rs", &COUNTER_LIB.replace("count: u64", "count: i64"));
        assert_eq!(repo.git(&["diff", "--name-only", "HEAD"]), "", "git trusts the flag");
        let run = repo.hotlint(&["--base", "HEAD", "--format", "json"]);
        assert_eq!(run.codes(), ["HL002"], "{flag}: {}", run.stderr());
    }
}

/// A clean/smudge filter on `*.rs`: the working tree's bytes are not the blobs'. Said (HL013),
/// never trusted silently; without a filter nothing is said.
#[test]
fn a_clean_smudge_filter_on_sources_is_reported() {
    let repo = counter_repo_with_change();
    let plain = repo.hotlint(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(plain.codes(), ["HL002"]);
    repo.write(".gitattributes", "*.rs filter=upper\n");
    repo.git(&["config", "filter.upper.clean", "cat"]);
    repo.git(&["config", "filter.upper.smudge", "cat"]);
    repo.commit("filter");
    let run = repo.hotlint(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(run.codes(), ["HL013"], "{}", run.stderr());
    let hl013 = run.only("HL013");
    assert!(hl013["message"].as_str().unwrap().contains("through a conversion on checkout"), "{hl013}");
    assert_eq!(hl013["notes"][0], "`src/lib.rs`: `filter=upper` (.gitattributes)");
    // A revision against a revision: both are stored blobs, nothing to say.
    let run = repo.hotlint(&["--base", "HEAD~2", "--head", "HEAD", "--format", "json"]);
    assert_eq!(run.codes(), ["HL002"], "{}", run.stderr());
}

/// A base file syn cannot parse: the types it defined are unknown, which is HL013 naming it,
/// not a silent pass.
#[test]
fn a_base_file_that_does_not_parse_is_hl013() {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", DEMO_MANIFEST);
    repo.write("hotlint.toml", TRACK_COUNTER_STATE);
    repo.write("src/lib.rs", &format!("{COUNTER_LIB}\nfn broken( {{\n"));
    repo.commit("broken");
    repo.write("src/lib.rs", &COUNTER_LIB.replace("count: u64", "count: u32"));
    repo.commit("fixed and changed");
    let run = repo.hotlint(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let hl013 = run.only("HL013");
    assert!(
        hl013["message"].as_str().unwrap().starts_with("`src/lib.rs` could not be analysed at the base `"),
        "{hl013}"
    );
    let plan = repo.hotlint(&["plan", "--base", "HEAD~1"]).stdout();
    assert!(plan.contains("unknown: `src/lib.rs` could not be read at the base"), "{plan}");
}

/// A tracked symbolic link to a source (`src/state.rs -> ../shared/state.rs`): every revision
/// reads what the link points to, as a checkout would, and `--base` does not take the link's
/// unchanged blob for an unchanged file.
#[test]
fn a_tracked_symlinked_source_is_followed_at_every_revision() {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", DEMO_MANIFEST);
    repo.write("hotlint.toml", &TRACK_COUNTER_STATE.replace("demo::CounterState", "demo::state::CounterState"));
    repo.write("src/lib.rs", "pub mod state;\n");
    repo.write("shared/state.rs", "pub struct CounterState {\n    pub count: u64,\n}\n");
    symlink("../shared/state.rs", &repo.path().join("src/state.rs"));
    repo.commit("u64");
    repo.write("shared/state.rs", "pub struct CounterState {\n    pub count: u32,\n}\n");
    repo.commit("u32");
    for args in [
        &["--base", "HEAD~1"][..],
        &["--base", "HEAD~1", "--head", "HEAD"][..],
        &["--staged"][..],
        &["--head", "HEAD", "--base", "HEAD~1"][..],
    ] {
        let run = repo.hotlint(&[args, &["--format", "json"]].concat());
        let args = args.to_vec();
        if args == ["--staged"] {
            // `--staged` compares the index with HEAD: nothing staged.
            assert_eq!(run.codes(), Vec::<String>::new(), "{args:?}: {}", run.stderr());
            continue;
        }
        assert_eq!(run.codes(), ["HL002"], "{args:?}: {}", run.stderr());
        assert_eq!(run.findings()[0]["file"], "src/state.rs");
    }
    // Staged: the link's target changed in the index.
    repo.write("shared/state.rs", "pub struct CounterState {\n    pub count: i64,\n}\n");
    repo.git(&["add", "shared/state.rs"]);
    let run = repo.hotlint(&["--staged", "--format", "json"]);
    assert_eq!(run.codes(), ["HL002"], "{}", run.stderr());
}

/// A committed link to a file outside the workspace (`/proc/self/environ`: the CI job's
/// secrets) is HL000 "outside the workspace" at every revision; its content is never shown.
#[test]
fn a_source_linked_outside_the_workspace_is_hl000_and_never_shown() {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", DEMO_MANIFEST);
    repo.write("src/lib.rs", &format!("{COUNTER_LIB}pub mod leak;\n"));
    symlink("/proc/self/environ", &repo.path().join("src/leak.rs"));
    repo.commit("leak");
    let secret = [("HOTLINT_TEST_SECRET", "s3cr3t-t0ken-value")];
    for args in [&[][..], &["--head", "HEAD"][..], &["--staged"][..], &["--base", "HEAD"][..]] {
        for format in ["json", "human"] {
            let run = repo.hotlint_env(&[args, &["--format", format]].concat(), &secret);
            assert!(!run.stdout().contains("s3cr3t") && !run.stderr().contains("s3cr3t"), "{args:?} {format}: leaked");
            if format == "json" {
                let hl000 = run.only("HL000");
                assert_eq!(hl000["file"], "src/leak.rs", "{args:?}");
                let message = hl000["message"].as_str().unwrap();
                assert!(
                    message.contains("symbolic link to `/proc/self/environ`, outside the workspace"),
                    "{args:?}: {message}"
                );
            }
        }
    }
}

// =============================================================================================
// Sources are regular files inside the workspace, read with a size bound.

/// A named pipe where a module's file should be: HL000 saying what it is, at once (reading it
/// blocked forever); a character device likewise (needs root to make one: said when skipped).
#[test]
fn a_fifo_or_a_device_as_a_module_file_is_hl000_saying_what_it_is() {
    let fixture = counter_crate().append("src/lib.rs", "pub mod pipe;\n");
    mkfifo(&fixture.path().join("src/pipe.rs"));
    let bounded = run_bounded(hotlint_command(fixture.path(), &["--format", "json"]), Duration::from_secs(60));
    let run = bounded.run.expect("hotlint hung on a named pipe");
    let hl000 = run.only("HL000");
    assert_eq!(
        hl000["message"],
        "`src/pipe.rs` could not be analysed: could not read file: it is a named pipe (FIFO), not a regular file"
    );
    if !running_as_root() {
        eprintln!("skipped: a character device as a module file needs root to create one (mknod)");
        return;
    }
    let fixture = counter_crate().append("src/lib.rs", "pub mod dev;\n");
    let made = Command::new("mknod").arg(fixture.path().join("src/dev.rs")).args(["c", "1", "5"]).status().unwrap();
    assert!(made.success());
    let run = run_bounded(hotlint_command(fixture.path(), &["--format", "json"]), Duration::from_secs(60))
        .run
        .expect("hotlint hung on a device");
    assert_eq!(
        run.only("HL000")["message"],
        "`src/dev.rs` could not be analysed: could not read file: it is a character device, not a regular file"
    );
}

/// A crate root linked to `/dev/zero` (outside the workspace, and endless): HL000 at once,
/// without reading a byte of it (it read until 2 GB were allocated).
#[test]
fn a_crate_root_linked_to_dev_zero_is_refused_without_reading_it() {
    let fixture = Fixture::new().file("Cargo.toml", DEMO_MANIFEST).file("src/real.rs", "");
    symlink("/dev/zero", &fixture.path().join("src/lib.rs"));
    let bounded = run_bounded(hotlint_command(fixture.path(), &["--format", "json"]), Duration::from_secs(60));
    let run = bounded.run.expect("no result within 60 s");
    let hl000 = run.only("HL000");
    assert_eq!(
        hl000["message"],
        "`src/lib.rs` could not be analysed: could not read file: it is a symbolic link to `/dev/zero`, outside the workspace; hotlint reads only files inside it"
    );
    assert!(bounded.peak_rss_kb < 500_000, "peak RSS {} kB", bounded.peak_rss_kb);
}

/// A link inside the workspace to a file inside it is followed (the common case); one that
/// leaves it is not, whatever it points to.
#[test]
fn links_are_followed_inside_the_workspace_only() {
    let outside = TempDir::new().unwrap();
    std::fs::write(outside.path().join("other.rs"), OTHER_ACTOR).unwrap();
    let fixture = counter_crate()
        .append("src/lib.rs", "pub mod inside;\npub mod outside;\n")
        .file("shared/inside.rs", OTHER_ACTOR);
    symlink("../shared/inside.rs", &fixture.path().join("src/inside.rs"));
    symlink(outside.path().join("other.rs").to_str().unwrap(), &fixture.path().join("src/outside.rs"));
    let run = hotlint(fixture.path(), &["--format", "json"]);
    assert_eq!(
        run.codes_at(),
        [
            ("HL001", "src/inside.rs".into(), 5),
            ("HL001", "src/lib.rs".into(), 13),
            ("HL000", "src/outside.rs".into(), 1)
        ]
    );
}

/// A `#[path]` longer than the system takes is HL000 with the system's reason, not "file not
/// found, create one".
#[test]
fn a_module_path_longer_than_path_max_gets_the_systems_reason() {
    let long = "a".repeat(5000);
    let fixture = counter_crate().append("src/lib.rs", &format!("#[path = \"{long}.rs\"]\npub mod long;\n"));
    let run = hotlint(fixture.path(), &["--format", "json"]);
    let hl000 = run.only("HL000");
    let message = hl000["message"].as_str().unwrap();
    assert!(message.contains("could not read file: file name too long"), "{message}");
}

/// Configuration, baselines, `Cargo.lock` and `.cargo/config.toml` are regular files read with a
/// bound: `/dev/zero` or a named pipe is one error line, at once (they were read until 2 GB were
/// allocated, or forever).
#[test]
fn configuration_files_that_are_devices_or_pipes_are_refused_at_once() {
    let fixture = counter_crate();
    let fifo = fixture.path().join("pipe.toml");
    mkfifo(&fifo);
    for (flag, path, what) in [
        ("--config", "/dev/zero", "a character device"),
        ("--baseline", "/dev/zero", "a character device"),
        ("--config", fifo.to_str().unwrap(), "a named pipe (FIFO)"),
        ("--baseline", fifo.to_str().unwrap(), "a named pipe (FIFO)"),
    ] {
        let bounded = run_bounded(hotlint_command(fixture.path(), &[flag, path]), Duration::from_secs(60));
        let run = bounded.run.unwrap_or_else(|| panic!("{flag} {path}: no result within 60 s"));
        assert_eq!(
            run.error_line(),
            format!("error: failed to read `{path}`: it is {what}, not a regular file"),
            "{flag} {path}"
        );
        assert!(bounded.peak_rss_kb < 500_000, "{flag} {path}: peak RSS {} kB", bounded.peak_rss_kb);
    }
    // `Cargo.lock` and `.cargo/config.toml` committed as links to `/dev/zero`: the run goes on.
    let fixture = counter_crate();
    std::fs::create_dir_all(fixture.path().join(".cargo")).unwrap();
    symlink("/dev/zero", &fixture.path().join("Cargo.lock"));
    symlink("/dev/zero", &fixture.path().join(".cargo/config.toml"));
    let started = Instant::now();
    let bounded = run_bounded(hotlint_command(fixture.path(), &["--format", "json"]), Duration::from_secs(60));
    let run = bounded.run.expect("no result within 60 s");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(run.codes_at(), [("HL001", "src/lib.rs".into(), 13)], "{}", run.stderr());
    assert!(
        run.stderr().contains("config.toml` is a character device, not a regular file cargo can read"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("could not read `Cargo.lock`: it is a character device"), "{}", run.stderr());
    assert!(bounded.peak_rss_kb < 500_000, "peak RSS {} kB", bounded.peak_rss_kb);
}

// =============================================================================================
// One write function: atomic, never through a planted link, never over what is not a file.

/// The temporary file has a random name created exclusively: a link planted at the name the old
/// scheme predicted (`.<name>.hotlint-<pid>.tmp`, the pid known as soon as the process starts)
/// is never followed, and the file it points to is not overwritten.
#[test]
fn a_link_planted_at_the_temporary_name_is_never_followed() {
    let fixture = counter_crate();
    let victim = fixture.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let child = hotlint_command(fixture.path(), &["--format", "sarif", "--output", "out.sarif"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Planted before hotlint writes (it analyses first).
    symlink(victim.to_str().unwrap(), &fixture.path().join(format!(".out.sarif.hotlint-{}.tmp", child.id())));
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n", "the planted link was followed");
    let sarif: Value = serde_json::from_slice(&std::fs::read(fixture.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

/// `--output` naming a named pipe, a device, `-` or `/dev/stdout` writes to it; it is never
/// replaced by a regular file (as root, `--output /dev/null` replaced the device node).
#[test]
fn output_to_a_pipe_a_device_or_stdout_is_written_never_replaced() {
    let fixture = counter_crate();
    // A named pipe with a reader.
    let fifo = fixture.path().join("out.fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::os::unix::fs::OpenOptionsExt;
            // Non-blocking open, then wait for data: a hotlint that never opens the pipe cannot
            // hang the test.
            let mut file = std::fs::OpenOptions::new().read(true).custom_flags(0o4000).open(&fifo).unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut got = Vec::new();
            let mut buf = [0u8; 65536];
            while Instant::now() < deadline {
                match file.read(&mut buf) {
                    Ok(0) if !got.is_empty() => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(_) => {}
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            got
        })
    };
    let run = run_bounded(
        hotlint_command(fixture.path(), &["--format", "sarif", "--output", fifo.to_str().unwrap()]),
        Duration::from_secs(60),
    )
    .run
    .expect("hotlint hung writing to a pipe");
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let got = reader.join().unwrap();
    assert!(String::from_utf8_lossy(&got).contains("\"2.1.0\""), "the reader got {} bytes", got.len());
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced");
    // `-` and `/dev/stdout`: standard output.
    for path in ["-", "/dev/stdout"] {
        let run = hotlint(fixture.path(), &["--format", "json", "--output", path]);
        assert_eq!(run.json()["summary"]["actors"], 1, "{path}");
        assert!(!fixture.path().join(path.trim_start_matches('/')).exists());
    }
    assert!(std::fs::symlink_metadata("/dev/stdout").unwrap().file_type().is_symlink());
    // A device node of our own (root only: said when skipped).
    if !running_as_root() {
        eprintln!("skipped: `--output` to a device node needs root to create one (mknod)");
        return;
    }
    let null = fixture.path().join("null");
    assert!(Command::new("mknod").arg(&null).args(["c", "1", "3"]).status().unwrap().success());
    let run = hotlint(fixture.path(), &["--format", "sarif", "--output", null.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(std::fs::symlink_metadata(&null).unwrap().file_type().is_char_device(), "the device was replaced");
}

/// A symbolic link is written through (it stays a link to the file that now holds the output),
/// and a file's mode is kept: a 0600 baseline stays 0600, a 0640 lock stays 0640.
#[test]
fn a_symlinked_target_is_written_through_and_its_mode_kept() {
    let fixture = counter_crate().file("hotlint.toml", TRACK_COUNTER_STATE);
    let real = fixture.path().join("baselines/real.json");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "{}").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    symlink("baselines/real.json", &fixture.path().join("baseline.json"));
    let run = hotlint(fixture.path(), &["--write-baseline", "baseline.json"]);
    assert!(run.code() <= 1, "{}", run.stderr());
    let link = std::fs::symlink_metadata(fixture.path().join("baseline.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced by a file");
    assert!(std::fs::read_to_string(&real).unwrap().contains("hotlint-baseline"));
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777, 0o600);
    // The lock, symlinked and 0640.
    let stored = fixture.path().join("locks/hotlint.lock");
    std::fs::create_dir_all(stored.parent().unwrap()).unwrap();
    std::fs::write(&stored, "version = 1\n").unwrap();
    std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(0o640)).unwrap();
    symlink("locks/hotlint.lock", &fixture.path().join("hotlint.lock"));
    let run = hotlint(fixture.path(), &["lock"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(std::fs::symlink_metadata(fixture.path().join("hotlint.lock")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&stored).unwrap().contains("demo::CounterState"));
    assert_eq!(std::fs::metadata(&stored).unwrap().permissions().mode() & 0o7777, 0o640);
    // A new file gets what the umask gives (0644 here), never the temporary file's 0600.
    let run = hotlint(fixture.path(), &["--format", "sarif", "--output", "new.sarif"]);
    assert!(run.code() <= 1);
    let mode = std::fs::metadata(fixture.path().join("new.sarif")).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o666 & !current_umask(), "mode {mode:o}");
}

/// A write that fails half-way (the file-size limit, as a full disk would) is one error line and
/// exit 2; the temporary file is removed and the target keeps its old bytes.
#[test]
fn a_write_that_fails_leaves_no_temporary_file_and_the_target_untouched() {
    let fixture = counter_crate();
    let out = fixture.path().join("out.sarif");
    std::fs::write(&out, "old\n").unwrap();
    // `ulimit -f 8`: 4 KiB at most, and the SARIF is larger; SIGXFSZ ignored as CI shells do.
    let script = format!("trap '' XFSZ; ulimit -f 8; exec '{BIN}' hotlint --format sarif --output out.sarif");
    let output = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(fixture.path())
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.starts_with(&format!("error: failed to write `{}`: File too large", "out.sarif")), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
    assert_eq!(leftovers(fixture.path()), Vec::<String>::new());
}

/// SIGTERM while the output is being written: the temporary file is removed, the target keeps its
/// old bytes. The write is held for 3 s by strace (needs strace and ptrace: said when skipped).
#[test]
fn sigterm_during_a_write_leaves_no_temporary_file_needs_strace() {
    if !Command::new("strace").args(["-o", "/dev/null", "true"]).status().is_ok_and(|s| s.success()) {
        eprintln!("skipped: holding a write open needs strace with ptrace allowed");
        return;
    }
    let fixture = counter_crate();
    let out = fixture.path().join("out.sarif");
    std::fs::write(&out, "old\n").unwrap();
    // Only the main thread is traced (no -f): its first write is the output's.
    let mut strace = Command::new("strace")
        .args(["-o", "/dev/null", "-e", "trace=write", "-e", "inject=write:delay_exit=3000000:when=1", BIN])
        .args(["hotlint", "--format", "sarif", "--output", "out.sarif"])
        .current_dir(fixture.path())
        .env("CARGO_NET_OFFLINE", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the temporary file exists, then stop hotlint.
    let deadline = Instant::now() + Duration::from_secs(30);
    while leftovers(fixture.path()).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!leftovers(fixture.path()).is_empty(), "no temporary file appeared");
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", strace.id())).unwrap();
    let pid = children.split_whitespace().next().expect("hotlint's pid");
    assert!(Command::new("kill").args(["-TERM", pid]).status().unwrap().success());
    strace.wait().unwrap();
    assert_eq!(leftovers(fixture.path()), Vec::<String>::new(), "a temporary file was left behind");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
}

/// Standard output that fails: a reader gone (`| head`) ends quietly with the findings' exit
/// status; a full disk (`> /dev/full`) is one error line and exit 2; with standard error failing
/// too, exit 2 and no abort. It panicked ("internal error"), and aborted (exit 134).
#[test]
fn failing_standard_streams_never_panic() {
    let fixture = counter_crate().file("hotlint.toml", TRACK_COUNTER_STATE);
    assert_eq!(hotlint(fixture.path(), &["lock"]).code(), 0);
    let full = || Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap());
    for args in [&["lock", "--check"][..], &["lock"][..], &["--format", "json"][..], &[][..], &["rules"][..]] {
        let out = hotlint_command(fixture.path(), args).stdout(full()).stderr(Stdio::piped()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim_end(),
            "error: failed to write `<stdout>`: No space left on device (os error 28)",
            "{args:?}"
        );
        let out = hotlint_command(fixture.path(), args).stdout(full()).stderr(full()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} with stderr failing too");
    }
    // A reader that is gone before anything is written.
    for args in [&["lock", "--check"][..], &["--format", "json"][..], &[][..]] {
        let mut child =
            hotlint_command(fixture.path(), args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("internal error") && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// `lock` honours `--output` and refuses what it cannot honour, instead of ignoring it.
#[test]
fn lock_honours_output_and_refuses_revisions() {
    let repo = counter_repo_with_change();
    let run = repo.hotlint(&["lock", "--output", "elsewhere.lock"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(std::fs::read_to_string(repo.path().join("elsewhere.lock")).unwrap().contains("demo::CounterState"));
    assert!(!repo.path().join("hotlint.lock").exists());
    for flag in [&["--head", "HEAD"][..], &["--staged"][..], &["--base", "HEAD~1"][..], &["--format", "json"][..]] {
        let run = repo.hotlint(&[&["lock"][..], flag].concat());
        let line = run.error_line();
        assert!(line.starts_with(&format!("error: `lock` does not take `{}`", flag[0])), "{line}");
    }
    assert!(!repo.path().join("hotlint.lock").exists());
}

/// `--staged` compares with the staged `hotlint.lock`, not the working tree's.
#[test]
fn staged_compares_with_the_staged_lock() {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", DEMO_MANIFEST);
    repo.write("hotlint.toml", TRACK_COUNTER_STATE);
    repo.write("src/lib.rs", COUNTER_LIB);
    assert_eq!(repo.hotlint(&["lock"]).code(), 0);
    repo.commit("u64 locked");
    // Staged: `u32`. The working tree's lock is rewritten to `u32` but not staged.
    repo.write("src/lib.rs", &COUNTER_LIB.replace("count: u64", "count: u32"));
    repo.git(&["add", "src/lib.rs"]);
    let run = repo.hotlint(&["lock", "--accept", "HL002:demo::CounterState", "--", "test"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let run = repo.hotlint(&["--staged", "--format", "json"]);
    assert_eq!(run.json()["base"], "hotlint.lock");
    assert_eq!(run.codes(), ["HL002"], "the working tree's lock was read: {}", run.stderr());
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".hotlint") || n.ends_with(".tmp"))
        .collect()
}

fn current_umask() -> u32 {
    let out = Command::new("sh").args(["-c", "umask"]).output().unwrap();
    u32::from_str_radix(String::from_utf8_lossy(&out.stdout).trim(), 8).unwrap()
}

// =============================================================================================
// Every string from the user's files is escaped in every output format.

/// A serialized name holding an escape sequence (window title, clear screen), a line break and a
/// forged summary line; a file name holding the same; raw control bytes in the source a snippet
/// shows. No output format lets an ESC, a BEL or a bidirectional override through, and no
/// line-based format gets a line hotlint did not write.
#[test]
fn user_strings_are_escaped_in_every_output_format() {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", DEMO_MANIFEST_SERDE_ONLY);
    repo.write("hotlint.toml", TRACK_COUNTER_STATE);
    let evil = "c\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\nhotlint: 0 errors, 0 warnings\\u{202e}";
    let lib = format!(
        "pub mod evil;\n#[derive(serde::Serialize, serde::Deserialize)]\npub struct CounterState {{\n    #[serde(rename = \"{evil}\")]\n    pub count: u64, // \u{1b}]0;title\u{7}\n}}\n"
    );
    repo.write("src/lib.rs", &lib);
    repo.write("src/evil.rs", "pub struct Fine;\n");
    repo.commit("u64");
    repo.write(
        "src/lib.rs",
        &lib.replace("u64", "u32").replace("pub mod evil;", "#[path = \"bad\u{1b}[2J\nname.rs\"]\npub mod evil;"),
    );
    std::fs::write(repo.path().join("src/bad\u{1b}[2J\nname.rs"), "pub struct Broken {\n").unwrap();
    let forbidden = |c: char| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}';
    for format in ["human", "json", "sarif", "github", "cargo-json"] {
        let run = repo.hotlint(&["--base", "HEAD", "--format", format, "--color", "never"]);
        assert_eq!(run.code(), 1, "{format}: {}", run.stderr());
        let out = run.stdout();
        assert!(!out.contains(forbidden), "{format}: a control character reached the output:\n{out:?}");
        assert!(!out.lines().any(|l| l.starts_with("hotlint: 0 errors")), "{format}: a forged line:\n{out}");
        match format {
            "github" => assert!(out.lines().all(|l| l.starts_with("::error ") || l.starts_with("::warning ")), "{out}"),
            "cargo-json" => {
                for line in out.lines() {
                    serde_json::from_str::<Value>(line).unwrap();
                }
            }
            "human" => assert!(
                out.contains("c\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\nhotlint: 0 errors, 0 warnings\\u{202e}"),
                "{out}"
            ),
            _ => {}
        }
    }
    for args in [&["plan", "--base", "HEAD"][..], &["plan", "--base", "HEAD", "--format", "json"][..]] {
        let out = repo.hotlint(args).stdout();
        assert!(!out.contains(forbidden), "{args:?}: {out:?}");
        assert!(!out.lines().any(|l| l.starts_with("hotlint: 0 errors")), "{args:?}: {out}");
    }
}

// =============================================================================================
// Never hang, abort or explode.

/// `-j` beyond the machine's parallelism is capped, and said; the output is the same (a pool of N
/// threads per stage made `-j 10000` take minutes and `-j 100000` never end).
#[test]
fn jobs_beyond_the_machines_parallelism_are_capped_and_said() {
    let fixture = counter_crate().append("src/lib.rs", "pub mod other;\n").file("src/other.rs", OTHER_ACTOR);
    let one = hotlint(fixture.path(), &["-j", "1", "--format", "json"]);
    let started = Instant::now();
    let bounded =
        run_bounded(hotlint_command(fixture.path(), &["-j", "100000", "--format", "json"]), Duration::from_secs(60));
    let run = bounded.run.expect("-j 100000 did not finish within 60 s");
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    assert_eq!(run.stdout(), one.stdout());
    let err = run.stderr();
    assert!(err.starts_with("warning: `-j 100000` is more than the "), "{err}");
    assert!(err.contains("this machine runs at once; using "), "{err}");
    assert!(one.stderr().is_empty(), "{}", one.stderr());
}

/// A chain of `pub use` re-exports (each module re-exporting the previous one's type): 30,000
/// links take linear time (a file of inline modules was indexed in quadratic time, 67 s), and a
/// type past the chain limit is HL013 naming the limit, not a path into nothing. A chain within
/// the limit resolves, whichever link is asked first.
#[test]
fn re_export_chains_are_linear_and_past_the_limit_hl013() {
    let chain = |n: usize, asked: &[usize]| {
        let mut lib = String::from("pub mod m0 { pub struct Leaf { pub x: u64 } }\n");
        for i in 1..n {
            lib.push_str(&format!("pub mod m{i} {{ pub use super::m{}::Leaf; }}\n", i - 1));
        }
        let mut track = String::from("version = 1\n");
        for (k, a) in asked.iter().enumerate() {
            lib.push_str(&format!("pub struct State{k} {{ pub leaf: m{a}::Leaf }}\n"));
            track.push_str(&format!("\n[[track]]\ntype = \"demo::State{k}\"\nencoding = \"positional\"\n"));
        }
        Fixture::new().file("Cargo.toml", DEMO_MANIFEST).file("src/lib.rs", &lib).file("hotlint.toml", &track)
    };
    let fixture = chain(30_000, &[29_999]);
    let bounded = run_bounded(hotlint_command(fixture.path(), &["--format", "json"]), Duration::from_secs(60));
    let run = bounded.run.expect("30,000 re-exports took more than 60 s");
    let hl013 = run.only("HL013");
    assert!(hl013["message"].as_str().unwrap().contains("through more than 256 re-exports"), "{hl013}");
    let shape = &run.json()["tracked"][0]["shape"];
    assert_eq!(shape["truncated"], true, "{shape}");
    assert_eq!(shape["unresolved"], serde_json::json!(["m29999::Leaf"]), "{shape}");
    assert_eq!(shape["external"], serde_json::json!([]), "{shape}");
    // Within the limit: resolved, and the same whether a short link is asked before a long one.
    for asked in [&[200, 10][..], &[10, 200][..]] {
        let run = hotlint(chain(300, asked).path(), &["--format", "json", "-j", "1"]);
        assert_eq!(run.codes(), Vec::<String>::new(), "{asked:?}");
        for t in run.json()["tracked"].as_array().unwrap() {
            assert_eq!(t["shape"]["types"][1], "demo::m0::Leaf", "{asked:?}: {t}");
        }
    }
    // One past the limit beside one within it: each gets its own answer, in either order.
    for asked in [&[290, 10][..], &[10, 290][..]] {
        let run = hotlint(chain(300, asked).path(), &["--format", "json", "-j", "1"]);
        let truncated: Vec<bool> = run.json()["tracked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["shape"]["truncated"].as_bool().unwrap())
            .collect();
        let expected: Vec<bool> = asked.iter().map(|a| *a >= 256).collect();
        let mut by_name: Vec<(String, bool)> = run.json()["tracked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["type"].as_str().unwrap().to_string(), t["shape"]["truncated"].as_bool().unwrap()))
            .collect();
        by_name.sort();
        let mut want: Vec<(String, bool)> =
            asked.iter().enumerate().map(|(k, a)| (format!("demo::State{k}"), *a >= 256)).collect();
        want.sort();
        assert_eq!(by_name, want, "{asked:?} {truncated:?} {expected:?}");
    }
}

// =============================================================================================
// Messages that are true, and nothing accepted in silence.

/// Inputs that were accepted in silence are errors naming what is wrong: `--exclude` of every
/// package (cargo refuses it), `plan --baseline` of a file that does not exist, an alias to no
/// framework, an empty `[[track]] version`, a member glob that does not parse.
#[test]
fn inputs_accepted_in_silence_are_errors() {
    let members = Fixture::new()
        .file("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n")
        .file("a/Cargo.toml", &DEMO_MANIFEST.replace("demo", "a").replace("\n[workspace]\n", ""))
        .file("a/src/lib.rs", COUNTER_LIB)
        .file("b/Cargo.toml", &DEMO_MANIFEST.replace("demo", "b").replace("\n[workspace]\n", ""))
        .file("b/src/lib.rs", "pub struct B;\n");
    let run = hotlint(members.path(), &["--workspace", "--exclude", "a", "--exclude", "b"]);
    assert_eq!(
        run.error_line(),
        "error: `--exclude a --exclude b` leaves no package to check: every selected package is excluded"
    );
    assert_eq!(hotlint(members.path(), &["--workspace", "--exclude", "b", "--format", "json"]).code(), 0);

    let repo = counter_repo_with_change();
    let run = repo.hotlint(&["plan", "--base", "HEAD~1", "--baseline", "/nonexistent/baseline.json"]);
    assert!(run.error_line().starts_with("error: failed to read `/nonexistent/baseline.json`: "), "{}", run.stderr());

    let fixture = counter_crate()
        .file("hotlint.toml", "version = 1\n\n[frameworks]\naliases = { \"sdk::actors\" = \"nosuch\" }\n");
    let line = hotlint(fixture.path(), &[]).error_line();
    assert!(
        line.starts_with(
            "error: hotlint.toml:4: `[frameworks] aliases` leads to `nosuch`, which is no framework's crate (known: "
        ),
        "{line}"
    );
    let fixture = counter_crate()
        .file("hotlint.toml", "version = 1\n\n[frameworks]\naliases = { \"sdk::actors\" = \"ractor\" }\n");
    assert_eq!(hotlint(fixture.path(), &["--format", "json"]).code(), 0);

    let fixture = counter_crate()
        .file("hotlint.toml", "version = 1\n\n[[track]]\ntype = \"demo::CounterState\"\nversion = \"\"\n");
    let line = hotlint(fixture.path(), &[]).error_line();
    assert!(line.starts_with("error: hotlint.toml:3: `[[track]] version = \"\"` names nothing"), "{line}");

    let globs = Fixture::new()
        .file("Cargo.toml", "[workspace]\nmembers = [\n    \"a\",\n    \"crates/[x\",\n]\n")
        .file("a/Cargo.toml", &DEMO_MANIFEST.replace("demo", "a").replace("\n[workspace]\n", ""))
        .file("a/src/lib.rs", COUNTER_LIB);
    let line = hotlint(globs.path(), &[]).error_line();
    assert!(
        line.starts_with(
            "error: invalid manifest `Cargo.toml` (line 4): invalid glob `crates/[x` in `workspace.members`"
        ),
        "{line}"
    );
}

/// A broken `Cargo.toml` at the base names the revision (the checkout's is fine); a workspace in
/// a directory whose name is not UTF-8 says so (it said "No such file").
#[test]
fn errors_name_the_revision_and_the_real_reason() {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", &DEMO_MANIFEST.replace("edition = \"2021\"", "edition = \"2021\nbroken"));
    repo.write("src/lib.rs", COUNTER_LIB);
    repo.commit("broken manifest");
    repo.write("Cargo.toml", DEMO_MANIFEST);
    repo.commit("fixed");
    let base = repo.git(&["rev-parse", "HEAD~1"]);
    let line = repo.hotlint(&["--base", "HEAD~1"]).error_line();
    assert!(
        line.starts_with(&format!("error: invalid manifest `Cargo.toml` at revision {} (line 5): ", &base[..12])),
        "{line}"
    );

    let dir = TempDir::new().unwrap();
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(odd.join("src")).unwrap();
    std::fs::write(odd.join("Cargo.toml"), DEMO_MANIFEST).unwrap();
    std::fs::write(odd.join("src/lib.rs"), COUNTER_LIB).unwrap();
    let line = hotlint(&odd, &[]).error_line();
    assert!(line.contains("is not valid UTF-8; hotlint, like `cargo metadata`, needs UTF-8 paths"), "{line}");
}

/// A module whose file a sparse checkout left out is said to be outside the cone, not "create
/// the file".
#[test]
fn a_module_outside_the_sparse_cone_is_said_so() {
    let repo = counter_repo_with_change();
    repo.write("src/lib.rs", &format!("{COUNTER_LIB}pub mod other;\npub mod gone;\n"));
    repo.write("src/other.rs", OTHER_ACTOR);
    repo.commit("other");
    repo.git(&["sparse-checkout", "set", "--no-cone", "/*", "!/src/other.rs"]);
    let run = repo.hotlint(&["--format", "json"]);
    let messages: Vec<String> = run
        .findings()
        .iter()
        .filter(|f| f["code"] == "HL000")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        messages,
        [
            "file `src/other.rs` for module `other` is outside the sparse-checkout cone (git has it, the working tree does not)",
            "file not found for module `gone`"
        ]
    );
}

/// A `hotlint.lock` entry whose recorded definition lost a brace: an error naming the entry, not
/// a comparison with nothing (a real HL002 vanished, exit 0).
#[test]
fn a_lock_entry_that_does_not_parse_is_an_error_naming_it() {
    let fixture = counter_crate().file("hotlint.toml", TRACK_COUNTER_STATE);
    assert_eq!(hotlint(fixture.path(), &["lock"]).code(), 0);
    let lock = std::fs::read_to_string(fixture.path().join("hotlint.lock")).unwrap();
    // Format 2 writes the closing brace on a line of its own: the entry loses it.
    assert!(lock.contains("    \"}\",\n"), "{lock}");
    std::fs::write(fixture.path().join("hotlint.lock"), lock.replacen("    \"}\",\n", "", 1)).unwrap();
    std::fs::write(fixture.path().join("src/lib.rs"), COUNTER_LIB.replace("count: u64", "count: u32")).unwrap();
    let line = hotlint(fixture.path(), &[]).error_line();
    assert!(line.starts_with("error: hotlint.lock: the definition of `demo::CounterState` recorded for `demo::CounterState` does not parse"), "{line}");
}

/// A workspace member outside the git repository has no history there: HL013 says so, and `plan`
/// does not call its types added.
#[test]
fn a_member_outside_the_repository_is_reported_not_added() {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root).unwrap();
    let repo = GitRepo { _dir: None, root: root.clone() };
    repo.git(&["init", "-q", "-b", "main", "."]);
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"app\", \"../outside\"]\n");
    repo.write("app/Cargo.toml", &DEMO_MANIFEST.replace("demo", "app").replace("\n[workspace]\n", ""));
    repo.write("app/src/lib.rs", "pub struct App;\n");
    repo.commit("app");
    std::fs::create_dir_all(dir.path().join("outside/src")).unwrap();
    std::fs::write(
        dir.path().join("outside/Cargo.toml"),
        DEMO_MANIFEST.replace("demo", "outside").replace("\n[workspace]\n", ""),
    )
    .unwrap();
    std::fs::write(dir.path().join("outside/src/lib.rs"), COUNTER_LIB).unwrap();
    repo.write(
        "hotlint.toml",
        "version = 1\n\n[[track]]\ntype = \"outside::CounterState\"\nencoding = \"positional\"\n",
    );
    let run = repo.hotlint(&["--base", "HEAD", "--format", "json"]);
    let hl013 = run.only("HL013");
    assert!(
        hl013["message"]
            .as_str()
            .unwrap()
            .starts_with("package `outside` (`../outside`) is outside the git repository"),
        "{hl013}"
    );
    let plan = repo.hotlint(&["plan", "--base", "HEAD"]).stdout();
    assert!(
        plan.contains("| `outside::CounterState` | unknown: package `outside` is outside the git repository"),
        "{plan}"
    );
}

const READ_ONLY_COMMANDS: &[&[&str]] = &[
    &["check", "--format", "json"],
    &["check", "--base", "HEAD~1", "--format", "json"],
    &["check", "--staged", "--format", "json"],
    &["check", "--head", "HEAD", "--base", "HEAD~1", "--format", "json"],
    &["plan", "--base", "HEAD~1"],
    &["lock", "--check"],
];

/// Make the index's stat cache stale for every tracked file (same bytes, new times).
fn make_stale(repo: &GitRepo) {
    std::thread::sleep(Duration::from_millis(1100));
    for rel in repo.git(&["ls-files"]).lines() {
        let path = repo.path().join(rel);
        if let Ok(bytes) = std::fs::read(&path) {
            std::fs::write(&path, bytes).unwrap();
        }
    }
}

/// A hash of every file's path and bytes under `dir` (the whole `.git`: index, objects, refs).
fn tree_hash(dir: &Path) -> String {
    let mut entries = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        entries.push(format!("{} {:x}", entry.strip_prefix(dir).unwrap().display(), fnv(&bytes)));
    }
    entries.sort();
    format!("{:016x} ({} files)", fnv(entries.join("\n").as_bytes()), entries.len())
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}
const DEMO_MANIFEST: &str = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
                             [dependencies]\nractor = \"0.15\"\n\n[workspace]\n";

const DEMO_MANIFEST_SERDE_ONLY: &str = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
                                        [dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\nbincode = \"1\"\n\n[workspace]\n";

const TRACK_COUNTER_STATE: &str =
    "version = 1\n\n[[track]]\ntype = \"demo::CounterState\"\nencoding = \"positional\"\n";

/// A ractor actor whose state has fields and no migration: one HL001 at line 13.
const COUNTER_LIB: &str = r#"use ractor::{Actor, ActorProcessingErr, ActorRef};

pub struct Counter;

pub enum CounterMsg {
    Increment(u64),
}

pub struct CounterState {
    pub count: u64,
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = CounterState;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(CounterState { count: 0 })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let CounterMsg::Increment(n) = message;
        state.count += n;
        Ok(())
    }
}
"#;

/// A second actor for a module file: one HL001 at line 4.
const OTHER_ACTOR: &str = "pub struct Other;\npub struct OtherState {\n    pub seen: Vec<String>,\n}\n\
                           impl ractor::Actor for Other {\n    type Msg = ();\n    type State = OtherState;\n    \
                           type Arguments = ();\n}\n";

fn counter_crate() -> Fixture {
    Fixture::new().file("Cargo.toml", DEMO_MANIFEST).file("src/lib.rs", COUNTER_LIB)
}

/// The counter crate with a tracked, positionally encoded state, committed twice: `count: u64`,
/// then `count: u32` (HL002 between them).
fn counter_repo_with_change() -> GitRepo {
    let repo = GitRepo::new();
    repo.write("Cargo.toml", DEMO_MANIFEST);
    repo.write("hotlint.toml", TRACK_COUNTER_STATE);
    repo.write("src/lib.rs", COUNTER_LIB);
    repo.commit("u64");
    repo.write("src/lib.rs", &COUNTER_LIB.replace("count: u64", "count: u32"));
    repo.commit("u32");
    repo
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A directory of files written for one test.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { dir: TempDir::new().unwrap() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(self, rel: &str, text: &str) -> Fixture {
        self.bytes(rel, text.as_bytes())
    }

    fn bytes(self, rel: &str, bytes: &[u8]) -> Fixture {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    fn append(self, rel: &str, text: &str) -> Fixture {
        let old = std::fs::read_to_string(self.dir.path().join(rel)).unwrap();
        self.file(rel, &format!("{old}{text}"))
    }
}

// =============================================================================================
// Git repositories.

struct GitRepo {
    /// Keeps the temporary directory alive.
    _dir: Option<TempDir>,
    root: PathBuf,
}

fn identity() -> [&'static str; 4] {
    ["-c", "user.name=hotlint tests", "-c", "user.email=tests@hotlint.invalid"]
}

/// A `git` command isolated from the user's configuration.
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

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

impl GitRepo {
    fn new() -> GitRepo {
        let dir = TempDir::new().unwrap();
        let root = dir.path().to_path_buf();
        git_in(&root, &["init", "-q", "-b", "main", "."]);
        GitRepo { _dir: Some(dir), root }
    }

    fn path(&self) -> &Path {
        &self.root
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(&self.root, args)
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&[&identity()[..], &["commit", "-q", "-m", message]].concat());
    }

    fn hotlint(&self, args: &[&str]) -> Run {
        hotlint(&self.root, args)
    }

    fn hotlint_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        hotlint_env(&self.root, args, env)
    }
}

// =============================================================================================
// Running the binary.

fn hotlint_command(dir: &Path, args: &[&str]) -> Command {
    hotlint_command_env(dir, args, &[])
}

/// The binary in `dir`, isolated from the user's git configuration and colour settings, with git
/// unable to climb above the temporary directory and cargo unable to reach the network.
fn hotlint_command_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_NET_OFFLINE", "true")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("HOTLINT_NO_CARGO")
        .env_remove("NO_COLOR")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_BACKTRACE");
    // git looks for a repository no higher than the temporary directory itself, so a test's
    // "not a repository" holds even when the machine's /tmp sits inside one.
    command.env("GIT_CEILING_DIRECTORIES", std::env::temp_dir());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn hotlint(dir: &Path, args: &[&str]) -> Run {
    hotlint_env(dir, args, &[])
}

fn hotlint_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = hotlint_command_env(dir, args, env).output().unwrap();
    let run = Run { args: args.iter().map(|a| a.to_string()).collect(), output };
    run.assert_no_crash();
    run
}

/// One finished run.
struct Run {
    args: Vec<String>,
    output: Output,
}

impl Run {
    fn code(&self) -> i32 {
        self.output.status.code().unwrap_or_else(|| panic!("{:?} killed by a signal: {}", self.args, self.stderr()))
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).trim_end().to_owned()
    }

    /// Exit 0, 1 or 2, and no panic report or backtrace.
    fn assert_no_crash(&self) {
        let err = self.stderr();
        assert!((0..=2).contains(&self.code()), "{:?}: exit {}: {err}", self.args, self.code());
        assert!(
            !err.contains("panicked") && !err.contains("internal error") && !err.contains("RUST_BACKTRACE"),
            "{:?} panicked: {err}",
            self.args
        );
    }

    /// A run that could not be done: exit 2, nothing on stdout, one line on stderr.
    fn error_line(&self) -> String {
        let err = self.stderr();
        assert_eq!(self.code(), 2, "{:?}: expected exit 2; stderr: {err}", self.args);
        assert!(self.output.stdout.is_empty(), "{:?}: stdout: {}", self.args, self.stdout());
        assert_eq!(err.lines().count(), 1, "{:?}: one line expected:\n{err}", self.args);
        assert!(err.starts_with("error: "), "{err}");
        err
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("{:?}: not JSON ({e}): {}\n{}", self.args, self.stdout(), self.stderr()))
    }

    fn findings(&self) -> Vec<Value> {
        self.json()["findings"].as_array().unwrap().clone()
    }

    /// The codes of the findings other than the counter actor's HL001, which every fixture has.
    fn codes(&self) -> Vec<String> {
        self.findings().iter().map(|f| f["code"].as_str().unwrap().to_string()).filter(|c| c != "HL001").collect()
    }

    /// (code, file, line) of each finding, in output order.
    fn codes_at(&self) -> Vec<(&'static str, String, u64)> {
        self.findings()
            .iter()
            .map(|f| {
                let code: &'static str = String::leak(f["code"].as_str().unwrap().to_string());
                (code, f["file"].as_str().unwrap_or_default().to_string(), f["line"].as_u64().unwrap_or_default())
            })
            .collect()
    }

    /// The one finding with this code.
    fn only(&self, code: &str) -> Value {
        let all = self.findings();
        let matching: Vec<&Value> = all.iter().filter(|f| f["code"] == code).collect();
        assert_eq!(matching.len(), 1, "{:?}: one {code} expected: {all:#?}", self.args);
        matching[0].clone()
    }
}

/// A run with a deadline, and the peak resident memory seen while it ran.
struct Bounded {
    run: Option<Run>,
    peak_rss_kb: u64,
}

/// Runs `command` for at most `limit`; kills it after that (`run` is then `None`). Output goes to
/// files so a chatty child cannot block on a full pipe; the peak RSS is the child's `VmHWM`, read
/// from /proc while it runs (0 where /proc is not available).
fn run_bounded(mut command: Command, limit: Duration) -> Bounded {
    let out_dir = TempDir::new().unwrap();
    let stdout = std::fs::File::create(out_dir.path().join("stdout")).unwrap();
    let stderr = std::fs::File::create(out_dir.path().join("stderr")).unwrap();
    let args: Vec<String> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut child = command.stdin(Stdio::null()).stdout(stdout).stderr(stderr).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let started = Instant::now();
    let mut peak_rss_kb = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_rss_kb = peak_rss_kb.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = status.map(|status| {
        let read = |name: &str| {
            let mut bytes = Vec::new();
            std::fs::File::open(out_dir.path().join(name)).unwrap().read_to_end(&mut bytes).unwrap();
            bytes
        };
        let run = Run { args: args.clone(), output: Output { status, stdout: read("stdout"), stderr: read("stderr") } };
        run.assert_no_crash();
        run
    });
    Bounded { run, peak_rss_kb }
}
