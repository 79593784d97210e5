//! The call log of one run (what `blockwise run calls RUN` prints): one row per provider call,
//! the selected call's detail (an error in full) below. `c` or `esc` closes it.

use std::cell::Cell as StdCell;

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::model::CallRecord;
use crate::tui::kit::draw::list_table;
use crate::tui::kit::text::{cut_to_width, inert};
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::{navigate, Component, Ctx, View};
use crate::tui::kit::{KeyContext, KeyMode, Modal};
use crate::workspace::Workspace;

#[derive(Debug)]
pub struct CallLog {
    pub run_id: String,
    pub calls: Vec<CallRecord>,
    pub cursor: usize,
    offset: StdCell<usize>,
}

impl CallLog {
    /// Read the run's calls, the cursor on the newest.
    pub fn load(ws: &Workspace, run_id: &str) -> Result<CallLog, String> {
        let calls = ws
            .calls(run_id)
            .map_err(|e| format!("cannot read the calls of {run_id}: {e}"))?;
        Ok(CallLog {
            run_id: run_id.to_string(),
            cursor: calls.len().saturating_sub(1),
            calls,
            offset: StdCell::new(0),
        })
    }

    /// Re-read after the store changed; a cursor on the last call follows new ones.
    pub fn reload(&mut self, ws: &Workspace) {
        if let Ok(calls) = ws.calls(&self.run_id) {
            let follow = self.cursor + 1 >= self.calls.len();
            self.calls = calls;
            if follow {
                self.cursor = self.calls.len().saturating_sub(1);
            }
            self.cursor = self.cursor.min(self.calls.len().saturating_sub(1));
        }
    }
}

impl Modal for CallLog {
    /// A viewer over the Runs pane: its keys are the pane's.
    fn context(&self) -> Option<KeyContext> {
        None
    }
    fn key_mode(&self) -> KeyMode {
        KeyMode::Bound
    }
    fn store_changed(&mut self, ws: &Workspace) {
        self.reload(ws);
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for CallLog {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, self.calls.len(), &action, ctx.page) {
            return Vec::new();
        }
        match action {
            Action::CallLog | Action::Cancel | Action::ToggleHelp => vec![Effect::Close],
            _ => Vec::new(),
        }
    }

    fn click(&mut self, area: Rect, at: Position) -> Vec<Effect> {
        let [list, _] = split(area);
        if let Some(row) = crate::tui::kit::row_at(list, self.offset.get(), at) {
            if row < self.calls.len() {
                self.cursor = row;
            }
        }
        Vec::new()
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        frame.render_widget(Clear, area);
        let [list, info] = split(area);
        let wide = area.width >= 100;
        let (head, widths) = columns(wide);
        let rows = self.calls.iter().map(|c| {
            let mut cells = vec![
                c.seq.to_string(),
                c.pack_size.to_string(),
                format!("{}-{}", c.first_block, c.last_block),
                c.usage.input_tokens.to_string(),
                c.usage.output_tokens.to_string(),
                c.latency_ms.to_string(),
                c.outcome.to_string(),
            ];
            if wide {
                cells.extend([
                    c.usage.cache_write_tokens.to_string(),
                    c.usage.cache_read_tokens.to_string(),
                    inert(c.stop_reason.as_deref().unwrap_or("-")),
                ]);
            }
            cells.push(cut_to_width(c.detail.as_deref().unwrap_or(""), 60));
            let style = if c.outcome.is_failure() {
                theme.fg("error")
            } else {
                theme.fg("text")
            };
            Row::new(cells.into_iter().map(Cell::from)).style(style)
        });
        let title = format!(
            " Calls · {} · {} call(s) · what `blockwise run calls` shows · c / esc closes ",
            self.run_id,
            self.calls.len()
        );
        let table = Table::new(rows, widths)
            .header(Row::new(head.into_iter().map(Cell::from)).style(theme.title()));
        let cursor = (!self.calls.is_empty()).then_some(self.cursor);
        list_table(frame, list, table, &title, theme, cursor, &self.offset);
        let detail = match self.calls.get(self.cursor) {
            Some(c) => format!(
                "#{} {} at {}: {}",
                c.seq,
                c.outcome,
                c.at,
                c.detail.as_deref().unwrap_or(match c.outcome {
                    crate::model::CallOutcome::Ok => "every block of the call got a valid result",
                    _ => "no detail recorded",
                })
            ),
            None => "No calls yet: the worker records one per provider call.".into(),
        };
        let para = Paragraph::new(Line::from(inert(&detail)))
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(" Selected call ", theme.title())),
            );
        frame.render_widget(para, info);
    }
}

/// The calls above, the selected call's detail below.
fn split(area: Rect) -> [Rect; 2] {
    Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(5)])
        .areas(area)
}

/// The call log's column titles and widths (three cache/stop columns when `wide`).
fn columns(wide: bool) -> (Vec<&'static str>, Vec<Constraint>) {
    let mut head = vec!["seq", "pack", "blocks", "in", "out", "ms", "outcome"];
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Length(4),
        Constraint::Length(11),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(14),
    ];
    if wide {
        head.extend(["c-write", "c-read", "stop"]);
        widths.extend([
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(10),
        ]);
    }
    head.push("detail");
    widths.push(Constraint::Min(10));
    (head, widths)
}
