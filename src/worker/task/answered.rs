//! Reading an answer: parse it for the pack's shape, and send back to the queue what it did
//! not settle (a whole bad pack split in halves, missing blocks).

use std::collections::VecDeque;

use super::{halves, Item, Shared};
use crate::model::CallOutcome;
use crate::provider::{CallAnswer, Provider};
use crate::worker::answer::{parse_batched, parse_single, ParsedAnswer};
use crate::worker::apply::CallEffect;

impl<P: Provider> Shared<P> {
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
        parsed.parse_issue.clone().unwrap_or_default()
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
