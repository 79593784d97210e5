//! The engine: recovers leases, claims in block order, packs, runs up to `concurrency` calls at
//! once, and stops cleanly on completion, pause, cancel or interrupt. Each step of the loop is a
//! named function with its own tests.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::backoff::Gate;
use super::claiming::{finish, idle_end, Claim, Claims, ViaWriter};
use super::events::WorkerEvent;
use super::group_transitions as many;
use super::pack::estimate_tokens;
use super::prepare::RunPlan;
pub use super::session::RunEnd;
use super::session::{blocking, watch_for_cancel, Members};
use super::session_loop::{run_loop, wind_down};
use super::task::Shared;
use super::{holding, identity, lease, transitions, writer, WorkerError};
use crate::model::ServerSeen;
use crate::provider::{PriceTable, Provider, ServerLimits};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub worker_id: String,
    /// Overrides the run's `worker.concurrency` for this session.
    pub concurrency: Option<u32>,
    /// A claim older than this returns to pending.
    pub lease: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Overrides the run's `worker.transient_retries` (retries of one call before the run
    /// pauses) for this session.
    pub transient_retries: Option<u32>,
    /// Overrides the run's `worker.request_timeout_seconds` for this session.
    pub request_timeout: Option<Duration>,
    /// How often the session looks for a cancel of its run (made by another process or thread).
    pub cancel_poll: Duration,
    pub prices: PriceTable,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            worker_id: identity::worker_id(),
            concurrency: None,
            lease: lease::LEASE,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            transient_retries: None,
            request_timeout: None,
            cancel_poll: Duration::from_millis(200),
            prices: PriceTable::builtin(),
        }
    }
}

/// Work on `run_id` until it is complete, paused, cancelled, or `stop` becomes `true`.
///
/// The steps: recover leases, then loop — [`refill`] claims while fewer than two packs' worth of
/// blocks are buffered, [`next_pack`] decides which buffered blocks go out now, each pack runs
/// as a task — and [`finish`] releases what was never sent and says how the session ended.
pub async fn run_worker<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    run_id: &str,
    opts: EngineOptions,
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
    run_members(store, provider, members, opts, events, stop).await
}

pub(crate) async fn run_members<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    members: Members,
    opts: EngineOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, WorkerError> {
    super::arenas::limit();
    // One worker per run: refused (with who holds it) before anything is claimed.
    let (s, r, w) = (
        store.clone(),
        members.run_ids.clone(),
        opts.worker_id.clone(),
    );
    blocking(move || holding::take_all(&s, &r, &w)).await?;
    let end = work(
        store.clone(),
        provider,
        &members,
        opts.clone(),
        events,
        stop,
    )
    .await;
    let (s, r, w) = (store, members.run_ids.clone(), opts.worker_id);
    if let Err(e) = blocking(move || Ok(s.release_holders(&r, &w)?)).await {
        tracing::warn!("cannot release the hold on {}: {e}", members.label);
    }
    end
}

async fn work<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    members: &Members,
    opts: EngineOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    mut stop: watch::Receiver<bool>,
) -> Result<RunEnd, WorkerError> {
    let session = std::time::Instant::now();
    let run_id = members.label.clone();
    let run_ids = members.run_ids.clone();
    if let Some(end) = recover_leases(&store, &run_ids, opts.lease).await? {
        return Ok(end);
    }
    let mut plan = RunPlan::load(&store, &run_ids[0])?;
    warn_short_cache_prefix(&plan, &events);
    tracing::info!(run_id = %run_id, endpoint = provider.base_url(), "worker session starts");
    let server = provider.server_limits(&plan.run.model_config.model).await;
    let (concurrency, seen) = size_to_server(&mut plan, server.as_ref(), opts.concurrency, &events);
    if let Some(seen) = seen {
        // Kept with the run so `run status` can show it after the session (source `server`).
        let (s, r) = (store.clone(), run_id.clone());
        blocking(move || Ok(transitions::record_server(&s, &r, seen)?)).await?;
    }
    let writer = spawn_writer(&store, &plan, &run_id, &run_ids, &events);
    let mut claims = session_claims(&store, members, &opts, &plan, (&writer, concurrency));
    let (cancel_tx, mut cancel) = watch::channel(false);
    let watcher = tokio::spawn(watch_for_cancel(
        store.clone(),
        members.clone(),
        opts.cancel_poll,
        cancel_tx,
    ));
    let limits = plan.limits;
    let signals = (&cancel, &stop);
    let shared = new_shared_sized(
        provider,
        plan,
        members,
        &opts,
        &writer,
        &events,
        signals,
        concurrency,
    );
    let mut tasks = JoinSet::new();
    let loop_end = run_loop(
        &shared,
        &mut claims,
        &mut tasks,
        // Packs in progress: twice the call slots, so the next calls are recorded as started
        // while the slots are busy (a pack holds a call slot only while its request is out).
        Arc::new(Semaphore::new(concurrency * 2)),
        &limits,
        (&mut stop, &mut cancel),
    )
    .await;
    let stopped_by = loop_end?;
    wind_down(&mut tasks, claims.ahead.take(), stopped_by, &run_id).await;
    watcher.abort();
    // Every sender of the writer goes (the claims hold one), so the writer can end.
    drop(claims);
    drop(shared);
    drop(writer.tx);
    let _ = writer.thread.join();
    let active = session.elapsed().as_millis() as u64;
    let (s, r, w, lease_len) = (
        store.clone(),
        run_ids.clone(),
        opts.worker_id.clone(),
        opts.lease,
    );
    let end = blocking(move || finish(&s, &r, &w, active, stopped_by, lease_len)).await?;
    if let (Some(tx), Some(ev)) = (&events, end_event(&run_id, &end)) {
        let _ = tx.send(ev).await;
    }
    Ok(end)
}

