use serde::{Deserialize, Serialize};
use ractor::Actor;
#[derive(Serialize, Deserialize)]
pub struct Ledger { pub total: u64, pub owner: String }
impl Ledger {
    const STATE_VERSION: u32 = 1;
    fn code_change(from: u32, old: Vec<u8>) -> Result<Self, String> { match from { 1 => bincode::deserialize(&old).map_err(|e| e.to_string()), _ => Err("unknown".into()) } }
}
#[derive(Serialize, Deserialize)]
pub enum LedgerMsg { Add(u64), Reset, Rename { to: String } }
pub struct LedgerActor;
impl Actor for LedgerActor { type Msg = LedgerMsg; type State = Ledger; type Arguments = (); }
