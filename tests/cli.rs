#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The command line as a user meets it (SPEC.md §4–§6): exit statuses, the one-line errors of
//! runs that cannot be done, rule levels from flags and configuration, output destinations,
//! colour, the `cargo hotlint` argument form, and byte-identical output across runs and thread
//! counts. Every fixture is a small crate written into a temporary directory; nothing here
//! touches the network.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-hotlint");

// ---------------------------------------------------------------------------------------------
// Runs that cannot be done: exit 2 and one line on stderr.

#[test]
fn no_manifest_exits_2_and_names_the_directory() {
    let empty = tempfile::tempdir().unwrap();
    for args in [&[][..], &["check"][..], &["hotlint", "check"][..]] {
        let output = hotlint(empty.path(), args);
        let line = error_line(&output, args);
        let expected = |dir: &Path| {
            format!(
                "error: could not find `Cargo.toml` in `{}` or any parent directory; \
                 run hotlint inside a Cargo workspace or pass `--manifest-path`",
                dir.display()
            )
        };
        let canonical = empty.path().canonicalize().unwrap();
        assert!(line == expected(empty.path()) || line == expected(&canonical), "{args:?}: {line}");
    }
}

#[test]
fn missing_manifest_path_exits_2_and_names_it() {
    let empty = tempfile::tempdir().unwrap();
    let missing = empty.path().join("nowhere/Cargo.toml");
    let output = hotlint(empty.path(), &["--manifest-path", missing.to_str().unwrap()]);
    let line = error_line(&output, &["--manifest-path"]);
    assert_eq!(line, format!("error: manifest `{}` does not exist", missing.display()));
}

#[test]
fn malformed_manifest_exits_2_and_names_it() {
    let fixture = Fixture::new().file("Cargo.toml", "[package\nname = \"demo\"\n").file("src/lib.rs", "");
    let manifest = fixture.path().join("Cargo.toml");
    let canonical = manifest.canonicalize().unwrap();
    for args in [&[][..], &["--manifest-path", manifest.to_str().unwrap()][..]] {
        let line = error_line(&hotlint(fixture.path(), args), args);
        assert!(line.starts_with("error: "), "{line}");
        // The path as the user can open it: absolute (or as given), never cut.
        assert!(
            line.contains(&format!("`{}`", manifest.display())) || line.contains(&format!("`{}`", canonical.display())),
            "{args:?}: should name {}: {line}",
            manifest.display()
        );
    }
}

