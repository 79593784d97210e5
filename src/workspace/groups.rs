//! Run groups (SPEC §1a): create one from a project, estimate it, name it the git way, show
//! its summed state, cancel / resume / retry it, list its calls, and work it in one session.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};

use super::{
    CreateRunOptions, Error, ExportError, ExportSummary, Format, Mode, RunEstimate, Session,
    SessionOptions, WorkerError, Workspace,
};
use crate::model::{CallRecord, GroupSummary, Run, RunGroup};
use crate::store::StoreError;
use crate::worker::group_transitions as many;

/// What a name on the command line (`RUN_OR_GROUP`) stands for.
#[derive(Debug, Clone)]
pub enum RunOrGroup {
    Run(String),
    Group(RunGroup),
}

/// Whether `name` can only name a group (`grp_…`, or a prefix of `grp_`).
fn names_a_group(name: &str) -> bool {
    name.starts_with("grp_") || (!name.is_empty() && "grp_".starts_with(name))
}

fn project_refused(e: super::ProjectError) -> WorkerError {
    match e {
        super::ProjectError::Store(e) => WorkerError::Store(e),
        other => WorkerError::Refused(other.to_string()),
    }
}

impl Workspace {
    /// Create a run group of `schema_name` over every member of project `project_ref`: one run
    /// per document, one shared model config and policy snapshot, one transaction. An unknown or
    /// empty project is refused and nothing is written.
    pub fn create_group(
        &self,
        project_ref: &str,
        schema_name: &str,
        opts: &CreateRunOptions,
    ) -> Result<RunGroup, Error> {
        let docs = self
            .members_nonempty(project_ref)
            .map_err(project_refused)?;
        match crate::worker::create_group(&self.store, project_ref, &docs, schema_name, opts) {
            Err(WorkerError::Store(StoreError::Changed(why))) => {
                Err(Error::from(WorkerError::Refused(why)))
            }
            other => Ok(other?),
        }
    }

    /// What a group over project `project_ref` would cost (nothing is written).
    pub fn estimate_group(
        &self,
        project_ref: &str,
        schema_name: &str,
        opts: &CreateRunOptions,
    ) -> Result<RunEstimate, Error> {
        let docs = self
            .members_nonempty(project_ref)
            .map_err(project_refused)?;
        let prices = crate::provider::PriceTable::for_user();
        Ok(crate::worker::estimate_group(
            &self.store,
            project_ref,
            &docs,
            schema_name,
            opts,
            &prices,
        )?)
    }

    /// A run id or a group from a full id or unique prefix (`grp_…` names a group).
    pub fn resolve_run_or_group(&self, name: &str) -> Result<RunOrGroup, Error> {
        if names_a_group(name) {
            let id = self.store.resolve_group(name)?;
            let group = self.store.get_group(&id)?.ok_or(StoreError::NotFound {
                kind: "run group",
                prefix: id,
            })?;
            return Ok(RunOrGroup::Group(group));
        }
        // A bare id (`eb57`) may name a run (`run_eb57…`) or a group (`grp_eb57…`).
        let bare = !name.starts_with("run_");
        let found = match self.store.resolve_run(name) {
            Err(StoreError::NotFound { .. }) if bare => match self.store.resolve_group(name) {
                Ok(id) => return self.resolve_run_or_group(&id),
                Err(StoreError::NotFound { .. }) => Err(StoreError::NotFound {
                    kind: "run",
                    prefix: name.to_string(),
                }),
                Err(e) => Err(e),
            },
            Ok(run) if bare && !name.is_empty() => match self.store.resolve_group(name) {
                Ok(group) => Err(StoreError::Ambiguous {
                    kind: "run or run group",
                    prefix: name.to_string(),
                    candidates: vec![run, group],
                }),
                Err(_) => Ok(run),
            },
            other => other,
        };
        Ok(RunOrGroup::Run(found?))
    }

