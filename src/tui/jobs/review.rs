//! Review jobs: confirm, reject, unconfirm, undo, discard, edit, and the search and filter that
//! find blocks to review.

use std::sync::Arc;

use super::{err, text};
use crate::tui::kit::text::compact;
use crate::tui::kit::{Output, Scope, UndoEntry};
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
    Ok(Output::Decided(msg, Box::new(entry), Vec::new()))
}

/// A selection's review: what was done, then what was skipped and why (those stay selected).
fn outcome(msg: String, run_id: &str, out: ReviewOutcome) -> Result<Output, String> {
    let msg = match out.skipped_line() {
        Some(line) => format!("{msg} · {line}; still selected"),
        None => msg,
    };
    let skipped = out.skipped.iter().map(|s| s.index).collect();
    let decided = decided(msg, run_id, out.action, out.event_seq, out.undo)?;
    match decided {
        Output::Decided(msg, entry, _) => Ok(Output::Decided(msg, entry, skipped)),
        other => Ok(other),
    }
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
    let msg = format!(
        "block {index}: {field} = {}{}",
        out.new_value.as_ref().map(compact).unwrap_or_default(),
        if out.edited {
            " (draft edit; d discards, u undoes)"
        } else {
            ""
        }
    );
    let seq = Some(out.event_seq);
    decided(msg, run_id, ReviewAction::Edit, seq, out.undo)
}

pub(super) fn search(ws: &Workspace, scope: &Scope, query: String) -> Result<Output, String> {
    let hits = if query.is_empty() {
        Arc::from(Vec::new())
    } else {
        match scope {
            Scope::Run(run) => ws.search_blocks(run, &query).map_err(|e| err(&e))?,
            Scope::Group(members) => {
                let mut keys = Vec::new();
                for (run, start) in members {
                    let hits = ws.search_blocks(run, &query).map_err(|e| err(&e))?;
                    keys.extend(hits.iter().map(|i| start + i));
                }
                Arc::from(keys)
            }
        }
    };
    Ok(Output::Found(query, hits))
}

/// The blocks `filter` keeps; in a group, of the members `docs` only (none named: all).
pub(super) fn filter(
    ws: &Workspace,
    scope: &Scope,
    filter: BlockFilter,
    docs: Vec<usize>,
    announce: bool,
) -> Result<Output, String> {
    let kept = match scope {
        _ if filter.is_empty() && docs.is_empty() => Arc::from(Vec::new()),
        Scope::Run(run) => ws.filter_blocks(run, &filter).map_err(|e| err(&e))?,
        Scope::Group(members) => {
            let mut keys = Vec::new();
            for (m, (run, start)) in members.iter().enumerate() {
                if !docs.is_empty() && !docs.contains(&m) {
                    continue;
                }
                if filter.is_empty() {
                    keys.extend(*start..start + run.counters.total);
                    continue;
                }
                let kept = ws.filter_blocks(run, &filter).map_err(|e| err(&e))?;
                keys.extend(kept.iter().map(|i| start + i));
            }
            Arc::from(keys)
        }
    };
    Ok(Output::View(filter, docs, kept, announce))
}

/// Every staged block of every member run that has one, one transaction per member; `u`
/// reverses them member by member.
pub(super) fn confirm_all(
    ws: &Workspace,
    group_id: &str,
    run_ids: &[String],
) -> Result<Output, String> {
    let (mut count, mut runs, mut undo) = (0u64, 0usize, Vec::new());
    for run_id in run_ids {
        let staged = ws
            .get_run(run_id)
            .map_err(|e| err(&e))?
            .is_some_and(|r| r.counters.ai_complete > 0);
        if !staged {
            continue;
        }
        let out = ws
            .confirm(run_id, &Target::AllStaged)
            .map_err(|e| format!("{run_id}: {} (runs before it are confirmed)", err(&e)))?;
        count += out.count as u64;
        runs += 1;
        undo.push(UndoEntry {
            run_id: run_id.clone(),
            action: out.action,
            seq: out.event_seq,
            undo: out.undo,
        });
    }
    let msg = format!(
        "confirmed {count} block(s) in {runs} run(s) of group {group_id} (u undoes one run at a time)"
    );
    Ok(Output::DecidedMany(msg, undo))
}
