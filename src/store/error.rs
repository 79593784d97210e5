use std::path::PathBuf;

/// Everything that can go wrong in the store. Messages name the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open store {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "store {path} was written by a newer Blockwise (format {found}; this build reads up to \
         {supported}): upgrade Blockwise to open it"
    )]
    NewerFormat {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error(
        "no workspace at {path}: nothing to read there. Make one by ingesting a file \
         (`blockwise --store {path} ingest FILE`), or pass --store / BLOCKWISE_STORE for an \
         existing one"
    )]
    Missing { path: PathBuf },
    #[error("store {path} was opened read-only; this command cannot change it")]
    ReadOnly { path: PathBuf },
    #[error(
        "store {path} is busy: {holders}. Gave up after waiting {}s; nothing was changed",
        waited.as_secs()
    )]
    Busy {
        path: PathBuf,
        waited: std::time::Duration,
        holders: String,
    },
    #[error("store is corrupt: {0}")]
    Corrupt(String),
    #[error("store error: {0}")]
    Redb(String),
    /// What a change was planned on moved under it; nothing was written.
    #[error("{0}")]
    Changed(String),
    #[error("no {kind} matches '{prefix}'")]
    NotFound { kind: &'static str, prefix: String },
    #[error("'{prefix}' is ambiguous: it matches {kind}s {}", candidates.join(", "))]
    Ambiguous {
        kind: &'static str,
        prefix: String,
        candidates: Vec<String>,
    },
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Redb(e.to_string())
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(format!("undecodable record: {e}"))
    }
}
