//! Grounding a pack's answers (SPEC §4a) and the pack guard: a value quoted from another
//! block of the same call makes its block a bad answer for that pack (retried alone).

use serde_json::{Map, Value};

use super::{Item, Shared};
use crate::model::{CallFeedback, Span, SpanKind};
use crate::provider::{CallRequest, Provider};

/// Most characters of a first answer quoted back to the model.
const FEEDBACK_ANSWER_CHARS: usize = 2000;

/// Tell the model, before the block, why its previous answer for it was refused (after the
/// fixed prompts, so the cached system prompt is unchanged).
pub(super) fn add_feedback(request: &mut CallRequest, fb: &CallFeedback) {
    let answer: String = fb
        .first_answer
        .to_string()
        .chars()
        .take(FEEDBACK_ANSWER_CHARS)
        .collect();
    request.block_prompt.push_str(&format!(
        "\n\nYour previous answer for this block was refused: {}. The answer you gave: {answer}\n\
         Answer again for this block only, and follow the schema exactly.",
        fb.error
    ));
}

/// The feedback a block's single retry carries after `error` on `answer`.
pub(super) fn feedback(item: &Item, error: &str, answer: &Value) -> Box<CallFeedback> {
    Box::new(CallFeedback {
        block_index: item.index,
        error: crate::record_cap::cap(error.to_string()),
        first_answer: kept_answer(answer),
        passed: None,
    })
}

/// Largest answer (as JSON) a call's feedback history keeps whole; a bigger one is named by
/// its size only, so a model that answers megabytes does not grow the store by megabytes.
const MAX_KEPT_ANSWER: usize = 64 * 1024;

pub(super) fn kept_answer(answer: &Value) -> Value {
    let len = answer.to_string().len();
    if len <= MAX_KEPT_ANSWER {
        answer.clone()
    } else {
        Value::String(format!("[cut: an answer of {len} bytes is not kept]"))
    }
}

/// The grounding of one mapped result.
pub(super) struct Grounded {
    pub spans: Option<Vec<Span>>,
    /// Why the result is a pack shift, when it is one (a packed call only).
    pub shifted: Option<String>,
}

impl<P: Provider> Shared<P> {
    /// Ground every mapped result of `pack` (`mapped[i]` is block `i`'s result, if any)
    /// against its own block and, for neighbours, the pack's other blocks.
    pub(super) fn ground_pack(
        &self,
        pack: &[Item],
        mapped: &[Option<&Map<String, Value>>],
    ) -> Vec<Grounded> {
        let Some(fields) = &self.plan.grounded else {
            return pack
                .iter()
                .map(|_| Grounded {
                    spans: None,
                    shifted: None,
                })
                .collect();
        };
        pack.iter()
            .zip(mapped)
            .enumerate()
            .map(|(i, (item, value))| {
                let Some(value) = value else {
                    return Grounded {
                        spans: None,
                        shifted: None,
                    };
                };
                let others: Vec<(u32, &str)> = pack
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, o)| (o.index, o.content.as_str()))
                    .collect();
                let spans = fields.ground(&Value::Object((*value).clone()), &item.content, &others);
                let shifted = spans
                    .iter()
                    .find(|s| s.kind == SpanKind::Neighbour)
                    .map(|s| {
                        format!(
                            "pack shift: `{}` is quoted from block {}, not block {}",
                            s.path,
                            s.block.unwrap_or_default(),
                            item.index
                        )
                    });
                Grounded {
                    spans: Some(spans),
                    shifted,
                }
            })
            .collect()
    }

    /// A pack moved `shifted` values between blocks: count it for the guard and say so in
    /// the call's record (its blocks are retried alone like invalid ones).
    pub(super) fn guard_step(
        &self,
        outcome: &mut crate::worker::apply::CallEffect,
        shifted: usize,
    ) {
        let step = self.guard.shifted();
        let mut line =
            format!("pack guard: {shifted} result(s) quoted from a neighbour block, retried alone");
        if let Some((from, to)) = step.halved {
            line.push_str(&format!(
                "; pack size {from} -> {to} for the rest of the run"
            ));
        }
        tracing::warn!(run_id = %self.label, "{line}");
        outcome.record.detail = Some(match outcome.record.detail.take() {
            Some(d) => format!("{line}; {d}"),
            None => line,
        });
        outcome.guard = Some(step);
    }
}
