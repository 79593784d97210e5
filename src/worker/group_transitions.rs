//! The worker's state changes over several runs at once (a run group's members, SPEC §1a),
//! each ONE write transaction however many members it touches. A single run is the list of one.

use super::steps::{self, release_where, rollup};
use crate::model::{CallRecord, Run, RunStatus};
use crate::store::{RunBatch, Store, StoreError};

/// What one claim over a group took.
#[derive(Debug, Clone, Default)]
pub struct GroupClaim {
    /// `(member position, claimed block indices)` in member order.
    pub claimed: Vec<(u32, Vec<u32>)>,
    /// Where the next claim starts: members before it had nothing pending at this claim.
    pub next: usize,
    /// Some member in the window was `running` (else none of them can be worked on now).
    pub any_running: bool,
    /// Some member in the window was `cancelled`.
    pub cancelled: bool,
}

impl GroupClaim {
    pub fn count(&self) -> usize {
        self.claimed.iter().map(|(_, i)| i.len()).sum()
    }
}

/// Claim up to `n` pending overlays, member after member from `from`, in ascending block order
/// within each; skips members that are not `running`. One transaction over at most `n`
/// members (every member has at least one block, so `n` members hold `n` blocks or the rest).
pub fn claim_group(
    store: &Store,
    run_ids: &[String],
    from: usize,
    n: usize,
    worker: &str,
    now_ms: u64,
) -> Result<GroupClaim, StoreError> {
    store.with_batch(|b| claim_group_in(b, run_ids, from, n, worker, now_ms))
}

/// [`claim_group`] inside an open transaction (the session writer's batch).
pub(crate) fn claim_group_in(
    batch: &mut RunBatch<'_>,
    run_ids: &[String],
    from: usize,
    n: usize,
    worker: &str,
    now_ms: u64,
) -> Result<GroupClaim, StoreError> {
    let from = from.min(run_ids.len());
    let window = &run_ids[from..(from + n.max(1)).min(run_ids.len())];
    let mut out = GroupClaim {
        next: from,
        ..GroupClaim::default()
    };
    let mut walk = Walk {
        left: n,
        position: from,
        drained: true,
    };
    for run_id in window {
        batch.visit(run_id, |rt| {
            claim_member(rt, &mut out, &mut walk, worker, now_ms)
        })?;
    }
    Ok(out)
}

/// Where a claim over a window of members is: blocks still to take, the member's position,
/// and whether every member so far has nothing pending left.
struct Walk {
    left: usize,
    position: usize,
    drained: bool,
}

/// One member of a claim window: claims up to `walk.left` of its pending blocks when it runs,
/// and moves `out.next` past it once nothing of it is pending.
fn claim_member(
    rt: &mut crate::store::RunTxn<'_>,
    out: &mut GroupClaim,
    walk: &mut Walk,
    worker: &str,
    now_ms: u64,
) -> Result<(), StoreError> {
    let slot = walk.position as u32;
    walk.position += 1;
    if rt.run.status != RunStatus::Running {
        out.cancelled |= rt.run.status == RunStatus::Cancelled;
        if walk.drained {
            out.next = walk.position;
        }
        return Ok(());
    }
    out.any_running = true;
    if walk.left == 0 {
        walk.drained = false;
        return Ok(());
    }
    let indices = steps::claim_in(rt, walk.left, worker, now_ms)?;
    walk.left -= indices.len();
    // A member is passed once nothing of it is pending any more.
    if rt.run.counters.pending == 0 && walk.drained {
        out.next = walk.position;
    } else {
        walk.drained = false;
    }
    if !indices.is_empty() {
        out.claimed.push((slot, indices));
    }
    Ok(())
}

/// `rounds` claims of up to `n` blocks each, every one from where the last stopped, in the
/// open transaction: enough blocks to keep every call slot fed with one commit.
pub(crate) fn claim_rounds_in(
    batch: &mut RunBatch<'_>,
    run_ids: &[String],
    (from, n, rounds): (usize, usize, usize),
    worker: &str,
    now_ms: u64,
) -> Result<GroupClaim, StoreError> {
    let mut all = GroupClaim {
        next: from,
        ..GroupClaim::default()
    };
    for _ in 0..rounds.max(1) {
        let at = all.next;
        let c = claim_group_in(batch, run_ids, at, n, worker, now_ms)?;
        let claimed = c.count();
        all.claimed.extend(c.claimed);
        all.any_running |= c.any_running;
        all.cancelled |= c.cancelled;
        all.next = c.next;
        if c.next >= run_ids.len() || (claimed == 0 && c.next == at) {
            // Past the last member, or no way forward from here.
            break;
        }
    }
    Ok(all)
}

/// Record calls as `started` (one transaction); returns their sequence numbers in order.
pub fn record_started_many(
    store: &Store,
    records: Vec<CallRecord>,
) -> Result<Vec<u64>, StoreError> {
    store.with_batch(|b| record_started_in(b, records))
}

/// [`record_started_many`] inside an open transaction (the session writer's batch).
pub(crate) fn record_started_in(
    batch: &mut RunBatch<'_>,
    records: Vec<CallRecord>,
) -> Result<Vec<u64>, StoreError> {
    records
        .into_iter()
        .map(|rec| {
            let run_id = rec.run_id.clone();
            batch.visit(&run_id, |rt| rt.append_call(rec))
        })
        .collect()
}

/// Give back every claim `worker` holds on these runs.
pub fn release_worker_many(
    store: &Store,
    run_ids: &[String],
    worker: &str,
) -> Result<u32, StoreError> {
    let n = store.with_runs(run_ids, |rt| {
        release_where(rt, None, |ov| ov.claimed_by.as_deref() == Some(worker))
    })?;
    Ok(n.into_iter().sum())
}

