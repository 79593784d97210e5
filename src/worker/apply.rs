//! Applying finished calls (SPEC §3), for one run or a group: a pack may hold blocks of
//! several member runs, so every result names its run (`At`) and one group commit stages the
//! results of every run a batch of calls touched.

use std::collections::HashMap;

use serde_json::Value;

use super::guard::GuardStep;
use super::steps::rollup;
use crate::model::{CallRecord, OverlayStatus, Run, Span, Usage};
use crate::store::{RunBatch, RunTxn, Store, StoreError};

/// A block of a session: `run` is the member's position in the session's run list (0 for a
/// single run), `index` its block index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At {
    pub run: u32,
    pub index: u32,
}

/// One provider call's effect on the store. The record is kept by the run of the pack's first
/// block (`record.run_id`); results and failures go to their own runs.
#[derive(Debug, Clone)]
pub struct CallEffect {
    pub record: CallRecord,
    /// `(block, result object)` to stage as `ai_complete`.
    pub results: Vec<(At, Value)>,
    /// `(block, error)`: ordinary failures that use up one attempt.
    pub failures: Vec<(At, String)>,
    /// `(block, answer)`: the answer that failed validation, kept with the block to salvage it.
    pub invalid_answers: Vec<(At, Value)>,
    /// Estimated cost of the call in USD; `None` when the model has no price.
    pub cost_usd: Option<f64>,
    /// Grounding of staged results (SPEC §4a), by block; absent for a schema with no
    /// grounded field.
    pub evidence: Vec<(At, Vec<Span>)>,
    /// Set when this pack moved values between blocks (the pack guard, `guard.rs`).
    pub guard: Option<GuardStep>,
    /// `(member slot, blocks)`: how many of the pack's blocks each run had, in pack order. The
    /// call's tokens and cost are shared by these counts (a pack may span documents).
    pub shares: Vec<(u32, u32)>,
}

/// `(member slot, blocks)` of a pack's runs, in the order they appear.
pub fn pack_shares(runs: impl IntoIterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut shares: Vec<(u32, u32)> = Vec::new();
    for run in runs {
        match shares.iter_mut().find(|(r, _)| *r == run) {
            Some((_, n)) => *n += 1,
            None => shares.push((run, 1)),
        }
    }
    shares
}

/// A call's usage and cost split by `weights` (block counts): token counts by whole tokens
/// with the remainder to the first shares, so they add up exactly; the last share's cost is
/// what the others leave. No weights (or all zero): everything in one share.
pub(crate) fn split_usage(
    usage: &Usage,
    cost: Option<f64>,
    weights: &[u32],
) -> Vec<(Usage, Option<f64>)> {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if weights.len() <= 1 || total == 0 {
        return vec![(*usage, cost)];
    }
    let split = |n: u64| -> Vec<u64> {
        let mut parts: Vec<u64> = weights.iter().map(|w| n * u64::from(*w) / total).collect();
        let mut left = n - parts.iter().sum::<u64>();
        for p in parts.iter_mut() {
            if left == 0 {
                break;
            }
            *p += 1;
            left -= 1;
        }
        parts
    };
    let (i, o, w, r) = (
        split(usage.input_tokens),
        split(usage.output_tokens),
        split(usage.cache_write_tokens),
        split(usage.cache_read_tokens),
    );
    let mut spent = 0.0;
    (0..weights.len())
        .map(|k| {
            let share = Usage {
                input_tokens: i[k],
                output_tokens: o[k],
                cache_write_tokens: w[k],
                cache_read_tokens: r[k],
            };
            let c = cost.map(|c| {
                if k + 1 == weights.len() {
                    c - spent
                } else {
                    let part = c * f64::from(weights[k]) / total as f64;
                    spent += part;
                    part
                }
            });
            (share, c)
        })
        .collect()
}

/// What one run takes from one call: its results and failures, and (for the run that keeps
/// it) the call record with the usage.
struct Part {
    effect: usize,
    results: Vec<(u32, Value, Option<Vec<Span>>)>,
    failures: Vec<(u32, String)>,
    invalid_answers: Vec<(u32, Value)>,
    /// This run's share of the call's tokens and cost.
    usage: Usage,
    cost_usd: Option<f64>,
}

