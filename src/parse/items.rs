//! Part of stage parse: the fast path through the item structure.
//!
//! Reads a file's items (uses, types, impls, function signatures, modules, consts, macros) from
//! the scanner's tokens straight into [`Item`]s, with the bodies the scanner summarised. It
//! produces exactly what syn and `Parser::item` produce for the same file, for the forms it knows;
//! on anything else (a form it does not know, a body the scanner kept, a type it cannot read) it
//! declines the file (`None`) and the caller parses it with syn. Rare pieces inside a known form
//! (a type such as `impl Fn(u8) -> u8`, a const's initialiser, an attribute's expression value)
//! are handed to syn alone, as text, and converted as the syn path converts them.
//!
//! Invariants: never panics on input; produces no `proc_macro2::Span` that outlives the file;
//! what it skips without reading (trait bodies, bounds, where clauses, static initialisers,
//! macro bodies) is not checked for syntax errors, as function bodies are not.
//! `tests::fast_items_agree_with_syn` and `HOTLINT_DIFF_DIR` hold it equal to the syn path.

use proc_macro2::TokenStream;
use quote::ToTokens;

use super::scan::{Kind, Lines, Scanned, Tok, children};
use super::{MAX_DEPTH, expand_cfg_attr, norm, unquote, value_string};
use crate::ir::*;

/// Read the items of a scanned file; `None` when the fast path declines it.
pub(super) fn read(text: &str, scanned: &mut Scanned, file: FileId) -> Option<(Vec<Item>, Vec<Attr>)> {
    let Scanned { toks, lines, cut, bodies, kept } = scanned;
    let mut r = Reader { text, toks, lines, file, cut, bodies, kept };
    let top = children(toks, 0, toks.len());
    let mut i = 0;
    let mut inner = Vec::new();
    r.inner_attrs(&top, &mut i, &mut inner)?;
    let mut items = Vec::new();
    r.items(top.get(i..)?, None, 0, &mut items)?;
    items.shrink_to_fit();
    Some((items, inner))
}

#[cfg(test)]
thread_local! {
    /// Where the item reader last declined a file (the byte offset of the item), for tests.
    pub(super) static DECLINED_AT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Nesting of inline modules (and of types) deeper than this declines the file.
const MAX_NESTING: usize = 64;

struct Reader<'a> {
    text: &'a str,
    toks: &'a [Tok],
    lines: &'a Lines,
    file: FileId,
    cut: &'a [usize],
    bodies: &'a mut [Option<Body>],
    kept: &'a mut [(usize, Option<Body>)],
}

/// Item keywords and other reserved words that cannot start a path.
fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "static"
            | "struct"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "try"
    )
}

/// Words syn does not take as an identifier (`syn::Ident`'s keywords, and `_`).
fn not_an_ident(s: &str) -> bool {
    is_keyword(s) || matches!(s, "_" | "crate" | "self" | "Self" | "super")
}

fn unraw(s: &str) -> String {
    s.strip_prefix("r#").unwrap_or(s).to_string()
}

impl<'a> Reader<'a> {
    // ---- tokens -------------------------------------------------------------------------------

    fn tok(&self, k: usize) -> Option<&Tok> {
        self.toks.get(k)
    }

