//! Reversing review actions: `unconfirm` (confirmed back to staged, `review unconfirm` and the
//! TUI's `U`) and `undo` (the TUI's `u`: one earlier confirm, reject, edit or discard). Both are
//! new review events; the log is never rewritten.

use serde_json::Value;

use super::ops::{check_range, event, finish, load};
use super::wrong::Wrong;
use super::{Action, ReviewError, ReviewOutcome, Selection};
use crate::model::{Overlay, OverlayStatus};
use crate::store::{RunTxn, Store};

/// How to reverse one review action, as the action itself reported it.
#[derive(Debug, Clone, PartialEq)]
pub enum Undo {
    /// A confirm: these blocks go back to staged.
    Confirm(Selection),
    /// A reject, edit or discard: each block goes back to `before`, provided it still is exactly
    /// as the action left it (`after`); a worker or another reviewer may have moved it since.
    Restore {
        before: Vec<Overlay>,
        after: Vec<Overlay>,
    },
}

/// Confirmed blocks back to staged (`ai_complete`): the confirmed value and its stamp are
/// cleared; the staged value (kept by confirm) is shown again. Blocks that are not confirmed are
/// skipped and reported; a selection with no confirmed block is refused.
pub fn unconfirm(
    store: &Store,
    run_id: &str,
    selection: &Selection,
    user: &str,
) -> Result<ReviewOutcome, ReviewError> {
    store.with_run(run_id, |rt| {
        let (done, wrong) = unconfirm_in(rt, selection, Action::Unconfirm)?;
        let skipped = wrong.into_skipped(run_id, done.len() as usize)?;
        let undo = Undo::Confirm(done.clone());
        let out = finish(rt, user, Action::Unconfirm, done, None, undo)?;
        Ok(ReviewOutcome { skipped, ..out })
    })
}

/// Unconfirm the confirmed blocks of `selection`: the blocks changed, and those skipped.
fn unconfirm_in(
    rt: &mut RunTxn<'_>,
    selection: &Selection,
    action: Action,
) -> Result<(Selection, Wrong), ReviewError> {
    check_range(rt, selection)?;
    let mut wrong = Wrong::new(action);
    let mut done = Vec::new();
    for index in selection.iter() {
        let mut ov = load(rt, index)?;
        if ov.status != OverlayStatus::Confirmed {
            wrong.push(index, ov.status);
            continue;
        }
        if ov.staging.is_none() {
            ov.staging = ov.confirmed.clone();
        }
        ov.confirmed = None;
        ov.confirmed_at = None;
        ov.confirmed_by = None;
        ov.status = OverlayStatus::AiComplete;
        rt.put_overlay(&ov)?;
        done.push(index);
    }
    Ok((Selection::from_indices(done), wrong))
}

/// Reverse `what` (the action `of` recorded as event `seq`), as one new `undo` event whose
/// reason names the event undone. Refused, changing nothing, when a block moved on since.
pub fn undo(
    store: &Store,
    run_id: &str,
    what: &Undo,
    of: Action,
    seq: Option<u64>,
    user: &str,
) -> Result<ReviewOutcome, ReviewError> {
    let reason = match seq {
        Some(s) => format!("undoes #{s} ({})", of.as_str()),
        None => format!("undoes a {}", of.as_str()),
    };
    store.with_run(run_id, |rt| match what {
        Undo::Confirm(sel) => {
            if sel.is_empty() {
                return Err(ReviewError::NothingToUndo(
                    "that confirm changed no block".into(),
                ));
            }
            // An undo is all or nothing: a block that moved on refuses it.
            let (_, wrong) = unconfirm_in(rt, sel, Action::Undo)?;
            wrong.into_result(run_id)?;
            let undo = Undo::Confirm(Selection::from_indices([]));
            finish(rt, user, Action::Undo, sel.clone(), Some(&reason), undo)
        }
        Undo::Restore { before, after } => {
            if after.is_empty() {
                return Err(ReviewError::NothingToUndo(format!(
                    "that {} changed no block",
                    of.as_str()
                )));
            }
            for expected in after {
                let now = load(rt, expected.block_index)?;
                if &now != expected {
                    return Err(ReviewError::Changed {
                        run_id: run_id.to_string(),
                        index: expected.block_index,
                        action: of.as_str(),
                        status: now.status.as_str(),
                    });
                }
            }
            for ov in before {
                rt.put_overlay(ov)?;
            }
            let sel = Selection::from_indices(before.iter().map(|o| o.block_index));
            let mut ev = event(rt, user, Action::Undo, &sel);
            ev.reason = Some(reason.clone());
            if let ([b], [a]) = (before.as_slice(), after.as_slice()) {
                ev.old_value = Some(a.staging.clone().unwrap_or(Value::Null));
                ev.new_value = Some(b.staging.clone().unwrap_or(Value::Null));
            }
            let seq = rt.append_review(&ev)?;
            Ok(ReviewOutcome {
                run_id: run_id.to_string(),
                action: Action::Undo,
                count: u32::try_from(sel.len()).unwrap_or(u32::MAX),
                blocks: sel,
                event_seq: Some(seq),
                undo: Undo::Restore {
                    before: after.clone(),
                    after: before.clone(),
                },
                skipped: Vec::new(),
            })
        }
    })
}
