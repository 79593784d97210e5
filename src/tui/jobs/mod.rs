//! Work that must not run on the UI task: review writes (a confirm-all rewrites every staged
//! overlay in one transaction), exports, policy changes, run transitions and full reloads.
//! [`Jobs`] runs them one after another on tokio's blocking pool, in the order asked, and each
//! result comes back through the UI's action channel as [`Action::JobDone`]. What each job does
//! lives in one file per area: `review`, `runs`, `keys`, `schemas` (schemas and policy).

mod assist;
mod keys;
mod library;
mod review;
mod runs;
mod schemas;

use crate::tui::kit::{Action, Job, JobDone, Output, Reply, Spawner};
use crate::workspace::Workspace;

/// Do the work, as the workspace's user. Runs on a blocking thread (or inline when there is no
/// runtime).
pub fn run(job: Job, ws: &Workspace) -> Result<Output, String> {
    match job {
        Job::Confirm { run_id, target } => review::confirm(ws, &run_id, &target),
        Job::Reject {
            run_id,
            selection,
            reason,
        } => review::reject(ws, &run_id, &selection, reason.as_deref()),
        Job::Unconfirm { run_id, selection } => review::unconfirm(ws, &run_id, &selection),
        Job::Undo(entry) => review::undo(ws, &entry),
        Job::Discard { run_id, index } => review::discard(ws, &run_id, index),
        Job::Edit {
            run_id,
            index,
            field,
            text,
        } => review::edit(ws, &run_id, index, &field, &text),
        Job::Search { scope, query } => review::search(ws, &scope, query),
        Job::Filter {
            scope,
            filter,
            docs,
            announce,
        } => review::filter(ws, &scope, filter, docs, announce),
        Job::ConfirmAll { group_id, run_ids } => review::confirm_all(ws, &group_id, &run_ids),
        Job::Export {
            run_id,
            path,
            format,
            mode,
            demo,
        } => runs::export(ws, &run_id, path, (format, mode), demo),
        Job::Transition { run_id, cancel } => runs::transition(ws, &run_id, cancel),
        Job::RetryFailed { run_id } => runs::retry_failed(ws, &run_id),
        Job::Reload { .. } => runs::reload(ws),
        Job::Estimate {
            ask,
            doc,
            schema,
            opts,
            project,
        } => runs::estimate(ws, ask, (&doc, &schema, project), &opts),
        Job::CreateRun {
            doc,
            schema,
            opts,
            project,
        } => runs::create_run(ws, (&doc, &schema, project), &opts),
        Job::Ingest { path } => runs::ingest(ws, &path),
        Job::IngestFolder { path, progress } => library::ingest_folder(ws, &path, &progress),
        Job::CreateProject { project_ref } => library::create_project(ws, &project_ref),
        Job::AddToProject { project_ref, docs } => library::add_to_project(ws, &project_ref, &docs),
        job @ (Job::SetKey { .. }
        | Job::TestKey { .. }
        | Job::RemoveKey { .. }
        | Job::SetKeyBaseUrl { .. }
        | Job::SetKeyDefaults { .. }) => keys::run(job, ws),
        Job::SetPolicy { key, value, reason } => {
            schemas::set_policy(ws, &key, &value, reason.as_deref())
        }
        Job::DeleteSchema {
            schema_id,
            schema_ref,
        } => schemas::delete_schema(ws, &schema_id, &schema_ref),
        Job::Assist {
            ask,
            task,
            provider,
            model,
            cancel,
        } => assist::assist(ws, ask, task, (&provider, model.as_deref()), cancel),
    }
}

/// A workspace error as the one line the status bar or a prompt shows.
fn err(e: &dyn std::fmt::Display) -> String {
    e.to_string()
}

fn text(m: String) -> Result<Output, String> {
    Ok(Output::Message(m))
}

/// The jobs in flight and the queue that keeps them in order.
#[derive(Default)]
pub struct Jobs {
    next_id: u64,
    /// (id, label) of every job started and not yet reported back.
    running: Vec<(u64, String)>,
    /// The last job queued: the next one waits for it, so writes land in the order asked.
    tail: Option<tokio::task::JoinHandle<()>>,
}

impl Jobs {
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// The oldest running job's label and how many more there are.
    pub fn busy(&self) -> Option<(&str, usize)> {
        let (_, label) = self.running.first()?;
        Some((label, self.running.len() - 1))
    }

    /// Start `job`. With a runtime it runs on the blocking pool and this returns `None`; the
    /// result arrives later on the spawner's channel. Without one (headless tests) it runs here
    /// and the result is returned for the caller to apply at once.
    pub fn start(
        &mut self,
        spawner: Option<&Spawner>,
        ws: &Workspace,
        job: Job,
        reply: Reply,
    ) -> Option<Action> {
        self.next_id += 1;
        let id = self.next_id;
        let kind = job.kind();
        let label = job.label();
        let ws = ws.clone();
        let work = move || {
            let result = run(job, &ws);
            Action::JobDone(JobDone {
                id,
                kind,
                reply,
                result,
            })
        };
        let Some(spawner) = spawner else {
            return Some(work());
        };
        self.running.push((id, label));
        let previous = self.tail.take();
        let tx = spawner.tx.clone();
        let handle = spawner.handle.spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            let done = tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
                Action::JobDone(JobDone {
                    id,
                    kind,
                    reply,
                    result: Err(format!("the background task failed: {e}")),
                })
            });
            let _ = tx.send(done).await;
        });
        self.tail = Some(handle);
        None
    }

    /// A job reported back.
    pub fn finished(&mut self, id: u64) {
        self.running.retain(|(i, _)| *i != id);
    }
}
