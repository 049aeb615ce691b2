//! Stage: compare. Input: the model of the base revision (a git revision, the lock, an old
//! dependency version) and of the head, each with its wire [`Schemas`]. Output: a
//! [`Comparison`]: for every tracked type, the changes to the definitions its schema reaches,
//! found by one diff of two schemas ([`Cx::diff_def`]) and judged by the verdict table
//! `rules/compat.toml` for the type's encoding and required directions.
//! Invariants: nothing here compares type *text*: two field types are the same when their
//! schemas read the same bytes; a definition that moved between modules is matched by name
//! ([`crate::matching`]) and a move alone is no change; a definition shared by many tracked
//! types is compared once (its changes carry the key of the definition, and the rules report
//! each once, the tracked types it reaches as labels); verdicts come only from the table.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::encoding::{Class, Encoding};
use crate::index::TypeId;
use crate::ir::*;
use crate::migrations::{self, Version};
use crate::model::Model;
use crate::schema::{Body, Container, Def, FieldDef, Form, Len, Schema, Schemas, Skip, Tagging, VariantDef};

pub const COMPAT: &str = include_str!("../rules/compat.toml");

/// One direction's verdict: readable, broken, or data-dependent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Outcome {
    #[default]
    #[serde(rename = "ok")]
    Ok,
    /// Some old values read, others fail or change (reported at warn).
    #[serde(rename = "~")]
    Partial,
    #[serde(rename = "x")]
    Breaks,
}

impl Outcome {
    fn mark(self) -> &'static str {
        match self {
            Outcome::Ok => " ok",
            Outcome::Partial => " ~",
            Outcome::Breaks => "×",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    pub backward: Outcome,
    pub forward: Outcome,
    /// Where decoding succeeds with wrong values: "backward", "forward" or "both".
    #[serde(default)]
    pub silent: Option<String>,
    /// For "~": which values fail.
    #[serde(default)]
    pub partial: Option<String>,
    /// Positional formats cannot read this back even without history (HL012).
    #[serde(default)]
    pub hl012: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caveat {
    /// A condition, or several joined by `+` (all must hold).
    pub when: String,
    pub class: String,
    #[serde(default)]
    pub backward: Option<Outcome>,
    #[serde(default)]
    pub forward: Option<Outcome>,
    #[serde(default)]
    pub silent: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub kind: String,
    pub description: String,
    pub positional: Verdict,
    #[serde(rename = "positional-varint")]
    pub positional_varint: Verdict,
    pub named: Verdict,
    pub memory: Verdict,
    #[serde(default)]
    pub caveats: Vec<Caveat>,
}

#[derive(Debug, Deserialize)]
struct Table {
    change: Vec<Row>,
}

/// The verdict table, parsed once.
pub fn table() -> &'static [Row] {
    static T: OnceLock<Vec<Row>> = OnceLock::new();
    T.get_or_init(|| toml::from_str::<Table>(COMPAT).map(|t| t.change).unwrap_or_default())
}

/// The verdict for a change kind under an encoding class, with the conditions that hold.
pub fn verdict(kind: &str, class: Class, conditions: &BTreeSet<String>) -> Option<Verdict> {
    let row = table().iter().find(|r| r.kind == kind)?;
    let mut v = match class {
        Class::Positional => row.positional.clone(),
        Class::PositionalVarint => row.positional_varint.clone(),
        Class::Named => row.named.clone(),
        Class::Memory => row.memory.clone(),
    };
    for c in &row.caveats {
        if c.class == class.as_str() && c.when.split('+').all(|w| conditions.contains(w)) {
            if let Some(b) = c.backward {
                v.backward = b;
            }
            if let Some(f) = c.forward {
                v.forward = f;
            }
            if c.silent.is_some() {
                v.silent = c.silent.clone();
            }
        }
    }
    Some(v)
}

fn verdict_text(x: &Verdict) -> String {
    let mut s = match (x.backward, x.forward) {
        (Outcome::Ok, Outcome::Ok) => "ok".to_string(),
        (b, f) => format!("B{} F{}", b.mark(), f.mark()),
    };
    match x.silent.as_deref() {
        Some("backward") => s.push_str(" (B silent)"),
        Some("forward") => s.push_str(" (F silent)"),
        Some(_) => s.push_str(" (silent)"),
        None => {}
    }
    if let Some(p) = &x.partial {
        s.push_str(&format!(" (~: {p})"));
    }
    if x.hl012 {
        s.push_str(" (HL012)");
    }
    s
}

/// The verdict table as Markdown, from `rules/compat.toml` (what `explain` prints).
pub fn table_markdown() -> String {
    let mut s = String::from(
        "| change | positional | positional-varint | named | memory | caveats |\n|---|---|---|---|---|---|\n",
    );
    for r in table() {
        let mut row = format!(
            "| {} | {} | {} | {} | {} |",
            r.description,
            verdict_text(&r.positional),
            verdict_text(&r.positional_varint),
            verdict_text(&r.named),
            verdict_text(&r.memory)
        );
        let mut caveats = Vec::new();
        for c in &r.caveats {
            let mut what = Vec::new();
            if let Some(b) = c.backward {
                what.push(format!("B{}", b.mark()));
            }
            if let Some(f) = c.forward {
                what.push(format!("F{}", f.mark()));
            }
            if let Some(sil) = &c.silent {
                what.push(format!("silent {sil}"));
            }
            caveats.push(format!("{} with {}: {}", c.class, c.when.replace('+', " and "), what.join(" ")));
        }
        row.push_str(&format!(" {} |", caveats.join("; ")));
        s.push_str(&row);
        s.push('\n');
    }
    s.push_str("\n\"~\" is data-dependent (reported at warn, naming the values that fail); \"silent\" means decoding succeeds with wrong values.\n");
    s
}

/// Which directions a tracked type needs: backward (new code reads old data), forward (old
/// code reads new data).
pub fn directions(t: &crate::tracked::Tracked) -> (bool, bool) {
    match t.config_compat.as_deref() {
        Some("backward") => (true, false),
        Some("forward") => (false, true),
        Some("full") => (true, true),
        _ => (true, t.remote),
    }
}

/// A change judged for one encoding in the directions a type needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judged {
    /// `Ok` where a direction is not needed.
    pub backward: Outcome,
    pub forward: Outcome,
    /// Decoding succeeds with wrong values in a needed direction that breaks.
    pub silent: bool,
    /// Which values fail, for a data-dependent verdict.
    pub partial: Option<String>,
}

impl Judged {
    pub fn breaks(&self) -> bool {
        self.backward == Outcome::Breaks || self.forward == Outcome::Breaks
    }

    pub fn partial_only(&self) -> bool {
        !self.breaks() && (self.backward == Outcome::Partial || self.forward == Outcome::Partial)
    }
}

/// Judge a change for a type's encoding (its class, and the format where a row says the format
/// matters: ron, rmp-serde) in the directions it needs.
pub fn judge(change: &Change, enc: &Encoding, need: (bool, bool)) -> Judged {
    let mut conditions = change.conditions.clone();
    let formats: Vec<&str> =
        std::iter::once(enc.source.as_str()).chain(enc.candidates.iter().map(|(_, f)| f.as_str())).collect();
    if formats.iter().any(|f| f.contains("ron")) {
        conditions.insert("format-ron".into());
        if conditions.contains("newtype-inner") {
            conditions.insert("format-ron-newtype".into());
        }
    }
    if formats.iter().any(|f| f.contains("rmp")) && conditions.contains("unit-struct") {
        conditions.insert("format-rmp-unit".into());
    }
    judge_class(change.kind, enc.class, &conditions, need)
}

