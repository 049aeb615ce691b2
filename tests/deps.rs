//! Dependency scanning (HL006), hermetic: a path dependency outside the workspace that defines an
//! actor, the resolved graph from a hand-written Cargo.lock, and an empty CARGO_HOME so nothing of
//! the machine's registry cache is read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn setup(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\njobq = { path = \"../jobq\" }\n",
    );
    // The workspace names the dependency's stateful actor: HL006 is about the actors it uses.
    write(root, "app/src/lib.rs", "pub fn run(_scheduler: Option<jobq::Scheduler>) {}\n");
    write(
        root,
        "app/Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"jobq\"]\n\n[[package]]\nname = \"jobq\"\nversion = \"0.3.0\"\ndependencies = [\"ractor\"]\n\n[[package]]\nname = \"ractor\"\nversion = \"0.16.5\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    write(
        root,
        "jobq/Cargo.toml",
        "[package]\nname = \"jobq\"\nversion = \"0.3.0\"\nedition = \"2021\"\n\n[dependencies]\nractor = \"0.16\"\n",
    );
    write(
        root,
        "jobq/src/lib.rs",
        "use ractor::Actor;\npub struct Scheduler;\npub struct Queue { pub jobs: Vec<u64> }\nimpl Actor for Scheduler { type Msg = (); type State = Queue; type Arguments = (); }\npub struct Idle;\nimpl Actor for Idle { type Msg = (); type State = (); type Arguments = (); }\n",
    );
    if let Some(c) = config {
        write(root, "app/hotlint.toml", c);
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> serde_json::Value {
    let cargo_home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--format", "json"])
        .args(args)
        .current_dir(dir.join("app"))
        .env("CARGO_HOME", cargo_home.path())
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_dependency_with_stateful_actors_is_one_hl006_finding() {
    let dir = setup(None);
    let v = run(dir.path(), &[]);
    let hl006: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "HL006").collect();
    assert_eq!(hl006.len(), 1, "{v:#}");
    let f = hl006[0];
    assert_eq!(f["file"], serde_json::Value::Null);
    assert!(f["message"].as_str().unwrap().contains("`jobq 0.3.0`"));
    let notes = f["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("jobq::Scheduler") && n.as_str().unwrap().contains("jobq::Queue"))
    );
    // The stateless actor is not listed.
    assert!(!notes.iter().any(|n| n.as_str().unwrap().contains("Idle")));
}

#[test]
fn hl006_names_where_the_workspace_starts_the_dependencys_actors() {
    let dir = setup(None);
    write(
        dir.path(),
        "app/src/lib.rs",
        "use jobq::Scheduler;\n\npub async fn run() {\n    let _ = Scheduler::spawn(None, Scheduler, ()).await;\n}\n",
    );
    let v = run(dir.path(), &[]);
    let notes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "HL006")
        .flat_map(|f| f["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()))
        .collect();
    assert!(
        notes.contains(&"`jobq::Scheduler` is started by this workspace at src/lib.rs:4 (`Scheduler::spawn`)"),
        "{v:#}"
    );
    // Without the call, no such note: the type is only named (here, in a parameter).
    let plain = run(setup(None).path(), &[]);
    assert!(!plain.to_string().contains("started by this workspace"), "{plain:#}");
    assert!(
        plain
            .to_string()
            .contains("`jobq::Scheduler` is named by this workspace at src/lib.rs:1 (a parameter of `run`)"),
        "{plain:#}"
    );
}

#[test]
fn a_dependency_whose_actors_the_workspace_never_names_or_starts_is_not_hl006() {
    // A framework's own internal actors, a library's test mocks: not this workspace's state.
    let dir = setup(None);
    write(dir.path(), "app/src/lib.rs", "pub fn run() -> u32 {\n    jobq::VERSION\n}\n");
    let v = run(dir.path(), &[]);
    assert!(!codes(&v).contains(&"HL006".to_string()), "{v:#}");
    // Named in a body (a full path, no `use`), it counts.
    write(dir.path(), "app/src/lib.rs", "pub fn run() {\n    let _ = std::mem::size_of::<jobq::Scheduler>();\n}\n");
    let v = run(dir.path(), &[]);
    assert!(codes(&v).contains(&"HL006".to_string()), "{v:#}");
}

#[test]
fn no_deps_and_staged_do_not_scan() {
    let dir = setup(None);
    assert!(!codes(&run(dir.path(), &["--no-deps"])).contains(&"HL006".to_string()));
}

#[test]
fn deps_allow_acknowledges_and_an_unused_allow_is_hl014() {
    let dir = setup(Some("version = 1\n\n[deps]\nallow = [\"jobq\"]\n"));
    let v = run(dir.path(), &[]);
    assert!(!codes(&v).contains(&"HL006".to_string()), "{v:#}");
    let dir = setup(Some("version = 1\n\n[deps]\nallow = [\"jobq\", \"nothing-here\"]\n"));
    let v = run(dir.path(), &[]);
    let hl014: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "HL014").collect();
    assert_eq!(hl014.len(), 1, "{v:#}");
    assert!(hl014[0]["message"].as_str().unwrap().contains("nothing-here"));
}

#[test]
fn scan_none_scans_nothing() {
    let dir = setup(Some("version = 1\n\n[deps]\nscan = \"none\"\n"));
    assert!(!codes(&run(dir.path(), &[])).contains(&"HL006".to_string()));
}

// =============================================================================================
// Sources cargo put elsewhere than a path (registry cache, git checkouts, vendored directories),
// the on-disk cache of scan results, and dependencies whose sources are missing.

const ACTOR_LIB: &str = "use ractor::Actor;\npub struct Pool;\npub struct Slots { pub n: u32 }\nimpl Actor for Pool { type Msg = (); type State = Slots; type Arguments = (); }\n";

/// A workspace `app` whose `Cargo.lock` holds `lock_entry` (a package depending on ractor), and a
/// cargo home; `files` are written relative to the directory holding both (`home/…`, `app/…`).
fn setup_locked(lock_entry: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The locked package's name; the workspace depends on it and names its actor `Pool`.
    let name = lock_entry.split("name = \"").nth(1).and_then(|r| r.split('"').next()).unwrap();
    write(
        root,
        "app/Cargo.toml",
        &format!(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{name} = \"*\"\n"
        ),
    );
    write(root, "app/src/lib.rs", &format!("pub fn run(_pool: Option<{}::Pool>) {{}}\n", name.replace('-', "_")));
    write(
        root,
        "app/Cargo.lock",
        &format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n{lock_entry}\ndependencies = [\"ractor\"]\n\n[[package]]\nname = \"ractor\"\nversion = \"0.16.5\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ),
    );
    std::fs::create_dir_all(root.join("home")).unwrap();
    for (rel, text) in files {
        write(root, rel, text);
    }
    dir
}

const REG: &str = "home/registry/src/index.crates.io-0000000000000000";
const WORKERS_LOCK: &str = "[[package]]\nname = \"workers\"\nversion = \"0.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"";

fn workers_files() -> Vec<(String, String)> {
    vec![
        (
            format!("{REG}/workers-0.2.0/Cargo.toml"),
            "[package]\nname = \"workers\"\nversion = \"0.2.0\"\nedition = \"2021\"\n\n[dependencies]\nractor = \"0.16\"\n".into(),
        ),
        (format!("{REG}/workers-0.2.0/src/lib.rs"), ACTOR_LIB.into()),
    ]
}

fn setup_workers(with_target: bool) -> tempfile::TempDir {
    let files = workers_files();
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = setup_locked(WORKERS_LOCK, &files);
    if with_target {
        make_target_dir(&dir.path().join("app/target"));
    }
    dir
}

/// A target directory as cargo makes it (with its `CACHEDIR.TAG`), where the cache may go.
fn make_target_dir(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55\n").unwrap();
}

/// Run in `app` with `home` as cargo home; (exit status, stdout JSON, stderr).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, serde_json::Value, String) {
    let mut command = Command::new(BIN);
    command
        .args(["--format", "json"])
        .args(args)
        .current_dir(dir.join("app"))
        .env("CARGO_HOME", dir.join("home"))
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("HOTLINT_CACHE_DIR")
        .env_remove("HOTLINT_NO_CACHE");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().unwrap();
    assert!(code < 2, "{stderr}");
    (code, serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn hl006_notes(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "HL006")
        .flat_map(|f| f["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()))
        .collect()
}

/// Files under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn a_registry_dependency_is_scanned_from_cargos_cache() {
    let dir = setup_workers(false);
    let (_, v, _) = run_in(dir.path(), &[], &[]);
    let notes = hl006_notes(&v);
    assert!(notes.iter().any(|n| n.contains("`workers::Pool`") && n.contains("workers::Slots")), "{v:#}");
}

#[test]
fn the_second_run_reads_the_cache_and_a_corrupt_entry_is_a_miss() {
    let dir = setup_workers(true);
    let cache = dir.path().join("app/target/hotlint/deps");
    let (_, first, _) = run_in(dir.path(), &[], &[]);
    let entries = files_under(&cache);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].starts_with("workers-") && entries[0].ends_with(".json"), "{entries:?}");
    let entry = cache.join(&entries[0]);
    // An entry edited by hand shows in the output: the second run read it instead of scanning.
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(text.contains("workers::Slots"), "{text}");
    std::fs::write(&entry, text.replace("workers::Slots", "workers::FromTheCache")).unwrap();
    let (_, second, _) = run_in(dir.path(), &[], &[]);
    assert!(hl006_notes(&second).iter().any(|n| n.contains("workers::FromTheCache")), "{second:#}");
    // Truncated, empty, or not JSON: a miss, the same result as a fresh scan, and the entry is
    // written again whole.
    for corrupt in [&text.as_bytes()[..text.len() / 2], &b""[..], &b"\x00\xff garbage"[..]] {
        std::fs::write(&entry, corrupt).unwrap();
        let (_, again, stderr) = run_in(dir.path(), &[], &[]);
        assert_eq!(again, first, "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        assert_eq!(std::fs::read_to_string(&entry).unwrap(), text);
    }
    assert_eq!(files_under(&cache), entries, "a temporary file was left behind");
}

#[test]
fn a_different_checksum_is_a_different_entry() {
    let dir = setup_workers(true);
    let cache = dir.path().join("app/target/hotlint/deps");
    run_in(dir.path(), &[], &[]);
    let entries = files_under(&cache);
    let entry = cache.join(&entries[0]);
    let text = std::fs::read_to_string(&entry).unwrap();
    std::fs::write(&entry, text.replace("workers::Pool", "workers::FromTheCache")).unwrap();
    let lock = dir.path().join("app/Cargo.lock");
    std::fs::write(&lock, std::fs::read_to_string(&lock).unwrap().replace("checksum = \"0011", "checksum = \"ff11"))
        .unwrap();
    let (_, v, _) = run_in(dir.path(), &[], &[]);
    let notes = hl006_notes(&v);
    assert!(notes.iter().any(|n| n.contains("workers::Pool")) && !notes.iter().any(|n| n.contains("FromTheCache")));
    assert_eq!(files_under(&cache).len(), 2);
}

#[test]
fn no_cache_without_a_target_directory_or_when_disabled() {
    // Never built (no target directory): nothing is created in the tree.
    let dir = setup_workers(false);
    let before = files_under(dir.path());
    run_in(dir.path(), &[], &[]);
    assert_eq!(files_under(dir.path()), before);
    // HOTLINT_NO_CACHE: nothing written even with a target directory.
    let dir = setup_workers(true);
    run_in(dir.path(), &[], &[("HOTLINT_NO_CACHE", "1")]);
    assert!(!dir.path().join("app/target/hotlint").exists());
    // HOTLINT_CACHE_DIR: the cache goes there, wherever the target directory is.
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = setup_workers(false);
    run_in(dir.path(), &[], &[("HOTLINT_CACHE_DIR", elsewhere.path().to_str().unwrap())]);
    assert_eq!(files_under(elsewhere.path()).len(), 1);
    // CARGO_TARGET_DIR is honoured (as cargo metadata reports it).
    let target = tempfile::tempdir().unwrap();
    make_target_dir(target.path());
    let dir = setup_workers(false);
    run_in(dir.path(), &[], &[("CARGO_TARGET_DIR", target.path().to_str().unwrap())]);
    assert_eq!(files_under(&target.path().join("hotlint/deps")).len(), 1);
}

#[test]
fn concurrent_runs_share_the_cache_safely() {
    let dir = setup_workers(true);
    let children: Vec<std::process::Child> = (0..6)
        .map(|_| {
            Command::new(BIN)
                .args(["--format", "json"])
                .current_dir(dir.path().join("app"))
                .env("CARGO_HOME", dir.path().join("home"))
                .env("CARGO_NET_OFFLINE", "true")
                .env_remove("CARGO_TARGET_DIR")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<std::process::Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for o in &outputs {
        assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.stdout, outputs[0].stdout);
    }
    let (_, warm, _) = run_in(dir.path(), &[], &[]);
    let cold: serde_json::Value = serde_json::from_slice(&outputs[0].stdout).unwrap();
    assert_eq!(warm, cold);
    assert!(hl006_notes(&warm).iter().any(|n| n.contains("workers::Pool")));
    assert_eq!(files_under(&dir.path().join("app/target/hotlint/deps")).len(), 1, "temporary files left behind");
}

#[test]
fn dependencies_missing_from_disk_are_one_hl013_naming_them() {
    let dir = setup_locked(
        "[[package]]\nname = \"absent-actors\"\nversion = \"1.2.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"",
        &[],
    );
    let (_, v, _) = run_in(dir.path(), &[], &[]);
    let hl013: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "HL013").collect();
    assert_eq!(hl013.len(), 1, "{v:#}");
    assert!(hl013[0]["message"].as_str().unwrap().contains("not on disk"), "{v:#}");
    let notes = hl013[0]["notes"].as_array().unwrap();
    // ractor itself (a framework crate) is missing too, and named.
    assert!(
        notes.iter().any(|n| n == "`absent-actors 1.2.3`") && notes.iter().any(|n| n == "`ractor 0.16.5`"),
        "{v:#}"
    );
    assert!(hl013[0]["help"].as_str().unwrap().contains("cargo fetch"));
    // `--no-deps`: nothing said about dependencies.
    let (_, v, _) = run_in(dir.path(), &["--no-deps"], &[]);
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v:#}");
}

#[test]
fn a_git_dependency_is_scanned_from_cargos_checkout() {
    let rev = "0123456789abcdef0123456789abcdef01234567";
    let checkout = "home/git/checkouts/actor-kit-1a2b3c4d5e6f7a8b/0123456";
    let other = "home/git/checkouts/actor-kit-1a2b3c4d5e6f7a8b/fedcba9";
    let dir = setup_locked(
        &format!(
            "[[package]]\nname = \"gitjobs\"\nversion = \"0.1.0\"\nsource = \"git+https://github.com/acme/actor-kit.git?branch=main#{rev}\""
        ),
        &[
            (&format!("{checkout}/Cargo.toml"), "[workspace]\nmembers = [\"crates/*\"]\n"),
            (
                &format!("{checkout}/crates/gitjobs/Cargo.toml"),
                "[package]\nname = \"gitjobs\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nractor = \"0.16\"\n",
            ),
            (&format!("{checkout}/crates/gitjobs/src/lib.rs"), ACTOR_LIB),
            // Another revision of the same repository, which must not be read.
            (
                &format!("{other}/crates/gitjobs/Cargo.toml"),
                "[package]\nname = \"gitjobs\"\nversion = \"0.0.9\"\nedition = \"2021\"\n",
            ),
            (&format!("{other}/crates/gitjobs/src/lib.rs"), "pub struct Old;\n"),
        ],
    );
    let (_, v, _) = run_in(dir.path(), &[], &[]);
    let notes = hl006_notes(&v);
    assert!(notes.iter().any(|n| n.contains("`gitjobs::Pool`") && n.contains("src/lib.rs")), "{v:#}");
}

#[test]
fn a_vendored_dependency_is_scanned_from_the_vendor_directory() {
    let dir = setup_locked(
        "[[package]]\nname = \"vendjobs\"\nversion = \"0.4.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"",
        &[
            (
                "app/.cargo/config.toml",
                "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n",
            ),
            (
                "app/vendor/vendjobs/Cargo.toml",
                "[package]\nname = \"vendjobs\"\nversion = \"0.4.0\"\nedition = \"2021\"\n\n[dependencies]\nractor = \"0.16\"\n",
            ),
            ("app/vendor/vendjobs/src/lib.rs", ACTOR_LIB),
        ],
    );
    let (_, v, _) = run_in(dir.path(), &[], &[]);
    assert!(hl006_notes(&v).iter().any(|n| n.contains("`vendjobs::Pool`")), "{v:#}");
}

/// A repository's own `.cargo/config.toml` pointing cargo's target directory at `.git` or at a
/// source directory: the dependency cache is not written there (only in a directory cargo made
/// for builds, with its `CACHEDIR.TAG`, outside `.git`; README "Decisions").
#[test]
fn no_cache_where_a_repository_points_the_target_directory_at_git_or_sources() {
    for target in [".git", "src"] {
        let dir = setup_workers(false);
        let app = dir.path().join("app");
        std::fs::create_dir_all(app.join(".git")).unwrap();
        write(dir.path(), "app/.cargo/config.toml", &format!("[build]\ntarget-dir = \"{target}\"\n"));
        let before = files_under(&app.join(target));
        run_in(dir.path(), &[], &[]);
        assert_eq!(files_under(&app.join(target)), before, "the cache was written under `{target}`");
    }
    // The same directory once cargo has made it a build directory is used.
    let dir = setup_workers(false);
    write(dir.path(), "app/.cargo/config.toml", "[build]\ntarget-dir = \"out\"\n");
    make_target_dir(&dir.path().join("app/out"));
    run_in(dir.path(), &[], &[]);
    assert_eq!(files_under(&dir.path().join("app/out/hotlint/deps")).len(), 1);
}

/// A cache entry that is a named pipe (planted, or left by another tool) is a miss: the run
/// scans the package again and finishes; reading it blocked forever.
#[test]
fn a_cache_entry_that_is_a_named_pipe_is_a_miss() {
    let dir = setup_workers(true);
    let cache = dir.path().join("app/target/hotlint/deps");
    let (_, first, _) = run_in(dir.path(), &[], &[]);
    let entries = files_under(&cache);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = cache.join(&entries[0]);
    std::fs::remove_file(&entry).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(&entry).status().unwrap().success());
    let (tx, rx) = std::sync::mpsc::channel();
    let root = dir.path().to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(run_in(&root, &[], &[]));
    });
    let (_, again, stderr) =
        rx.recv_timeout(std::time::Duration::from_secs(60)).expect("hotlint blocked on a named pipe in its cache");
    assert_eq!(again, first, "{stderr}");
    // A link planted in the cache is not written through.
    std::fs::remove_file(&entry).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, &entry).unwrap();
    let (_, again, stderr) = run_in(dir.path(), &[], &[]);
    assert_eq!(again, first, "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}
