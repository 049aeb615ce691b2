//! A ractor counter whose state is snapshotted with bincode and versioned with hotlint's
//! convention (`STATE_VERSION` + `code_change`), and a session registry whose state is not
//! versioned. `cargo hotlint` reports the registry: nothing carries its state across an upgrade.

pub mod counter;
pub mod registry;
