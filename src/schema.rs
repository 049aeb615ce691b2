//! Stage: wire schemas (part of analysis). Input: the index, a resolver, the tracked types' roots.
//! Output: [`Schemas`]: for every tracked type, what goes on the wire in the serde data model
//! (SPEC §1, "Schema"), as a root [`Schema`] and the named definitions it reaches ([`Def`]),
//! each definition once, keyed by its canonical path (and its `#[cfg]` predicate when a path has
//! several definitions).
//!
//! Building a schema expands type aliases (generic ones too, arguments substituted), evaluates
//! array lengths and const generic arguments that name a workspace integer constant, follows
//! `transparent` and `from`/`into`/`try_from` proxies, and normalises the containers that share
//! a serde data model (`Vec`/`VecDeque`/sets → seq, `HashMap`/`BTreeMap` → map,
//! `Box`/`Arc`/`Rc`/`Cow`/`Cell`/`RefCell`/`Mutex`/`Wrapping`/`Reverse` → their inner type,
//! `String`/`Box<str>`/`Arc<str>` → string, `usize` → `u64`, `PhantomData` → unit). What cannot be
//! seen is an opaque leaf with a fingerprint of the tokens that decide it: a type a macro
//! defines, a hand-written serde impl, a field's own serde functions.
//!
//! Invariants: a schema is a plain value (serde derives: `--format json` and the lock store it);
//! nothing here compares anything (that is [`crate::compare`]'s one diff function); the walk is
//! bounded ([`crate::tracked::MAX_CLOSURE`] definitions, [`crate::tracked::MAX_TYPE_DEPTH`]
//! levels), and a bound reached is recorded, never hung.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::index::{Index, ModId, TypeId};
use crate::ir::*;
use crate::migrations;
use crate::resolve::{Ns, Res, Resolver};

/// What goes on the wire for one value, in the serde data model.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schema {
    Bool,
    Int {
        bits: u8,
        signed: bool,
    },
    Float {
        bits: u8,
    },
    Char,
    Str,
    Bytes,
    Unit,
    Option(Box<Schema>),
    /// A sequence; `container` is the Rust type it was written as (`Vec`, `VecDeque`, …), for
    /// messages only: every container of one data model reads the same bytes.
    Seq {
        item: Box<Schema>,
        container: String,
    },
    /// `[T; N]`: on the wire a tuple of N items.
    Array {
        item: Box<Schema>,
        len: Len,
    },
    Tuple(Vec<Schema>),
    Map {
        key: Box<Schema>,
        value: Box<Schema>,
        container: String,
    },
    /// A named definition of the workspace (its [`Def`] is in [`Schemas::defs`]).
    Ref {
        path: String,
        args: Vec<Schema>,
    },
    /// The n-th generic parameter of the enclosing definition (generic parameters are abstract:
    /// renaming one is no change).
    Param(usize),
    /// A const generic argument.
    Const(Len),
    /// Bytes hotlint cannot see: a fingerprint of the tokens that decide them.
    Opaque {
        fingerprint: String,
        why: String,
    },
    /// A type of another crate, identified by its path (its version is HL007's business).
    External {
        path: String,
        args: Vec<Schema>,
    },
    /// A path that names nothing hotlint can see.
    Unresolved {
        path: String,
    },
}

/// An array length or const generic value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Len {
    Known(u64),
    /// A const generic parameter of the enclosing definition.
    Param(usize),
    /// An expression hotlint cannot evaluate, as written.
    Unknown(String),
}

/// How a struct or a variant carries its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// `struct T;`, a unit variant.
    Unit,
    /// `struct T(A);`: serde writes the inner value (a newtype).
    Newtype,
    /// `struct T(A, B);`: a sequence in every format.
    Tuple,
    /// `struct T { … }` (`struct T {}` included).
    Named,
}

/// Which of serde's `skip` attributes a field or variant has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    #[default]
    None,
    /// `skip`: neither written nor read.
    Both,
    SkipSerializing,
    SkipSerializingIf,
    SkipDeserializing,
}

impl Skip {
    pub fn is_none(&self) -> bool {
        *self == Skip::None
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "style")]
pub enum Tagging {
    #[default]
    External,
    Internal {
        tag: String,
    },
    Adjacent {
        tag: String,
        content: String,
    },
    Untagged,
}

/// One field of a struct or variant, as it goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The serialized name (after `rename`/`rename_all`); a tuple field's position.
    pub name: String,
    /// The name in Rust (a tuple field's position).
    pub rust: String,
    pub schema: Schema,
    /// The type as written (for what is carried in memory, where the written type is the
    /// layout); not part of what goes on the wire.
    #[serde(skip)]
    pub written: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `#[serde(default)]` on the field or its container: a missing field reads.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// An `Option` serde fills in when missing (not one with its own deserializer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    #[serde(default, skip_serializing_if = "Skip::is_none")]
    pub skip: Skip,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flatten: bool,
    /// The index that identifies the field where the encoding says so (minicbor `#[n(k)]`,
    /// prost `tag = "k"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfg: Option<String>,
    pub line: u32,
    #[serde(skip)]
    pub loc: Option<Loc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantDef {
    /// Position among the declared variants.
    pub index: usize,
    pub name: String,
    pub rust: String,
    pub form: Form,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `#[serde(other)]`: unknown variants read as this one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub other: bool,
    #[serde(default, skip_serializing_if = "Skip::is_none")]
    pub skip: Skip,
    /// The discriminant value (explicit, or the previous one plus one), when it can be known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discriminant: Option<i128>,
    /// The discriminant as written (`= 5`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discriminant_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfg: Option<String>,
    pub line: u32,
    #[serde(skip)]
    pub loc: Option<Loc>,
}

/// Container attributes that change the encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transparent: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deny_unknown_fields: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename_all: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename_all_fields: Option<String>,
    #[serde(default)]
    pub tagging: Tagging,
    /// `#[repr(…)]` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repr: Option<String>,
    /// `serde_repr`: the discriminant value is the variant's identity.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub serde_repr: bool,
    /// The derive that writes the bytes when it is not serde's (`minicbor`, `prost`, `borsh`,
    /// `bitcode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Body {
    Struct {
        form: Form,
        fields: Vec<FieldDef>,
        #[serde(default)]
        container: Container,
    },
    Enum {
        variants: Vec<VariantDef>,
        #[serde(default)]
        container: Container,
    },
    /// `#[serde(from = "P")]` (or `try_from`, `into`): the bytes are the proxy's.
    Proxy {
        attr: String,
        schema: Schema,
    },
    Opaque {
        fingerprint: String,
        why: String,
    },
}

/// One named definition of the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Def {
    /// Canonical path (SPEC §1).
    pub path: String,
    pub name: String,
    /// Generic parameters, by name (for display; [`Schema::Param`] refers to them by position).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    /// The `#[cfg(…)]` predicate of this definition, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfg: Option<String>,
    pub file: String,
    pub line: u32,
    pub body: Body,
    #[serde(skip)]
    pub loc: Option<Loc>,
    /// The index's id of the definition in the model it was built from.
    #[serde(skip)]
    pub ty: Option<TypeId>,
}

/// A tracked type's schema: its root and the definitions it reaches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    pub schema: Option<Schema>,
    /// Keys of [`Schemas::defs`] reached from the root (the root's own first).
    pub defs: Vec<String>,
    /// Definitions that carry their own version: the schema stops there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boundaries: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// Every tracked type's schema, with the definitions they share kept once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schemas {
    pub roots: BTreeMap<String, Root>,
    pub defs: BTreeMap<String, Def>,
    /// For a definition one written path names under some `#[cfg]`, the paths it names under
    /// the others (`arch::x86_64::State` ↔ `arch::aarch64::State`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alternatives: BTreeMap<String, BTreeSet<String>>,
}