    pub fn list_groups(&self) -> Result<Vec<RunGroup>, Error> {
        Ok(self.store.list_groups()?)
    }

    /// The runs of no group, every group and its stored tally, in one read (what the TUI's
    /// Runs list shows at launch; see `Store::run_overview`).
    pub fn run_overview(&self) -> Result<crate::store::RunOverview, Error> {
        Ok(self.store.run_overview()?)
    }

    /// Group `group`'s stored tally when it is whole (else sum its members).
    pub fn group_tally(&self, group: &RunGroup) -> Result<Option<crate::store::GroupTally>, Error> {
        Ok(self.store.group_tally(group)?)
    }

    /// A group's member runs in project order.
    pub fn group_runs(&self, group: &RunGroup) -> Result<Vec<Run>, Error> {
        Ok(self.store.group_runs(group)?)
    }

    /// A group's member runs in project order, without their creation snapshots (heads).
    pub fn group_run_heads(&self, group: &RunGroup) -> Result<Vec<Run>, Error> {
        Ok(self.store.get_run_heads(&group.run_ids)?)
    }

    /// These runs' heads, in this order (one read transaction).
    pub fn run_heads(&self, run_ids: &[String]) -> Result<Vec<Run>, Error> {
        Ok(self.store.get_run_heads(run_ids)?)
    }

    /// A group's state: its members' counters, usage and cost summed.
    pub fn group_summary(&self, group: &RunGroup) -> Result<GroupSummary, Error> {
        // Read one member at a time and keep it without its policy snapshot (the summary needs
        // status, counters and usage): a thousand members never sit in memory whole.
        let mut light = Vec::with_capacity(group.run_ids.len());
        self.store.each_run(&group.run_ids, |mut run| {
            run.model_config.policy.clear();
            run.model_config.sources.clear();
            light.push(run);
            Ok::<_, crate::store::StoreError>(())
        })?;
        Ok(GroupSummary::of(group, &light))
    }

    /// Cancel every running or paused member (one transaction) and flag the group, so a
    /// worker on it stops within a second.
    pub fn cancel_group(&self, group: &RunGroup) -> Result<GroupSummary, Error> {
        self.store.set_group_cancelled(&group.group_id, true)?;
        let runs = many::cancel_many(&self.store, &group.run_ids)?;
        tracing::info!(group_id = %group.group_id, user = %self.user, "run group cancelled");
        Ok(GroupSummary::of(group, &runs))
    }

    /// Every paused or cancelled member runs again.
    pub fn resume_group(&self, group: &RunGroup) -> Result<GroupSummary, Error> {
        self.store.set_group_cancelled(&group.group_id, false)?;
        let runs = many::resume_many(&self.store, &group.run_ids)?;
        tracing::info!(group_id = %group.group_id, user = %self.user, "run group resumed");
        Ok(GroupSummary::of(group, &runs))
    }

    /// Every member's failed blocks go back to pending with fresh attempts.
    pub fn retry_failed_group(&self, group: &RunGroup) -> Result<(GroupSummary, u32), Error> {
        let (runs, reset) = many::retry_failed_many(&self.store, &group.run_ids)?;
        Ok((GroupSummary::of(group, &runs), reset))
    }

    /// Every call of a group's members, member by member in project order. A call whose pack
    /// held blocks of several members is kept (once) by the run of its first block.
    pub fn group_calls(&self, group: &RunGroup) -> Result<Vec<CallRecord>, Error> {
        let mut out = Vec::new();
        for run_id in &group.run_ids {
            out.extend(self.calls(run_id)?);
        }
        Ok(out)
    }

    /// Refused (nothing written) when a member holds a value its schema does not accept.
    fn check_group_exportable(&self, group: &RunGroup, mode: Mode) -> Result<(), ExportError> {
        for run_id in &group.run_ids {
            crate::export::check_exportable(&self.store, run_id, mode)?;
        }
        Ok(())
    }

