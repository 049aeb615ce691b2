//! Stage: tracked types and shapes. Input: the index, actors, migrations and configuration.
//! Output: every [`Tracked`] type (a type whose values outlive the process, SPEC §1) with the
//! reasons it is tracked and its shape's closure: the workspace definitions reachable from it
//! through fields, variants, aliases and generic arguments, the external leaves, the opaque
//! parts, and the nested types that carry their own version (where the closure stops).
//! Invariant: the closure is bounded ([`MAX_CLOSURE`]); hitting the bound is reported, not hung.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::actors::{Actors, State};
use crate::config::Config;
use crate::index::{Index, ModId, TypeId};
use crate::ir::*;
use crate::migrations::{self, Migration};
use crate::resolve::{Ns, Res, Resolver};

/// At most this many workspace definitions in one tracked type's closure.
pub const MAX_CLOSURE: usize = 5_000;
/// Types nested deeper than this inside one field's type are not followed.
pub const MAX_TYPE_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The state of `actor`, read back (it derives or implements `Deserialize`).
    StateDeserialized { actor: String },
    /// The state of `actor`, which declares a versioned migration.
    StateVersioned { actor: String },
    /// Persisted by the framework (coerce snapshot or journal message of `actor`).
    Persisted { actor: String, kind: String },
    /// A message of a remote actor.
    Remote { actor: Option<String> },
    /// Declares a version through a migration convention.
    Versioned,
    /// Listed under `[[track]]`.
    Configured,
}

impl Reason {
    pub fn describe(&self) -> String {
        match self {
            Reason::StateDeserialized { actor } => format!("state of `{actor}`, read back with serde"),
            Reason::StateVersioned { actor } => format!("state of `{actor}`, which declares a migration"),
            Reason::Persisted { actor, kind } => format!("{kind} persisted by `{actor}`"),
            Reason::Remote { actor: Some(a) } => format!("remote message of `{a}`"),
            Reason::Remote { actor: None } => "remote message".into(),
            Reason::Versioned => "declares a version".into(),
            Reason::Configured => "listed under `[[track]]`".into(),
        }
    }
}

/// Why a type is tracked, in words, without repeating what a stronger reason already says.
pub fn reasons_text(t: &Tracked) -> String {
    let read_back = t.reasons.iter().any(|r| matches!(r, Reason::StateDeserialized { .. } | Reason::Persisted { .. }));
    t.reasons
        .iter()
        .filter(|r| !(read_back && matches!(r, Reason::StateVersioned { .. } | Reason::Versioned)))
        .map(|r| r.describe())
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Clone, Debug, Default)]
pub struct Closure {
    /// Workspace definitions in the shape (the root first, then sorted by path).
    pub types: Vec<TypeId>,
    /// External leaves by canonical path.
    pub externals: BTreeSet<String>,
    /// Nested types with their own version: checked on their own.
    pub boundaries: BTreeSet<TypeId>,
    /// Parts hotlint cannot see into: (what, why).
    pub opaque: BTreeSet<(String, String)>,
    pub unresolved: BTreeSet<String>,
    pub truncated: bool,
}

#[derive(Clone, Debug)]
pub struct Tracked {
    pub ty: TypeId,
    pub path: String,
    pub reasons: BTreeSet<Reason>,
    pub remote: bool,
    pub migration: Option<Migration>,
    pub closure: Closure,
    /// `[[track]]` settings, when configured.
    pub config_encoding: Option<String>,
    pub config_compat: Option<String>,
    pub config_version: Option<String>,
}

pub struct Tracker<'a> {
    pub index: &'a Index,
    pub res: &'a Resolver<'a>,
    pub migrations: &'a BTreeMap<TypeId, Migration>,
    pub impls: &'a BTreeMap<TypeId, Vec<usize>>,
}

