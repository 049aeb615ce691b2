use ractor::Actor;
macro_rules! make_state { ($name:ident, $($field:ident : $ty:ty),*) => { pub struct $name { $(pub $field: $ty),* } }; }
make_state!(MacroState, a: u32, b: String);
macro_rules! gen { ($($t:tt)*) => { $($t)* } }
gen! { pub struct Generated { pub x: u8 } }
pub struct Holder { pub m: MacroState, pub n: Generated }
pub struct HolderActor;
impl Actor for HolderActor { type Msg = (); type State = Holder; type Arguments = (); }
