#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! What hotlint promises a user, checked where a real user met a broken promise (issue 16):
//! a green run means "safe" only when it is. Each test runs the real binary on a workspace in a
//! real temporary git repository: the lock of a `[bin]` crate, a base whose packages were
//! renamed or merged, `plan` and `check` agreeing, configuration read at the revision checked
//! and scoped to its package, the level flags as clap parsed them, `-q`, and the rules whose
//! noise hid real findings (HL001, HL006).
//!
//! Hermetic: git runs with no user configuration, cargo never touches the network.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

// =============================================================================================
// Harness: a temporary git repository.

struct Repo {
    dir: tempfile::TempDir,
}

fn git_command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    if let Some(parent) = dir.parent() {
        c.env("GIT_CEILING_DIRECTORIES", parent);
    }
    c
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}); exit {:?}; stderr: {}\n{}", self.code, self.stderr, self.stdout)
        })
    }

    /// `(code, message)` of every finding of a JSON run.
    fn findings(&self) -> Vec<(String, String)> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["code"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
            .collect()
    }

    fn codes(&self) -> Vec<String> {
        self.findings().into_iter().map(|(c, _)| c).collect()
    }
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap() };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = git_command(self.path()).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    fn write(&self, rel: &str, text: &str) -> &Repo {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Replace `from` by `to` in a file (which must contain it).
    fn edit(&self, rel: &str, from: &str, to: &str) -> &Repo {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replace(from, to))
    }

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
        self.git(&["rev-parse", "HEAD"])
    }

    fn run_in(&self, sub: &str, args: &[&str]) -> Run {
        let mut command = Command::new(BIN);
        command
            .arg("hotlint")
            .args(args)
            .current_dir(self.path().join(sub))
            .env("CARGO_NET_OFFLINE", "true")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env("HOTLINT_NO_CACHE", "1")
            .env_remove("CARGO_TERM_COLOR")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        if let Some(parent) = self.path().parent() {
            command.env("GIT_CEILING_DIRECTORIES", parent);
        }
        let out = command.output().unwrap();
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(!run.stderr.contains("panicked"), "{args:?} panicked: {}", run.stderr);
        run
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_in("", args)
    }
}

/// A package manifest (its own workspace unless `member`).
fn manifest(name: &str, deps: &str, member: bool) -> String {
    let ws = if member { "" } else { "\n[workspace]\n" };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n{ws}\n[dependencies]\n{deps}\n"
    )
}

const RACTOR_BINCODE: &str =
    "ractor = \"0.16\"\nserde = { version = \"1\", features = [\"derive\"] }\nbincode = \"1\"\n";

// =============================================================================================
// The lock of a crate whose bin shares the lib's name.

const BIN_ACTOR: &str = r#"use ractor::Actor;
use serde::{Deserialize, Serialize};

pub struct Meter;

#[derive(Serialize, Deserialize)]
pub struct MeterState {
    pub total: u32,
    pub inner: Inner,
    pub shared: svc::Shared,
}

#[derive(Serialize, Deserialize)]
pub struct Inner {
    pub x: u8,
}

impl Actor for Meter {
    type Msg = ();
    type State = MeterState;
    type Arguments = ();
}

fn main() {}
"#;

const BIN_LIB: &str = r#"use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Shared {
    pub y: u16,
}
"#;

