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
    /// A macro of the workspace (`macro_rules!` or a proc macro), in the macro namespace.
    Macro(ItemId),
    /// An external item by canonical path (`ractor::Actor`, `std::collections::HashMap`).
    Extern(Vec<String>),
    /// One of several external paths, from glob imports of external crates, or from imports of
    /// one name from several external crates (a derive macro and a trait both called `Actor`:
    /// hotlint cannot see which namespace an external item lives in).
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

    /// The namespace the answer lives in; `None` for an external item (hotlint cannot see
    /// whether `some_crate::Actor` is a trait or a derive macro) and for no answer.
    pub fn namespace(&self) -> Option<Ns> {
        match self {
            Res::Type(_)
            | Res::Trait(_)
            | Res::Mod(_)
            | Res::MacroType(_)
            | Res::Prim(_)
            | Res::Param(_)
            | Res::SelfType => Some(Ns::Type),
            Res::Const(_) | Res::Fn(_) => Some(Ns::Value),
            Res::Macro(_) => Some(Ns::Macro),
            Res::Extern(_) | Res::ExternCandidates(_) | Res::Unresolved => None,
        }
    }
}

/// Rust's namespaces: a module may hold a type, a value and a macro of one name (a trait `Actor`
/// and a derive macro `Actor` re-exported side by side by a prelude). Trait and type positions
/// ask the type namespace, derives and attribute macros the macro namespace, calls and constants
/// the value namespace; a `use` imports its name into every namespace where it exists.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Ns {
    Type,
    Value,
    Macro,
}

/// Whether a definition of namespace `found` answers a question asked in `asked`: a unit or
/// tuple struct is also a value (its constructor), as `Actor::spawn(None, Child, ())` passes it.
fn answers(asked: Ns, found: Ns) -> bool {
    asked == found || (asked == Ns::Value && found == Ns::Type)
}

/// One definition a path may name, with the `#[cfg(…)]` predicates met on the way to it: on the
/// `use` items followed, the `mod` items entered and the definition itself. All of them hold
/// where the path names this definition; an empty list means unconditionally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub res: Res,
    pub cfg: Vec<String>,
}

/// One answer (the first found, as rustc's default configuration would mostly take it) or every
/// answer across `#[cfg]` variants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Mode {
    First,
    All,
}

pub struct Resolver<'a> {
    pub index: &'a Index,
    /// `[frameworks] aliases`: external path prefix → what it re-exports.
    pub aliases: &'a BTreeMap<String, String>,
    /// What each glob import names (module, index in its `globs`), once resolved: a name looked
    /// up through a module with a thousand globs (web-sys's `features`) must not resolve those
    /// thousand paths again for every name, or for every glob they lead to.
    globs: RefCell<FxHashMap<(ModId, usize), Res>>,
    /// The same for [`Resolver::resolve_all`]: every module a glob may name, with its predicates.
    globs_all: RefCell<FxHashMap<(ModId, usize), Vec<Variant>>>,
    /// Answers of [`Resolver::resolve`]: the same few names (`String`, `u64`, `Vec`, a module's
    /// own types) are asked in every module again and again. Kept per resolver, not shared: an
    /// answer worked out inside a cycle of glob imports (cut short by the cycle guard) can differ
    /// from a fresh one, and a shared cache made that depend on which thread asked first.
    answers: RefCell<Answers>,
    /// Answers of [`Resolver::resolve_all`].
    answers_all: RefCell<AllAnswers>,
    /// Module lookups made by the current [`Resolver::resolve`]: modules that glob-import each
    /// other all round make the paths through them exponential; past [`MAX_LOOKUPS`] the
    /// resolution gives up (unresolved) instead of hanging.
    lookups: std::cell::Cell<usize>,
    /// Answers of one (module, name) lookup that no guard cut short (no cycle met, no limit
    /// reached): a pure function of the index, so kept, with the externs it offered and the
    /// length of the chain of imports behind it. A chain of 30,000 `pub use` re-exports asked at
    /// every link is then linear, not quadratic; the length keeps [`MAX_CHAIN`] exact whichever
    /// link is asked first.
    memo: RefCell<Memos>,
    /// Guards tripped so far (a cycle met, a limit reached): a lookup during which one trips is
    /// not kept in `memo`.
    cuts: std::cell::Cell<usize>,
    /// The guards in `cuts` that were the chain limit.
    depth_cuts: std::cell::Cell<usize>,
    /// The longest chain of lookups below the one in progress (see `memo`).
    below: std::cell::Cell<usize>,
    /// Whether the current resolution reached a limit ([`MAX_CHAIN`], [`MAX_LOOKUPS`]).
    limited: std::cell::Cell<bool>,
}

