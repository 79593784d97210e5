//! `blockwise demo`: a fresh offline demo workspace, run end to end with the demo provider.

use std::path::{Path, PathBuf};

use super::output::one_line;
use super::{Ctx, Exit};
use crate::demo::DemoStore;
use crate::model::sanitize as clean;
use crate::workspace::{self, Workspace};

/// Default demo store: `<data dir>/demo/blockwise-demo.redb`, apart from the real workspace.
pub fn default_path() -> Option<PathBuf> {
    crate::paths::default_store_path().and_then(|p| {
        p.parent()
            .map(|d| d.join("demo").join("blockwise-demo.redb"))
    })
}

/// Build the demo workspace, then open the TUI on it (the worker starts at once), or run it
/// headless when asked or when stdout is not a terminal.
pub fn run(ctx: &Ctx, headless: bool) -> anyhow::Result<u8> {
    let headless = headless || !super::interactive();
    let (ws, run) = build(ctx, headless)?;
    if !headless {
        crate::tui::run(
            ws,
            crate::tui::TuiOptions {
                open_run: Some(run.run_id),
                start_worker: true,
                theme: ctx.theme.clone(),
            },
        )?;
        return Ok(0);
    }
    let path = ctx.store_path.clone();
    let code = super::run::start(ctx, &ws, &run.run_id, Default::default())?;
    if !ctx.quiet {
        preview(&ws, &run.run_id)?;
        let s = path.display();
        outln!("\nNext, try:");
        outln!("  blockwise --store {s}            (the terminal UI)");
        outln!("  blockwise --store {s} run status {}", run.run_id);
        outln!("  blockwise --store {s} blocks {}", &run.conv_uid[..12]);
        outln!("  blockwise --store {s} schema list");
        outln!("  blockwise --store {s} policy list");
    }
    Ok(code)
}

/// A fresh demo store with its sample document, schemas and run.
fn build(ctx: &Ctx, announce: bool) -> anyhow::Result<(Workspace, crate::model::Run)> {
    let path = ctx.store_path.clone();
    let samples = path
        .parent()
        .map(|d| d.join("samples"))
        .unwrap_or_else(|| PathBuf::from("samples"));
    may_replace(&path, !announce)?;
    if let Some(why) = crate::demo::sample_in_the_way(&samples) {
        return Err(Exit::new(1, why).into());
    }
    if path.exists() {
        std::fs::remove_file(&path)
            .map_err(|e| Exit::new(1, format!("cannot reset {}: {e}", path.display())))?;
    }
    let ws = Workspace::open_for_writing(&path)?;
    let run = ws
        .populate_demo(&samples)
        .map_err(|e| Exit::new(1, format!("demo setup failed: {e}")))?;
    if announce && !ctx.quiet {
        outln!("Blockwise demo workspace: {}", path.display());
        outln!(
            "  sample document {}  ({} blocks)",
            samples.join(workspace::SAMPLE_NAME).display(),
            run.counters.total
        );
        outln!(
            "  schemas from templates: {}",
            workspace::DEMO_TEMPLATES.join(", ")
        );
        outln!(
            "  run {} applies '{}' with the OFFLINE DEMO provider (deterministic, not a real model)\n",
            run.run_id, run.schema_ref
        );
    }
    Ok((ws, run))
}

/// Refuse to replace `path` unless it is absent or a demo store holding only what the demo
/// made. A demo store with the user's work is refused naming what would be lost; on a
/// terminal (`interactive`), the user is asked instead and may say yes.
fn may_replace(path: &Path, interactive: bool) -> anyhow::Result<()> {
    let shown = path.display().to_string();
    match Workspace::demo_store(path)? {
        DemoStore::Absent | DemoStore::Pristine => Ok(()),
        DemoStore::NotDemo => Err(Exit::new(
            1,
            format!("{shown} is not a demo workspace: refusing to replace it (pass another --store path)"),
        )
        .into()),
        DemoStore::HoldsWork(lost) => {
            let what = lost.join(", ");
            if interactive && super::interactive() && ask_replace(&shown, &what)? {
                return Ok(());
            }
            Err(Exit::new(
                1,
                format!(
                    "{shown} is a demo workspace you added work to: a fresh demo would lose {what}. \
                     Nothing was changed; pass another --store path for a fresh demo, or delete \
                     the file yourself"
                ),
            )
            .into())
        }
    }
}

/// Ask on the terminal whether to replace a demo store holding `what`; only `y`/`yes` agrees.
fn ask_replace(shown: &str, what: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, Write};
    let (shown, what) = (clean(shown), clean(what));
    eprint!("{shown} holds work the demo did not make: {what}.\nReplace it with a fresh demo and lose that? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// The first rows of the run as a compact grid, labelled as demo output.
fn preview(ws: &Workspace, run_id: &str) -> anyhow::Result<()> {
    let Some(run) = ws.get_run(run_id)? else {
        return Ok(());
    };
    let schema = ws.get_schema(&run.schema_id)?;
    let fields: Vec<String> = schema
        .as_ref()
        .and_then(|s| workspace::properties(&s.json))
        .map(|p| p.keys().take(3).cloned().collect())
        .unwrap_or_default();
    outln!("\nDEMO OUTPUT — offline demo provider, not a real model:");
    let mut header = format!("{:>3}  {:<10}  {:<34}", "#", "type", "content");
    for f in &fields {
        header.push_str(&format!("  {:<22}", one_line(f, 22)));
    }
    outln!("{header}");
    let blocks = ws.blocks(&run.conv_uid)?;
    for ov in ws.overlays_range(run_id, 0, 12)? {
        let Some(b) = blocks.get(ov.block_index as usize) else {
            continue;
        };
        let mut line = format!(
            "{:>3}  {:<10}  {:<34}",
            b.block_index,
            one_line(b.block_type.as_str(), 10),
            one_line(&b.block_content, 33)
        );
        for f in &fields {
            let v = ov
                .staging
                .as_ref()
                .and_then(|s| s.get(f))
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| ov.status.as_str().to_string());
            line.push_str(&format!("  {:<22}", one_line(&v, 21)));
        }
        outln!("{line}");
    }
    Ok(())
}
