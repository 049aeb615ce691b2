//! HL007: a dependency upgrade between two revisions' `Cargo.lock` that changes the shape of a
//! type tracked state reaches. Hermetic: both versions of the dependency sit in a fake cargo
//! registry cache (`$CARGO_HOME/registry/src/…`) made by the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn lock(version: &str) -> String {
    format!(
        "version = 4\n\n[[package]]\nname = \"billing\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [[package]]\nname = \"bincode\"\nversion = \"1.3.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [[package]]\nname = \"wallet\"\nversion = \"0.1.0\"\ndependencies = [\"billing\", \"bincode\", \"serde\"]\n"
    )
}

/// (repository, cargo home) with `billing` 1.0.0 at the base and `head_version` in the working tree.
fn setup(head_version: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let reg = "registry/src/index.crates.io-0000000000000000";
    for (v, lib) in [
        (
            "1.0.0",
            "use serde::{Deserialize, Serialize};\n#[derive(Serialize, Deserialize)]\npub struct Money { pub cents: u32, pub currency: String }\n",
        ),
        (
            "1.1.0",
            "use serde::{Deserialize, Serialize};\n#[derive(Serialize, Deserialize)]\npub struct Money { pub cents: u64, pub currency: String }\n",
        ),
        (
            "1.0.1",
            "use serde::{Deserialize, Serialize};\n#[derive(Serialize, Deserialize)]\npub struct Money { pub cents: u32, pub currency: String }\nimpl Money { pub fn zero() -> Self { Money { cents: 0, currency: String::new() } } }\n",
        ),
        (
            "1.2.0",
            "pub struct Money { cents: u32 }\nimpl serde::Serialize for Money { fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_u64(self.cents as u64) } }\n",
        ),
    ] {
        write(
            home.path(),
            &format!("{reg}/billing-{v}/Cargo.toml"),
            &format!(
                "[package]\nname = \"billing\"\nversion = \"{v}\"\nedition = \"2021\"\n\n[dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\n"
            ),
        );
        write(home.path(), &format!("{reg}/billing-{v}/src/lib.rs"), lib);
    }
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    write(
        r,
        "Cargo.toml",
        "[package]\nname = \"wallet\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nbilling = \"1\"\nserde = { version = \"1\", features = [\"derive\"] }\nbincode = \"1\"\n",
    );
    write(
        r,
        "src/lib.rs",
        "use serde::{Deserialize, Serialize};\n#[derive(Serialize, Deserialize)]\npub struct WalletState { pub balance: billing::Money }\n\nimpl WalletState {\n    pub const STATE_VERSION: u32 = 1;\n    pub fn code_change(from: u32) -> Result<Self, String> { Err(format!(\"{from}\")) }\n}\n\n#[cfg(test)]\nmod tests { #[test] fn t() { let _ = super::WalletState::code_change(1); } }\n",
    );
    write(r, "Cargo.lock", &lock("1.0.0"));
    git(r, &["init", "--quiet"]);
    git(r, &["add", "--all"]);
    git(r, &["commit", "--quiet", "-m", "base"]);
    write(r, "Cargo.lock", &lock(head_version));
    (repo, home)
}

fn findings(repo: &Path, home: &Path) -> Vec<(String, String)> {
    findings_with(repo, home, &[], &[("CARGO_NET_OFFLINE", "true")])
}

fn findings_with(repo: &Path, home: &Path, args: &[&str], env: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut command = Command::new(BIN);
    command.args(["--base", "HEAD", "--format", "json"]).args(args).current_dir(repo).env("CARGO_HOME", home);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn an_upgrade_that_widens_a_field_of_a_reached_type_is_hl007() {
    let (repo, home) = setup("1.1.0");
    let f = findings(repo.path(), home.path());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "HL007");
    assert!(f[0].1.contains("billing 1.0.0 → 1.1.0") && f[0].1.contains("`cents`"), "{}", f[0].1);
}

#[test]
fn an_upgrade_that_changes_only_methods_is_nothing() {
    let (repo, home) = setup("1.0.1");
    assert_eq!(findings(repo.path(), home.path()), Vec::<(String, String)>::new());
}

#[test]
fn a_hand_written_serde_impl_is_hl013_not_a_deny() {
    let (repo, home) = setup("1.2.0");
    let f = findings(repo.path(), home.path());
    assert!(f.iter().all(|(c, _)| c == "HL013"), "{f:?}");
    assert!(!f.is_empty());
}

