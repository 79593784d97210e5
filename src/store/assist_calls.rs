//! The schema assistant's call log (issue 26): append-only, one sealed record per call.

use redb::{ReadableTable, TableError};

use super::sealed::{open_json, seal_json};
use super::tables::ASSIST_CALLS;
use super::{Store, StoreError};
use crate::model::AssistCall;

impl Store {
    /// Append `call` in its own write transaction; returns its sequence number.
    pub fn append_assist_call(&self, call: &AssistCall) -> Result<u64, StoreError> {
        let tx = self.write()?;
        let seq = {
            let mut table = tx.open_table(ASSIST_CALLS)?;
            let next = match table.last()? {
                Some((k, _)) => k.value() + 1,
                None => 1,
            };
            let mut call = call.clone();
            call.seq = next;
            table.insert(next, seal_json(&call)?.as_slice())?;
            next
        };
        tx.commit()?;
        Ok(seq)
    }

    /// Every recorded assistant call, oldest first (none on a store that never made one).
    pub fn assist_calls(&self) -> Result<Vec<AssistCall>, StoreError> {
        let _reading = super::guard::reading("the schema assistant calls");
        let tx = self.read()?;
        let table = match tx.open_table(ASSIST_CALLS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push(open_json(v.value(), || {
                format!("schema assistant call {}", k.value())
            })?);
        }
        Ok(out)
    }
}
