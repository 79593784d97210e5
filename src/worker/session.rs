//! What every part of a worker session shares, below the engine: how a session ends
//! ([`RunEnd`], [`StoppedBy`]), the runs it works on ([`Members`]), the cancel watch, and
//! [`blocking`] (store work off the async threads). The engine, the claim side and the loop
//! import this; it imports none of them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::WorkerError;
use crate::model::RunStatus;
use crate::store::Store;

/// How a worker session ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    Complete,
    Paused(String),
    Cancelled,
    /// Stopped by the user (Ctrl-C); claims released, run still `running`.
    Interrupted,
    /// Nothing left to claim, but blocks are still claimed by another live worker.
    Busy(String),
}

/// Why the loop stopped, when it was not the run's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoppedBy {
    Nothing,
    /// The user asked the session to stop (Ctrl-C, quitting the TUI).
    Interrupt,
    /// A claim found the run cancelled.
    Cancel,
}

/// Run store work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WorkerError> + Send + 'static,
) -> Result<T, WorkerError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WorkerError::Refused(format!("worker task failed: {e}")))?
}

/// The runs one session works on: one run, or a group's members in project order.
#[derive(Debug, Clone)]
pub(crate) struct Members {
    /// The run id, or the group id: named in messages and events.
    pub label: String,
    pub group: Option<String>,
    pub run_ids: Arc<Vec<String>>,
    /// `convs[i]` is the document of `run_ids[i]`.
    pub convs: Arc<Vec<String>>,
}

/// Poll the run's status (a group: its cancel flag) until it is cancelled (by `run cancel` in
/// another process, or the TUI), then say so on `cancel`. Ends with the session (aborted) or
/// when nobody listens.
pub(crate) async fn watch_for_cancel(
    store: Arc<Store>,
    members: Members,
    every: Duration,
    cancel: watch::Sender<bool>,
) {
    loop {
        tokio::time::sleep(every).await;
        let (s, m) = (store.clone(), members.clone());
        let cancelled = blocking(move || {
            Ok(match &m.group {
                Some(g) => s.get_group(g)?.is_some_and(|g| g.cancelled),
                None => s
                    .get_run(&m.run_ids[0])?
                    .is_some_and(|r| r.status == RunStatus::Cancelled),
            })
        })
        .await;
        if let Ok(true) = cancelled {
            let _ = cancel.send(true);
            return;
        }
        if cancel.is_closed() {
            return;
        }
    }
}
