//! HL009 state-not-migratable: a field that takes part in a tracked type's encoding (every
//! field, for `memory` types) and holds something that points into the running process.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::encoding::Class;
use crate::findings::{Anchor, Draft};
use crate::index::ModId;
use crate::ir::*;
use crate::model::Model;
use crate::resolve::{Res, Resolver};

#[derive(Debug, Deserialize)]
struct Table {
    kind: Vec<Kind>,
}

#[derive(Debug, Deserialize)]
struct Kind {
    what: String,
    names: Vec<String>,
}

fn kinds() -> &'static [Kind] {
    static KINDS: OnceLock<Vec<Kind>> = OnceLock::new();
    KINDS.get_or_init(|| {
        toml::from_str::<Table>(include_str!("../../rules/not-migratable.toml")).map(|t| t.kind).unwrap_or_default()
    })
}

pub fn check(m: &Model) -> Vec<Draft> {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let mut seen: BTreeSet<Loc> = BTreeSet::new();
    let mut out = Vec::new();
    for (ty, t) in &m.tracked {
        let memory = m.encodings.get(ty).is_some_and(|e| e.class == Class::Memory);
        for &member in &t.closure.types {
            let Some(entry) = m.index.type_entry(member) else { continue };
            let Some(item) = m.index.item(entry.item) else { continue };
            let ItemKind::Type(def) = &item.kind else { continue };
            // A type with no serde derive is encoded by hand (or not at all): its fields are not
            // what goes on the wire.
            if !memory && !m.is_serialized(member) {
                continue;
            }
            let fields = def.all_fields();
            for f in fields {
                if !memory && crate::tracked::field_skipped(&f.attrs) {
                    continue;
                }
                let Some((shown, what)) = offending(&res, entry.module, &f.ty, &def.generics, 0) else { continue };
                if !seen.insert(f.loc) {
                    continue;
                }
                let field = f.name.clone().unwrap_or_else(|| "0".into());
                let mut d = Draft::new(format!(
                    "field `{field}` of `{}` holds `{shown}` ({what}), which cannot be carried across an upgrade",
                    entry.name
                ));
                d.package = m.package_of_file(f.loc.file);
                d.primary(f.loc, "this field");
                d.anchors.push(Anchor { file: f.loc.file, first_line: f.loc.line, header_line: f.loc.line });
                d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
                d.ty = Some(t.path.clone());
                d.notes.push(if memory {
                    format!(
                        "`{}` is carried in memory across a reload (`memory` encoding): every field is part of it",
                        t.path
                    )
                } else {
                    format!("`{}` is read back after an upgrade, and this field is part of its encoding", t.path)
                });
                d.help = Some(if memory {
                    "keep only data in state that outlives a reload: store what the value is rebuilt from, and recreate it after the reload".into()
                } else {
                    "mark the field `#[serde(skip)]` and recreate it on start (keep the data it is built from in the state)".into()
                });
                d.key = format!("not-migratable:{}:{field}", entry.path);
                out.push(d);
            }
        }
    }
    out
}

/// The first part of `ty` that cannot migrate: (as written, why).
fn offending(res: &Resolver<'_>, scope: ModId, ty: &Ty, generics: &[String], depth: usize) -> Option<(String, String)> {
    if depth > 32 {
        return None;
    }
    let shown = || crate::actors::written(ty);
    match ty {
        Ty::FnPtr(_) => Some((shown(), "a function pointer".into())),
        Ty::Ptr(_) => Some((shown(), "a raw pointer".into())),
        Ty::ImplTrait(s) if s.contains("Fn") => Some((shown(), "a closure".into())),
        Ty::TraitObject(bounds) if bounds.iter().any(|b| matches!(b.last_name(), Some("Fn" | "FnMut" | "FnOnce"))) => {
            Some((shown(), "a closure".into()))
        }
        Ty::Path(p) => {
            if let Some(last) = p.last_name() {
                if let Some(kind) = kinds().iter().find(|k| k.names.iter().any(|n| n == last)) {
                    let r = res.resolve_ty_path(scope, p, generics);
                    if matches!(r, Res::Extern(_) | Res::ExternCandidates(_) | Res::Unresolved) {
                        let path = match &r {
                            Res::Unresolved => shown(),
                            other => crate::actors::with_args(&res.display(other), ty),
                        };
                        return Some((path, kind.what.clone()));
                    }
                }
            }
            p.segments.iter().flat_map(|s| s.args.iter()).find_map(|a| offending(res, scope, a, generics, depth + 1))
        }
        Ty::Tuple(v) => v.iter().find_map(|t| offending(res, scope, t, generics, depth + 1)),
        Ty::Array(t, _) | Ty::Slice(t) | Ty::Ref(t) => offending(res, scope, t, generics, depth + 1),
        _ => None,
    }
}
