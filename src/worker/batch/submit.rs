//! Submitting: claim every pending block, form packs exactly as real-time calls do, split the
//! requests under the provider's limits, and send each batch. The batch is recorded
//! `submitting` before its create request goes out and `in_progress` (blocks leased to it) in
//! the transaction that follows the provider's answer.

use std::collections::VecDeque;
use std::time::Duration;

use super::session::Cx;
use super::store_ops;
use crate::model::{BatchCounts, BatchJoin, BatchRecord, BatchRequest, BatchState};
use crate::provider::batch::{BatchItem, BatchLimits, BatchStatus};
use crate::provider::{Provider, ProviderError};
use crate::worker::claiming::{accept, claim_ahead, taken, Claim, Refill};
use crate::worker::group_transitions as many;
use crate::worker::pack::make_packs;
use crate::worker::session::blocking;
use crate::worker::task::Item;
use crate::worker::WorkerError;

/// What a submit round did.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Submitted {
    /// This many batches went out.
    Sent(usize),
    /// Nothing was pending.
    Nothing,
    /// The provider refused (the run is paused with its message).
    Paused(String),
}

/// Claim, pack, split and send everything pending.
pub(super) async fn submit_pending<P: Provider>(cx: &Cx<P>) -> Result<Submitted, WorkerError> {
    let items = claim_all(cx).await?;
    if items.is_empty() {
        return Ok(Submitted::Nothing);
    }
    let packs = form_packs(cx, items);
    let bodies: Vec<_> = packs
        .iter()
        .map(|p| cx.client.request_body(&cx.shared.request(p)))
        .collect();
    let sizes: Vec<usize> = bodies.iter().map(|b| b.to_string().len() + 100).collect();
    let groups = split(&sizes, cx.limits);
    let mut packs = packs.into_iter();
    let mut bodies = bodies.into_iter();
    let mut sent = 0;
    for (i, n) in groups.iter().enumerate() {
        let these: Vec<Vec<Item>> = packs.by_ref().take(*n).collect();
        let body: Vec<_> = bodies.by_ref().take(*n).collect();
        if let Some(reason) = submit_one(cx, these, body).await? {
            // What was claimed for later batches goes back too.
            let rest: Vec<Vec<Item>> = packs.by_ref().collect();
            give_back(cx, rest).await?;
            let _ = i;
            return Ok(Submitted::Paused(reason));
        }
        sent += 1;
    }
    Ok(Submitted::Sent(sent))
}

/// Every pending block of the session's running members, claimed in block order.
async fn claim_all<P: Provider>(cx: &Cx<P>) -> Result<Vec<Item>, WorkerError> {
    let mut claim = Claim {
        store: cx.store.clone(),
        run_ids: cx.members.run_ids.clone(),
        convs: cx.members.convs.clone(),
        worker: cx.worker.clone(),
        n: CLAIM_AT_ONCE,
        cursor: 0,
    };
    let mut buffer = VecDeque::new();
    while let Some(ahead) = claim_ahead(&claim) {
        match accept(&mut claim, &mut buffer, taken(ahead).await?, usize::MAX) {
            Refill::Claimed(0) | Refill::Cancelled | Refill::NotRunning => break,
            Refill::Claimed(_) => {}
        }
        if buffer.len() >= MAX_BLOCKS_PER_ROUND {
            break;
        }
    }
    Ok(buffer.into())
}

/// Blocks per claim transaction while submitting.
const CLAIM_AT_ONCE: usize = 1000;
/// Most blocks one submit round claims (memory stays bounded; the next round takes the rest).
const MAX_BLOCKS_PER_ROUND: usize = 200_000;

