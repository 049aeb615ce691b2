//! Stage: compare. Input: the model of the base revision and of the head. Output: a
//! [`Comparison`]: for every tracked type, the precise changes to the definitions in its shape
//! (by serialized names), each judged by the verdict table `rules/compat.toml` for the type's
//! encoding and required directions.
//! Invariant: a definition that moved between modules is matched by name and shape, and a move
//! alone is no change of shape; verdicts come only from the table.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::encoding::Class;
use crate::index::TypeId;
use crate::ir::*;
use crate::migrations::{self, Version};
use crate::model::Model;
use crate::resolve::{Res, Resolver};

pub const COMPAT: &str = include_str!("../rules/compat.toml");

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Verdict {
    pub backward: bool,
    pub forward: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Caveat {
    pub when: String,
    pub class: String,
    #[serde(default)]
    pub backward: Option<bool>,
    #[serde(default)]
    pub forward: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
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
        Class::Positional => row.positional,
        Class::PositionalVarint => row.positional_varint,
        Class::Named => row.named,
        Class::Memory => row.memory,
    };
    for c in &row.caveats {
        if c.class == class.as_str() && conditions.contains(&c.when) {
            if let Some(b) = c.backward {
                v.backward = b;
            }
            if let Some(f) = c.forward {
                v.forward = f;
            }
        }
    }
    Some(v)
}

/// The verdict table as Markdown, from `rules/compat.toml` (what `explain` prints).
pub fn table_markdown() -> String {
    let v = |x: &Verdict| match (x.backward, x.forward) {
        (true, true) => "ok".to_string(),
        (b, f) => format!("B{} F{}", if b { " ok" } else { "×" }, if f { " ok" } else { "×" }),
    };
    let mut s = String::from(
        "| change | positional | positional-varint | named | memory | caveats |\n|---|---|---|---|---|---|\n",
    );
    for r in table() {
        let mut row = format!(
            "| {} | {} | {} | {} | {} |",
            r.description,
            v(&r.positional),
            v(&r.positional_varint),
            v(&r.named),
            v(&r.memory)
        );
        let mut caveats = Vec::new();
        for c in &r.caveats {
            let what = match (c.backward, c.forward) {
                (Some(b), None) => format!("B{}", if b { " ok" } else { "×" }),
                (None, Some(f)) => format!("F{}", if f { " ok" } else { "×" }),
                (Some(b), Some(f)) => format!("B{} F{}", if b { " ok" } else { "×" }, if f { " ok" } else { "×" }),
                (None, None) => String::new(),
            };
            caveats.push(format!("{} with {}: {what}", c.class, c.when));
        }
        row.push_str(&format!(" {} |", caveats.join("; ")));
        s.push_str(&row);
        s.push('\n');
    }
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

/// Whether a change breaks the required directions: (backward broken, forward broken).
pub fn breaks(change: &Change, class: Class, need: (bool, bool)) -> (bool, bool) {
    match verdict(change.kind, class, &change.conditions) {
        Some(v) => (need.0 && !v.backward, need.1 && !v.forward),
        None => (need.0, need.1),
    }
}

/// Records one change: (kind, what, conditions, head location, base location, old name).
type Push<'a> = dyn FnMut(&'static str, String, BTreeSet<String>, Option<Loc>, Option<Loc>, Option<String>) + 'a;

/// One change to one definition.
#[derive(Clone, Debug)]
pub struct Change {
    /// A `kind` of `rules/compat.toml`.
    pub kind: &'static str,
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
    /// Opaque parts whose fingerprint changed (HL013).
    pub opaque_changed: Vec<(String, String)>,
    pub base_version: Option<Version>,
    pub head_version: Option<Version>,
    pub base_convention: Option<String>,
}

impl TypeDiff {
    fn empty() -> TypeDiff {
        TypeDiff {
            path: String::new(),
            head_ty: None,
            base_ty: None,
            moved_from: None,
            changes: Vec::new(),
            opaque_changed: Vec::new(),
            base_version: None,
            head_version: None,
            base_convention: None,
        }
    }
}

#[derive(Debug)]
pub struct Comparison {
    pub base: Box<Model>,
    pub base_commit: String,
    pub diffs: Vec<TypeDiff>,
}

/// Compare every tracked type of `head` (and every tracked type of `base` that disappeared).
pub fn compare(base: Model, head: &Model, base_commit: String) -> Comparison {
    // Tracked types are compared independently, on the current rayon pool (the caller's `-j`
    // threads); each thread has its own resolvers (their caches are not shared), and the diffs
    // keep the head's order.
    use rayon::prelude::*;
    let tracked: Vec<(&TypeId, &crate::tracked::Tracked)> = head.tracked.iter().collect();
    let cx = || Cx {
        base: &base,
        head,
        base_res: Resolver::new(&base.index, &base.config.aliases),
        head_res: Resolver::new(&head.index, &head.config.aliases),
        done: Default::default(),
    };
    let diffs = tracked.par_iter().map_init(cx, |cx, (ty, t)| cx.diff_type(**ty, t)).collect();
    Comparison { base: Box::new(base), base_commit, diffs }
}