#[test]
fn the_lock_records_the_types_of_a_bin_sharing_the_lib_name() {
    let repo = Repo::new();
    repo.write("Cargo.toml", &manifest("svc", RACTOR_BINCODE, false))
        .write("src/lib.rs", BIN_LIB)
        .write("src/main.rs", BIN_ACTOR);
    repo.commit("one");
    let out = repo.run(&["lock"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("1 tracked type"), "{}", out.stdout);
    let lock = repo.read("hotlint.lock");
    assert!(lock.contains("path = \"svc[bin]::MeterState\""), "{lock}");
    assert!(lock.contains("pub inner: ::svc[bin]::Inner") && lock.contains("pub shared: ::svc::Shared"), "{lock}");
    assert_eq!(repo.run(&["lock", "--check"]).code, Some(0));
    repo.commit("lock");
    // Nothing changed, or a neutral change: the lock's model compares equal.
    assert_eq!(repo.run(&["check", "--staged", "--format", "json"]).codes(), ["HL001"]);
    repo.edit("src/main.rs", "fn main() {}", "fn main() {\n    // started elsewhere\n}");
    repo.git(&["add", "-A"]);
    assert_eq!(repo.run(&["check", "--staged", "--format", "json"]).codes(), ["HL001"]);
    // A width change of bincode state, in the bin and in the lib type it reaches: deny, exit 1.
    repo.edit("src/main.rs", "pub total: u32", "pub total: u64");
    repo.git(&["add", "-A"]);
    let out = repo.run(&["check", "--staged", "--format", "json"]);
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    let found = out.findings();
    assert!(found.iter().any(|(c, m)| c == "HL002" && m.contains("`total`") && m.contains("`u64`")), "{found:?}");
    repo.edit("src/main.rs", "pub total: u64", "pub total: u32").edit("src/lib.rs", "pub y: u16", "pub y: u32");
    repo.git(&["add", "-A"]);
    let found = repo.run(&["check", "--staged", "--format", "json"]).findings();
    assert!(found.iter().any(|(c, m)| c == "HL002" && m.contains("`y`")), "{found:?}");
}

// =============================================================================================
// A base whose packages were renamed, merged or split is compared whole.

const KAMEO_SERDE: &str =
    "kameo = { version = \"0.19\", features = [\"remote\"] }\nserde = { version = \"1\", features = [\"derive\"] }\n";

/// The kameo hub: a remote actor receiving `Join` (defined at `join_path`).
fn hub(join_path: &str) -> String {
    format!(
        "use kameo::prelude::{{remote_message, Actor, Context, Message, RemoteActor}};\n\
         use {join_path};\n\n\
         #[derive(Actor, RemoteActor)]\npub struct Hub;\n\n\
         #[remote_message]\nimpl Message<Join> for Hub {{\n    type Reply = ();\n\n    \
         async fn handle(&mut self, msg: Join, _ctx: &mut Context<Self, Self::Reply>) {{\n        let _ = msg;\n    }}\n}}\n"
    )
}

const JOIN: &str = "#[derive(serde::Serialize, serde::Deserialize)]\npub struct Join {\n    pub user: String,\n}\n";

const COUNTER: &str = "use ractor::Actor;\n\n\
     pub struct Counter;\n\n\
     #[derive(serde::Serialize, serde::Deserialize)]\npub struct CounterState {\n    pub total: u32,\n}\n\n\
     impl Actor for Counter {\n    type Msg = ();\n    type State = CounterState;\n    type Arguments = ();\n}\n";

/// Base: members `node` (the hub) and `proto` (`Join` and the `Counter` actor with bincode
/// state). Head: `proto` merged into `node` as the module `node::proto`, and `Counter`'s state
/// widened. Returns the repository and the base commit.
fn merged_workspace(widen: bool) -> (Repo, String) {
    let repo = Repo::new();
    let proto_deps = format!("{RACTOR_BINCODE}kameo = {{ version = \"0.19\", features = [\"remote\"] }}\n");
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"node\", \"proto\"]\nresolver = \"2\"\n")
        .write("node/Cargo.toml", &manifest("node", &format!("{KAMEO_SERDE}proto = {{ path = \"../proto\" }}\n"), true))
        .write("node/src/lib.rs", &hub("proto::Join"))
        .write("proto/Cargo.toml", &manifest("proto", &proto_deps, true))
        .write("proto/src/lib.rs", &format!("{JOIN}\npub mod counter;\n"))
        .write("proto/src/counter.rs", COUNTER);
    let base = repo.commit("two crates");
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"node\"]\nresolver = \"2\"\n")
        .write(
            "node/Cargo.toml",
            &manifest("node", &format!("{KAMEO_SERDE}ractor = \"0.16\"\nbincode = \"1\"\n"), true),
        )
        .write("node/src/lib.rs", &format!("pub mod proto;\n\n{}", hub("crate::proto::Join")))
        .write("node/src/proto.rs", &format!("{JOIN}\npub mod counter;\n"))
        .write("node/src/proto/counter.rs", &if widen { COUNTER.replace("u32", "u64") } else { COUNTER.into() });
    std::fs::remove_dir_all(repo.path().join("proto")).unwrap();
    (repo, base)
}

