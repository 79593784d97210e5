//! The review operations. Each is one `with_run` transaction that checks every block first-hand,
//! changes the overlays, and appends the review event; any refusal aborts the whole transaction.
//! Over a selection, blocks in the wrong state are skipped (and reported) rather than refusing
//! the rest.

use serde_json::Value;

use super::edit::{parse_and_validate, FieldValidators};
use super::wrong::{SkippedBlock, Wrong};
use super::{Action, ReviewError, Selection, Undo};
use crate::model::{Overlay, OverlayStatus, RunStatus};
use crate::store::{ReviewEvent, RunTxn, Store};

/// Which blocks to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every staged (ai_complete) block of the run.
    AllStaged,
    /// Exactly these blocks; all must be staged.
    Blocks(Selection),
}

/// What a confirm or reject did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewOutcome {
    pub run_id: String,
    pub action: Action,
    /// The blocks changed.
    pub blocks: Selection,
    pub count: u32,
    /// Sequence number of the review event; `None` when nothing changed (nothing recorded).
    pub event_seq: Option<u64>,
    /// How to reverse it (the TUI's `u`).
    pub undo: Undo,
    /// Blocks of the selection left alone because of their state (see [`skipped_line`]).
    ///
    /// [`skipped_line`]: super::skipped_line
    pub skipped: Vec<SkippedBlock>,
}

/// What an edit or discard did.
#[derive(Debug, Clone, PartialEq)]
pub struct EditOutcome {
    pub run_id: String,
    pub block_index: u32,
    pub field: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    /// Whether the staged value now differs from the model's answer (a draft edit).
    pub edited: bool,
    pub event_seq: u64,
    /// How to reverse it (the TUI's `u`).
    pub undo: Undo,
}

pub(super) fn event(
    rt: &RunTxn<'_>,
    user: &str,
    action: Action,
    blocks: &Selection,
) -> ReviewEvent {
    ReviewEvent {
        seq: 0,
        at: crate::clock::now_rfc3339(),
        by: user.to_string(),
        run_id: rt.run.run_id.clone(),
        action: action.as_str().to_string(),
        blocks: blocks.to_string(),
        count: u32::try_from(blocks.len()).unwrap_or(u32::MAX),
        field: None,
        old_value: None,
        new_value: None,
        reason: None,
    }
}

pub(super) fn check_range(rt: &RunTxn<'_>, sel: &Selection) -> Result<(), ReviewError> {
    let total = rt.run.counters.total;
    match sel.max() {
        Some(max) if max >= total => Err(ReviewError::OutOfRange {
            run_id: rt.run.run_id.clone(),
            index: sel.iter().find(|&i| i >= total).unwrap_or(max),
            total,
        }),
        _ => Ok(()),
    }
}

pub(super) fn load(rt: &RunTxn<'_>, index: u32) -> Result<Overlay, ReviewError> {
    rt.overlay(index)?.ok_or_else(|| ReviewError::OutOfRange {
        run_id: rt.run.run_id.clone(),
        index,
        total: rt.run.counters.total,
    })
}

/// Confirm staged blocks: the staged value is copied to `confirmed`, stamped with `user` and the
/// time. Blocks of the selection that are not staged are skipped and reported back
/// ([`ReviewOutcome::skipped`]); a selection with no staged block is refused.
pub fn confirm(
    store: &Store,
    run_id: &str,
    target: &Target,
    user: &str,
) -> Result<ReviewOutcome, ReviewError> {
    // A value staged before answers were validated, or by an older build, may not obey the
    // schema: it must never become confirmed.
    let validators =
        FieldValidators::new(&run_schema(store, run_id)?).map_err(|source| ReviewError::Edit {
            run_id: run_id.to_string(),
            index: 0,
            source,
        })?;
    store.with_run(run_id, |rt| confirm_in(rt, target, user, &validators))
}

/// Confirm every staged block of each of `run_ids` (a group's members) in ONE write
/// transaction, with one review event per run that changed, as [`confirm`] records it; any
/// refusal (a staged value its schema does not accept) confirms nothing anywhere.
pub fn confirm_all_staged(
    store: &Store,
    run_ids: &[String],
    user: &str,
) -> Result<Vec<ReviewOutcome>, ReviewError> {
    let Some(first) = run_ids.first() else {
        return Ok(Vec::new());
    };
    let schema_of = |run_id: &str| {
        FieldValidators::new(&run_schema(store, run_id)?).map_err(|source| ReviewError::Edit {
            run_id: run_id.to_string(),
            index: 0,
            source,
        })
    };
    // A group's members share one schema; a member on another one gets its own validators.
    let shared = (
        store.get_run(first)?.map(|r| r.schema_id),
        schema_of(first)?,
    );
    store.with_runs(run_ids, |rt| {
        if shared.0.as_deref() == Some(rt.run.schema_id.as_str()) {
            confirm_in(rt, &Target::AllStaged, user, &shared.1)
        } else {
            let own = schema_of(&rt.run.run_id.clone())?;
            confirm_in(rt, &Target::AllStaged, user, &own)
        }
    })
}

