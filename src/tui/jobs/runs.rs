//! Run jobs: export, cancel / resume, retry the failed blocks, the cost preview, create a run,
//! ingest a file, and the full re-read of the lists.

use std::path::{Path, PathBuf};

use super::{err, text};
use crate::tui::kit::{Output, Snapshot};
use crate::workspace::{CreateRunOptions, Format, Mode, Workspace};

pub(super) fn export(
    ws: &Workspace,
    run_id: &str,
    path: PathBuf,
    (format, mode): (Format, Mode),
    demo: bool,
) -> Result<Output, String> {
    let sum = ws
        .export_to_path(run_id, format, mode, &path)
        .map_err(|e| err(&e))?;
    // A relative path lands in the directory the TUI was started from: say which.
    let path = std::path::absolute(&path).unwrap_or(path);
    text(format!(
        "exported {} blocks ({} confirmed, {} drafts, {} bytes) to {}{}",
        sum.blocks,
        sum.confirmed,
        sum.drafts,
        sum.bytes,
        path.display(),
        if demo { " [DEMO output]" } else { "" }
    ))
}

pub(super) fn transition(ws: &Workspace, run_id: &str, cancel: bool) -> Result<Output, String> {
    if run_id.starts_with("grp_") {
        return group_transition(ws, run_id, cancel);
    }
    let r = if cancel {
        ws.cancel_run(run_id)
    } else {
        ws.resume_run(run_id)
    }
    .map_err(|e| err(&e))?;
    text(format!(
        "run {} is {}{}",
        r.run_id,
        r.status.as_str(),
        if cancel { "" } else { "; s starts the worker" }
    ))
}

/// Cancel or resume every member of a run group (one transaction).
fn group_transition(ws: &Workspace, group_id: &str, cancel: bool) -> Result<Output, String> {
    let crate::workspace::RunOrGroup::Group(group) =
        ws.resolve_run_or_group(group_id).map_err(|e| err(&e))?
    else {
        return Err(format!("run group {group_id} does not exist"));
    };
    let s = if cancel {
        ws.cancel_group(&group)
    } else {
        ws.resume_group(&group)
    }
    .map_err(|e| err(&e))?;
    text(format!(
        "group {} is {} ({} runs){}",
        s.group_id,
        s.status.as_str(),
        s.runs,
        if cancel { "" } else { "; s starts the worker" }
    ))
}

pub(super) fn retry_failed(ws: &Workspace, run_id: &str) -> Result<Output, String> {
    let (r, reset) = ws.retry_failed(run_id).map_err(|e| err(&e))?;
    text(format!(
        "{reset} failed block(s) of {} back to pending; the run is {} (s starts the worker)",
        r.run_id,
        r.status.as_str()
    ))
}

pub(super) fn reload(ws: &Workspace) -> Result<Output, String> {
    Snapshot::read(ws)
        .map(|s| Output::Snapshot(Box::new(s)))
        .map_err(|e| format!("cannot read the store: {e}"))
}

pub(super) fn estimate(
    ws: &Workspace,
    ask: u64,
    (doc, schema, project): (&str, &str, bool),
    opts: &CreateRunOptions,
) -> Result<Output, String> {
    let result = if project {
        ws.estimate_group(doc, schema, opts)
    } else {
        ws.estimate_run(doc, schema, opts)
    };
    Ok(Output::Estimate {
        ask,
        result: result.map(Box::new).map_err(|e| err(&e)),
    })
}

/// A run of `doc`, or with `project` a run group over project `doc`.
pub(super) fn create_run(
    ws: &Workspace,
    (doc, schema, project): (&str, &str, bool),
    opts: &CreateRunOptions,
) -> Result<Output, String> {
    if project {
        return ws
            .create_group(doc, schema, opts)
            .map(|g| Output::CreatedGroup(Box::new(g)))
            .map_err(|e| err(&e));
    }
    ws.create_run(doc, schema, opts)
        .map(|r| Output::Created(Box::new(r)))
        .map_err(|e| err(&e))
}

pub(super) fn ingest(ws: &Workspace, path: &Path) -> Result<Output, String> {
    let limits = ws.ingest_limits().map_err(|e| err(&e))?;
    let report = ws.ingest(path, limits).map_err(|e| err(&e))?;
    // The CLI's line leads with the 64-hex uid; in the one status row that pushed the title
    // and the next step off an 80- or 120-column screen.
    let d = &report.document;
    let status = if report.created { "created" } else { "exists" };
    Ok(Output::Ingested {
        conv_uid: Some(d.conv_uid.clone()),
        message: format!(
            "{status} '{}' · {} blocks · {}",
            d.title,
            d.total_blocks,
            d.conv_uid.get(..12).unwrap_or(&d.conv_uid)
        ),
    })
}
