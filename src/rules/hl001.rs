//! HL001 actor-without-migration: an actor whose state has data and no versioned migration.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::actors::State;
use crate::findings::{Anchor, Draft};
use crate::index::{ModId, TypeId};
use crate::ir::*;
use crate::model::Model;
use crate::resolve::{Res, Resolver};

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

/// `rules/rebuilt-on-start.toml`: what an actor's state rebuilds on start.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RebuiltOnStart {
    wrappers: Vec<String>,
    nothing: Vec<String>,
    kind: Vec<HandleKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandleKind {
    what: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    suffixes: Vec<String>,
    /// The kind also covers workspace types of such a name (configuration).
    #[serde(default)]
    workspace: bool,
}

pub const REBUILT_ON_START: &str = include_str!("../../rules/rebuilt-on-start.toml");

fn rebuilt_on_start() -> &'static RebuiltOnStart {
    static TABLE: OnceLock<RebuiltOnStart> = OnceLock::new();
    TABLE.get_or_init(|| toml::from_str(REBUILT_ON_START).unwrap_or_default())
}

impl HandleKind {
    fn matches(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name) || self.suffixes.iter().any(|s| name.ends_with(s.as_str()))
    }
}

/// The list as Markdown, for `explain HL001`: what counts as rebuilt on start.
pub fn rebuilt_on_start_markdown() -> String {
    let t = rebuilt_on_start();
    let mut s = String::from("| kind | type names (last path segment) | name endings |\n|---|---|---|\n");
    for k in &t.kind {
        let names = k.names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        let suffixes = k.suffixes.iter().map(|n| format!("`…{n}`")).collect::<Vec<_>>().join(", ");
        let what = if k.workspace { format!("{} (workspace types too)", k.what) } else { k.what.clone() };
        s.push_str(&format!("| {what} | {names} | {suffixes} |\n"));
    }
    s.push_str(&format!(
        "\nLooked through: {}. Holding nothing: {}. Closures, function pointers and trait objects are behaviour; a workspace struct made only of these is one too.\n",
        t.wrappers.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        t.nothing.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    ));
    s
}

/// Actors (not test-only) with a state that has fields, no migration, and only handles in it:
/// HL001 does not report them; the summary counts them.
pub fn handle_only_actors(m: &Model) -> usize {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let judge = Judge { m, res: &res };
    m.actors
        .actors
        .iter()
        .filter(|a| !a.test && m.migration_of_actor(a).is_none())
        .filter(|a| match &a.state {
            State::SelfType(t) | State::Local { ty: t, .. } => data_fields(m, *t).unwrap_or(1) > 0,
            State::Unit => false,
            _ => true,
        })
        .filter(|a| !judge.state_holds_data(&a.state))
        .count()
}

/// Whether an actor's state holds data: at least one field that is not a handle, resource or
/// configuration rebuilt on start (`rules/rebuilt-on-start.toml`). A state that cannot be seen
/// (external, unresolved) holds data: HL001 is never dropped on a guess.
pub fn state_holds_data(m: &Model, state: &State) -> bool {
    let res = Resolver::new(&m.index, &m.config.aliases);
    Judge { m, res: &res }.state_holds_data(state)
}

struct Judge<'a> {
    m: &'a Model,
    res: &'a Resolver<'a>,
}

