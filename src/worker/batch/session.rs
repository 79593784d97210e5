//! A batch-mode session: resume what the store knows is open, submit what is pending, poll
//! with backoff, join what ended, and end like a real-time session (complete, paused,
//! cancelled, interrupted). `run cancel` makes it cancel its open batches at the provider,
//! join what they finished and give the rest back to `pending`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};

use super::join::{give_up, join, Joined};
use super::poll::{due, poll_one, Polled};
use super::submit::{submit_pending, Submitted};
use crate::model::{BatchRecord, BatchState, RunStatus};
use crate::provider::batch::{BatchClient, BatchLimits};
use crate::provider::Provider;
use crate::store::Store;
use crate::worker::claiming::finish;
use crate::worker::engine::{
    end_event, new_shared, recover_leases, spawn_writer, EngineOptions, RunEnd,
};
use crate::worker::group_transitions as many;
use crate::worker::prepare::RunPlan;
use crate::worker::session::{blocking, watch_for_cancel, Members, StoppedBy};
use crate::worker::task::Shared;
use crate::worker::{holding, WorkerError, WorkerEvent};

/// A batch session's options: the engine's, plus poll bounds and provider limits that tests
/// may shorten (by default the run's `worker.batch_api.*` policy and the provider's limits).
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    pub engine: EngineOptions,
    pub poll: Option<(Duration, Duration)>,
    pub limits: Option<BatchLimits>,
}

/// What every step of a batch session shares.
pub(crate) struct Cx<P> {
    pub shared: Arc<Shared<P>>,
    pub client: BatchClient,
    pub store: Arc<Store>,
    pub members: Members,
    pub worker: String,
    pub poll: (Duration, Duration),
    pub limits: BatchLimits,
    pub events: Option<mpsc::Sender<WorkerEvent>>,
}

impl<P> Cx<P> {
    pub fn notice(&self, message: String) {
        tracing::info!(run_id = %self.members.label, "{message}");
        if let Some(tx) = &self.events {
            let _ = tx.try_send(WorkerEvent::Notice {
                run_id: self.members.label.clone(),
                message,
            });
        }
    }

    pub fn warning(&self, message: String) {
        tracing::warn!(run_id = %self.members.label, "{message}");
        if let Some(tx) = &self.events {
            let _ = tx.try_send(WorkerEvent::Warning {
                run_id: self.members.label.clone(),
                message,
            });
        }
    }
}

/// Work on `run_id` in batch mode until it is complete, paused, cancelled or `stop` is set.
pub async fn run_batch_worker<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    client: BatchClient,
    run_id: &str,
    opts: BatchOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, WorkerError> {
    let (s, r) = (store.clone(), run_id.to_string());
    let run = blocking(move || {
        s.get_run(&r)?
            .ok_or_else(|| WorkerError::Refused(format!("run {r} does not exist")))
    })
    .await?;
    let members = Members {
        label: run_id.to_string(),
        group: None,
        run_ids: Arc::new(vec![run.run_id]),
        convs: Arc::new(vec![run.conv_uid]),
    };
    run_batch_members(store, provider, client, members, opts, events, stop).await
}

/// Work on a run group in batch mode (its members' packs go out together, as in real time).
pub async fn run_batch_group_worker<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    client: BatchClient,
    group_id: &str,
    opts: BatchOptions,
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
    run_batch_members(store, provider, client, members, opts, events, stop).await
}

async fn run_batch_members<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    client: BatchClient,
    members: Members,
    opts: BatchOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, WorkerError> {
    let (s, r, w) = (
        store.clone(),
        members.run_ids.clone(),
        opts.engine.worker_id.clone(),
    );
    blocking(move || holding::take_all(&s, &r, &w)).await?;
    let end = work(
        store.clone(),
        provider,
        client,
        &members,
        opts.clone(),
        events,
        stop,
    )
    .await;
    let (s, r, w) = (store, members.run_ids.clone(), opts.engine.worker_id);
    if let Err(e) = blocking(move || Ok(s.release_holders(&r, &w)?)).await {
        tracing::warn!("cannot release the hold on {}: {e}", members.label);
    }
    end
}

/// Batches of the session's runs the provider may still be working on.
async fn open_batches(
    store: &Arc<Store>,
    run_ids: &Arc<Vec<String>>,
) -> Result<Vec<BatchRecord>, WorkerError> {
    let (s, r) = (store.clone(), run_ids.clone());
    let all = blocking(move || Ok(s.batches_of_runs(&r)?)).await?;
    Ok(all.into_iter().filter(|b| b.state.is_open()).collect())
}