/// Claims whose lease expired or whose worker is gone return to `pending` (lease recovery).
pub fn recover_many(
    store: &Store,
    run_ids: &[String],
    now_ms: u64,
    lease_ms: u64,
    owner_alive: impl Fn(&str) -> bool,
) -> Result<u32, StoreError> {
    let n = store.with_runs(run_ids, |rt| {
        if rt.run.counters.claimed == 0 {
            return Ok(0);
        }
        release_where(rt, None, |ov| {
            let expired = ov.claimed_at.is_none_or(|t| t + lease_ms < now_ms);
            let dead = ov.claimed_by.as_deref().is_none_or(|w| !owner_alive(w));
            expired || dead
        })
    })?;
    Ok(n.into_iter().sum())
}

/// Calls left `started` by workers that are gone become `lost` (counted at their cost's upper
/// bound), on every run of the list.
pub fn mark_lost_many(
    store: &Store,
    run_ids: &[String],
    owner_alive: impl Fn(&str) -> bool,
) -> Result<u32, StoreError> {
    let n = store.with_runs(run_ids, |rt| steps::mark_lost_in(rt, &owner_alive))?;
    Ok(n.into_iter().sum())
}

/// Pause every running member (out of credit, bad key, provider down): claims released
/// without using attempts, the reason recorded on each.
pub fn pause_many(store: &Store, run_ids: &[String], reason: &str) -> Result<Vec<Run>, StoreError> {
    store.with_runs(run_ids, |rt| {
        steps::pause_in(rt, reason)?;
        Ok(rt.run.clone())
    })
}

/// What a session's end needs to know of a run: a few bytes, where a whole `Run` carries its
/// policy snapshot (a group's thousand of them would be held at once for nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct RunBrief {
    pub status: RunStatus,
    pub paused_reason: Option<String>,
    pub pending: u32,
    pub claimed: u32,
}

impl RunBrief {
    pub fn of(run: &Run) -> RunBrief {
        RunBrief {
            status: run.status,
            paused_reason: run.paused_reason.clone(),
            pending: run.counters.pending,
            claimed: run.counters.claimed,
        }
    }
}

/// Roll each run up to `complete` if nothing is left, adding the session's active time.
pub fn finalize_many(
    store: &Store,
    run_ids: &[String],
    active_millis: u64,
) -> Result<Vec<RunBrief>, StoreError> {
    store.with_runs(run_ids, |rt| {
        rollup(rt);
        rt.run.active_millis += active_millis;
        Ok(RunBrief::of(&rt.run))
    })
}

/// Every run's [`RunBrief`], read one run at a time.
pub fn briefs(store: &Store, run_ids: &[String]) -> Result<Vec<RunBrief>, StoreError> {
    let mut out = Vec::with_capacity(run_ids.len());
    store.each_run(run_ids, |run| {
        out.push(RunBrief::of(&run));
        Ok::<_, StoreError>(())
    })?;
    Ok(out)
}

/// `run cancel GROUP`: every running or paused member is cancelled, in one transaction.
pub fn cancel_many(store: &Store, run_ids: &[String]) -> Result<Vec<Run>, StoreError> {
    store.with_runs(run_ids, |rt| {
        steps::cancel_in(rt);
        Ok::<_, StoreError>(rt.run.clone())
    })
}

/// `run resume GROUP`: every paused or cancelled member runs again (one transaction).
pub fn resume_many(store: &Store, run_ids: &[String]) -> Result<Vec<Run>, StoreError> {
    store.with_runs(run_ids, |rt| {
        steps::resume_in(rt);
        Ok::<_, StoreError>(rt.run.clone())
    })
}

/// `run retry-failed GROUP`: every member's failed blocks go back to `pending` with fresh
/// attempts. Returns the members and how many blocks were reset in all.
pub fn retry_failed_many(store: &Store, run_ids: &[String]) -> Result<(Vec<Run>, u32), StoreError> {
    let mut reset = 0;
    let runs = store.with_runs(run_ids, |rt| {
        reset += steps::retry_failed_in(rt)?;
        Ok::<_, StoreError>(rt.run.clone())
    })?;
    Ok((runs, reset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    fn store_with(sizes: &[u32]) -> (tempfile::TempDir, Store, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let mut ids = Vec::new();
        for (i, n) in sizes.iter().enumerate() {
            let id = format!("run_{i}");
            let config = ModelConfig::fixed("demo", "m", 0.0, 100);
            let run = Run::new(&id, "conv", ("sch", "s", "uid"), config, "me");
            store.create_run(&run, *n).unwrap();
            ids.push(id);
        }
        (dir, store, ids)
    }

    #[test]
    fn claims_go_member_after_member_and_the_cursor_passes_drained_and_stopped_members() {
        let (_dir, store, ids) = store_with(&[1, 5, 2]);
        let c = claim_group(&store, &ids, 0, 4, "w", 1).unwrap();
        assert_eq!(c.claimed, vec![(0, vec![0]), (1, vec![0, 1, 2])]);
        assert_eq!(c.next, 1, "member 1 still has pending blocks");
        cancel_many(&store, &ids[1..2]).unwrap();
        let c = claim_group(&store, &ids, c.next, 4, "w", 1).unwrap();
        assert_eq!(
            c.claimed,
            vec![(2, vec![0, 1])],
            "a cancelled member is skipped"
        );
        assert_eq!(c.next, 3);
        assert!(c.cancelled && c.any_running);
        let released = release_worker_many(&store, &ids, "w").unwrap();
        assert_eq!(released, 6);
        let runs = store.get_runs(&ids).unwrap();
        assert_eq!(runs.iter().map(|r| r.counters.claimed).sum::<u32>(), 0);
    }
}