fn judge_class(kind: &str, class: Class, conditions: &BTreeSet<String>, need: (bool, bool)) -> Judged {
    let Some(v) = verdict(kind, class, conditions) else {
        let x = |n: bool| if n { Outcome::Breaks } else { Outcome::Ok };
        return Judged { backward: x(need.0), forward: x(need.1), silent: false, partial: None };
    };
    let backward = if need.0 { v.backward } else { Outcome::Ok };
    let forward = if need.1 { v.forward } else { Outcome::Ok };
    let silent = match v.silent.as_deref() {
        Some("backward") => backward == Outcome::Breaks,
        Some("forward") => forward == Outcome::Breaks,
        Some(_) => backward == Outcome::Breaks || forward == Outcome::Breaks,
        None => false,
    };
    let partial = (backward == Outcome::Partial || forward == Outcome::Partial).then(|| v.partial.clone()).flatten();
    Judged { backward, forward, silent, partial }
}

/// Whether a change breaks the required directions: (backward broken, forward broken).
/// A data-dependent verdict ("~") is not a break here ([`judge`] tells it apart).
pub fn breaks(change: &Change, class: Class, need: (bool, bool)) -> (bool, bool) {
    let j = judge_class(change.kind, class, &change.conditions, need);
    (j.backward == Outcome::Breaks, j.forward == Outcome::Breaks)
}

/// One change to one definition.
#[derive(Clone, Debug)]
pub struct Change {
    /// A `kind` of `rules/compat.toml`.
    pub kind: &'static str,
    /// The key of the definition that changed in the head's [`Schemas`] (the base's when the
    /// head has none): the same change reached from several tracked types has one key.
    pub def_key: String,
    /// Canonical path of the definition that changed (head's path; base's when removed).
    pub def_path: String,
    pub def_name: String,
    /// In words: "field `count` of `CounterState` changed type `u32` → `i64`".
    pub what: String,
    /// Conditions for the table's caveats.
    pub conditions: BTreeSet<String>,
    pub head_loc: Option<Loc>,
    /// Base side: (file, line, the old definition's text).
    pub base_loc: Option<(String, u32, String)>,
    /// For suspected renames: the old serialized name.
    pub old_name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct TypeDiff {
    pub path: String,
    pub head_ty: Option<TypeId>,
    pub base_ty: Option<TypeId>,
    pub moved_from: Option<String>,
    pub changes: Vec<Change>,
    /// Opaque parts whose fingerprint changed (HL013): (what, why).
    pub opaque_changed: Vec<(String, String)>,
    pub base_version: Option<Version>,
    pub head_version: Option<Version>,
    pub base_convention: Option<String>,
}

#[derive(Debug)]
pub struct Comparison {
    pub base: Box<Model>,
    pub base_commit: String,
    pub diffs: Vec<TypeDiff>,
}

/// Compare every tracked type of `head` with its counterpart in `base`.
pub fn compare(mut base: Model, head: &Model, base_commit: String) -> Comparison {
    // The base's schemas: the counterparts of every definition the head's schemas reach (same
    // path, every cfg twin, or a move), each built alone. A lock's model has them already.
    let mut needed: BTreeSet<TypeId> = BTreeSet::new();
    let present: BTreeSet<&str> = base.schemas.defs.values().map(|d| d.path.as_str()).collect();
    for def in head.schemas.defs.values() {
        if present.contains(def.path.as_str()) {
            continue;
        }
        match base.index.type_by_path.get(&def.path) {
            Some(ids) => needed.extend(ids.iter().copied()),
            None => {
                let candidates = base.index.types.iter().enumerate().filter(|(_, b)| !b.test);
                if let Some(b) = crate::matching::counterpart(
                    &def.path,
                    &def.name,
                    candidates.map(|(i, b)| (i as TypeId, b.path.as_str(), b.name.as_str())),
                    |path| head.index.type_by_path.contains_key(path),
                ) {
                    let path = base.index.type_entry(b).map(|e| e.path.clone()).unwrap_or_default();
                    needed.extend(base.index.type_by_path.get(&path).into_iter().flatten().copied());
                }
            }
        }
    }
    if !needed.is_empty() {
        let needed: Vec<TypeId> = needed.into_iter().collect();
        let more = crate::schema::build_defs(&base.index, &base.config.aliases, &base.impls, &base.migrations, &needed);
        base.schemas.absorb(more);
    }
    // Tracked types are compared independently, on the current rayon pool (the caller's `-j`
    // threads); a definition shared by several is compared once per thread.
    use rayon::prelude::*;
    let tracked: Vec<(&TypeId, &crate::tracked::Tracked)> = head.tracked.iter().collect();
    let mut by_path: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (k, d) in &base.schemas.defs {
        by_path.entry(d.path.clone()).or_default().push(k.clone());
    }
    let by_path = &by_path;
    let cx = || Cx { base: &base, head, by_path, done: Default::default(), moves: Default::default() };
    let diffs = tracked.par_iter().map_init(cx, |cx, (ty, t)| cx.diff_type(**ty, t)).collect();
    Comparison { base: Box::new(base), base_commit, diffs }
}

/// The base definition of a head type: same canonical path, else (a move) the only base type
/// with the same name that the head no longer has ([`crate::matching::counterpart`]).
fn match_base(base: &Model, head: &Model, head_ty: TypeId) -> Option<TypeId> {
    let e = head.index.type_entry(head_ty)?;
    if let Some(ids) = base.index.type_by_path.get(&e.path) {
        return ids.first().copied();
    }
    let candidates = base.index.types.iter().enumerate().filter(|(_, b)| !b.test);
    crate::matching::counterpart(
        &e.path,
        &e.name,
        candidates.map(|(i, b)| (i as TypeId, b.path.as_str(), b.name.as_str())),
        |path| head.index.type_by_path.contains_key(path),
    )
}

struct Cx<'a> {
    base: &'a Model,
    head: &'a Model,
    /// The base's definition keys by path.
    by_path: &'a std::collections::HashMap<String, Vec<String>>,
    /// What comparing a (base key, head key) pair of definitions found.
    done: std::cell::RefCell<std::collections::HashMap<(String, String), Found>>,
    /// Head paths that moved: head path → base path (or none).
    moves: std::cell::RefCell<std::collections::HashMap<String, Option<String>>>,
}

/// What comparing one definition found.
#[derive(Clone, Default)]
struct Found {
    changes: Vec<Change>,
    opaque_changed: Vec<(String, String)>,
}

/// Which side of the comparison a schema belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Base,
    Head,
}

