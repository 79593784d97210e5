//! The loop of a worker session: claim ahead in the background, send a pack whenever one is
//! ready and a slot is free, and stop on completion, pause, cancel or interrupt; then
//! [`wind_down`] lets the calls in flight record how they ended.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::claiming::{taken, ClaimAhead, Claims};
use super::pack::{make_packs, CloseReason, PackLimits};
use super::session::StoppedBy;
use super::task::{queue_for_slot, Item, Shared};
use super::WorkerError;
use crate::provider::Provider;

/// The session's loop: claim ahead, send packs while slots are free, until the runs are done,
/// paused, cancelled or the session is stopped. Returns why it stopped.
pub(crate) async fn run_loop<P: Provider>(
    shared: &Arc<Shared<P>>,
    claims: &mut Claims,
    tasks: &mut JoinSet<()>,
    semaphore: Arc<Semaphore>,
    limits: &PackLimits,
    (stop, cancel): (&mut watch::Receiver<bool>, &mut watch::Receiver<bool>),
) -> Result<StoppedBy, WorkerError> {
    let policy_cap = limits.block_cap;
    loop {
        // The pack guard may have halved the pack size since the last pack.
        let mut limits = *limits;
        limits.block_cap = shared.guard.cap(policy_cap);
        let (limits, cap) = (&limits, limits.block_cap as usize);
        // Reap finished calls at once: a JoinSet keeps every completed task (with its future's
        // whole allocation) until it is joined, so memory would grow with the number of calls.
        while tasks.try_join_next().is_some() {}
        if let Some(by) = stop_asked(shared, stop, cancel) {
            return Ok(by);
        }
        if claims.ahead.as_ref().is_some_and(|h| h.is_finished()) {
            let got = taken(claims.ahead.take().expect("a claim in flight")).await?;
            if let Some(by) = claims.settle(got) {
                return Ok(by);
            }
            continue;
        }
        let low = claims.low_mark(cap);
        if claims.ahead.is_none() && needs_refill(claims.exhausted, claims.buffer.len(), low) {
            // Claimed in the background: the buffered blocks keep going out meanwhile.
            claims.start_claim();
            continue;
        }
        let tokens: Vec<u32> = claims.buffer.iter().map(|i| i.tokens).collect();
        let next = next_pack(&tokens, limits, claims.exhausted, cap);
        if next.is_none() && claims.ahead.is_some() {
            // Nothing to send until the claim lands (or a call ends, or the session stops).
            if let Some(by) = wait_for_claim(shared, claims, tasks, stop, cancel).await? {
                return Ok(by);
            }
            continue;
        }
        if claims.buffer.is_empty() {
            if !tasks.is_empty() {
                wait_for_a_call(shared, claims, tasks, stop, cancel).await;
                continue;
            }
            // Nothing buffered, nothing in flight: failed blocks may have returned to pending.
            if claims.exhausted && claims.claim.any_pending().await? {
                // Blocks of earlier members came back (a retry): claim from the start again.
                claims.exhausted = false;
                continue;
            }
            return Ok(StoppedBy::Nothing);
        }
        let Some(range) = next else {
            continue;
        };
        let permit = tokio::select! {
            p = semaphore.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return Ok(StoppedBy::Nothing),
            },
            _ = stopped(stop) => continue,
            _ = stopped(cancel) => continue,
        };
        if shared.guard.cap(policy_cap) as usize != cap {
            // A call that ended while this one waited for its slot halved the pack size.
            drop(permit);
            continue;
        }
        let pack: Vec<Item> = claims.buffer.drain(range).collect();
        spawn_pack(shared, tasks, pack, permit).await;
    }
}

/// Run `pack` as a task holding `permit` (one of the packs in progress), queued for a call
/// slot now, so calls go out in the order packs are formed.
async fn spawn_pack<P: Provider>(
    shared: &Arc<Shared<P>>,
    tasks: &mut JoinSet<()>,
    pack: Vec<Item>,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let place = queue_for_slot(shared.slots.clone()).await;
    let shared = shared.clone();
    tasks.spawn(async move {
        shared.process_in_turn(pack, Some(place)).await;
        drop(permit);
    });
}

/// `Some` when the session must stop now: interrupted, cancelled, or halted by a call.
fn stop_asked<P: Provider>(
    shared: &Shared<P>,
    stop: &watch::Receiver<bool>,
    cancel: &watch::Receiver<bool>,
) -> Option<StoppedBy> {
    if *stop.borrow() {
        return Some(StoppedBy::Interrupt);
    }
    if *cancel.borrow() {
        tracing::info!(
            run_id = %shared.label,
            in_flight = shared.in_flight.load(Ordering::SeqCst),
            "run cancelled: no new calls; calls in flight are aborted"
        );
        return Some(StoppedBy::Cancel);
    }
    if shared.halted() {
        return Some(StoppedBy::Nothing);
    }
    None
}

