//! Process-wide counts of this process's write transactions: how many committed, how long the
//! commits took, and how long writers waited behind another write transaction. Cheap atomics,
//! read by benchmarks to say where a worker's time goes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static COMMITS: AtomicU64 = AtomicU64::new(0);
static COMMIT_NANOS: AtomicU64 = AtomicU64::new(0);
static WAITS: AtomicU64 = AtomicU64::new(0);
static WAIT_NANOS: AtomicU64 = AtomicU64::new(0);

/// What [`snapshot`] returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub commits: u64,
    pub commit_time: Duration,
    /// Write transactions that had to wait for another one (in this process or another).
    pub waits: u64,
    pub wait_time: Duration,
}

pub(super) fn committed(took: Duration) {
    COMMITS.fetch_add(1, Ordering::Relaxed);
    COMMIT_NANOS.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
}

pub(super) fn waited(took: Duration) {
    WAITS.fetch_add(1, Ordering::Relaxed);
    WAIT_NANOS.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
}

/// The counts so far in this process.
pub fn snapshot() -> CommitStats {
    CommitStats {
        commits: COMMITS.load(Ordering::Relaxed),
        commit_time: Duration::from_nanos(COMMIT_NANOS.load(Ordering::Relaxed)),
        waits: WAITS.load(Ordering::Relaxed),
        wait_time: Duration::from_nanos(WAIT_NANOS.load(Ordering::Relaxed)),
    }
}