/// Which types are tracked and why; with `shapes`, each one's closure (else left empty).
pub fn find(t: &Tracker<'_>, actors: &Actors, config: &Config, shapes: bool) -> BTreeMap<TypeId, Tracked> {
    let mut reasons: BTreeMap<TypeId, BTreeSet<Reason>> = BTreeMap::new();
    let mut remote: BTreeSet<TypeId> = BTreeSet::new();
    for a in actors.actors.iter().filter(|a| !a.test) {
        let state_ty = match a.state {
            State::SelfType(s) | State::Local { ty: s, .. } => Some(s),
            _ => None,
        };
        if let Some(s) = state_ty {
            if t.deserialized(s) {
                reasons.entry(s).or_default().insert(Reason::StateDeserialized { actor: a.id.clone() });
            }
            if t.migrations.contains_key(&s) || a.ty.is_some_and(|at| at != s && t.migrations.contains_key(&at)) {
                reasons.entry(s).or_default().insert(Reason::StateVersioned { actor: a.id.clone() });
            }
        }
        for m in a.messages.iter().filter(|m| m.remote) {
            if let Some(mt) = m.ty {
                reasons.entry(mt).or_default().insert(Reason::Remote { actor: Some(a.id.clone()) });
                remote.insert(mt);
            }
        }
    }
    for &mt in actors.remote_messages.keys() {
        if t.index.type_entry(mt).is_some_and(|e| !e.test) {
            reasons.entry(mt).or_default().insert(Reason::Remote { actor: None });
            remote.insert(mt);
        }
    }
    for p in &actors.persisted {
        reasons.entry(p.ty).or_default().insert(Reason::Persisted { actor: p.actor.clone(), kind: p.kind.to_string() });
    }
    for &ty in t.migrations.keys() {
        if t.index.type_entry(ty).is_some_and(|e| !e.test) {
            reasons.entry(ty).or_default().insert(Reason::Versioned);
        }
    }
    let mut configured: BTreeMap<TypeId, &crate::config::Track> = BTreeMap::new();
    for entry in &config.track {
        for &ty in t.index.type_by_path.get(&entry.value.ty).into_iter().flatten() {
            reasons.entry(ty).or_default().insert(Reason::Configured);
            configured.insert(ty, &entry.value);
        }
    }
    // Closures are computed side by side (on the current rayon pool), each thread with its own
    // resolver; the map is ordered by type whatever the order they finish in.
    use rayon::prelude::*;
    let reasons: Vec<(TypeId, BTreeSet<Reason>)> = reasons.into_iter().collect();
    reasons
        .into_par_iter()
        .map_init(
            || Resolver::new(t.index, t.res.aliases),
            |res, (ty, reasons)| {
                let t = Tracker { index: t.index, res, migrations: t.migrations, impls: t.impls };
                tracked(&t, ty, reasons, &remote, &configured, shapes)
            },
        )
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect()
}

/// One tracked type with its shape closure.
fn tracked(
    t: &Tracker<'_>,
    ty: TypeId,
    reasons: BTreeSet<Reason>,
    remote: &BTreeSet<TypeId>,
    configured: &BTreeMap<TypeId, &crate::config::Track>,
    shape: bool,
) -> Option<(TypeId, Tracked)> {
    let entry = t.index.type_entry(ty)?;
    let migration = t.migrations.get(&ty).cloned();
    let memory = configured.get(&ty).and_then(|c| c.encoding.as_deref()) == Some("memory");
    let cfg = configured.get(&ty);
    Some((
        ty,
        Tracked {
            ty,
            path: entry.path.clone(),
            reasons,
            remote: remote.contains(&ty),
            migration,
            closure: if shape { t.closure(ty, memory) } else { Closure::default() },
            config_encoding: cfg.and_then(|c| c.encoding.clone()),
            config_compat: cfg.and_then(|c| c.compat.clone()),
            config_version: cfg.and_then(|c| c.version.clone()),
        },
    ))
}

