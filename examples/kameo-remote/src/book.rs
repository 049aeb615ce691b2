use std::collections::BTreeMap;

use kameo::prelude::*;

use crate::messages::{CancelOrder, PlaceOrder, Side};

pub struct Resting {
    pub client: String,
    pub side: Side,
    pub price_cents: u64,
    pub quantity: u32,
}

/// Resting orders by id. Reachable from other nodes under the name "order-book".
#[derive(Actor, RemoteActor, Default)]
pub struct OrderBook {
    next_id: u64,
    resting: BTreeMap<u64, Resting>,
}

#[remote_message]
impl Message<PlaceOrder> for OrderBook {
    type Reply = Result<u64, String>;

    async fn handle(&mut self, msg: PlaceOrder, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        if msg.quantity == 0 {
            return Err("quantity must be positive".into());
        }
        self.next_id += 1;
        let order = Resting { client: msg.client, side: msg.side, price_cents: msg.price_cents, quantity: msg.quantity };
        self.resting.insert(self.next_id, order);
        Ok(self.next_id)
    }
}

#[remote_message]
impl Message<CancelOrder> for OrderBook {
    type Reply = bool;

    async fn handle(&mut self, msg: CancelOrder, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        self.resting.remove(&msg.order_id).is_some()
    }
}

/// Starts the book and makes it reachable from other nodes.
pub async fn serve() -> Result<ActorRef<OrderBook>, Box<dyn std::error::Error>> {
    let book = OrderBook::spawn(OrderBook::default());
    book.register("order-book").await?;
    Ok(book)
}
