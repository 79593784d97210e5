//! The Runs pane: every run with status, counters, a progress bar and cost.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use ratatui::Frame;

use super::{navigate, Component, Ctx, Pane, View};
use crate::model::{OverlayStatus, Run, RunCounters, UsageTotals};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::workspace::format_cost;

#[derive(Debug, Default)]
pub struct RunsPane {
    pub runs: Vec<Run>,
    pub cursor: usize,
}

impl RunsPane {
    pub fn current(&self) -> Option<&Run> {
        self.runs.get(self.cursor)
    }

    pub fn find(&self, run_id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.run_id == run_id)
    }

    /// Replace the list (after a reload), keeping the cursor in range.
    pub fn set_runs(&mut self, runs: Vec<Run>) {
        self.runs = runs;
        self.cursor = super::moved(self.cursor, self.runs.len(), 0);
    }

    /// Put the cursor on `run_id` when it is listed.
    pub fn select(&mut self, run_id: &str) {
        if let Some(i) = self.runs.iter().position(|r| r.run_id == run_id) {
            self.cursor = i;
        }
    }

    /// A worker's progress report, shown before the next reload.
    pub fn progress(&mut self, run_id: &str, counters: RunCounters, usage: UsageTotals) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.run_id == run_id) {
            r.counters = counters;
            r.usage = usage;
        }
    }
}

/// `[#####.....] 12/40` from the counters.
pub fn progress_bar(run: &Run, width: usize) -> String {
    let c = &run.counters;
    let done = c.total.saturating_sub(c.pending + c.claimed);
    let filled = (done as usize * width) / c.total.max(1) as usize;
    format!(
        "[{}{}] {done}/{}",
        "#".repeat(filled),
        ".".repeat(width - filled.min(width)),
        c.total
    )
}

impl Component for RunsPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, self.runs.len(), &action, ctx.page) {
            return Vec::new();
        }
        match action {
            Action::Open => match self.current() {
                Some(run) => vec![
                    Effect::OpenRun(run.run_id.clone()),
                    Effect::Focus(Pane::Grid),
                ],
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let header = Row::new(
            [
                "run", "status", "progress", "pend", "staged", "conf", "fail", "cost", "schema",
                "model",
            ]
            .map(Cell::from),
        )
        .style(theme.title());
        let rows = self.runs.iter().enumerate().map(|(i, r)| {
            let c = &r.counters;
            let status = if view.working.contains(&r.run_id) {
                format!("{}▶", r.status.as_str())
            } else {
                r.status.as_str().to_string()
            };
            let mut model = vec![Span::raw(format!(
                "{}:{} ",
                r.model_config.provider, r.model_config.model
            ))];
            if r.model_config.is_demo() {
                model.push(Span::styled("DEMO", theme.demo()));
            }
            let row = Row::new(vec![
                Cell::from(r.run_id.clone()),
                Cell::from(status),
                Cell::from(progress_bar(r, 16)),
                Cell::from(format!("{}", c.pending + c.claimed))
                    .style(theme.status(OverlayStatus::Pending)),
                Cell::from(format!("{}", c.ai_complete))
                    .style(theme.status(OverlayStatus::AiComplete)),
                Cell::from(format!("{}", c.confirmed))
                    .style(theme.status(OverlayStatus::Confirmed)),
                Cell::from(format!("{}", c.failed)).style(theme.status(OverlayStatus::Failed)),
                Cell::from(format_cost(r.usage.cost_usd)),
                Cell::from(r.schema_ref.clone()),
                Cell::from(Line::from(model)),
            ]);
            if i == self.cursor {
                row.style(theme.selection())
            } else {
                row
            }
        });
        let widths = [
            Constraint::Length(16),
            Constraint::Length(10),
            Constraint::Length(28),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(9),
            Constraint::Length(20),
            Constraint::Min(10),
        ];
        let title = if self.runs.is_empty() {
            " Runs · none yet: press n to create one ".to_string()
        } else {
            format!(
                " Runs · {} · Enter opens the grid, n new, s start, c cancel, r resume ",
                self.runs.len()
            )
        };
        let table = Table::new(rows, widths).header(header).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(title, theme.title())),
        );
        frame.render_widget(table, area);
    }
}