#[test]
fn a_base_whose_packages_were_merged_is_compared_whole() {
    let (repo, base) = merged_workspace(true);
    // The head's selection (all of it, `-p node`, the member's directory) never hides a base
    // definition: the moved message's id changed (HL005) and the moved state widened (HL002).
    for (dir, args) in [("", vec![]), ("", vec!["-p", "node"]), ("node", vec![])] {
        let mut full = vec!["check", "--format", "json", "--no-deps", "--base", &base];
        full.extend(args.iter().copied());
        let out = repo.run_in(dir, &full);
        assert_eq!(out.code, Some(1), "{dir} {args:?}: {}\n{}", out.stdout, out.stderr);
        let found = out.findings();
        let hl005 = found.iter().filter(|(c, m)| c == "HL005" && m.contains("`Join` moved from `proto::Join`")).count();
        let hl002 = found.iter().filter(|(c, m)| c == "HL002" && m.contains("`total`")).count();
        assert_eq!((hl005, hl002), (1, 1), "{dir} {args:?}: {found:?}");
    }
    // The plan says the same: the actor moved (not removed and added), the message broke.
    let out = repo.run(&["plan", "--base", &base, "--format", "json"]);
    let plan = out.json();
    let items: Vec<(String, String)> = plan["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["item"].as_str().unwrap().to_string(), e["verdict"].as_str().unwrap().to_string()))
        .collect();
    let verdict = |item: &str| items.iter().find(|(i, _)| i == item).map(|(_, v)| v.clone()).unwrap_or_default();
    assert!(!items.iter().any(|(_, v)| v == "added" || v == "removed"), "{items:?}");
    assert!(verdict("node::proto::Join").contains("breaking"), "{items:?}");
    assert!(verdict("node::proto::counter::CounterState").contains("without migration"), "{items:?}");
    // The suggested command checks what was planned: the user's `-p` and manifest are kept.
    let out = repo.run(&["plan", "--base", &base, "-p", "node", "--manifest-path", "node/Cargo.toml"]);
    let footer = out.stdout.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("-p node") && footer.contains("--manifest-path node/Cargo.toml"), "{}", out.stdout);
}

#[test]
fn a_merge_alone_changes_nothing_but_the_moved_message_id() {
    let (repo, base) = merged_workspace(false);
    let out = repo.run(&["check", "--format", "json", "--no-deps", "--base", &base]);
    let found: Vec<String> =
        out.findings().into_iter().filter(|(c, _)| c != "HL001").map(|(c, m)| format!("{c} {m}")).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("HL005") && found[0].contains("moved"), "{found:?}");
}

/// Two members with a tracked state each; `a`'s state is added after the lock was written.
#[test]
fn a_lock_entry_of_a_package_outside_the_selection_is_no_move_candidate() {
    let repo = Repo::new();
    let state = |krate: &str, field: &str| {
        COUNTER
            .replace("CounterState", "State")
            .replace("pub struct Counter", &format!("pub struct {krate}Counter"))
            .replace("for Counter", &format!("for {krate}Counter"))
            .replace("pub total: u32", field)
    };
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n")
        .write("a/Cargo.toml", &manifest("a", RACTOR_BINCODE, true))
        .write("a/src/lib.rs", "")
        .write("b/Cargo.toml", &manifest("b", RACTOR_BINCODE, true))
        .write("b/src/lib.rs", &state("B", "pub total: u32"));
    repo.commit("b");
    assert_eq!(repo.run(&["lock"]).code, Some(0));
    repo.write("a/src/lib.rs", &state("A", "pub name: String"));
    repo.commit("a");
    // `a::State` is new; `b::State` is still there, outside the selection: no move, nothing.
    let out = repo.run(&["check", "--format", "json", "--no-deps", "-p", "a"]);
    assert_eq!(out.json()["base"], "hotlint.lock");
    assert_eq!(out.codes(), ["HL001"], "{}", out.stdout);
    // The whole workspace: `b::State` is matched at its own path, `a::State` is new.
    assert_eq!(repo.run(&["check", "--format", "json", "--no-deps"]).codes(), ["HL001", "HL001"]);
}

// =============================================================================================
// One comparison, one verdict: identical code gets identical advice.

