use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

/// Sent by gateway nodes to the node that owns the book.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub client: String,
    pub side: Side,
    pub price_cents: u64,
    pub quantity: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CancelOrder {
    pub order_id: u64,
}