struct Cx<'a> {
    base: &'a Model,
    head: &'a Model,
    base_res: Resolver<'a>,
    head_res: Resolver<'a>,
    /// The changes found for a (head, base) pair of definitions: a definition shared by many
    /// tracked types' closures is compared once per thread.
    done: std::cell::RefCell<std::collections::HashMap<(TypeId, TypeId), Found>>,
}

/// What comparing one definition found.
#[derive(Clone, Default)]
struct Found {
    changes: Vec<Change>,
    opaque_changed: Vec<(String, String)>,
}

impl<'a> Cx<'a> {
    /// The changes to one tracked head type's closure since the base.
    fn diff_type(&self, ty: TypeId, t: &crate::tracked::Tracked) -> TypeDiff {
        let base_ty = self.match_base(ty);
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
        if let Some(b) = base_ty {
            let bpath = self.base.index.type_entry(b).map(|e| e.path.clone()).unwrap_or_default();
            if bpath != t.path {
                diff.moved_from = Some(bpath);
            }
            let bm = self.base.migrations.get(&b);
            diff.base_version = bm.map(|m| m.version.clone());
            diff.base_convention = bm.map(|m| m.convention.clone());
            self.diff_closure(ty, b, t.closure.types.as_slice(), &mut diff);
        }
        diff
    }

    /// The base definition of a head type: same canonical path, else (a move) the only base
    /// type with the same name that the head no longer has ([`crate::matching::counterpart`]).
    fn match_base(&self, head_ty: TypeId) -> Option<TypeId> {
        let e = self.head.index.type_entry(head_ty)?;
        if let Some(ids) = self.base.index.type_by_path.get(&e.path) {
            // `#[cfg]` twins at one path (`mod imp` under exclusive predicates) are paired by
            // their predicates, else by their order among the twins.
            if ids.len() > 1 {
                let cfg = self.head.index.type_cfg(head_ty);
                if let Some(b) = ids.iter().find(|b| self.base.index.type_cfg(**b) == cfg) {
                    return Some(*b);
                }
                let pos = self.head.index.type_by_path.get(&e.path).and_then(|h| h.iter().position(|h| *h == head_ty));
                if let Some(b) = pos.and_then(|p| ids.get(p)) {
                    return Some(*b);
                }
            }
            return ids.first().copied();
        }
        let base = self.base.index.types.iter().enumerate().filter(|(_, b)| !b.test);
        crate::matching::counterpart(
            &e.path,
            &e.name,
            base.map(|(i, b)| (i as TypeId, b.path.as_str(), b.name.as_str())),
            |path| self.head.index.type_by_path.contains_key(path),
        )
    }

    /// Compare every definition of the head closure with its base counterpart.
    fn diff_closure(&self, head_root: TypeId, base_root: TypeId, closure: &[TypeId], diff: &mut TypeDiff) {
        let mut done = BTreeSet::new();
        for &h in closure {
            let b = if h == head_root { Some(base_root) } else { self.match_base(h) };
            let Some(b) = b else { continue };
            if !done.insert(h) {
                continue;
            }
            let cached = self.done.borrow().get(&(h, b)).cloned();
            let found = match cached {
                Some(found) => found,
                None => {
                    let mut found = TypeDiff::empty();
                    self.diff_def(h, b, &mut found);
                    let found = Found { changes: found.changes, opaque_changed: found.opaque_changed };
                    self.done.borrow_mut().insert((h, b), found.clone());
                    found
                }
            };
            diff.changes.extend(found.changes);
            diff.opaque_changed.extend(found.opaque_changed);
        }
    }

