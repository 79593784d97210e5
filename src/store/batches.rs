//! Provider batches of runs (tables `BATCHES`, `BATCH_REQUESTS`, `RUN_BATCHES`): the batch
//! record, the pack behind each `custom_id`, and which batches hold a run's blocks.

use redb::{ReadableTable, TableError};

use super::sealed::{open_json, seal_json};
use super::tables::{BATCHES, BATCH_REQUESTS, RUN_BATCHES};
use super::{Store, StoreError};
use crate::model::{BatchRecord, BatchRequest};

/// Write `batch` (and, when given, its requests numbered from 0, and its runs' index rows)
/// inside `tx`: used on its own and in the transaction that changes the batch's blocks.
pub fn put_in(
    tx: &redb::WriteTransaction,
    batch: &BatchRecord,
    requests: Option<&[BatchRequest]>,
) -> Result<(), StoreError> {
    let mut batches = tx.open_table(BATCHES)?;
    batches.insert(batch.key.as_str(), seal_json(batch)?.as_slice())?;
    if let Some(requests) = requests {
        let mut table = tx.open_table(BATCH_REQUESTS)?;
        for (n, r) in requests.iter().enumerate() {
            table.insert((batch.key.as_str(), n as u32), seal_json(r)?.as_slice())?;
        }
        let mut by_run = tx.open_table(RUN_BATCHES)?;
        for run in &batch.run_ids {
            by_run.insert((run.as_str(), batch.key.as_str()), ())?;
        }
    }
    Ok(())
}

/// Reads the requests of one batch by number from one snapshot (the join reads one per line).
pub struct RequestLookup {
    key: String,
    table: Option<redb::ReadOnlyTable<(&'static str, u32), &'static [u8]>>,
}

impl RequestLookup {
    pub fn get(&self, n: u32) -> Result<Option<BatchRequest>, StoreError> {
        let Some(table) = &self.table else {
            return Ok(None);
        };
        match table.get((self.key.as_str(), n))? {
            Some(raw) => Ok(Some(open_json(raw.value(), || {
                format!("request {n} of batch {}", self.key)
            })?)),
            None => Ok(None),
        }
    }
}

impl Store {
    /// Insert or replace a batch record with its requests (one transaction).
    pub fn insert_batch(
        &self,
        batch: &BatchRecord,
        requests: &[BatchRequest],
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        put_in(&tx, batch, Some(requests))?;
        tx.commit()?;
        Ok(())
    }

    /// Replace a batch record (state, counts, times); its requests are untouched.
    pub fn put_batch(&self, batch: &BatchRecord) -> Result<(), StoreError> {
        let tx = self.write()?;
        put_in(&tx, batch, None)?;
        tx.commit()?;
        Ok(())
    }

    pub fn get_batch(&self, key: &str) -> Result<Option<BatchRecord>, StoreError> {
        let tx = self.read()?;
        let table = match tx.open_table(BATCHES) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match table.get(key)? {
            Some(raw) => Ok(Some(open_json(raw.value(), || format!("batch {key}"))?)),
            None => Ok(None),
        }
    }

