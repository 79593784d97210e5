//! Whether a store may be replaced by a fresh demo: only while it holds nothing but what the
//! demo made. The demo writes a mark and a record of what it made (document, schemas, run); a
//! reset compares the store's content against that record and names anything else it holds.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

/// META key marking a store as a demo workspace (so `demo` never wipes a real one).
pub const DEMO_MARK: &str = "workspace_kind";
pub const DEMO_VALUE: &[u8] = b"demo";
/// META key holding [`DemoRecord`]: what the demo itself made.
pub const DEMO_RECORD: &str = "demo_made";

/// What `demo` made in a store, written when it fills it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DemoRecord {
    pub conv_uid: String,
    pub schema_ids: Vec<String>,
    pub run_id: String,
}

/// What a store at a path is, for the demo.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoStore {
    /// No file there: the demo may create it.
    Absent,
    /// A demo store holding only what the demo made: it may be replaced.
    Pristine,
    /// Not a demo store at all: never replaced.
    NotDemo,
    /// A demo store the user added work to: each entry names what a reset would lose.
    HoldsWork(Vec<String>),
}

/// Look at the store at `path` (read-only: never waits on a writer, never changes it).
pub fn inspect(path: &Path) -> Result<DemoStore, StoreError> {
    if !path.exists() {
        return Ok(DemoStore::Absent);
    }
    let store = Store::open_read_only(path)?;
    if store.meta(DEMO_MARK)?.as_deref() != Some(DEMO_VALUE) {
        return Ok(DemoStore::NotDemo);
    }
    let lost = user_work(&store)?;
    Ok(if lost.is_empty() {
        DemoStore::Pristine
    } else {
        DemoStore::HoldsWork(lost)
    })
}

/// Everything in `store` the demo did not make, as "N documents (titles)"-style phrases.
pub fn user_work(store: &Store) -> Result<Vec<String>, StoreError> {
    let Some(record) = store
        .meta(DEMO_RECORD)?
        .and_then(|b| serde_json::from_slice::<DemoRecord>(&b).ok())
    else {
        return Ok(vec![
            "content the demo cannot tell apart from yours (no record of what it made)".into(),
        ]);
    };
    let mut lost = Vec::new();
    let docs: Vec<String> = (store.list_documents()?.into_iter())
        .filter(|d| d.conv_uid != record.conv_uid)
        .map(|d| d.file_name)
        .collect();
    push_named(&mut lost, "document", &docs);
    let schemas: Vec<String> = (store.list_schemas()?.into_iter())
        .filter(|s| !record.schema_ids.contains(&s.schema_id))
        .map(|s| s.schema_ref)
        .collect();
    push_named(&mut lost, "schema", &schemas);
    let runs: Vec<String> = (store.list_runs()?.into_iter())
        .filter(|r| r.run_id != record.run_id)
        .map(|r| r.run_id)
        .collect();
    push_named(&mut lost, "run", &runs);
    let projects: Vec<String> = (store.list_projects()?.into_iter())
        .map(|p| p.project_ref)
        .collect();
    push_named(&mut lost, "project", &projects);
    let groups: Vec<String> = (store.list_groups()?.into_iter())
        .map(|g| g.group_id)
        .collect();
    push_named(&mut lost, "run group", &groups);
    let reviews = store.review_log(None)?.len();
    push_count(
        &mut lost,
        reviews,
        "review action",
        "confirms, rejects, edits",
    );
    // The demo's only audit entry is the admin list it created with the workspace.
    let audit = store.audit_entries()?.len().saturating_sub(1);
    push_count(
        &mut lost,
        audit,
        "policy audit entry",
        "policy or admin changes",
    );
    let keys: Vec<String> = (store.list_api_keys()?.into_iter())
        .map(|k| k.provider)
        .collect();
    push_named(&mut lost, "stored API key", &keys);
    Ok(lost)
}

fn push_named(lost: &mut Vec<String>, what: &str, names: &[String]) {
    if names.is_empty() {
        return;
    }
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    let more = if names.len() > 5 { ", ..." } else { "" };
    lost.push(format!(
        "{} {what}{} ({}{more})",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        shown.join(", ")
    ));
}

fn push_count(lost: &mut Vec<String>, n: usize, what: &str, detail: &str) {
    if n > 0 {
        let s = if n == 1 { "" } else { "s" };
        lost.push(format!("{n} {what}{s} ({detail})"));
    }
}
