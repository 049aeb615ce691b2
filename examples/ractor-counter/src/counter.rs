use ractor::{Actor, ActorProcessingErr, ActorRef};
use serde::{Deserialize, Serialize};

pub struct Counter;

pub enum CounterMsg {
    Add(u64),
    Snapshot,
}

/// Written to disk with bincode on every `Snapshot`, read back in `pre_start`.
#[derive(Serialize, Deserialize)]
pub struct CounterState {
    pub count: u64,
    pub resets: u32,
}

impl CounterState {
    const STATE_VERSION: u32 = 2;

    /// Called by `pre_start` when the stored snapshot carries an older version.
    pub fn code_change(from: u32, bytes: &[u8]) -> Result<Self, String> {
        match from {
            1 => {
                let count: u64 = bincode::deserialize(bytes).map_err(|e| e.to_string())?;
                Ok(CounterState { count, resets: 0 })
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
            None => Ok(CounterState { count: 0, resets: 0 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_change_reads_version_1() {
        let old = bincode::serialize(&7u64).unwrap();
        let s = CounterState::code_change(1, &old).unwrap();
        assert_eq!(s.count, 7);
    }
}
