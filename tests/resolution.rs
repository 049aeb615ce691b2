//! Name resolution cases that need more than one crate or a configuration: a framework re-exported
//! by a dependency whose sources are on disk, the same re-export declared in `[frameworks]
//! aliases`, and a user's own `[[framework]]` profile (README's `Persist` example).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn actors(dir: &Path) -> Vec<(String, String)> {
    let cargo_home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--format", "json", "--no-deps"])
        .current_dir(dir)
        .env("CARGO_HOME", cargo_home.path())
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut a: Vec<(String, String)> = v["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_string(), a["state"].as_str().unwrap().to_string()))
        .collect();
    a.sort();
    a
}

/// A crate `app` whose library is `app_lib`, depending on `some-sdk` (a path dependency outside
/// the workspace) that re-exports ractor as `sdk::core::ractor`.
fn sdk_and_app(app_lib: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "sdk/Cargo.toml",
        "[package]\nname = \"some-sdk\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nractor = \"0.16\"\n",
    );
    write(root, "sdk/src/lib.rs", "pub mod core {\n    pub use ractor;\n}\n");
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nsdk = { package = \"some-sdk\", path = \"../sdk\" }\n",
    );
    write(root, "app/src/lib.rs", app_lib);
    dir
}

const APP_LIB: &str = "pub struct Direct;\npub struct Counted { pub n: u32 }\nimpl sdk::core::ractor::Actor for Direct { type Msg = (); type State = Counted; type Arguments = (); }\n\nuse sdk::core::ractor as r;\npub struct Renamed;\nimpl r::Actor for Renamed { type Msg = (); type State = (); type Arguments = (); }\n\nuse sdk::core::ractor::Actor;\npub struct Imported;\nimpl Actor for Imported { type Msg = (); type State = (); type Arguments = (); }\n";

#[test]
fn a_framework_re_exported_by_a_path_dependency_outside_the_workspace() {
    let dir = sdk_and_app(APP_LIB);
    assert_eq!(
        actors(&dir.path().join("app")),
        [
            ("app::Direct".into(), "app::Counted".into()),
            ("app::Imported".into(), "()".into()),
            ("app::Renamed".into(), "()".into())
        ]
    );
}

#[test]
fn a_re_exported_framework_trait_imported_under_another_name() {
    // The only mention of the framework's trait renames it: the re-exporting crate must still be
    // loaded (candidates are pre-filtered by last name, and `use … as` names count).
    let dir = sdk_and_app(
        "use sdk::core::ractor::Actor as Behaviour;\npub struct Aliased;\nimpl Behaviour for Aliased { type Msg = (); type State = u8; type Arguments = (); }\n",
    );
    assert_eq!(actors(&dir.path().join("app")), [("app::Aliased".into(), "u8".into())]);
}

#[test]
fn a_framework_re_exported_by_a_registry_dependency_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let home = root.join("home");
    write(
        &home,
        "registry/src/index.crates.io-0000000000000000/some-sdk-1.2.0/Cargo.toml",
        "[package]\nname = \"some-sdk\"\nversion = \"1.2.0\"\nedition = \"2021\"\n\n[dependencies]\nractor = \"0.16\"\n",
    );
    write(
        &home,
        "registry/src/index.crates.io-0000000000000000/some-sdk-1.2.0/src/lib.rs",
        "pub mod core { pub use ::ractor; }\n",
    );
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nsdk = { package = \"some-sdk\", version = \"1\" }\n",
    );
    write(
        root,
        "app/Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"some-sdk\"\nversion = \"1.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    write(root, "app/src/lib.rs", APP_LIB);
    let out = Command::new(BIN)
        .args(["--format", "json", "--no-deps"])
        .current_dir(root.join("app"))
        .env("CARGO_HOME", &home)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["actors"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "{v:#}");
    // The dependency's own files are not reported (no HL000, not counted as workspace files).
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn a_re_export_declared_in_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The re-exporting crate's sources are nowhere: the alias says what it re-exports.
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nsdk = { package = \"some-sdk\", version = \"1\" }\n",
    );
    write(root, "hotlint.toml", "version = 1\n\n[frameworks]\naliases = { \"some_sdk::core::ractor\" = \"ractor\" }\n");
    write(root, "src/lib.rs", APP_LIB);
    assert_eq!(actors(root).len(), 3);
    // Without the alias, nothing is an actor: hotlint does not guess.
    std::fs::remove_file(root.join("hotlint.toml")).unwrap();
    assert_eq!(actors(root).len(), 0);
}

#[test]
fn a_user_profile_makes_a_snapshot_trait_tracked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nsnapshot_kit = \"0.3\"\n",
    );
    write(
        root,
        "hotlint.toml",
        "version = 1\n\n[[framework]]\nname = \"snapshots\"\ncrates = [\"snapshot_kit\"]\n\n[[framework.actor]]\ntrait = [\"snapshot_kit::Persist\"]\nstate = \"assoc:State\"\n",
    );
    write(
        root,
        "src/lib.rs",
        "use snapshot_kit::Persist;\npub struct Vmm;\npub struct MicrovmState { pub vcpus: u8 }\nimpl Persist for Vmm { type State = MicrovmState; }\n\n// A local trait of the same name is not the profile's.\nmod local { pub trait Persist { type State; } }\npub struct Other;\nimpl local::Persist for Other { type State = u8; }\n",
    );
    assert_eq!(actors(root), [("app::Vmm".into(), "app::MicrovmState".into())]);
}
