//! Jobs as data: what the app asks to run off the UI task ([`Job`]), what comes back
//! ([`JobDone`] with an [`Output`]), and the status-bar label of each. Running them is
//! `tui::jobs`' business; this file has no I/O beyond [`Snapshot::read`].

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{sanitize_line, Run, RunGroup, Schema};
use crate::workspace::{
    AssistOutcome, AssistTask, AuditEntry, BlockFilter as Filter, CreateRunOptions, EffectiveValue,
    Format, KeySummary, Mode, ReviewAction, RunEstimate, Selection, Target, Undo, Workspace,
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

/// What a search or a filter runs over: one run, or a group's member runs each with the grid
/// key of its block 0 (the grid of a group lists every member's blocks one after another).
#[derive(Debug, Clone)]
pub enum Scope {
    Run(Box<Run>),
    Group(Vec<(Run, u32)>),
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
        scope: Scope,
        query: String,
    },
    /// Find the blocks `filter` keeps (in a group: of the members `docs` only, when any is
    /// named); `announce` says how many (not after a review action, whose own line stays on
    /// the status bar).
    Filter {
        scope: Scope,
        filter: Filter,
        docs: Vec<usize>,
        announce: bool,
    },
    /// `A` on a group: every staged block of every member run, member by member.
    ConfirmAll {
        group_id: String,
        run_ids: Vec<String>,
    },
    /// Failed blocks back to pending with fresh attempts.
    RetryFailed {
        run_id: String,
    },
    /// Re-read runs, schemas and policy; `announce` says "reloaded" when done.
    Reload {
        announce: bool,
    },
    /// The new-run form's cost preview; `ask` tells a stale answer from the latest. With
    /// `project`, `doc` names a project and the preview is of a run group over it.
    Estimate {
        ask: u64,
        doc: String,
        schema: String,
        opts: CreateRunOptions,
        project: bool,
    },
    /// Create a run (with `project`: a run group over project `doc`).
    CreateRun {
        doc: String,
        schema: String,
        opts: CreateRunOptions,
        project: bool,
    },
    /// Ingest one file, with the CLI's checks and message.
    Ingest {
        path: PathBuf,
    },
    /// Ingest a folder (its subfolders too) as `blockwise ingest -r` does, reporting progress
    /// and stopping between files when asked.
    IngestFolder {
        path: PathBuf,
        progress: Arc<IngestProgress>,
    },
    CreateProject {
        project_ref: String,
    },
    AddToProject {
        project_ref: String,
        docs: Vec<String>,
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
    /// A schema assistant call (Describe's suggestion, the wizard's `r` refinement); `ask`
    /// tells a stale answer from the latest, `cancel` set aborts the call in flight.
    Assist {
        ask: u64,
        task: AssistTask,
        provider: String,
        model: Option<String>,
        cancel: Arc<std::sync::atomic::AtomicBool>,
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
    Project,
    Keys,
    DeleteSchema,
    Assist,
}

/// What a job produced.
#[derive(Debug, Clone)]
pub enum Output {
    /// One line for the status bar.
    Message(String),
    /// A review action: its line, how `u` reverses it, and the blocks it skipped (their state
    /// kept them out; they stay selected).
    Decided(String, Box<UndoEntry>, Vec<u32>),
    /// A search's query and matching blocks.
    Found(String, Arc<[u32]>),
    /// A filter, the group members it keeps (none: all), the blocks it keeps, and whether to
    /// say how many.
    View(Filter, Vec<usize>, Arc<[u32]>, bool),
    /// Review actions on several runs of a group: one line, and how `u` reverses each.
    DecidedMany(String, Vec<UndoEntry>),
    /// A full re-read of the lists.
    Snapshot(Box<Snapshot>),
    /// A cost preview for the new-run form (its refusal is shown in the form).
    Estimate {
        ask: u64,
        result: Result<Box<RunEstimate>, String>,
    },
    /// A run was created.
    Created(Box<Run>),
    /// Files were ingested: the (last) document and the CLI's line about it.
    Ingested {
        conv_uid: Option<String>,
        message: String,
    },
    /// A run group was created.
    CreatedGroup(Box<RunGroup>),
    /// A schema assistant answer (a checked proposal) or why there is none.
    Assist {
        ask: u64,
        result: Result<Box<AssistOutcome>, String>,
    },
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
    /// Run heads (no creation snapshot), lazy: `Store::list_heads`; at launch only the runs
    /// of no group (`members_listed` false: the groups' tallies stand in for their members).
    pub runs: Vec<crate::store::Head>,
    pub groups: Vec<RunGroup>,
    /// `tallies[i]`: `groups[i]`'s stored tally when the members are not listed.
    pub tallies: Vec<Option<crate::store::GroupTally>>,
    pub members_listed: bool,
    pub schemas: Vec<Schema>,
    pub policy: Vec<EffectiveValue>,
    pub audit: Vec<AuditEntry>,
    pub is_admin: bool,
    pub keys: Vec<KeySummary>,
}

impl Snapshot {
    /// Every list, every run head included.
    pub fn read(ws: &Workspace) -> anyhow::Result<Snapshot> {
        let groups = ws.list_groups()?;
        Snapshot::with_runs(ws, ws.list_heads()?, groups, Vec::new(), true)
    }

    /// What the first frame needs: the runs of no group and each group's stored tally, not
    /// its members (read after the first frame). Every head when a tally cannot stand in: one
    /// is not kept, or a group is paused (its row names a member's reason).
    pub fn launch(ws: &Workspace) -> anyhow::Result<Snapshot> {
        let o = ws.run_overview()?;
        // No group, or the tallies not kept: `o.runs` is every head already.
        if o.members_listed || o.groups.is_empty() {
            return Snapshot::with_runs(ws, o.runs, o.groups, Vec::new(), true);
        }
        if o.tallies.iter().flatten().any(|t| t.by_status[1] > 0) {
            // `o.runs` holds only the runs of no group: list the members too.
            return Snapshot::with_runs(ws, ws.list_heads()?, o.groups, Vec::new(), true);
        }
        Snapshot::with_runs(ws, o.runs, o.groups, o.tallies, false)
    }

    fn with_runs(
        ws: &Workspace,
        runs: Vec<crate::store::Head>,
        groups: Vec<RunGroup>,
        tallies: Vec<Option<crate::store::GroupTally>>,
        members_listed: bool,
    ) -> anyhow::Result<Snapshot> {
        Ok(Snapshot {
            runs,
            groups,
            tallies,
            members_listed,
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
            Job::Confirm { .. } | Job::ConfirmAll { .. } => JobKind::Confirm,
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
            Job::Assist { .. } => JobKind::Assist,
            Job::RetryFailed { .. } => JobKind::RetryFailed,
            Job::Reload { announce } => JobKind::Reload {
                announce: *announce,
            },
            Job::Estimate { .. } => JobKind::Estimate,
            Job::CreateRun { .. } => JobKind::CreateRun,
            Job::Ingest { .. } | Job::IngestFolder { .. } => JobKind::Ingest,
            Job::CreateProject { .. } | Job::AddToProject { .. } => JobKind::Project,
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
            Job::ConfirmAll { group_id, run_ids } => format!(
                "confirming every staged block of the {} runs of {group_id}",
                run_ids.len()
            ),
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
            Job::IngestFolder { path, progress } => {
                format!("ingesting {} ({})", path.display(), progress.describe())
            }
            Job::CreateProject { project_ref } => format!("creating project {project_ref}"),
            Job::AddToProject { project_ref, docs } => {
                format!("adding {} document(s) to {project_ref}", docs.len())
            }
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
            Job::Assist { provider, .. } => format!("asking {provider} for a schema"),
        }
    }
}

/// How far a folder ingest is, shared by the job (which counts) and the screen (which reads),
/// and the switch that stops it between files.
#[derive(Debug, Default)]
pub struct IngestProgress {
    pub done: std::sync::atomic::AtomicUsize,
    /// Files to ingest (known once the walk is done).
    pub total: std::sync::atomic::AtomicUsize,
    pub walked: std::sync::atomic::AtomicBool,
    /// Set to stop: files being parsed finish, no new one starts.
    pub stop: std::sync::atomic::AtomicBool,
}

impl IngestProgress {
    /// `walking the folder`, `120/400 files`, with `stopping` once asked.
    pub fn describe(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        let what = if self.walked.load(Relaxed) {
            format!(
                "{}/{} files",
                self.done.load(Relaxed),
                self.total.load(Relaxed)
            )
        } else {
            "walking the folder".into()
        };
        if self.stop.load(Relaxed) {
            format!("{what} · stopping after the files in progress")
        } else {
            what
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
