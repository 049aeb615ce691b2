//! Owned, `Send` summaries of parsed source files: what `parse` hands to `index`.
//!
//! Input: nothing (data types only). Output: the item-level description of a file that every
//! later stage works from. syn trees never leave the parsing thread; this is what survives.
//! Invariant: no `proc_macro2::Span` is stored here, only [`Loc`]s (1-based lines and columns,
//! columns counted in characters) and byte offsets computed while the file was parsed.

use std::sync::Arc;

/// Index of a file in [`crate::index::Index::files`] (and in the parse output).
pub type FileId = u32;

/// A location in one source file. Lines and columns are 1-based, columns in characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// One parsed (or unparsable) file.
#[derive(Debug)]
pub struct FileSummary {
    pub id: FileId,
    /// Path relative to the workspace root, with `/` separators.
    pub rel_path: String,
    pub text: Arc<str>,
    /// xxh3 of the file's bytes: a file with the same path and hash at another revision is the
    /// same file, and its summary is reused instead of parsed again.
    pub hash: u64,
    /// Why the file could not be read or parsed (HL000). `items` is empty then.
    pub error: Option<ParseFailure>,
    pub items: Vec<Item>,
    /// Inner attributes of the file (`#![cfg(test)]`, …).
    pub inner_attrs: Vec<Attr>,
    /// `// hotlint: allow(...)` comments found in the file.
    pub allows: Vec<AllowComment>,
}

#[derive(Clone, Debug)]
pub struct ParseFailure {
    pub message: String,
    /// Where syn (or the reader) says the problem is; `None` when the file could not be read.
    pub loc: Option<Loc>,
}

