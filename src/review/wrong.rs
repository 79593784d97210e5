//! Blocks in the wrong state for a review action. A selection is acted on where it can be: the
//! others are reported back as skipped, each with its state. Only when no block of the selection
//! can be acted on is the action refused (nothing changed).

use super::{Action, ReviewError, NAMED_WRONG};
use crate::model::OverlayStatus;

/// One block a review action left alone, and the state that kept it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedBlock {
    pub index: u32,
    pub status: OverlayStatus,
}

/// Collects blocks in the wrong state while a transaction walks a selection.
pub(super) struct Wrong {
    action: Action,
    blocks: Vec<SkippedBlock>,
}

impl Wrong {
    pub(super) fn new(action: Action) -> Wrong {
        Wrong {
            action,
            blocks: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, index: u32, status: OverlayStatus) {
        self.blocks.push(SkippedBlock { index, status });
    }

    fn refusal(self, run_id: &str) -> ReviewError {
        let total = self.blocks.len();
        ReviewError::WrongState {
            run_id: run_id.to_string(),
            action: self.action,
            wrong: self
                .blocks
                .iter()
                .take(NAMED_WRONG)
                .map(|s| (s.index, s.status))
                .collect(),
            wrong_total: total,
        }
    }

    /// All or nothing: any block in the wrong state refuses the whole action (undo, one-block
    /// actions).
    pub(super) fn into_result(self, run_id: &str) -> Result<(), ReviewError> {
        if self.blocks.is_empty() {
            return Ok(());
        }
        Err(self.refusal(run_id))
    }

    /// Where it can be: with `done` blocks acted on, the others are returned as skipped; with
    /// none acted on, the action is refused and the transaction writes nothing.
    pub(super) fn into_skipped(
        self,
        run_id: &str,
        done: usize,
    ) -> Result<Vec<SkippedBlock>, ReviewError> {
        if done == 0 && !self.blocks.is_empty() {
            return Err(self.refusal(run_id));
        }
        Ok(self.blocks)
    }
}

/// "2 skipped: block 3 is pending, block 9 is failed (only staged blocks can be confirmed)",
/// naming the first few blocks; `None` when nothing was skipped.
pub fn skipped_line(action: Action, skipped: &[SkippedBlock]) -> Option<String> {
    if skipped.is_empty() {
        return None;
    }
    let named: Vec<String> = skipped
        .iter()
        .take(NAMED_WRONG)
        .map(|s| format!("block {} is {}", s.index, s.status.as_str()))
        .collect();
    let more = match skipped.len().saturating_sub(NAMED_WRONG) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Some(format!(
        "{} skipped: {}{more} ({})",
        skipped.len(),
        named.join(", "),
        super::state_rule(action)
    ))
}
