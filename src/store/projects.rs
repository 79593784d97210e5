//! Projects: the record, the ordered member list, and the "used by a run group" guard (SPEC §1a).
//!
//! Every change is one write transaction. The `*_in` functions take an open write transaction so
//! other writers (folder ingest, run-group creation) join or read a project in their own commit.

use redb::{ReadableTable, WriteTransaction};

use super::tables::PROJECT_POSITIONS;
use super::tables::{DOCUMENTS, DOCUMENT_PROJECTS, PROJECTS, PROJECT_GROUPS, PROJECT_MEMBERS};
use super::{Store, StoreError};
use crate::model::{MembershipChange, Project};

/// What `delete_project` did.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectDelete {
    Deleted(Project),
    /// Refused: these run groups were created from the project. Nothing was written.
    UsedByGroups {
        project: Project,
        group_ids: Vec<String>,
    },
}

/// A sealed project record (`sealed.rs`), checked and decoded.
fn decode(raw: &[u8], project_ref: &str) -> Result<Project, StoreError> {
    super::sealed::open_json(raw, || format!("project {project_ref}"))
}

fn not_found(project_ref: &str) -> StoreError {
    StoreError::NotFound {
        kind: "project",
        prefix: project_ref.to_string(),
    }
}

/// The project record inside a write transaction, or `NotFound`.
pub(crate) fn project_in(tx: &WriteTransaction, project_ref: &str) -> Result<Project, StoreError> {
    let t = tx.open_table(PROJECTS)?;
    let found = t.get(project_ref)?;
    match found {
        Some(raw) => decode(raw.value(), project_ref),
        None => Err(not_found(project_ref)),
    }
}

/// Store `project` as a new, empty project (the caller checked that the ref is free).
pub(crate) fn put_new_project(
    tx: &WriteTransaction,
    project: &Project,
) -> Result<Project, StoreError> {
    let mut fresh = project.clone();
    fresh.member_count = 0;
    fresh.next_position = 0;
    put_project(tx, &fresh)?;
    Ok(fresh)
}

fn put_project(tx: &WriteTransaction, project: &Project) -> Result<(), StoreError> {
    let mut t = tx.open_table(PROJECTS)?;
    t.insert(
        project.project_ref.as_str(),
        super::sealed::seal_json(project)?.as_slice(),
    )?;
    Ok(())
}

/// Append `conv_uids` (in order) to the project inside `tx`; a document already a member keeps
/// its place and is reported unchanged (also when it appears twice in `conv_uids`). Every
/// document must exist in this transaction's view of the store.
pub(crate) fn add_members_in(
    tx: &WriteTransaction,
    project_ref: &str,
    conv_uids: &[String],
) -> Result<MembershipChange, StoreError> {
    let mut project = project_in(tx, project_ref)?;
    let mut change = MembershipChange::default();
    {
        let docs = tx.open_table(DOCUMENTS)?;
        let mut members = tx.open_table(PROJECT_MEMBERS)?;
        let mut positions = tx.open_table(PROJECT_POSITIONS)?;
        let mut by_doc = tx.open_table(DOCUMENT_PROJECTS)?;
        for conv in conv_uids {
            if docs.get(conv.as_str())?.is_none() {
                return Err(StoreError::NotFound {
                    kind: "document",
                    prefix: conv.clone(),
                });
            }
            if positions.get((project_ref, conv.as_str()))?.is_some() {
                change.unchanged.push(conv.clone());
                continue;
            }
            let at = project.next_position;
            members.insert((project_ref, at), conv.as_str())?;
            positions.insert((project_ref, conv.as_str()), at)?;
            by_doc.insert((conv.as_str(), project_ref), ())?;
            project.next_position += 1;
            project.member_count += 1;
            change.changed.push(conv.clone());
        }
    }
    put_project(tx, &project)?;
    Ok(change)
}

/// The members of a project in project order, read inside a write transaction (a run group
/// snapshots them in the transaction that creates it).
pub(crate) fn members_in(
    tx: &WriteTransaction,
    project_ref: &str,
) -> Result<Vec<String>, StoreError> {
    project_in(tx, project_ref)?;
    let members = tx.open_table(PROJECT_MEMBERS)?;
    collect_members(&members, project_ref)
}

