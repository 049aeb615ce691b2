//! Stage: parse. Input: one file's bytes. Output: an owned [`FileSummary`].
//!
//! Each file is tokenised once with proc-macro2; function bodies are cut out of the token stream
//! (kept as tokens) unless they declare items, so syn only builds trees for the item structure
//! — about half the cost of a full parse, and files whose only unsupported syntax sits inside a
//! function body still parse. What the rules need from a body (a fingerprint, the identifiers it
//! mentions, some calls, the arms of a `code_change`) is read from its tokens.
//! Invariants: this module never does I/O and never panics on input; a file that cannot be
//! tokenised or parsed yields a summary with `error` set (HL000), never an `Err`; no span
//! outlives the call (spans are converted to [`Loc`]s and the thread's span table is cleared).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use proc_macro2::{Delimiter, Group, LineColumn, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;

use crate::ir::*;

mod items;
mod scan;

/// What the parser should record beyond the item structure.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Function names whose call sites are recorded in [`Body::calls`] (spawn functions,
    /// coerce's `configure` registrations, …).
    pub interesting_calls: Vec<String>,
}

/// Nesting deeper than this (in types, patterns and token groups that hotlint walks) stops the
/// walk: the rest is summarised as opaque text. Keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 256;

/// Parse one file. Never fails: problems become `FileSummary::error`.
pub fn parse_file(id: FileId, rel_path: String, bytes: &[u8], opts: &ParseOptions) -> FileSummary {
    let mut summary = FileSummary {
        id,
        rel_path,
        text: Arc::from(""),
        hash: xxhash_rust::xxh3::xxh3_64(bytes),
        error: None,
        items: Vec::new(),
        inner_attrs: Vec::new(),
        allows: Vec::new(),
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            summary.error = Some(not_utf8(id, bytes, &e));
            // The snippet shows the file decoded lossily (U+FFFD for the bad bytes).
            let lossy = String::from_utf8_lossy(bytes);
            summary.text = Arc::from(lossy.strip_prefix('\u{feff}').unwrap_or(&lossy));
            return summary;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    summary.text = Arc::from(text);
    if let Some(failure) = conflict_markers(id, text) {
        summary.error = Some(failure);
        return summary;
    }
    summary.allows = scan_allow_comments(id, text);
    let lexable = blank_shebang_and_frontmatter(text);
    let result = Parser { file: id, opts, bodies: HashMap::new() }.run(&lexable);
    match result {
        Ok((mut items, inner)) => {
            // Vectors grown by pushing keep up to twice their length; summaries live all run.
            items.shrink_to_fit();
            summary.items = items;
            summary.inner_attrs = inner;
        }
        Err(failure) => summary.error = Some(failure),
    }
    proc_macro2::extra::invalidate_current_thread_spans();
    summary
}

/// The start of an HL000 message for a file that is not UTF-8 (`rules::hl000` words its label
/// and help after it).
pub const NOT_UTF8: &str = "file is not valid UTF-8";
/// The start of an HL000 message for a file with merge conflict markers.
pub const CONFLICT_MARKERS: &str = "file has unresolved merge conflict markers";

/// Where the first invalid byte is: its line, and its column among the characters of the line
/// decoded lossily (as the snippet shows it), a leading byte order mark not counted.
fn not_utf8(file: FileId, bytes: &[u8], e: &std::str::Utf8Error) -> ParseFailure {
    let offset = e.valid_up_to();
    let valid = bytes.get(..offset).unwrap_or(bytes);
    let valid = std::str::from_utf8(valid).unwrap_or("");
    let valid = valid.strip_prefix('\u{feff}').unwrap_or(valid);
    let line = valid.matches('\n').count() as u32 + 1;
    let col = valid.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
    ParseFailure {
        message: format!("{NOT_UTF8} (invalid byte at line {line}, column {col}, byte offset {offset})"),
        loc: Some(Loc { file, line, col, end_line: line, end_col: col + 1 }),
    }
}

/// Merge conflict markers left in a file (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>` at the
/// start of a line, outside strings and block comments, as rustc's lexer finds them: "encountered
/// diff marker"). rustc rejects the file wherever they sit, even inside a function body that
/// hotlint would not parse, so they are looked for before parsing.
fn conflict_markers(file: FileId, text: &str) -> Option<ParseFailure> {
    const MARKERS: [&str; 4] = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"];
    if !MARKERS.iter().any(|m| text.contains(m)) {
        return None;
    }
    let is_marker = |line: &str| {
        MARKERS
            .iter()
            .copied()
            .find(|m| line.strip_prefix(m).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r'])))
    };
    let inside = lines_starting_inside(text, true);
    let found: Vec<(u32, &str)> = text
        .lines()
        .enumerate()
        .filter(|(idx, _)| !inside.get(*idx).copied().unwrap_or(false))
        .filter_map(|(idx, line)| is_marker(line).map(|m| (idx as u32 + 1, m)))
        .collect();
    let &(line, marker) = found.first()?;
    let listed: Vec<String> = found.iter().take(6).map(|(l, m)| format!("`{m}` on line {l}")).collect();
    let more = if found.len() > 6 { format!(" and {} more", found.len() - 6) } else { String::new() };
    Some(ParseFailure {
        message: format!("{CONFLICT_MARKERS} ({}{more})", listed.join(", ")),
        loc: Some(Loc { file, line, col: 1, end_line: line, end_col: marker.len() as u32 + 1 }),
    })
}

/// Replace a `#!` shebang line and a cargo-script `---` frontmatter with spaces, so that line
/// and column numbers stay those of the file.
fn blank_shebang_and_frontmatter(text: &str) -> String {
    let mut out = text.to_string();
    let blank = |s: &mut String, end: usize| {
        let replaced: String = s.get(..end).unwrap_or("").chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
        s.replace_range(..end, &replaced);
    };
    let mut cursor = 0;
    if out.starts_with("#!") && !out.starts_with("#![") {
        let end = out.find('\n').unwrap_or(out.len());
        blank(&mut out, end);
        cursor = end;
    }
    let rest = out.get(cursor..).unwrap_or("");
    let trimmed = rest.trim_start_matches(['\n', '\r', ' ', '\t']);
    if trimmed.starts_with("---") {
        let start = out.len() - trimmed.len();
        if let Some(close) = trimmed.get(3..).and_then(|t| t.find("\n---")) {
            let after = start + 3 + close + 4;
            let line_end = out.get(after..).and_then(|t| t.find('\n')).map(|n| after + n).unwrap_or(out.len());
            blank(&mut out, line_end);
        }
    }
    out
}

fn scan_allow_comments(file: FileId, text: &str) -> Vec<AllowComment> {
    let mut out = Vec::new();
    if !text.contains("hotlint:") {
        return out;
    }
    let in_string = lines_inside_strings(text);
    for (idx, line) in text.lines().enumerate() {
        if in_string.get(idx).copied().unwrap_or(false) {
            continue;
        }
        // Only a comment line counts: `//` inside a string literal or after code is not an allow.
        let Some(pos) = line.find("//").filter(|p| line.get(..*p).is_some_and(|b| b.trim().is_empty())) else {
            continue;
        };
        let comment = line.get(pos + 2..).unwrap_or("").trim_start_matches(['/', '!']).trim();
        let Some(rest) = comment.strip_prefix("hotlint:") else { continue };
        let rest = rest.trim();
        let Some(rest) = rest.strip_prefix("allow") else { continue };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix('(') else { continue };
        let Some(close) = rest.find(')') else { continue };
        let rules = rest
            .get(..close)
            .unwrap_or("")
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let after = rest.get(close + 1..).unwrap_or("").trim();
        let reason = after.strip_prefix("--").map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let line_no = idx as u32 + 1;
        let col = line.get(..pos).map(|p| p.chars().count()).unwrap_or(0) as u32 + 1;
        let end_col = line.chars().count() as u32 + 1;
        out.push(AllowComment {
            line: line_no,
            rules,
            reason,
            loc: Loc { file, line: line_no, col, end_line: line_no, end_col },
        });
    }
    out
}

/// For each line, whether it starts inside a string literal (a multi-line or raw string), so a
/// `// hotlint:` there is text, not a comment. A small lexer: strings, raw strings, chars,
/// comments.
fn lines_inside_strings(text: &str) -> Vec<bool> {
    lines_starting_inside(text, false)
}

/// [`lines_inside_strings`], where a line starting inside a block comment counts as inside too
/// when `block_comments` is set.
fn lines_starting_inside(text: &str, block_comments: bool) -> Vec<bool> {
    let mut out = vec![false];
    let b = text.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    let mut raw_hashes: Option<usize> = None;
    while let Some(&c) = b.get(i) {
        if c == b'\n' {
            out.push(in_str || raw_hashes.is_some());
            i += 1;
            continue;
        }
        if let Some(h) = raw_hashes {
            if c == b'"' && b.get(i + 1..i + 1 + h).is_some_and(|s| s.iter().all(|x| *x == b'#')) {
                raw_hashes = None;
                i += 1 + h;
            } else {
                i += 1;
            }
            continue;
        }
        if in_str {
            match c {
                b'\\' => {
                    // A line continuation: the next line starts inside the string too.
                    if b.get(i + 1) == Some(&b'\n') {
                        out.push(true);
                    }
                    i += 2;
                }
                b'"' => {
                    in_str = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while b.get(i).is_some_and(|x| *x != b'\n') {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while let Some(&x) = b.get(i) {
                    if x == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if x == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth = depth.saturating_sub(1);
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if x == b'\n' {
                            out.push(block_comments);
                        }
                        i += 1;
                    }
                }
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && !b.get(i.wrapping_sub(1)).is_some_and(|p| p.is_ascii_alphanumeric() || *p == b'_') =>
            {
                let mut j = i + 1;
                let mut h = 0;
                while b.get(j) == Some(&b'#') {
                    h += 1;
                    j += 1;
                }
                if b.get(j) == Some(&b'"') {
                    raw_hashes = Some(h);
                    i = j + 1;
                } else {
                    i += 1;
                }
            }
            b'"' => {
                in_str = true;
                i += 1;
            }
            b'\'' => {
                // A char literal (`'"'`, `'\''`) or a lifetime (`'a`).
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while b.get(i).is_some_and(|x| *x != b'\'' && *x != b'\n') {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

type BodyKey = (usize, usize);

/// What an item contains that becomes items of its own.
enum Children<'ast> {
    None,
    Items(&'ast [syn::Item]),
    Stmts(&'ast [syn::Stmt]),
}

struct Parser<'a> {
    file: FileId,
    opts: &'a ParseOptions,
    /// Function bodies cut out of the token stream, summarised as they were cut, by the position
    /// of their opening brace.
    bodies: HashMap<BodyKey, CutBody>,
}

/// A function body cut out of the item structure: its summary, and its tokens when a rule needs
/// the syntax tree (`code_change`).
struct CutBody {
    body: Body,
    tokens: Option<TokenStream>,
}

fn key_of(lc: LineColumn) -> BodyKey {
    (lc.line, lc.column)
}

impl Parser<'_> {
    fn run(mut self, text: &str) -> Result<(Vec<Item>, Vec<Attr>), ParseFailure> {
        // The fast path summarises and blanks the bodies before tokenising; when it declines the
        // file, bodies are cut from the token stream instead.
        // The fastest path reads the items from the scanner's tokens too; when it declines the
        // file, syn reads the item structure from the text with the bodies blanked.
        let mut scanned = scan::scan_file(text, self.file, self.opts);
        if let Some(s) = &mut scanned {
            if let Some(found) = items::read(text, s, self.file) {
                return Ok(found);
            }
        }
        let fast = match scanned {
            Some(s) if s.bodies.iter().all(Option::is_some) => s.hollow(text),
            Some(_) => scan::scan(text, self.file, self.opts),
            None => None,
        };
        let lexable = fast.as_ref().map_or(text, |s| s.hollow.as_str());
        let tokens = TokenStream::from_str(lexable)
            .map_err(|e| ParseFailure { message: format!("could not tokenise: {e}"), loc: Some(self.loc(e.span())) })?;
        let stripped = match fast {
            Some(scan) => {
                self.bodies = scan.bodies.into_iter().map(|(k, body)| (k, CutBody { body, tokens: None })).collect();
                tokens
            }
            None => self.strip_bodies(tokens, 0),
        };
        // As `syn::File` parses, but each top-level item is converted and its tree dropped before
        // the next is parsed: a file's syntax trees never all live at once (a 20 MB generated
        // file would need gigabytes).
        let file = |input: syn::parse::ParseStream<'_>| -> syn::Result<(Vec<Item>, Vec<Attr>)> {
            let inner = self.attrs(&input.call(syn::Attribute::parse_inner)?);
            let mut items = Vec::new();
            while !input.is_empty() {
                let fork = input.fork();
                let item = match fork.parse::<syn::Item>() {
                    Ok(item) => {
                        syn::parse::discouraged::Speculative::advance_to(input, &fork);
                        item
                    }
                    Err(e) => recover_item(input).ok_or(e)?,
                };
                self.items(std::slice::from_ref(&item), None, 0, &mut items);
            }
            Ok((items, inner))
        };
        let parsed = syn::parse::Parser::parse2(file, stripped);
        parsed.map_err(|e| ParseFailure { message: format!("could not parse: {e}"), loc: Some(self.loc(e.span())) })
    }

    fn loc(&self, span: Span) -> Loc {
        let s = span.start();
        let e = span.end();
        Loc {
            file: self.file,
            line: s.line as u32,
            col: s.column as u32 + 1,
            end_line: e.line as u32,
            end_col: e.column as u32 + 1,
        }
    }

    fn loc2(&self, start: Span, end: Span) -> Loc {
        let mut l = self.loc(start);
        let e = end.end();
        l.end_line = e.line as u32;
        l.end_col = e.column as u32 + 1;
        l
    }

    // ---- body stripping -------------------------------------------------------------------

    /// Cut function bodies out of an item-level token stream. A body that declares items at
    /// its top level is kept so syn sees those items.
    fn strip_bodies(&mut self, stream: TokenStream, depth: usize) -> TokenStream {
        // Tokens are moved, never cloned: a clone of an identifier is an allocation.
        let mut tokens: Vec<Option<TokenTree>> = stream.into_iter().map(Some).collect();
        let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let Some(tt) = tokens.get_mut(i).and_then(Option::take) else {
                i += 1;
                continue;
            };
            match tt {
                // `fn` then a name: a function (a `fn(…)` pointer type has no body).
                TokenTree::Ident(id) if id == "fn" && matches!(tokens.get(i + 1), Some(Some(TokenTree::Ident(_)))) => {
                    out.push(TokenTree::Ident(id));
                    i += 1;
                    let code_change =
                        matches!(tokens.get(i), Some(Some(TokenTree::Ident(name))) if name == "code_change");
                    let mut angle = 0i32;
                    let mut prev_minus = false;
                    while let Some(t) = tokens.get_mut(i).and_then(Option::take) {
                        i += 1;
                        match t {
                            TokenTree::Punct(ref p) if p.as_char() == '<' => angle += 1,
                            TokenTree::Punct(ref p) if p.as_char() == '>' && !prev_minus => angle -= 1,
                            TokenTree::Punct(ref p) if p.as_char() == ';' && angle <= 0 => {
                                out.push(t);
                                break;
                            }
                            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && angle <= 0 => {
                                let inner = g.stream();
                                if body_declares_items(&inner) {
                                    out.push(TokenTree::Group(g));
                                } else {
                                    let mut empty = Group::new(Delimiter::Brace, TokenStream::new());
                                    empty.set_span(g.span());
                                    let key = key_of(g.span_open().start());
                                    out.push(TokenTree::Group(empty));
                                    drop(g);
                                    let tokens = code_change.then(|| inner.clone());
                                    let body = self.summarise(inner);
                                    self.bodies.insert(key, CutBody { body, tokens });
                                }
                                break;
                            }
                            _ => {}
                        }
                        prev_minus = matches!(&t, TokenTree::Punct(p) if p.as_char() == '-');
                        out.push(t);
                    }
                }
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && depth < MAX_DEPTH => {
                    let after_bang = matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == '!')
                        || (matches!(out.last(), Some(TokenTree::Ident(_)))
                            && matches!(out.len().checked_sub(2).and_then(|k| out.get(k)), Some(TokenTree::Punct(p)) if p.as_char() == '!'));
                    if after_bang {
                        out.push(TokenTree::Group(g));
                    } else {
                        let span = g.span();
                        let stream = g.stream();
                        drop(g);
                        let inner = self.strip_bodies(stream, depth + 1);
                        let mut ng = Group::new(Delimiter::Brace, inner);
                        ng.set_span(span);
                        out.push(TokenTree::Group(ng));
                    }
                    i += 1;
                }
                other => {
                    out.push(other);
                    i += 1;
                }
            }
        }
        out.into_iter().collect()
    }

    // ---- items ----------------------------------------------------------------------------

    /// Convert `items` and everything nested in them into the flat `out`.
    fn items(&mut self, items: &[syn::Item], parent: Option<u32>, depth: usize, out: &mut Vec<Item>) {
        for item in items {
            let Some((mut converted, children)) = self.item(item) else { continue };
            converted.parent = parent;
            let idx = out.len() as u32;
            out.push(converted);
            if depth >= MAX_DEPTH {
                continue;
            }
            // A macro invocation whose body is a list of items (`cfg_rt! { pub mod runtime; }`,
            // tokio's and many crates' cfg macros): its `mod` declarations and `use`s are followed
            // where it stands, so the module tree is complete. Types and impls a macro may emit
            // stay opaque (SPEC §1: never guessed).
            if let syn::Item::Macro(m) = item {
                if m.ident.is_none() && macro_holds_items(&m.mac.tokens) {
                    if let Ok(file) = syn::parse2::<syn::File>(m.mac.tokens.clone()) {
                        let structure: Vec<syn::Item> = file
                            .items
                            .into_iter()
                            .filter(|i| matches!(i, syn::Item::Mod(_) | syn::Item::Use(_)))
                            .collect();
                        self.items(&structure, parent, depth + 1, out);
                    }
                }
            }
            match children {
                Children::None => {}
                Children::Items(items) => self.items(items, Some(idx), depth + 1, out),
                Children::Stmts(stmts) => {
                    let nested: Vec<syn::Item> = stmts
                        .iter()
                        .filter_map(|s| match s {
                            syn::Stmt::Item(i) => Some(i.clone()),
                            _ => None,
                        })
                        .collect();
                    self.items(&nested, Some(idx), depth + 1, out);
                }
            }
        }
    }

    fn item<'ast>(&mut self, item: &'ast syn::Item) -> Option<(Item, Children<'ast>)> {
        let mut children = Children::None;
        use syn::Item as I;
        let (attrs, vis, kind, loc): (&[syn::Attribute], Option<&syn::Visibility>, ItemKind, Loc) = match item {
            I::Use(u) => {
                let mut entries = Vec::new();
                flatten_use(&u.tree, u.leading_colon.is_some(), &mut Vec::new(), &mut entries);
                (&u.attrs, Some(&u.vis), ItemKind::Use(entries), self.loc(u.use_token.span))
            }
            I::Struct(s) => {
                let def = TypeDef {
                    kind: TypeKind::Struct,
                    name: unraw(&s.ident),
                    generics: type_params(&s.generics),
                    fields: self.fields(&s.fields),
                    variants: Vec::new(),
                };
                (&s.attrs, Some(&s.vis), ItemKind::Type(def), self.loc(s.ident.span()))
            }
            I::Union(s) => {
                let def = TypeDef {
                    kind: TypeKind::Union,
                    name: unraw(&s.ident),
                    generics: type_params(&s.generics),
                    fields: Fields::Named(s.fields.named.iter().map(|f| self.field(f)).collect()),
                    variants: Vec::new(),
                };
                (&s.attrs, Some(&s.vis), ItemKind::Type(def), self.loc(s.ident.span()))
            }
            I::Enum(e) => {
                let variants = e
                    .variants
                    .iter()
                    .map(|v| Variant {
                        name: unraw(&v.ident),
                        fields: self.fields(&v.fields),
                        discriminant: v.discriminant.as_ref().map(|(_, e)| norm(e.to_token_stream())),
                        attrs: self.attrs(&v.attrs),
                        loc: self.loc(v.ident.span()),
                    })
                    .collect();
                let def = TypeDef {
                    kind: TypeKind::Enum,
                    name: unraw(&e.ident),
                    generics: type_params(&e.generics),
                    fields: Fields::Unit,
                    variants,
                };
                (&e.attrs, Some(&e.vis), ItemKind::Type(def), self.loc(e.ident.span()))
            }
            I::Type(t) => {
                let def = AliasDef { name: unraw(&t.ident), generics: type_params(&t.generics), ty: conv_ty(&t.ty, 0) };
                (&t.attrs, Some(&t.vis), ItemKind::Alias(def), self.loc(t.ident.span()))
            }
            I::Trait(t) => {
                (&t.attrs, Some(&t.vis), ItemKind::Trait(TraitDef { name: unraw(&t.ident) }), self.loc(t.ident.span()))
            }
            I::Const(c) => {
                let def = ConstDef {
                    name: unraw(&c.ident),
                    ty: conv_ty(&c.ty, 0),
                    value: norm(c.expr.to_token_stream()),
                    loc: self.loc(c.ident.span()),
                };
                (&c.attrs, Some(&c.vis), ItemKind::Const(def), self.loc(c.ident.span()))
            }
            I::Static(s) => (&s.attrs, Some(&s.vis), ItemKind::Other, self.loc(s.ident.span())),
            I::Fn(f) => {
                if !f.block.stmts.is_empty() {
                    children = Children::Stmts(&f.block.stmts);
                }
                let def = self.func(&f.attrs, &f.sig, &f.block);
                let loc = def.loc;
                (&f.attrs, Some(&f.vis), ItemKind::Fn(def), loc)
            }
            I::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    children = Children::Items(items);
                }
                let inline = m.content.is_some();
                let path_attrs = path_attrs(&self.attrs(&m.attrs));
                let def = ModDef { name: unraw(&m.ident), inline, path_attrs };
                (&m.attrs, Some(&m.vis), ItemKind::Mod(def), self.loc(m.ident.span()))
            }
            I::ExternCrate(e) => (
                &e.attrs,
                Some(&e.vis),
                ItemKind::ExternCrate { name: unraw(&e.ident), rename: e.rename.as_ref().map(|(_, r)| r.to_string()) },
                self.loc(e.ident.span()),
            ),
            I::Impl(imp) => {
                let def = self.impl_def(imp);
                let loc = def.header;
                (&imp.attrs, None, ItemKind::Impl(def), loc)
            }
            I::Macro(m) => {
                let path: Vec<String> = m.mac.path.segments.iter().map(|s| unraw(&s.ident)).collect();
                let kind = if path.len() == 1 && path.first().is_some_and(|p| p == "macro_rules") {
                    ItemKind::MacroRules { name: m.ident.as_ref().map(unraw).unwrap_or_default() }
                } else {
                    let (declared, mentioned) = macro_idents(&m.mac.tokens);
                    ItemKind::Macro(MacroItem { path, declared, mentioned, fingerprint: fingerprint(&m.mac.tokens) })
                };
                (&m.attrs, None, kind, self.loc(m.mac.path.span()))
            }
            _ => return None,
        };
        let first_line = first_line(attrs, loc.line);
        let item = Item {
            parent: None,
            kind,
            attrs: self.attrs(attrs),
            is_pub: matches!(vis, Some(syn::Visibility::Public(_))),
            loc,
            first_line,
        };
        Some((item, children))
    }

    fn impl_def(&mut self, imp: &syn::ItemImpl) -> ImplDef {
        let mut def = ImplDef {
            generics: type_params(&imp.generics),
            trait_path: imp.trait_.as_ref().map(|(p, _)| conv_path(p, 0)),
            negative: imp.modifiers.polarity.is_some(),
            self_ty: conv_ty(&imp.self_ty, 0),
            assoc_types: Vec::new(),
            consts: Vec::new(),
            fns: Vec::new(),
            header: self.loc2(imp.impl_token.span, imp.self_ty.span()),
        };
        for it in &imp.items {
            match it {
                syn::ImplItem::Type(t) => def.assoc_types.push(AssocType {
                    name: unraw(&t.ident),
                    ty: conv_ty(&t.ty, 0),
                    loc: self.loc(t.ident.span()),
                }),
                syn::ImplItem::Const(c) => def.consts.push(ConstDef {
                    name: unraw(&c.ident),
                    ty: conv_ty(&c.ty, 0),
                    value: norm(c.expr.to_token_stream()),
                    loc: self.loc(c.ident.span()),
                }),
                syn::ImplItem::Fn(f) => {
                    let fd = self.func(&f.attrs, &f.sig, &f.block);
                    def.fns.push(fd);
                }
                _ => {}
            }
        }
        def.fns.shrink_to_fit();
        def
    }

    fn func(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature, block: &syn::Block) -> FnDef {
        let mut params = Vec::with_capacity(sig.inputs.len());
        let mut has_self = false;
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => has_self = true,
                syn::FnArg::Typed(pt) => params.push(Param {
                    name: match &*pt.pat {
                        syn::Pat::Ident(pi) => Some(unraw(&pi.ident)),
                        _ => None,
                    },
                    ty: conv_ty(&pt.ty, 0),
                }),
            }
        }
        let ret = match &sig.output {
            syn::ReturnType::Default => None,
            syn::ReturnType::Type(_, t) => Some(conv_ty(t, 0)),
        };
        let name = unraw(&sig.ident);
        let first_param = params.first().and_then(|p| p.name.clone());
        let key = key_of(block.brace_token.span.open().start());
        let (mut body, tokens) = match self.bodies.remove(&key) {
            Some(cut) => (cut.body, cut.tokens),
            None => {
                // A body that declares items was parsed whole by syn.
                let mut ts = TokenStream::new();
                for s in &block.stmts {
                    s.to_tokens(&mut ts);
                }
                let keep = (name == "code_change").then(|| ts.clone());
                (self.summarise(ts), keep)
            }
        };
        if let Some(tokens) = tokens {
            body.match_arms = self.code_change_arms(tokens, block.brace_token.span.join(), first_param.as_deref());
        }
        FnDef {
            loc: self.loc(sig.ident.span()),
            first_line: first_line(attrs, self.loc(sig.fn_token.span).line),
            name,
            attrs: self.attrs(attrs),
            params,
            has_self,
            ret,
            body,
        }
    }

    /// Read what the rules need from a body's tokens, in one walk that moves them (a body's
    /// tokens are never cloned: that would allocate once per identifier).
    fn summarise(&self, tokens: TokenStream) -> Body {
        let mut walk = BodyWalk {
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            idents: Vec::new(),
            calls: Vec::new(),
            variants: Vec::new(),
            text: String::new(),
        };
        let mut literal = None;
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        if let [TokenTree::Literal(l)] = tts.as_slice() {
            literal = Some(l.to_string());
        }
        self.walk_body(tts, 0, false, &mut walk);
        finish_body(walk.hasher.digest(), walk.idents, walk.calls, literal, walk.variants)
    }

    /// The arms of the first `match` on `first_param` in a `code_change` body, read from its
    /// syntax tree.
    fn code_change_arms(&self, tokens: TokenStream, span: Span, first_param: Option<&str>) -> Option<Vec<MatchArm>> {
        let mut group = Group::new(Delimiter::Brace, tokens);
        group.set_span(span);
        let block = syn::parse2::<syn::Block>(TokenTree::Group(group).into()).ok()?;
        first_match_arms(&block, first_param, &|a, b| self.loc2(a, b))
    }

    /// Hash, collect identifiers, calls and match-arm variants of one token list. `arms` says
    /// the list is the brace group of a `match`.
    fn walk_body(&self, tts: Vec<TokenTree>, depth: usize, arms: bool, walk: &mut BodyWalk) {
        if depth > MAX_DEPTH * 8 {
            walk.hasher.update(b"<deep>");
            return;
        }
        if arms {
            arm_pattern_paths(&tts, &mut walk.variants);
        }
        // First pass, looking around: calls and the arm groups of `match` expressions.
        let mut arm_groups = Vec::new();
        for (i, tt) in tts.iter().enumerate() {
            match tt {
                TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                    if let Some(call) = self.call_before(&tts, i, g) {
                        walk.calls.push(call);
                    }
                }
                TokenTree::Ident(id) if id == "match" => {
                    let after = tts.get(i + 1..).unwrap_or(&[]);
                    let brace = after.iter().position(|t| match t {
                        TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
                        TokenTree::Punct(p) => p.as_char() == ';',
                        _ => false,
                    });
                    if let Some(k) = brace {
                        if matches!(after.get(k), Some(TokenTree::Group(_))) {
                            arm_groups.push(i + 1 + k);
                        }
                    }
                }
                _ => {}
            }
        }
        // Second pass, consuming: the fingerprint and identifiers, then each group's contents.
        let len = tts.len();
        for (i, tt) in tts.into_iter().enumerate() {
            match tt {
                TokenTree::Ident(id) => {
                    walk.text.clear();
                    let _ = write!(walk.text, "{id}");
                    walk.hasher.update(walk.text.as_bytes());
                    walk.hasher.update(b" ");
                    walk.idents.push(xxhash_rust::xxh3::xxh3_64(walk.text.as_bytes()));
                }
                TokenTree::Punct(p) => {
                    // A trailing comma before a closing delimiter does not count.
                    if p.as_char() == ',' && i + 1 == len {
                        continue;
                    }
                    let mut buf = [0u8; 4];
                    walk.hasher.update(p.as_char().encode_utf8(&mut buf).as_bytes());
                }
                TokenTree::Literal(l) => {
                    walk.text.clear();
                    let _ = write!(walk.text, "{l}");
                    walk.hasher.update(walk.text.as_bytes());
                    walk.hasher.update(b" ");
                }
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => (b"(", b")"),
                        Delimiter::Brace => (b"{", b"}"),
                        Delimiter::Bracket => (b"[", b"]"),
                        Delimiter::None => (b" ", b" "),
                    };
                    walk.hasher.update(open);
                    // Dropping the group first leaves its stream the only owner, so iterating it
                    // moves the tokens instead of copying them.
                    let stream = g.stream();
                    drop(g);
                    let inner: Vec<TokenTree> = stream.into_iter().collect();
                    self.walk_body(inner, depth + 1, arm_groups.contains(&i), walk);
                    walk.hasher.update(close);
                }
            }
        }
    }

    /// `a::b::f(…)`, `f::<T>(…)` or `.f(…)` just before the parenthesis group at `i`.
    fn call_before(&self, tts: &[TokenTree], i: usize, args: &Group) -> Option<CallSite> {
        let mut j = i.checked_sub(1)?;
        let mut generics = Vec::new();
        // Skip a turbofish `::<…>`, keeping its arguments.
        if matches!(tts.get(j), Some(TokenTree::Punct(p)) if p.as_char() == '>') {
            let close = j;
            let mut depth = 0i32;
            loop {
                match tts.get(j)? {
                    TokenTree::Punct(p) if p.as_char() == '>' => depth += 1,
                    TokenTree::Punct(p) if p.as_char() == '<' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j = j.checked_sub(1)?;
            }
            // now at '<'; split its contents at top-level commas
            let mut current = TokenStream::new();
            let mut level = 0i32;
            for t in tts.get(j + 1..close).unwrap_or(&[]) {
                match t {
                    TokenTree::Punct(p) if p.as_char() == '<' => level += 1,
                    TokenTree::Punct(p) if p.as_char() == '>' => level -= 1,
                    TokenTree::Punct(p) if p.as_char() == ',' && level == 0 => {
                        generics.push(norm(std::mem::take(&mut current)));
                        continue;
                    }
                    _ => {}
                }
                current.extend(std::iter::once(t.clone()));
            }
            if !current.is_empty() {
                generics.push(norm(current));
            }
            j = j.checked_sub(3)?;
        }
        let TokenTree::Ident(func) = tts.get(j)? else { return None };
        if !self.opts.interesting_calls.iter().any(|c| func == c) {
            return None;
        }
        let func = func.to_string();
        let mut path = Vec::new();
        let mut method = false;
        let mut receiver = None;
        let mut k = j;
        loop {
            let is_colons = k >= 2
                && matches!(tts.get(k - 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
                && matches!(tts.get(k - 2), Some(TokenTree::Punct(p)) if p.as_char() == ':');
            if is_colons {
                if let Some(TokenTree::Ident(seg)) = k.checked_sub(3).and_then(|x| tts.get(x)) {
                    path.push(seg.to_string());
                    k -= 3;
                    continue;
                }
                // `Child::<T>::f` (a turbofish in the path: its arguments dropped) or
                // `<Child as Trait>::f` (the qualified self type is the path).
                if let Some(open) = k.checked_sub(3).and_then(|close| angle_open(tts, close)) {
                    let punct_at = |i: usize| matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                    let before = open.checked_sub(2);
                    if before.is_some_and(|b| punct_at(b) && punct_at(b + 1)) {
                        if let Some(TokenTree::Ident(seg)) = open.checked_sub(3).and_then(|x| tts.get(x)) {
                            path.push(seg.to_string());
                            k = open - 3;
                            continue;
                        }
                    } else if let Some(qself) = qualified_self(tts, open, k - 3) {
                        path.extend(qself.into_iter().rev());
                    }
                }
                break;
            }
            if k >= 1 && matches!(tts.get(k - 1), Some(TokenTree::Punct(p)) if p.as_char() == '.') {
                method = true;
                receiver = receiver_type(tts, k - 1);
            }
            break;
        }
        path.reverse();
        let func_span = tts.get(j).map(|t| t.span()).unwrap_or_else(Span::call_site);
        let str_args = args
            .stream()
            .into_iter()
            .filter_map(|t| match t {
                TokenTree::Literal(l) => {
                    let s = l.to_string();
                    s.starts_with('"').then(|| unquote(&s))
                }
                _ => None,
            })
            .collect();
        let arg_types = arg_types(args);
        Some(CallSite {
            path,
            func,
            method,
            receiver,
            generics,
            str_args,
            arg_types,
            loc: self.loc2(func_span, args.span()),
        })
    }

    fn fields(&self, fields: &syn::Fields) -> Fields {
        match fields {
            syn::Fields::Named(n) => Fields::Named(n.named.iter().map(|f| self.field(f)).collect()),
            syn::Fields::Unnamed(u) => Fields::Tuple(u.unnamed.iter().map(|f| self.field(f)).collect()),
            syn::Fields::Unit => Fields::Unit,
        }
    }

    fn field(&self, f: &syn::Field) -> Field {
        let loc = match &f.ident {
            Some(id) => self.loc(id.span()),
            None => self.loc(f.ty.span()),
        };
        Field { name: f.ident.as_ref().map(unraw), ty: conv_ty(&f.ty, 0), attrs: self.attrs(&f.attrs), loc }
    }

    // ---- attributes -----------------------------------------------------------------------

    fn attrs(&self, attrs: &[syn::Attribute]) -> Vec<Attr> {
        let mut out = Vec::with_capacity(attrs.len());
        for a in attrs {
            let loc = self.loc(a.span());
            let path: Vec<String> = a.path().segments.iter().map(|s| unraw(&s.ident)).collect();
            let args = match &a.meta {
                syn::Meta::Path(_) => AttrArgs::None,
                syn::Meta::List(l) => AttrArgs::List(parse_meta_list(l.tokens.clone(), 0)),
                // A string (every doc comment): its value straight from syn, without printing and
                // re-reading the literal (`unquote` would give the same).
                syn::Meta::NameValue(syn::MetaNameValue {
                    value: syn::Expr::Lit(syn::ExprLit { attrs, lit: syn::Lit::Str(lit) }),
                    ..
                }) if attrs.is_empty() => AttrArgs::Value(lit.value()),
                syn::Meta::NameValue(nv) => AttrArgs::Value(value_string(nv.value.to_token_stream())),
            };
            if path.len() == 1 && path.first().is_some_and(|p| p == "cfg_attr") {
                expand_cfg_attr(&args, None, loc, &mut out);
            } else {
                out.push(Attr { path, args, cfg: None, loc });
            }
        }
        out
    }
}

/// An item syn refused, read again where rustc's parser would take it: an impl under an
/// attribute macro ([`attribute_macro_impl`]), or an inline module holding one (the module's
/// items are read one by one, with the same recovery).
fn recover_item(input: syn::parse::ParseStream<'_>) -> Option<syn::Item> {
    attribute_macro_impl(input).or_else(|| inline_module(input))
}

fn inline_module(input: syn::parse::ParseStream<'_>) -> Option<syn::Item> {
    let fork = input.fork();
    let item = module_with_recovery(&fork).ok()??;
    syn::parse::discouraged::Speculative::advance_to(input, &fork);
    Some(item)
}

fn module_with_recovery(input: syn::parse::ParseStream<'_>) -> syn::Result<Option<syn::Item>> {
    let mut attrs = input.call(syn::Attribute::parse_outer)?;
    let vis: syn::Visibility = input.parse()?;
    let mod_token: syn::Token![mod] = input.parse()?;
    let ident: syn::Ident = input.parse()?;
    let content;
    let brace = syn::braced!(content in input);
    attrs.extend(content.call(syn::Attribute::parse_inner)?);
    let mut items = Vec::new();
    while !content.is_empty() {
        let inner = content.fork();
        match inner.parse::<syn::Item>() {
            Ok(item) => {
                syn::parse::discouraged::Speculative::advance_to(&content, &inner);
                items.push(item);
            }
            Err(_) => match recover_item(&content) {
                Some(item) => items.push(item),
                None => return Ok(None),
            },
        }
    }
    Ok(Some(syn::Item::Mod(syn::ItemMod {
        attrs,
        vis,
        unsafety: None,
        mod_token,
        ident,
        content: Some((brace, items)),
        semi: None,
    })))
}

/// `#[easy_ext::ext] pub impl X { … }`: rustc's parser takes a visibility on an impl (the error
/// comes after macro expansion, and the attribute macro rewrites the item), syn does not. Under an
/// attribute that is not one of rustc's own, such an impl is read as the impl it spells; `None`
/// (the caller reports syn's error) for anything else.
fn attribute_macro_impl(input: syn::parse::ParseStream<'_>) -> Option<syn::Item> {
    let fork = input.fork();
    let attrs = fork.call(syn::Attribute::parse_outer).ok()?;
    if !attrs.iter().any(|a| !is_builtin_attribute(a.path())) {
        return None;
    }
    let _: syn::Visibility = fork.parse().ok()?;
    if !(fork.peek(syn::Token![impl]) || fork.peek(syn::Token![unsafe]) && fork.peek2(syn::Token![impl])) {
        return None;
    }
    let mut imp: syn::ItemImpl = fork.parse().ok()?;
    imp.attrs = attrs;
    syn::parse::discouraged::Speculative::advance_to(input, &fork);
    Some(syn::Item::Impl(imp))
}

/// rustc's built-in attributes and tool attributes: none of them is a macro that could take
/// syntax rustc would otherwise refuse.
fn is_builtin_attribute(path: &syn::Path) -> bool {
    const BUILTIN: &[&str] = &[
        "allow",
        "automatically_derived",
        "cfg",
        "cfg_attr",
        "cold",
        "deny",
        "deprecated",
        "derive",
        "doc",
        "expect",
        "export_name",
        "forbid",
        "ignore",
        "inline",
        "link",
        "link_name",
        "link_section",
        "macro_export",
        "macro_use",
        "must_use",
        "no_mangle",
        "non_exhaustive",
        "path",
        "repr",
        "should_panic",
        "target_feature",
        "test",
        "track_caller",
        "used",
        "warn",
    ];
    const TOOLS: &[&str] = &["rustfmt", "clippy", "diagnostic", "rust_analyzer"];
    match path.segments.first() {
        Some(first) if path.segments.len() > 1 => TOOLS.iter().any(|t| first.ident == t),
        Some(first) => BUILTIN.iter().any(|b| first.ident == b),
        None => true,
    }
}

fn expand_cfg_attr(args: &AttrArgs, outer: Option<&str>, loc: Loc, out: &mut Vec<Attr>) {
    let AttrArgs::List(list) = args else { return };
    let mut iter = list.iter();
    let Some(pred) = iter.next() else { return };
    let pred = meta_to_string(pred);
    let cfg = match outer {
        Some(o) => format!("all({o}, {pred})"),
        None => pred,
    };
    for m in iter {
        let path: Vec<String> = m.path.split("::").map(str::to_string).collect();
        let args = match &m.value {
            MetaValue::None | MetaValue::Literal(_) => AttrArgs::None,
            MetaValue::Value(v) => AttrArgs::Value(v.clone()),
            MetaValue::List(l) => AttrArgs::List(l.clone()),
        };
        if m.path == "cfg_attr" {
            expand_cfg_attr(&args, Some(&cfg), loc, out);
        } else {
            out.push(Attr { path, args, cfg: Some(cfg.clone()), loc });
        }
    }
}

/// Parse `a, b = "x", c(d, e = 1), "lit"` into metas, tolerant of anything.
fn parse_meta_list(tokens: TokenStream, depth: usize) -> Vec<Meta> {
    let mut out = Vec::new();
    let mut chunk: Vec<TokenTree> = Vec::new();
    let flush = |chunk: &mut Vec<TokenTree>, out: &mut Vec<Meta>| {
        if !chunk.is_empty() {
            out.push(parse_meta(std::mem::take(chunk), depth));
        }
    };
    for tt in tokens {
        if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',') {
            flush(&mut chunk, &mut out);
        } else {
            chunk.push(tt);
        }
    }
    flush(&mut chunk, &mut out);
    out
}

fn parse_meta(chunk: Vec<TokenTree>, depth: usize) -> Meta {
    if let [TokenTree::Literal(l)] = chunk.as_slice() {
        return Meta { path: String::new(), value: MetaValue::Literal(unquote(&l.to_string())) };
    }
    let mut path = String::new();
    let mut i = 0;
    while let Some(tt) = chunk.get(i) {
        match tt {
            TokenTree::Ident(id) => path.push_str(&id.to_string()),
            TokenTree::Punct(p) if p.as_char() == ':' => path.push(':'),
            _ => break,
        }
        i += 1;
    }
    let rest = chunk.get(i..).unwrap_or(&[]);
    let value = match rest {
        [] => MetaValue::None,
        [TokenTree::Group(g)] if g.delimiter() == Delimiter::Parenthesis && depth < MAX_DEPTH => {
            MetaValue::List(parse_meta_list(g.stream(), depth + 1))
        }
        [TokenTree::Punct(p), value @ ..] if p.as_char() == '=' => {
            MetaValue::Value(value_string(value.iter().cloned().collect()))
        }
        _ => {
            let all: TokenStream = chunk.iter().cloned().collect();
            return Meta { path: norm(all), value: MetaValue::None };
        }
    };
    Meta { path, value }
}

/// A value as a string: a string literal unquoted, anything else as normalised tokens.
fn value_string(ts: TokenStream) -> String {
    let mut iter = ts.clone().into_iter();
    if let (Some(TokenTree::Literal(l)), None) = (iter.next(), iter.next()) {
        return unquote(&l.to_string());
    }
    norm(ts)
}

fn unquote(lit: &str) -> String {
    // A plain string without escapes (most are): its contents, as `value()` gives them.
    if let Some(inner) = lit.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        if !inner.contains(['\\', '\r', '"']) {
            return inner.to_string();
        }
    }
    if lit.starts_with('"') || lit.starts_with("r\"") || lit.starts_with("r#") {
        if let Ok(s) = syn::parse_str::<syn::LitStr>(lit) {
            return s.value();
        }
    }
    lit.to_string()
}