#[test]
fn sibling_remote_enums_get_the_same_encoding_with_or_without_a_receiving_actor() {
    let repo = Repo::new();
    let deps = "ractor = \"0.16\"\nractor_cluster = \"0.16\"\nserde_json = \"1\"\n";
    let lib = "use ractor::Actor;\nuse ractor_cluster::RactorClusterMessage;\n\n\
               #[derive(RactorClusterMessage)]\npub enum NodeMsg {\n    Sync(u32),\n}\n\n\
               #[derive(RactorClusterMessage)]\npub enum PeerMsg {\n    Sync(u32),\n}\n\n\
               pub struct Node;\n\nimpl Actor for Node {\n    type Msg = NodeMsg;\n    type State = ();\n    type Arguments = ();\n}\n";
    repo.write("Cargo.toml", &manifest("sib", deps, false)).write("src/lib.rs", lib);
    repo.commit("one");
    repo.write("src/lib.rs", &lib.replace("Sync(u32)", "Sync(u64)"));
    let out = repo.run(&["check", "--format", "json", "--no-deps", "--base", "HEAD"]);
    let json = out.json();
    let notes: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "HL005")
        .map(|f| f["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(notes.len(), 2, "{}", out.stdout);
    // Both travel as ractor cluster messages (the derive's framework), not as the crate's JSON.
    assert!(notes.iter().all(|n| n.contains("encoded `positional`")), "{notes:?}");
}

#[test]
fn the_human_and_json_summaries_count_the_same_actors() {
    let repo = Repo::new();
    let lib = format!(
        "{COUNTER}\n#[cfg(test)]\nmod tests {{\n    pub struct Probe;\n\n    impl ractor::Actor for Probe {{\n        type Msg = ();\n        type State = ();\n        type Arguments = ();\n    }}\n}}\n"
    );
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false)).write("src/lib.rs", &lib);
    let json = repo.run(&["--format", "json", "--no-deps"]).json();
    assert_eq!(json["actors"].as_array().unwrap().len(), 2, "the test actor is listed");
    assert_eq!(json["summary"]["actors"], 1);
    let human = repo.run(&["--no-deps"]).stdout;
    assert!(human.contains(", 1 actor ("), "{human}");
}

// =============================================================================================
// Configuration: read at the revision checked, scoped to its package, every entry accounted for.

#[test]
fn the_configuration_is_read_at_the_revision_checked() {
    let repo = Repo::new();
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false))
        .write("src/lib.rs", COUNTER)
        .write("hotlint.toml", "version = 1\n\n[rules]\nactor-without-migration = \"allow\"\n");
    let allowed = repo.commit("allow HL001");
    repo.write("hotlint.toml", "version = 1\n");
    let warned = repo.commit("warn again");
    // `--head REV` reads that revision's configuration, not today's.
    assert!(repo.run(&["check", "--format", "json", "--no-deps", "--head", &allowed]).codes().is_empty());
    assert_eq!(repo.run(&["check", "--format", "json", "--no-deps", "--head", &warned]).codes(), ["HL001"]);
    // `--staged` reads the index's: a broken file in the working tree that is not staged does
    // not fail the commit, and a staged one is what counts.
    repo.write("hotlint.toml", "version = 1\n[rules]\nno-such-rule = \"deny\"\n");
    let out = repo.run(&["check", "--format", "json", "--staged"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.codes(), ["HL001"]);
    assert_eq!(repo.run(&["check", "--format", "json"]).code, Some(2), "the working tree's is broken");
    repo.write("hotlint.toml", "version = 1\n\n[rules]\nactor-without-migration = \"deny\"\n");
    repo.git(&["add", "hotlint.toml"]);
    repo.write("hotlint.toml", "version = 1\n");
    let out = repo.run(&["check", "--format", "json", "--staged"]);
    assert_eq!((out.code, out.codes()), (Some(1), vec!["HL001".to_string()]), "{}", out.stderr);
    // The same for a member's `[package.metadata.hotlint]`: the index's manifest.
    repo.write("hotlint.toml", "version = 1\n");
    repo.git(&["add", "hotlint.toml"]);
    let with_metadata = format!(
        "{}\n[package.metadata.hotlint]\nrules = {{ actor-without-migration = \"allow\" }}\n",
        manifest("counter", RACTOR_BINCODE, false)
    );
    repo.write("Cargo.toml", &with_metadata);
    repo.git(&["add", "Cargo.toml"]);
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false));
    assert!(repo.run(&["check", "--format", "json", "--staged"]).codes().is_empty());
}

