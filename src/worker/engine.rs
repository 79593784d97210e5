//! The engine: recovers leases, claims in block order, packs, runs up to `concurrency` calls at
//! once, and stops cleanly on completion, pause, cancel or interrupt.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::backoff::Gate;
use super::events::WorkerEvent;
use super::pack::{estimate_tokens, make_packs, CloseReason};
use super::prepare::RunPlan;
use super::task::{Item, Shared};
use super::{identity, transitions, writer, WorkerError};
use crate::model::RunStatus;
use crate::provider::{PriceTable, Provider};
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

#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub worker_id: String,
    /// Overrides the run's `worker.concurrency` for this session.
    pub concurrency: Option<u32>,
    /// A claim older than this returns to pending.
    pub lease: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Transient failures of one call before the run pauses.
    pub max_transient_retries: u32,
    pub prices: PriceTable,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            worker_id: identity::worker_id(),
            concurrency: None,
            lease: Duration::from_secs(600),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            max_transient_retries: 8,
            prices: PriceTable::builtin(),
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WorkerError> + Send + 'static,
) -> Result<T, WorkerError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WorkerError::Refused(format!("worker task failed: {e}")))?
}

/// Work on `run_id` until it is complete, paused, cancelled, or `stop` becomes `true`.
pub async fn run_worker<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    run_id: &str,
    opts: EngineOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    mut stop: watch::Receiver<bool>,
) -> Result<RunEnd, WorkerError> {
    let session = std::time::Instant::now();
    let run_id = run_id.to_string();
    {
        let (s, r, lease) = (store.clone(), run_id.clone(), opts.lease.as_millis() as u64);
        blocking(move || {
            let now = crate::clock::now_millis();
            Ok(transitions::recover_leases(
                &s,
                &r,
                now,
                lease,
                identity::owner_alive,
            )?)
        })
        .await?;
    }
    let plan = RunPlan::load(&store, &run_id)?;
    match plan.run.status {
        RunStatus::Running => {}
        RunStatus::Complete => return Ok(RunEnd::Complete),
        RunStatus::Cancelled => return Ok(RunEnd::Cancelled),
        RunStatus::Paused => {
            return Ok(RunEnd::Paused(
                plan.run.paused_reason.clone().unwrap_or_default(),
            ))
        }
    }
    warn_short_cache_prefix(&plan, &events);
    let concurrency = opts
        .concurrency
        .unwrap_or(plan.policy.concurrency)
        .clamp(1, 256) as usize;
    let claim_n = plan.policy.claim_batch_size.max(1) as usize;
    let cap = plan.limits.block_cap as usize;
    let limits = plan.limits;
    let writer = writer::spawn(
        store.clone(),
        run_id.clone(),
        plan.run.model_config.provider.clone(),
        plan.policy.max_retries,
        events.clone(),
    );
    let vendor_prices = crate::provider::is_vendor_endpoint(provider.name(), provider.base_url());
    if !vendor_prices
        && opts
            .prices
            .price_at(&plan.run.model_config.model, false)
            .is_none()
    {
        tracing::info!(
            run_id = %run_id,
            base_url = provider.base_url(),
            "cost unknown: not the vendor's endpoint and prices.json names no price for {}",
            plan.run.model_config.model
        );
    }
    let shared = Arc::new(Shared {
        provider,
        plan,
        gate: Gate::new(),
        halt: Mutex::new(None),
        writer: writer.tx.clone(),
        vendor_prices,
        prices: opts.prices.clone(),
        backoff_base: opts.backoff_base,
        backoff_max: opts.backoff_max,
        max_transient_retries: opts.max_transient_retries.max(1),
    });
    let semaphore = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let mut buffer: VecDeque<Item> = VecDeque::new();
    let mut exhausted = false;
    let mut cancelled = false;
    let mut interrupted = false;
    let conv = shared.plan.run.conv_uid.clone();

    loop {
        // Reap finished calls at once: a JoinSet keeps every completed task (with its future's
        // whole allocation) until it is joined, so memory would grow with the number of calls.
        while tasks.try_join_next().is_some() {}
        if *stop.borrow() {
            interrupted = true;
            break;
        }
        if shared.halted() {
            break;
        }
        // Keep at least two packs' worth of blocks ready so no task waits on a claim.
        if !exhausted && buffer.len() < cap * 2 {
            let (s, r, w, c) = (
                store.clone(),
                run_id.clone(),
                opts.worker_id.clone(),
                conv.clone(),
            );
            let (run, items) = blocking(move || {
                let (run, indices) =
                    transitions::claim(&s, &r, claim_n, &w, crate::clock::now_millis())?;
                let blocks = s.blocks_at(&c, &indices)?;
                Ok((run, blocks))
            })
            .await?;
            match run.status {
                RunStatus::Running => {}
                RunStatus::Cancelled => {
                    cancelled = true;
                    break;
                }
                _ => break,
            }
            if items.len() < claim_n {
                exhausted = true;
            }
            buffer.extend(items.into_iter().map(|b| Item {
                index: b.block_index,
                tokens: estimate_tokens(&b.block_content),
                block_type: b.block_type.as_str().to_string(),
                content: b.block_content,
            }));
            continue;
        }
        if buffer.is_empty() {
            if tasks.is_empty() {
                if exhausted {
                    // Failed blocks may have returned to pending: look once more.
                    exhausted = false;
                    let (s, r) = (store.clone(), run_id.clone());
                    let pending = blocking(move || {
                        Ok(s.indices_with_status(&r, crate::model::OverlayStatus::Pending)?)
                    })
                    .await?;
                    if pending.is_empty() {
                        break;
                    }
                    continue;
                }
                break;
            }
            tokio::select! {
                _ = tasks.join_next() => { exhausted = false; }
                _ = stopped(&mut stop) => {}
            }
            continue;
        }
        // The next pack: full ones go at once; a partial tail waits for more claims unless
        // nothing more is coming.
        let tokens: Vec<u32> = buffer.iter().map(|i| i.tokens).collect();
        let packs = make_packs(&tokens, &limits);
        let (range, reason) = packs[0].clone();
        if reason == CloseReason::End && !exhausted && buffer.len() < cap {
            continue;
        }
        let permit = tokio::select! {
            p = semaphore.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(&mut stop) => continue,
        };
        let pack: Vec<Item> = buffer.drain(range).collect();
        let shared = shared.clone();
        tasks.spawn(async move {
            shared.process(pack).await;
            drop(permit);
        });
    }

    if interrupted {
        tasks.abort_all();
    }
    while tasks.join_next().await.is_some() {}
    drop(shared);
    drop(writer.tx);
    let _ = writer.thread.join();
    // Claims taken but never sent (or cut short) go back to pending.
    let (s, r, w) = (store.clone(), run_id.clone(), opts.worker_id.clone());
    let active = session.elapsed().as_millis() as u64;
    let run = blocking(move || {
        transitions::release_worker(&s, &r, &w)?;
        Ok(transitions::finalize(&s, &r, active)?)
    })
    .await?;
    let end = match run.status {
        RunStatus::Complete => RunEnd::Complete,
        RunStatus::Paused => RunEnd::Paused(run.paused_reason.clone().unwrap_or_default()),
        RunStatus::Cancelled => RunEnd::Cancelled,
        RunStatus::Running if interrupted => RunEnd::Interrupted,
        RunStatus::Running if cancelled => RunEnd::Cancelled,
        RunStatus::Running => RunEnd::Busy(format!(
            "{} blocks are claimed by another worker that is still alive; they return to this \
             run when it finishes or its lease ({} s) expires",
            run.counters.claimed,
            opts.lease.as_secs()
        )),
    };
    if let Some(tx) = &events {
        let ev = match &end {
            RunEnd::Complete => Some(WorkerEvent::Complete {
                run_id: run_id.clone(),
            }),
            RunEnd::Paused(reason) => Some(WorkerEvent::Paused {
                run_id: run_id.clone(),
                reason: reason.clone(),
            }),
            RunEnd::Cancelled => Some(WorkerEvent::Cancelled {
                run_id: run_id.clone(),
            }),
            RunEnd::Interrupted | RunEnd::Busy(_) => None,
        };
        if let Some(ev) = ev {
            let _ = tx.send(ev).await;
        }
    }
    Ok(end)
}

/// Resolves once `stop` is `true`; never, if its sender is gone without asking to stop.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
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