impl<'a> Cx<'a> {
    fn schemas(&self, side: Side) -> &'a Schemas {
        match side {
            Side::Base => &self.base.schemas,
            Side::Head => &self.head.schemas,
        }
    }

    /// The changes to one tracked head type's schema since the base.
    fn diff_type(&self, ty: TypeId, t: &crate::tracked::Tracked) -> TypeDiff {
        let base_ty = match_base(self.base, self.head, ty);
        let mut diff = TypeDiff {
            path: t.path.clone(),
            head_ty: Some(ty),
            base_ty,
            moved_from: None,
            changes: Vec::new(),
            opaque_changed: Vec::new(),
            base_version: None,
            head_version: t.migration.as_ref().map(|m| m.version.clone()),
            base_convention: None,
        };
        let Some(b) = base_ty else { return diff };
        let Some(bentry) = self.base.index.type_entry(b) else { return diff };
        if bentry.path != t.path {
            diff.moved_from = Some(bentry.path.clone());
            self.moves.borrow_mut().insert(t.path.clone(), Some(bentry.path.clone()));
        }
        let bm = self.base.migrations.get(&b);
        diff.base_version = bm.map(|m| m.version.clone());
        diff.base_convention = bm.map(|m| m.convention.clone());
        let Some(root) = self.head.schemas.roots.get(&t.path) else { return diff };
        let mut seen = BTreeSet::new();
        for hkey in &root.defs {
            let Some(hdef) = self.head.schemas.defs.get(hkey) else { continue };
            let Some(bkey) = self.base_key(hkey, hdef) else { continue };
            if !seen.insert((bkey.clone(), hkey.clone())) {
                continue;
            }
            let cached = self.done.borrow().get(&(bkey.clone(), hkey.clone())).cloned();
            let found = match cached {
                Some(f) => f,
                None => {
                    let f = match self.base.schemas.defs.get(&bkey) {
                        Some(bdef) => self.diff_def(bdef, hdef, hkey),
                        None => Found::default(),
                    };
                    self.done.borrow_mut().insert((bkey, hkey.clone()), f.clone());
                    f
                }
            };
            diff.changes.extend(found.changes);
            diff.opaque_changed.extend(found.opaque_changed);
        }
        diff.opaque_changed.sort();
        diff.opaque_changed.dedup();
        diff
    }

    /// The key of a head definition's counterpart in the base's schemas: the same key, else the
    /// same path (a `cfg` variant whose predicate changed), else a move.
    fn base_key(&self, hkey: &str, hdef: &Def) -> Option<String> {
        let defs = &self.base.schemas.defs;
        if defs.contains_key(hkey) {
            return Some(hkey.to_string());
        }
        let pick = |path: &str| -> Option<String> {
            let keys = self.by_path.get(path)?;
            keys.iter().find(|k| defs.get(*k).is_some_and(|d| d.cfg == hdef.cfg)).or_else(|| keys.first()).cloned()
        };
        if let Some(k) = pick(&hdef.path) {
            return Some(k);
        }
        let bpath = self.moved_from(&hdef.path)?;
        pick(&bpath)
    }

    /// The base path of a head definition that moved (matched by name, [`crate::matching`]).
    fn moved_from(&self, head_path: &str) -> Option<String> {
        if let Some(m) = self.moves.borrow().get(head_path) {
            return m.clone();
        }
        let found = if self.base.index.type_by_path.contains_key(head_path) {
            None
        } else {
            let name = crate::matching::name_of(head_path);
            let candidates = self.base.index.types.iter().filter(|b| !b.test);
            crate::matching::counterpart(
                head_path,
                name,
                candidates.map(|b| (b.path.as_str(), b.path.as_str(), b.name.as_str())),
                |path| self.head.index.type_by_path.contains_key(path),
            )
            .map(str::to_string)
        };
        self.moves.borrow_mut().insert(head_path.to_string(), found.clone());
        found
    }

    /// Two paths of workspace definitions name the same definition (the same path, a move, or
    /// two `#[cfg]` variants of one written path: each variant is compared as a definition of
    /// its own).
    fn same_path(&self, bpath: &str, hpath: &str) -> bool {
        bpath == hpath
            || self.moved_from(hpath).as_deref() == Some(bpath)
            || self.head.schemas.alternatives.get(hpath).is_some_and(|alts| alts.contains(bpath))
            || self.base.schemas.alternatives.get(bpath).is_some_and(|alts| alts.contains(hpath))
    }

    /// What a schema reads as on the wire when it names a definition that is not itself on the
    /// wire: a proxy (`from`/`into`) or a `transparent` struct stands for its inner schema.
    fn wire_of(&self, s: &Schema, side: Side, depth: usize) -> Schema {
        if depth > 8 {
            return s.clone();
        }
        let Schema::Ref { path, args } = s else { return s.clone() };
        let Some(def) = self.schemas(side).def_of_path(path) else { return s.clone() };
        match &def.body {
            Body::Proxy { schema, .. } => self.wire_of(&crate::schema::substitute(schema, args), side, depth + 1),
            Body::Struct { fields, container, .. } if container.transparent => {
                match fields.iter().find(|f| f.skip == Skip::None) {
                    Some(f) => self.wire_of(&crate::schema::substitute(&f.schema, args), side, depth + 1),
                    None => s.clone(),
                }
            }
            _ => s.clone(),
        }
    }

    /// Whether two schemas read the same bytes (containers of one data model, moves and `[T; N]`
    /// ↔ `(T, …, T)` included).
    fn same(&self, b: &Schema, h: &Schema) -> bool {
        self.same_at(b, h, 0)
    }

    fn same_at(&self, b: &Schema, h: &Schema, depth: usize) -> bool {
        if depth > 64 {
            return b == h;
        }
        let same = |x: &Schema, y: &Schema| self.same_at(x, y, depth + 1);
        let all = |x: &[Schema], y: &[Schema]| x.len() == y.len() && x.iter().zip(y).all(|(a, c)| same(a, c));
        match (b, h) {
            (Schema::Seq { item: x, .. }, Schema::Seq { item: y, .. }) => same(x, y),
            (Schema::Map { key: k1, value: v1, .. }, Schema::Map { key: k2, value: v2, .. }) => {
                same(k1, k2) && same(v1, v2)
            }
            (Schema::Array { item: x, len: l1 }, Schema::Array { item: y, len: l2 }) => l1 == l2 && same(x, y),
            (Schema::Array { item, len: Len::Known(n) }, Schema::Tuple(v))
            | (Schema::Tuple(v), Schema::Array { item, len: Len::Known(n) }) => {
                v.len() as u64 == *n && v.iter().all(|x| same(item, x))
            }
            (Schema::Tuple(x), Schema::Tuple(y)) => all(x, y),
            (Schema::Option(x), Schema::Option(y)) => same(x, y),
            (Schema::Ref { path: p, args: a }, Schema::Ref { path: q, args: c }) if self.same_path(p, q) => all(a, c),
            (Schema::External { path: p, args: a }, Schema::External { path: q, args: c }) => p == q && all(a, c),
            (Schema::Opaque { why: w1, .. }, Schema::Opaque { why: w2, .. }) => w1 == w2,
            _ if b == h => true,
            _ => {
                let (wb, wh) = (self.wire_of(b, Side::Base, 0), self.wire_of(h, Side::Head, 0));
                (wb != *b || wh != *h) && same(&wb, &wh)
            }
        }
    }

    /// Opaque leaves inside two schemas that read the same way but whose fingerprints differ.
    fn opaque_changes(&self, b: &Schema, h: &Schema, out: &mut Vec<(String, String)>) {
        match (b, h) {
            (Schema::Opaque { fingerprint: f1, why }, Schema::Opaque { fingerprint: f2, .. })
                if f1 != f2 || f1.is_empty() =>
            {
                out.push((
                    why.split('`').nth(1).map(|n| format!("`{n}`")).unwrap_or_else(|| why.clone()),
                    format!("{why}; its tokens changed"),
                ));
            }
            (Schema::Option(x), Schema::Option(y)) => self.opaque_changes(x, y, out),
            (Schema::Seq { item: x, .. }, Schema::Seq { item: y, .. })
            | (Schema::Array { item: x, .. }, Schema::Array { item: y, .. }) => self.opaque_changes(x, y, out),
            (Schema::Map { key: k1, value: v1, .. }, Schema::Map { key: k2, value: v2, .. }) => {
                self.opaque_changes(k1, k2, out);
                self.opaque_changes(v1, v2, out);
            }
            (Schema::Tuple(x), Schema::Tuple(y))
            | (Schema::Ref { args: x, .. }, Schema::Ref { args: y, .. })
            | (Schema::External { args: x, .. }, Schema::External { args: y, .. }) => {
                for (a, c) in x.iter().zip(y) {
                    self.opaque_changes(a, c, out);
                }
            }
            _ => {}
        }
    }

    /// The definition behind a schema, on one side.
    fn def_behind(&self, s: &Schema, side: Side) -> Option<&'a Def> {
        match s {
            Schema::Ref { path, .. } => self.schemas(side).def_of_path(path),
            _ => None,
        }
    }

    /// The inner schema of a newtype struct (`struct Count(u32)`), with its arguments.
    fn newtype_inner(&self, s: &Schema, side: Side) -> Option<Schema> {
        let Schema::Ref { args, .. } = s else { return None };
        match &self.def_behind(s, side)?.body {
            Body::Struct { form: Form::Newtype, fields, container } if !container.transparent => {
                fields.first().map(|f| crate::schema::substitute(&f.schema, args))
            }
            _ => None,
        }
    }

    /// Which row of the table a field type change is, and the conditions that hold.
    fn retype(&self, b: &Schema, h: &Schema, buffered: bool) -> (&'static str, BTreeSet<String>) {
        let mut c = BTreeSet::new();
        let (wb, wh) = (self.wire_of(b, Side::Base, 0), self.wire_of(h, Side::Head, 0));
        let kind = match (&wb, &wh) {
            (Schema::Int { bits: x, signed: s }, Schema::Int { bits: y, signed: t }) if s == t && y > x => {
                if *x == 8 {
                    c.insert("from-8-bits".into());
                }
                if *y == 128 && buffered {
                    c.insert("to-128-buffered".into());
                }
                "integer-widened"
            }
            (Schema::Float { bits: 32 }, Schema::Float { bits: 64 }) => "float-widened",
            (x, Schema::Option(y)) if self.same(x, y) => "option-added",
            (Schema::Option(x), y) if self.same(x, y) => "option-removed",
            (Schema::Array { item: x, .. }, Schema::Seq { item: y, .. }) if self.same(x, y) => "array-to-vec",
            (Schema::Seq { item: x, .. }, Schema::Array { item: y, .. }) if self.same(x, y) => "vec-to-array",
            (Schema::Map { key, value, .. }, Schema::Seq { item, .. })
            | (Schema::Seq { item, .. }, Schema::Map { key, value, .. })
                if matches!(&**item, Schema::Tuple(v) if v.len() == 2 && v.first().is_some_and(|k| **key == *k || self.same(key, k)) && v.get(1).is_some_and(|x| self.same(value, x))) =>
            {
                "map-pairs"
            }
            (Schema::Char, Schema::Str) => "char-to-string",
            (Schema::Str, Schema::Char) => "string-to-char",
            (Schema::Seq { item, .. }, Schema::Bytes) | (Schema::Bytes, Schema::Seq { item, .. })
                if **item == (Schema::Int { bits: 8, signed: false }) =>
            {
                "field-retyped-same-model"
            }
            _ => {
                // `()` ↔ a unit struct, `(A, B)` ↔ a tuple struct, newtype ↔ its inner type.
                let unit = |s: &Schema, side| {
                    matches!(s, Schema::Unit)
                        || self
                            .def_behind(s, side)
                            .is_some_and(|d| matches!(d.body, Body::Struct { form: Form::Unit, .. }))
                };
                let tuple_items = |s: &Schema, side| -> Option<Vec<Schema>> {
                    match s {
                        Schema::Tuple(v) => Some(v.clone()),
                        Schema::Ref { args, .. } => match &self.def_behind(s, side)?.body {
                            Body::Struct { form: Form::Tuple, fields, .. } => {
                                Some(fields.iter().map(|f| crate::schema::substitute(&f.schema, args)).collect())
                            }
                            _ => None,
                        },
                        _ => None,
                    }
                };
                if unit(&wb, Side::Base) && unit(&wh, Side::Head) {
                    c.insert("unit-struct".into());
                    "field-retyped-same-model"
                } else if let (Some(x), Some(y)) = (tuple_items(&wb, Side::Base), tuple_items(&wh, Side::Head)) {
                    if x.len() == y.len() && x.iter().zip(&y).all(|(a, b)| self.same(a, b)) {
                        "field-retyped-same-model"
                    } else {
                        "field-retyped"
                    }
                } else if self.newtype_inner(&wb, Side::Base).is_some_and(|i| self.same(&i, &wh))
                    || self.newtype_inner(&wh, Side::Head).is_some_and(|i| self.same(&wb, &i))
                {
                    c.insert("newtype-inner".into());
                    "field-retyped-same-model"
                } else if self.struct_newtype(&wb, &wh) {
                    c.insert("newtype-inner".into());
                    "struct-newtype"
                } else {
                    "field-retyped"
                }
            }
        };
        (kind, c)
    }

    /// A struct on one side, a newtype around a struct with the same fields on the other.
    fn struct_newtype(&self, b: &Schema, h: &Schema) -> bool {
        let fields_of = |s: &Schema, side| -> Option<Vec<(String, Schema)>> {
            match &self.def_behind(s, side)?.body {
                Body::Struct { form: Form::Named, fields, .. } => Some(
                    fields
                        .iter()
                        .filter(|f| f.skip == Skip::None)
                        .map(|f| (f.name.clone(), f.schema.clone()))
                        .collect(),
                ),
                _ => None,
            }
        };
        let same_fields = |x: Option<Vec<(String, Schema)>>, y: Option<Vec<(String, Schema)>>| match (x, y) {
            (Some(x), Some(y)) => {
                x.len() == y.len() && x.iter().zip(&y).all(|((n1, s1), (n2, s2))| n1 == n2 && self.same(s1, s2))
            }
            _ => false,
        };
        let bi = self.newtype_inner(b, Side::Base);
        let hi = self.newtype_inner(h, Side::Head);
        (hi.is_some() && same_fields(fields_of(b, Side::Base), hi.as_ref().and_then(|i| fields_of(i, Side::Head))))
            || (bi.is_some()
                && same_fields(bi.as_ref().and_then(|i| fields_of(i, Side::Base)), fields_of(h, Side::Head)))
    }
}