    fn diff_def(&self, h: TypeId, b: TypeId, diff: &mut TypeDiff) {
        let (Some(he), Some(be)) = (self.head.index.type_entry(h), self.base.index.type_entry(b)) else { return };
        let (Some(hi), Some(bi)) = (self.head.index.item(he.item), self.base.index.item(be.item)) else { return };
        // Opaque: hand-written serde impls compared by fingerprint.
        let hfp = self.head_tracker().hand_written_serde(h).or_else(|| recorded_opaque(hi));
        let bfp = self.base_tracker().hand_written_serde(b).or_else(|| recorded_opaque(bi));
        if hfp.is_some() || bfp.is_some() {
            if hfp != bfp {
                diff.opaque_changed.push((he.path.clone(), "its hand-written serde impl changed".into()));
            }
            return;
        }
        let (ItemKind::Type(hd), ItemKind::Type(bd)) = (&hi.kind, &bi.kind) else {
            return;
        };
        // A definition in a file git says did not change (the base reuses the head's summary of
        // it) changed only if a field's type now resolves to something else, unless a serialized
        // name repeats: the comparison below pairs each name with its first namesake.
        if self.unchanged_item(he, be)
            && names_unique(hi, hd)
            && hd.all_fields().all(|f| self.same_type_text(&f.ty, he.module, be.module, &hd.generics))
        {
            return;
        }
        // obake declares every version's fields side by side (`#[obake(cfg("0.1.0"))]`): a new
        // version is a bump (HL003 asks for its path), and within one version the fields that
        // exist at it are compared, as written data of that version has them.
        let obake_at = if hi.attrs.iter().chain(&bi.attrs).any(|a| a.is("obake")) {
            let version = |m: &Model, t: TypeId| match m.migrations.get(&t).map(|m| &m.version) {
                Some(crate::migrations::Version::Semver(v)) => Some(v.clone()),
                _ => None,
            };
            match (version(self.head, h), version(self.base, b)) {
                (Some(hv), Some(bv)) if hv == bv => Some(hv),
                _ => return,
            }
        } else {
            None
        };
        let (hd_at, bd_at);
        let (hd, bd) = match &obake_at {
            Some(v) => {
                hd_at = obake_version_of(hd, v);
                bd_at = obake_version_of(bd, v);
                (&hd_at, &bd_at)
            }
            None => (hd, bd),
        };
        let base_text = |loc: Loc| -> (String, u32, String) {
            let file = self.base.index.file(loc.file);
            let path = file.map(|f| f.rel_path.clone()).unwrap_or_default();
            let text = file
                .and_then(|f| f.text.lines().nth(loc.line.saturating_sub(1) as usize))
                .unwrap_or("")
                .trim()
                .to_string();
            (path, loc.line, text)
        };
        let mut push = |kind: &'static str,
                        what: String,
                        conditions: BTreeSet<String>,
                        head_loc: Option<Loc>,
                        base_loc: Option<Loc>,
                        old: Option<String>| {
            diff.changes.push(Change {
                kind,
                def_path: he.path.clone(),
                def_name: he.name.clone(),
                what,
                conditions,
                head_loc: head_loc.or(Some(hi.loc)),
                base_loc: base_loc.map(base_text).or_else(|| Some(base_text(bi.loc))),
                old_name: old,
            });
        };
        // Container representation.
        for key in ["rename_all", "tag", "content", "untagged"] {
            let hv = serde_flag(&hi.attrs, key);
            let bv = serde_flag(&bi.attrs, key);
            if hv != bv {
                push(
                    "container-representation-changed",
                    format!("`#[serde({key})]` of `{}` changed: {} → {}", he.name, show_opt(&bv), show_opt(&hv)),
                    BTreeSet::new(),
                    None,
                    None,
                    None,
                );
            }
        }
        let mut container = BTreeSet::new();
        if serde_flag(&bi.attrs, "deny_unknown_fields").is_some() {
            container.insert("old-deny-unknown-fields".to_string());
        }
        if serde_flag(&hi.attrs, "deny_unknown_fields").is_some() {
            container.insert("new-deny-unknown-fields".to_string());
        }
        match (hd.kind, bd.kind) {
            (TypeKind::Enum, TypeKind::Enum) => self.diff_variants(he, be, hi, bi, hd, bd, &container, &mut push),
            (TypeKind::Enum, _) | (_, TypeKind::Enum) => push(
                "field-retyped",
                format!("`{}` changed from a {} to a {}", he.name, kind_name(bd.kind), kind_name(hd.kind)),
                BTreeSet::new(),
                None,
                None,
                None,
            ),
            _ => {
                let hra = serde_value(&hi.attrs, "rename_all");
                let bra = serde_value(&bi.attrs, "rename_all");
                self.diff_fields(
                    &he.name,
                    None,
                    he.module,
                    be.module,
                    &hd.fields,
                    &bd.fields,
                    &hd.generics,
                    &bd.generics,
                    hra.as_deref(),
                    bra.as_deref(),
                    &container,
                    has_serde_default(&hi.attrs),
                    &mut push,
                );
            }
        }
    }

