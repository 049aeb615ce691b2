//! Actor states versioned by the `revision` crate, by `obake`, and by a versioned serde enum.

use ractor::{Actor, ActorProcessingErr, ActorRef};
use revision::revisioned;
use serde::{Deserialize, Serialize};

pub struct Vault;

#[revisioned(revision = 2)]
pub struct VaultState {
    pub secrets: Vec<String>,
    #[revision(start = 2)]
    pub sealed: bool,
}

impl Actor for Vault {
    type Msg = ();
    type State = VaultState;
    type Arguments = ();

    async fn pre_start(&self, _me: ActorRef<()>, _: ()) -> Result<VaultState, ActorProcessingErr> {
        Ok(VaultState { secrets: Vec::new(), sealed: false })
    }
}

pub struct Tuner;

#[obake::versioned]
#[obake(version("0.1.0"))]
#[obake(version("0.2.0"))]
#[derive(Serialize, Deserialize)]
pub struct Settings { //~ HL004
    pub volume: u8,
    #[obake(cfg(">=0.2"))]
    pub balance: i8,
}

impl From<Settings!["0.1.0"]> for Settings!["0.2.0"] {
    fn from(old: Settings!["0.1.0"]) -> Self {
        Self { volume: old.volume, balance: 0 }
    }
}

impl Actor for Tuner {
    type Msg = ();
    type State = Settings;
    type Arguments = ();
}

pub struct Journal;

#[derive(Serialize, Deserialize)]
pub struct JournalV1 {
    pub entries: Vec<String>,
}

#[derive(Serialize, Deserialize)]
pub struct JournalV2 {
    pub entries: Vec<(u64, String)>,
}

/// A serde enum with one variant per version of the state.
#[derive(Serialize, Deserialize)]
pub enum JournalState { //~ HL004
    V1(JournalV1),
    V2(JournalV2),
}

impl From<JournalV1> for JournalV2 {
    fn from(old: JournalV1) -> Self {
        JournalV2 { entries: old.entries.into_iter().enumerate().map(|(i, e)| (i as u64, e)).collect() }
    }
}

impl Actor for Journal {
    type Msg = String;
    type State = JournalState;
    type Arguments = ();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_state_reads_revision_one() {
        let _ = VaultState { secrets: Vec::new(), sealed: false };
    }
}
