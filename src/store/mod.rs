//! The only code that knows redb. Every multi-row change is one write transaction.

mod assist_calls;
mod batches;
mod block_codec;
mod change_stamp;
mod check;
mod check_batches;
mod check_projects;
mod check_records;
mod check_report;
mod check_tallies;
pub mod commit_stats;
mod compare_scan;
mod documents;
mod export_scan;
mod fingerprint;
mod group_tally;
mod groups;
pub mod guard;
mod head;
mod head_tables;
mod holders;
pub(crate) mod policy;
mod run_overview;
pub use group_tally::GroupTally;
pub use head::Head;
pub use run_overview::RunOverview;
mod run_heads;
pub use run_heads::head_of as run_head_of;
mod run_holders;
pub mod sealed;
pub use documents::{BatchWriter, DocumentWriter, InsertOutcome};
mod error;
mod keys;
mod meta;
mod migrations;
#[cfg(test)]
mod new_store_tests;
mod prefix;
pub(crate) mod projects;
pub use projects::ProjectDelete;
mod review_log;
mod run_batch;
mod run_skips;
pub(crate) mod run_txn;
mod run_txn_review;
mod runs;
mod schemas;
mod space;
mod text_pages;
mod writer_mark;
pub use crate::model::ReviewEvent;
pub use batches::{put_in as batch_put_in, RequestLookup};
pub use change_stamp::ChangeStamp;
pub use export_scan::OverlayView;
pub use run_batch::RunBatch;
pub use run_holders::{Alive, Holder};
pub use run_txn::RunTxn;
pub use schemas::{SchemaDelete, SchemaInsert};
pub use space::Space;
pub use writer_mark::{writer as write_holder, Writer};
pub mod tables;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redb::{Database, ReadOnlyDatabase, ReadableDatabase};

pub use check_report::{CheckReport, Damage};
pub use error::StoreError;
pub use prefix::PrefixMatch;

/// redb's in-process page cache (2 MiB: `cargo bench --bench worker` shows flat memory and
/// unchanged wall time; sequential scans are served by the OS page cache).
const CACHE_BYTES: usize = 2 * 1024 * 1024;

/// Store format this build writes and reads. Bump with a numbered migration in
/// `migrations.rs` (2: the v1 stamp covered three block layouts; see `v1_to_v2`; 3: user-data
/// records are sealed with a checksum, `sealed.rs`; 4: projects and run groups; 5: provider
/// batches; 6: run heads, `run_heads.rs`; 7: overlays may be `skipped`, code 5,
/// which older builds cannot read).
pub const FORMAT_VERSION: u64 = 8;

/// How long a write waits for another process's write transaction before giving up.
pub const WRITE_WAIT: Duration = Duration::from_secs(5);

/// How long a read-only open retries while another process repairs an unclean store before
/// saying so (it never waits on a write transaction).
const READ_RETRY: Duration = Duration::from_millis(500);

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
    /// A file this open created: its tables and version stamp are not written yet. They go into
    /// the first write transaction (one durable commit instead of two for `ingest` into a new
    /// store), or into a set-up commit of their own before the first read or at drop.
    setup: Arc<AtomicBool>,
}