/// An identifier's name without the raw prefix (`r#type` is `type`), as rustc, file lookup
/// and serde see it.
fn unraw(id: &proc_macro2::Ident) -> String {
    let s = id.to_string();
    match s.strip_prefix("r#") {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Normalised token text: what `to_string` prints, so whitespace and comments do not count.
pub fn norm(ts: TokenStream) -> String {
    ts.to_string()
}

/// A hash of normalised tokens: comments and whitespace do not count, nor does a trailing comma
/// before a closing delimiter (rustfmt adds and removes those).
pub fn fingerprint(ts: &TokenStream) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    hash_tokens(ts, &mut h, 0);
    h.digest()
}

fn hash_tokens(ts: &TokenStream, h: &mut xxhash_rust::xxh3::Xxh3, depth: usize) {
    if depth > MAX_DEPTH * 8 {
        return;
    }
    let tts: Vec<TokenTree> = ts.clone().into_iter().collect();
    let last = tts.len().saturating_sub(1);
    for (i, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Punct(p) if p.as_char() == ',' && i == last => {}
            TokenTree::Group(g) => {
                h.update(format!("{:?}(", g.delimiter()).as_bytes());
                hash_tokens(&g.stream(), h, depth + 1);
                h.update(b")");
            }
            other => {
                h.update(other.to_string().as_bytes());
                h.update(b" ");
            }
        }
    }
}

