//! A kameo order book that other nodes reach through kameo's remote messaging. During a rolling
//! deploy, nodes running the old and the new release send each other `PlaceOrder` and
//! `CancelOrder`: each message type must stay readable in both directions.

pub mod book;
pub mod messages;