impl Schemas {
    /// Merge another set of schemas (built on another thread) into this one.
    pub fn absorb(&mut self, other: Schemas) {
        self.roots.extend(other.roots);
        for (k, v) in other.alternatives {
            self.alternatives.entry(k).or_default().extend(v);
        }
        for (k, d) in other.defs {
            self.defs.entry(k).or_insert(d);
        }
    }

    /// The definition a `Ref` to `path` names (the first of its `cfg` variants).
    pub fn def_of_path(&self, path: &str) -> Option<&Def> {
        self.defs
            .get(path)
            .or_else(|| self.defs.range(format!("{path} #")..).next().map(|(_, d)| d).filter(|d| d.path == path))
    }

    /// The tracked types whose schema reaches a definition.
    pub fn reached_by(&self, key: &str) -> Vec<String> {
        self.roots.iter().filter(|(_, r)| r.defs.iter().any(|d| d == key)).map(|(p, _)| p.clone()).collect()
    }
}

/// The key of a definition in [`Schemas::defs`]: its path, and its `cfg` predicate when the path
/// has several definitions.
pub fn def_key(path: &str, cfg: Option<&str>, twins: usize, n: usize) -> String {
    match (twins > 1, cfg) {
        (false, _) => path.to_string(),
        (true, Some(p)) => format!("{path} #[cfg({p})]"),
        (true, None) => format!("{path} #{n}"),
    }
}

/// A definition built once: its key, itself, the types it refers to, its cfg alternatives.
type Built = (String, Def, Vec<TypeId>, Vec<BTreeSet<String>>);

/// Builds schemas on one thread. Definitions already built are kept (a definition shared by
/// many tracked types is built once per builder).
pub struct Builder<'a> {
    pub index: &'a Index,
    pub res: &'a Resolver<'a>,
    pub impls: &'a BTreeMap<TypeId, Vec<usize>>,
    pub migrations: &'a BTreeMap<TypeId, migrations::Migration>,
    /// Follow fields serde skips (a `memory` type carries them).
    pub follow_skipped: bool,
    /// Sets of paths one written path names across `#[cfg]` variants, met so far.
    alternatives: Vec<BTreeSet<String>>,
    built: HashMap<TypeId, Built>,
}

impl<'a> Builder<'a> {
    pub fn new(
        index: &'a Index,
        res: &'a Resolver<'a>,
        impls: &'a BTreeMap<TypeId, Vec<usize>>,
        migrations: &'a BTreeMap<TypeId, migrations::Migration>,
    ) -> Self {
        Builder {
            index,
            res,
            impls,
            migrations,
            follow_skipped: false,
            alternatives: Vec::new(),
            built: HashMap::new(),
        }
    }

    /// The schema of one tracked type, its definitions added to `out`.
    pub fn root(&mut self, root: TypeId, out: &mut Schemas) {
        let Some(entry) = self.index.type_entry(root) else { return };
        let path = entry.path.clone();
        let mut r = Root { schema: Some(Schema::Ref { path: path.clone(), args: Vec::new() }), ..Root::default() };
        let mut seen: BTreeSet<TypeId> = BTreeSet::new();
        let mut queue: VecDeque<TypeId> = self.twins(root).into();
        seen.extend(queue.iter().copied());
        let mut boundaries = BTreeSet::new();
        while let Some(t) = queue.pop_front() {
            if r.defs.len() >= crate::tracked::MAX_CLOSURE {
                r.truncated = true;
                break;
            }
            let (key, def, next, truncated) = self.def(t);
            r.truncated |= truncated;
            r.defs.push(key.clone());
            out.defs.entry(key).or_insert(def);
            for n in next {
                if !self.twins(root).contains(&n) && self.migrations.contains_key(&n) {
                    if let Some(e) = self.index.type_entry(n) {
                        boundaries.insert(e.path.clone());
                    }
                } else if seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
        let (first, rest) = r.defs.split_first().map(|(f, r)| (f.clone(), r.to_vec())).unwrap_or_default();
        let mut rest = rest;
        rest.sort();
        rest.dedup();
        r.defs = std::iter::once(first).chain(rest).filter(|k| !k.is_empty()).collect();
        r.boundaries = boundaries.into_iter().collect();
        for set in self.alternatives.drain(..) {
            for p in &set {
                out.alternatives.entry(p.clone()).or_default().extend(set.iter().filter(|q| *q != p).cloned());
            }
        }
        out.roots.insert(path, r);
    }

    /// Every definition of the same canonical path (its `#[cfg]` variants), in index order.
    fn twins(&self, t: TypeId) -> Vec<TypeId> {
        let Some(e) = self.index.type_entry(t) else { return vec![t] };
        match self.index.type_by_path.get(&e.path) {
            Some(v) if v.len() > 1 => v.clone(),
            _ => vec![t],
        }
    }

    /// One definition: its key, its schema and the workspace types it refers to.
    fn def(&mut self, t: TypeId) -> (String, Def, Vec<TypeId>, bool) {
        if let Some((k, d, n, a)) = self.built.get(&t) {
            self.alternatives.extend(a.iter().cloned());
            return (k.clone(), d.clone(), n.clone(), false);
        }
        let mut w = Walk::default();
        let (key, def) = self.build_def(t, &mut w);
        self.built.insert(t, (key.clone(), def.clone(), w.next.clone(), w.alternatives.clone()));
        self.alternatives.extend(w.alternatives);
        (key, def, w.next, w.truncated)
    }

    fn build_def(&self, t: TypeId, w: &mut Walk) -> (String, Def) {
        let fallback = || {
            (
                format!("?{t}"),
                Def {
                    path: format!("?{t}"),
                    name: String::new(),
                    params: Vec::new(),
                    cfg: None,
                    file: String::new(),
                    line: 0,
                    body: Body::Opaque { fingerprint: String::new(), why: "not found".into() },
                    loc: None,
                    ty: Some(t),
                },
            )
        };
        let Some(entry) = self.index.type_entry(t) else { return fallback() };
        let Some(item) = self.index.item(entry.item) else { return fallback() };
        let twins = self.index.type_by_path.get(&entry.path).map(Vec::as_slice).unwrap_or(&[]);
        let n = twins.iter().position(|x| *x == t).unwrap_or(0);
        let cfg = {
            let preds = cfg_predicates(&item.attrs);
            if preds.is_empty() { None } else { Some(preds.join(", ")) }
        };
        let key = def_key(&entry.path, cfg.as_deref(), twins.len(), n);
        let file = self.index.file(item.loc.file).map(|f| f.rel_path.clone()).unwrap_or_default();
        let scope = entry.module;
        let (params, body) = match &item.kind {
            ItemKind::Type(def) => {
                let tracker = self.tracker();
                let recorded = item.attrs.iter().find(|a| a.is("hotlint_opaque")).and_then(|a| match &a.args {
                    AttrArgs::Value(v) => Some(v.clone()),
                    _ => None,
                });
                let body = if let Some(fp) = recorded {
                    // A lock's record of a hand-written impl: its fingerprint, as written then.
                    Body::Opaque { fingerprint: fp, why: "hand-written serde impl".into() }
                } else if let Some(fp) = tracker.hand_written_serde(t) {
                    Body::Opaque { fingerprint: hex(fp), why: "hand-written serde impl".into() }
                } else if let Some((fp, which)) = tracker.hand_written_encoding(t) {
                    Body::Opaque { fingerprint: hex(fp), why: format!("hand-written `{which}` impl") }
                } else if let Some((attr, proxy)) = proxy_of(&item.attrs) {
                    let schema = match syn::parse_str::<syn::Type>(&proxy) {
                        Ok(pt) => self.ty(scope, &crate::parse::conv_ty(&pt, 0), &def.generics, 0, w),
                        Err(_) => Schema::Unresolved { path: proxy.clone() },
                    };
                    Body::Proxy { attr, schema }
                } else {
                    self.type_body(scope, item, def, w)
                };
                (def.generics.clone(), body)
            }
            ItemKind::Alias(a) => {
                let schema = self.ty(scope, &a.ty, &a.generics, 0, w);
                (a.generics.clone(), Body::Proxy { attr: "type".into(), schema })
            }
            _ => (Vec::new(), Body::Opaque { fingerprint: String::new(), why: "not a type definition".into() }),
        };
        (
            key,
            Def {
                path: entry.path.clone(),
                name: entry.name.clone(),
                params,
                cfg,
                file,
                line: item.loc.line,
                body,
                loc: Some(item.loc),
                ty: Some(t),
            },
        )
    }

    /// The current version of an obake type (`#[obake(version("…"))]`), from its migration.
    fn obake_version(&self, item: &Item) -> Option<String> {
        if !item.attrs.iter().any(|a| a.is("obake")) {
            return None;
        }
        let versions: Vec<String> = item
            .attrs
            .iter()
            .filter(|a| a.is("obake"))
            .flat_map(|a| a.list().iter())
            .filter(|m| m.path == "version")
            .filter_map(|m| m.list().first().and_then(|x| x.value_str()).map(str::to_string))
            .collect();
        let parse = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.trim().parse().unwrap_or(0)).collect() };
        versions.into_iter().max_by_key(|v| parse(v))
    }

