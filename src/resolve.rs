//! Name resolution over the [`Index`]: what a path in a given module means, as rustc would take
//! it (2018+ uniform paths): local items, then `use` imports, then glob imports, then the extern
//! prelude, the standard prelude and primitive types. `self`/`super`/`crate`, renames, chains of
//! `pub use` and globs are followed, with cycle detection. External paths come back canonical:
//! renamed dependencies resolved, `core`/`alloc` as `std`, configured re-export aliases applied.
//! Invariant: resolution never fails, it answers `Unresolved`; it is a function of the index and
//! the aliases, except inside a cycle of glob imports, where a glob's target worked out while the
//! cycle guard cut a lookup short is kept by that resolver for its later answers (README, Known
//! limits). Resolvers therefore keep their answers to themselves.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::index::{Def, ExternRef, Index, ItemId, ModId, ModKind, TypeId};
use crate::ir::{Ty, TyPath, UseEntry};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    Type(TypeId),
    Trait(ItemId),
    Const(ItemId),
    Fn(ItemId),
    Mod(ModId),
    MacroType(ItemId),
    /// An external item by canonical path (`ractor::Actor`, `std::collections::HashMap`).
    Extern(Vec<String>),
    /// One of several external paths, from glob imports of external crates.
    ExternCandidates(Vec<Vec<String>>),
    Prim(String),
    /// A generic parameter of the enclosing item.
    Param(String),
    SelfType,
    Unresolved,
}

impl Res {
    /// Every external path this may be.
    pub fn extern_paths(&self) -> Vec<String> {
        match self {
            Res::Extern(p) => vec![p.join("::")],
            Res::ExternCandidates(c) => c.iter().map(|p| p.join("::")).collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Ns {
    Type,
    Value,
}

pub struct Resolver<'a> {
    pub index: &'a Index,
    /// `[frameworks] aliases`: external path prefix → what it re-exports.
    pub aliases: &'a BTreeMap<String, String>,
    /// What each glob import names (module, index in its `globs`), once resolved: a name looked
    /// up through a module with a thousand globs (web-sys's `features`) must not resolve those
    /// thousand paths again for every name, or for every glob they lead to.
    globs: RefCell<FxHashMap<(ModId, usize), Res>>,
    /// Answers of [`Resolver::resolve`]: the same few names (`String`, `u64`, `Vec`, a module's
    /// own types) are asked in every module again and again. Kept per resolver, not shared: an
    /// answer worked out inside a cycle of glob imports (cut short by the cycle guard) can differ
    /// from a fresh one, and a shared cache made that depend on which thread asked first.
    answers: RefCell<FxHashMap<u64, Vec<(Query, Res)>>>,
    /// Module lookups made by the current [`Resolver::resolve`]: modules that glob-import each
    /// other all round make the paths through them exponential; past [`MAX_LOOKUPS`] the
    /// resolution gives up (unresolved) instead of hanging.
    lookups: std::cell::Cell<usize>,
}

/// The (module, name) lookups in progress in one resolution: a cycle of globs or re-exports
/// comes back to one of them.
pub type Visited<'n> = FxHashSet<(ModId, &'n str)>;

/// Module lookups one resolution may make (ordinary code needs a few dozen).
pub const MAX_LOOKUPS: usize = 20_000;

/// A [`Resolver::resolve`] question, as its cache keeps it.
#[derive(PartialEq, Eq, Hash)]
struct Query {
    scope: ModId,
    global: bool,
    ns: Ns,
    segs: Vec<String>,
}

const PRIMITIVES: &[&str] = &[
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    "f32", "f64",
];

fn std_prelude(name: &str) -> Option<&'static str> {
    Some(match name {
        "Option" => "std::option::Option",
        "Some" => "std::option::Option::Some",
        "None" => "std::option::Option::None",
        "Result" => "std::result::Result",
        "Ok" => "std::result::Result::Ok",
        "Err" => "std::result::Result::Err",
        "Vec" => "std::vec::Vec",
        "String" => "std::string::String",
        "Box" => "std::boxed::Box",
        "ToString" => "std::string::ToString",
        "ToOwned" => "std::borrow::ToOwned",
        "Clone" => "std::clone::Clone",
        "Copy" => "std::marker::Copy",
        "Send" => "std::marker::Send",
        "Sync" => "std::marker::Sync",
        "Sized" => "std::marker::Sized",
        "Unpin" => "std::marker::Unpin",
        "Default" => "std::default::Default",
        "Drop" => "std::ops::Drop",
        "Fn" => "std::ops::Fn",
        "FnMut" => "std::ops::FnMut",
        "FnOnce" => "std::ops::FnOnce",
        "From" => "std::convert::From",
        "Into" => "std::convert::Into",
        "TryFrom" => "std::convert::TryFrom",
        "TryInto" => "std::convert::TryInto",
        "AsRef" => "std::convert::AsRef",
        "AsMut" => "std::convert::AsMut",
        "Iterator" => "std::iter::Iterator",
        "IntoIterator" => "std::iter::IntoIterator",
        "Extend" => "std::iter::Extend",
        "PartialEq" => "std::cmp::PartialEq",
        "Eq" => "std::cmp::Eq",
        "PartialOrd" => "std::cmp::PartialOrd",
        "Ord" => "std::cmp::Ord",
        "Debug" => "std::fmt::Debug",
        "Hash" => "std::hash::Hash",
        _ => return None,
    })
}