/// Collects the changes of one definition.
struct Out<'x> {
    found: Found,
    key: &'x str,
    hdef: &'x Def,
    bdef: &'x Def,
    base: &'x Model,
}

impl Out<'_> {
    fn base_text(&self, loc: Option<Loc>, line: u32) -> Option<(String, u32, String)> {
        let (file, line) = match loc {
            Some(l) => (self.base.index.file(l.file), l.line),
            None => (None, line),
        };
        let path = file.map(|f| f.rel_path.clone()).unwrap_or_else(|| self.bdef.file.clone());
        let text =
            file.and_then(|f| f.text.lines().nth(line.saturating_sub(1) as usize)).unwrap_or("").trim().to_string();
        Some((path, line, text))
    }

    fn push(
        &mut self,
        kind: &'static str,
        what: String,
        conditions: BTreeSet<String>,
        head_loc: Option<Loc>,
        base: Option<(Option<Loc>, u32)>,
        old: Option<String>,
    ) {
        let base_loc = match base {
            Some((loc, line)) => self.base_text(loc, line),
            None => self.base_text(self.bdef.loc, self.bdef.line),
        };
        self.found.changes.push(Change {
            kind,
            def_key: self.key.to_string(),
            def_path: self.hdef.path.clone(),
            def_name: self.hdef.name.clone(),
            what,
            conditions,
            head_loc: head_loc.or(self.hdef.loc),
            base_loc,
            old_name: old,
        });
    }
}

fn opt_text(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("`{s}`"),
        None => "none".into(),
    }
}

