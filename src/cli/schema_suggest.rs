//! `schema suggest "INTENT"`: sample a document's blocks, ask a provider for a schema, check
//! the answer, then print it, write it to a new file, or save it through the one boundary.
//!
//! The call, its check and its one retry live in `workspace::schema_assist`; the demo provider
//! answers offline and is labelled DEMO.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::output::print_json;
use super::{Ctx, Exit};
use crate::model::sanitize_line;
use crate::workspace::{AssistOutcome, AssistTask, Workspace};

pub struct SuggestArgs {
    pub intent: String,
    pub doc: Option<String>,
    pub blocks: usize,
    pub provider: String,
    pub model: Option<String>,
    pub out: Option<PathBuf>,
    pub save: Option<String>,
}

pub fn run(ctx: &Ctx, args: SuggestArgs) -> anyhow::Result<u8> {
    let intent = args.intent.trim();
    if intent.is_empty() {
        return Err(refuse(
            "the intent is empty: say what to extract, e.g. \"parties and dates\"",
        ));
    }
    if args.blocks == 0 {
        return Err(refuse("--blocks must be at least 1"));
    }
    if let Some(path) = &args.out {
        if path.exists() {
            return Err(refuse(&format!(
                "{} already exists; choose a new file (nothing is written over)",
                path.display()
            )));
        }
    }
    // Writable: every call is recorded (`schema calls`), even one that is refused.
    let ws = ctx.open()?;
    let conv_uid = pick_document(&ws, args.doc.as_deref())?;
    let request = ws.suggest_request(Some(&conv_uid), intent, args.blocks)?;
    let samples = request["samples"].as_array().map_or(0, Vec::len);
    let task = AssistTask::Suggest {
        request,
        conv_uid: Some(conv_uid),
    };
    let outcome = ask(&ws, task, &args.provider, args.model.as_deref()).map_err(|e| refuse(&e))?;
    if !ctx.quiet && !ctx.json {
        report_calls(&outcome, samples);
    }
    deliver(ctx, &ws, &outcome, &args, samples)
}

/// Run one assistant request to the end (the CLI has no runtime of its own).
pub(super) fn ask(
    ws: &Workspace,
    task: AssistTask,
    provider: &str,
    model: Option<&str>,
) -> Result<AssistOutcome, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(ws.assist(task, provider, model, None))
        .map_err(|e| sanitize_line(&e.message).into_owned())
}

/// One stderr line per call: provider, model, tokens, cost, outcome.
pub(super) fn report_calls(outcome: &AssistOutcome, samples: usize) {
    match outcome.label {
        Some(label) => errln!(
            "{label} suggestion (offline, deterministic) from {samples} sample blocks; request {} bytes",
            outcome.request_bytes
        ),
        None => errln!(
            "{} {} from {samples} sample blocks; request {} bytes",
            sanitize_line(&outcome.provider),
            sanitize_line(&outcome.model),
            outcome.request_bytes
        ),
    }
    for c in &outcome.calls {
        errln!("  {}", super::schema_calls::call_line(c));
    }
}

fn refuse(why: &str) -> anyhow::Error {
    Exit::new(1, format!("error: schema suggest: {why}; nothing saved")).into()
}

/// `--doc`, or the only document in the store.
fn pick_document(ws: &Workspace, doc: Option<&str>) -> anyhow::Result<String> {
    if let Some(prefix) = doc {
        return ws
            .resolve_document(prefix)
            .map_err(|e| refuse(&format!("document {prefix:?}: {e}")));
    }
    let docs = ws.list_documents()?;
    match docs.as_slice() {
        [one] => Ok(one.conv_uid.clone()),
        [] => Err(refuse("the store has no documents; ingest one first")),
        _ => Err(refuse(&format!(
            "{} documents in the store; name one with --doc",
            docs.len()
        ))),
    }
}

fn deliver(
    ctx: &Ctx,
    ws: &Workspace,
    outcome: &AssistOutcome,
    args: &SuggestArgs,
    samples: usize,
) -> anyhow::Result<u8> {
    let schema = outcome.schema.clone();
    if let Some(r) = &args.save {
        let result = ws.save_schema(schema, Some(r.clone()));
        return super::schema_report::report(ctx, result, None);
    }
    if let Some(path) = &args.out {
        write_new(path, &schema)?;
        if !ctx.quiet {
            outln!("wrote {}", path.display());
        }
        return Ok(0);
    }
    if ctx.json {
        let calls: Vec<Value> = outcome
            .calls
            .iter()
            .map(super::schema_calls::call_json)
            .collect();
        print_json(
            &json!({"provider": outcome.provider, "model": outcome.model,
                           "label": outcome.label, "samples": samples,
                           "request_bytes": outcome.request_bytes, "calls": calls,
                           "schema": schema}),
        )?;
    } else {
        print_json(&schema)?;
    }
    Ok(0)
}

/// Write to a file that must not exist yet.
pub(super) fn write_new(path: &Path, schema: &Value) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| refuse(&format!("cannot create {}: {e}", path.display())))?;
    let text = serde_json::to_string_pretty(schema)? + "\n";
    f.write_all(text.as_bytes())?;
    Ok(())
}
