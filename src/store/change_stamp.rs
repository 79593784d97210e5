//! A cheap witness that another process (or this one) changed the store, for the TUI to poll:
//! the run records (counters, status, usage), the provider batches, plus the lengths and last keys of the append-only
//! logs. Reading it costs one read transaction over the small tables, never the overlays.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use redb::{ReadableTable, ReadableTableMetadata};

use super::tables::*;
use super::{Store, StoreError};

/// What changed, in two parts, so a reader re-reads only what it must.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeStamp {
    /// Runs, their counters and usage, review decisions, holders: the run list and grid.
    pub runs: u64,
    /// Documents, schemas, policy, admins, keys: the other panes.
    pub rest: u64,
}

impl Store {
    pub fn change_stamp(&self) -> Result<ChangeStamp, StoreError> {
        let _reading = super::guard::reading("the store's change stamp");
        let tx = self.read()?;
        let mut runs = DefaultHasher::new();
        for entry in tx.open_table(RUNS)?.iter()? {
            let (k, v) = entry?;
            k.value().hash(&mut runs);
            v.value().hash(&mut runs);
        }
        // Provider batches (state, counts, next poll): the Runs pane's batch lines.
        for entry in tx.open_table(BATCHES)?.iter()? {
            let (k, v) = entry?;
            k.value().hash(&mut runs);
            v.value().hash(&mut runs);
        }
        let review = tx.open_table(REVIEW_LOG)?;
        review.len()?.hash(&mut runs);
        review.last()?.map(|(k, _)| k.value()).hash(&mut runs);
        for entry in tx.open_table(META)?.iter()? {
            let (k, v) = entry?;
            k.value().hash(&mut runs);
            v.value().hash(&mut runs);
        }
        let mut rest = DefaultHasher::new();
        tx.open_table(DOCUMENTS)?.len()?.hash(&mut rest);
        tx.open_table(SCHEMAS)?.len()?.hash(&mut rest);
        tx.open_table(POLICY)?.len()?.hash(&mut rest);
        tx.open_table(ADMINS)?.len()?.hash(&mut rest);
        tx.open_table(API_KEYS)?.len()?.hash(&mut rest);
        let audit = tx.open_table(AUDIT)?;
        audit.len()?.hash(&mut rest);
        audit.last()?.map(|(k, _)| k.value()).hash(&mut rest);
        Ok(ChangeStamp {
            runs: runs.finish(),
            rest: rest.finish(),
        })
    }
}