/// Recover what dead workers left (lost calls counted, stale leases back to pending); `Some`
/// names how the session ends at once when none of its runs is running.
pub(crate) async fn recover_leases(
    store: &Arc<Store>,
    run_ids: &Arc<Vec<String>>,
    lease: Duration,
) -> Result<Option<RunEnd>, WorkerError> {
    let (s, r, lease_ms) = (store.clone(), run_ids.clone(), lease.as_millis() as u64);
    let runs = blocking(move || {
        let now = crate::clock::now_millis();
        // Calls a dead worker left in flight are counted, at their cost's upper bound.
        many::mark_lost_many(&s, &r, lease::owner_alive)?;
        many::recover_many(&s, &r, now, lease_ms, lease::owner_alive)?;
        Ok(many::briefs(&s, &r)?)
    })
    .await?;
    Ok(idle_end(&runs))
}

/// The writer thread of a session: it records what the calls return.
pub(crate) fn spawn_writer(
    store: &Arc<Store>,
    plan: &RunPlan,
    run_id: &str,
    run_ids: &Arc<Vec<String>>,
    events: &Option<mpsc::Sender<WorkerEvent>>,
) -> writer::WriterHandle {
    writer::spawn(
        store.clone(),
        writer::Scope {
            label: run_id.to_string(),
            run_ids: run_ids.clone(),
            provider: plan.run.model_config.provider.clone(),
            max_retries: plan.policy.max_retries,
        },
        events.clone(),
    )
}

/// The claim side of a session: `worker.claim_batch_size` blocks a claim, claims made in the
/// session writer's transaction, enough of them at once to feed every call slot.
fn session_claims(
    store: &Arc<Store>,
    members: &Members,
    opts: &EngineOptions,
    plan: &RunPlan,
    (writer, concurrency): (&writer::WriterHandle, usize),
) -> Claims {
    let n = plan.policy.claim_batch_size.max(1) as usize;
    Claims::new(Claim {
        store: store.clone(),
        run_ids: members.run_ids.clone(),
        convs: members.convs.clone(),
        worker: opts.worker_id.clone(),
        n,
        cursor: 0,
    })
    .via_writer(ViaWriter {
        writer: writer.tx.clone(),
        rounds: claim_rounds(concurrency, plan.limits.block_cap as usize, n),
    })
}

/// How many claims of `n` blocks one claim makes: two packs for every call slot, so the slots
/// stay fed while the next claim commits (at least one).
pub(crate) fn claim_rounds(concurrency: usize, block_cap: usize, n: usize) -> usize {
    (2 * concurrency * block_cap.max(1))
        .div_ceil(n.max(1))
        .max(1)
}

/// What every call of the session shares: the provider, the plan, the policy (with this
/// session's overrides), the writer, and the signals to stop. No limit on call slots here (a
/// provider batch session sends no real-time calls); see [`new_shared_sized`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_shared<P: Provider>(
    provider: Arc<P>,
    plan: RunPlan,
    members: &Members,
    opts: &EngineOptions,
    writer: &writer::WriterHandle,
    events: &Option<mpsc::Sender<WorkerEvent>>,
    cancel: &watch::Receiver<bool>,
    stop: &watch::Receiver<bool>,
) -> Arc<Shared<P>> {
    let slots = Semaphore::MAX_PERMITS;
    new_shared_sized(
        provider,
        plan,
        members,
        opts,
        writer,
        events,
        (cancel, stop),
        slots,
    )
}

