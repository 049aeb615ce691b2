//! Part of stage parse: the fast path through function bodies.
//!
//! A byte-level scanner that splits a file into the tokens proc-macro2 would make (same
//! boundaries, same text; it does not check escapes or number validity, which do not move
//! boundaries), finds the function bodies `Parser::strip_bodies` would cut, summarises each into
//! a [`Body`] exactly as `Parser::summarise` does from proc-macro2 tokens (same fingerprint
//! bytes, identifiers, calls, match-arm paths), and blanks them out of the text, keeping every
//! line and column, so that proc-macro2 and syn only see the item structure. Bodies are most of
//! a crate's bytes, and this costs a fraction of tokenising them.
//!
//! Invariants: whatever it does not recognise (a byte no token starts with, an unterminated
//! literal or comment, unbalanced delimiters) makes [`scan`] return `None`, and the caller takes
//! the slow path over the whole file, which reports the error as before. Bodies that declare
//! items, and `code_change` bodies, are left in the text (syn needs them); `code_change` bodies
//! are summarised too, for the item reader. `Parser::summarise` is the reference: the tests compare both on the same bodies.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{MAX_DEPTH, ParseOptions};
use crate::ir::{Body, CallSite, FileId, Loc};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Ident,
    Punct(u8),
    Lit,
    Open(u8),
    Close,
    /// A doc comment (`inner` for `//!` and `/*!`): proc-macro2 turns it into `#[doc = "…"]`.
    Doc {
        inner: bool,
    },
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    /// For `Open`: the index of its `Close`.
    pub(super) mate: usize,
}

/// A file whose bodies were summarised and blanked.
pub struct Scan {
    /// The text with the summarised bodies blanked (same lines and columns everywhere else).
    pub hollow: String,
    /// Summaries by the (line, column) of the body's `{`, as proc-macro2 reports it.
    pub bodies: HashMap<(usize, usize), Body>,
}

/// A file lexed, with its function bodies found and summarised: what the item reader
/// ([`super::items`]) works from, or what [`Scanned::hollow`] blanks for syn.
pub(super) struct Scanned {
    pub(super) toks: Vec<Tok>,
    pub(super) lines: Lines,
    /// Token indices of the `{` of every body cut, in order.
    pub(super) cut: Vec<usize>,
    /// Their summaries, in the same order (taken by the item reader).
    pub(super) bodies: Vec<Option<Body>>,
    /// `code_change` bodies (not cut: syn reads their `match`), by the token index of their `{`,
    /// with their summaries for the item reader.
    pub(super) kept: Vec<(usize, Option<Body>)>,
}

/// Lex `text` and summarise its function bodies; `None` when the fast path declines the file.
pub(super) fn scan_file(text: &str, file: FileId, opts: &ParseOptions) -> Option<Scanned> {
    if text.contains("/*ERROR*/") {
        return None;
    }
    let toks = lex(text)?;
    let lines = Lines::new(text);
    let cx = Cx { text, toks: &toks, lines: &lines, file, opts };
    let (mut cut, mut kept) = (Vec::new(), Vec::new());
    let top: Vec<usize> = cx.children(0, toks.len());
    cx.find_bodies(&top, 0, &mut cut, &mut kept);
    let bodies = cut.iter().map(|open| Some(cx.summarise(*open))).collect();
    let kept = kept.into_iter().map(|open| (open, Some(cx.summarise(open)))).collect();
    Some(Scanned { toks, lines, cut, bodies, kept })
}

/// Scan `text`; `None` when the fast path declines the file.
pub fn scan(text: &str, file: FileId, opts: &ParseOptions) -> Option<Scan> {
    scan_file(text, file, opts)?.hollow(text)
}

