//! Claiming for a session (a run, or a group's members in project order) and ending it:
//! [`refill`] claims member after member with a cursor, [`finish`] gives back what was never
//! sent and names how the session ended.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::group_transitions as many;
use super::pack::estimate_tokens;
use super::session::{blocking, RunEnd, StoppedBy};
use super::task::Item;
use super::writer::{ClaimAsk, WriterMsg};
use super::WorkerError;
use crate::model::RunStatus;
use crate::store::Store;

/// How a session that has nothing to work on ends, from its runs' states: `None` while any
/// of them is running.
pub(crate) fn idle_end(runs: &[many::RunBrief]) -> Option<RunEnd> {
    if runs.iter().all(|r| r.status == RunStatus::Complete) {
        return Some(RunEnd::Complete);
    }
    if runs.iter().any(|r| r.status == RunStatus::Running) {
        return None;
    }
    Some(match runs.iter().find(|r| r.status == RunStatus::Paused) {
        Some(r) => RunEnd::Paused(r.paused_reason.clone().unwrap_or_default()),
        None => RunEnd::Cancelled,
    })
}

/// What one claim of a session needs.
pub(crate) struct Claim {
    pub store: Arc<Store>,
    pub run_ids: Arc<Vec<String>>,
    pub convs: Arc<Vec<String>>,
    pub worker: String,
    /// Blocks per claim (`worker.claim_batch_size`).
    pub n: usize,
    /// The first member that may still have pending blocks (members are claimed in order).
    pub cursor: usize,
}

impl Claim {
    /// Whether a running member has pending blocks (failed ones that returned, or released
    /// claims); if so, the next claim starts at the first such member.
    pub(crate) async fn any_pending(&mut self) -> Result<bool, WorkerError> {
        let (s, r) = (self.store.clone(), self.run_ids.clone());
        let first = blocking(move || {
            Ok(many::briefs(&s, &r)?
                .iter()
                .position(|run| run.status == RunStatus::Running && run.pending > 0))
        })
        .await?;
        if let Some(at) = first {
            self.cursor = at;
        }
        Ok(first.is_some())
    }
}

/// The outcome of a [`refill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refill {
    /// This many blocks were claimed and buffered (the run, or some member, is running).
    Claimed(usize),
    Cancelled,
    /// Paused or complete: nothing more to do in this session.
    NotRunning,
}

/// What one claim took: the claim itself and the claimed blocks, `(member position, block)`.
pub(crate) type Taken = (many::GroupClaim, Vec<(u32, crate::model::Block)>);

/// A claim running on the blocking pool while the session keeps sending what it has buffered
/// (a claim is a durable commit: waiting for it inline would leave free slots idle).
pub(crate) type ClaimAhead = tokio::task::JoinHandle<Result<Taken, WorkerError>>;

/// Start claiming up to `claim.n` pending blocks in member order, block order within each
/// member (one write transaction); [`accept`] buffers what it took. `None` when the cursor is
/// past the last member.
pub(crate) fn claim_ahead(claim: &Claim) -> Option<ClaimAhead> {
    let (s, r, c, w, n, from) = (
        claim.store.clone(),
        claim.run_ids.clone(),
        claim.convs.clone(),
        claim.worker.clone(),
        claim.n,
        claim.cursor,
    );
    if from >= claim.run_ids.len() {
        return None;
    }
    let asked = std::time::Instant::now();
    Some(tokio::task::spawn_blocking(move || {
        let now = crate::clock::now_millis();
        let taken = many::claim_group(&s, &r, from, n, &w, now)?;
        let mut blocks = Vec::with_capacity(taken.count());
        for (slot, indices) in &taken.claimed {
            for b in s.blocks_at(&c[*slot as usize], indices)? {
                blocks.push((*slot, b));
            }
        }
        super::profile::claim(asked.elapsed());
        Ok((taken, blocks))
    }))
}

