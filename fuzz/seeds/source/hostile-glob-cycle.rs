use ractor::Actor;
pub mod a { pub use super::b::*; pub struct InA { pub x: u8 } }
pub mod b { pub use super::a::*; }
pub mod c { pub use super::c::*; pub use crate::*; }
pub use self::*;
pub struct GlobState { pub v: b::InA, pub w: c::a::InA }
pub struct GlobActor;
impl Actor for GlobActor { type Msg = (); type State = GlobState; type Arguments = (); }
