//! `run create | start | list | status | calls | cancel | resume | delete` (SPEC §3); `run
//! compare` lives in `run_compare.rs`.

use std::io::IsTerminal;

use clap::{Args, Subcommand};

use super::exit::refused;
use super::output::print_json;
use super::progress::print_progress;
use super::run_status::{calls, demo_label, list, status};
use super::{Ctx, Exit};
use crate::model::Run;
use crate::workspace::{
    CreateRunOptions, RunEnd, RunEstimate, RunOrGroup, SessionOptions, Workspace,
};

/// A document (or `--project REF`), a schema and the run's options (`run create` and
/// `run estimate`).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// conv_uid or a unique prefix, then the schema; with --project, the schema alone.
    #[arg(value_name = "DOC")]
    doc: String,
    /// schema_ref (or schema_id).
    #[arg(value_name = "SCHEMA")]
    schema: Option<String>,
    /// Every document of project REF: one run group (`grp_…`), one run per document.
    #[arg(long, value_name = "REF")]
    project: Option<String>,
    /// anthropic, openai, google, custom or demo (default: the first one set up; demo only
    /// when named).
    #[arg(long)]
    provider: Option<String>,
    #[arg(long)]
    model: Option<String>,
    #[arg(long, allow_negative_numbers = true)]
    temperature: Option<f64>,
    /// Max output tokens per block.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Only the first N blocks of the document: a cheap trial of a schema.
    #[arg(long, value_name = "N")]
    sample: Option<u32>,
}

/// What `run create` / `run estimate` is asked to cover.
enum Over<'a> {
    Doc { doc: &'a str, schema: &'a str },
    Project { project: &'a str, schema: &'a str },
}

