//! `check`: verify the store (read-only); exit 1 naming what is damaged.

use super::output::print_json;
use super::Ctx;
use crate::model::sanitize_line;

pub fn run(ctx: &Ctx) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let report = ws.check()?;
    if ctx.json {
        print_json(&report)?;
    } else {
        for d in &report.damage {
            outln!(
                "DAMAGED  {}: {}",
                sanitize_line(&d.subject),
                sanitize_line(&d.problem)
            );
        }
        if !ctx.quiet || !report.ok() {
            outln!(
                "{}: {} documents ({} blocks), {} runs ({} overlays) checked; {}",
                ws.path().display(),
                report.documents,
                report.blocks,
                report.runs,
                report.overlays,
                if report.ok() {
                    "no damage found".to_string()
                } else {
                    format!("{} problems", report.damage.len())
                }
            );
        }
    }
    Ok(if report.ok() { 0 } else { 1 })
}
