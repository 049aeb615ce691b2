//! HL008 unsupervised-actor: an actor spawned without a link from inside another actor's code,
//! in a framework that offers a linked form. Root actors spawned from `main` or tests are never
//! reported: only calls inside an actor's impl blocks count.

use crate::findings::{Anchor, Draft};
use crate::ir::*;
use crate::model::Model;
use crate::resolve::{Ns, Res, Resolver};

pub fn check(m: &Model) -> Vec<Draft> {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let mut out = Vec::new();
    for parent in m.actors.actors.iter().filter(|a| !a.test) {
        let Some(parent_ty) = parent.ty else { continue };
        for &i in m.impls.get(&parent_ty).into_iter().flatten() {
            let Some(imp) = m.index.impls.get(i) else { continue };
            if imp.test {
                continue;
            }
            let Some(Item { kind: ItemKind::Impl(def), .. }) = m.index.item(imp.item) else { continue };
            // Handlers and lifecycle hooks take `self`; an associated function without it is a
            // constructor run by whoever calls it (often `main`), not the actor's own code.
            for f in def.fns.iter().filter(|f| f.has_self) {
                for call in &f.body.calls {
                    // Which actor does the call start? `Child::spawn(…)`, `Child.start()`, …
                    let target: Vec<String> = if call.method {
                        match &call.receiver {
                            Some(r) => vec![r.clone()],
                            None => continue,
                        }
                    } else {
                        call.path.clone()
                    };
                    if target.is_empty() {
                        continue;
                    }
                    let Res::Type(child_ty) = res.resolve(imp.module, false, &target, &def.generics, Ns::Type) else {
                        continue;
                    };
                    let Some(child) = m.actors.actors.iter().find(|a| a.ty == Some(child_ty)) else { continue };
                    let Some(spawn) =
                        m.profiles.iter().find(|p| p.name == child.framework).and_then(|p| p.spawn.as_ref())
                    else {
                        continue;
                    };
                    if spawn.linked.is_empty() || !spawn.unlinked.contains(&call.func) {
                        continue;
                    }
                    let child_name = child.id.rsplit("::").next().unwrap_or(&child.id);
                    let parent_name = parent.id.rsplit("::").next().unwrap_or(&parent.id);
                    let linked = spawn.linked.first().cloned().unwrap_or_default();
                    let mut d = Draft::new(format!(
                        "actor `{parent_name}` starts `{child_name}` with `{}` and no link",
                        call.func
                    ));
                    d.package = m.package_of_file(call.loc.file);
                    d.primary(call.loc, "started here, unsupervised");
                    d.label(parent.decl, &format!("inside `{parent_name}`'s {} code", parent.framework));
                    d.actor = Some(parent.id.clone());
                    d.ty = Some(child.id.clone());
                    d.anchors.push(Anchor { file: call.loc.file, first_line: f.first_line, header_line: f.loc.line });
                    d.anchors.push(Anchor {
                        file: parent.decl.file,
                        first_line: parent.decl_first_line,
                        header_line: parent.decl.line,
                    });
                    d.notes.push(format!(
                        "if `{child_name}` crashes on state it cannot read after an upgrade, nothing restarts it and `{parent_name}` is not told"
                    ));
                    d.help = Some(format!(
                        "start it linked to `{parent_name}` with `{linked}` ({}), and handle its exit in the supervisor",
                        child.framework
                    ));
                    d.key = format!("unlinked:{}:{}:{}", parent.id, child.id, call.func);
                    out.push(d);
                }
            }
        }
    }
    out
}
