//! HL006 dependency-actor-without-migration: a dependency that defines actors with state and no
//! versioned migration: on upgrade they restart instead of migrating. One finding per dependency.

use crate::findings::Draft;
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    let Some(scan) = &m.deps else { return Vec::new() };
    let mut out = Vec::new();
    for dep in &scan.scanned {
        if dep.actors.is_empty() || m.config.deps_allow.iter().any(|e| e.value == dep.name) {
            continue;
        }
        let n = dep.actors.len();
        let mut d = Draft::new(format!(
            "dependency `{} {}` defines {n} actor{} with state and no versioned migration: on upgrade {} instead of migrating",
            dep.name,
            dep.version,
            if n == 1 { "" } else { "s" },
            if n == 1 { "it restarts" } else { "they restart" }
        ));
        d.package = Some(dep.name.clone());
        for (id, state, file, line) in dep.actors.iter().take(25) {
            d.notes.push(format!("`{id}` ({file}:{line}) holds `{state}`"));
        }
        if n > 25 {
            d.notes.push(format!("… and {} more", n - 25));
        }
        d.help = Some(format!(
            "rebuild what these actors hold after an upgrade (or pin `{}` across the deploy); once that is understood, acknowledge it with `allow = [\"{}\"]` under `[deps]` in hotlint.toml",
            dep.name, dep.name
        ));
        d.ty = Some(dep.name.clone());
        d.key = format!("dep-actors:{}", dep.name);
        out.push(d);
    }
    out
}