/// Where a session's claims commit: in its writer's transaction (with the calls' started
/// records and results: one durable commit for all), `rounds` claims of `Claim::n` at once.
pub(crate) struct ViaWriter {
    pub writer: std::sync::mpsc::Sender<WriterMsg>,
    pub rounds: usize,
}

/// [`claim_ahead`] through the session's writer: the claim commits with whatever else the
/// writer has waiting, then the claimed blocks are read on the blocking pool.
pub(crate) fn claim_ahead_via(claim: &Claim, via: &ViaWriter) -> Option<ClaimAhead> {
    if claim.cursor >= claim.run_ids.len() {
        return None;
    }
    let ask = ClaimAsk {
        from: claim.cursor,
        n: claim.n,
        rounds: via.rounds,
        worker: claim.worker.clone(),
        now_ms: crate::clock::now_millis(),
    };
    let (s, c, writer) = (claim.store.clone(), claim.convs.clone(), via.writer.clone());
    let asked = std::time::Instant::now();
    Some(tokio::spawn(async move {
        let gone = || WorkerError::Refused("the session's writer is gone".into());
        let (tx, rx) = tokio::sync::oneshot::channel();
        writer.send(WriterMsg::Claim(ask, tx)).map_err(|_| gone())?;
        // The writer's sender is not kept: the writer ends once the session lets go of it.
        drop(writer);
        let taken = rx
            .await
            .map_err(|_| gone())?
            .map_err(WorkerError::Refused)?;
        let got = blocking(move || {
            let mut blocks = Vec::with_capacity(taken.count());
            for (slot, indices) in &taken.claimed {
                for b in s.blocks_at(&c[*slot as usize], indices)? {
                    blocks.push((*slot, b));
                }
            }
            Ok((taken, blocks))
        })
        .await;
        super::profile::claim(asked.elapsed());
        got
    }))
}

/// Wait for a claim started by [`claim_ahead`].
pub(crate) async fn taken(ahead: ClaimAhead) -> Result<Taken, WorkerError> {
    ahead
        .await
        .map_err(|e| WorkerError::Refused(format!("worker task failed: {e}")))?
}

/// Buffer what a claim took; the cursor moves past members with nothing pending, but never
/// past `rewind` (the first member whose blocks returned to pending while the claim ran).
pub(crate) fn accept(
    claim: &mut Claim,
    buffer: &mut VecDeque<Item>,
    (taken, blocks): Taken,
    rewind: usize,
) -> Refill {
    if claim.run_ids.len() == 1 && !taken.any_running {
        return if taken.cancelled {
            Refill::Cancelled
        } else {
            Refill::NotRunning
        };
    }
    claim.cursor = taken.next.min(rewind);
    let claimed = blocks.len();
    buffer.extend(blocks.into_iter().map(|(run, b)| Item {
        run,
        index: b.block_index,
        tokens: estimate_tokens(&b.block_content),
        block_type: b.block_type.as_str().to_string(),
        content: b.block_content,
        feedback: None,
    }));
    Refill::Claimed(claimed)
}

/// The claim side of a session's loop: what is buffered, the claim in flight, where the next
/// claim starts.
pub(crate) struct Claims {
    pub claim: Claim,
    pub buffer: VecDeque<Item>,
    /// No more pending blocks to claim right now (failed ones may return later).
    pub exhausted: bool,
    /// A claim in flight, and the first member whose blocks returned to pending meanwhile.
    pub ahead: Option<ClaimAhead>,
    pub rewind: usize,
    /// Claims go through the session's writer (else each is its own transaction).
    pub via: Option<ViaWriter>,
}

impl Claims {
    pub(crate) fn new(claim: Claim) -> Self {
        Claims {
            claim,
            buffer: VecDeque::new(),
            exhausted: false,
            ahead: None,
            rewind: usize::MAX,
            via: None,
        }
    }

