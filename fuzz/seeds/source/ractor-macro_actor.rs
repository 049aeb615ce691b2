//! ractor 0.16's attribute macro: `#[ractor::actor(message = …, state = …)]` on an inherent impl.

use ractor::ActorProcessingErr;

pub struct Bell;

pub struct BellState {
    pub rung: u32,
}

// The macro generates `enum BellMsg` from the handlers; the state is `BellState`.
#[ractor::actor(message = pub enum BellMsg, state = BellState)]
impl Bell { //~ HL001
    #[message(BellMsg::Ring)]
    async fn ring(&self, state: &mut BellState) -> Result<(), ActorProcessingErr> {
        state.rung += 1;
        Ok(())
    }
}

pub enum BeaconMsg {
    Flash,
}

pub struct Beacon;

// No `state = …`: the macro's default state is `()`.
#[ractor::actor(message = BeaconMsg)]
impl Beacon {
    #[message(BeaconMsg::Flash)]
    async fn flash(&self) -> Result<(), ActorProcessingErr> {
        Ok(())
    }
}

pub struct Lamp;

pub struct LampState {
    pub lumens: u32,
}

impl LampState {
    pub const STATE_VERSION: u32 = 1;

    pub fn code_change(from: u32, lumens: u32) -> Result<LampState, String> {
        match from {
            0 => Ok(LampState { lumens }),
            other => Err(format!("unknown lamp state version {other}")),
        }
    }
}

// The macros crate's own path, and a thread-local actor.
#[ractor_macros::actor(message = u32, state = LampState, thread_local)]
impl Lamp {}