impl Scanned {
    /// The text with the summarised bodies blanked, for syn. `None` if the item reader took a
    /// body already.
    pub(super) fn hollow(self, text: &str) -> Option<Scan> {
        let Scanned { toks, lines, cut, bodies, .. } = self;
        let mut by_pos = HashMap::with_capacity(cut.len());
        let mut hollow = String::with_capacity(text.len());
        let mut done = 0;
        for (open, body) in cut.into_iter().zip(bodies) {
            let t = toks.get(open)?;
            let close = toks.get(t.mate)?;
            by_pos.insert(lines.line_col(text, t.start), body?);
            // Keep the text up to and including `{`; then only the body's line breaks, and on its
            // last line the spaces that keep `}` in its column.
            hollow.push_str(text.get(done..t.end)?);
            let inner = text.get(t.end..close.start)?;
            match inner.rfind('\n') {
                None => hollow.extend(std::iter::repeat_n(' ', inner.chars().count())),
                Some(last) => {
                    hollow.extend(std::iter::repeat_n('\n', inner.bytes().filter(|b| *b == b'\n').count()));
                    hollow.extend(std::iter::repeat_n(' ', inner.get(last + 1..)?.chars().count()));
                }
            }
            done = close.start;
        }
        hollow.push_str(text.get(done..)?);
        Some(Scan { hollow, bodies: by_pos })
    }
}

/// The direct children of the token range `lo..hi` (a group's contents, or the file).
pub(super) fn children(toks: &[Tok], lo: usize, hi: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut k = lo;
    while k < hi {
        out.push(k);
        k = match toks.get(k) {
            Some(Tok { kind: Kind::Open(_), mate, .. }) => mate + 1,
            _ => k + 1,
        };
    }
    out
}

// ---- lexer ------------------------------------------------------------------------------------

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || (!c.is_ascii() && unicode_ident::is_xid_start(c))
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric() || (!c.is_ascii() && unicode_ident::is_xid_continue(c))
}

fn is_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{200e}' || c == '\u{200f}'
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// The end of an identifier (not raw) starting at `i`, if one does.
fn ident_end(text: &str, i: usize) -> Option<usize> {
    let first = char_at(text, i)?;
    if !is_ident_start(first) {
        return None;
    }
    let mut end = i + first.len_utf8();
    while let Some(c) = char_at(text, end).filter(|c| is_ident_continue(*c)) {
        end += c.len_utf8();
    }
    Some(end)
}

fn suffix(text: &str, i: usize) -> usize {
    ident_end(text, i).unwrap_or(i)
}

