//! Work that must not run on the UI task: review writes (a confirm-all rewrites every staged
//! overlay in one transaction), exports, policy changes, run transitions and full reloads.
//! [`Jobs`] runs them one after another on tokio's blocking pool, in the order asked, and each
//! result comes back through the UI's action channel as [`Action::JobDone`].

use std::path::PathBuf;

use super::action::Action;
use super::effect::Reply;
use std::sync::Arc;

use super::panes::find::{self, Filter};
use super::panes::grid::compact;
use super::Spawner;
use crate::model::{sanitize_line, Run, Schema};
use crate::workspace::{
    display_value, AuditEntry, CreateRunOptions, EffectiveValue, Format, KeyOptions, KeySummary,
    Mode, ReviewAction, RunEstimate, SchemaDelete, Selection, SetOutcome, Target, Undo, Workspace,
};

/// One review action of this session that `u` can reverse.
#[derive(Debug, Clone)]
pub struct UndoEntry {
    pub run_id: String,
    pub action: ReviewAction,
    /// The review event it wrote.
    pub seq: Option<u64>,
    pub undo: Undo,
}

/// A key as typed: shown nowhere, not even in `Debug` output.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone)]
pub enum Job {
    Confirm {
        run_id: String,
        target: Target,
    },
    Reject {
        run_id: String,
        selection: Selection,
        reason: Option<String>,
    },
    Unconfirm {
        run_id: String,
        selection: Selection,
    },
    Undo(UndoEntry),
    Discard {
        run_id: String,
        index: u32,
    },
    Edit {
        run_id: String,
        index: u32,
        field: String,
        text: String,
    },
    Export {
        run_id: String,
        path: PathBuf,
        format: Format,
        mode: Mode,
        demo: bool,
    },
    SetPolicy {
        key: String,
        value: String,
        reason: Option<String>,
    },
    /// Cancel (`cancel`) or resume a run.
    Transition {
        run_id: String,
        cancel: bool,
    },
    /// Find the blocks whose content or value contains `query`.
    Search {
        run: Box<Run>,
        query: String,
    },
    /// Find the blocks `filter` keeps; `announce` says how many (not after a review action,
    /// whose own line stays on the status bar).
    Filter {
        run: Box<Run>,
        filter: Filter,
        announce: bool,
    },
    /// Failed blocks back to pending with fresh attempts.
    RetryFailed {
        run_id: String,
    },
    /// Re-read runs, schemas and policy; `announce` says "reloaded" when done.
    Reload {
        announce: bool,
    },
    /// The new-run form's cost preview; `ask` tells a stale answer from the latest.
    Estimate {
        ask: u64,
        doc: String,
        schema: String,
        opts: CreateRunOptions,
    },
    CreateRun {
        doc: String,
        schema: String,
        opts: CreateRunOptions,
    },
    /// Ingest one file, with the CLI's checks and message.
    Ingest {
        path: PathBuf,
    },
    SetKey {
        provider: String,
        secret: Secret,
        base_url: Option<String>,
    },
    /// The cheapest real call with the provider's key (`keys test`).
    TestKey {
        provider: String,
    },
    RemoveKey {
        provider: String,
    },
    /// Delete a schema no run uses (the store refuses it while one does).
    DeleteSchema {
        schema_id: String,
        schema_ref: String,
    },
    /// A stored key's defaults (`keys set --model --temperature --max-tokens`).
    SetKeyDefaults {
        provider: String,
        model: Option<String>,
        temperature: Option<f64>,
        max_tokens: Option<u32>,
    },
}

/// Which job finished, without its payload: decides what the app does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Confirm,
    Reject,
    Unconfirm,
    Undo,
    Search,
    Filter,
    Discard,
    Edit,
    Export,
    SetPolicy,
    Transition,
    RetryFailed,
    Reload { announce: bool },
    Estimate,
    CreateRun,
    Ingest,
    Keys,
    DeleteSchema,
}

/// What a job produced.
#[derive(Debug, Clone)]
pub enum Output {
    /// One line for the status bar.
    Message(String),
    /// A review action: its line, and how `u` reverses it.
    Decided(String, Box<UndoEntry>),
    /// A search's query and matching blocks.
    Found(String, Arc<[u32]>),
    /// A filter, the blocks it keeps, and whether to say how many.
    View(Filter, Arc<[u32]>, bool),
    /// A full re-read of the lists.
    Snapshot(Box<Snapshot>),
    /// A cost preview for the new-run form (its refusal is shown in the form).
    Estimate {
        ask: u64,
        result: Result<Box<RunEstimate>, String>,
    },
    /// A run was created.
    Created(Box<Run>),
    /// A file was ingested: the document and the CLI's line about it.
    Ingested { conv_uid: String, message: String },
}