/// Each call's part per run (member slot), other runs' parts first, then each record's own run.
fn parts_in_order(run_ids: &[String], outcomes: &[CallEffect]) -> Vec<(u32, Part)> {
    let slot_of: HashMap<&str, u32> = if run_ids.len() == 1 {
        HashMap::from([(run_ids[0].as_str(), 0)])
    } else {
        run_ids
            .iter()
            .enumerate()
            .map(|(i, r)| (r.as_str(), i as u32))
            .collect()
    };
    // Other runs' parts first, then each record's own run: a record's `written` then counts
    // every result of its call, and its sequence number exists when its own blocks are staged.
    let mut others: Vec<(u32, Part)> = Vec::new();
    let mut homes: Vec<(u32, Part)> = Vec::new();
    for (effect, o) in outcomes.iter().enumerate() {
        let home = slot_of.get(o.record.run_id.as_str()).copied().unwrap_or(0);
        let mut parts: std::collections::BTreeMap<u32, Part> = Default::default();
        let new_part = || Part {
            effect,
            results: vec![],
            failures: vec![],
            invalid_answers: vec![],
            usage: Usage::default(),
            cost_usd: Some(0.0),
        };
        parts.insert(home, new_part());
        let weights: Vec<u32> = o.shares.iter().map(|(_, n)| *n).collect();
        let split = split_usage(&o.record.usage, o.cost_usd, &weights);
        let slots = o.shares.iter().map(|(slot, _)| *slot);
        for (slot, (usage, cost)) in slots.chain(std::iter::once(home)).zip(split) {
            let p = parts.entry(slot).or_insert_with(new_part);
            (p.usage, p.cost_usd) = (usage, cost);
        }
        for (at, value) in &o.results {
            let p = parts.entry(at.run).or_insert_with(new_part);
            let spans = o
                .evidence
                .iter()
                .find(|(a, _)| a == at)
                .map(|(_, s)| s.clone());
            p.results.push((at.index, value.clone(), spans));
        }
        for (at, error) in &o.failures {
            let p = parts.entry(at.run).or_insert_with(new_part);
            p.failures.push((at.index, error.clone()));
        }
        for (at, answer) in &o.invalid_answers {
            let p = parts.entry(at.run).or_insert_with(new_part);
            p.invalid_answers.push((at.index, answer.clone()));
        }
        for (slot, part) in parts {
            if slot == home {
                homes.push((slot, part));
            } else {
                others.push((slot, part));
            }
        }
    }
    others.into_iter().chain(homes).collect()
}

/// Apply finished calls in ONE transaction (group commit): call records, staged results,
/// failures, usage totals, and each touched run's rollup to `complete`. `run_ids` is the
/// session's run list (`At::run` indexes it). Returns every touched run as it is after.
pub fn apply_outcomes(
    store: &Store,
    run_ids: &[String],
    outcomes: Vec<CallEffect>,
    max_retries: u32,
) -> Result<Vec<Run>, StoreError> {
    store.with_batch(|b| apply_outcomes_in(b, run_ids, &outcomes, max_retries))
}

/// [`apply_outcomes`] inside an open transaction (the session writer's batch, which commits
/// claims and started records with it).
pub(crate) fn apply_outcomes_in(
    batch: &mut RunBatch<'_>,
    run_ids: &[String],
    outcomes: &[CallEffect],
    max_retries: u32,
) -> Result<Vec<Run>, StoreError> {
    let order = parts_in_order(run_ids, outcomes);
    let mut written = vec![0u32; outcomes.len()];
    // Only a run's last visit is returned (a group commit of one run's calls clones it once).
    let mut later = std::collections::HashSet::new();
    let mut last_visit: Vec<bool> = order.iter().rev().map(|(s, _)| later.insert(*s)).collect();
    last_visit.reverse();
    let mut runs: Vec<Option<Run>> = Vec::with_capacity(order.len());
    for (visit, (slot, part)) in order.into_iter().enumerate() {
        let o = &outcomes[part.effect];
        let run = batch.visit(&run_ids[slot as usize], |rt| {
            let is_home = o.record.run_id == rt.run.run_id;
            let staged = stage_results(rt, part.results)?;
            written[part.effect] += staged.len() as u32;
            let seq = if is_home {
                let mut record = o.record.clone();
                record.written = written[part.effect];
                let seq = put_record(rt, record, &part.usage, part.cost_usd)?;
                if let Some(step) = &o.guard {
                    step.record(rt.run.pack_guard.get_or_insert_with(Default::default), seq);
                }
                Some(seq)
            } else {
                add_share(&mut rt.run.usage, &part.usage, part.cost_usd);
                None
            };
            write_staged(rt, staged, seq)?;
            apply_failures(rt, part.failures, part.invalid_answers, max_retries)?;
            rollup(rt);
            Ok::<_, StoreError>(last_visit[visit].then(|| rt.run.clone()))
        })?;
        runs.push(run);
    }
    // Each run's last visit is its final state (latest first, as before).
    Ok(runs.into_iter().rev().flatten().collect())
}

/// An overlay to stage, its value and the value's grounding.
type Staged = (crate::model::Overlay, Value, Option<Vec<Span>>);

/// The overlays still waiting for a result (claimed or pending), with their values: never
/// overwrite a staged, confirmed or failed block, so no result is written twice.
fn stage_results(
    rt: &mut RunTxn<'_>,
    results: Vec<(u32, Value, Option<Vec<Span>>)>,
) -> Result<Vec<Staged>, StoreError> {
    let mut staged = Vec::new();
    for (index, value, spans) in results {
        let Some(ov) = rt.overlay(index)? else {
            continue;
        };
        if matches!(ov.status, OverlayStatus::Claimed | OverlayStatus::Pending) {
            staged.push((ov, value, spans));
        }
    }
    Ok(staged)
}

