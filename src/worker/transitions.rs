//! Overlay state changes of the worker (SPEC §3), each one write transaction through
//! [`Store::with_run`].

use crate::clock;
use crate::model::{CallOutcome, CallRecord, Overlay, OverlayStatus, Run, RunStatus, ServerSeen};
use crate::store::{RunTxn, Store, StoreError};

pub use super::apply::{apply_outcomes, At, CallEffect};

/// Claim up to `n` pending overlays in ascending block order. Returns the run as it is after
/// the claim, and the claimed indices (empty when the run is not `running`).
pub fn claim(
    store: &Store,
    run_id: &str,
    n: usize,
    worker: &str,
    now_ms: u64,
) -> Result<(Run, Vec<u32>), StoreError> {
    store.with_run(run_id, |rt| {
        if rt.run.status != RunStatus::Running {
            return Ok((rt.run.clone(), Vec::new()));
        }
        let indices = rt.indices_with_status(OverlayStatus::Pending, n)?;
        for &i in &indices {
            if let Some(mut ov) = rt.overlay(i)? {
                ov.status = OverlayStatus::Claimed;
                ov.claimed_by = Some(worker.to_string());
                ov.claimed_at = Some(now_ms);
                rt.put_overlay(&ov)?;
            }
        }
        if rt.run.started_at.is_none() && !indices.is_empty() {
            rt.run.started_at = Some(clock::now_rfc3339());
        }
        Ok((rt.run.clone(), indices))
    })
}

fn unclaim(ov: &mut Overlay) {
    ov.status = OverlayStatus::Pending;
    ov.claimed_by = None;
    ov.claimed_at = None;
}

/// Return claimed overlays to `pending` without using attempts: `indices`, or (with `None`)
/// every claimed overlay of the run whose lease `should_release` says to give back.
pub(crate) fn release_where(
    rt: &mut RunTxn<'_>,
    indices: Option<&[u32]>,
    should_release: impl Fn(&Overlay) -> bool,
) -> Result<u32, StoreError> {
    let candidates = match indices {
        Some(list) => list.to_vec(),
        None => rt.indices_with_status(OverlayStatus::Claimed, usize::MAX)?,
    };
    let mut released = 0;
    for i in candidates {
        if let Some(mut ov) = rt.overlay(i)? {
            // A block leased to a provider batch is given back only by that batch's own join
            // or failure (worker::batch), never by a lease check, a pause or a worker's end.
            if super::batch::held_by_a_batch(&ov) {
                continue;
            }
            if ov.status == OverlayStatus::Claimed && should_release(&ov) {
                unclaim(&mut ov);
                rt.put_overlay(&ov)?;
                released += 1;
            }
        }
    }
    Ok(released)
}

/// Give back claims this worker holds but will not process.
pub fn release(
    store: &Store,
    run_id: &str,
    indices: &[u32],
    worker: &str,
) -> Result<u32, StoreError> {
    store.with_run(run_id, |rt| {
        release_where(rt, Some(indices), |ov| {
            ov.claimed_by.as_deref() == Some(worker)
        })
    })
}

/// Give back every claim `worker` holds on the run (interrupted worker).
pub fn release_worker(store: &Store, run_id: &str, worker: &str) -> Result<u32, StoreError> {
    store.with_run(run_id, |rt| {
        release_where(rt, None, |ov| ov.claimed_by.as_deref() == Some(worker))
    })
}

/// Record calls as `started` before their requests are sent (one transaction for the batch);
/// returns their sequence numbers in order.
pub fn record_started(
    store: &Store,
    run_id: &str,
    records: Vec<CallRecord>,
) -> Result<Vec<u64>, StoreError> {
    store.with_run(run_id, |rt| {
        records
            .into_iter()
            .map(|r| rt.append_call(r))
            .collect::<Result<Vec<u64>, StoreError>>()
    })
}

/// What a call record says, for display: a `started` call whose worker is gone is `lost`, one
/// whose worker lives is `in_flight`.
pub fn call_state(record: &CallRecord, owner_alive: impl Fn(&str) -> bool) -> CallOutcome {
    if record.outcome != CallOutcome::Started {
        return record.outcome;
    }
    if record.mode == crate::model::CallMode::Batch {
        // A request of a provider batch: in flight at the provider, whoever sent it.
        return CallOutcome::InFlight;
    }
    match record.worker.as_deref() {
        Some(w) if owner_alive(w) => CallOutcome::InFlight,
        _ => CallOutcome::Lost,
    }
}

