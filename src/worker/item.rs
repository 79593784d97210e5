//! A claimed block of a session, and the key each block of a pack has in its call.

use super::apply::At;

/// A claimed block, ready to send.
#[derive(Debug, Clone)]
pub struct Item {
    /// The block's run: its position in the session's run list (0 for a single run).
    pub run: u32,
    pub index: u32,
    pub block_type: String,
    pub content: String,
    pub tokens: u32,
}

impl Item {
    pub fn at(&self) -> At {
        At {
            run: self.run,
            index: self.index,
        }
    }
}

/// The key of each block of a pack in its call: its block index when the pack holds blocks
/// of one run, else its position in the call (blocks of several member runs of a group may
/// share an index). Either way unique in the call, and mapped back through the pack.
pub fn call_keys(pack: &[Item]) -> Vec<u32> {
    let one_run = pack.windows(2).all(|w| w[0].run == w[1].run);
    if one_run {
        pack.iter().map(|i| i.index).collect()
    } else {
        (0..pack.len() as u32).collect()
    }
}