    fn txt(&self, k: usize) -> &'a str {
        self.tok(k).and_then(|t| self.text.get(t.start..t.end)).unwrap_or("")
    }

    fn kind(&self, k: Option<&usize>) -> Option<Kind> {
        k.and_then(|k| self.tok(*k)).map(|t| t.kind)
    }

    fn ident(&self, k: Option<&usize>) -> Option<&'a str> {
        let k = *k?;
        (self.tok(k)?.kind == Kind::Ident).then(|| self.txt(k))
    }

    /// An identifier syn takes as a name, without its raw prefix.
    fn name(&self, k: Option<&usize>) -> Option<String> {
        self.ident(k).filter(|n| !not_an_ident(n)).map(unraw)
    }

    fn is(&self, k: Option<&usize>, word: &str) -> bool {
        self.ident(k) == Some(word)
    }

    fn punct(&self, k: Option<&usize>, c: u8) -> bool {
        self.kind(k) == Some(Kind::Punct(c))
    }

    fn open(&self, k: Option<&usize>, d: u8) -> bool {
        self.kind(k) == Some(Kind::Open(d))
    }

    /// `::` at `s[i]`: two colons with nothing between them.
    fn colons(&self, s: &[usize], i: usize) -> bool {
        self.punct(s.get(i), b':')
            && self.punct(s.get(i + 1), b':')
            && matches!((s.get(i).and_then(|k| self.tok(*k)), s.get(i + 1).and_then(|k| self.tok(*k))), (Some(a), Some(b)) if a.end == b.start)
    }

    fn group(&self, open: usize) -> Vec<usize> {
        let mate = self.tok(open).map_or(open, |t| t.mate);
        children(self.toks, open + 1, mate)
    }

    /// Where token `k` ends (a group ends after its closing delimiter).
    fn end_of(&self, k: usize) -> usize {
        match self.tok(k) {
            Some(Tok { kind: Kind::Open(_), mate, .. }) => self.tok(*mate).map_or(0, |t| t.end),
            Some(t) => t.end,
            None => 0,
        }
    }

    fn loc(&self, first: usize, last: usize) -> Loc {
        let start = self.tok(first).map_or(0, |t| t.start);
        self.loc_bytes(start, self.end_of(last))
    }

    fn loc_bytes(&self, start: usize, end: usize) -> Loc {
        let (line, col) = self.lines.line_col(self.text, start);
        let (end_line, end_col) = self.lines.line_col(self.text, end);
        Loc {
            file: self.file,
            line: line as u32,
            col: col as u32 + 1,
            end_line: end_line as u32,
            end_col: end_col as u32 + 1,
        }
    }

    /// The source text of the tokens `s` (first to last), if no cut body lies within.
    fn source(&self, s: &[usize]) -> Option<&'a str> {
        let (first, last) = (*s.first()?, *s.last()?);
        let end_tok = match self.tok(last)?.kind {
            Kind::Open(_) => self.tok(last)?.mate,
            _ => last,
        };
        let from = self.cut.partition_point(|c| *c < first);
        if self.cut.get(from).is_some_and(|c| *c <= end_tok) {
            return None;
        }
        if (first..=end_tok).any(|k| matches!(self.tok(k).map(|t| t.kind), Some(Kind::Doc { .. }))) {
            return None;
        }
        self.text.get(self.tok(first)?.start..self.end_of(last))
    }

    /// Split `s` at commas outside angle brackets (a `>` after `-` closes nothing); a trailing
    /// empty piece is dropped.
    fn split_commas<'s>(&self, s: &'s [usize], angles: bool) -> Vec<&'s [usize]> {
        let mut out = Vec::new();
        let mut depth = 0i32;
        let mut from = 0;
        for (i, k) in s.iter().enumerate() {
            match self.kind(Some(k)) {
                Some(Kind::Punct(b'<')) if angles => depth += 1,
                Some(Kind::Punct(b'>')) if angles && !(i > 0 && self.punct(s.get(i - 1), b'-')) => depth -= 1,
                Some(Kind::Punct(b',')) if depth <= 0 => {
                    out.push(s.get(from..i).unwrap_or(&[]));
                    from = i + 1;
                }
                _ => {}
            }
        }
        if from < s.len() {
            out.push(s.get(from..).unwrap_or(&[]));
        }
        out
    }

    /// From `s[i]`, the index of the first token at angle depth 0 satisfying `stop`, or `s.len()`.
    fn scan_to(&self, s: &[usize], i: usize, stop: impl Fn(&Self, usize) -> bool) -> usize {
        let mut depth = 0i32;
        let mut j = i;
        while let Some(&k) = s.get(j) {
            match self.kind(Some(&k)) {
                Some(Kind::Punct(b'<')) => depth += 1,
                Some(Kind::Punct(b'>')) if !(j > 0 && self.punct(s.get(j - 1), b'-')) => depth -= 1,
                _ if depth <= 0 && stop(self, k) => return j,
                _ => {}
            }
            j += 1;
        }
        s.len()
    }

    /// At `<`: the index after its matching `>`.
    fn skip_angles(&self, s: &[usize], i: usize) -> Option<usize> {
        let mut depth = 0i32;
        let mut j = i;
        while let Some(k) = s.get(j) {
            match self.kind(Some(k)) {
                Some(Kind::Punct(b'<')) => depth += 1,
                Some(Kind::Punct(b'>')) if !(j > 0 && self.punct(s.get(j - 1), b'-')) => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j + 1);
                    }
                }
                _ => {}
            }
            j += 1;
        }
        None
    }

    // ---- attributes ---------------------------------------------------------------------------

    /// Inner attributes (`#![…]`, `//!`) at `s[*i..]`.
    fn inner_attrs(&self, s: &[usize], i: &mut usize, out: &mut Vec<Attr>) -> Option<()> {
        loop {
            match self.kind(s.get(*i)) {
                Some(Kind::Doc { inner: true }) => {
                    out.push(self.doc(*s.get(*i)?)?);
                    *i += 1;
                }
                Some(Kind::Punct(b'#')) if self.punct(s.get(*i + 1), b'!') && self.open(s.get(*i + 2), b'[') => {
                    self.attr(*s.get(*i)?, *s.get(*i + 2)?, out)?;
                    *i += 3;
                }
                _ => return Some(()),
            }
        }
    }

    /// Outer attributes at `s[*i..]`; returns the first line of the first one.
    fn outer_attrs(&self, s: &[usize], i: &mut usize, out: &mut Vec<Attr>) -> Option<Option<u32>> {
        let mut first = None;
        loop {
            let k = s.get(*i);
            match self.kind(k) {
                Some(Kind::Doc { inner: false }) => {
                    let a = self.doc(*k?)?;
                    first.get_or_insert(a.loc.line);
                    out.push(a);
                    *i += 1;
                }
                Some(Kind::Doc { inner: true }) => return None,
                Some(Kind::Punct(b'#')) => {
                    if !self.open(s.get(*i + 1), b'[') {
                        return None;
                    }
                    let pound = *k?;
                    first.get_or_insert(self.lines.line_col(self.text, self.tok(pound)?.start).0 as u32);
                    self.attr(pound, *s.get(*i + 1)?, out)?;
                    *i += 2;
                }
                _ => {
                    out.shrink_to_fit();
                    return Some(first);
                }
            }
        }
    }

    /// A doc comment as the `#[doc = "…"]` attribute proc-macro2 makes of it.
    fn doc(&self, k: usize) -> Option<Attr> {
        let t = self.tok(k)?;
        let s = self.text.get(t.start..t.end)?;
        let content = if s.starts_with("/*") { s.get(3..s.len().checked_sub(2)?)? } else { s.get(3..)? };
        // A line comment's span ends after a `\r` before its line break.
        let end =
            if !s.starts_with("/*") && self.text.as_bytes().get(t.end) == Some(&b'\r') { t.end + 1 } else { t.end };
        Some(Attr {
            path: vec!["doc".to_string()],
            args: AttrArgs::Value(content.to_string()),
            cfg: None,
            loc: self.loc_bytes(t.start, end),
        })
    }

    /// `#[…]` (or `#![…]`): the pound token and the bracket group.
    fn attr(&self, pound: usize, bracket: usize, out: &mut Vec<Attr>) -> Option<()> {
        let loc = self.loc(pound, bracket);
        let c = self.group(bracket);
        let mut j = 0;
        let mut path = Vec::new();
        loop {
            path.push(unraw(self.ident(c.get(j))?));
            j += 1;
            if self.colons(&c, j) {
                j += 2;
            } else {
                break;
            }
        }
        let args = match c.get(j..)? {
            [] => AttrArgs::None,
            [g] if matches!(self.kind(Some(g)), Some(Kind::Open(_))) => AttrArgs::List(self.meta_list(*g, 0)?),
            [eq, value @ ..] if self.punct(Some(eq), b'=') && !value.is_empty() => {
                AttrArgs::Value(self.attr_value(value)?)
            }
            _ => return None,
        };
        if path.len() == 1 && path.first().is_some_and(|p| p == "cfg_attr") {
            expand_cfg_attr(&args, None, loc, out);
        } else {
            out.push(Attr { path, args, cfg: None, loc });
        }
        Some(())
    }

    /// `#[name = value]`: a string's value, other tokens as `Parser::attrs` prints them.
    fn attr_value(&self, value: &[usize]) -> Option<String> {
        match value {
            [k] if matches!(self.kind(Some(k)), Some(Kind::Lit | Kind::Ident)) => Some(unquote(self.txt(*k))),
            _ => {
                let e: syn::Expr = syn::parse_str(self.source(value)?).ok()?;
                Some(value_string(e.to_token_stream()))
            }
        }
    }

    /// The contents of an attribute's group as `parse_meta_list` reads them.
    fn meta_list(&self, open: usize, depth: usize) -> Option<Vec<Meta>> {
        let c = self.group(open);
        let mut out = Vec::new();
        for chunk in self.split_commas(&c, false) {
            if chunk.is_empty() {
                continue;
            }
            out.push(self.meta(chunk, depth)?);
        }
        Some(out)
    }

    fn meta(&self, chunk: &[usize], depth: usize) -> Option<Meta> {
        if let [k] = chunk {
            if self.kind(Some(k)) == Some(Kind::Lit) {
                return Some(Meta { path: String::new(), value: MetaValue::Literal(unquote(self.txt(*k))) });
            }
        }
        let mut path = String::new();
        let mut i = 0;
        while let Some(k) = chunk.get(i) {
            match self.kind(Some(k)) {
                Some(Kind::Ident) => path.push_str(self.txt(*k)),
                Some(Kind::Punct(b':')) => path.push(':'),
                _ => break,
            }
            i += 1;
        }
        let rest = chunk.get(i..)?;
        let value = match rest {
            [] => MetaValue::None,
            [g] if self.open(Some(g), b'(') && depth < MAX_DEPTH => MetaValue::List(self.meta_list(*g, depth + 1)?),
            [eq, value @ ..] if self.punct(Some(eq), b'=') => MetaValue::Value(match value {
                [k] if self.kind(Some(k)) == Some(Kind::Lit) => unquote(self.txt(*k)),
                [k] if self.kind(Some(k)) == Some(Kind::Ident) => self.txt(*k).to_string(),
                [] => String::new(),
                _ => value_string(self.tokens(value)?),
            }),
            _ => return Some(Meta { path: norm(self.tokens(chunk)?), value: MetaValue::None }),
        };
        Some(Meta { path, value })
    }

    /// Tokens `s` as proc-macro2 tokenises their text.
    fn tokens(&self, s: &[usize]) -> Option<TokenStream> {
        self.source(s)?.parse().ok()
    }

    // ---- items --------------------------------------------------------------------------------

    fn items(&mut self, s: &[usize], parent: Option<u32>, depth: usize, out: &mut Vec<Item>) -> Option<()> {
        if depth > MAX_NESTING {
            return None;
        }
        let mut i = 0;
        while i < s.len() {
            let _start = i;
            let read = self.item(s, &mut i, parent, depth, out);
            #[cfg(test)]
            if read.is_none() {
                DECLINED_AT.set(s.get(_start).and_then(|k| self.tok(*k)).map_or(0, |t| t.start));
            }
            read?;
        }
        Some(())
    }

    /// The item at `s[*i..]`, pushed (with its nested items) to `out`.
    fn item(
        &mut self,
        s: &[usize],
        i: &mut usize,
        parent: Option<u32>,
        depth: usize,
        out: &mut Vec<Item>,
    ) -> Option<()> {
        let mut attrs = Vec::new();
        let first = self.outer_attrs(s, i, &mut attrs)?;
        let (is_pub, has_vis) = self.vis(s, i)?;
        let kw = self.ident(s.get(*i))?;
        // Vectors grown by pushing keep spare capacity; summaries live all run, so every vector
        // kept is trimmed (as syn's conversion sized them exactly).
        let push = |out: &mut Vec<Item>, kind: ItemKind, mut attrs: Vec<Attr>, loc: Loc| {
            attrs.shrink_to_fit();
            let first_line = first.map_or(loc.line, |f| f.min(loc.line));
            out.push(Item { parent, kind, attrs, is_pub, loc, first_line });
        };
        match kw {
            "use" => {
                let use_tok = *s.get(*i)?;
                let end = self.scan_to(s, *i, |r, k| r.punct(Some(&k), b';'));
                let tree = s.get(*i + 1..end)?;
                let mut entries = Vec::new();
                let (global, from) = if self.colons(tree, 0) { (true, 2) } else { (false, 0) };
                self.use_tree(tree.get(from..)?, global, &mut Vec::new(), &mut entries, 0)?;
                entries.shrink_to_fit();
                *i = end + 1;
                push(out, ItemKind::Use(entries), attrs, self.loc(use_tok, use_tok));
            }
            "struct" => {
                let name_k = *s.get(*i + 1)?;
                let name = self.name(Some(&name_k))?;
                *i += 2;
                let generics = self.generics(s, i)?;
                let fields = match self.kind(s.get(*i)) {
                    Some(Kind::Open(b'(')) => {
                        let f = self.tuple_fields(*s.get(*i)?)?;
                        *i += 1;
                        self.skip_where(s, i, b';')?;
                        self.expect_punct(s, i, b';')?;
                        f
                    }
                    Some(Kind::Punct(b';')) => {
                        *i += 1;
                        Fields::Unit
                    }
                    _ => {
                        self.skip_where(s, i, b';')?;
                        if self.punct(s.get(*i), b';') {
                            *i += 1;
                            Fields::Unit
                        } else {
                            let open = *s.get(*i)?;
                            if !self.open(Some(&open), b'{') {
                                return None;
                            }
                            *i += 1;
                            self.named_fields(open)?
                        }
                    }
                };
                let def = TypeDef { kind: TypeKind::Struct, name, generics, fields, variants: Vec::new() };
                push(out, ItemKind::Type(def), attrs, self.loc(name_k, name_k));
            }
            "enum" => {
                let name_k = *s.get(*i + 1)?;
                let name = self.name(Some(&name_k))?;
                *i += 2;
                let generics = self.generics(s, i)?;
                self.skip_where(s, i, b';')?;
                let open = *s.get(*i)?;
                if !self.open(Some(&open), b'{') {
                    return None;
                }
                *i += 1;
                let variants = self.variants(open)?;
                let def = TypeDef { kind: TypeKind::Enum, name, generics, fields: Fields::Unit, variants };
                push(out, ItemKind::Type(def), attrs, self.loc(name_k, name_k));
            }
            "type" => {
                let name_k = *s.get(*i + 1)?;
                let name = self.name(Some(&name_k))?;
                *i += 2;
                let generics = self.generics(s, i)?;
                self.expect_punct(s, i, b'=')?;
                let end = self.scan_to(s, *i, |r, k| r.punct(Some(&k), b';'));
                let ty = self.ty(s.get(*i..end)?)?;
                *i = end;
                self.expect_punct(s, i, b';')?;
                push(out, ItemKind::Alias(AliasDef { name, generics, ty }), attrs, self.loc(name_k, name_k));
            }
            "trait" | "auto" | "unsafe" if self.trait_ahead(s, *i) => {
                while !self.is(s.get(*i), "trait") {
                    *i += 1;
                }
                let name_k = *s.get(*i + 1)?;
                let name = self.name(Some(&name_k))?;
                let brace = self.scan_to(s, *i, |r, k| {
                    r.open(Some(&k), b'{') || r.punct(Some(&k), b'=') || r.punct(Some(&k), b';')
                });
                let open = *s.get(brace)?;
                if !self.open(Some(&open), b'{') {
                    return None;
                }
                *i = brace + 1;
                let body = self.group(open);
                let mut j = 0;
                self.inner_attrs(&body, &mut j, &mut attrs)?;
                push(out, ItemKind::Trait(TraitDef { name }), attrs, self.loc(name_k, name_k));
            }
            "const" if !self.fn_ahead(s, *i) => {
                let def = self.const_def(s, i)?;
                let loc = def.loc;
                push(out, ItemKind::Const(def), attrs, loc);
            }
            "static" => {
                let mut j = *i + 1;
                if self.is(s.get(j), "mut") {
                    j += 1;
                }
                let name_k = *s.get(j)?;
                self.name(Some(&name_k))?;
                if !self.punct(s.get(j + 1), b':') {
                    return None;
                }
                // Without an initialiser (`static X: T;` under an attribute macro) syn keeps the
                // item as unparsed tokens.
                let end = self.scan_to(s, j, |r, k| r.punct(Some(&k), b';') || r.punct(Some(&k), b'='));
                if !self.punct(s.get(end), b'=') {
                    return None;
                }
                let end = self.scan_to(s, end, |r, k| r.punct(Some(&k), b';'));
                if end >= s.len() {
                    return None;
                }
                *i = end + 1;
                push(out, ItemKind::Other, attrs, self.loc(name_k, name_k));
            }
            "mod" => {
                let name_k = *s.get(*i + 1)?;
                let name = self.name(Some(&name_k))?;
                *i += 2;
                let content = if self.punct(s.get(*i), b';') {
                    *i += 1;
                    None
                } else {
                    let open = *s.get(*i)?;
                    if !self.open(Some(&open), b'{') {
                        return None;
                    }
                    *i += 1;
                    let body = self.group(open);
                    let mut j = 0;
                    self.inner_attrs(&body, &mut j, &mut attrs)?;
                    Some((body, j))
                };
                let def = ModDef { name, inline: content.is_some(), path_attrs: path_attrs(&attrs) };
                let idx = out.len() as u32;
                push(out, ItemKind::Mod(def), attrs, self.loc(name_k, name_k));
                if let Some((body, j)) = content {
                    if depth < MAX_DEPTH {
                        self.items(body.get(j..)?, Some(idx), depth + 1, out)?;
                    }
                }
            }
            "extern" if self.is(s.get(*i + 1), "crate") => {
                let name_k = *s.get(*i + 2)?;
                let name = if self.txt(name_k) == "self" { "self".to_string() } else { self.name(Some(&name_k))? };
                *i += 3;
                let rename = if self.is(s.get(*i), "as") {
                    let r = self.ident(s.get(*i + 1))?.to_string();
                    *i += 2;
                    Some(r)
                } else {
                    None
                };
                self.expect_punct(s, i, b';')?;
                push(out, ItemKind::ExternCrate { name, rename }, attrs, self.loc(name_k, name_k));
            }
            "extern" | "unsafe" if self.foreign_mod_ahead(s, *i) => {
                // `extern "C" { … }`: nothing hotlint reads.
                while !self.open(s.get(*i), b'{') {
                    *i += 1;
                }
                *i += 1;
            }
            "impl" | "unsafe" if !has_vis && (kw == "impl" || self.is(s.get(*i + 1), "impl")) => {
                let def = self.impl_def(s, i, &mut attrs)?;
                let loc = def.header;
                push(out, ItemKind::Impl(def), attrs, loc);
            }
            "fn" | "const" | "async" | "unsafe" | "extern" | "safe" => {
                let def = self.func(s, i, attrs.clone(), first)?;
                let loc = def.loc;
                push(out, ItemKind::Fn(def), attrs, loc);
            }
            _ if !has_vis && !is_keyword(kw) => {
                let (kind, loc) = self.macro_item(s, i)?;
                push(out, kind, attrs, loc);
            }
            _ => return None,
        }
        Some(())
    }

    fn expect_punct(&self, s: &[usize], i: &mut usize, c: u8) -> Option<()> {
        if self.punct(s.get(*i), c) {
            *i += 1;
            Some(())
        } else {
            None
        }
    }

    /// `pub`, `pub(crate)`, …: (is `pub` alone, has a visibility).
    fn vis(&self, s: &[usize], i: &mut usize) -> Option<(bool, bool)> {
        if !self.is(s.get(*i), "pub") {
            return Some((false, false));
        }
        *i += 1;
        if let Some(&g) = s.get(*i).filter(|k| self.open(Some(k), b'(')) {
            let c = self.group(g);
            let restricted = match c.as_slice() {
                [k] => matches!(self.ident(Some(k)), Some("crate" | "self" | "super")),
                [k, ..] => self.is(Some(k), "in"),
                [] => false,
            };
            if restricted {
                *i += 1;
                return Some((false, true));
            }
        }
        Some((true, true))
    }

    fn trait_ahead(&self, s: &[usize], i: usize) -> bool {
        (i..i + 3).any(|j| self.is(s.get(j), "trait"))
            && (i..)
                .take_while(|j| !self.is(s.get(*j), "trait"))
                .all(|j| matches!(self.ident(s.get(j)), Some("unsafe" | "auto")))
    }

    /// Whether the `const` at `s[i]` starts a function (`const fn`, `const unsafe fn`, …).
    fn fn_ahead(&self, s: &[usize], i: usize) -> bool {
        let mut j = i + 1;
        loop {
            match self.kind(s.get(j)) {
                Some(Kind::Ident) => match self.txt(*s.get(j).unwrap_or(&0)) {
                    "fn" => return true,
                    "async" | "unsafe" | "extern" | "safe" => j += 1,
                    _ => return false,
                },
                Some(Kind::Lit) if self.is(s.get(j.wrapping_sub(1)), "extern") => j += 1,
                _ => return false,
            }
        }
    }

    fn foreign_mod_ahead(&self, s: &[usize], i: usize) -> bool {
        let mut j = i;
        if self.is(s.get(j), "unsafe") {
            j += 1;
        }
        if !self.is(s.get(j), "extern") {
            return false;
        }
        j += 1;
        if self.kind(s.get(j)) == Some(Kind::Lit) {
            j += 1;
        }
        self.open(s.get(j), b'{')
    }

    /// Generic parameters at `s[*i]` (if any): the names of type and const parameters.
    fn generics(&self, s: &[usize], i: &mut usize) -> Option<Vec<String>> {
        if !self.punct(s.get(*i), b'<') {
            return Some(Vec::new());
        }
        let end = self.skip_angles(s, *i)?;
        let inside = s.get(*i + 1..end - 1)?;
        *i = end;
        let mut out = Vec::new();
        for param in self.split_commas(inside, true) {
            let mut j = 0;
            let mut skipped = Vec::new();
            self.outer_attrs(param, &mut j, &mut skipped)?;
            match self.kind(param.get(j)) {
                Some(Kind::Punct(b'\'')) => {}
                Some(Kind::Ident) if self.is(param.get(j), "const") => out.push(self.name(param.get(j + 1))?),
                Some(Kind::Ident) => out.push(self.name(param.get(j))?),
                _ => return None,
            }
        }
        out.shrink_to_fit();
        Some(out)
    }

    /// Skip a where clause at `s[*i]` up to (not past) the first `stop` punct or `{` at angle
    /// depth 0.
    fn skip_where(&self, s: &[usize], i: &mut usize, stop: u8) -> Option<()> {
        if self.is(s.get(*i), "where") {
            *i = self.scan_to(s, *i, |r, k| r.open(Some(&k), b'{') || r.punct(Some(&k), stop));
            if *i >= s.len() {
                return None;
            }
        }
        Some(())
    }

    /// The attributes and visibility that start a field or variant: its attributes, and the
    /// index of the token after them.
    fn member_start(&self, chunk: &[usize]) -> Option<(Vec<Attr>, usize)> {
        let mut j = 0;
        let mut attrs = Vec::new();
        self.outer_attrs(chunk, &mut j, &mut attrs)?;
        self.vis(chunk, &mut j)?;
        Some((attrs, j))
    }

    fn named_fields(&self, open: usize) -> Option<Fields> {
        let c = self.group(open);
        let mut out = Vec::new();
        for chunk in self.split_commas(&c, true) {
            let (attrs, j) = self.member_start(chunk)?;
            let name_k = *chunk.get(j)?;
            let name = self.name(Some(&name_k))?;
            if !self.punct(chunk.get(j + 1), b':') || self.colons(chunk, j + 1) {
                return None;
            }
            let ty = self.ty(chunk.get(j + 2..)?)?;
            out.push(Field { name: Some(name), ty, attrs, loc: self.loc(name_k, name_k) });
        }
        out.shrink_to_fit();
        Some(Fields::Named(out))
    }

    fn tuple_fields(&self, open: usize) -> Option<Fields> {
        let c = self.group(open);
        let mut out = Vec::new();
        for chunk in self.split_commas(&c, true) {
            let (attrs, j) = self.member_start(chunk)?;
            let ty_toks = chunk.get(j..)?;
            let ty = self.ty(ty_toks)?;
            out.push(Field { name: None, ty, attrs, loc: self.loc(*ty_toks.first()?, *ty_toks.last()?) });
        }
        out.shrink_to_fit();
        Some(Fields::Tuple(out))
    }

    fn variants(&self, open: usize) -> Option<Vec<Variant>> {
        let c = self.group(open);
        let mut out = Vec::new();
        for chunk in self.split_commas(&c, false) {
            let (attrs, mut j) = self.member_start(chunk)?;
            let name_k = *chunk.get(j)?;
            let name = self.name(Some(&name_k))?;
            j += 1;
            let fields = match self.kind(chunk.get(j)) {
                Some(Kind::Open(b'(')) => {
                    j += 1;
                    self.tuple_fields(*chunk.get(j - 1)?)?
                }
                Some(Kind::Open(b'{')) => {
                    j += 1;
                    self.named_fields(*chunk.get(j - 1)?)?
                }
                _ => Fields::Unit,
            };
            let discriminant = match chunk.get(j..)? {
                [] => None,
                [eq, value @ ..] if self.punct(Some(eq), b'=') && !value.is_empty() => Some(self.expr(value)?),
                _ => return None,
            };
            out.push(Variant { name, fields, discriminant, attrs, loc: self.loc(name_k, name_k) });
        }
        out.shrink_to_fit();
        Some(out)
    }

    /// An expression's tokens as `norm(expr.to_token_stream())` prints them.
    fn expr(&self, value: &[usize]) -> Option<String> {
        match value {
            [k] if matches!(self.kind(Some(k)), Some(Kind::Lit | Kind::Ident)) && !is_keyword(self.txt(*k)) => {
                Some(self.txt(*k).to_string())
            }
            _ => {
                let e: syn::Expr = syn::parse_str(self.source(value)?).ok()?;
                Some(norm(e.to_token_stream()))
            }
        }
    }

    /// `const NAME: Ty = value;` at `s[*i]` (on `const`).
    fn const_def(&self, s: &[usize], i: &mut usize) -> Option<ConstDef> {
        let name_k = *s.get(*i + 1)?;
        let name = if self.txt(name_k) == "_" { "_".to_string() } else { self.name(Some(&name_k))? };
        *i += 2;
        self.expect_punct(s, i, b':')?;
        let eq = self.scan_to(s, *i, |r, k| r.punct(Some(&k), b'=') || r.punct(Some(&k), b';'));
        let ty = self.ty(s.get(*i..eq)?)?;
        *i = eq;
        self.expect_punct(s, i, b'=')?;
        let end = self.scan_to(s, *i, |r, k| r.punct(Some(&k), b';'));
        let value = self.expr(s.get(*i..end)?)?;
        *i = end;
        self.expect_punct(s, i, b';')?;
        Some(ConstDef { name, ty, value, loc: self.loc(name_k, name_k) })
    }

    /// A function at `s[*i]` (on its first qualifier or `fn`), with its body.
    fn func(&mut self, s: &[usize], i: &mut usize, attrs: Vec<Attr>, first: Option<u32>) -> Option<FnDef> {
        // `const async unsafe extern "C" fn`, each optional, in this order.
        for q in ["const", "async", "unsafe", "extern"] {
            if self.is(s.get(*i), q) || (q == "unsafe" && self.is(s.get(*i), "safe")) {
                *i += 1;
            }
        }
        if self.is(i.checked_sub(1).and_then(|p| s.get(p)), "extern") && self.kind(s.get(*i)) == Some(Kind::Lit) {
            *i += 1;
        }
        if !self.is(s.get(*i), "fn") {
            return None;
        }
        let fn_k = *s.get(*i)?;
        let name_k = *s.get(*i + 1)?;
        let name = self.name(Some(&name_k))?;
        *i += 2;
        self.generics(s, i)?;
        let params_k = *s.get(*i)?;
        if !self.open(Some(&params_k), b'(') {
            return None;
        }
        *i += 1;
        let mut params = Vec::new();
        let mut has_self = false;
        let c = self.group(params_k);
        for chunk in self.split_commas(&c, true) {
            let mut j = 0;
            self.outer_attrs(chunk, &mut j, &mut Vec::new())?;
            let p = chunk.get(j..)?;
            if self.receiver(p) {
                has_self = true;
                continue;
            }
            let colon = (0..p.len())
                .find(|&x| self.punct(p.get(x), b':') && !self.colons(p, x) && !(x > 0 && self.colons(p, x - 1)))?;
            let name = self.param_name(p.get(..colon)?)?;
            let ty = self.ty(p.get(colon + 1..)?)?;
            params.push(Param { name, ty });
        }
        params.shrink_to_fit();
        let ret = if self.punct(s.get(*i), b'-') && self.punct(s.get(*i + 1), b'>') {
            let end = self.scan_to(s, *i + 2, |r, k| {
                r.is(Some(&k), "where") || r.open(Some(&k), b'{') || r.punct(Some(&k), b';')
            });
            let ty = self.ty(s.get(*i + 2..end)?)?;
            *i = end;
            Some(ty)
        } else {
            None
        };
        self.skip_where(s, i, b';')?;
        let open = *s.get(*i)?;
        let body = match self.cut.binary_search(&open) {
            Ok(slot) => self.bodies.get_mut(slot)?.take()?,
            Err(_) => {
                let first_param = params.first().and_then(|p| p.name.as_deref());
                self.code_change_body(open, first_param)?
            }
        };
        *i += 1;
        let fn_line = self.lines.line_col(self.text, self.tok(fn_k)?.start).0 as u32;
        Some(FnDef {
            name,
            loc: self.loc(name_k, name_k),
            first_line: first.map_or(fn_line, |f| f.min(fn_line)),
            attrs,
            params,
            has_self,
            ret,
            body,
        })
    }

    /// The name a parameter's pattern binds (`x`, `mut x`, `x @ …`), `Some(None)` for other
    /// patterns syn takes (`_`, `(a, b)`, `Point { x, y }`), `None` for anything else.
    fn param_name(&self, pat: &[usize]) -> Option<Option<String>> {
        let binding = |n: &str| !is_keyword(n) && !matches!(n, "self" | "Self" | "super" | "crate" | "_");
        let mut j = 0;
        while matches!(self.ident(pat.get(j)), Some("mut" | "ref")) {
            j += 1;
        }
        if let Some(n) = self.ident(pat.get(j)).filter(|n| binding(n)) {
            if j + 1 == pat.len() || (self.punct(pat.get(j + 1), b'@') && j + 2 < pat.len()) {
                return Some(Some(unraw(n)));
            }
        }
        if j > 0 {
            return None;
        }
        match pat {
            [k] if self.txt(*k) == "_" => return Some(None),
            [k] if self.open(Some(k), b'(') || self.open(Some(k), b'[') => return Some(None),
            _ => {}
        }
        // A path, then at most one group: `Wrapper(x)`, `a::Point { x, y }`.
        let mut j = 0;
        loop {
            let seg = self.ident(pat.get(j))?;
            if is_keyword(seg) {
                return None;
            }
            j += 1;
            if self.colons(pat, j) {
                j += 2;
            } else {
                break;
            }
        }
        match pat.get(j..)? {
            [] => Some(None),
            [g] if self.open(Some(g), b'(') || self.open(Some(g), b'{') => Some(None),
            _ => None,
        }
    }

    /// A `code_change` body the scanner kept: its summary, and the arms of its `match` on the
    /// first parameter, read by syn from the body's text alone (locations moved to the file's).
    fn code_change_body(&mut self, open: usize, first_param: Option<&str>) -> Option<Body> {
        let slot = self.kept.iter().position(|(k, _)| *k == open)?;
        let mut body = self.kept.get_mut(slot)?.1.take()?;
        let start = self.tok(open)?.start;
        let block: syn::Block = syn::parse_str(self.text.get(start..self.end_of(open))?).ok()?;
        // Items among its statements (`use …;` included) become items of their own: syn's path.
        if block.stmts.iter().any(|st| matches!(st, syn::Stmt::Item(_))) {
            return None;
        }
        let (line0, col0) = self.lines.line_col(self.text, start);
        // A span in `text` counts lines from 1 at the `{` and columns from 0 on each line.
        let at = |lc: proc_macro2::LineColumn| -> (u32, u32) {
            let line = (line0 + lc.line - 1) as u32;
            let col = if lc.line == 1 { col0 + lc.column } else { lc.column } as u32 + 1;
            (line, col)
        };
        let file = self.file;
        let loc = move |a: proc_macro2::Span, b: proc_macro2::Span| {
            let (line, col) = at(a.start());
            let (end_line, end_col) = at(b.end());
            Loc { file, line, col, end_line, end_col }
        };
        body.match_arms = super::first_match_arms(&block, first_param, &loc);
        Some(body)
    }

    /// `self`, `mut self`, `&self`, `&'a mut self`, `self: Ty`, …
    fn receiver(&self, p: &[usize]) -> bool {
        let mut j = 0;
        if self.punct(p.get(j), b'&') {
            j += 1;
            if self.punct(p.get(j), b'\'') {
                j += 2;
            }
        }
        if self.is(p.get(j), "mut") {
            j += 1;
        }
        if !self.is(p.get(j), "self") {
            return false;
        }
        j += 1;
        j == p.len() || (self.punct(p.get(j), b':') && !self.colons(p, j))
    }

    /// `impl … { … }` at `s[*i]` (on `unsafe` or `impl`); inner attributes go to `attrs`.
    fn impl_def(&mut self, s: &[usize], i: &mut usize, attrs: &mut Vec<Attr>) -> Option<ImplDef> {
        if self.is(s.get(*i), "unsafe") {
            *i += 1;
        }
        let impl_k = *s.get(*i)?;
        *i += 1;
        // `impl <T as Tr>::X {}` or `impl <Vec<u8>>::X {}`: a qualified self type, not generics
        // (syn's `choose_generics_over_qpath`); left to syn.
        if self.punct(s.get(*i), b'<') {
            let generics = self.punct(s.get(*i + 1), b'>')
                || self.punct(s.get(*i + 1), b'#')
                || self.is(s.get(*i + 1), "const")
                || ((self.ident(s.get(*i + 1)).is_some() || self.punct(s.get(*i + 1), b'\''))
                    && [b':', b',', b'>', b'='].iter().any(|c| {
                        let at = if self.punct(s.get(*i + 1), b'\'') { *i + 3 } else { *i + 2 };
                        self.punct(s.get(at), *c)
                    }));
            if !generics {
                return None;
            }
        }
        let generics = self.generics(s, i)?;
        let end =
            self.scan_to(s, *i, |r, k| r.is(Some(&k), "where") || r.open(Some(&k), b'{') || r.punct(Some(&k), b';'));
        let header = s.get(*i..end)?;
        if header
            .iter()
            .enumerate()
            .any(|(x, k)| (self.is(Some(k), "for") && self.punct(header.get(x + 1), b'<')) || self.is(Some(k), "const"))
        {
            return None;
        }
        let for_at = self.scan_to(header, 0, |r, k| r.is(Some(&k), "for"));
        let (trait_path, negative, self_toks) = if for_at < header.len() {
            let mut t = header.get(..for_at)?;
            let negative = self.punct(t.first(), b'!');
            if negative {
                t = t.get(1..)?;
            }
            (Some(self.trait_path(t)?), negative, header.get(for_at + 1..)?)
        } else {
            (None, false, header)
        };
        let self_ty = self.ty(self_toks)?;
        let header_loc = self.loc(impl_k, *self_toks.last()?);
        *i = end;
        self.skip_where(s, i, b';')?;
        let open = *s.get(*i)?;
        if !self.open(Some(&open), b'{') {
            return None;
        }
        *i += 1;
        let body = self.group(open);
        let mut j = 0;
        self.inner_attrs(&body, &mut j, attrs)?;
        let mut def = ImplDef {
            generics,
            trait_path,
            negative,
            self_ty,
            assoc_types: Vec::new(),
            consts: Vec::new(),
            fns: Vec::new(),
            header: header_loc,
        };
        while j < body.len() {
            self.impl_item(&body, &mut j, &mut def)?;
        }
        def.fns.shrink_to_fit();
        Some(def)
    }

    fn impl_item(&mut self, s: &[usize], i: &mut usize, def: &mut ImplDef) -> Option<()> {
        let mut attrs = Vec::new();
        let first = self.outer_attrs(s, i, &mut attrs)?;
        let (_, has_vis) = self.vis(s, i)?;
        match self.ident(s.get(*i))? {
            "const" if !self.fn_ahead(s, *i) => def.consts.push(self.const_def(s, i)?),
            "type" => {
                let name_k = *s.get(*i + 1)?;
                let name = self.name(Some(&name_k))?;
                *i += 2;
                self.expect_punct(s, i, b'=')?;
                let end = self.scan_to(s, *i, |r, k| r.punct(Some(&k), b';'));
                let ty = self.ty(s.get(*i..end)?)?;
                *i = end;
                self.expect_punct(s, i, b';')?;
                def.assoc_types.push(AssocType { name, ty, loc: self.loc(name_k, name_k) });
            }
            "fn" | "const" | "async" | "unsafe" | "extern" | "safe" => {
                let f = self.func(s, i, attrs, first)?;
                def.fns.push(f);
            }
            kw if !has_vis && !is_keyword(kw) => {
                // A macro among the impl's items: nothing hotlint reads.
                self.macro_item(s, i)?;
            }
            _ => return None,
        }
        Some(())
    }

    /// A trait path in an impl header, as `conv_path` converts syn's.
    fn trait_path(&self, t: &[usize]) -> Option<TyPath> {
        let mut j = 0;
        if let Some(p) = self.path(t, &mut j, 0).filter(|_| j == t.len()) {
            return Some(p);
        }
        let p: syn::Path = syn::parse_str(self.source(t)?).ok()?;
        Some(super::conv_path(&p, 0))
    }

    /// A macro invocation item at `s[*i]` (on its path).
    fn macro_item(&self, s: &[usize], i: &mut usize) -> Option<(ItemKind, Loc)> {
        let start = *i;
        let mut path = Vec::new();
        if self.colons(s, *i) {
            *i += 2;
        }
        loop {
            let seg = self.ident(s.get(*i))?;
            if is_keyword(seg) && !matches!(seg, "crate" | "self" | "super" | "Self") {
                return None;
            }
            path.push(unraw(seg));
            *i += 1;
            if self.colons(s, *i) {
                *i += 2;
            } else {
                break;
            }
        }
        let loc = self.loc(*s.get(start)?, *s.get(*i - 1)?);
        self.expect_punct(s, i, b'!')?;
        let ident = self.ident(s.get(*i)).map(unraw);
        if ident.is_some() {
            *i += 1;
        }
        let group = *s.get(*i)?;
        let brace = match self.kind(Some(&group)) {
            Some(Kind::Open(d)) => d == b'{',
            _ => return None,
        };
        *i += 1;
        if !brace {
            self.expect_punct(s, i, b';')?;
        }
        let c = self.group(group);
        if ident.is_none() && c.iter().any(|k| matches!(self.ident(Some(k)), Some("mod" | "use"))) {
            // Items a macro holds are read by the syn path.
            return None;
        }
        let kind = if path.len() == 1 && path.first().is_some_and(|p| p == "macro_rules") {
            ItemKind::MacroRules { name: ident.unwrap_or_default() }
        } else {
            let mut h = Vec::new();
            self.hash_tokens(&c, &mut h, 0);
            let (mut declared, mut mentioned) = (Vec::new(), Vec::new());
            self.macro_idents(&c, &mut declared, &mut mentioned, 0);
            declared.sort();
            declared.dedup();
            mentioned.sort();
            mentioned.dedup();
            ItemKind::Macro(MacroItem { path, declared, mentioned, fingerprint: xxhash_rust::xxh3::xxh3_64(&h) })
        };
        Some((kind, loc))
    }

    /// `hash_tokens` over these tokens (a doc comment counts as the tokens proc-macro2 makes).
    fn hash_tokens(&self, c: &[usize], h: &mut Vec<u8>, depth: usize) {
        if depth > MAX_DEPTH * 8 {
            return;
        }
        // The index of the last token, doc comments counted as the 2 or 3 they become.
        let len: usize = c
            .iter()
            .map(|k| match self.kind(Some(k)) {
                Some(Kind::Doc { inner }) => 2 + usize::from(inner),
                _ => 1,
            })
            .sum();
        let mut n = 0;
        for k in c {
            let Some(t) = self.tok(*k) else { continue };
            match t.kind {
                Kind::Punct(b',') if n + 1 == len => {}
                Kind::Open(d) => {
                    h.extend_from_slice(match d {
                        b'(' => b"Parenthesis(",
                        b'[' => b"Bracket(",
                        _ => b"Brace(",
                    });
                    self.hash_tokens(&self.group(*k), h, depth + 1);
                    h.extend_from_slice(b")");
                }
                Kind::Doc { inner } => {
                    let s = self.txt(*k);
                    let content = if s.starts_with("/*") { s.get(3..s.len().saturating_sub(2)) } else { s.get(3..) };
                    let lit = proc_macro2::Literal::string(content.unwrap_or(""));
                    h.extend_from_slice(b"# ");
                    if inner {
                        h.extend_from_slice(b"! ");
                    }
                    h.extend_from_slice(b"Bracket(doc = ");
                    h.extend_from_slice(lit.to_string().as_bytes());
                    h.extend_from_slice(b" )");
                    n += 1 + usize::from(inner);
                }
                _ => {
                    h.extend_from_slice(self.txt(*k).as_bytes());
                    h.extend_from_slice(b" ");
                }
            }
            n += 1;
        }
    }

    /// `macro_idents` over these tokens.
    fn macro_idents(&self, c: &[usize], declared: &mut Vec<String>, mentioned: &mut Vec<String>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut prev_kw = false;
        for k in c {
            match self.kind(Some(k)) {
                Some(Kind::Ident) => {
                    let s = self.txt(*k);
                    if prev_kw {
                        declared.push(s.to_string());
                    }
                    prev_kw = matches!(s, "struct" | "enum" | "type" | "union");
                    mentioned.push(s.to_string());
                }
                Some(Kind::Open(_)) => {
                    prev_kw = false;
                    self.macro_idents(&self.group(*k), declared, mentioned, depth + 1);
                }
                Some(Kind::Doc { .. }) => {
                    prev_kw = false;
                    if depth < MAX_DEPTH {
                        mentioned.push("doc".to_string());
                    }
                }
                _ => prev_kw = false,
            }
        }
    }

    /// A `use` tree (after `use` and a leading `::`), flattened as `flatten_use` does.
    fn use_tree(
        &self,
        t: &[usize],
        global: bool,
        prefix: &mut Vec<String>,
        out: &mut Vec<UseEntry>,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_NESTING {
            return None;
        }
        let mut j = 0;
        let pushed = prefix.len();
        loop {
            match self.kind(t.get(j)) {
                Some(Kind::Ident) => {
                    let name = unraw(self.txt(*t.get(j)?));
                    if self.colons(t, j + 1) {
                        prefix.push(name);
                        j += 3;
                        continue;
                    }
                    match t.get(j + 1..)? {
                        [] => {
                            if name == "self" {
                                out.push(UseEntry {
                                    global,
                                    path: prefix.clone(),
                                    alias: prefix.last().cloned(),
                                    glob: false,
                                });
                            } else {
                                let mut path = prefix.clone();
                                path.push(name.clone());
                                out.push(UseEntry { global, path, alias: Some(name), glob: false });
                            }
                        }
                        [as_k, r] if self.is(Some(as_k), "as") && self.kind(Some(r)) == Some(Kind::Ident) => {
                            let mut path = prefix.clone();
                            if name != "self" {
                                path.push(name);
                            }
                            let alias = self.txt(*r).to_string();
                            out.push(UseEntry { global, path, alias: (alias != "_").then_some(alias), glob: false });
                        }
                        _ => return None,
                    }
                    break;
                }
                Some(Kind::Punct(b'*')) if j + 1 == t.len() => {
                    out.push(UseEntry { global, path: prefix.clone(), alias: None, glob: true });
                    break;
                }
                Some(Kind::Open(b'{')) if j + 1 == t.len() => {
                    let c = self.group(*t.get(j)?);
                    for sub in self.split_commas(&c, false) {
                        if sub.is_empty() {
                            return None;
                        }
                        self.use_tree(sub, global, prefix, out, depth + 1)?;
                    }
                    break;
                }
                _ => return None,
            }
        }
        prefix.truncate(pushed);
        Some(())
    }

    // ---- types --------------------------------------------------------------------------------

    /// The type spelled by exactly the tokens `s`, as `conv_ty` converts syn's.
    fn ty(&self, s: &[usize]) -> Option<Ty> {
        if s.is_empty() {
            return None;
        }
        let mut j = 0;
        if let Some(t) = self.ty_at(s, &mut j, 0).filter(|_| j == s.len()) {
            return Some(t);
        }
        let t: syn::Type = syn::parse_str(self.source(s)?).ok()?;
        Some(super::conv_ty(&t, 0))
    }

    /// The common types, read by hand; `None` hands the whole type to syn.
    fn ty_at(&self, s: &[usize], i: &mut usize, depth: usize) -> Option<Ty> {
        if depth > MAX_NESTING {
            return None;
        }
        let d = depth + 1;
        let k = *s.get(*i)?;
        match self.kind(Some(&k))? {
            Kind::Punct(b'&') => {
                *i += 1;
                if self.punct(s.get(*i), b'\'') {
                    self.ident(s.get(*i + 1))?;
                    *i += 2;
                }
                if self.is(s.get(*i), "mut") {
                    *i += 1;
                }
                Some(Ty::Ref(Box::new(self.ty_at(s, i, d)?)))
            }
            Kind::Punct(b'*') => {
                *i += 1;
                if !matches!(self.ident(s.get(*i)), Some("const" | "mut")) {
                    return None;
                }
                *i += 1;
                Some(Ty::Ptr(Box::new(self.ty_at(s, i, d)?)))
            }
            Kind::Punct(b'!') => {
                *i += 1;
                Some(Ty::Never)
            }
            Kind::Punct(b':') => Some(Ty::Path(self.path(s, i, d)?)),
            Kind::Open(b'(') => {
                *i += 1;
                let c = self.group(k);
                let parts = self.split_commas(&c, true);
                let trailing = self.punct(c.last(), b',');
                let mut elems = Vec::with_capacity(parts.len());
                for part in &parts {
                    let mut j = 0;
                    let t = self.ty_at(part, &mut j, d)?;
                    if j != part.len() {
                        return None;
                    }
                    elems.push(t);
                }
                if elems.len() == 1 && !trailing { elems.pop() } else { Some(Ty::Tuple(elems)) }
            }
            Kind::Open(b'[') => {
                *i += 1;
                let c = self.group(k);
                let semi = self.scan_to(&c, 0, |r, k| r.punct(Some(&k), b';'));
                let mut j = 0;
                let elem_toks = c.get(..semi)?;
                let elem = self.ty_at(elem_toks, &mut j, d)?;
                if j != elem_toks.len() {
                    return None;
                }
                if semi == c.len() {
                    return Some(Ty::Slice(Box::new(elem)));
                }
                match c.get(semi + 1..)? {
                    [len]
                        if matches!(self.kind(Some(len)), Some(Kind::Lit | Kind::Ident))
                            && !is_keyword(self.txt(*len)) =>
                    {
                        Some(Ty::Array(Box::new(elem), self.txt(*len).to_string()))
                    }
                    _ => None,
                }
            }
            Kind::Ident => match self.txt(k) {
                "_" => {
                    *i += 1;
                    Some(Ty::Infer)
                }
                "dyn" => {
                    *i += 1;
                    let mut bounds = Vec::new();
                    loop {
                        if self.punct(s.get(*i), b'\'') {
                            self.ident(s.get(*i + 1))?;
                            *i += 2;
                        } else {
                            bounds.push(self.path(s, i, d)?);
                        }
                        if self.punct(s.get(*i), b'+') {
                            *i += 1;
                        } else {
                            break;
                        }
                    }
                    Some(Ty::TraitObject(bounds))
                }
                _ => {
                    let p = self.path(s, i, d)?;
                    // A bare trait object (`Trait + Send`) or anything else after it: syn's.
                    if self.punct(s.get(*i), b'+') || self.punct(s.get(*i), b'!') {
                        return None;
                    }
                    Some(Ty::Path(p))
                }
            },
            _ => None,
        }
    }

    /// A path with angle-bracketed arguments; `None` for anything rarer (`Fn(…)` sugar,
    /// turbofish, const arguments, associated type bounds).
    fn path(&self, s: &[usize], i: &mut usize, depth: usize) -> Option<TyPath> {
        let global = self.colons(s, *i);
        if global {
            *i += 2;
        }
        let mut segments = Vec::new();
        loop {
            let name = self.ident(s.get(*i))?;
            if is_keyword(name) || name == "_" {
                return None;
            }
            let mut seg = PathSeg { name: unraw(name), args: Vec::new(), fn_sugar: false, ret: None };
            *i += 1;
            if self.punct(s.get(*i), b'<') {
                let end = self.skip_angles(s, *i)?;
                let inside = s.get(*i + 1..end - 1)?;
                *i = end;
                for arg in self.split_commas(inside, true) {
                    if self.punct(arg.first(), b'\'') {
                        if arg.len() != 2 {
                            return None;
                        }
                        continue;
                    }
                    let mut j = 0;
                    if self.ident(arg.first()).is_some()
                        && self.punct(arg.get(1), b'=')
                        && !self.punct(arg.get(2), b'=')
                    {
                        j = 2;
                    }
                    match self.kind(arg.get(j)) {
                        Some(Kind::Lit | Kind::Open(b'{')) | None => return None,
                        Some(Kind::Punct(b'-')) => return None,
                        _ => {}
                    }
                    let t = self.ty_at(arg, &mut j, depth + 1)?;
                    if j != arg.len() {
                        return None;
                    }
                    seg.args.push(t);
                }
                seg.args.shrink_to_fit();
            } else if self.open(s.get(*i), b'(') {
                return None;
            }
            segments.push(seg);
            if self.colons(s, *i) {
                if self.punct(s.get(*i + 2), b'<') {
                    return None;
                }
                *i += 2;
            } else {
                break;
            }
        }
        segments.shrink_to_fit();
        Some(TyPath { global, qself: None, segments })
    }
}
