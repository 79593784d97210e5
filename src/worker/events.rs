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
