//! The one API the front ends use (DESIGN "The shape"): `cli/` and `tui/` call a [`Workspace`]
//! and read `model/` types; they never reach the store, the worker's transitions or the policy
//! registry themselves.
//!
//! A workspace is a store plus the person using it. [`Workspace::open_for_writing`] also does
//! what SPEC §3 asks of every writer: make sure the workspace has an admin and recover expired
//! or orphaned leases before anything claims a block.
//!
//! Every method returns the one [`Error`]: each subsystem's error in its own variant, its
//! message unchanged; the fronts match on the variant (the CLI's exit codes: `cli::exit`).

mod batches;
mod compare;
pub use crate::review::look::LookSet;
pub use compare::Against;
mod detach;
mod documents;
mod error;
pub use error::Error;
mod folder_ingest;
mod groups;
pub use folder_ingest::{
    refused_line, Glob, IngestEvent, IngestRequest, IngestSummary, Skipped, WalkOptions,
};
pub use groups::RunOrGroup;
mod keys;
mod policy;
mod projects;
pub use projects::{validate_project_ref, ProjectError, MAX_DESCRIPTION_CHARS};
mod providers;
mod review;
mod runs;
mod schema_assist;
pub use schema_assist::{AssistError, AssistEstimate, AssistOutcome, AssistTask, ASSIST_ATTEMPTS};
mod schemas;
pub use schemas::PromptPreview;
mod session;

use std::path::Path;
use std::sync::Arc;

pub use batches::batch_summary;
pub use documents::ingest_line;
pub use keys::{KeyTest, KeyTestError};
pub use providers::ProviderChoice;
pub use runs::estimate_summary;
pub use session::{Session, SessionOptions};

// Types and pure helpers the fronts show or pass back; re-exported so the fronts have one door.
pub use crate::demo::{DEMO_TEMPLATES, SAMPLE_NAME};
pub use crate::export::{ExportError, ExportSummary, Format, Mode};
pub use crate::files::{read_stdin, read_text, KEY_MAX, SCHEMA_FILE_MAX, VALUE_FILE_MAX};
pub use crate::ingest::{
    FileDone, FileOutcome, IngestError, IngestLimits, IngestReport, SkipKind,
    SUPPORTED as SUPPORTED_FORMATS,
};
pub use crate::model::{GroupSummary, MembershipChange, Project, ProviderKind, RunGroup, RunState};
pub use crate::policy::{
    display_value, AdminChange, AdminRecord, AuditEntry, EffectiveValue, PolicyError, PolicySource,
    SetOutcome, WorkerPolicy,
};
pub use crate::provider::{
    format_cost, key_env_var, ProviderError, ServerKind, ServerLimits, StructuredSupport,
};
pub use crate::review::{
    Action as ReviewAction, EditOutcome, Filter as BlockFilter, ReviewError, ReviewEvent,
    ReviewOutcome, Salvage, Selection, SelectionError, SkippedBlock, StatusChoice, Target, Undo,
};
pub use crate::schema::suggest as schema_suggest;
pub use crate::schema::suggest_refine as schema_refine;
pub use crate::schema::{
    check as check_schema, classify as classify_schema, derive_ref, properties, templates, Compat,
    Field, FieldSpec, FieldType, ImportClass, PromptConfig, SaveOutcome, SaveRequest, SchemaError,
    Template, WizardModel,
};
pub use crate::schema::{validate_ref, PROMPT_CONFIG_KEYS};
pub use crate::store::{ChangeStamp, CheckReport, Damage, Holder, SchemaDelete, StoreError};
pub use crate::vault::{display_key, KeyOptions, KeySource, KeySummary, VaultError};
pub use crate::worker::{
    failure_lines, failure_summary, CreateRunOptions, FailureCause, RunEnd, RunEstimate,
    WorkerError, WorkerEvent,
};

use crate::store::Store;

/// An open store and the person working in it.
#[derive(Clone)]
pub struct Workspace {
    store: Arc<Store>,
    user: String,
}

impl Workspace {
    /// Open the store at `path` for reading (list, show, export, check): no admin bootstrap and
    /// no lease recovery, and the file is opened read-only: a missing store is an error saying
    /// how to make one, nothing is created or changed, a store the user may only read opens, and
    /// a writer in another process is not waited for.
    pub fn open_for_reading(path: &Path) -> Result<Workspace, Error> {
        Ok(Workspace::new(Arc::new(Store::open_read_only(path)?)))
    }