/// The cache of [`Resolver::resolve`]: question hash → (question, answer, whether a limit cut it).
type Answers = FxHashMap<u64, Vec<(Query, Res, bool)>>;

/// Kept lookups by (module, namespace, mode), then name.
type Memos = FxHashMap<(ModId, Ns, Mode), FxHashMap<String, Kept>>;

/// What one (module, name) lookup left for the next time it is asked.
#[derive(Clone)]
enum Kept {
    /// Its answer, which no guard cut short.
    Found(Memo),
    /// Nothing, because the chain below it is at least this long: cut whenever asked so deep
    /// that the chain would pass [`MAX_CHAIN`].
    TooDeep(usize),
}

/// Why a lookup was cut short.
enum Cut {
    /// A cycle of globs or re-exports.
    Cycle,
    /// A chain of imports longer than [`MAX_CHAIN`].
    Depth,
    /// More than [`MAX_LOOKUPS`] lookups in one resolution.
    Lookups,
}

/// A kept lookup (see [`Resolver::memo`]).
#[derive(Clone)]
struct Memo {
    found: Vec<Variant>,
    externs: Vec<Vec<String>>,
    depth: usize,
}

/// Lookups one resolution may nest (a `use` re-exporting a `use` re-exporting …): past it the
/// path is unresolved and the resolution says it reached a limit (HL013 for a tracked shape).
pub const MAX_CHAIN: usize = 256;

/// The (module, name) lookups in progress in one resolution: a cycle of globs or re-exports
/// comes back to one of them.
pub type Visited<'n> = FxHashSet<(ModId, &'n str)>;

/// Module lookups one resolution may make (ordinary code needs a few dozen).
pub const MAX_LOOKUPS: usize = 20_000;

/// The cache of [`Resolver::resolve_all`]: question hash → (question, answers).
type AllAnswers = FxHashMap<u64, Vec<(Query, Vec<Variant>, bool)>>;

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

/// An answer with no predicates; nothing for `Unresolved`.
fn one(r: Res) -> Vec<Variant> {
    if r == Res::Unresolved { Vec::new() } else { vec![Variant { res: r, cfg: Vec::new() }] }
}

