//! Reading an answer: parse it for the pack's shape, and send back to the queue what it did
//! not settle (a whole bad pack split in halves, missing blocks).

use std::collections::VecDeque;

use serde_json::Value;

use super::grounding::feedback;
use super::{halves, Item, Shared};
use crate::model::CallOutcome;
use crate::provider::{CallAnswer, Provider};
use crate::worker::answer::apply_local_fields;
use crate::worker::answer::{parse_batched, parse_single, ParsedAnswer};
use crate::worker::apply::CallEffect;

/// A pack's blocks the answer did not settle: missing ones, bad answers to retry alone (with
/// why), and how many of those were pack shifts.
pub(super) struct Sorted {
    pub missing: Vec<Item>,
    pub invalid: Vec<(Item, String)>,
    pub shifted: usize,
}

impl<P: Provider> Shared<P> {
    /// Stage each valid, well-grounded result in `outcome` (a single block's invalid answer
    /// fails there too); return what is left to retry.
    pub(super) fn sort_results(
        &self,
        pack: Vec<Item>,
        indices: &[u32],
        parsed: &ParsedAnswer,
        outcome: &mut CallEffect,
    ) -> Sorted {
        let single = pack.len() == 1;
        let mapped: Vec<_> = indices.iter().map(|k| parsed.mapped.get(k)).collect();
        let mut grounded = self.ground_pack(&pack, &mapped).into_iter();
        let mut missing = Vec::new();
        let mut invalid = Vec::new();
        let mut shifted = 0usize;
        for (item, key) in pack.into_iter().zip(indices.iter().copied()) {
            let ground = grounded.next().expect("one grounding per block");
            if let (Some(why), false) = (ground.shifted, single) {
                shifted += 1;
                let mut item = item;
                if let Some(v) = parsed.mapped.get(&key) {
                    item.feedback = Some(feedback(&item, &why, &Value::Object(v.clone())));
                }
                invalid.push((item, why));
                continue;
            }
            match parsed.mapped.get(&key) {
                Some(value) => {
                    let mut value = Value::Object(value.clone());
                    if let Value::Object(obj) = &mut value {
                        apply_local_fields(&self.plan.properties, &item.content, obj);
                    }
                    // Same validator as review edits: an invalid value is a bad answer.
                    // The model's answer is checked; fields the program computed are its own.
                    match self
                        .plan
                        .validators
                        .check_object_except(&value, &crate::worker::answer::LOCAL_FIELDS)
                    {
                        Ok(()) => {
                            if let (Some(fb), true) = (outcome.record.feedback.as_mut(), single) {
                                fb.passed = Some(super::grounding::kept_answer(&value));
                            }
                            if let Some(spans) = ground.spans {
                                outcome.evidence.push((item.at(), spans));
                            }
                            outcome.results.push((item.at(), value));
                        }
                        Err(e) if single => {
                            // Its next call alone (a later attempt) says what was wrong.
                            let fb = feedback(&item, &e.to_string(), &value);
                            self.remember_feedback(&item, fb);
                            outcome
                                .failures
                                .push((item.at(), format!("invalid answer: {e}")));
                            // Kept so a reviewer can fix the bad field and salvage it.
                            outcome.invalid_answers.push((item.at(), value));
                        }
                        Err(e) => {
                            let mut item = item;
                            item.feedback = Some(feedback(&item, &e.to_string(), &value));
                            invalid.push((item, e.to_string()))
                        }
                    }
                }
                None => missing.push(item),
            }
        }
        Sorted {
            missing,
            invalid,
            shifted,
        }
    }

    /// Parse `answer` for the blocks `indices` (one key per block of the pack): a batch maps
    /// results by the pack key, a single block takes its one result.
    pub(super) fn parse_answer(&self, answer: &CallAnswer, indices: &[u32]) -> ParsedAnswer {
        if indices.len() > 1 {
            parse_batched(
                answer.output.as_ref(),
                answer.parse_issue.as_deref(),
                indices,
                &self.plan.pack_key,
            )
        } else {
            parse_single(
                answer.output.as_ref(),
                answer.parse_issue.as_deref(),
                indices[0],
                &self.plan.pack_key,
                self.plan.properties.contains_key("results"),
            )
        }
    }
}

/// An answer cut at the output limit, or one that cannot be read at all: a pack splits in
/// halves, a single block fails with the reason.
pub(super) fn reject_whole_pack(
    answer: &CallAnswer,
    parsed: &ParsedAnswer,
    pack: Vec<Item>,
    outcome: &mut CallEffect,
    queue: &mut VecDeque<Vec<Item>>,
) {
    let rec = &mut outcome.record;
    let why = if answer.truncated {
        "answer cut at the output limit (stop reason max_tokens)".to_string()
    } else {
        parsed
            .parse_issue
            .clone()
            .unwrap_or_else(|| "the answer held no usable result".to_string())
    };
    rec.detail = Some(why.clone());
    if pack.len() > 1 {
        rec.outcome = CallOutcome::Split;
        let (a, b) = halves(pack);
        queue.push_front(b);
        queue.push_front(a);
    } else {
        rec.outcome = CallOutcome::Failed;
        outcome.failures = vec![(pack[0].at(), why)];
    }
}

/// Blocks the answer left out go again: one alone, more in two halves.
pub(super) fn requeue_missing(missing: Vec<Item>, queue: &mut VecDeque<Vec<Item>>) {
    match missing.len() {
        0 => {}
        1 => queue.push_front(missing),
        _ => {
            let (a, b) = halves(missing);
            queue.push_front(b);
            queue.push_front(a);
        }
    }
}

/// A call whose blocks failed says why in its own record (the call log), not only on the
/// blocks: "block 4: invalid answer: field 'score': 11 is greater than the maximum of 10".
pub(super) fn explain_failures(outcome: &mut CallEffect) {
    let Some((at, why)) = outcome.failures.first() else {
        return;
    };
    let first = format!("block {}: {why}", at.index);
    let more = outcome.failures.len() - 1;
    let text = if more == 0 {
        first
    } else {
        format!("{first} (and {more} more)")
    };
    let rec = &mut outcome.record;
    rec.detail = Some(match rec.detail.take() {
        Some(d) if !d.is_empty() && !d.contains(why.as_str()) => format!("{text}; {d}"),
        _ => text,
    });
}
