//! The worker's overlay and run state changes as steps on one run inside an open write
//! transaction ([`RunTxn`]). [`super::transitions`] commits a step on one run,
//! [`super::group_transitions`] on many runs in one transaction, and the writer's
//! [`super::apply`] rolls runs up with [`rollup`]: the rules live here once.

use crate::clock;
use crate::model::{CallOutcome, CallRecord, Overlay, OverlayStatus, RunStatus};
use crate::store::{RunTxn, StoreError};

fn unclaim(ov: &mut Overlay) {
    ov.status = OverlayStatus::Pending;
    ov.claimed_by = None;
    ov.claimed_at = None;
}

/// Claim up to `n` pending overlays of a running run, in ascending block order; returns the
/// claimed indices (none when the run is not `running`).
pub(crate) fn claim_in(
    rt: &mut RunTxn<'_>,
    n: usize,
    worker: &str,
    now_ms: u64,
) -> Result<Vec<u32>, StoreError> {
    if rt.run.status != RunStatus::Running || n == 0 {
        return Ok(Vec::new());
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
    Ok(indices)
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
            if crate::model::held_by_a_batch(&ov) {
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
pub(crate) fn mark_lost_in(
    rt: &mut RunTxn<'_>,
    owner_alive: impl Fn(&str) -> bool,
) -> Result<u32, StoreError> {
    let mut n = 0;
    let lost = |rec: &CallRecord| {
        rec.outcome == CallOutcome::Started && call_state(rec, &owner_alive) == CallOutcome::Lost
    };
    for mut rec in rt.calls_where(lost)? {
        rec.outcome = CallOutcome::Lost;
        rec.detail = Some(
            "the worker ended while this call was in flight; its cost is counted as an upper bound"
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
}

/// Pause a running run: every claim released without using attempts, the reason recorded.
pub(crate) fn pause_in(rt: &mut RunTxn<'_>, reason: &str) -> Result<(), StoreError> {
    release_where(rt, None, |_| true)?;
    if rt.run.status == RunStatus::Running {
        rt.run.status = RunStatus::Paused;
        rt.run.paused_reason = Some(reason.to_string());
    }
    Ok(())
}

/// A running run with nothing left to do becomes `complete`.
pub(crate) fn rollup(rt: &mut RunTxn<'_>) {
    let c = rt.run.counters;
    if rt.run.status == RunStatus::Running && c.pending == 0 && c.claimed == 0 {
        rt.run.status = RunStatus::Complete;
        rt.run.finished_at = Some(clock::now_rfc3339());
    }
}

/// `run cancel`: a running or paused run is cancelled (its overlays stay as they are).
pub(crate) fn cancel_in(rt: &mut RunTxn<'_>) {
    if matches!(rt.run.status, RunStatus::Running | RunStatus::Paused) {
        rt.run.status = RunStatus::Cancelled;
        rt.run.paused_reason = None;
    }
}

/// `run resume`: a paused or cancelled run goes back to `running` (or `complete`, if nothing
/// is left).
pub(crate) fn resume_in(rt: &mut RunTxn<'_>) {
    if matches!(rt.run.status, RunStatus::Paused | RunStatus::Cancelled) {
        rt.run.status = RunStatus::Running;
        rt.run.paused_reason = None;
        rt.run.finished_at = None;
    }
    rollup(rt);
}

/// `run retry-failed`: every failed block goes back to `pending` with its attempts reset, and a
/// complete run runs again. Returns how many blocks were reset.
pub(crate) fn retry_failed_in(rt: &mut RunTxn<'_>) -> Result<u32, StoreError> {
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
    Ok(reset)
}
