//! The review grid: one row per block, `#`, `type`, `status`, `content`, then one column per
//! top-level schema property. Only the visible window of rows is fetched and laid out.
//! Review keys (confirm, reject, discard) leave as background jobs; `e` opens the cell editor.

use std::collections::BTreeSet;

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;
use serde_json::Value;

use super::{nav_delta, Component, Ctx, View};
use crate::model::{OverlayStatus, Run};
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Reply};
use crate::tui::jobs::Job;
use crate::tui::modals::{Modal, Prompt, PromptKind};
use crate::workspace::{properties, Selection, StoreError, Target, Workspace};

/// Fixed columns before the schema's properties.
pub(crate) const FIXED: [(&str, u16); 4] =
    [("#", 6), ("type", 10), ("status", 11), ("content", 36)];
const FIELD_WIDTH: u16 = 22;
/// Tab bar, status bar, table borders and header.
const CHROME_ROWS: u16 = 6;

/// One visible row, built from the block and its overlay.
#[derive(Debug, Clone)]
pub struct GridRow {
    pub index: u32,
    pub block_type: String,
    pub content: String,
    pub status: OverlayStatus,
    /// Confirmed value when confirmed, staged when ai_complete, else `None`.
    pub value: Option<Value>,
    /// A draft edit differs from the model's answer.
    pub edited: bool,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct GridPane {
    pub run: Option<Run>,
    pub schema: Option<Value>,
    pub fields: Vec<String>,
    pub cursor: u32,
    pub offset: u32,
    /// Index into `fields` of the current cell.
    pub col: usize,
    pub selected: BTreeSet<u32>,
    pub rows: Vec<GridRow>,
    /// Rows the table can show (set from the terminal size).
    pub height: u32,
}

impl Default for GridPane {
    fn default() -> Self {
        GridPane {
            run: None,
            schema: None,
            fields: Vec::new(),
            cursor: 0,
            offset: 0,
            col: 0,
            selected: BTreeSet::new(),
            rows: Vec::new(),
            height: 20,
        }
    }
}

impl GridPane {
    pub fn total(&self) -> u32 {
        self.run.as_ref().map(|r| r.counters.total).unwrap_or(0)
    }

    /// Show `run` (fresh cursor when it is another run).
    pub fn open(&mut self, ws: &Workspace, run: Run) -> Result<(), StoreError> {
        let same = self.run.as_ref().is_some_and(|r| r.run_id == run.run_id);
        if !same {
            self.cursor = 0;
            self.offset = 0;
            self.col = 0;
            self.selected.clear();
            let schema = ws.get_schema(&run.schema_id)?.map(|s| s.json);
            self.fields = schema
                .as_ref()
                .and_then(properties)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            self.schema = schema;
        }
        self.run = Some(run);
        self.reload(ws)
    }

    /// Re-read the run and the visible window (a bounded read: `height` rows).
    pub fn reload(&mut self, ws: &Workspace) -> Result<(), StoreError> {
        let Some(run) = &self.run else {
            self.rows.clear();
            return Ok(());
        };
        if let Some(fresh) = ws.get_run(&run.run_id)? {
            self.run = Some(fresh);
        }
        self.clamp();
        let Some(run) = &self.run else {
            return Ok(());
        };
        let to = (self.offset + self.height.max(1)).min(run.counters.total);
        let overlays = ws.overlays_range(&run.run_id, self.offset, to)?;
        let indices: Vec<u32> = overlays.iter().map(|o| o.block_index).collect();
        let blocks = ws.blocks_at(&run.conv_uid, &indices)?;
        self.rows = overlays
            .into_iter()
            .zip(blocks)
            .map(|(ov, b)| {
                let value = ov.status.shown(ov.confirmed, ov.staging).value();
                GridRow {
                    index: ov.block_index,
                    block_type: b.block_type.as_str().to_string(),
                    content: b.block_content,
                    status: ov.status,
                    value,
                    edited: ov.edited,
                    error: ov.last_error,
                }
            })
            .collect();
        Ok(())
    }

    /// Re-read, reporting a failure as an effect.
    pub fn refresh(&mut self, ws: &Workspace) -> Vec<Effect> {
        match self.reload(ws) {
            Ok(()) => Vec::new(),
            Err(e) => vec![Effect::Error(format!("cannot read the grid: {e}"))],
        }
    }

