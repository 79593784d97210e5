//! The review record (SPEC §4): who confirmed, rejected, edited or discarded what, and when.
//! Append-only; each event is written in the same write transaction as the change it records
//! (see [`RunTxn::append_review`](super::RunTxn::append_review)).

use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tables::REVIEW_LOG;
use super::{Store, StoreError};

/// One review action on one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewEvent {
    /// Position in the store-wide review log (set on append).
    #[serde(default)]
    pub seq: u64,
    /// UTC RFC 3339.
    pub at: String,
    /// OS user who acted.
    pub by: String,
    pub run_id: String,
    /// `confirm`, `reject`, `edit`, `discard`.
    pub action: String,
    /// The blocks acted on, as a compact selection (`0,3,7-12`).
    pub blocks: String,
    /// How many blocks changed.
    pub count: u32,
    /// For `edit`: the field changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `edit`: the value before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_value: Option<Value>,
}

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
    table.insert(next, serde_json::to_vec(&event)?.as_slice())?;
    Ok(next)
}

impl Store {
    /// Review events, oldest first; only those of `run_id` when given.
    pub fn review_log(&self, run_id: Option<&str>) -> Result<Vec<ReviewEvent>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(REVIEW_LOG)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let event: ReviewEvent = serde_json::from_slice(entry?.1.value())?;
            if run_id.is_none_or(|r| r == event.run_id) {
                out.push(event);
            }
        }
        Ok(out)
    }
}