/// A finished job, as it comes back to the UI.
#[derive(Debug, Clone)]
pub struct JobDone {
    pub id: u64,
    pub kind: JobKind,
    pub reply: Reply,
    pub result: Result<Output, String>,
}

/// Everything the Runs, Schemas and Policy panes list.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub runs: Vec<Run>,
    pub schemas: Vec<Schema>,
    pub policy: Vec<EffectiveValue>,
    pub audit: Vec<AuditEntry>,
    pub is_admin: bool,
    pub keys: Vec<KeySummary>,
}

impl Snapshot {
    pub fn read(ws: &Workspace) -> anyhow::Result<Snapshot> {
        Ok(Snapshot {
            runs: ws.list_runs()?,
            schemas: ws.list_schemas()?,
            policy: ws.policy_all()?,
            audit: ws.audit_log()?,
            is_admin: ws.is_admin()?,
            keys: ws.list_keys()?,
        })
    }
}

impl Job {
    pub fn kind(&self) -> JobKind {
        match self {
            Job::Confirm { .. } => JobKind::Confirm,
            Job::Reject { .. } => JobKind::Reject,
            Job::Unconfirm { .. } => JobKind::Unconfirm,
            Job::Undo(_) => JobKind::Undo,
            Job::Search { .. } => JobKind::Search,
            Job::Filter { .. } => JobKind::Filter,
            Job::Discard { .. } => JobKind::Discard,
            Job::Edit { .. } => JobKind::Edit,
            Job::Export { .. } => JobKind::Export,
            Job::SetPolicy { .. } => JobKind::SetPolicy,
            Job::Transition { .. } => JobKind::Transition,
            Job::RetryFailed { .. } => JobKind::RetryFailed,
            Job::Reload { announce } => JobKind::Reload {
                announce: *announce,
            },
            Job::Estimate { .. } => JobKind::Estimate,
            Job::CreateRun { .. } => JobKind::CreateRun,
            Job::Ingest { .. } => JobKind::Ingest,
            Job::SetKey { .. }
            | Job::TestKey { .. }
            | Job::RemoveKey { .. }
            | Job::SetKeyDefaults { .. } => JobKind::Keys,
            Job::DeleteSchema { .. } => JobKind::DeleteSchema,
        }
    }

    /// What the status bar says while the job runs.
    pub fn label(&self) -> String {
        match self {
            Job::Confirm {
                run_id,
                target: Target::AllStaged,
            } => format!("confirming every staged block of {run_id}"),
            Job::Confirm { run_id, target } => match target {
                Target::Blocks(sel) => format!("confirming {} block(s) of {run_id}", sel.len()),
                Target::AllStaged => format!("confirming {run_id}"),
            },
            Job::Reject {
                run_id, selection, ..
            } => {
                format!("rejecting {} block(s) of {run_id}", selection.len())
            }
            Job::Unconfirm { run_id, selection } => {
                format!("unconfirming {} block(s) of {run_id}", selection.len())
            }
            Job::Undo(e) => format!("undoing a {} on {}", e.action.as_str(), e.run_id),
            Job::Discard { run_id, index } => format!("discarding the edit of {run_id}/{index}"),
            Job::Edit { index, field, .. } => format!("saving block {index} · {field}"),
            Job::Export { path, .. } => format!("exporting to {}", path.display()),
            Job::SetPolicy { key, .. } => format!("setting {key}"),
            Job::Transition { run_id, cancel } => {
                format!(
                    "{} {run_id}",
                    if *cancel { "cancelling" } else { "resuming" }
                )
            }
            Job::Search { query, .. } => format!("searching for {}", sanitize_line(query)),
            Job::Filter { filter, .. } => format!("filtering: {}", filter.describe()),
            Job::RetryFailed { run_id } => format!("retrying the failed blocks of {run_id}"),
            Job::Reload { .. } => "reloading".into(),
            Job::Estimate { .. } => "estimating the cost".into(),
            Job::CreateRun { schema, .. } => format!("creating a run of {schema}"),
            Job::Ingest { path } => format!("ingesting {}", path.display()),
            Job::SetKey { provider, .. } => format!("storing the {provider} key"),
            Job::TestKey { provider } => format!("testing the {provider} key"),
            Job::RemoveKey { provider } => format!("removing the {provider} key"),
            Job::DeleteSchema { schema_ref, .. } => {
                format!("deleting schema '{}'", sanitize_line(schema_ref))
            }
            Job::SetKeyDefaults { provider, .. } => {
                format!("storing the {provider} key's defaults")
            }
        }
    }

