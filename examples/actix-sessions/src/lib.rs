//! An actix actor holding the sessions of a web front end. On shutdown it writes itself to disk
//! as JSON; the next release reads that file back in `SessionStore::load`, so users stay signed
//! in across a deploy. The state is versioned with hotlint's convention.

pub mod store;
