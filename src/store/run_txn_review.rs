//! Review additions to [`RunTxn`]: the review record is written in the run's transaction, so a
//! change and its record commit together or not at all.

use super::review_log;
use super::{RunTxn, StoreError};
use crate::model::ReviewEvent;

impl RunTxn<'_> {
    /// Append a review event in this transaction; returns its sequence number.
    pub fn append_review(&mut self, event: &ReviewEvent) -> Result<u64, StoreError> {
        review_log::append(&mut self.review, event)
    }
}
