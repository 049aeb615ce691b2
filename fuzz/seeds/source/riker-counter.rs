use riker::actor::{actor, Actor, BasicActorRef, Context, Receive, Sender};

#[derive(Clone, Debug)]
pub struct Add(pub i32);

#[derive(Clone, Debug)]
pub struct Sub(pub i32);

/// `#[actor(Add, Sub)]` generates `enum CounterMsg { Add(Add), Sub(Sub) }` and the dispatch.
#[actor(Add, Sub)]
#[derive(Default)]
pub struct Counter {
    pub count: i32,
}

impl Actor for Counter { //~ HL001
    type Msg = CounterMsg;

    fn recv(&mut self, ctx: &Context<CounterMsg>, msg: CounterMsg, sender: Sender) {
        self.receive(ctx, msg, sender);
    }
}

impl Receive<Add> for Counter {
    type Msg = CounterMsg;

    fn receive(&mut self, _ctx: &Context<CounterMsg>, msg: Add, _sender: Option<BasicActorRef>) {
        self.count += msg.0;
    }
}

impl Receive<Sub> for Counter {
    type Msg = CounterMsg;

    fn receive(&mut self, _ctx: &Context<CounterMsg>, msg: Sub, _sender: Option<BasicActorRef>) {
        self.count -= msg.0;
    }
}