/// A run's share of a call it does not keep the record of: tokens and cost, not the call.
fn add_share(u: &mut crate::model::UsageTotals, usage: &Usage, cost_usd: Option<f64>) {
    u.tokens.add(usage);
    // One unpriced call makes the total unknown: never shown as zero.
    u.cost_usd = u.cost_usd.zip(cost_usd).map(|(a, b)| a + b);
}

/// Store the call record (a call recorded as started keeps its sequence number) and add the
/// call, with this run's share of its usage and cost, to the run that keeps it.
fn put_record(
    rt: &mut RunTxn<'_>,
    mut record: CallRecord,
    share: &Usage,
    cost_usd: Option<f64>,
) -> Result<u64, StoreError> {
    record.detail = record.detail.map(super::record_cap::cap);
    let failed_call = record.outcome.is_failure();
    let usage = record.usage;
    let seq = if record.seq != 0 {
        rt.put_call(&record)?;
        record.seq
    } else {
        rt.append_call(record)?
    };
    let u = &mut rt.run.usage;
    u.calls += 1;
    if usage.cache_read_tokens > 0 {
        u.cache_hit_calls += 1;
    }
    if failed_call {
        u.failed_calls += 1;
    }
    add_share(u, share, cost_usd);
    Ok(seq)
}

/// `seq`: the call's sequence number when this run keeps its record (blocks of other member
/// runs in the same pack name no call of their own).
fn write_staged(
    rt: &mut RunTxn<'_>,
    staged: Vec<Staged>,
    seq: Option<u64>,
) -> Result<(), StoreError> {
    for (mut ov, value, spans) in staged {
        let was = ov.status;
        ov.status = OverlayStatus::AiComplete;
        ov.staging = Some(value.clone());
        ov.model_output = Some(value);
        ov.edited = false;
        ov.last_error = None;
        ov.invalid_answer = None;
        ov.claimed_by = None;
        ov.claimed_at = None;
        ov.result_call = seq;
        ov.evidence = spans;
        rt.replace_overlay(&ov, was)?;
    }
    Ok(())
}

/// Largest invalid answer (as JSON) a failed block keeps for salvage.
const MAX_KEPT_ANSWER: usize = 64 * 1024;

fn apply_failures(
    rt: &mut RunTxn<'_>,
    failures: Vec<(u32, String)>,
    mut invalid_answers: Vec<(u32, Value)>,
    max_retries: u32,
) -> Result<(), StoreError> {
    for (index, error) in failures {
        let answer = invalid_answers
            .iter()
            .position(|(i, _)| *i == index)
            .map(|at| invalid_answers.swap_remove(at).1)
            // A huge answer is not kept (the store stays small; its error is cut too).
            .filter(|a| a.to_string().len() <= MAX_KEPT_ANSWER);
        let Some(mut ov) = rt.overlay(index)? else {
            continue;
        };
        if !matches!(ov.status, OverlayStatus::Claimed | OverlayStatus::Pending) {
            continue;
        }
        ov.attempt_count += 1;
        ov.last_error = Some(error);
        // Only the last try's answer is kept: a failure without one (a refused request) clears
        // an older answer, which no longer explains the error.
        ov.invalid_answer = answer;
        ov.claimed_by = None;
        ov.claimed_at = None;
        ov.status = if ov.attempt_count >= max_retries {
            OverlayStatus::Failed
        } else {
            OverlayStatus::Pending
        };
        rt.put_overlay(&ov)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_adds_up_exactly_and_follows_the_block_counts() {
        let u = Usage {
            input_tokens: 1001,
            output_tokens: 7,
            cache_write_tokens: 0,
            cache_read_tokens: 333,
        };
        let parts = split_usage(&u, Some(0.3), &[1, 7, 2]);
        assert_eq!(parts.len(), 3);
        let sum = |k: fn(&Usage) -> u64| parts.iter().map(|(p, _)| k(p)).sum::<u64>();
        assert_eq!(sum(|p| p.input_tokens), 1001);
        assert_eq!(sum(|p| p.output_tokens), 7);
        assert_eq!(sum(|p| p.cache_read_tokens), 333);
        assert_eq!(parts[1].0.input_tokens, 700, "7 of 10 blocks");
        let cost: f64 = parts.iter().map(|(_, c)| c.unwrap()).sum();
        assert!((cost - 0.3).abs() < 1e-12);
        assert!((parts[0].1.unwrap() - 0.03).abs() < 1e-12);
        assert_eq!(
            split_usage(&u, None, &[2, 2])[1].1,
            None,
            "unpriced stays unknown"
        );
        assert_eq!(split_usage(&u, Some(1.0), &[4]), vec![(u, Some(1.0))]);
    }
}
