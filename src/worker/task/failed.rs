//! What a call that brought no answer leaves: a cancelled call's record, and a failure's
//! pause, split or failed blocks.

use std::collections::VecDeque;
use std::time::Duration;

use super::{error_class, halves, Item, Shared};
use crate::model::CallOutcome;
use crate::provider::{Provider, ProviderError};
use crate::worker::apply::CallEffect;
use crate::worker::writer::Halt;

impl<P: Provider> Shared<P> {
    /// A request aborted after `after` by a cancel or an interrupt: counted at its upper bound.
    pub(super) fn mark_cancelled(
        &self,
        outcome: &mut CallEffect,
        after: Duration,
        upper: Option<f64>,
    ) {
        outcome.record.latency_ms = after.as_millis() as u64;
        outcome.record.outcome = CallOutcome::Cancelled;
        outcome.record.cost_upper_usd = upper;
        outcome.cost_usd = upper;
        let why = if *self.cancel.borrow() {
            "run cancelled"
        } else {
            "session interrupted"
        };
        outcome.record.detail = Some(format!(
            "{why}: request aborted after {} ms; its blocks return to pending; its \
             cost is counted as an upper bound",
            after.as_millis()
        ));
    }

    /// A call that failed for good: credit, key and outage trouble pause the run; a request the
    /// provider refused splits its pack, down to single blocks that fail.
    pub(super) fn on_failed(
        &self,
        e: ProviderError,
        pack: Vec<Item>,
        outcome: &mut CallEffect,
        queue: &mut VecDeque<Vec<Item>>,
    ) {
        outcome.record.outcome = CallOutcome::Error(error_class(&e));
        outcome.record.detail = Some(e.to_string());
        match e {
            ProviderError::OutOfCredit { .. } => self.halt(Halt {
                reason: format!(
                    "{e} — add credit, then `blockwise run resume {}`",
                    self.label
                ),
                bad_key: false,
            }),
            ProviderError::BadKey { .. } => {
                let p = &self.plan.run.model_config.provider;
                self.halt(Halt {
                    reason: format!(
                        "{e} — set a valid key with `blockwise keys set {p} --stdin`, \
                         then `blockwise run resume {}`",
                        self.label
                    ),
                    bad_key: true,
                })
            }
            ProviderError::Transient { .. } | ProviderError::RateLimited { .. } => {
                self.halt(Halt {
                    reason: format!(
                        "provider still failing after {} retries ({e}) — \
                         `blockwise run resume {}` when it is back{}",
                        self.transient_retries,
                        self.label,
                        self.timeout_hint(&e)
                    ),
                    bad_key: false,
                })
            }
            ProviderError::ContextOverflow { .. }
            | ProviderError::BadRequest { .. }
            | ProviderError::Malformed { .. } => {
                if pack.len() > 1 {
                    outcome.record.outcome = CallOutcome::Split;
                    let (a, b) = halves(pack);
                    queue.push_front(b);
                    queue.push_front(a);
                } else {
                    outcome.failures = pack.iter().map(|i| (i.at(), e.to_string())).collect();
                }
            }
        }
    }
}
