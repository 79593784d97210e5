//! Salvaging a failed block (issue 23 item 4): the worker keeps the model's last invalid answer
//! with the block; an edit fixes one field of it in place. Once the whole answer obeys the
//! schema the block is staged (an edited draft with no model answer to go back to) and can be
//! confirmed like any other; until then it stays failed, keeping the fixes made so far.

use serde_json::Value;

use super::edit::FieldValidators;
use super::ops::{event, EditOutcome, Salvage};
use super::{Action, ReviewError, Selection, Undo};
use crate::model::{Overlay, OverlayStatus};
use crate::store::RunTxn;

/// A failed block that kept an answer to fix.
pub(super) fn salvageable(ov: &Overlay) -> bool {
    ov.status == OverlayStatus::Failed && matches!(ov.invalid_answer, Some(Value::Object(_)))
}

/// Set `field` to `value` (already parsed and checked on its own) in the block's invalid
/// answer, then check the whole answer: valid → staged; else still failed, naming what is left.
pub(super) fn edit_failed(
    rt: &mut RunTxn<'_>,
    schema: &Value,
    mut ov: Overlay,
    field: &str,
    value: Value,
    user: &str,
) -> Result<EditOutcome, ReviewError> {
    let run_id = rt.run.run_id.clone();
    let index = ov.block_index;
    let before = ov.clone();
    let Some(Value::Object(mut answer)) = ov.invalid_answer.take() else {
        return Err(ReviewError::StagingNotObject {
            run_id,
            index,
            field: field.to_string(),
        });
    };
    let old = answer.insert(field.to_string(), value.clone());
    let answer = Value::Object(answer);
    let validators = FieldValidators::new(schema).map_err(|source| ReviewError::Edit {
        run_id: run_id.clone(),
        index,
        source,
    })?;
    let still_invalid = validators
        .check_object_except(&answer, &crate::schema::LOCAL_FIELDS)
        .err()
        .map(|e| e.to_string());
    match &still_invalid {
        None => {
            ov.status = OverlayStatus::AiComplete;
            ov.staging = Some(answer);
            ov.edited = true;
            ov.last_error = None;
        }
        Some(why) => {
            ov.invalid_answer = Some(answer);
            ov.last_error = Some(format!("invalid answer: {why}"));
        }
    }
    rt.put_overlay(&ov)?;
    let mut ev = event(rt, user, Action::Edit, &Selection::from_indices([index]));
    ev.field = Some(field.to_string());
    ev.old_value = Some(old.clone().unwrap_or(Value::Null));
    ev.new_value = Some(value.clone());
    ev.reason = Some(match &still_invalid {
        None => "salvaged a failed block: the fixed answer obeys the schema".to_string(),
        Some(why) => format!("fixing a failed block; still invalid: {why}"),
    });
    let seq = rt.append_review(&ev)?;
    Ok(EditOutcome {
        run_id,
        block_index: index,
        field: Some(field.to_string()),
        old_value: old,
        new_value: Some(value),
        edited: true,
        event_seq: seq,
        undo: Undo::Restore {
            before: vec![before],
            after: vec![ov],
        },
        salvage: Some(match still_invalid {
            None => Salvage::Staged,
            Some(why) => Salvage::StillInvalid(why),
        }),
    })
}