fn collect_members(
    members: &impl ReadableTable<(&'static str, u64), &'static str>,
    project_ref: &str,
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for entry in members.range((project_ref, 0u64)..=(project_ref, u64::MAX))? {
        let (_, v) = entry?;
        out.push(v.value().to_string());
    }
    Ok(out)
}

/// Record that run group `group_id` was created from `project_ref` (call it in the transaction
/// that creates the group): from then on the project cannot be deleted.
pub(crate) fn link_group(
    tx: &WriteTransaction,
    project_ref: &str,
    group_id: &str,
) -> Result<(), StoreError> {
    project_in(tx, project_ref)?;
    tx.open_table(PROJECT_GROUPS)?
        .insert((project_ref, group_id), ())?;
    Ok(())
}

/// Forget that `group_id` uses `project_ref` (when the group itself is deleted).
#[allow(dead_code)] // for run-group deletion (issue 22 item 3, branch issue-22-groups)
pub(crate) fn unlink_group(
    tx: &WriteTransaction,
    project_ref: &str,
    group_id: &str,
) -> Result<(), StoreError> {
    tx.open_table(PROJECT_GROUPS)?
        .remove((project_ref, group_id))?;
    Ok(())
}

fn second_keys(
    table: &impl ReadableTable<(&'static str, &'static str), ()>,
    first: &str,
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for entry in table.range((first, "")..)? {
        let (k, _) = entry?;
        let (a, b) = k.value();
        if a != first {
            break;
        }
        out.push(b.to_string());
    }
    Ok(out)
}

impl Store {
    /// Create an empty project. `Ok(None)` when the ref is taken (nothing written).
    pub fn create_project(&self, project: &Project) -> Result<Option<Project>, StoreError> {
        let tx = self.write()?;
        if tx
            .open_table(PROJECTS)?
            .get(project.project_ref.as_str())?
            .is_some()
        {
            tx.abort()?;
            return Ok(None);
        }
        let fresh = put_new_project(&tx, project)?;
        tx.commit()?;
        Ok(Some(fresh))
    }

    pub fn get_project(&self, project_ref: &str) -> Result<Option<Project>, StoreError> {
        let tx = self.read()?;
        let t = tx.open_table(PROJECTS)?;
        match t.get(project_ref)? {
            Some(raw) => Ok(Some(decode(raw.value(), project_ref)?)),
            None => Ok(None),
        }
    }

    /// Every project, by ref.
    pub fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        let tx = self.read()?;
        let t = tx.open_table(PROJECTS)?;
        let mut out = Vec::new();
        for entry in t.iter()? {
            let (k, v) = entry?;
            out.push(decode(v.value(), k.value())?);
        }
        Ok(out)
    }

    /// The members of a project in project order (`NotFound` for an unknown project).
    pub fn project_members(&self, project_ref: &str) -> Result<Vec<String>, StoreError> {
        let tx = self.read()?;
        if tx.open_table(PROJECTS)?.get(project_ref)?.is_none() {
            return Err(not_found(project_ref));
        }
        let members = tx.open_table(PROJECT_MEMBERS)?;
        collect_members(&members, project_ref)
    }

    /// Append documents to a project in one transaction (all or nothing).
    pub fn add_project_members(
        &self,
        project_ref: &str,
        conv_uids: &[String],
    ) -> Result<MembershipChange, StoreError> {
        let tx = self.write()?;
        let change = add_members_in(&tx, project_ref, conv_uids)?;
        tx.commit()?;
        Ok(change)
    }

    /// Remove documents from a project in one transaction; the documents themselves stay.
    pub fn remove_project_members(
        &self,
        project_ref: &str,
        conv_uids: &[String],
    ) -> Result<MembershipChange, StoreError> {
        let tx = self.write()?;
        let mut project = project_in(&tx, project_ref)?;
        let mut change = MembershipChange::default();
        {
            let mut members = tx.open_table(PROJECT_MEMBERS)?;
            let mut positions = tx.open_table(PROJECT_POSITIONS)?;
            let mut by_doc = tx.open_table(DOCUMENT_PROJECTS)?;
            for conv in conv_uids {
                let removed = positions.remove((project_ref, conv.as_str()))?;
                let Some(at) = removed.map(|g| g.value()) else {
                    change.unchanged.push(conv.clone());
                    continue;
                };
                members.remove((project_ref, at))?;
                by_doc.remove((conv.as_str(), project_ref))?;
                project.member_count = project.member_count.saturating_sub(1);
                change.changed.push(conv.clone());
            }
        }
        put_project(&tx, &project)?;
        tx.commit()?;
        Ok(change)
    }

    /// Run groups created from a project (the delete guard), by id.
    pub fn project_groups(&self, project_ref: &str) -> Result<Vec<String>, StoreError> {
        let tx = self.read()?;
        let t = tx.open_table(PROJECT_GROUPS)?;
        second_keys(&t, project_ref)
    }

    /// Projects a document belongs to, by ref.
    pub fn projects_of_document(&self, conv_uid: &str) -> Result<Vec<String>, StoreError> {
        let tx = self.read()?;
        let t = tx.open_table(DOCUMENT_PROJECTS)?;
        second_keys(&t, conv_uid)
    }

    /// Record that `group_id` uses `project_ref` in a transaction of its own (tests and tools;
    /// a run group creator calls [`link_group`] inside its own transaction instead).
    #[doc(hidden)]
    pub fn link_project_group(&self, project_ref: &str, group_id: &str) -> Result<(), StoreError> {
        let tx = self.write()?;
        link_group(&tx, project_ref, group_id)?;
        tx.commit()?;
        Ok(())
    }

    /// Delete a project and its member list (never the documents), unless a run group uses it.
    pub fn delete_project(&self, project_ref: &str) -> Result<ProjectDelete, StoreError> {
        let tx = self.write()?;
        let project = project_in(&tx, project_ref)?;
        let group_ids = second_keys(&tx.open_table(PROJECT_GROUPS)?, project_ref)?;
        if !group_ids.is_empty() {
            tx.abort()?;
            return Ok(ProjectDelete::UsedByGroups { project, group_ids });
        }
        {
            let members = members_in(&tx, project_ref)?;
            let mut by_doc = tx.open_table(DOCUMENT_PROJECTS)?;
            let mut positions = tx.open_table(PROJECT_POSITIONS)?;
            for conv in &members {
                by_doc.remove((conv.as_str(), project_ref))?;
                positions.remove((project_ref, conv.as_str()))?;
            }
            let mut t = tx.open_table(PROJECT_MEMBERS)?;
            t.retain_in((project_ref, 0u64)..=(project_ref, u64::MAX), |_, _| false)?;
            tx.open_table(PROJECTS)?.remove(project_ref)?;
        }
        tx.commit()?;
        Ok(ProjectDelete::Deleted(project))
    }
}