fn first_line(attrs: &[syn::Attribute], fallback: u32) -> u32 {
    attrs.iter().map(|a| a.pound_token.span.start().line as u32).min().map_or(fallback, |l| l.min(fallback))
}

fn type_params(g: &syn::Generics) -> Vec<String> {
    g.params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => Some(unraw(&t.ident)),
            syn::GenericParam::Const(c) => Some(unraw(&c.ident)),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect()
}

fn flatten_use(tree: &syn::UseTree, global: bool, prefix: &mut Vec<String>, out: &mut Vec<UseEntry>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(unraw(&p.ident));
            flatten_use(&p.tree, global, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = unraw(&n.ident);
            if name == "self" {
                out.push(UseEntry { global, path: prefix.clone(), alias: prefix.last().cloned(), glob: false });
            } else {
                let mut path = prefix.clone();
                path.push(name.clone());
                out.push(UseEntry { global, path, alias: Some(name), glob: false });
            }
        }
        syn::UseTree::Rename(r) => {
            let name = unraw(&r.ident);
            let mut path = prefix.clone();
            if name != "self" {
                path.push(name);
            }
            let alias = r.rename.to_string();
            out.push(UseEntry { global, path, alias: if alias == "_" { None } else { Some(alias) }, glob: false });
        }
        syn::UseTree::Glob(_) => out.push(UseEntry { global, path: prefix.clone(), alias: None, glob: true }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, global, prefix, out);
            }
        }
    }
}

