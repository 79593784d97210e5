//! `review confirm | reject | unconfirm | edit | discard | log`.

use clap::Subcommand;
use serde_json::json;

use super::exit::refused;
use super::output::{one_line, print_json};
use super::{Ctx, Exit};
use crate::workspace::{ReviewOutcome, RunOrGroup, Salvage, Selection, Target, Workspace};

#[derive(Debug, Subcommand)]
pub enum ReviewCmd {
    /// Confirm staged blocks: the staged value becomes the confirmed value.
    Confirm {
        /// run_id or group_id (`grp_…`), or a unique prefix.
        run: String,
        /// The document whose blocks are meant, when RUN names a run group (`grp_…`).
        #[arg(long, value_name = "DOC")]
        doc: Option<String>,
        /// Every staged (ai_complete) block of the run (of every member of a group).
        #[arg(long, conflicts_with = "blocks", required_unless_present = "blocks")]
        all: bool,
        /// Blocks to confirm, like 0,3,7-12; those not staged are skipped (and listed).
        #[arg(long, value_name = "SPEC")]
        blocks: Option<String>,
    },
    /// Reject staged blocks back to pending: the answer is cleared and the blocks are redone.
    Reject {
        run: String,
        /// The document whose blocks are meant, when RUN names a run group (`grp_…`).
        #[arg(long, value_name = "DOC")]
        doc: Option<String>,

        /// Blocks to reject, like 0,3,7-12; those not staged are skipped (and listed).
        #[arg(long, value_name = "SPEC")]
        blocks: String,
        /// Why (kept in the review log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Confirmed blocks back to staged (logged with who and when); they can be edited again.
    Unconfirm {
        run: String,
        /// The document whose blocks are meant, when RUN names a run group (`grp_…`).
        #[arg(long, value_name = "DOC")]
        doc: Option<String>,

        /// Blocks to unconfirm, like 0,3,7-12; those not confirmed are skipped (and listed).
        #[arg(long, value_name = "SPEC")]
        blocks: String,
    },
    /// Edit one field of a staged value (parsed by the field's type, checked against its schema).
    Edit {
        run: String,
        /// The document whose blocks are meant, when RUN names a run group (`grp_…`).
        #[arg(long, value_name = "DOC")]
        doc: Option<String>,

        block_index: u32,
        field: String,
        /// New value: text for strings, 0.5 / 7 / true, an enum member, JSON for arrays and
        /// objects, `null` where the field allows it.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Discard a draft edit: the staged value goes back to the model's answer.
    Discard {
        run: String,
        /// The document whose blocks are meant, when RUN names a run group (`grp_…`).
        #[arg(long, value_name = "DOC")]
        doc: Option<String>,
        block_index: u32,
    },
    /// Show the review record (who confirmed, rejected, edited what, when).
    Log {
        /// Only this run (or every member of this group).
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
        ReviewCmd::Confirm {
            run,
            doc,
            all,
            blocks,
        } => confirm(ctx, &ws, &run, doc.as_deref(), all, blocks),
        ReviewCmd::Reject {
            run,
            doc,
            blocks,
            reason,
        } => {
            let run_id = member(&ws, &run, doc.as_deref())?;
            let sel = selection(&blocks)?;
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let out = ws
                .reject_with_reason(&run_id, &sel, reason)
                .map_err(refused)?;
            report(ctx, &out, "rejected to pending")
        }
        ReviewCmd::Unconfirm { run, doc, blocks } => {
            let run_id = member(&ws, &run, doc.as_deref())?;
            let sel = selection(&blocks)?;
            let out = ws.unconfirm(&run_id, &sel).map_err(refused)?;
            report(ctx, &out, "unconfirmed (back to staged)")
        }
        ReviewCmd::Edit {
            run,
            doc,
            block_index,
            field,
            value,
        } => {
            let run_id = member(&ws, &run, doc.as_deref())?;
            edit(ctx, &ws, &run_id, block_index, &field, &value)
        }
        ReviewCmd::Discard {
            run,
            doc,
            block_index,
        } => {
            let run_id = member(&ws, &run, doc.as_deref())?;
            discard(ctx, &ws, &run_id, block_index)
        }
        ReviewCmd::Log { run } => log(ctx, &ws, run.as_deref()),
    }
}

/// `review confirm`: `--all` staged blocks (of every member, for a group) or `--blocks SPEC`.
fn confirm(
    ctx: &Ctx,
    ws: &Workspace,
    run: &str,
    doc: Option<&str>,
    all: bool,
    blocks: Option<String>,
) -> anyhow::Result<u8> {
    let target = match (all, blocks) {
        (true, _) => Target::AllStaged,
        (false, Some(spec)) => Target::Blocks(selection(&spec)?),
        (false, None) => return Err(Exit::new(2, "give --all or --blocks SPEC").into()),
    };
    if let (Some(runs), Target::AllStaged) = (group_members(ws, run, doc)?, &target) {
        return confirm_all_members(ctx, ws, &runs);
    }
    let run_id = member(ws, run, doc)?;
    let out = ws.confirm(&run_id, &target).map_err(refused)?;
    let code = report(ctx, &out, "confirmed")?;
    // `--all` confirms staged blocks only: blocks skipped by type stay skipped (SPEC §3).
    let by_type = ws.get_run(&run_id)?.map_or(0, |r| r.counters.skipped);
    if target == Target::AllStaged && by_type > 0 && !ctx.quiet && !ctx.json {
        outln!(
            "{by_type} block{} skipped by type (worker.skip_block_types) stay skipped: nothing \
             to review, they export with data null",
            if by_type == 1 { "" } else { "s" }
        );
    }
    Ok(code)
}

/// `review edit`: stage a draft value for one field and show old -> new.
fn edit(
    ctx: &Ctx,
    ws: &Workspace,
    run_id: &str,
    block_index: u32,
    field: &str,
    value: &str,
) -> anyhow::Result<u8> {
    let out = ws
        .edit(run_id, block_index, field, value)
        .map_err(refused)?;
    if ctx.json {
        print_json(&json!({
            "run_id": out.run_id,
            "block_index": out.block_index,
            "field": out.field,
            "old_value": out.old_value,
            "new_value": out.new_value,
            "edited": out.edited,
            "event_seq": out.event_seq,
            "salvaged": matches!(out.salvage, Some(Salvage::Staged)),
            "still_invalid": match &out.salvage {
                Some(Salvage::StillInvalid(why)) => Some(why),
                _ => None,
            },
        }))?;
    } else if !ctx.quiet {
        let show = |v: &Option<serde_json::Value>| {
            v.as_ref().map_or("(absent)".to_string(), |v| v.to_string())
        };
        let note = match (&out.salvage, out.edited) {
            (Some(Salvage::StillInvalid(why)), _) => format!(
                " (the failed block's answer still breaks the schema: {why}; fix that field too)"
            ),
            (Some(Salvage::Staged), _) => " (failed block salvaged: staged now; \
                `review confirm` confirms it)"
                .to_string(),
            (None, true) => {
                " (draft edit; `review discard` restores the model's answer)".to_string()
            }
            (None, false) => " (same as the model's answer)".to_string(),
        };
        outln!(
            "block {block_index} {field}: {} -> {}{}",
            one_line(&show(&out.old_value), 200),
            one_line(&show(&out.new_value), 200),
            one_line(&note, 300)
        );
    }
    Ok(0)
}

/// `review discard`: drop a block's draft edit.
fn discard(ctx: &Ctx, ws: &Workspace, run_id: &str, block_index: u32) -> anyhow::Result<u8> {
    let out = ws.discard_edit(run_id, block_index).map_err(refused)?;
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

/// `review log`: every review event, or those of one run or of a group's members.
fn log(ctx: &Ctx, ws: &Workspace, run: Option<&str>) -> anyhow::Result<u8> {
    let events = match run {
        None => ws.review_log(None)?,
        Some(name) => match group_members(ws, name, None)? {
            Some(runs) => ws
                .review_log(None)?
                .into_iter()
                .filter(|e| runs.contains(&e.run_id))
                .collect(),
            None => ws.review_log(Some(&ws.resolve_run(name)?))?,
        },
    };
    if ctx.json {
        print_json(&events)?;
    } else if events.is_empty() {
        if !ctx.quiet {
            outln!("No review actions yet.");
        }
    } else {
        for e in events {
            let field = e.field.map(|f| format!(" field {f}")).unwrap_or_default();
            let reason = e
                .reason
                .map(|r| format!(" · {}", super::output::one_line(&r, 200)))
                .unwrap_or_default();
            outln!(
                "{:>5}  {}  {:<10} {:<9} run {} blocks {}{field}{reason}",
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

/// The member runs when `name` is a run group and no `--doc` narrows it to one.
fn group_members(
    ws: &Workspace,
    name: &str,
    doc: Option<&str>,
) -> anyhow::Result<Option<Vec<String>>> {
    match (ws.resolve_run_or_group(name)?, doc) {
        (RunOrGroup::Group(g), None) => Ok(Some(g.run_ids)),
        _ => Ok(None),
    }
}

/// The run whose blocks are named: the run itself, or the member of a group for `--doc DOC`
/// (required with a group: block indices are per document).
fn member(ws: &Workspace, name: &str, doc: Option<&str>) -> anyhow::Result<String> {
    match ws.resolve_run_or_group(name)? {
        RunOrGroup::Run(run_id) => {
            if let Some(doc) = doc {
                let conv = ws.resolve_document(doc)?;
                let run = ws.get_run(&run_id)?;
                if run.is_some_and(|r| r.conv_uid != conv) {
                    return Err(
                        Exit::new(1, format!("run {run_id} is not over document {conv}")).into(),
                    );
                }
            }
            Ok(run_id)
        }
        RunOrGroup::Group(g) => {
            let Some(doc) = doc else {
                return Err(Exit::new(
                    2,
                    format!(
                        "{} is a run group: block numbers are per document, so add --doc DOC                          (one of its {} documents; `blockwise run status {}` lists them)",
                        g.group_id,
                        g.conv_uids.len(),
                        g.group_id
                    ),
                )
                .into());
            };
            let conv = ws.resolve_document(doc)?;
            match g.conv_uids.iter().position(|c| *c == conv) {
                Some(i) => Ok(g.run_ids[i].clone()),
                None => Err(Exit::new(
                    1,
                    format!(
                        "document {conv} is not in run group {} (project {})",
                        g.group_id, g.project_ref
                    ),
                )
                .into()),
            }
        }
    }
}

/// `review confirm GROUP --all`: every staged block of every member, in one transaction.
fn confirm_all_members(ctx: &Ctx, ws: &Workspace, runs: &[String]) -> anyhow::Result<u8> {
    let mut count = 0;
    let mut outcomes = Vec::new();
    // One transaction for the whole group: a refusal in any member confirms nothing.
    for out in ws.confirm_all_staged(runs).map_err(refused)? {
        count += out.count;
        outcomes
            .push(json!({"run_id": out.run_id, "count": out.count, "event_seq": out.event_seq}));
    }
    if ctx.json {
        print_json(&json!({"action": "confirm", "count": count, "runs": outcomes}))?;
    } else if !ctx.quiet {
        outln!(
            "confirmed {count} blocks over {} runs of the group",
            runs.len()
        );
    }
    Ok(0)
}

fn selection(spec: &str) -> anyhow::Result<Selection> {
    spec.parse::<Selection>()
        .map_err(|e| Exit::new(2, format!("error: {e}")).into())
}

fn report(ctx: &Ctx, out: &ReviewOutcome, verb: &str) -> anyhow::Result<u8> {
    if ctx.json {
        print_json(&json!({
            "run_id": out.run_id,
            "action": out.action.as_str(),
            "blocks": out.blocks.to_string(),
            "count": out.count,
            "event_seq": out.event_seq,
            "skipped": out.skipped.iter().map(|s| json!({
                "block": s.index,
                "status": s.status.as_str(),
            })).collect::<Vec<_>>(),
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
        if let Some(line) = out.skipped_line() {
            outln!("{line}; they were left as they are");
        }
    }
    Ok(0)
}