    /// The terminal now has `rows` rows: size the window and fetch what became visible.
    pub fn resize(&mut self, rows: u16, ws: &Workspace) -> Vec<Effect> {
        self.height = u32::from(rows.saturating_sub(CHROME_ROWS)).max(1);
        if self.clamp() || self.rows.len() < self.height as usize {
            return self.refresh(ws);
        }
        Vec::new()
    }

    /// Keep the cursor in range and inside the window. Returns whether the window moved.
    pub fn clamp(&mut self) -> bool {
        let total = self.total();
        self.cursor = self.cursor.min(total.saturating_sub(1));
        self.col = self.col.min(self.fields.len().saturating_sub(1));
        let h = self.height.max(1);
        let before = self.offset;
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        self.offset = self.offset.min(total.saturating_sub(h));
        before != self.offset
    }

    /// Move the cursor by `delta` rows.
    pub fn move_by(&mut self, delta: i64) {
        let max = self.total().saturating_sub(1) as i64;
        self.cursor = (self.cursor as i64)
            .saturating_add(delta)
            .clamp(0, max.max(0)) as u32;
    }

    /// Move and fetch the window when the cursor left it.
    fn move_and_fetch(&mut self, delta: i64, ws: &Workspace) -> Vec<Effect> {
        self.move_by(delta);
        if self.clamp() || self.current_row().is_none() {
            return self.refresh(ws);
        }
        Vec::new()
    }

    pub fn current_row(&self) -> Option<&GridRow> {
        self.rows.iter().find(|r| r.index == self.cursor)
    }

    pub fn current_field(&self) -> Option<&str> {
        self.fields.get(self.col).map(String::as_str)
    }

    /// Selected rows, or the current row when none is selected.
    pub fn targets(&self) -> Vec<u32> {
        if self.selected.is_empty() {
            if self.total() == 0 {
                Vec::new()
            } else {
                vec![self.cursor]
            }
        } else {
            self.selected.iter().copied().collect()
        }
    }

    /// A review job on the open run, or the reason there is none.
    fn review(&self, job: impl FnOnce(String) -> Job) -> Vec<Effect> {
        match &self.run {
            Some(run) => vec![Effect::Job(job(run.run_id.clone()), Reply::Status)],
            None => vec![no_run()],
        }
    }

    /// Open the cell editor on the current staged cell.
    fn begin_edit(&self) -> Vec<Effect> {
        let Some(run) = &self.run else {
            return vec![no_run()];
        };
        let Some(field) = self.current_field().map(str::to_string) else {
            return vec![Effect::Error(
                "this run's schema has no top-level properties to edit".into(),
            )];
        };
        let Some(row) = self.current_row() else {
            return Vec::new();
        };
        if row.status != OverlayStatus::AiComplete {
            return vec![Effect::Error(format!(
                "block {} is {}: only staged blocks can be edited",
                row.index,
                row.status.as_str()
            ))];
        }
        let current = row
            .value
            .as_ref()
            .and_then(|v| v.get(&field))
            .map(compact)
            .unwrap_or_default();
        let ty = self
            .schema
            .as_ref()
            .and_then(properties)
            .and_then(|p| p.get(&field))
            .map(|s| serde_json::to_string(s).unwrap_or_default())
            .unwrap_or_default();
        let prompt = Prompt::new(
            PromptKind::EditCell {
                run_id: run.run_id.clone(),
                index: row.index,
                field: field.clone(),
            },
            format!("Edit block {} · {field}", row.index),
            format!("Enter saves, Esc cancels · schema {ty}"),
            current,
        );
        vec![Effect::Open(Modal::Prompt(Box::new(prompt)))]
    }