#[test]
fn sources_not_on_disk_with_offline_are_hl013() {
    let (repo, home) = setup("1.3.0");
    // A `cargo` that records a `fetch` (`--offline` must not fetch); `cargo metadata` fails, so
    // hotlint reads the manifests itself.
    let fake = home.path().join("cargo-must-not-run");
    write(home.path(), "cargo-must-not-run", "#!/bin/sh\n[ \"$1\" = fetch ] && touch \"$0.ran\"\nexit 1\n");
    make_executable(&fake);
    for (args, env) in [
        (&["--offline"][..], &[("CARGO", fake.to_str().unwrap())][..]),
        (&["--frozen"][..], &[("CARGO", fake.to_str().unwrap())][..]),
        (&[][..], &[("CARGO", fake.to_str().unwrap()), ("CARGO_NET_OFFLINE", "true")][..]),
    ] {
        let f = findings_with(repo.path(), home.path(), args, env);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "HL013");
        assert!(f[0].1.contains("billing 1.3.0 are not on disk") && f[0].1.contains("--offline"), "{}", f[0].1);
    }
    assert!(!home.path().join("cargo-must-not-run.ran").exists(), "cargo ran although offline");
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Without `--offline`, a version missing from disk is fetched by running `cargo fetch` (here a
/// stand-in that unpacks the package as cargo would) in a throwaway project outside the user's
/// tree; the comparison then runs on the fetched sources.
#[test]
fn sources_not_on_disk_are_fetched_through_cargo() {
    let (repo, home) = setup("1.3.0");
    let log = home.path().join("fetch.log");
    let fake = home.path().join("fake-cargo");
    let reg = home.path().join("registry/src/index.crates.io-0000000000000000/billing-1.3.0");
    write(
        home.path(),
        "fake-cargo",
        &format!(
            "#!/bin/sh\n[ \"$1\" = fetch ] || exit 3\n{{ pwd; cat Cargo.toml; }} >> '{log}'\n\
             mkdir -p '{reg}/src'\n\
             printf '[package]\\nname = \"billing\"\\nversion = \"1.3.0\"\\nedition = \"2021\"\\n' > '{reg}/Cargo.toml'\n\
             printf 'use serde::{{Deserialize, Serialize}};\\n#[derive(Serialize, Deserialize)]\\npub struct Money {{ pub cents: i64, pub currency: String }}\\n' > '{reg}/src/lib.rs'\n",
            log = log.display(),
            reg = reg.display()
        ),
    );
    make_executable(&fake);
    let f = findings_with(repo.path(), home.path(), &[], &[("CARGO", fake.to_str().unwrap())]);
    let log = std::fs::read_to_string(&log).expect("cargo fetch was not run");
    assert!(log.contains("billing = \"=1.3.0\""), "{log}");
    let fetch_dir = log.lines().next().unwrap();
    assert!(!fetch_dir.starts_with(repo.path().to_str().unwrap()), "fetched inside the user's tree: {fetch_dir}");
    assert!(!Path::new(fetch_dir).exists(), "the throwaway project was left behind: {fetch_dir}");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "HL007");
    assert!(f[0].1.contains("billing 1.0.0 → 1.3.0") && f[0].1.contains("`cents`"), "{}", f[0].1);
}

#[test]
fn a_failed_fetch_is_hl013_naming_cargos_reason() {
    let (repo, home) = setup("1.3.0");
    let fake = home.path().join("fake-cargo");
    write(
        home.path(),
        "fake-cargo",
        "#!/bin/sh\necho 'error: no matching package named `billing` found' >&2\nexit 101\n",
    );
    make_executable(&fake);
    let f = findings_with(repo.path(), home.path(), &[], &[("CARGO", fake.to_str().unwrap())]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "HL013");
    assert!(f[0].1.contains("could not be fetched: no matching package named `billing` found"), "{}", f[0].1);
}

