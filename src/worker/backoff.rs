//! Backoff for transient provider trouble: exponential with jitter per task, and one shared gate
//! so a 429 holds every task back instead of each hammering the provider.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Shared "not before" instant for all calls of a run.
#[derive(Debug)]
pub struct Gate {
    not_before: Mutex<Option<Instant>>,
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            not_before: Mutex::new(None),
        }
    }

    /// Hold every caller until `until` (never moves the gate earlier).
    pub fn close_until(&self, until: Instant) {
        let mut g = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none_or(|t| t < until) {
            *g = Some(until);
        }
    }

    /// Wait until the gate is open.
    pub async fn wait(&self) {
        loop {
            let until = *self.not_before.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }
}

/// Delay before retry number `attempt` (1-based): `base · 2^(attempt-1)` capped at `max`, with
/// ±25 % jitter so tasks do not retry in lockstep.
pub fn delay(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(max);
    let mut rng = crate::synth::SplitMix64::new(
        crate::clock::now_millis() ^ (u64::from(attempt) << 32) ^ jitter_seed(),
    );
    let jitter = (rng.below(501) as f64 - 250.0) / 1000.0; // -0.25 ..= +0.25
    capped.mul_f64(1.0 + jitter)
}

fn jitter_seed() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(0x9E37_79B9, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_is_capped_and_jittered() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        let d1 = delay(1, base, max);
        assert!(d1 >= Duration::from_millis(75) && d1 <= Duration::from_millis(125));
        let d3 = delay(3, base, max);
        assert!(d3 >= Duration::from_millis(300) && d3 <= Duration::from_millis(500));
        assert!(delay(30, base, max) <= Duration::from_millis(2500));
    }

    #[tokio::test]
    async fn gate_holds_until_the_latest_deadline() {
        let gate = Gate::new();
        let start = Instant::now();
        gate.close_until(start + Duration::from_millis(80));
        gate.close_until(start + Duration::from_millis(20)); // earlier: ignored
        gate.wait().await;
        assert!(start.elapsed() >= Duration::from_millis(80));
    }
}