/// Wait for the claim in flight, a call's end, or a stop; `Some` names why the session stops.
async fn wait_for_claim<P: Provider>(
    shared: &Shared<P>,
    claims: &mut Claims,
    tasks: &mut JoinSet<()>,
    stop: &mut watch::Receiver<bool>,
    cancel: &mut watch::Receiver<bool>,
) -> Result<Option<StoppedBy>, WorkerError> {
    let Some(h) = claims.ahead.as_mut() else {
        return Ok(None);
    };
    let _starving = Starving(std::time::Instant::now());
    tokio::select! {
        got = h => {
            claims.ahead = None;
            let got = got.map_err(|e| WorkerError::Refused(format!("worker task failed: {e}")))??;
            return Ok(claims.settle(got));
        }
        _ = tasks.join_next(), if !tasks.is_empty() => {
            claims.returned_while_claiming(shared.returned.swap(usize::MAX, Ordering::SeqCst));
        }
        _ = stopped(stop) => {}
        _ = stopped(cancel) => {}
    }
    Ok(None)
}

/// Counts, when dropped, how long the loop had nothing to send while a claim ran.
struct Starving(std::time::Instant);

impl Drop for Starving {
    fn drop(&mut self) {
        super::profile::starved(self.0.elapsed());
    }
}

/// Nothing buffered and no claim in flight: wait for a call to end (or a stop).
async fn wait_for_a_call<P: Provider>(
    shared: &Shared<P>,
    claims: &mut Claims,
    tasks: &mut JoinSet<()>,
    stop: &mut watch::Receiver<bool>,
    cancel: &mut watch::Receiver<bool>,
) {
    tokio::select! {
        _ = tasks.join_next() => {
            // Blocks a finished call gave back (a failure below max_retries) are
            // pending again: claim from their member on.
            claims.returned(shared.returned.swap(usize::MAX, Ordering::SeqCst));
        }
        _ = stopped(stop) => {}
        _ = stopped(cancel) => {}
    }
}

/// After a cancel or an interrupt, tasks see it themselves: each aborts its request, records
/// the call as cancelled (cost at its upper bound) and returns at once. A task that does not
/// end within the grace period is dropped; its `started` call is then recorded as lost.
pub(crate) async fn wind_down(
    tasks: &mut JoinSet<()>,
    ahead: Option<ClaimAhead>,
    stopped_by: StoppedBy,
    run_id: &str,
) {
    if let Some(h) = ahead {
        // Its claims are committed before `finish` gives back what was never sent.
        let _ = taken(h).await;
    }
    let grace = if stopped_by == StoppedBy::Nothing {
        // Paused or done: calls in flight finish and are recorded as they are.
        Duration::MAX
    } else {
        ABORT_GRACE
    };
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drain).await.is_err() {
        tracing::warn!(run_id = %run_id, "calls did not end within {ABORT_GRACE:?}; dropped");
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}

/// How long a session waits, once stopped, for its tasks to record their aborted calls.
const ABORT_GRACE: Duration = Duration::from_secs(3);

/// Keep at least `low` blocks ready so no task waits on a claim.
pub(crate) fn needs_refill(exhausted: bool, buffered: usize, low: usize) -> bool {
    !exhausted && buffered < low
}

/// Which buffered blocks to send now: the first pack when it is full, or the partial tail once
/// nothing more is coming (`exhausted`) or enough is buffered; `None` waits for more claims.
pub(crate) fn next_pack(
    tokens: &[u32],
    limits: &PackLimits,
    exhausted: bool,
    block_cap: usize,
) -> Option<Range<usize>> {
    let (range, reason) = make_packs(tokens, limits).into_iter().next()?;
    if reason == CloseReason::End && !exhausted && tokens.len() < block_cap {
        return None;
    }
    Some(range)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::pack::OutputShape;

    fn limits(block_cap: u32) -> PackLimits {
        PackLimits {
            block_cap,
            input_budget: 100_000,
            output_budget: 100_000,
            per_block_output_base: 10,
            shape: OutputShape::default(),
        }
    }

    #[test]
    fn refill_only_below_the_low_mark_and_never_once_exhausted() {
        assert!(needs_refill(false, 0, 6));
        assert!(needs_refill(false, 5, 6));
        assert!(!needs_refill(false, 6, 6));
        assert!(!needs_refill(true, 0, 6));
    }

    #[test]
    fn a_full_pack_goes_at_once_and_a_partial_tail_waits_until_nothing_more_comes() {
        let l = limits(3);
        assert_eq!(next_pack(&[10, 10, 10, 10], &l, false, 3), Some(0..3));
        assert_eq!(
            next_pack(&[10, 10], &l, false, 3),
            None,
            "more claims may come"
        );
        assert_eq!(
            next_pack(&[10, 10], &l, true, 3),
            Some(0..2),
            "nothing more comes"
        );
        assert_eq!(next_pack(&[], &l, true, 3), None);
    }
}
