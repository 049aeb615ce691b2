//! The command line: argument definitions (one list, from which clap generates `--help`), and
//! the dispatch from a parsed command to the library. Exit status: 0 no deny finding, 1 at least
//! one deny finding, 2 the run could not be done.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::rules;

#[derive(Debug, Parser)]
#[command(
    name = "cargo-hotlint",
    bin_name = "cargo hotlint",
    version,
    about = "Static upgrade-safety linter for Rust actor systems: finds state that will not survive the next deploy",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint the workspace (the default subcommand).
    Check(CheckArgs),
    /// The upgrade plan between two revisions (the appup of a release).
    Plan(CheckArgs),
    /// Print a rule's documentation.
    Explain {
        /// A rule code (`HL001`) or name (`actor-without-migration`).
        rule: String,
    },
    /// List the rules with code, name, default level and summary.
    Rules {
        #[arg(long, value_enum, default_value = "human")]
        format: ListFormat,
    },
    /// Write (or verify) hotlint.lock, the shipped shapes.
    Lock {
        /// Exit 1 when hotlint.lock is not what `lock` would write; write nothing.
        #[arg(long)]
        check: bool,
        /// Record a deliberate break of TYPE (canonical path) for rule CODE; the reason follows `--`.
        #[arg(long, value_name = "CODE:TYPE")]
        accept: Vec<String>,
        /// Why the accepted breaks are deliberate (after `--`).
        #[arg(last = true, value_name = "REASON")]
        reason: Vec<String>,
        #[command(flatten)]
        args: CheckArgs,
    },
    /// Print what goes on the wire for each tracked type (or the named ones).
    Schema {
        /// Tracked types to print, by canonical path or name (all when none is given).
        #[arg(value_name = "TYPE")]
        types: Vec<String>,
        #[command(flatten)]
        args: CheckArgs,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
    #[value(name = "cargo-json")]
    CargoJson,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Clone, Debug, Default, Args)]
pub struct CheckArgs {
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Package to check (repeatable).
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub package: Vec<String>,
    /// Check every member of the workspace.
    #[arg(long)]
    pub workspace: bool,
    /// Exclude a package (with --workspace).
    #[arg(long, value_name = "NAME")]
    pub exclude: Vec<String>,
    /// Compare against git revision REV (its merge base with the head).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Compare against REV itself, not the merge base.
    #[arg(long)]
    pub base_exact: bool,
    /// Check revision REV instead of the working tree.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Check the index (what a pre-commit hook sees).
    #[arg(long)]
    pub staged: bool,
    /// Scan dependencies (HL006, HL007).
    #[arg(long, overrides_with = "no_deps")]
    pub deps: bool,
    /// Do not scan dependencies.
    #[arg(long)]
    pub no_deps: bool,
    /// Never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Refuse to run when Cargo.lock would need to change (as cargo's --locked).
    #[arg(long)]
    pub locked: bool,
    /// --locked and --offline (as cargo's --frozen).
    #[arg(long)]
    pub frozen: bool,
    /// Output format.
    #[arg(long, visible_alias = "message-format", value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Write the output to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use this configuration file instead of the discovered one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report only findings that are not in this baseline.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Set a rule to warn (code or name; repeatable).
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,
    /// Set a rule to allow.
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,
    /// Set a rule to deny; `-D warnings` makes every warning deny.
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,
    /// Threads (default: all cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Coloring: auto, always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print only findings (no summary).
    #[arg(short, long)]
    pub quiet: bool,
    /// Print stage timings on stderr.
    #[arg(long)]
    pub timings: bool,
    /// Level flags in command-line order (from clap's matches: each value's index).
    #[arg(skip)]
    pub level_flags: Vec<(char, String)>,
}

