//! Versioned serde enums, and an enum with newtype variants that is not one.

use ractor::Actor;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct PlayerOld {
    pub score: u32,
}

#[derive(Serialize, Deserialize)]
pub struct PlayerNew {
    pub score: u64,
    pub rank: u8,
}

/// Internally tagged, the versions named by `rename`, not by the variants' names.
#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum StoredPlayer {
    #[serde(rename = "1")]
    Legacy(PlayerOld),
    #[serde(rename = "2")]
    Current(PlayerNew),
}

impl From<PlayerOld> for PlayerNew {
    fn from(old: PlayerOld) -> Self {
        PlayerNew { score: old.score.into(), rank: 0 }
    }
}

pub struct Game;

impl Actor for Game {
    type Msg = ();
    type State = StoredPlayer;
    type Arguments = ();
}

#[derive(Serialize, Deserialize)]
pub struct Idle {
    pub since: u64,
}

#[derive(Serialize, Deserialize)]
pub struct Busy {
    pub job: String,
}

/// Phases of a state machine, not versions of a state.
#[derive(Serialize, Deserialize)]
pub enum Phase {
    Idle(Idle),
    Busy(Busy),
}

pub struct Machine;

impl Actor for Machine { //~ HL001
    type Msg = ();
    type State = Phase;
    type Arguments = ();
}
