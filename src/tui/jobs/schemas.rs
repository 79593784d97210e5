//! Schema and policy jobs: delete an unused schema, set a policy value.

use super::{err, text};
use crate::model::sanitize_line;
use crate::tui::kit::Output;
use crate::workspace::{display_value, SchemaDelete, SetOutcome, Workspace};

pub(super) fn set_policy(
    ws: &Workspace,
    key: &str,
    value: &str,
    reason: Option<&str>,
) -> Result<Output, String> {
    let out = ws
        .set_policy_text(key, value, reason)
        .map_err(|e| err(&e))?;
    text(match out {
        SetOutcome::Changed(e) => format!(
            "{key}: {} → {} (audit #{})",
            display_value(&e.old),
            display_value(&e.new),
            e.seq
        ),
        SetOutcome::Unchanged { .. } => {
            format!("{key} already holds {value}; nothing was written")
        }
    })
}

pub(super) fn delete_schema(
    ws: &Workspace,
    schema_id: &str,
    schema_ref: &str,
) -> Result<Output, String> {
    let r = sanitize_line(schema_ref);
    match ws.delete_schema(schema_id).map_err(|e| err(&e))? {
        SchemaDelete::Deleted(_) => text(format!("deleted schema '{r}' ({schema_id})")),
        SchemaDelete::Referenced { run_ids, .. } => Err(format!(
            "refused: schema '{r}' is used by run(s) {}; nothing was deleted",
            run_ids.join(", ")
        )),
    }
}
