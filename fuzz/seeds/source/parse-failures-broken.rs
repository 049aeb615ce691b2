//! A file syn cannot parse.

pub struct Half {
    pub field: ,  //~ HL000
}
