//! One pack's life: call, parse, write, and split-and-retry down to single blocks (SPEC §3).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit};
use tokio::time::Instant;

use super::apply::{pack_shares, CallEffect};
use super::backoff::Gate;
use super::events::WorkerEvent;
use super::prepare::RunPlan;
use super::writer::{Halt, WriterMsg};
use crate::model::{CallOutcome, Usage};
use crate::provider::http::timed_out;
use crate::provider::pricing::PriceTable;
use crate::provider::{BlockInput, CallAnswer, CallRequest, Provider, ProviderError};
use answered::{reject_whole_pack, requeue_missing, Sorted};

pub use super::item::{call_keys, Item};

mod answered;
mod failed;
mod grounding;
mod record;
mod retry;
mod slot;
pub(crate) use record::{error_class, record};
pub(crate) use slot::{queue_for_slot, Slot};

/// What every task of a session shares.
pub struct Shared<P> {
    pub provider: Arc<P>,
    /// The plan of the session's first run; a group's members share its schema and config.
    pub plan: RunPlan,
    /// The run or group the session works on (named in messages and events).
    pub label: String,
    /// The session's runs (`Item::run` indexes it).
    pub run_ids: Arc<Vec<String>>,
    pub gate: Gate,
    /// Call slots (`worker.concurrency`): held from a call's first send to its end (retries
    /// included), never while its started record or its results commit.
    pub slots: Arc<tokio::sync::Semaphore>,
    pub halt: Mutex<Option<Halt>>,
    pub writer: std::sync::mpsc::Sender<WriterMsg>,
    pub prices: PriceTable,
    /// The provider's base URL is the vendor's own, so built-in prices apply.
    pub vendor_prices: bool,
    /// The model has a price at this endpoint; without one every cost is unknown, even that of
    /// a call that got no answer (a local run never shows `$0`).
    pub priced: bool,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Retries of one call after transient trouble before the run pauses.
    pub transient_retries: u32,
    /// Limit of one call to its first byte, server queue included.
    pub request_timeout: Duration,
    /// The base URL every call of this session goes to (recorded with each call).
    pub endpoint: String,
    /// Becomes `true` when the run is cancelled: no new calls, no retries, in-flight aborted.
    pub cancel: watch::Receiver<bool>,
    /// Becomes `true` when the session is interrupted (Ctrl-C, the TUI quits): the same as a
    /// cancel for calls in flight, but the run stays `running`.
    pub stop: watch::Receiver<bool>,
    /// Calls in flight right now (reported so a slow first answer is not silence).
    pub in_flight: AtomicUsize,
    /// The first member (position) whose blocks a call gave back to the queue (failures that
    /// may return to pending); `usize::MAX` when none since the engine last looked.
    pub returned: AtomicUsize,
    pub events: Option<mpsc::Sender<WorkerEvent>>,
    /// Stamped on call records, so a dead worker's calls in flight can be told apart.
    pub worker_id: String,
    /// Shifted packs and the pack size in force (SPEC §4a pack guard).
    pub guard: super::guard::PackGuardState,
    /// Why a block's last single answer of this session was invalid: its next call alone
    /// carries it (SPEC §4a validation feedback).
    pub remembered: Mutex<HashMap<super::apply::At, Box<crate::model::CallFeedback>>>,
}

