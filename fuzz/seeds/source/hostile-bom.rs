use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::state::sessions::Sessions;
use crate::state::CounterState;

pub struct Counter;

pub enum CounterMsg {
    Add(u64),
    Reset,
}

// The state type is in another module and carries a migration: nothing to report.
impl Actor for Counter {
    type Msg = CounterMsg;
    type State = CounterState;
    type Arguments = ();

    async fn pre_start(&self, _me: ActorRef<Self::Msg>, _: ()) -> Result<Self::State, ActorProcessingErr> {
        Ok(CounterState { count: 0, resets: 0 })
    }
}

pub struct Registry;

pub enum RegistryMsg {
    Join(String),
}

// The state type lives two modules away, in `state/sessions.rs`, and has no version.
impl Actor for Registry { //~ HL001
    type Msg = RegistryMsg;
    type State = Sessions;
    type Arguments = ();

    async fn pre_start(&self, _me: ActorRef<Self::Msg>, _: ()) -> Result<Self::State, ActorProcessingErr> {
        Ok(Sessions { by_user: Default::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Probe;

    struct ProbeState {
        seen: Vec<u64>,
    }

    // Test-only actors are listed, never reported.
    impl Actor for Probe {
        type Msg = u64;
        type State = ProbeState;
        type Arguments = ();

        async fn pre_start(&self, _me: ActorRef<u64>, _: ()) -> Result<ProbeState, ActorProcessingErr> {
            Ok(ProbeState { seen: Vec::new() })
        }
    }
}