/// `-W/-A/-D` flags in the order given, so later flags win as in clippy: read from what clap
/// parsed (each value's position on the command line), so bundled short flags (`-qD warnings`)
/// count and text after `--` (a `lock --accept` reason) never does.
fn level_flags(matches: &clap::ArgMatches) -> Vec<(char, String)> {
    // The matches of the subcommand that carries the flags (or the top level: `check` is the
    // default subcommand).
    let matches = match matches.subcommand() {
        Some((_, sub)) => sub,
        None => matches,
    };
    let mut out: Vec<(usize, char, String)> = Vec::new();
    for (id, flag) in [("warn", 'W'), ("allow", 'A'), ("deny", 'D')] {
        // `explain` and `rules` have no level flags: asking for an unknown id is an error.
        if !matches.try_contains_id(id).unwrap_or(false) {
            continue;
        }
        let (Some(indices), Ok(Some(values))) = (matches.indices_of(id), matches.try_get_many::<String>(id)) else {
            continue;
        };
        out.extend(indices.zip(values).map(|(i, v)| (i, flag, v.clone())));
    }
    out.sort_by_key(|(i, ..)| *i);
    out.into_iter().map(|(_, flag, value)| (flag, value)).collect()
}

/// Run hotlint with these arguments (argv[0] included); return the exit status.
pub fn run(mut args: Vec<OsString>) -> i32 {
    crate::output::signals::install();
    // `cargo hotlint …` runs `cargo-hotlint hotlint …`.
    if args.get(1).is_some_and(|a| a == "hotlint") {
        args.remove(1);
    }
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command().try_get_matches_from(&args).and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 2,
            };
            let _ = e.print();
            return code;
        }
    };
    let flags = level_flags(&matches);
    match dispatch(cli, flags) {
        Ok(code) => code,
        Err(e) => {
            crate::output::stderr_line(&format!("error: {}", crate::error::one_line(&e.to_string())));
            2
        }
    }
}

fn dispatch(cli: Cli, flags: Vec<(char, String)>) -> Result<i32> {
    match cli.command {
        None => check(CheckArgs { level_flags: flags, ..cli.check }),
        Some(Command::Check(a)) => check(CheckArgs { level_flags: flags, ..a }),
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Rules { format }) => list_rules(format),
        Some(Command::Plan(a)) => plan(CheckArgs { level_flags: flags, ..a }),
        Some(Command::Lock { check, accept, reason, args }) => {
            lock(check, accept, reason, CheckArgs { level_flags: flags, ..args })
        }
        Some(Command::Schema { types, args }) => schema(&types, CheckArgs { level_flags: flags, ..args }),
    }
}

/// `schema [TYPE…]`: the wire schema of tracked types at the working tree, `--head` or `--staged`.
fn schema(types: &[String], args: CheckArgs) -> Result<i32> {
    let json = match args.format {
        OutputFormat::Json => true,
        OutputFormat::Human => false,
        _ => return Err(Error::Usage("`schema` prints text (the default) or `--format json`".into())),
    };
    if args.base.is_some() {
        return Err(Error::Usage("`schema` prints one revision: use `--head REV` or `--staged`, not `--base`".into()));
    }
    let options = crate::Options { base: None, deps: Some(false), no_history: true, ..options_of(&args)? };
    let report = crate::check(&options)?;
    let model = &report.model;
    let selected = crate::schema::select(model, types).map_err(Error::Usage)?;
    let text = if json {
        let mut s = serde_json::to_string_pretty(&crate::schema::to_json(model, &selected)).unwrap_or_default();
        s.push('\n');
        s
    } else {
        crate::schema::to_human(model, &selected)
    };
    emit(&text, args.output.as_deref())?;
    Ok(0)
}

