//! Text of the Runs pane: blocks done, durations, the progress bar, the state's style and the
//! table's columns.

use ratatui::layout::Constraint;

use crate::model::{OverlayStatus, Run, RunCounters, RunStatus};
use crate::tui::kit::View;

/// Blocks no longer waiting (staged, confirmed, failed, skipped).
pub(super) fn done(c: &RunCounters) -> u32 {
    c.total.saturating_sub(c.pending + c.claimed)
}

/// `2h 05m`, `3m 10s`, `42s`.
pub fn format_secs(secs: f64) -> String {
    let s = secs.round().max(0.0) as u64;
    match s {
        0 if secs > 0.0 => "<1s".into(),
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// `[#####.....] 12/40` from the counters.
pub fn progress_bar(run: &Run, width: usize) -> String {
    let c = &run.counters;
    let done = done(c);
    let filled = (done as usize * width) / c.total.max(1) as usize;
    format!(
        "[{}{}] {done}/{}",
        "#".repeat(filled),
        ".".repeat(width - filled.min(width)),
        c.total
    )
}

pub(super) fn state_style(run: &Run, view: &View) -> ratatui::style::Style {
    let theme = view.theme;
    match run.status {
        RunStatus::Paused => theme.fg("error"),
        RunStatus::Complete if run.counters.failed > 0 => theme.status(OverlayStatus::Failed),
        RunStatus::Complete => theme.status(OverlayStatus::Confirmed),
        RunStatus::Running if view.working.contains(&run.run_id) => theme.fg("claimed"),
        _ => theme.fg("text"),
    }
}

/// The Runs table's header and column widths at this width.
pub(super) fn columns(wide: bool, extra: bool) -> (Vec<&'static str>, Vec<Constraint>) {
    let mut head = vec!["run", "state", "progress", "staged", "fail", "cost"];
    let mut widths = vec![
        Constraint::Length(if wide { 16 } else { 12 }),
        Constraint::Min(10),
        Constraint::Length(if wide { 22 } else { 11 }),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(9),
    ];
    if wide {
        head.insert(3, "pend");
        widths.insert(3, Constraint::Length(5));
        head.insert(5, "conf");
        widths.insert(5, Constraint::Length(5));
    }
    if extra {
        head.extend(["schema", "model"]);
        widths.extend([Constraint::Length(18), Constraint::Length(22)]);
    }
    (head, widths)
}
