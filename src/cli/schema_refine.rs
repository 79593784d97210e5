//! `schema refine FILE_OR_REF "INSTRUCTION" [-o FILE] [--provider P] [--model M]`: one
//! instruction applied to a draft by a provider (the DEMO one offline); the field diff is printed (stderr) before anything is written, and the
//! result is checked like a suggestion. The draft and the store are never changed.

use std::path::PathBuf;

use serde_json::Value;

use super::{Ctx, Exit};
use crate::workspace::{self, schema_refine as refine, AssistTask};

pub struct RefineArgs {
    pub draft: String,
    pub instruction: String,
    pub out: Option<PathBuf>,
    pub provider: String,
    pub model: Option<String>,
}

pub fn run(ctx: &Ctx, args: RefineArgs) -> anyhow::Result<u8> {
    if args.instruction.trim().is_empty() {
        return Err(refuse("the instruction is empty"));
    }
    if let Some(path) = &args.out {
        if path.exists() {
            return Err(refuse(&format!(
                "{} already exists; choose a new file (nothing is written over)",
                path.display()
            )));
        }
    }
    let draft = load_draft(ctx, &args.draft)?;
    // Writable: the call is recorded (`schema calls`); the draft and the schemas are not touched.
    let ws = ctx.open()?;
    let task = AssistTask::Refine {
        draft: draft.clone(),
        instruction: args.instruction.trim().to_string(),
    };
    let outcome = super::schema_suggest::ask(&ws, task, &args.provider, args.model.as_deref())
        .map_err(|e| refuse(&e))?;
    let refined = outcome.schema.clone();
    let has_fields = refined
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if !has_fields {
        return Err(refuse("the refinement removes every field"));
    }
    if !ctx.quiet {
        match outcome.label {
            Some(l) => errln!("{l} refinement (offline, deterministic); field changes:"),
            None => errln!(
                "{} {} refinement; field changes:",
                outcome.provider,
                outcome.model
            ),
        }
        for change in refine::field_diff(&draft, &refined) {
            errln!("  {change}");
        }
        for c in &outcome.calls {
            errln!("  {}", super::schema_calls::call_line(c));
        }
    }
    match &args.out {
        Some(path) => {
            super::schema_suggest::write_new(path, &refined)?;
            if !ctx.quiet {
                outln!("wrote {}", path.display());
            }
        }
        None => super::output::print_json(&refined)?,
    }
    Ok(0)
}

fn refuse(why: &str) -> anyhow::Error {
    Exit::new(1, format!("error: schema refine: {why}; nothing written")).into()
}

/// A draft file if the path exists, else a saved schema by ref or id.
fn load_draft(ctx: &Ctx, name: &str) -> anyhow::Result<Value> {
    let path = std::path::Path::new(name);
    if path.is_file() {
        let text = workspace::read_text(path, workspace::SCHEMA_FILE_MAX)
            .map_err(|e| refuse(&format!("cannot read {name}: {e}")))?;
        return serde_json::from_str(&text)
            .map_err(|e| refuse(&format!("{name} is not valid JSON: {e}")));
    }
    let ws = ctx.open_read()?;
    let schema = ws
        .resolve_schema(name)
        .map_err(|e| refuse(&format!("{name:?} is neither a file nor a schema: {e}")))?;
    Ok(schema.json)
}
