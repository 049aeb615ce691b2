//! HL012 encoding-unsupported: a tracked type stored with a positional format that uses serde
//! attributes only self-describing formats can read back (`tag`, `untagged`, `flatten`,
//! `skip_serializing_if`), on the type or anything in its shape. Broken today.

use std::collections::BTreeMap;

use crate::encoding::Class;
use crate::findings::{Anchor, Draft};
use crate::ir::Loc;
use crate::model::Model;

/// An offending attribute: where, which, in which type, the tracked types it breaks, the format.
type Hit = (Loc, &'static str, u32, Vec<(String, bool)>, String);

pub fn check(m: &Model) -> Vec<Draft> {
    // One finding per offending attribute, noting every tracked type it breaks.
    let mut hits: BTreeMap<(u32, u32, u32), Hit> = BTreeMap::new();
    for (ty, t) in &m.tracked {
        let Some(enc) = m.encodings.get(ty) else { continue };
        let Some(format) = positional_format(enc) else { continue };
        if !m.is_serialized(*ty) {
            continue;
        }
        for &member in &t.closure.types {
            let Some(entry) = m.index.type_entry(member) else { continue };
            let Some(item) = m.index.item(entry.item) else { continue };
            for (attr, loc) in crate::encoding::positional_breakers(item) {
                let slot = hits
                    .entry((loc.file, loc.line, loc.col))
                    .or_insert_with(|| (loc, attr, member, Vec::new(), format.clone()));
                slot.3.push((t.path.clone(), enc.ambiguous));
            }
        }
    }
    let mut out = Vec::new();
    for (_, (loc, attr, member, tracked, format)) in hits {
        let Some(entry) = m.index.type_entry(member) else { continue };
        let mut d = Draft::new(format!(
            "`#[serde({attr})]` in `{}` cannot be read back by a positional format ({format})",
            entry.name
        ));
        d.package = m.package_of_file(loc.file);
        d.primary(loc, "this attribute needs a self-describing format");
        if let Some(item) = m.index.item(entry.item) {
            d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
        }
        let ambiguous = tracked.iter().any(|(_, a)| *a);
        for (t, candidate) in &tracked {
            d.notes.push(if *candidate {
                format!("`{t}` reaches this type, and {format} is one of the formats that may store it (HL011): if it does, this does not read back")
            } else {
                format!("`{t}` is stored with {format} and reaches this type")
            });
        }
        if ambiguous {
            d.notes.push("if another of its candidate formats stores it, say so with `[encoding]` in hotlint.toml and this finding goes away".into());
        }
        d.ty = Some(entry.path.clone());
        d.help = Some(match attr {
            "skip_serializing_if" => "remove `skip_serializing_if`: positional formats need every field on the wire (an `Option` field is already encoded compactly)".into(),
            "flatten" => "replace `flatten` with a nested field, or store this type with a self-describing format (serde_json, rmp-serde with names, ciborium)".into(),
            _ => "use the default externally tagged representation, or store this type with a self-describing format (serde_json, rmp-serde with names, ciborium)".into(),
        });
        d.key = format!("positional-breaker:{}:{attr}", entry.path);
        out.push(d);
    }
    out
}

/// The positional format the type is (or may be) stored with, if any.
fn positional_format(enc: &crate::encoding::Encoding) -> Option<String> {
    // Several formats among the dependencies (HL011): a positional one among them is enough
    // (SPEC §1, "a positional candidate"): verdicts use the strictest candidate, and a type that
    // the positional format cannot read back is broken if that format stores it. The finding says
    // it is a candidate, and `[encoding]` settles it.
    if enc.candidates.is_empty() {
        return (enc.class.is_positional() && !enc.assumed).then(|| enc.class.as_str().to_string());
    }
    // Configuration, conventions and profiles decide outright; otherwise a positional candidate
    // among the dependencies is enough (the strictest candidate is used).
    if !enc.source.contains("among the dependencies") && !enc.source.contains("self-describing") {
        return enc.class.is_positional().then(|| enc.class.as_str().to_string());
    }
    enc.candidates
        .iter()
        .find(|(c, _)| matches!(c, Class::Positional | Class::PositionalVarint))
        .map(|(_, n)| n.clone())
}