pub fn conv_ty(t: &syn::Type, depth: usize) -> Ty {
    if depth > MAX_DEPTH {
        return Ty::Other("…".into());
    }
    let d = depth + 1;
    match t {
        syn::Type::Path(p) => {
            let mut path = conv_path(&p.path, d);
            if let Some(q) = &p.qself {
                path.qself = Some(Box::new(conv_ty(&q.ty, d)));
            }
            Ty::Path(path)
        }
        syn::Type::Tuple(tu) => Ty::Tuple(tu.elems.iter().map(|e| conv_ty(e, d)).collect()),
        syn::Type::Array(a) => Ty::Array(Box::new(conv_ty(&a.elem, d)), norm(a.len.to_token_stream())),
        syn::Type::Slice(s) => Ty::Slice(Box::new(conv_ty(&s.elem, d))),
        syn::Type::Reference(r) => Ty::Ref(Box::new(conv_ty(&r.elem, d))),
        syn::Type::Ptr(p) => Ty::Ptr(Box::new(conv_ty(&p.elem, d))),
        syn::Type::Paren(p) => conv_ty(&p.elem, d),
        syn::Type::Group(g) => conv_ty(&g.elem, d),
        syn::Type::FnPtr(f) => Ty::FnPtr(norm(f.to_token_stream())),
        syn::Type::TraitObject(o) => Ty::TraitObject(
            o.bounds
                .iter()
                .filter_map(|b| match b {
                    syn::TypeParamBound::Trait(tb) => Some(conv_path(&tb.path, d)),
                    _ => None,
                })
                .collect(),
        ),
        syn::Type::ImplTrait(i) => Ty::ImplTrait(norm(i.to_token_stream())),
        syn::Type::Never(_) => Ty::Never,
        syn::Type::Infer(_) => Ty::Infer,
        syn::Type::Macro(m) => Ty::Macro(norm(m.to_token_stream())),
        other => Ty::Other(norm(other.to_token_stream())),
    }
}

