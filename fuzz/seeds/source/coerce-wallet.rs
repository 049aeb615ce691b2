//! A persistent actor: journal messages and snapshots registered in `configure` are persisted
//! by coerce and replayed on recovery.

use async_trait::async_trait;
use coerce::actor::context::ActorContext;
use coerce::actor::message::Handler;
use coerce::persistent::journal::types::JournalTypes;
use coerce::persistent::{PersistentActor, Recover, RecoverSnapshot};
use coerce::remote::system::RemoteActorSystem;
use coerce_macros::{JsonMessage, JsonSnapshot};
use serde::{Deserialize, Serialize};

pub struct Wallet {
    pub balance: i64,
}

#[derive(JsonMessage, Serialize, Deserialize)]
#[result("()")]
pub struct Credit {
    pub amount: i64,
}

#[derive(JsonSnapshot, Serialize, Deserialize)]
pub struct WalletSnapshot {
    pub balance: i64,
}

#[async_trait]
impl PersistentActor for Wallet { //~ HL001
    fn configure(types: &mut JournalTypes<Self>) {
        types.snapshot::<WalletSnapshot>("wallet-snapshot").message::<Credit>("wallet-credit");
    }
}

#[async_trait]
impl Handler<Credit> for Wallet {
    async fn handle(&mut self, message: Credit, ctx: &mut ActorContext) {
        if self.persist(&message, ctx).await.is_ok() {
            self.balance += message.amount;
        }
    }
}

#[async_trait]
impl Recover<Credit> for Wallet {
    async fn recover(&mut self, message: Credit, _ctx: &mut ActorContext) {
        self.balance += message.amount;
    }
}

#[async_trait]
impl RecoverSnapshot<WalletSnapshot> for Wallet {
    async fn recover(&mut self, snapshot: WalletSnapshot, _ctx: &mut ActorContext) {
        self.balance = snapshot.balance;
    }
}

/// Registers `Credit` as a remote message of `Wallet`, under a string id.
pub async fn remote_system() -> RemoteActorSystem {
    RemoteActorSystem::builder()
        .with_handlers(|h| h.with_handler::<Wallet, Credit>("Wallet.Credit"))
        .build()
        .await
}