/// [`new_shared`] with `slots` call slots: requests out at once.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_shared_sized<P: Provider>(
    provider: Arc<P>,
    plan: RunPlan,
    members: &Members,
    opts: &EngineOptions,
    writer: &writer::WriterHandle,
    events: &Option<mpsc::Sender<WorkerEvent>>,
    (cancel, stop): (&watch::Receiver<bool>, &watch::Receiver<bool>),
    slots: usize,
) -> Arc<Shared<P>> {
    let vendor_prices = crate::provider::builtin_prices_apply(provider.name(), provider.base_url());
    let priced = is_priced(&plan, opts, &*provider, vendor_prices, &members.label);
    let (plan_cap, plan_guard) = (plan.limits.block_cap, plan.run.pack_guard.clone());
    let request_timeout = opts
        .request_timeout
        .unwrap_or(Duration::from_secs(u64::from(
            plan.policy.request_timeout_seconds.max(1),
        )));
    Arc::new(Shared {
        endpoint: provider.base_url().to_string(),
        provider,
        transient_retries: opts
            .transient_retries
            .unwrap_or(plan.policy.transient_retries),
        request_timeout,
        plan,
        label: members.label.clone(),
        run_ids: members.run_ids.clone(),
        gate: Gate::new(),
        slots: Arc::new(Semaphore::new(slots)),
        halt: Mutex::new(None),
        writer: writer.tx.clone(),
        vendor_prices,
        priced,
        prices: opts.prices.clone(),
        backoff_base: opts.backoff_base,
        backoff_max: opts.backoff_max,
        cancel: cancel.clone(),
        stop: stop.clone(),
        in_flight: AtomicUsize::new(0),
        returned: AtomicUsize::new(usize::MAX),
        events: events.clone(),
        worker_id: opts.worker_id.clone(),
        guard: super::guard::PackGuardState::new(plan_cap, plan_guard.as_ref()),
        remembered: Mutex::new(Default::default()),
    })
}

/// Whether the session's model has a price at this endpoint; says so in the log when not.
fn is_priced<P: Provider>(
    plan: &RunPlan,
    opts: &EngineOptions,
    provider: &P,
    vendor_prices: bool,
    run_id: &str,
) -> bool {
    let priced = opts
        .prices
        .price_at(&plan.run.model_config.model, vendor_prices)
        .is_some();
    if !priced {
        tracing::info!(
            run_id = %run_id,
            base_url = provider.base_url(),
            "cost unknown: no price for {} at this endpoint (built-in prices are the vendors' own; a local server is priced only by prices.json)",
            plan.run.model_config.model
        );
    }
    priced
}

/// Apply what the server said about itself to this session: packs sized to its context,
/// concurrency to its slots (unless the session was given one explicitly). Says what changed
/// (source `server`) on the events and in the log. Returns the concurrency to use and what the
/// server said, to keep with the run.
fn size_to_server(
    plan: &mut RunPlan,
    server: Option<&ServerLimits>,
    explicit_concurrency: Option<u32>,
    events: &Option<mpsc::Sender<WorkerEvent>>,
) -> (usize, Option<ServerSeen>) {
    let mut concurrency = explicit_concurrency.unwrap_or(plan.policy.concurrency);
    let Some(server) = server else {
        return (concurrency.clamp(1, 256) as usize, None);
    };
    let mut applied = Vec::new();
    if let Some(fit) = server.context_tokens.and_then(|c| plan.fit_to_context(c)) {
        applied.push(format!(
            "context_window_tokens={} (source=server), max_output_tokens={} (source=server)",
            fit.context_tokens, fit.max_output_tokens
        ));
    }
    if let (Some(slots), None) = (server.slots, explicit_concurrency) {
        if slots < concurrency {
            concurrency = slots;
            applied.push(format!("concurrency={slots} (source=server)"));
        }
    }
    let summary = server.describe();
    let message = std::iter::once(summary.clone())
        .chain(applied.iter().cloned())
        .collect::<Vec<_>>()
        .join("; ");
    tracing::info!(run_id = %plan.run.run_id, "{message}");
    if let Some(tx) = events {
        let _ = tx.try_send(WorkerEvent::Notice {
            run_id: plan.run.run_id.clone(),
            message,
        });
    }
    let seen = ServerSeen {
        summary,
        context_tokens: server.context_tokens,
        slots: server.slots,
        applied,
        at: crate::clock::now_rfc3339(),
    };
    (concurrency.clamp(1, 256) as usize, Some(seen))
}

/// The event that announces a session's end (none for an interrupt or a busy run).
pub(crate) fn end_event(run_id: &str, end: &RunEnd) -> Option<WorkerEvent> {
    let run_id = run_id.to_string();
    match end {
        RunEnd::Complete => Some(WorkerEvent::Complete { run_id }),
        RunEnd::Paused(reason) => Some(WorkerEvent::Paused {
            run_id,
            reason: reason.clone(),
        }),
        RunEnd::Cancelled => Some(WorkerEvent::Cancelled { run_id }),
        RunEnd::Interrupted | RunEnd::Busy(_) => None,
    }
}

