//! The Runs pane: every run, newest first, with a state that says what is happening, progress as
//! `done/total`, and below the list the selected run's reason (in full), what to do next, speed,
//! ETA, tokens and cost.

use std::cell::Cell as StdCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::run_groups::{self, Entry, GroupRow};

mod lists;
use super::run_marks::RunMarks;
use super::run_text::{columns, done, state_style};
pub use super::run_text::{format_secs, progress_bar};
use crate::model::{OverlayStatus, Run, RunCounters, RunGroup, RunState, RunStatus, UsageTotals};
use crate::store::{GroupTally, Head};
use crate::tui::kit::draw::list_table;
use crate::tui::kit::text::{cut_to_width, inert};
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::Job;
use crate::tui::kit::{navigate, Component, Ctx, Pane, View};
use crate::tui::modals::CallLog;
use crate::workspace::format_cost;

/// From this width the list shows the progress bar and every counter.
const WIDE: u16 = 100;
/// From this width it also shows the schema and the model.
const EXTRA: u16 = 150;
/// Rows of the selected run's detail box (borders included).
const DETAIL_ROWS: u16 = 7;

/// Blocks done when a worker of this TUI first reported on a run, to measure blocks/s.
#[derive(Debug, Clone, Copy)]
struct Speed {
    since: Instant,
    done_then: u32,
}

#[derive(Debug, Default)]
pub struct RunsPane {
    /// Run heads (`Store::list_run_heads`: no creation snapshot; `get_run` reads one whole),
    /// shared with the grid when it shows their group (1,000 members are not copied).
    /// Lazy (`Head`): a member's run is decoded when its row is drawn or it is read past its
    /// id and state.
    pub runs: Vec<Arc<Head>>,
    /// Run groups as stored; `groups` sums their members out of `runs`.
    records: Vec<Arc<RunGroup>>,
    /// `tallies[i]`: `records[i]`'s stored tally, while `runs` lacks the members.
    tallies: Vec<Option<GroupTally>>,
    /// Whether `runs` holds the groups' members (the launch lists only the runs of no group,
    /// `App::list_members` reads the rest after the first frame).
    pub members_listed: bool,
    pub groups: Vec<GroupRow>,
    /// The rows shown: runs of no group, groups, and the members of unfolded groups.
    pub entries: Vec<Entry>,
    /// Groups whose member runs are shown under them (`space`).
    pub unfolded: HashSet<String>,
    /// Member documents' file names (sanitized) by `conv_uid`, read when a group unfolds.
    pub doc_names: HashMap<String, String>,
    /// A row of `entries`.
    pub cursor: usize,
    /// First row shown; kept by ratatui's TableState so the cursor stays visible.
    offset: StdCell<usize>,
    /// The latest problem a worker reported per run (pause reason, warning, failed call), shown
    /// before the store has it.
    pub reasons: HashMap<String, String>,
    /// Who holds a run in another process (`pid 123 on host: blockwise run start …`).
    pub holders: HashMap<String, String>,
    /// Batch progress of runs sent through a provider's batch API (one line each).
    pub batches: HashMap<String, String>,
    speed: HashMap<String, Speed>,
    /// Marked runs to compare and the gold run (SPEC §4a).
    pub marks: RunMarks,
}

impl RunsPane {
    /// The run under the cursor (a run or a group's member; `None` on a group row).
    pub fn current(&self) -> Option<&Run> {
        match self.entries.get(self.cursor)? {
            Entry::Run(i) | Entry::Member(_, i) => self.runs.get(*i).map(|r| r.run()),
            Entry::Group(_) => None,
        }
    }

    /// The group whose row is under the cursor.
    pub fn current_group(&self) -> Option<&GroupRow> {
        match self.entries.get(self.cursor)? {
            Entry::Group(g) => self.groups.get(*g),
            _ => None,
        }
    }

    /// A worker's progress report, shown before the next reload.
    pub fn progress(&mut self, run_id: &str, counters: RunCounters, usage: UsageTotals) {
        if let Some(g) = self.groups.iter_mut().find(|g| g.group.group_id == run_id) {
            g.summary.counters = counters;
            g.summary.usage = usage;
        }
        if let Some(r) = self.runs.iter_mut().find(|r| r.is(run_id)) {
            let r = Arc::make_mut(r);
            r.counters = counters;
            r.usage = usage;
            self.speed.entry(run_id.to_string()).or_insert(Speed {
                since: Instant::now(),
                done_then: done(&counters),
            });
        }
    }

