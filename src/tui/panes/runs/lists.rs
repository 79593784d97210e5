//! The Runs list's contents: the runs and groups a reload or the launch gives, each group
//! summed (from its members, or its stored tally while the launch has not listed them), the
//! rows laid out, and the cursor kept on what it was on.

use std::sync::Arc;

use super::run_groups::{self, Entry};
use super::RunsPane;
use crate::model::{Run, RunGroup};
use crate::store::{GroupTally, Head};

impl RunsPane {
    /// Replace the stored groups (after a reload) and sum them again.
    pub fn set_groups(&mut self, groups: Vec<RunGroup>) {
        let keep = self.cursor_key();
        let records: Vec<Arc<RunGroup>> = groups.into_iter().map(Arc::new).collect();
        // Without the members (their list could not be read), a group keeps its tally.
        self.tallies = records
            .iter()
            .map(|g| self.tally(&g.group_id).filter(|_| !self.members_listed))
            .collect();
        self.records = records;
        self.rebuild(keep);
    }

    /// Replace the groups and the runs at once (a full reload, or the launch: then `runs`
    /// lacks the members and `tallies` sums them): the rows are laid out once.
    pub fn set_lists(
        &mut self,
        groups: Vec<RunGroup>,
        tallies: Vec<Option<GroupTally>>,
        runs: Vec<Head>,
        members_listed: bool,
    ) {
        let keep = self.cursor_key();
        self.records = groups.into_iter().map(Arc::new).collect();
        self.tallies = tallies;
        self.tallies.resize(self.records.len(), None);
        self.members_listed = members_listed;
        self.put_runs(runs);
        self.rebuild(keep);
    }

    /// How many runs there are, the members of every group included (counted by the tallies
    /// while `runs` lacks them).
    pub fn run_count(&self) -> usize {
        let unlisted: usize = self
            .tallies
            .iter()
            .flatten()
            .map(|t| t.included as usize)
            .sum();
        self.runs.len() + unlisted
    }

    /// Group `group_id`'s stored tally, while the members are not listed.
    pub fn tally(&self, group_id: &str) -> Option<GroupTally> {
        let i = self.records.iter().position(|g| g.group_id == group_id)?;
        self.tallies.get(i)?.clone()
    }

    /// What the cursor is on, to find it again after the rows change.
    fn cursor_key(&self) -> Option<String> {
        match self.entries.get(self.cursor)? {
            Entry::Group(g) => self.groups.get(*g).map(|g| g.group.group_id.clone()),
            _ => self.current().map(|r| r.run_id.clone()),
        }
    }

    /// Sum the groups, lay out the rows and put the cursor back on `keep`.
    fn rebuild(&mut self, keep: Option<String>) {
        self.groups = run_groups::group_rows(&self.records, &self.tallies, &self.runs);
        self.entries = run_groups::entries(&self.runs, &self.groups, &self.unfolded);
        self.cursor = crate::tui::kit::moved(self.cursor, self.entries.len(), 0);
        if let Some(id) = keep {
            self.select(&id);
        }
    }

    /// `group`'s member runs in project order, if the list has every one of them (shared, not
    /// copied).
    pub fn members(&self, group: &RunGroup) -> Option<Vec<Arc<Head>>> {
        if !self.members_listed {
            return None;
        }
        let listed = self
            .groups
            .iter()
            .find(|g| g.group.group_id == group.group_id && g.group.run_ids == group.run_ids);
        if let Some(row) = listed {
            return (row.members.len() == group.run_ids.len())
                .then(|| row.members.iter().map(|&i| self.runs[i].clone()).collect());
        }
        let by_id: rustc_hash::FxHashMap<&str, &Arc<Head>> =
            self.runs.iter().map(|r| (r.run_id(), r)).collect();
        group
            .run_ids
            .iter()
            .map(|id| by_id.get(id.as_str()).map(|r| Arc::clone(r)))
            .collect()
    }

    /// Show or hide the member runs of the group `group_id`.
    pub fn fold(&mut self, group_id: &str) {
        if !self.unfolded.remove(group_id) {
            self.unfolded.insert(group_id.to_string());
        }
        self.rebuild(Some(group_id.to_string()));
    }

    pub fn find(&self, run_id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.is(run_id)).map(|r| r.run())
    }

    /// Replace the list (after a reload: every run, the members too), newest first, keeping
    /// the cursor on the same run.
    pub fn set_runs(&mut self, runs: Vec<Head>) {
        let keep = self.current().map(|r| r.run_id.clone());
        self.members_listed = true;
        self.tallies = vec![None; self.records.len()];
        self.put_runs(runs);
        self.rebuild(keep);
    }

    /// Keep `runs` newest first (the store lists them oldest first: then a reversal will do).
    fn put_runs(&mut self, mut runs: Vec<Head>) {
        runs.reverse();
        if !runs.is_sorted_by(|a, b| a.order_key() >= b.order_key()) {
            runs.sort_by(|a, b| b.order_key().cmp(&a.order_key()));
        }
        self.runs = runs.into_iter().map(Arc::new).collect();
    }

    /// Put the cursor on `id` (a run, else the group holding it, or a group) when it is listed.
    pub fn select(&mut self, id: &str) {
        let run = self.runs.iter().position(|r| r.is(id));
        let at = self.entries.iter().position(|e| match e {
            Entry::Run(i) | Entry::Member(_, i) => Some(*i) == run,
            Entry::Group(g) => self.groups[*g].group.group_id == id,
        });
        let holder = || {
            let g = self
                .groups
                .iter()
                .position(|g| g.group.run_ids.iter().any(|r| r == id))?;
            self.entries.iter().position(|e| *e == Entry::Group(g))
        };
        if let Some(i) = at.or_else(holder) {
            self.cursor = i;
        }
    }
}