#[test]
fn no_deps_skips_the_comparison() {
    let (repo, home) = setup("1.1.0");
    let out = Command::new(BIN)
        .args(["--base", "HEAD", "--format", "json", "--no-deps"])
        .env("CARGO_NET_OFFLINE", "true")
        .current_dir(repo.path())
        .env("CARGO_HOME", home.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v:#}");
}

// =============================================================================================
// Side effects: what HL007 fetches, and that a run never depends on an earlier run's fetches.

const GIT_REV: &str = "0123456789abcdef0123456789abcdef01234567";
const GIT_REV_2: &str = "89abcdef0123456789abcdef0123456789abcdef";

fn lock_with_billing(entry: &str) -> String {
    format!(
        "version = 4\n\n[[package]]\nname = \"billing\"\n{entry}\n\n\
         [[package]]\nname = \"bincode\"\nversion = \"1.3.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [[package]]\nname = \"wallet\"\nversion = \"0.1.0\"\ndependencies = [\"billing\", \"bincode\", \"serde\"]\n"
    )
}

/// A git checkout of `billing` at `rev` as cargo leaves it, with `cents` of type `cents`.
fn git_checkout(home: &Path, rev: &str, cents: &str) {
    let dir = format!("git/checkouts/billing-0a1b2c3d4e5f6a7b/{}", &rev[..7]);
    write(
        home,
        &format!("{dir}/Cargo.toml"),
        "[package]\nname = \"billing\"\nversion = \"1.1.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n",
    );
    write(
        home,
        &format!("{dir}/src/lib.rs"),
        &format!(
            "use serde::{{Deserialize, Serialize}};\n#[derive(Serialize, Deserialize)]\npub struct Money {{ pub cents: {cents}, pub currency: String }}\n"
        ),
    );
}

/// A `cargo` that records whether it was asked to fetch, and fails.
fn recording_cargo(home: &Path) -> std::path::PathBuf {
    let fake = home.join("cargo-records");
    write(home, "cargo-records", "#!/bin/sh\n[ \"$1\" = fetch ] && touch \"$0.ran\"\nexit 1\n");
    make_executable(&fake);
    fake
}

#[test]
fn a_git_source_is_never_looked_up_on_the_registry() {
    let (repo, home) = setup("1.0.0");
    let git = format!("version = \"1.1.0\"\nsource = \"git+https://example.invalid/billing?branch=main#{GIT_REV}\"");
    write(repo.path(), "Cargo.lock", &lock_with_billing(&git));
    let fake = recording_cargo(home.path());
    // No checkout on disk: one HL013 for the package, and no fetch from crates.io (whose
    // `billing` would be another crate).
    let f = findings_with(repo.path(), home.path(), &[], &[("CARGO", fake.to_str().unwrap())]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "HL013");
    assert!(f[0].1.contains("git checkout of billing") && f[0].1.contains("not on disk"), "{}", f[0].1);
    assert!(!home.path().join("cargo-records.ran").exists(), "cargo fetch ran for a git source");
    // The checkout cargo made: compared from it.
    git_checkout(home.path(), GIT_REV, "u64");
    let f = findings_with(repo.path(), home.path(), &[], &[("CARGO", fake.to_str().unwrap())]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "HL007");
    assert!(f[0].1.contains("billing 1.0.0 → 1.1.0 (git 0123456789ab)") && f[0].1.contains("`cents`"), "{}", f[0].1);
    assert!(!home.path().join("cargo-records.ran").exists());
}

#[test]
fn a_git_revision_that_moved_under_the_same_version_is_compared() {
    let (repo, home) = setup("1.0.0");
    let at = |rev: &str| format!("version = \"1.1.0\"\nsource = \"git+https://example.invalid/billing#{rev}\"");
    write(repo.path(), "Cargo.lock", &lock_with_billing(&at(GIT_REV)));
    git(repo.path(), &["commit", "--quiet", "--all", "-m", "billing from git"]);
    write(repo.path(), "Cargo.lock", &lock_with_billing(&at(GIT_REV_2)));
    git_checkout(home.path(), GIT_REV, "u32");
    git_checkout(home.path(), GIT_REV_2, "u64");
    let f = findings(repo.path(), home.path());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "HL007");
    assert!(f[0].1.contains("(git 0123456789ab) → 1.1.0 (git 89abcdef0123)"), "{}", f[0].1);
    // The same revision on both sides: nothing.
    write(repo.path(), "Cargo.lock", &lock_with_billing(&at(GIT_REV)));
    assert_eq!(findings(repo.path(), home.path()), Vec::<(String, String)>::new());
}

