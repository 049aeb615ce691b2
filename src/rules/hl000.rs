//! HL000 parse-failure: a workspace file that could not be read or parsed, or a `mod` whose
//! file is missing. The rest of the run goes on.

use crate::findings::Draft;
use crate::ir::Loc;
use crate::model::Model;
use crate::parse;

pub fn hl000_parse_failure(m: &Model) -> Vec<Draft> {
    let mut out = Vec::new();
    for f in &m.index.files {
        let Some(err) = &f.error else { continue };
        if m.is_dependency_file(f.id) {
            continue;
        }
        let mut d = Draft::new(format!("`{}` could not be analysed: {}", f.rel_path, err.message));
        d.package = m.package_of_file(f.id);
        let skipped = "hotlint skipped this file and analysed the rest; actors and state defined in it are not checked";
        let (label, help) = if err.message.starts_with(parse::NOT_UTF8) {
            ("not UTF-8", format!("{skipped}. Rust source must be UTF-8: save the file as UTF-8"))
        } else if err.message.starts_with(parse::CONFLICT_MARKERS) {
            (
                "conflict marker",
                format!("{skipped}. Resolve the conflict: keep the wanted side and delete the marker lines"),
            )
        } else {
            (
                "syn cannot parse this",
                format!(
                    "{skipped}. If the compiler accepts it, please report it (it may be a documented limit of syn, listed in README)"
                ),
            )
        };
        match err.loc {
            Some(loc) => d.primary(loc, label),
            None => d.primary(Loc { file: f.id, line: 1, col: 1, end_line: 1, end_col: 1 }, "this file"),
        }
        d.help = Some(help);
        d.key = format!("parse:{}", f.rel_path);
        out.push(d);
    }
    for miss in &m.index.missing {
        if miss.found_at_both {
            let both: Vec<String> = miss.tried.iter().map(|t| format!("`{t}`")).collect();
            let mut d = Draft::new(format!("file for module `{}` found at both {}", miss.name, both.join(" and ")));
            d.package = m.package_of_file(miss.decl.file);
            d.primary(miss.decl, "declared here");
            d.help = Some("delete or rename one of them to remove the ambiguity (rustc refuses the crate: E0761); hotlint analysed neither file and checked the rest".into());
            d.key = format!(
                "ambiguous-mod:{}:{}",
                m.index.file(miss.decl.file).map(|f| f.rel_path.as_str()).unwrap_or(""),
                miss.name
            );
            out.push(d);
            continue;
        }
        if miss.cfg_gated {
            continue;
        }
        let mut d = match &miss.outside_sparse_cone {
            Some(path) => {
                let mut d = Draft::new(format!(
                    "file `{path}` for module `{}` is outside the sparse-checkout cone (git has it, the working tree does not)",
                    miss.name
                ));
                d.help = Some(format!(
                    "`git sparse-checkout add {}` checks it out; hotlint analysed the rest",
                    crate::source::parent(path)
                ));
                d
            }
            None => {
                let mut d = Draft::new(format!("file not found for module `{}`", miss.name));
                d.help = Some(format!(
                    "create one of {}, or add `#[path = \"…\"]`; hotlint analysed the rest",
                    miss.tried.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(" or ")
                ));
                d
            }
        };
        d.package = m.package_of_file(miss.decl.file);
        d.primary(miss.decl, "declared here");
        d.key = format!(
            "missing-mod:{}:{}",
            m.index.file(miss.decl.file).map(|f| f.rel_path.as_str()).unwrap_or(""),
            miss.name
        );
        out.push(d);
    }
    out
}
