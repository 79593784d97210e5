//! `ingest PATH... [--project REF] [--recursive] [--include GLOB]... [--exclude GLOB]...`

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use super::output::{print_json, with_store_path};
use super::{Ctx, Exit};
use crate::workspace::{
    refused_line, FileDone, FileOutcome, Glob, IngestEvent, IngestRequest, IngestSummary,
    WalkOptions,
};

/// The ingest command's arguments.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Files and folders: Markdown (.md), plain text (.txt), HTML, CSV/TSV, DOCX, EPUB, PDF.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Every ingested or unchanged document joins this project (created if needed), in path
    /// order.
    #[arg(long, value_name = "REF")]
    pub project: Option<String>,
    /// Walk subfolders too.
    #[arg(short, long)]
    pub recursive: bool,
    /// Only files matching GLOB (`*`, `?`, `**`, `[a-z]`; without '/': the file name, with
    /// '/': the path below the folder). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files and folders matching GLOB (same rules). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

fn globs(patterns: &[String], flag: &str) -> Result<Vec<Glob>, Exit> {
    patterns
        .iter()
        .map(|p| Glob::new(p).map_err(|e| Exit::new(2, format!("error: {flag}: {e}"))))
        .collect()
}

pub fn run(ctx: &Ctx, args: &IngestArgs) -> anyhow::Result<u8> {
    let walk = WalkOptions {
        recursive: args.recursive,
        include: globs(&args.include, "--include")?,
        exclude: globs(&args.exclude, "--exclude")?,
    };
    if let Some(p) = &args.project {
        crate::workspace::validate_project_ref(p)
            .map_err(|e| Exit::new(2, format!("error: --project: {e}")))?;
    }
    let ws = ctx.open()?;
    let catch = super::sigint::Catch::install();
    let req = IngestRequest {
        paths: &args.paths,
        walk,
        project: args.project.as_deref(),
        limits: ws.ingest_limits()?,
        threads: None,
        interrupt: Some(catch.flag()),
    };
    let mut out = Printer::new(ctx);
    let summary = ws.ingest_paths(&req, |ev| out.event(ev))?;
    drop(catch);
    out.finish(&summary, args.project.as_deref())?;
    Ok(if summary.interrupted {
        130
    } else if summary.refused > 0 {
        1
    } else {
        0
    })
}

/// Per-file lines, JSON rows and the progress bar.
struct Printer<'a> {
    ctx: &'a Ctx,
    rows: Vec<serde_json::Value>,
    /// Draw a progress bar on stderr (a terminal, not --json / --quiet).
    bar: bool,
    drawn: Option<Instant>,
}

impl<'a> Printer<'a> {
    fn new(ctx: &'a Ctx) -> Self {
        Printer {
            ctx,
            rows: Vec::new(),
            bar: std::io::stderr().is_terminal() && !ctx.json && !ctx.quiet,
            drawn: None,
        }
    }

    /// Rows are kept only for --json (1,000s of files otherwise cost memory for nothing).
    fn row(&mut self, row: serde_json::Value) {
        if self.ctx.json {
            self.rows.push(row);
        }
    }

    fn clear_bar(&mut self) {
        if self.bar && self.drawn.is_some() {
            eprint!("\r\x1b[2K");
        }
    }

    fn refused(&mut self, path: &std::path::Path, reason: &str) {
        self.clear_bar();
        let line = format!("error: {}", refused_line(path, reason));
        errln!("{}", with_store_path(line, &self.ctx.store_path));
        self.rows
            .push(json!({"file": path.display().to_string(), "status": "error", "error": reason}));
    }

    fn event(&mut self, ev: IngestEvent<'_>) {
        match ev {
            IngestEvent::Walked(walk) => {
                for (path, reason) in &walk.refused {
                    self.refused(path, reason);
                }
                for s in &walk.skipped {
                    if s.kind.is_named() && !self.ctx.quiet && !self.ctx.json {
                        errln!("skipped {}: {}", s.path.display(), s.reason);
                    }
                    self.row(json!({"file": s.path.display().to_string(), "status": "skipped", "reason": s.reason}));
                }
            }
            IngestEvent::File { file, done, total } => {
                self.file(file);
                self.progress(done, total);
            }
        }
    }

    fn file(&mut self, file: &FileDone) {
        let (doc, status) = match &file.outcome {
            FileOutcome::Refused(reason) => return self.refused(&file.path, reason),
            FileOutcome::Created(d) => (d, "created"),
            FileOutcome::Unchanged(d) => (d, "exists"),
        };
        if !self.ctx.json && !self.ctx.quiet {
            self.clear_bar();
            let report = crate::workspace::IngestReport {
                document: doc.clone(),
                created: status == "created",
            };
            outln!("{}", crate::workspace::ingest_line(&report));
        }
        self.row(json!({
            "file": file.path.display().to_string(),
            "status": status,
            "conv_uid": doc.conv_uid,
            "title": doc.title,
            "total_blocks": doc.total_blocks,
        }));
    }

    fn progress(&mut self, done: usize, total: usize) {
        let due = self
            .drawn
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if !self.bar || !(due || done == total) {
            return;
        }
        const WIDTH: usize = 30;
        let filled = WIDTH * done / total.max(1);
        eprint!(
            "\r\x1b[2K[{}{}] {done}/{total} files",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled)
        );
        let _ = std::io::stderr().flush();
        self.drawn = Some(Instant::now());
    }

    fn finish(mut self, summary: &IngestSummary, project: Option<&str>) -> anyhow::Result<()> {
        self.clear_bar();
        if self.ctx.json {
            return print_json(&self.rows);
        }
        if self.ctx.quiet {
            return Ok(());
        }
        outln!("{}", summary.line());
        if let (Some(p), Some(j)) = (project, &summary.joined) {
            outln!(
                "project {p}: joined {} · already members {}",
                j.changed.len(),
                j.unchanged.len()
            );
        }
        if summary.interrupted {
            errln!("interrupted: every finished file is ingested; run the same command again to ingest the rest");
        }
        Ok(())
    }
}