    fn tracker(&self) -> crate::tracked::Tracker<'_> {
        crate::tracked::Tracker { index: self.index, res: self.res, migrations: self.migrations, impls: self.impls }
    }

    fn type_body(&self, scope: ModId, item: &Item, def: &TypeDef, w: &mut Walk) -> Body {
        // obake declares every version's fields side by side: what goes on the wire now is the
        // fields and variants that exist at the current version.
        let obake_at;
        let def = match self.obake_version(item) {
            Some(v) => {
                obake_at = obake_version_of(def, &v);
                &obake_at
            }
            None => def,
        };
        let attrs = &item.attrs;
        let serde_derived = migrations::has_serde_derive(self.res, scope, attrs, "Deserialize")
            || migrations::has_serde_derive(self.res, scope, attrs, "Serialize");
        let codec = codec_of(attrs, serde_derived, item);
        let tagging = match (flag(attrs, "untagged"), serde_value(attrs, "tag"), serde_value(attrs, "content")) {
            (true, _, _) => Tagging::Untagged,
            (false, Some(tag), Some(content)) => Tagging::Adjacent { tag, content },
            (false, Some(tag), None) => Tagging::Internal { tag },
            _ => Tagging::External,
        };
        let repr = attrs
            .iter()
            .find(|a| a.is("repr"))
            .map(|a| a.list().iter().map(meta_to_string).collect::<Vec<_>>().join(", "));
        let container = Container {
            transparent: flag(attrs, "transparent"),
            deny_unknown_fields: flag(attrs, "deny_unknown_fields"),
            default: flag(attrs, "default"),
            rename_all: serde_value(attrs, "rename_all"),
            rename_all_fields: serde_value(attrs, "rename_all_fields"),
            tagging,
            repr,
            serde_repr: derives(attrs)
                .any(|(p, _)| p.last().is_some_and(|l| l == "Serialize_repr" || l == "Deserialize_repr")),
            codec,
        };
        let rename_all = container.rename_all.clone();
        match def.kind {
            TypeKind::Enum => {
                let mut variants = Vec::new();
                let mut next_disc: Option<i128> = Some(0);
                for (index, v) in def.variants.iter().enumerate() {
                    let disc = match &v.discriminant {
                        Some(text) => self.eval_int(scope, text, 0),
                        None => next_disc,
                    };
                    next_disc = disc.and_then(|d| d.checked_add(1));
                    let v_rename_all =
                        serde_value(&v.attrs, "rename_all").or_else(|| container.rename_all_fields.clone());
                    let (form, fields) =
                        self.fields(scope, &v.fields, &def.generics, v_rename_all.as_deref(), false, w);
                    variants.push(VariantDef {
                        index,
                        name: crate::compare::serialized_name(&v.name, &v.attrs, rename_all.as_deref(), true),
                        rust: v.name.clone(),
                        form,
                        fields,
                        aliases: aliases(&v.attrs),
                        other: flag(&v.attrs, "other"),
                        skip: skip_of(&v.attrs),
                        discriminant: disc,
                        discriminant_text: v.discriminant.clone(),
                        id: index_attr(&v.attrs),
                        cfg: cfg_of(&v.attrs),
                        line: v.loc.line,
                        loc: Some(v.loc),
                    });
                }
                Body::Enum { variants, container }
            }
            _ => {
                let (form, fields) =
                    self.fields(scope, &def.fields, &def.generics, rename_all.as_deref(), container.default, w);
                Body::Struct { form, fields, container }
            }
        }
    }

    fn fields(
        &self,
        scope: ModId,
        fields: &Fields,
        generics: &[String],
        rename_all: Option<&str>,
        container_default: bool,
        w: &mut Walk,
    ) -> (Form, Vec<FieldDef>) {
        let form = match fields {
            Fields::Unit => Form::Unit,
            Fields::Named(_) => Form::Named,
            Fields::Tuple(v) if v.len() == 1 => Form::Newtype,
            Fields::Tuple(_) => Form::Tuple,
        };
        let out = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let rust = f.name.clone().unwrap_or_else(|| i.to_string());
                let name = match &f.name {
                    Some(n) => crate::compare::serialized_name(n, &f.attrs, rename_all, false),
                    None => i.to_string(),
                };
                let custom = custom_codec(&f.attrs);
                // A field that is neither written nor read leads nowhere on the wire (except
                // for what is carried in memory, where every field counts).
                let skipped = matches!(skip_of(&f.attrs), Skip::Both | Skip::SkipDeserializing);
                let mut throwaway = Walk::default();
                let w: &mut Walk = if skipped && !self.follow_skipped { &mut throwaway } else { &mut *w };
                let schema = match &custom {
                    Some(c) if c.iter().any(|s| s.contains("serde_bytes")) => {
                        let inner = self.ty(scope, &f.ty, generics, 0, w);
                        bytes_of(inner)
                    }
                    Some(c) => Schema::Opaque {
                        fingerprint: hex(self.codec_fingerprint(scope, &f.attrs, c)),
                        why: format!("its own serde functions ({})", c.join(", ")),
                    },
                    None => self.ty(scope, &f.ty, generics, 0, w),
                };
                let has_own_de =
                    ["with", "deserialize_with"].iter().any(|k| migrations::serde_value(&f.attrs, k).is_some());
                let optional = matches!(schema, Schema::Option(_)) && !has_own_de;
                FieldDef {
                    name,
                    rust,
                    schema,
                    written: crate::actors::written(&f.ty),
                    aliases: aliases(&f.attrs),
                    default: flag(&f.attrs, "default") || container_default,
                    optional,
                    skip: skip_of(&f.attrs),
                    flatten: flag(&f.attrs, "flatten"),
                    id: index_attr(&f.attrs),
                    cfg: cfg_of(&f.attrs),
                    line: f.loc.line,
                    loc: Some(f.loc),
                }
            })
            .collect();
        (form, out)
    }

    /// A fingerprint of a field's own serde functions: the bodies of the functions its `with`
    /// module or `serialize_with`/`deserialize_with` paths name, when they are in the workspace,
    /// else the attribute's text.
    fn codec_fingerprint(&self, scope: ModId, attrs: &[Attr], written: &[String]) -> u64 {
        let mut fp = xxhash_rust::xxh3::xxh3_64(written.join(", ").as_bytes());
        let mut fold = |x: u64| fp = fp.rotate_left(7) ^ x;
        for key in ["with", "serialize_with", "deserialize_with"] {
            let Some(path) = migrations::serde_value(attrs, key) else { continue };
            let segs: Vec<&str> = path.split("::").collect();
            match self.res.resolve(scope, false, &segs, &[], Ns::Value) {
                Res::Fn(id) => {
                    if let Some(Item { kind: ItemKind::Fn(f), .. }) = self.index.item(id) {
                        fold(f.body.fingerprint);
                    }
                }
                _ => {
                    if let Res::Mod(m) = self.res.resolve(scope, false, &segs, &[], Ns::Type) {
                        for f in &self.index.fns {
                            if f.module != m {
                                continue;
                            }
                            if let Some(Item { kind: ItemKind::Fn(def), .. }) = self.index.item(f.item) {
                                if def.name == "serialize" || def.name == "deserialize" {
                                    fold(def.body.fingerprint);
                                }
                            }
                        }
                    }
                }
            }
        }
        fp
    }

    /// The schema of a type written in module `scope` of a definition with `generics`.
    pub fn ty(&self, scope: ModId, ty: &Ty, generics: &[String], depth: usize, w: &mut Walk) -> Schema {
        if depth > crate::tracked::MAX_TYPE_DEPTH {
            w.truncated = true;
            return Schema::Opaque { fingerprint: String::new(), why: "nested too deep".into() };
        }
        match ty {
            Ty::Path(p) => self.path(scope, p, generics, depth, w),
            Ty::Tuple(v) if v.is_empty() => Schema::Unit,
            Ty::Tuple(v) => Schema::Tuple(v.iter().map(|t| self.ty(scope, t, generics, depth + 1, w)).collect()),
            Ty::Array(t, n) => Schema::Array {
                item: Box::new(self.ty(scope, t, generics, depth + 1, w)),
                len: self.eval_len(scope, n, generics),
            },
            Ty::Slice(t) => {
                Schema::Seq { item: Box::new(self.ty(scope, t, generics, depth + 1, w)), container: "[T]".into() }
            }
            Ty::Ref(t) => self.ty(scope, t, generics, depth + 1, w),
            Ty::Macro(m) => Schema::Opaque {
                fingerprint: hex(xxhash_rust::xxh3::xxh3_64(m.as_bytes())),
                why: "a type written as a macro".into(),
            },
            Ty::Ptr(_)
            | Ty::FnPtr(_)
            | Ty::TraitObject(_)
            | Ty::ImplTrait(_)
            | Ty::Never
            | Ty::Infer
            | Ty::Other(_) => {
                let text = crate::actors::written(ty);
                Schema::Opaque {
                    fingerprint: hex(xxhash_rust::xxh3::xxh3_64(text.as_bytes())),
                    why: format!("`{text}` is not serialized data"),
                }
            }
        }
    }

    fn path(&self, scope: ModId, p: &TyPath, generics: &[String], depth: usize, w: &mut Walk) -> Schema {
        // Every definition the path may name across `#[cfg]` variants (of the type, or of a
        // `use`, glob or `mod` on the way to it) is part of the schema: the first stands in the
        // field, the others are compared as definitions of their own.
        let all = self.res.resolve_ty_path_all(scope, p, generics);
        let paths: BTreeSet<String> = all
            .iter()
            .filter_map(|v| match v.res {
                Res::Type(t) => self.index.type_entry(t).map(|e| e.path.clone()),
                _ => None,
            })
            .collect();
        if paths.len() > 1 {
            w.alternatives.push(paths);
        }
        let mut variants = all.into_iter();
        let res = variants.next().map(|v| v.res).unwrap_or(Res::Unresolved);
        for v in variants {
            if let Res::Type(t) = v.res {
                let is_alias = self
                    .index
                    .type_entry(t)
                    .and_then(|e| self.index.item(e.item))
                    .is_some_and(|i| matches!(i.kind, ItemKind::Alias(_)));
                if !is_alias {
                    w.next.extend(self.twins(t));
                }
            }
        }
        // Arguments are walked with `w` so the types they name are followed.
        let args_w = |w: &mut Walk| -> Vec<Schema> {
            p.segments
                .last()
                .map(|s| s.args.iter().map(|a| self.arg(scope, a, generics, depth + 1, w)).collect())
                .unwrap_or_default()
        };
        match res {
            Res::Prim(n) => prim(&n),
            Res::Param(n) => match generics.iter().position(|g| *g == n) {
                Some(i) => Schema::Param(i),
                None => Schema::Unresolved { path: n },
            },
            Res::Type(t) => {
                let args = args_w(w);
                let Some(entry) = self.index.type_entry(t) else {
                    return Schema::Unresolved { path: p.names().join("::") };
                };
                if let Some(Item { kind: ItemKind::Alias(a), .. }) = self.index.item(entry.item) {
                    // An alias is what it stands for, its arguments substituted.
                    let inner = self.ty(entry.module, &a.ty, &a.generics, depth + 1, w);
                    return substitute(&inner, &args);
                }
                w.next.extend(self.twins(t));
                Schema::Ref { path: entry.path.clone(), args }
            }
            r @ (Res::Extern(_) | Res::ExternCandidates(_)) => {
                let path = self.res.display(&r);
                // An actor handle (`RemoteActorRef<Node>`) travels as an id: the actor it names
                // is not part of the data.
                let args = if crate::profiles::is_actor_handle(&path) { Vec::new() } else { args_w(w) };
                external(&path, args)
            }
            Res::MacroType(id) => {
                let (fp, what) = match self.index.item(id).map(|i| &i.kind) {
                    Some(ItemKind::Macro(m)) => (m.fingerprint, m.path.join("::")),
                    _ => (0, "macro".into()),
                };
                Schema::Opaque {
                    fingerprint: hex(fp),
                    why: format!("`{}` is defined by `{what}!`", p.names().join("::")),
                }
            }
            Res::SelfType => Schema::Unresolved { path: "Self".into() },
            Res::Unresolved => {
                let name = p.names().join("::");
                match self.macro_mentioning(scope, p.last_name().unwrap_or("")) {
                    Some((mac, fp)) => {
                        Schema::Opaque { fingerprint: hex(fp), why: format!("`{name}` is generated by `{mac}!`") }
                    }
                    None => Schema::Unresolved { path: name },
                }
            }
            Res::Mod(_) | Res::Trait(_) | Res::Const(_) | Res::Fn(_) | Res::Macro(_) => {
                Schema::Unresolved { path: p.names().join("::") }
            }
        }
    }

    /// A generic argument: a type, or a const value (`Buf<32>`, `Buf<LEN>`).
    fn arg(&self, scope: ModId, a: &Ty, generics: &[String], depth: usize, w: &mut Walk) -> Schema {
        match a {
            Ty::Other(text) => Schema::Const(self.eval_len(scope, text, generics)),
            Ty::Path(p) if p.segments.len() == 1 && p.segments.iter().all(|s| s.args.is_empty()) => {
                match self.res.resolve_ty_path(scope, p, generics) {
                    Res::Unresolved | Res::Const(_) => {
                        let text = p.names().join("::");
                        match self.eval_len(scope, &text, generics) {
                            Len::Unknown(_) => self.ty(scope, a, generics, depth, w),
                            len => Schema::Const(len),
                        }
                    }
                    _ => self.ty(scope, a, generics, depth, w),
                }
            }
            _ => self.ty(scope, a, generics, depth, w),
        }
    }

    /// An array length: a literal, a const generic parameter, or a workspace const.
    fn eval_len(&self, scope: ModId, text: &str, generics: &[String]) -> Len {
        let t = text.trim();
        if let Some(i) = generics.iter().position(|g| g == t) {
            return Len::Param(i);
        }
        match self.eval_int(scope, t, 0) {
            Some(v) if v >= 0 => Len::Known(v as u64),
            _ => Len::Unknown(t.to_string()),
        }
    }

    /// An integer constant expression: literals, paths to workspace consts (followed, at most 16
    /// deep), parentheses, unary minus and `+ - * / << |`.
    fn eval_int(&self, scope: ModId, text: &str, depth: usize) -> Option<i128> {
        if depth > 16 {
            return None;
        }
        let t = text.trim();
        let t = t.strip_prefix('{').and_then(|x| x.strip_suffix('}')).map(str::trim).unwrap_or(t);
        if let Some(v) = int_value(t) {
            return Some(v);
        }
        if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
            if balanced(inner) {
                return self.eval_int(scope, inner, depth + 1);
            }
        }
        // Binary operators, lowest precedence first, split at the last top-level occurrence.
        for ops in [&["|"][..], &["<<", ">>"], &["+", "-"], &["*", "/"]] {
            if let Some((l, op, r)) = split_top(t, ops) {
                let (a, b) = (self.eval_int(scope, l, depth + 1)?, self.eval_int(scope, r, depth + 1)?);
                return match op {
                    "|" => Some(a | b),
                    "<<" => u32::try_from(b).ok().and_then(|b| a.checked_shl(b)),
                    ">>" => u32::try_from(b).ok().and_then(|b| a.checked_shr(b)),
                    "+" => a.checked_add(b),
                    "-" => a.checked_sub(b),
                    "*" => a.checked_mul(b),
                    "/" => a.checked_div(b),
                    _ => None,
                };
            }
        }
        if let Some(rest) = t.strip_prefix('-') {
            return self.eval_int(scope, rest, depth + 1).map(|v| -v);
        }
        // A path to a const: `LEN`, `crate::limits::LEN`, `Self::LEN` is not followed.
        let path = t.replace(' ', "");
        if path.is_empty() || !path.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return None;
        }
        let segs: Vec<&str> = path.split("::").collect();
        let Res::Const(id) = self.res.resolve(scope, false, &segs, &[], Ns::Value) else { return None };
        let Some(Item { kind: ItemKind::Const(k), .. }) = self.index.item(id) else { return None };
        let module = self.index.consts.iter().find(|c| c.item == id).map(|c| c.module).unwrap_or(scope);
        self.eval_int(module, &k.value, depth + 1)
    }

    /// An item-level macro invocation in `scope` (or an `include!`) that may define `name`, with
    /// the fingerprint of its tokens.
    fn macro_mentioning(&self, scope: ModId, name: &str) -> Option<(String, u64)> {
        let module = self.index.module(scope)?;
        for &m in &module.macros {
            if let Some(Item { kind: ItemKind::Macro(mac), .. }) = self.index.item(m) {
                if mac.path.last().is_some_and(|p| p == "include") {
                    return Some(("include".into(), mac.fingerprint));
                }
                if mac.mentioned.binary_search(&name.to_string()).is_ok() {
                    return Some((mac.path.join("::"), mac.fingerprint));
                }
            }
        }
        None
    }
}