#[test]
fn unknown_configuration_key_names_file_line_and_key() {
    let fixture = counter_crate().file("hotlint.toml", "version = 1\nfoo = 1\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["unknown top-level key"]);
    assert!(line.starts_with("error: hotlint.toml:2: unknown field `foo`"), "{line}");

    let fixture = counter_crate().file("hotlint.toml", "version = 1\n\n[deps]\nscan = \"all\"\nfrob = 1\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["unknown key in [deps]"]);
    assert!(line.starts_with("error: hotlint.toml:5: unknown field `frob`"), "{line}");

    let fixture =
        counter_crate().file("hotlint.toml", "version = 1\n\n[[track]]\ntype = \"demo::CounterState\"\nbogus = 2\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["unknown key in [[track]]"]);
    assert!(line.starts_with("error: hotlint.toml:5: unknown field `bogus`"), "{line}");
}

#[test]
fn unknown_key_in_workspace_metadata_names_cargo_toml_and_line() {
    let fixture = counter_crate_with_manifest_tail("\n[workspace.metadata.hotlint]\nversion = 1\nfoo = 2\n");
    let expected_line = line_of(&fixture.read("Cargo.toml"), "foo = 2");
    let line = error_line(&hotlint(fixture.path(), &[]), &["unknown key in metadata"]);
    assert!(line.starts_with(&format!("error: Cargo.toml:{expected_line}: unknown field `foo`")), "{line}");
}

#[test]
fn configuration_without_version_is_refused() {
    let fixture = counter_crate().file("hotlint.toml", "[rules]\nHL001 = \"deny\"\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["no version"]);
    assert_eq!(line, "error: hotlint.toml:1: the configuration must start with `version = 1`");

    let fixture = counter_crate().file("hotlint.toml", "version = 2\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["version 2"]);
    assert!(line.starts_with("error: hotlint.toml:1: "), "{line}");
    assert!(line.contains("version = 2"), "{line}");
}

#[test]
fn bad_level_names_file_line_rule_and_level() {
    let fixture = counter_crate().file("hotlint.toml", "version = 1\n\n[rules]\nHL001 = \"fatal\"\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["bad level"]);
    assert_eq!(line, "error: hotlint.toml:4: level `fatal` of `HL001` must be `allow`, `warn` or `deny`");
}

#[test]
fn unknown_rule_in_configuration_is_refused() {
    let fixture = counter_crate().file("hotlint.toml", "version = 1\n\n[rules]\nHL999 = \"deny\"\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["unknown rule in [rules]"]);
    assert!(line.starts_with("error: hotlint.toml:4: unknown rule `HL999`"), "{line}");
}

#[test]
fn rule_given_by_code_and_by_name_is_refused() {
    let fixture = counter_crate()
        .file("hotlint.toml", "version = 1\n\n[rules]\nHL001 = \"deny\"\nactor-without-migration = \"warn\"\n");
    let line = error_line(&hotlint(fixture.path(), &[]), &["rule twice"]);
    assert_eq!(
        line,
        "error: hotlint.toml:5: rule HL001 is given twice in `[rules]` (as `HL001` and `actor-without-migration`)"
    );
}

#[test]
fn hotlint_toml_and_workspace_metadata_together_are_refused() {
    let fixture = counter_crate_with_manifest_tail("\n[workspace.metadata.hotlint]\nversion = 1\n")
        .file("hotlint.toml", "version = 1\n");
    let table_line = line_of(&fixture.read("Cargo.toml"), "[workspace.metadata.hotlint]");
    let line = error_line(&hotlint(fixture.path(), &[]), &["two configurations"]);
    assert!(line.contains("hotlint.toml"), "{line}");
    assert!(line.contains("[workspace.metadata.hotlint]"), "{line}");
    // The file and line of the table, so the user can find the second configuration.
    assert!(line.contains(&format!("Cargo.toml:{table_line}")), "should point at Cargo.toml:{table_line}: {line}");
}

#[test]
fn configuration_given_with_config_names_that_file() {
    let fixture = counter_crate();
    let elsewhere = tempfile::tempdir().unwrap();
    let config = elsewhere.path().join("custom.toml");
    std::fs::write(&config, "version = 1\nfoo = 1\n").unwrap();
    let line = error_line(&hotlint(fixture.path(), &["--config", config.to_str().unwrap()]), &["--config"]);
    assert!(line.starts_with(&format!("error: {}:2: unknown field `foo`", config.display())), "{line}");

    let missing = elsewhere.path().join("missing.toml");
    let line = error_line(&hotlint(fixture.path(), &["--config", missing.to_str().unwrap()]), &["--config missing"]);
    assert!(line.contains(&missing.display().to_string()), "{line}");
}

#[test]
fn unknown_rule_on_the_command_line_exits_2() {
    let fixture = counter_crate();
    for flag in ["-D", "-W", "-A"] {
        let line = error_line(&hotlint(fixture.path(), &[flag, "foo"]), &[flag, "foo"]);
        assert_eq!(line, "error: unknown rule `foo`; `cargo hotlint rules` lists them");
    }
}

#[test]
fn unknown_package_exits_2() {
    let fixture = counter_crate();
    let line = error_line(&hotlint(fixture.path(), &["-p", "unknown"]), &["-p", "unknown"]);
    assert!(line.starts_with("error: package `unknown` is not a member of the workspace"), "{line}");
}

#[test]
fn sarif_output_is_sarif_2_1_0_with_the_rule_catalogue() {
    let fixture = counter_crate();
    let out = hotlint(fixture.path(), &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let rules = runs[0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 15);
    for r in rules {
        assert!(r["id"].as_str().unwrap().starts_with("HL"));
        assert!(r["name"].is_string() && r["shortDescription"]["text"].is_string() && r["helpUri"].is_string());
        assert!(r["defaultConfiguration"]["level"].is_string());
    }
    let results = runs[0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for res in results {
        assert!(res["ruleId"].as_str().unwrap().starts_with("HL"));
        assert!(res["partialFingerprints"]["hotlint/v1"].is_string());
        let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/'), "{uri}");
    }
}

#[test]
fn github_output_is_one_escaped_command_per_finding() {
    let fixture = counter_crate();
    let out = hotlint(fixture.path(), &["--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.is_empty());
    for line in text.lines() {
        assert!(line.starts_with("::warning ") || line.starts_with("::error "), "{line}");
        let (props, message) = line.split_once("::").map(|(_, rest)| rest).unwrap().split_once("::").unwrap();
        assert!(props.contains("file=src/lib.rs,line="), "{props}");
        assert!(props.contains("title=HL0"), "{props}");
        assert!(!message.contains('\n'));
    }
}

#[test]
fn cargo_json_lines_are_cargo_compiler_messages() {
    let fixture = counter_crate();
    let out = hotlint(fixture.path(), &["--format", "cargo-json"]);
    let mut n = 0;
    for message in cargo_metadata::Message::parse_stream(&out.stdout[..]) {
        match message.unwrap() {
            cargo_metadata::Message::CompilerMessage(m) => {
                n += 1;
                let d = &m.message;
                assert!(d.code.as_ref().unwrap().code.starts_with("HL"));
                let primary = d.spans.iter().find(|s| s.is_primary).unwrap();
                assert_eq!(primary.file_name, "src/lib.rs");
                assert!(primary.line_start >= 1 && primary.column_start >= 1);
            }
            other => panic!("unexpected message {other:?}"),
        }
    }
    assert!(n >= 1);
}

#[test]
fn baseline_hides_known_findings_and_lists_gone_ones() {
    let fixture = counter_crate();
    let baseline = fixture.path().join("baseline.json");
    let b = baseline.to_str().unwrap();
    let out = hotlint(fixture.path(), &["--write-baseline", b, "-D", "warnings"]);
    assert_eq!(out.status.code(), Some(1), "writing a baseline still reports: {}", stderr(&out));
    let written: serde_json::Value = serde_json::from_str(&fixture.read("baseline.json")).unwrap();
    assert_eq!(written["hotlint-baseline"], 1);
    assert!(!written["findings"].as_array().unwrap().is_empty());
    let out = hotlint(fixture.path(), &["--baseline", b, "-D", "warnings", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert!(v["baseline"]["suppressed"].as_u64().unwrap() >= 1);
    // A baseline entry that no longer occurs is listed.
    let mut stale: serde_json::Value = written.clone();
    stale["findings"].as_array_mut().unwrap().push(serde_json::json!({
        "fingerprint": "0000000000000000", "code": "HL001", "name": "actor-without-migration",
        "subject": "demo::Gone", "message": "gone"
    }));
    std::fs::write(&baseline, serde_json::to_string(&stale).unwrap()).unwrap();
    let out = hotlint(fixture.path(), &["--baseline", b]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no longer occur"));
    // A broken baseline is an error naming the file.
    std::fs::write(&baseline, "{").unwrap();
    let line = error_line(&hotlint(fixture.path(), &["--baseline", b]), &["--baseline"]);
    assert!(line.contains("baseline.json"), "{line}");
}

#[test]
fn plan_needs_a_base_and_a_repository() {
    let fixture = counter_crate();
    let line = error_line(&hotlint(fixture.path(), &["plan"]), &["plan"]);
    assert!(line.contains("needs `--base REV`"), "{line}");
    let line = error_line(&hotlint(fixture.path(), &["plan", "--base", "HEAD"]), &["plan", "--base", "HEAD"]);
    assert!(line.contains("is not inside a git repository"), "{line}");
}

#[test]
fn revision_flags_outside_a_git_repository_exit_2() {
    let fixture = counter_crate();
    for args in [&["--base", "HEAD"][..], &["check", "--base", "HEAD"][..], &["--head", "HEAD"][..], &["--staged"][..]]
    {
        let line = error_line(&hotlint(fixture.path(), args), args);
        assert!(line.contains("is not inside a git repository"), "{args:?}: {line}");
    }
}

#[test]
fn bad_flag_values_exit_2() {
    let fixture = counter_crate();
    for args in [&["--format", "bogus"][..], &["--color", "bogus"][..], &["check", "--frobnicate"][..]] {
        let output = hotlint(fixture.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).starts_with("error: "), "{args:?}: {}", stderr(&output));
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// explain and rules.

#[test]
fn explain_prints_the_doc_by_code_and_by_name() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/HL001-actor-without-migration.md"))
            .unwrap();
    let body = doc.splitn(3, "+++\n").nth(2).unwrap().trim();
    let empty = tempfile::tempdir().unwrap();
    let by_code = hotlint(empty.path(), &["explain", "HL001"]);
    let by_name = hotlint(empty.path(), &["explain", "actor-without-migration"]);
    for output in [&by_code, &by_name] {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        let text = String::from_utf8(output.stdout.clone()).unwrap();
        assert!(text.starts_with("HL001 actor-without-migration"), "{text}");
        assert!(text.contains(body), "explain should print the doc's text");
    }
    assert_eq!(by_code.stdout, by_name.stdout);
    // Works outside any workspace, and in the `cargo hotlint` form.
    assert_eq!(hotlint(empty.path(), &["hotlint", "explain", "HL001"]).stdout, by_code.stdout);
}

#[test]
fn explain_unknown_rule_exits_2() {
    let empty = tempfile::tempdir().unwrap();
    let line = error_line(&hotlint(empty.path(), &["explain", "HL999"]), &["explain", "HL999"]);
    assert_eq!(line, "error: unknown rule `HL999`; `cargo hotlint rules` lists them");
}

#[test]
fn rules_lists_fifteen_rules_in_order() {
    let empty = tempfile::tempdir().unwrap();
    let expected_codes: Vec<String> = (0..15).map(|n| format!("HL{n:03}")).collect();

    let human = hotlint(empty.path(), &["rules"]);
    assert_eq!(human.status.code(), Some(0), "{}", stderr(&human));
    let text = String::from_utf8(human.stdout).unwrap();
    let human_codes: Vec<String> =
        text.lines().map(|line| line.split_whitespace().next().unwrap().to_owned()).collect();
    assert_eq!(human_codes, expected_codes);
    assert!(text.lines().nth(1).unwrap().contains("actor-without-migration"), "{text}");

    let json = hotlint(empty.path(), &["rules", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let rules: Value = serde_json::from_slice(&json.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let json_codes: Vec<String> = rules.iter().map(|rule| rule["code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(json_codes, expected_codes);
    for rule in rules {
        for key in ["name", "default_level", "summary"] {
            assert!(rule[key].is_string(), "`{key}` of {rule}");
        }
        assert!(["allow", "warn", "deny"].contains(&rule["default_level"].as_str().unwrap()), "{rule}");
        assert!(rule["history"].is_boolean() && rule["implemented"].is_boolean(), "{rule}");
    }
    assert_eq!(rules[1]["name"], "actor-without-migration");
    assert_eq!(rules[1]["default_level"], "warn");
    assert_eq!(rules[2]["history"], true);
}

// ---------------------------------------------------------------------------------------------
// Levels and exit status.

#[test]
fn a_warning_exits_0_and_is_reported() {
    let fixture = counter_crate();
    let output = hotlint(fixture.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let findings = findings(&output);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["code"], "HL001");
    assert_eq!(findings[0]["level"], "warn");
    assert_eq!(findings[0]["file"], "src/lib.rs");
}

#[test]
fn deny_from_flags_exits_1() {
    let fixture = counter_crate();
    for args in [
        &["-D", "warnings"][..],
        &["-D", "actor-without-migration"][..],
        &["-D", "HL001"][..],
        &["--deny", "HL001"][..],
    ] {
        let output = hotlint(fixture.path(), &[args, &["--format", "json"][..]].concat());
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", stderr(&output));
        let findings = findings(&output);
        assert_eq!(findings.len(), 1, "{args:?}");
        assert_eq!(findings[0]["level"], "deny", "{args:?}");
        assert_eq!(summary(&output)["deny"], 1, "{args:?}");
    }
}

#[test]
fn deny_from_configuration_exits_1() {
    for key in ["HL001", "actor-without-migration"] {
        let fixture = counter_crate().file("hotlint.toml", &format!("version = 1\n\n[rules]\n{key} = \"deny\"\n"));
        let output = hotlint(fixture.path(), &[]);
        assert_eq!(output.status.code(), Some(1), "hotlint.toml [rules] {key}: {}", stderr(&output));
    }
    let fixture = counter_crate_with_manifest_tail(
        "\n[workspace.metadata.hotlint]\nversion = 1\n\n[workspace.metadata.hotlint.rules]\nHL001 = \"deny\"\n",
    );
    let output = hotlint(fixture.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "[workspace.metadata.hotlint.rules]: {}", stderr(&output));

    let fixture = counter_crate();
    let elsewhere = tempfile::tempdir().unwrap();
    let config = elsewhere.path().join("strict.toml");
    std::fs::write(&config, "version = 1\n\n[rules]\nHL001 = \"deny\"\n").unwrap();
    let output = hotlint(fixture.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "--config: {}", stderr(&output));
}

#[test]
fn later_level_flags_win() {
    let fixture = counter_crate();
    let cases: &[(&[&str], i32)] = &[
        (&["-D", "warnings", "-A", "HL001"], 0),
        (&["-D", "warnings", "-A", "actor-without-migration"], 0),
        (&["-A", "HL001", "-D", "HL001"], 1),
        (&["-D", "HL001", "-A", "HL001"], 0),
        (&["-D", "HL001", "-W", "actor-without-migration"], 0),
        (&["-W", "HL001", "-D", "actor-without-migration"], 1),
    ];
    for (args, expected) in cases {
        let output = hotlint(fixture.path(), args);
        assert_eq!(output.status.code(), Some(*expected), "{args:?}: {}", stderr(&output));
    }
    let allowed = hotlint(fixture.path(), &["-D", "warnings", "-A", "HL001", "--format", "json"]);
    assert!(findings(&allowed).is_empty(), "an allowed rule reports nothing");
}

#[test]
fn command_line_levels_override_the_configuration() {
    let fixture = counter_crate().file("hotlint.toml", "version = 1\n\n[rules]\nHL001 = \"deny\"\n");
    assert_eq!(hotlint(fixture.path(), &["-A", "HL001"]).status.code(), Some(0));
    assert_eq!(hotlint(fixture.path(), &["-W", "HL001"]).status.code(), Some(0));
    let fixture = counter_crate().file("hotlint.toml", "version = 1\n\n[rules]\nHL001 = \"allow\"\n");
    assert_eq!(hotlint(fixture.path(), &["-D", "HL001"]).status.code(), Some(1));
}

// ---------------------------------------------------------------------------------------------
// Output.

#[test]
fn output_file_receives_the_report_and_stdout_stays_empty() {
    let fixture = counter_crate();
    let elsewhere = tempfile::tempdir().unwrap();
    for format in ["human", "json"] {
        let to_stdout = hotlint(fixture.path(), &["--format", format]);
        let file = elsewhere.path().join(format!("report.{format}"));
        let to_file = hotlint(fixture.path(), &["--format", format, "--output", file.to_str().unwrap()]);
        assert_eq!(to_file.status.code(), Some(0), "{format}: {}", stderr(&to_file));
        assert!(to_file.stdout.is_empty(), "{format}: nothing on stdout with --output");
        assert_eq!(std::fs::read(&file).unwrap(), to_stdout.stdout, "{format}: the file holds what stdout would");
    }
    // The exit status does not depend on where the report goes.
    let file = elsewhere.path().join("denied.json");
    let denied = hotlint(fixture.path(), &["-D", "warnings", "--output", file.to_str().unwrap()]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(file.exists());
}

#[test]
fn output_to_an_unwritable_place_exits_2() {
    let fixture = counter_crate();
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("no/such/dir/report.json");
    let line = error_line(&hotlint(fixture.path(), &["--output", file.to_str().unwrap()]), &["--output"]);
    assert!(line.contains(&file.display().to_string()), "{line}");
}

#[test]
fn message_format_is_an_alias_of_format() {
    let fixture = counter_crate();
    let format = hotlint(fixture.path(), &["--format", "json"]);
    let message_format = hotlint(fixture.path(), &["--message-format", "json"]);
    let message_format_eq = hotlint(fixture.path(), &["--message-format=json"]);
    assert_eq!(message_format.status.code(), Some(0), "{}", stderr(&message_format));
    assert_eq!(format.stdout, message_format.stdout);
    assert_eq!(format.stdout, message_format_eq.stdout);
    serde_json::from_slice::<Value>(&message_format.stdout).unwrap();
}

#[test]
fn json_output_has_the_documented_shape_and_no_absolute_paths() {
    let fixture = counter_crate();
    let output = hotlint(fixture.path(), &["--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["schema"], 1);
    assert_eq!(report["tool"]["name"], "hotlint");
    assert_eq!(report["base"], Value::Null);
    assert_eq!(report["head"], "worktree");
    assert_eq!(report["actors"][0]["id"], "demo::Counter");
    let finding = &report["findings"][0];
    for key in [
        "code",
        "name",
        "level",
        "message",
        "package",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "actor",
        "type",
        "labels",
        "notes",
        "help",
        "fingerprint",
    ] {
        assert!(finding.get(key).is_some(), "finding without `{key}`: {finding}");
    }
    assert_eq!(finding["name"], "actor-without-migration");
    assert_eq!(finding["package"], "demo");
    assert_eq!(finding["actor"], "demo::Counter");
    assert_eq!(finding["type"], "demo::CounterState");
    assert!(report["summary"].is_object());
    let text = String::from_utf8(output.stdout).unwrap();
    let root = fixture.path().canonicalize().unwrap();
    assert!(
        !text.contains(&*root.to_string_lossy()) && !text.contains(&*fixture.path().to_string_lossy()),
        "absolute path in JSON"
    );
}

#[test]
fn human_output_says_that_history_rules_did_not_run() {
    let fixture = counter_crate();
    let output = hotlint(fixture.path(), &["--color", "never"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("warning[HL001]"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(last.contains("did not run") && last.contains("HL002"), "the last line should say so: {last}");
}

#[test]
fn no_color_and_color_never_print_no_escape_codes() {
    let fixture = counter_crate();
    // Sanity: colour is on when asked for, so the checks below are not vacuous.
    assert!(has_escape(&hotlint(fixture.path(), &["--color", "always"]).stdout), "--color always should colour");
    assert!(
        has_escape(&hotlint_with_env(fixture.path(), &[], &[("CARGO_TERM_COLOR", "always")]).stdout),
        "CARGO_TERM_COLOR=always should colour"
    );

    let never = hotlint(fixture.path(), &["--color", "never"]);
    assert!(!has_escape(&never.stdout), "--color never");
    let never_over_env = hotlint_with_env(fixture.path(), &["--color", "never"], &[("CARGO_TERM_COLOR", "always")]);
    assert!(!has_escape(&never_over_env.stdout), "--color never beats CARGO_TERM_COLOR=always");
    let no_color = hotlint_with_env(fixture.path(), &[], &[("NO_COLOR", "1")]);
    assert!(!has_escape(&no_color.stdout), "NO_COLOR=1");
    let no_color_over_env = hotlint_with_env(fixture.path(), &[], &[("NO_COLOR", "1"), ("CARGO_TERM_COLOR", "always")]);
    assert!(!has_escape(&no_color_over_env.stdout), "NO_COLOR=1 with CARGO_TERM_COLOR=always");
    assert_eq!(never.stdout, no_color.stdout);
}

#[test]
fn cargo_subcommand_form_equals_direct_form() {
    let fixture = counter_crate();
    let pairs: &[(&[&str], &[&str])] = &[
        (&["hotlint", "check"], &["check"]),
        (&["hotlint", "check", "--format", "json"], &["check", "--format", "json"]),
        (&["hotlint", "check", "-D", "warnings"], &["check", "-D", "warnings"]),
        (&["hotlint"], &[]),
        (&["hotlint", "--format", "json"], &["--format", "json"]),
        (&["hotlint", "rules"], &["rules"]),
    ];
    for (cargo_form, direct_form) in pairs {
        let via_cargo = hotlint(fixture.path(), cargo_form);
        let direct = hotlint(fixture.path(), direct_form);
        assert_eq!(via_cargo.status.code(), direct.status.code(), "{cargo_form:?}: {}", stderr(&via_cargo));
        assert_eq!(via_cargo.stdout, direct.stdout, "{cargo_form:?}");
        assert!(!direct.stdout.is_empty(), "{direct_form:?}");
    }
    // The default subcommand is `check`.
    assert_eq!(hotlint(fixture.path(), &[]).stdout, hotlint(fixture.path(), &["check"]).stdout);
}

#[test]
fn two_runs_give_identical_bytes_whatever_the_thread_count() {
    let fixture = busy_workspace();
    for format in ["json", "human"] {
        let first = hotlint(fixture.path(), &["--format", format, "--color", "never"]);
        assert_eq!(first.status.code(), Some(0), "{format}: {}", stderr(&first));
        let second = hotlint(fixture.path(), &["--format", format, "--color", "never"]);
        assert_eq!(first.stdout, second.stdout, "{format}: two runs differ");
        let one_thread = hotlint(fixture.path(), &["--format", format, "--color", "never", "-j", "1"]);
        let two_threads = hotlint(fixture.path(), &["--format", format, "--color", "never", "-j", "2"]);
        assert_eq!(one_thread.stdout, two_threads.stdout, "{format}: -j 1 and -j 2 differ");
        assert_eq!(first.stdout, one_thread.stdout, "{format}: -j 1 differs from the default");
    }
    // The fixture does exercise ordering: many findings, in several files and packages.
    let report = hotlint(fixture.path(), &["--format", "json"]);
    let findings = findings(&report);
    assert!(findings.len() > 20, "{}", findings.len());
    // Findings with no location (a configuration entry) come after those with one.
    let keys: Vec<(bool, String, u64, u64, String)> = findings
        .iter()
        .map(|f| {
            (
                f["file"].is_null(),
                f["file"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "findings are ordered by (file, line, column, code), located ones first");
    for code in ["HL000", "HL001", "HL014"] {
        assert!(findings.iter().any(|f| f["code"] == code), "the fixture should produce {code}");
    }
}

#[test]
fn package_selection_follows_cargo() {
    let fixture = busy_workspace();
    let packages_of = |args: &[&str]| -> Vec<String> {
        let output = hotlint(fixture.path(), &[args, &["--format", "json"][..]].concat());
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        let mut packages: Vec<String> =
            findings(&output).iter().filter_map(|f| f["package"].as_str().map(str::to_owned)).collect();
        packages.dedup();
        packages
    };
    assert_eq!(packages_of(&["-p", "beta"]), ["beta"]);
    assert_eq!(packages_of(&["--workspace", "--exclude", "alpha"]), ["beta"]);
    assert_eq!(packages_of(&["-p", "alpha", "-p", "beta"]), ["alpha", "beta"]);
}

#[test]
fn running_inside_a_member_checks_that_member_as_cargo_does() {
    let fixture = busy_workspace();
    let in_member = hotlint(&fixture.path().join("beta"), &["--format", "json"]);
    assert_eq!(in_member.status.code(), Some(0), "{}", stderr(&in_member));
    let packages: Vec<Value> =
        findings(&in_member).iter().map(|f| f["package"].clone()).filter(|p| !p.is_null()).collect();
    assert!(!packages.is_empty() && packages.iter().all(|p| p == "beta"), "{packages:?}");
    let with_workspace = hotlint(&fixture.path().join("beta"), &["--workspace", "--format", "json"]);
    let root = hotlint(fixture.path(), &["--format", "json"]);
    assert_eq!(with_workspace.stdout, root.stdout, "--workspace from a member checks every member");
}

/// When `cargo metadata` cannot describe the workspace, hotlint reads the manifests itself, says
/// so in one line on stderr, and reports the same thing.
#[test]
fn manifest_reader_fallback_reports_what_cargo_metadata_does() {
    let fixture = busy_workspace();
    for args in [&["--format", "json"][..], &["--format", "json", "-p", "alpha"][..]] {
        let with_cargo = hotlint(fixture.path(), args);
        let without_cargo = hotlint_with_env(fixture.path(), args, &[("HOTLINT_NO_CARGO", "1")]);
        assert_eq!(with_cargo.status.code(), without_cargo.status.code(), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&with_cargo.stdout),
            String::from_utf8_lossy(&without_cargo.stdout),
            "{args:?}: the manifest reader and cargo metadata disagree"
        );
        let note = stderr(&without_cargo);
        assert_eq!(note.lines().count(), 1, "{note}");
        assert!(note.starts_with("warning: ") && note.contains("cargo metadata"), "{note}");
        assert!(stderr(&with_cargo).is_empty(), "{}", stderr(&with_cargo));
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/// A crate in a temporary directory.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(self, relative: &str, contents: &str) -> Fixture {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(relative)).unwrap()
    }
}

const DEMO_MANIFEST: &str = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
                             [dependencies]\nractor = \"0.15\"\n\n[workspace]\n";

/// A ractor actor whose state has fields and no migration: exactly one HL001 warning.
const COUNTER_LIB: &str = r#"use ractor::{Actor, ActorProcessingErr, ActorRef};

pub struct Counter;

pub enum CounterMsg {
    Increment(u64),
}

pub struct CounterState {
    pub count: u64,
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = CounterState;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(CounterState { count: 0 })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let CounterMsg::Increment(n) = message;
        state.count += n;
        Ok(())
    }
}
"#;

fn counter_crate() -> Fixture {
    counter_crate_with_manifest_tail("")
}

/// The counter crate with `tail` appended to its Cargo.toml (after the empty `[workspace]`).
fn counter_crate_with_manifest_tail(tail: &str) -> Fixture {
    Fixture::new().file("Cargo.toml", &format!("{DEMO_MANIFEST}{tail}")).file("src/lib.rs", COUNTER_LIB)
}

/// A two-package workspace with many modules, each defining an actor (HL001), one file that does
/// not parse (HL000) and a stale `ephemeral` entry (HL014): enough findings, files and packages
/// for ordering and threading to show.
fn busy_workspace() -> Fixture {
    let mut fixture = Fixture::new()
        .file("Cargo.toml", "[workspace]\nmembers = [\"alpha\", \"beta\"]\nresolver = \"2\"\n")
        .file("hotlint.toml", "version = 1\nephemeral = [\"alpha::Gone\"]\n");
    for package in ["alpha", "beta"] {
        let manifest = format!(
            "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nractor = \"0.15\"\n"
        );
        let modules: Vec<String> = (0..12).map(|n| format!("m{n:02}")).collect();
        let lib: String = modules.iter().map(|m| format!("pub mod {m};\n")).collect::<String>() + "pub mod broken;\n";
        fixture =
            fixture.file(&format!("{package}/Cargo.toml"), &manifest).file(&format!("{package}/src/lib.rs"), &lib);
        for module in &modules {
            let source = COUNTER_LIB.replace("Counter", &format!("Counter{module}"));
            // Two actors per file, so that findings share a file and differ by line.
            let second = COUNTER_LIB.lines().skip(1).collect::<Vec<_>>().join("\n").replace("Counter", "Other");
            fixture = fixture.file(&format!("{package}/src/{module}.rs"), &format!("{source}\n{second}\n"));
        }
        fixture = fixture.file(&format!("{package}/src/broken.rs"), "pub struct Broken {\n    field: ,\n}\n");
    }
    fixture
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|line| line.contains(needle)).unwrap() + 1
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

/// Runs the binary in `dir` with a clean colour environment and no network.
fn hotlint(dir: &Path, args: &[&str]) -> Output {
    hotlint_with_env(dir, args, &[])
}

fn hotlint_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("NO_COLOR")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_BACKTRACE");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("internal error") && !err.contains("RUST_BACKTRACE"),
        "{args:?} panicked: {err}"
    );
    output
}

/// Asserts a run that could not be done: exit 2, nothing on stdout, one line on stderr starting
/// with `error: `. Returns that line.
fn error_line(output: &Output, what: &[&str]) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{what:?}: expected exit 2; stderr: {err}");
    assert!(output.stdout.is_empty(), "{what:?}: nothing on stdout, got {}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(err.lines().count(), 1, "{what:?}: expected one line on stderr, got:\n{err}");
    assert!(err.starts_with("error: "), "{what:?}: {err}");
    err
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim_end().to_owned()
}

fn findings(output: &Output) -> Vec<Value> {
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}", String::from_utf8_lossy(&output.stdout)));
    report["findings"].as_array().unwrap().clone()
}

fn summary(output: &Output) -> Value {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["summary"].clone()
}

fn has_escape(bytes: &[u8]) -> bool {
    bytes.contains(&0x1b)
}
