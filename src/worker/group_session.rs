//! A session over a run group (SPEC §1a): its members, the entry point, and the cancel watch
//! (a group's one cancel flag, a run's status).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::engine::{blocking, run_members, EngineOptions, RunEnd};
use super::events::WorkerEvent;
use super::WorkerError;
use crate::model::RunStatus;
use crate::provider::Provider;
use crate::store::Store;

/// Work on every member run of group `group_id` with one concurrency pool, one rate-limit gate
/// and packs that may hold blocks of several members (SPEC §1a), until every member is
/// complete, the group pauses or is cancelled, or `stop` becomes `true`.
pub async fn run_group_worker<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    group_id: &str,
    opts: EngineOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, WorkerError> {
    let (s, g) = (store.clone(), group_id.to_string());
    let group = blocking(move || {
        s.get_group(&g)?
            .ok_or_else(|| WorkerError::Refused(format!("run group {g} does not exist")))
    })
    .await?;
    let members = Members {
        label: group.group_id.clone(),
        group: Some(group.group_id),
        run_ids: Arc::new(group.run_ids),
        convs: Arc::new(group.conv_uids),
    };
    run_members(store, provider, members, opts, events, stop).await
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