fn lock(check: bool, accept: Vec<String>, reason: Vec<String>, args: CheckArgs) -> Result<i32> {
    let reason = reason.join(" ");
    let mut accepted: Vec<(String, String)> = Vec::new();
    for a in &accept {
        let Some((code, ty)) = a.split_once(':') else {
            return Err(Error::Usage(format!(
                "`--accept {a}`: write `--accept CODE:TYPE` (for example `HL002:my_crate::State`)"
            )));
        };
        let rule = crate::rules::lookup(code).ok_or_else(|| Error::UnknownRule(code.to_string()))?;
        accepted.push((rule.code.to_string(), ty.to_string()));
    }
    if !accepted.is_empty() && reason.trim().is_empty() {
        return Err(Error::Usage(
            "`--accept` needs a reason after `--`: `lock --accept CODE:TYPE -- why this break is deliberate`".into(),
        ));
    }
    // The lock records the working tree's shapes; what would make it record something else, or
    // write elsewhere than asked, is refused rather than ignored.
    for (given, flag) in [
        (args.base.is_some(), "--base"),
        (args.head.is_some(), "--head"),
        (args.staged, "--staged"),
        (args.baseline.is_some(), "--baseline"),
        (args.write_baseline.is_some(), "--write-baseline"),
        (args.format != OutputFormat::Human, "--format"),
        (check && args.output.is_some(), "--output` with `--check"),
    ] {
        if given {
            return Err(Error::Usage(format!(
                "`lock` does not take `{flag}`: it records the working tree's shapes in hotlint.lock (or the file `--output` names); check out the revision to record first"
            )));
        }
    }
    let options = crate::Options { deps: Some(false), ..options_of(&args)? };
    let report = crate::check(&options)?;
    let root = report.model.ws.root.clone();
    let previous = crate::lock::read(&root)?;
    let mut next = crate::lock::from_model(&report.model, previous.as_ref());
    for (code, ty) in &accepted {
        match next.types.iter_mut().find(|e| &e.path == ty) {
            Some(e) => e.accepted.push(format!("{code}: {reason}")),
            None => return Err(Error::Usage(format!("`--accept {code}:{ty}`: `{ty}` is not a tracked type"))),
        }
    }
    let text = crate::lock::render(&next);
    let path = args.output.clone().unwrap_or_else(|| root.join(crate::lock::FILE));
    if check {
        let Some(prev) = &previous else {
            emit("hotlint.lock does not exist; `cargo hotlint lock` writes it\n", None)?;
            return Ok(1);
        };
        let now = crate::lock::from_model(&report.model, Some(prev));
        if &now == prev {
            let n = prev.types.len();
            emit(&format!("hotlint.lock is up to date ({n} tracked type{})\n", if n == 1 { "" } else { "s" }), None)?;
            return Ok(0);
        }
        let mut differ: Vec<String> = Vec::new();
        for e in &now.types {
            if prev.types.iter().find(|p| p.path == e.path) != Some(e) {
                differ.push(e.path.clone());
            }
        }
        for p in &prev.types {
            if !now.types.iter().any(|e| e.path == p.path) {
                differ.push(p.path.clone());
            }
        }
        let mut text = String::from("hotlint.lock differs from what `cargo hotlint lock` would write, for:\n");
        for d in differ {
            text.push_str(&format!("  {}\n", crate::error::one_line(&d)));
        }
        emit(&text, None)?;
        return Ok(1);
    }
    // Refuse to record a break that is not acknowledged by a version bump with a path.
    let breaks: Vec<&crate::findings::Finding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.code, "HL002" | "HL003" | "HL005") && f.level == crate::rules::Level::Deny)
        .filter(|f| !accepted.iter().any(|(code, ty)| code == f.code && f.draft.ty.as_deref() == Some(ty.as_str())))
        .collect();
    if !breaks.is_empty() {
        let rendered = crate::report::Report { findings: breaks.iter().map(|f| (*f).clone()).collect(), ..report };
        let color = use_color(args.color);
        let mut out = rendered
            .to_human(color)
            .lines()
            .filter(|l| {
                !l.starts_with("hotlint: ")
                    && !l.starts_with("note: the rules")
                    && !l.starts_with("note: compared with")
            })
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&format!(
            "\nerror: {} not written: {} change{} would break data that has shipped; bump the version with a migration, or record a deliberate break with `cargo hotlint lock --accept CODE:TYPE -- reason`\n",
            path.display(),
            breaks.len(),
            if breaks.len() == 1 { "" } else { "s" }
        ));
        emit(&out, None)?;
        return Ok(1);
    }
    crate::output::write_file(&path, text.as_bytes())?;
    let retired = next.types.iter().filter(|e| e.retired).count();
    emit(
        &format!(
            "wrote {}: {} tracked type{} ({retired} retired)\n",
            path.display(),
            next.types.len(),
            if next.types.len() == 1 { "" } else { "s" }
        ),
        None,
    )?;
    Ok(0)
}

