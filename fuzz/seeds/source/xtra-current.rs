//! xtra 0.6+: `type Stop`, handlers return `Self::Return`, no `Message` trait.

use revision::revisioned;
use xtra::prelude::{Actor, Context, Handler, Mailbox};

pub struct Cart {
    pub items: Vec<String>,
}

impl Actor for Cart { //~ HL001
    type Stop = ();

    async fn stopped(self) -> Self::Stop {}
}

pub struct AddItem(pub String);

impl Handler<AddItem> for Cart {
    type Return = usize;

    async fn handle(&mut self, msg: AddItem, _ctx: &mut Context<Self>) -> usize {
        self.items.push(msg.0);
        self.items.len()
    }
}

/// The derive generates `impl xtra::Actor` with `type Stop = ()`.
#[derive(xtra::Actor)]
pub struct Wishlist { //~ HL001
    pub wanted: Vec<String>,
}

/// A unit struct: nothing to migrate.
#[derive(xtra::Actor)]
pub struct Doorbell;

/// A generic actor, through the crate root path.
pub struct Inbox<M: Send + 'static> {
    pub pending: Vec<M>,
}

impl<M: Send + 'static> xtra::Actor for Inbox<M> { //~ HL001
    type Stop = ();

    async fn started(&mut self, _mailbox: &Mailbox<Self>) -> Result<(), ()> {
        Ok(())
    }

    async fn stopped(self) {}
}

/// Versioned with the history form of `revision`: every revision it can read is listed.
#[revisioned(revision(1), revision(2))]
pub struct Order {
    pub lines: Vec<(String, u32)>,
    #[revision(start = 2)]
    pub coupon: Option<String>,
}

impl xtra::Actor for Order {
    type Stop = ();

    async fn stopped(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_reads_revision_one() {
        let _ = Order { lines: Vec::new(), coupon: None };
    }
}