/// Resolves when `rx` turns `true`; never, once its sender is gone.
async fn raised(mut rx: watch::Receiver<bool>) {
    if rx.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A call's slot: its place in the queue until it holds one.
struct SlotState {
    place: Option<Slot>,
    held: Option<OwnedSemaphorePermit>,
}

/// A try that was sent: the provider's result, the started record's sequence number, and when
/// the request went out.
type Sent = (Result<CallAnswer, ProviderError>, u64, Instant);

/// Why a call produced no answer.
enum CallEnd {
    /// The provider failed (after retries, for transient trouble).
    Failed(ProviderError),
    /// The run was cancelled or the session interrupted; the request in flight (if any) was
    /// aborted after `after`. The provider may still bill an aborted request, so it costs its
    /// upper bound.
    Cancelled { after: Duration, upper: Option<f64> },
    /// The run paused while this call waited to retry (its tries are already recorded).
    Halted,
}

impl<P> Shared<P> {
    pub fn halted(&self) -> bool {
        self.halt.lock().map(|h| h.is_some()).unwrap_or(true)
    }

    /// The run was cancelled or the session interrupted: nothing more is sent.
    pub fn aborting(&self) -> bool {
        *self.cancel.borrow() || *self.stop.borrow()
    }

    /// Resolves once the run is cancelled or the session interrupted (never, if nobody can do
    /// either any more).
    async fn on_abort(&self) {
        tokio::select! {
            _ = raised(self.cancel.clone()) => {}
            _ = raised(self.stop.clone()) => {}
        }
    }

    fn halt(&self, h: Halt) {
        let mut g = self.halt.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none() {
            tracing::warn!(run_id = %self.label, reason = %h.reason, "run paused");
            *g = Some(h.clone());
            let _ = self.writer.send(WriterMsg::Halt(h));
        }
    }

    /// Count a call in or out of flight and tell the front.
    fn in_flight(&self, delta: isize) {
        let n = if delta > 0 {
            self.in_flight.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            self.in_flight
                .fetch_sub(1, Ordering::SeqCst)
                .saturating_sub(1)
        };
        if let Some(tx) = &self.events {
            let _ = tx.try_send(WorkerEvent::InFlight {
                run_id: self.label.clone(),
                calls: n,
            });
        }
    }

    /// For a pause after timeouts: the knob, since a slow local server may just need longer.
    fn timeout_hint(&self, e: &ProviderError) -> String {
        match e {
            ProviderError::Transient { status_text, .. } if status_text == "timeout" => format!(
                "; a slow server may need a longer `worker.request_timeout_seconds` (this run: \
                 {} s; `blockwise policy set` changes it for new runs)",
                self.request_timeout.as_secs()
            ),
            _ => String::new(),
        }
    }

    /// The cost of a call that got no answer: nothing, when the model has a price here.
    fn no_answer_cost(&self) -> Option<f64> {
        self.priced.then_some(0.0)
    }

    /// The most a call can cost: the whole request as input (about 4 characters a token) and
    /// all of its output budget; `None` where the model has no price at this endpoint.
    fn cost_upper_bound(&self, request: &CallRequest) -> Option<f64> {
        let chars = request.system_prompt.len()
            + request.block_prompt.len()
            + request
                .blocks
                .iter()
                .map(|b| b.content.len() + 120)
                .sum::<usize>();
        let most = Usage {
            input_tokens: (chars as u64).div_ceil(4),
            output_tokens: u64::from(request.max_tokens),
            ..Usage::default()
        };
        self.prices
            .estimate_at(&request.model, &most, self.vendor_prices)
    }

    /// Record a call as started (durably) before its request is sent; returns its sequence
    /// number (0 if it could not be recorded: the call is then recorded when it ends).
    async fn start(&self, pack: &[Item], request: &CallRequest) -> u64 {
        let mut rec = record(self.home(pack), &self.endpoint, pack);
        rec.outcome = CallOutcome::Started;
        rec.worker = Some(self.worker_id.clone());
        rec.cost_upper_usd = self.cost_upper_bound(request);
        let (tx, rx) = oneshot::channel();
        if self
            .writer
            .send(WriterMsg::Started(Box::new(rec), tx))
            .is_err()
        {
            return 0;
        }
        let asked = std::time::Instant::now();
        let seq = rx.await.unwrap_or(0);
        super::profile::started_wait(asked.elapsed());
        seq
    }

    /// A call recorded as started (`seq`; 0: not recorded) that will never be sent: its
    /// record goes, since it used and cost nothing.
    fn unsent(&self, pack: &[Item], seq: u64) {
        if seq != 0 {
            let run_id = self.home(pack).to_string();
            let _ = self.writer.send(WriterMsg::Unsent { run_id, seq });
        }
    }

    /// Send an outcome to the writer and wait until it is committed.
    async fn write(&self, outcome: CallEffect) {
        if let Some(first) = outcome.failures.iter().map(|(at, _)| at.run as usize).min() {
            self.returned.fetch_min(first, Ordering::SeqCst);
        }
        let (tx, rx) = oneshot::channel();
        if self
            .writer
            .send(WriterMsg::Call(Box::new(outcome), Some(tx)))
            .is_ok()
        {
            let asked = std::time::Instant::now();
            let _ = rx.await;
            super::profile::result_wait(asked.elapsed());
        }
    }
}

impl<P> Shared<P> {
    /// A block sent alone carries the feedback of its last invalid single answer of this
    /// session (once).
    fn recall_feedback(&self, pack: &mut [Item]) {
        if let [one] = pack {
            if one.feedback.is_none() {
                let mut map = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
                one.feedback = map.remove(&one.at());
            }
        }
    }

    /// Keep why `item`'s single answer was invalid, for its next call alone.
    pub(crate) fn remember_feedback(&self, item: &Item, fb: Box<crate::model::CallFeedback>) {
        let mut map = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(item.at(), fb);
    }

    /// The run that keeps a pack's call record: the run of its first block.
    pub(crate) fn home(&self, pack: &[Item]) -> &str {
        let slot = pack.first().map(|i| i.run as usize).unwrap_or(0);
        self.run_ids
            .get(slot)
            .map(String::as_str)
            .unwrap_or(&self.label)
    }
}

fn halves(pack: Vec<Item>) -> (Vec<Item>, Vec<Item>) {
    let mut a = pack;
    let b = a.split_off(a.len() / 2);
    (a, b)
}

impl<P: Provider> Shared<P> {
    pub(crate) fn request(&self, pack: &[Item]) -> CallRequest {
        let mut request = self.plan_request(pack);
        if let [Item {
            feedback: Some(fb), ..
        }] = pack
        {
            grounding::add_feedback(&mut request, fb);
        }
        request
    }

    fn plan_request(&self, pack: &[Item]) -> CallRequest {
        self.plan.request(
            pack.iter()
                .zip(call_keys(pack))
                .map(|(i, key)| BlockInput {
                    block_index: key,
                    block_type: i.block_type.clone(),
                    content: i.content.clone(),
                })
                .collect(),
        )
    }

    /// One try of a call: recorded as started, then sent once the call has a slot (the first
    /// try waits for one; retries keep it, so trouble never adds load). `Err` is how the call
    /// ends without an answer; `Ok` has the provider's result, the started record's sequence
    /// number and when the request went.
    async fn one_try(
        &self,
        pack: &[Item],
        request: &CallRequest,
        (slot, queued): (&mut SlotState, &mut Duration),
    ) -> Result<Sent, (Result<CallAnswer, CallEnd>, u64)> {
        let not_sent = CallEnd::Cancelled {
            after: Duration::ZERO,
            upper: None,
        };
        let seq = self.start(pack, request).await;
        if slot.held.is_none() {
            let asked = Instant::now();
            let place = match slot.place.take() {
                Some(place) => place,
                None => queue_for_slot(self.slots.clone()).await,
            };
            slot.held = tokio::select! {
                p = place.take() => p.ok(),
                _ = self.on_abort() => None,
            };
            *queued += asked.elapsed();
        }
        if slot.held.is_none() {
            self.unsent(pack, seq);
            return Err((Err(not_sent), 0));
        }
        if self.halted() {
            // The run paused while this call waited for a slot: it is never sent.
            self.unsent(pack, seq);
            return Err((Err(CallEnd::Halted), 0));
        }
        let started = Instant::now();
        self.in_flight(1);
        // Dropping the call's future on cancel aborts its HTTP request.
        let result = tokio::select! {
            r = tokio::time::timeout(self.request_timeout, self.provider.call(request)) => {
                Some(r.unwrap_or_else(|_| Err(timed_out(self.request_timeout))))
            }
            _ = self.on_abort() => None,
        };
        self.in_flight(-1);
        match result {
            Some(result) => Ok((result, seq, started)),
            None => {
                let after = started.elapsed().max(Duration::from_millis(1));
                let upper = self.cost_upper_bound(request);
                Err((Err(CallEnd::Cancelled { after, upper }), seq))
            }
        }
    }

    /// Call with backoff for transient trouble (never using a block's attempts), each try
    /// limited to `request_timeout` and recorded as `started` before its request is sent.
    /// Every failed try that is retried is recorded as a call. `Failed` is a non-transient
    /// error, or transient trouble that outlasted `transient_retries`; `Cancelled` means the
    /// run was cancelled or the session interrupted (the request is aborted). Also returns the
    /// sequence number of the last try's `started` record (0: none), which the final record replaces.
    /// `queued` adds up the time the tries waited for a call slot (not part of the latency);
    /// `place` is the pack's place in the queue for one (`None`: it queues when it asks).
    async fn call_with_retry(
        &self,
        pack: &[Item],
        (place, queued): (Option<Slot>, &mut Duration),
    ) -> (Result<CallAnswer, CallEnd>, u64) {
        let request = self.request(pack);
        let run_id = &self.label;
        let not_sent = || {
            let nothing = CallEnd::Cancelled {
                after: Duration::ZERO,
                upper: None,
            };
            (Err(nothing), 0)
        };
        let mut retries = 0u32;
        // The call's slot, from its first send until it ends (answer, failure or abort).
        let mut slot = SlotState { place, held: None };
        loop {
            tokio::select! {
                _ = self.gate.wait() => {}
                _ = self.on_abort() => return not_sent(),
            }
            let (result, seq, started) =
                match self.one_try(pack, &request, (&mut slot, queued)).await {
                    Ok(sent) => sent,
                    Err(end) => return end,
                };
            let err = match result {
                Ok(answer) => return (Ok(answer), seq),
                Err(e) => e,
            };
            let wait = self.retry_wait(&err, retries);
            let Some(wait) = wait else {
                return (Err(CallEnd::Failed(err)), seq);
            };
            if retries >= self.transient_retries {
                tracing::warn!(
                    run_id = %run_id, retries, error = %err,
                    "transient provider trouble outlasted the retries"
                );
                return (Err(CallEnd::Failed(err)), seq);
            }
            retries += 1;
            tracing::warn!(
                run_id = %run_id,
                blocks = %format!("{}-{}", pack[0].index, pack[pack.len() - 1].index),
                retry = retries,
                of = self.transient_retries,
                wait_ms = wait.as_millis() as u64,
                error = %err,
                "transient provider trouble; retrying"
            );
            self.record_retry(pack, seq, started, &err, retries).await;
            // A rate limit holds every task at the gate; others just wait their own backoff.
            let own_wait = if matches!(err, ProviderError::RateLimited { .. }) {
                Duration::ZERO
            } else {
                wait
            };
            tokio::select! {
                _ = tokio::time::sleep(own_wait) => {}
                _ = self.on_abort() => return not_sent(),
            }
            if self.halted() {
                // Another task paused the run; this try is recorded, the pause frees the claims.
                return (Err(CallEnd::Halted), 0);
            }
        }
    }

    /// Process one pack to the end: results staged, bad answers split, failures counted.
    pub async fn process(&self, pack: Vec<Item>) {
        self.process_in_turn(pack, None).await
    }

    /// [`Self::process`], the first call taking the slot `place` queued for (parts of a split
    /// pack queue again, behind the packs already waiting).
    pub(crate) async fn process_in_turn(&self, pack: Vec<Item>, mut place: Option<Slot>) {
        let mut queue = VecDeque::from([pack]);
        while let Some(mut pack) = queue.pop_front() {
            self.recall_feedback(&mut pack);
            if self.halted() {
                // Claims are released by the pause; nothing to send.
                return;
            }
            if self.aborting() {
                // Claims are released when the session ends; nothing more is sent.
                return;
            }
            let mut rec = record(self.home(&pack), &self.endpoint, &pack);
            let started = Instant::now();
            let mut queued = Duration::ZERO;
            let (result, seq) = self
                .call_with_retry(&pack, (place.take(), &mut queued))
                .await;
            rec.seq = seq;
            rec.latency_ms = started.elapsed().saturating_sub(queued).as_millis() as u64;
            let mut outcome = CallEffect {
                record: rec,
                results: Vec::new(),
                failures: Vec::new(),
                invalid_answers: Vec::new(),
                cost_usd: self.no_answer_cost(),
                shares: pack_shares(pack.iter().map(|i| i.run)),
                evidence: Vec::new(),
                guard: None,
            };
            match result {
                Ok(answer) => self.on_answer(answer, pack, &mut outcome, &mut queue),
                Err(CallEnd::Cancelled { after, upper }) => {
                    if after.is_zero() {
                        // Nothing was in flight (waiting at the gate or between retries).
                        return;
                    }
                    self.mark_cancelled(&mut outcome, after, upper);
                    self.write(outcome).await;
                    return;
                }
                Err(CallEnd::Halted) => return,
                Err(CallEnd::Failed(e)) => {
                    self.on_failed(e, pack, &mut outcome, &mut queue);
                    // Credit / key / outage: the pause releases the claims; nothing to count.
                    if self.halted() {
                        self.write(outcome).await;
                        return;
                    }
                }
            }
            self.write(outcome).await;
        }
    }

    pub(crate) fn on_answer(
        &self,
        answer: CallAnswer,
        pack: Vec<Item>,
        outcome: &mut CallEffect,
        queue: &mut VecDeque<Vec<Item>>,
    ) {
        let rec = &mut outcome.record;
        rec.usage = answer.usage;
        rec.stop_reason = answer.stop_reason.clone();
        outcome.cost_usd = self.prices.estimate_at(
            &self.plan.run.model_config.model,
            &answer.usage,
            self.vendor_prices,
        );
        let indices = call_keys(&pack);
        let parsed = self.parse_answer(&answer, &indices);
        rec.mapped = parsed.mapped.len() as u32;
        rec.missing = parsed.missing.len() as u32;
        rec.unexpected = parsed.unexpected;
        rec.duplicate = parsed.duplicate;
        let nothing = parsed.mapped.is_empty();
        let whole_pack_bad = answer.truncated || (parsed.parse_issue.is_some() && nothing);
        if whole_pack_bad {
            reject_whole_pack(&answer, &parsed, pack, outcome, queue);
            return;
        }
        let single = pack.len() == 1;
        let Sorted {
            missing,
            invalid,
            shifted,
        } = self.sort_results(pack, &indices, &parsed, outcome);
        let rec = &mut outcome.record;
        rec.outcome = if missing.is_empty() && invalid.is_empty() && outcome.failures.is_empty() {
            CallOutcome::Ok
        } else if outcome.results.is_empty() && single {
            CallOutcome::Failed
        } else {
            CallOutcome::Partial
        };
        if let Some((_, why)) = invalid.first() {
            rec.detail = Some(format!(
                "{} invalid result(s) retried alone; first: {why}",
                invalid.len()
            ));
        }
        // Invalid results of a batch are retried alone, one call each.
        for (item, _) in invalid.into_iter().rev() {
            queue.push_front(vec![item]);
        }
        if parsed.unexpected + parsed.duplicate > 0 && rec.detail.is_none() {
            rec.detail = Some(format!(
                "ignored {} unexpected and {} duplicate results",
                parsed.unexpected, parsed.duplicate
            ));
        }
        if shifted > 0 {
            self.guard_step(outcome, shifted);
        }
        requeue_missing(missing, queue);
        answered::explain_failures(outcome);
    }
}
