//! Hand-written `impl Actor` blocks of several kameo releases.

use std::convert::Infallible;

use kameo::actor::{Actor, ActorRef};
use kameo::error::BoxError;

/// kameo 0.17+: `type Args`, `type Error`, `on_start(args, actor_ref) -> Result<Self, _>`.
pub struct Session {
    pub user: String,
    pub opened_at: u64,
}

impl Actor for Session { //~ HL001
    type Args = Self;
    type Error = Infallible;

    async fn on_start(args: Self::Args, _actor_ref: ActorRef<Self>) -> Result<Self, Self::Error> {
        Ok(args)
    }
}

/// kameo 0.10-0.15: `type Mailbox`, `on_start(&mut self, ActorRef<Self>)`.
pub struct Heartbeat {
    pub beats: u64,
}

impl kameo::Actor for Heartbeat { //~ HL001
    type Mailbox = kameo::mailbox::bounded::BoundedMailbox<Self>;

    async fn on_start(&mut self, _actor_ref: ActorRef<Self>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Versioned with hotlint's convention on the actor itself (it is its own state).
pub struct Ledger {
    pub balance: i64,
    pub currency: String,
}

impl Ledger {
    pub const STATE_VERSION: u32 = 2;

    pub fn code_change(from: u32, balance: i64) -> Result<Ledger, String> {
        match from {
            1 => Ok(Ledger { balance, currency: "EUR".into() }),
            _ => Err(format!("no migration from {from}")),
        }
    }
}

impl kameo::prelude::Actor for Ledger {
    type Args = Self;
    type Error = Infallible;

    async fn on_start(args: Self, _actor_ref: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(args)
    }
}

/// A generic actor.
pub struct Buffer<T> {
    pub items: Vec<T>,
}

impl<T: Send + Sync + 'static> Actor for Buffer<T> { //~ HL001
    type Args = Self;
    type Error = Infallible;

    async fn on_start(args: Self, _actor_ref: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_from_version_one() {
        assert_eq!(Ledger::code_change(1, 5).unwrap().balance, 5);
    }
}
