//! Calibration (SPEC §4a "Pack guard and calibration", issue 27 item 5b): before a run packs
//! blocks, its first N pending blocks are answered singly through the ordinary path (claimed,
//! validated, grounded and staged: those answers are the run's), then the same blocks are sent
//! packed at falling pack sizes (the run's pack size, then halves down to 2). Each packed
//! answer is compared with the single answers field by field (normalized: strings folded,
//! numbers to 1e-9) and never staged; the largest pack size whose agreement is ≥ 95% is kept
//! for the rest of the run (1 when none is), recorded on the run with the figures and in the
//! call log. It works for every field type, grounded or not.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::answer::{apply_local_fields, parse_batched};
use super::engine::{new_shared, spawn_writer, EngineOptions};
use super::events::WorkerEvent;
use super::pack::estimate_tokens;
use super::prepare::RunPlan;
use super::session::{blocking, Members};
use super::task::{record, Item};
use super::WorkerError;
use crate::evidence::compare::normalized_eq;
use crate::model::{Calibration, CalibrationTry, CallOutcome, OverlayStatus, Run};
use crate::provider::{BlockInput, CallAnswer, Provider};
use crate::store::Store;

/// Agreement with single calls a pack size needs to be kept.
pub const AGREEMENT: f64 = 0.95;

/// Whether a session on `run` calibrates first: asked for (`--calibrate`) or named by the run's
/// `worker.batching.calibrate`, packing possible, and not calibrated before.
pub fn wanted(run: &Run, asked: bool) -> bool {
    let policy = crate::policy::WorkerPolicy::from_snapshot(&run.model_config.policy);
    let named = crate::policy::registry::calibrate_providers(&policy.calibrate)
        .is_ok_and(|p| p.contains(&run.model_config.provider));
    let done = run
        .pack_guard
        .as_ref()
        .is_some_and(|g| g.calibration.is_some());
    // Automatic only when blocks are left to pack after it.
    let worth = asked || run.counters.pending > policy.calibrate_blocks;
    (asked || named) && worth && policy.batching && policy.pack_size > 1 && !done
}

/// The session's stop (Ctrl-C, the TUI quits) and the run's cancel, as calibration watches them.
struct Halt {
    stop: watch::Receiver<bool>,
    cancel: watch::Receiver<bool>,
}

impl Halt {
    fn raised(&self) -> bool {
        *self.stop.borrow() || *self.cancel.borrow()
    }

    /// Resolves when either is raised (never by a signal whose sender is gone).
    async fn wait(&self) {
        async fn raised(mut rx: watch::Receiver<bool>) {
            if rx.wait_for(|v| *v).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::select! {
            _ = raised(self.stop.clone()) => {}
            _ = raised(self.cancel.clone()) => {}
        }
    }
}

/// Calibrate `run_id` (see the module); `None` when there was nothing to calibrate or `stop`
/// (or a cancel of the run) came first. Sized to what a local server reports, as the engine is.
pub async fn calibrate<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    run_id: &str,
    opts: &EngineOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    stop: watch::Receiver<bool>,
) -> Result<Option<Calibration>, WorkerError> {
    // One worker per run holds for calibration too: a second `run start` is refused and
    // `run status` names this worker instead of "idle". Given up after; the worker that follows
    // takes the run again.
    let (s, r, w) = (store.clone(), run_id.to_string(), opts.worker_id.clone());
    blocking(move || super::holding::take(&s, &r, &w)).await?;
    let out = calibrate_held(store.clone(), provider, run_id, opts, events, stop).await;
    let (r, w) = (run_id.to_string(), opts.worker_id.clone());
    blocking(move || Ok(store.release_holder(&r, &w)?)).await?;
    out
}