/// Calls left `started` by workers that are gone become `lost`: counted as calls, their cost
/// as its upper bound (the answer, if any, never arrived). Returns how many.
pub fn mark_lost_calls(
    store: &Store,
    run_id: &str,
    owner_alive: impl Fn(&str) -> bool,
) -> Result<u32, StoreError> {
    store.with_run(run_id, |rt| {
        let mut n = 0;
        for mut rec in rt.calls()? {
            if call_state(&rec, &owner_alive) != CallOutcome::Lost
                || rec.outcome != CallOutcome::Started
            {
                continue;
            }
            rec.outcome = CallOutcome::Lost;
            rec.detail = Some(
                "the worker ended while this call was in flight; its cost is counted as an upper \
                 bound"
                    .to_string(),
            );
            rt.put_call(&rec)?;
            let u = &mut rt.run.usage;
            u.calls += 1;
            u.failed_calls += 1;
            u.cost_usd = u.cost_usd.zip(rec.cost_upper_usd).map(|(a, b)| a + b);
            n += 1;
        }
        Ok(n)
    })
}

/// Keep what a self-hosted server reported at a session's start with the run (display only:
/// the run's policy snapshot is not changed).
pub fn record_server(store: &Store, run_id: &str, seen: ServerSeen) -> Result<(), StoreError> {
    store.with_run(run_id, |rt| {
        rt.run.server = Some(seen);
        Ok(())
    })
}

/// Pause a run (out of credit, bad key, provider down): release every claim without using
/// attempts and record the reason. Resuming continues where it stopped.
pub fn pause(store: &Store, run_id: &str, reason: &str) -> Result<Run, StoreError> {
    store.with_run(run_id, |rt| {
        release_where(rt, None, |_| true)?;
        if rt.run.status == RunStatus::Running {
            rt.run.status = RunStatus::Paused;
            rt.run.paused_reason = Some(reason.to_string());
        }
        Ok(rt.run.clone())
    })
}

/// A running run with nothing left to do becomes `complete`.
pub(super) fn rollup(rt: &mut RunTxn<'_>) {
    let c = rt.run.counters;
    if rt.run.status == RunStatus::Running && c.pending == 0 && c.claimed == 0 {
        rt.run.status = RunStatus::Complete;
        rt.run.finished_at = Some(clock::now_rfc3339());
    }
}

/// Roll a run up to `complete` if nothing is left (e.g. every block failed or was staged).
pub fn finalize(store: &Store, run_id: &str, active_millis: u64) -> Result<Run, StoreError> {
    store.with_run(run_id, |rt| {
        rollup(rt);
        rt.run.active_millis += active_millis;
        Ok(rt.run.clone())
    })
}

/// `run cancel`: no new claims; claims are released; remaining overlays stay `pending`.
pub fn cancel(store: &Store, run_id: &str) -> Result<Run, StoreError> {
    store.with_run(run_id, |rt| {
        if matches!(rt.run.status, RunStatus::Running | RunStatus::Paused) {
            rt.run.status = RunStatus::Cancelled;
            rt.run.paused_reason = None;
        }
        Ok(rt.run.clone())
    })
}

/// `run resume`: a paused or cancelled run goes back to `running`.
pub fn resume(store: &Store, run_id: &str) -> Result<Run, StoreError> {
    store.with_run(run_id, |rt| {
        if matches!(rt.run.status, RunStatus::Paused | RunStatus::Cancelled) {
            rt.run.status = RunStatus::Running;
            rt.run.paused_reason = None;
            rt.run.finished_at = None;
        }
        rollup(rt);
        Ok(rt.run.clone())
    })
}

/// `run retry-failed`: every failed block goes back to `pending` with its attempts reset, and a
/// complete run runs again. Returns the run and how many blocks were reset.
pub fn retry_failed(store: &Store, run_id: &str) -> Result<(Run, u32), StoreError> {
    store.with_run(run_id, |rt| {
        let failed = rt.indices_with_status(OverlayStatus::Failed, usize::MAX)?;
        let mut reset = 0;
        for i in failed {
            if let Some(mut ov) = rt.overlay(i)? {
                ov.status = OverlayStatus::Pending;
                ov.attempt_count = 0;
                ov.last_error = None;
                rt.put_overlay(&ov)?;
                reset += 1;
            }
        }
        if reset > 0 && rt.run.status == RunStatus::Complete {
            rt.run.status = RunStatus::Running;
            rt.run.finished_at = None;
        }
        Ok((rt.run.clone(), reset))
    })
}
