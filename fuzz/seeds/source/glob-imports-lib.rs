//! Glob imports of external paths, the idiomatic imports of actix, kameo, xtra and riker
//! (`use actix::prelude::*;`), and a glob that must not disturb the module's other imports.
//!
//! A regression fixture: a glob of an external path written without a leading `::` once made
//! the crate name in the glob's own path resolve through the globs being resolved
//! (`use ractor::*` became `ractor::ractor::*`), and poisoned every relative external path of
//! the module, so none of these actors was found.

/// The actix idiom.
pub mod actix_prelude {
    use actix::prelude::*;

    pub struct Account {
        pub balance: u64,
    }

    impl Actor for Account { //~ HL001
        type Context = Context<Self>;
    }
}

/// The kameo idiom: the derive comes through the prelude glob.
pub mod kameo_prelude {
    use kameo::prelude::*;

    #[derive(Actor)]
    pub struct Room { //~ HL001
        pub members: Vec<String>,
    }
}

/// The xtra idiom.
pub mod xtra_prelude {
    use xtra::prelude::*;

    pub struct Queue {
        pub jobs: Vec<String>,
    }

    impl Actor for Queue { //~ HL001
        type Stop = ();

        async fn stopped(self) {}
    }
}

/// The riker idiom.
pub mod riker_actors {
    use riker::actors::*;

    #[derive(Default)]
    pub struct Logbook {
        pub lines: Vec<String>,
    }

    impl Actor for Logbook { //~ HL001
        type Msg = String;

        fn recv(&mut self, _ctx: &Context<String>, msg: String, _sender: Sender) {
            self.lines.push(msg);
        }
    }
}

/// A glob of the crate root.
pub mod ractor_root {
    use ractor::*;

    pub struct Beacon;

    pub struct BeaconState {
        pub pulses: u64,
    }

    impl Actor for Beacon { //~ HL001
        type Msg = ();
        type State = BeaconState;
        type Arguments = ();
    }
}

/// An unrelated glob poisons a named import of the same module.
pub mod poisoned {
    use std::collections::*;

    use ractor::Actor;

    pub struct Census;

    pub struct CensusState {
        pub by_city: HashMap<String, u64>,
    }

    impl Actor for Census { //~ HL001
        type Msg = ();
        type State = CensusState;
        type Arguments = ();
    }
}
