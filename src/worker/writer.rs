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
use crate::store::Store;

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
}

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
        let runs = store.get_runs(run_ids).unwrap_or_default();
        Totals {
            each: runs
                .into_iter()
                .map(|r| (r.run_id, (r.counters, r.usage)))
                .collect(),
        }
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

fn writer_loop(
    store: &Store,
    scope: &Scope,
    rx: Receiver<WriterMsg>,
    events: Option<mpsc::Sender<WorkerEvent>>,
) -> Option<Run> {
    let run_ids = scope.run_ids.as_slice();
    let label = scope.label.as_str();
    let mut totals = (run_ids.len() > 1).then(|| Totals::load(store, run_ids));
    let mut last: Option<Run> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < GROUP {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let mut calls = Vec::new();
        let mut acks = Vec::new();
        let mut halts = Vec::new();
        let mut started = Vec::new();
        let mut started_acks = Vec::new();
        for msg in batch {
            match msg {
                WriterMsg::Started(record, ack) => {
                    started.push(*record);
                    started_acks.push(ack);
                }
                WriterMsg::Call(outcome, ack) => {
                    calls.push(*outcome);
                    acks.extend(ack);
                }
                WriterMsg::Calls(many, ack) => {
                    calls.extend(many);
                    acks.extend(ack);
                }
                WriterMsg::Halt(h) => halts.push(h),
                WriterMsg::Flush(ack) => acks.push(ack),
            }
        }
        if !started.is_empty() {
            record_started(store, label, started, started_acks);
        }
        if !calls.is_empty() {
            let records: Vec<_> = calls.iter().map(|c| c.record.clone()).collect();
            match apply::apply_outcomes(store, run_ids, calls, scope.max_retries) {
                Ok(runs) => {
                    for r in records {
                        emit(&events, WorkerEvent::CallFinished(r));
                    }
                    emit_progress(&events, label, totals.as_mut(), &runs);
                    last = runs.into_iter().next().or(last);
                }
                Err(e) => {
                    // Results are lost only as calls in flight are: the overlays stay claimed
                    // and return to pending through lease recovery.
                    tracing::error!(run = label, error = %e, "could not write call results");
                    halts.push(Halt {
                        reason: format!("could not write results to the store: {e}"),
                        bad_key: false,
                    });
                }
            }
        }
        for ack in acks {
            let _ = ack.send(());
        }
        if let Some(h) = halts.into_iter().next() {
            last = halt(store, scope, &h, &events).or(last);
        }
    }
    last
}

/// Record calls as started in one transaction; each ack gets its call's sequence number (0 when
/// the write failed).
fn record_started(
    store: &Store,
    label: &str,
    started: Vec<CallRecord>,
    started_acks: Vec<oneshot::Sender<u64>>,
) {
    let seqs = many::record_started_many(store, started).unwrap_or_else(|e| {
        tracing::error!(run = label, error = %e, "could not record calls as started");
        Vec::new()
    });
    for (i, ack) in started_acks.into_iter().enumerate() {
        let _ = ack.send(seqs.get(i).copied().unwrap_or(0));
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