    /// Every batch that holds (or held) blocks of `run_id`, oldest first.
    pub fn batches_of_run(&self, run_id: &str) -> Result<Vec<BatchRecord>, StoreError> {
        let keys: Vec<String> = {
            let tx = self.read()?;
            let table = match tx.open_table(RUN_BATCHES) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut keys = Vec::new();
            for entry in table.range((run_id, "")..)? {
                let (k, _) = entry?;
                let (run, key) = k.value();
                if run != run_id {
                    break;
                }
                keys.push(key.to_string());
            }
            keys
        };
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(b) = self.get_batch(&key)? {
                out.push(b);
            }
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key.cmp(&b.key)));
        Ok(out)
    }

    /// Every batch in the store (the Runs pane's batch lines), oldest first.
    pub fn all_batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        let tx = self.read()?;
        let table = match tx.open_table(BATCHES) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push(open_json(v.value(), || format!("batch {}", k.value()))?);
        }
        out.sort_by(|a: &BatchRecord, b| a.created_at.cmp(&b.created_at).then(a.key.cmp(&b.key)));
        Ok(out)
    }

    /// The batches of several runs (a group's members), each once, oldest first.
    pub fn batches_of_runs(&self, run_ids: &[String]) -> Result<Vec<BatchRecord>, StoreError> {
        let mut out: Vec<BatchRecord> = Vec::new();
        for run in run_ids {
            for b in self.batches_of_run(run)? {
                if !out.iter().any(|o| o.key == b.key) {
                    out.push(b);
                }
            }
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key.cmp(&b.key)));
        Ok(out)
    }

    /// Which of these calls (run, sequence number) are still `started`, read from one snapshot
    /// (a join checks a whole chunk of lines at once).
    pub fn calls_started(&self, calls: &[(&str, u64)]) -> Result<Vec<bool>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(super::tables::CALLS)?;
        let mut out = Vec::with_capacity(calls.len());
        for &(run_id, seq) in calls {
            let started = match table.get((run_id, seq))? {
                Some(raw) => {
                    let rec: crate::model::CallRecord =
                        open_json(raw.value(), || format!("call {seq} of run {run_id}"))?;
                    rec.outcome == crate::model::CallOutcome::Started
                }
                None => false,
            };
            out.push(started);
        }
        Ok(out)
    }

    /// A reader of `key`'s requests from one snapshot.
    pub fn batch_requests(&self, key: &str) -> Result<RequestLookup, StoreError> {
        let tx = self.read()?;
        let table = match tx.open_table(BATCH_REQUESTS) {
            Ok(t) => Some(t),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(RequestLookup {
            key: key.to_string(),
            table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BatchCounts, BatchJoin, BatchState};

    fn record(key: &str, runs: &[&str], at: &str) -> BatchRecord {
        BatchRecord {
            key: key.into(),
            label: runs[0].into(),
            run_ids: runs.iter().map(|r| r.to_string()).collect(),
            provider: "anthropic".into(),
            provider_batch_id: None,
            state: BatchState::Submitting,
            requests: 1,
            blocks: 2,
            worker: "w".into(),
            created_at: at.into(),
            submitted_at: None,
            expires_at: None,
            ended_at: None,
            results_expire_at: None,
            next_poll_at: None,
            poll_wait_seconds: 0,
            results_url: None,
            error_file: None,
            counts: BatchCounts::default(),
            join: BatchJoin::default(),
            message: None,
        }
    }

    #[test]
    fn a_batch_is_found_by_each_of_its_runs_and_its_requests_by_number() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let req = |id: &str| BatchRequest {
            custom_id: id.into(),
            blocks: vec![(0, 1), (1, 4)],
            call_seq: 0,
        };
        store
            .insert_batch(
                &record("b2", &["run_a", "run_b"], "2"),
                &[req("x-0"), req("x-1")],
            )
            .unwrap();
        store
            .insert_batch(&record("b1", &["run_a"], "1"), &[req("y-0")])
            .unwrap();
        let of_a: Vec<String> = store
            .batches_of_run("run_a")
            .unwrap()
            .into_iter()
            .map(|b| b.key)
            .collect();
        assert_eq!(of_a, vec!["b1", "b2"], "oldest first");
        assert_eq!(store.batches_of_run("run_b").unwrap().len(), 1);
        assert!(store.batches_of_run("run_c").unwrap().is_empty());
        let mut b = store.get_batch("b2").unwrap().unwrap();
        b.state = BatchState::InProgress;
        store.put_batch(&b).unwrap();
        assert_eq!(
            store.get_batch("b2").unwrap().unwrap().state,
            BatchState::InProgress
        );
        let reqs = store.batch_requests("b2").unwrap();
        assert_eq!(reqs.get(1).unwrap().unwrap().custom_id, "x-1");
        assert!(reqs.get(2).unwrap().is_none());
    }
}
