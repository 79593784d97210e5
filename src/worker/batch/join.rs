//! Joining a result file: read line by line (never the whole file), find each line's request by
//! its `custom_id`, and send its answer through the real-time path (parse → map → validate →
//! stage). Lines already joined before a restart are skipped (their call is no longer
//! `started`); unknown, duplicate and malformed lines are counted and ignored. Missing and
//! invalid blocks are retried in real time; what the batch still holds afterwards (expired,
//! canceled, no line) returns to `pending` without using an attempt.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Semaphore};

use super::session::Cx;
use super::spool::Source;
use super::store_ops;
use crate::model::Block;
use crate::model::{BatchRecord, BatchRequest, BatchState, CallMode, CallOutcome};
use crate::provider::batch::{BatchLine, BatchOutcome, BatchStatus};
use crate::provider::pricing::batch_cost;
use crate::provider::{CallRequest, Provider};
use crate::store::Store;
use crate::worker::apply::{pack_shares, CallEffect};
use crate::worker::pack::estimate_tokens;
use crate::worker::session::{blocking, Members};
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

/// Lines read, resolved (three store reads on the blocking pool) and committed in one
/// transaction at once.
const CHUNK: usize = 2048;

pub(super) async fn join<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    status: &BatchStatus,
) -> Result<Joined, WorkerError> {
    let t = Instant::now();
    let lines = match cx.client.results(status).await {
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
    let key = |line: &[u8]| line_key(cx, line);
    let mut source = Source::open(lines, cx.store.path().parent(), &key).await;
    let mut j = JoinState {
        requests: light_requests(cx),
        ..JoinState::default()
    };
    j.took[0] += t.elapsed();
    if let Some(e) = join_all(cx, batch, &mut source, &key, &mut j).await? {
        flush(cx).await;
        return Ok(Joined::Again(format!("the result download broke off: {e}")));
    }
    let t = Instant::now();
    flush(cx).await;
    j.took[3] += t.elapsed();
    let t = Instant::now();
    batch.join.missing = batch.requests.saturating_sub(j.seen.len() as u32);
    batch.join.joined = j.seen.len() as u32 - j.not_joined;
    retry_in_real_time(cx, std::mem::take(&mut j.retry)).await;
    let why = "no result for this request: its blocks went back to pending";
    // Only a request with no line can still have a `started` call.
    let unseen: Vec<u32> = (0..batch.requests)
        .filter(|n| !j.seen.contains(n))
        .collect();
    let (s, b) = (cx.store.clone(), batch.clone());
    let back = blocking(move || {
        Ok(store_ops::release(
            &s,
            &b,
            BatchState::Joined,
            why,
            Some(&unseen),
        )?)
    })
    .await?;
    batch.state = BatchState::Joined;
    tracing::debug!(
        batch = %batch.key,
        "join timing: read {:?}, parse+resolve {:?}, answers {:?}, commit wait {:?}, retry+release {:?}",
        j.took[0], j.took[1], j.took[2], j.took[3], t.elapsed()
    );
    cx.notice(format!(
        "batch {} joined: {} lines, {} blocks back to pending, ignored {} unknown, {} duplicate, {} malformed lines",
        status.id, batch.join.joined, back, batch.join.unknown, batch.join.duplicate, batch.join.malformed
    ));
    Ok(Joined::Done { expired: j.expired })
}

/// The request a line's `custom_id` names (`u32::MAX`: none), read quickly: it orders the
/// lines only.
fn line_key<P: Provider>(cx: &Cx<P>, line: &[u8]) -> u32 {
    cx.client
        .line_custom_id(line)
        .as_deref()
        .and_then(request_number)
        .unwrap_or(u32::MAX)
}

/// Join every chunk of `source` in order; `Some`: why the download broke off (what came
/// before it is joined). The previous chunk's commit is awaited after the next chunk is read
/// and sent: at most two chunks are in memory or in the writer's queue.
async fn join_all<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    source: &mut Source,
    key: &impl Fn(&[u8]) -> u32,
    j: &mut JoinState,
) -> Result<Option<String>, WorkerError> {
    let mut committing: Option<oneshot::Receiver<()>> = None;
    loop {
        let t = Instant::now();
        let (chunk, broke) = source.next_chunk(CHUNK, key).await;
        j.took[0] += t.elapsed();
        let last = chunk.is_empty();
        join_chunk(cx, batch, chunk, j).await?;
        let next = send_flush(cx);
        let t = Instant::now();
        if let Some(rx) = committing.replace(next) {
            let _ = rx.await;
        }
        j.took[3] += t.elapsed();
        if broke.is_some() || last {
            return Ok(broke);
        }
    }
}

