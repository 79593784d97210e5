//! The grid of a run group (issue 22): every block of every member run in project order, one
//! dense list of keys (`key = start of the member + block index`), so the cursor, the filter,
//! the search and the next / previous keys cross document boundaries like any other row. Only
//! the visible window is read; a member's file name is read the first time one of its rows is
//! shown. Review actions are split by member run, each with that run's own block indices.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{sanitize_line, MemberState, OverlayStatus, Run, RunCounters, RunGroup};
use crate::store::{GroupTally, Head};
use crate::tui::kit::Scope;
use crate::workspace::{self, Selection, Workspace};

/// A run group open in the grid.
#[derive(Debug, Clone)]
pub struct GroupGrid {
    /// Shared with the Runs pane's row of the group.
    pub group: Arc<RunGroup>,
    /// The member runs in project order, as last read (heads: no creation snapshot; shared
    /// with the Runs pane's list when they came from it). Empty while the grid stands on the
    /// group's stored tally (a launch: the members are read after the first frame).
    runs: Vec<Arc<Head>>,
    /// The stored tally (sums and block totals) while `runs` is empty.
    tally: Option<GroupTally>,
    /// Heads of the members the window showed, read one by one while `runs` is empty.
    loose: HashMap<usize, Arc<Head>>,
    /// `starts[m]`: the key of member `m`'s block 0; one more entry holds the total.
    starts: Vec<u32>,
    /// File names read so far, by member (sanitized, one line).
    names: HashMap<usize, String>,
}

impl GroupGrid {
    /// Read the group's member runs (one read transaction) and lay out their keys.
    pub fn load(ws: &Workspace, group: Arc<RunGroup>) -> Result<GroupGrid, workspace::Error> {
        let runs = shared(ws.group_run_heads(&group)?);
        Ok(GroupGrid::with_runs(group, runs))
    }

    /// Over member runs already read (in project order).
    pub fn with_runs(group: Arc<RunGroup>, runs: Vec<Arc<Head>>) -> GroupGrid {
        GroupGrid::new(group, runs, None)
    }

    /// Over the group's stored tally (whole: `GroupTally::is_whole`): its sums and block
    /// totals, the members read when something needs them.
    pub fn with_tally(group: Arc<RunGroup>, tally: GroupTally) -> GroupGrid {
        GroupGrid::new(group, Vec::new(), Some(tally))
    }

    fn new(group: Arc<RunGroup>, runs: Vec<Arc<Head>>, tally: Option<GroupTally>) -> GroupGrid {
        let mut g = GroupGrid {
            group,
            runs,
            tally,
            loose: HashMap::new(),
            starts: Vec::new(),
            names: HashMap::new(),
        };
        g.lay_out();
        g
    }

    /// Whether every member's head is here (else the grid stands on the tally).
    pub fn members_read(&self) -> bool {
        self.runs.len() == self.group.run_ids.len()
    }

    /// Member heads read elsewhere (the Runs list), in project order: the grid keeps them.
    pub fn attach(&mut self, runs: Vec<Arc<Head>>) {
        if runs.len() == self.group.run_ids.len() {
            self.runs = runs;
            self.tally = None;
            self.loose.clear();
            self.lay_out();
        }
    }

    /// Read every member's head if the grid stands on the tally.
    pub fn read_members(&mut self, ws: &Workspace) -> Result<(), workspace::Error> {
        if !self.members_read() {
            self.refresh(ws)?;
        }
        Ok(())
    }

    /// Member `m`'s head: from the members read, else read alone once (the window's members).
    pub fn head(
        &mut self,
        ws: &Workspace,
        m: usize,
    ) -> Result<Option<Arc<Head>>, workspace::Error> {
        if let Some(h) = self.head_read(m) {
            return Ok(Some(h.clone()));
        }
        let Some(id) = self.group.run_ids.get(m) else {
            return Ok(None);
        };
        let head = shared(ws.run_heads(std::slice::from_ref(id))?)
            .pop()
            .expect("one head per id");
        self.loose.insert(m, head.clone());
        Ok(Some(head))
    }

