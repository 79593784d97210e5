//! Jobs as data: what the app asks to run off the UI task ([`Job`]), what comes back
//! ([`JobDone`] with an [`Output`]), and the status-bar label of each. Running them is
//! `tui::jobs`' business; this file has no I/O beyond [`Snapshot::read`].

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{sanitize_line, Run, Schema};
use crate::workspace::{
    AuditEntry, BlockFilter as Filter, CreateRunOptions, EffectiveValue, Format, KeySummary, Mode,
    ReviewAction, RunEstimate, Selection, Target, Undo, Workspace,
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
    /// A stored key's base URL (`keys set PROVIDER --base-url URL`; `None`: the vendor's).
    SetKeyBaseUrl {
        provider: String,
        base_url: Option<String>,
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
            | Job::SetKeyBaseUrl { .. }
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
            Job::SetKeyBaseUrl { provider, .. } => {
                format!("storing the {provider} key's base URL")
            }
            Job::SetKeyDefaults { provider, .. } => {
                format!("storing the {provider} key's defaults")
            }
        }
    }
}

/// Where a job's outcome is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The status bar.
    Status,
    /// The prompt that started it: success closes it, a refusal stays in it with the reason.
    Prompt,
}
