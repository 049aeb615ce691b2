//! `cargo hotlint schema`: what goes on the wire for each tracked type, printed by the real
//! binary over small workspaces. Each case is a library, the lines the text output must contain
//! and the lines it must not (one helper, many cases).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

const MANIFEST: &str = "[package]\nname = \"wire\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n";

struct Case {
    name: &'static str,
    lib: &'static str,
    /// Extra `[[track]]` types besides `wire::Stored`.
    track: &'static [&'static str],
    args: &'static [&'static str],
    has: &'static [&'static str],
    lacks: &'static [&'static str],
}

fn workspace(lib: &str, track: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
    let mut config = String::from("version = 1\n\n[[track]]\ntype = \"wire::Stored\"\n");
    for t in track {
        config.push_str(&format!("\n[[track]]\ntype = \"{t}\"\n"));
    }
    std::fs::write(dir.path().join("hotlint.toml"), config).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("hotlint").arg("schema").args(args).current_dir(dir).output().unwrap()
}

fn run_cases(cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let dir = workspace(c.lib, c.track);
        let out = run(dir.path(), c.args);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if !out.status.success() {
            failures.push(format!(
                "{}: exit {:?}: {}",
                c.name,
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for h in c.has {
            if !lines.iter().any(|l| l.starts_with(h)) {
                failures.push(format!("{}: no line starts with `{h}` in:\n{text}", c.name));
            }
        }
        for l in c.lacks {
            if text.contains(l) {
                failures.push(format!("{}: `{l}` should not appear in:\n{text}", c.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const HEAD: &str = "use serde::{Deserialize, Serialize};\n";

#[test]
fn what_goes_on_the_wire() {
    run_cases(&[
        Case {
            name: "aliases are expanded, generic ones with their arguments",
            lib: "use serde::{Deserialize, Serialize};
pub type Ids = Vec<(u32, u32)>;
pub type Pairs<T> = Vec<(T, T)>;
#[derive(Serialize, Deserialize)]
pub struct Stored { pub ids: Ids, pub pairs: Pairs<u8> }
",
            track: &[],
            args: &[],
            has: &["ids: Vec<(u32, u32)>", "pairs: Vec<(u8, u8)>"],
            lacks: &["Ids", "Pairs"],
        },
        Case {
            name: "array lengths from workspace consts, and consts of consts",
            lib: "use serde::{Deserialize, Serialize};
pub const LEN: usize = 36;
pub const TWICE: usize = LEN * 2;
mod limits { pub const WIDTH: usize = 0x10; }
#[derive(Serialize, Deserialize)]
pub struct Stored { pub id: [u8; LEN], pub both: [u8; TWICE], pub w: [u16; limits::WIDTH], pub lit: [u8; 4] }
",
            track: &[],
            args: &[],
            has: &["id: [u8; 36]", "both: [u8; 72]", "w: [u16; 16]", "lit: [u8; 4]"],
            lacks: &["LEN", "WIDTH"],
        },
        Case {
            name: "containers of one data model, usize as u64, wrappers as their inner type",
            lib: "use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
#[derive(Serialize, Deserialize)]
pub struct Stored {
    pub n: usize,
    pub i: isize,
    pub q: VecDeque<Box<str>>,
    pub m: BTreeMap<String, Arc<u32>>,
    pub p: std::marker::PhantomData<u8>,
    #[serde(with = \"serde_bytes\")]
    pub blob: Vec<u8>,
}
",
            track: &[],
            args: &[],
            has: &["n: u64", "i: i64", "q: VecDeque<String>", "m: BTreeMap<String, u32>", "p: ()", "blob: bytes"],
            lacks: &["usize", "Arc", "Box"],
        },
        Case {
            name: "every cfg variant of a definition, labelled",
            lib: "use serde::{Deserialize, Serialize};
#[cfg(target_arch = \"x86_64\")]
#[derive(Serialize, Deserialize)]
pub struct Stored { pub regs: [u64; 4] }
#[cfg(target_arch = \"aarch64\")]
#[derive(Serialize, Deserialize)]
pub struct Stored { pub regs: [u64; 8], pub el: u8 }
",
            track: &[],
            args: &[],
            has: &[
                "struct wire::Stored #[cfg(target_arch = \"x86_64\")]",
                "struct wire::Stored #[cfg(target_arch = \"aarch64\")]",
                "regs: [u64; 4]",
                "regs: [u64; 8]",
                "el: u8",
            ],
            lacks: &[],
        },
        Case {
            name: "macro-defined types and hand-written impls are opaque, fingerprinted",
            lib: "use serde::{Deserialize, Serialize};
bitflags::bitflags! { pub struct Flags: u32 { const A = 1; } }
pub struct Custom(u8);
impl Serialize for Custom {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_u8(self.0) }
}
#[derive(Serialize, Deserialize)]
pub struct Stored { pub flags: Flags, pub custom: Custom }
",
            track: &[],
            args: &[],
            has: &[
                "flags: opaque (`Flags` is defined by `bitflags::bitflags!`)",
                "custom: Custom",
                "opaque wire::Custom: hand-written serde impl, fingerprint",
            ],
            lacks: &[],
        },
        Case {
            name: "serialized names, tagging, defaults and proxies",
            lib: "use serde::{Deserialize, Serialize};
#[derive(Serialize, Deserialize)]
#[serde(rename_all = \"camelCase\")]
pub struct Stored {
    pub user_id: u32,
    #[serde(default, alias = \"old\")]
    pub extra: Option<Kind>,
    pub via: Wrapped,
}
#[derive(Serialize, Deserialize)]
#[serde(tag = \"type\")]
pub enum Kind { A { x: u8 }, #[serde(other)] Unknown }
#[derive(Serialize, Deserialize)]
#[serde(from = \"u64\", into = \"u64\")]
pub struct Wrapped { inner: String }
",
            track: &[],
            args: &[],
            has: &[
                "userId: u32  [rust `user_id`]",
                "extra: Option<Kind>  [default, optional, alias `old`]",
                "enum wire::Kind [tag = \"type\"]",
                "1 Unknown  [other]",
                "proxy wire::Wrapped = u64 (serde `from`)",
            ],
            lacks: &["inner: String"],
        },
        Case {
            name: "a named type only, by its bare name",
            lib: "use serde::{Deserialize, Serialize};
#[derive(Serialize, Deserialize)]
pub struct Stored { pub a: u8 }
#[derive(Serialize, Deserialize)]
pub struct Other { pub b: u8 }
",
            track: &["wire::Other"],
            args: &["Other"],
            has: &["wire::Other", "b: u8"],
            lacks: &["wire::Stored"],
        },
    ]);
}

#[test]
fn json_output_is_the_schema_value() {
    let dir =
        workspace(&format!("{HEAD}#[derive(Serialize, Deserialize)]\npub struct Stored {{ pub n: usize }}\n"), &[]);
    let out = run(dir.path(), &["--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &v["types"][0];
    assert_eq!(t["type"], "wire::Stored");
    assert_eq!(t["definitions"][0]["body"]["fields"][0]["schema"]["int"]["bits"], 64);
}

#[test]
fn an_unknown_type_is_an_error() {
    let dir = workspace(&format!("{HEAD}#[derive(Serialize, Deserialize)]\npub struct Stored {{ pub n: u8 }}\n"), &[]);
    let out = run(dir.path(), &["Nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`Nope` is not a tracked type"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
