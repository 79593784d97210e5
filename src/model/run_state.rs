//! The one derived state of a run (issue 23 item 6), shown the same by `run list`, `run status`
//! and the TUI: the stored status says what the run may do; whether a live worker holds it
//! says whether anything is happening. A `running` run nobody works on is `idle`.

use serde::Serialize;

use super::{Run, RunStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunState {
    /// A live worker holds it: `worker` names it (`in this window`, `pid 123 on host …`).
    Running {
        worker: String,
    },
    /// Resumable and nobody works on it: `run start` (the TUI's `s`) continues.
    Idle,
    /// Waiting on the user (bad key, no credit): resume once the cause is fixed.
    Paused {
        reason: Option<String>,
    },
    Cancelled,
    Complete {
        failed: u32,
    },
}

impl RunState {
    /// `worker`: the live worker holding the run, if any.
    pub fn of(run: &Run, worker: Option<String>) -> RunState {
        match run.status {
            RunStatus::Running => match worker {
                Some(worker) => RunState::Running { worker },
                None => RunState::Idle,
            },
            RunStatus::Paused => RunState::Paused {
                reason: run.paused_reason.clone(),
            },
            RunStatus::Cancelled => RunState::Cancelled,
            RunStatus::Complete => RunState::Complete {
                failed: run.counters.failed,
            },
        }
    }

    /// One word, for tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            RunState::Running { .. } => "running",
            RunState::Idle => "idle",
            RunState::Paused { .. } => "paused",
            RunState::Cancelled => "cancelled",
            RunState::Complete { .. } => "complete",
        }
    }

    /// In words, with the worker, the reason or the failures.
    pub fn label(&self) -> String {
        match self {
            RunState::Running { worker } => format!("running ▶ worker {worker}"),
            RunState::Idle => "idle".into(),
            RunState::Paused { reason } => format!(
                "paused: {}",
                reason.as_deref().unwrap_or("no reason recorded")
            ),
            RunState::Cancelled => "cancelled".into(),
            RunState::Complete { failed: 0 } => "complete".into(),
            RunState::Complete { failed } => format!("complete with {failed} failed"),
        }
    }

    /// A worker is on it: ETAs and "cancels" make sense.
    pub fn is_worked(&self) -> bool {
        matches!(self, RunState::Running { .. })
    }
}
