#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The `deps` benchmark: hotlint's dependency scan (HL006), cold and warm, beside `cargo metadata`
//! on the same workspace, in the same run.
//!
//! ```text
//! cargo bench --bench deps -- --path DIR [--runs N] [--all] [--bin PATH]
//! HOTLINT_BENCH_DEPS=DIR cargo bench --bench deps
//! ```
//!
//! DIR is a workspace whose `Cargo.lock` dependencies are already in cargo's registry cache
//! (`cargo fetch` once); nothing is downloaded and nothing in DIR is written (the scan cache goes
//! to a temporary directory). Measured, median of N runs (default 5):
//! - `cargo metadata --offline` (the whole resolved graph) and `--no-deps` (what hotlint runs);
//! - the scan through the library, *cold* (an empty cache directory each run: every package
//!   that can define actors is parsed and analysed) and *warm* (every entry in the cache);
//! - with `--all`, the same for `[deps] scan = "all"` (every package of the lock; its cold scan
//!   runs once, it can take minutes);
//! - the `cargo-hotlint` binary, `--no-deps` against a warm default run, as processes.
//!
//! Without a path it prints how to give one and exits 0, so CI (`cargo test --benches`) never
//! fails for want of a workspace. Timings never fail the run; an error of hotlint does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hotlint::{config, deps, profiles, workspace};

struct Args {
    path: Option<PathBuf>,
    runs: usize,
    all: bool,
    bin: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args =
        Args { path: std::env::var_os("HOTLINT_BENCH_DEPS").map(PathBuf::from), runs: 5, all: false, bin: None };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--path" => args.path = Some(it.next().ok_or("--path needs a directory")?.into()),
            "--runs" => {
                args.runs = it.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).ok_or("--runs needs a count")?
            }
            "--all" => args.all = true,
            "--bin" => args.bin = Some(it.next().ok_or("--bin needs a path")?.into()),
            // Passed by `cargo bench` / `cargo test --benches`.
            "--bench" | "--nocapture" | "--quiet" | "-q" => {}
            other if other.starts_with("--") => {
                return Err(format!(
                    "unknown option `{other}`\nusage: cargo bench --bench deps -- --path DIR [--runs N] [--all] [--bin PATH]"
                ));
            }
            _ => {}
        }
    }
    Ok(args)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Run `f` `runs` times, `prepare` before each (not timed); the median and the last result.
fn measure<T>(runs: usize, mut prepare: impl FnMut(), mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        prepare();
        let start = Instant::now();
        let out = f();
        times.push(start.elapsed());
        last = Some(out);
    }
    (median(times), last.unwrap())
}