    fn head_tracker(&self) -> crate::tracked::Tracker<'_> {
        crate::tracked::Tracker {
            index: &self.head.index,
            res: &self.head_res,
            migrations: &self.head.migrations,
            impls: &self.head.impls,
        }
    }

    fn base_tracker(&self) -> crate::tracked::Tracker<'_> {
        crate::tracked::Tracker {
            index: &self.base.index,
            res: &self.base_res,
            migrations: &self.base.migrations,
            impls: &self.base.impls,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn diff_variants(
        &self,
        he: &crate::index::TypeEntry,
        be: &crate::index::TypeEntry,
        hi: &Item,
        bi: &Item,
        hd: &TypeDef,
        bd: &TypeDef,
        container: &BTreeSet<String>,
        push: &mut Push<'_>,
    ) {
        let hra = serde_value(&hi.attrs, "rename_all");
        let bra = serde_value(&bi.attrs, "rename_all");
        let (hra, bra) = if hra == bra { (hra, bra) } else { (None, None) };
        let hnames: Vec<String> =
            hd.variants.iter().map(|v| serialized_name(&v.name, &v.attrs, hra.as_deref(), true)).collect();
        let bnames: Vec<String> =
            bd.variants.iter().map(|v| serialized_name(&v.name, &v.attrs, bra.as_deref(), true)).collect();
        let mut conds = container.clone();
        if bd
            .variants
            .iter()
            .any(|v| v.attrs.iter().any(|a| a.is("serde") && a.list().iter().any(|m| m.path == "other")))
        {
            conds.insert("old-has-other-variant".into());
        }
        if derives(&hi.attrs).any(|(p, _)| {
            p.last().is_some_and(|l| l.starts_with("Serialize_repr") || l.starts_with("Deserialize_repr"))
        }) {
            conds.insert("serde-repr".into());
        }
        let mut removed: Vec<usize> =
            (0..bnames.len()).filter(|i| bnames.get(*i).is_some_and(|n| !hnames.contains(n))).collect();
        let mut added: Vec<usize> =
            (0..hnames.len()).filter(|i| hnames.get(*i).is_some_and(|n| !bnames.contains(n))).collect();
        // A new variant carrying `alias` of a removed one is a rename the alias half fixes.
        added.retain(|&a| {
            let aliases = alias_names(hd.variants.get(a).map(|v| v.attrs.as_slice()).unwrap_or(&[]));
            let Some(k) = removed.iter().position(|r| bnames.get(*r).is_some_and(|n| aliases.contains(n))) else {
                return true;
            };
            let r = removed.remove(k);
            let (old, new) = (bnames.get(r).cloned().unwrap_or_default(), hnames.get(a).cloned().unwrap_or_default());
            let mut c = conds.clone();
            c.insert("alias-of-old-name".into());
            push(
                "variant-renamed",
                format!("variant `{old}` of `{}` renamed to `{new}` (with `alias` of the old name)", he.name),
                c,
                hd.variants.get(a).map(|v| v.loc),
                bd.variants.get(r).map(|v| v.loc),
                Some(old),
            );
            false
        });
        // A suspected rename: one removed and one added at the same index with the same payload.
        let mut renamed = None;
        if let ([r], [a]) = (removed.as_slice(), added.as_slice()) {
            if r == a && self.same_payload(he.module, be.module, hd.variants.get(*a), bd.variants.get(*r)) {
                renamed = Some((*r, *a));
            }
        }
        if let Some((r, a)) = renamed {
            let (Some(old), Some(new)) = (bnames.get(r), hnames.get(a)) else { return };
            let mut c = conds.clone();
            if alias_names(hd.variants.get(a).map(|v| v.attrs.as_slice()).unwrap_or(&[])).contains(old) {
                c.insert("alias-of-old-name".into());
            }
            push(
                "variant-renamed",
                format!("variant `{old}` of `{}` renamed to `{new}`", he.name),
                c,
                hd.variants.get(a).map(|v| v.loc),
                bd.variants.get(r).map(|v| v.loc),
                Some(old.clone()),
            );
        } else {
            for &r in &removed {
                let name = bnames.get(r).cloned().unwrap_or_default();
                push(
                    "variant-removed",
                    format!("variant `{name}` of `{}` removed", he.name),
                    conds.clone(),
                    None,
                    bd.variants.get(r).map(|v| v.loc),
                    None,
                );
            }
            for &a in &added {
                let name = hnames.get(a).cloned().unwrap_or_default();
                // Appended: every variant after it is new too.
                let at_end = (a + 1..hnames.len()).all(|later| added.contains(&later));
                let kind = if at_end { "variant-appended" } else { "variant-inserted" };
                let where_ = if at_end { "at the end" } else { "before other variants" };
                push(
                    kind,
                    format!("variant `{name}` added to `{}` {where_}", he.name),
                    conds.clone(),
                    hd.variants.get(a).map(|v| v.loc),
                    None,
                    None,
                );
            }
        }
        // Order of the common variants.
        let common_b: Vec<&String> = bnames.iter().filter(|n| hnames.contains(n)).collect();
        let common_h: Vec<&String> = hnames.iter().filter(|n| bnames.contains(n)).collect();
        if common_b != common_h {
            push("variant-inserted", format!("variants of `{}` reordered", he.name), conds.clone(), None, None, None);
        }
        // Discriminants and payloads of variants present on both sides.
        for (hi_idx, hv) in hd.variants.iter().enumerate() {
            let Some(name) = hnames.get(hi_idx) else { continue };
            let Some(bi_idx) =
                bnames.iter().position(|b| b == name).or_else(|| renamed.filter(|(_, a)| *a == hi_idx).map(|(r, _)| r))
            else {
                continue;
            };
            let Some(bv) = bd.variants.get(bi_idx) else { continue };
            if hv.discriminant != bv.discriminant {
                push(
                    "discriminant-changed",
                    format!(
                        "discriminant of variant `{}` of `{}` changed: {} → {}",
                        hv.name,
                        he.name,
                        show_opt(&bv.discriminant),
                        show_opt(&hv.discriminant)
                    ),
                    conds.clone(),
                    Some(hv.loc),
                    Some(bv.loc),
                    None,
                );
            }
            let vra = serde_value(&hv.attrs, "rename_all");
            let bvra = serde_value(&bv.attrs, "rename_all");
            let label = format!("{}::{}", he.name, hv.name);
            self.diff_fields(
                &label,
                Some(&hv.name),
                he.module,
                be.module,
                &hv.fields,
                &bv.fields,
                &hd.generics,
                &bd.generics,
                vra.as_deref(),
                bvra.as_deref(),
                container,
                false,
                push,
            );
        }
    }

    fn same_payload(&self, hm: u32, bm: u32, h: Option<&Variant>, b: Option<&Variant>) -> bool {
        let (Some(h), Some(b)) = (h, b) else { return false };
        if h.fields.len() != b.fields.len() {
            return false;
        }
        h.fields.iter().zip(b.fields.iter()).all(|(x, y)| {
            self.type_text(&self.head_res, hm, &x.ty, &[]) == self.type_text(&self.base_res, bm, &y.ty, &[])
        })
    }

    /// The inner type (as text) of a workspace newtype struct `struct Count(pub u32)`.
    fn newtype_inner(&self, res: &Resolver<'_>, scope: u32, ty: &Ty, generics: &[String]) -> Option<String> {
        let Res::Type(t) = res.resolve_ty(scope, ty, generics)? else { return None };
        let e = res.index.type_entry(t)?;
        let ItemKind::Type(def) = &res.index.item(e.item)?.kind else { return None };
        match &def.fields {
            Fields::Tuple(v) if v.len() == 1 && def.kind == TypeKind::Struct => {
                v.first().map(|f| self.type_text(res, e.module, &f.ty, &def.generics))
            }
            _ => None,
        }
    }

    /// Both type entries are the same item of one file summary, shared by the head and the base.
    fn unchanged_item(&self, he: &crate::index::TypeEntry, be: &crate::index::TypeEntry) -> bool {
        let file = |index: &crate::index::Index, id: crate::index::ItemId| index.files.get(id.file as usize).cloned();
        he.item.idx == be.item.idx
            && match (file(&self.head.index, he.item), file(&self.base.index, be.item)) {
                (Some(h), Some(b)) => std::sync::Arc::ptr_eq(&h, &b),
                _ => false,
            }
    }

    /// Whether one written type reads the same in the head's scope `hm` and the base's `bm`: the
    /// parts [`Cx::type_text`] writes, compared without writing them (equal parts make equal texts).
    fn same_type_text(&self, ty: &Ty, hm: u32, bm: u32, generics: &[String]) -> bool {
        match ty {
            Ty::Path(p) => {
                let h = self.head_res.resolve_ty_path(hm, p, generics);
                let b = self.base_res.resolve_ty_path(bm, p, generics);
                let name = |m: &'a Model, t: TypeId| m.index.type_entry(t).map(|e| e.name.as_str());
                let same_head = match (&h, &b) {
                    (Res::Type(x), Res::Type(y)) => name(self.head, *x) == name(self.base, *y),
                    (Res::Param(_), Res::Param(_)) | (Res::Unresolved, Res::Unresolved) => true,
                    (Res::Type(_) | Res::Param(_) | Res::Unresolved, _)
                    | (_, Res::Type(_) | Res::Param(_) | Res::Unresolved) => false,
                    (x, y) => self.head_res.display(x) == self.base_res.display(y),
                };
                same_head
                    && p.segments.last().is_none_or(|s| s.args.iter().all(|a| self.same_type_text(a, hm, bm, generics)))
            }
            Ty::Tuple(v) => v.iter().all(|t| self.same_type_text(t, hm, bm, generics)),
            Ty::Array(t, _) | Ty::Slice(t) | Ty::Ref(t) => self.same_type_text(t, hm, bm, generics),
            _ => true,
        }
    }

    /// A type as canonical text: resolved paths, generic arguments, written forms elsewhere.
    fn type_text(&self, res: &Resolver<'_>, scope: u32, ty: &Ty, generics: &[String]) -> String {
        match ty {
            Ty::Path(p) => {
                let r = res.resolve_ty_path(scope, p, generics);
                let head = match &r {
                    Res::Type(t) => res.index.type_entry(*t).map(|e| e.name.clone()).unwrap_or_default(),
                    Res::Param(_) => "<param>".into(),
                    Res::Unresolved => p.names().join("::"),
                    other => res.display(other),
                };
                let args: Vec<String> = p
                    .segments
                    .last()
                    .map(|s| s.args.iter().map(|a| self.type_text(res, scope, a, generics)).collect())
                    .unwrap_or_default();
                if args.is_empty() { head } else { format!("{head}<{}>", args.join(", ")) }
            }
            Ty::Tuple(v) => format!(
                "({})",
                v.iter().map(|t| self.type_text(res, scope, t, generics)).collect::<Vec<_>>().join(", ")
            ),
            Ty::Array(t, n) => format!("[{}; {n}]", self.type_text(res, scope, t, generics)),
            Ty::Slice(t) => format!("[{}]", self.type_text(res, scope, t, generics)),
            Ty::Ref(t) => format!("&{}", self.type_text(res, scope, t, generics)),
            other => crate::actors::written(other),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn diff_fields(
        &self,
        owner: &str,
        _variant: Option<&str>,
        hm: u32,
        bm: u32,
        hf: &Fields,
        bf: &Fields,
        hg: &[String],
        bg: &[String],
        h_rename_all: Option<&str>,
        b_rename_all: Option<&str>,
        container: &BTreeSet<String>,
        container_default: bool,
        push: &mut Push<'_>,
    ) {
        let names = |fields: &Fields, rename_all: Option<&str>| -> Vec<(String, bool)> {
            fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let n = match &f.name {
                        Some(n) => serialized_name(n, &f.attrs, rename_all, false),
                        None => i.to_string(),
                    };
                    (n, crate::tracked::field_skipped(&f.attrs))
                })
                .collect()
        };
        // A changed `rename_all` is reported once, as a container change; fields are matched by
        // their Rust names under it so they do not all look removed and added.
        let (h_rule, b_rule) = if h_rename_all == b_rename_all { (h_rename_all, b_rename_all) } else { (None, None) };
        let hn = names(hf, h_rule);
        let bn = names(bf, b_rule);
        let hfields: Vec<&Field> = hf.iter().collect();
        let bfields: Vec<&Field> = bf.iter().collect();
        // Fields on the wire, in order: (serialized name, index).
        let h_wire: Vec<(String, usize)> =
            hn.iter().enumerate().filter(|(_, (_, s))| !s).map(|(i, (n, _))| (n.clone(), i)).collect();
        let b_wire: Vec<(String, usize)> =
            bn.iter().enumerate().filter(|(_, (_, s))| !s).map(|(i, (n, _))| (n.clone(), i)).collect();
        let h_set: BTreeSet<&String> = h_wire.iter().map(|(n, _)| n).collect();
        let b_set: BTreeSet<&String> = b_wire.iter().map(|(n, _)| n).collect();
        let alias_of = |i: usize| hfields.get(i).map(|f| alias_names(&f.attrs)).unwrap_or_default();
        let ty_h = |i: usize| hfields.get(i).map(|f| self.type_text(&self.head_res, hm, &f.ty, hg)).unwrap_or_default();
        let ty_b = |i: usize| bfields.get(i).map(|f| self.type_text(&self.base_res, bm, &f.ty, bg)).unwrap_or_default();
        let hloc = |i: usize| hfields.get(i).map(|f| f.loc);
        let bloc = |i: usize| bfields.get(i).map(|f| f.loc);
        let mut removed: Vec<(String, usize)> = b_wire.iter().filter(|(n, _)| !h_set.contains(n)).cloned().collect();
        let mut added: Vec<(String, usize)> = h_wire.iter().filter(|(n, _)| !b_set.contains(n)).cloned().collect();
        // Renames: a new field carrying `alias` of a removed one (new code reads the old name; old
        // code does not know the new one), then removed and added fields that pair up by position
        // and type (suspected).
        let mut renames: Vec<(String, String, usize, usize, bool)> = Vec::new();
        added.retain(|(an, ai)| {
            let aliases = alias_of(*ai);
            match removed.iter().position(|(rn, _)| aliases.contains(rn)) {
                Some(k) => {
                    let (rn, ri) = removed.remove(k);
                    renames.push((rn, an.clone(), ri, *ai, true));
                    false
                }
                None => true,
            }
        });
        if !removed.is_empty() && removed.len() == added.len() {
            let pairs_up = removed.iter().zip(&added).all(|((rn, ri), (an, ai))| {
                b_wire.iter().position(|(n, _)| n == rn) == h_wire.iter().position(|(n, _)| n == an)
                    && ty_b(*ri) == ty_h(*ai)
            });
            if pairs_up {
                for ((rn, ri), (an, ai)) in removed.drain(..).zip(added.drain(..)) {
                    renames.push((rn, an, ri, ai, false));
                }
            }
        }
        for (old, new, ri, ai, via_alias) in &renames {
            let mut c = container.clone();
            if *via_alias || alias_of(*ai).contains(old) {
                c.insert("alias-of-old-name".into());
            }
            let how = if *via_alias {
                "with `alias` of the old name".to_string()
            } else {
                format!("suspected: same position, same type `{}`", ty_h(*ai))
            };
            push(
                "field-renamed",
                format!("field `{old}` of `{owner}` renamed to `{new}` ({how})"),
                c,
                hloc(*ai),
                bloc(*ri),
                Some(old.clone()),
            );
        }
        {
            for (name, i) in &removed {
                let mut c = container.clone();
                let skipped_now = hn.iter().any(|(n, s)| n == name && *s);
                if bfields.get(*i).is_some_and(|f| is_optional(&f.ty, &f.attrs) || container_default) {
                    c.insert("was-optional".into());
                }
                if skipped_now {
                    push(
                        "skip-added",
                        format!("field `{name}` of `{owner}` is now `#[serde(skip)]`"),
                        c,
                        hn.iter().position(|(n, _)| n == name).and_then(hloc),
                        bloc(*i),
                        None,
                    );
                } else {
                    push(
                        "field-removed",
                        format!("field `{name}` of `{owner}` removed (it had type `{}`)", ty_b(*i)),
                        c,
                        None,
                        bloc(*i),
                        None,
                    );
                }
            }
            for (name, i) in &added {
                let optional = hfields.get(*i).is_some_and(|f| is_optional(&f.ty, &f.attrs) || container_default);
                let kind = if optional { "field-added-optional" } else { "field-added-required" };
                let how = if optional { "optional" } else { "required" };
                push(
                    kind,
                    format!("field `{name}` of `{owner}` added, {how}, with type `{}`", ty_h(*i)),
                    container.clone(),
                    hloc(*i),
                    None,
                    None,
                );
            }
        }
        // Order of the common fields.
        let common_b: Vec<&String> = b_wire.iter().map(|(n, _)| n).filter(|n| h_set.contains(n)).collect();
        let common_h: Vec<&String> = h_wire.iter().map(|(n, _)| n).filter(|n| b_set.contains(n)).collect();
        if common_b != common_h {
            push(
                "fields-reordered",
                format!("fields of `{owner}` reordered: ({}) → ({})", join(&common_b), join(&common_h)),
                container.clone(),
                None,
                None,
                None,
            );
        }
        // Types of the common fields.
        for (name, hi) in &h_wire {
            let Some((_, bi)) = b_wire.iter().find(|(n, _)| n == name) else { continue };
            // A field's own serde functions (`with`, `serialize_with`, `serde_as(as = …)`) decide its
            // bytes: changing them is a change of type on the wire.
            let (hc, bc) =
                (hfields.get(*hi).map(|f| field_codec(&f.attrs)), bfields.get(*bi).map(|f| field_codec(&f.attrs)));
            if hc != bc {
                push(
                    "field-retyped",
                    format!(
                        "field `{name}` of `{owner}` changed how it is encoded: {} → {}",
                        show_codec(&bc),
                        show_codec(&hc)
                    ),
                    container.clone(),
                    hloc(*hi),
                    bloc(*bi),
                    None,
                );
                continue;
            }
            let (a, b) = (ty_b(*bi), ty_h(*hi));
            if a == b {
                continue;
            }
            // A newtype struct and its inner type share a serde data model.
            let newtype_of = |res: &Resolver<'_>, scope: u32, f: Option<&&Field>, generics: &[String]| {
                f.and_then(|f| self.newtype_inner(res, scope, &f.ty, generics))
            };
            let kind = if newtype_of(&self.head_res, hm, hfields.get(*hi), hg).as_deref() == Some(a.as_str())
                || newtype_of(&self.base_res, bm, bfields.get(*bi), bg).as_deref() == Some(b.as_str())
            {
                "field-retyped-same-model"
            } else {
                retype_kind(&a, &b)
            };
            let c = container.clone();
            push(
                kind,
                format!("field `{name}` of `{owner}` changed type `{a}` → `{b}`"),
                c,
                hloc(*hi),
                bloc(*bi),
                None,
            );
        }
    }
}

