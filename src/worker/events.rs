//! What the engine reports while it works (the TUI and `run start` subscribe).

use crate::model::{CallRecord, RunCounters, UsageTotals};

#[derive(Debug, Clone)]
pub enum WorkerEvent {
    /// Counters or usage changed (after each group commit).
    Progress {
        run_id: String,
        counters: RunCounters,
        usage: UsageTotals,
    },
    /// One provider call finished and was recorded.
    CallFinished(CallRecord),
    /// Calls in flight changed (sent when a call starts and when it ends), so a slow first
    /// answer shows as waiting, not silence.
    InFlight {
        run_id: String,
        calls: usize,
    },
    /// Information about the session, e.g. limits the server reported (source `server`).
    Notice {
        run_id: String,
        message: String,
    },
    /// Something the user should know but that does not stop the run.
    Warning {
        run_id: String,
        message: String,
    },
    Paused {
        run_id: String,
        reason: String,
    },
    Complete {
        run_id: String,
    },
    Cancelled {
        run_id: String,
    },
}