    /// The group as one JSONL or CSV file at `path` (project order; atomic, guarded).
    pub fn export_group_to_path(
        &self,
        group: &RunGroup,
        format: Format,
        mode: Mode,
        path: &Path,
    ) -> Result<ExportSummary, Error> {
        self.check_group_exportable(group, mode)?;
        Ok(crate::export::export_group_to_path(
            &self.store,
            group,
            format,
            mode,
            path,
        )?)
    }

    /// The group as one JSONL or CSV stream to `out`; `target` names it in errors.
    pub fn export_group_to_writer<W: Write>(
        &self,
        group: &RunGroup,
        format: Format,
        mode: Mode,
        out: W,
        target: &str,
    ) -> Result<ExportSummary, Error> {
        self.check_group_exportable(group, mode)?;
        Ok(crate::export::export_group_to_writer(
            &self.store,
            group,
            format,
            mode,
            out,
            target,
        )?)
    }

    /// One reconstructed Markdown file per member document in `dir`.
    pub fn export_group_markdown_dir(
        &self,
        group: &RunGroup,
        mode: Mode,
        dir: &Path,
    ) -> Result<Vec<(PathBuf, ExportSummary)>, Error> {
        self.check_group_exportable(group, mode)?;
        Ok(crate::export::export_group_markdown_dir(
            &self.store,
            group,
            mode,
            dir,
        )?)
    }

    /// Start one worker over the whole group as a task on `runtime`.
    pub fn start_group_session(
        &self,
        runtime: &Handle,
        group: &RunGroup,
        opts: SessionOptions,
    ) -> Result<Session, Error> {
        let first = group.run_ids.first().ok_or_else(|| {
            WorkerError::Refused(format!("run group {} has no runs", group.group_id))
        })?;
        let run = self
            .store
            .get_run(first)?
            .ok_or_else(|| WorkerError::Refused(format!("run {first} does not exist")))?;
        let me = crate::worker::worker_id();
        for (run_id, h) in crate::worker::holding::live_holders(&self.store, &me)? {
            if group.run_ids.contains(&run_id) {
                return Err(Error::from(crate::worker::holding::refusal(&run_id, &h)));
            }
        }
        let provider = Arc::new(crate::worker::connect_provider(&self.store, &run)?);
        let engine = crate::worker::EngineOptions {
            concurrency: opts.concurrency,
            prices: crate::provider::PriceTable::for_user(),
            ..crate::worker::EngineOptions::default()
        };
        let (stop, stop_rx) = watch::channel(false);
        let (ev_tx, events) = mpsc::channel(super::session::EVENT_BUFFER);
        let (store, id) = (self.store.clone(), group.group_id.clone());
        let batch =
            opts.batch || crate::worker::batch::has_open_batches(&self.store, &group.run_ids)?;
        let client = if batch {
            Some(super::session::batch_client(
                &provider,
                &run.model_config.provider,
            )?)
        } else {
            None
        };
        let done = runtime.spawn(async move {
            match client {
                Some(client) => {
                    let opts = crate::worker::batch::BatchOptions {
                        engine,
                        ..Default::default()
                    };
                    crate::worker::batch::run_batch_group_worker(
                        store,
                        provider,
                        client,
                        &id,
                        opts,
                        Some(ev_tx),
                        stop_rx,
                    )
                    .await
                }
                None => {
                    crate::worker::run_group_worker(
                        store,
                        provider,
                        &id,
                        engine,
                        Some(ev_tx),
                        stop_rx,
                    )
                    .await
                }
            }
        });
        Ok(Session {
            run,
            events,
            stop,
            done,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::names_a_group;

    #[test]
    fn grp_prefixes_name_groups_and_run_prefixes_name_runs() {
        for g in ["g", "gr", "grp", "grp_", "grp_ab12"] {
            assert!(names_a_group(g), "{g}");
        }
        for r in ["run_1", "r", "ab", "", "grq"] {
            assert!(!names_a_group(r), "{r}");
        }
    }
}