    /// Do the work, as the workspace's user. Runs on a blocking thread (or inline when there is
    /// no runtime).
    pub fn run(self, ws: &Workspace) -> Result<Output, String> {
        let text = |m: String| Ok(Output::Message(m));
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let decided = |m: String, run_id: &str, action, seq, undo| {
            let entry = UndoEntry {
                run_id: run_id.to_string(),
                action,
                seq,
                undo,
            };
            Ok(Output::Decided(m, Box::new(entry)))
        };
        match self {
            Job::Confirm { run_id, target } => {
                let out = ws.confirm(&run_id, &target).map_err(|e| err(&e))?;
                let msg = format!(
                    "confirmed {} block(s): {} (u undoes)",
                    out.count, out.blocks
                );
                decided(msg, &run_id, out.action, out.event_seq, out.undo)
            }
            Job::Reject {
                run_id,
                selection,
                reason,
            } => {
                let out = ws
                    .reject_with_reason(&run_id, &selection, reason.as_deref())
                    .map_err(|e| err(&e))?;
                let msg = format!(
                    "rejected {} block(s) back to pending: {} (u undoes; s runs the worker again)",
                    out.count, out.blocks
                );
                decided(msg, &run_id, out.action, out.event_seq, out.undo)
            }
            Job::Unconfirm { run_id, selection } => {
                let out = ws.unconfirm(&run_id, &selection).map_err(|e| err(&e))?;
                let msg = format!(
                    "unconfirmed {} block(s), back to staged: {}",
                    out.count, out.blocks
                );
                decided(msg, &run_id, out.action, out.event_seq, out.undo)
            }
            Job::Undo(e) => {
                let out = ws
                    .undo(&e.run_id, &e.undo, e.action, e.seq)
                    .map_err(|x| format!("cannot undo that {}: {}", e.action.as_str(), err(&x)))?;
                text(format!(
                    "undid the {} of block(s) {} (logged as review event #{})",
                    e.action.as_str(),
                    out.blocks,
                    out.event_seq.unwrap_or_default()
                ))
            }
            Job::Discard { run_id, index } => {
                let out = ws.discard_edit(&run_id, index).map_err(|e| err(&e))?;
                let msg = format!(
                    "block {}: draft edit discarded, back to the model's answer (u undoes)",
                    out.block_index
                );
                let seq = Some(out.event_seq);
                decided(msg, &run_id, ReviewAction::Discard, seq, out.undo)
            }
            Job::Edit {
                run_id,
                index,
                field,
                text: value,
            } => {
                let out = ws
                    .edit(&run_id, index, &field, &value)
                    .map_err(|e| err(&e))?;
                let msg = format!(
                    "block {index}: {field} = {}{}",
                    out.new_value.as_ref().map(compact).unwrap_or_default(),
                    if out.edited {
                        " (draft edit; d discards, u undoes)"
                    } else {
                        ""
                    }
                );
                let seq = Some(out.event_seq);
                decided(msg, &run_id, ReviewAction::Edit, seq, out.undo)
            }
            Job::Export {
                run_id,
                path,
                format,
                mode,
                demo,
            } => {
                let sum = ws
                    .export_to_path(&run_id, format, mode, &path)
                    .map_err(|e| err(&e))?;
                // A relative path lands in the directory the TUI was started from: say which.
                let path = std::path::absolute(&path).unwrap_or(path);
                text(format!(
                    "exported {} blocks ({} confirmed, {} drafts, {} bytes) to {}{}",
                    sum.blocks,
                    sum.confirmed,
                    sum.drafts,
                    sum.bytes,
                    path.display(),
                    if demo { " [DEMO output]" } else { "" }
                ))
            }
            Job::SetPolicy { key, value, reason } => {
                let out = ws
                    .set_policy_text(&key, &value, reason.as_deref())
                    .map_err(|e| err(&e))?;
                text(match out {
                    SetOutcome::Changed(e) => format!(
                        "{key}: {} → {} (audit #{})",
                        display_value(&e.old),
                        display_value(&e.new),
                        e.seq
                    ),
                    SetOutcome::Unchanged { .. } => {
                        format!("{key} already holds {value}; nothing was written")
                    }
                })
            }
            Job::Transition { run_id, cancel } => {
                let r = if cancel {
                    ws.cancel_run(&run_id)
                } else {
                    ws.resume_run(&run_id)
                }
                .map_err(|e| err(&e))?;
                text(format!(
                    "run {} is {}{}",
                    r.run_id,
                    r.status.as_str(),
                    if cancel { "" } else { "; s starts the worker" }
                ))
            }
            Job::Search { run, query } => {
                let hits = if query.is_empty() {
                    Arc::from(Vec::new())
                } else {
                    find::search(ws, &run, &query)?
                };
                Ok(Output::Found(query, hits))
            }
            Job::Filter {
                run,
                filter,
                announce,
            } => {
                let kept = if filter.is_empty() {
                    Arc::from(Vec::new())
                } else {
                    filter.apply(ws, &run)?
                };
                Ok(Output::View(filter, kept, announce))
            }
            Job::RetryFailed { run_id } => {
                let (r, reset) = ws.retry_failed(&run_id).map_err(|e| err(&e))?;
                text(format!(
                    "{reset} failed block(s) of {} back to pending; the run is {} (s starts the \
                     worker)",
                    r.run_id,
                    r.status.as_str()
                ))
            }
            Job::Reload { .. } => Snapshot::read(ws)
                .map(|s| Output::Snapshot(Box::new(s)))
                .map_err(|e| format!("cannot read the store: {e}")),
            Job::Estimate {
                ask,
                doc,
                schema,
                opts,
            } => Ok(Output::Estimate {
                ask,
                result: ws
                    .estimate_run(&doc, &schema, &opts)
                    .map(Box::new)
                    .map_err(|e| err(&e)),
            }),
            Job::CreateRun { doc, schema, opts } => ws
                .create_run(&doc, &schema, &opts)
                .map(|r| Output::Created(Box::new(r)))
                .map_err(|e| err(&e)),
            Job::Ingest { path } => {
                let limits = ws.ingest_limits().map_err(|e| err(&e))?;
                let report = ws.ingest(&path, limits).map_err(|e| err(&e))?;
                // The CLI's line leads with the 64-hex uid; in the one status row that pushed
                // the title and the next step off an 80- or 120-column screen.
                let d = &report.document;
                let status = if report.created { "created" } else { "exists" };
                Ok(Output::Ingested {
                    conv_uid: d.conv_uid.clone(),
                    message: format!(
                        "{status} '{}' · {} blocks · {}",
                        d.title,
                        d.total_blocks,
                        d.conv_uid.get(..12).unwrap_or(&d.conv_uid)
                    ),
                })
            }
            Job::SetKey {
                provider,
                secret,
                base_url,
            } => {
                let options = KeyOptions {
                    base_url,
                    ..KeyOptions::default()
                };
                let key = Some(secret.0.as_str()).filter(|k| !k.trim().is_empty());
                let (summary, how) = ws.set_key(&provider, key, options).map_err(|e| err(&e))?;
                if key.is_none() {
                    text(format!(
                        "stored the {provider} endpoint {} with no key; t tests it",
                        summary.base_url.as_deref().unwrap_or_default()
                    ))
                } else {
                    text(format!(
                        "stored the {provider} key {} (encrypted {how}); t tests it",
                        summary.key
                    ))
                }
            }
            Job::TestKey { provider } => {
                let test = ws.test_key(&provider, None);
                let out = match tokio::runtime::Handle::try_current() {
                    Ok(h) => h.block_on(test),
                    Err(_) => tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| err(&e))?
                        .block_on(test),
                }
                .map_err(|e| err(&e))?;
                let detail = out.detail.map(|d| format!(": {d}")).unwrap_or_default();
                match out.verdict {
                    Some(true) => text(format!("{provider} key {}: valid{detail}", out.key_shown)),
                    Some(false) => Err(format!(
                        "{provider} key {}: REJECTED{detail}",
                        out.key_shown
                    )),
                    None => Err(format!(
                        "{provider} key {}: could not be checked{detail}",
                        out.key_shown
                    )),
                }
            }
            Job::SetKeyDefaults {
                provider,
                model,
                temperature,
                max_tokens,
            } => {
                let key = ws
                    .set_key_defaults(&provider, model, temperature, max_tokens)
                    .map_err(|e| err(&e))?;
                text(crate::tui::modals::key_defaults::stored_line(&key))
            }
            Job::RemoveKey { provider } => {
                if ws.remove_key(&provider).map_err(|e| err(&e))? {
                    text(format!("removed the stored {provider} key"))
                } else {
                    Err(format!("no stored {provider} key"))
                }
            }
            Job::DeleteSchema {
                schema_id,
                schema_ref,
            } => {
                let r = sanitize_line(&schema_ref);
                match ws.delete_schema(&schema_id).map_err(|e| err(&e))? {
                    SchemaDelete::Deleted(_) => text(format!("deleted schema '{r}' ({schema_id})")),
                    SchemaDelete::Referenced { run_ids, .. } => Err(format!(
                        "refused: schema '{r}' is used by run(s) {}; nothing was deleted",
                        run_ids.join(", ")
                    )),
                }
            }
        }
    }
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
            let result = job.run(&ws);
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
