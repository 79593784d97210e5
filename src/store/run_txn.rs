//! One write transaction over one run: overlays, their status index, call records and the run
//! record (counters) change together or not at all.

use redb::{ReadableTable, Table};

use super::tables::{CALLS, OVERLAYS, OVERLAY_STATUS, REVIEW_LOG, RUNS};
use super::{Store, StoreError};
use crate::model::{CallRecord, Overlay, OverlayStatus, Run};

/// Mutable view of one run inside a write transaction. Build with [`Store::with_run`].
pub struct RunTxn<'t> {
    pub run: Run,
    overlays: Table<'t, (&'static str, u32), &'static [u8]>,
    status: Table<'t, (&'static str, u8, u32), ()>,
    calls: Table<'t, (&'static str, u64), &'static [u8]>,
    /// Review record (REVIEW_LOG), appended in the same transaction as the change it records;
    /// see `run_txn_review.rs`.
    pub(super) review: Table<'t, u64, &'static [u8]>,
}

impl<'t> RunTxn<'t> {
    pub fn overlay(&self, index: u32) -> Result<Option<Overlay>, StoreError> {
        match self.overlays.get((self.run.run_id.as_str(), index))? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("overlay {} block {index}", self.run.run_id)
            })?)),
            None => Ok(None),
        }
    }

    /// Insert or replace an overlay, keeping the status index and the run counters in step.
    pub fn put_overlay(&mut self, overlay: &Overlay) -> Result<(), StoreError> {
        let key = (self.run.run_id.as_str(), overlay.block_index);
        let was = self
            .overlays
            .get(key)?
            .map(|raw| {
                super::sealed::open_json::<Overlay>(raw.value(), || {
                    format!("overlay {} block {}", overlay.run_id, overlay.block_index)
                })
            })
            .transpose()?
            .map(|old| old.status);
        self.write_overlay(overlay, was)
    }

    /// [`RunTxn::put_overlay`] over an overlay the caller read in this transaction with
    /// status `was` (not read and decoded a second time).
    pub fn replace_overlay(
        &mut self,
        overlay: &Overlay,
        was: OverlayStatus,
    ) -> Result<(), StoreError> {
        self.write_overlay(overlay, Some(was))
    }

    fn write_overlay(
        &mut self,
        overlay: &Overlay,
        was: Option<OverlayStatus>,
    ) -> Result<(), StoreError> {
        let run_id = self.run.run_id.as_str();
        let index = overlay.block_index;
        self.overlays.insert(
            (run_id, index),
            super::sealed::seal_json(overlay)?.as_slice(),
        )?;
        match was {
            Some(old) if old == overlay.status => {}
            Some(old) => {
                self.status.remove((run_id, old.code(), index))?;
                self.status
                    .insert((run_id, overlay.status.code(), index), ())?;
                self.run.counters.shift(old, overlay.status);
            }
            None => {
                self.status
                    .insert((run_id, overlay.status.code(), index), ())?;
                *self.run.counters.get_mut(overlay.status) += 1;
                self.run.counters.total += 1;
            }
        }
        Ok(())
    }

    /// Block indices of overlays with `status`, ascending, at most `limit`.
    pub fn indices_with_status(
        &self,
        status: OverlayStatus,
        limit: usize,
    ) -> Result<Vec<u32>, StoreError> {
        let run_id = self.run.run_id.as_str();
        let code = status.code();
        let mut out = Vec::new();
        for entry in self
            .status
            .range((run_id, code, 0u32)..=(run_id, code, u32::MAX))?
        {
            if out.len() >= limit {
                break;
            }
            out.push(entry?.0.value().2);
        }
        Ok(out)
    }

    /// Replace the call record stored at `record.seq` (a `started` record finished).
    pub fn put_call(&mut self, record: &CallRecord) -> Result<(), StoreError> {
        let run_id = self.run.run_id.clone();
        self.calls.insert(
            (run_id.as_str(), record.seq),
            super::sealed::seal_json(record)?.as_slice(),
        )?;
        Ok(())
    }

    /// The call record `seq` of this run, if any.
    pub fn calls_at(&self, seq: u64) -> Result<Option<CallRecord>, StoreError> {
        match self.calls.get((self.run.run_id.as_str(), seq))? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("call {seq} of run {}", self.run.run_id)
            })?)),
            None => Ok(None),
        }
    }

    /// Remove the call record at `seq` (a call recorded as started that was never sent).
    pub fn remove_call(&mut self, seq: u64) -> Result<(), StoreError> {
        let run_id = self.run.run_id.clone();
        self.calls.remove((run_id.as_str(), seq))?;
        Ok(())
    }

    /// A view of `run` inside the open transaction `tx` (see [`super::run_batch`]).
    pub(super) fn open_in(tx: &'t redb::WriteTransaction, run: Run) -> Result<Self, StoreError> {
        Ok(RunTxn {
            run,
            overlays: tx.open_table(OVERLAYS)?,
            status: tx.open_table(OVERLAY_STATUS)?,
            calls: tx.open_table(CALLS)?,
            review: tx.open_table(REVIEW_LOG)?,
        })
    }

    /// Calls of this run, in order.
    pub fn calls(&self) -> Result<Vec<CallRecord>, StoreError> {
        let run_id = self.run.run_id.as_str();
        let mut out = Vec::new();
        for entry in self.calls.range((run_id, 0u64)..=(run_id, u64::MAX))? {
            let (k, v) = entry?;
            let what = || format!("call {} of run {}", k.value().1, self.run.run_id);
            out.push(super::sealed::open_json(v.value(), what)?);
        }
        Ok(out)
    }

    /// Calls of this run that `keep` picks, in order (the others are decoded and dropped one
    /// at a time, so a run of 100,000 calls is never all in memory).
    pub fn calls_where(
        &self,
        keep: impl Fn(&CallRecord) -> bool,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let run_id = self.run.run_id.as_str();
        let mut out = Vec::new();
        for entry in self.calls.range((run_id, 0u64)..=(run_id, u64::MAX))? {
            let (k, v) = entry?;
            let what = || format!("call {} of run {}", k.value().1, self.run.run_id);
            let rec: CallRecord = super::sealed::open_json(v.value(), what)?;
            if keep(&rec) {
                out.push(rec);
            }
        }
        Ok(out)
    }

    /// Append a call record; returns its sequence number.
    pub fn append_call(&mut self, mut record: CallRecord) -> Result<u64, StoreError> {
        let run_id = self.run.run_id.clone();
        let next = match self
            .calls
            .range((run_id.as_str(), 0u64)..=(run_id.as_str(), u64::MAX))?
            .next_back()
        {
            Some(last) => last?.0.value().1 + 1,
            None => 1,
        };
        record.seq = next;
        self.calls.insert(
            (run_id.as_str(), next),
            super::sealed::seal_json(&record)?.as_slice(),
        )?;
        Ok(next)
    }
}