fn cargo_metadata(manifest: &Path, no_deps: bool) -> bool {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(["metadata", "--format-version", "1", "--offline", "--manifest-path"]).arg(manifest);
    if no_deps {
        cmd.arg("--no-deps");
    }
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

fn binary(args: &Args) -> Option<PathBuf> {
    if let Some(b) = &args.bin {
        return Some(b.clone());
    }
    let built = PathBuf::from(env!("CARGO_BIN_EXE_cargo-hotlint"));
    built.is_file().then_some(built)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let Some(path) = args.path.clone() else {
        println!("deps benchmark: no workspace given (set HOTLINT_BENCH_DEPS=DIR or pass -- --path DIR); skipped");
        return;
    };
    let manifest = if path.is_dir() { path.join("Cargo.toml") } else { path.clone() };
    if !manifest.is_file() {
        println!("deps benchmark: {} has no Cargo.toml; skipped", path.display());
        return;
    }
    let ws = match workspace::discover(&manifest, &workspace::Selection::default(), true) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("deps benchmark: {e}");
            std::process::exit(1);
        }
    };
    let config = config::load(&ws, &hotlint::source::Worktree::new(&ws.root), None).unwrap_or_else(|e| {
        eprintln!("deps benchmark: {e}");
        std::process::exit(1)
    });
    let profiles = profiles::load(&config.frameworks).unwrap();
    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let lock_packages =
        std::fs::read_to_string(ws.root.join("Cargo.lock")).map(|t| t.matches("[[package]]").count()).unwrap_or(0);
    println!("# hotlint dependency-scan benchmark");
    println!();
    println!(
        "workspace: {} ({lock_packages} packages in Cargo.lock); cores: {jobs}; runs: {} (median); build: {}",
        ws.root.display(),
        args.runs,
        if cfg!(debug_assertions) { "DEBUG (timings are not meaningful)" } else { "optimised" }
    );
    println!();
    let (meta_full, ok_full) = measure(args.runs, || {}, || cargo_metadata(&manifest, false));
    let (meta_no_deps, ok_no_deps) = measure(args.runs, || {}, || cargo_metadata(&manifest, true));
    if !ok_full || !ok_no_deps {
        println!(
            "note: `cargo metadata --offline` failed here (sources or index not on disk?); its times are of the failure"
        );
    }
    println!("| measurement | median | notes |");
    println!("|---|---:|---|");
    let row = |name: &str, d: Duration, note: &str| println!("| {name} | {} | {note} |", ms(d));
    row("cargo metadata --offline", meta_full, "");
    row("cargo metadata --offline --no-deps", meta_no_deps, "");
    let modes: &[&str] = if args.all { &["actor-crates", "all"] } else { &["actor-crates"] };
    let mut warm_default = Duration::ZERO;
    for &mode in modes {
        let mut config = config.clone();
        config.deps_scan = Some(mode.to_string());
        let cache = tempfile::tempdir().unwrap();
        let scan = |dir: &Path| {
            let options = deps::ScanOptions { progress: false, cache_dir: Some(dir.to_path_buf()) };
            deps::scan(&ws, &config, &profiles, jobs, &options)
        };
        // Each cold run gets a directory of its own, so nothing is cached yet.
        let run = std::cell::Cell::new(0);
        let cold_runs = if mode == "all" { 1 } else { args.runs };
        let (cold, cold_scan) =
            measure(cold_runs, || run.set(run.get() + 1), || scan(&cache.path().join(format!("cold-{}", run.get()))));
        let warm_cache = cache.path().join("warm");
        scan(&warm_cache);
        let (warm, warm_scan) = measure(args.runs, || {}, || scan(&warm_cache));
        assert_eq!(cold_scan.from_cache, 0, "the cold run read a cache");
        assert_eq!(warm_scan.from_cache, warm_scan.scanned.len(), "the warm run scanned again");
        assert_eq!(
            format!("{:?}", warm_scan.scanned),
            format!("{:?}", cold_scan.scanned),
            "the cache changed the result"
        );
        let what = format!(
            "{} packages scanned ({} from cache), {} with actors, {} missing",
            cold_scan.scanned.len(),
            cold_scan.from_cache,
            cold_scan.scanned.iter().filter(|s| !s.actors.is_empty()).count(),
            cold_scan.missing.len()
        );
        row(&format!("scan = \"{mode}\", cold (empty cache, {cold_runs} runs)"), cold, &what);
        row(&format!("scan = \"{mode}\", warm (all cached)"), warm, &format!("{} from cache", warm_scan.from_cache));
        if mode == "actor-crates" {
            warm_default = warm;
        }
    }
    // The binary as a user runs it: the whole check without and with the (warm) scan.
    if let Some(bin) = binary(&args) {
        let cache = tempfile::tempdir().unwrap();
        let run = |no_deps: bool| {
            let mut cmd = Command::new(&bin);
            cmd.args(["hotlint", "--offline", "--format", "json", "--manifest-path"])
                .arg(&manifest)
                .env("HOTLINT_CACHE_DIR", cache.path());
            if no_deps {
                cmd.arg("--no-deps");
            }
            let out = cmd.output().unwrap();
            assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
        };
        run(false);
        let (without, ()) = measure(args.runs, || {}, || run(true));
        let (with, ()) = measure(args.runs, || {}, || run(false));
        row("cargo-hotlint --no-deps (process)", without, "");
        row("cargo-hotlint, warm scan (process)", with, "");
    }
    println!();
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9) * 100.0;
    println!(
        "warm scan / cargo metadata: {:.1}% (target: under 10%); / cargo metadata --no-deps: {:.1}%",
        ratio(warm_default, meta_full),
        ratio(warm_default, meta_no_deps)
    );
}