/// Members `a` and `b`, each with an actor whose state has no migration.
fn two_members(a_metadata: &str) -> Repo {
    let repo = Repo::new();
    let actor = |krate: &str| COUNTER.replace("Counter", &format!("{krate}Counter"));
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n")
        .write(
            "a/Cargo.toml",
            &format!("{}\n[package.metadata.hotlint]\n{a_metadata}", manifest("a", RACTOR_BINCODE, true)),
        )
        .write("a/src/lib.rs", &format!("{}\npub mod gen;\n", actor("A")))
        .write("a/src/gen.rs", &actor("Gen"))
        .write("b/Cargo.toml", &manifest("b", RACTOR_BINCODE, true))
        .write("b/src/lib.rs", &actor("B"));
    repo.commit("two members");
    repo
}

#[test]
fn a_package_configuration_applies_to_that_package_only() {
    // `exclude` is relative to the package's directory and covers its own files; `ephemeral`
    // naming another package's actor applies to nothing, and HL014 says so.
    let repo = two_members("exclude = [\"b/**\", \"src/gen.rs\"]\nephemeral = [\"b::BCounter\", \"a::ACounter\"]\n");
    let out = repo.run(&["check", "--format", "json", "--no-deps"]);
    let found = out.findings();
    let hl001: Vec<&str> = found.iter().filter(|(c, _)| c == "HL001").map(|(_, m)| m.as_str()).collect();
    assert_eq!(hl001.len(), 1, "only `b`'s actor: `a`'s is ephemeral, `a/src/gen.rs` excluded: {found:?}");
    assert!(hl001[0].contains("`BCounter`"), "{found:?}");
    let hl014: Vec<&str> = found.iter().filter(|(c, _)| c == "HL014").map(|(_, m)| m.as_str()).collect();
    assert_eq!(hl014.len(), 1, "{found:?}");
    assert!(hl014[0].contains("`b::BCounter`") && hl014[0].contains("outside package `a`"), "{found:?}");
    // Workspace-wide keys are refused in a package's table, naming the key and the file.
    for key in [
        "[package.metadata.hotlint.deps]\nallow = [\"x\"]\n",
        "[package.metadata.hotlint.frameworks]\naliases = { \"x::y\" = \"ractor\" }\n",
    ] {
        let repo = two_members(key);
        let out = repo.run(&["check", "--no-deps"]);
        assert_eq!(out.code, Some(2), "{key}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("a/Cargo.toml") && out.stderr.contains("whole workspace"), "{}", out.stderr);
        assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
    }
}

#[test]
fn a_track_version_that_names_no_constant_is_reported() {
    let repo = Repo::new();
    let lib = format!("{COUNTER}\npub const SNAPSHOT_VERSION: u32 = 3;\n");
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false)).write("src/lib.rs", &lib);
    let config = |version: &str| {
        format!("version = 1\n\n[[track]]\ntype = \"counter::CounterState\"\nversion = \"{version}\"\n")
    };
    repo.write("hotlint.toml", &config("counter::SNAPSHOT_VERSION"));
    let found = repo.run(&["check", "--format", "json", "--no-deps"]).findings();
    assert!(!found.iter().any(|(c, _)| c == "HL014"), "{found:?}");
    repo.write("hotlint.toml", &config("counter::SNAPSHOT_VERSON"));
    let found = repo.run(&["check", "--format", "json", "--no-deps"]).findings();
    let hl014: Vec<&String> = found.iter().filter(|(c, _)| c == "HL014").map(|(_, m)| m).collect();
    assert_eq!(hl014.len(), 1, "{found:?}");
    assert!(hl014[0].contains("`counter::SNAPSHOT_VERSON`"), "{found:?}");
}

