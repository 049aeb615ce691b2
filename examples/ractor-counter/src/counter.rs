use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::{Deserialize, Serialize};

pub struct Counter;

pub enum CounterMsg {
    Add(u64),
    Reset,
    /// Replies with what the store keeps: the state version and the state's bincode bytes.
    Snapshot(RpcReplyPort<(u32, Vec<u8>)>),
}

/// Written to disk with bincode on every `Snapshot`, read back in `pre_start`.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CounterState {
    pub count: u64,
    pub resets: u32,
}

impl CounterState {
    pub const STATE_VERSION: u32 = 2;

    /// Called by `pre_start` when the stored snapshot carries an older version.
    pub fn code_change(from: u32, bytes: &[u8]) -> Result<Self, String> {
        match from {
            // Version 1 stored the bare count.
            1 => {
                let count: u64 = bincode::deserialize(bytes).map_err(|e| e.to_string())?;
                Ok(CounterState { count, ..CounterState::default() })
            }
            _ => Err(format!("no migration from state version {from}")),
        }
    }
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = CounterState;
    type Arguments = Option<(u32, Vec<u8>)>;

    async fn pre_start(&self, _me: ActorRef<Self::Msg>, stored: Self::Arguments) -> Result<Self::State, ActorProcessingErr> {
        match stored {
            Some((v, bytes)) if v == CounterState::STATE_VERSION => Ok(bincode::deserialize(&bytes)?),
            Some((v, bytes)) => Ok(CounterState::code_change(v, &bytes)?),
            None => Ok(CounterState::default()),
        }
    }

    async fn handle(&self, _me: ActorRef<Self::Msg>, msg: Self::Msg, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
        match msg {
            CounterMsg::Add(n) => state.count += n,
            CounterMsg::Reset => {
                state.count = 0;
                state.resets += 1;
            }
            CounterMsg::Snapshot(reply) => {
                reply.send((CounterState::STATE_VERSION, bincode::serialize(state)?))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_change_reads_version_1() {
        let old = bincode::serialize(&7u64).unwrap();
        let s = CounterState::code_change(1, &old).unwrap();
        assert_eq!(s, CounterState { count: 7, resets: 0 });
    }
}
