//! Joining a result file: read line by line (never the whole file), find each line's request by
//! its `custom_id`, and send its answer through the real-time path (parse → map → validate →
//! stage). Lines already joined before a restart are skipped (their call is no longer
//! `started`); unknown, duplicate and malformed lines are counted and ignored. Missing and
//! invalid blocks are retried in real time; what the batch still holds afterwards (expired,
//! canceled, no line) returns to `pending` without using an attempt.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::{oneshot, Semaphore};

use super::session::Cx;
use super::store_ops;
use crate::model::{BatchRecord, BatchRequest, BatchState, CallMode, CallOutcome};
use crate::provider::batch::{BatchOutcome, BatchStatus};
use crate::provider::pricing::batch_cost;
use crate::provider::Provider;
use crate::store::RequestLookup;
use crate::worker::engine::blocking;
use crate::worker::pack::estimate_tokens;
use crate::worker::task::{error_class, record, Item};
use crate::worker::transitions::CallEffect;
use crate::worker::writer::WriterMsg;
use crate::worker::WorkerError;

/// How a join ended.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Joined {
    /// Every line read; blocks released; `expired` counts expired and canceled requests.
    Done { expired: u32 },
    /// The result file could not be read (the batch failed; its blocks are pending again).
    Failed(String),
    /// The download broke off: what was joined is kept; join again later.
    Again(String),
}

/// Commit (and wait for) the writer every this many lines: group commits, bounded memory.
const ACK_EVERY: usize = 256;

pub(super) async fn join<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    status: &BatchStatus,
) -> Result<Joined, WorkerError> {
    let mut lines = match cx.client.results(status).await {
        Ok(l) => l,
        Err(e) => {
            return give_up(
                cx,
                batch,
                format!("the results of batch {} could not be read: {e}", status.id),
            )
            .await
        }
    };
    let (s, k) = (cx.store.clone(), batch.key.clone());
    let lookup = Arc::new(blocking(move || Ok(s.batch_requests(&k)?)).await?);
    let mut j = JoinState::default();
    let mut n_lines = 0usize;
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                flush(cx).await;
                return Ok(Joined::Again(format!("the result download broke off: {e}")));
            }
        };
        let ack = {
            n_lines += 1;
            n_lines % ACK_EVERY == 0
        };
        join_line(cx, batch, &lookup, &line, &mut j).await?;
        if ack {
            flush(cx).await;
        }
    }
    flush(cx).await;
    batch.join.missing = batch.requests.saturating_sub(j.seen.len() as u32);
    batch.join.joined = j.seen.len() as u32 - j.not_joined;
    retry_in_real_time(cx, std::mem::take(&mut j.retry)).await;
    let why = "no result for this request: its blocks went back to pending";
    let (s, b) = (cx.store.clone(), batch.clone());
    let back = blocking(move || Ok(store_ops::release(&s, &b, BatchState::Joined, why)?)).await?;
    batch.state = BatchState::Joined;
    cx.notice(format!(
        "batch {} joined: {} lines, {} blocks back to pending, ignored {} unknown, {} duplicate, {} malformed lines",
        status.id, batch.join.joined, back, batch.join.unknown, batch.join.duplicate, batch.join.malformed
    ));
    Ok(Joined::Done { expired: j.expired })
}

#[derive(Default)]
struct JoinState {
    seen: HashSet<u32>,
    /// Seen, but not joined now (already joined before a restart).
    not_joined: u32,
    expired: u32,
    retry: Vec<Vec<Item>>,
}

/// Give the batch up: its blocks back to pending (no attempt used), the reason recorded.
pub(super) async fn give_up<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    why: String,
) -> Result<Joined, WorkerError> {
    batch.message = Some(why.clone());
    let (s, b, w) = (cx.store.clone(), batch.clone(), why.clone());
    blocking(move || Ok(store_ops::release(&s, &b, BatchState::Failed, &w)?)).await?;
    batch.state = BatchState::Failed;
    cx.warning(why.clone());
    Ok(Joined::Failed(why))
}

/// Wait until everything sent to the writer so far is committed.
async fn flush<P: Provider>(cx: &Cx<P>) {
    let (tx, rx) = oneshot::channel();
    if cx.shared.writer.send(WriterMsg::Flush(tx)).is_ok() {
        let _ = rx.await;
    }
}

/// The request number a `custom_id` of this batch names, if it names one.
fn request_number(custom_id: &str) -> Option<u32> {
    custom_id.rsplit('-').next()?.parse().ok()
}