#[test]
fn locked_refuses_a_lock_that_would_change() {
    let repo = Repo::new();
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false)).write("src/lib.rs", COUNTER);
    let lock = |ractor: &str| {
        format!(
            "version = 3\n\n[[package]]\nname = \"bincode\"\nversion = \"1.3.3\"\n\n[[package]]\nname = \"counter\"\nversion = \"0.1.0\"\n\n\
             [[package]]\nname = \"ractor\"\nversion = \"{ractor}\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\n"
        )
    };
    for flag in ["--locked", "--frozen"] {
        let out = repo.run(&["check", "--no-deps", flag]);
        assert_eq!(out.code, Some(2), "no Cargo.lock: {}", out.stdout);
        assert!(out.stderr.contains("--locked") && out.stderr.contains("Cargo.lock does not exist"), "{}", out.stderr);
    }
    repo.write("Cargo.lock", &lock("0.15.2"));
    let out = repo.run(&["check", "--no-deps", "--locked"]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(out.stderr.contains("`ractor` is locked at 0.15.2"), "{}", out.stderr);
    repo.write("Cargo.lock", &lock("0.16.1"));
    let out = repo.run(&["check", "--no-deps", "--locked", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.codes(), ["HL001"]);
}

// =============================================================================================
// The command line: level flags as clap parsed them, `-q`, and what a green run compared with.

#[test]
fn level_flags_are_read_as_clap_parsed_them() {
    let repo = Repo::new();
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false)).write("src/lib.rs", COUNTER);
    repo.commit("one");
    // A bundle of short flags: `-q` and `-D warnings` both count.
    assert_eq!(repo.run(&["--no-deps", "-qD", "warnings"]).code, Some(1));
    assert_eq!(repo.run(&["check", "--no-deps", "-qDwarnings"]).code, Some(1));
    // Later flags win; `-D warnings` applies last, as rustc's.
    assert_eq!(repo.run(&["--no-deps", "-D", "HL001", "-A", "HL001"]).code, Some(0));
    assert_eq!(repo.run(&["--no-deps", "--deny=HL001", "--warn", "actor-without-migration"]).code, Some(0));
    // After `--`, a `lock --accept` reason is text, not a rule named `is`.
    assert_eq!(repo.run(&["lock"]).code, Some(0));
    repo.edit("src/lib.rs", "pub total: u32", "pub total: u64");
    let out = repo.run(&["lock", "--accept", "HL002:counter::CounterState", "--", "-D", "is", "deliberate"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(repo.read("hotlint.lock").contains("HL002: -D is deliberate"), "{}", repo.read("hotlint.lock"));
}

#[test]
fn quiet_prints_deny_findings_whole_and_the_rest_in_one_line_each() {
    let repo = Repo::new();
    let two = format!("{COUNTER}\n{}", COUNTER.replace("Counter", "Meter").replace("use ractor::Actor;\n", ""));
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false)).write("src/lib.rs", &two);
    let base = repo.commit("one");
    repo.edit(
        "src/lib.rs",
        "pub total: u32,\n}\n\nimpl Actor for Counter",
        "pub total: u64,\n}\n\nimpl Actor for Counter",
    );
    let out = repo.run(&["--no-deps", "--base", &base, "-q", "--color", "never"]);
    assert_eq!(out.code, Some(1));
    let lines: Vec<&str> = out.stdout.lines().collect();
    let warnings: Vec<&&str> = lines.iter().filter(|l| l.starts_with("warning[")).collect();
    assert_eq!(warnings.len(), 2, "{}", out.stdout);
    assert!(warnings.iter().all(|l| l.starts_with("warning[HL001]: src/lib.rs:")), "{}", out.stdout);
    // The deny finding keeps its snippet, notes and help.
    assert!(
        out.stdout.contains("error[HL002]") && out.stdout.contains("┌─ src/lib.rs") && out.stdout.contains("= help:"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("hotlint: "), "no summary with -q: {}", out.stdout);
    assert_eq!(lines.iter().filter(|l| l.contains("= help:")).count(), 1, "{}", out.stdout);
}