    /// Member `m`'s head if it has been read.
    pub fn head_read(&self, m: usize) -> Option<&Arc<Head>> {
        self.runs.get(m).or_else(|| self.loose.get(&m))
    }

    /// Every member's head: those read, else read now for one look-up (the grid keeps standing
    /// on the tally).
    fn members(&self, ws: &Workspace) -> Result<Cow<'_, [Arc<Head>]>, workspace::Error> {
        if self.members_read() {
            return Ok(Cow::Borrowed(&self.runs));
        }
        Ok(Cow::Owned(shared(ws.group_run_heads(&self.group)?)))
    }

    /// How many members have staged blocks (their heads read for it if need be).
    pub fn staged_members(&self, ws: &Workspace) -> Result<usize, workspace::Error> {
        let members = self.members(ws)?;
        Ok(members
            .iter()
            .filter(|r| r.counters().ai_complete > 0)
            .count())
    }

    /// How many member runs the group has.
    pub fn len(&self) -> usize {
        self.group.run_ids.len()
    }

    fn lay_out(&mut self) {
        let mut at = 0u32;
        self.starts = Vec::with_capacity(self.len() + 1);
        // A tally is kept only while the members are not read.
        let totals: Box<dyn Iterator<Item = u32> + '_> = match &self.tally {
            Some(t) => Box::new(t.totals.iter().copied()),
            None => Box::new(self.runs.iter().map(|r| r.counters().total)),
        };
        for total in totals {
            self.starts.push(at);
            at = at.saturating_add(total);
        }
        self.starts.push(at);
    }

    /// Re-read the members' counters (after reviews or worker progress).
    pub fn refresh(&mut self, ws: &Workspace) -> Result<(), workspace::Error> {
        self.runs = shared(ws.group_run_heads(&self.group)?);
        self.tally = None;
        self.loose.clear();
        self.lay_out();
        Ok(())
    }

    /// Blocks of every member.
    pub fn total(&self) -> u32 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The members' counters summed (the tally's while the members are not read).
    pub fn counters(&self) -> RunCounters {
        if let Some(t) = &self.tally {
            return t.counters();
        }
        let mut c = RunCounters::default();
        for r in &self.runs {
            c.add(r.counters());
        }
        c
    }

    /// The member and block index of `key` (`None`: past the end).
    pub fn locate(&self, key: u32) -> Option<(usize, u32)> {
        if key >= self.total() {
            return None;
        }
        // The last member starting at or before `key` (empty members share their start).
        let m = self.starts.partition_point(|&s| s <= key) - 1;
        Some((m, key - self.starts[m]))
    }

    /// The key of block `index` of member `m`.
    pub fn key(&self, m: usize, index: u32) -> u32 {
        self.starts[m] + index
    }

    /// Member `m`'s file name, read once (sanitized; the grid cuts it to its column).
    pub fn name(&mut self, ws: &Workspace, m: usize) -> String {
        if let Some(n) = self.names.get(&m) {
            return n.clone();
        }
        let conv = &self.group.conv_uids[m];
        let name = match ws.get_document(conv) {
            Ok(Some(d)) => sanitize_line(&d.file_name).into_owned(),
            _ => conv.chars().take(12).collect(),
        };
        self.names.insert(m, name.clone());
        name
    }

    /// Every member's file name (the filter lists them).
    pub fn all_names(&mut self, ws: &Workspace) -> Vec<String> {
        (0..self.len()).map(|m| self.name(ws, m)).collect()
    }

    /// `sel` (keys) split by member: (run id, that run's block indices), in project order.
    pub fn split(&self, sel: &Selection) -> Vec<(String, Selection)> {
        let mut parts: Vec<(usize, Vec<u32>)> = Vec::new();
        for key in sel.iter() {
            let Some((m, i)) = self.locate(key) else {
                continue;
            };
            match parts.last_mut() {
                Some((last, v)) if *last == m => v.push(i),
                _ => parts.push((m, vec![i])),
            }
        }
        parts
            .into_iter()
            .map(|(m, v)| (self.group.run_ids[m].clone(), Selection::from_indices(v)))
            .collect()
    }

    /// The first key at or after `from` (`forward`), else the last before it, whose block has
    /// `status`, looking member after member (members whose counters have none are skipped).
    pub fn next_with_status(
        &self,
        ws: &Workspace,
        status: OverlayStatus,
        from: u32,
        forward: bool,
    ) -> Result<Option<u32>, workspace::Error> {
        let runs = self.members(ws)?;
        let n = runs.len();
        let (m0, i0) = self.locate(from).unwrap_or((n.saturating_sub(1), u32::MAX));
        let has = |r: &Head| match status {
            OverlayStatus::Failed => r.counters().failed > 0,
            OverlayStatus::AiComplete => r.counters().ai_complete > 0,
            _ => true,
        };
        let order: Box<dyn Iterator<Item = usize>> = if forward {
            Box::new(m0..n)
        } else {
            Box::new((0..=m0.min(n.saturating_sub(1))).rev())
        };
        for m in order {
            let run = &runs[m];
            if n == 0 || !has(run) {
                continue;
            }
            let local = match (m == m0, forward) {
                (true, _) => i0.min(run.counters().total),
                (false, true) => 0,
                (false, false) => run.counters().total,
            };
            if let Some(i) = ws.next_with_status(run.run_id(), status, local, forward)? {
                return Ok(Some(self.key(m, i)));
            }
        }
        Ok(None)
    }

    /// What a search or filter job runs over: every member with its first key (the members
    /// read: [`GroupGrid::read_members`] first).
    pub fn scope(&self) -> Scope {
        Scope::Group(
            self.runs
                .iter()
                .zip(&self.starts)
                .map(|(r, s)| (r.run().clone(), *s))
                .collect(),
        )
    }
}