#[test]
fn a_run_does_not_depend_on_what_an_earlier_run_fetched() {
    // `billing` defines an actor the workspace names and a type its state reaches; the head's
    // version is not on disk until HL007 fetches it. The first run (cold) and the second (warm)
    // must say the same.
    let (repo, home) = setup("1.3.0");
    let actor_lock = |version: &str| {
        format!(
            "version = 4\n\n[[package]]\nname = \"billing\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"ractor\"]\n\n\
             [[package]]\nname = \"ractor\"\nversion = \"0.16.5\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
             [[package]]\nname = \"wallet\"\nversion = \"0.1.0\"\ndependencies = [\"billing\"]\n"
        )
    };
    write(repo.path(), "Cargo.lock", &actor_lock("1.0.0"));
    write(
        repo.path(),
        "src/lib.rs",
        "use serde::{Deserialize, Serialize};\n#[derive(Serialize, Deserialize)]\npub struct WalletState { pub balance: billing::Money }\n\nimpl WalletState {\n    pub const STATE_VERSION: u32 = 1;\n    pub fn code_change(from: u32) -> Result<Self, String> { Err(format!(\"{from}\")) }\n}\n\npub fn audit(_ledger: Option<billing::Ledger>) {}\n\n#[cfg(test)]\nmod tests { #[test] fn t() { let _ = super::WalletState::code_change(1); } }\n",
    );
    git(repo.path(), &["commit", "--quiet", "--all", "-m", "actor-defining billing"]);
    write(repo.path(), "Cargo.lock", &actor_lock("1.3.0"));
    let reg = home.path().join("registry/src/index.crates.io-0000000000000000/billing-1.3.0");
    let fake = home.path().join("fake-cargo");
    write(
        home.path(),
        "fake-cargo",
        &format!(
            "#!/bin/sh\n[ \"$1\" = fetch ] || exit 3\nmkdir -p '{reg}/src'\n\
             printf '[package]\\nname = \"billing\"\\nversion = \"1.3.0\"\\nedition = \"2021\"\\n\\n[dependencies]\\nractor = \"0.16\"\\n' > '{reg}/Cargo.toml'\n\
             printf 'use serde::{{Deserialize, Serialize}};\\n#[derive(Serialize, Deserialize)]\\npub struct Money {{ pub cents: u64, pub currency: String }}\\npub struct Ledger;\\npub struct Book {{ pub lines: Vec<u64> }}\\nimpl ractor::Actor for Ledger {{ type Msg = (); type State = Book; type Arguments = (); }}\\n' > '{reg}/src/lib.rs'\n",
            reg = reg.display()
        ),
    );
    make_executable(&fake);
    let run = || findings_with(repo.path(), home.path(), &[], &[("CARGO", fake.to_str().unwrap())]);
    let cold = run();
    assert!(reg.join("src/lib.rs").is_file(), "the head's version was fetched");
    let warm = run();
    assert_eq!(cold, warm);
    assert!(cold.iter().any(|(c, m)| c == "HL007" && m.contains("`cents`")), "{cold:?}");
    assert!(cold.iter().any(|(c, m)| c == "HL006" && m.contains("`billing 1.3.0`")), "{cold:?}");
}

/// One changed definition of a dependency reached through two of its types (`Money` directly
/// and inside `Invoice`) is one finding, not one per reaching type.
#[test]
fn one_changed_definition_is_one_finding() {
    let home = tempfile::tempdir().unwrap();
    let reg = "registry/src/index.crates.io-0000000000000000";
    for (v, cents) in [("1.0.0", "u32"), ("1.1.0", "u64")] {
        write(
            home.path(),
            &format!("{reg}/billing-{v}/Cargo.toml"),
            &format!(
                "[package]\nname = \"billing\"\nversion = \"{v}\"\nedition = \"2021\"\n\n[dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\n"
            ),
        );
        write(
            home.path(),
            &format!("{reg}/billing-{v}/src/lib.rs"),
            &format!(
                "use serde::{{Deserialize, Serialize}};\n#[derive(Serialize, Deserialize)]\npub struct Money {{ pub cents: {cents}, pub currency: String }}\n\
                 #[derive(Serialize, Deserialize)]\npub struct Invoice {{ pub total: Money }}\n"
            ),
        );
    }
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    write(
        r,
        "Cargo.toml",
        "[package]\nname = \"wallet\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nbilling = \"1\"\nserde = { version = \"1\", features = [\"derive\"] }\nbincode = \"1\"\n",
    );
    write(
        r,
        "src/lib.rs",
        "use serde::{Deserialize, Serialize};\n#[derive(Serialize, Deserialize)]\npub struct WalletState { pub balance: billing::Money, pub last: billing::Invoice }\n\n\
         impl WalletState {\n    pub const STATE_VERSION: u32 = 1;\n    pub fn code_change(from: u32) -> Result<Self, String> { Err(format!(\"{from}\")) }\n}\n\n\
         #[cfg(test)]\nmod tests { #[test] fn t() { let _ = super::WalletState::code_change(1); } }\n",
    );
    write(r, "Cargo.lock", &lock("1.0.0"));
    git(r, &["init", "--quiet"]);
    git(r, &["add", "--all"]);
    git(r, &["commit", "--quiet", "-m", "base"]);
    write(r, "Cargo.lock", &lock("1.1.0"));
    let f = findings(r, home.path());
    let hl007: Vec<&(String, String)> = f.iter().filter(|(c, _)| c == "HL007").collect();
    assert_eq!(hl007.len(), 1, "{f:?}");
    assert!(hl007[0].1.contains("`cents`") && hl007[0].1.contains("`billing::Money`"), "{}", hl007[0].1);
}