/// A batch left `submitting` was being sent when its worker stopped (this session holds the
/// runs, so that worker is gone): the provider may have it. It is marked `unconfirmed` (shown
/// by `run status`); its blocks were claims of that worker and are pending again.
async fn mark_unconfirmed(
    store: &Arc<Store>,
    run_ids: &Arc<Vec<String>>,
) -> Result<u32, WorkerError> {
    let (s, r) = (store.clone(), run_ids.clone());
    blocking(move || {
        let mut n = 0;
        for mut b in s.batches_of_runs(&r)? {
            if b.state == BatchState::Submitting {
                b.state = BatchState::Unconfirmed;
                b.message = Some(
                    "the worker stopped after sending this batch and before the provider's answer \
                     was recorded: the provider may hold it (and bill it); its results are not \
                     used and its blocks went out again"
                        .into(),
                );
                s.put_batch(&b)?;
                n += 1;
            }
        }
        Ok(n)
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn work<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    client: BatchClient,
    members: &Members,
    opts: BatchOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, WorkerError> {
    let session = std::time::Instant::now();
    let run_ids = members.run_ids.clone();
    let idle = recover_leases(&store, &run_ids, opts.engine.lease).await?;
    mark_unconfirmed(&store, &run_ids).await?;
    let open = open_batches(&store, &run_ids).await?;
    if let (Some(end), true) = (idle, open.is_empty()) {
        // Nothing running and nothing at the provider: nothing for this session to do.
        return Ok(end);
    }
    let plan = RunPlan::load(&store, &run_ids[0])?;
    let poll = opts.poll.unwrap_or((
        Duration::from_secs(u64::from(plan.policy.batch_poll_seconds_min.max(1))),
        Duration::from_secs(u64::from(plan.policy.batch_poll_seconds_max.max(1))),
    ));
    let resubmit = plan.policy.batch_resubmit_expired;
    let writer = spawn_writer(&store, &plan, &members.label, &run_ids, &events);
    let (cancel_tx, cancel) = watch::channel(false);
    let watcher = tokio::spawn(watch_for_cancel(
        store.clone(),
        members.clone(),
        opts.engine.cancel_poll,
        cancel_tx,
    ));
    let shared = new_shared(
        provider,
        plan,
        members,
        &opts.engine,
        &writer,
        &events,
        &cancel,
        &stop,
    );
    let cx = Cx {
        shared,
        limits: opts.limits.unwrap_or_else(|| client.limits()),
        client,
        store: store.clone(),
        members: members.clone(),
        worker: opts.engine.worker_id.clone(),
        poll,
        events: events.clone(),
    };
    tracing::debug!("batch session: ready to loop after {:?}", session.elapsed());
    let stopped_by = run_loop(&cx, resubmit, stop, cancel).await;
    tracing::debug!("batch session: loop ended after {:?}", session.elapsed());
    watcher.abort();
    drop(cx);
    drop(writer.tx);
    let _ = writer.thread.join();
    let stopped_by = stopped_by?;
    let active = session.elapsed().as_millis() as u64;
    let (s, r, w, lease) = (
        store.clone(),
        run_ids.clone(),
        opts.engine.worker_id.clone(),
        opts.engine.lease,
    );
    let end = blocking(move || finish(&s, &r, &w, active, stopped_by, lease)).await?;
    let end = match end {
        // Blocks held by open batches keep the run from completing: they are this run's own.
        RunEnd::Busy(_) if stopped_by == StoppedBy::Interrupt => RunEnd::Interrupted,
        other => other,
    };
    if let (Some(tx), Some(ev)) = (&events, end_event(&members.label, &end)) {
        let _ = tx.send(ev).await;
    }
    Ok(end)
}

fn cancelled(store: &Store, members: &Members) -> bool {
    match &members.group {
        Some(g) => store
            .get_group(g)
            .ok()
            .flatten()
            .is_some_and(|g| g.cancelled),
        None => store
            .get_run(&members.run_ids[0])
            .ok()
            .flatten()
            .is_some_and(|r| r.status == RunStatus::Cancelled),
    }
}

/// The loop: until nothing is open and nothing more is to be sent (or a stop / cancel).
async fn run_loop<P: Provider>(
    cx: &Cx<P>,
    resubmit: bool,
    mut stop: watch::Receiver<bool>,
    mut cancel: watch::Receiver<bool>,
) -> Result<StoppedBy, WorkerError> {
    let mut cancel_sent = false;
    let mut held_back = 0u32;
    let mut failed_in_a_row = 0u32;
    let mut waits: std::collections::HashMap<String, Duration> = Default::default();
    loop {
        if *stop.borrow() {
            return Ok(StoppedBy::Interrupt);
        }
        let is_cancelled = *cancel.borrow() || cancelled(&cx.store, &cx.members);
        let mut open = open_batches(&cx.store, &cx.members.run_ids).await?;
        if is_cancelled && !cancel_sent {
            cancel_open(cx, &mut open).await?;
            cancel_sent = true;
        }
        if open.is_empty() {
            if is_cancelled {
                return Ok(StoppedBy::Cancel);
            }
            if held_back > 0 && !resubmit {
                pause_held_back(cx, held_back).await?;
                return Ok(StoppedBy::Nothing);
            }
            match submit_pending(cx).await? {
                Submitted::Sent(_) => continue,
                Submitted::Nothing | Submitted::Paused(_) => return Ok(StoppedBy::Nothing),
            }
        }
        for mut batch in open {
            if batch.state != BatchState::Ended && !due(&batch) {
                continue;
            }
            let wait = waits
                .entry(batch.key.clone())
                .or_insert(Duration::from_secs(u64::from(batch.poll_wait_seconds)).max(cx.poll.0));
            let polled = if batch.state == BatchState::Ended {
                ended_status(&batch)
            } else {
                poll_one(cx, &mut batch, wait).await?
            };
            match polled {
                Polled::Open => {}
                Polled::Gone(why) => {
                    let why = format!("{why}; its blocks went back to pending");
                    give_up(cx, &mut batch, why).await?;
                    failed_in_a_row += 1;
                }
                Polled::Ended(status) => match join(cx, &mut batch, &status).await? {
                    Joined::Done { expired } => {
                        held_back += expired;
                        failed_in_a_row = 0;
                    }
                    Joined::Failed(_) => failed_in_a_row += 1,
                    Joined::Again(why) => cx.warning(format!("{why}; joining again later")),
                },
            }
            if failed_in_a_row >= GIVE_UPS_BEFORE_PAUSE {
                let reason = format!(
                    "{failed_in_a_row} batches in a row were lost or their results could not be \
                     read (last: {}); their blocks are pending",
                    batch.message.as_deref().unwrap_or("no message")
                );
                let (s, r) = (cx.store.clone(), cx.members.run_ids.clone());
                blocking(move || Ok(many::pause_many(&s, &r, &reason)?)).await?;
                return Ok(StoppedBy::Nothing);
            }
            if *stop.borrow() {
                return Ok(StoppedBy::Interrupt);
            }
        }
        sleep_until_due(cx, &mut stop, &mut cancel).await?;
    }
}

/// Batches given up one after another before the run pauses (rather than resubmitting the
/// same blocks forever to a provider that keeps losing them).
const GIVE_UPS_BEFORE_PAUSE: u32 = 3;

/// An ended batch whose join did not finish (a restart, a broken download): its status again.
fn ended_status(batch: &BatchRecord) -> Polled {
    Polled::Ended(crate::provider::batch::BatchStatus {
        id: batch.provider_batch_id.clone().unwrap_or_default(),
        status: "ended".into(),
        ended: true,
        counts: batch.counts,
        results_url: batch.results_url.clone(),
        error_file: batch.error_file.clone(),
        created_at: None,
        expires_at: batch.expires_at.clone(),
        ended_at: batch.ended_at.clone(),
    })
}

/// `run cancel`: ask the provider to cancel each batch still processing (what it finished is
/// kept and joined when the batch ends).
async fn cancel_open<P: Provider>(cx: &Cx<P>, open: &mut [BatchRecord]) -> Result<(), WorkerError> {
    for b in open
        .iter_mut()
        .filter(|b| b.state == BatchState::InProgress)
    {
        let Some(id) = b.provider_batch_id.clone() else {
            continue;
        };
        match cx.client.cancel(&id).await {
            Ok(status) => {
                b.state = if status.ended {
                    BatchState::Ended
                } else {
                    BatchState::Canceling
                };
                b.counts = status.counts;
                b.results_url = status.results_url.clone().or(b.results_url.take());
                b.next_poll_at = None;
            }
            Err(e) => b.message = Some(format!("cancel failed: {e}")),
        }
        let (s, rec) = (cx.store.clone(), b.clone());
        blocking(move || Ok(s.put_batch(&rec)?)).await?;
        cx.notice(format!("batch {id}: cancel sent"));
    }
    Ok(())
}

/// Expired or canceled requests' blocks are pending again, but `resubmit_expired` is off: the
/// run pauses so the user decides (real time, or `run start --batch` again).
async fn pause_held_back<P: Provider>(cx: &Cx<P>, n: u32) -> Result<(), WorkerError> {
    let reason = format!(
        "{n} batch requests expired or were canceled and worker.batch_api.resubmit_expired is \
         off: their blocks are pending; `blockwise run resume` then `run start` (real time) or \
         `run start --batch` sends them again"
    );
    let (s, r) = (cx.store.clone(), cx.members.run_ids.clone());
    blocking(move || Ok(many::pause_many(&s, &r, &reason)?)).await?;
    Ok(())
}

/// Sleep until the next batch is due for a poll, or a stop or cancel.
async fn sleep_until_due<P: Provider>(
    cx: &Cx<P>,
    stop: &mut watch::Receiver<bool>,
    cancel: &mut watch::Receiver<bool>,
) -> Result<(), WorkerError> {
    let open = open_batches(&cx.store, &cx.members.run_ids).await?;
    let now = SystemTime::now();
    let wait = open
        .iter()
        .filter(|b| b.state != BatchState::Ended)
        .filter_map(|b| b.next_poll_at.as_deref())
        .filter_map(|t| humantime::parse_rfc3339(t).ok())
        .map(|t| t.duration_since(now).unwrap_or(Duration::ZERO))
        .min()
        .unwrap_or(Duration::ZERO)
        .min(cx.poll.1);
    if wait.is_zero() {
        return Ok(());
    }
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = changed(stop) => {}
        _ = changed(cancel) => {}
    }
    Ok(())
}

/// Resolves when `rx` changes; never, once its sender is gone (a finished cancel watcher).
async fn changed(rx: &mut watch::Receiver<bool>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}
