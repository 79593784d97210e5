//! Salvaging a failed block (issue 23 item 4): the worker keeps the model's last invalid answer
//! with the block; an edit fixes one field of it in place. Once the whole answer obeys the
//! schema the block is staged (an edited draft with no model answer to go back to) and can be
//! confirmed like any other; until then it stays failed, keeping the fixes made so far.

use serde_json::Value;

use super::edit::{EditError, FieldValidators};
use crate::model::{Overlay, OverlayStatus};

/// What an edit of a failed block's invalid answer left.
#[derive(Debug, Clone, PartialEq)]
pub enum Salvage {
    /// The answer obeys the schema now: the block is staged, ready to confirm.
    Staged,
    /// Still invalid (the first problem left): the block stays failed, keeping the fix.
    StillInvalid(String),
}

impl Salvage {
    /// The reason recorded with the edit's review event.
    pub fn reason(&self) -> String {
        match self {
            Salvage::Staged => "salvaged a failed block: the fixed answer obeys the schema".into(),
            Salvage::StillInvalid(why) => format!("fixing a failed block; still invalid: {why}"),
        }
    }
}

/// A failed block that kept an answer to fix.
pub(super) fn salvageable(ov: &Overlay) -> bool {
    ov.status == OverlayStatus::Failed && matches!(ov.invalid_answer, Some(Value::Object(_)))
}

/// Set `field` to `value` (already parsed and checked on its own) in `ov`'s invalid answer,
/// then check the whole answer: valid → staged; else still failed, naming what is left.
/// Returns the field's old value. `ov` must be [`salvageable`].
pub(super) fn fix(
    schema: &Value,
    ov: &mut Overlay,
    field: &str,
    value: Value,
) -> Result<(Option<Value>, Salvage), EditError> {
    let validators = FieldValidators::new(schema)?;
    let mut answer = match ov.invalid_answer.take() {
        Some(Value::Object(map)) => map,
        other => {
            ov.invalid_answer = other;
            return Err(EditError::Invalid {
                field: field.to_string(),
                reason: "the block kept no answer to fix".into(),
            });
        }
    };
    let old = answer.insert(field.to_string(), value);
    let answer = Value::Object(answer);
    match validators.check_object_except(&answer, &crate::schema::LOCAL_FIELDS) {
        Ok(()) => {
            ov.status = OverlayStatus::AiComplete;
            ov.staging = Some(answer);
            ov.edited = true;
            ov.last_error = None;
            Ok((old, Salvage::Staged))
        }
        Err(e) => {
            let why = e.to_string();
            ov.invalid_answer = Some(answer);
            ov.last_error = Some(format!("invalid answer: {why}"));
            Ok((old, Salvage::StillInvalid(why)))
        }
    }
}