impl Tracker<'_> {
    /// The type derives `Deserialize` (directly or through `cfg_attr`) or implements it.
    pub fn deserialized(&self, ty: TypeId) -> bool {
        let Some(entry) = self.index.type_entry(ty) else { return false };
        let Some(item) = self.index.item(entry.item) else { return false };
        migrations::has_serde_derive(self.res, entry.module, &item.attrs, "Deserialize")
            || self.hand_written_serde(ty).is_some()
    }

    /// `impl Serialize for T` / `impl<'de> Deserialize<'de> for T` written by hand: the
    /// fingerprint of those impls' tokens.
    pub fn hand_written_serde(&self, ty: TypeId) -> Option<u64> {
        let mut fp = None;
        for &i in self.impls.get(&ty).into_iter().flatten() {
            let Some(imp) = self.index.impls.get(i) else { continue };
            let Some(Item { kind: ItemKind::Impl(def), .. }) = self.index.item(imp.item) else { continue };
            let Some(tp) = &def.trait_path else { continue };
            // serde's traits, and the `revision` crate's hand-written encodings.
            if !matches!(
                tp.last_name(),
                Some("Serialize" | "Deserialize" | "SerializeRevisioned" | "DeserializeRevisioned")
            ) {
                continue;
            }
            let r = self.res.resolve(imp.module, tp.global, &tp.name_refs(), &def.generics, Ns::Type);
            let serde = match &r {
                Res::Extern(_) | Res::ExternCandidates(_) => {
                    r.extern_paths().iter().any(|p| p.starts_with("serde") || p.starts_with("revision"))
                }
                _ => false,
            };
            if serde {
                let body = def.fns.iter().fold(0u64, |acc, f| acc.rotate_left(5) ^ f.body.fingerprint);
                fp = Some(fp.unwrap_or(0u64).rotate_left(3) ^ body);
            }
        }
        fp
    }

    /// Bytes written by a hand-written impl of another encoding's traits (ractor's
    /// `BytesConvertable`, minicbor's `Encode`/`Decode`, borsh's, bitcode's): the fingerprint of
    /// those impls' tokens and the trait's name.
    pub fn hand_written_encoding(&self, ty: TypeId) -> Option<(u64, String)> {
        let mut fp: Option<(u64, String)> = None;
        for &i in self.impls.get(&ty).into_iter().flatten() {
            let Some(imp) = self.index.impls.get(i) else { continue };
            let Some(Item { kind: ItemKind::Impl(def), .. }) = self.index.item(imp.item) else { continue };
            let Some(tp) = &def.trait_path else { continue };
            let Some(last) = tp.last_name() else { continue };
            if !matches!(last, "BytesConvertable" | "Encode" | "Decode" | "BorshSerialize" | "BorshDeserialize") {
                continue;
            }
            let r = self.res.resolve(imp.module, tp.global, &tp.name_refs(), &def.generics, Ns::Type);
            let known = r.extern_paths().iter().any(|p| {
                ["ractor", "ractor_cluster", "minicbor", "borsh", "bitcode"]
                    .iter()
                    .any(|c| p.starts_with(&format!("{c}::")))
            });
            if known {
                let body = def.fns.iter().fold(0u64, |acc, f| acc.rotate_left(5) ^ f.body.fingerprint);
                let (old, _) = fp.take().unwrap_or((0, String::new()));
                fp = Some((old.rotate_left(3) ^ body, last.to_string()));
            }
        }
        fp
    }

    /// The closure of `root`'s shape.
    pub fn closure(&self, root: TypeId, follow_skipped: bool) -> Closure {
        let mut c = Closure::default();
        let mut seen: BTreeSet<TypeId> = BTreeSet::new();
        let mut queue: VecDeque<TypeId> = VecDeque::from([root]);
        seen.insert(root);
        while let Some(t) = queue.pop_front() {
            if c.types.len() >= MAX_CLOSURE {
                c.truncated = true;
                break;
            }
            c.types.push(t);
            let Some(entry) = self.index.type_entry(t) else { continue };
            let Some(item) = self.index.item(entry.item) else { continue };
            if self.hand_written_serde(t).is_some() {
                c.opaque.insert((entry.path.clone(), "hand-written serde impl".into()));
                continue;
            }
            let mut next = Vec::new();
            match &item.kind {
                ItemKind::Alias(a) => self.walk_ty(entry.module, &a.ty, &a.generics, 0, &mut c, &mut next),
                ItemKind::Type(def) => {
                    let serialized = migrations::has_serde_derive(self.res, entry.module, &item.attrs, "Deserialize")
                        || migrations::has_serde_derive(self.res, entry.module, &item.attrs, "Serialize");
                    // `#[serde(from = "T")]`, `into`, `try_from`: the shape is the proxy's.
                    let proxy =
                        ["from", "try_from", "into"].iter().find_map(|k| migrations::serde_value(&item.attrs, k));
                    if let Some(proxy) = proxy {
                        if let Ok(pt) = syn::parse_str::<syn::Type>(&proxy) {
                            self.walk_ty(
                                entry.module,
                                &crate::parse::conv_ty(&pt, 0),
                                &def.generics,
                                0,
                                &mut c,
                                &mut next,
                            );
                        }
                    } else {
                        for f in def.all_fields() {
                            if serialized && !follow_skipped && field_skipped(&f.attrs) {
                                continue;
                            }
                            if ["with", "deserialize_with", "serialize_with"]
                                .iter()
                                .any(|k| migrations::serde_value(&f.attrs, k).is_some())
                                || f.attrs.iter().any(|a| a.is("serde_as"))
                            {
                                c.opaque.insert((
                                    format!("{}.{}", entry.path, f.name.clone().unwrap_or_default()),
                                    "field with a custom serde function".into(),
                                ));
                                continue;
                            }
                            self.walk_ty(entry.module, &f.ty, &def.generics, 0, &mut c, &mut next);
                        }
                    }
                }
                _ => {}
            }
            for n in next {
                if n != root && self.migrations.contains_key(&n) {
                    c.boundaries.insert(n);
                } else if seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
        let (first, rest) = c.types.split_first().map(|(f, r)| (*f, r.to_vec())).unwrap_or((root, Vec::new()));
        let mut rest = rest;
        rest.sort_by_key(|t| self.index.type_entry(*t).map(|e| e.path.clone()));
        c.types = std::iter::once(first).chain(rest).collect();
        c
    }

    fn walk_ty(
        &self,
        scope: ModId,
        ty: &Ty,
        generics: &[String],
        depth: usize,
        c: &mut Closure,
        next: &mut Vec<TypeId>,
    ) {
        if depth > MAX_TYPE_DEPTH {
            c.truncated = true;
            return;
        }
        match ty {
            Ty::Path(p) => {
                // Every definition the path may name: a `#[cfg]` variant of the type, or of a
                // `use`, glob or `mod` on the way to it (one arch's state beside another's), is
                // part of the shape.
                let mut handle = false;
                for v in self.res.resolve_ty_path_all(scope, p, generics) {
                    match v.res {
                        Res::Type(t) => next.push(t),
                        r @ (Res::Extern(_) | Res::ExternCandidates(_)) => {
                            let path = self.res.display(&r);
                            handle |= crate::profiles::is_actor_handle(&path);
                            c.externals.insert(path);
                        }
                        Res::MacroType(id) => {
                            let what = self.macro_name(id);
                            c.opaque.insert((p.names().join("::"), format!("defined by `{what}!`")));
                        }
                        Res::Unresolved if self.res.limit_reached() => {
                            // A resource limit, not "nothing there" (HL013 says which limits).
                            c.unresolved.insert(p.names().join("::"));
                            c.truncated = true;
                        }
                        Res::Unresolved => {
                            let name = p.names().join("::");
                            match self.macro_mentioning(scope, p.last_name().unwrap_or("")) {
                                Some(mac) => {
                                    c.opaque.insert((name, format!("generated by `{mac}!`")));
                                }
                                None => {
                                    c.unresolved.insert(name);
                                }
                            }
                        }
                        Res::Prim(_)
                        | Res::Param(_)
                        | Res::SelfType
                        | Res::Mod(_)
                        | Res::Trait(_)
                        | Res::Const(_)
                        | Res::Fn(_)
                        | Res::Macro(_) => {}
                    }
                }
                // An actor handle (`RemoteActorRef<Node>`) travels as an id: the actor it names
                // is not part of the data.
                for seg in p.segments.iter().filter(|_| !handle) {
                    for a in &seg.args {
                        self.walk_ty(scope, a, generics, depth + 1, c, next);
                    }
                }
            }
            Ty::Tuple(v) => v.iter().for_each(|t| self.walk_ty(scope, t, generics, depth + 1, c, next)),
            Ty::Array(t, _) | Ty::Slice(t) | Ty::Ref(t) | Ty::Ptr(t) => {
                self.walk_ty(scope, t, generics, depth + 1, c, next)
            }
            Ty::TraitObject(bounds) => {
                for b in bounds {
                    c.externals.insert(format!("dyn {}", b.names().join("::")));
                }
            }
            Ty::Macro(m) => {
                c.opaque.insert((m.clone(), "a type written as a macro".into()));
            }
            _ => {}
        }
    }

    fn macro_name(&self, id: crate::index::ItemId) -> String {
        match self.index.item(id).map(|i| &i.kind) {
            Some(ItemKind::Macro(m)) => m.path.join("::"),
            _ => "macro".into(),
        }
    }

    /// An item-level macro invocation in `scope` (or an `include!`) that may define `name`.
    fn macro_mentioning(&self, scope: ModId, name: &str) -> Option<String> {
        let module = self.index.module(scope)?;
        for &m in &module.macros {
            if let Some(Item { kind: ItemKind::Macro(mac), .. }) = self.index.item(m) {
                if mac.path.last().is_some_and(|p| p == "include") {
                    return Some("include".into());
                }
                if mac.mentioned.binary_search(&name.to_string()).is_ok() {
                    return Some(mac.path.join("::"));
                }
            }
        }
        None
    }
}

/// `#[serde(skip)]` / `skip_deserializing` / `skip_serializing` keep a field off the wire.
pub fn field_skipped(attrs: &[Attr]) -> bool {
    attrs
        .iter()
        .filter(|a| a.is("serde"))
        .flat_map(|a| a.list().iter())
        .any(|m| m.path == "skip" || m.path == "skip_deserializing")
}
