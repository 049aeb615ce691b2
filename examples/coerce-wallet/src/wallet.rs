use async_trait::async_trait;
use coerce::actor::context::ActorContext;
use coerce::actor::message::Handler;
use coerce::persistent::journal::types::JournalTypes;
use coerce::persistent::{PersistentActor, Recover, RecoverSnapshot};
use coerce_macros::{JsonMessage, JsonSnapshot};
use serde::{Deserialize, Serialize};

/// Snapshot after this many journal events, so recovery replays at most that many.
const SNAPSHOT_EVERY: u64 = 100;

pub struct Wallet {
    pub owner: String,
    pub balance_cents: i64,
    pub operations: u64,
}

#[derive(JsonMessage, Serialize, Deserialize)]
#[result("()")]
pub struct Deposit {
    pub amount_cents: i64,
}

#[derive(JsonMessage, Serialize, Deserialize)]
#[result("Result<(), String>")]
pub struct Withdraw {
    pub amount_cents: i64,
}

/// Every layout the wallet's snapshot has had; a new layout is a new variant.
#[derive(JsonSnapshot, Serialize, Deserialize)]
pub enum WalletSnapshot {
    V1(SnapshotV1),
}

#[derive(Serialize, Deserialize)]
pub struct SnapshotV1 {
    pub balance_cents: i64,
    pub operations: u64,
}

#[async_trait]
impl PersistentActor for Wallet {
    fn persistence_key(&self, _ctx: &ActorContext) -> String {
        format!("wallet-{}", self.owner)
    }

    fn configure(types: &mut JournalTypes<Self>) {
        types
            .snapshot::<WalletSnapshot>("wallet-snapshot")
            .message::<Deposit>("wallet-deposit")
            .message::<Withdraw>("wallet-withdraw");
    }
}

impl Wallet {
    fn apply(&mut self, delta_cents: i64) {
        self.balance_cents += delta_cents;
        self.operations += 1;
    }

    async fn snapshot_if_due(&self, ctx: &mut ActorContext) {
        if self.operations % SNAPSHOT_EVERY == 0 {
            let snapshot = SnapshotV1 { balance_cents: self.balance_cents, operations: self.operations };
            let _ = self.snapshot(WalletSnapshot::V1(snapshot), ctx).await;
        }
    }
}

#[async_trait]
impl Handler<Deposit> for Wallet {
    async fn handle(&mut self, message: Deposit, ctx: &mut ActorContext) {
        if self.persist(&message, ctx).await.is_ok() {
            self.apply(message.amount_cents);
            self.snapshot_if_due(ctx).await;
        }
    }
}

#[async_trait]
impl Handler<Withdraw> for Wallet {
    async fn handle(&mut self, message: Withdraw, ctx: &mut ActorContext) -> Result<(), String> {
        if message.amount_cents > self.balance_cents {
            return Err(format!("balance {} is below {}", self.balance_cents, message.amount_cents));
        }
        self.persist(&message, ctx).await.map_err(|e| format!("{e:?}"))?;
        self.apply(-message.amount_cents);
        self.snapshot_if_due(ctx).await;
        Ok(())
    }
}

#[async_trait]
impl Recover<Deposit> for Wallet {
    async fn recover(&mut self, message: Deposit, _ctx: &mut ActorContext) {
        self.apply(message.amount_cents);
    }
}

#[async_trait]
impl Recover<Withdraw> for Wallet {
    async fn recover(&mut self, message: Withdraw, _ctx: &mut ActorContext) {
        self.apply(-message.amount_cents);
    }
}

#[async_trait]
impl RecoverSnapshot<WalletSnapshot> for Wallet {
    async fn recover(&mut self, snapshot: WalletSnapshot, _ctx: &mut ActorContext) {
        match snapshot {
            WalletSnapshot::V1(s) => {
                self.balance_cents = s.balance_cents;
                self.operations = s.operations;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot as release 1 writes it: the variant name is the layout's version.
    #[test]
    fn wallet_snapshot_v1_reads_back() {
        let json = r#"{"V1":{"balance_cents":500,"operations":100}}"#;
        let WalletSnapshot::V1(s) = serde_json::from_str(json).unwrap();
        assert_eq!((s.balance_cents, s.operations), (500, 100));
    }
}