/// [`calibrate`] once this worker holds the run.
async fn calibrate_held<P: Provider>(
    store: Arc<Store>,
    provider: Arc<P>,
    run_id: &str,
    opts: &EngineOptions,
    events: Option<mpsc::Sender<WorkerEvent>>,
    stop: watch::Receiver<bool>,
) -> Result<Option<Calibration>, WorkerError> {
    let (s, r) = (store.clone(), run_id.to_string());
    let mut plan = blocking(move || RunPlan::load(&s, &r)).await?;
    let server = provider.server_limits(&plan.run.model_config.model).await;
    if let Some(c) = server.as_ref().and_then(|l| l.context_tokens) {
        plan.fit_to_context(c);
    }
    let (cap, n) = (
        plan.limits.block_cap,
        plan.policy.calibrate_blocks.max(2) as usize,
    );
    if cap < 2 || plan.run.counters.pending as usize <= n {
        let why = format!(
            "not calibrated: {} pending block(s), at most {cap} per call; calibration answers the \
             first {n} both ways and needs blocks left to pack after them",
            plan.run.counters.pending
        );
        notice(&events, run_id, why).await;
        return Ok(None);
    }
    let members = Members {
        label: run_id.to_string(),
        group: None,
        run_ids: Arc::new(vec![run_id.to_string()]),
        convs: Arc::new(vec![plan.run.conv_uid.clone()]),
    };
    let (cancel_tx, cancel) = watch::channel(false);
    let watcher = tokio::spawn(super::session::watch_for_cancel(
        store.clone(),
        members.clone(),
        opts.cancel_poll,
        cancel_tx,
    ));
    let halt = Halt { stop, cancel };
    let concurrency = opts
        .concurrency
        .or(server.and_then(|l| l.slots))
        .unwrap_or(plan.policy.concurrency)
        .clamp(1, 256);
    let setup = Setup {
        members: &members,
        n,
        concurrency,
        halt: &halt,
    };
    let out = calibrate_with(&store, provider, &plan, setup, opts, &events).await;
    watcher.abort();
    out
}

/// What [`calibrate`] set up for [`calibrate_with`].
struct Setup<'a> {
    members: &'a Members,
    n: usize,
    concurrency: u32,
    halt: &'a Halt,
}

/// [`calibrate`] once the plan is sized and the halt signals are watched.
async fn calibrate_with<P: Provider>(
    store: &Arc<Store>,
    provider: Arc<P>,
    plan: &RunPlan,
    setup: Setup<'_>,
    opts: &EngineOptions,
    events: &Option<mpsc::Sender<WorkerEvent>>,
) -> Result<Option<Calibration>, WorkerError> {
    let (run_id, cap, halt) = (
        setup.members.label.as_str(),
        plan.limits.block_cap,
        setup.halt,
    );
    let items = claim_first(store, plan, setup.n, &opts.worker_id).await?;
    if items.is_empty() {
        return Ok(None);
    }
    let (first, last) = (items[0].index, items[items.len() - 1].index);
    let msg = format!(
        "calibrating the pack size: blocks {first}-{last} singly, then packed (at most {cap} per call)"
    );
    notice(events, run_id, msg).await;
    answer_singly(
        store,
        provider.clone(),
        plan,
        items.clone(),
        opts,
        events,
        &setup,
    )
    .await?;
    if halt.raised() {
        return Ok(None);
    }
    let singles = single_answers(store, run_id, &items).await?;
    let mut cal = Calibration {
        first_block: first,
        last_block: last,
        blocks: singles.len() as u32,
        chosen: 1,
        ..Calibration::default()
    };
    let kept: Vec<Item> = items
        .into_iter()
        .filter(|i| singles.contains_key(&i.index))
        .collect();
    if kept.len() < 2 {
        cal.note = Some("fewer than 2 blocks answered singly: nothing to compare".into());
    } else {
        try_sizes(store, &*provider, plan, (&kept, &singles), &mut cal, halt).await;
        if halt.raised() {
            return Ok(None);
        }
    }
    let (s, r, c) = (store.clone(), run_id.to_string(), cal.clone());
    blocking(move || record_calibration(&s, &r, c)).await?;
    notice(events, run_id, format!("calibration: {}", cal.describe())).await;
    Ok(Some(cal))
}

async fn notice(events: &Option<mpsc::Sender<WorkerEvent>>, run_id: &str, message: String) {
    if let Some(tx) = events {
        let run_id = run_id.to_string();
        let _ = tx.send(WorkerEvent::Notice { run_id, message }).await;
    }
}

/// Claim the run's first `n` pending blocks (block order), as the engine claims.
async fn claim_first(
    store: &Arc<Store>,
    plan: &RunPlan,
    n: usize,
    worker: &str,
) -> Result<Vec<Item>, WorkerError> {
    let (s, run, w) = (store.clone(), plan.run.clone(), worker.to_string());
    blocking(move || {
        let ids = [run.run_id.clone()];
        let now = crate::clock::now_millis();
        let taken = super::group_transitions::claim_group(&s, &ids, 0, n, &w, now)?;
        let indices: Vec<u32> = taken.claimed.into_iter().flat_map(|(_, i)| i).collect();
        let blocks = s.blocks_at(&run.conv_uid, &indices)?;
        Ok(blocks
            .into_iter()
            .map(|b| Item {
                run: 0,
                index: b.block_index,
                tokens: estimate_tokens(&b.block_content),
                block_type: b.block_type.as_str().to_string(),
                content: b.block_content,
                feedback: None,
            })
            .collect())
    })
    .await
}