/// [`confirm`] inside an open transaction on one run.
fn confirm_in(
    rt: &mut RunTxn<'_>,
    target: &Target,
    user: &str,
    validators: &FieldValidators,
) -> Result<ReviewOutcome, ReviewError> {
    let run_id = rt.run.run_id.clone();
    let selection = match target {
        Target::AllStaged => {
            Selection::from_indices(rt.indices_with_status(OverlayStatus::AiComplete, usize::MAX)?)
        }
        Target::Blocks(sel) => {
            check_range(rt, sel)?;
            sel.clone()
        }
    };
    let now = crate::clock::now_rfc3339();
    let mut wrong = Wrong::new(Action::Confirm);
    let mut done = Vec::new();
    for index in selection.iter() {
        let mut ov = load(rt, index)?;
        if ov.status != OverlayStatus::AiComplete {
            wrong.push(index, ov.status);
            continue;
        }
        let staged = ov.staging.clone().unwrap_or(Value::Null);
        let local = &crate::schema::LOCAL_FIELDS;
        if let Err(source) = validators.check_object_except(&staged, local) {
            return Err(ReviewError::InvalidStaged {
                run_id: run_id.clone(),
                index,
                source,
            });
        }
        ov.confirmed = Some(staged);
        ov.confirmed_at = Some(now.clone());
        ov.confirmed_by = Some(user.to_string());
        ov.status = OverlayStatus::Confirmed;
        rt.put_overlay(&ov)?;
        done.push(index);
    }
    let skipped = wrong.into_skipped(&run_id, done.len())?;
    let selection = Selection::from_indices(done);
    let undo = Undo::Confirm(selection.clone());
    let out = finish(rt, user, Action::Confirm, selection, None, undo)?;
    Ok(out.with_skipped(skipped))
}

/// Reject staged blocks back to `pending`: the staged value and the model's answer are cleared,
/// attempts reset, and the blocks return to the worker's queue. A completed run becomes
/// `running` again so a worker picks them up.
pub fn reject(
    store: &Store,
    run_id: &str,
    selection: &Selection,
    user: &str,
) -> Result<ReviewOutcome, ReviewError> {
    reject_with_reason(store, run_id, selection, user, None)
}

/// [`reject`], with the reviewer's reason kept in the review log.
pub fn reject_with_reason(
    store: &Store,
    run_id: &str,
    selection: &Selection,
    user: &str,
    reason: Option<&str>,
) -> Result<ReviewOutcome, ReviewError> {
    store.with_run(run_id, |rt| {
        check_range(rt, selection)?;
        let mut wrong = Wrong::new(Action::Reject);
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for index in selection.iter() {
            let mut ov = load(rt, index)?;
            if ov.status != OverlayStatus::AiComplete {
                wrong.push(index, ov.status);
                continue;
            }
            before.push(ov.clone());
            ov.status = OverlayStatus::Pending;
            ov.staging = None;
            ov.model_output = None;
            ov.edited = false;
            ov.attempt_count = 0;
            ov.last_error = None;
            ov.claimed_by = None;
            ov.claimed_at = None;
            ov.result_call = None;
            rt.put_overlay(&ov)?;
            after.push(ov);
        }
        let skipped = wrong.into_skipped(run_id, after.len())?;
        if rt.run.status == RunStatus::Complete && rt.run.counters.pending > 0 {
            rt.run.status = RunStatus::Running;
            rt.run.finished_at = None;
        }
        let done = Selection::from_indices(after.iter().map(|o| o.block_index));
        let undo = Undo::Restore { before, after };
        let out = finish(rt, user, Action::Reject, done, reason, undo)?;
        Ok(out.with_skipped(skipped))
    })
}

pub(super) fn finish(
    rt: &mut RunTxn<'_>,
    user: &str,
    action: Action,
    selection: Selection,
    reason: Option<&str>,
    undo: Undo,
) -> Result<ReviewOutcome, ReviewError> {
    let count = u32::try_from(selection.len()).unwrap_or(u32::MAX);
    let event_seq = if selection.is_empty() {
        None
    } else {
        let mut ev = event(rt, user, action, &selection);
        ev.reason = reason.map(str::to_string);
        Some(rt.append_review(&ev)?)
    };
    Ok(ReviewOutcome {
        run_id: rt.run.run_id.clone(),
        action,
        blocks: selection,
        count,
        event_seq,
        undo,
        skipped: Vec::new(),
    })
}

