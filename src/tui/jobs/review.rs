//! Review jobs: confirm, reject, unconfirm, undo, discard, edit, and the search and filter that
//! find blocks to review.

use std::sync::Arc;

use super::{err, text};
use crate::tui::kit::text::compact;
use crate::tui::kit::{Output, UndoEntry};
use crate::workspace::{
    BlockFilter, ReviewAction, ReviewOutcome, Selection, Target, Undo, Workspace,
};

/// A review action's line, with how `u` reverses it.
fn decided(
    msg: String,
    run_id: &str,
    action: ReviewAction,
    seq: Option<u64>,
    undo: Undo,
) -> Result<Output, String> {
    let entry = UndoEntry {
        run_id: run_id.to_string(),
        action,
        seq,
        undo,
    };
    Ok(Output::Decided(msg, Box::new(entry)))
}

fn outcome(msg: String, run_id: &str, out: ReviewOutcome) -> Result<Output, String> {
    decided(msg, run_id, out.action, out.event_seq, out.undo)
}

pub(super) fn confirm(ws: &Workspace, run_id: &str, target: &Target) -> Result<Output, String> {
    let out = ws.confirm(run_id, target).map_err(|e| err(&e))?;
    let msg = format!(
        "confirmed {} block(s): {} (u undoes)",
        out.count, out.blocks
    );
    outcome(msg, run_id, out)
}

pub(super) fn reject(
    ws: &Workspace,
    run_id: &str,
    selection: &Selection,
    reason: Option<&str>,
) -> Result<Output, String> {
    let out = ws
        .reject_with_reason(run_id, selection, reason)
        .map_err(|e| err(&e))?;
    let msg = format!(
        "rejected {} block(s) back to pending: {} (u undoes; s runs the worker again)",
        out.count, out.blocks
    );
    outcome(msg, run_id, out)
}

pub(super) fn unconfirm(
    ws: &Workspace,
    run_id: &str,
    selection: &Selection,
) -> Result<Output, String> {
    let out = ws.unconfirm(run_id, selection).map_err(|e| err(&e))?;
    let msg = format!(
        "unconfirmed {} block(s), back to staged: {}",
        out.count, out.blocks
    );
    outcome(msg, run_id, out)
}

pub(super) fn undo(ws: &Workspace, e: &UndoEntry) -> Result<Output, String> {
    let out = ws
        .undo(&e.run_id, &e.undo, e.action, e.seq)
        .map_err(|x| format!("cannot undo that {}: {}", e.action.as_str(), err(&x)))?;
    text(format!(
        "undid the {} of block(s) {} (logged as review event #{})",
        e.action.as_str(),
        out.blocks,
        out.event_seq.unwrap_or_default()
    ))
}

pub(super) fn discard(ws: &Workspace, run_id: &str, index: u32) -> Result<Output, String> {
    let out = ws.discard_edit(run_id, index).map_err(|e| err(&e))?;
    let msg = format!(
        "block {}: draft edit discarded, back to the model's answer (u undoes)",
        out.block_index
    );
    let seq = Some(out.event_seq);
    decided(msg, run_id, ReviewAction::Discard, seq, out.undo)
}

pub(super) fn edit(
    ws: &Workspace,
    run_id: &str,
    index: u32,
    field: &str,
    value: &str,
) -> Result<Output, String> {
    let out = ws.edit(run_id, index, field, value).map_err(|e| err(&e))?;
    let note = match &out.salvage {
        Some(crate::workspace::Salvage::Staged) => {
            " (failed block salvaged: staged now; a confirms, u undoes)".to_string()
        }
        Some(crate::workspace::Salvage::StillInvalid(why)) => {
            format!(" (still failed: {why}; e fixes that field too)")
        }
        None if out.edited => " (draft edit; d discards, u undoes)".to_string(),
        None => String::new(),
    };
    let msg = format!(
        "block {index}: {field} = {}{note}",
        out.new_value.as_ref().map(compact).unwrap_or_default(),
    );
    let seq = Some(out.event_seq);
    decided(msg, run_id, ReviewAction::Edit, seq, out.undo)
}

pub(super) fn search(
    ws: &Workspace,
    run: &crate::model::Run,
    query: String,
) -> Result<Output, String> {
    let hits = if query.is_empty() {
        Arc::from(Vec::new())
    } else {
        ws.search_blocks(run, &query).map_err(|e| err(&e))?
    };
    Ok(Output::Found(query, hits))
}

pub(super) fn filter(
    ws: &Workspace,
    run: &crate::model::Run,
    filter: BlockFilter,
    announce: bool,
) -> Result<Output, String> {
    let kept = if filter.is_empty() {
        Arc::from(Vec::new())
    } else {
        ws.filter_blocks(run, &filter).map_err(|e| err(&e))?
    };
    Ok(Output::View(filter, kept, announce))
}
