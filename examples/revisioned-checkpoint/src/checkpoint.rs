use revision::revisioned;

/// Where an import job stopped, so a restarted (or upgraded) importer resumes there.
#[revisioned(revision = 1)]
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub job: String,
    /// Byte offset in the source file of the next record to import.
    pub offset: u64,
    pub imported: u64,
    pub finished: bool,
}

impl Checkpoint {
    pub fn new(job: &str) -> Self {
        Checkpoint { job: job.to_owned(), offset: 0, imported: 0, finished: false }
    }

    pub fn encode(&self) -> Result<Vec<u8>, revision::Error> {
        revision::to_vec(self)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, revision::Error> {
        revision::from_slice(bytes)
    }

    /// Records one imported record that ended at `offset`.
    pub fn advance(&mut self, offset: u64) {
        self.offset = offset;
        self.imported += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_round_trips() {
        let mut c = Checkpoint::new("customers.csv");
        c.advance(512);
        assert_eq!(Checkpoint::decode(&c.encode().unwrap()).unwrap(), c);
    }
}
