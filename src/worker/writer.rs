//! The single writer: applies finished calls in group commits on its own thread, so a durable
//! commit never stalls the network tasks, and reports progress.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::events::WorkerEvent;
use super::transitions::{self, CallEffect};
use crate::model::Run;
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
    Halt(Halt),
}

pub struct WriterHandle {
    pub tx: Sender<WriterMsg>,
    pub thread: std::thread::JoinHandle<Option<Run>>,
}

/// Most messages folded into one transaction.
const GROUP: usize = 512;

pub fn spawn(
    store: Arc<Store>,
    run_id: String,
    provider: String,
    max_retries: u32,
    events: Option<mpsc::Sender<WorkerEvent>>,
) -> WriterHandle {
    let (tx, rx) = std::sync::mpsc::channel::<WriterMsg>();
    let thread = std::thread::Builder::new()
        .name("blockwise-writer".into())
        .spawn(move || writer_loop(&store, &run_id, &provider, max_retries, rx, events))
        .expect("spawn writer thread");
    WriterHandle { tx, thread }
}

fn emit(events: &Option<mpsc::Sender<WorkerEvent>>, event: WorkerEvent) {
    if let Some(tx) = events {
        // Progress is advisory: a slow reader drops events rather than stalling the run.
        let _ = tx.try_send(event);
    }
}

fn writer_loop(
    store: &Store,
    run_id: &str,
    provider: &str,
    max_retries: u32,
    rx: Receiver<WriterMsg>,
    events: Option<mpsc::Sender<WorkerEvent>>,
) -> Option<Run> {
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
                WriterMsg::Halt(h) => halts.push(h),
            }
        }
        if !started.is_empty() {
            let seqs = transitions::record_started(store, run_id, started).unwrap_or_else(|e| {
                tracing::error!(run_id, error = %e, "could not record calls as started");
                Vec::new()
            });
            for (i, ack) in started_acks.into_iter().enumerate() {
                let _ = ack.send(seqs.get(i).copied().unwrap_or(0));
            }
        }
        if !calls.is_empty() {
            let records: Vec<_> = calls.iter().map(|c| c.record.clone()).collect();
            match transitions::apply_outcomes(store, run_id, calls, max_retries) {
                Ok(run) => {
                    for r in records {
                        emit(&events, WorkerEvent::CallFinished(r));
                    }
                    emit(
                        &events,
                        WorkerEvent::Progress {
                            run_id: run_id.to_string(),
                            counters: run.counters,
                            usage: run.usage,
                        },
                    );
                    last = Some(run);
                }
                Err(e) => {
                    // Results are lost only as calls in flight are: the overlays stay claimed
                    // and return to pending through lease recovery.
                    tracing::error!(run_id, error = %e, "could not write call results");
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
            if h.bad_key {
                if let Err(e) = crate::vault::record_test(store, provider, false) {
                    tracing::warn!(provider, error = %e, "could not mark key invalid");
                }
            }
            match transitions::pause(store, run_id, &h.reason) {
                Ok(run) => {
                    emit(
                        &events,
                        WorkerEvent::Paused {
                            run_id: run_id.to_string(),
                            reason: h.reason.clone(),
                        },
                    );
                    last = Some(run);
                }
                Err(e) => tracing::error!(run_id, error = %e, "could not pause run"),
            }
        }
    }
    last
}
