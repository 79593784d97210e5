//! `run list`, `run status` and `run calls`: what the CLI says about runs (split from run.rs).

use serde_json::json;

use super::output::{one_line, print_json, print_totals, short_id};
use super::{Ctx, Exit};
use crate::model::Run;
use crate::workspace::{format_cost, Workspace};

pub(super) fn list(ctx: &Ctx, ws: &Workspace) -> anyhow::Result<u8> {
    let runs = ws.list_runs()?;
    let states = ws.run_states(&runs)?;
    if ctx.json {
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .zip(&states)
            .map(|(r, s)| with_state(r, s))
            .collect::<anyhow::Result<_>>()?;
        print_json(&rows)?;
        return Ok(0);
    }
    if runs.is_empty() {
        if !ctx.quiet {
            outln!("No runs yet. Create one with `blockwise run create DOC SCHEMA`.");
        }
        return Ok(0);
    }
    outln!(
        "{:<16}  {:<9}  {:>7}  {:>7}  {:>9}  {:>7}  {:<20}  SCHEMA / DOC",
        "RUN",
        "STATUS",
        "BLOCKS",
        "PENDING",
        "STAGED",
        "FAILED",
        "MODEL"
    );
    for (r, state) in runs.into_iter().zip(states) {
        let c = r.counters;
        outln!(
            "{:<16}  {:<9}  {:>7}  {:>7}  {:>9}  {:>7}  {:<20}  {} / {}{}",
            r.run_id,
            state.as_str(),
            c.total,
            c.pending + c.claimed,
            c.ai_complete + c.confirmed,
            c.failed,
            one_line(
                &format!("{}:{}", r.model_config.provider, r.model_config.model),
                20
            ),
            r.schema_ref,
            short_id(&r.conv_uid),
            demo_label(&r)
        );
    }
    super::run_group::list(ctx, ws)?;
    Ok(0)
}

/// A run as JSON with its derived `state` (and `worker`, `reason`, `failed` where they apply)
/// beside the stored `status`.
fn with_state(r: &Run, state: &crate::workspace::RunState) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(r)?;
    if let (Some(obj), serde_json::Value::Object(s)) =
        (v.as_object_mut(), serde_json::to_value(state)?)
    {
        for (k, value) in s {
            let key = if k == "state" {
                k
            } else {
                format!("state_{k}")
            };
            obj.insert(key, value);
        }
    }
    Ok(v)
}

pub(super) fn status(ctx: &Ctx, ws: &Workspace, run: &str) -> anyhow::Result<u8> {
    let id = ws.resolve_run(run)?;
    let r = ws
        .get_run(&id)?
        .ok_or_else(|| Exit::new(1, format!("run {id} does not exist")))?;
    // One read of the holders gives the state and the live session's start.
    let holder = ws
        .run_holders()?
        .into_iter()
        .find(|(run_id, _)| *run_id == id);
    let holder = holder.map(|(_, h)| h);
    let state = crate::workspace::RunState::of(&r, holder.as_ref().map(|h| h.describe()));
    let secs = (r.active_millis + live_session_millis(holder.as_ref(), &state)) as f64 / 1000.0;
    let done = r.counters.ai_complete + r.counters.confirmed + r.counters.failed;
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let failures = ws.failures_by_cause(&id)?;
    if ctx.json {
        print_json(&json!({
            "run": r,
            "elapsed_seconds": secs,
            "blocks_per_second": rate,
            "estimated_cost": format_cost(r.usage.cost_usd),
            "batches": ws.batches(std::slice::from_ref(&id))?,
            "failures": failures,
            "state": state.as_str(),
            "state_label": state.label(),
        }))?;
        return Ok(0);
    }
    print_status_progress(&r, &state, secs, rate);
    super::run_batch::print_batches(ws, std::slice::from_ref(&id))?;
    for line in crate::workspace::failure_lines(&failures) {
        outln!("{}", one_line(&line, 240));
    }
    print_status_config(ws, &id, &r)?;
    Ok(0)
}

/// The running session's time so far: a run's `active_millis` grows only when a session ends,
/// so without this a live run showed `0.0s active`.
fn live_session_millis(
    holder: Option<&crate::store::Holder>,
    state: &crate::workspace::RunState,
) -> u64 {
    match (state, holder) {
        (crate::workspace::RunState::Running { .. }, Some(h)) => {
            crate::clock::now_millis().saturating_sub(h.since_ms)
        }
        _ => 0,
    }
}

