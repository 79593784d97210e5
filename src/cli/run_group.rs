//! The run commands on a run group (`grp_…`, SPEC §1a): create and estimate from a project;
//! start, status, calls, cancel, resume and retry-failed on every member at once.

use std::io::IsTerminal;

use serde_json::json;

use super::exit::refused;
use super::output::{one_line, print_json, print_totals, short_id};
use super::progress::print_progress;
use super::{Ctx, Exit};
use crate::model::{GroupSummary, Run};
use crate::workspace::{
    format_cost, CreateRunOptions, RunEnd, RunGroup, SessionOptions, Workspace,
};

pub(super) fn create(
    ctx: &Ctx,
    ws: &Workspace,
    project: &str,
    schema: &str,
    opts: &CreateRunOptions,
) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let group = ws.create_group(project, schema, opts).map_err(refused)?;
    let took = started.elapsed();
    let summary = ws.group_summary(&group)?;
    if ctx.json {
        print_json(&json!({"group": group, "summary": summary}))?;
    } else if !ctx.quiet {
        outln!(
            "created {}  {} runs  {} blocks  project {}  schema {}  ({:.2} s)",
            group.group_id,
            group.run_ids.len(),
            summary.counters.total,
            group.project_ref,
            group.schema_ref,
            took.as_secs_f64()
        );
    }
    Ok(0)
}

/// A group's state as `run list` and `run status` show it: a running group nobody works on
/// is `idle`, as a run is.
fn group_state(ws: &Workspace, s: &GroupSummary, runs: &[Run]) -> anyhow::Result<&'static str> {
    if s.status != crate::model::RunStatus::Running {
        return Ok(s.status.as_str());
    }
    let worked = ws.run_states(runs)?.iter().any(|st| st.is_worked());
    Ok(if worked { "running" } else { "idle" })
}

fn line(s: &GroupSummary, state: &str) -> String {
    let c = s.counters;
    format!(
        "{}  {}  {} runs ({} complete)  {}/{} blocks done  {} failed  calls {}  {}",
        s.group_id,
        state,
        s.runs,
        s.runs_complete,
        c.ai_complete + c.confirmed + c.failed,
        c.total,
        c.failed,
        s.usage.calls,
        format_cost(s.usage.cost_usd)
    )
}

pub(super) fn status(ctx: &Ctx, ws: &Workspace, group: &RunGroup) -> anyhow::Result<u8> {
    let runs = ws.group_runs(group)?;
    let s = GroupSummary::of(group, &runs);
    // Failures per member run (blocks are numbered per document).
    let mut failures = Vec::new();
    for r in runs.iter().filter(|r| r.counters.failed > 0) {
        failures.push((r.run_id.clone(), ws.failures_by_cause(&r.run_id)?));
    }
    if ctx.json {
        let batches = ws.batches(&group.run_ids)?;
        let by_run: serde_json::Map<String, serde_json::Value> = failures
            .iter()
            .map(|(id, causes)| Ok((id.clone(), serde_json::to_value(causes)?)))
            .collect::<Result<_, serde_json::Error>>()?;
        print_json(
            &json!({"group": group, "summary": s, "runs": runs, "batches": batches, "failures": by_run}),
        )?;
        return Ok(0);
    }
    let (c, u) = (s.counters, s.usage);
    outln!("group     {}", s.group_id);
    outln!(
        "status    {}{}",
        group_state(ws, &s, &runs)?,
        s.paused_reason
            .as_deref()
            .map(|p| format!(" — {}", one_line(p, 200)))
            .unwrap_or_default()
    );
    outln!("project   {}  ({} documents)", s.project_ref, s.runs);
    outln!(
        "schema    {} ({})",
        group.schema_ref,
        short_id(&group.schema_uid)
    );
    outln!(
        "runs      {} complete  {} paused  {} cancelled  of {}",
        s.runs_complete,
        s.runs_paused,
        s.runs_cancelled,
        s.runs
    );
    print_totals(&c, &u);
    super::run_batch::print_batches(ws, &group.run_ids)?;
    for (run_id, causes) in &failures {
        for line in crate::workspace::failure_lines(causes) {
            outln!(
                "{}",
                one_line(&format!("{run_id}: {}", line.trim_start()), 240)
            );
        }
    }
    if let Some(r) = runs.first() {
        let mc = &r.model_config;
        outln!(
            "model     {} {} (shared by every member)",
            mc.provider,
            mc.model
        );
    }
    Ok(0)
}

