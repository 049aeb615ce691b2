use std::collections::HashMap;

use ractor::{Actor, ActorProcessingErr, ActorRef};

/// Which node each signed-in user is connected to.
pub struct Registry;

pub enum RegistryMsg {
    Join { user: String, node: u32 },
    Leave { user: String },
}

pub struct Sessions {
    pub by_user: HashMap<String, u32>,
}

impl Actor for Registry {
    type Msg = RegistryMsg;
    type State = Sessions;
    type Arguments = ();

    async fn pre_start(&self, _me: ActorRef<Self::Msg>, _: ()) -> Result<Self::State, ActorProcessingErr> {
        Ok(Sessions { by_user: HashMap::new() })
    }

    async fn handle(&self, _me: ActorRef<Self::Msg>, msg: Self::Msg, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
        match msg {
            RegistryMsg::Join { user, node } => {
                state.by_user.insert(user, node);
            }
            RegistryMsg::Leave { user } => {
                state.by_user.remove(&user);
            }
        }
        Ok(())
    }
}
