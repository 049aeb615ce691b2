use serde::{Deserialize, Serialize};
use xtra::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub account: u32,
    pub amount_cents: i64,
    pub memo: String,
}

/// The actor is its own state.
#[derive(xtra::Actor, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub entries: Vec<Entry>,
    pub balance_cents: i64,
}

impl Ledger {
    pub const STATE_VERSION: u32 = 1;

    /// A checkpoint: the state version, then the postcard bytes of the state.
    pub fn checkpoint(&self) -> Result<Vec<u8>, postcard::Error> {
        let mut out = Self::STATE_VERSION.to_le_bytes().to_vec();
        out.extend(postcard::to_allocvec(self)?);
        Ok(out)
    }

    pub fn restore(checkpoint: &[u8]) -> Result<Self, String> {
        let (version, bytes) = checkpoint.split_at_checked(4).ok_or("checkpoint too short")?;
        let version = u32::from_le_bytes(version.try_into().map_err(|_| "bad version")?);
        if version == Self::STATE_VERSION {
            postcard::from_bytes(bytes).map_err(|e| e.to_string())
        } else {
            Self::code_change(version, bytes)
        }
    }

    /// Upgrades a checkpoint of an older release. Version 1 is the first: nothing to read yet.
    pub fn code_change(from: u32, _bytes: &[u8]) -> Result<Self, String> {
        match from {
            other => Err(format!("no migration from state version {other}")),
        }
    }
}

pub struct Post(pub Entry);

impl Handler<Post> for Ledger {
    type Return = i64;

    async fn handle(&mut self, Post(entry): Post, _ctx: &mut Context<Self>) -> i64 {
        self.balance_cents += entry.amount_cents;
        self.entries.push(entry);
        self.balance_cents
    }
}

pub struct Checkpoint;

impl Handler<Checkpoint> for Ledger {
    type Return = Result<Vec<u8>, postcard::Error>;

    async fn handle(&mut self, _: Checkpoint, _ctx: &mut Context<Self>) -> Self::Return {
        self.checkpoint()
    }
}

/// Starts the ledger from its last checkpoint.
pub fn start(checkpoint: Option<&[u8]>) -> Result<Address<Ledger>, String> {
    let ledger = match checkpoint {
        Some(bytes) => Ledger::restore(bytes)?,
        None => Ledger::default(),
    };
    Ok(xtra::spawn_tokio(ledger, Mailbox::unbounded()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_reads_checkpoint() {
        let entry = Entry { account: 7, amount_cents: 1250, memo: "rent".into() };
        let ledger = Ledger { entries: vec![entry], balance_cents: 1250 };
        assert_eq!(Ledger::restore(&ledger.checkpoint().unwrap()).unwrap(), ledger);
        assert!(Ledger::code_change(0, &[]).is_err());
    }
}
