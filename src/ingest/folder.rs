//! Many files at once (issue 22 item 2): parse on every core, write in batches.
//!
//! Worker threads take the next file (by index), read, validate and convert it
//! ([`prepare_path`], no store), and hand the result over a bounded channel. This thread
//! collects prepared documents into a batch and a committer thread writes it in ONE durable
//! transaction when it holds [`BATCH_BYTES`] of text or [`BATCH_FILES`] files, or [`BATCH_WAIT`]
//! after its first file; while the committer is still writing the batch before, this one keeps
//! filling (up to 1.5 times those limits), so the parsers do not wait on the disk.
//! Outcomes are reported in path order (a small reorder buffer of records, never of text).
//!
//! Interrupt: once the flag is set no new file is started; the files being parsed are finished
//! and committed with the batch. A file is in the store whole or not at all (one transaction).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use super::{prepare_path, IngestLimits, Prepared};
use crate::model::Document;
use crate::store::{Store, StoreError};

/// Text held in one batch before it is written (redb keeps a transaction's dirty pages in
/// memory, so this bounds the writer's memory too).
pub const BATCH_BYTES: usize = 1024 * 1024;
/// Files in one batch at most.
pub const BATCH_FILES: usize = 256;
/// A batch is written at the latest this long after its first file arrived.
pub const BATCH_WAIT: Duration = Duration::from_millis(250);

/// What happened to one file.
#[derive(Debug, Clone)]
pub enum FileOutcome {
    /// Newly stored.
    Created(Document),
    /// The same conversion was already stored (or came earlier in this ingest).
    Unchanged(Document),
    /// Not ingested; the reason names what is wrong.
    Refused(String),
}

/// One file's outcome, reported in path order.
#[derive(Debug, Clone)]
pub struct FileDone {
    pub index: usize,
    pub path: PathBuf,
    pub outcome: FileOutcome,
}

/// How a many-file ingest ran.
#[derive(Debug, Clone, Copy)]
pub struct ManyOptions<'a> {
    pub limits: IngestLimits,
    /// Parser threads (at least 1).
    pub threads: usize,
    /// Set (e.g. by a Ctrl-C handler) to stop starting new files.
    pub interrupt: Option<&'a AtomicBool>,
}

/// The number of parser threads to use: every core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

type Parsed = (usize, Result<Prepared, String>);

/// Ingest `files` (already walked, in path order). `on_done` sees every finished file in path
/// order, once it is durable; files never started (interrupt) are not reported. A store error
/// stops the ingest: batches committed before it stay. Returns the number of write
/// transactions committed.
pub fn ingest_many(
    store: &Store,
    files: &[PathBuf],
    opts: ManyOptions<'_>,
    mut on_done: impl FnMut(FileDone),
) -> Result<usize, StoreError> {
    let threads = opts.threads.clamp(1, files.len().max(1));
    let next = AtomicUsize::new(0);
    let stopped = || opts.interrupt.is_some_and(|f| f.load(Ordering::SeqCst));
    let (tx, rx) = sync_channel::<Parsed>(threads);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stopped) = (&next, &stopped);
            scope.spawn(move || loop {
                if stopped() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(path) = files.get(i) else { break };
                let parsed = prepare_path(path, opts.limits).map_err(|e| reason_of(&e));
                if tx.send((i, parsed)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut order = InOrder::new(files, &mut on_done);
        // Returning drops `rx`: on a store error the parsers stop at their next send.
        write_batches(store, rx, &mut order)
    })
}

/// The reason alone (the caller names the path).
fn reason_of(e: &super::IngestError) -> String {
    match e {
        super::IngestError::BadInput { reason, .. } => reason.clone(),
        super::IngestError::Store { source, .. } => source.to_string(),
    }
}

/// Collect parsed files into batches; a committer thread writes each batch while this thread
/// keeps receiving (a durable commit waits on the disk: the parsers do not wait with it). At most
/// two batches are held: the one being committed and the one being filled.
fn write_batches(
    store: &Store,
    rx: Receiver<Parsed>,
    order: &mut InOrder<'_, impl FnMut(FileDone)>,
) -> Result<usize, StoreError> {
    let (to_commit, batches) = sync_channel::<Vec<(usize, Prepared)>>(0);
    let (done_tx, done) = std::sync::mpsc::channel::<Result<Outcomes, StoreError>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for batch in batches {
                let result = commit_batch(store, batch);
                let failed = result.is_err();
                if done_tx.send(result).is_err() || failed {
                    break;
                }
            }
        });
        let filled = fill_batches(rx, &to_commit, &done, order);
        // No more batches: the committer finishes the last one, then its outcomes are reported.
        drop(to_commit);
        let mut commits = filled?;
        for result in done {
            report(result?, order);
            commits += 1;
        }
        Ok(commits)
    })
}

/// What one committed batch did to each of its files (index, outcome).
type Outcomes = Vec<(usize, FileOutcome)>;

