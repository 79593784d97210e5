//! The review validator applied once more before an export (issue 20 item 1): a value that does
//! not obey its run's schema (whole schema and object-level rules) is never exported. Values
//! staged or confirmed by an older build are the only ones that can fail here: the worker and
//! `review confirm` check the same rules.

use crate::model::OverlayStatus;
use crate::review::edit::FieldValidators;
use crate::store::Store;

use super::{ExportError, Mode};

/// At most this many block indices are named in the refusal.
const NAMED: usize = 10;

/// Refuse the export of `run_id` in `mode` when a value it would write does not validate,
/// naming the blocks, the first reason and what to do.
pub fn check_exportable(store: &Store, run_id: &str, mode: Mode) -> Result<(), ExportError> {
    let Some(run) = store.get_run(run_id)? else {
        return Ok(()); // the export itself names the missing run
    };
    let Some(schema) = store.get_schema(&run.schema_id)? else {
        return Ok(()); // the export itself names the missing schema
    };
    let Ok(validators) = FieldValidators::new(&schema.json) else {
        return Ok(()); // a schema the validator cannot compile was never enforced either
    };
    let local = &crate::schema::LOCAL_FIELDS;
    let (mut bad, mut first) = (Vec::new(), None);
    store.for_each_overlay(run_id, |ov| {
        let staged = (mode != Mode::Confirmed && ov.status == OverlayStatus::AiComplete)
            .then_some(ov.staging.as_ref())
            .flatten();
        for value in [ov.confirmed.as_ref(), staged].into_iter().flatten() {
            if let Err(e) = validators.check_object_except(value, local) {
                bad.push(ov.block_index);
                first.get_or_insert_with(|| format!("block {}: {e}", ov.block_index));
                break;
            }
        }
        Ok(())
    })?;
    if bad.is_empty() {
        return Ok(());
    }
    let mut named: Vec<String> = bad.iter().take(NAMED).map(u32::to_string).collect();
    if bad.len() > NAMED {
        named.push(format!("… ({} in all)", bad.len()));
    }
    Err(ExportError::Invalid {
        run_id: run_id.to_string(),
        blocks: named.join(", "),
        first: first.unwrap_or_default(),
    })
}