/// redb's open waits, without end, for a writer that holds the header lock; one commits in far
/// less than READ_RETRY, so one that keeps it until `gave_up` is stopped: say so.
fn wait_for_redb_header(path: &Path, gave_up: Instant) -> Result<(), StoreError> {
    while writer_mark::redb_header_held(path) {
        if Instant::now() >= gave_up {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                reason: format!(
                    "a writer has been stopped in the middle of a commit ({}); continue or \
                     end that process and try again",
                    holders::open_by(path)
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
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
        let created = match crate::files::create_private_file(path) {
            Ok(()) => true,
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source: e,
                })
            }
            Err(_) if !crate::files::writable(path) => {
                return Err(StoreError::Open {
                    path: path.to_path_buf(),
                    reason: "this account may read it but not write it (permission denied); \
                             read-only commands (docs, blocks, check, export, run list/status) \
                             still work"
                        .to_string(),
                });
            }
            Err(_) => false,
        };
        let db = open_writable(path)?;
        let store = Store {
            db: Db::ReadWrite(db),
            path: path.to_path_buf(),
            write_wait: WRITE_WAIT,
            setup: Arc::new(AtomicBool::new(false)),
        };
        if created && migrations::is_blank(&store)? {
            // Nothing to migrate and no runs to give heads: set up with the first write.
            store.setup.store(true, Ordering::SeqCst);
            return Ok(store);
        }
        migrations::check_and_migrate(&store)?;
        head_tables::fill_if_out_of_step(&store)?;
        Ok(store)
    }

    /// This open created the file and nothing has been written to it yet.
    fn setup_owed(&self) -> bool {
        self.setup.load(Ordering::SeqCst)
    }

    /// A new file's set-up, if it is still owed, in a commit of its own.
    fn finish_setup(&self) -> Result<(), StoreError> {
        if self.setup_owed() {
            self.write()?.commit()?;
        }
        Ok(())
    }

    /// Open an existing store for reading only (issue 10 item 12): a missing store is an error
    /// saying how to make one, nothing is created or modified, a store the user may read but not
    /// write opens, and a writer in another process is never waited for.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let _reading = guard::reading("the store file while opening it");
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
        // redb refuses a shared read-only open of a file marked unclean that no live writer
        // vouches for (it holds a "consistent" lock byte from the end of its open until it
        // closes). That is a file a crash left unclean, or one a writer is opening right now
        // (it repairs, then vouches). A reader never waits on that writer: it retries for a
        // moment, then says so. A file nobody is repairing is repaired here when this account
        // may write it (redb's own recovery of its bookkeeping: no record changes).
        let gave_up = Instant::now() + READ_RETRY;
        let mut repaired = false;
        let db = loop {
            wait_for_redb_header(path, gave_up)?;
            let opened = Database::builder()
                .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
                .set_cache_size(CACHE_BYTES)
                .open_read_only(path);
            match opened {
                Ok(db) => break db,
                Err(redb::DatabaseError::RepairAborted) => {
                    if writer_mark::redb_writer_byte_held(path) {
                        if Instant::now() < gave_up {
                            std::thread::sleep(Duration::from_millis(10));
                            continue;
                        }
                        return Err(StoreError::Open {
                            path: path.to_path_buf(),
                            reason: format!(
                                "it was not closed cleanly (a crash or kill) and another \
                                 process is repairing it now ({}); try again in a moment",
                                holders::open_by(path)
                            ),
                        });
                    }
                    if repaired {
                        return Err(StoreError::Open {
                            path: path.to_path_buf(),
                            reason: "it still reads as unclean after redb's repair".to_string(),
                        });
                    }
                    Store::repair_for_reading(path)?;
                    repaired = true;
                }
                Err(e) => {
                    return Err(StoreError::Open {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    })
                }
            }
        };
        let store = Store {
            db: Db::ReadOnly(db),
            path: path.to_path_buf(),
            write_wait: WRITE_WAIT,
            setup: Arc::new(AtomicBool::new(false)),
        };
        migrations::check_readable(&store)?;
        Ok(store)
    }

    /// A store a crash left unclean, with no process repairing it: repair it the way every
    /// writer's open does (redb's recovery: no record changes) when this account may write the
    /// file, else say what is needed. Nobody held the writer byte a moment ago, so this waits
    /// only if a writer started in between (at most [`WRITE_WAIT`]).
    fn repair_for_reading(path: &Path) -> Result<(), StoreError> {
        if !crate::files::writable(path) {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                reason: "it was not closed cleanly (a crash or kill) and needs the repair redb \
                         makes on the next open for writing, which this account may not make; \
                         ask the store's owner to run any writing command (or open it in the \
                         TUI) once"
                    .to_string(),
            });
        }
        tracing::info!(path = %path.display(), "repairing a store left unclean before reading it");
        // Opened and closed at once: the open repairs, the close marks the file clean.
        drop(open_writable(path)?);
        Ok(())
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
        self.finish_setup()?;
        Ok(match &self.db {
            Db::ReadWrite(db) => db.begin_read()?,
            Db::ReadOnly(db) => db.begin_read()?,
        })
    }

    /// Begin a write transaction. Dropping it without `commit` writes nothing. Behind another
    /// process's write transaction this waits at most `write_wait`, then fails naming the
    /// process inside it (issue 10 item 11). While it lives, this process is named the same way
    /// to anyone waiting on it.
    pub(crate) fn write(&self) -> Result<WriteTxn, StoreError> {
        let Db::ReadWrite(db) = &self.db else {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        };
        let asked = Instant::now();
        let deadline = asked + self.write_wait;
        let mut pause = Duration::from_millis(2);
        loop {
            match db.try_begin_write() {
                Ok(tx) => {
                    if pause > Duration::from_millis(2) {
                        commit_stats::waited(asked.elapsed());
                    }
                    let mark = writer_mark::Mark::take(&self.path);
                    let setup = self.setup.load(Ordering::SeqCst);
                    if setup {
                        migrations::set_up(&self.path, &tx)?;
                    }
                    return Ok(WriteTxn {
                        tx,
                        _mark: mark,
                        setup: setup.then(|| self.setup.clone()),
                    });
                }
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

impl Drop for Store {
    /// A new store nobody wrote to is still set up before it closes, so the next read-only
    /// command finds an initialised store (as when the set-up had its own commit at open).
    fn drop(&mut self) {
        if let Err(e) = self.finish_setup() {
            tracing::warn!(path = %self.path.display(), "setting up the new store failed: {e}");
        }
    }
}

/// redb's writable *open* waits (without a timeout) for any write transaction another process
/// holds, and repairs a file a crash left unclean. When another process holds redb's writer byte
/// or its header lock, open on a helper thread and give up after WRITE_WAIT, naming who holds the
/// store; the helper, still blocked, ends with the process.
///
/// When nobody holds them, open on this thread. A helper thread costs more than its start: from
/// a process's second thread on, glibc's malloc takes a lock on every call, and a PDF converted
/// after the open ran 5% slower for it (`cargo bench --bench pdf_browser`). A writer that begins
/// in the moment between the look and the open is waited for like any commit: until its
/// transaction ends.
fn open_writable(path: &Path) -> Result<Database, StoreError> {
    if !writer_mark::redb_writer_byte_held(path) && !writer_mark::redb_header_held(path) {
        return open_here(path);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let target = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(open_here(&target));
    });
    match rx.recv_timeout(WRITE_WAIT) {
        Ok(db) => db,
        Err(_) => Err(StoreError::Busy {
            path: path.to_path_buf(),
            waited: WRITE_WAIT,
            holders: holders::describe(path),
        }),
    }
}

/// redb's writable open (it checks and repairs the file: damage found there is an error too).
fn open_here(path: &Path) -> Result<Database, StoreError> {
    guard::catch_damage(|| {
        let _reading = guard::reading("the store file while opening it");
        Database::builder()
            .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
            // redb's default cache (up to 1 GiB) would end up holding the whole store during a
            // long run; the OS page cache serves re-reads anyway, so keep ours small.
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
    })
}

/// A redb write transaction plus this process's write mark, released when it ends (commit,
/// abort or drop; the transaction ends first).
pub(crate) struct WriteTxn {
    tx: redb::WriteTransaction,
    _mark: writer_mark::Mark,
    /// The new store's set-up rides in this transaction: once it commits, it is no longer owed.
    setup: Option<Arc<AtomicBool>>,
}

impl WriteTxn {
    pub(crate) fn commit(self) -> Result<(), redb::CommitError> {
        let t = Instant::now();
        let done = self.tx.commit();
        commit_stats::committed(t.elapsed());
        if let (Ok(()), Some(owed)) = (&done, &self.setup) {
            owed.store(false, Ordering::SeqCst);
        }
        done
    }

    pub(crate) fn abort(self) -> Result<(), redb::StorageError> {
        self.tx.abort()
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = redb::WriteTransaction;

    fn deref(&self) -> &redb::WriteTransaction {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTxn {
    fn deref_mut(&mut self) -> &mut redb::WriteTransaction {
        &mut self.tx
    }
}