pub fn conv_path(p: &syn::Path, depth: usize) -> TyPath {
    let d = depth + 1;
    TyPath {
        global: p.leading_colon.is_some(),
        qself: None,
        segments: p
            .segments
            .iter()
            .map(|s| {
                let mut seg = PathSeg { name: unraw(&s.ident), args: Vec::new(), fn_sugar: false, ret: None };
                match &s.arguments {
                    syn::PathArguments::None => {}
                    syn::PathArguments::AngleBracketed(a) => {
                        seg.args.reserve_exact(a.args.len());
                        for arg in &a.args {
                            match arg {
                                syn::GenericArgument::Type(t) => seg.args.push(conv_ty(t, d)),
                                syn::GenericArgument::Const(c) => seg.args.push(Ty::Other(norm(c.to_token_stream()))),
                                syn::GenericArgument::AssocType(at) => seg.args.push(conv_ty(&at.ty, d)),
                                syn::GenericArgument::Lifetime(_) => {}
                                other => seg.args.push(Ty::Other(norm(other.to_token_stream()))),
                            }
                        }
                    }
                    syn::PathArguments::Parenthesized(pa) => {
                        seg.fn_sugar = true;
                        seg.args = pa.inputs.iter().map(|t| conv_ty(&t.ty, d)).collect();
                        if let syn::ReturnType::Type(_, t) = &pa.output {
                            seg.ret = Some(Box::new(conv_ty(t, d)));
                        }
                    }
                }
                seg
            })
            .collect(),
    }
}

/// The `<` that opens the angle brackets closed by the `>` at `close`.
fn angle_open(tts: &[TokenTree], close: usize) -> Option<usize> {
    let is = |i: usize, c: char| matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
    if !is(close, '>') {
        return None;
    }
    let mut depth = 0i32;
    let mut j = close;
    loop {
        if is(j, '>') {
            depth += 1;
        } else if is(j, '<') {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
        j = j.checked_sub(1)?;
    }
}

/// `<a::Child as Trait>`: the self type's path, when it is a plain path.
fn qualified_self(tts: &[TokenTree], open: usize, close: usize) -> Option<Vec<String>> {
    let inner = tts.get(open + 1..close)?;
    let as_at = inner.iter().position(|t| matches!(t, TokenTree::Ident(id) if id == "as"))?;
    let (segs, end) = plain_path(inner.get(..as_at)?);
    (end == as_at && !segs.is_empty()).then_some(segs)
}

/// A path of identifiers at the start of `tts` (a leading `::` allowed): its segments and where
/// it ends.
fn plain_path(tts: &[TokenTree]) -> (Vec<String>, usize) {
    let colons = |i: usize| {
        matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':')
            && matches!(tts.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
    };
    let mut i = if colons(0) { 2 } else { 0 };
    let mut segs = Vec::new();
    while let Some(TokenTree::Ident(id)) = tts.get(i) {
        segs.push(id.to_string());
        i += 1;
        if colons(i) && matches!(tts.get(i + 2), Some(TokenTree::Ident(_))) {
            i += 2;
        } else {
            break;
        }
    }
    (segs, i)
}

/// The type each argument of a call visibly builds ([`CallSite::arg_types`]).
fn arg_types(args: &Group) -> Vec<String> {
    let tts: Vec<TokenTree> = args.stream().into_iter().collect();
    if tts.is_empty() {
        return Vec::new();
    }
    let comma = |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == ',');
    let mut out: Vec<String> = tts
        .split(comma)
        .map(|arg| {
            let (segs, end) = plain_path(arg);
            let group = match arg.get(end) {
                Some(TokenTree::Group(g)) => match g.delimiter() {
                    Delimiter::Brace => Some(b'{'),
                    Delimiter::Parenthesis => Some(b'('),
                    Delimiter::Bracket => Some(b'['),
                    Delimiter::None => None,
                },
                _ => None,
            };
            visible_type(&segs, arg.len() - end, group)
        })
        .collect();
    if tts.last().is_some_and(comma) {
        out.pop();
    }
    out
}

/// What an argument made of the path `segs` followed by `rest` tokens (the first of them the
/// group `group`, if it is one) visibly builds: `Child` (a unit struct), `Child { … }`,
/// `Child::new(…)`; empty otherwise. Shared by both body readers.
pub(crate) fn visible_type(segs: &[String], rest: usize, group: Option<u8>) -> String {
    let upper = |s: &str| s.chars().next().is_some_and(char::is_uppercase);
    let Some(last) = segs.last() else { return String::new() };
    match (rest, group) {
        (0, _) if upper(last) => segs.join("::"),
        (1, Some(b'{')) if upper(last) => segs.join("::"),
        (1, Some(b'(')) if segs.len() >= 2 && !upper(last) => {
            let ty = segs.get(..segs.len() - 1).unwrap_or(&[]);
            if ty.last().is_some_and(|t| upper(t)) { ty.join("::") } else { String::new() }
        }
        _ => String::new(),
    }
}