fn lex(text: &str) -> Option<Vec<Tok>> {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let starts = |i: usize, s: &str| b.get(i..).is_some_and(|r| r.starts_with(s.as_bytes()));
    let mut toks: Vec<Tok> = Vec::with_capacity(text.len() / 4);
    let mut stack: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = at(i);
        // Whitespace and comments.
        if c == b'/' && at(i + 1) == b'/' {
            let end = b.get(i..).and_then(|r| r.iter().position(|x| *x == b'\n')).map_or(b.len(), |p| i + p);
            let doc = (at(i + 2) == b'/' && at(i + 3) != b'/') || at(i + 2) == b'!';
            if doc {
                // A doc comment ends before a `\r\n`; a bare `\r` in it is an error.
                let content_end = if end > i && at(end - 1) == b'\r' { end - 1 } else { end };
                if text.get(i + 3..content_end)?.contains('\r') {
                    return None;
                }
                toks.push(Tok { kind: Kind::Doc { inner: at(i + 2) == b'!' }, start: i, end: content_end, mate: 0 });
            }
            i = end;
            continue;
        }
        if c == b'/' && at(i + 1) == b'*' {
            if starts(i, "/**/") {
                i += 4;
                continue;
            }
            let end = block_comment_end(b, i)?;
            let doc = (starts(i, "/**") && !starts(i, "/***")) || starts(i, "/*!");
            if doc {
                if text.get(i + 3..end - 2)?.contains('\r') {
                    return None;
                }
                toks.push(Tok { kind: Kind::Doc { inner: at(i + 2) == b'!' }, start: i, end, mate: 0 });
            }
            i = end;
            continue;
        }
        if c == b' ' || (0x09..=0x0d).contains(&c) {
            i += 1;
            continue;
        }
        if !c.is_ascii() {
            let ch = char_at(text, i)?;
            if is_whitespace(ch) {
                i += ch.len_utf8();
                continue;
            }
        }
        let start = i;
        let kind = match c {
            b'(' | b'[' | b'{' => {
                stack.push(toks.len());
                i += 1;
                Kind::Open(c)
            }
            b')' | b']' | b'}' => {
                let open = stack.pop()?;
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                let here = toks.len();
                let o = toks.get_mut(open)?;
                if o.kind != Kind::Open(want) {
                    return None;
                }
                o.mate = here;
                i += 1;
                Kind::Close
            }
            b'"' => {
                i = cooked_end(b, i + 1)?;
                i = suffix(text, i);
                Kind::Lit
            }
            b'r' if raw_start(b, i + 1) => {
                i = raw_end(b, i + 1)?;
                i = suffix(text, i);
                Kind::Lit
            }
            b'b' | b'c' if at(i + 1) == b'"' => {
                i = cooked_end(b, i + 2)?;
                i = suffix(text, i);
                Kind::Lit
            }
            b'b' | b'c' if at(i + 1) == b'r' && raw_start(b, i + 2) => {
                i = raw_end(b, i + 2)?;
                i = suffix(text, i);
                Kind::Lit
            }
            b'b' if at(i + 1) == b'\'' => {
                i = char_end(text, i + 1)?;
                i = suffix(text, i);
                Kind::Lit
            }
            b'\'' => match char_end(text, i) {
                Some(end) => {
                    i = suffix(text, end);
                    Kind::Lit
                }
                None => {
                    // A lifetime or label: `'` then an identifier (proc-macro2's punct).
                    let rest = if starts(i + 1, "r#") { i + 3 } else { i + 1 };
                    let end = ident_end(text, rest)?;
                    if at(end) == b'\'' {
                        return None;
                    }
                    i += 1;
                    Kind::Punct(b'\'')
                }
            },
            b'0'..=b'9' => {
                i = number_end(text, i)?;
                Kind::Lit
            }
            b'~' | b'!' | b'@' | b'#' | b'$' | b'%' | b'^' | b'&' | b'*' | b'-' | b'=' | b'+' | b'|' | b';' | b':'
            | b',' | b'<' | b'.' | b'>' | b'/' | b'?' => {
                i += 1;
                Kind::Punct(c)
            }
            _ => {
                let raw = starts(i, "r#");
                let end = ident_end(text, if raw { i + 2 } else { i })?;
                if raw && matches!(text.get(i + 2..end)?, "_" | "super" | "self" | "Self" | "crate") {
                    return None;
                }
                i = end;
                Kind::Ident
            }
        };
        toks.push(Tok { kind, start, end: i, mate: 0 });
    }
    stack.is_empty().then_some(toks)
}

/// The end of a (nested) block comment starting at `i`.
fn block_comment_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j + 1 < b.len() {
        match (b.get(j), b.get(j + 1)) {
            (Some(b'/'), Some(b'*')) => {
                depth += 1;
                j += 2;
            }
            (Some(b'*'), Some(b'/')) => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => j += 1,
        }
    }
    None
}

/// After the opening quote of a cooked string: the index after its closing quote.
fn cooked_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// Whether `#`s then `"` start at `i` (a raw string after its `r`).
fn raw_start(b: &[u8], i: usize) -> bool {
    let hashes = b.get(i..).map_or(0, |r| r.iter().take_while(|x| **x == b'#').count());
    hashes <= 255 && b.get(i + hashes) == Some(&b'"')
}