impl Cx<'_> {
    /// The one diff of two definitions (the base's and the head's): every change, in words,
    /// with the row of the verdict table it is.
    fn diff_def(&self, b: &Def, h: &Def, key: &str) -> Found {
        let mut out = Out { found: Found::default(), key, hdef: h, bdef: b, base: self.base };
        let name = &h.name;
        match (&b.body, &h.body) {
            (Body::Opaque { fingerprint: f1, why: w1 }, Body::Opaque { fingerprint: f2, why }) => {
                if f1 != f2 || w1 != why || f2.is_empty() {
                    out.found.opaque_changed.push((h.path.clone(), format!("{why}; its tokens changed")));
                }
            }
            (Body::Opaque { why, .. }, _) => {
                out.found
                    .opaque_changed
                    .push((h.path.clone(), format!("its {why} was removed; the derived encoding may differ")));
            }
            (_, Body::Opaque { why, .. }) => {
                out.found
                    .opaque_changed
                    .push((h.path.clone(), format!("it now has a {why}; the bytes it writes may differ")));
            }
            (Body::Proxy { attr: a1, schema: s1 }, Body::Proxy { attr: a2, schema: s2 }) => {
                if !self.same(s1, s2) {
                    let (kind, c) = self.retype(s1, s2, false);
                    out.push(
                        kind,
                        format!(
                            "`{name}` (serde `{a2}`) now reads as `{}` instead of `{}`",
                            s2.display(&h.params),
                            s1.display(&b.params)
                        ),
                        c,
                        None,
                        None,
                        None,
                    );
                } else {
                    let mut opaque = Vec::new();
                    self.opaque_changes(s1, s2, &mut opaque);
                    out.found
                        .opaque_changed
                        .extend(opaque.into_iter().map(|(w, why)| (format!("{w} in `{name}`"), why)));
                }
                let _ = a1;
            }
            (Body::Proxy { schema, attr }, _) | (_, Body::Proxy { schema, attr }) => {
                let (bs, hs) = match (&b.body, &h.body) {
                    (Body::Proxy { .. }, _) => (schema.clone(), Schema::Ref { path: h.path.clone(), args: Vec::new() }),
                    _ => (Schema::Ref { path: b.path.clone(), args: Vec::new() }, schema.clone()),
                };
                let now = matches!(h.body, Body::Proxy { .. });
                let what = if now {
                    format!("`{name}` is now read through serde `{attr}` as `{}`", schema.display(&h.params))
                } else {
                    format!("`{name}` no longer goes through serde `{attr}` (`{}`)", schema.display(&b.params))
                };
                let same = if now { self.same(&self.wire_of(&bs, Side::Base, 0), &hs) } else { false };
                if !same {
                    out.push("field-retyped", what, BTreeSet::new(), None, None, None);
                }
            }
            (Body::Struct { .. }, Body::Enum { .. }) | (Body::Enum { .. }, Body::Struct { .. }) => {
                let kind_of = |x: &Body| if matches!(x, Body::Enum { .. }) { "an enum" } else { "a struct" };
                out.push(
                    "field-retyped",
                    format!("`{name}` changed from {} to {}", kind_of(&b.body), kind_of(&h.body)),
                    BTreeSet::new(),
                    None,
                    None,
                    None,
                );
            }
            (
                Body::Struct { form: bf, fields: bfs, container: bc },
                Body::Struct { form: hf, fields: hfs, container: hc },
            ) => {
                let mut cond = self.container_changes(bc, hc, name, &mut out);
                if bc.transparent && hc.transparent {
                    // Only the one field is on the wire, whatever its name.
                    let bw = bfs.iter().find(|f| f.skip == Skip::None);
                    let hw = hfs.iter().find(|f| f.skip == Skip::None);
                    if let (Some(x), Some(y)) = (bw, hw) {
                        self.diff_field_type(x, y, name, &cond, false, b, h, &mut out);
                    }
                    return out.found;
                }
                if bc.transparent != hc.transparent {
                    return out.found;
                }
                if let Some(kind) = self.form_change(*bf, *hf, bfs, hfs) {
                    let what = form_what(name, *bf, *hf);
                    out.push(kind, what, cond, None, None, None);
                    return out.found;
                }
                if bc.deny_unknown_fields {
                    cond.insert("old-deny-unknown-fields".into());
                }
                if hc.deny_unknown_fields {
                    cond.insert("new-deny-unknown-fields".into());
                }
                let by_id = matches!(hc.codec.as_deref(), Some("minicbor" | "prost"));
                let buffered = bfs.iter().chain(hfs).any(|f| f.flatten)
                    || matches!(hc.tagging, Tagging::Internal { .. } | Tagging::Untagged);
                self.diff_fields(name, *hf, bfs, hfs, &cond, by_id, buffered, b, h, &mut out);
            }
            (Body::Enum { variants: bv, container: bc }, Body::Enum { variants: hv, container: hc }) => {
                let cond = self.container_changes(bc, hc, name, &mut out);
                self.diff_variants(name, bv, hv, bc, hc, &cond, b, h, &mut out);
            }
        }
        out.found
    }

    /// Container attributes that changed; returns the conditions they imply.
    fn container_changes(&self, bc: &Container, hc: &Container, name: &str, out: &mut Out<'_>) -> BTreeSet<String> {
        // Each attribute of the representation on its own, as written.
        let parts = |c: &Container| -> [(&'static str, Option<String>); 3] {
            match &c.tagging {
                Tagging::External => [("tag", None), ("content", None), ("untagged", None)],
                Tagging::Internal { tag } => [("tag", Some(tag.clone())), ("content", None), ("untagged", None)],
                Tagging::Adjacent { tag, content } => {
                    [("tag", Some(tag.clone())), ("content", Some(content.clone())), ("untagged", None)]
                }
                Tagging::Untagged => [("tag", None), ("content", None), ("untagged", Some(String::new()))],
            }
        };
        for ((key, bv), (_, hv)) in parts(bc).into_iter().zip(parts(hc)) {
            if bv != hv {
                let show = |v: &Option<String>| match v {
                    Some(s) if s.is_empty() => "set".to_string(),
                    Some(s) => format!("`{s}`"),
                    None => "none".to_string(),
                };
                out.push(
                    "container-representation-changed",
                    format!("`#[serde({key})]` of `{name}` changed: {} → {}", show(&bv), show(&hv)),
                    BTreeSet::new(),
                    None,
                    None,
                    None,
                );
            }
        }
        if bc.transparent != hc.transparent {
            out.push(
                "transparent-changed",
                format!(
                    "`#[serde(transparent)]` {} `{name}`",
                    if hc.transparent { "added to" } else { "removed from" }
                ),
                BTreeSet::new(),
                None,
                None,
                None,
            );
        }
        BTreeSet::new()
    }

    /// A change of the form of a struct or variant that is a row of its own.
    fn form_change(&self, bf: Form, hf: Form, bfs: &[FieldDef], hfs: &[FieldDef]) -> Option<&'static str> {
        match (bf, hf) {
            (x, y) if x == y => None,
            (Form::Unit, Form::Named) if hfs.is_empty() => Some("unit-to-empty-braces"),
            (Form::Named, Form::Unit) if bfs.is_empty() => Some("unit-to-empty-braces"),
            (Form::Unit, _) | (_, Form::Unit) => Some("unit-fields"),
            (Form::Newtype, Form::Tuple) | (Form::Tuple, Form::Newtype) => Some("unit-fields"),
            (Form::Tuple, Form::Named) | (Form::Named, Form::Tuple) => {
                let same = bfs.len() == hfs.len() && bfs.iter().zip(hfs).all(|(x, y)| self.same(&x.schema, &y.schema));
                Some(if same { "tuple-struct-variant" } else { "field-retyped" })
            }
            (Form::Named, Form::Newtype) | (Form::Newtype, Form::Named) => {
                // A struct turned into a newtype around a struct with the same fields (or back).
                let named: Vec<(String, Schema)> = match bf {
                    Form::Named => bfs.iter().map(|f| (f.name.clone(), f.schema.clone())).collect(),
                    _ => hfs.iter().map(|f| (f.name.clone(), f.schema.clone())).collect(),
                };
                let (inner, side) = match bf {
                    Form::Newtype => (bfs.first(), Side::Base),
                    _ => (hfs.first(), Side::Head),
                };
                let inner_fields: Option<Vec<(String, Schema)>> =
                    inner.and_then(|f| match &self.def_behind(&f.schema, side)?.body {
                        Body::Struct { form: Form::Named, fields, .. } => {
                            Some(fields.iter().map(|f| (f.name.clone(), f.schema.clone())).collect())
                        }
                        _ => None,
                    });
                let same = inner_fields.is_some_and(|inner| {
                    inner.len() == named.len()
                        && inner.iter().zip(&named).all(|((n1, s1), (n2, s2))| {
                            n1 == n2 && if side == Side::Base { self.same(s1, s2) } else { self.same(s2, s1) }
                        })
                });
                Some(if same { "struct-newtype" } else { "field-retyped" })
            }
            _ => Some("field-retyped"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn diff_field_type(
        &self,
        bf: &FieldDef,
        hf: &FieldDef,
        owner: &str,
        cond: &BTreeSet<String>,
        buffered: bool,
        b: &Def,
        h: &Def,
        out: &mut Out<'_>,
    ) {
        let name = &hf.name;
        if self.same(&bf.schema, &hf.schema) {
            // The same bytes, written another way (`Vec` → `VecDeque`, an alias): a change only
            // for what is carried in memory, which the table's row says.
            if bf.written != hf.written && !bf.written.is_empty() && !hf.written.is_empty() {
                out.push(
                    "field-retyped-same-model",
                    format!(
                        "field `{name}` of `{owner}` changed type `{}` → `{}` (one serde data model)",
                        bf.written, hf.written
                    ),
                    cond.clone(),
                    hf.loc,
                    Some((bf.loc, bf.line)),
                    None,
                );
            }
            let mut opaque = Vec::new();
            self.opaque_changes(&bf.schema, &hf.schema, &mut opaque);
            out.found
                .opaque_changed
                .extend(opaque.into_iter().map(|(w, why)| (format!("{w} (field `{name}` of `{owner}`)"), why)));
            return;
        }
        let (kind, mut c) = match (&bf.schema, &hf.schema) {
            (Schema::Opaque { .. }, _) | (_, Schema::Opaque { .. }) => ("field-retyped", BTreeSet::new()),
            (x, y) => self.retype(x, y, buffered),
        };
        c.extend(cond.iter().cloned());
        out.push(
            kind,
            format!(
                "field `{name}` of `{owner}` changed type `{}` → `{}`",
                bf.schema.display(&b.params),
                hf.schema.display(&h.params)
            ),
            c,
            hf.loc,
            Some((bf.loc, bf.line)),
            None,
        );
    }

    /// The fields of two structs or variants: added, removed, renamed, reordered, retyped, and
    /// their `skip`/`flatten` facts. Fields are identified by serialized name (or by index for
    /// encodings that say so), tuple fields by position.
    #[allow(clippy::too_many_arguments)]
    fn diff_fields(
        &self,
        owner: &str,
        form: Form,
        bfs: &[FieldDef],
        hfs: &[FieldDef],
        cond: &BTreeSet<String>,
        by_id: bool,
        buffered: bool,
        b: &Def,
        h: &Def,
        out: &mut Out<'_>,
    ) {
        if matches!(form, Form::Tuple | Form::Newtype) {
            for (x, y) in bfs.iter().zip(hfs) {
                self.diff_field_type(x, y, owner, cond, buffered, b, h, out);
            }
            for y in hfs.iter().skip(bfs.len()) {
                let mut c = cond.clone();
                if y.default {
                    c.insert("new-field-default".into());
                }
                out.push(
                    "tuple-field-added",
                    format!(
                        "field {} of `{owner}` added, with type `{}` (a tuple is a sequence in every format)",
                        y.name,
                        y.schema.display(&h.params)
                    ),
                    c,
                    y.loc,
                    None,
                    None,
                );
            }
            for x in bfs.iter().skip(hfs.len()) {
                out.push(
                    "tuple-field-removed",
                    format!(
                        "field {} of `{owner}` removed (it had type `{}`; a tuple is a sequence in every format)",
                        x.name,
                        x.schema.display(&b.params)
                    ),
                    cond.clone(),
                    None,
                    Some((x.loc, x.line)),
                    None,
                );
            }
            return;
        }
        let ident = |f: &FieldDef| {
            if by_id { f.id.map(|i| format!("#{i}")).unwrap_or_else(|| f.name.clone()) } else { f.name.clone() }
        };
        // Fields that go on the wire (a `skip`ped one is neither written nor read).
        let bw: Vec<&FieldDef> = bfs.iter().filter(|f| f.skip != Skip::Both).collect();
        let hw: Vec<&FieldDef> = hfs.iter().filter(|f| f.skip != Skip::Both).collect();
        let bset: BTreeSet<String> = bw.iter().map(|f| ident(f)).collect();
        let hset: BTreeSet<String> = hw.iter().map(|f| ident(f)).collect();
        let mut removed: Vec<&FieldDef> = bw.iter().copied().filter(|f| !hset.contains(&ident(f))).collect();
        let mut added: Vec<&FieldDef> = hw.iter().copied().filter(|f| !bset.contains(&ident(f))).collect();
        // An index changed under the same Rust name: the old data's value lands elsewhere.
        if by_id {
            added.retain(|a| match removed.iter().position(|r| r.rust == a.rust) {
                Some(k) => {
                    let r = removed.remove(k);
                    out.push(
                        "index-changed",
                        format!("field `{}` of `{owner}` changed its index {} → {}", a.rust, ident(r), ident(a)),
                        cond.clone(),
                        a.loc,
                        Some((r.loc, r.line)),
                        None,
                    );
                    false
                }
                None => true,
            });
        }
        // Renames: a new field carrying `alias` of a removed one, then removed and added fields
        // that pair up by position and type (suspected).
        let mut renames: Vec<(&FieldDef, &FieldDef, bool)> = Vec::new();
        added.retain(|a| match removed.iter().position(|r| a.aliases.contains(&r.name)) {
            Some(k) => {
                renames.push((removed.remove(k), a, true));
                false
            }
            None => true,
        });
        if !removed.is_empty() && removed.len() == added.len() {
            let pos_b = |f: &FieldDef| bw.iter().position(|x| x.name == f.name);
            let pos_h = |f: &FieldDef| hw.iter().position(|x| x.name == f.name);
            let pairs_up =
                removed.iter().zip(&added).all(|(r, a)| pos_b(r) == pos_h(a) && self.same(&r.schema, &a.schema));
            if pairs_up {
                for (r, a) in removed.drain(..).zip(added.drain(..)) {
                    renames.push((r, a, false));
                }
            }
        }
        for (r, a, via_alias) in &renames {
            let mut c = cond.clone();
            if *via_alias || a.aliases.contains(&r.name) {
                c.insert("alias-of-old-name".into());
            }
            let how = if *via_alias {
                "with `alias` of the old name".to_string()
            } else {
                format!("suspected: same position, same type `{}`", a.schema.display(&h.params))
            };
            out.push(
                "field-renamed",
                format!("field `{}` of `{owner}` renamed to `{}` ({how})", r.name, a.name),
                c,
                a.loc,
                Some((r.loc, r.line)),
                Some(r.name.clone()),
            );
        }
        for r in &removed {
            let mut c = cond.clone();
            // Forward: the *old* reader decides whether it tolerates the field's absence.
            if r.default || r.optional {
                c.insert("was-optional".into());
            }
            let skipped_now = hfs.iter().any(|f| ident(f) == ident(r) && f.skip == Skip::Both);
            if skipped_now {
                let hf = hfs.iter().find(|f| ident(f) == ident(r));
                out.push(
                    "skip-added",
                    format!("field `{}` of `{owner}` is now `#[serde(skip)]`", r.name),
                    c,
                    hf.and_then(|f| f.loc),
                    Some((r.loc, r.line)),
                    None,
                );
            } else {
                out.push(
                    "field-removed",
                    format!("field `{}` of `{owner}` removed (it had type `{}`)", r.name, r.schema.display(&b.params)),
                    c,
                    None,
                    Some((r.loc, r.line)),
                    None,
                );
            }
        }
        for a in &added {
            // Backward: the *new* reader's `default` (or a plain `Option`) fills a missing field.
            let optional = a.default || a.optional;
            let kind = if optional { "field-added-optional" } else { "field-added-required" };
            let how = if optional { "optional" } else { "required" };
            out.push(
                kind,
                format!("field `{}` of `{owner}` added, {how}, with type `{}`", a.name, a.schema.display(&h.params)),
                cond.clone(),
                a.loc,
                None,
                None,
            );
        }
        // Order of the common fields (names are free where an index identifies a field).
        let common_b: Vec<String> = bw.iter().map(|f| ident(f)).filter(|n| hset.contains(n)).collect();
        let common_h: Vec<String> = hw.iter().map(|f| ident(f)).filter(|n| bset.contains(n)).collect();
        if common_b != common_h && !by_id {
            out.push(
                "fields-reordered",
                format!("fields of `{owner}` reordered: ({}) → ({})", common_b.join(", "), common_h.join(", ")),
                cond.clone(),
                None,
                None,
                None,
            );
        }
        // Common fields: their types, `skip_*` and `flatten`.
        for hf in &hw {
            let Some(bf) = bw.iter().find(|f| ident(f) == ident(hf)) else { continue };
            let name = &hf.name;
            if bf.flatten != hf.flatten {
                out.push(
                    "flatten-changed",
                    format!(
                        "`#[serde(flatten)]` {} field `{name}` of `{owner}`",
                        if hf.flatten { "added to" } else { "removed from" }
                    ),
                    cond.clone(),
                    hf.loc,
                    Some((bf.loc, bf.line)),
                    None,
                );
            }
            if bf.skip != hf.skip {
                match hf.skip {
                    Skip::SkipDeserializing => out.push(
                        "skip-deserializing-added",
                        format!("field `{name}` of `{owner}` is now `#[serde(skip_deserializing)]`"),
                        cond.clone(),
                        hf.loc,
                        Some((bf.loc, bf.line)),
                        None,
                    ),
                    Skip::SkipSerializing | Skip::SkipSerializingIf => {
                        let mut c = cond.clone();
                        if hf.default {
                            c.insert("has-default".into());
                        }
                        let which =
                            if hf.skip == Skip::SkipSerializing { "skip_serializing" } else { "skip_serializing_if" };
                        out.push(
                            "skip-serializing-added",
                            format!("field `{name}` of `{owner}` is now `#[serde({which})]`"),
                            c,
                            hf.loc,
                            Some((bf.loc, bf.line)),
                            None,
                        );
                    }
                    _ => {}
                }
            }
            self.diff_field_type(bf, hf, owner, cond, buffered, b, h, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn diff_variants(
        &self,
        owner: &str,
        bv: &[VariantDef],
        hv: &[VariantDef],
        bc: &Container,
        hc: &Container,
        cond: &BTreeSet<String>,
        b: &Def,
        h: &Def,
        out: &mut Out<'_>,
    ) {
        let mut conds = cond.clone();
        if matches!(hc.tagging, Tagging::Untagged) {
            conds.insert("untagged".into());
        }
        let by_id = matches!(hc.codec.as_deref(), Some("minicbor" | "prost"));
        let ident = |v: &VariantDef| {
            if by_id { v.id.map(|i| format!("#{i}")).unwrap_or_else(|| v.name.clone()) } else { v.name.clone() }
        };
        // `serde_repr`: the discriminant value is the identity, in every format.
        if bc.serde_repr != hc.serde_repr {
            let mut c = conds.clone();
            let u32_indices = |vs: &[VariantDef], r: &Option<String>| {
                r.as_deref() == Some("u32") && vs.iter().all(|v| v.discriminant == Some(v.index as i128))
            };
            if u32_indices(bv, &bc.repr) && u32_indices(hv, &hc.repr) {
                c.insert("repr-u32-indices".into());
            }
            out.push(
                "serde-repr-changed",
                format!(
                    "`serde_repr` {} `{owner}`: its variants are now written as {}",
                    if hc.serde_repr { "added to" } else { "removed from" },
                    if hc.serde_repr { "their discriminant values" } else { "their names or indices" }
                ),
                c,
                None,
                None,
                None,
            );
            return;
        }
        if hc.serde_repr {
            for v in hv {
                match bv
                    .iter()
                    .find(|x| x.name == v.name || x.discriminant == v.discriminant && x.discriminant.is_some())
                {
                    Some(x) if x.discriminant != v.discriminant => out.push(
                        "repr-value-changed",
                        format!(
                            "discriminant of variant `{}` of `{owner}` changed: {} → {}",
                            v.rust,
                            show_disc(x.discriminant),
                            show_disc(v.discriminant)
                        ),
                        conds.clone(),
                        v.loc,
                        Some((x.loc, x.line)),
                        None,
                    ),
                    Some(_) => {}
                    None => out.push(
                        "variant-appended",
                        format!("variant `{}` (value {}) added to `{owner}`", v.rust, show_disc(v.discriminant)),
                        conds.clone(),
                        v.loc,
                        None,
                        None,
                    ),
                }
            }
            for x in bv {
                if !hv.iter().any(|v| v.name == x.name || v.discriminant == x.discriminant && x.discriminant.is_some())
                {
                    out.push(
                        "variant-removed-last",
                        format!("variant `{}` (value {}) of `{owner}` removed", x.rust, show_disc(x.discriminant)),
                        conds.clone(),
                        None,
                        Some((x.loc, x.line)),
                        None,
                    );
                }
            }
            return;
        }
        if bc.repr != hc.repr {
            out.push(
                "discriminant-changed",
                format!("`#[repr]` of `{owner}` changed: {} → {}", opt_text(&bc.repr), opt_text(&hc.repr)),
                conds.clone(),
                None,
                None,
                None,
            );
        }
        let bnames: Vec<String> = bv.iter().map(&ident).collect();
        let hnames: Vec<String> = hv.iter().map(&ident).collect();
        // `rename_all` changed names as a whole: one change of the container, variants then
        // matched by their Rust names.
        let (bnames, hnames) = if bc.rename_all != hc.rename_all && bnames != hnames {
            out.push(
                "container-representation-changed",
                format!(
                    "`#[serde(rename_all)]` of `{owner}` changed: {} → {}",
                    opt_text(&bc.rename_all),
                    opt_text(&hc.rename_all)
                ),
                conds.clone(),
                None,
                None,
                None,
            );
            (
                bv.iter().map(|v| v.rust.clone()).collect::<Vec<_>>(),
                hv.iter().map(|v| v.rust.clone()).collect::<Vec<_>>(),
            )
        } else {
            (bnames, hnames)
        };
        let old_other = bv.iter().any(|v| v.other);
        let internally_tagged = matches!(hc.tagging, Tagging::Internal { .. });
        let mut removed: Vec<usize> =
            (0..bv.len()).filter(|i| bnames.get(*i).is_some_and(|n| !hnames.contains(n))).collect();
        let mut added: Vec<usize> =
            (0..hv.len()).filter(|i| hnames.get(*i).is_some_and(|n| !bnames.contains(n))).collect();
        let mut renamed: Vec<(usize, usize)> = Vec::new();
        // A new variant carrying `alias` of a removed one is a rename the alias half fixes.
        added.retain(|&a| {
            let Some(v) = hv.get(a) else { return true };
            match removed.iter().position(|r| bnames.get(*r).is_some_and(|n| v.aliases.contains(n))) {
                Some(k) => {
                    renamed.push((removed.remove(k), a));
                    false
                }
                None => true,
            }
        });
        // A suspected rename: one removed and one added at the same index with the same payload.
        if let ([r], [a]) = (removed.as_slice(), added.as_slice()) {
            if r == a && self.same_payload(bv.get(*r), hv.get(*a)) {
                renamed.push((*r, *a));
                removed.clear();
                added.clear();
            }
        }
        for (r, a) in &renamed {
            let (Some(x), Some(v)) = (bv.get(*r), hv.get(*a)) else { continue };
            let mut c = conds.clone();
            let via_alias = v.aliases.contains(&x.name);
            if via_alias {
                c.insert("alias-of-old-name".into());
            }
            let how = if via_alias { " (with `alias` of the old name)" } else { "" };
            out.push(
                "variant-renamed",
                format!("variant `{}` of `{owner}` renamed to `{}`{how}", x.name, v.name),
                c,
                v.loc,
                Some((x.loc, x.line)),
                Some(x.name.clone()),
            );
        }
        for &r in &removed {
            let Some(x) = bv.get(r) else { continue };
            let last = (r + 1..bv.len()).all(|later| removed.contains(&later));
            let kind = if last { "variant-removed-last" } else { "variant-removed" };
            out.push(
                kind,
                format!("variant `{}` of `{owner}` removed", x.name),
                conds.clone(),
                None,
                Some((x.loc, x.line)),
                None,
            );
        }
        for &a in &added {
            let Some(v) = hv.get(a) else { continue };
            // Appended: every variant after it is new too, or is the `other` catch-all.
            let at_end =
                (a + 1..hv.len()).all(|later| added.contains(&later) || hv.get(later).is_some_and(|x| x.other));
            let mut c = conds.clone();
            if old_other && (v.form == Form::Unit || internally_tagged) {
                c.insert("old-other-reads-it".into());
            }
            let kind = if at_end { "variant-appended" } else { "variant-inserted" };
            let where_ = if at_end { "at the end" } else { "before other variants" };
            out.push(kind, format!("variant `{}` added to `{owner}` {where_}", v.name), c, v.loc, None, None);
        }
        let common_b: Vec<&String> = bnames.iter().filter(|n| hnames.contains(n)).collect();
        let common_h: Vec<&String> = hnames.iter().filter(|n| bnames.contains(n)).collect();
        if common_b != common_h {
            out.push("variant-inserted", format!("variants of `{owner}` reordered"), conds.clone(), None, None, None);
        }
        if old_other && !hv.iter().any(|v| v.other) {
            // No row of its own: old readers still have their catch-all; new readers reject
            // unknown variants from now on, which no stored data has.
        }
        for (hi, v) in hv.iter().enumerate() {
            let Some(name) = hnames.get(hi) else { continue };
            let bi = bnames
                .iter()
                .position(|n| n == name)
                .or_else(|| renamed.iter().find(|(_, a)| *a == hi).map(|(r, _)| *r));
            let Some(x) = bi.and_then(|i| bv.get(i)) else { continue };
            if x.skip != v.skip && v.skip != Skip::None && hi + 1 < hv.len() {
                out.push(
                    "skip-variant-not-last",
                    format!("variant `{}` of `{owner}` is now `#[serde(skip)]` and is not the last", v.name),
                    conds.clone(),
                    v.loc,
                    Some((x.loc, x.line)),
                    None,
                );
            }
            if x.discriminant_text != v.discriminant_text {
                out.push(
                    "discriminant-changed",
                    format!(
                        "discriminant of variant `{}` of `{owner}` changed: {} → {}",
                        v.rust,
                        opt_text(&x.discriminant_text),
                        opt_text(&v.discriminant_text)
                    ),
                    conds.clone(),
                    v.loc,
                    Some((x.loc, x.line)),
                    None,
                );
            }
            let label = format!("{owner}::{}", v.rust);
            if let Some(kind) = self.form_change(x.form, v.form, &x.fields, &v.fields) {
                out.push(kind, form_what(&label, x.form, v.form), conds.clone(), v.loc, Some((x.loc, x.line)), None);
                continue;
            }
            let buffered = matches!(hc.tagging, Tagging::Internal { .. } | Tagging::Untagged);
            self.diff_fields(&label, v.form, &x.fields, &v.fields, &conds, by_id, buffered, b, h, out);
        }
    }

    fn same_payload(&self, b: Option<&VariantDef>, h: Option<&VariantDef>) -> bool {
        let (Some(b), Some(h)) = (b, h) else { return false };
        b.form == h.form
            && b.fields.len() == h.fields.len()
            && b.fields.iter().zip(&h.fields).all(|(x, y)| self.same(&x.schema, &y.schema))
    }
}

fn show_disc(d: Option<i128>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "unknown".into())
}

fn form_what(name: &str, b: Form, h: Form) -> String {
    let text = |f: Form| match f {
        Form::Unit => "a unit",
        Form::Newtype => "a newtype",
        Form::Tuple => "a tuple",
        Form::Named => "one with named fields",
    };
    format!("`{name}` changed from {} to {}", text(b), text(h))
}

fn serde_value(attrs: &[Attr], key: &str) -> Option<String> {
    migrations::serde_value(attrs, key)
}

/// The name a field or variant has on the wire.
pub fn serialized_name(rust: &str, attrs: &[Attr], rename_all: Option<&str>, variant: bool) -> String {
    if let Some(r) = serde_value(attrs, "rename") {
        return r;
    }
    match rename_all {
        Some(rule) => apply_rename_all(rust, rule, variant),
        None => rust.to_string(),
    }
}

fn apply_rename_all(name: &str, rule: &str, variant: bool) -> String {
    // Split into words: snake_case fields, PascalCase variants.
    let words: Vec<String> = if variant {
        let mut w = Vec::new();
        let mut cur = String::new();
        for c in name.chars() {
            if c.is_uppercase() && !cur.is_empty() {
                w.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            w.push(cur);
        }
        w.into_iter().map(|s| s.to_lowercase()).collect()
    } else {
        name.split('_').map(str::to_lowercase).collect()
    };
    let cap = |s: &str| {
        let mut c = s.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    match rule {
        "lowercase" => words.concat(),
        "UPPERCASE" => words.concat().to_uppercase(),
        "PascalCase" => words.iter().map(|w| cap(w)).collect(),
        "camelCase" => words.iter().enumerate().map(|(i, w)| if i == 0 { w.clone() } else { cap(w) }).collect(),
        "snake_case" => words.join("_"),
        "SCREAMING_SNAKE_CASE" => words.join("_").to_uppercase(),
        "kebab-case" => words.join("-"),
        "SCREAMING-KEBAB-CASE" => words.join("-").to_uppercase(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_every_class() {
        assert!(table().len() >= 30);
        for row in table() {
            for c in &row.caveats {
                assert!(Class::parse(&c.class).is_some(), "{}", row.kind);
            }
        }
    }

    #[test]
    fn rename_all_rules() {
        assert_eq!(apply_rename_all("user_id", "camelCase", false), "userId");
        assert_eq!(apply_rename_all("UserId", "snake_case", true), "user_id");
        assert_eq!(apply_rename_all("user_id", "SCREAMING-KEBAB-CASE", false), "USER-ID");
    }

    #[test]
    fn caveats_with_several_conditions_need_all() {
        let c: BTreeSet<String> = ["newtype-inner".to_string()].into();
        let v = verdict("field-retyped-same-model", Class::Named, &c).unwrap_or_default();
        assert_eq!((v.backward, v.forward), (Outcome::Ok, Outcome::Ok));
        let c: BTreeSet<String> = ["format-ron-newtype".to_string()].into();
        let v = verdict("field-retyped-same-model", Class::Named, &c).unwrap_or_default();
        assert_eq!((v.backward, v.forward), (Outcome::Breaks, Outcome::Breaks));
    }
}
