//! Printing the outcome of a save through the one boundary (created / unchanged; conflicts
//! exit 3, rejections 1), shared by `schema add | from-template | fork | suggest --save`.

use serde_json::json;

use super::output::print_json;
use super::{Ctx, Exit};
use crate::workspace::{self, ImportClass, SaveOutcome, SchemaError};

/// Print a save result; conflicts exit 3, rejections 1.
pub(super) fn report(
    ctx: &Ctx,
    result: Result<SaveOutcome, workspace::Error>,
    class: Option<&ImportClass>,
) -> anyhow::Result<u8> {
    match result {
        Ok(outcome) => {
            let s = outcome.schema();
            if ctx.json {
                print_json(&json!({
                    "status": outcome.status(),
                    "schema_ref": s.schema_ref,
                    "schema_id": s.schema_id,
                    "schema_uid": s.schema_uid,
                    "warnings": s.warnings,
                    "import_class": class.map(ImportClass::name),
                }))?;
            } else if !ctx.quiet {
                outln!("{} {} {}", outcome.status(), s.schema_ref, s.schema_uid);
                for w in &s.warnings {
                    errln!("warning: {w}");
                }
                if let Some(ImportClass::Advanced { .. }) = class {
                    errln!(
                        "note: parts of this schema are outside the wizard's subset; edit it as \
                         raw JSON"
                    );
                }
            }
            Ok(0)
        }
        Err(workspace::Error::Schema(e)) if e.is_conflict() => {
            if ctx.json {
                let body = match &e {
                    SchemaError::RefConflict {
                        schema_ref,
                        existing_id,
                        existing_uid,
                        suggested_ref,
                    } => json!({
                        "status": "ref_conflict",
                        "schema_ref": schema_ref,
                        "existing_schema_id": existing_id,
                        "existing_schema_uid": existing_uid,
                        "suggested_ref": suggested_ref,
                        "message": e.to_string(),
                    }),
                    SchemaError::ContentConflict {
                        requested_ref,
                        existing_ref,
                        existing_id,
                        schema_uid,
                    } => json!({
                        "status": "content_conflict",
                        "schema_ref": requested_ref,
                        "existing_schema_ref": existing_ref,
                        "existing_schema_id": existing_id,
                        "schema_uid": schema_uid,
                        "message": e.to_string(),
                    }),
                    _ => json!({"status": "conflict", "message": e.to_string()}),
                };
                print_json(&body)?;
            }
            Err(Exit::new(3, format!("{e}; nothing saved")).into())
        }
        Err(workspace::Error::Schema(e)) if e.is_rejected() => {
            Err(Exit::new(1, format!("error: {e}; nothing saved")).into())
        }
        Err(e) => Err(e.into()),
    }
}