#[test]
fn a_run_without_findings_says_what_it_compared_with() {
    let repo = Repo::new();
    let quiet_lib = COUNTER.replace("impl Actor", "// hotlint: allow(actor-without-migration) -- a cache\nimpl Actor");
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false)).write("src/lib.rs", &quiet_lib);
    let base = repo.commit("one");
    repo.git(&["branch", "release"]);
    repo.write("README", "text\n");
    repo.commit("two");
    let short = &base[..12];
    let out = repo.run(&["--no-deps", "--base", "release"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("note: compared with `{short}` (the merge base of `release` and `HEAD`)")),
        "{}",
        out.stdout
    );
    let out = repo.run(&["--no-deps", "--base", &base, "--base-exact"]);
    assert!(out.stdout.contains("`--base-exact`"), "{}", out.stdout);
    let out = repo.run(&["--staged"]);
    assert!(
        out.stdout.contains("note: compared with `") && out.stdout.contains("`--staged` compares the index with it"),
        "{}",
        out.stdout
    );
    let out = repo.run(&["--no-deps"]);
    assert!(out.stdout.contains("did not run: no `--base` and no hotlint.lock"), "{}", out.stdout);
    assert_eq!(repo.run(&["lock"]).code, Some(0));
    let out = repo.run(&["--no-deps"]);
    assert!(out.stdout.contains("note: compared with `hotlint.lock` (the shipped shapes)"), "{}", out.stdout);
}

// =============================================================================================
// Rules: HL001 for state that holds data.

const HANDLES: &str = r#"use std::sync::{Arc, Mutex};
use std::collections::HashMap;
use ractor::{Actor, ActorRef};

pub struct Db {
    pool: sqlx::PgPool,
}

pub struct AppSettings {
    pub url: String,
    pub retries: u32,
}

pub struct Stats {
    pub seen: u64,
}

pub enum Conn {
    Single(reqwest::Client),
    Cluster(std::sync::Arc<sqlx::PgPool>),
}

pub enum Phase {
    Idle,
    Running(tokio::task::JoinHandle<()>),
}

pub struct Router;

pub struct RouterState {
    conn: Conn,
    peers: Vec<ActorRef<()>>,
    by_name: HashMap<String, ActorRef<()>>,
    db: Arc<Db>,
    settings: AppSettings,
    ticker: Option<tokio::task::JoinHandle<()>>,
    outbox: tokio::sync::mpsc::Sender<String>,
    client: reqwest::Client,
    _marker: std::marker::PhantomData<u8>,
}

impl Actor for Router {
    type Msg = ();
    type State = RouterState;
    type Arguments = ();
}

pub struct Tally;

pub struct TallyState {
    phase: Phase,
    db: Arc<Db>,
    stats: Arc<Mutex<Stats>>,
}

impl Actor for Tally {
    type Msg = ();
    type State = TallyState;
    type Arguments = ();
}
"#;

#[test]
fn hl001_reports_state_that_holds_data_and_counts_handles_only_state() {
    let repo = Repo::new();
    let deps = "ractor = \"0.16\"\nsqlx = \"0.8\"\ntokio = \"1\"\nreqwest = \"0.12\"\n";
    repo.write("Cargo.toml", &manifest("handles", deps, false)).write("src/lib.rs", HANDLES);
    let out = repo.run(&["--format", "json", "--no-deps"]);
    let found = out.findings();
    // `Router` holds only handles, a service and settings: not reported. `Tally`'s statistics
    // are data behind an `Arc<Mutex<…>>`: reported.
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0 == "HL001" && found[0].1.contains("`Tally`"), "{found:?}");
    assert_eq!(out.json()["summary"]["handles_only"], 1);
    let human = repo.run(&["--no-deps"]).stdout;
    assert!(human.contains("2 actors (0 with a migration, 1 whose state is only handles)"), "{human}");
    // One field of data makes the router's state data too.
    repo.write("src/lib.rs", &HANDLES.replace("    _marker:", "    routed: u64,\n    _marker:"));
    let found = repo.run(&["--format", "json", "--no-deps"]).findings();
    assert_eq!(found.iter().filter(|(c, _)| c == "HL001").count(), 2, "{found:?}");
    // An enum with a variant that carries nothing is data: which variant is the state.
    repo.write("src/lib.rs", &HANDLES.replace("    stats: Arc<Mutex<Stats>>,\n", ""));
    let found = repo.run(&["--format", "json", "--no-deps"]).findings();
    assert!(found.iter().any(|(c, m)| c == "HL001" && m.contains("`Tally`")), "{found:?}");
    // A workspace type that merely shares a handle's name is judged by its fields.
    repo.write(
        "src/lib.rs",
        &format!("{HANDLES}\npub struct Client {{\n    pub balance: u64,\n}}\n")
            .replace("client: reqwest::Client", "client: Client"),
    );
    let found = repo.run(&["--format", "json", "--no-deps"]).findings();
    assert_eq!(found.iter().filter(|(c, _)| c == "HL001").count(), 2, "{found:?}");
}

