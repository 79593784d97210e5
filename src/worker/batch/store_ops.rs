//! The store changes of batch mode, each one write transaction: a batch accepted by the
//! provider (its blocks leased to it, one `started` call per request), and a batch given up or
//! fully joined (what it still holds back to `pending`, without using attempts).

use crate::model::{
    batch_owner, BatchRecord, BatchRequest, BatchState, CallMode, CallOutcome, CallRecord,
    OverlayStatus, Run, Usage,
};
use crate::store::{Store, StoreError};

/// The provider accepted `batch` (now carrying its provider id and times): in one transaction
/// its blocks pass from `worker`'s claim to the batch, each request gets a call record
/// (`started`, mode batch) in the run of its first block, and the batch is recorded
/// `in_progress` with its requests. Returns the requests with their call numbers.
pub(crate) fn accept(
    store: &Store,
    batch: &BatchRecord,
    requests: &[BatchRequest],
    worker: &str,
    endpoint: &str,
) -> Result<Vec<BatchRequest>, StoreError> {
    let owner = batch_owner(&batch.key);
    let mut slot = 0u32;
    let mut done: Vec<BatchRequest> = requests.to_vec();
    store.with_runs_then(
        &batch.run_ids,
        |rt| {
            let me = slot;
            slot += 1;
            let mut seqs = Vec::new();
            for (n, r) in requests.iter().enumerate() {
                for &(_, index) in r.blocks.iter().filter(|(run, _)| *run == me) {
                    if let Some(mut ov) = rt.overlay(index)? {
                        if ov.status == OverlayStatus::Claimed
                            && ov.claimed_by.as_deref() == Some(worker)
                        {
                            ov.claimed_by = Some(owner.clone());
                            ov.claimed_at = Some(crate::clock::now_millis());
                            rt.put_overlay(&ov)?;
                        }
                    }
                }
                if r.blocks.first().is_some_and(|(run, _)| *run == me) {
                    let seq = rt.append_call(started_record(&rt.run, r, batch, endpoint))?;
                    seqs.push((n, seq));
                }
            }
            Ok::<_, StoreError>(seqs)
        },
        |tx, seqs| {
            for (n, seq) in seqs.iter().flatten() {
                done[*n].call_seq = *seq;
            }
            crate::store::batch_put_in(tx, batch, Some(&done))
        },
    )?;
    Ok(done)
}

fn started_record(run: &Run, r: &BatchRequest, batch: &BatchRecord, endpoint: &str) -> CallRecord {
    CallRecord {
        seq: 0,
        run_id: run.run_id.clone(),
        pack_size: r.blocks.len() as u32,
        first_block: r.blocks.first().map(|b| b.1).unwrap_or(0),
        last_block: r.blocks.last().map(|b| b.1).unwrap_or(0),
        usage: Usage::default(),
        latency_ms: 0,
        stop_reason: None,
        outcome: CallOutcome::Started,
        endpoint: Some(endpoint.to_string()),
        detail: Some(format!(
            "request {} of batch {}",
            r.custom_id,
            batch.provider_batch_id.as_deref().unwrap_or(&batch.key)
        )),
        mapped: 0,
        written: 0,
        missing: 0,
        unexpected: 0,
        duplicate: 0,
        at: crate::clock::now_rfc3339(),
        worker: None,
        cost_upper_usd: None,
        mode: CallMode::Batch,
        feedback: None,
    }
}

/// End `batch` as `state` with `message`: every block it still holds returns to `pending`
/// without using an attempt, and each of its calls still `started` is closed as cancelled
/// (`why`), costing nothing (the provider bills no request that did not finish). One
/// transaction; returns how many blocks went back. `open`: the requests whose call may still
/// be `started` (a join passes those it saw no line for), all of them when `None`.
pub(crate) fn release(
    store: &Store,
    batch: &BatchRecord,
    state: BatchState,
    why: &str,
    open: Option<&[u32]>,
) -> Result<u32, StoreError> {
    let owner = batch_owner(&batch.key);
    let lookup = store.batch_requests(&batch.key)?;
    let mut seqs: Vec<(u32, u64)> = Vec::new();
    let every: Vec<u32>;
    let open = match open {
        Some(o) => o,
        None => {
            every = (0..batch.requests).collect();
            &every
        }
    };
    for &n in open {
        if let Some(r) = lookup.get(n)? {
            if let (Some(&(home, _)), true) = (r.blocks.first(), r.call_seq != 0) {
                seqs.push((home, r.call_seq));
            }
        }
    }
    drop(lookup);
    let mut slot = 0u32;
    let mut ended = batch.clone();
    ended.state = state;
    let counts = store.with_runs_then(
        &batch.run_ids,
        |rt| {
            let me = slot;
            slot += 1;
            let mut back = 0;
            for i in rt.indices_with_status(OverlayStatus::Claimed, usize::MAX)? {
                let Some(mut ov) = rt.overlay(i)? else {
                    continue;
                };
                if ov.claimed_by.as_deref() == Some(owner.as_str()) {
                    ov.status = OverlayStatus::Pending;
                    ov.claimed_by = None;
                    ov.claimed_at = None;
                    rt.put_overlay(&ov)?;
                    back += 1;
                }
            }
            for &(_, seq) in seqs.iter().filter(|(home, _)| *home == me) {
                let Some(mut rec) = rt.calls_at(seq)? else {
                    continue;
                };
                if rec.outcome == CallOutcome::Started {
                    rec.outcome = CallOutcome::Cancelled;
                    rec.detail = Some(why.to_string());
                    rt.put_call(&rec)?;
                }
            }
            Ok::<_, StoreError>(back)
        },
        |tx, _| crate::store::batch_put_in(tx, &ended, None),
    )?;
    Ok(counts.into_iter().sum())
}
