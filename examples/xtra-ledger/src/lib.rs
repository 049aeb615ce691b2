//! An xtra actor that keeps an account ledger. Every few seconds it writes itself to a
//! checkpoint with postcard, a compact positional format: field names are not stored, so the
//! order and types of the fields are what the next release must read. Versioned with hotlint's
//! convention.

pub mod ledger;
