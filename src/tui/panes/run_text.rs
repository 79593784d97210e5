//! Text of the Runs pane: blocks done, durations and the progress bar.

use crate::model::{Run, RunCounters};

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