    /// A worker of this TUI ended: the next session measures its own speed.
    pub fn worker_ended(&mut self, run_id: &str) {
        self.speed.remove(run_id);
    }

    /// A worker paused the run: show it at once, with its reason.
    pub fn paused(&mut self, run_id: &str, reason: &str) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.is(run_id)) {
            let r = Arc::make_mut(r);
            r.status = RunStatus::Paused;
            r.paused_reason = Some(reason.to_string());
        }
        self.reasons.insert(run_id.to_string(), reason.to_string());
    }

    /// Blocks per second: measured while a worker of this TUI runs, else over the run's active
    /// time. `None` when nothing has been measured yet.
    fn rate(&self, run: &Run, working: bool) -> Option<f64> {
        if let Some(s) = self.speed.get(&run.run_id).filter(|_| working) {
            let secs = s.since.elapsed().as_secs_f64();
            let delta = done(&run.counters).saturating_sub(s.done_then);
            if secs >= 1.0 && delta > 0 {
                return Some(f64::from(delta) / secs);
            }
        }
        let secs = run.active_millis as f64 / 1000.0;
        (secs > 0.0 && done(&run.counters) > 0).then(|| f64::from(done(&run.counters)) / secs)
    }

    fn table(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        // Narrow: id prefix, state, done/total. Medium adds the bar and every counter; wide adds
        // schema and model (the detail box below always names them).
        let wide = area.width >= WIDE;
        let extra = area.width >= EXTRA;
        let (head, widths) = columns(wide, extra);
        let header = Row::new(head.into_iter().map(Cell::from)).style(theme.title());
        // The state column gets what the others leave (borders and one space between columns).
        let fixed: u16 = widths
            .iter()
            .map(|c| match c {
                Constraint::Length(n) => *n + 1,
                _ => 1,
            })
            .sum();
        let state_w = area.width.saturating_sub(fixed + 1).max(10) as usize;
        let rows = self.entries.iter().map(|e| match *e {
            Entry::Run(i) => self.run_row(&self.runs[i], view, (wide, extra), state_w, None),
            Entry::Member(_, i) => {
                let label = run_groups::member_label(&self.runs[i], wide, &self.doc_names);
                self.run_row(&self.runs[i], view, (wide, extra), state_w, Some(label))
            }
            Entry::Group(g) => {
                let row = &self.groups[g];
                let open = self.unfolded.contains(&row.group.group_id);
                run_groups::group_row(row, open, view, (wide, extra), state_w)
            }
        });
        let marks = self.marks.title();
        let title = if self.run_count() == 0 {
            " Runs · none yet: i ingests a file, n creates a run ".to_string()
        } else if self.groups.is_empty() {
            format!(" Runs · {} · newest first{marks} ", self.run_count())
        } else {
            format!(
                " Runs · {} · {} group(s) · newest first{marks} · space shows a group's runs ",
                self.run_count(),
                self.groups.len()
            )
        };
        let cursor = (!self.entries.is_empty()).then_some(self.cursor);
        let table = Table::new(rows, widths).header(header);
        list_table(frame, area, table, &title, theme, cursor, &self.offset);
    }

    /// One run's row: the counters, and with `wide` the bar and every counter, with `extra` the
    /// schema and model.
    fn run_row(
        &self,
        r: &Run,
        view: &View,
        (wide, extra): (bool, bool),
        state_w: usize,
        member: Option<(String, String)>,
    ) -> Row<'static> {
        let theme = view.theme;
        let c = &r.counters;
        let (state, style) = (self.state(r, view), state_style(r, view));
        // A prefix is what `blockwise run … PREFIX` takes: no ellipsis on it.
        let (id, state) = match member {
            Some((id, doc)) => (
                id,
                run_groups::member_state(&doc, &state, style, state_w, view),
            ),
            None if wide => (r.run_id.clone(), Cell::from(cut_to_width(&state, state_w))),
            None => (
                r.run_id.chars().take(12).collect(),
                Cell::from(cut_to_width(&state, state_w)),
            ),
        };
        let progress = if wide {
            progress_bar(r, 10)
        } else {
            format!("{}/{}", done(c), c.total)
        };
        let mut cells = vec![
            Cell::from(id),
            state.style(style),
            Cell::from(progress),
            Cell::from(format!("{}", c.ai_complete)).style(theme.status(OverlayStatus::AiComplete)),
            Cell::from(format!("{}", c.failed)).style(theme.status(OverlayStatus::Failed)),
            Cell::from(format_cost(r.usage.cost_usd)),
        ];
        if wide {
            cells.insert(
                3,
                Cell::from(format!("{}", c.pending + c.claimed))
                    .style(theme.status(OverlayStatus::Pending)),
            );
            cells.insert(
                5,
                Cell::from(format!("{}", c.confirmed))
                    .style(theme.status(OverlayStatus::Confirmed)),
            );
        }
        if extra {
            let schema = match r.sample {
                Some(n) => format!("{} (sample {n})", r.schema_ref),
                None => r.schema_ref.clone(),
            };
            cells.push(Cell::from(cut_to_width(&schema, 18)));
            let mut model = vec![Span::raw(cut_to_width(
                &format!("{}:{} ", r.model_config.provider, r.model_config.model),
                if r.model_config.is_demo() { 17 } else { 22 },
            ))];
            if r.model_config.is_demo() {
                model.push(Span::styled("DEMO", theme.demo()));
            }
            cells.push(Cell::from(Line::from(model)));
        }
        Row::new(cells)
    }

    /// What is happening to `run`, in words (the CLI's `run status` says the same).
    pub fn state(&self, run: &Run, view: &View) -> String {
        self.derived(run, view).label()
    }

    /// The run's derived state: a worker of this window, or of another process, or none.
    pub fn derived(&self, run: &Run, view: &View) -> RunState {
        let worker = if view.working.contains(&run.run_id) {
            Some("in this window".to_string())
        } else {
            self.holders.get(&run.run_id).cloned()
        };
        match RunState::of(run, worker) {
            RunState::Paused { reason: None } => RunState::Paused {
                reason: self.reasons.get(&run.run_id).cloned(),
            },
            state => state,
        }
    }

    /// The selected run in full: state and reason, what to do, speed, usage.
    fn detail(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        if let Some(row) = self.current_group() {
            let batch = self.batches.get(&row.group.group_id);
            return run_groups::group_detail(frame, area, view, row, batch);
        }
        let Some(run) = self.current() else {
            return;
        };
        let label = |s: &'static str| Span::styled(format!("{s:<7}"), theme.fg("muted"));
        let mut lines = vec![Line::from(vec![
            label("state"),
            Span::styled(inert(&self.state(run, view)), state_style(run, view)),
        ])];
        if let Some(problem) = self
            .reasons
            .get(&run.run_id)
            .filter(|p| run.paused_reason.as_ref() != Some(*p))
        {
            lines.push(Line::from(vec![
                label("last"),
                Span::styled(inert(problem), theme.fg("error")),
            ]));
        }
        lines.push(Line::from(vec![
            label("do"),
            Span::raw(self.what_to_do(run, view)),
        ]));
        if let Some(batch) = self.batches.get(&run.run_id) {
            // A batch run's progress is the provider's: blocks/s means nothing there.
            lines.push(Line::from(vec![label("batch"), Span::raw(inert(batch))]));
        } else {
            lines.push(Line::from(vec![
                label("speed"),
                Span::raw(self.speed(run, view)),
            ]));
        }
        if let Some(score) = self.marks.score_of(&run.run_id) {
            lines.push(Line::from(vec![label("gold"), Span::raw(inert(&score))]));
        }
        let u = &run.usage;
        lines.push(Line::from(vec![
            label("usage"),
            Span::raw(format!(
                "{} calls ({} failed) · tokens in {} out {} cache-read {} · cost {}",
                u.calls,
                u.failed_calls,
                u.tokens.input_tokens,
                u.tokens.output_tokens,
                u.tokens.cache_read_tokens,
                format_cost(u.cost_usd)
            )),
        ]));
        let title = cut_to_width(
            &format!(
                " {} · {} · {}:{} ",
                run.run_id, run.schema_ref, run.model_config.provider, run.model_config.model
            ),
            area.width.saturating_sub(2) as usize,
        );
        let box_ = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(title, theme.title())),
        );
        frame.render_widget(box_, area);
    }

    /// `12/40 done · 1.5 blocks/s · ETA 18s`: an ETA only while a worker is on it, and never
    /// "0s" with blocks left.
    fn speed(&self, run: &Run, view: &View) -> String {
        let c = &run.counters;
        let rate = self.rate(run, view.working.contains(&run.run_id));
        let remaining = c.pending + c.claimed;
        let eta = match rate {
            _ if remaining == 0 => "done".into(),
            _ if !self.derived(run, view).is_worked() => "– (no worker)".into(),
            Some(r) => format_secs(f64::from(remaining) / r),
            None => "–".into(),
        };
        format!(
            "{}/{} done{} · {} blocks/s · ETA {eta}",
            done(c),
            c.total,
            match c.skipped {
                0 => String::new(),
                n => format!(" ({n} skipped by type)"),
            },
            rate.map_or("–".into(), |r| format!("{r:.1}"))
        )
    }

    /// The next step for a run in its state, naming the keys from the keymap.
    fn what_to_do(&self, run: &Run, view: &View) -> String {
        let k = |a: Action| {
            view.keymap
                .key_for(crate::tui::kit::KeyContext::Runs, &a)
                .unwrap_or_else(|| "?".into())
        };
        let c = &run.counters;
        let retry = if c.failed > 0 {
            format!(
                "; {} retries the {} failed block(s), {} shows the calls and their errors",
                k(Action::RetryFailed),
                c.failed,
                k(Action::CallLog)
            )
        } else {
            String::new()
        };
        match run.status {
            RunStatus::Paused => format!(
                "fix the cause above (a key: `blockwise keys set PROVIDER`), then {} resumes \
                 and {} starts the worker",
                k(Action::ResumeRun),
                k(Action::StartWorker)
            ),
            RunStatus::Cancelled => format!(
                "{} resumes it; its pending blocks stay pending until then",
                k(Action::ResumeRun)
            ),
            RunStatus::Complete => format!(
                "{} reviews the results in the grid, {} exports{retry}",
                k(Action::Open),
                k(Action::Export)
            ),
            RunStatus::Running if self.derived(run, view).is_worked() => {
                format!(
                    "{} cancels; {} opens the grid while results land",
                    k(Action::CancelRun),
                    k(Action::Open)
                )
            }
            RunStatus::Running => {
                format!(
                    "{} starts the worker on it, {} in batch mode{retry}",
                    k(Action::StartWorker),
                    k(Action::StartBatch)
                )
            }
        }
    }
}