/// Whether every serialized name of a definition is its own: its fields (or each variant's), and
/// its variants. A repeated one (`#[cfg]` twins, a rename onto another's name) makes the full
/// comparison pair a field or variant with another of the same name.
/// The fields and variants of an obake type that exist at `version`.
fn obake_version_of(def: &TypeDef, version: &str) -> TypeDef {
    let keep = |attrs: &[Attr]| crate::migrations::obake_active(attrs, version);
    let mut out = def.clone();
    out.fields = match &def.fields {
        Fields::Named(f) => Fields::Named(f.iter().filter(|f| keep(&f.attrs)).cloned().collect()),
        Fields::Tuple(f) => Fields::Tuple(f.iter().filter(|f| keep(&f.attrs)).cloned().collect()),
        Fields::Unit => Fields::Unit,
    };
    out.variants = def.variants.iter().filter(|v| keep(&v.attrs)).cloned().collect();
    out
}

fn names_unique(item: &Item, def: &TypeDef) -> bool {
    fn unique(mut names: Vec<String>) -> bool {
        names.sort_unstable();
        names.windows(2).all(|w| w.first() != w.last())
    }
    let fields_unique = |fields: &Fields, rename_all: Option<&str>| {
        unique(
            fields
                .iter()
                .enumerate()
                .map(|(i, f)| match &f.name {
                    Some(n) => serialized_name(n, &f.attrs, rename_all, false),
                    None => i.to_string(),
                })
                .collect(),
        )
    };
    let rename_all = serde_value(&item.attrs, "rename_all");
    fields_unique(&def.fields, rename_all.as_deref())
        && unique(
            def.variants.iter().map(|v| serialized_name(&v.name, &v.attrs, rename_all.as_deref(), true)).collect(),
        )
        && def.variants.iter().all(|v| fields_unique(&v.fields, serde_value(&v.attrs, "rename_all").as_deref()))
}