    /// Open the store at `path` for writing: the first user becomes the workspace admin and
    /// leases that expired or whose worker is gone return to `pending` (SPEC §3).
    pub fn open_for_writing(path: &Path) -> Result<Workspace, Error> {
        let ws = Workspace::new(Arc::new(Store::open(path)?));
        crate::policy::ensure_workspace_admin(&ws.store)?;
        crate::worker::lease::recover_all(&ws.store, crate::clock::now_millis())?;
        Ok(ws)
    }

    /// A workspace over an already open store (tests, the demo, the TUI).
    pub fn new(store: Arc<Store>) -> Workspace {
        Workspace {
            store,
            user: crate::policy::current_user(),
        }
    }

    /// Who is acting: the OS account of the process (never an environment variable).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Where the store file lives.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// Verify the whole store (read-only): what is damaged, per document and run.
    pub fn check(&self) -> Result<CheckReport, Error> {
        Ok(self.store.check()?)
    }

    /// A digest of the whole store (tests: proof that nothing changed).
    pub fn fingerprint(&self) -> Result<String, Error> {
        Ok(self.store.fingerprint()?)
    }

    /// A cheap witness of changes by any process (the TUI polls it off the UI task).
    pub fn change_stamp(&self) -> Result<ChangeStamp, Error> {
        Ok(self.store.change_stamp()?)
    }

    /// Runs held by a live worker of another process (or another session id), by run id.
    pub fn run_holders(&self) -> Result<Vec<(String, Holder)>, Error> {
        Ok(crate::worker::holding::live_holders(
            &self.store,
            &crate::worker::worker_id(),
        )?)
    }

    /// Make the offline demo workspace: sample documents in `samples_dir`, templates, one run.
    pub fn populate_demo(&self, samples_dir: &Path) -> Result<crate::model::Run, Error> {
        Ok(crate::demo::populate(&self.store, samples_dir)?)
    }

    /// What the store at `path` is for the demo: absent, a pristine demo, not a demo, or a
    /// demo holding the user's work (read-only look).
    pub fn demo_store(path: &Path) -> Result<crate::demo::DemoStore, Error> {
        Ok(crate::demo::inspect(path)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OverlayStatus;

    /// A demo store whose first two blocks are claimed by a worker that no longer exists.
    fn store_with_orphaned_claims(dir: &Path) -> (std::path::PathBuf, String) {
        let path = dir.join("s.redb");
        let store = Store::open(&path).unwrap();
        let run = crate::demo::populate(&store, &dir.join("samples")).unwrap();
        // An owner id that is not `host:pid:start`: never alive (lease::owner_alive).
        crate::worker::transitions::claim(
            &store,
            &run.run_id,
            2,
            "gone",
            crate::clock::now_millis(),
        )
        .unwrap();
        (path, run.run_id)
    }

    #[test]
    fn opening_for_writing_recovers_orphaned_leases_and_reading_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (path, run_id) = store_with_orphaned_claims(dir.path());
        {
            let ws = Workspace::open_for_reading(&path).unwrap();
            assert_eq!(ws.get_run(&run_id).unwrap().unwrap().counters.claimed, 2);
        }
        let ws = Workspace::open_for_writing(&path).unwrap();
        let run = ws.get_run(&run_id).unwrap().unwrap();
        assert_eq!(run.counters.claimed, 0);
        assert_eq!(run.counters.pending, run.counters.total);
        let ov = ws.overlay(&run_id, 0).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::Pending);
        assert_eq!(ov.attempt_count, 0, "recovery uses no attempt");
    }

    #[test]
    fn retry_failed_returns_failed_blocks_to_pending_and_reopens_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let ws = Workspace::open_for_writing(&path).unwrap();
        let run = ws.populate_demo(&dir.path().join("samples")).unwrap();
        let total = run.counters.total;
        // Every block failed for good: the run rolls up to complete.
        ws.store
            .with_run(&run.run_id, |rt| {
                for i in 0..total {
                    let mut ov = rt.overlay(i)?.unwrap();
                    ov.status = OverlayStatus::Failed;
                    ov.attempt_count = 3;
                    ov.last_error = Some("bad".into());
                    rt.put_overlay(&ov)?;
                }
                rt.run.status = crate::model::RunStatus::Complete;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let (after, reset) = ws.retry_failed(&run.run_id).unwrap();
        assert_eq!(reset, total);
        assert_eq!(after.status, crate::model::RunStatus::Running);
        assert_eq!(after.counters.failed, 0);
        assert_eq!(after.counters.pending, total);
        let ov = ws.overlay(&run.run_id, 0).unwrap().unwrap();
        assert_eq!((ov.attempt_count, ov.last_error), (0, None));
        // Nothing failed: nothing changes.
        assert_eq!(ws.retry_failed(&run.run_id).unwrap().1, 0);
    }
}
