//! `export RUN [--format jsonl|csv|md] [--mode confirmed|staging|both] [-o FILE]`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::output::print_json;
use super::Ctx;
use crate::workspace::{Format, Mode};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Csv,
    #[value(alias = "markdown")]
    Md,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Confirmed values only; other blocks carry `data: null`.
    Confirmed,
    /// Confirmed values, else staged values marked as drafts.
    Staging,
    /// Confirmed values in `data` plus unconfirmed staged values in `staging`.
    Both,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// run_id or a unique prefix.
    pub run: String,
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: FormatArg,
    #[arg(long, value_enum, default_value = "confirmed")]
    pub mode: ModeArg,
    /// Write to FILE (atomically: a failed export leaves no partial file) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, args: ExportArgs) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let run_id = ws.resolve_run(&args.run)?;
    let format = match args.format {
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
        FormatArg::Md => Format::Markdown,
    };
    let mode = match args.mode {
        ModeArg::Confirmed => Mode::Confirmed,
        ModeArg::Staging => Mode::Staging,
        ModeArg::Both => Mode::Both,
    };
    let Some(path) = args.output else {
        let stdout = std::io::stdout();
        ws.export_to_writer(&run_id, format, mode, stdout.lock(), "stdout")?;
        return Ok(0);
    };
    let s = ws.export_to_path(&run_id, format, mode, &path)?;
    if ctx.json {
        print_json(&json!({
            "run_id": run_id,
            "format": format.extension(),
            "mode": mode.as_str(),
            "file": path.display().to_string(),
            "blocks": s.blocks,
            "confirmed": s.confirmed,
            "drafts": s.drafts,
            "bytes": s.bytes,
        }))?;
    } else if !ctx.quiet {
        errln!(
            "exported {} blocks ({} confirmed, {} drafts) of run {run_id} as {} to {} ({} bytes)",
            s.blocks,
            s.confirmed,
            s.drafts,
            format.extension(),
            path.display(),
            s.bytes
        );
    }
    Ok(0)
}
