//! Runs: create, list, cancel, resume, delete, and the call log.

use super::{CreateRunOptions, WorkerError, Workspace};
use crate::model::{CallRecord, Run};
use crate::store::StoreError;
use crate::worker::transitions;

impl Workspace {
    /// Create a run of `schema_name` over document `doc` (SPEC §3: policy and model are
    /// snapshotted now).
    pub fn create_run(
        &self,
        doc: &str,
        schema_name: &str,
        opts: &CreateRunOptions,
    ) -> Result<Run, WorkerError> {
        crate::worker::create_run(&self.store, doc, schema_name, opts)
    }

    pub fn list_runs(&self) -> Result<Vec<Run>, StoreError> {
        self.store.list_runs()
    }

    pub fn get_run(&self, run_id: &str) -> Result<Option<Run>, StoreError> {
        self.store.get_run(run_id)
    }

    /// A run id from a unique prefix.
    pub fn resolve_run(&self, prefix: &str) -> Result<String, StoreError> {
        self.store.resolve_run(prefix)
    }

    /// Every provider call of a run, in order.
    pub fn calls(&self, run_id: &str) -> Result<Vec<CallRecord>, StoreError> {
        self.store.calls(run_id)
    }

    /// No new claims and no retries; a worker on it sees the cancel within a second, aborts its
    /// calls in flight (recorded as cancelled) and returns their blocks to `pending`.
    pub fn cancel_run(&self, run_id: &str) -> Result<Run, StoreError> {
        let run = transitions::cancel(&self.store, run_id)?;
        tracing::info!(run_id, user = %self.user, "run cancelled");
        Ok(run)
    }

    /// A paused or cancelled run goes back to `running`.
    pub fn resume_run(&self, run_id: &str) -> Result<Run, StoreError> {
        let run = transitions::resume(&self.store, run_id)?;
        tracing::info!(run_id, user = %self.user, "run resumed");
        Ok(run)
    }

    /// Failed blocks go back to `pending` with fresh attempts; the run runs again.
    pub fn retry_failed(&self, run_id: &str) -> Result<(Run, u32), StoreError> {
        transitions::retry_failed(&self.store, run_id)
    }

    pub fn delete_run(&self, run_id: &str) -> Result<(), StoreError> {
        self.store.delete_run(run_id)
    }
}