/// The fields and variants of an obake type that exist at `version`.
fn obake_version_of(def: &TypeDef, version: &str) -> TypeDef {
    let keep = |attrs: &[Attr]| migrations::obake_active(attrs, version);
    let mut out = def.clone();
    out.fields = match &def.fields {
        Fields::Named(f) => Fields::Named(f.iter().filter(|f| keep(&f.attrs)).cloned().collect()),
        Fields::Tuple(f) => Fields::Tuple(f.iter().filter(|f| keep(&f.attrs)).cloned().collect()),
        Fields::Unit => Fields::Unit,
    };
    out.variants = def.variants.iter().filter(|v| keep(&v.attrs)).cloned().collect();
    out
}

/// What one walk over a definition found besides its schema.
#[derive(Default)]
pub struct Walk {
    /// Workspace definitions referred to.
    pub next: Vec<TypeId>,
    pub truncated: bool,
    /// Paths one written path names across `#[cfg]` variants.
    pub alternatives: Vec<BTreeSet<String>>,
}

/// A string's integer value: decimal, hex, octal or binary, with `_` and a type suffix.
fn int_value(t: &str) -> Option<i128> {
    let t = t.trim();
    let t: String = t.chars().filter(|c| *c != '_').collect();
    let strip_suffix = |s: &str| -> String {
        for suf in ["usize", "isize", "u128", "i128", "u64", "i64", "u32", "i32", "u16", "i16", "u8", "i8"] {
            if let Some(x) = s.strip_suffix(suf) {
                return x.to_string();
            }
        }
        s.to_string()
    };
    let (radix, digits) = if let Some(x) = t.strip_prefix("0x") {
        (16, strip_suffix(x))
    } else if let Some(x) = t.strip_prefix("0o") {
        (8, strip_suffix(x))
    } else if let Some(x) = t.strip_prefix("0b") {
        (2, strip_suffix(x))
    } else {
        (10, strip_suffix(&t))
    };
    if digits.is_empty() {
        return None;
    }
    i128::from_str_radix(&digits, radix).ok()
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// The last top-level occurrence of one of `ops` in `t`: (left, op, right).
fn split_top<'t>(t: &'t str, ops: &[&'static str]) -> Option<(&'t str, &'static str, &'t str)> {
    let bytes = t.as_bytes();
    let mut depth = 0i32;
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes.get(i).copied().unwrap_or(b' ');
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        if depth == 0 && i > 0 {
            for op in ops {
                if t.get(i..).is_some_and(|rest| rest.starts_with(op)) {
                    // A `-` right after another operator is unary.
                    let before = t.get(..i).unwrap_or("").trim_end();
                    let unary = *op == "-" && before.ends_with(['+', '-', '*', '/', '|', '(', '<', '>']);
                    // `<<`'s halves are not `<`; `|` is not `||`.
                    if !unary {
                        found = Some((i, *op));
                    }
                }
            }
        }
        i += 1;
    }
    let (i, op) = found?;
    let (l, r) = (t.get(..i)?, t.get(i + op.len()..)?);
    if l.trim().is_empty() || r.trim().is_empty() {
        return None;
    }
    Some((l, op, r))
}

