//! Runs: creation (one pending overlay per block), lookup, listing, overlays and call records.

use redb::ReadableTable;

use super::tables::{CALLS, OVERLAYS, OVERLAY_STATUS, RUNS, RUNS_BY_SCHEMA};
use super::{Store, StoreError};
use crate::model::{CallRecord, Overlay, OverlayStatus, Run};

impl Store {
    /// Create a run and one `pending` overlay per block, in one write transaction.
    pub fn create_run(&self, run: &Run, total_blocks: u32) -> Result<(), StoreError> {
        let _reading = super::guard::reading(format!("run {}", run.run_id));
        let tx = self.write()?;
        insert_run(&tx, run, total_blocks)?;
        tx.commit()?;
        Ok(())
    }

    pub fn get_run(&self, run_id: &str) -> Result<Option<Run>, StoreError> {
        let _reading = super::guard::reading(format!("run {run_id}"));
        let tx = self.read()?;
        let runs = tx.open_table(RUNS)?;
        match runs.get(run_id)? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("run {run_id}")
            })?)),
            None => Ok(None),
        }
    }

    /// Resolve a full `run_id` or a unique prefix.
    pub fn resolve_run(&self, prefix: &str) -> Result<String, StoreError> {
        self.resolve_id(RUNS, "run", "run_", prefix)
    }

    /// Every run, oldest first.
    pub fn list_runs(&self) -> Result<Vec<Run>, StoreError> {
        let _reading = super::guard::reading("the runs table");
        let tx = self.read()?;
        let runs = tx.open_table(RUNS)?;
        let mut out = Vec::new();
        for entry in runs.iter()? {
            let (k, v) = entry?;
            out.push(super::sealed::open_json::<Run>(v.value(), || {
                format!("run {}", k.value())
            })?);
        }
        out.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.run_id.cmp(&b.run_id))
        });
        Ok(out)
    }

    pub fn overlay(&self, run_id: &str, index: u32) -> Result<Option<Overlay>, StoreError> {
        let _reading = super::guard::reading(format!("overlay {run_id} block {index}"));
        let tx = self.read()?;
        let t = tx.open_table(OVERLAYS)?;
        match t.get((run_id, index))? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("overlay {run_id} block {index}")
            })?)),
            None => Ok(None),
        }
    }

    /// Visit a run's overlays in block order (a range scan; memory stays flat).
    pub fn for_each_overlay(
        &self,
        run_id: &str,
        mut visit: impl FnMut(Overlay) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let _reading = super::guard::reading(format!("the overlays of run {run_id}"));
        let tx = self.read()?;
        let t = tx.open_table(OVERLAYS)?;
        for entry in t.range((run_id, 0u32)..=(run_id, u32::MAX))? {
            let (k, v) = entry?;
            let what = || format!("overlay {run_id} block {}", k.value().1);
            visit(super::sealed::open_json(v.value(), what)?)?;
        }
        Ok(())
    }

    /// Overlays of a run in `[from, to)` block order (for the grid's visible rows).
    pub fn overlays_range(
        &self,
        run_id: &str,
        from: u32,
        to: u32,
    ) -> Result<Vec<Overlay>, StoreError> {
        let _reading = super::guard::reading(format!("the overlays of run {run_id}"));
        let tx = self.read()?;
        let t = tx.open_table(OVERLAYS)?;
        let mut out = Vec::new();
        if to > from {
            for entry in t.range((run_id, from)..(run_id, to))? {
                let (k, v) = entry?;
                let what = || format!("overlay {run_id} block {}", k.value().1);
                out.push(super::sealed::open_json(v.value(), what)?);
            }
        }
        Ok(out)
    }

    /// Block indices of a run's overlays with `status`, ascending (index range scan).
    pub fn indices_with_status(
        &self,
        run_id: &str,
        status: OverlayStatus,
    ) -> Result<Vec<u32>, StoreError> {
        let _reading = super::guard::reading(format!("the status index of run {run_id}"));
        let tx = self.read()?;
        let t = tx.open_table(OVERLAY_STATUS)?;
        let code = status.code();
        let mut out = Vec::new();
        for entry in t.range((run_id, code, 0u32)..=(run_id, code, u32::MAX))? {
            out.push(entry?.0.value().2);
        }
        Ok(out)
    }

    /// The first block at or after `from` (`forward`), else the last one before `from`, whose
    /// overlay has `status`: one index lookup, however long the run.
    pub fn next_with_status(
        &self,
        run_id: &str,
        status: OverlayStatus,
        from: u32,
        forward: bool,
    ) -> Result<Option<u32>, StoreError> {
        let _reading = super::guard::reading(format!("the status index of run {run_id}"));
        let tx = self.read()?;
        let t = tx.open_table(OVERLAY_STATUS)?;
        let code = status.code();
        let entry = if forward {
            t.range((run_id, code, from)..=(run_id, code, u32::MAX))?
                .next()
        } else {
            t.range((run_id, code, 0u32)..(run_id, code, from))?
                .next_back()
        };
        Ok(entry.transpose()?.map(|(k, _)| k.value().2))
    }

    /// One call record of a run by its sequence number.
    pub fn call(&self, run_id: &str, seq: u64) -> Result<Option<CallRecord>, StoreError> {
        let _reading = super::guard::reading(format!("call {seq} of run {run_id}"));
        let tx = self.read()?;
        let t = tx.open_table(CALLS)?;
        match t.get((run_id, seq))? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("call {seq} of run {run_id}")
            })?)),
            None => Ok(None),
        }
    }

    /// A run's call records in order.
    pub fn calls(&self, run_id: &str) -> Result<Vec<CallRecord>, StoreError> {
        let _reading = super::guard::reading(format!("the calls of run {run_id}"));
        let tx = self.read()?;
        let t = tx.open_table(CALLS)?;
        let mut out = Vec::new();
        for entry in t.range((run_id, 0u64)..=(run_id, u64::MAX))? {
            let (k, v) = entry?;
            let what = || format!("call {} of run {run_id}", k.value().1);
            out.push(super::sealed::open_json(v.value(), what)?);
        }
        Ok(out)
    }

    /// Delete a run with its overlays, status index and call records, in one transaction.
    pub fn delete_run(&self, run_id: &str) -> Result<(), StoreError> {
        let _reading = super::guard::reading(format!("run {run_id}"));
        let tx = self.write()?;
        {
            let mut runs = tx.open_table(RUNS)?;
            let Some(raw) = runs.remove(run_id)? else {
                return Err(StoreError::NotFound {
                    kind: "run",
                    prefix: run_id.to_string(),
                });
            };
            let run: Run = super::sealed::open_json(raw.value(), || format!("run {run_id}"))?;
            drop(raw);
            tx.open_table(RUNS_BY_SCHEMA)?
                .remove((run.schema_id.as_str(), run_id))?;
            super::head_tables::HeadTables::open(&tx)?.remove(&run)?;
            tx.open_table(OVERLAYS)?
                .retain_in((run_id, 0u32)..=(run_id, u32::MAX), |_, _| false)?;
            tx.open_table(OVERLAY_STATUS)?
                .retain_in((run_id, 0u8, 0u32)..=(run_id, u8::MAX, u32::MAX), |_, _| {
                    false
                })?;
            tx.open_table(CALLS)?
                .retain_in((run_id, 0u64)..=(run_id, u64::MAX), |_, _| false)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Write a new run inside `tx` (refused if its id exists): one `pending` overlay per block, or
/// `skipped` for a block whose type is in the run's snapshot of `worker.skip_block_types`.
pub(super) fn insert_run(
    tx: &redb::WriteTransaction,
    run: &Run,
    total_blocks: u32,
) -> Result<(), StoreError> {
    let mut runs = tx.open_table(RUNS)?;
    if runs.get(run.run_id.as_str())?.is_some() {
        return Err(StoreError::Corrupt(format!(
            "run {} already exists",
            run.run_id
        )));
    }
    let skip = run.model_config.skip_block_types();
    let skipped = super::run_skips::indices_of_types(tx, &run.conv_uid, total_blocks, &skip)?;
    let mut run = run.clone();
    run.counters = Default::default();
    run.counters.total = total_blocks;
    run.counters.skipped = skipped.len() as u32;
    run.counters.pending = total_blocks - run.counters.skipped;
    runs.insert(
        run.run_id.as_str(),
        super::sealed::seal_json(&run)?.as_slice(),
    )?;
    super::head_tables::HeadTables::open(tx)?.put(&run)?;
    let mut by_schema = tx.open_table(RUNS_BY_SCHEMA)?;
    by_schema.insert((run.schema_id.as_str(), run.run_id.as_str()), ())?;
    let mut overlays = tx.open_table(OVERLAYS)?;
    let mut status = tx.open_table(OVERLAY_STATUS)?;
    for index in 0..total_blocks {
        let state = if skipped.contains(&index) {
            OverlayStatus::Skipped
        } else {
            OverlayStatus::Pending
        };
        let ov = Overlay::new_with_status(&run.run_id, index, state);
        overlays.insert(
            (run.run_id.as_str(), index),
            super::sealed::seal_json(&ov)?.as_slice(),
        )?;
        status.insert((run.run_id.as_str(), state.code(), index), ())?;
    }
    Ok(())
}
