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
    write(root, "app/src/lib.rs", "pub fn run() {}\n");
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