/// The list above, the selected run's detail box below (when there is room for both); `extra`
/// rows for the gold line.
fn split(area: Rect, extra: u16) -> [Rect; 2] {
    let detail = if area.height >= DETAIL_ROWS + extra + 5 {
        DETAIL_ROWS + extra
    } else {
        0
    };
    Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(detail)])
        .areas(area)
}

impl Component for RunsPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, self.entries.len(), &action, ctx.page) {
            let run = self.current().cloned();
            self.marks.refresh(ctx.ws, run.as_ref(), true);
            return Vec::new();
        }
        if let Some(id) = self.current_group().map(|g| g.group.group_id.clone()) {
            let (fx, fold) = run_groups::group_action(action, &id, self.unfolded.contains(&id));
            if fold {
                self.fold(&id);
                run_groups::read_names(ctx.ws, &self.groups, &id, &mut self.doc_names);
            }
            return fx;
        }
        let Some(run) = self.current() else {
            return Vec::new();
        };
        let run_id = run.run_id.clone();
        let run = run.clone();
        if let Some(fx) = self.marks.update(&action, &run, ctx) {
            self.marks.refresh(ctx.ws, Some(&run), true);
            return fx;
        }
        match action {
            Action::Open => vec![Effect::OpenRun(run_id), Effect::Focus(Pane::Grid)],
            Action::CallLog => match CallLog::load(ctx.ws, &run_id) {
                Ok(log) => vec![Effect::Open(Box::new(log))],
                Err(e) => vec![Effect::Error(e)],
            },
            Action::RetryFailed if run.counters.failed == 0 => {
                vec![Effect::Info(format!("run {run_id} has no failed blocks"))]
            }
            Action::RetryFailed => vec![Effect::Job(
                Job::RetryFailed { run_id },
                crate::tui::kit::Reply::Status,
            )],
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let [list, info] = split(area, u16::from(self.marks.gold.is_some()));
        self.table(frame, list, view);
        if info.height > 0 {
            self.detail(frame, info, view);
        }
    }

    fn click(&mut self, area: Rect, at: Position) -> Vec<Effect> {
        let [list, _] = split(area, u16::from(self.marks.gold.is_some()));
        if let Some(row) = crate::tui::kit::row_at(list, self.offset.get(), at) {
            if row < self.entries.len() {
                self.cursor = row;
            }
        }
        Vec::new()
    }
}