fn prim(n: &str) -> Schema {
    let int = |bits: u8, signed: bool| Schema::Int { bits, signed };
    match n {
        "bool" => Schema::Bool,
        "char" => Schema::Char,
        "str" => Schema::Str,
        "u8" => int(8, false),
        "u16" => int(16, false),
        "u32" => int(32, false),
        "u64" | "usize" => int(64, false),
        "u128" => int(128, false),
        "i8" => int(8, true),
        "i16" => int(16, true),
        "i32" => int(32, true),
        "i64" | "isize" => int(64, true),
        "i128" => int(128, true),
        "f32" => Schema::Float { bits: 32 },
        "f64" => Schema::Float { bits: 64 },
        other => Schema::Unresolved { path: other.to_string() },
    }
}

/// An external type, normalised where serde gives several types one data model.
pub fn external(path: &str, args: Vec<Schema>) -> Schema {
    let mut segs = path.split("::");
    let first = segs.next().unwrap_or("");
    let last = path.rsplit("::").next().unwrap_or(path);
    let std_like = matches!(first, "std" | "core" | "alloc");
    let known = std_like || matches!(first, "hashbrown" | "indexmap" | "serde_bytes" | "bytes");
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Schema::Unresolved { path: format!("{path}<…>") });
    if known {
        match last {
            "String" | "PathBuf" | "Path" | "str" if std_like => return Schema::Str,
            "Vec" | "VecDeque" | "LinkedList" | "BTreeSet" | "HashSet" | "BinaryHeap" | "IndexSet" => {
                return Schema::Seq { item: Box::new(arg(0)), container: last.to_string() };
            }
            "HashMap" | "BTreeMap" | "IndexMap" => {
                return Schema::Map { key: Box::new(arg(0)), value: Box::new(arg(1)), container: last.to_string() };
            }
            "Box" | "Arc" | "Rc" | "Cow" | "Cell" | "RefCell" | "Mutex" | "RwLock" | "Wrapping" | "Reverse"
            | "Saturating"
                if std_like =>
            {
                return arg(0);
            }
            "Option" if std_like => return Schema::Option(Box::new(arg(0))),
            "PhantomData" if std_like => return Schema::Unit,
            "ByteBuf" | "Bytes" | "BytesMut" if !std_like => return Schema::Bytes,
            _ => {}
        }
    }
    Schema::External { path: path.to_string(), args }
}