// =============================================================================================
// Rules: HL003 when the actor and its state disagree on the version; HL012 for a positional
// candidate.

const VERSIONED: &str = r#"use ractor::Actor;

pub struct Counter;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct CounterState {
    pub total: u32,
}

impl CounterState {
    pub const STATE_VERSION: u32 = 2;

    pub fn code_change(from: u32, _old: &[u8]) -> Result<Self, String> {
        match from {
            1 => Ok(CounterState { total: 0 }),
            _ => Err(format!("no migration from {from}")),
        }
    }
}

impl Counter {
    pub const STATE_VERSION: u32 = 2;

    pub fn code_change(from: u32, _old: &[u8]) -> Result<CounterState, String> {
        CounterState::code_change(from, _old)
    }
}

impl Actor for Counter {
    type Msg = ();
    type State = CounterState;
    type Arguments = ();
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrates() {
        let _ = super::CounterState::code_change(1, &[]);
        let _ = super::Counter::code_change(1, &[]);
    }
}
"#;

#[test]
fn hl003_when_the_actor_and_its_state_declare_different_versions() {
    let repo = Repo::new();
    repo.write("Cargo.toml", &manifest("counter", RACTOR_BINCODE, false)).write("src/lib.rs", VERSIONED);
    repo.commit("one");
    // Equal versions: nothing.
    let out = repo.run(&["--format", "json", "--no-deps", "--base", "HEAD"]);
    assert!(out.codes().is_empty(), "{}", out.stdout);
    // The actor says 3, the state 2.
    repo.write(
        "src/lib.rs",
        &VERSIONED.replacen(
            "STATE_VERSION: u32 = 2;\n\n    pub fn code_change(from: u32, _old: &[u8]) -> Result<CounterState",
            "STATE_VERSION: u32 = 3;\n\n    pub fn code_change(from: u32, _old: &[u8]) -> Result<CounterState",
            1,
        ),
    );
    let out = repo.run(&["--format", "json", "--no-deps", "--base", "HEAD"]);
    let found = out.findings();
    let mismatch: Vec<&(String, String)> = found
        .iter()
        .filter(|(_, m)| m.contains("declares version 3 but its state `CounterState` declares version 2"))
        .collect();
    assert_eq!(mismatch.len(), 1, "{found:?}");
    assert_eq!(mismatch[0].0, "HL003");
    assert_eq!(out.code, Some(1));
}

const TAGGED: &str = r#"use ractor::Actor;

pub struct Router;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Route {
    pub to: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Actor for Router {
    type Msg = ();
    type State = Route;
    type Arguments = ();
}
"#;

#[test]
fn hl012_when_a_positional_format_is_among_the_candidates() {
    let repo = Repo::new();
    let both = format!("{RACTOR_BINCODE}serde_json = \"1\"\n");
    repo.write("Cargo.toml", &manifest("router", &both, false)).write("src/lib.rs", TAGGED);
    let found = repo.run(&["--format", "json", "--no-deps"]).findings();
    let hl012: Vec<&String> = found.iter().filter(|(c, _)| c == "HL012").map(|(_, m)| m).collect();
    assert_eq!(hl012.len(), 1, "{found:?}");
    assert!(hl012[0].contains("`#[serde(skip_serializing_if)]`") && hl012[0].contains("bincode 1"), "{found:?}");
    // Only a self-describing format among the dependencies, or the encoding configured: none.
    let json_only = "ractor = \"0.16\"\nserde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n";
    repo.write("Cargo.toml", &manifest("router", json_only, false));
    assert!(!repo.run(&["--format", "json", "--no-deps"]).codes().contains(&"HL012".to_string()));
    repo.write("Cargo.toml", &manifest("router", &both, false))
        .write("hotlint.toml", "version = 1\n\n[encoding]\n\"router::Route\" = \"named\"\n");
    assert!(!repo.run(&["--format", "json", "--no-deps"]).codes().contains(&"HL012".to_string()));
}
