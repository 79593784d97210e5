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
use crate::worker::apply::{pack_shares, CallEffect};
use crate::worker::pack::estimate_tokens;
use crate::worker::session::blocking;
use crate::worker::task::{error_class, record, Item};
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

/// Lines read, resolved (one store read on the blocking pool) and sent to the writer at once.
const CHUNK: usize = 256;

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
    // The previous chunk's commit is awaited after the next chunk is read and sent: at most
    // two chunks are in memory or in the writer's queue.
    let mut committing: Option<oneshot::Receiver<()>> = None;
    loop {
        let (chunk, broke) = read_chunk(&mut lines).await;
        let last = chunk.is_empty();
        join_chunk(cx, batch, &lookup, chunk, &mut j).await?;
        let next = send_flush(cx);
        if let Some(rx) = committing.replace(next) {
            let _ = rx.await;
        }
        if let Some(e) = broke {
            flush(cx).await;
            return Ok(Joined::Again(format!("the result download broke off: {e}")));
        }
        if last {
            break;
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
    let _ = send_flush(cx).await;
}

/// Resolves once everything sent to the writer so far is committed.
fn send_flush<P: Provider>(cx: &Cx<P>) -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    let _ = cx.shared.writer.send(WriterMsg::Flush(tx));
    rx
}

/// Up to [`CHUNK`] lines; empty at the end. A broken download returns what came before it.
async fn read_chunk(
    lines: &mut crate::provider::batch::LineStream,
) -> (Vec<Vec<u8>>, Option<crate::provider::ProviderError>) {
    let mut chunk = Vec::with_capacity(CHUNK);
    while chunk.len() < CHUNK {
        match lines.next_line().await {
            Ok(Some(line)) => chunk.push(line),
            Ok(None) => break,
            Err(e) => return (chunk, Some(e)),
        }
    }
    (chunk, None)
}

/// The request number a `custom_id` of this batch names, if it names one.
fn request_number(custom_id: &str) -> Option<u32> {
    custom_id.rsplit('-').next()?.parse().ok()
}

/// What one line of the file stands for, resolved against the store.
enum Resolved {
    Unknown,
    /// Its request, its blocks, and the run that keeps its call; `None`: joined already.
    Request(u32, BatchRequest, Option<(Vec<Item>, String)>),
}

/// Parse a chunk of lines, resolve them all in one blocking step, and send each answer through
/// the real-time path to the writer.
async fn join_chunk<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    lookup: &Arc<RequestLookup>,
    chunk: Vec<Vec<u8>>,
    j: &mut JoinState,
) -> Result<(), WorkerError> {
    let mut parsed = Vec::with_capacity(chunk.len());
    for line in &chunk {
        match cx.client.parse_line(line) {
            Ok(p) => parsed.push(p),
            Err(why) => {
                tracing::warn!(batch = %batch.key, "malformed result line ignored: {why}");
                batch.join.malformed += 1;
            }
        }
    }
    drop(chunk);
    let ids: Vec<String> = parsed.iter().map(|p| p.custom_id.clone()).collect();
    let (l, s, m) = (lookup.clone(), cx.store.clone(), cx.members.clone());
    let resolved = blocking(move || resolve(&s, &m, &l, ids)).await?;
    for (line, found) in parsed.into_iter().zip(resolved) {
        let Resolved::Request(n, request, loaded) = found else {
            batch.join.unknown += 1;
            continue;
        };
        if !j.seen.insert(n) {
            batch.join.duplicate += 1;
            continue;
        }
        let Some((items, home)) = loaded else {
            // Already joined before a restart (its call is no longer `started`).
            j.not_joined += 1;
            continue;
        };
        let effect = effect_of(cx, line.outcome, &request, items, home, j);
        let _ = cx
            .shared
            .writer
            .send(WriterMsg::Call(Box::new(effect), None));
    }
    Ok(())
}

/// Each line's request and blocks (one pass on the blocking pool for a whole chunk).
fn resolve(
    store: &crate::store::Store,
    members: &crate::worker::session::Members,
    lookup: &RequestLookup,
    ids: Vec<String>,
) -> Result<Vec<Resolved>, WorkerError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let found = match request_number(&id) {
            Some(n) => lookup.get(n)?.filter(|r| r.custom_id == id).map(|r| (n, r)),
            None => None,
        };
        out.push(match found {
            None => Resolved::Unknown,
            Some((n, r)) => {
                let loaded = load(store, members, &r)?;
                Resolved::Request(n, r, loaded)
            }
        });
    }
    Ok(out)
}

/// The call effect of one line: its answer parsed, mapped, validated and staged as a
/// real-time answer would be (cost at the batch price); missing and invalid blocks queued for
/// real-time retries; an errored request a failed call; expired / canceled nothing (their
/// blocks return to pending when the batch is released).
fn effect_of<P: Provider>(
    cx: &Cx<P>,
    outcome: BatchOutcome,
    request: &BatchRequest,
    items: Vec<Item>,
    home: String,
    j: &mut JoinState,
) -> CallEffect {
    let mut effect = CallEffect {
        record: record(&home, &cx.shared.endpoint, &items),
        results: Vec::new(),
        failures: Vec::new(),
        cost_usd: cx.shared.priced.then_some(0.0),
        shares: pack_shares(items.iter().map(|i| i.run)),
    };
    effect.record.seq = request.call_seq;
    effect.record.mode = CallMode::Batch;
    match outcome {
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
            let why = format!("batch request errored: {e}");
            effect.record.detail = Some(why.clone());
            effect.failures = items.iter().map(|i| (i.at(), why.clone())).collect();
        }
        outcome @ (BatchOutcome::Expired | BatchOutcome::Canceled) => {
            let what = if outcome == BatchOutcome::Expired {
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
    effect
}

/// The request's blocks as items, and the run that keeps its call; `None` when its call is no
/// longer `started` (joined before a restart).
fn load(
    s: &crate::store::Store,
    m: &crate::worker::session::Members,
    r: &BatchRequest,
) -> Result<Option<(Vec<Item>, String)>, WorkerError> {
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
