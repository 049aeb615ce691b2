//! HL007 dependency-upgrade-changes-state: between the base and head `Cargo.lock`, a dependency
//! whose types are in a tracked type's shape changed version, and those types' serialized shape
//! changed in a way the tracked type's encoding cannot read. Hand-written serde impls are judged
//! by fingerprint and reported as HL013, never here.

use crate::compare;
use crate::findings::Draft;
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    let mut out = Vec::new();
    // One finding per changed definition of the dependency, whatever tracked types reach it.
    let mut seen: std::collections::BTreeSet<(String, String, String)> = std::collections::BTreeSet::new();
    for dc in m.dep_changes.iter().filter(|d| d.unverifiable.is_none()) {
        for c in &dc.changes {
            if !seen.insert((dc.package.clone(), c.def_key.clone(), c.what.clone())) {
                continue;
            }
            // Judge with the strictest encoding among the tracked types that reach it.
            let mut broken = None;
            for path in &dc.reached {
                let Some(t) = m.tracked.values().find(|t| &t.path == path) else { continue };
                let Some(enc) = m.encodings.get(&t.ty) else { continue };
                let (b, f) = compare::breaks(c, enc.class, compare::directions(t));
                if b || f {
                    broken = Some((path.clone(), enc.class));
                    break;
                }
            }
            let Some((path, class)) = broken else { continue };
            let mut d = Draft::new(format!(
                "dependency `{} {} → {}` changes `{}`: {}; `{path}` ({}) cannot read what was written before",
                dc.package,
                dc.from,
                dc.to,
                c.def_path,
                c.what,
                class.as_str()
            ));
            d.package = Some(dc.package.clone());
            for r in &dc.reached {
                d.notes.push(format!("reached by the tracked type `{r}`"));
            }
            d.ty = Some(path.clone());
            d.help = Some(format!(
                "keep `{}` at {} until the state is migrated, or bump the version of `{path}` with a migration that reads the old layout (a copy of the old type)",
                dc.package, dc.from
            ));
            d.key = format!("dep-upgrade:{}:{}:{}", dc.package, c.def_path, c.what);
            out.push(d);
        }
    }
    out
}