    /// Claims through the session's writer, `rounds` of `claim.n` at once.
    pub(crate) fn via_writer(mut self, via: ViaWriter) -> Self {
        self.via = Some(via);
        self
    }

    /// How few buffered blocks start the next claim: half of what one claim takes, and never
    /// fewer than two packs.
    pub(crate) fn low_mark(&self, block_cap: usize) -> usize {
        let rounds = self.via.as_ref().map_or(1, |v| v.rounds);
        (block_cap * 2).max(self.claim.n * rounds / 2)
    }

    /// Start a claim in the background; past the last member, nothing more is coming.
    pub(crate) fn start_claim(&mut self) {
        let ahead = match &self.via {
            Some(via) => claim_ahead_via(&self.claim, via),
            None => claim_ahead(&self.claim),
        };
        match ahead {
            Some(h) => self.ahead = Some(h),
            None => self.exhausted = true,
        }
    }

    /// Buffer a finished claim; `Some` names why the session must stop.
    pub(crate) fn settle(&mut self, got: Taken) -> Option<StoppedBy> {
        let outcome = accept(&mut self.claim, &mut self.buffer, got, self.rewind);
        self.rewind = usize::MAX;
        match outcome {
            Refill::Claimed(_) => {
                self.exhausted = self.claim.cursor >= self.claim.run_ids.len();
                None
            }
            Refill::Cancelled => Some(StoppedBy::Cancel),
            Refill::NotRunning => Some(StoppedBy::Nothing),
        }
    }

    /// A call ended while a claim ran: blocks from member `back` on are pending again.
    pub(crate) fn returned_while_claiming(&mut self, back: usize) {
        self.rewind = self.rewind.min(back);
        self.claim.cursor = self.claim.cursor.min(back);
    }

    /// A call ended with no claim running: claim from member `back` on.
    pub(crate) fn returned(&mut self, back: usize) {
        self.claim.cursor = self.claim.cursor.min(back);
        self.exhausted = self.claim.cursor >= self.claim.run_ids.len();
    }
}

/// Claim and buffer at once (see [`claim_ahead`] and [`accept`]).
#[cfg(test)]
pub(crate) async fn refill(
    claim: &mut Claim,
    buffer: &mut VecDeque<Item>,
) -> Result<Refill, WorkerError> {
    match claim_ahead(claim) {
        None => Ok(Refill::Claimed(0)),
        Some(ahead) => Ok(accept(claim, buffer, taken(ahead).await?, usize::MAX)),
    }
}

/// End a session: claims this worker took but never sent go back to pending, each run rolls
/// up to `complete` when nothing is left, and the end state is named.
pub(crate) fn finish(
    store: &Store,
    run_ids: &[String],
    worker: &str,
    active_millis: u64,
    stopped_by: StoppedBy,
    lease: Duration,
) -> Result<RunEnd, WorkerError> {
    many::release_worker_many(store, run_ids, worker)?;
    // Calls this worker aborted (interrupt) never answered: counted at their upper bound.
    many::mark_lost_many(store, run_ids, |owner| owner != worker)?;
    let runs = many::finalize_many(store, run_ids, active_millis)?;
    if stopped_by == StoppedBy::Interrupt && runs.iter().any(|r| r.status == RunStatus::Running) {
        return Ok(RunEnd::Interrupted);
    }
    if stopped_by == StoppedBy::Cancel {
        if let Some(RunEnd::Paused(_)) | None = idle_end(&runs) {
            return Ok(RunEnd::Cancelled);
        }
    }
    if let Some(end) = idle_end(&runs) {
        return Ok(end);
    }
    let claimed: u32 = runs.iter().map(|r| r.claimed).sum();
    Ok(RunEnd::Busy(format!(
        "{claimed} blocks are claimed by another worker that is still alive; they return to this \
         run when it finishes or its lease ({} s) expires",
        lease.as_secs()
    )))
}
