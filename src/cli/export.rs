//! `export RUN [--format jsonl|csv|md] [--mode confirmed|staging|both] [-o FILE]`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::json;

use std::io::IsTerminal;

use super::output::print_json;
use super::terminal_writer::TerminalSafe;
use super::{Ctx, Exit};
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
    /// Output format; default: from the `-o` file's extension (`.jsonl`/`.json`, `.csv`,
    /// `.md`/`.markdown`), else jsonl. A format that contradicts the extension is an error.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    #[arg(long, value_enum, default_value = "confirmed")]
    pub mode: ModeArg,
    /// Write to FILE (atomically: a failed export leaves no partial file) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, args: ExportArgs) -> anyhow::Result<u8> {
    let format = format_for(args.format, args.output.as_deref())?;
    let ws = ctx.open_read()?;
    let run_id = ws.resolve_run(&args.run)?;
    let mode = match args.mode {
        ModeArg::Confirmed => Mode::Confirmed,
        ModeArg::Staging => Mode::Staging,
        ModeArg::Both => Mode::Both,
    };
    let Some(path) = args.output else {
        let stdout = std::io::stdout();
        if stdout.is_terminal() {
            // Shown, not obeyed: document text and answers may hold escape sequences.
            let safe = TerminalSafe::new(stdout.lock(), format == Format::Jsonl);
            ws.export_to_writer(&run_id, format, mode, safe, "stdout")?;
        } else {
            ws.export_to_writer(&run_id, format, mode, stdout.lock(), "stdout")?;
        }
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

/// The format to write: `--format` when given, else the `-o` file's extension, else JSONL.
/// A `--format` that contradicts a known extension is a usage error (exit 2), before anything
/// is read or written.
fn format_for(flag: Option<FormatArg>, output: Option<&Path>) -> Result<Format, Exit> {
    let asked = flag.map(|f| match f {
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
        FormatArg::Md => Format::Markdown,
    });
    let by_name = output.and_then(Format::from_path);
    match (asked, by_name) {
        (Some(a), Some(n)) if a != n => Err(Exit::new(
            2,
            format!(
                "--format {} contradicts the file name {} (a .{} file): drop --format, or \
                 name the file .{}",
                a.extension(),
                output.map(|p| p.display().to_string()).unwrap_or_default(),
                n.extension(),
                a.extension()
            ),
        )),
        (Some(a), _) => Ok(a),
        (None, Some(n)) => Ok(n),
        (None, None) => Ok(Format::Jsonl),
    }
}
