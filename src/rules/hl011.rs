//! HL011 encoding-ambiguous: a serialized tracked type whose encoding could not be inferred to
//! one class; verdicts use the strictest candidate.

use crate::findings::{Anchor, Draft};
use crate::model::Model;

pub fn check(m: &Model) -> Vec<Draft> {
    let mut out = Vec::new();
    for (ty, enc) in &m.encodings {
        if !(enc.ambiguous || enc.assumed) {
            continue;
        }
        let Some(t) = m.tracked.get(ty) else { continue };
        if !m.is_serialized(*ty) {
            continue;
        }
        let Some(entry) = m.index.type_entry(*ty) else { continue };
        let Some(item) = m.index.item(entry.item) else { continue };
        let mut d = if enc.ambiguous {
            Draft::new(format!("encoding of `{}` is ambiguous: {}", entry.name, enc.source))
        } else {
            Draft::new(format!(
                "encoding of `{}` could not be inferred: no serde format among its crate's dependencies",
                entry.name
            ))
        };
        d.package = m.package_of_file(entry.item.file);
        d.primary(item.loc, "tracked type defined here");
        d.ty = Some(t.path.clone());
        d.anchors.push(Anchor { file: item.loc.file, first_line: item.first_line, header_line: item.loc.line });
        if enc.ambiguous {
            d.notes.push(format!(
                "hotlint judges changes with the strictest candidate, `{}`, so nothing is missed",
                enc.class.as_str()
            ));
        } else {
            d.notes.push("hotlint assumed `named` (a self-describing format)".into());
        }
        d.help = Some(format!(
            "say how it is stored: `[encoding]\\n\"{}\" = \"positional\"` (or `positional-varint`, `named`, `memory`) in hotlint.toml",
            t.path
        ));
        d.key = format!("encoding:{}:{}", t.path, if enc.ambiguous { "ambiguous" } else { "none" });
        out.push(d);
    }
    out
}