impl RunArgs {
    fn over(&self) -> Result<Over<'_>, Exit> {
        match (&self.project, &self.schema) {
            (Some(project), None) => Ok(Over::Project {
                project,
                schema: &self.doc,
            }),
            (Some(_), Some(_)) => Err(Exit::new(
                2,
                "with --project give only the schema: `run create --project REF SCHEMA`",
            )),
            (None, Some(schema)) => Ok(Over::Doc {
                doc: &self.doc,
                schema,
            }),
            (None, None) => Err(Exit::new(
                2,
                "missing SCHEMA: `run create DOC SCHEMA` or `run create --project REF SCHEMA`",
            )),
        }
    }

    fn options(&self) -> CreateRunOptions {
        CreateRunOptions {
            provider: self.provider.clone(),
            model: self.model.clone(),
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            sample: self.sample,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// Bind a document and a schema into a new run (one pending overlay per block).
    Create(RunArgs),
    /// What a run would cost, without creating it: blocks, calls with the current packing,
    /// input / cache / output tokens and dollars at the model's prices.
    Estimate {
        #[command(flatten)]
        args: RunArgs,
        /// Also price it through the provider's batch API (half the real-time price).
        #[arg(long)]
        batch: bool,
    },
    /// Run the worker until the run is complete (exit 0; 5 with failed blocks), paused (4) or
    /// cancelled (6).
    Start {
        run: String,
        /// Calls in flight at once (default: the run's worker.concurrency).
        #[arg(long)]
        concurrency: Option<u32>,
        /// Through the provider's batch API, at half price (anthropic, openai, google; results within 24 h).
        /// A run with open batches resumes polling them either way.
        #[arg(long)]
        batch: bool,
        /// Calibrate the pack size first: the first blocks (worker.batching.calibrate_blocks)
        /// singly and packed, keeping the largest pack size that agrees on >= 95%.
        #[arg(long, conflicts_with = "batch")]
        calibrate: bool,
    },
    /// List runs.
    List,
    /// Counters, usage, cost, timing and effective settings of a run.
    Status { run: String },
    /// Per-call telemetry of a run.
    Calls { run: String },
    /// Stop claiming; remaining blocks stay pending (resume later).
    Cancel { run: String },
    /// Resume a paused or cancelled run (then `run start`).
    Resume { run: String },
    /// Give failed blocks fresh attempts: they return to pending (then `run start`).
    RetryFailed { run: String },
    /// Agreement of two runs or groups over the same documents, per shared field (exact,
    /// normalized, Cohen's κ for enums and booleans, blocks that differ); with --gold, RUN
    /// scored against GOLD's confirmed values.
    Compare {
        a: String,
        b: Option<String>,
        /// Only this field.
        #[arg(long)]
        field: Option<String>,
        /// Score A against this run's (or group's) confirmed values.
        #[arg(long, value_name = "GOLD")]
        gold: Option<String>,
    },
    /// Delete a run with its overlays and call records.
    Delete {
        run: String,
        /// Also when the run holds confirmed results.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: RunCommand) -> anyhow::Result<u8> {
    let read_only = matches!(
        cmd,
        RunCommand::List
            | RunCommand::Status { .. }
            | RunCommand::Calls { .. }
            | RunCommand::Estimate { .. }
            | RunCommand::Compare { .. }
    );
    let ws = if read_only {
        ctx.open_read()?
    } else {
        ctx.open()?
    };
    if let Some(code) = on_group(ctx, &ws, &cmd)? {
        return Ok(code);
    }
    match cmd {
        RunCommand::Create(args) => create(ctx, &ws, &args),
        RunCommand::Estimate { args, batch } => estimate(ctx, &ws, &args, batch),
        RunCommand::Start {
            run,
            concurrency,
            batch,
            calibrate,
        } => start(
            ctx,
            &ws,
            &run,
            SessionOptions {
                concurrency,
                batch,
                calibrate,
            },
        ),
        RunCommand::List => list(ctx, &ws),
        RunCommand::Status { run } => status(ctx, &ws, &run),
        RunCommand::Calls { run } => calls(ctx, &ws, &run),
        RunCommand::Cancel { run } => {
            let id = ws.resolve_run(&run)?;
            let r = ws.cancel_run(&id)?;
            super::run_batch::cancel_open_batches(ctx, &ws, &id)?;
            report_state(ctx, &r)
        }
        RunCommand::Resume { run } => {
            let id = ws.resolve_run(&run)?;
            let r = ws.resume_run(&id)?;
            report_state(ctx, &r)
        }
        RunCommand::RetryFailed { run } => {
            let id = ws.resolve_run(&run)?;
            let (r, reset) = ws.retry_failed(&id)?;
            if ctx.json {
                print_json(&serde_json::json!({"run": r, "reset": reset}))?;
            } else if !ctx.quiet {
                outln!(
                    "{}  {}  {reset} failed blocks back to pending; `blockwise run start {}` \
                     processes them",
                    r.run_id,
                    r.status.as_str(),
                    r.run_id
                );
            }
            Ok(0)
        }
        RunCommand::Delete { run, force } => delete(ctx, &ws, &run, force),
        RunCommand::Compare { a, b, field, gold } => super::run_compare::compare(
            ctx,
            &ws,
            &a,
            b.as_deref(),
            gold.as_deref(),
            field.as_deref(),
        ),
    }
}

/// `run create`: one run over a document, or a run group over a project.
fn create(ctx: &Ctx, ws: &Workspace, args: &RunArgs) -> anyhow::Result<u8> {
    let (doc, schema) = match args.over()? {
        Over::Project { project, schema } => {
            return super::run_group::create(ctx, ws, project, schema, &args.options())
        }
        Over::Doc { doc, schema } => (doc, schema),
    };
    let run = ws
        .create_run(doc, schema, &args.options())
        .map_err(refused)?;
    if ctx.json {
        print_json(&run)?;
    } else if !ctx.quiet {
        outln!(
            "created {}  {} blocks  schema {}  {} {}{}",
            run.run_id,
            run.counters.total,
            run.schema_ref,
            run.model_config.provider,
            run.model_config.model,
            demo_label(&run)
        );
    }
    Ok(0)
}

/// `run estimate`: the cost and time a run (or a group over a project) would take.
fn estimate(ctx: &Ctx, ws: &Workspace, args: &RunArgs, batch: bool) -> anyhow::Result<u8> {
    let e = match args.over()? {
        Over::Project { project, schema } => ws.estimate_group(project, schema, &args.options()),
        Over::Doc { doc, schema } => ws.estimate_run(doc, schema, &args.options()),
    }
    .map_err(refused)?;
    let batch = batch
        .then(|| super::run_batch::estimate_batch(&e))
        .transpose()?;
    if ctx.json {
        let mut v = serde_json::to_value(&e)?;
        if let Some((b, _)) = &batch {
            v["batch"] = b.clone();
        }
        print_json(&v)?;
    } else if !ctx.quiet {
        for line in estimate_lines(&e) {
            outln!("{line}");
        }
        if let Some((_, line)) = &batch {
            outln!("{line}");
        }
    }
    Ok(0)
}

/// `run delete`: refused for a group member, and for confirmed results without `--force`.
fn delete(ctx: &Ctx, ws: &Workspace, run: &str, force: bool) -> anyhow::Result<u8> {
    let id = ws.resolve_run(run)?;
    let r = ws
        .get_run(&id)?
        .ok_or_else(|| Exit::new(1, format!("run {id} does not exist")))?;
    if let Some(g) = &r.group_id {
        return Err(Exit::new(
            1,
            format!(
                "run {id} is a member of run group {g}; a group keeps its project \
                 snapshot whole, so its runs are not deleted one by one"
            ),
        )
        .into());
    }
    if r.counters.confirmed > 0 && !force {
        return Err(Exit::new(
            1,
            format!(
                "run {id} holds {} confirmed results; export them first, or pass --force \
                 to delete them with the run",
                r.counters.confirmed
            ),
        )
        .into());
    }
    ws.delete_run(&id)?;
    if !ctx.quiet {
        outln!("deleted {id}");
    }
    Ok(0)
}

/// A command naming a run group (`grp_…`) runs on the whole group; `None` for a run.
fn on_group(ctx: &Ctx, ws: &Workspace, cmd: &RunCommand) -> anyhow::Result<Option<u8>> {
    use super::run_group as g;
    let name = match cmd {
        RunCommand::Start { run, .. }
        | RunCommand::Status { run }
        | RunCommand::Calls { run }
        | RunCommand::Cancel { run }
        | RunCommand::Resume { run }
        | RunCommand::RetryFailed { run } => run,
        _ => return Ok(None),
    };
    let RunOrGroup::Group(group) = ws.resolve_run_or_group(name)? else {
        return Ok(None);
    };
    Ok(Some(match cmd {
        RunCommand::Start { calibrate: true, .. } => {
            return Err(Exit::new(
                2,
                format!("--calibrate works on one run, not on group {}: start one of its runs with --calibrate", group.group_id),
            )
            .into())
        }
        RunCommand::Start {
            concurrency, batch, ..
        } => g::start(
            ctx,
            ws,
            &group,
            SessionOptions {
                concurrency: *concurrency,
                batch: *batch,
                calibrate: false,
            },
        )?,
        RunCommand::Status { .. } => g::status(ctx, ws, &group)?,
        RunCommand::Calls { .. } => g::calls(ctx, ws, &group)?,
        RunCommand::Cancel { .. } => g::cancel(ctx, ws, &group)?,
        RunCommand::Resume { .. } => g::resume(ctx, ws, &group)?,
        _ => g::retry_failed(ctx, ws, &group)?,
    }))
}

/// The estimate for people (the TUI's cost preview shows the same lines).
fn estimate_lines(e: &RunEstimate) -> Vec<String> {
    crate::workspace::estimate_summary(e)
}

fn report_state(ctx: &Ctx, r: &Run) -> anyhow::Result<u8> {
    if ctx.json {
        print_json(r)?;
    } else if !ctx.quiet {
        outln!("{}  {}", r.run_id, r.status.as_str());
    }
    Ok(0)
}

pub(super) fn start(
    ctx: &Ctx,
    ws: &Workspace,
    run: &str,
    opts: SessionOptions,
) -> anyhow::Result<u8> {
    let id = ws.resolve_run(run)?;
    if ws
        .get_run(&id)?
        .is_some_and(|r| r.status == crate::model::RunStatus::Complete)
    {
        // Finished already (by another worker): nothing for this invocation to fail.
        if !ctx.quiet {
            outln!("{id} is already complete");
        }
        return Ok(0);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let session = ws
        .start_session(runtime.handle(), &id, opts)
        .map_err(refused)?;
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
            let causes = ws.failures_by_cause(&id)?;
            if causes.is_empty() {
                return Ok(0);
            }
            Err(Exit::new(
                5,
                format!(
                    "run {id} finished with failed blocks: {}; details: `blockwise run status \
                     {id}`, then `blockwise run retry-failed {id}` to queue them again",
                    crate::workspace::failure_summary(&causes)
                ),
            )
            .into())
        }
        RunEnd::Cancelled => {
            let left = ws.get_run(&id)?.map(|r| r.counters.pending).unwrap_or(0);
            Err(Exit::new(
                6,
                format!(
                    "run {id} is cancelled ({left} blocks pending): `blockwise run resume {id}` \
                     then `blockwise run start {id}` to continue"
                ),
            )
            .into())
        }
        RunEnd::Paused(reason) => Err(Exit::new(4, format!("run paused: {reason}")).into()),
        RunEnd::Busy(msg) => Err(Exit::new(1, msg).into()),
        RunEnd::Interrupted => Err(Exit::new(
            130,
            "interrupted: claims released; `blockwise run start` continues where it stopped",
        )
        .into()),
    }
}