/// The packs the real-time loop would send: the same [`make_packs`] over the same blocks in
/// the same order, with the run's pack limits.
fn form_packs<P: Provider>(cx: &Cx<P>, items: Vec<Item>) -> Vec<Vec<Item>> {
    let tokens: Vec<u32> = items.iter().map(|i| i.tokens).collect();
    let ranges = make_packs(&tokens, &cx.shared.plan.limits);
    let mut items = items.into_iter();
    let mut at = 0;
    let mut packs = Vec::with_capacity(ranges.len());
    for (range, _) in ranges {
        let skip = range.start - at;
        let pack: Vec<Item> = items.by_ref().skip(skip).take(range.len()).collect();
        at = range.end;
        packs.push(pack);
    }
    packs
}

/// How many requests go in each batch: at most `max_requests`, and bodies summing to at most
/// `max_bytes` (a request larger than that alone still gets a batch of its own, which the
/// provider refuses with its message).
pub(crate) fn split(sizes: &[usize], limits: BatchLimits) -> Vec<usize> {
    let mut groups = Vec::new();
    let (mut n, mut bytes) = (0usize, 0usize);
    for &s in sizes {
        if n > 0 && (n >= limits.max_requests || bytes + s > limits.max_bytes) {
            groups.push(n);
            n = 0;
            bytes = 0;
        }
        n += 1;
        bytes += s;
    }
    if n > 0 {
        groups.push(n);
    }
    groups
}

/// A store id for a new batch: time-based, unique within the process.
fn new_key() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    format!(
        "b{:x}{:x}{n:x}",
        crate::clock::now_millis(),
        std::process::id() & 0xfff
    )
}

/// `custom_id` of request `n`: names the run (first 16 safe characters of its id), the batch
/// and the pack; matches `^[a-zA-Z0-9_-]{1,64}$`.
pub(crate) fn custom_id(label: &str, key: &str, n: usize) -> String {
    let run: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(16)
        .collect();
    format!("{run}-{key}-{n}")
}

fn new_record<P: Provider>(cx: &Cx<P>, key: &str, packs: &[Vec<Item>]) -> BatchRecord {
    BatchRecord {
        key: key.to_string(),
        label: cx.members.label.clone(),
        run_ids: cx.members.run_ids.to_vec(),
        provider: cx.shared.provider.name().to_string(),
        provider_batch_id: None,
        state: BatchState::Submitting,
        requests: packs.len() as u32,
        blocks: packs.iter().map(|p| p.len() as u32).sum(),
        worker: cx.worker.clone(),
        created_at: crate::clock::now_rfc3339(),
        submitted_at: None,
        expires_at: None,
        ended_at: None,
        results_expire_at: None,
        next_poll_at: None,
        poll_wait_seconds: 0,
        results_url: None,
        error_file: None,
        counts: BatchCounts::default(),
        join: BatchJoin::default(),
        message: None,
    }
}

/// Send one batch. `Some(reason)` when the provider refused it: the run is paused with the
/// provider's message and the claims are given back (nothing leased is lost).
async fn submit_one<P: Provider>(
    cx: &Cx<P>,
    packs: Vec<Vec<Item>>,
    bodies: Vec<serde_json::Value>,
) -> Result<Option<String>, WorkerError> {
    let key = new_key();
    let mut record = new_record(cx, &key, &packs);
    let requests: Vec<BatchRequest> = packs
        .iter()
        .enumerate()
        .map(|(n, p)| BatchRequest {
            custom_id: custom_id(&cx.members.label, &key, n),
            blocks: p.iter().map(|i| (i.run, i.index)).collect(),
            call_seq: 0,
        })
        .collect();
    let items: Vec<BatchItem> = requests
        .iter()
        .zip(bodies)
        .map(|(r, body)| BatchItem {
            custom_id: r.custom_id.clone(),
            body,
        })
        .collect();
    let (s, rec, reqs) = (cx.store.clone(), record.clone(), requests.clone());
    blocking(move || Ok(s.insert_batch(&rec, &reqs)?)).await?;
    let answer = create_with_retries(cx, &items).await;
    drop(items);
    match answer {
        Ok(status) => {
            accepted(&mut record, &status, cx);
            let (s, w, e) = (
                cx.store.clone(),
                cx.worker.clone(),
                cx.shared.endpoint.clone(),
            );
            blocking(move || Ok(store_ops::accept(&s, &record, &requests, &w, &e)?)).await?;
            cx.notice(format!(
                "batch {} submitted: {} requests, {} blocks",
                status.id,
                packs.len(),
                packs.iter().map(Vec::len).sum::<usize>()
            ));
            Ok(None)
        }
        Err(e) => {
            let reason = format!("the provider refused the batch: {e}");
            record.state = BatchState::Failed;
            record.message = Some(reason.clone());
            let s = cx.store.clone();
            blocking(move || Ok(s.put_batch(&record)?)).await?;
            give_back(cx, packs).await?;
            let (s, r, why) = (cx.store.clone(), cx.members.run_ids.clone(), reason.clone());
            blocking(move || Ok(many::pause_many(&s, &r, &why)?)).await?;
            Ok(Some(reason))
        }
    }
}