impl Store {
    /// Run `f` on one run inside a single write transaction. If `f` fails nothing is written;
    /// otherwise the run record (with its counters) is saved and the transaction committed.
    pub fn with_run<R, E: From<StoreError>>(
        &self,
        run_id: &str,
        f: impl FnOnce(&mut RunTxn<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let _reading = super::guard::reading(format!("run {run_id}"));
        let tx = self.write()?;
        let out = {
            let mut runs = tx.open_table(RUNS).map_err(StoreError::from)?;
            let run: Run = match runs.get(run_id).map_err(StoreError::from)? {
                Some(raw) => super::sealed::open_json(raw.value(), || format!("run {run_id}"))?,
                None => {
                    return Err(StoreError::NotFound {
                        kind: "run",
                        prefix: run_id.to_string(),
                    }
                    .into())
                }
            };
            let mut rt = RunTxn {
                run,
                overlays: tx.open_table(OVERLAYS).map_err(StoreError::from)?,
                status: tx.open_table(OVERLAY_STATUS).map_err(StoreError::from)?,
                calls: tx.open_table(CALLS).map_err(StoreError::from)?,
                review: tx.open_table(REVIEW_LOG).map_err(StoreError::from)?,
            };
            let out = f(&mut rt)?;
            let bytes = super::sealed::seal_json(&rt.run)?;
            runs.insert(run_id, bytes.as_slice())
                .map_err(StoreError::from)?;
            super::head_tables::HeadTables::open(&tx)?.put(&rt.run)?;
            out
        };
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

impl Store {
    /// Run `f` on each of `run_ids` in turn inside ONE write transaction (a group's claims,
    /// results and state changes commit together, never one commit per member). If any call
    /// fails nothing is written. Returns what `f` returned for each run, in order.
    pub fn with_runs<R, E: From<StoreError>>(
        &self,
        run_ids: &[String],
        f: impl FnMut(&mut RunTxn<'_>) -> Result<R, E>,
    ) -> Result<Vec<R>, E> {
        self.with_runs_then(run_ids, f, |_, _| Ok(()))
    }

    /// [`Store::with_runs`], then `then` in the same transaction before it commits (another
    /// table that must change with the runs, e.g. a provider batch's record).
    pub(crate) fn with_runs_then<R, E: From<StoreError>>(
        &self,
        run_ids: &[String],
        mut f: impl FnMut(&mut RunTxn<'_>) -> Result<R, E>,
        then: impl FnOnce(&redb::WriteTransaction, &[R]) -> Result<(), E>,
    ) -> Result<Vec<R>, E> {
        let tx = self.write()?;
        let mut out = Vec::with_capacity(run_ids.len());
        {
            let mut runs = tx.open_table(RUNS).map_err(StoreError::from)?;
            let mut heads = super::head_tables::HeadTables::open(&tx)?;
            let mut rt: Option<RunTxn<'_>> = None;
            // The run in `rt` and its sealed bytes as read: visits of the same run in a row
            // (a group commit of one run's calls) decode and seal it once.
            let mut before: Vec<u8> = Vec::new();
            for (i, run_id) in run_ids.iter().enumerate() {
                let again = rt.as_ref().is_some_and(|v| v.run.run_id == *run_id);
                if !again {
                    let run = read_run(&runs, run_id, &mut before)?;
                    match rt.as_mut() {
                        Some(view) => view.run = run,
                        None => rt = Some(run_view(&tx, run)?),
                    }
                }
                let view = rt.as_mut().expect("a run is loaded");
                out.push(f(view)?);
                let leaves = run_ids.get(i + 1) != Some(run_id);
                if leaves {
                    let bytes = super::sealed::seal_json(&view.run)?;
                    // A member the change did not touch is not rewritten (a claim window, a
                    // lease check over a whole group): fewer dirty pages, less to commit.
                    if bytes != before {
                        runs.insert(run_id.as_str(), bytes.as_slice())
                            .map_err(StoreError::from)?;
                        heads.put(&view.run)?;
                    }
                }
            }
        }
        then(&tx, &out)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

/// Run `run_id` from `runs`, its sealed bytes left in `before`.
fn read_run(
    runs: &redb::Table<'_, &str, &[u8]>,
    run_id: &str,
    before: &mut Vec<u8>,
) -> Result<Run, StoreError> {
    match runs.get(run_id)? {
        Some(raw) => {
            before.clear();
            before.extend_from_slice(raw.value());
            super::sealed::open_json(raw.value(), || format!("run {run_id}"))
        }
        None => Err(StoreError::NotFound {
            kind: "run",
            prefix: run_id.to_string(),
        }),
    }
}

/// The tables a run's changes touch, opened once per transaction.
fn run_view<'t>(tx: &'t redb::WriteTransaction, run: Run) -> Result<RunTxn<'t>, StoreError> {
    Ok(RunTxn {
        run,
        overlays: tx.open_table(OVERLAYS)?,
        status: tx.open_table(OVERLAY_STATUS)?,
        calls: tx.open_table(CALLS)?,
        review: tx.open_table(REVIEW_LOG)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::ModelConfig;

    pub(crate) fn sample_run(run_id: &str) -> Run {
        let config = ModelConfig::fixed("demo", "m", 0.0, 100);
        Run::new(run_id, "conv", ("sch", "s", "uid"), config, "me")
    }

    #[test]
    fn status_index_and_counters_follow_every_change_and_failures_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        store.create_run(&sample_run("r1"), 12).unwrap();
        // Numeric order: 10 comes after 9, not after 1.
        let first: Vec<u32> = store
            .with_run("r1", |rt| {
                let ids = rt.indices_with_status(OverlayStatus::Pending, 11)?;
                for &i in &ids {
                    let mut ov = rt.overlay(i)?.unwrap();
                    ov.status = OverlayStatus::Claimed;
                    rt.put_overlay(&ov)?;
                }
                Ok::<_, StoreError>(ids)
            })
            .unwrap();
        assert_eq!(first, (0..11).collect::<Vec<u32>>());
        let run = store.get_run("r1").unwrap().unwrap();
        assert_eq!((run.counters.pending, run.counters.claimed), (1, 11));
        assert_eq!(
            store
                .indices_with_status("r1", OverlayStatus::Pending)
                .unwrap(),
            vec![11]
        );
        let before = store.fingerprint().unwrap();
        let err: Result<(), StoreError> = store.with_run("r1", |rt| {
            let mut ov = rt.overlay(11)?.unwrap();
            ov.status = OverlayStatus::Failed;
            rt.put_overlay(&ov)?;
            Err(StoreError::Corrupt("abort".into()))
        });
        assert!(err.is_err());
        assert_eq!(store.fingerprint().unwrap(), before, "aborted txn wrote");
        store.delete_run("r1").unwrap();
        assert!(store.get_run("r1").unwrap().is_none());
        assert!(store.overlay("r1", 3).unwrap().is_none());
    }
}
