//! A session over a run group (SPEC §1a): the entry point (its members, the cancel watch and
//! the rest of the session live in `session` and the engine).

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::engine::{run_members, EngineOptions};
use super::events::WorkerEvent;
use super::session::{blocking, Members, RunEnd};
use super::WorkerError;
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