    /// Property columns that fit `width`, starting so the current one is visible.
    fn field_window(&self, width: u16) -> (usize, usize) {
        let fixed: u16 = FIXED.iter().map(|(_, w)| w + 1).sum::<u16>() + 2;
        let fit = (width.saturating_sub(fixed) / (FIELD_WIDTH + 1)).max(1) as usize;
        let first = self.col.saturating_sub(fit - 1);
        (first, (first + fit).min(self.fields.len()))
    }
}

fn no_run() -> Effect {
    Effect::Error("no run open: pick one in the Runs pane and press Enter".into())
}

impl Component for GridPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if let Some(delta) = nav_delta(&action, self.height) {
            return self.move_and_fetch(delta, ctx.ws);
        }
        match action {
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col = (self.col + 1).min(self.fields.len().saturating_sub(1)),
            Action::ToggleSelect if self.total() > 0 => {
                let i = self.cursor;
                if !self.selected.remove(&i) {
                    self.selected.insert(i);
                }
                return self.move_and_fetch(1, ctx.ws);
            }
            Action::ConfirmSelected => {
                let target = Target::Blocks(Selection::from_indices(self.targets()));
                return self.review(|run_id| Job::Confirm { run_id, target });
            }
            Action::ConfirmAllStaged => {
                return self.review(|run_id| Job::Confirm {
                    run_id,
                    target: Target::AllStaged,
                })
            }
            Action::Reject => {
                let selection = Selection::from_indices(self.targets());
                return self.review(|run_id| Job::Reject { run_id, selection });
            }
            Action::DiscardEdit => {
                let index = self.cursor;
                return self.review(|run_id| Job::Discard { run_id, index });
            }
            Action::Edit => return self.begin_edit(),
            _ => {}
        }
        Vec::new()
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let Some(run) = &self.run else {
            let p = Paragraph::new("No run open. Pick one in the Runs pane (1) and press Enter.")
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(theme.border()),
                );
            frame.render_widget(p, area);
            return;
        };
        let (first, last) = self.field_window(area.width);
        let mut header: Vec<Cell> = FIXED.iter().map(|(n, _)| Cell::from(*n)).collect();
        let mut widths: Vec<Constraint> =
            FIXED.iter().map(|(_, w)| Constraint::Length(*w)).collect();
        for (i, f) in self.fields[first..last].iter().enumerate() {
            let mut style = theme.title();
            if first + i == self.col {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            header.push(Cell::from(one_line(f, FIELD_WIDTH as usize)).style(style));
            widths.push(Constraint::Length(FIELD_WIDTH));
        }
        let rows = self.rows.iter().map(|row| {
            let status_style = theme.status(row.status);
            let marker = if self.selected.contains(&row.index) {
                "●"
            } else {
                " "
            };
            let mut cells = vec![
                Cell::from(Line::from(vec![
                    Span::styled(marker, theme.fg("marked")),
                    Span::raw(format!("{:>4}", row.index)),
                ])),
                Cell::from(one_line(&row.block_type, 10)).style(theme.fg("muted")),
                Cell::from(status_label(row)).style(status_style),
                Cell::from(one_line(&row.content, 36)).style(theme.fg("text")),
            ];
            for (i, f) in self.fields[first..last].iter().enumerate() {
                let text = match (&row.value, row.status) {
                    (Some(v), _) => v.get(f).map(compact).unwrap_or_default(),
                    (None, OverlayStatus::Failed) if i == 0 => {
                        row.error.clone().unwrap_or_default()
                    }
                    _ => String::new(),
                };
                let mut style = status_style;
                if row.index == self.cursor && first + i == self.col {
                    style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
                }
                cells.push(Cell::from(one_line(&text, FIELD_WIDTH as usize)).style(style));
            }
            let row_style = if row.index == self.cursor {
                theme.selection()
            } else {
                Style::default()
            };
            Row::new(cells).style(row_style)
        });
        let c = &run.counters;
        let mut title = vec![Span::styled(
            format!(
                " Grid · run {} · {} · row {}/{} · staged {} confirmed {} · col {}/{} ",
                run.run_id,
                run.schema_ref,
                if c.total == 0 { 0 } else { self.cursor + 1 },
                c.total,
                c.ai_complete,
                c.confirmed,
                if self.fields.is_empty() {
                    0
                } else {
                    self.col + 1
                },
                self.fields.len()
            ),
            theme.title(),
        )];
        if run.model_config.is_demo() {
            title.push(Span::styled(" DEMO OUTPUT ", theme.demo()));
        }
        if !self.selected.is_empty() {
            title.push(Span::styled(
                format!(" {} selected ", self.selected.len()),
                theme.fg("marked"),
            ));
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.title()))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Line::from(title)),
            );
        frame.render_widget(table, area);
    }
}

/// A value as one compact line: strings bare, everything else compact JSON.
pub fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One sanitized line, cut to the column (the one terminal sanitizer, `model::sanitize`).
use crate::model::one_line;

fn status_label(row: &GridRow) -> &'static str {
    match (row.status, row.edited) {
        (OverlayStatus::AiComplete, true) => "staged*",
        (OverlayStatus::AiComplete, false) => "staged",
        (s, _) => s.as_str(),
    }
}
