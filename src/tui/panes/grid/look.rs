//! Review by exception in the grid (SPEC §4a "Needs a look"): `L` puts the staged values that
//! need a look first, then shows only them, then goes back to block order. What needs a look is
//! decided in `review::look` (behind the workspace); the compared or gold run chosen in the
//! Runs pane (`against`) adds the blocks that disagree with it.

use std::sync::Arc;

use super::{no_run, GridPane};
use crate::tui::kit::text::thousands;
use crate::tui::kit::Effect;
use crate::workspace::{BlockFilter as Filter, LookSet, Workspace};

/// How the grid orders its rows by "needs a look".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookMode {
    /// The blocks that need a look first (block order), then every other block.
    First,
    /// Only the blocks that need a look.
    Only,
}

impl GridPane {
    /// `L`: block order → needs a look first → only those → block order.
    pub(super) fn cycle_look(&mut self, ws: &Workspace) -> Vec<Effect> {
        if self.group.is_some() {
            return vec![Effect::Info(
                "needs a look orders one run's grid: open a member run (Runs pane, space, enter)"
                    .into(),
            )];
        }
        let Some(run) = self.run.clone() else {
            return vec![no_run()];
        };
        let next = match self.look {
            None => LookMode::First,
            Some(LookMode::First) => LookMode::Only,
            Some(LookMode::Only) => {
                let at = self.index();
                self.look = None;
                self.look_label = None;
                self.view = None;
                self.cursor = self.position_of(at);
                let mut fx = self.refresh(ws);
                fx.push(Effect::Info("block order again".into()));
                return fx;
            }
        };
        let (set, note) = match ws.look_set(&run, self.against.as_ref()) {
            Ok(v) => v,
            Err(e) => return vec![Effect::Error(format!("cannot tell what needs a look: {e}"))],
        };
        let kept = look_order(&set, run.counters.total, next);
        self.look = Some(next);
        self.look_label = Some(set.describe());
        self.keep_range();
        self.view = Some((Filter::default(), kept));
        self.cursor = 0;
        self.offset = 0;
        let mut fx = self.refresh(ws);
        let what = match next {
            LookMode::First => "needs a look first",
            LookMode::Only => "only what needs a look",
        };
        let mut msg = format!("{what}: {}", set.describe());
        if let Some(n) = note {
            msg.push_str(&format!(" · {n}"));
        }
        fx.push(Effect::Info(msg));
        fx
    }

    /// The title's ` [needs a look first: …]`, when the look order is on.
    pub(super) fn look_title(&self) -> Option<String> {
        let mode = self.look?;
        let what = match mode {
            LookMode::First => "needs a look first",
            LookMode::Only => "needs a look only",
        };
        let against = self
            .against
            .as_ref()
            .map(|a| {
                let short: String = a.run_id.chars().take(12).collect();
                format!(" · vs {}{short}", if a.gold { "gold " } else { "" })
            })
            .unwrap_or_default();
        Some(format!(
            " [{what}: {}{against}]",
            self.look_label.as_deref().unwrap_or("")
        ))
    }

    /// What needs a look in the open run, for `A`'s question (`None`: no run or a group).
    pub(super) fn look_now(&self, ws: &Workspace) -> Option<Result<LookSet, String>> {
        let run = self.run.as_ref().filter(|_| self.group.is_none())?;
        Some(
            ws.look_set(run, self.against.as_ref())
                .map(|(set, _)| set)
                .map_err(|e| e.to_string()),
        )
    }
}

/// The rows of a look order over a run of `total` blocks.
fn look_order(set: &LookSet, total: u32, mode: LookMode) -> Arc<[u32]> {
    match mode {
        LookMode::Only => set.look.iter().copied().collect(),
        LookMode::First => {
            let mut flagged = vec![false; total as usize];
            for &i in &set.look {
                if let Some(f) = flagged.get_mut(i as usize) {
                    *f = true;
                }
            }
            let rest = (0..total).filter(|&i| !flagged.get(i as usize).copied().unwrap_or(false));
            set.look.iter().copied().chain(rest).collect()
        }
    }
}

/// `A`'s question on a run: every staged block, or only the clean ones, both counted.
pub(super) fn confirm_question(run_id: &str, staged: u32, set: &LookSet) -> String {
    format!(
        "Confirm all {} staged blocks of run {run_id}? {} need a look, {} are clean.",
        thousands(staged),
        thousands(set.look.len() as u32),
        thousands(set.clean.len() as u32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_first_puts_the_flagged_blocks_first_then_every_other_in_block_order() {
        let set = LookSet {
            look: vec![2, 5],
            clean: vec![0, 1],
            ..LookSet::default()
        };
        assert_eq!(
            &*look_order(&set, 7, LookMode::First),
            &[2, 5, 0, 1, 3, 4, 6]
        );
        assert_eq!(&*look_order(&set, 7, LookMode::Only), &[2, 5]);
    }
}