/// `Vec<u8>`/`[u8; N]`/`&[u8]` under `with = "serde_bytes"`: bytes.
fn bytes_of(inner: Schema) -> Schema {
    match &inner {
        Schema::Seq { item, .. } | Schema::Array { item, .. } if **item == (Schema::Int { bits: 8, signed: false }) => {
            Schema::Bytes
        }
        Schema::Option(i) => Schema::Option(Box::new(bytes_of((**i).clone()))),
        Schema::Bytes => Schema::Bytes,
        _ => inner,
    }
}

/// Replace the parameters of an alias's schema by the arguments it was given.
pub fn substitute(s: &Schema, args: &[Schema]) -> Schema {
    let sub = |x: &Schema| substitute(x, args);
    match s {
        Schema::Param(i) => args.get(*i).cloned().unwrap_or(Schema::Param(*i)),
        Schema::Option(x) => Schema::Option(Box::new(sub(x))),
        Schema::Seq { item, container } => Schema::Seq { item: Box::new(sub(item)), container: container.clone() },
        Schema::Array { item, len } => Schema::Array {
            item: Box::new(sub(item)),
            len: match len {
                Len::Param(i) => match args.get(*i) {
                    Some(Schema::Const(l)) => l.clone(),
                    Some(Schema::Param(j)) => Len::Param(*j),
                    _ => len.clone(),
                },
                l => l.clone(),
            },
        },
        Schema::Tuple(v) => Schema::Tuple(v.iter().map(sub).collect()),
        Schema::Map { key, value, container } => {
            Schema::Map { key: Box::new(sub(key)), value: Box::new(sub(value)), container: container.clone() }
        }
        Schema::Ref { path, args: a } => Schema::Ref { path: path.clone(), args: a.iter().map(sub).collect() },
        Schema::External { path, args: a } => external(path, a.iter().map(sub).collect()),
        Schema::Const(Len::Param(i)) => match args.get(*i) {
            Some(c @ Schema::Const(_)) => c.clone(),
            _ => s.clone(),
        },
        other => other.clone(),
    }
}

/// `#[serde(from = "P")]`, `try_from`, `into`: the attribute and the proxy type. A reader reads
/// the `from`/`try_from` proxy; `into` alone decides what is written.
fn proxy_of(attrs: &[Attr]) -> Option<(String, String)> {
    ["from", "try_from", "into"].iter().find_map(|k| migrations::serde_value(attrs, k).map(|v| (k.to_string(), v)))
}

/// The derive that writes a type's bytes when serde's does not.
fn codec_of(attrs: &[Attr], serde: bool, item: &Item) -> Option<String> {
    let _ = attrs;
    if serde {
        return None;
    }
    derive_codec(item).map(str::to_string)
}

/// A non-serde derive that decides a type's bytes: `minicbor` (`#[n(k)]`/`#[b(k)]` indices),
/// `prost` (`#[prost(…, tag = "k")]`), `borsh`, `bitcode`.
pub fn derive_codec(item: &Item) -> Option<&'static str> {
    let ItemKind::Type(def) = &item.kind else { return None };
    let indexed = |name: &str| {
        def.all_fields().any(|f| f.attrs.iter().any(|a| a.is(name)))
            || def.variants.iter().any(|v| v.attrs.iter().any(|a| a.is(name)))
    };
    for (p, _) in derives(&item.attrs) {
        let first = p.first().map(String::as_str).unwrap_or("");
        let last = p.last().map(String::as_str).unwrap_or("");
        match (first, last) {
            ("minicbor", _) => return Some("minicbor"),
            (_, "Encode" | "Decode" | "CborLen") if indexed("n") || indexed("b") || indexed("cbor") => {
                return Some("minicbor");
            }
            ("prost", _) => return Some("prost"),
            (_, "Message" | "Oneof") if indexed("prost") => return Some("prost"),
            ("borsh", _) | (_, "BorshSerialize" | "BorshDeserialize") => return Some("borsh"),
            ("bitcode", _) => return Some("bitcode"),
            _ => {}
        }
    }
    None
}

/// `#[n(k)]`/`#[b(k)]` (minicbor) or `#[prost(…, tag = "k")]`: the index that identifies a field
/// or variant.
fn index_attr(attrs: &[Attr]) -> Option<u64> {
    for a in attrs {
        if a.is("n") || a.is("b") || a.is("cbor") {
            let lit = a.list().iter().find_map(|m| match &m.value {
                MetaValue::Literal(v) => Some(v.clone()),
                MetaValue::None => Some(m.path.clone()),
                _ => None,
            });
            let lit = if a.is("cbor") {
                a.list().iter().find(|m| m.path == "n" || m.path == "b").and_then(|m| {
                    m.list().first().and_then(|x| x.value_str().map(str::to_string).or(Some(x.path.clone())))
                })
            } else {
                lit
            };
            if let Some(v) = lit.as_deref().and_then(int_value) {
                return u64::try_from(v).ok();
            }
        }
        if a.is("prost") {
            if let Some(v) = a.list().iter().find(|m| m.path == "tag").and_then(|m| m.value_str()).and_then(int_value) {
                return u64::try_from(v).ok();
            }
        }
    }
    None
}

fn cfg_of(attrs: &[Attr]) -> Option<String> {
    let preds = cfg_predicates(attrs);
    if preds.is_empty() { None } else { Some(preds.join(", ")) }
}

fn flag(attrs: &[Attr], key: &str) -> bool {
    attrs.iter().filter(|a| a.is("serde")).flat_map(|a| a.list().iter()).any(|m| m.path == key)
}

fn serde_value(attrs: &[Attr], key: &str) -> Option<String> {
    migrations::serde_value(attrs, key)
}

fn aliases(attrs: &[Attr]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.is("serde"))
        .flat_map(|a| a.list().iter())
        .filter(|m| m.path == "alias")
        .filter_map(|m| m.value_str().map(str::to_string))
        .collect()
}

fn skip_of(attrs: &[Attr]) -> Skip {
    let metas: Vec<&Meta> = attrs.iter().filter(|a| a.is("serde")).flat_map(|a| a.list().iter()).collect();
    let has = |k: &str| metas.iter().any(|m| m.path == k);
    if has("skip") || (has("skip_serializing") && has("skip_deserializing")) {
        Skip::Both
    } else if has("skip_deserializing") {
        Skip::SkipDeserializing
    } else if has("skip_serializing") {
        Skip::SkipSerializing
    } else if has("skip_serializing_if") {
        Skip::SkipSerializingIf
    } else {
        Skip::None
    }
}