/// `// hotlint: allow(rule, …) -- reason` on one line.
#[derive(Clone, Debug)]
pub struct AllowComment {
    pub line: u32,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Item {
    /// Index (in [`FileSummary::items`]) of the inline module or function that contains this
    /// item; `None` at the file's top level. Items are stored flat, parents before children.
    pub parent: Option<u32>,
    pub kind: ItemKind,
    pub attrs: Vec<Attr>,
    pub is_pub: bool,
    /// The item's name token (or the `impl` keyword for impls).
    pub loc: Loc,
    /// First line of the item including its attributes and doc comments.
    pub first_line: u32,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Use(Vec<UseEntry>),
    Type(TypeDef),
    Alias(AliasDef),
    Impl(ImplDef),
    Trait(TraitDef),
    Const(ConstDef),
    Fn(FnDef),
    Mod(ModDef),
    ExternCrate { name: String, rename: Option<String> },
    Macro(MacroItem),
    MacroRules { name: String },
    Other,
}

/// One leaf of a `use` tree: `use a::b::{c as d, e::*}` gives `a::b::c as d` and `a::b::e::*`.
#[derive(Clone, Debug)]
pub struct UseEntry {
    pub global: bool,
    pub path: Vec<String>,
    /// The name it binds; `None` for a glob. `use a::b::{self}` binds `b`; `as _` binds nothing.
    pub alias: Option<String>,
    pub glob: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeKind {
    Struct,
    Enum,
    Union,
}

#[derive(Clone, Debug)]
pub struct TypeDef {
    pub kind: TypeKind,
    pub name: String,
    pub generics: Vec<String>,
    /// Struct and union fields (empty `Fields::Unit` for enums).
    pub fields: Fields,
    pub variants: Vec<Variant>,
}

impl TypeDef {
    /// A struct's fields, or every variant's fields in order.
    pub fn all_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().chain(self.variants.iter().flat_map(|v| v.fields.iter()))
    }
}

#[derive(Clone, Debug)]
pub enum Fields {
    Named(Vec<Field>),
    Tuple(Vec<Field>),
    Unit,
}

impl Fields {
    pub fn iter(&self) -> std::slice::Iter<'_, Field> {
        match self {
            Fields::Named(f) | Fields::Tuple(f) => f.iter(),
            Fields::Unit => [].iter(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Fields::Named(f) | Fields::Tuple(f) => f.len(),
            Fields::Unit => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    /// `None` for tuple fields.
    pub name: Option<String>,
    pub ty: Ty,
    pub attrs: Vec<Attr>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub fields: Fields,
    pub discriminant: Option<String>,
    pub attrs: Vec<Attr>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct AliasDef {
    pub name: String,
    pub generics: Vec<String>,
    pub ty: Ty,
}

#[derive(Clone, Debug)]
pub struct TraitDef {
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct ConstDef {
    pub name: String,
    pub ty: Ty,
    /// The initializer's tokens, normalised (`2`, `Version :: new (6 , 0 , 0)`).
    pub value: String,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct ModDef {
    pub name: String,
    /// `mod m { … }` (its items follow with `parent` set) rather than `mod m;`.
    pub inline: bool,
    /// Values of `#[path = "…"]` (also inside `cfg_attr`).
    pub path_attrs: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct MacroItem {
    pub path: Vec<String>,
    /// Identifiers that the invocation's tokens declare with `struct`/`enum`/`type`/`union`,
    /// plus every identifier it mentions (for opaque-leaf attribution).
    pub declared: Vec<String>,
    pub mentioned: Vec<String>,
    pub fingerprint: u64,
}

#[derive(Clone, Debug)]
pub struct ImplDef {
    pub generics: Vec<String>,
    pub trait_path: Option<TyPath>,
    pub negative: bool,
    pub self_ty: Ty,
    pub assoc_types: Vec<AssocType>,
    pub consts: Vec<ConstDef>,
    pub fns: Vec<FnDef>,
    /// Location of `impl … for Type` header (from `impl` to the self type).
    pub header: Loc,
}

#[derive(Clone, Debug)]
pub struct AssocType {
    pub name: String,
    pub ty: Ty,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct FnDef {
    pub name: String,
    pub attrs: Vec<Attr>,
    pub loc: Loc,
    pub first_line: u32,
    pub params: Vec<Param>,
    pub has_self: bool,
    pub ret: Option<Ty>,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Option<String>,
    pub ty: Ty,
}

/// What the rules need from a function body, read from its tokens.
#[derive(Clone, Debug, Default)]
pub struct Body {
    /// Hash of the body's normalised tokens (comments and whitespace do not count).
    pub fingerprint: u64,
    /// Hashes (xxh3) of every identifier the body mentions, sorted and deduplicated.
    pub idents: Vec<u64>,
    /// `Path::f(` and `.f(` calls whose function name is one the profiles care about.
    pub calls: Vec<CallSite>,
    /// The body is a single literal (`fn revision() -> u16 { 2 }`).
    pub literal: Option<String>,
    /// Arms of the first `match` on the first parameter (hotlint's `code_change`).
    pub match_arms: Option<Vec<MatchArm>>,
    /// Arms of the first `match` on anything (versioned-enum upgrade functions).
    pub match_variants: Vec<Vec<String>>,
}

/// The hash [`Body::idents`] holds for identifier `name`.
pub fn ident_hash(name: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(name.as_bytes())
}

#[derive(Clone, Debug)]
pub struct CallSite {
    /// Path segments before the function name (`Counter::spawn` gives `["Counter"]`); empty
    /// for a method call.
    pub path: Vec<String>,
    pub func: String,
    pub method: bool,
    /// For a method call, the type its receiver is visibly built from (`Worker.start()`,
    /// `Worker { … }.start()`, `Worker::new(…).start()`).
    pub receiver: Option<String>,
    /// Turbofish arguments as written (`with_handler::<A, M>` gives `["A", "M"]`).
    pub generics: Vec<String>,
    /// String literals passed directly as arguments.
    pub str_args: Vec<String>,
    /// For each argument, the type it visibly builds (`Child`, `Child { … }`, `Child::new(…)`,
    /// `a::Child::default()` give `Child` or `a::Child`), or empty: where a spawn call made
    /// through a trait or a system (`Actor::spawn(None, Child, ())`) names its actor.
    pub arg_types: Vec<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct MatchArm {
    pub pattern: VersionPattern,
    /// The arm's body only fails (`Err(…)`, `panic!`, `unreachable!`, `todo!`, `unimplemented!`).
    pub only_fails: bool,
    pub fingerprint: u64,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionPattern {
    /// Integer literals and inclusive ranges (`1`, `2 | 3`, `4..=6`, `..3`).
    Ranges(Vec<(u64, u64)>),
    /// `_` or a binding.
    CatchAll,
    /// Anything else (a path to a const, a guard we cannot read, …).
    Other(String),
}

/// A type as written, with paths unresolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Path(TyPath),
    Tuple(Vec<Ty>),
    Array(Box<Ty>, String),
    Slice(Box<Ty>),
    Ref(Box<Ty>),
    Ptr(Box<Ty>),
    FnPtr(String),
    TraitObject(Vec<TyPath>),
    ImplTrait(String),
    Never,
    Infer,
    Macro(String),
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TyPath {
    pub global: bool,
    /// `<T as Trait>::X`: the qualified self type.
    pub qself: Option<Box<Ty>>,
    pub segments: Vec<PathSeg>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathSeg {
    pub name: String,
    /// Type arguments (lifetimes dropped; const arguments as `Ty::Other`; associated type
    /// bindings `Item = T` as their type).
    pub args: Vec<Ty>,
    /// `Fn(A, B) -> C` sugar: `args` are the inputs, `ret` the output.
    pub fn_sugar: bool,
    pub ret: Option<Box<Ty>>,
}

impl TyPath {
    pub fn names(&self) -> Vec<String> {
        self.segments.iter().map(|s| s.name.clone()).collect()
    }

    /// The segments' names, borrowed (for name resolution, which copies them only on a cache
    /// miss).
    pub fn name_refs(&self) -> Vec<&str> {
        self.segments.iter().map(|s| s.name.as_str()).collect()
    }

    pub fn last_name(&self) -> Option<&str> {
        self.segments.last().map(|s| s.name.as_str())
    }
}

/// An attribute, with `cfg_attr` already unwrapped: `#[cfg_attr(p, serde(x))]` is a `serde`
/// attribute with `cfg = Some("p")`.
#[derive(Clone, Debug)]
pub struct Attr {
    pub path: Vec<String>,
    pub args: AttrArgs,
    pub cfg: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrArgs {
    None,
    /// `#[path = "x"]`: the value's tokens (string literals unquoted).
    Value(String),
    /// `#[attr(a, b = 1, c(d))]`.
    List(Vec<Meta>),
}

/// One element of an attribute's argument list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// `a`, `a::b`, or empty for a bare literal (`#[obake(version("0.1.0"))]` has a list whose
    /// only element is the literal).
    pub path: String,
    pub value: MetaValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaValue {
    None,
    /// `key = value`: string literals unquoted; other expressions as normalised tokens.
    Value(String),
    List(Vec<Meta>),
    /// A bare literal element (`"0.1.0"`, `2`).
    Literal(String),
}

impl Attr {
    pub fn is(&self, name: &str) -> bool {
        self.path.len() == 1 && self.path.first().is_some_and(|p| p == name)
    }

    pub fn last(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or("")
    }

    pub fn list(&self) -> &[Meta] {
        match &self.args {
            AttrArgs::List(l) => l,
            _ => &[],
        }
    }
}

impl Meta {
    pub fn value_str(&self) -> Option<&str> {
        match &self.value {
            MetaValue::Value(v) | MetaValue::Literal(v) => Some(v),
            _ => None,
        }
    }

    pub fn list(&self) -> &[Meta] {
        match &self.value {
            MetaValue::List(l) => l,
            _ => &[],
        }
    }
}

/// Find `key` (or `key = …`) in a meta list.
pub fn meta_get<'a>(list: &'a [Meta], key: &str) -> Option<&'a Meta> {
    list.iter().find(|m| m.path == key)
}

/// Every derive path of an attribute list (`derive` and `cfg_attr(…, derive)`).
/// `a::b::C` as its segments; a path without `::` (most derives) is not searched for them.
fn path_segments(path: &str) -> Vec<String> {
    if path.as_bytes().contains(&b':') {
        path.split("::").map(str::to_string).collect()
    } else {
        vec![path.to_string()]
    }
}

pub fn derives(attrs: &[Attr]) -> impl Iterator<Item = (Vec<String>, &Attr)> {
    attrs.iter().filter(|a| a.is("derive")).flat_map(|a| a.list().iter().map(move |m| (path_segments(&m.path), a)))
}

/// What follows the last `::` of a path (all of it when there is none): `path.rsplit("::")`'s
/// first piece, without a substring searcher (it runs for every derive of every type).
pub fn last_segment(path: &str) -> &str {
    let b = path.as_bytes();
    let mut end = b.len();
    while end >= 2 {
        if b.get(end - 2..end) == Some(b"::") {
            return path.get(end..).unwrap_or("");
        }
        end -= 1;
    }
    path
}

/// [`derives`] whose last name `keep` accepts; the others are not split into segments.
pub fn derives_where<'a>(
    attrs: &'a [Attr],
    keep: impl Fn(&str) -> bool + Copy + 'a,
) -> impl Iterator<Item = (Vec<String>, &'a Attr)> {
    attrs.iter().filter(|a| a.is("derive")).flat_map(move |a| {
        a.list().iter().filter(move |m| keep(last_segment(&m.path))).map(move |m| (path_segments(&m.path), a))
    })
}

/// Values of a module's `#[path = "…"]` attributes. `#[cfg_attr(pred, path = "…")]` holds for
/// another configuration (a simulator, a platform); the default build, which hotlint reads, takes
/// the usual file.
pub fn path_attrs(attrs: &[Attr]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.is("path") && a.cfg.is_none())
        .filter_map(|a| match &a.args {
            AttrArgs::Value(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

/// `cfg` predicates on an item (its own `#[cfg(…)]` attributes, normalised tokens).
pub fn cfg_predicates(attrs: &[Attr]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.is("cfg"))
        .map(|a| match &a.args {
            AttrArgs::List(l) => l.iter().map(meta_to_string).collect::<Vec<_>>().join(", "),
            _ => String::new(),
        })
        .collect()
}

pub fn meta_to_string(m: &Meta) -> String {
    match &m.value {
        MetaValue::None => m.path.clone(),
        MetaValue::Value(v) => format!("{} = \"{}\"", m.path, v),
        MetaValue::Literal(v) => v.clone(),
        MetaValue::List(l) => format!("{}({})", m.path, l.iter().map(meta_to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// Whether a cfg predicate mentions `test` as a flag (`cfg(test)`, `cfg(all(test, unix))`),
/// which makes the item test-only. `not(test)` does not count.
pub fn cfg_is_test(pred: &str) -> bool {
    let compact: String = pred.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("not(test)") || compact.starts_with("any(") {
        return false;
    }
    compact.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == "test")
}

impl FileSummary {
    /// The same summary under another file id (every location rewritten): how an unchanged file
    /// is shared between the revisions being compared without parsing it twice.
    pub fn with_id(&self, id: FileId) -> FileSummary {
        let mut f = self.clone_shallow();
        f.id = id;
        let fix = |l: &mut Loc| l.file = id;
        if let Some(e) = &mut f.error {
            if let Some(l) = &mut e.loc {
                fix(l);
            }
        }
        for a in &mut f.allows {
            fix(&mut a.loc);
        }
        for a in &mut f.inner_attrs {
            fix(&mut a.loc);
        }
        for item in &mut f.items {
            fix(&mut item.loc);
            item.attrs.iter_mut().for_each(|a| fix(&mut a.loc));
            match &mut item.kind {
                ItemKind::Type(def) => {
                    for field in fields_mut(&mut def.fields) {
                        fix(&mut field.loc);
                        field.attrs.iter_mut().for_each(|a| fix(&mut a.loc));
                    }
                    for v in &mut def.variants {
                        fix(&mut v.loc);
                        v.attrs.iter_mut().for_each(|a| fix(&mut a.loc));
                        for field in fields_mut(&mut v.fields) {
                            fix(&mut field.loc);
                            field.attrs.iter_mut().for_each(|a| fix(&mut a.loc));
                        }
                    }
                }
                ItemKind::Impl(def) => {
                    fix(&mut def.header);
                    def.assoc_types.iter_mut().for_each(|a| fix(&mut a.loc));
                    def.consts.iter_mut().for_each(|c| fix(&mut c.loc));
                    def.fns.iter_mut().for_each(|f| fn_with_id(f, id));
                }
                ItemKind::Const(c) => fix(&mut c.loc),
                ItemKind::Fn(f) => fn_with_id(f, id),
                _ => {}
            }
        }
        f
    }

    fn clone_shallow(&self) -> FileSummary {
        FileSummary {
            id: self.id,
            rel_path: self.rel_path.clone(),
            text: self.text.clone(),
            hash: self.hash,
            error: self.error.clone(),
            items: self.items.clone(),
            inner_attrs: self.inner_attrs.clone(),
            allows: self.allows.clone(),
        }
    }
}

fn fields_mut(f: &mut Fields) -> std::slice::IterMut<'_, Field> {
    match f {
        Fields::Named(v) | Fields::Tuple(v) => v.iter_mut(),
        Fields::Unit => [].iter_mut(),
    }
}

fn fn_with_id(f: &mut FnDef, id: FileId) {
    f.loc.file = id;
    f.attrs.iter_mut().for_each(|a| a.loc.file = id);
    f.body.calls.iter_mut().for_each(|c| c.loc.file = id);
    for arm in f.body.match_arms.iter_mut().flatten() {
        arm.loc.file = id;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn last_segment_is_rsplits_first_piece() {
        for path in ["", ":", "::", "a", "a::", "::a", "serde::Serialize", "a::b::c", "a:::b", "a:b", "a::::b", "é::ü"]
        {
            assert_eq!(super::last_segment(path), path.rsplit("::").next().unwrap_or(path), "{path:?}");
        }
    }
}