fn raw_end(b: &[u8], i: usize) -> Option<usize> {
    let hashes = b.get(i..)?.iter().take_while(|x| **x == b'#').count();
    let mut j = i + hashes + 1;
    loop {
        if *b.get(j)? == b'"' && b.get(j + 1..j + 1 + hashes)?.iter().all(|x| *x == b'#') {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
}

/// At a `'`: the end of a character literal (`'x'`, `'\n'`, `'\u{1F600}'`), or `None` when the
/// quote starts a lifetime.
fn char_end(text: &str, i: usize) -> Option<usize> {
    let first = char_at(text, i + 1)?;
    if first == '\\' {
        let b = text.as_bytes();
        // An escape: up to the closing quote, within an escape's length.
        let close = b.get(i + 3..)?.iter().take(12).position(|x| *x == b'\'')?;
        return Some(i + 3 + close + 1);
    }
    let after = i + 1 + first.len_utf8();
    (text.as_bytes().get(after) == Some(&b'\'')).then_some(after + 1)
}

/// The end of a number literal at `i`, as proc-macro2's `float` then `int` find it.
fn number_end(text: &str, i: usize) -> Option<usize> {
    let word_break = |e: usize| char_at(text, e).is_none_or(|c| !is_ident_continue(c));
    if let Some(e) = float_digits(text, i) {
        let e = if char_at(text, e).is_some_and(is_ident_start) { ident_end(text, e) } else { Some(e) };
        if let Some(e) = e.filter(|e| word_break(*e)) {
            return Some(e);
        }
    }
    let e = int_digits(text.as_bytes(), i)?;
    let e = if char_at(text, e).is_some_and(is_ident_start) { ident_end(text, e)? } else { e };
    word_break(e).then_some(e)
}

fn float_digits(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let at = |k: usize| b.get(k).copied();
    let mut len = 1;
    let (mut has_dot, mut has_exp) = (false, false);
    while let Some(c) = at(i + len) {
        match c {
            b'0'..=b'9' | b'_' => len += 1,
            b'.' => {
                if has_dot {
                    break;
                }
                if char_at(text, i + len + 1).is_some_and(|n| n == '.' || is_ident_start(n)) {
                    return None;
                }
                len += 1;
                has_dot = true;
            }
            b'e' | b'E' => {
                len += 1;
                has_exp = true;
                break;
            }
            _ => break,
        }
    }
    if !(has_dot || has_exp) {
        return None;
    }
    if has_exp {
        let before_exp = if has_dot { Some(i + len - 1) } else { None };
        let (mut has_sign, mut has_value) = (false, false);
        while let Some(c) = at(i + len) {
            match c {
                b'+' | b'-' => {
                    if has_value {
                        break;
                    }
                    if has_sign {
                        return before_exp;
                    }
                    len += 1;
                    has_sign = true;
                }
                b'0'..=b'9' => {
                    len += 1;
                    has_value = true;
                }
                b'_' => len += 1,
                _ => break,
            }
        }
        if !has_value {
            return before_exp;
        }
    }
    Some(i + len)
}

fn int_digits(b: &[u8], i: usize) -> Option<usize> {
    let (base, mut j) = match (b.get(i), b.get(i + 1)) {
        (Some(b'0'), Some(b'x')) => (16, i + 2),
        (Some(b'0'), Some(b'o')) => (8, i + 2),
        (Some(b'0'), Some(b'b')) => (2, i + 2),
        _ => (10, i),
    };
    let mut empty = true;
    while let Some(&c) = b.get(j) {
        let digit = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'f' => u32::from(c - b'a') + 10,
            b'A'..=b'F' => u32::from(c - b'A') + 10,
            b'_' => {
                if empty && base == 10 {
                    return None;
                }
                j += 1;
                continue;
            }
            _ => break,
        };
        if digit >= base {
            if c.is_ascii_digit() {
                return None;
            }
            break;
        }
        j += 1;
        empty = false;
    }
    (!empty).then_some(j)
}

// ---- positions --------------------------------------------------------------------------------

/// Line starts, for proc-macro2's (1-based line, 0-based column in characters).
pub(super) struct Lines {
    newlines: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        // `match_indices` on a `char` searches with memchr, many bytes at a time.
        Lines { newlines: text.match_indices('\n').map(|(i, _)| i).collect() }
    }

    pub(super) fn line_col(&self, text: &str, pos: usize) -> (usize, usize) {
        let line = self.newlines.partition_point(|n| *n < pos);
        let start = if line == 0 { 0 } else { self.newlines.get(line - 1).map_or(0, |n| n + 1) };
        let before = text.get(start..pos).unwrap_or("");
        let col = if before.is_ascii() { before.len() } else { before.chars().count() };
        (line + 1, col)
    }
}

// ---- bodies -----------------------------------------------------------------------------------

struct Cx<'a> {
    text: &'a str,
    toks: &'a [Tok],
    lines: &'a Lines,
    file: FileId,
    opts: &'a ParseOptions,
}

/// The bytes a body's fingerprint hashes, gathered and hashed once: the same value as feeding
/// them to a streaming xxh3 hasher one token at a time (as the reference does), for less work.
struct Fingerprint(Vec<u8>);

impl Fingerprint {
    fn update(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn digest(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.0)
    }
}

