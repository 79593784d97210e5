//! The review record (SPEC §4): who confirmed, rejected, edited or discarded what, and when.
//! Append-only; each event is written in the same write transaction as the change it records
//! (see [`RunTxn::append_review`](super::RunTxn::append_review)).

use redb::{ReadableTable, Table};

use super::tables::REVIEW_LOG;
use super::{Store, StoreError};
use crate::model::ReviewEvent;

/// Append `event` to the log open in a write transaction; returns its sequence number.
pub(super) fn append(
    table: &mut Table<'_, u64, &'static [u8]>,
    event: &ReviewEvent,
) -> Result<u64, StoreError> {
    let next = match table.last()? {
        Some((k, _)) => k.value() + 1,
        None => 1,
    };
    let mut event = event.clone();
    event.seq = next;
    table.insert(next, super::sealed::seal_json(&event)?.as_slice())?;
    Ok(next)
}

impl Store {
    /// Review events, oldest first; only those of `run_id` when given.
    pub fn review_log(&self, run_id: Option<&str>) -> Result<Vec<ReviewEvent>, StoreError> {
        let _reading = super::guard::reading("the review log");
        let tx = self.read()?;
        let table = tx.open_table(REVIEW_LOG)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            let what = || format!("review log entry {}", k.value());
            let event: ReviewEvent = super::sealed::open_json(v.value(), what)?;
            if run_id.is_none_or(|r| r == event.run_id) {
                out.push(event);
            }
        }
        Ok(out)
    }
}
