//! The single writer: applies finished calls in group commits on its own thread, so a durable
//! commit never stalls the network tasks, and reports progress. A group session's writer
//! commits the results of every member run a batch touched in one transaction.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::apply::{self, CallEffect};
use super::events::WorkerEvent;
use super::group_transitions as many;
use crate::model::{CallRecord, Run, RunCounters, UsageTotals};
use crate::store::{Store, StoreError};

/// Why the engine must stop calling.
#[derive(Debug, Clone, PartialEq)]
pub struct Halt {
    pub reason: String,
    pub bad_key: bool,
}

pub enum WriterMsg {
    /// A call about to be sent: recorded as `started`; `ack` gets its sequence number once
    /// committed (0 when it could not be written).
    Started(Box<crate::model::CallRecord>, oneshot::Sender<u64>),
    /// A finished call; `ack` fires once it is durably committed.
    Call(Box<CallEffect>, Option<oneshot::Sender<()>>),
    /// Many finished calls applied in one transaction (a batch join's chunk of lines).
    Calls(Vec<CallEffect>, Option<oneshot::Sender<()>>),
    Halt(Halt),
    /// Nothing to write: `ack` fires once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
    /// Claim blocks for the session (see [`ClaimAsk`]), in the same transaction as the calls'
    /// records; `ack` gets what was claimed once committed, or why nothing could be.
    Claim(ClaimAsk, oneshot::Sender<Result<many::GroupClaim, String>>),
    /// A call recorded as started that was never sent (the session stopped while it waited
    /// for a call slot): its record goes, since it used and cost nothing.
    Unsent {
        run_id: String,
        seq: u64,
    },
}

/// `rounds` claims of up to `n` blocks each (`worker.claim_batch_size`), every one from where
/// the last stopped, member `from` first.
#[derive(Debug, Clone)]
pub struct ClaimAsk {
    pub from: usize,
    pub n: usize,
    pub rounds: usize,
    pub worker: String,
    pub now_ms: u64,
}

/// What the writer answers a claim.
pub(crate) type ClaimAck = oneshot::Sender<Result<many::GroupClaim, String>>;

pub struct WriterHandle {
    pub tx: Sender<WriterMsg>,
    pub thread: std::thread::JoinHandle<Option<Run>>,
}

/// Most messages folded into one transaction.
const GROUP: usize = 512;

/// The runs a session works on: one run, or a group's members (`label` is the group id).
#[derive(Debug, Clone)]
pub struct Scope {
    pub label: String,
    pub run_ids: Arc<Vec<String>>,
    pub provider: String,
    pub max_retries: u32,
}

pub fn spawn(
    store: Arc<Store>,
    scope: Scope,
    events: Option<mpsc::Sender<WorkerEvent>>,
) -> WriterHandle {
    let (tx, rx) = std::sync::mpsc::channel::<WriterMsg>();
    let thread = std::thread::Builder::new()
        .name("blockwise-writer".into())
        .spawn(move || writer_loop(&store, &scope, rx, events))
        .expect("spawn writer thread");
    WriterHandle { tx, thread }
}

fn emit(events: &Option<mpsc::Sender<WorkerEvent>>, event: WorkerEvent) {
    if let Some(tx) = events {
        // Progress is advisory: a slow reader drops events rather than stalling the run.
        let _ = tx.try_send(event);
    }
}

/// The members' last known counters and usage, summed for a group's progress events.
struct Totals {
    each: HashMap<String, (RunCounters, UsageTotals)>,
}

impl Totals {
    fn load(store: &Store, run_ids: &[String]) -> Totals {
        let mut each = HashMap::with_capacity(run_ids.len());
        // One run at a time: only the counters and usage are kept.
        let read = store.each_run(run_ids, |r| {
            each.insert(r.run_id, (r.counters, r.usage));
            Ok::<_, StoreError>(())
        });
        if let Err(e) = read {
            tracing::warn!(error = %e, "progress totals start from what the calls report");
        }
        Totals { each }
    }

    fn update(&mut self, runs: &[Run]) {
        for r in runs {
            self.each.insert(r.run_id.clone(), (r.counters, r.usage));
        }
    }

