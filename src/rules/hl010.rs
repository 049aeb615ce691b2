//! HL010 shipped-migration-edited: a migration path that existed at the base (one `code_change`
//! arm, one `From` impl) whose body changed: data already migrated by the old body is not
//! migrated again.

use crate::findings::{Anchor, Draft};
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    let Some(cmp) = &m.comparison else { return Vec::new() };
    let mut out = Vec::new();
    for diff in &cmp.diffs {
        let Some(t) = diff.head_ty.and_then(|h| m.tracked.get(&h)) else { continue };
        let Some(head_mig) = &t.migration else { continue };
        let Some(base_mig) = diff.base_ty.and_then(|b| cmp.base.migrations.get(&b)) else { continue };
        for hp in &head_mig.paths {
            let Some(bp) = base_mig.paths.iter().find(|b| b.from == hp.from && b.via == hp.via) else { continue };
            if bp.fingerprint == 0 || hp.fingerprint == 0 || bp.fingerprint == hp.fingerprint {
                continue;
            }
            let name = t.path.rsplit("::").next().unwrap_or(&t.path);
            let mut d = Draft::new(format!(
                "the shipped migration of `{name}` from version {} ({}) was edited",
                hp.from, hp.via
            ));
            if let Some(loc) = hp.loc {
                d.package = m.package_of_file(loc.file);
                d.primary(loc, "edited migration");
                d.anchors.push(Anchor { file: loc.file, first_line: loc.line, header_line: loc.line });
            }
            d.notes.push(
                "data already migrated by the old body will not be migrated again, so stores now disagree".into(),
            );
            d.ty = Some(t.path.clone());
            d.help = Some(
                "leave shipped migrations as they are; fix data with a new version and a new path from the current one"
                    .into(),
            );
            d.key = format!("edited:{}:{}:{}", t.path, hp.from, hp.via);
            out.push(d);
        }
    }
    out
}
