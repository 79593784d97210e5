//! The one error the fronts see (issue 21 item 4): every Workspace method returns
//! [`Error`], whose variants wrap each subsystem's own error unchanged. Each variant is
//! `transparent`, so a message (and its chain of causes) reads exactly as the subsystem wrote
//! it; the fronts match on the variant to choose an exit code or a status line.

use super::{KeyTestError, ProjectError};
use crate::export::ExportError;
use crate::ingest::IngestError;
use crate::policy::PolicyError;
use crate::review::ReviewError;
use crate::schema::SchemaError;
use crate::store::StoreError;
use crate::vault::VaultError;
use crate::worker::WorkerError;

/// Why a workspace operation failed: the subsystem's error, as it said it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    KeyTest(#[from] KeyTestError),
}