    fn sum(&self) -> (RunCounters, UsageTotals) {
        let mut c = RunCounters::default();
        let mut u = UsageTotals {
            cost_usd: Some(0.0),
            ..UsageTotals::default()
        };
        for (rc, ru) in self.each.values() {
            c.total += rc.total;
            c.pending += rc.pending;
            c.claimed += rc.claimed;
            c.ai_complete += rc.ai_complete;
            c.confirmed += rc.confirmed;
            c.failed += rc.failed;
            u.calls += ru.calls;
            u.cache_hit_calls += ru.cache_hit_calls;
            u.failed_calls += ru.failed_calls;
            u.tokens.add(&ru.tokens);
            u.cost_usd = u.cost_usd.zip(ru.cost_usd).map(|(a, b)| a + b);
        }
        (c, u)
    }
}

/// What one batch of messages asks the writer to do.
#[derive(Default)]
struct Batch {
    calls: Vec<CallEffect>,
    acks: Vec<oneshot::Sender<()>>,
    halts: Vec<Halt>,
    started: Vec<CallRecord>,
    started_acks: Vec<oneshot::Sender<u64>>,
    claims: Vec<(ClaimAsk, ClaimAck)>,
    unsent: Vec<(String, u64)>,
}

impl Batch {
    /// The first message, and whatever else is already waiting (at most [`GROUP`]).
    fn gather(first: WriterMsg, rx: &Receiver<WriterMsg>) -> Batch {
        let mut batch = Batch::default();
        batch.push(first);
        for _ in 1..GROUP {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        batch
    }

    fn push(&mut self, msg: WriterMsg) {
        match msg {
            WriterMsg::Started(record, ack) => {
                self.started.push(*record);
                self.started_acks.push(ack);
            }
            WriterMsg::Call(outcome, ack) => {
                self.calls.push(*outcome);
                self.acks.extend(ack);
            }
            WriterMsg::Calls(many, ack) => {
                self.calls.extend(many);
                self.acks.extend(ack);
            }
            WriterMsg::Halt(h) => self.halts.push(h),
            WriterMsg::Flush(ack) => self.acks.push(ack),
            WriterMsg::Claim(ask, ack) => self.claims.push((ask, ack)),
            WriterMsg::Unsent { run_id, seq } => self.unsent.push((run_id, seq)),
        }
    }
}

fn writer_loop(
    store: &Store,
    scope: &Scope,
    rx: Receiver<WriterMsg>,
    events: Option<mpsc::Sender<WorkerEvent>>,
) -> Option<Run> {
    let label = scope.label.as_str();
    let mut totals = (scope.run_ids.len() > 1).then(|| Totals::load(store, &scope.run_ids));
    let mut last: Option<Run> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = Batch::gather(first, &rx);
        let done = commit(store, scope, &batch);
        match done.runs {
            Ok(runs) => {
                if !batch.calls.is_empty() {
                    // No listener (`run start` in a script, a bench): no copy of each record.
                    for c in batch.calls.iter().filter(|_| events.is_some()) {
                        emit(&events, WorkerEvent::CallFinished(c.record.clone()));
                    }
                    emit_progress(&events, label, totals.as_mut(), &runs);
                }
                last = runs.into_iter().next().or(last);
            }
            Err(e) => {
                // Results are lost only as calls in flight are: the overlays stay claimed
                // and return to pending through lease recovery.
                tracing::error!(run = label, error = %e, "could not write call results");
                batch.halts.push(Halt {
                    reason: format!("could not write results to the store: {e}"),
                    bad_key: false,
                });
            }
        }
        answer(&mut batch, done.seqs, done.claims);
        if let Some(h) = batch.halts.into_iter().next() {
            last = halt(store, scope, &h, &events).or(last);
        }
    }
    last
}

/// What a batch's commit gave: the runs the results touched, the started calls' sequence
/// numbers (in order), and each claim's outcome.
struct Committed {
    runs: Result<Vec<Run>, StoreError>,
    seqs: Vec<u64>,
    claims: Vec<Result<many::GroupClaim, String>>,
}

