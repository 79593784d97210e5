//! Run group creation (SPEC §1a): one run per member document of a project snapshot, all with
//! the same schema, model config and policy snapshot, written in one transaction.

use super::create::{plan_run_keyed, CreateRunOptions};
use super::WorkerError;
use crate::model::{Run, RunGroup};
use crate::store::Store;

/// A group ready to be written: nothing stored yet (the estimate reads this too).
#[derive(Debug, Clone)]
pub struct PlannedGroup {
    pub group: RunGroup,
    /// Member runs in project order, each with the blocks it covers.
    pub members: Vec<(Run, u32)>,
}

impl PlannedGroup {
    /// Blocks the group covers, over every member.
    pub fn blocks(&self) -> u64 {
        self.members.iter().map(|(_, b)| u64::from(*b)).sum()
    }
}

fn new_group_id(project_ref: &str) -> String {
    let salt = format!(
        "{}:{}:{:?}",
        crate::clock::now_millis(),
        std::process::id(),
        std::time::Instant::now()
    );
    let h = crate::hashing::sha256_hex(&[project_ref.as_bytes(), salt.as_bytes()]);
    format!("grp_{}", &h[..12])
}

fn member_run_id(group_id: &str, position: usize, conv: &str) -> String {
    let pos = position.to_string();
    let h = crate::hashing::sha256_hex(&[group_id.as_bytes(), pos.as_bytes(), conv.as_bytes()]);
    format!("run_{}", &h[..12])
}

/// Plan a group of `schema_name` over `docs` (the project's members, in project order): the
/// first member is planned exactly as `run create` plans a run, and every member shares its
/// model config and policy snapshot. An empty project is refused with what to do.
pub fn plan_group(
    store: &Store,
    project_ref: &str,
    docs: &[String],
    schema_name: &str,
    opts: &CreateRunOptions,
) -> Result<PlannedGroup, WorkerError> {
    plan_group_keyed(store, project_ref, docs, schema_name, opts, true)
}

/// [`plan_group`]; with `need_key` false, no API key or custom endpoint is required (the
/// project's cost estimate works offline, before any key is set, as a run's does).
pub(super) fn plan_group_keyed(
    store: &Store,
    project_ref: &str,
    docs: &[String],
    schema_name: &str,
    opts: &CreateRunOptions,
    need_key: bool,
) -> Result<PlannedGroup, WorkerError> {
    let Some(first) = docs.first() else {
        return Err(WorkerError::Refused(format!(
            "project '{project_ref}' has no documents: add some with `blockwise project add \
             {project_ref} DOC...` or `blockwise ingest DIR --project {project_ref}`"
        )));
    };
    let template = plan_run_keyed(store, first, schema_name, opts, need_key)?.run;
    let group_id = new_group_id(project_ref);
    let mut group = RunGroup {
        group_id: group_id.clone(),
        project_ref: project_ref.to_string(),
        schema_id: template.schema_id.clone(),
        schema_ref: template.schema_ref.clone(),
        schema_uid: template.schema_uid.clone(),
        run_ids: Vec::with_capacity(docs.len()),
        conv_uids: Vec::with_capacity(docs.len()),
        created_at: template.created_at.clone(),
        created_by: template.created_by.clone(),
        cancelled: false,
    };
    let mut members = Vec::with_capacity(docs.len());
    for (position, doc) in docs.iter().enumerate() {
        let document = store.get_document(doc)?.ok_or_else(|| {
            WorkerError::Refused(format!(
                "project '{project_ref}': member document {doc} is missing from the store"
            ))
        })?;
        let blocks = match opts.sample {
            Some(n) => n.min(document.total_blocks),
            None => document.total_blocks,
        };
        let mut run = template.clone();
        run.run_id = member_run_id(&group_id, position, doc);
        run.conv_uid = doc.clone();
        run.group_id = Some(group_id.clone());
        run.sample = opts.sample.map(|_| blocks);
        run.counters.total = blocks;
        run.counters.pending = blocks;
        group.run_ids.push(run.run_id.clone());
        group.conv_uids.push(doc.clone());
        members.push((run, blocks));
    }
    Ok(PlannedGroup { group, members })
}

/// Create the group planned for `docs`: the group record and every member run in one
/// transaction (none of it exists if any part fails).
pub fn create_group(
    store: &Store,
    project_ref: &str,
    docs: &[String],
    schema_name: &str,
    opts: &CreateRunOptions,
) -> Result<RunGroup, WorkerError> {
    let plan = plan_group(store, project_ref, docs, schema_name, opts)?;
    store.create_group(&plan.group, &plan.members)?;
    Ok(plan.group)
}
