//! `review confirm | reject | edit | discard | log`.

use clap::Subcommand;
use serde_json::json;

use super::output::print_json;
use super::{Ctx, Exit};
use crate::workspace::{ReviewError, ReviewOutcome, Selection, Target};

#[derive(Debug, Subcommand)]
pub enum ReviewCmd {
    /// Confirm staged blocks: the staged value becomes the confirmed value.
    Confirm {
        /// run_id or a unique prefix.
        run: String,
        /// Every staged (ai_complete) block of the run.
        #[arg(long, conflicts_with = "blocks", required_unless_present = "blocks")]
        all: bool,
        /// Blocks to confirm, like 0,3,7-12; all must be staged.
        #[arg(long, value_name = "SPEC")]
        blocks: Option<String>,
    },
    /// Reject staged blocks back to pending: the answer is cleared and the blocks are redone.
    Reject {
        run: String,
        /// Blocks to reject, like 0,3,7-12; all must be staged.
        #[arg(long, value_name = "SPEC")]
        blocks: String,
    },
    /// Edit one field of a staged value (parsed by the field's type, checked against its schema).
    Edit {
        run: String,
        block_index: u32,
        field: String,
        /// New value: text for strings, 0.5 / 7 / true, an enum member, JSON for arrays and
        /// objects, `null` where the field allows it.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Discard a draft edit: the staged value goes back to the model's answer.
    Discard { run: String, block_index: u32 },
    /// Show the review record (who confirmed, rejected, edited what, when).
    Log {
        /// Only this run.
        run: Option<String>,
    },
}

pub fn run(ctx: &Ctx, cmd: ReviewCmd) -> anyhow::Result<u8> {
    let ws = if matches!(cmd, ReviewCmd::Log { .. }) {
        ctx.open_read()?
    } else {
        ctx.open()?
    };
    match cmd {
        ReviewCmd::Confirm { run, all, blocks } => {
            let run_id = ws.resolve_run(&run)?;
            let target = match (all, blocks) {
                (true, _) => Target::AllStaged,
                (false, Some(spec)) => Target::Blocks(selection(&spec)?),
                (false, None) => return Err(Exit::new(2, "give --all or --blocks SPEC").into()),
            };
            let out = ws.confirm(&run_id, &target).map_err(refusal)?;
            report(ctx, &out, "confirmed")
        }
        ReviewCmd::Reject { run, blocks } => {
            let run_id = ws.resolve_run(&run)?;
            let sel = selection(&blocks)?;
            let out = ws.reject(&run_id, &sel).map_err(refusal)?;
            report(ctx, &out, "rejected to pending")
        }
        ReviewCmd::Edit {
            run,
            block_index,
            field,
            value,
        } => {
            let run_id = ws.resolve_run(&run)?;
            let out = ws
                .edit(&run_id, block_index, &field, &value)
                .map_err(refusal)?;
            if ctx.json {
                print_json(&json!({
                    "run_id": out.run_id,
                    "block_index": out.block_index,
                    "field": out.field,
                    "old_value": out.old_value,
                    "new_value": out.new_value,
                    "edited": out.edited,
                    "event_seq": out.event_seq,
                }))?;
            } else if !ctx.quiet {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref().map_or("(absent)".to_string(), |v| v.to_string())
                };
                outln!(
                    "block {block_index} {field}: {} -> {}{}",
                    show(&out.old_value),
                    show(&out.new_value),
                    if out.edited {
                        " (draft edit; `review discard` restores the model's answer)"
                    } else {
                        " (same as the model's answer)"
                    }
                );
            }
            Ok(0)
        }
        ReviewCmd::Discard { run, block_index } => {
            let run_id = ws.resolve_run(&run)?;
            let out = ws.discard_edit(&run_id, block_index).map_err(refusal)?;
            if ctx.json {
                print_json(&json!({
                    "run_id": out.run_id,
                    "block_index": out.block_index,
                    "value": out.new_value,
                    "event_seq": out.event_seq,
                }))?;
            } else if !ctx.quiet {
                outln!("block {block_index}: draft edit discarded; back to the model's answer");
            }
            Ok(0)
        }
        ReviewCmd::Log { run } => {
            let run_id = run.map(|r| ws.resolve_run(&r)).transpose()?;
            let events = ws.review_log(run_id.as_deref())?;
            if ctx.json {
                print_json(&events)?;
            } else if events.is_empty() {
                if !ctx.quiet {
                    outln!("No review actions yet.");
                }
            } else {
                for e in events {
                    let field = e.field.map(|f| format!(" field {f}")).unwrap_or_default();
                    outln!(
                        "{:>5}  {}  {:<10} {:<8} run {} blocks {}{field}",
                        e.seq,
                        e.at,
                        e.by,
                        e.action,
                        e.run_id,
                        e.blocks
                    );
                }
            }
            Ok(0)
        }
    }
}

fn selection(spec: &str) -> anyhow::Result<Selection> {
    spec.parse::<Selection>()
        .map_err(|e| Exit::new(2, format!("error: {e}")).into())
}

/// A refused review operation exits 1 with the message naming the block and its state.
fn refusal(e: ReviewError) -> anyhow::Error {
    match e {
        ReviewError::Store(e) => e.into(),
        other => Exit::new(1, format!("error: {other}")).into(),
    }
}

fn report(ctx: &Ctx, out: &ReviewOutcome, verb: &str) -> anyhow::Result<u8> {
    if ctx.json {
        print_json(&json!({
            "run_id": out.run_id,
            "action": out.action.as_str(),
            "blocks": out.blocks.to_string(),
            "count": out.count,
            "event_seq": out.event_seq,
        }))?;
    } else if !ctx.quiet {
        if out.count == 0 {
            outln!("run {}: no staged blocks; nothing to confirm", out.run_id);
        } else {
            outln!(
                "{verb} {} block{} of run {} ({})",
                out.count,
                if out.count == 1 { "" } else { "s" },
                out.run_id,
                out.blocks
            );
        }
    }
    Ok(0)
}
