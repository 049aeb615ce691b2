//! Entry points for fuzzing and property tests: the parts of hotlint that read user input, run
//! in memory, with no file system, git or cargo. Each returns a small summary so a harness can
//! check invariants (never panics, deterministic) without depending on internals.

use std::collections::BTreeMap;

use crate::source::MemoryTree;
use crate::workspace::{Dep, DepKind, Discovery, Package, Target, TargetKind, Workspace};

fn workspace() -> Workspace {
    let dep = |name: &str| Dep {
        package: name.into(),
        rename: None,
        kind: DepKind::Normal,
        path: None,
        req: Some("1".into()),
    };
    Workspace {
        root: std::path::PathBuf::from("/hotlint-fuzz-nonexistent"),
        packages: vec![Package {
            name: "fuzz".into(),
            version: "0.1.0".into(),
            dir: String::new(),
            edition: "2021".into(),
            targets: vec![Target { name: "fuzz".into(), kind: TargetKind::Lib, root: "src/lib.rs".into() }],
            deps: vec![dep("serde"), dep("bincode"), dep("ractor"), dep("kameo"), dep("actix")],
        }],
        selected: vec![0],
        discovery: Discovery::Manifests { reason: "fuzzing".into() },
        deps: Vec::new(),
    }
}

fn model_of(source: &[u8], config: crate::config::Config) -> Option<crate::model::Model> {
    let ws = workspace();
    let tree = MemoryTree { files: BTreeMap::from([("src/lib.rs".to_string(), source.to_vec())]) };
    let profiles = crate::profiles::load(&config.frameworks).ok()?;
    let opts = crate::parse::ParseOptions { interesting_calls: crate::profiles::interesting_calls(&profiles) };
    let mut sources = crate::load::Sources::default();
    crate::load::load(
        &mut sources,
        crate::load::member_roots(&ws),
        &tree,
        &opts,
        &globset::GlobSet::empty(),
        1,
        &crate::load::Reuse::new(),
    );
    let index = crate::index::build(&ws, sources);
    crate::on_threads(1, || crate::model::analyse(ws, index, config, profiles, &tree)).ok()
}

fn levels() -> BTreeMap<&'static str, crate::rules::Level> {
    crate::rules::level_table(&BTreeMap::new(), &[]).unwrap_or_default()
}

/// Source text (as `src/lib.rs`) → index → actors → shapes → rules. Returns (actors, tracked
/// types, findings).
pub fn analyse_source(source: &[u8]) -> (usize, usize, usize) {
    let Some(model) = model_of(source, crate::config::Config::default()) else { return (0, 0, 0) };
    let findings = crate::run_rules(&model, &levels());
    (model.actors.actors.len(), model.tracked.len(), findings.len())
}

/// Two revisions of `src/lib.rs` → shape comparison → every rule. Returns the finding codes.
pub fn compare_sources(base: &[u8], head: &[u8]) -> Vec<&'static str> {
    let (Some(base_model), Some(mut head_model)) =
        (model_of(base, crate::config::Config::default()), model_of(head, crate::config::Config::default()))
    else {
        return Vec::new();
    };
    head_model.comparison =
        Some(crate::on_threads(1, || crate::compare::compare(base_model, &head_model, "0".repeat(40))));
    head_model.has_history = true;
    crate::run_rules(&head_model, &levels()).iter().map(|f| f.code).collect()
}

/// A configuration file's text → `Config` or a one-line error.
pub fn parse_config(text: &str) -> Result<(), String> {
    crate::config::parse_str(text, "hotlint.toml").map(|_| ()).map_err(|e| crate::error::one_line(&e.to_string()))
}

/// A baseline file's text → entries or a one-line error.
pub fn parse_baseline(text: &str) -> Result<usize, String> {
    serde_json::from_str::<crate::baseline::Baseline>(text)
        .map(|b| b.findings.len())
        .map_err(|e| crate::error::one_line(&format!("not a hotlint baseline: {e}")))
}

/// A `hotlint.lock` file's text → the types it records, or a one-line error; the recorded
/// definitions are also rebuilt into sources (what comparing against a lock does).
pub fn parse_lock(text: &str) -> Result<usize, String> {
    let lock = crate::lock::parse(text).map_err(|e| crate::error::one_line(&e.to_string()))?;
    let (crates, _) = crate::lock::synthetic_sources(&lock);
    for source in crates.values() {
        let _ =
            crate::parse::parse_file(0, "src/lib.rs".into(), source.as_bytes(), &crate::parse::ParseOptions::default());
    }
    Ok(lock.types.len())
}
