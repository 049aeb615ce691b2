//! A ractor counter whose state is snapshotted with bincode, and a session registry whose
//! state is not. `cargo hotlint` reports the registry: nothing carries its state across an
//! upgrade.

pub mod counter;
pub mod registry;
