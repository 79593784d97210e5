//! Batch mode on the command line: `run status`'s batch lines, `run estimate --batch`, and
//! `run cancel` on a run whose batches are open with no worker to cancel them.

use std::time::Duration;

use super::{Ctx, Exit};
use crate::provider::pricing::batch_cost;
use crate::workspace::{format_cost, RunEnd, RunEstimate, SessionOptions, Workspace};

/// `run status`: the run's batches, when it has any.
pub(super) fn print_batches(ws: &Workspace, run_ids: &[String]) -> anyhow::Result<()> {
    if let Some(lines) = crate::workspace::batch_summary(&ws.batches(run_ids)?) {
        let mut lines = lines.into_iter();
        if let Some(first) = lines.next() {
            outln!("batches   {first}");
        }
        for l in lines {
            outln!("          {l}");
        }
    }
    Ok(())
}

/// `run estimate --batch`: the same packs as requests of the provider's batch API, at its
/// price; refused (exit 1) for a provider without one.
pub(super) fn estimate_batch(e: &RunEstimate) -> anyhow::Result<(serde_json::Value, String)> {
    if let Some(why) = crate::worker::batch::refusal(&e.provider) {
        return Err(Exit::new(1, format!("run estimate --batch: {why}")).into());
    }
    use crate::provider::batch::{anthropic, google, openai};
    let limits = match e.provider.as_str() {
        "openai" => openai::LIMITS,
        "google" => google::LIMITS,
        _ => anthropic::LIMITS,
    };
    // The byte limit binds first for Gemini's inline requests (20 MB): about 5 bytes of
    // request per prompt token (text plus JSON escaping), a deliberately high guess.
    let prompt_tokens = e.input_tokens + e.cache_write_tokens + e.cache_read_tokens;
    let by_bytes = (prompt_tokens * 5).div_ceil(limits.max_bytes.max(1) as u64) as u32;
    let batches = e
        .calls
        .div_ceil(limits.max_requests.max(1) as u32)
        .max(by_bytes);
    let cost = batch_cost(e.cost_usd);
    let line = format!(
        "batch {} requests in {batches} batch(es) at the batch price (50 % of real time, cache \
         prices included): cost {} instead of {}; results within 24 h",
        e.calls,
        format_cost(cost),
        format_cost(e.cost_usd)
    );
    let json = serde_json::json!({"requests": e.calls, "batches": batches, "cost_usd": cost});
    Ok((json, line))
}

/// `run cancel` of a run with open batches: when no live worker holds the run, cancel them at
/// the provider here, join what they finished (kept) and give the rest back to pending.
pub(super) fn cancel_open_batches(ctx: &Ctx, ws: &Workspace, run_id: &str) -> anyhow::Result<()> {
    let ids = [run_id.to_string()];
    if !ws.has_open_batches(&ids)? {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let session = match ws.start_session(
        runtime.handle(),
        run_id,
        SessionOptions {
            batch: true,
            ..Default::default()
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            // A live worker holds the run: it sees the cancel and cancels its batches itself.
            if !ctx.quiet {
                eprintln!(
                    "{}",
                    crate::model::sanitize_line(&format!(
                        "open batches are left to the worker that holds the run: {e}"
                    ))
                );
            }
            return Ok(());
        }
    };
    if !ctx.quiet && !ctx.json {
        outln!("cancelling the run's open provider batches; what they finished is kept");
    }
    let end = runtime.block_on(async move {
        let mut events = session.events;
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        tokio::time::timeout(CANCEL_WAIT, session.done).await
    });
    match end {
        Ok(Ok(Ok(RunEnd::Cancelled))) | Ok(Ok(Ok(_))) => Ok(()),
        Ok(Ok(Err(e))) => Err(Exit::new(1, format!("cancelling the batches failed: {e}")).into()),
        Ok(Err(e)) => Err(Exit::new(1, format!("cancelling the batches failed: {e}")).into()),
        Err(_) => Err(Exit::new(
            1,
            format!(
                "the provider did not end the cancelled batches within {} s; the run is cancelled \
                 and `blockwise run cancel {run_id}` again (or `run resume` + `run start`) joins \
                 them later",
                CANCEL_WAIT.as_secs()
            ),
        )
        .into()),
    }
}

/// How long `run cancel` waits for the provider to end cancelled batches.
const CANCEL_WAIT: Duration = Duration::from_secs(600);