impl ReviewOutcome {
    fn with_skipped(mut self, skipped: Vec<SkippedBlock>) -> ReviewOutcome {
        self.skipped = skipped;
        self
    }

    /// What was skipped and why, for a status line or the CLI; `None` when nothing was.
    pub fn skipped_line(&self) -> Option<String> {
        super::wrong::skipped_line(self.action, &self.skipped)
    }
}

fn run_schema(store: &Store, run_id: &str) -> Result<Value, ReviewError> {
    let run = store
        .get_run(run_id)?
        .ok_or_else(|| crate::store::StoreError::NotFound {
            kind: "run",
            prefix: run_id.to_string(),
        })?;
    let schema = store
        .get_schema(&run.schema_id)?
        .ok_or_else(|| ReviewError::SchemaMissing {
            run_id: run_id.to_string(),
            schema_id: run.schema_id.clone(),
        })?;
    Ok(schema.json)
}

/// Edit one field of a staged value. `text` is parsed by the field's type and checked against
/// the field's schema ([`edit::parse_and_validate`]); an invalid value is refused with the
/// validator's reason and nothing changes. The model's answer is kept for [`discard_edit`].
pub fn edit(
    store: &Store,
    run_id: &str,
    index: u32,
    field: &str,
    text: &str,
    user: &str,
) -> Result<EditOutcome, ReviewError> {
    let schema = run_schema(store, run_id)?;
    let edit_err = |source| ReviewError::Edit {
        run_id: run_id.to_string(),
        index,
        source,
    };
    // Field and value are checked before the transaction: a refusal never takes the write lock.
    let value = parse_and_validate(&schema, field, text).map_err(edit_err)?;
    store.with_run(run_id, |rt| {
        let mut ov = load(rt, index)?;
        if ov.status != OverlayStatus::AiComplete {
            let mut wrong = Wrong::new(Action::Edit);
            wrong.push(index, ov.status);
            wrong.into_result(run_id)?;
        }
        let before = ov.clone();
        let Some(Value::Object(staged)) = ov.staging.as_mut() else {
            return Err(ReviewError::StagingNotObject {
                run_id: run_id.to_string(),
                index,
                field: field.to_string(),
            });
        };
        let old = staged.insert(field.to_string(), value.clone());
        ov.edited = ov.staging != ov.model_output;
        rt.put_overlay(&ov)?;
        let mut ev = event(rt, user, Action::Edit, &Selection::from_indices([index]));
        ev.field = Some(field.to_string());
        ev.old_value = Some(old.clone().unwrap_or(Value::Null));
        ev.new_value = Some(value.clone());
        let seq = rt.append_review(&ev)?;
        Ok(EditOutcome {
            run_id: run_id.to_string(),
            block_index: index,
            field: Some(field.to_string()),
            old_value: old,
            new_value: Some(value),
            edited: ov.edited,
            event_seq: seq,
            undo: Undo::Restore {
                before: vec![before],
                after: vec![ov],
            },
        })
    })
}

/// Throw away a draft edit: the staged value goes back to the model's answer.
pub fn discard_edit(
    store: &Store,
    run_id: &str,
    index: u32,
    user: &str,
) -> Result<EditOutcome, ReviewError> {
    store.with_run(run_id, |rt| {
        let mut ov = load(rt, index)?;
        if ov.status != OverlayStatus::AiComplete {
            let mut wrong = Wrong::new(Action::Discard);
            wrong.push(index, ov.status);
            wrong.into_result(run_id)?;
        }
        if !ov.edited || ov.model_output.is_none() || ov.staging == ov.model_output {
            return Err(ReviewError::NoDraft {
                run_id: run_id.to_string(),
                index,
            });
        }
        let before = ov.clone();
        let old = ov.staging.take();
        ov.staging = ov.model_output.clone();
        ov.edited = false;
        rt.put_overlay(&ov)?;
        let mut ev = event(rt, user, Action::Discard, &Selection::from_indices([index]));
        ev.old_value = old.clone();
        ev.new_value = ov.staging.clone();
        let seq = rt.append_review(&ev)?;
        Ok(EditOutcome {
            run_id: run_id.to_string(),
            block_index: index,
            field: None,
            old_value: old,
            new_value: ov.staging.clone(),
            edited: false,
            event_seq: seq,
            undo: Undo::Restore {
                before: vec![before],
                after: vec![ov],
            },
        })
    })
}
