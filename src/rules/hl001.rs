//! HL001 actor-without-migration: an actor whose state has data and no versioned migration.

use crate::actors::State;
use crate::findings::{Anchor, Draft};
use crate::index::TypeId;
use crate::ir::*;
use crate::model::Model;

/// Number of fields of a workspace type (variants count for enums); `None` if it is not a
/// struct, enum or union definition.
pub fn data_fields(m: &Model, t: TypeId) -> Option<usize> {
    let e = m.index.type_entry(t)?;
    match &m.index.item(e.item)?.kind {
        ItemKind::Type(def) => Some(match def.kind {
            TypeKind::Enum => def.variants.len(),
            _ => def.fields.len(),
        }),
        ItemKind::Alias(_) => Some(1),
        _ => None,
    }
}

pub fn hl001_actor_without_migration(m: &Model) -> Vec<Draft> {
    let mut out = Vec::new();
    for a in &m.actors.actors {
        if a.test {
            continue;
        }
        let (state_ty, state_name, n_fields) = match &a.state {
            State::SelfType(t) | State::Local { ty: t, .. } => {
                let n = data_fields(m, *t).unwrap_or(1);
                (Some(*t), m.index.type_entry(*t).map(|e| e.name.clone()).unwrap_or_default(), n)
            }
            State::Unit => continue,
            State::Other { display } => (None, display.clone(), 1),
            State::Unknown { written } => {
                if written.starts_with('<') {
                    continue;
                }
                (None, written.clone(), 1)
            }
        };
        if n_fields == 0 {
            continue;
        }
        if m.migration_of_actor(a).is_some() {
            continue;
        }
        // A persistent actor's state is recovered by its framework from the snapshots and journal
        // messages it registers: those are tracked (HL002 guards them), the state is not dropped.
        if m.actors.persisted.iter().any(|p| p.actor == a.id) {
            continue;
        }
        if m.is_ephemeral(&a.id) {
            continue;
        }
        let actor_name = a.id.rsplit("::").next().unwrap_or(&a.id).to_string();
        let is_self = matches!(a.state, State::SelfType(_));
        let mut d = if is_self {
            Draft::new(format!("actor `{actor_name}` has state and no versioned migration"))
        } else {
            Draft::new(format!("actor `{actor_name}` has no versioned migration for its state `{state_name}`"))
        };
        d.package = a.package.and_then(|p| m.ws.packages.get(p)).map(|p| p.name.clone());
        d.primary(a.decl, &format!("{} actor declared here", a.framework));
        d.actor = Some(a.id.clone());
        d.anchors.push(Anchor { file: a.decl.file, first_line: a.decl_first_line, header_line: a.decl.line });
        // An allow may also sit on the actor's own type definition.
        if let Some(item) = a.ty.and_then(|t| m.index.type_entry(t)).and_then(|e| m.index.item(e.item)) {
            d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
        }
        let state_path = state_ty.and_then(|t| m.index.type_entry(t)).map(|e| e.path.clone());
        d.ty = state_path.clone().or_else(|| Some(state_name.clone()));
        if let Some(t) = state_ty {
            if let (Some(e), Some(item)) =
                (m.index.type_entry(t), m.index.type_entry(t).and_then(|e| m.index.item(e.item)))
            {
                let what = if is_self {
                    "the actor's fields are its state"
                } else {
                    "state type defined here, with no version"
                };
                if !is_self || item.loc != a.decl {
                    d.label(item.loc, what);
                }
                d.anchors.push(Anchor { file: e.item.file, first_line: item.first_line, header_line: item.loc.line });
            }
        }
        if m.actors.persisted.iter().any(|p| p.actor == a.id) {
            d.notes.push("on upgrade this actor's state is rebuilt by replaying its journal and snapshots, whose types carry no version: a changed event or snapshot shape fails recovery".into());
        } else {
            d.notes.push("on upgrade this actor's state is dropped and rebuilt from its start arguments: nothing carries it across".into());
        }
        let version_target = if state_ty.is_some() { state_name.clone() } else { actor_name.clone() };
        d.help = Some(format!(
            "if the state is rebuilt on start by design, declare the actor ephemeral: `ephemeral = [\"{}\"]` in hotlint.toml, or `// hotlint: allow(actor-without-migration) -- <why>` above it; \
             otherwise version the state: `impl {} {{ const STATE_VERSION: u32 = 1; fn code_change(from: u32, old: …) -> Result<Self, …> {{ … }} }}`",
            a.id, version_target
        ));
        d.key = format!("no-migration:{}", a.id);
        out.push(d);
    }
    out
}
