//! Grounding again after a human edit (SPEC §4a): the staged value changed, so its spans are
//! located anew in the block (a reviewer's value has no call, so no neighbours).

use serde_json::Value;

use super::ReviewError;
use crate::evidence::GroundedFields;
use crate::model::Overlay;
use crate::store::Store;

/// A block's content and its run's grounded fields, read before the review transaction.
pub(super) struct Regrounder {
    fields: GroundedFields,
    content: String,
}

/// `None` when the run's schema has no grounded field (nothing to recompute).
pub(super) fn regrounder(
    store: &Store,
    run_id: &str,
    schema: &Value,
    index: u32,
) -> Result<Option<Regrounder>, ReviewError> {
    let Some(fields) = GroundedFields::from_schema(schema) else {
        return Ok(None);
    };
    let Some(run) = store.get_run(run_id)? else {
        return Ok(None);
    };
    // A block out of range is refused by the edit itself, naming the range.
    let content = store
        .block(&run.conv_uid, index)?
        .map(|b| b.block_content)
        .unwrap_or_default();
    Ok(Some(Regrounder { fields, content }))
}

impl Regrounder {
    /// Ground the overlay's staged value again.
    pub(super) fn apply(&self, ov: &mut Overlay) {
        ov.evidence = ov
            .staging
            .as_ref()
            .map(|v| self.fields.ground(v, &self.content, &[]));
    }
}