/// A field's own serde functions, as written (`with = "m"`, `serde_as(as = "…")`).
fn custom_codec(attrs: &[Attr]) -> Option<Vec<String>> {
    let mut out: Vec<String> = ["with", "serialize_with", "deserialize_with"]
        .iter()
        .filter_map(|k| migrations::serde_value(attrs, k).map(|v| format!("{k} = \"{v}\"")))
        .collect();
    out.extend(
        attrs
            .iter()
            .filter(|a| a.is("serde_as"))
            .map(|a| a.list().iter().map(meta_to_string).collect::<Vec<_>>().join(", ")),
    );
    if out.is_empty() { None } else { Some(out) }
}

pub fn hex(v: u64) -> String {
    format!("{v:016x}")
}

impl Schema {
    /// The schema as a reader would write the type: aliases resolved, containers by the name
    /// they were written with, workspace definitions by their name.
    pub fn display(&self, params: &[String]) -> String {
        let d = |s: &Schema| s.display(params);
        match self {
            Schema::Bool => "bool".into(),
            Schema::Int { bits, signed } => format!("{}{bits}", if *signed { 'i' } else { 'u' }),
            Schema::Float { bits } => format!("f{bits}"),
            Schema::Char => "char".into(),
            Schema::Str => "String".into(),
            Schema::Bytes => "bytes".into(),
            Schema::Unit => "()".into(),
            Schema::Option(x) => format!("Option<{}>", d(x)),
            Schema::Seq { item, container } if container == "[T]" => format!("[{}]", d(item)),
            Schema::Seq { item, container } => format!("{container}<{}>", d(item)),
            Schema::Array { item, len } => format!("[{}; {}]", d(item), len.display(params)),
            Schema::Tuple(v) => format!("({})", v.iter().map(d).collect::<Vec<_>>().join(", ")),
            Schema::Map { key, value, container } => format!("{container}<{}, {}>", d(key), d(value)),
            Schema::Ref { path, args } | Schema::External { path, args } => {
                let name =
                    if matches!(self, Schema::Ref { .. }) { path.rsplit("::").next().unwrap_or(path) } else { path };
                if args.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}<{}>", args.iter().map(d).collect::<Vec<_>>().join(", "))
                }
            }
            Schema::Param(i) => params.get(*i).cloned().unwrap_or_else(|| format!("T{i}")),
            Schema::Const(l) => l.display(params),
            Schema::Opaque { why, .. } => format!("opaque ({why})"),
            Schema::Unresolved { path } => path.clone(),
        }
    }
}

impl Len {
    pub fn display(&self, params: &[String]) -> String {
        match self {
            Len::Known(n) => n.to_string(),
            Len::Param(i) => params.get(*i).cloned().unwrap_or_else(|| format!("N{i}")),
            Len::Unknown(t) => t.clone(),
        }
    }
}

/// Build the given definitions alone (not what they reach), on the current rayon pool: what a
/// comparison needs of a base revision is the counterparts of the head's definitions.
pub fn build_defs(
    index: &Index,
    aliases: &BTreeMap<String, String>,
    impls: &BTreeMap<TypeId, Vec<usize>>,
    migrations: &BTreeMap<TypeId, migrations::Migration>,
    types: &[TypeId],
) -> Schemas {
    use rayon::prelude::*;
    let chunk = types.len().div_ceil(rayon::current_num_threads().max(1) * 4).max(1);
    let parts: Vec<Schemas> = types
        .par_chunks(chunk)
        .map(|ts| {
            let res = Resolver::new(index, aliases);
            let mut b = Builder::new(index, &res, impls, migrations);
            let mut out = Schemas::default();
            // What the definitions reach is built too (a newtype's inner type, a proxy's target:
            // the comparison reads them), each once per chunk.
            let mut queue: VecDeque<TypeId> = ts.iter().copied().collect();
            let mut seen: BTreeSet<TypeId> = queue.iter().copied().collect();
            while let Some(t) = queue.pop_front() {
                if seen.len() > crate::tracked::MAX_CLOSURE * 4 {
                    break;
                }
                let (key, def, next, _) = b.def(t);
                out.defs.entry(key).or_insert(def);
                for n in next {
                    if seen.insert(n) {
                        queue.push_back(n);
                    }
                }
            }
            for set in b.alternatives.drain(..) {
                for p in &set {
                    out.alternatives.entry(p.clone()).or_default().extend(set.iter().filter(|q| *q != p).cloned());
                }
            }
            out
        })
        .collect();
    let mut all = Schemas::default();
    for p in parts {
        all.absorb(p);
    }
    all
}

/// Build the schemas of the given tracked roots on the current rayon pool, one builder per
/// thread, merged in a fixed order.
pub fn build_all(
    index: &Index,
    aliases: &BTreeMap<String, String>,
    impls: &BTreeMap<TypeId, Vec<usize>>,
    migrations: &BTreeMap<TypeId, migrations::Migration>,
    roots: &[TypeId],
    memory: &BTreeSet<TypeId>,
) -> Schemas {
    use rayon::prelude::*;
    // One builder per chunk of roots: a definition shared by many tracked types is built once
    // per chunk, not once per root.
    let chunk = roots.len().div_ceil(rayon::current_num_threads().max(1) * 4).max(1);
    let parts: Vec<Schemas> = roots
        .par_chunks(chunk)
        .map(|rs| {
            let res = Resolver::new(index, aliases);
            let mut plain = Builder::new(index, &res, impls, migrations);
            let mut out = Schemas::default();
            for &root in rs {
                if memory.contains(&root) {
                    // What is carried in memory follows the fields serde skips: a builder of its own.
                    let mut b = Builder::new(index, &res, impls, migrations);
                    b.follow_skipped = true;
                    b.root(root, &mut out);
                } else {
                    plain.root(root, &mut out);
                }
            }
            out
        })
        .collect();
    let mut all = Schemas::default();
    for p in parts {
        all.absorb(p);
    }
    all
}

