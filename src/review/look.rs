//! Review by exception (SPEC §4a "Needs a look"): which staged values a reviewer should look at
//! first. A staged value needs a look when a grounded value of it is `none`, `fuzzy` or
//! `neighbour`, when it passed only after a validation retry, or when it is one of `differing`
//! (blocks that disagree with a compared run or differ from gold, found by the caller).

use std::collections::{BTreeSet, HashSet};

use crate::model::{Overlay, OverlayStatus, Run};
use crate::store::{Store, StoreError};

/// Why a staged block needs a look, counted over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookSet {
    /// Staged blocks that need a look, ascending.
    pub look: Vec<u32>,
    /// Staged blocks that do not (the clean ones), ascending.
    pub clean: Vec<u32>,
    /// How many of `look` have a value grounded `none`, `fuzzy` or `neighbour`.
    pub ungrounded: u32,
    /// How many passed only after a validation retry.
    pub fixed: u32,
    /// How many are in the caller's `differing` set.
    pub differing: u32,
}

/// Whether the overlay's value has a grounded value that needs a look.
pub fn ungrounded(ov: &Overlay) -> bool {
    ov.evidence.iter().flatten().any(|s| s.kind.needs_a_look())
}

/// Split the staged blocks of `run` into those that need a look and the clean ones, in one pass
/// over the overlays (block order) and one over the call records.
pub fn look_set(
    store: &Store,
    run: &Run,
    differing: &BTreeSet<u32>,
) -> Result<LookSet, StoreError> {
    let fixed_calls: HashSet<u64> = store
        .calls(&run.run_id)?
        .into_iter()
        .filter(|c| c.feedback.as_ref().is_some_and(|f| f.passed.is_some()))
        .map(|c| c.seq)
        .collect();
    let mut out = LookSet::default();
    store.for_each_overlay(&run.run_id, |ov| {
        if ov.status != OverlayStatus::AiComplete {
            return Ok(());
        }
        let bad = ungrounded(&ov);
        let fixed = ov.result_call.is_some_and(|s| fixed_calls.contains(&s));
        let differs = differing.contains(&ov.block_index);
        out.ungrounded += u32::from(bad);
        out.fixed += u32::from(fixed);
        out.differing += u32::from(differs);
        if bad || fixed || differs {
            out.look.push(ov.block_index);
        } else {
            out.clean.push(ov.block_index);
        }
        Ok(())
    })?;
    Ok(out)
}

impl LookSet {
    /// `12 need a look (3 ungrounded · 1 fixed after a retry · 8 differ) · 40 clean`.
    pub fn describe(&self) -> String {
        let mut why = Vec::new();
        if self.ungrounded > 0 {
            why.push(format!("{} not grounded in their block", self.ungrounded));
        }
        if self.fixed > 0 {
            why.push(format!("{} fixed after a validation retry", self.fixed));
        }
        if self.differing > 0 {
            why.push(format!(
                "{} differ from the compared or gold run",
                self.differing
            ));
        }
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" ({})", why.join(" · "))
        };
        format!(
            "{} need a look{why} · {} clean",
            self.look.len(),
            self.clean.len()
        )
    }
}
