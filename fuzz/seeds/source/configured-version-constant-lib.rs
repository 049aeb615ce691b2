//! Regression (fixed): a `[[track]] version = "crate::CONST"` entry is a migration convention of its
//! own (SPEC §2, "configured version constant"; rules/migrations/configured-constant.toml), so
//! the state it versions has a versioned migration. Today the tracked type has
//! `"migration": null` and HL001 fires on `impl Actor for Warehouse` (src/lib.rs:23);
//! expected: no finding, and the actor's migration convention `configured-constant`
//! (version 7). The same for the `savefile` convention (SPEC §2: its version is declared
//! with `[[track]] version`): today HL001 on `impl Actor for Cartographer` (src/lib.rs:47);
//! expected: no finding, migration `savefile` (version 2).

use ractor::Actor;
use serde::{Deserialize, Serialize};

/// Passed to the snapshot writer; bumped whenever the tree under `Inventory` changes.
pub const SNAPSHOT_VERSION: u32 = 7;

#[derive(Serialize, Deserialize)]
pub struct Inventory {
    pub items: Vec<(String, u32)>,
}

pub struct Warehouse;

impl Actor for Warehouse {
    type Msg = ();
    type State = Inventory;
    type Arguments = ();
}

/// The same with the `savefile` convention: fields carry the versions they exist in.
pub mod saved {
    use ractor::Actor;
    use savefile_derive::Savefile;

    /// Passed to `savefile::save_file(path, ATLAS_VERSION, &atlas)`.
    pub const ATLAS_VERSION: u32 = 2;

    #[derive(Savefile)]
    pub struct Atlas {
        pub maps: Vec<String>,
        #[savefile_versions = "2.."]
        #[savefile_default_val = "1"]
        pub scale: u32,
    }

    pub struct Cartographer;

    impl Actor for Cartographer {
        type Msg = ();
        type State = Atlas;
        type Arguments = ();
    }
}
