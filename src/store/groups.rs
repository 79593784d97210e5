//! Run groups (SPEC §1a): created with all their member runs in one transaction, looked up by
//! id or unique prefix, listed, and found by project (the project delete guard).

use redb::ReadableTable;

use super::runs::insert_run;
use super::tables::{RUNS, RUN_GROUPS};
use super::{Store, StoreError};
use crate::model::{Run, RunGroup};

impl Store {
    /// Write `group` and every member run (with `(run, blocks)` one pending overlay per block)
    /// in ONE write transaction, linked to its project (which then cannot be deleted): a
    /// failure anywhere leaves no group and no member run. The project's members are read
    /// again inside the transaction; if they changed since the group was planned, nothing is
    /// written and the error says so.
    pub fn create_group(&self, group: &RunGroup, members: &[(Run, u32)]) -> Result<(), StoreError> {
        let tx = self.write()?;
        let now = super::projects::members_in(&tx, &group.project_ref)?;
        if now != group.conv_uids {
            return Err(StoreError::Changed(format!(
                "project '{}' changed while the run group was being made ({} members planned, \
                 {} now); nothing was created: run the command again",
                group.project_ref,
                group.conv_uids.len(),
                now.len()
            )));
        }
        super::projects::link_group(&tx, &group.project_ref, &group.group_id)?;
        {
            let mut groups = tx.open_table(RUN_GROUPS)?;
            if groups.get(group.group_id.as_str())?.is_some() {
                return Err(StoreError::Corrupt(format!(
                    "run group {} already exists",
                    group.group_id
                )));
            }
            groups.insert(
                group.group_id.as_str(),
                super::sealed::seal_json(group)?.as_slice(),
            )?;
        }
        // The tally first: each member's head below adds itself to it.
        let totals = members.iter().map(|(_, blocks)| *blocks).collect();
        super::head_tables::HeadTables::open(&tx)?.start_group(&group.group_id, totals)?;
        for (run, blocks) in members {
            insert_run(&tx, run, *blocks)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn get_group(&self, group_id: &str) -> Result<Option<RunGroup>, StoreError> {
        let tx = self.read()?;
        let t = tx.open_table(RUN_GROUPS)?;
        match t.get(group_id)? {
            Some(raw) => Ok(Some(super::sealed::open_json(raw.value(), || {
                format!("run group {group_id}")
            })?)),
            None => Ok(None),
        }
    }

    /// Resolve a full `group_id` or a unique prefix.
    pub fn resolve_group(&self, prefix: &str) -> Result<String, StoreError> {
        self.resolve_id(RUN_GROUPS, "run group", "grp_", prefix)
    }

    /// Every run group, oldest first.
    pub fn list_groups(&self) -> Result<Vec<RunGroup>, StoreError> {
        super::run_overview::groups_in(&self.read()?)
    }

    /// Ids of the run groups made from project `project_ref` (a project they use cannot be
    /// deleted).
    pub fn groups_of_project(&self, project_ref: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .list_groups()?
            .into_iter()
            .filter(|g| g.project_ref == project_ref)
            .map(|g| g.group_id)
            .collect())
    }

    /// A group's member runs in project order (one read transaction).
    pub fn group_runs(&self, group: &RunGroup) -> Result<Vec<Run>, StoreError> {
        self.get_runs(&group.run_ids)
    }

    /// These runs, in this order (one read transaction); a missing one is an error naming it.
    pub fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>, StoreError> {
        let tx = self.read()?;
        let runs = tx.open_table(RUNS)?;
        let mut out = Vec::with_capacity(run_ids.len());
        for id in run_ids {
            let raw = runs.get(id.as_str())?.ok_or_else(|| StoreError::NotFound {
                kind: "run",
                prefix: id.clone(),
            })?;
            out.push(super::sealed::open_json(raw.value(), || {
                format!("run {id}")
            })?);
        }
        Ok(out)
    }

    /// Set or clear a group's cancel flag (the member runs change through [`Store::with_runs`]).
    pub fn set_group_cancelled(&self, group_id: &str, cancelled: bool) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut t = tx.open_table(RUN_GROUPS)?;
            let mut group: RunGroup = match t.get(group_id)? {
                Some(raw) => {
                    super::sealed::open_json(raw.value(), || format!("run group {group_id}"))?
                }
                None => {
                    return Err(StoreError::NotFound {
                        kind: "run group",
                        prefix: group_id.to_string(),
                    })
                }
            };
            group.cancelled = cancelled;
            t.insert(group_id, super::sealed::seal_json(&group)?.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }
}