impl Judge<'_> {
    /// [`state_holds_data`], with one resolver (and its answers) shared by every actor.
    fn state_holds_data(&self, state: &State) -> bool {
        match state {
            State::SelfType(t) | State::Local { ty: t, .. } => self.type_holds_data(*t, &mut Vec::new()),
            State::Unit => false,
            State::Other { display } => {
                // An external state type, as resolved: `ractor::ActorRef<…>`, `JoinHandle<()>`.
                let head = display.split('<').next().unwrap_or(display);
                let last = head.rsplit("::").next().unwrap_or(head).trim();
                !rebuilt_on_start().kind.iter().any(|k| k.matches(last))
            }
            State::Unknown { .. } => true,
        }
    }

    /// A workspace type holds data when one of its fields does. An enum with a variant that
    /// carries nothing holds data when it has several variants (which variant it is, `Idle` or
    /// `Running(…)`, is the state); an enum whose every variant carries only handles is a handle
    /// (`enum Conn { Single(Client), Cluster(ClusterClient) }`: which kind is configuration).
    fn type_holds_data(&self, t: TypeId, seen: &mut Vec<TypeId>) -> bool {
        if seen.contains(&t) || seen.len() > 8 {
            return true;
        }
        let Some(e) = self.m.index.type_entry(t) else { return true };
        let Some(item) = self.m.index.item(e.item) else { return true };
        match &item.kind {
            ItemKind::Type(def) => {
                if def.kind == TypeKind::Enum
                    && def.variants.len() > 1
                    && def.variants.iter().any(|v| v.fields.is_empty())
                {
                    return true;
                }
                seen.push(t);
                let data = def.all_fields().any(|f| self.ty_holds_data(e.module, &f.ty, &def.generics, seen, 0));
                seen.pop();
                data
            }
            ItemKind::Alias(a) => {
                seen.push(t);
                let data = self.ty_holds_data(e.module, &a.ty, &a.generics, seen, 0);
                seen.pop();
                data
            }
            _ => true,
        }
    }

    fn ty_holds_data(&self, scope: ModId, ty: &Ty, generics: &[String], seen: &mut Vec<TypeId>, depth: usize) -> bool {
        if depth > 16 {
            return true;
        }
        let table = rebuilt_on_start();
        match ty {
            // Behaviour, not data.
            Ty::FnPtr(_) | Ty::ImplTrait(_) | Ty::TraitObject(_) => false,
            Ty::Tuple(v) => v.iter().any(|t| self.ty_holds_data(scope, t, generics, seen, depth + 1)),
            Ty::Path(p) => {
                let Some(last) = p.last_name() else { return true };
                let args: Vec<&Ty> = p.segments.last().map(|s| s.args.iter().collect()).unwrap_or_default();
                match self.res.resolve_ty_path(scope, p, generics) {
                    Res::Type(t) => {
                        if table.kind.iter().any(|k| k.workspace && k.matches(last)) {
                            return false;
                        }
                        self.type_holds_data(t, seen)
                    }
                    Res::Prim(_) | Res::Param(_) => true,
                    _ => {
                        if table.nothing.iter().any(|n| n == last) || table.kind.iter().any(|k| k.matches(last)) {
                            return false;
                        }
                        if table.wrappers.iter().any(|w| w == last) && !args.is_empty() {
                            // A map's keys name what its values reach: the values decide.
                            let judged: Vec<&Ty> = if matches!(last, "HashMap" | "BTreeMap" | "IndexMap" | "DashMap") {
                                args.last().copied().into_iter().collect()
                            } else {
                                args
                            };
                            return judged.iter().any(|a| self.ty_holds_data(scope, a, generics, seen, depth + 1));
                        }
                        true
                    }
                }
            }
            Ty::Array(t, _) | Ty::Slice(t) | Ty::Ref(t) => self.ty_holds_data(scope, t, generics, seen, depth + 1),
            _ => true,
        }
    }
}

pub fn hl001_actor_without_migration(m: &Model) -> Vec<Draft> {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let judge = Judge { m, res: &res };
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
        // State made only of handles, resources and configuration is rebuilt on start by
        // design: counted in the summary, not reported.
        if !judge.state_holds_data(&a.state) {
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_rebuilt_on_start_table_parses() {
        let t: super::RebuiltOnStart = toml::from_str(super::REBUILT_ON_START).unwrap_or_default();
        assert!(t.kind.iter().any(|k| k.names.iter().any(|n| n == "ActorRef")));
        assert!(t.wrappers.iter().any(|w| w == "Arc") && t.nothing.iter().any(|n| n == "PhantomData"));
    }
}