#[derive(Default)]
struct JoinState {
    seen: HashSet<u32>,
    /// Seen, but not joined now (already joined before a restart).
    not_joined: u32,
    expired: u32,
    retry: Vec<Vec<Item>>,
    /// Time spent reading lines, resolving them, making their answers, waiting for commits.
    took: [Duration; 4],
    /// The request an answer is decoded against, for a single block and for a pack (see
    /// [`light_requests`]).
    requests: Option<[CallRequest; 2]>,
}

/// What an answer is decoded against: a batch answer's decoder reads only whether the call
/// was one block or a pack (which tool / output shape to expect), so the run's request is
/// built once per join, without blocks, not once per line with copies of its blocks.
fn light_requests<P: Provider>(cx: &Cx<P>) -> Option<[CallRequest; 2]> {
    let mut single = cx.shared.request(&[]);
    let mut pack = single.clone();
    (single.batched, pack.batched) = (false, true);
    Some([single, pack])
}

/// Give the batch up: its blocks back to pending (no attempt used), the reason recorded.
pub(super) async fn give_up<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    why: String,
) -> Result<Joined, WorkerError> {
    batch.message = Some(why.clone());
    let (s, b, w) = (cx.store.clone(), batch.clone(), why.clone());
    blocking(move || Ok(store_ops::release(&s, &b, BatchState::Failed, &w, None)?)).await?;
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

/// The request number a `custom_id` of this batch names, if it names one.
fn request_number(custom_id: &str) -> Option<u32> {
    custom_id.rsplit('-').next()?.parse().ok()
}

/// What the store says about the requests a chunk's lines name, line by line: the request
/// (if the number names one) and whether its call is still `started`; and the blocks of the
/// open ones.
#[derive(Default)]
struct Lookup {
    found: Vec<Option<(BatchRequest, bool)>>,
    blocks: HashMap<(u32, u32), Block>,
}

/// Decode a chunk's lines while the requests their keys name are looked up on the blocking
/// pool; a line whose decoded `custom_id` names another request than its key (the quick read
/// of the id disagreed) is looked up again by what it names.
async fn decode_and_look_up<P: Provider>(
    cx: &Cx<P>,
    key: &str,
    chunk: Vec<(u32, Vec<u8>)>,
) -> Result<(Vec<Result<BatchLine, String>>, Lookup), WorkerError> {
    let numbers: Vec<u32> = chunk.iter().map(|(n, _)| *n).collect();
    let (k, s, m, n) = (
        key.to_string(),
        cx.store.clone(),
        cx.members.clone(),
        numbers.clone(),
    );
    let looking = tokio::task::spawn_blocking(move || resolve(&s, &m, &k, &n));
    let parsed: Vec<_> = chunk.iter().map(|(_, l)| cx.client.parse_line(l)).collect();
    drop(chunk);
    let mut lookup = looking
        .await
        .map_err(|e| WorkerError::Refused(format!("worker task failed: {e}")))??;
    let again: Vec<(usize, u32)> = parsed
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let named = request_number(&p.as_ref().ok()?.custom_id).unwrap_or(u32::MAX);
            (named != numbers[i]).then_some((i, named))
        })
        .collect();
    if !again.is_empty() {
        let (k, s, m) = (key.to_string(), cx.store.clone(), cx.members.clone());
        let wanted: Vec<u32> = again.iter().map(|(_, n)| *n).collect();
        let more = blocking(move || resolve(&s, &m, &k, &wanted)).await?;
        for ((i, _), f) in again.into_iter().zip(more.found) {
            lookup.found[i] = f;
        }
        lookup.blocks.extend(more.blocks);
    }
    Ok((parsed, lookup))
}