/// What a body walk accumulates (as `BodyWalk` in the reference).
struct Walk {
    hasher: Fingerprint,
    idents: Vec<u64>,
    calls: Vec<CallSite>,
    variants: Vec<Vec<String>>,
}

impl<'a> Cx<'a> {
    fn tok(&self, k: usize) -> Option<&'a Tok> {
        self.toks.get(k)
    }

    fn text_of(&self, k: usize) -> &'a str {
        self.tok(k).and_then(|t| self.text.get(t.start..t.end)).unwrap_or("")
    }

    fn is_punct(&self, k: Option<&usize>, c: u8) -> bool {
        k.and_then(|k| self.tok(*k)).is_some_and(|t| t.kind == Kind::Punct(c))
    }

    fn ident(&self, k: Option<&usize>) -> Option<&'a str> {
        let k = *k?;
        (self.tok(k)?.kind == Kind::Ident).then(|| self.text_of(k))
    }

    fn open(&self, k: Option<&usize>) -> Option<u8> {
        match self.tok(*k?)?.kind {
            Kind::Open(d) => Some(d),
            _ => None,
        }
    }

    /// The direct children of the token range `lo..hi` (a group's contents).
    fn children(&self, lo: usize, hi: usize) -> Vec<usize> {
        children(self.toks, lo, hi)
    }

    fn group_children(&self, open: usize) -> Vec<usize> {
        let mate = self.tok(open).map_or(open, |t| t.mate);
        self.children(open + 1, mate)
    }

    /// The bodies `Parser::strip_bodies` cuts, in order: after `fn`, the first brace group at
    /// the top of the angle brackets, unless a `;` comes first; brace groups other than macro
    /// bodies are searched too.
    fn find_bodies(&self, level: &[usize], depth: usize, cut: &mut Vec<usize>, kept: &mut Vec<usize>) {
        let mut i = 0;
        while let Some(&k) = level.get(i) {
            let kind = self.tok(k).map(|t| t.kind);
            // `fn` then a name: a function (a `fn(…)` pointer type has no body).
            if kind == Some(Kind::Ident) && self.text_of(k) == "fn" && self.ident(level.get(i + 1)).is_some() {
                let code_change = self.ident(level.get(i + 1)) == Some("code_change");
                i += 1;
                let mut angle = 0i32;
                let mut prev_minus = false;
                while let Some(&t) = level.get(i) {
                    i += 1;
                    match self.tok(t).map(|t| t.kind) {
                        Some(Kind::Punct(b'<')) => angle += 1,
                        Some(Kind::Punct(b'>')) if !prev_minus => angle -= 1,
                        Some(Kind::Punct(b';')) if angle <= 0 => break,
                        Some(Kind::Open(b'{')) if angle <= 0 => {
                            if !self.declares_items(t) {
                                if code_change {
                                    kept.push(t);
                                } else {
                                    cut.push(t);
                                }
                            }
                            break;
                        }
                        _ => {}
                    }
                    prev_minus = self.is_punct(Some(&t), b'-');
                }
                continue;
            }
            if kind == Some(Kind::Open(b'{')) && depth < MAX_DEPTH {
                let after_bang = self.is_punct(i.checked_sub(1).and_then(|p| level.get(p)), b'!')
                    || (self.ident(i.checked_sub(1).and_then(|p| level.get(p))).is_some()
                        && self.is_punct(i.checked_sub(2).and_then(|p| level.get(p)), b'!'));
                if !after_bang {
                    self.find_bodies(&self.group_children(k), depth + 1, cut, kept);
                }
            }
            i += 1;
        }
    }

    /// As `body_declares_items`: an item keyword at the top of the body.
    fn declares_items(&self, open: usize) -> bool {
        self.group_children(open).iter().any(|k| {
            self.ident(Some(k)).is_some_and(|s| matches!(s, "struct" | "enum" | "impl" | "trait" | "mod" | "union"))
        })
    }

    fn summarise(&self, open: usize) -> Body {
        // The fingerprint's bytes are about as many as the body's.
        let span = self.tok(open).and_then(|t| Some(self.tok(t.mate)?.end.saturating_sub(t.start))).unwrap_or(0);
        let mut walk = Walk {
            hasher: Fingerprint(Vec::with_capacity(span.min(1 << 16))),
            idents: Vec::new(),
            calls: Vec::new(),
            variants: Vec::new(),
        };
        let level = self.group_children(open);
        let literal = match level.as_slice() {
            [k] if self.tok(*k).is_some_and(|t| t.kind == Kind::Lit) => Some(self.text_of(*k).to_string()),
            _ => None,
        };
        self.walk(&level, 0, false, &mut walk);
        super::finish_body(walk.hasher.digest(), walk.idents, walk.calls, literal, walk.variants)
    }

    /// `Parser::walk_body` over this scanner's tokens.
    fn walk(&self, level: &[usize], depth: usize, arms: bool, w: &mut Walk) {
        if depth > MAX_DEPTH * 8 {
            w.hasher.update(b"<deep>");
            return;
        }
        if arms {
            self.arm_paths(level, &mut w.variants);
        }
        let mut arm_groups = Vec::new();
        for (i, &k) in level.iter().enumerate() {
            match self.tok(k).map(|t| t.kind) {
                Some(Kind::Open(b'(')) => {
                    if let Some(call) = self.call_before(level, i) {
                        w.calls.push(call);
                    }
                }
                Some(Kind::Ident) if self.text_of(k) == "match" => {
                    let after = level.get(i + 1..).unwrap_or(&[]);
                    let brace = after.iter().position(|t| {
                        matches!(self.tok(*t).map(|t| t.kind), Some(Kind::Open(b'{') | Kind::Punct(b';')))
                    });
                    if let Some(b) = brace {
                        if self.open(after.get(b)) == Some(b'{') {
                            arm_groups.push(i + 1 + b);
                        }
                    }
                }
                _ => {}
            }
        }
        let len = level.len();
        for (i, &k) in level.iter().enumerate() {
            let Some(t) = self.tok(k) else { continue };
            match t.kind {
                Kind::Ident => {
                    let s = self.text_of(k);
                    w.hasher.update(s.as_bytes());
                    w.hasher.update(b" ");
                    w.idents.push(xxhash_rust::xxh3::xxh3_64(s.as_bytes()));
                }
                Kind::Punct(c) => {
                    if c == b',' && i + 1 == len {
                        continue;
                    }
                    w.hasher.update(&[c]);
                }
                Kind::Lit => {
                    w.hasher.update(self.text_of(k).as_bytes());
                    w.hasher.update(b" ");
                }
                Kind::Open(d) => {
                    let close = match d {
                        b'(' => b")",
                        b'[' => b"]",
                        _ => b"}",
                    };
                    w.hasher.update(&[d]);
                    self.walk(&self.group_children(k), depth + 1, arm_groups.contains(&i), w);
                    w.hasher.update(close);
                }
                Kind::Close => {}
                Kind::Doc { inner } => {
                    // `#[doc = "…"]` (`#![…]` for an inner one), as proc-macro2 makes it.
                    let s = self.text_of(k);
                    let content = if s.starts_with("/*") { s.get(3..s.len() - 2) } else { s.get(3..) };
                    let lit = proc_macro2::Literal::string(content.unwrap_or(""));
                    let mut text = String::new();
                    let _ = write!(text, "{lit}");
                    w.hasher.update(b"#");
                    if inner {
                        w.hasher.update(b"!");
                    }
                    w.hasher.update(b"[doc =");
                    w.hasher.update(text.as_bytes());
                    w.hasher.update(b" ]");
                    w.idents.push(xxhash_rust::xxh3::xxh3_64(b"doc"));
                }
            }
        }
    }

    /// `Parser::call_before` over this scanner's tokens.
    fn call_before(&self, level: &[usize], i: usize) -> Option<CallSite> {
        let mut j = i.checked_sub(1)?;
        let mut generics = Vec::new();
        if self.is_punct(level.get(j), b'>') {
            let close = j;
            let mut depth = 0i32;
            loop {
                let k = level.get(j)?;
                if self.is_punct(Some(k), b'>') {
                    depth += 1;
                } else if self.is_punct(Some(k), b'<') {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                j = j.checked_sub(1)?;
            }
            let mut seg_start: Option<usize> = None;
            let mut seg_end = 0;
            let mut level_depth = 0i32;
            for k in level.get(j + 1..close).unwrap_or(&[]) {
                if self.is_punct(Some(k), b'<') {
                    level_depth += 1;
                } else if self.is_punct(Some(k), b'>') {
                    level_depth -= 1;
                } else if self.is_punct(Some(k), b',') && level_depth == 0 {
                    generics.push(self.norm_range(seg_start.take(), seg_end));
                    continue;
                }
                let t = self.tok(*k)?;
                seg_start.get_or_insert(t.start);
                seg_end = if let Kind::Open(_) = t.kind { self.tok(t.mate)?.end } else { t.end };
            }
            if seg_start.is_some() {
                generics.push(self.norm_range(seg_start, seg_end));
            }
            j = j.checked_sub(3)?;
        }
        let func = self.ident(level.get(j))?;
        if !self.opts.interesting_calls.iter().any(|c| c == func) {
            return None;
        }
        let mut path = Vec::new();
        let mut method = false;
        let mut receiver = None;
        let mut k = j;
        loop {
            let colons = k >= 2 && self.is_punct(level.get(k - 1), b':') && self.is_punct(level.get(k - 2), b':');
            if colons {
                if let Some(seg) = k.checked_sub(3).and_then(|x| self.ident(level.get(x))) {
                    path.push(seg.to_string());
                    k -= 3;
                    continue;
                }
                // `Child::<T>::f` (a turbofish in the path: its arguments dropped) or
                // `<Child as Trait>::f` (the qualified self type is the path).
                if let Some(open) = k.checked_sub(3).and_then(|close| self.angle_open(level, close)) {
                    let before = open.checked_sub(2);
                    if before
                        .is_some_and(|b| self.is_punct(level.get(b), b':') && self.is_punct(level.get(b + 1), b':'))
                    {
                        if let Some(seg) = open.checked_sub(3).and_then(|x| self.ident(level.get(x))) {
                            path.push(seg.to_string());
                            k = open - 3;
                            continue;
                        }
                    } else if let Some(qself) = self.qualified_self(level, open, k - 3) {
                        path.extend(qself.into_iter().rev());
                    }
                }
                break;
            }
            if k >= 1 && self.is_punct(level.get(k - 1), b'.') {
                method = true;
                receiver = self.receiver_type(level, k - 1);
            }
            break;
        }
        path.reverse();
        let func_tok = self.tok(*level.get(j)?)?;
        let args = *level.get(i)?;
        let args_end = self.tok(self.tok(args)?.mate)?.end;
        let str_args = self
            .group_children(args)
            .iter()
            .filter(|k| self.tok(**k).is_some_and(|t| t.kind == Kind::Lit))
            .map(|k| self.text_of(*k))
            .filter(|s| s.starts_with('"'))
            .map(super::unquote)
            .collect();
        let (line, col) = self.lines.line_col(self.text, func_tok.start);
        let (end_line, end_col) = self.lines.line_col(self.text, args_end);
        let loc = Loc {
            file: self.file,
            line: line as u32,
            col: col as u32 + 1,
            end_line: end_line as u32,
            end_col: end_col as u32 + 1,
        };
        let arg_types = self.arg_types(args);
        Some(CallSite { path, func: func.to_string(), method, receiver, generics, str_args, arg_types, loc })
    }

    /// The `<` that opens the angle brackets closed by the `>` at `close`.
    fn angle_open(&self, level: &[usize], close: usize) -> Option<usize> {
        if !self.is_punct(level.get(close), b'>') {
            return None;
        }
        let mut depth = 0i32;
        let mut j = close;
        loop {
            if self.is_punct(level.get(j), b'>') {
                depth += 1;
            } else if self.is_punct(level.get(j), b'<') {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            j = j.checked_sub(1)?;
        }
    }

    /// `<a::Child as Trait>`: the self type's path, when it is a plain path.
    fn qualified_self(&self, level: &[usize], open: usize, close: usize) -> Option<Vec<String>> {
        let inner = level.get(open + 1..close)?;
        let as_at = inner.iter().position(|k| self.ident(Some(k)) == Some("as"))?;
        let (segs, end) = self.plain_path(inner.get(..as_at)?);
        (end == as_at && !segs.is_empty()).then_some(segs)
    }

    /// A path of identifiers at the start of `toks` (a leading `::` allowed): its segments and
    /// where it ends.
    fn plain_path(&self, toks: &[usize]) -> (Vec<String>, usize) {
        let colons = |i: usize| self.is_punct(toks.get(i), b':') && self.is_punct(toks.get(i + 1), b':');
        let mut i = if colons(0) { 2 } else { 0 };
        let mut segs = Vec::new();
        while let Some(id) = self.ident(toks.get(i)) {
            segs.push(id.to_string());
            i += 1;
            if colons(i) && self.ident(toks.get(i + 2)).is_some() {
                i += 2;
            } else {
                break;
            }
        }
        (segs, i)
    }

    /// `arg_types` over this scanner's tokens: the type each argument of the group visibly builds.
    fn arg_types(&self, open: usize) -> Vec<String> {
        let children = self.group_children(open);
        if children.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<String> = children
            .split(|k| self.is_punct(Some(k), b','))
            .map(|arg| {
                let (segs, end) = self.plain_path(arg);
                super::visible_type(&segs, arg.len() - end, self.open(arg.get(end)))
            })
            .collect();
        if children.last().is_some_and(|k| self.is_punct(Some(k), b',')) {
            out.pop();
        }
        out
    }

    /// Turbofish arguments as `norm` prints their tokens.
    fn norm_range(&self, start: Option<usize>, end: usize) -> String {
        let text = start.and_then(|s| self.text.get(s..end)).unwrap_or("");
        text.parse::<proc_macro2::TokenStream>().map(super::norm).unwrap_or_default()
    }

    /// `receiver_type` over this scanner's tokens.
    fn receiver_type(&self, level: &[usize], dot: usize) -> Option<String> {
        let ident_at = |i: usize| self.ident(level.get(i)).map(str::to_string);
        let before = dot.checked_sub(1)?;
        if let Some(s) = self.ident(level.get(before)) {
            return s.chars().next().is_some_and(char::is_uppercase).then(|| s.to_string());
        }
        match self.open(level.get(before))? {
            b'{' => ident_at(before.checked_sub(1)?),
            b'(' => {
                let ctor = before.checked_sub(1)?;
                ident_at(ctor)?;
                let colon = ctor.checked_sub(2)?;
                if self.is_punct(level.get(colon), b':') {
                    ident_at(colon.checked_sub(1)?).filter(|s| s.chars().next().is_some_and(char::is_uppercase))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// `arm_pattern_paths` over this scanner's tokens.
    fn arm_paths(&self, level: &[usize], out: &mut Vec<Vec<String>>) {
        let punct = |i: usize, c: u8| self.is_punct(level.get(i), c);
        let mut i = 0;
        while i < level.len() {
            let mut alt_start = true;
            let mut guard = false;
            while i < level.len() {
                if punct(i, b'=') && punct(i + 1, b'>') {
                    i += 2;
                    break;
                }
                if guard {
                    i += 1;
                    continue;
                }
                if self.ident(level.get(i)) == Some("if") {
                    guard = true;
                } else if punct(i, b'|') {
                    alt_start = true;
                    i += 1;
                    continue;
                } else if alt_start {
                    let (path, next) = self.path_at(level, i);
                    if !path.is_empty() {
                        let then_group = matches!(self.open(level.get(next)), Some(b'(' | b'{'));
                        if path.len() >= 2 || then_group {
                            out.push(path);
                        }
                        i = next;
                        alt_start = false;
                        continue;
                    }
                }
                alt_start = false;
                i += 1;
            }
            if self.open(level.get(i)) == Some(b'{') {
                i += 1;
                if punct(i, b',') {
                    i += 1;
                }
                continue;
            }
            while i < level.len() && !punct(i, b',') {
                i += 1;
            }
            i += 1;
        }
    }

    fn path_at(&self, level: &[usize], mut i: usize) -> (Vec<String>, usize) {
        let colons = |i: usize| self.is_punct(level.get(i), b':') && self.is_punct(level.get(i + 1), b':');
        if colons(i) {
            i += 2;
        }
        let mut path = Vec::new();
        while let Some(id) = self.ident(level.get(i)) {
            path.push(id.strip_prefix("r#").unwrap_or(id).to_string());
            i += 1;
            if colons(i) && self.ident(level.get(i + 2)).is_some() {
                i += 2;
            } else {
                break;
            }
        }
        (path, i)
    }
}