pub(super) fn calls(ctx: &Ctx, ws: &Workspace, group: &RunGroup) -> anyhow::Result<u8> {
    let calls = ws.group_calls(group)?;
    if ctx.json {
        print_json(&calls)?;
        return Ok(0);
    }
    outln!(
        "{:<16}  {:>5}  {:>4}  {:>7}  {:>7}  {:>7}  {:>6}  {:<10}  DETAIL",
        "RUN",
        "SEQ",
        "PACK",
        "IN",
        "OUT",
        "C-READ",
        "MS",
        "OUTCOME"
    );
    for c in calls {
        outln!(
            "{:<16}  {:>5}  {:>4}  {:>7}  {:>7}  {:>7}  {:>6}  {:<10}  {}",
            c.run_id,
            c.seq,
            c.pack_size,
            c.usage.input_tokens,
            c.usage.output_tokens,
            c.usage.cache_read_tokens,
            c.latency_ms,
            c.outcome,
            one_line(c.detail.as_deref().unwrap_or(""), 240)
        );
    }
    Ok(0)
}

pub(super) fn cancel(ctx: &Ctx, ws: &Workspace, group: &RunGroup) -> anyhow::Result<u8> {
    report(ctx, &ws.cancel_group(group)?)
}

pub(super) fn resume(ctx: &Ctx, ws: &Workspace, group: &RunGroup) -> anyhow::Result<u8> {
    report(ctx, &ws.resume_group(group)?)
}

pub(super) fn retry_failed(ctx: &Ctx, ws: &Workspace, group: &RunGroup) -> anyhow::Result<u8> {
    let (s, reset) = ws.retry_failed_group(group)?;
    if ctx.json {
        print_json(&json!({"summary": s, "reset": reset}))?;
    } else if !ctx.quiet {
        outln!(
            "{}  {reset} failed blocks back to pending; `blockwise run start {}` processes them",
            line(&s, s.status.as_str()),
            s.group_id
        );
    }
    Ok(0)
}

fn report(ctx: &Ctx, s: &GroupSummary) -> anyhow::Result<u8> {
    if ctx.json {
        print_json(s)?;
    } else if !ctx.quiet {
        outln!("{}", line(s, s.status.as_str()));
    }
    Ok(0)
}

/// The run `print_progress` reports on: the group's first member, named and counted as the
/// whole group.
fn progress_view(group: &RunGroup, runs: &[Run]) -> Option<Run> {
    let s = GroupSummary::of(group, runs);
    let mut view = runs.first()?.clone();
    view.run_id = group.group_id.clone();
    view.counters = s.counters;
    view.usage = s.usage;
    Some(view)
}

pub(super) fn start(
    ctx: &Ctx,
    ws: &Workspace,
    group: &RunGroup,
    opts: SessionOptions,
) -> anyhow::Result<u8> {
    let gid = group.group_id.clone();
    let runs = ws.group_runs(group)?;
    if GroupSummary::of(group, &runs).status == crate::model::RunStatus::Complete {
        if !ctx.quiet {
            outln!("{gid} is already complete");
        }
        return Ok(0);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut session = ws
        .start_group_session(runtime.handle(), group, opts)
        .map_err(refused)?;
    if let Some(view) = progress_view(group, &runs) {
        session.run = view;
    }
    let tty = std::io::stdout().is_terminal() && !ctx.json && !ctx.quiet;
    let quiet = ctx.quiet || ctx.json;
    let end = runtime.block_on(async move {
        let stop = session.stop;
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = stop.send(true);
            }
        });
        let printer = tokio::spawn(print_progress(session.events, session.run, tty, quiet));
        let end = session.done.await;
        let _ = printer.await;
        end
    })??;
    match end {
        RunEnd::Complete => {
            let s = ws.group_summary(group)?;
            if s.counters.failed == 0 {
                return Ok(0);
            }
            Err(Exit::new(
                5,
                format!(
                    "run group {gid} finished with {} failed blocks; details: `blockwise run \
                     status {gid}`, then `blockwise run retry-failed {gid}` to queue them again",
                    s.counters.failed
                ),
            )
            .into())
        }
        RunEnd::Cancelled => {
            if !ctx.quiet {
                outln!(
                    "cancelled; `blockwise run resume {gid}` then `run start {gid}` to continue"
                );
            }
            Ok(0)
        }
        RunEnd::Paused(reason) => Err(Exit::new(4, format!("run group paused: {reason}")).into()),
        RunEnd::Busy(msg) => Err(Exit::new(1, msg).into()),
        RunEnd::Interrupted => Err(Exit::new(
            130,
            format!("interrupted: claims released; `blockwise run start {gid}` continues"),
        )
        .into()),
    }
}

/// `run list`: the groups after the runs, one line each.
pub(super) fn list(ctx: &Ctx, ws: &Workspace) -> anyhow::Result<()> {
    let groups = ws.list_groups()?;
    if groups.is_empty() || ctx.quiet {
        return Ok(());
    }
    outln!();
    outln!("GROUPS");
    for g in &groups {
        let runs = ws.group_runs(g)?;
        let s = GroupSummary::of(g, &runs);
        outln!("{}", line(&s, group_state(ws, &s, &runs)?));
    }
    Ok(())
}