/// Parse a chunk of lines, resolve them all in one blocking step, and send each answer through
/// the real-time path to the writer.
async fn join_chunk<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    chunk: Vec<(u32, Vec<u8>)>,
    j: &mut JoinState,
) -> Result<(), WorkerError> {
    let t = Instant::now();
    let (parsed, mut lookup) = decode_and_look_up(cx, &batch.key, chunk).await?;
    j.took[1] += t.elapsed();
    let t = Instant::now();
    let mut effects = Vec::with_capacity(parsed.len());
    for (i, line) in parsed.into_iter().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(why) => {
                tracing::warn!(batch = %batch.key, "malformed result line ignored: {why}");
                batch.join.malformed += 1;
                continue;
            }
        };
        let found = lookup.found[i]
            .take()
            .filter(|(r, _)| r.custom_id == line.custom_id);
        let (Some((request, open)), Some(n)) = (found, request_number(&line.custom_id)) else {
            batch.join.unknown += 1;
            continue;
        };
        if !j.seen.insert(n) {
            batch.join.duplicate += 1;
            continue;
        }
        if !open {
            // Already joined before a restart (its call is no longer `started`).
            j.not_joined += 1;
            continue;
        }
        let (items, home) = items_of(&request, &mut lookup.blocks, &cx.members.run_ids);
        effects.push(effect_of(cx, line.outcome, &request, items, home, j));
    }
    j.took[2] += t.elapsed();
    // The whole chunk in one transaction: one durable commit per chunk, not per few calls.
    let _ = cx.shared.writer.send(WriterMsg::Calls(effects, None));
    Ok(())
}

/// The requests `numbers` name (`u32::MAX`: none), for a whole chunk from three reads: the
/// requests, which of their calls are still `started`, and the blocks of those (each block
/// chunk of the store decoded once per member run, not once per line).
fn resolve(
    store: &Store,
    members: &Members,
    key: &str,
    numbers: &[u32],
) -> Result<Lookup, WorkerError> {
    let lookup = store.batch_requests(key)?;
    let mut found = Vec::with_capacity(numbers.len());
    for &n in numbers {
        found.push(match n {
            u32::MAX => None,
            n => lookup.get(n)?,
        });
    }
    drop(lookup);
    let homes: Vec<(&str, u64)> = found
        .iter()
        .flatten()
        .filter_map(|r| {
            Some((
                members.run_ids[r.blocks.first()?.0 as usize].as_str(),
                r.call_seq,
            ))
        })
        .collect();
    let mut started = store.calls_started(&homes)?.into_iter();
    let found: Vec<Option<(BatchRequest, bool)>> = found
        .into_iter()
        .map(|f| {
            f.map(|r| {
                let open = !r.blocks.is_empty() && started.next().unwrap_or(false);
                (r, open)
            })
        })
        .collect();
    let wanted = found
        .iter()
        .flatten()
        .filter(|(_, open)| *open)
        .flat_map(|(r, _)| r.blocks.iter().copied());
    let blocks = load_blocks(store, members, wanted)?;
    Ok(Lookup { found, blocks })
}

/// The blocks at `(member, index)`, read once per member run in index order.
fn load_blocks(
    store: &Store,
    members: &Members,
    wanted: impl Iterator<Item = (u32, u32)>,
) -> Result<HashMap<(u32, u32), Block>, WorkerError> {
    let mut by_slot: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (slot, index) in wanted {
        by_slot.entry(slot).or_default().push(index);
    }
    let mut out = HashMap::new();
    for (slot, mut indices) in by_slot {
        indices.sort_unstable();
        indices.dedup();
        for b in store.blocks_at(&members.convs[slot as usize], &indices)? {
            out.insert((slot, b.block_index), b);
        }
    }
    Ok(out)
}

/// A request's blocks as items (taken out of `blocks`), and the run that keeps its call.
fn items_of(
    r: &BatchRequest,
    blocks: &mut HashMap<(u32, u32), Block>,
    run_ids: &[String],
) -> (Vec<Item>, String) {
    let home = run_ids[r.blocks[0].0 as usize].clone();
    let items = r
        .blocks
        .iter()
        .filter_map(|at| blocks.remove(at).map(|b| (at.0, b)))
        .map(|(slot, b)| Item {
            run: slot,
            index: b.block_index,
            tokens: estimate_tokens(&b.block_content),
            block_type: b.block_type.as_str().to_string(),
            content: b.block_content,
            feedback: None,
        })
        .collect();
    (items, home)
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
        evidence: Vec::new(),
        guard: None,
        invalid_answers: Vec::new(),
    };
    effect.record.seq = request.call_seq;
    effect.record.mode = CallMode::Batch;
    match outcome {
        BatchOutcome::Succeeded(message) => {
            let requests = j.requests.as_ref().expect("made when the join starts");
            let call = &requests[usize::from(items.len() > 1)];
            match cx.client.answer(&message, call) {
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
