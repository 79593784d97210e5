//! Runs: create, list, cancel, resume, delete, and the call log.

use super::{CreateRunOptions, Error, RunEstimate, Workspace};
use crate::model::{CallRecord, Run, RunState};
use crate::worker::transitions;

impl Workspace {
    /// Create a run of `schema_name` over document `doc` (SPEC §3: policy and model are
    /// snapshotted now).
    pub fn create_run(
        &self,
        doc: &str,
        schema_name: &str,
        opts: &CreateRunOptions,
    ) -> Result<Run, Error> {
        Ok(crate::worker::create_run(
            &self.store,
            doc,
            schema_name,
            opts,
        )?)
    }

    /// What creating this run would cost (nothing is written), priced with the user's table.
    pub fn estimate_run(
        &self,
        doc: &str,
        schema_name: &str,
        opts: &CreateRunOptions,
    ) -> Result<RunEstimate, Error> {
        let prices = crate::provider::PriceTable::for_user();
        Ok(crate::worker::estimate_run(
            &self.store,
            doc,
            schema_name,
            opts,
            &prices,
        )?)
    }

    pub fn list_runs(&self) -> Result<Vec<Run>, Error> {
        Ok(self.store.list_runs()?)
    }

    /// [`Workspace::list_run_heads`] as lazy heads (`Store::list_heads`): what the TUI's Runs
    /// list holds.
    pub fn list_heads(&self) -> Result<Vec<crate::store::Head>, Error> {
        Ok(self.store.list_heads()?)
    }

    /// Every run without its creation snapshot (`Store::list_run_heads`): what lists show.
    pub fn list_run_heads(&self) -> Result<Vec<Run>, Error> {
        Ok(self.store.list_run_heads()?)
    }

    /// The derived state of each of `runs` (running with a live worker / idle / paused /
    /// cancelled / complete), the holders read once. A worker of this process is not seen
    /// here: the TUI adds its own.
    pub fn run_states(&self, runs: &[Run]) -> Result<Vec<RunState>, Error> {
        let held: std::collections::HashMap<String, crate::store::Holder> =
            self.run_holders()?.into_iter().collect();
        Ok(runs
            .iter()
            .map(|r| RunState::of(r, held.get(&r.run_id).map(|h| h.describe())))
            .collect())
    }

    pub fn get_run(&self, run_id: &str) -> Result<Option<Run>, Error> {
        Ok(self.store.get_run(run_id)?)
    }

    /// A run id from a unique prefix.
    pub fn resolve_run(&self, prefix: &str) -> Result<String, Error> {
        Ok(self.store.resolve_run(prefix)?)
    }

    /// One call record (the one that produced a block's answer: `Overlay::result_call`), its
    /// outcome read as [`Workspace::calls`] reads it.
    pub fn call(&self, run_id: &str, seq: u64) -> Result<Option<CallRecord>, Error> {
        Ok(self.store.call(run_id, seq)?.map(|mut c| {
            c.outcome = transitions::call_state(&c, crate::worker::owner_alive);
            c
        }))
    }

    /// Every provider call of a run, in order. A call recorded as started whose worker is gone
    /// shows as `lost`, one whose worker lives as `in_flight`.
    pub fn calls(&self, run_id: &str) -> Result<Vec<CallRecord>, Error> {
        Ok(self
            .store
            .calls(run_id)?
            .into_iter()
            .map(|mut c| {
                c.outcome = transitions::call_state(&c, crate::worker::owner_alive);
                c
            })
            .collect())
    }

    /// A run's failed blocks grouped by cause, most frequent first.
    pub fn failures_by_cause(
        &self,
        run_id: &str,
    ) -> Result<Vec<crate::worker::FailureCause>, Error> {
        Ok(crate::worker::failures_by_cause(&self.store, run_id)?)
    }

    /// No new claims and no retries; a worker on it sees the cancel within a second, aborts its
    /// calls in flight (recorded as cancelled) and returns their blocks to `pending`.
    pub fn cancel_run(&self, run_id: &str) -> Result<Run, Error> {
        let run = transitions::cancel(&self.store, run_id)?;
        tracing::info!(run_id, user = %self.user, "run cancelled");
        Ok(run)
    }

    /// A paused or cancelled run goes back to `running`.
    pub fn resume_run(&self, run_id: &str) -> Result<Run, Error> {
        let run = transitions::resume(&self.store, run_id)?;
        tracing::info!(run_id, user = %self.user, "run resumed");
        Ok(run)
    }

    /// Failed blocks go back to `pending` with fresh attempts; the run runs again.
    pub fn retry_failed(&self, run_id: &str) -> Result<(Run, u32), Error> {
        Ok(transitions::retry_failed(&self.store, run_id)?)
    }

    pub fn delete_run(&self, run_id: &str) -> Result<(), Error> {
        Ok(self.store.delete_run(run_id)?)
    }
}

/// The estimate in lines for people: the CLI prints them, the new-run form shows them.
pub fn estimate_summary(e: &RunEstimate) -> Vec<String> {
    let src = |name: &str| e.sources.get(name).map(String::as_str).unwrap_or("run");
    let mut blocks = if e.blocks < e.document_blocks {
        format!("{} of {} (sample)", e.blocks, e.document_blocks)
    } else {
        e.blocks.to_string()
    };
    if e.skipped > 0 {
        blocks.push_str(&format!(
            ", {} skipped by type (worker.skip_block_types)",
            e.skipped
        ));
    }
    vec![
        format!(
            "provider {}  model {} ({})  temperature {} ({})  max_tokens {} ({})",
            e.provider,
            e.model,
            src("model"),
            e.temperature,
            src("temperature"),
            e.max_tokens,
            src("max_tokens")
        ),
        format!(
            "blocks {blocks}  calls {} (up to {} blocks per call{})",
            e.calls,
            e.block_cap,
            if e.batching { "" } else { ", batching off" }
        ),
        format!(
            "tokens input {}  cache-write {}  cache-read {}  output {}{}",
            e.input_tokens,
            e.cache_write_tokens,
            e.cache_read_tokens,
            e.output_tokens,
            if e.prompt_caching {
                ""
            } else {
                " (caching off)"
            }
        ),
        format!(
            "cost {} (estimate at about 4 characters per token)",
            super::format_cost(e.cost_usd)
        ),
    ]
}