/// `status`: what the run is, how far it got, what it used and cost.
fn print_status_progress(r: &Run, state: &crate::workspace::RunState, secs: f64, rate: f64) {
    let c = r.counters;
    let u = r.usage;
    outln!("run       {}{}", r.run_id, demo_label(r));
    let next = match state {
        crate::workspace::RunState::Idle => {
            format!(" (no worker: `blockwise run start {}` continues)", r.run_id)
        }
        crate::workspace::RunState::Paused { .. } | crate::workspace::RunState::Cancelled => {
            format!(" (`blockwise run resume {}`, then `run start`)", r.run_id)
        }
        _ => String::new(),
    };
    outln!("status    {}{next}", one_line(&state.label(), 300));
    outln!("document  {}", r.conv_uid);
    outln!("schema    {} ({})", r.schema_ref, short_id(&r.schema_uid));
    print_totals(&c, &u);
    outln!("time      {secs:.1}s active, {rate:.1} blocks/s");
}

/// `status`: the provider, endpoint, model settings and policy the run works with.
fn print_status_config(ws: &Workspace, id: &str, r: &Run) -> anyhow::Result<()> {
    let mc = &r.model_config;
    outln!("provider  {}", mc.provider);
    // The endpoint is taken when a session starts; each call records the one it used.
    if let Some(endpoint) = ws.calls(id)?.iter().rev().find_map(|c| c.endpoint.clone()) {
        outln!("endpoint  {} (last call)", one_line(&endpoint, 200));
    }
    for (name, value) in [
        ("model", json!(mc.model)),
        ("temperature", json!(mc.temperature)),
        ("max_tokens", json!(mc.max_tokens)),
    ] {
        let source = mc.sources.get(name).map(String::as_str).unwrap_or("run");
        outln!("          {name}={value} ({source})");
    }
    let p = crate::workspace::WorkerPolicy::from_snapshot(&mc.policy);
    outln!(
        "policy    batching={} pack_size={} caching={} concurrency={} max_retries={} (run snapshot)",
        p.batching, p.pack_size, p.prompt_caching, p.concurrency, p.max_retries
    );
    outln!(
        "          request_timeout_seconds={} transient_retries={} (run snapshot)",
        p.request_timeout_seconds,
        p.transient_retries
    );
    let skip: Vec<&str> = mc.skip_block_types().iter().map(|t| t.as_str()).collect();
    outln!(
        "          skip_block_types={} (run snapshot)",
        if skip.is_empty() {
            "(none)".to_string()
        } else {
            skip.join(",")
        }
    );
    // The pack guard (SPEC §4a): packs that moved answers between blocks, and any halving.
    if let Some(g) = &r.pack_guard {
        let size = g
            .pack_size
            .map(|n| format!(", pack size now {n}"))
            .unwrap_or_default();
        outln!(
            "guard     {} packs moved values between blocks{size}",
            g.shifted_packs
        );
        for step in &g.steps {
            outln!("          {}", one_line(step, 200));
        }
    }
    // What a self-hosted server said at the last session start, and what that session changed.
    if let Some(seen) = &r.server {
        outln!(
            "server    {} (source: server, session of {})",
            one_line(&seen.summary, 200),
            seen.at
        );
        for applied in &seen.applied {
            outln!("          {}", one_line(applied, 200));
        }
    }
    Ok(())
}

pub(super) fn calls(ctx: &Ctx, ws: &Workspace, run: &str) -> anyhow::Result<u8> {
    let id = ws.resolve_run(run)?;
    let calls = ws.calls(&id)?;
    if ctx.json {
        print_json(&calls)?;
        return Ok(0);
    }
    outln!(
        "{:>5}  {:>4}  {:<11}  {:>7}  {:>7}  {:>7}  {:>7}  {:>6}  {:<10}  {:<10}  DETAIL",
        "SEQ",
        "PACK",
        "BLOCKS",
        "IN",
        "OUT",
        "C-WRITE",
        "C-READ",
        "MS",
        "STOP",
        "OUTCOME"
    );
    for c in calls {
        outln!(
            "{:>5}  {:>4}  {:<11}  {:>7}  {:>7}  {:>7}  {:>7}  {:>6}  {:<10}  {:<10}  {}",
            c.seq,
            c.pack_size,
            format!("{}-{}", c.first_block, c.last_block),
            c.usage.input_tokens,
            c.usage.output_tokens,
            c.usage.cache_write_tokens,
            c.usage.cache_read_tokens,
            c.latency_ms,
            c.stop_reason.as_deref().unwrap_or("-"),
            c.outcome,
            one_line(c.detail.as_deref().unwrap_or(""), 240)
        );
        if let Some(fb) = &c.feedback {
            let passed = fb.passed.as_ref().map_or("none".into(), |v| v.to_string());
            outln!(
                "       block {}: first answer {}",
                fb.block_index,
                one_line(&fb.first_answer.to_string(), 100)
            );
            outln!("       sent back: {}", one_line(&fb.error, 100));
            outln!("       passed: {}", one_line(&passed, 100));
        }
    }
    Ok(0)
}

/// The DEMO mark after a demo run's id.
pub(super) fn demo_label(run: &Run) -> &'static str {
    if run.model_config.is_demo() {
        "  [DEMO: offline provider, not a real model]"
    } else {
        ""
    }
}
