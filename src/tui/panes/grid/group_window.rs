//! The grid's side of a run group: open one, read the visible window across member runs (one
//! bounded read per member the window touches), keep `run` on the cursor's member, and the
//! look-ups that are per run in a run's grid and member after member in a group's.

use std::sync::Arc;

use super::{GridPane, GridRow, GroupGrid};
use crate::model::{OverlayStatus, RunGroup};
use crate::tui::kit::Scope;
use crate::workspace::{self, Selection, Workspace};

/// What a group's grid opens on.
pub enum Members {
    /// Every member's head, in project order (shared with the Runs list).
    Heads(Vec<Arc<crate::store::Head>>),
    /// The group's stored tally (whole): the members are read when needed.
    Tally(crate::store::GroupTally),
    /// Nothing yet: read the members.
    Read,
}

impl GridPane {
    /// Show every block of `group`'s members (fresh cursor unless it is already shown).
    /// `members`: the member runs as just read (the Runs list), in project order, when the
    /// caller has them all (then they are not read again), else the group's stored tally.
    pub fn open_group(
        &mut self,
        ws: &Workspace,
        group: Arc<RunGroup>,
        members: Members,
    ) -> Result<(), workspace::Error> {
        let same = self
            .group
            .as_ref()
            .is_some_and(|g| g.group.group_id == group.group_id);
        if !same {
            self.fresh(ws, &group.schema_id)?;
            self.group = Some(match members {
                Members::Heads(runs) => GroupGrid::with_runs(group, runs),
                Members::Tally(tally) => GroupGrid::with_tally(group, tally),
                Members::Read => GroupGrid::load(ws, group)?,
            });
            self.run = None;
        }
        // The members' counters are as fresh as the list (a flush re-reads them).
        self.load_window(ws)
    }

    /// Whether the grid shows group `group_id`.
    pub fn shows_group(&self, group_id: &str) -> bool {
        self.group
            .as_ref()
            .is_some_and(|g| g.group.group_id == group_id)
    }

    /// In a group's grid, `run` is the cursor's member run (edits, the detail view and the
    /// app-wide keys act on it).
    pub(super) fn follow_member(&mut self) {
        let Some(g) = &self.group else {
            return;
        };
        let at = match &self.view {
            Some((_, kept)) => kept.get(self.cursor as usize).copied(),
            None => Some(self.cursor),
        };
        let m = at.and_then(|k| g.locate(k)).map_or(0, |(m, _)| m);
        let Some(run) = g.head_read(m) else {
            self.run = None;
            return;
        };
        if self.run.as_ref().map(|r| r.run_id.as_str()) != Some(run.run_id()) {
            self.run = Some(run.run().clone());
        }
    }

    /// The rows of the window `offset..offset + height` across member runs.
    pub(super) fn group_window(
        &mut self,
        ws: &Workspace,
    ) -> Result<Vec<GridRow>, workspace::Error> {
        let to = (self.offset + self.height.max(1)).min(self.total());
        let keys: Vec<u32> = (self.offset..to).map(|p| self.index_at(p)).collect();
        let Some(g) = self.group.as_mut() else {
            return Ok(Vec::new());
        };
        // Consecutive keys of one member make one part: (member, its block indices).
        let mut parts: Vec<(usize, Vec<u32>)> = Vec::new();
        for key in keys {
            let Some((m, i)) = g.locate(key) else {
                continue;
            };
            match parts.last_mut() {
                Some((last, v)) if *last == m => v.push(i),
                _ => parts.push((m, vec![i])),
            }
        }
        let mut rows = Vec::new();
        for (m, indices) in parts {
            let doc = g.name(ws, m);
            // The cursor's member becomes `run` (`follow_member`): its head is read.
            g.head(ws, m)?;
            let group = g.group.clone();
            let (run_id, conv_uid) = (&group.run_ids[m], &group.conv_uids[m]);
            let (lo, hi) = (indices[0], indices[indices.len() - 1]);
            let overlays = if hi - lo + 1 == indices.len() as u32 {
                ws.overlays_range(run_id, lo, hi + 1)?
            } else {
                let mut out = Vec::new();
                for &i in &indices {
                    out.extend(ws.overlay(run_id, i)?);
                }
                out
            };
            let at: Vec<u32> = overlays.iter().map(|o| o.block_index).collect();
            let blocks = ws.blocks_at(conv_uid, &at)?;
            for (ov, b) in overlays.into_iter().zip(blocks) {
                let look = super::evidence::needs_a_look(&ov);
                rows.push(GridRow {
                    index: g.key(m, ov.block_index),
                    block: ov.block_index,
                    doc: Some(doc.clone()),
                    block_type: b.block_type.as_str().to_string(),
                    content: b.block_content,
                    status: ov.status,
                    value: ov.status.shown(ov.confirmed, ov.staging).value(),
                    edited: ov.edited,
                    look,
                    error: ov.last_error,
                    invalid_answer: ov.invalid_answer,
                });
            }
        }
        Ok(rows)
    }

    /// The nearest row key at or after `from` (`forward`), else before it, whose block has
    /// `status`: in the run, or member after member in a group.
    pub(super) fn next_status(
        &self,
        ws: &Workspace,
        status: OverlayStatus,
        from: u32,
        forward: bool,
    ) -> Result<Option<u32>, workspace::Error> {
        match (&self.group, &self.run) {
            (Some(g), _) => g.next_with_status(ws, status, from, forward),
            (None, Some(run)) => ws.next_with_status(&run.run_id, status, from, forward),
            (None, None) => Ok(None),
        }
    }

    /// `sel` (row keys) as (run id, that run's block indices) parts: one in a run's grid, one
    /// per member it touches in a group's.
    pub fn review_parts(&self, sel: &Selection) -> Vec<(String, Selection)> {
        match (&self.group, &self.run) {
            (Some(g), _) => g.split(sel),
            (None, Some(run)) => vec![(run.run_id.clone(), sel.clone())],
            (None, None) => Vec::new(),
        }
    }

    /// What a search or filter runs over (a group's members are read first if the grid
    /// stands on the group's tally).
    pub fn scope(&mut self, ws: &Workspace) -> Option<Scope> {
        if let Some(g) = &mut self.group {
            g.read_members(ws).ok()?;
        }
        match (&self.group, &self.run) {
            (Some(g), _) => Some(g.scope()),
            (None, Some(run)) => Some(Scope::Run(Box::new(run.clone()))),
            (None, None) => None,
        }
    }
}
