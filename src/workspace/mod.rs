//! The one API the front ends use (DESIGN "The shape"): `cli/` and `tui/` call a [`Workspace`]
//! and read `model/` types; they never reach the store, the worker's transitions or the policy
//! registry themselves.
//!
//! A workspace is a store plus the person using it. [`Workspace::open_for_writing`] also does
//! what SPEC §3 asks of every writer: make sure the workspace has an admin and recover expired
//! or orphaned leases before anything claims a block.

mod documents;
mod keys;
mod policy;
mod review;
mod runs;
mod schemas;
mod session;

use std::path::Path;
use std::sync::Arc;

pub use keys::KeyTest;
pub use session::{Session, SessionOptions};

// Types and pure helpers the fronts show or pass back; re-exported so the fronts have one door.
pub use crate::demo::{DEMO_TEMPLATES, SAMPLE_NAME};
pub use crate::export::{ExportError, ExportSummary, Format, Mode};
pub use crate::ingest::{IngestError, IngestLimits, IngestReport};
pub use crate::model::ProviderKind;
pub use crate::policy::{
    display_value, AdminChange, AdminRecord, AuditEntry, EffectiveValue, PolicyError, PolicySource,
    SetOutcome, WorkerPolicy,
};
pub use crate::provider::{format_cost, key_env_var, ProviderError};
pub use crate::review::{
    EditOutcome, ReviewError, ReviewEvent, ReviewOutcome, Selection, SelectionError, Target,
};
pub use crate::schema::{
    check as check_schema, classify as classify_schema, derive_ref, properties, templates, Compat,
    ImportClass, PromptConfig, SaveOutcome, SaveRequest, SchemaError, Template,
};
pub use crate::store::{SchemaDelete, StoreError};
pub use crate::vault::{display_key, KeyOptions, KeySource, KeySummary, VaultError};
pub use crate::worker::{CreateRunOptions, RunEnd, WorkerError, WorkerEvent};

use crate::store::Store;

/// An open store and the person working in it.
#[derive(Clone)]
pub struct Workspace {
    store: Arc<Store>,
    user: String,
}

impl Workspace {
    /// Open the store at `path` for reading (list, show, export): no admin bootstrap and no lease
    /// recovery, so looking never changes anything.
    pub fn open_for_reading(path: &Path) -> Result<Workspace, WorkspaceError> {
        Ok(Workspace::new(Arc::new(Store::open(path)?)))
    }

    /// Open the store at `path` for writing: the first user becomes the workspace admin and
    /// leases that expired or whose worker is gone return to `pending` (SPEC §3).
    pub fn open_for_writing(path: &Path) -> Result<Workspace, WorkspaceError> {
        let ws = Workspace::open_for_reading(path)?;
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

    /// Who is acting (the OS user, or `BLOCKWISE_USER`).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Where the store file lives.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// A digest of the whole store (tests: proof that nothing changed).
    pub fn fingerprint(&self) -> Result<String, StoreError> {
        self.store.fingerprint()
    }

    /// Make the offline demo workspace: sample documents in `samples_dir`, templates, one run.
    pub fn populate_demo(&self, samples_dir: &Path) -> Result<crate::model::Run, WorkerError> {
        crate::demo::populate(&self.store, samples_dir)
    }

    /// Whether `path` may be replaced by a fresh demo (absent, or itself a demo workspace).
    pub fn demo_may_reset(path: &Path) -> Result<bool, WorkerError> {
        crate::demo::may_reset(path)
    }
}

/// Why a workspace could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}
