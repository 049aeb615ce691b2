//! A kameo actor that keeps a warehouse's stock levels. The actor is its own state: the node
//! saves it as JSON when it shuts down (`Warehouse::save`) and the next release reads it back
//! (`Warehouse::restore`), so its layout is part of the contract between releases. It is versioned with hotlint's convention (`STATE_VERSION`
//! and `code_change`).

pub mod warehouse;
