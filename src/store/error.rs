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
    /// A damaged store file (a panic inside redb, a page redb calls corrupted, or a record
    /// whose checksum does not match): `what` names the table or record that could not be read.
    #[error(
        "store is damaged: could not read {what} ({detail}); nothing was changed. Run \
         `blockwise check` to list the damage"
    )]
    Damaged { what: String, detail: String },
    #[error("store error: {0}")]
    Redb(String),
    #[error("no {kind} matches '{prefix}'")]
    NotFound { kind: &'static str, prefix: String },
    #[error("'{prefix}' is ambiguous: it matches {kind}s {}", candidates.join(", "))]
    Ambiguous {
        kind: &'static str,
        prefix: String,
        candidates: Vec<String>,
    },
}

/// A storage error that means the file's bytes are wrong (not an I/O failure such as a full
/// disk): reported as damage, naming the file until a [`super::guard::reading`] marker names more.
fn from_storage(e: &redb::StorageError) -> Option<StoreError> {
    match e {
        redb::StorageError::Corrupted(m) => Some(damaged_file(m.clone())),
        redb::StorageError::LockPoisoned(_) => Some(damaged_file(e.to_string())),
        _ => None,
    }
}

fn damaged_file(detail: String) -> StoreError {
    StoreError::Damaged {
        what: super::guard::current_or("the store file"),
        detail,
    }
}

impl From<redb::StorageError> for StoreError {
    fn from(e: redb::StorageError) -> Self {
        from_storage(&e).unwrap_or_else(|| StoreError::Redb(e.to_string()))
    }
}

impl From<redb::TableError> for StoreError {
    fn from(e: redb::TableError) -> Self {
        match &e {
            redb::TableError::Storage(s) => from_storage(s),
            // Every table is created by the migrations, with these types: another type or a
            // missing table means the file's table directory is damaged.
            redb::TableError::TableTypeMismatch { .. }
            | redb::TableError::TableIsMultimap(_)
            | redb::TableError::TableIsNotMultimap(_)
            | redb::TableError::TypeDefinitionChanged { .. }
            | redb::TableError::TableDoesNotExist(_) => Some(damaged_file(e.to_string())),
            _ => None,
        }
        .unwrap_or_else(|| StoreError::Redb(e.to_string()))
    }
}

impl From<redb::TransactionError> for StoreError {
    fn from(e: redb::TransactionError) -> Self {
        match &e {
            redb::TransactionError::Storage(s) => from_storage(s),
            _ => None,
        }
        .unwrap_or_else(|| StoreError::Redb(e.to_string()))
    }
}

impl From<redb::CommitError> for StoreError {
    fn from(e: redb::CommitError) -> Self {
        match &e {
            redb::CommitError::Storage(s) => from_storage(s),
            _ => None,
        }
        .unwrap_or_else(|| StoreError::Redb(e.to_string()))
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        match &e {
            redb::Error::Corrupted(m) => Some(damaged_file(m.clone())),
            _ => None,
        }
        .unwrap_or_else(|| StoreError::Redb(e.to_string()))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Damaged {
            what: super::guard::current_or("a record"),
            detail: format!("undecodable: {e}"),
        }
    }
}
