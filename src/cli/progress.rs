//! The progress lines of `run start` (a run or a run group): a bar on a terminal, a line every
//! two seconds otherwise, and "waiting for the first answer" until one comes.

use std::io::Write;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::output::one_line;
use crate::model::{Run, RunCounters, UsageTotals};
use crate::workspace::{format_cost, WorkerEvent};

pub(super) async fn print_progress(
    mut rx: mpsc::Receiver<WorkerEvent>,
    run: Run,
    tty: bool,
    quiet: bool,
) {
    let started = Instant::now();
    let mut bar = ProgressLine::new(&run, started, tty);
    // Until the first answer, say that calls are out and for how long (a one-slot local server
    // can take minutes): at once, then every second on a terminal, every 10 s otherwise.
    let mut waiting = Waiting::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let ev = tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => ev,
                None => break,
            },
            _ = tick.tick() => {
                if !quiet {
                    waiting.show(tty, started, false);
                }
                continue;
            }
        };
        match ev {
            WorkerEvent::InFlight { calls, .. } => {
                waiting.in_flight = calls;
                if !quiet {
                    waiting.show(tty, started, true);
                }
            }
            WorkerEvent::Notice { message, .. } if !quiet => {
                outln!("{}", one_line(&message, 300));
            }
            WorkerEvent::Progress {
                counters, usage, ..
            } if !quiet => {
                waiting.answered = true;
                bar.show(&counters, &usage);
            }
            WorkerEvent::Warning { message, .. } => errln!("warning: {message}"),
            WorkerEvent::Complete { run_id } if !quiet => {
                if tty {
                    outln!();
                }
                outln!("{run_id} complete");
            }
            _ => {}
        }
    }
}

/// The progress bar (terminal) or line (every two seconds, and at the end) of `run start`.
struct ProgressLine {
    run_id: String,
    label: &'static str,
    started: Instant,
    /// Blocks already done when this session started (not counted in the rate).
    done_at_start: u32,
    last_line: Instant,
    tty: bool,
}

impl ProgressLine {
    fn new(run: &Run, started: Instant, tty: bool) -> Self {
        let label = if run.model_config.is_demo() {
            " [DEMO]"
        } else {
            ""
        };
        ProgressLine {
            run_id: run.run_id.clone(),
            label,
            started,
            done_at_start: work_done(&run.counters).0,
            last_line: Instant::now() - Duration::from_secs(10),
            tty,
        }
    }

    fn show(&mut self, counters: &RunCounters, usage: &UsageTotals) {
        let label = self.label;
        let (done, total) = work_done(counters);
        let skipped = match counters.skipped {
            0 => String::new(),
            n => format!(" ({n} skipped by type)"),
        };
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = (done.saturating_sub(self.done_at_start)) as f64 / secs;
        let left = counters.pending + counters.claimed;
        let eta = if rate > 0.0 {
            format!("{:.0}s", left as f64 / rate)
        } else {
            "?".into()
        };
        let cost = format_cost(usage.cost_usd);
        if self.tty {
            let width = 30usize;
            let filled = (done as usize * width) / total.max(1) as usize;
            print!(
                "\r[{}{}] {done}/{total} blocks{skipped}  {rate:.1}/s  ETA {eta}  calls {}  {cost}{label}  ",
                "#".repeat(filled),
                ".".repeat(width - filled),
                usage.calls
            );
            let _ = std::io::stdout().flush();
        } else if self.last_line.elapsed() >= Duration::from_secs(2) || left == 0 {
            self.last_line = Instant::now();
            outln!(
                "{}: {done}/{total} done ({} staged, {} failed){skipped}, {rate:.1} blocks/s, calls {}, {cost}{label}",
                self.run_id, counters.ai_complete, counters.failed, usage.calls
            );
        }
    }
}

/// The "waiting for the first answer" line of `run start`.
#[derive(Default)]
struct Waiting {
    in_flight: usize,
    answered: bool,
    last: Option<Instant>,
}

impl Waiting {
    /// Show the line unless an answer came; `now` forces it (a change in the calls in flight).
    fn show(&mut self, tty: bool, started: Instant, now: bool) {
        if self.answered || self.in_flight == 0 {
            return;
        }
        let every = if tty { 1 } else { 10 };
        if !now
            && self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_secs(every))
        {
            return;
        }
        if !now && self.last.is_none() {
            return;
        }
        self.last = Some(Instant::now());
        let line = format!(
            "waiting for the first answer ({} call{} in flight, {} s)",
            self.in_flight,
            if self.in_flight == 1 { "" } else { "s" },
            started.elapsed().as_secs()
        );
        if tty {
            print!("\r{}  ", crate::model::sanitize(&line));
            let _ = std::io::stdout().flush();
        } else {
            outln!("{line}");
        }
    }
}

/// Blocks done and blocks to work: skipped blocks (page furniture, `worker.skip_block_types`)
/// are no work, so they count in neither.
fn work_done(c: &crate::model::RunCounters) -> (u32, u32) {
    let total = c.total.saturating_sub(c.skipped);
    (total.saturating_sub(c.pending + c.claimed), total)
}
