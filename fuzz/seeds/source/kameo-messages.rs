//! Messages: `impl Message<M> for A` (0.5+), `#[messages]` blocks (0.6+), the `#[actor]`
//! attribute of 0.3-0.5, and `Query`.

use kameo::message::{Context, Message};
use kameo::{messages, Actor};

#[derive(Actor)]
pub struct Thermostat { //~ HL001
    pub target: f32,
}

pub struct SetTarget(pub f32);

pub struct ReadTarget;

impl Message<SetTarget> for Thermostat {
    type Reply = ();

    async fn handle(&mut self, msg: SetTarget, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        self.target = msg.0;
    }
}

impl kameo::message::Message<ReadTarget> for Thermostat {
    type Reply = f32;

    async fn handle(&mut self, _msg: ReadTarget, _ctx: &mut Context<Self, Self::Reply>) -> f32 {
        self.target
    }
}

#[derive(Actor)]
pub struct Odometer { //~ HL001
    pub km: u64,
}

// Each `#[message]` method generates a message struct named after it.
#[messages]
impl Odometer {
    #[message]
    pub fn drive(&mut self, km: u64) -> u64 {
        self.km += km;
        self.km
    }

    #[message(derive(Clone))]
    pub fn reset(&mut self) {
        self.km = 0;
    }

    /// Not a message: no `#[message]` attribute.
    pub fn km(&self) -> u64 {
        self.km
    }
}

#[derive(Actor)]
pub struct Scale { //~ HL001
    pub grams: u32,
}

// kameo 0.3-0.5 spelled `#[messages]` as `#[actor]`.
#[kameo::actor]
impl Scale {
    #[message]
    pub fn put(&mut self, grams: u32) {
        self.grams += grams;
    }
}