/// Transient trouble (5xx, 429, timeouts) is retried with backoff; anything else is final.
async fn create_with_retries<P: Provider>(
    cx: &Cx<P>,
    items: &[BatchItem],
) -> Result<BatchStatus, ProviderError> {
    let mut wait = cx.shared.backoff_base;
    let mut tries = 0;
    loop {
        match cx.client.create(items).await {
            Err(e @ (ProviderError::Transient { .. } | ProviderError::RateLimited { .. }))
                if tries < cx.shared.transient_retries =>
            {
                tries += 1;
                tracing::warn!(error = %e, tries, "batch submit: transient trouble, retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(cx.shared.backoff_max);
            }
            other => return other,
        }
    }
}

/// The provider's answer, as the record keeps it: id, submitted time, processing deadline,
/// how long results are kept, and the first poll.
fn accepted<P: Provider>(record: &mut BatchRecord, status: &BatchStatus, cx: &Cx<P>) {
    let now = std::time::SystemTime::now();
    let fmt = |t: std::time::SystemTime| humantime::format_rfc3339_seconds(t).to_string();
    record.provider_batch_id = Some(status.id.clone());
    record.state = BatchState::InProgress;
    record.submitted_at = Some(fmt(now));
    record.expires_at = status
        .expires_at
        .clone()
        .or_else(|| Some(fmt(now + Duration::from_secs(86_400))));
    let kept = Duration::from_secs(cx.client.results_kept_days() * 86_400);
    record.results_expire_at = Some(fmt(now + kept));
    record.poll_wait_seconds = cx.poll.0.as_secs() as u32;
    record.next_poll_at = Some(fmt(now + cx.poll.0));
    record.counts = status.counts;
}

/// Claims taken for packs that were never sent go back to pending (no attempt used).
async fn give_back<P: Provider>(cx: &Cx<P>, packs: Vec<Vec<Item>>) -> Result<(), WorkerError> {
    if packs.is_empty() {
        return Ok(());
    }
    let (s, r, w) = (
        cx.store.clone(),
        cx.members.run_ids.clone(),
        cx.worker.clone(),
    );
    blocking(move || Ok(many::release_worker_many(&s, &r, &w)?)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_at_the_request_limit_and_the_byte_limit() {
        let limits = BatchLimits {
            max_requests: 3,
            max_bytes: 100,
        };
        assert_eq!(split(&[10; 7], limits), vec![3, 3, 1]);
        assert_eq!(split(&[40, 40, 40, 10], limits), vec![2, 2]);
        assert_eq!(
            split(&[150, 10], limits),
            vec![1, 1],
            "an oversized one goes alone"
        );
        assert!(split(&[], limits).is_empty());
    }

    #[test]
    fn custom_ids_name_run_batch_and_pack_in_the_allowed_alphabet() {
        let id = custom_id("run_ab12.cd:34-extra-long-name", "b18c", 7);
        assert_eq!(id, "run_ab12cd34-ext-b18c-7");
        assert!(id.len() <= 64);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
    }
}