/// The type a method call's receiver is built from, when the tokens show it: `Worker.start()`
/// (a unit struct), `Worker { … }.start()`, `Worker::new(…).start()`, `Worker::default().start()`.
fn receiver_type(tts: &[TokenTree], dot: usize) -> Option<String> {
    let ident_at = |i: usize| match tts.get(i) {
        Some(TokenTree::Ident(id)) => Some(id.to_string()),
        _ => None,
    };
    let before = dot.checked_sub(1)?;
    match tts.get(before)? {
        TokenTree::Ident(id) => {
            let s = id.to_string();
            s.chars().next().is_some_and(char::is_uppercase).then_some(s)
        }
        TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => ident_at(before.checked_sub(1)?),
        TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
            // `Type::ctor(…)`: the segment before `::ctor`.
            let ctor = before.checked_sub(1)?;
            ident_at(ctor)?;
            let colon = ctor.checked_sub(2)?;
            if matches!(tts.get(colon), Some(TokenTree::Punct(p)) if p.as_char() == ':') {
                ident_at(colon.checked_sub(1)?).filter(|s| s.chars().next().is_some_and(char::is_uppercase))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether a macro's tokens look like items (a `mod`, `struct`, `enum`, `impl`, … keyword at
/// their top level), worth trying to parse as such.
fn macro_holds_items(ts: &TokenStream) -> bool {
    ts.clone().into_iter().any(|tt| matches!(&tt, TokenTree::Ident(id) if id == "mod" || id == "use"))
}

fn body_declares_items(ts: &TokenStream) -> bool {
    ts.clone().into_iter().any(|tt| {
        matches!(&tt, TokenTree::Ident(id) if {
            let s = id.to_string();
            matches!(s.as_str(), "struct" | "enum" | "impl" | "trait" | "mod" | "union")
        })
    })
}

fn macro_idents(ts: &TokenStream) -> (Vec<String>, Vec<String>) {
    let mut declared = Vec::new();
    let mut mentioned = Vec::new();
    fn walk(ts: &TokenStream, declared: &mut Vec<String>, mentioned: &mut Vec<String>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut prev_kw = false;
        for tt in ts.clone() {
            match tt {
                TokenTree::Ident(id) => {
                    let s = id.to_string();
                    if prev_kw {
                        declared.push(s.clone());
                    }
                    prev_kw = matches!(s.as_str(), "struct" | "enum" | "type" | "union");
                    mentioned.push(s);
                }
                TokenTree::Group(g) => {
                    prev_kw = false;
                    walk(&g.stream(), declared, mentioned, depth + 1);
                }
                _ => prev_kw = false,
            }
        }
    }
    walk(ts, &mut declared, &mut mentioned, 0);
    declared.sort();
    declared.dedup();
    mentioned.sort();
    mentioned.dedup();
    (declared, mentioned)
}

/// The arms of the first `match` on `first_param` in `block`; `loc` makes a location from the
/// spans of an arm's pattern and body.
fn first_match_arms(
    block: &syn::Block,
    first_param: Option<&str>,
    loc: &dyn Fn(Span, Span) -> Loc,
) -> Option<Vec<MatchArm>> {
    let mut finder = MatchFinder { target: first_param, found: None, depth: 0 };
    syn::visit::Visit::visit_block(&mut finder, block);
    let m = finder.found?;
    let arms = m
        .arms
        .iter()
        .map(|arm| MatchArm {
            pattern: version_pattern(&arm.pat, 0),
            only_fails: only_fails(&arm.body),
            fingerprint: fingerprint(&arm.body.to_token_stream()),
            loc: loc(arm.pat.span(), arm.body.span()),
        })
        .collect();
    Some(arms)
}

struct MatchFinder<'a, 'ast> {
    target: Option<&'a str>,
    found: Option<&'ast syn::ExprMatch>,
    depth: usize,
}

impl<'ast> syn::visit::Visit<'ast> for MatchFinder<'_, 'ast> {
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if self.found.is_none() {
            if let (Some(target), syn::Expr::Path(p)) = (self.target, &*m.expr) {
                if p.path.is_ident(target) {
                    self.found = Some(m);
                }
            }
        }
        if self.depth < MAX_DEPTH {
            self.depth += 1;
            syn::visit::visit_expr_match(self, m);
            self.depth -= 1;
        }
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if self.depth < MAX_DEPTH {
            self.depth += 1;
            syn::visit::visit_expr(self, e);
            self.depth -= 1;
        }
    }
}

/// A body's summary from what a walk gathered (this reference path's or the scanner's): the
/// identifiers' hashes sorted and unique.
fn finish_body(
    fingerprint: u64,
    mut idents: Vec<u64>,
    calls: Vec<CallSite>,
    literal: Option<String>,
    match_variants: Vec<Vec<String>>,
) -> Body {
    idents.sort_unstable();
    idents.dedup();
    idents.shrink_to_fit();
    Body { fingerprint, idents, calls, literal, match_arms: None, match_variants }
}

/// What a body walk accumulates.
struct BodyWalk {
    hasher: xxhash_rust::xxh3::Xxh3,
    idents: Vec<u64>,
    calls: Vec<CallSite>,
    variants: Vec<Vec<String>>,
    /// Reused buffer for an identifier's or literal's text.
    text: String,
}

/// The paths that the arms of a `match` name at the top of their patterns (`State::V1(..)`,
/// `Self::V2 { .. } | Self::V3`), read from the tokens of the match's brace group: each arm is
/// a pattern up to `=>` (a guard `if …` is skipped), then a body up to a top-level `,` or, for a
/// block body, the end of the block.
fn arm_pattern_paths(tts: &[TokenTree], out: &mut Vec<Vec<String>>) {
    let is_punct = |i: usize, c: char| matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
    let mut i = 0;
    while i < tts.len() {
        // Pattern: alternatives separated by `|`, each possibly starting with a path.
        let mut alt_start = true;
        let mut guard = false;
        while i < tts.len() {
            if is_punct(i, '=') && is_punct(i + 1, '>') {
                i += 2;
                break;
            }
            if guard {
                i += 1;
                continue;
            }
            match tts.get(i) {
                Some(TokenTree::Ident(id)) if id == "if" => guard = true,
                Some(TokenTree::Punct(p)) if p.as_char() == '|' => {
                    alt_start = true;
                    i += 1;
                    continue;
                }
                _ if alt_start => {
                    let (path, next) = path_at(tts, i);
                    if !path.is_empty() {
                        let then_group =
                            matches!(tts.get(next), Some(TokenTree::Group(g)) if g.delimiter() != Delimiter::Bracket);
                        if path.len() >= 2 || then_group {
                            out.push(path);
                        }
                        i = next;
                        alt_start = false;
                        continue;
                    }
                }
                _ => {}
            }
            alt_start = false;
            i += 1;
        }
        // Body.
        if matches!(tts.get(i), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace) {
            i += 1;
            if is_punct(i, ',') {
                i += 1;
            }
            continue;
        }
        while i < tts.len() && !is_punct(i, ',') {
            i += 1;
        }
        i += 1;
    }
}

/// The path `a::b::C` (an optional leading `::`) starting at `i`, and the index after it.
fn path_at(tts: &[TokenTree], mut i: usize) -> (Vec<String>, usize) {
    let colons = |i: usize| {
        matches!(tts.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':')
            && matches!(tts.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
    };
    if colons(i) {
        i += 2;
    }
    let mut path = Vec::new();
    while let Some(TokenTree::Ident(id)) = tts.get(i) {
        path.push(unraw(id));
        i += 1;
        if colons(i) && matches!(tts.get(i + 2), Some(TokenTree::Ident(_))) {
            i += 2;
        } else {
            break;
        }
    }
    (path, i)
}

fn lit_u64(e: &syn::Expr) -> Option<u64> {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(i) => i.base10_parse::<u64>().ok(),
            _ => None,
        },
        _ => None,
    }
}

fn version_pattern(p: &syn::Pat, depth: usize) -> VersionPattern {
    if depth > 16 {
        return VersionPattern::Other("…".into());
    }
    match p {
        syn::Pat::Lit(l) => match &l.lit {
            syn::Lit::Int(i) => match i.base10_parse::<u64>() {
                Ok(n) => VersionPattern::Ranges(vec![(n, n)]),
                Err(_) => VersionPattern::Other(norm(p.to_token_stream())),
            },
            _ => VersionPattern::Other(norm(p.to_token_stream())),
        },
        syn::Pat::Wild(_) => VersionPattern::CatchAll,
        syn::Pat::Ident(i) if i.subpat.is_none() => VersionPattern::CatchAll,
        syn::Pat::Or(o) => {
            let mut ranges = Vec::new();
            for case in &o.cases {
                match version_pattern(case, depth + 1) {
                    VersionPattern::Ranges(r) => ranges.extend(r),
                    other => return other,
                }
            }
            VersionPattern::Ranges(ranges)
        }
        syn::Pat::Range(r) => {
            let start = r.start.as_deref().map(lit_u64);
            let end = r.end.as_deref().map(lit_u64);
            let lo = match start {
                None => 0,
                Some(Some(n)) => n,
                Some(None) => return VersionPattern::Other(norm(p.to_token_stream())),
            };
            let hi = match (end, &r.limits) {
                (None, _) => u64::MAX,
                (Some(Some(n)), syn::RangeLimits::Closed(_)) => n,
                (Some(Some(n)), syn::RangeLimits::HalfOpen(_)) => match n.checked_sub(1) {
                    Some(h) => h,
                    None => return VersionPattern::Ranges(Vec::new()),
                },
                (Some(None), _) => return VersionPattern::Other(norm(p.to_token_stream())),
            };
            VersionPattern::Ranges(vec![(lo, hi)])
        }
        syn::Pat::Paren(pp) => version_pattern(&pp.pat, depth + 1),
        other => VersionPattern::Other(norm(other.to_token_stream())),
    }
}

/// Whether an arm's body only fails: `Err(…)`, `return Err(…)`, `panic!`, `unreachable!`,
/// `todo!`, `unimplemented!`, or a block holding just one of those.
fn only_fails(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Err"))
        }
        syn::Expr::Macro(m) => m
            .mac
            .path
            .segments
            .last()
            .is_some_and(|s| matches!(unraw(&s.ident).as_str(), "panic" | "unreachable" | "todo" | "unimplemented")),
        syn::Expr::Return(r) => r.expr.as_deref().is_some_and(only_fails),
        syn::Expr::Block(b) => match b.block.stmts.as_slice() {
            [syn::Stmt::Expr(e, _)] => only_fails(e),
            [syn::Stmt::Macro(m)] => m.mac.path.segments.last().is_some_and(|s| {
                matches!(unraw(&s.ident).as_str(), "panic" | "unreachable" | "todo" | "unimplemented")
            }),
            _ => false,
        },
        syn::Expr::Paren(p) => only_fails(&p.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn parse(src: &str) -> FileSummary {
        let opts = ParseOptions { interesting_calls: vec!["spawn".into(), "spawn_linked".into()] };
        parse_file(0, "src/lib.rs".into(), src.as_bytes(), &opts)
    }

    fn variants_of(src: &str) -> Vec<Vec<String>> {
        let f = parse(src);
        let ItemKind::Fn(def) = &f.items[0].kind else { panic!() };
        def.body.match_variants.clone()
    }

    #[test]
    fn reads_match_arm_paths_from_tokens() {
        let v = variants_of(
            "fn up(s: State) -> State { if true { match s { State::V1(a) | ::m::State::V2 { a } => x(a, b), \
             Self::V3 if ok(|p, q| p) => { State::V9(0) } Some(y) => y, _ => State::V8 } } else { s } }",
        );
        let want: Vec<Vec<String>> = [vec!["State", "V1"], vec!["m", "State", "V2"], vec!["Self", "V3"], vec!["Some"]]
            .iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect();
        assert_eq!(v, want);
        // Paths built in arm bodies or outside a match are not patterns.
        assert!(variants_of("fn f(s: State) -> State { let t = State::V1(1); t }").is_empty());
        // A `match` in a `code_change` body and nested matches count too.
        assert_eq!(variants_of("fn f(s: S) { match a { S::A => match b { S::B => {} } } }").len(), 2);
    }

    /// Every function body of `src`, summarised by the fast scanner and by the reference (a
    /// comment holding `/*ERROR*/` makes the scanner decline the file), with differences.
    fn fast_and_reference_differ(src: &str) -> Vec<String> {
        let opts = ParseOptions {
            interesting_calls: vec!["spawn".into(), "start".into(), "snapshot".into(), "message".into(), "f".into()],
        };
        let fast = parse_file(0, "a.rs".into(), src.as_bytes(), &opts);
        let slow = parse_file(0, "a.rs".into(), format!("{src}\n// /*ERROR*/\n").as_bytes(), &opts);
        assert!(scan::scan(src, 0, &opts).is_some() || fast.error.is_some(), "the scanner declined");
        fn bodies(f: &FileSummary) -> Vec<(String, String)> {
            let mut out = Vec::new();
            for item in &f.items {
                let fns: Vec<&FnDef> = match &item.kind {
                    ItemKind::Fn(d) => vec![d],
                    ItemKind::Impl(i) => i.fns.iter().collect(),
                    _ => vec![],
                };
                for d in fns {
                    let b = &d.body;
                    let calls: Vec<String> = b
                        .calls
                        .iter()
                        .map(|c| {
                            format!(
                                "{:?}{}{}{:?}{:?}{:?}{:?}{:?}",
                                c.path, c.func, c.method, c.receiver, c.generics, c.str_args, c.arg_types, c.loc
                            )
                        })
                        .collect();
                    out.push((
                        format!("{}:{}", d.name, d.loc.line),
                        format!(
                            "{:x} {:?} {:?} {:?} {:?}",
                            b.fingerprint, b.idents, calls, b.literal, b.match_variants
                        ),
                    ));
                }
            }
            out
        }
        if fast.error.is_some() != slow.error.is_some() {
            return vec![format!("error: fast {:?} / syn {:?}", fast.error, slow.error)];
        }
        let (a, b) = (bodies(&fast), bodies(&slow));
        assert_eq!(a.len(), b.len());
        let mut diffs: Vec<String> =
            a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, y)| format!("fast {x:?}\nslow {y:?}")).collect();
        // Everything else the item reader produces: items in order, inner attributes.
        let items = |f: &FileSummary| -> Vec<String> {
            let mut out: Vec<String> = f.items.iter().map(|i| format!("{i:?}")).collect();
            out.push(format!("{:?}", f.inner_attrs));
            out
        };
        let (a, b) = (items(&fast), items(&slow));
        if a.len() != b.len() {
            diffs.push(format!("{} items from the fast path, {} from syn", a.len(), b.len()));
        }
        // Where the two first differ, with some context.
        let around = |x: &str, y: &str| {
            let at = x.bytes().zip(y.bytes()).take_while(|(p, q)| p == q).count();
            let from = x.floor_char_boundary(at.saturating_sub(150));
            let cut = |s: &str| s.get(from..s.ceil_char_boundary((at + 100).min(s.len()))).unwrap_or("").to_string();
            format!("fast …{}\nslow …{}", cut(x), cut(y))
        };
        diffs.extend(a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, y)| around(x, y)));
        diffs
    }

    #[test]
    fn spawn_calls_name_their_actor_by_path_or_argument() {
        let src = "fn f() { Typed::<u8>::spawn(None, Typed::default(), ()); <Probe as Actor>::spawn(None, a::Probe, ()); \
                   Actor::spawn(None, Probe { x: 1 }, (),); Actor::spawn(); x.spawn(id, make(), B); }";
        let opts = ParseOptions { interesting_calls: vec!["spawn".into()] };
        for text in [src.to_string(), format!("{src}\n// /*ERROR*/\n")] {
            let f = parse_file(0, "a.rs".into(), text.as_bytes(), &opts);
            let ItemKind::Fn(d) = &f.items[0].kind else { panic!() };
            let got: Vec<(Vec<String>, Vec<String>)> =
                d.body.calls.iter().map(|c| (c.path.clone(), c.arg_types.clone())).collect();
            let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            assert_eq!(
                got,
                [
                    (v(&["Typed"]), v(&["None", "Typed", ""])),
                    (v(&["Probe"]), v(&["None", "a::Probe", ""])),
                    (v(&["Actor"]), v(&["None", "Probe", ""])),
                    (v(&["Actor"]), v(&[])),
                    (v(&[]), v(&["", "", "B"])),
                ]
            );
        }
    }

    #[test]
    fn fast_body_scanner_agrees_with_the_reference() {
        let src = r##"
/// doc
pub fn numbers() -> f64 { let a = 1..2; let b = 1.0e-5 + 2.5f32 as f64 + 0x1F_u8 as f64 + 1_000 + 3.; let c = 1.max(2); let d = 2.0.powi(2); let t = (1, 2).0 + x.0.1; a.start as f64 + b }
fn chars<'a>(s: &'a str) -> char { let _l: &'static str = "x"; 'outer: loop { break 'outer; } let c = 'x'; let e = '\n'; let u = '\u{1F600}'; let q = '\''; let b = b'x'; let bs = b"bytes\"q"; let r = r#"raw "str""#; let br = br"raw"; let cs = c"c"; 'é' }
fn docs() {
    /// inner doc on a statement
    let x = 1;
    //! odd inner doc
    /** block doc */
    let y = 2; /* plain /* nested */ comment */ //// not doc
    /*! inner block */
    x + y
}
fn calls() { Counter::spawn(None, Counter, ()); actor.start(); Worker { a: 1 }.start(); Worker::new(1).start(); t.snapshot::<Snap, Ev<u8>>("s").message::<X>("m", 2); f(vec![1, 2,], (3, 4,),); }
fn spawns() { Typed::<u8>::spawn(None, Typed::default(), ()); <Probe as Actor>::spawn(None, a::Probe, ()); Actor::spawn(None, Probe { x: 1 }, (),); ractor::Actor::spawn(None, Probe::new(), ()); Actor::spawn(); ::ractor::Actor::spawn(Some(n), P, f(x)); <Vec<u8> as X>::spawn(); }
fn arms(s: State) -> State { match s { State::V1(a) | Self::V2 { a, } => x(a), State::V3 if ok(|p, q| p) => { State::V9 } _ => State::V8, } }
fn unicode() { let naïve = "ü"; let r#type = 1; r#type + naïve.len() }
fn literal() -> u16 { 2 }
fn trailing(a: (u8, u8,),) { let v = [1, 2, 3,]; }
impl X { fn m(&self) -> Vec<u8> { self.0.iter().map(|x| x + 1).collect::<Vec<_>>() } fn code_change(v: u16) -> Self { match v { 1 => Self, _ => todo!() } } }
fn items() { struct Inner; impl Inner { fn inner() { spawn(); } } }
fn macros() { println!("{}", 1); let s = format!("{x:?}"); assert_eq!(a, b, "msg {}", c); vec![0u8; 4]; }
fn generic<T: Into<u8>>(t: T) -> impl Fn() -> u8 where T: Clone { move || 1 }
fn weird() { let _ = a as *const u8; let _ = &mut *b; x?.y; !z; -1i32; a << 2 >> 3; a -> b; c => d; e :: f; $g; #h; @i; ~j; }
"##;
        let opts = ParseOptions::default();
        assert!(parse_file(0, "a.rs".into(), src.as_bytes(), &opts).error.is_none());
        let cut = scan::scan(src, 0, &opts).map(|s| s.bodies.len());
        assert_eq!(cut, Some(13), "the scanner cuts every body but those declaring items and code_change");
        let diffs = fast_and_reference_differ(src);
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
        // CRLF line endings.
        let diffs = fast_and_reference_differ(&src.replace('\n', "\r\n"));
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    }

    #[test]
    fn fast_items_agree_with_syn() {
        let src = r##"//! Crate docs.
#![allow(dead_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
extern crate alloc;
extern crate self as me;
extern crate serde as sd;
use std::{collections::{HashMap, BTreeMap as Map}, fmt::{self, Debug}, io::*};
use ::core::mem;
pub use crate::a::b as _;
pub(crate) use super::x::{self as y};
use r#type::r#match;
/** Block docs with "quotes" and \ backslash. */
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "t")]
#[cfg_attr(feature = "x", derive(Eq), serde(default))]
pub struct Named<'a, T: Clone + 'a, const N: usize = 3> where T: Debug {
    /// A field.
    pub a: &'a mut T,
    pub(crate) b: [u8; N],
    c: Option<Box<dyn Fn(u8) -> u8 + Send + 'static>>,
    d: HashMap<String, Vec<(u32, i64,)>>,
    e: *const u8, f: fn(u8) -> u8, g: (), h: (u8), i: ::std::string::String,
    #[serde(with = "x", skip_serializing_if = "Option::is_none")] j: Option<u8>,
    k: impl Sized, l: <T as Iterator>::Item, m: [u8; 2 * N], n: Vec<[u8; 4]>, o: &'static [&'a str],
    p: Foo<N, { N + 1 }>, q: Bar<Item = u8>, r: !, s: _, t: std::sync::Arc<dyn std::any::Any>,
    u: m!(x), v: Rc<RefCell<Self>>, w: PhantomData<fn() -> T>,
}
pub struct Tuple(pub u8, pub(crate) String, pub (u8, u16), #[serde(skip)] Vec<u8>);
struct Unit;
struct WithWhere<T>(T) where T: Clone;
struct Lazy<T, F = fn() -> T> { cell: Cell<T>, init: F }
#[repr(u8)]
pub enum Kind<T> where T: Copy {
    #[default] A = 1, B = 1 << 3, C(T, u8), D { x: u8, #[serde(rename = "why")] y: String }, E = -2, F = consts::G,
}
pub type Alias<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
type Plain = u8;
pub unsafe trait Tr<T: ?Sized>: Send + Fn() -> u8 where T: Clone { #![allow(unused)] type A; fn f(&self) -> u8 { 1 } }
auto trait Marker {}
pub const VERSION: u16 = 2;
const _: () = assert!(true);
pub(super) const SEMVER: Version = Version::new(1, 2, 3);
const WORDS: &[&str] = &["a", "b"];
static mut COUNTER: u32 = 0;
pub static NAMES: [&str; 2] = ["a", "b"];
pub async fn spawn_it(mut a: u8, (b, c): (u8, u8), _: u8, ref d: String, Wrapper(e): Wrapper, x @ ..: &[u8]) -> Result<(), String> { Ok(()) }
pub const unsafe extern "C" fn raw(p: *mut u8) -> i32 { 0 }
fn generic<T: Into<u8>, U>(t: T) -> impl Fn() -> u8 where T: Clone { move || 1 }
fn receivers() {}
mod inline {
    #![doc = "inner"]
    use super::*;
    pub mod deeper { pub fn f() {} }
}
#[path = "other.rs"]
mod elsewhere;
#[cfg_attr(target_os = "linux", path = "linux.rs")]
mod platform;
extern "C" { fn abs(x: i32) -> i32; static errno: i32; }
impl<'a, T: Clone> Named<'a, T> {
    #![allow(clippy::all)]
    pub const MAX: usize = 10;
    /// Doc.
    #[inline]
    pub fn new(a: &'a mut T) -> Self { todo!() }
    fn by_ref(&self) {} fn by_mut(&mut self) {} fn by_val(self) {} fn boxed(self: Box<Self>) {} fn lt(&'a self) {} fn mut_val(mut self) {}
    async unsafe fn both(&self) {}
    my_macro!(x);
    other::mac! { y }
}
impl<T> Actor for Worker<T> where T: Send + 'static {
    type Msg = Message<T>;
    type State = (u8, String);
    type Arguments = ();
    async fn handle(&self, msg: Self::Msg, state: &mut Self::State) -> Result<(), ActorProcessingErr> { Ok(()) }
}
impl !Send for Unit {}
unsafe impl Sync for Unit {}
impl<T> From<T> for Tuple where T: Into<u8> { fn from(t: T) -> Self { Tuple(t.into(), String::new(), (0, 0), vec![]) } }
impl dyn Tr<u8> {}
impl MyTrait for fn() -> u8 { type Output = u8; }
impl<F: Fn(u8) -> u8> Apply for F {}
macro_rules! make {
    ($name:ident) => { struct $name; };
}
make!(Generated);
lazy_static::lazy_static! {
    /// A doc comment inside a macro, with "quotes", a tab	 and é.
    static ref TABLE: Vec<u8> = vec![1, 2, 3,];
}
bitflags! { pub struct Flags: u32 { const A = 1; } }
impl Snapshot {
    pub fn code_change(from: u32, bytes: &[u8]) -> Result<Self, String> { match from { 1 => Ok(Self::v1(bytes)?),
        2 | 3 => {
            /// A doc comment on a statement.
            let naïve = decode(bytes);
            Ok(naïve)
        }
        4..=6 => Err("too old".into()),
        _ => unreachable!(),
    } }
}
"##;
        let opts = ParseOptions::default();
        for text in [src.to_string(), src.replace('\n', "\r\n")] {
            let Some(mut scanned) = scan::scan_file(&text, 0, &opts) else { panic!("the scanner declined the file") };
            let read = items::read(&text, &mut scanned, 0);
            assert!(read.is_some(), "the item reader declined at byte {}", items::DECLINED_AT.get());
            let diffs = fast_and_reference_differ(&text);
            assert!(diffs.is_empty(), "{}", diffs.join("\n"));
        }
    }

    /// Forms where the item reader would differ from syn's path: it leaves the file to syn, which
    /// reads a qualified impl self type, the items a nameless macro holds, and the items among a
    /// `code_change` body's statements.
    #[test]
    fn forms_left_to_syn() {
        let opts = ParseOptions::default();
        for src in [
            "impl <Vec<u8>>::Assoc {}\n",
            "impl <T as Tr>::X {}\n",
            "macro_rules! { mod not_a_macro; }\n",
            "pub fn code_change(v: u16) -> u16 { use std::cmp::max; match v { _ => max(v, 1) } }\n",
        ] {
            let Some(mut scanned) = scan::scan_file(src, 0, &opts) else { panic!("the scanner declined {src}") };
            assert!(items::read(src, &mut scanned, 0).is_none(), "the item reader took {src}");
            assert!(parse_file(0, "a.rs".into(), src.as_bytes(), &opts).error.is_none(), "{src}");
        }
        let generic = "impl<T: Clone> Tr for Wrap<T> {}\nimpl<'a> Tr for &'a u8 {}\nimpl<> Tr for u8 {}\n";
        let Some(mut scanned) = scan::scan_file(generic, 0, &opts) else { panic!("the scanner declined") };
        assert!(items::read(generic, &mut scanned, 0).is_some(), "generics are still read");
    }

    /// `fn() -> T` in a struct's generics or an impl's self type is a type, not a function: what
    /// follows keeps its fields and items (both paths once cut the braces as a "body").
    #[test]
    fn a_fn_pointer_type_is_not_a_function() {
        let src = "struct Lazy<T, F = fn() -> T> { cell: T, init: F }\nimpl Tr for fn() -> u8 { type Output = u8; }\n";
        for text in [src.to_string(), format!("{src}// /*ERROR*/\n")] {
            let f = parse_file(0, "a.rs".into(), text.as_bytes(), &ParseOptions::default());
            let ItemKind::Type(def) = &f.items[0].kind else { panic!("{:?}", f.items) };
            assert_eq!(def.fields.len(), 2, "{text}");
            let ItemKind::Impl(imp) = &f.items[1].kind else { panic!("{:?}", f.items) };
            assert_eq!(imp.assoc_types.len(), 1, "{text}");
        }
    }

    /// With `HOTLINT_DIFF_DIR` set, every `.rs` file below it (a real repository): the fast
    /// scanner must summarise every body as the reference does.
    #[test]
    fn fast_body_scanner_agrees_on_a_directory() {
        let Some(dir) = std::env::var_os("HOTLINT_DIFF_DIR") else { return };
        let (mut files, mut declined, mut items_declined, mut unchecked, mut failed) = (0, 0, 0, 0, Vec::new());
        for entry in walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "rs") || path.components().any(|c| c.as_os_str() == "target") {
                continue;
            }
            let Ok(src) = std::fs::read_to_string(path) else { continue };
            files += 1;
            let Some(mut scanned) = scan::scan_file(&src, 0, &ParseOptions::default()) else {
                declined += 1;
                continue;
            };
            if items::read(&src, &mut scanned, 0).is_none() {
                items_declined += 1;
                if std::env::var_os("HOTLINT_DIFF_DECLINED").is_some() {
                    let at = items::DECLINED_AT.get();
                    let line = src.get(..at).map_or(0, |b| b.matches('\n').count() + 1);
                    let text: String = src.get(at..).unwrap_or("").chars().take(70).collect();
                    eprintln!("declined {}:{line}: {}", path.display(), text.replace('\n', "⏎"));
                }
            }
            let diffs = std::panic::catch_unwind(|| fast_and_reference_differ(&src));
            match diffs {
                Ok(d) if d.is_empty() => {}
                // Syntax the item reader skips without checking (a where clause, a bound, a trait
                // body, a static's initialiser), which syn refuses: counted, not a difference.
                Ok(d) if d.first().is_some_and(|e| e.starts_with("error: fast None")) => {
                    unchecked += 1;
                    if std::env::var_os("HOTLINT_DIFF_DECLINED").is_some() {
                        eprintln!("unchecked {}: {}", path.display(), d.first().cloned().unwrap_or_default());
                    }
                }
                Ok(d) => failed.push(format!("{}: {}", path.display(), d.first().cloned().unwrap_or_default())),
                Err(_) => failed.push(format!("{}: panicked", path.display())),
            }
        }
        eprintln!(
            "{files} files, {declined} declined by the scanner, {items_declined} more by the item reader, \
             {unchecked} refused by syn in what the item reader skips, {} differ",
            failed.len()
        );
        assert!(failed.is_empty(), "{}", failed.iter().take(12).cloned().collect::<Vec<_>>().join("\n"));
    }

    #[test]
    fn records_turbofish_calls() {
        let opts = ParseOptions { interesting_calls: vec!["snapshot".into(), "message".into()] };
        let f = parse_file(0, "a.rs".into(), b"impl P for A { fn configure(t: &mut J<Self>) { t.snapshot::<Snap>(\"s\").message::<Ev<u8>, X>(\"m\"); } }", &opts);
        let ItemKind::Impl(imp) = &f.items[0].kind else { panic!() };
        let calls = &imp.fns[0].body.calls;
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].generics, vec!["Snap"]);
        assert_eq!(calls[0].str_args, vec!["s"]);
        assert_eq!(calls[1].generics, vec!["Ev < u8 >", "X"]);
        assert!(calls[1].method);
    }

    #[test]
    fn skips_bodies_but_keeps_calls_and_items() {
        let f = parse(
            "fn main() { let x = Counter::spawn(None, Counter, ()); }\n\
             fn with_items() { struct Inner { a: u8 } }\n\
             impl Foo { fn code_change(from: u32, s: S) -> S { match from { 1 | 2 => s, 3..=5 => s, _ => panic!() } } }",
        );
        assert!(f.error.is_none(), "{:?}", f.error);
        let ItemKind::Fn(main) = &f.items[0].kind else { panic!() };
        assert_eq!(main.body.calls.len(), 1);
        assert_eq!(main.body.calls[0].path, vec!["Counter"]);
        assert!(matches!(&f.items[1].kind, ItemKind::Fn(_)));
        assert_eq!(f.items[2].parent, Some(1));
        let ItemKind::Impl(imp) = &f.items[3].kind else { panic!() };
        let arms = imp.fns[0].body.match_arms.as_ref().unwrap();
        assert_eq!(arms[0].pattern, VersionPattern::Ranges(vec![(1, 1), (2, 2)]));
        assert_eq!(arms[1].pattern, VersionPattern::Ranges(vec![(3, 5)]));
        assert_eq!(arms[2].pattern, VersionPattern::CatchAll);
        assert!(arms[2].only_fails);
    }

    #[test]
    fn body_syntax_syn_rejects_does_not_fail_the_file() {
        let f = parse("fn f() { let x = 1 +; }\nstruct S;");
        assert!(f.error.is_none());
        assert_eq!(f.items.len(), 2);
    }

    #[test]
    fn reports_parse_errors_with_location() {
        let f = parse("struct S {\n  a: u8,\n  b: ,\n}");
        let e = f.error.unwrap();
        assert_eq!(e.loc.unwrap().line, 3);
    }

    #[test]
    fn cfg_attr_is_unwrapped() {
        let f = parse(
            "#[cfg_attr(feature = \"serde\", derive(Serialize, Deserialize), serde(rename_all = \"camelCase\"))] struct S { a: u8 }",
        );
        let attrs = &f.items[0].attrs;
        assert_eq!(attrs.len(), 2);
        assert!(attrs[0].is("derive"));
        assert_eq!(attrs[0].cfg.as_deref(), Some("feature = \"serde\""));
        assert_eq!(attrs[1].list()[0].value_str(), Some("camelCase"));
    }

    #[test]
    fn allow_comments() {
        let f = parse(
            "// hotlint: allow(actor-without-migration) -- rebuilt on start\nstruct S;\n// hotlint: allow(HL001)\n",
        );
        assert_eq!(f.allows.len(), 2);
        assert_eq!(f.allows[0].reason.as_deref(), Some("rebuilt on start"));
        assert!(f.allows[1].reason.is_none());
    }

    #[test]
    fn allows_inside_strings_are_text() {
        let f = parse(
            "const A: &str = \"x\n// hotlint: allow(HL001) -- no\n\";\nconst B: &str = r#\"\n// hotlint: allow(HL001) -- no\n\"#;\n// hotlint: allow(HL001) -- yes\nstruct S;",
        );
        assert_eq!(f.allows.len(), 1);
        assert_eq!(f.allows[0].line, 7);
    }

    #[test]
    fn items_inside_a_cfg_macro_are_declared_where_it_stands() {
        let f = parse(
            "macro_rules! cfg_rt { ($($i:item)*) => { $($i)* } }\ncfg_rt! {\n    pub mod runtime;\n    pub struct S;\n}\n",
        );
        assert!(
            f.items.iter().any(|i| matches!(&i.kind, ItemKind::Mod(m) if m.name == "runtime") && i.parent.is_none())
        );
        // A type the macro may emit stays opaque: not declared.
        assert!(!f.items.iter().any(|i| matches!(&i.kind, ItemKind::Type(t) if t.name == "S")));
    }

    #[test]
    fn shebang_and_bom() {
        let f = parse("\u{feff}#!/usr/bin/env run\nstruct S;");
        assert!(f.error.is_none(), "{:?}", f.error);
        assert_eq!(f.items[0].loc.line, 2);
    }
}