fn plan(args: CheckArgs) -> Result<i32> {
    if args.base.is_none() {
        return Err(Error::Usage("`plan` needs `--base REV`: the release it upgrades from".into()));
    }
    let json = match args.format {
        OutputFormat::Json => true,
        OutputFormat::Human => false,
        _ => return Err(Error::Usage("`plan` prints Markdown (the default) or `--format json`".into())),
    };
    // A baseline is read (and hides known findings from the counts) or written, as `check` does:
    // never accepted and ignored.
    let baseline = match &args.baseline {
        Some(p) => Some(crate::baseline::read(p)?),
        None => None,
    };
    let mut report = crate::check(&options_of(&args)?)?;
    if let Some(p) = &args.write_baseline {
        crate::baseline::write(p, &report.findings)?;
    }
    if let Some(b) = &baseline {
        report.baseline = Some(crate::baseline::apply(b, &mut report.findings));
    }
    let text = if json {
        let mut s = serde_json::to_string_pretty(&crate::plan::to_json(&report)).unwrap_or_default();
        s.push('\n');
        s
    } else {
        crate::plan::to_markdown(&report, &scope_args(&args))
    };
    emit(&text, args.output.as_deref())?;
    Ok(0)
}

/// The arguments that chose what a run checked (workspace, packages, revisions, configuration),
/// as the user would type them again; a command hotlint suggests keeps them.
fn scope_args(args: &CheckArgs) -> Vec<String> {
    let quote = |s: &str| {
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:@^~=+".contains(c)) {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let mut out = Vec::new();
    if let Some(p) = &args.manifest_path {
        out.push(format!("--manifest-path {}", quote(&p.to_string_lossy())));
    }
    out.extend(args.package.iter().map(|p| format!("-p {}", quote(p))));
    if args.workspace {
        out.push("--workspace".into());
    }
    out.extend(args.exclude.iter().map(|p| format!("--exclude {}", quote(p))));
    if args.base_exact {
        out.push("--base-exact".into());
    }
    if let Some(h) = &args.head {
        out.push(format!("--head {}", quote(h)));
    }
    if args.staged {
        out.push("--staged".into());
    }
    if let Some(c) = &args.config {
        out.push(format!("--config {}", quote(&c.to_string_lossy())));
    }
    out
}

/// `-j N`, at most the threads the machine runs at once (more only adds threads that wait, and
/// each stage builds a pool of them: `-j 100000` never finished); capping is said on stderr.
fn capped_jobs(jobs: Option<usize>) -> usize {
    let available = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    match jobs {
        Some(j) if j > available => {
            crate::output::stderr_line(&format!(
                "warning: `-j {j}` is more than the {available} thread{} this machine runs at once; using {available}",
                if available == 1 { "" } else { "s" }
            ));
            available
        }
        Some(j) => j,
        None => 0,
    }
}

fn options_of(args: &CheckArgs) -> Result<crate::Options> {
    if args.base_exact && args.base.is_none() {
        return Err(Error::Usage("`--base-exact` needs `--base REV`".into()));
    }
    if args.staged && args.head.is_some() {
        return Err(Error::Usage("`--staged` and `--head` cannot be used together".into()));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::Read { path: ".".into(), message: e.to_string() })?;
    Ok(crate::Options {
        manifest_path: args.manifest_path.clone(),
        cwd,
        selection: crate::workspace::Selection {
            packages: args.package.clone(),
            workspace: args.workspace,
            exclude: args.exclude.clone(),
        },
        config: args.config.clone(),
        level_flags: args.level_flags.clone(),
        jobs: capped_jobs(args.jobs),
        timings: args.timings,
        base: args.base.clone(),
        base_exact: args.base_exact,
        head: args.head.clone(),
        staged: args.staged,
        deps: if args.no_deps {
            Some(false)
        } else if args.deps {
            Some(true)
        } else {
            None
        },
        offline: args.offline
            || args.frozen
            || std::env::var("CARGO_NET_OFFLINE").is_ok_and(|v| v == "true" || v == "1"),
        locked: args.locked || args.frozen,
        progress: !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        no_history: false,
    })
}

fn check(args: CheckArgs) -> Result<i32> {
    let options = options_of(&args)?;
    let baseline = match &args.baseline {
        Some(p) => Some(crate::baseline::read(p)?),
        None => None,
    };
    let mut report = crate::check(&options)?;
    if let Some(p) = &args.write_baseline {
        crate::baseline::write(p, &report.findings)?;
    }
    if let Some(b) = &baseline {
        report.baseline = Some(crate::baseline::apply(b, &mut report.findings));
    }
    let text = match args.format {
        // JSON on stdout is written as it is serialised: the text of a large report (megabytes)
        // never exists whole beside the value it prints.
        OutputFormat::Json if args.output.is_none() => {
            emit_json(&report.to_json())?;
            String::new()
        }
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
            s.push('\n');
            s
        }
        OutputFormat::Sarif => {
            let mut s = serde_json::to_string_pretty(&report.to_sarif()).unwrap_or_default();
            s.push('\n');
            s
        }
        OutputFormat::Github => report.to_github(),
        OutputFormat::CargoJson => report.to_cargo_json(),
        OutputFormat::Human => {
            let color = match args.output {
                Some(_) => false,
                None => use_color(args.color),
            };
            if args.quiet { report.to_human_quiet(color) } else { report.to_human(color) }
        }
    };
    if !text.is_empty() || args.output.is_some() {
        emit(&text, args.output.as_deref())?;
    }
    let code = if report.deny_count() > 0 { 1 } else { 0 };
    // The process ends here: freeing the model piece by piece would cost a twentieth of the run
    // on a large workspace, for memory the exit returns anyway.
    std::mem::forget(report);
    Ok(code)
}

