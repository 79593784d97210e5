//! The pack guard (SPEC §4a): a packed answer whose values are grounded in a neighbour block
//! moved answers between blocks. Those blocks are retried singly; every second such pack
//! halves the session's pack size for the rest of the run (down to 1).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::model::PackGuard;

/// Shifted packs seen and the pack size in force, shared by a session's tasks.
#[derive(Debug)]
pub struct PackGuardState {
    cap: AtomicU32,
    shifted: AtomicU32,
}

/// What one shifted pack did to the run: kept on the run record and in the call log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardStep {
    /// `(from, to)` when this pack halved the pack size.
    pub halved: Option<(u32, u32)>,
}

impl PackGuardState {
    /// The guard of a session starting with pack size `block_cap`, continuing what the run
    /// recorded in earlier sessions.
    pub fn new(block_cap: u32, stored: Option<&PackGuard>) -> PackGuardState {
        let cap = stored
            .and_then(|g| g.pack_size)
            .unwrap_or(block_cap)
            .clamp(1, block_cap.max(1));
        PackGuardState {
            cap: AtomicU32::new(cap),
            shifted: AtomicU32::new(stored.map_or(0, |g| g.shifted_packs)),
        }
    }

    /// The pack size in force, never above `limit`.
    pub fn cap(&self, limit: u32) -> u32 {
        limit.min(self.cap.load(Ordering::SeqCst)).max(1)
    }

    /// Count one shifted pack; every second one halves the pack size (down to 1).
    pub fn shifted(&self) -> GuardStep {
        let n = self.shifted.fetch_add(1, Ordering::SeqCst) + 1;
        if !n.is_multiple_of(2) {
            return GuardStep { halved: None };
        }
        let mut halved = None;
        let _ = self
            .cap
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
                let new = (old / 2).max(1);
                halved = (new < old).then_some((old, new));
                halved.map(|_| new)
            });
        GuardStep { halved }
    }
}

impl GuardStep {
    /// Apply the step to the run's record; `call` names the call that triggered it.
    pub fn record(&self, guard: &mut PackGuard, call: u64) {
        guard.shifted_packs += 1;
        if let Some((from, to)) = self.halved {
            guard.pack_size = Some(to);
            guard.steps.push(format!(
                "call {call}: {} packs moved values between blocks; pack size {from} -> {to}",
                guard.shifted_packs
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_second_shifted_pack_halves_down_to_one() {
        let g = PackGuardState::new(10, None);
        let steps: Vec<Option<(u32, u32)>> = (0..10).map(|_| g.shifted().halved).collect();
        assert_eq!(
            steps,
            vec![
                None,
                Some((10, 5)),
                None,
                Some((5, 2)),
                None,
                Some((2, 1)),
                None,
                None,
                None,
                None
            ]
        );
        assert_eq!(g.cap(40), 1);
    }

    #[test]
    fn a_resumed_run_keeps_its_halved_pack_size() {
        let stored = PackGuard {
            shifted_packs: 3,
            pack_size: Some(4),
            ..PackGuard::default()
        };
        let g = PackGuardState::new(10, Some(&stored));
        assert_eq!(g.cap(10), 4);
        assert_eq!(
            g.shifted().halved,
            Some((4, 2)),
            "the fourth shifted pack halves"
        );
    }
}
