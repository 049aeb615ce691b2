//! Tests that need the package registries (PyPI for `pre-commit` and `jsonschema`, crates.io for
//! the hook's build and for HL007 on a real dependency upgrade). Each is `#[ignore]`d with that
//! reason, so `cargo test` lists it as ignored (never as a pass it did not earn); the networked
//! stage of `.ci/run` installs the tools and runs them with `--ignored`, where a registry that
//! cannot be reached is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

const MANIFEST: &str = "[package]\nname = \"meter\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nractor = \"0.16\"\nserde = { version = \"1\", features = [\"derive\"] }\nbincode = \"1\"\n";

const V1: &str = r#"use ractor::Actor;
use serde::{Deserialize, Serialize};

pub struct Meter;

#[derive(Serialize, Deserialize)]
pub struct MeterState {
    pub total: u32,
}

impl MeterState {
    pub const STATE_VERSION: u32 = 1;

    pub fn code_change(from: u32, _old: &[u8]) -> Result<Self, String> {
        Err(format!("no migration from {from}"))
    }
}

impl Actor for Meter {
    type Msg = ();
    type State = MeterState;
    type Arguments = ();
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrates() {
        let _ = super::MeterState::code_change(1, &[]);
    }
}
"#;

#[test]
#[ignore = "needs the package registries (PyPI, crates.io); .ci/run's networked stage runs it with --ignored"]
fn sarif_validates_against_the_oasis_schema() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), V1.replace("pub const STATE_VERSION: u32 = 1;", "")).unwrap();
    let out = Command::new(BIN)
        .args(["--format", "sarif", "--output", "out.sarif"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  doc = json.load(open(sys.argv[2]))\n\
                  jsonschema.validate(doc, schema)\n\
                  assert doc['runs'][0]['results'], 'no results'\n\
                  print('valid')\n";
    let v =
        Command::new("python3").arg("-c").arg(script).arg(&schema).arg(dir.path().join("out.sarif")).output().unwrap();
    assert!(
        v.status.success(),
        "SARIF failed validation: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
#[ignore = "needs the package registries (PyPI, crates.io); .ci/run's networked stage runs it with --ignored"]
fn pre_commit_hook_blocks_a_breaking_staged_change_and_passes_once_migrated() {
    let hotlint_repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rev = String::from_utf8(
        Command::new("git").args(["rev-parse", "HEAD"]).current_dir(hotlint_repo).output().unwrap().stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(repo.join("src/lib.rs"), V1).unwrap();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!("repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: hotlint\n", hotlint_repo.display()),
    )
    .unwrap();
    git(repo, &["init", "--quiet"]);
    git(repo, &["add", "--all"]);
    git(repo, &["commit", "--quiet", "-m", "v1"]);
    let pre_commit = |what: &str| {
        let out = Command::new("pre-commit")
            .args(["run", "--color", "never"])
            .env("PRE_COMMIT_HOME", home.path())
            .current_dir(repo)
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        eprintln!("--- pre-commit ({what}) ---\n{text}");
        (out.status.success(), text)
    };
    // A breaking change, staged: the hook blocks the commit.
    std::fs::write(repo.join("src/lib.rs"), V1.replace("pub total: u32", "pub total: u64")).unwrap();
    git(repo, &["add", "src/lib.rs"]);
    let (ok, text) = pre_commit("breaking change");
    assert!(!ok, "the hook must block a state change without migration");
    assert!(text.contains("HL002"), "{text}");
    // The same change, migrated: version bumped and a path from version 1.
    let migrated = V1
        .replace("pub total: u32", "pub total: u64")
        .replace("STATE_VERSION: u32 = 1", "STATE_VERSION: u32 = 2")
        .replace(
            "Err(format!(\"no migration from {from}\"))",
            "match from { 1 => Ok(MeterState { total: 0 }), _ => Err(format!(\"no migration from {from}\")) }",
        );
    std::fs::write(repo.join("src/lib.rs"), migrated).unwrap();
    git(repo, &["add", "src/lib.rs"]);
    let (ok, text) = pre_commit("migrated change");
    assert!(ok, "the hook must pass once the change is migrated:\n{text}");
}

/// crates.io must be reachable where these tests run: an unreachable registry fails the test
/// with that reason, rather than letting it pass without having run.
fn assert_registry_reachable() {
    use std::net::ToSocketAddrs;
    let reachable =
        ("index.crates.io", 443).to_socket_addrs().ok().and_then(|mut a| a.next()).is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(10)).is_ok()
        });
    assert!(reachable, "the registry (index.crates.io:443) is unreachable: this test needs the network");
}