fn use_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                return false;
            }
            match std::env::var("CARGO_TERM_COLOR").as_deref() {
                Ok("always") => return true,
                Ok("never") => return false,
                _ => {}
            }
            std::io::stdout().is_terminal()
        }
    }
}

/// Write to stdout (a closed pipe is not an error), or to `path` through the one write function
/// ([`crate::output::write_file`]: atomic, never replacing what is not a regular file).
pub fn emit(text: &str, path: Option<&std::path::Path>) -> Result<()> {
    match path {
        None => crate::output::stdout(text.as_bytes()),
        Some(p) => crate::output::write_file(p, text.as_bytes()),
    }
}

/// Pretty-printed JSON and a newline on stdout, streamed; a closed pipe is not an error.
fn emit_json(value: &serde_json::Value) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Write { path: "<stdout>".into(), message: e.to_string() }),
    }
}

fn explain(key: &str) -> Result<i32> {
    let rule = rules::lookup(key).ok_or_else(|| Error::UnknownRule(key.to_string()))?;
    let status = if rule.implemented { "" } else { " — not implemented yet" };
    let mut text =
        format!("{} {} (default: {}){}\n\n{}", rule.code, rule.name, rule.default_level.as_str(), status, rule.doc);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    // The rules that judge shape changes print the verdict table they use (rules/compat.toml).
    if rule.code == "HL001" {
        text.push_str("\n## Rebuilt on start (rules/rebuilt-on-start.toml)\n\nA state whose every field is one of these holds no data: its actor is counted in the summary, not reported.\n\n");
        text.push_str(&rules::rebuilt_on_start_markdown());
    }
    if matches!(rule.code, "HL002" | "HL005" | "HL007") {
        text.push_str("\n## Verdict table (rules/compat.toml)\n\nB = backward (new code reads old data), F = forward (old code reads new data).\n\n");
        text.push_str(&crate::compare::table_markdown());
    }
    emit(&text, None)?;
    Ok(0)
}

fn list_rules(format: ListFormat) -> Result<i32> {
    let text = match format {
        ListFormat::Json => {
            let v: Vec<serde_json::Value> = rules::all()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code, "name": r.name, "default_level": r.default_level.as_str(),
                        "summary": r.summary, "history": r.history, "implemented": r.implemented,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
        ListFormat::Human => {
            let mut s = String::new();
            for r in rules::all() {
                let status = if r.implemented { "" } else { "  (not implemented yet)" };
                s.push_str(&format!(
                    "{}  {:<36} {:<5}  {}{}\n",
                    r.code,
                    r.name,
                    r.default_level.as_str(),
                    r.summary,
                    status
                ));
            }
            s
        }
    };
    emit(&text, None)?;
    Ok(0)
}