/// The tracked types `schema TYPE…` names (canonical path or bare name), or all of them.
pub fn select(m: &crate::model::Model, names: &[String]) -> Result<Vec<String>, String> {
    let all: Vec<String> = m.schemas.roots.keys().cloned().collect();
    if names.is_empty() {
        return Ok(all);
    }
    let mut out = Vec::new();
    for n in names {
        let hits: Vec<&String> = all.iter().filter(|p| *p == n || p.rsplit("::").next() == Some(n.as_str())).collect();
        if hits.is_empty() {
            return Err(format!(
                "`{n}` is not a tracked type (`cargo hotlint schema` with no argument lists every tracked type)"
            ));
        }
        out.extend(hits.into_iter().cloned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn encoding_text(m: &crate::model::Model, path: &str) -> String {
    m.tracked
        .values()
        .find(|t| t.path == path)
        .and_then(|t| m.encodings.get(&t.ty))
        .map(|e| format!("{} ({})", e.class.as_str(), e.source))
        .unwrap_or_else(|| "unknown".into())
}

/// `schema` as text: per tracked type, each definition it reaches, one line per field or variant.
pub fn to_human(m: &crate::model::Model, selected: &[String]) -> String {
    let mut s = String::new();
    for path in selected {
        let Some(root) = m.schemas.roots.get(path) else { continue };
        s.push_str(&format!("{path}\n  encoding: {}\n", encoding_text(m, path)));
        if let Some(t) = m.tracked.values().find(|t| &t.path == path) {
            s.push_str(&format!("  tracked: {}\n", crate::tracked::reasons_text(t)));
        }
        for key in &root.defs {
            let Some(def) = m.schemas.defs.get(key) else { continue };
            for line in def.lines() {
                s.push_str("  ");
                s.push_str(&line);
                s.push('\n');
            }
        }
        for b in &root.boundaries {
            s.push_str(&format!("  {b}: versioned on its own (checked as its own tracked type)\n"));
        }
        if root.truncated {
            s.push_str("  … truncated: a resource limit was reached (HL013)\n");
        }
        s.push('\n');
    }
    if selected.is_empty() {
        s.push_str("no tracked types\n");
    }
    s
}

/// `schema --format json`.
pub fn to_json(m: &crate::model::Model, selected: &[String]) -> serde_json::Value {
    let types: Vec<serde_json::Value> = selected
        .iter()
        .filter_map(|path| {
            let root = m.schemas.roots.get(path)?;
            let defs: Vec<&Def> = root.defs.iter().filter_map(|k| m.schemas.defs.get(k)).collect();
            Some(serde_json::json!({
                "type": path,
                "encoding": m.tracked.values().find(|t| &t.path == path).and_then(|t| m.encodings.get(&t.ty)).map(|e| e.class.as_str()),
                "root": root.schema,
                "definitions": defs,
                "boundaries": root.boundaries,
                "truncated": root.truncated,
            }))
        })
        .collect();
    serde_json::json!({ "schema": 1, "types": types })
}

impl FieldDef {
    /// `name: type` with the facts that change how it reads.
    pub fn line(&self, params: &[String]) -> String {
        let mut facts: Vec<String> = Vec::new();
        if let Some(id) = self.id {
            facts.push(format!("#{id}"));
        }
        if self.rust != self.name {
            facts.push(format!("rust `{}`", self.rust));
        }
        if self.default {
            facts.push("default".into());
        }
        if self.optional {
            facts.push("optional".into());
        }
        match self.skip {
            Skip::None => {}
            Skip::Both => facts.push("skip".into()),
            Skip::SkipSerializing => facts.push("skip_serializing".into()),
            Skip::SkipSerializingIf => facts.push("skip_serializing_if".into()),
            Skip::SkipDeserializing => facts.push("skip_deserializing".into()),
        }
        if self.flatten {
            facts.push("flatten".into());
        }
        for a in &self.aliases {
            facts.push(format!("alias `{a}`"));
        }
        if let Some(c) = &self.cfg {
            facts.push(format!("cfg({c})"));
        }
        let facts = if facts.is_empty() { String::new() } else { format!("  [{}]", facts.join(", ")) };
        format!("{}: {}{facts}", self.name, self.schema.display(params))
    }
}

impl Def {
    /// The definition as text, one line per field or variant.
    pub fn lines(&self) -> Vec<String> {
        let params = &self.params;
        let generics = if params.is_empty() { String::new() } else { format!("<{}>", params.join(", ")) };
        let cfg = self.cfg.as_ref().map(|c| format!(" #[cfg({c})]")).unwrap_or_default();
        let at = format!("  ({}:{})", self.file, self.line);
        let mut out = Vec::new();
        let container_facts = |c: &Container| -> String {
            let mut f: Vec<String> = Vec::new();
            if let Some(codec) = &c.codec {
                f.push(codec.clone());
            }
            match &c.tagging {
                Tagging::External => {}
                Tagging::Internal { tag } => f.push(format!("tag = \"{tag}\"")),
                Tagging::Adjacent { tag, content } => f.push(format!("tag = \"{tag}\", content = \"{content}\"")),
                Tagging::Untagged => f.push("untagged".into()),
            }
            if c.transparent {
                f.push("transparent".into());
            }
            if c.deny_unknown_fields {
                f.push("deny_unknown_fields".into());
            }
            if c.default {
                f.push("default".into());
            }
            if let Some(r) = &c.rename_all {
                f.push(format!("rename_all = \"{r}\""));
            }
            if c.serde_repr {
                f.push("serde_repr".into());
            }
            if let Some(r) = &c.repr {
                f.push(format!("repr({r})"));
            }
            if f.is_empty() { String::new() } else { format!(" [{}]", f.join(", ")) }
        };
        let indent = |lines: &mut Vec<String>, fields: &[FieldDef], depth: &str| {
            for f in fields {
                lines.push(format!("{depth}{}", f.line(params)));
            }
        };
        match &self.body {
            Body::Struct { form, fields, container } => {
                let form_text = match form {
                    Form::Unit => " (unit)",
                    Form::Newtype => " (newtype)",
                    Form::Tuple => " (tuple)",
                    Form::Named => "",
                };
                out.push(format!("struct {}{generics}{form_text}{}{cfg}{at}", self.path, container_facts(container)));
                indent(&mut out, fields, "    ");
            }
            Body::Enum { variants, container } => {
                out.push(format!("enum {}{generics}{}{cfg}{at}", self.path, container_facts(container)));
                for v in variants {
                    let mut facts: Vec<String> = Vec::new();
                    if let Some(id) = v.id {
                        facts.push(format!("#{id}"));
                    }
                    if let Some(d) = v.discriminant.filter(|_| container.serde_repr || v.discriminant_text.is_some()) {
                        facts.push(format!("= {d}"));
                    }
                    if v.rust != v.name {
                        facts.push(format!("rust `{}`", v.rust));
                    }
                    if v.other {
                        facts.push("other".into());
                    }
                    if !v.skip.is_none() {
                        facts.push("skip".into());
                    }
                    for a in &v.aliases {
                        facts.push(format!("alias `{a}`"));
                    }
                    if let Some(c) = &v.cfg {
                        facts.push(format!("cfg({c})"));
                    }
                    let form = match v.form {
                        Form::Unit => "",
                        Form::Newtype | Form::Tuple => " (…)",
                        Form::Named => " {…}",
                    };
                    let facts = if facts.is_empty() { String::new() } else { format!("  [{}]", facts.join(", ")) };
                    out.push(format!("    {} {}{form}{facts}", v.index, v.name));
                    indent(&mut out, &v.fields, "        ");
                }
            }
            Body::Proxy { attr, schema } => {
                out.push(format!(
                    "{} {}{generics} = {} (serde `{attr}`){cfg}{at}",
                    "proxy",
                    self.path,
                    schema.display(params)
                ));
            }
            Body::Opaque { fingerprint, why } => {
                out.push(format!("opaque {}{cfg}: {why}, fingerprint {fingerprint}{at}", self.path));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_values() {
        assert_eq!(int_value("36"), Some(36));
        assert_eq!(int_value("1_000usize"), Some(1000));
        assert_eq!(int_value("0x10"), Some(16));
        assert_eq!(int_value("LEN"), None);
    }

    #[test]
    fn top_level_split() {
        assert_eq!(split_top("A * 2", &["*", "/"]), Some(("A ", "*", " 2")));
        assert_eq!(split_top("(A + 1) * 2", &["+", "-"]), None);
        assert_eq!(split_top("1 << 4", &["<<", ">>"]), Some(("1 ", "<<", " 4")));
    }

    #[test]
    fn containers_normalise() {
        let u8s = || vec![Schema::Int { bits: 8, signed: false }];
        assert_eq!(external("std::boxed::Box", vec![Schema::Str]), Schema::Str);
        assert!(matches!(external("std::collections::VecDeque", u8s()), Schema::Seq { .. }));
        assert_eq!(external("std::marker::PhantomData", u8s()), Schema::Unit);
        assert!(matches!(external("uuid::Uuid", Vec::new()), Schema::External { .. }));
    }
}
