//! The only code that knows redb. Every multi-row change is one write transaction.

mod block_codec;
mod documents;
mod export_scan;
mod fingerprint;
pub mod policy;
pub use documents::{DocumentWriter, InsertOutcome};
mod error;
mod keys;
mod meta;
mod migrations;
mod prefix;
mod review_log;
mod run_txn;
mod run_txn_review;
mod runs;
mod schemas;
mod text_pages;
pub use crate::model::ReviewEvent;
pub use export_scan::OverlayView;
pub use run_txn::RunTxn;
pub use schemas::{SchemaDelete, SchemaInsert};
pub mod tables;

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase};

pub use error::StoreError;
pub use prefix::PrefixMatch;

/// redb's in-process page cache (2 MiB: `cargo bench --bench worker` shows flat memory and
/// unchanged wall time; sequential scans are served by the OS page cache).
const CACHE_BYTES: usize = 2 * 1024 * 1024;

/// Store format this build writes and reads. Bump with a numbered migration in
/// `migrations.rs` (2: the v1 stamp covered three block layouts; see `v1_to_v2`).
pub const FORMAT_VERSION: u64 = 2;

/// An open Blockwise store (one redb file).
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Open (or create) the store at `path`, creating parent directories. Refuses a store written
    /// by a newer format version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Io {
                path: parent.to_path_buf(),
                source: e,
            })?;
        }
        let db = Database::builder()
            .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
            // redb's default cache (up to 1 GiB) would end up holding the whole store during a
            // long run; the OS page cache serves re-reads anyway, so keep ours small and flat.
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let store = Store {
            db,
            path: path.to_path_buf(),
        };
        migrations::check_and_migrate(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw database, for store submodules only.
    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    /// Begin a read transaction (a consistent snapshot).
    pub(crate) fn read(&self) -> Result<redb::ReadTransaction, StoreError> {
        Ok(self.db.begin_read()?)
    }

    /// Begin a write transaction. Dropping it without `commit` writes nothing.
    pub(crate) fn write(&self) -> Result<redb::WriteTransaction, StoreError> {
        Ok(self.db.begin_write()?)
    }
}
