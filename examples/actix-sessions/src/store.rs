use std::collections::HashMap;
use std::path::PathBuf;

use actix::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user: String,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
}

/// The actor is its own state: sessions by token.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionStore {
    pub sessions: HashMap<String, Session>,
    pub issued: u64,
    #[serde(skip)]
    pub path: PathBuf,
}

/// What is written to disk: the state version beside the state.
#[derive(Serialize, Deserialize)]
struct SavedFile {
    version: u32,
    state: serde_json::Value,
}

impl SessionStore {
    pub const STATE_VERSION: u32 = 1;

    /// Reads the file the previous release wrote, or starts empty.
    pub fn load(path: PathBuf) -> Result<Self, String> {
        let mut store = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let saved: SavedFile = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                if saved.version == Self::STATE_VERSION {
                    serde_json::from_value(saved.state).map_err(|e| e.to_string())?
                } else {
                    Self::code_change(saved.version, saved.state)?
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SessionStore::default(),
            Err(e) => return Err(e.to_string()),
        };
        store.path = path;
        Ok(store)
    }

    /// Upgrades state saved by an older release. Version 1 is the first: nothing to read yet.
    pub fn code_change(from: u32, _state: serde_json::Value) -> Result<Self, String> {
        match from {
            other => Err(format!("no migration from state version {other}")),
        }
    }

    fn save(&self) -> Result<(), String> {
        let state = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let text = serde_json::to_string(&SavedFile { version: Self::STATE_VERSION, state }).map_err(|e| e.to_string())?;
        std::fs::write(&self.path, text).map_err(|e| e.to_string())
    }
}

impl Actor for SessionStore {
    type Context = Context<Self>;

    fn stopping(&mut self, _ctx: &mut Self::Context) -> Running {
        if let Err(e) = self.save() {
            eprintln!("sessions not saved: {e}");
        }
        Running::Stop
    }
}

#[derive(Message)]
#[rtype(result = "String")]
pub struct Login {
    pub user: String,
    pub now: u64,
}

impl Handler<Login> for SessionStore {
    type Result = String;

    fn handle(&mut self, msg: Login, _ctx: &mut Self::Context) -> String {
        self.issued += 1;
        let token = format!("{:016x}-{}", msg.now, self.issued);
        self.sessions.insert(token.clone(), Session { user: msg.user, expires_at: msg.now + 3600 });
        token
    }
}

#[derive(Message)]
#[rtype(result = "Option<String>")]
pub struct WhoIs {
    pub token: String,
    pub now: u64,
}

impl Handler<WhoIs> for SessionStore {
    type Result = Option<String>;

    fn handle(&mut self, msg: WhoIs, _ctx: &mut Self::Context) -> Option<String> {
        let session = self.sessions.get(&msg.token)?;
        (session.expires_at > msg.now).then(|| session.user.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_change_refuses_unknown_versions() {
        assert!(SessionStore::code_change(0, serde_json::json!({})).is_err());
    }
}