async fn join_line<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    lookup: &Arc<RequestLookup>,
    line: &[u8],
    j: &mut JoinState,
) -> Result<(), WorkerError> {
    let parsed = match cx.client.parse_line(line) {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(batch = %batch.key, "malformed result line ignored: {why}");
            batch.join.malformed += 1;
            return Ok(());
        }
    };
    let (l, id) = (lookup.clone(), parsed.custom_id.clone());
    let found = blocking(move || {
        let Some(n) = request_number(&id) else {
            return Ok(None);
        };
        Ok(l.get(n)?.filter(|r| r.custom_id == id).map(|r| (n, r)))
    })
    .await?;
    let Some((n, request)) = found else {
        batch.join.unknown += 1;
        return Ok(());
    };
    if !j.seen.insert(n) {
        batch.join.duplicate += 1;
        return Ok(());
    }
    let Some((items, home)) = load(cx, &request).await? else {
        // Already joined before a restart (its call is no longer `started`).
        j.not_joined += 1;
        return Ok(());
    };
    let mut effect = CallEffect {
        record: record(&home, &cx.shared.endpoint, &items),
        results: Vec::new(),
        failures: Vec::new(),
        cost_usd: cx.shared.priced.then_some(0.0),
    };
    effect.record.seq = request.call_seq;
    effect.record.mode = CallMode::Batch;
    match parsed.outcome {
        BatchOutcome::Succeeded(message) => {
            let call = cx.shared.request(&items);
            match cx.client.answer(&message, &call) {
                Ok(answer) => {
                    let mut queue = VecDeque::new();
                    cx.shared.on_answer(answer, items, &mut effect, &mut queue);
                    effect.cost_usd = batch_cost(effect.cost_usd);
                    j.retry.extend(queue);
                }
                Err(e) => {
                    effect.record.outcome = CallOutcome::Error(error_class(&e));
                    effect.record.detail = Some(format!("batch answer unusable: {e}"));
                    j.retry.push(items);
                }
            }
        }
        BatchOutcome::Errored(e) => {
            effect.record.outcome = CallOutcome::Error(error_class(&e));
            effect.record.detail = Some(format!("batch request errored: {e}"));
            let why = format!("batch request errored: {e}");
            effect.failures = items.iter().map(|i| (i.at(), why.clone())).collect();
        }
        BatchOutcome::Expired | BatchOutcome::Canceled => {
            let what = if parsed.outcome == BatchOutcome::Expired {
                "expired"
            } else {
                "canceled"
            };
            j.expired += 1;
            effect.record.outcome = CallOutcome::Cancelled;
            effect.record.detail = Some(format!(
                "{what} in the batch (not billed): its blocks went back to pending"
            ));
        }
    }
    let _ = cx
        .shared
        .writer
        .send(WriterMsg::Call(Box::new(effect), None));
    Ok(())
}

/// The request's blocks as items, and the run that keeps its call; `None` when its call is no
/// longer `started` (joined before a restart).
async fn load<P: Provider>(
    cx: &Cx<P>,
    request: &BatchRequest,
) -> Result<Option<(Vec<Item>, String)>, WorkerError> {
    let (s, m, r) = (cx.store.clone(), cx.members.clone(), request.clone());
    blocking(move || {
        let Some(&(home_slot, _)) = r.blocks.first() else {
            return Ok(None);
        };
        let home = m.run_ids[home_slot as usize].clone();
        match s.call(&home, r.call_seq)? {
            Some(rec) if rec.outcome == CallOutcome::Started => {}
            _ => return Ok(None),
        }
        let mut items = Vec::with_capacity(r.blocks.len());
        let mut at = 0;
        while at < r.blocks.len() {
            let slot = r.blocks[at].0;
            let same: Vec<u32> = r.blocks[at..]
                .iter()
                .take_while(|b| b.0 == slot)
                .map(|b| b.1)
                .collect();
            at += same.len();
            for b in s.blocks_at(&m.convs[slot as usize], &same)? {
                items.push(Item {
                    run: slot,
                    index: b.block_index,
                    tokens: estimate_tokens(&b.block_content),
                    block_type: b.block_type.as_str().to_string(),
                    content: b.block_content,
                });
            }
        }
        Ok(Some((items, home)))
    })
    .await
}

/// Missing and invalid blocks of joined answers, retried as today: split, then single,
/// through real-time calls, up to the run's concurrency at once.
async fn retry_in_real_time<P: Provider>(cx: &Cx<P>, packs: Vec<Vec<Item>>) {
    if packs.is_empty() {
        return;
    }
    let slots = Arc::new(Semaphore::new(
        cx.shared.plan.policy.concurrency.clamp(1, 64) as usize,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for pack in packs {
        let (shared, slots) = (cx.shared.clone(), slots.clone());
        tasks.spawn(async move {
            let Ok(_permit) = slots.acquire_owned().await else {
                return;
            };
            shared.process(pack).await;
        });
    }
    while tasks.join_next().await.is_some() {}
}
