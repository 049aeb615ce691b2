//! hotlint's own convention: `const STATE_VERSION` + `fn code_change(from: u32, …)`.

use std::collections::HashMap;

use ractor::Actor;

/// The version is a path to a constant of the workspace.
pub const CURSOR_VERSION: u32 = 4;

pub struct Cursor {
    pub offset: u64,
}

impl Cursor {
    const STATE_VERSION: u32 = CURSOR_VERSION;

    /// A range arm; the catch-all only fails, so it is no path.
    pub fn code_change(from: u32, offset: u64) -> Cursor {
        match from {
            1..=3 => Cursor { offset },
            other => panic!("cursor state version {other} is unknown"),
        }
    }
}

pub struct Reader;

impl Actor for Reader {
    type Msg = ();
    type State = Cursor;
    type Arguments = ();
}

/// The state is not the crate's own type: the version sits on the actor.
pub struct Directory;

impl Directory {
    pub const STATE_VERSION: u32 = 2;

    pub fn code_change(from: u32, old: Vec<(String, u64)>) -> Result<HashMap<String, u64>, String> {
        match from {
            1 => Ok(old.into_iter().collect()),
            _ => Err(format!("no directory migration from {from}")),
        }
    }
}

impl Actor for Directory {
    type Msg = ();
    type State = HashMap<String, u64>;
    type Arguments = ();
}

/// `code_change` without `STATE_VERSION` declares no version: not a migration.
pub struct Draft {
    pub text: String,
}

impl Draft {
    pub fn code_change(from: u32, text: String) -> Draft {
        match from {
            _ => Draft { text },
        }
    }
}

pub struct Editor;

impl Actor for Editor { //~ HL001
    type Msg = ();
    type State = Draft;
    type Arguments = ();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_and_directory_migrate() {
        assert_eq!(Cursor::code_change(2, 9).offset, 9);
        assert!(Directory::code_change(1, Vec::new()).is_ok());
    }
}
