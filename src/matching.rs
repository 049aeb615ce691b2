//! Matching items across revisions (SPEC §4 "Selection at a base"). Input: one head item's
//! canonical path and name, and the base's items. Output: its base counterpart, if any.
//!
//! An item keeps its counterpart by canonical path; one whose path changed (a module moved, a
//! package renamed, merged or split) is matched as a move when exactly one base item of that
//! name remains whose path no longer exists at the head. The comparison (types), `plan`
//! (actors) and the rules that pair removed with added items all pair this way, so they never
//! disagree on what moved. Pure functions: no I/O, no model.

/// The base counterpart of a head item at `path` named `name`: the base item at the same path,
/// else the only base item named `name` whose path the head no longer has (`at_head`).
/// `base` yields (item, canonical path, name).
pub fn counterpart<'a, T: Copy>(
    path: &str,
    name: &str,
    base: impl Iterator<Item = (T, &'a str, &'a str)>,
    at_head: impl Fn(&str) -> bool,
) -> Option<T> {
    let mut moved = None;
    let mut candidates = 0;
    for (item, base_path, base_name) in base {
        if base_path == path {
            return Some(item);
        }
        if base_name == name && !at_head(base_path) {
            candidates += 1;
            moved = Some(item);
        }
    }
    if candidates == 1 { moved } else { None }
}

/// The last segment of a canonical path (`a::b::Counter` → `Counter`).
pub fn name_of(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn base() -> Vec<(u32, &'static str, &'static str)> {
        vec![(0, "proto::Join", "Join"), (1, "proto::Leave", "Leave"), (2, "node::Leave", "Leave")]
    }

    #[test]
    fn same_path_wins_then_a_unique_move() {
        let at_head = |p: &str| p == "node::Leave";
        assert_eq!(counterpart("proto::Join", "Join", base().into_iter(), at_head), Some(0));
        // `proto::Join` is gone at the head: `node::proto::Join` is its move.
        assert_eq!(counterpart("node::proto::Join", "Join", base().into_iter(), at_head), Some(0));
        // `node::Leave` still exists at the head: only `proto::Leave` can have moved.
        assert_eq!(counterpart("node::wire::Leave", "Leave", base().into_iter(), at_head), Some(1));
        // Two candidates: no guess.
        assert_eq!(counterpart("node::wire::Leave", "Leave", base().into_iter(), |_| false), None);
        assert_eq!(counterpart("node::Other", "Other", base().into_iter(), |_| false), None);
    }
}
