//! Many runs inside ONE write transaction, visited as often and in whatever order the caller
//! needs: a worker session's claims, started calls and results of one writer batch commit
//! together (one durable commit instead of one per kind of change).

use redb::{ReadableTable, Table};

use super::head_tables::HeadTables;
use super::run_txn::RunTxn;
use super::tables::RUNS;
use super::{Store, StoreError};
use crate::model::Run;

/// An open write transaction over runs. Build with [`Store::with_batch`].
pub struct RunBatch<'t> {
    tx: &'t redb::WriteTransaction,
    runs: Table<'t, &'static str, &'static [u8]>,
    heads: HeadTables<'t>,
    view: Option<RunTxn<'t>>,
    /// The sealed bytes of the run in `view` as it was read: it is written back (only if it
    /// changed) when another run is visited or the batch ends, so visits of one run in a row
    /// (a writer batch of one run's calls) decode and seal its record once, not once per call.
    before: Vec<u8>,
}

impl<'t> RunBatch<'t> {
    /// Run `f` on run `run_id`; its record is rewritten only when `f` changed it (a claim
    /// window over members with nothing pending stays clean: fewer dirty pages to commit).
    pub fn visit<R, E: From<StoreError>>(
        &mut self,
        run_id: &str,
        f: impl FnOnce(&mut RunTxn<'t>) -> Result<R, E>,
    ) -> Result<R, E> {
        let again = self.view.as_ref().is_some_and(|v| v.run.run_id == run_id);
        if !again {
            self.write_back()?;
            let run: Run = match self.runs.get(run_id).map_err(StoreError::from)? {
                Some(raw) => {
                    self.before.clear();
                    self.before.extend_from_slice(raw.value());
                    super::sealed::open_json(raw.value(), || format!("run {run_id}"))?
                }
                None => {
                    return Err(StoreError::NotFound {
                        kind: "run",
                        prefix: run_id.to_string(),
                    }
                    .into())
                }
            };
            match self.view.as_mut() {
                Some(view) => view.run = run,
                None => self.view = Some(RunTxn::open_in(self.tx, run)?),
            }
        }
        f(self.view.as_mut().expect("a run is loaded"))
    }

    /// Write the run in `view` back if its record changed since it was read.
    fn write_back(&mut self) -> Result<(), StoreError> {
        let Some(view) = self.view.as_ref() else {
            return Ok(());
        };
        let bytes = super::sealed::seal_json(&view.run)?;
        if bytes != self.before {
            self.runs
                .insert(view.run.run_id.as_str(), bytes.as_slice())?;
            // The light copy the lists read changes with the record (store format 6).
            self.heads.put(&view.run)?;
            self.before = bytes;
        }
        Ok(())
    }
}

impl Store {
    /// Run `f` with a [`RunBatch`] inside ONE write transaction, committed when `f` succeeds;
    /// when `f` fails nothing is written.
    pub fn with_batch<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut RunBatch<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let _reading = super::guard::reading("a batch of runs".to_string());
        let tx = self.write()?;
        let out = {
            let mut batch = RunBatch {
                tx: &tx,
                runs: tx.open_table(RUNS).map_err(StoreError::from)?,
                heads: HeadTables::open(&tx)?,
                view: None,
                before: Vec::new(),
            };
            let out = f(&mut batch)?;
            batch.write_back()?;
            out
        };
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

impl Store {
    /// Read `run_ids` one at a time in ONE read transaction, handing each to `f` and keeping
    /// none: a group's thousand runs (each with its policy snapshot) are never all in memory.
    /// A run that does not exist is an error naming it.
    pub fn each_run<E: From<StoreError>>(
        &self,
        run_ids: &[String],
        mut f: impl FnMut(Run) -> Result<(), E>,
    ) -> Result<(), E> {
        let tx = self.read()?;
        let runs = tx.open_table(RUNS).map_err(StoreError::from)?;
        for run_id in run_ids {
            let raw = runs
                .get(run_id.as_str())
                .map_err(StoreError::from)?
                .ok_or_else(|| StoreError::NotFound {
                    kind: "run",
                    prefix: run_id.clone(),
                })?;
            f(super::sealed::open_json(raw.value(), || {
                format!("run {run_id}")
            })?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CallRecord;
    use crate::store::run_txn::tests::sample_run;

    fn call(run_id: &str) -> CallRecord {
        serde_json::from_value(serde_json::json!({
            "seq": 0, "run_id": run_id, "pack_size": 1, "first_block": 0, "last_block": 0,
            "usage": crate::model::Usage::default(), "latency_ms": 0,
            "outcome": "started", "mapped": 0, "missing": 0, "unexpected": 0,
            "duplicate": 0, "at": "2026-01-01T00:00:00Z"
        }))
        .expect("a call record")
    }

    #[test]
    fn a_batch_visits_runs_in_any_order_and_a_failure_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        store.create_run(&sample_run("r1"), 3).unwrap();
        store.create_run(&sample_run("r2"), 2).unwrap();
        let seqs = store
            .with_batch(|b| {
                let a = b.visit("r1", |rt| rt.append_call(call("r")))?;
                let c = b.visit("r2", |rt| rt.append_call(call("r")))?;
                let d = b.visit("r1", |rt| rt.append_call(call("r")))?;
                b.visit("r1", |rt| rt.remove_call(a))?;
                Ok::<_, StoreError>((a, c, d))
            })
            .unwrap();
        assert_eq!(
            seqs,
            (1, 1, 2),
            "the second visit of r1 sees the first one's call"
        );
        let r1 = store.with_run("r1", |rt| rt.calls()).unwrap();
        assert_eq!(r1.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![2]);
        let before = store.fingerprint().unwrap();
        let failed: Result<(), StoreError> = store.with_batch(|b| {
            b.visit("r2", |rt| rt.append_call(call("r")))?;
            b.visit("nope", |_| Ok::<_, StoreError>(()))
        });
        assert!(
            matches!(failed, Err(StoreError::NotFound { .. })),
            "{failed:?}"
        );
        assert_eq!(store.fingerprint().unwrap(), before, "a failed batch wrote");
        let mut seen = Vec::new();
        let ids = ["r2".to_string(), "r1".to_string()];
        store
            .each_run(&ids, |r| {
                seen.push((r.run_id, r.counters.total));
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(seen, vec![("r2".to_string(), 2), ("r1".to_string(), 3)]);
        let missing = store.each_run(&["gone".to_string()], |_| Ok::<_, StoreError>(()));
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{missing:?}"
        );
    }
}