/// HL007 on a real crate: `cargo_metadata::Target.kind` went from `Vec<String>` (0.18.1) to
/// `Vec<TargetKind>` (0.23.1). Both versions are locked in two commits of a temporary repository;
/// the cargo home starts empty, so hotlint fetches both versions' sources through cargo. With
/// `--offline` the same comparison is HL013 and nothing is downloaded.
#[test]
#[ignore = "needs the package registries (PyPI, crates.io); .ci/run's networked stage runs it with --ignored"]
fn a_real_dependency_upgrade_that_changes_a_persisted_type_is_hl007() {
    assert_registry_reachable();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let lock = |version: &str| {
        format!(
            "version = 4\n\n[[package]]\nname = \"buildcache\"\nversion = \"0.1.0\"\ndependencies = [\"cargo_metadata\"]\n\n[[package]]\nname = \"cargo_metadata\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        )
    };
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(
        repo.join("Cargo.toml"),
        "[package]\nname = \"buildcache\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\ncargo_metadata = \"0.18\"\nserde = { version = \"1\", features = [\"derive\"] }\nbincode = \"1\"\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("src/lib.rs"),
        "use serde::{Deserialize, Serialize};\n\n#[derive(Serialize, Deserialize)]\npub struct Snapshot {\n    pub generation: u64,\n    pub targets: Vec<cargo_metadata::Target>,\n}\n",
    )
    .unwrap();
    std::fs::write(repo.join("hotlint.toml"), "version = 1\n\n[[track]]\ntype = \"buildcache::Snapshot\"\n").unwrap();
    std::fs::write(repo.join("Cargo.lock"), lock("0.18.1")).unwrap();
    git(repo, &["init", "--quiet"]);
    git(repo, &["add", "--all"]);
    git(repo, &["commit", "--quiet", "-m", "cargo_metadata 0.18"]);
    std::fs::write(
        repo.join("Cargo.toml"),
        std::fs::read_to_string(repo.join("Cargo.toml")).unwrap().replace("\"0.18\"", "\"0.23\""),
    )
    .unwrap();
    std::fs::write(repo.join("Cargo.lock"), lock("0.23.1")).unwrap();
    git(repo, &["commit", "--quiet", "--all", "-m", "cargo_metadata 0.23"]);
    let run = |home: &Path, extra: &[&str]| {
        let out = Command::new(BIN)
            .args(["--base", "HEAD~1", "--format", "json"])
            .args(extra)
            .current_dir(repo)
            .env("CARGO_HOME", home)
            .env_remove("CARGO_NET_OFFLINE")
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["code"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
            .collect::<Vec<_>>()
    };
    let offline_home = tempfile::tempdir().unwrap();
    let offline = run(offline_home.path(), &["--offline"]);
    assert!(
        offline.iter().any(|(c, m)| c == "HL013" && m.contains("cargo_metadata 0.18.1") && m.contains("--offline")),
        "{offline:?}"
    );
    assert!(!offline_home.path().join("registry").exists(), "--offline downloaded something");
    let home = tempfile::tempdir().unwrap();
    let f = run(home.path(), &[]);
    eprintln!("{f:#?}");
    assert!(
        f.iter().any(|(c, m)| c == "HL007"
            && m.contains("cargo_metadata 0.18.1 → 0.23.1")
            && m.contains("`cargo_metadata::Target`")
            && m.contains("`kind`")),
        "{f:?}"
    );
}
