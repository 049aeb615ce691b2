use ractor::Actor;
pub struct Tree { pub children: Vec<Tree>, pub parent: Option<Box<Tree>>, pub other: Forest }
pub struct Forest { pub trees: std::collections::BTreeMap<String, Tree>, pub list: List<Forest> }
pub enum List<T> { Nil, Cons(T, Box<List<T>>) }
pub struct Wrapper<T>(pub Box<Wrapper<Wrapper<T>>>, pub T);
pub struct RecState { pub tree: Tree, pub w: Wrapper<u8>, pub me: Option<Box<RecState>> }
impl RecState { const STATE_VERSION: u32 = 1; fn code_change(from: u32, old: RecState) -> RecState { old } }
pub struct RecActor;
impl Actor for RecActor { type Msg = (); type State = RecState; type Arguments = (); }
