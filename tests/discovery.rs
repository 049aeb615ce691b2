//! Workspace discovery when `cargo metadata` cannot describe the workspace: hotlint says so in
//! one line on stderr, reads the manifests itself and goes on (SPEC §4). Never a toolchain
//! download: hotlint's cargo call sets `RUSTUP_AUTO_INSTALL=0`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

const LIB: &str = "use ractor::Actor;\npub struct Keeper;\npub struct Kept { pub n: u64 }\nimpl Actor for Keeper { type Msg = (); type State = Kept; type Arguments = (); }\n";

fn crate_with(manifest_head: &str, manifest_tail: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!("{manifest_head}[package]\nname = \"keeper\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nractor = \"0.16\"\n{manifest_tail}"),
    )
    .unwrap();
    std::fs::write(root.join("src/lib.rs"), LIB).unwrap();
    for (path, text) in extra {
        std::fs::write(root.join(path), text).unwrap();
    }
    dir
}

/// Runs hotlint; returns (stderr, actor ids).
fn run(dir: &Path) -> (String, Vec<String>) {
    let out = Command::new(BIN).args(["--format", "json"]).current_dir(dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (err, v["actors"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect())
}

fn assert_fell_back(err: &str, cause: &str) {
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err}");
    assert!(lines[0].starts_with("warning: `cargo metadata` could not describe the workspace"), "{err}");
    assert!(lines[0].contains(cause), "the cause `{cause}` is named: {err}");
    assert!(lines[0].ends_with("hotlint read the manifests itself"), "{err}");
}

#[test]
fn a_pinned_toolchain_that_is_not_installed() {
    let dir = crate_with("", "", &[("rust-toolchain.toml", "[toolchain]\nchannel = \"nightly-2019-01-01\"\n")]);
    let (err, actors) = run(dir.path());
    // Under rustup the pin fails fast (no download); without rustup cargo ignores the file.
    if !err.is_empty() {
        assert_fell_back(&err, "not installed");
    }
    assert_eq!(actors, ["keeper::Keeper"]);
}

#[test]
fn nightly_only_manifest_keys() {
    let dir = crate_with("cargo-features = [\"edition2099\"]\n\n", "", &[]);
    let (err, actors) = run(dir.path());
    assert_fell_back(&err, "failed to parse manifest");
    assert_eq!(actors, ["keeper::Keeper"]);
}

#[test]
fn a_path_dependency_outside_the_checkout() {
    let dir = crate_with("", "elsewhere = { path = \"../../not/checked/out\" }\n", &[]);
    let (err, actors) = run(dir.path());
    assert_fell_back(&err, "failed to load manifest for dependency");
    assert_eq!(actors, ["keeper::Keeper"]);
}

#[test]
fn a_git_dependency_with_no_network() {
    let dir = crate_with("", "remote = { git = \"https://example.invalid/remote.git\" }\n", &[]);
    let (err, actors) = run(dir.path());
    // `--no-deps --offline` needs no git: cargo describes it, or hotlint falls back; either way
    // the run goes on without the network.
    if !err.is_empty() {
        assert!(err.starts_with("warning: `cargo metadata` could not describe the workspace"), "{err}");
    }
    assert_eq!(actors, ["keeper::Keeper"]);
}

#[test]
fn no_manifest_is_one_error_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("could not find `Cargo.toml`"), "{err}");
}

/// A file a declared target names is not inferred again (cargo's rule): the manifest reader and
/// `cargo metadata` list the same targets, so hotlint's early start on the manifest reader's
/// workspace (loading while cargo runs) is kept, and the fallback checks what cargo would.
#[test]
fn the_manifest_reader_lists_the_targets_cargo_does() {
    let main = "fn main() {}\n";
    let dir = crate_with(
        "",
        "\n[[bin]]\nname = \"keeper-server\"\npath = \"src/main.rs\"\n\n[[bin]]\nname = \"tool\"\npath = \"src/bin/other.rs\"\n\n[[example]]\nname = \"keeper_viewer\"\npath = \"examples/viewer.rs\"\n",
        &[("src/main.rs", main)],
    );
    for (path, text) in [("src/bin/other.rs", main), ("examples/viewer.rs", main), ("examples/plain.rs", main)] {
        std::fs::create_dir_all(dir.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let manifest = dir.path().join("Cargo.toml");
    let selection = hotlint::workspace::Selection::default();
    let cargo = hotlint::workspace::discover(&manifest, &selection, true).unwrap();
    assert!(matches!(cargo.discovery, hotlint::workspace::Discovery::Cargo { .. }), "cargo metadata ran");
    let guess = hotlint::workspace::guess(&manifest, &selection).unwrap();
    let targets = |ws: &hotlint::workspace::Workspace| -> Vec<(String, String)> {
        ws.packages[0].targets.iter().map(|t| (t.name.clone(), t.root.clone())).collect()
    };
    assert_eq!(targets(&guess), targets(&cargo));
    assert_eq!(hotlint::load::member_roots(&guess), hotlint::load::member_roots(&cargo));
    assert_eq!(targets(&cargo).len(), 5, "{:?}", targets(&cargo));
}
