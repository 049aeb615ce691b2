use std::collections::BTreeMap;

use kameo::prelude::*;
use serde::{Deserialize, Serialize};

/// Stock and reservations per SKU for one site.
#[derive(Actor, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Warehouse {
    pub site: String,
    pub on_hand: BTreeMap<String, u32>,
    /// Units promised to orders that have not shipped yet.
    pub reserved: BTreeMap<String, u32>,
}

impl Warehouse {
    pub const STATE_VERSION: u32 = 1;

    /// Reads a saved warehouse, whichever release wrote it.
    pub fn restore(version: u32, json: &str) -> Result<Self, String> {
        if version == Self::STATE_VERSION {
            serde_json::from_str(json).map_err(|e| e.to_string())
        } else {
            Self::code_change(version, json)
        }
    }

    /// Upgrades state saved by an older release. Version 1 is the first: nothing to read yet.
    pub fn code_change(from: u32, _json: &str) -> Result<Self, String> {
        match from {
            other => Err(format!("no migration from state version {other}")),
        }
    }

    /// What the node stores when it shuts down: the version beside the JSON.
    pub fn save(&self) -> Result<(u32, String), String> {
        Ok((Self::STATE_VERSION, serde_json::to_string(self).map_err(|e| e.to_string())?))
    }

    fn available(&self, sku: &str) -> u32 {
        let on_hand = self.on_hand.get(sku).copied().unwrap_or(0);
        on_hand.saturating_sub(self.reserved.get(sku).copied().unwrap_or(0))
    }
}

pub struct Receive {
    pub sku: String,
    pub quantity: u32,
}

impl Message<Receive> for Warehouse {
    type Reply = u32;

    async fn handle(&mut self, msg: Receive, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        let level = self.on_hand.entry(msg.sku).or_default();
        *level += msg.quantity;
        *level
    }
}

pub struct Reserve {
    pub order: u64,
    pub sku: String,
    pub quantity: u32,
}

impl Message<Reserve> for Warehouse {
    type Reply = Result<(), String>;

    async fn handle(&mut self, msg: Reserve, _ctx: &mut Context<Self, Self::Reply>) -> Self::Reply {
        if self.available(&msg.sku) < msg.quantity {
            return Err(format!("order {}: not enough `{}` at {}", msg.order, msg.sku, self.site));
        }
        *self.reserved.entry(msg.sku).or_default() += msg.quantity;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_reads_what_save_wrote() {
        let mut w = Warehouse { site: "lyon".into(), ..Warehouse::default() };
        w.on_hand.insert("bolt-m6".into(), 40);
        let (version, json) = w.save().unwrap();
        assert_eq!(Warehouse::restore(version, &json).unwrap(), w);
        assert!(Warehouse::code_change(0, &json).is_err());
    }
}
