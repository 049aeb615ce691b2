//! A coerce persistent actor: a wallet whose deposits and withdrawals are journal events and
//! whose balance is snapshotted every few operations. Coerce replays both on recovery, possibly
//! in a newer release than the one that wrote them, so every type registered in `configure` is
//! persisted state. The snapshot is a versioned serde enum, one variant per layout.

pub mod wallet;