/// Results, then unsent records removed, then started records, then claims: ONE durable
/// transaction. Should it fail, each part is tried again in its own, so one bad part does not
/// sink the others.
fn commit(store: &Store, scope: &Scope, batch: &Batch) -> Committed {
    let run_ids = scope.run_ids.as_slice();
    let together = store.with_batch(|b| {
        let runs = apply::apply_outcomes_in(b, run_ids, &batch.calls, scope.max_retries)?;
        for (run_id, seq) in &batch.unsent {
            b.visit(run_id, |rt| rt.remove_call(*seq))?;
        }
        let seqs = many::record_started_in(b, batch.started.clone())?;
        let claims = batch
            .claims
            .iter()
            .map(|(ask, _)| claim_in(b, run_ids, ask))
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, StoreError>((runs, seqs, claims))
    });
    match together {
        Ok((runs, seqs, claims)) => Committed {
            runs: Ok(runs),
            seqs,
            claims: claims.into_iter().map(Ok).collect(),
        },
        Err(e) => {
            tracing::warn!(run = scope.label, error = %e, "batch commit failed; parts retried alone");
            apart(store, scope, batch)
        }
    }
}

/// [`commit`]'s fallback: each part in its own transaction.
fn apart(store: &Store, scope: &Scope, batch: &Batch) -> Committed {
    let run_ids = scope.run_ids.as_slice();
    let runs = match batch.calls.is_empty() {
        true => Ok(Vec::new()),
        false => apply::apply_outcomes(store, run_ids, batch.calls.clone(), scope.max_retries),
    };
    for (run_id, seq) in &batch.unsent {
        if let Err(e) = store.with_run(run_id, |rt| rt.remove_call(*seq)) {
            tracing::warn!(run = run_id, seq, error = %e, "could not remove an unsent call");
        }
    }
    let seqs = match batch.started.is_empty() {
        true => Vec::new(),
        false => many::record_started_many(store, batch.started.clone()).unwrap_or_else(|e| {
            tracing::error!(run = scope.label, error = %e, "could not record calls as started");
            Vec::new()
        }),
    };
    let claims = batch
        .claims
        .iter()
        .map(|(ask, _)| {
            store
                .with_batch(|b| claim_in(b, run_ids, ask))
                .map_err(|e| e.to_string())
        })
        .collect();
    Committed { runs, seqs, claims }
}

fn claim_in(
    b: &mut crate::store::RunBatch<'_>,
    run_ids: &[String],
    ask: &ClaimAsk,
) -> Result<many::GroupClaim, StoreError> {
    let shape = (ask.from, ask.n, ask.rounds);
    many::claim_rounds_in(b, run_ids, shape, &ask.worker, ask.now_ms)
}

/// Tell every waiting task what became of its message (a started call whose record could not
/// be written gets 0).
fn answer(batch: &mut Batch, seqs: Vec<u64>, claimed: Vec<Result<many::GroupClaim, String>>) {
    for (i, ack) in batch.started_acks.drain(..).enumerate() {
        let _ = ack.send(seqs.get(i).copied().unwrap_or(0));
    }
    for ack in batch.acks.drain(..) {
        let _ = ack.send(());
    }
    for ((_, ack), got) in batch.claims.drain(..).zip(claimed) {
        let _ = ack.send(got);
    }
}

/// Say how far the session is: a group's totals over its members, else the run's own.
fn emit_progress(
    events: &Option<mpsc::Sender<WorkerEvent>>,
    label: &str,
    totals: Option<&mut Totals>,
    runs: &[Run],
) {
    let (counters, usage) = match totals {
        Some(t) => {
            t.update(runs);
            t.sum()
        }
        None => runs
            .first()
            .map(|r| (r.counters, r.usage))
            .unwrap_or_default(),
    };
    emit(
        events,
        WorkerEvent::Progress {
            run_id: label.to_string(),
            counters,
            usage,
        },
    );
}

/// Pause the session's runs for `h` (marking the key invalid for a bad key) and say so.
fn halt(
    store: &Store,
    scope: &Scope,
    h: &Halt,
    events: &Option<mpsc::Sender<WorkerEvent>>,
) -> Option<Run> {
    if h.bad_key {
        if let Err(e) = crate::vault::record_test(store, &scope.provider, false) {
            tracing::warn!(provider = scope.provider, error = %e, "could not mark key invalid");
        }
    }
    match many::pause_many(store, &scope.run_ids, &h.reason) {
        Ok(runs) => {
            emit(
                events,
                WorkerEvent::Paused {
                    run_id: scope.label.clone(),
                    reason: h.reason.clone(),
                },
            );
            runs.into_iter().next()
        }
        Err(e) => {
            tracing::error!(run = scope.label, error = %e, "could not pause");
            None
        }
    }
}