/// The receiving side of [`write_batches`]: refusals are reported at once, files are batched
/// and handed to the committer; outcomes of committed batches are reported as they come.
/// A full batch (or one [`BATCH_WAIT`] old) is offered to the committer without waiting: while
/// it is still writing the one before, this thread keeps receiving into the same batch (the
/// parsers never wait on the disk), up to [`HARD_HALVES`] halves of the limits, where it waits.
/// Returns the commits reported here.
fn fill_batches(
    rx: Receiver<Parsed>,
    to_commit: &SyncSender<Vec<(usize, Prepared)>>,
    done: &Receiver<Result<Outcomes, StoreError>>,
    order: &mut InOrder<'_, impl FnMut(FileDone)>,
) -> Result<usize, StoreError> {
    let mut commits = 0;
    let mut batch = Filling::default();
    loop {
        let received = if batch.files.is_empty() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(BATCH_WAIT.saturating_sub(batch.since.elapsed()))
        };
        let offer = match received {
            Ok((i, Err(reason))) => {
                order.done(i, FileOutcome::Refused(reason));
                false
            }
            Ok((i, Ok(prepared))) => batch.push(i, prepared),
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if offer {
            let wait = batch.at_hard_limit();
            commits += hand_over(&mut batch, to_commit, done, order, wait)?;
        }
    }
    commits += hand_over(&mut batch, to_commit, done, order, true)?;
    Ok(commits)
}

/// How far past the batch limits the receiver keeps filling while the committer is busy (in
/// halves: 3 = one and a half times; the peak memory of a folder ingest stays within 2x the
/// largest file's, `cargo bench --bench ingest_folder`).
const HARD_HALVES: usize = 3;

/// The batch being filled.
struct Filling {
    files: Vec<(usize, Prepared)>,
    bytes: usize,
    since: Instant,
}

impl Default for Filling {
    fn default() -> Self {
        Filling {
            files: Vec::new(),
            bytes: 0,
            since: Instant::now(),
        }
    }
}

impl Filling {
    /// Add a file; whether the batch is now full.
    fn push(&mut self, i: usize, prepared: Prepared) -> bool {
        if self.files.is_empty() {
            self.since = Instant::now();
        }
        self.bytes += prepared.text.len();
        self.files.push((i, prepared));
        self.bytes >= BATCH_BYTES || self.files.len() >= BATCH_FILES
    }

    fn at_hard_limit(&self) -> bool {
        2 * self.bytes >= HARD_HALVES * BATCH_BYTES
            || 2 * self.files.len() >= HARD_HALVES * BATCH_FILES
    }
}

/// Give the batch to the committer (`wait`: even while it commits the one before; else only
/// when it is free, and a busy committer leaves the batch filling), then report the batches it
/// finished. Returns how many it finished; its error if it stopped on one.
fn hand_over(
    batch: &mut Filling,
    to_commit: &SyncSender<Vec<(usize, Prepared)>>,
    done: &Receiver<Result<Outcomes, StoreError>>,
    order: &mut InOrder<'_, impl FnMut(FileDone)>,
    wait: bool,
) -> Result<usize, StoreError> {
    let mut stopped = false;
    if !batch.files.is_empty() {
        let files = std::mem::take(&mut batch.files);
        let sent = if wait {
            to_commit.send(files).map_err(|_| ())
        } else {
            match to_commit.try_send(files) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(files)) => {
                    // Busy: keep filling; offer again at the next file or after another wait.
                    batch.files = files;
                    batch.since = Instant::now();
                    Ok(())
                }
                Err(TrySendError::Disconnected(_)) => Err(()),
            }
        };
        stopped = sent.is_err();
        if batch.files.is_empty() {
            batch.bytes = 0;
        }
    }
    let mut commits = 0;
    for result in done.try_iter() {
        report(result?, order);
        commits += 1;
    }
    if !stopped {
        return Ok(commits);
    }
    // The committer stopped on a store error: it is the next (last) thing it sent.
    match done.recv() {
        Ok(Err(e)) => Err(e),
        _ => Err(StoreError::Corrupt("the ingest committer stopped".into())),
    }
}

fn report(outcomes: Outcomes, order: &mut InOrder<'_, impl FnMut(FileDone)>) {
    for (i, outcome) in outcomes {
        order.done(i, outcome);
    }
}

/// Write one batch in ONE durable transaction; each file's outcome once it is committed. A
/// file's text and blocks are dropped once they are in the transaction (its pages hold them).
fn commit_batch(store: &Store, batch: Vec<(usize, Prepared)>) -> Result<Outcomes, StoreError> {
    let mut writer = store.begin_batch()?;
    let mut added = Vec::with_capacity(batch.len());
    for (i, p) in batch {
        let existing = writer.add(&p.document, p.text.as_bytes(), p.block_refs())?;
        added.push((i, existing, p.document));
    }
    writer.commit()?;
    Ok(added
        .into_iter()
        .map(|(i, existing, document)| match existing {
            Some(stored) => (i, FileOutcome::Unchanged(stored)),
            None => (i, FileOutcome::Created(document)),
        })
        .collect())
}

/// Hands outcomes on in index order: out-of-order ones wait (records only, no text).
struct InOrder<'a, F: FnMut(FileDone)> {
    files: &'a [PathBuf],
    next: usize,
    waiting: BTreeMap<usize, FileOutcome>,
    sink: &'a mut F,
}

impl<'a, F: FnMut(FileDone)> InOrder<'a, F> {
    fn new(files: &'a [PathBuf], sink: &'a mut F) -> Self {
        InOrder {
            files,
            next: 0,
            waiting: BTreeMap::new(),
            sink,
        }
    }

    fn done(&mut self, index: usize, outcome: FileOutcome) {
        self.waiting.insert(index, outcome);
        while let Some(outcome) = self.waiting.remove(&self.next) {
            (self.sink)(FileDone {
                index: self.next,
                path: self.files[self.next].clone(),
                outcome,
            });
            self.next += 1;
        }
    }
}