/// Each block alone through the worker's own path (retries, validation, grounding, staging).
async fn answer_singly<P: Provider>(
    store: &Arc<Store>,
    provider: Arc<P>,
    plan: &RunPlan,
    items: Vec<Item>,
    opts: &EngineOptions,
    events: &Option<mpsc::Sender<WorkerEvent>>,
    setup: &Setup<'_>,
) -> Result<(), WorkerError> {
    let run = &plan.run;
    let members = setup.members;
    let writer = spawn_writer(store, plan, &run.run_id, &members.run_ids, events);
    let shared = new_shared(
        provider,
        plan.clone(),
        members,
        opts,
        &writer,
        events,
        &setup.halt.cancel,
        &setup.halt.stop,
    );
    let slots = Arc::new(Semaphore::new(setup.concurrency as usize));
    let mut tasks = JoinSet::new();
    for item in items {
        let (shared, slots) = (shared.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            shared.process(vec![item]).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    if setup.halt.raised() {
        // What a stop or cancel left claimed goes back to pending, as at the engine's end.
        let (s, r, w) = (store.clone(), run.run_id.clone(), opts.worker_id.clone());
        blocking(move || {
            let mine = |ov: &crate::model::Overlay| ov.claimed_by.as_deref() == Some(w.as_str());
            s.with_run(&r, |rt| super::steps::release_where(rt, None, mine))?;
            Ok(())
        })
        .await?;
    }
    drop(shared);
    drop(writer.tx);
    let _ = writer.thread.join();
    Ok(())
}

/// The staged single answers of `items`, by block index.
async fn single_answers(
    store: &Arc<Store>,
    run_id: &str,
    items: &[Item],
) -> Result<BTreeMap<u32, Value>, WorkerError> {
    let (s, r) = (store.clone(), run_id.to_string());
    let indices: Vec<u32> = items.iter().map(|i| i.index).collect();
    blocking(move || {
        let mut out = BTreeMap::new();
        for i in indices {
            if let Some(ov) = s.overlay(&r, i)? {
                if let (OverlayStatus::AiComplete, Some(v)) = (ov.status, ov.staging) {
                    out.insert(i, v);
                }
            }
        }
        Ok(out)
    })
    .await
}

/// The pack sizes to try, largest first: the run's, then halves down to 2.
pub fn sizes(cap: u32, blocks: usize) -> Vec<u32> {
    let mut out = Vec::new();
    let mut s = cap.min(blocks as u32);
    while s >= 2 {
        out.push(s);
        s /= 2;
    }
    out
}

/// Send the blocks packed at each size until one agrees with the single answers on ≥ 95%.
async fn try_sizes<P: Provider>(
    store: &Arc<Store>,
    provider: &P,
    plan: &RunPlan,
    (items, singles): (&[Item], &BTreeMap<u32, Value>),
    cal: &mut Calibration,
    halt: &Halt,
) {
    for size in sizes(plan.limits.block_cap, items.len()) {
        let mut t = CalibrationTry {
            pack_size: size,
            ..CalibrationTry::default()
        };
        for pack in items.chunks(size as usize) {
            let answered = tokio::select! {
                a = call_pack(store, provider, plan, pack) => a,
                _ = halt.wait() => return,
            };
            match answered {
                Ok(answers) => tally(plan, pack, &answers, singles, &mut t),
                Err(e) => {
                    cal.note = Some(format!("a calibration call failed: {e}"));
                    return;
                }
            }
            t.calls += 1;
        }
        let agreed = t.agreement() >= AGREEMENT;
        cal.tries.push(t);
        if agreed {
            cal.chosen = size;
            return;
        }
    }
}

/// Count `pack`'s field values that agree with the single answers (a block the packed answer
/// left out disagrees on every field).
fn tally(
    plan: &RunPlan,
    pack: &[Item],
    answers: &BTreeMap<u32, Map<String, Value>>,
    singles: &BTreeMap<u32, Value>,
    t: &mut CalibrationTry,
) {
    for item in pack {
        let Some(single) = singles.get(&item.index) else {
            continue;
        };
        for field in plan.properties.keys() {
            let packed = answers.get(&item.index).and_then(|a| a.get(field));
            t.compared += 1;
            let same = match (single.get(field), packed) {
                (Some(a), Some(b)) => normalized_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            t.agreeing += u64::from(same);
        }
    }
}

/// One packed call, recorded in the call log (its answers are compared, never staged).
async fn call_pack<P: Provider>(
    store: &Arc<Store>,
    provider: &P,
    plan: &RunPlan,
    pack: &[Item],
) -> Result<BTreeMap<u32, Map<String, Value>>, String> {
    let request = plan.request(
        pack.iter()
            .map(|i| BlockInput {
                block_index: i.index,
                block_type: i.block_type.clone(),
                content: i.content.clone(),
            })
            .collect(),
    );
    let timeout =
        std::time::Duration::from_secs(u64::from(plan.policy.request_timeout_seconds.max(1)));
    let started = std::time::Instant::now();
    let answer = match tokio::time::timeout(timeout, provider.call(&request)).await {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err(format!("no answer within {} s", timeout.as_secs())),
    };
    let sent: Vec<u32> = pack.iter().map(|i| i.index).collect();
    let parsed = parse_batched(
        answer.output.as_ref(),
        answer.parse_issue.as_deref(),
        &sent,
        &plan.pack_key,
    );
    let mut out = BTreeMap::new();
    for item in pack {
        if let Some(v) = parsed.mapped.get(&item.index) {
            let mut v = v.clone();
            apply_local_fields(&plan.properties, &item.content, &mut v);
            out.insert(item.index, v);
        }
    }
    let rec = calibration_record(provider, plan, pack, &answer, started, out.len());
    let s = store.clone();
    let cost = crate::provider::PriceTable::for_user().estimate_at(
        &plan.run.model_config.model,
        &answer.usage,
        crate::provider::builtin_prices_apply(provider.name(), provider.base_url()),
    );
    blocking(move || Ok(append_call(&s, rec, cost)?))
        .await
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn calibration_record<P: Provider>(
    provider: &P,
    plan: &RunPlan,
    pack: &[Item],
    answer: &CallAnswer,
    started: std::time::Instant,
    mapped: usize,
) -> crate::model::CallRecord {
    let mut rec = record(&plan.run.run_id, provider.base_url(), pack);
    rec.usage = answer.usage;
    rec.latency_ms = started.elapsed().as_millis() as u64;
    rec.stop_reason = answer.stop_reason.clone();
    rec.mapped = mapped as u32;
    rec.missing = (pack.len() - mapped) as u32;
    rec.outcome = if mapped == pack.len() {
        CallOutcome::Ok
    } else {
        CallOutcome::Partial
    };
    rec.detail = Some(format!(
        "calibration: pack of {} compared with single calls (not staged)",
        pack.len()
    ));
    rec
}

/// A calibration call in the run's call log and usage totals.
fn append_call(
    store: &Store,
    rec: crate::model::CallRecord,
    cost: Option<f64>,
) -> Result<(), crate::store::StoreError> {
    let run_id = rec.run_id.clone();
    store.with_run(&run_id, |rt| {
        let usage = rec.usage;
        rt.append_call(rec)?;
        let u = &mut rt.run.usage;
        u.calls += 1;
        u.tokens.add(&usage);
        u.cost_usd = u.cost_usd.zip(cost).map(|(a, b)| a + b);
        Ok(())
    })
}

/// Keep the chosen pack size for the rest of the run, with the figures.
fn record_calibration(store: &Store, run_id: &str, cal: Calibration) -> Result<(), WorkerError> {
    store.with_run(run_id, |rt| {
        let guard = rt.run.pack_guard.get_or_insert_with(Default::default);
        guard.pack_size = Some(cal.chosen);
        guard.steps.push(format!("calibration: {}", cal.describe()));
        guard.calibration = Some(cal);
        Ok::<_, WorkerError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::sizes;

    #[test]
    fn sizes_fall_by_halves_from_the_cap_down_to_two() {
        assert_eq!(sizes(10, 20), vec![10, 5, 2]);
        assert_eq!(sizes(40, 20), vec![20, 10, 5, 2]);
        assert_eq!(sizes(1, 20), Vec::<u32>::new());
        assert_eq!(sizes(8, 3), vec![3]);
    }
}