/// Runs read whole, as the shared heads the grid holds.
fn shared(runs: Vec<Run>) -> Vec<Arc<Head>> {
    runs.into_iter().map(|r| Arc::new(Head::from(r))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    fn grid(totals: &[u32]) -> GroupGrid {
        let runs: Vec<Arc<Head>> = totals
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut r = Run::new(
                    &format!("run_{i}"),
                    "c",
                    ("s", "s", "u"),
                    ModelConfig::fixed("demo", "m", 0.0, 9),
                    "me",
                );
                r.counters.total = *t;
                Arc::new(Head::from(r))
            })
            .collect();
        GroupGrid::with_runs(
            Arc::new(crate::model::RunGroup {
                group_id: "grp_x".into(),
                project_ref: "p".into(),
                schema_id: "s".into(),
                schema_ref: "s".into(),
                schema_uid: "u".into(),
                run_ids: runs.iter().map(|r| r.run_id.clone()).collect(),
                conv_uids: vec!["c".into(); runs.len()],
                created_at: String::new(),
                created_by: "me".into(),
                cancelled: false,
            }),
            runs,
        )
    }

    #[test]
    fn keys_map_to_members_across_empty_ones_and_selections_split_by_run() {
        let g = grid(&[3, 0, 2, 4]);
        assert_eq!(g.total(), 9);
        assert_eq!(g.locate(0), Some((0, 0)));
        assert_eq!(g.locate(2), Some((0, 2)));
        // Key 3 is block 0 of member 2: the empty member 1 owns no key.
        assert_eq!(g.locate(3), Some((2, 0)));
        assert_eq!(g.locate(5), Some((3, 0)));
        assert_eq!(g.locate(9), None);
        assert_eq!(g.key(3, 3), 8);
        let parts = g.split(&Selection::from_indices([1, 2, 3, 8]));
        let shown: Vec<(String, String)> = parts
            .iter()
            .map(|(r, s)| (r.clone(), s.to_string()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("run_0".to_string(), "1-2".to_string()),
                ("run_2".to_string(), "0".to_string()),
                ("run_3".to_string(), "3".to_string()),
            ]
        );
    }
}