/// A field's serde functions, as written.
fn field_codec(attrs: &[Attr]) -> Vec<String> {
    let mut out: Vec<String> = ["with", "serialize_with", "deserialize_with"]
        .iter()
        .filter_map(|k| serde_value(attrs, k).map(|v| format!("{k} = \"{v}\"")))
        .collect();
    out.extend(
        attrs
            .iter()
            .filter(|a| a.is("serde_as"))
            .map(|a| a.list().iter().map(meta_to_string).collect::<Vec<_>>().join(", ")),
    );
    out
}

fn show_codec(c: &Option<Vec<String>>) -> String {
    match c {
        Some(v) if !v.is_empty() => format!("`{}`", v.join(", ")),
        _ => "its derived encoding".into(),
    }
}

/// The fingerprint a lock recorded for an opaque type (`#[hotlint_opaque = "…"]`).
fn recorded_opaque(item: &Item) -> Option<u64> {
    item.attrs.iter().find(|a| a.is("hotlint_opaque")).and_then(|a| match &a.args {
        AttrArgs::Value(v) => u64::from_str_radix(v, 16).ok(),
        _ => None,
    })
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

fn kind_name(k: TypeKind) -> &'static str {
    match k {
        TypeKind::Struct => "struct",
        TypeKind::Enum => "enum",
        TypeKind::Union => "union",
    }
}

