//! Polling an open batch: the wait doubles from `poll_seconds_min` up to `poll_seconds_max`
//! while it runs; the record keeps the counts, the next poll and, once it ended, the results.

use std::time::{Duration, SystemTime};

use super::session::Cx;
use crate::model::{BatchRecord, BatchState};
use crate::provider::batch::BatchStatus;
use crate::provider::{Provider, ProviderError};
use crate::worker::session::blocking;
use crate::worker::WorkerError;

/// What a poll found.
#[derive(Debug)]
pub(super) enum Polled {
    /// Still processing (or the poll hit transient trouble): poll again later.
    Open,
    Ended(BatchStatus),
    /// The provider does not know it any more (404) or refuses to show it.
    Gone(String),
}

/// The next wait after `current`: doubled, within the bounds.
pub(crate) fn next_wait(current: Duration, (min, max): (Duration, Duration)) -> Duration {
    (current * 2).clamp(min, max.max(min))
}

fn fmt(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Whether `batch` is due for a poll now.
pub(super) fn due(batch: &BatchRecord) -> bool {
    let Some(at) = batch.next_poll_at.as_deref() else {
        return true;
    };
    humantime::parse_rfc3339(at).map_or(true, |t| t <= SystemTime::now())
}

/// Poll `batch` once and record what the provider said.
pub(super) async fn poll_one<P: Provider>(
    cx: &Cx<P>,
    batch: &mut BatchRecord,
    wait: &mut Duration,
) -> Result<Polled, WorkerError> {
    let Some(id) = batch.provider_batch_id.clone() else {
        return Ok(Polled::Gone("the batch has no provider id".into()));
    };
    let polled = match cx.client.get(&id).await {
        Ok(status) => {
            batch.counts = status.counts;
            if status.ended {
                batch.state = BatchState::Ended;
                batch.ended_at = status
                    .ended_at
                    .clone()
                    .or_else(|| Some(fmt(SystemTime::now())));
                batch.results_url = status.results_url.clone();
                batch.error_file = status.error_file.clone();
                batch.next_poll_at = None;
                Polled::Ended(status)
            } else {
                if status.status == "canceling" {
                    batch.state = BatchState::Canceling;
                }
                Polled::Open
            }
        }
        Err(ProviderError::BadRequest {
            status: 404,
            message,
        }) => {
            return Ok(Polled::Gone(format!(
                "the provider no longer knows batch {id} (HTTP 404: {message})"
            )));
        }
        Err(e @ (ProviderError::BadKey { .. } | ProviderError::OutOfCredit { .. })) => {
            return Ok(Polled::Gone(format!("cannot poll batch {id}: {e}")));
        }
        Err(e) => {
            tracing::warn!(batch = %id, error = %e, "batch poll failed; polling again later");
            batch.message = Some(format!("last poll failed: {e}"));
            Polled::Open
        }
    };
    if matches!(polled, Polled::Open) {
        *wait = next_wait(*wait, cx.poll);
        batch.poll_wait_seconds = wait.as_secs() as u32;
        batch.next_poll_at = Some(fmt(SystemTime::now() + *wait));
    }
    let (s, b) = (cx.store.clone(), batch.clone());
    blocking(move || Ok(s.put_batch(&b)?)).await?;
    Ok(polled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_within_the_policy_bounds() {
        let b = (Duration::from_secs(10), Duration::from_secs(120));
        assert_eq!(next_wait(Duration::ZERO, b), Duration::from_secs(10));
        assert_eq!(
            next_wait(Duration::from_secs(10), b),
            Duration::from_secs(20)
        );
        assert_eq!(
            next_wait(Duration::from_secs(80), b),
            Duration::from_secs(120)
        );
        let odd = (Duration::from_secs(30), Duration::from_secs(5));
        assert_eq!(
            next_wait(Duration::from_secs(30), odd),
            Duration::from_secs(30)
        );
    }
}
