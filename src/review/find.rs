//! Finding work in a run without building rows: which blocks a filter by status and block type
//! keeps, and which a search over block content and shown values hits. Both return block
//! indices (ascending) as a compact `Arc<[u32]>`; the TUI runs them as background jobs through
//! the workspace.

use std::sync::Arc;

use crate::model::{BlockType, OverlayStatus, Run};
use crate::store::{Store, StoreError};

/// The status choices of the filter (`staged` includes `edited`, the staged blocks with a draft
/// edit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChoice {
    Pending,
    Staged,
    Edited,
    Confirmed,
    Failed,
    /// Skipped by type (`worker.skip_block_types`).
    Skipped,
}

impl StatusChoice {
    pub const ALL: [StatusChoice; 6] = [
        StatusChoice::Pending,
        StatusChoice::Staged,
        StatusChoice::Edited,
        StatusChoice::Confirmed,
        StatusChoice::Failed,
        StatusChoice::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusChoice::Pending => "pending",
            StatusChoice::Staged => "staged",
            StatusChoice::Edited => "edited",
            StatusChoice::Confirmed => "confirmed",
            StatusChoice::Failed => "failed",
            StatusChoice::Skipped => "skipped",
        }
    }
}

/// Which blocks the grid shows: any of `statuses` (none = every status) and any of `types`
/// (none = every type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub statuses: Vec<StatusChoice>,
    pub types: Vec<BlockType>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty() && self.types.is_empty()
    }

    /// For the grid title: `staged, failed · heading`.
    pub fn describe(&self) -> String {
        let s: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
        let t: Vec<&str> = self.types.iter().map(|t| t.as_str()).collect();
        match (s.is_empty(), t.is_empty()) {
            (false, false) => format!("{} · {}", s.join(", "), t.join(", ")),
            (false, true) => s.join(", "),
            (true, false) => t.join(", "),
            (true, true) => "all".into(),
        }
    }

    /// The matching block indices, ascending. Statuses come from the status index (no overlay
    /// decoded) except `edited`; types need one pass over the blocks.
    pub fn apply(&self, store: &Store, run: &Run) -> Result<Arc<[u32]>, StoreError> {
        let total = run.counters.total as usize;
        let mut keep = vec![self.statuses.is_empty(); total];
        for choice in &self.statuses {
            let status = match choice {
                StatusChoice::Pending => OverlayStatus::Pending,
                StatusChoice::Staged => OverlayStatus::AiComplete,
                StatusChoice::Confirmed => OverlayStatus::Confirmed,
                StatusChoice::Failed => OverlayStatus::Failed,
                StatusChoice::Skipped => OverlayStatus::Skipped,
                StatusChoice::Edited => {
                    store.for_each_overlay(&run.run_id, |ov| {
                        if ov.status == OverlayStatus::AiComplete && ov.edited {
                            mark(&mut keep, ov.block_index);
                        }
                        Ok(())
                    })?;
                    continue;
                }
            };
            for i in store.indices_with_status(&run.run_id, status)? {
                mark(&mut keep, i);
            }
        }
        if !self.types.is_empty() {
            store.for_each_block(&run.conv_uid, |b| {
                if !self.types.contains(&b.block_type) {
                    if let Some(k) = keep.get_mut(b.block_index as usize) {
                        *k = false;
                    }
                }
                Ok(())
            })?;
        }
        Ok(indices(&keep))
    }
}

fn mark(keep: &mut [bool], i: u32) {
    if let Some(k) = keep.get_mut(i as usize) {
        *k = true;
    }
}

fn indices(keep: &[bool]) -> Arc<[u32]> {
    keep.iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i as u32)
        .collect()
}

/// Blocks whose content or shown value (confirmed, else staged) contains `query`, ignoring
/// case. One pass over the blocks and one over the overlays.
pub fn search(store: &Store, run: &Run, query: &str) -> Result<Arc<[u32]>, StoreError> {
    let needle = query.to_lowercase();
    let mut hit = vec![false; run.counters.total as usize];
    store.for_each_block(&run.conv_uid, |b| {
        if contains_ci(&b.block_content, &needle) {
            mark(&mut hit, b.block_index);
        }
        Ok(())
    })?;
    store.for_each_overlay(&run.run_id, |ov| {
        let shown = ov.status.shown(ov.confirmed, ov.staging).value();
        if shown.is_some_and(|v| contains_ci(&v.to_string(), &needle)) {
            mark(&mut hit, ov.block_index);
        }
        Ok(())
    })?;
    Ok(indices(&hit))
}

/// `haystack` contains the lower-cased `needle`, ignoring case (ASCII fast path).
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case() {
        assert!(contains_ci("The Provider shall", "provider"));
        assert!(!contains_ci("abc", ""));
        assert!(contains_ci("Ärger", "ärger"));
    }
}