fn show_opt(v: &Option<String>) -> String {
    match v {
        Some(s) if s.is_empty() => "set".into(),
        Some(s) => format!("`{s}`"),
        None => "none".into(),
    }
}

/// `Some(value)` (empty for a bare flag) when `#[serde(key …)]` is present.
fn serde_flag(attrs: &[Attr], key: &str) -> Option<String> {
    attrs.iter().filter(|a| a.is("serde")).flat_map(|a| a.list().iter()).find(|m| m.path == key).map(|m| {
        match &m.value {
            MetaValue::Value(v) | MetaValue::Literal(v) => v.clone(),
            MetaValue::List(l) => l.iter().map(meta_to_string).collect::<Vec<_>>().join(", "),
            MetaValue::None => String::new(),
        }
    })
}

fn serde_value(attrs: &[Attr], key: &str) -> Option<String> {
    migrations::serde_value(attrs, key)
}

fn has_serde_default(attrs: &[Attr]) -> bool {
    serde_flag(attrs, "default").is_some()
}

fn alias_names(attrs: &[Attr]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.is("serde"))
        .flat_map(|a| a.list().iter())
        .filter(|m| m.path == "alias")
        .filter_map(|m| m.value_str().map(str::to_string))
        .collect()
}

fn is_optional(ty: &Ty, attrs: &[Attr]) -> bool {
    if serde_flag(attrs, "default").is_some() {
        return true;
    }
    matches!(ty, Ty::Path(p) if p.last_name() == Some("Option"))
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

const INTS: &[(&str, bool, u32)] = &[
    ("u8", false, 8),
    ("u16", false, 16),
    ("u32", false, 32),
    ("u64", false, 64),
    ("u128", false, 128),
    ("i8", true, 8),
    ("i16", true, 16),
    ("i32", true, 32),
    ("i64", true, 64),
    ("i128", true, 128),
];

/// Which row of the table a type change is.
fn retype_kind(old: &str, new: &str) -> &'static str {
    let int = |s: &str| INTS.iter().find(|(n, _, _)| *n == s).map(|(_, signed, bits)| (*signed, *bits));
    if let (Some((s1, b1)), Some((s2, b2))) = (int(old), int(new)) {
        if s1 == s2 && b2 > b1 {
            return "integer-widened";
        }
    }
    if same_model(old) == same_model(new) {
        return "field-retyped-same-model";
    }
    "field-retyped"
}