/// Caching silently does nothing below the provider's minimum prefix: say so.
fn warn_short_cache_prefix(plan: &RunPlan, events: &Option<mpsc::Sender<WorkerEvent>>) {
    let mc = &plan.run.model_config;
    if !plan.policy.prompt_caching {
        return;
    }
    let Some(min) = crate::provider::min_cacheable_tokens(&mc.provider, &mc.model) else {
        return;
    };
    let have = estimate_tokens(&plan.system_prompt);
    if have < min {
        let message = format!(
            "prompt caching is on, but the system prompt is about {have} tokens and {} caches \
             only prefixes of at least {min} tokens for {}: caching will do nothing for this run",
            mc.provider, mc.model
        );
        tracing::warn!(run_id = %plan.run.run_id, "{message}");
        if let Some(tx) = events {
            let _ = tx.try_send(WorkerEvent::Warning {
                run_id: plan.run.run_id.clone(),
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Run;
    use crate::worker::claiming::{refill, Refill};
    use crate::worker::session::StoppedBy;
    use std::collections::VecDeque;

    /// A demo store (sample document, one running run) in a temp dir.
    fn demo() -> (tempfile::TempDir, Arc<Store>, Run) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
        let run = crate::demo::populate(&store, &dir.path().join("samples")).unwrap();
        (dir, store, run)
    }

    fn claim(store: &Arc<Store>, run: &Run, worker: &str, n: usize) -> Claim {
        Claim {
            store: store.clone(),
            run_ids: Arc::new(vec![run.run_id.clone()]),
            convs: Arc::new(vec![run.conv_uid.clone()]),
            worker: worker.to_string(),
            n,
            cursor: 0,
        }
    }

    #[tokio::test]
    async fn refill_claims_in_block_order_and_finish_gives_unsent_claims_back() {
        let (_dir, store, run) = demo();
        let mut c = claim(&store, &run, "me", 2);
        let mut buffer = VecDeque::new();
        assert_eq!(
            refill(&mut c, &mut buffer).await.unwrap(),
            Refill::Claimed(2)
        );
        let indices: Vec<u32> = buffer.iter().map(|i| i.index).collect();
        assert_eq!(indices, vec![0, 1]);
        assert!(buffer.iter().all(|i| i.tokens > 0 && !i.content.is_empty()));
        let r = store.get_run(&run.run_id).unwrap().unwrap();
        assert_eq!(r.counters.claimed, 2);
        let end = finish(
            &store,
            std::slice::from_ref(&run.run_id),
            "me",
            5,
            StoppedBy::Interrupt,
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(end, RunEnd::Interrupted);
        let r = store.get_run(&run.run_id).unwrap().unwrap();
        assert_eq!(r.counters.claimed, 0);
        assert_eq!(r.counters.pending, r.counters.total);
        assert_eq!(r.active_millis, 5);
    }

    #[tokio::test]
    async fn refill_sees_a_cancelled_run_and_finish_reports_it() {
        let (_dir, store, run) = demo();
        transitions::cancel(&store, &run.run_id).unwrap();
        let mut buffer = VecDeque::new();
        let mut c = claim(&store, &run, "me", 4);
        assert_eq!(
            refill(&mut c, &mut buffer).await.unwrap(),
            Refill::Cancelled
        );
        assert!(buffer.is_empty());
        let end = finish(
            &store,
            std::slice::from_ref(&run.run_id),
            "me",
            0,
            StoppedBy::Cancel,
            LEASE,
        )
        .unwrap();
        assert_eq!(end, RunEnd::Cancelled);
    }

    #[tokio::test]
    async fn finish_names_a_run_still_claimed_by_another_live_worker_busy() {
        let (_dir, store, run) = demo();
        transitions::claim(&store, &run.run_id, 1, "other", crate::clock::now_millis()).unwrap();
        let end = finish(
            &store,
            std::slice::from_ref(&run.run_id),
            "me",
            0,
            StoppedBy::Nothing,
            LEASE,
        )
        .unwrap();
        match end {
            RunEnd::Busy(msg) => assert!(msg.starts_with("1 blocks are claimed"), "{msg}"),
            other => panic!("expected Busy, got {other:?}"),
        }
        let r = store.get_run(&run.run_id).unwrap().unwrap();
        assert_eq!(
            r.counters.claimed, 1,
            "another worker's claim is not ours to release"
        );
    }

    const LEASE: Duration = lease::LEASE;
}
