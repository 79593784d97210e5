//! A try that failed and will be retried: how long to wait, and its call record.

use std::time::Duration;

use tokio::time::Instant;

use super::{error_class, record, Item, Shared};
use crate::model::CallOutcome;
use crate::provider::{Provider, ProviderError};
use crate::worker::apply::CallEffect;
use crate::worker::backoff::delay;

impl<P: Provider> Shared<P> {
    /// How long to wait before retry `retries + 1`, or `None` when `err` is not worth a retry.
    /// A rate limit also closes the gate for every task of the session.
    pub(super) fn retry_wait(&self, err: &ProviderError, retries: u32) -> Option<Duration> {
        match err {
            ProviderError::RateLimited { retry_after, .. } => {
                let d = retry_after
                    .unwrap_or_else(|| delay(retries + 1, self.backoff_base, self.backoff_max));
                self.gate.close_until(Instant::now() + d);
                Some(d)
            }
            ProviderError::Transient { .. } => {
                Some(delay(retries + 1, self.backoff_base, self.backoff_max))
            }
            _ => None,
        }
    }

    /// Record a try that is retried (`retries` counts this retry) as a call of its own.
    pub(super) async fn record_retry(
        &self,
        pack: &[Item],
        seq: u64,
        started: Instant,
        err: &ProviderError,
        retries: u32,
    ) {
        let mut rec = record(self.home(pack), &self.endpoint, pack);
        rec.seq = seq;
        rec.latency_ms = started.elapsed().as_millis() as u64;
        rec.outcome = CallOutcome::Error(error_class(err));
        rec.detail = Some(format!(
            "{err} (retry {retries} of {})",
            self.transient_retries
        ));
        self.write(CallEffect {
            record: rec,
            results: Vec::new(),
            failures: Vec::new(),
            cost_usd: self.no_answer_cost(),
            shares: crate::worker::apply::pack_shares(pack.iter().map(|i| i.run)),
        })
        .await;
    }
}