/// The predicates of a path: those met so far, then those of the next step.
fn concat(outer: &[String], mut inner: Vec<String>) -> Vec<String> {
    if outer.is_empty() {
        return inner;
    }
    let mut out = outer.to_vec();
    for p in inner.drain(..) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// One predicate for a conjunction (`all(a, b)`; `a` alone).
fn conjunction(cfg: &[String]) -> String {
    match cfg {
        [one] => one.clone(),
        _ => format!("all({})", cfg.join(", ")),
    }
}

/// The same definition reached on several ways is one variant, named under any of their
/// predicates (unconditionally when one way is).
fn merge(variants: Vec<Variant>) -> Vec<Variant> {
    let mut out: Vec<Variant> = Vec::with_capacity(variants.len());
    for v in variants {
        match out.iter_mut().find(|o| o.res == v.res) {
            None => out.push(v),
            Some(o) if o.cfg.is_empty() || o.cfg == v.cfg => {}
            Some(o) if v.cfg.is_empty() => o.cfg = Vec::new(),
            Some(o) => o.cfg = vec![format!("any({}, {})", conjunction(&o.cfg), conjunction(&v.cfg))],
        }
    }
    out
}

/// Some answer found holds unconditionally: nothing of lower precedence (imports after items,
/// globs after imports) can name the path.
fn settled(found: &[Variant]) -> bool {
    found.iter().any(|v| v.cfg.is_empty())
}

impl<'a> Resolver<'a> {
    pub fn new(index: &'a Index, aliases: &'a BTreeMap<String, String>) -> Self {
        Resolver {
            index,
            aliases,
            globs: RefCell::new(FxHashMap::default()),
            globs_all: RefCell::new(FxHashMap::default()),
            answers: RefCell::new(FxHashMap::default()),
            answers_all: RefCell::new(FxHashMap::default()),
            lookups: std::cell::Cell::new(0),
            memo: RefCell::new(FxHashMap::default()),
            cuts: std::cell::Cell::new(0),
            depth_cuts: std::cell::Cell::new(0),
            below: std::cell::Cell::new(0),
            limited: std::cell::Cell::new(false),
        }
    }

    /// Whether the last [`Resolver::resolve`] or [`Resolver::resolve_all`] answer was cut short by
    /// a resource limit (a chain of re-exports longer than [`MAX_CHAIN`], more than
    /// [`MAX_LOOKUPS`] lookups): an unresolved answer then is not "nothing there".
    pub fn limit_reached(&self) -> bool {
        self.limited.get()
    }

    /// Resolve a type path written in module `scope` of an item with `generics`.
    pub fn resolve_ty_path(&self, scope: ModId, path: &TyPath, generics: &[String]) -> Res {
        if path.qself.is_some() {
            return Res::Unresolved;
        }
        // The names borrowed, not copied: most resolutions are answered from the cache.
        self.resolve(scope, path.global, &path.name_refs(), generics, Ns::Type)
    }

    /// Every definition a type path may name across `#[cfg]` variants ([`Resolver::resolve_all`]).
    pub fn resolve_ty_path_all(&self, scope: ModId, path: &TyPath, generics: &[String]) -> Vec<Variant> {
        if path.qself.is_some() {
            return vec![Variant { res: Res::Unresolved, cfg: Vec::new() }];
        }
        self.resolve_all(scope, path.global, &path.name_refs(), generics, Ns::Type)
    }

    /// Resolve `segs` written in module `scope`: the one definition the default configuration
    /// would mostly name (the first of [`Resolver::resolve_all`]'s when several `#[cfg]`
    /// variants exist).
    pub fn resolve<S: AsRef<str>>(&self, scope: ModId, global: bool, segs: &[S], generics: &[String], ns: Ns) -> Res {
        let Some((first, rest)) = segs.split_first() else { return Res::Unresolved };
        let first = first.as_ref();
        if !global && rest.is_empty() && generics.iter().any(|g| g == first) {
            return Res::Param(first.to_string());
        }
        let key = query_key(scope, global, ns, segs);
        let same = |q: &Query| q.is(scope, global, ns, segs);
        if let Some(hit) = self.answers.borrow().get(&key).and_then(|v| v.iter().find(|(q, ..)| same(q))) {
            self.limited.set(hit.2);
            return hit.1.clone();
        }
        let rest: Vec<String> = rest.iter().map(|s| s.as_ref().to_string()).collect();
        let res = self
            .resolve_uncached(scope, global, first, &rest, ns, Mode::First)
            .into_iter()
            .next()
            .map(|v| v.res)
            .unwrap_or(Res::Unresolved);
        let query = Query { scope, global, ns, segs: segs.iter().map(|s| s.as_ref().to_string()).collect() };
        self.answers.borrow_mut().entry(key).or_default().push((query, res.clone(), self.limited.get()));
        res
    }

    /// Every definition `segs` may name in module `scope`, across the `#[cfg]` variants of the
    /// definitions and of every `use`, `pub use`, glob and `mod` on the way, each labelled with
    /// the predicates met (SPEC §1 "Schema"). Never empty: `[Unresolved]` when nothing answers.
    /// The first variant is [`Resolver::resolve`]'s answer.
    pub fn resolve_all<S: AsRef<str>>(
        &self,
        scope: ModId,
        global: bool,
        segs: &[S],
        generics: &[String],
        ns: Ns,
    ) -> Vec<Variant> {
        let unresolved = || vec![Variant { res: Res::Unresolved, cfg: Vec::new() }];
        let Some((first, rest)) = segs.split_first() else { return unresolved() };
        let first = first.as_ref();
        if !global && rest.is_empty() && generics.iter().any(|g| g == first) {
            return one(Res::Param(first.to_string()));
        }
        let key = query_key(scope, global, ns, segs);
        let same = |q: &Query| q.is(scope, global, ns, segs);
        if let Some(hit) = self.answers_all.borrow().get(&key).and_then(|v| v.iter().find(|(q, ..)| same(q))) {
            self.limited.set(hit.2);
            return hit.1.clone();
        }
        let rest: Vec<String> = rest.iter().map(|s| s.as_ref().to_string()).collect();
        let mut found = self.resolve_uncached(scope, global, first, &rest, ns, Mode::All);
        if found.is_empty() {
            found = unresolved();
        }
        let query = Query { scope, global, ns, segs: segs.iter().map(|s| s.as_ref().to_string()).collect() };
        self.answers_all.borrow_mut().entry(key).or_default().push((query, found.clone(), self.limited.get()));
        found
    }

    fn resolve_uncached(
        &self,
        scope: ModId,
        global: bool,
        first: &str,
        rest: &[String],
        ns: Ns,
        mode: Mode,
    ) -> Vec<Variant> {
        self.lookups.set(0);
        self.limited.set(false);
        let mut visited = FxHashSet::default();
        let first_ns = if rest.is_empty() { ns } else { Ns::Type };
        let mut cur = if global {
            one(self.extern_crate(scope, first).unwrap_or_else(|| Res::Extern(vec![first.to_string()])))
        } else {
            match first {
                "Self" if rest.is_empty() => return one(Res::SelfType),
                "Self" => return Vec::new(),
                "crate" => one(self.crate_root(scope)),
                "self" => one(Res::Mod(self.index.nearest_module(scope))),
                "super" => one(self.parent_of(self.index.nearest_module(scope))),
                _ => self.lookup_lexical(scope, first, first_ns, rest.is_empty(), &mut visited, mode),
            }
        };
        for (i, seg) in rest.iter().enumerate() {
            let seg_ns = if i + 1 == rest.len() { ns } else { Ns::Type };
            cur = self.step(cur, seg, seg_ns, &mut visited, mode);
            if cur.is_empty() {
                return cur;
            }
        }
        let cur = cur.into_iter().map(|v| Variant { res: self.canonical(v.res), cfg: v.cfg }).collect();
        if mode == Mode::All { merge(cur) } else { cur }
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
    fn lookup_lexical<'n>(
        &self,
        scope: ModId,
        name: &'n str,
        ns: Ns,
        last: bool,
        visited: &mut Visited<'n>,
        mode: Mode,
    ) -> Vec<Variant>
    where
        'a: 'n,
    {
        let mut m = scope;
        let mut guard = 0;
        let mut externs = Vec::new();
        loop {
            let found = self.lookup_definite(m, name, ns, visited, &mut externs, mode);
            if !found.is_empty() {
                // `use foo::foo;` imports an item (often a macro) named like its crate; a path
                // that goes on (`foo::foo`) starts from the crate, as rustc's type namespace has it.
                if let [Variant { res: Res::Extern(p), .. }] = found.as_slice() {
                    if !last && p.len() >= 2 && p.last().is_some_and(|l| l == name) {
                        if let Some(krate) = self.extern_crate(scope, name) {
                            return one(krate);
                        }
                    }
                }
                return found;
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
            return one(r);
        }
        if ns == Ns::Type && PRIMITIVES.contains(&name) {
            return one(Res::Prim(name.to_string()));
        }
        if let Some(p) = std_prelude(name) {
            return one(Res::Extern(p.split("::").map(str::to_string).collect()));
        }
        if let Some(r) = candidates(externs) {
            return one(r);
        }
        if !last {
            // A crate we were not told about (no manifest entry, or a crate hotlint does not
            // know): read the path as external, the way the compiler would need it to be.
            return one(Res::Extern(vec![name.to_string()]));
        }
        Vec::new()
    }

    /// What `name` means inside module `m` (its items, imports and globs), external glob
    /// candidates included.
    fn lookup_in_module<'n>(
        &self,
        m: ModId,
        name: &'n str,
        ns: Ns,
        visited: &mut Visited<'n>,
        mode: Mode,
    ) -> Vec<Variant>
    where
        'a: 'n,
    {
        let mut externs = Vec::new();
        let found = self.lookup_definite(m, name, ns, visited, &mut externs, mode);
        if !found.is_empty() {
            return found;
        }
        candidates(externs).map(one).unwrap_or_default()
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
        mode: Mode,
    ) -> Vec<Variant>
    where
        'a: 'n,
    {
        // `visited` guards the lookups in progress (a cycle of globs or re-exports), not the ones
        // already answered: the same (module, name) may be asked again on another path.
        self.lookups.set(self.lookups.get() + 1);
        let key = (m, name);
        let kept = self.memo.borrow().get(&(m, ns, mode)).and_then(|names| names.get(name).cloned());
        match kept {
            Some(Kept::Found(kept)) => {
                if visited.len() + 1 + kept.depth > MAX_CHAIN {
                    self.cut(Cut::Depth);
                    return Vec::new();
                }
                self.below.set(self.below.get().max(kept.depth + 1));
                for e in kept.externs {
                    if !externs.contains(&e) {
                        externs.push(e);
                    }
                }
                return kept.found;
            }
            Some(Kept::TooDeep(at_least)) if visited.len() + at_least >= MAX_CHAIN => {
                self.cut(Cut::Depth);
                return Vec::new();
            }
            _ => {}
        }
        if self.lookups.get() > MAX_LOOKUPS {
            self.cut(Cut::Lookups);
            return Vec::new();
        }
        if visited.len() >= MAX_CHAIN {
            self.cut(Cut::Depth);
            return Vec::new();
        }
        if !visited.insert(key) {
            self.cut(Cut::Cycle);
            return Vec::new();
        }
        let (cuts, depth_cuts) = (self.cuts.get(), self.depth_cuts.get());
        let (outer_below, externs_before) = (self.below.replace(0), externs.len());
        let r = self.lookup_definite_inner(m, name, ns, visited, externs, mode);
        visited.remove(&key);
        let r = if mode == Mode::All { merge(r) } else { r };
        let depth = self.below.get();
        self.below.set(outer_below.max(depth + 1));
        let kept = if self.cuts.get() == cuts {
            let externs = externs.get(externs_before..).unwrap_or(&[]).to_vec();
            Some(Kept::Found(Memo { found: r.clone(), externs, depth }))
        } else if r.is_empty() && self.cuts.get() - cuts == self.depth_cuts.get() - depth_cuts {
            // Nothing found, and only the chain limit cut it: asked this deep or deeper again,
            // it is cut again, at once (a chain of 30,000 links would otherwise be walked back
            // to the limit from every link past it).
            Some(Kept::TooDeep(MAX_CHAIN.saturating_sub(visited.len())))
        } else {
            None
        };
        if let Some(kept) = kept {
            self.memo.borrow_mut().entry((m, ns, mode)).or_default().insert(name.to_string(), kept);
        }
        r
    }

    /// A guard tripped.
    fn cut(&self, why: Cut) {
        self.cuts.set(self.cuts.get() + 1);
        match why {
            Cut::Cycle => {}
            Cut::Depth => {
                self.depth_cuts.set(self.depth_cuts.get() + 1);
                self.limited.set(true);
            }
            Cut::Lookups => self.limited.set(true),
        }
    }

    /// The items of `m` named `name` in namespace `ns` (any namespace that answers it when none
    /// is exactly `ns`), each with its own predicates in [`Mode::All`].
    fn own_defs(&self, m: ModId, name: &str, ns: Ns, mode: Mode) -> Vec<Variant> {
        let Some(defs) = self.index.module(m).and_then(|md| md.names.get(name)) else { return Vec::new() };
        let exact = defs.iter().any(|d| def_ns(d) == ns);
        let mut out = Vec::new();
        for d in defs.iter().filter(|d| if exact { def_ns(d) == ns } else { answers(ns, def_ns(d)) }) {
            let cfg = if mode == Mode::All { self.index.def_cfg(*d) } else { Vec::new() };
            out.push(Variant { res: def_res(*d), cfg });
            if mode == Mode::First {
                break;
            }
        }
        out
    }

    fn lookup_definite_inner<'n>(
        &self,
        m: ModId,
        name: &'n str,
        ns: Ns,
        visited: &mut Visited<'n>,
        externs: &mut Vec<Vec<String>>,
        mode: Mode,
    ) -> Vec<Variant>
    where
        'a: 'n,
    {
        let Some(module) = self.index.module(m) else { return Vec::new() };
        let all = mode == Mode::All;
        // Items defined here, unless every one of them is under a `#[cfg]`: then an import or a
        // glob may name the path where they are compiled out (the other variants).
        let mut out = self.own_defs(m, name, ns, mode);
        if settled(&out) {
            return out;
        }
        // Imports of the name, in every namespace it exists in: one that names an item of the
        // asked namespace wins over external ones (whose namespace hotlint cannot see); several
        // external ones are all candidates.
        let mut definite = Vec::new();
        let mut unknown = Vec::new();
        for imp in module.imports.iter().filter(|i| i.entry.alias.as_deref() == Some(name)) {
            for v in self.resolve_use(m, &imp.entry, ns, visited, mode) {
                let cfg = if all { concat(&imp.cfg, v.cfg) } else { Vec::new() };
                match v.res.namespace() {
                    Some(found) if answers(ns, found) => definite.push(Variant { res: v.res, cfg }),
                    None if v.res != Res::Unresolved => unknown.push(Variant { res: v.res, cfg }),
                    _ => {}
                }
            }
            if !all && !definite.is_empty() {
                break;
            }
        }
        if !definite.is_empty() {
            if all {
                out.extend(definite);
            } else {
                out.extend(definite.into_iter().take(1));
            }
        } else if !unknown.is_empty() {
            if all {
                out.extend(unknown);
            } else {
                let paths: Vec<Vec<String>> = unknown
                    .into_iter()
                    .flat_map(|v| match v.res {
                        Res::Extern(p) => vec![p],
                        Res::ExternCandidates(c) => c,
                        _ => Vec::new(),
                    })
                    .collect();
                out.extend(candidates(paths).map(one).unwrap_or_default());
            }
        }
        if settled(&out) {
            return out;
        }
        for g in 0..module.globs.len() {
            for target in self.glob_targets(m, g, visited, mode) {
                match target.res {
                    Res::Mod(gm) if gm != m => {
                        let found = self.lookup_definite(gm, name, ns, visited, externs, mode);
                        if found.is_empty() {
                            continue;
                        }
                        if !all {
                            return found;
                        }
                        out.extend(found.into_iter().map(|v| Variant { res: v.res, cfg: concat(&target.cfg, v.cfg) }));
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
        }
        out
    }

    /// What glob `g` of module `m` names (the first target, or every `#[cfg]` variant of it with
    /// the glob's own predicates first), kept once resolved.
    fn glob_targets<'n>(&self, m: ModId, g: usize, visited: &mut Visited<'n>, mode: Mode) -> Vec<Variant>
    where
        'a: 'n,
    {
        let Some(glob) = self.index.module(m).and_then(|md| md.globs.get(g)) else { return Vec::new() };
        match mode {
            Mode::First => {
                if let Some(r) = self.globs.borrow().get(&(m, g)).cloned() {
                    return one(r);
                }
                let r = self.resolve_use(m, &glob.entry, Ns::Type, visited, mode).into_iter().next().map(|v| v.res);
                // Only what resolved: an answer cut short by a cycle guard is not final.
                if let Some(r) = &r {
                    self.globs.borrow_mut().insert((m, g), r.clone());
                }
                r.map(one).unwrap_or_default()
            }
            Mode::All => {
                if let Some(v) = self.globs_all.borrow().get(&(m, g)).cloned() {
                    return v;
                }
                let found: Vec<Variant> = self
                    .resolve_use(m, &glob.entry, Ns::Type, visited, mode)
                    .into_iter()
                    .map(|v| Variant { res: v.res, cfg: concat(&glob.cfg, v.cfg) })
                    .collect();
                if !found.is_empty() {
                    self.globs_all.borrow_mut().insert((m, g), found.clone());
                }
                found
            }
        }
    }

    /// Resolve a `use` entry's path (the target module of a glob, the item of a named import).
    fn resolve_use<'n>(
        &self,
        m: ModId,
        entry: &'n UseEntry,
        ns: Ns,
        visited: &mut Visited<'n>,
        mode: Mode,
    ) -> Vec<Variant>
    where
        'a: 'n,
    {
        let Some((first, rest)) = entry.path.split_first() else { return Vec::new() };
        let first_ns = if rest.is_empty() { ns } else { Ns::Type };
        let mut cur = if entry.global {
            one(self.extern_crate(m, first).unwrap_or_else(|| Res::Extern(vec![first.clone()])))
        } else {
            match first.as_str() {
                "crate" => one(self.crate_root(m)),
                "self" => one(Res::Mod(self.index.nearest_module(m))),
                "super" => one(self.parent_of(self.index.nearest_module(m))),
                _ => {
                    // A use path starts from the module's own names (not its other imports of
                    // the same name, which would be a cycle), then the extern prelude.
                    let own = self.own_defs(m, first, first_ns, mode);
                    if own.is_empty() {
                        // Imports and globs of the module, then the extern prelude (`use x::…`
                        // where `x` is nothing local names an extern crate).
                        self.lookup_lexical(m, first, first_ns, false, visited, mode)
                    } else {
                        own
                    }
                }
            }
        };
        for (i, seg) in rest.iter().enumerate() {
            let seg_ns = if i + 1 == rest.len() { ns } else { Ns::Type };
            cur = self.step(cur, seg, seg_ns, visited, mode);
            if cur.is_empty() {
                break;
            }
        }
        cur
    }

    /// One segment further along every answer so far.
    fn step<'n>(&self, cur: Vec<Variant>, seg: &'n str, ns: Ns, visited: &mut Visited<'n>, mode: Mode) -> Vec<Variant>
    where
        'a: 'n,
    {
        let mut out = Vec::new();
        for v in cur {
            let next = match v.res {
                Res::Mod(m) => match seg {
                    "super" => one(self.parent_of(m)),
                    "self" => one(Res::Mod(m)),
                    _ => {
                        let found = self.lookup_in_module(m, seg, ns, visited, mode);
                        if found.is_empty() && !self.names_anything(m, seg) {
                            // Not an item hotlint can see (an item a macro generates): name it by
                            // its path, as an external item would be. A name the module has in
                            // another namespace only (a derive macro asked as a trait) is no
                            // answer at all.
                            let mut p: Vec<String> =
                                self.index.module_path(m).split("::").map(str::to_string).collect();
                            p.push(seg.to_string());
                            one(Res::Extern(p))
                        } else {
                            found
                        }
                    }
                },
                Res::Extern(mut p) => {
                    p.push(seg.to_string());
                    one(self.follow_alias(p))
                }
                Res::ExternCandidates(c) => one(Res::ExternCandidates(
                    c.into_iter()
                        .map(|mut p| {
                            p.push(seg.to_string());
                            p
                        })
                        .collect(),
                )),
                _ => Vec::new(),
            };
            for n in next {
                out.push(Variant { res: n.res, cfg: concat(&v.cfg, n.cfg) });
            }
            if mode == Mode::First && !out.is_empty() {
                break;
            }
        }
        out
    }

    /// Whether module `m` defines or imports `name` in any namespace.
    fn names_anything(&self, m: ModId, name: &str) -> bool {
        self.index.module(m).is_some_and(|md| {
            md.names.contains_key(name) || md.imports.iter().any(|i| i.entry.alias.as_deref() == Some(name))
        })
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

    /// Every path a resolution may stand for, as profiles spell them: external paths, and the
    /// canonical paths of workspace traits and macros (a framework's own repository).
    pub fn paths_of(&self, r: &Res) -> Vec<String> {
        match r {
            Res::Trait(id) => self.index.trait_path(*id).into_iter().collect(),
            Res::Macro(id) => self.index.macro_path(*id).into_iter().collect(),
            _ => r.extern_paths(),
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
            Res::Macro(i) => self.index.macro_path(*i).unwrap_or_default(),
            Res::Trait(i) | Res::Const(i) | Res::Fn(i) | Res::MacroType(i) => {
                self.index.item(*i).map(item_name).unwrap_or_default()
            }
            Res::Unresolved => "?".into(),
        }
    }
}

fn query_key<S: AsRef<str>>(scope: ModId, global: bool, ns: Ns, segs: &[S]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (scope, global, ns).hash(&mut h);
    for s in segs {
        s.as_ref().hash(&mut h);
    }
    h.finish()
}

impl Query {
    fn is<S: AsRef<str>>(&self, scope: ModId, global: bool, ns: Ns, segs: &[S]) -> bool {
        self.scope == scope
            && self.global == global
            && self.ns == ns
            && self.segs.len() == segs.len()
            && self.segs.iter().zip(segs).all(|(a, b)| a == b.as_ref())
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
        Def::Macro(i) => Res::Macro(i),
    }
}

fn def_ns(d: &Def) -> Ns {
    match d {
        Def::Const(_) | Def::Fn(_) => Ns::Value,
        Def::Macro(_) => Ns::Macro,
        _ => Ns::Type,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::source::MemoryTree;
    use crate::workspace::{Discovery, Package, Target, TargetKind, Workspace};

    /// The index of one crate `demo` made of `files` (paths relative to the package).
    fn index_of(files: &[(&str, &str)]) -> Index {
        let ws = Workspace {
            root: std::path::PathBuf::from("/hotlint-test-nonexistent"),
            packages: vec![Package {
                name: "demo".into(),
                version: "0.1.0".into(),
                dir: String::new(),
                edition: "2021".into(),
                targets: vec![Target { name: "demo".into(), kind: TargetKind::Lib, root: "src/lib.rs".into() }],
                deps: Vec::new(),
            }],
            selected: vec![0],
            discovery: Discovery::Manifests { reason: "test".into() },
            deps: Vec::new(),
        };
        let tree = MemoryTree { files: files.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect() };
        let mut sources = crate::load::Sources::default();
        crate::load::load(
            &mut sources,
            crate::load::member_roots(&ws),
            &tree,
            &crate::parse::ParseOptions::default(),
            &globset::GlobSet::empty(),
            1,
            &crate::load::Reuse::new(),
        );
        crate::index::build(&ws, sources)
    }

    fn shown(res: &Resolver<'_>, variants: &[Variant]) -> Vec<(String, Vec<String>)> {
        variants.iter().map(|v| (res.display(&v.res), v.cfg.clone())).collect()
    }

    #[test]
    fn every_cfg_variant_of_a_glob_re_export_with_its_predicates() {
        let index = index_of(&[
            ("src/lib.rs", "pub mod arch;\npub struct Stored { pub vcpu: arch::VcpuState }\n"),
            (
                "src/arch/mod.rs",
                "#[cfg(target_arch = \"x86_64\")]\nmod x86_64;\n#[cfg(target_arch = \"x86_64\")]\npub use x86_64::*;\n\
                 #[cfg(target_arch = \"aarch64\")]\nmod aarch64;\n#[cfg(target_arch = \"aarch64\")]\npub use self::aarch64::*;\n",
            ),
            ("src/arch/x86_64.rs", "pub struct VcpuState { pub regs: [u64; 16] }\n"),
            ("src/arch/aarch64.rs", "#[cfg(feature = \"kvm\")]\npub struct VcpuState { pub regs: [u64; 31] }\n"),
        ]);
        let aliases = BTreeMap::new();
        let res = Resolver::new(&index, &aliases);
        let root = index.crates[0].root;
        let all = res.resolve_all(root, false, &["arch", "VcpuState"], &[], Ns::Type);
        assert_eq!(
            shown(&res, &all),
            [
                ("demo::arch::x86_64::VcpuState".to_string(), vec!["target_arch = \"x86_64\"".to_string()]),
                (
                    "demo::arch::aarch64::VcpuState".to_string(),
                    vec!["target_arch = \"aarch64\"".to_string(), "feature = \"kvm\"".to_string()]
                ),
            ]
        );
        // The single answer is the first variant, as before.
        assert_eq!(
            res.display(&res.resolve(root, false, &["arch", "VcpuState"], &[], Ns::Type)),
            "demo::arch::x86_64::VcpuState"
        );
        // An unconditional definition settles the name: globs are not asked.
        let index = index_of(&[("src/lib.rs", "mod a { pub struct T; }\nuse a::*;\npub struct T;\n")]);
        let res = Resolver::new(&index, &aliases);
        let all = res.resolve_all(index.crates[0].root, false, &["T"], &[], Ns::Type);
        assert_eq!(shown(&res, &all), [("demo::T".to_string(), Vec::<String>::new())]);
        // Nothing found is one `Unresolved`.
        assert_eq!(res.resolve_all(index.crates[0].root, false, &["Nothing"], &[], Ns::Type)[0].res, Res::Unresolved);
    }

    #[test]
    fn the_same_definition_reached_two_ways_is_one_variant() {
        let index = index_of(&[(
            "src/lib.rs",
            "mod inner { pub struct T; }\n#[cfg(unix)]\npub use inner::T;\n#[cfg(windows)]\npub use inner::T;\npub struct S { pub t: T }\n",
        )]);
        let aliases = BTreeMap::new();
        let res = Resolver::new(&index, &aliases);
        let all = res.resolve_all(index.crates[0].root, false, &["T"], &[], Ns::Type);
        assert_eq!(shown(&res, &all), [("demo::inner::T".to_string(), vec!["any(unix, windows)".to_string()])]);
    }

    #[test]
    fn namespaces_keep_a_derive_and_a_trait_of_one_name_apart() {
        let index = index_of(&[(
            "src/lib.rs",
            "pub mod macros {\n    #[proc_macro_derive(Actor)]\n    pub fn derive_actor(i: TokenStream) -> TokenStream { i }\n}\n\
             pub mod actor { pub trait Actor {} }\n\
             pub mod prelude {\n    pub use crate::macros::Actor;\n    pub use crate::actor::Actor;\n}\n\
             use prelude::*;\n",
        )]);
        let aliases = BTreeMap::new();
        let res = Resolver::new(&index, &aliases);
        let root = index.crates[0].root;
        assert!(matches!(res.resolve(root, false, &["Actor"], &[], Ns::Type), Res::Trait(_)));
        let derive = res.resolve(root, false, &["Actor"], &[], Ns::Macro);
        assert_eq!(res.paths_of(&derive), ["demo::macros::Actor"]);
        // A function is a value: it does not answer a type path, nor hide one.
        assert!(matches!(res.resolve(root, false, &["macros", "derive_actor"], &[], Ns::Value), Res::Fn(_)));
        assert_eq!(res.resolve(root, false, &["macros", "derive_actor"], &[], Ns::Type), Res::Unresolved);
    }
}
