//! Process-wide counts of where a worker session's call slots spend their time besides the
//! request itself: waiting for a call's `started` record or its results to commit, and the
//! claims (how many, how long each took to land, how long the loop had nothing to send while
//! one ran). Cheap atomics, read by benchmarks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One counter: how many times, and their summed duration.
struct Tally {
    count: AtomicU64,
    nanos: AtomicU64,
}

impl Tally {
    const fn new() -> Tally {
        Tally {
            count: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
        }
    }

    fn add(&self, took: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.nanos
            .fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
    }

    fn read(&self) -> (u64, Duration) {
        (
            self.count.load(Ordering::Relaxed),
            Duration::from_nanos(self.nanos.load(Ordering::Relaxed)),
        )
    }
}

static STARTED_WAIT: Tally = Tally::new();
static RESULT_WAIT: Tally = Tally::new();
static CLAIMS: Tally = Tally::new();
static STARVED: Tally = Tally::new();

/// A call waited this long for its `started` record to commit.
pub(crate) fn started_wait(took: Duration) {
    STARTED_WAIT.add(took);
}

/// A call waited this long for its results to commit.
pub(crate) fn result_wait(took: Duration) {
    RESULT_WAIT.add(took);
}

/// A claim took this long from asking to its blocks being buffered.
pub(crate) fn claim(took: Duration) {
    CLAIMS.add(took);
}

/// The loop had no pack to send for this long while a claim ran.
pub(crate) fn starved(took: Duration) {
    STARVED.add(took);
}

/// Each counter as `(how many, summed duration)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerProfile {
    pub started_wait: (u64, Duration),
    pub result_wait: (u64, Duration),
    pub claims: (u64, Duration),
    pub starved: (u64, Duration),
}

/// The counts so far in this process.
pub fn snapshot() -> WorkerProfile {
    WorkerProfile {
        started_wait: STARTED_WAIT.read(),
        result_wait: RESULT_WAIT.read(),
        claims: CLAIMS.read(),
        starved: STARVED.read(),
    }
}
