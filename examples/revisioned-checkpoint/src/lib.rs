//! Checkpoints of a batch importer, stored with the `revision` crate. No actor framework here:
//! a type that declares a version (`#[revisioned(revision = N)]`) is persisted by intent, and
//! hotlint tracks it wherever it is. `revision` writes the revision number first and reads each
//! field according to the revision it finds, so a layout change needs a new revision and a rule
//! for every field that changed (`start`, `end`, `default_fn`, `convert_fn`).

pub mod checkpoint;
