//! The only code that knows redb. Every multi-row change is one write transaction.

mod block_codec;
mod change_stamp;
mod check;
mod documents;
mod export_scan;
mod fingerprint;
mod holders;
pub mod policy;
mod run_holders;
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
pub use change_stamp::ChangeStamp;
pub use export_scan::OverlayView;
pub use run_holders::{Alive, Holder};
pub use run_txn::RunTxn;
pub use schemas::{SchemaDelete, SchemaInsert};
pub mod tables;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redb::{Database, ReadOnlyDatabase, ReadableDatabase};

pub use check::{CheckReport, Damage};
pub use error::StoreError;
pub use prefix::PrefixMatch;

/// redb's in-process page cache (2 MiB: `cargo bench --bench worker` shows flat memory and
/// unchanged wall time; sequential scans are served by the OS page cache).
const CACHE_BYTES: usize = 2 * 1024 * 1024;

/// Store format this build writes and reads. Bump with a numbered migration in
/// `migrations.rs` (2: the v1 stamp covered three block layouts; see `v1_to_v2`).
pub const FORMAT_VERSION: u64 = 2;

/// How long a write waits for another process's write transaction before giving up.
pub const WRITE_WAIT: Duration = Duration::from_secs(5);

enum Db {
    ReadWrite(Database),
    /// Opened by a read-only command: never creates, repairs or writes the file.
    ReadOnly(ReadOnlyDatabase),
}

/// An open Blockwise store (one redb file).
pub struct Store {
    db: Db,
    path: PathBuf,
    write_wait: Duration,
}

impl Store {
    /// Open (or create) the store at `path`, creating parent directories. Refuses a store written
    /// by a newer format version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::files::create_private_dir(parent).map_err(|e| StoreError::Io {
                path: parent.to_path_buf(),
                source: e,
            })?;
        }
        // A new store is created owner-only (0600) before redb initialises it: its
        // permissions are the real boundary (README "Trust model"). An existing file keeps
        // the mode its owner gave it.
        if let Err(e) = crate::files::create_private_file(path) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source: e,
                });
            }
        }
        // redb's writable open waits (without a timeout) for any write transaction another
        // process holds. Open on a helper thread and give up after WRITE_WAIT, naming who has
        // the store open; the helper, still blocked, ends with the process.
        let (tx, rx) = std::sync::mpsc::channel();
        let target = path.to_path_buf();
        std::thread::spawn(move || {
            let db = Database::builder()
                .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
                // redb's default cache (up to 1 GiB) would end up holding the whole store during
                // a long run; the OS page cache serves re-reads anyway, so keep ours small.
                .set_cache_size(CACHE_BYTES)
                .create(&target);
            let _ = tx.send(db);
        });
        let db = match rx.recv_timeout(WRITE_WAIT) {
            Ok(db) => db.map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?,
            Err(_) => {
                return Err(StoreError::Busy {
                    path: path.to_path_buf(),
                    waited: WRITE_WAIT,
                    holders: holders::describe(path),
                })
            }
        };
        let store = Store {
            db: Db::ReadWrite(db),
            path: path.to_path_buf(),
            write_wait: WRITE_WAIT,
        };
        migrations::check_and_migrate(&store)?;
        Ok(store)
    }

    /// Open an existing store for reading only (issue 10 item 12): a missing store is an error
    /// saying how to make one, nothing is created or modified, a store the user may read but not
    /// write opens, and a writer in another process is never waited for.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                })
            }
            Err(e) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source: e,
                })
            }
            Ok(_) => {}
        }
        // A file a live writer is between commits on, or is still opening, reads as unclean
        // for a moment: retry briefly. A file left unclean by a crash needs a writer's repair.
        let mut tries = 0;
        let db = loop {
            let opened = Database::builder()
                .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
                .set_cache_size(CACHE_BYTES)
                .open_read_only(path);
            match opened {
                Err(redb::DatabaseError::RepairAborted) if tries < 3 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(db) => break db,
                // redb refuses a read-only open of a file it considers unclean (left by a crash,
                // or while some writers are live). Open it as a writer instead: that repairs
                // after a crash (redb's own recovery, no content change) and waits at most
                // WRITE_WAIT; nothing is created (the file exists) and nothing is written.
                Err(redb::DatabaseError::RepairAborted) => match Store::open(path) {
                    Ok(store) => return Ok(store),
                    Err(StoreError::Open { .. }) => {
                        return Err(StoreError::Open {
                            path: path.to_path_buf(),
                            reason: "it needs the repair redb makes after a crash, which needs \
                                     write access to the file"
                                .to_string(),
                        })
                    }
                    Err(e) => return Err(e),
                },
                Err(e) => {
                    return Err(StoreError::Open {
                        path: path.to_path_buf(),
                        reason: match e {
                            redb::DatabaseError::RepairAborted => "it needs the repair redb makes \
                                after a crash, which a read-only command does not make; run a \
                                writing command (e.g. `blockwise run start`) once"
                                .to_string(),
                            e => e.to_string(),
                        },
                    })
                }
            }
        };
        let store = Store {
            db: Db::ReadOnly(db),
            path: path.to_path_buf(),
            write_wait: WRITE_WAIT,
        };
        migrations::check_readable(&store)?;
        Ok(store)
    }

    /// How long a write waits behind another process's write transaction (default
    /// [`WRITE_WAIT`]).
    pub fn set_write_wait(&mut self, wait: Duration) {
        self.write_wait = wait;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begin a read transaction (a consistent snapshot).
    pub(crate) fn read(&self) -> Result<redb::ReadTransaction, StoreError> {
        Ok(match &self.db {
            Db::ReadWrite(db) => db.begin_read()?,
            Db::ReadOnly(db) => db.begin_read()?,
        })
    }

    /// Begin a write transaction. Dropping it without `commit` writes nothing. Behind another
    /// process's write transaction this waits at most `write_wait`, then fails naming the
    /// processes that hold the store (issue 10 item 11).
    pub(crate) fn write(&self) -> Result<redb::WriteTransaction, StoreError> {
        let Db::ReadWrite(db) = &self.db else {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        };
        let deadline = Instant::now() + self.write_wait;
        let mut pause = Duration::from_millis(2);
        loop {
            match db.try_begin_write() {
                Ok(tx) => return Ok(tx),
                Err(redb::TransactionError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(redb::TransactionError::WouldBlock) => {
                    return Err(StoreError::Busy {
                        path: self.path.clone(),
                        waited: self.write_wait,
                        holders: holders::describe(&self.path),
                    })
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}