/// A type with serde-data-model-equivalent wrappers normalised away.
fn same_model(t: &str) -> String {
    let mut s = t.to_string();
    for (from, to) in [
        ("std::collections::VecDeque<", "std::vec::Vec<"),
        ("std::collections::LinkedList<", "std::vec::Vec<"),
        ("std::collections::BTreeMap<", "std::collections::HashMap<"),
        ("std::collections::BTreeSet<", "std::collections::HashSet<"),
        ("std::boxed::Box<str>", "std::string::String"),
        ("std::sync::Arc<str>", "std::string::String"),
        ("std::rc::Rc<str>", "std::string::String"),
    ] {
        s = s.replace(from, to);
    }
    // `Box<T>`, `Arc<T>`, `Rc<T>` are `T` on the wire.
    for wrapper in ["std::boxed::Box<", "std::sync::Arc<", "std::rc::Rc<"] {
        while let Some(start) = s.find(wrapper) {
            let inner_start = start + wrapper.len();
            let mut depth = 1;
            let mut end = None;
            for (i, c) in s.get(inner_start..).unwrap_or("").char_indices() {
                match c {
                    '<' => depth += 1,
                    '>' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(inner_start + i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { break };
            let inner = s.get(inner_start..end).unwrap_or("").to_string();
            s.replace_range(start..=end, &inner);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_every_class() {
        assert!(table().len() >= 16);
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
    fn retype_kinds() {
        assert_eq!(retype_kind("u32", "u64"), "integer-widened");
        assert_eq!(retype_kind("u64", "u32"), "field-retyped");
        assert_eq!(retype_kind("u32", "i64"), "field-retyped");
        assert_eq!(retype_kind("std::vec::Vec<u8>", "std::collections::VecDeque<u8>"), "field-retyped-same-model");
        assert_eq!(retype_kind("Inner", "std::boxed::Box<Inner>"), "field-retyped-same-model");
    }
}
