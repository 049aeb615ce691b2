use actix::{Actor, Context, Handler};

use crate::messages::{Audit, Balance, Close, Deposit};

pub struct Account {
    pub balance: u64,
    pub history: Vec<u64>,
}

impl Actor for Account { //~ HL001
    type Context = Context<Self>;
}

impl Handler<Deposit> for Account {
    type Result = u64;

    fn handle(&mut self, msg: Deposit, _ctx: &mut Context<Self>) -> u64 {
        self.balance += msg.amount;
        self.history.push(msg.amount);
        self.balance
    }
}

impl actix::Handler<Balance> for Account {
    type Result = u64;

    fn handle(&mut self, _msg: Balance, _ctx: &mut Self::Context) -> u64 {
        self.balance
    }
}

impl actix::prelude::Handler<Close> for Account {
    type Result = ();

    fn handle(&mut self, _msg: Close, _ctx: &mut Self::Context) {}
}

impl actix::dev::Handler<Audit> for Account {
    type Result = Vec<String>;

    fn handle(&mut self, _msg: Audit, _ctx: &mut Self::Context) -> Vec<String> {
        self.history.iter().map(u64::to_string).collect()
    }
}