impl<'a> Resolver<'a> {
    pub fn new(index: &'a Index, aliases: &'a BTreeMap<String, String>) -> Self {
        Resolver {
            index,
            aliases,
            globs: RefCell::new(FxHashMap::default()),
            answers: RefCell::new(FxHashMap::default()),
            lookups: std::cell::Cell::new(0),
        }
    }

    /// Resolve a type path written in module `scope` of an item with `generics`.
    pub fn resolve_ty_path(&self, scope: ModId, path: &TyPath, generics: &[String]) -> Res {
        if path.qself.is_some() {
            return Res::Unresolved;
        }
        // The names borrowed, not copied: most resolutions are answered from the cache.
        self.resolve(scope, path.global, &path.name_refs(), generics, Ns::Type)
    }

    /// Resolve `segs` written in module `scope`.
    pub fn resolve<S: AsRef<str>>(&self, scope: ModId, global: bool, segs: &[S], generics: &[String], ns: Ns) -> Res {
        let Some((first, rest)) = segs.split_first() else { return Res::Unresolved };
        let first = first.as_ref();
        if !global && rest.is_empty() && generics.iter().any(|g| g == first) {
            return Res::Param(first.to_string());
        }
        let key = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            (scope, global, ns).hash(&mut h);
            for s in segs {
                s.as_ref().hash(&mut h);
            }
            h.finish()
        };
        let same = |q: &Query| {
            q.scope == scope
                && q.global == global
                && q.ns == ns
                && q.segs.len() == segs.len()
                && q.segs.iter().zip(segs).all(|(a, b)| a == b.as_ref())
        };
        if let Some(hit) = self.answers.borrow().get(&key).and_then(|v| v.iter().find(|(q, _)| same(q))) {
            return hit.1.clone();
        }
        let rest: Vec<String> = rest.iter().map(|s| s.as_ref().to_string()).collect();
        let res = self.resolve_uncached(scope, global, first, &rest, ns);
        let query = Query { scope, global, ns, segs: segs.iter().map(|s| s.as_ref().to_string()).collect() };
        self.answers.borrow_mut().entry(key).or_default().push((query, res.clone()));
        res
    }

    fn resolve_uncached(&self, scope: ModId, global: bool, first: &str, rest: &[String], ns: Ns) -> Res {
        self.lookups.set(0);
        let mut visited = FxHashSet::default();
        let first_ns = if rest.is_empty() { ns } else { Ns::Type };
        let mut cur = if global {
            self.extern_crate(scope, first).unwrap_or_else(|| Res::Extern(vec![first.to_string()]))
        } else {
            match first {
                "Self" if rest.is_empty() => return Res::SelfType,
                "Self" => return Res::Unresolved,
                "crate" => self.crate_root(scope),
                "self" => Res::Mod(self.index.nearest_module(scope)),
                "super" => self.parent_of(self.index.nearest_module(scope)),
                _ => self.lookup_lexical(scope, first, first_ns, rest.is_empty(), &mut visited),
            }
        };
        for (i, seg) in rest.iter().enumerate() {
            let seg_ns = if i + 1 == rest.len() { ns } else { Ns::Type };
            cur = self.step(cur, seg, seg_ns, &mut visited);
            if cur == Res::Unresolved {
                return cur;
            }
        }
        self.canonical(cur)
    }

    fn crate_root(&self, scope: ModId) -> Res {
        match self.index.krate_of(scope) {
            Some(c) => Res::Mod(c.root),
            None => Res::Unresolved,
        }
    }

    fn parent_of(&self, m: ModId) -> Res {
        match self.index.module(m).and_then(|md| md.parent) {
            Some(p) => Res::Mod(self.index.nearest_module(p)),
            None => Res::Unresolved,
        }
    }

    fn extern_crate(&self, scope: ModId, name: &str) -> Option<Res> {
        let krate = self.index.krate_of(scope)?;
        match krate.externs.get(name) {
            Some(ExternRef::Workspace(c)) => self.index.crates.get(*c as usize).map(|c| Res::Mod(c.root)),
            Some(ExternRef::External(real)) => Some(Res::Extern(vec![real.clone()])),
            None => match name {
                "std" | "core" | "alloc" => Some(Res::Extern(vec![name.to_string()])),
                _ => None,
            },
        }
    }

    /// The first segment of a relative path: the scope chain, then the preludes.
    fn lookup_lexical<'n>(&self, scope: ModId, name: &'n str, ns: Ns, last: bool, visited: &mut Visited<'n>) -> Res
    where
        'a: 'n,
    {
        let mut m = scope;
        let mut guard = 0;
        let mut externs = Vec::new();
        loop {
            if let Some(r) = self.lookup_definite(m, name, ns, visited, &mut externs) {
                // `use foo::foo;` imports an item (often a macro) named like its crate; a path
                // that goes on (`foo::foo`) starts from the crate, as rustc's type namespace has it.
                if let Res::Extern(p) = &r {
                    if !last && p.len() >= 2 && p.last().is_some_and(|l| l == name) {
                        if let Some(krate) = self.extern_crate(scope, name) {
                            return krate;
                        }
                    }
                }
                return r;
            }
            let Some(module) = self.index.module(m) else { break };
            match (module.kind, module.parent) {
                (ModKind::FnScope, Some(p)) if guard < 256 => {
                    m = p;
                    guard += 1;
                }
                _ => break,
            }
        }
        // A dependency or a prelude name wins over what an external glob *might* export: hotlint
        // cannot see into external crates, and real code cannot be ambiguous between the two.
        if let Some(r) = self.extern_crate(scope, name) {
            return r;
        }
        if ns == Ns::Type && PRIMITIVES.contains(&name) {
            return Res::Prim(name.to_string());
        }
        if let Some(p) = std_prelude(name) {
            return Res::Extern(p.split("::").map(str::to_string).collect());
        }
        if let Some(r) = candidates(externs) {
            return r;
        }
        if !last {
            // A crate we were not told about (no manifest entry, or a crate hotlint does not
            // know): read the path as external, the way the compiler would need it to be.
            return Res::Extern(vec![name.to_string()]);
        }
        Res::Unresolved
    }

    /// What `name` means inside module `m` (its items, imports and globs), external glob
    /// candidates included.
    pub fn lookup_in_module<'n>(&self, m: ModId, name: &'n str, ns: Ns, visited: &mut Visited<'n>) -> Option<Res>
    where
        'a: 'n,
    {
        let mut externs = Vec::new();
        if let Some(r) = self.lookup_definite(m, name, ns, visited, &mut externs) {
            return Some(r);
        }
        candidates(externs)
    }

    /// Items, imports and workspace globs of `m`; what external globs may bring is pushed to
    /// `externs` instead (the caller decides whether a crate or prelude name wins over them).
    fn lookup_definite<'n>(
        &self,
        m: ModId,
        name: &'n str,
        ns: Ns,
        visited: &mut Visited<'n>,
        externs: &mut Vec<Vec<String>>,
    ) -> Option<Res>
    where
        'a: 'n,
    {
        // `visited` guards the lookups in progress (a cycle of globs or re-exports), not the ones
        // already answered: the same (module, name) may be asked again on another path.
        self.lookups.set(self.lookups.get() + 1);
        let key = (m, name);
        if self.lookups.get() > MAX_LOOKUPS || visited.len() > 256 || !visited.insert(key) {
            return None;
        }
        let r = self.lookup_definite_inner(m, name, ns, visited, externs);
        visited.remove(&key);
        r
    }

    fn lookup_definite_inner<'n>(
        &self,
        m: ModId,
        name: &'n str,
        ns: Ns,
        visited: &mut Visited<'n>,
        externs: &mut Vec<Vec<String>>,
    ) -> Option<Res>
    where
        'a: 'n,
    {
        let module = self.index.module(m)?;
        if let Some(defs) = module.names.get(name) {
            // A function or constant never names a module or type: in the type namespace only
            // types, traits, modules and macro-declared types count.
            let pick =
                defs.iter().find(|d| ns_of(d) == ns).or_else(|| if ns == Ns::Value { defs.first() } else { None });
            if let Some(d) = pick {
                return Some(def_res(*d));
            }
        }
        for imp in &module.imports {
            if imp.alias.as_deref() == Some(name) {
                let r = self.resolve_use(m, imp, ns, visited);
                if r != Res::Unresolved {
                    return Some(r);
                }
            }
        }
        for (g, glob) in module.globs.iter().enumerate() {
            let cached = self.globs.borrow().get(&(m, g)).cloned();
            let target = match cached {
                Some(r) => r,
                None => {
                    let r = self.resolve_use(m, glob, Ns::Type, visited);
                    // Only what resolved: an answer cut short by a cycle guard is not final.
                    if r != Res::Unresolved {
                        self.globs.borrow_mut().insert((m, g), r.clone());
                    }
                    r
                }
            };
            match target {
                Res::Mod(gm) if gm != m => {
                    if let Some(r) = self.lookup_definite(gm, name, ns, visited, externs) {
                        return Some(r);
                    }
                }
                Res::Extern(p) => {
                    // Many globs of one external module (`wasm_bindgen::prelude::*` in every
                    // file) offer the same candidate: keep one.
                    let same = |e: &Vec<String>| {
                        e.len() == p.len() + 1 && e.starts_with(&p) && e.last().is_some_and(|l| l == name)
                    };
                    if !externs.iter().any(same) {
                        let mut p = p;
                        p.push(name.to_string());
                        externs.push(p);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Resolve a `use` entry's path (the target module of a glob, the item of a named import).
    fn resolve_use<'n>(&self, m: ModId, entry: &'n UseEntry, ns: Ns, visited: &mut Visited<'n>) -> Res
    where
        'a: 'n,
    {
        let Some((first, rest)) = entry.path.split_first() else { return Res::Unresolved };
        let first_ns = if rest.is_empty() { ns } else { Ns::Type };
        let mut cur = if entry.global {
            self.extern_crate(m, first).unwrap_or_else(|| Res::Extern(vec![first.clone()]))
        } else {
            match first.as_str() {
                "crate" => self.crate_root(m),
                "self" => Res::Mod(self.index.nearest_module(m)),
                "super" => self.parent_of(self.index.nearest_module(m)),
                _ => {
                    // A use path starts from the module's own names (not its other imports of
                    // the same name, which would be a cycle), then the extern prelude.
                    let own = self
                        .index
                        .module(m)
                        .and_then(|md| md.names.get(first))
                        .and_then(|d| d.first())
                        .map(|d| def_res(*d));
                    match own {
                        Some(r) => r,
                        // Imports and globs of the module, then the extern prelude (`use x::…`
                        // where `x` is nothing local names an extern crate).
                        None => self.lookup_lexical(m, first, first_ns, false, visited),
                    }
                }
            }
        };
        for (i, seg) in rest.iter().enumerate() {
            let seg_ns = if i + 1 == rest.len() { ns } else { Ns::Type };
            cur = self.step(cur, seg, seg_ns, visited);
            if cur == Res::Unresolved {
                break;
            }
        }
        cur
    }

    fn step<'n>(&self, cur: Res, seg: &'n str, ns: Ns, visited: &mut Visited<'n>) -> Res
    where
        'a: 'n,
    {
        match cur {
            Res::Mod(m) => match seg {
                "super" => self.parent_of(m),
                "self" => Res::Mod(m),
                _ => self.lookup_in_module(m, seg, ns, visited).unwrap_or_else(|| {
                    // Not an item hotlint can see (a proc macro of a workspace crate, an item a
                    // macro generates): name it by its path, as an external item would be.
                    let mut p: Vec<String> = self.index.module_path(m).split("::").map(str::to_string).collect();
                    p.push(seg.to_string());
                    Res::Extern(p)
                }),
            },
            Res::Extern(mut p) => {
                p.push(seg.to_string());
                self.follow_alias(p)
            }
            Res::ExternCandidates(c) => Res::ExternCandidates(
                c.into_iter()
                    .map(|mut p| {
                        p.push(seg.to_string());
                        p
                    })
                    .collect(),
            ),
            _ => Res::Unresolved,
        }
    }

    fn follow_alias(&self, p: Vec<String>) -> Res {
        if self.aliases.is_empty() {
            return Res::Extern(p);
        }
        for (from, to) in self.aliases {
            let from: Vec<&str> = from.split("::").collect();
            if p.len() >= from.len() && p.iter().zip(&from).all(|(a, b)| a == b) {
                let mut out: Vec<String> = to.split("::").map(str::to_string).collect();
                out.extend(p.iter().skip(from.len()).cloned());
                return Res::Extern(out);
            }
        }
        Res::Extern(p)
    }

    fn canonical(&self, r: Res) -> Res {
        let fix = |mut p: Vec<String>| {
            if let Some(first) = p.first_mut() {
                if first == "core" || first == "alloc" {
                    *first = "std".to_string();
                }
            }
            p
        };
        match r {
            Res::Extern(p) => match self.follow_alias(fix(p)) {
                Res::Extern(p) => Res::Extern(p),
                other => other,
            },
            Res::ExternCandidates(c) => Res::ExternCandidates(c.into_iter().map(fix).collect()),
            other => other,
        }
    }

    /// Resolve the path of a type, or return `None` if it is not a path.
    pub fn resolve_ty(&self, scope: ModId, ty: &Ty, generics: &[String]) -> Option<Res> {
        match ty {
            Ty::Path(p) => Some(self.resolve_ty_path(scope, p, generics)),
            _ => None,
        }
    }

    /// Canonical display of a resolution (`my_crate::m::T`, `std::vec::Vec`, `u32`).
    pub fn display(&self, r: &Res) -> String {
        match r {
            Res::Type(t) => self.index.type_entry(*t).map(|e| e.path.clone()).unwrap_or_default(),
            Res::Mod(m) => self.index.module_path(*m),
            Res::Extern(p) => p.join("::"),
            Res::ExternCandidates(c) => c.first().map(|p| p.join("::")).unwrap_or_default(),
            Res::Prim(p) | Res::Param(p) => p.clone(),
            Res::SelfType => "Self".into(),
            Res::Trait(i) | Res::Const(i) | Res::Fn(i) | Res::MacroType(i) => {
                self.index.item(*i).map(item_name).unwrap_or_default()
            }
            Res::Unresolved => "?".into(),
        }
    }
}

fn candidates(mut externs: Vec<Vec<String>>) -> Option<Res> {
    externs.sort();
    externs.dedup();
    match externs.len() {
        0 => None,
        1 => externs.pop().map(Res::Extern),
        _ => Some(Res::ExternCandidates(externs)),
    }
}

fn item_name(item: &crate::ir::Item) -> String {
    use crate::ir::ItemKind as K;
    match &item.kind {
        K::Trait(t) => t.name.clone(),
        K::Const(c) => c.name.clone(),
        K::Fn(f) => f.name.clone(),
        _ => String::new(),
    }
}

fn def_res(d: Def) -> Res {
    match d {
        Def::Type(t) => Res::Type(t),
        Def::Trait(i) => Res::Trait(i),
        Def::Const(i) => Res::Const(i),
        Def::Fn(i) => Res::Fn(i),
        Def::Mod(m) => Res::Mod(m),
        Def::MacroType(i) => Res::MacroType(i),
    }
}

fn ns_of(d: &Def) -> Ns {
    match d {
        Def::Const(_) | Def::Fn(_) => Ns::Value,
        _ => Ns::Type,
    }
}
