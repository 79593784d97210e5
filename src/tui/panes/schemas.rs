//! The Schemas pane: saved schemas (ref, uid prefix, fields, compatibility, runs using each), a
//! scrollable JSON preview of the selected one, delete (asks first; refused while runs use it),
//! and the doors into the schema studio (`n` new, `f` fork).

use std::collections::BTreeMap;
use std::sync::Arc;

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::model::Schema;
use crate::store::Head;
use crate::tui::kit::draw::list_table;
use crate::tui::kit::text::{cut_middle, safe};
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::Job;
use crate::tui::kit::{navigate, Component, Ctx, View};
use crate::tui::modals::studio::Studio;
use crate::tui::modals::Ask;
use crate::workspace::properties;

#[derive(Debug, Default)]
pub struct SchemasPane {
    pub schemas: Vec<Schema>,
    pub cursor: usize,
    /// schema_id → the runs that pin it (shared with the Runs pane's list, not copied).
    pub usage: BTreeMap<String, Vec<Arc<Head>>>,
    /// First preview line shown.
    pub scroll: u16,
    /// First list row shown in the last frame (keeps the window still while the cursor moves
    /// inside it; maps clicks to rows).
    pub offset: std::cell::Cell<usize>,
}

impl SchemasPane {
    pub fn set_schemas(&mut self, schemas: Vec<Schema>) {
        self.schemas = schemas;
        self.cursor = crate::tui::kit::moved(self.cursor, self.schemas.len(), 0);
    }

    /// Which runs use which schema, from the Runs pane's list (newest first); each schema's
    /// runs are kept oldest first, as the store lists them.
    pub fn set_usage(&mut self, runs: &[Arc<Head>]) {
        self.usage.clear();
        // Runs of one schema come in a row (a group's members): gathered before each insert.
        let mut same: Vec<Arc<Head>> = Vec::new();
        for r in runs.iter().rev() {
            if same.first().is_some_and(|s| s.schema_id() != r.schema_id()) {
                self.add_usage(std::mem::take(&mut same));
            }
            same.push(r.clone());
        }
        self.add_usage(same);
    }

    /// Runs of one schema, oldest first, after the ones already listed.
    fn add_usage(&mut self, same: Vec<Arc<Head>>) {
        let Some(first) = same.first() else { return };
        match self.usage.get_mut(first.schema_id()) {
            Some(v) => v.extend(same),
            None => {
                self.usage.insert(first.schema_id().to_string(), same);
            }
        }
    }

    /// Put the cursor on this schema when it is listed.
    pub fn select(&mut self, schema_id: &str) {
        if let Some(i) = self.schemas.iter().position(|s| s.schema_id == schema_id) {
            self.cursor = i;
            self.scroll = 0;
        }
    }

    pub fn current(&self) -> Option<&Schema> {
        self.schemas.get(self.cursor)
    }

    fn runs_of(&self, s: &Schema) -> &[Arc<Head>] {
        self.usage
            .get(&s.schema_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn preview_text(s: &Schema) -> String {
        let mut head = format!("owner: {}", s.owner);
        if let Some(t) = &s.template_id {
            head.push_str(&format!(" · from template {t}"));
        }
        if let Some(f) = &s.forked_from {
            head.push_str(&format!(" · forked from {f}"));
        }
        if !s.warnings.is_empty() {
            head.push_str(&format!("\nwarnings: {}", s.warnings.join("; ")));
        }
        let json = serde_json::to_string_pretty(&s.json).unwrap_or_default();
        safe(&format!("{head}\n\n{json}"))
    }

    fn delete(&self) -> Vec<Effect> {
        let Some(s) = self.current() else {
            return vec![Effect::Error("no schema selected".into())];
        };
        let runs = self.runs_of(s);
        if !runs.is_empty() {
            return vec![Effect::Error(format!(
                "refused: schema '{}' is used by run(s) {}; delete those runs first (nothing was \
                 changed)",
                safe(&s.schema_ref),
                ids(runs)
            ))];
        }
        let question = format!(
            "Delete schema '{}' ({})? No run uses it. This cannot be undone.",
            s.schema_ref, s.schema_id
        );
        let job = Job::DeleteSchema {
            schema_id: s.schema_id.clone(),
            schema_ref: s.schema_ref.clone(),
        };
        vec![Effect::Open(Box::new(Ask::new(question, job)))]
    }
}

/// The list on the left, the preview on the right.
fn split(area: Rect) -> [Rect; 2] {
    let list_width = if area.width >= 110 { 62 } else { 44 };
    Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(list_width), Constraint::Min(20)])
        .areas(area)
}

impl Component for SchemasPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, self.schemas.len(), &action, ctx.page) {
            self.scroll = 0;
            return Vec::new();
        }
        match action {
            Action::PreviewDown => {
                let lines = self
                    .current()
                    .map_or(0, |s| Self::preview_text(s).lines().count());
                self.scroll = (self.scroll + 1).min(lines.saturating_sub(1) as u16);
                Vec::new()
            }
            Action::PreviewUp => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            Action::NewSchema => vec![Effect::Open(Box::new(Studio::menu(self.current())))],
            Action::ForkSchema => match self.current() {
                Some(s) => match Studio::fork(ctx.ws, s) {
                    Ok(studio) => vec![Effect::Open(Box::new(studio))],
                    Err(e) => vec![Effect::Error(e)],
                },
                None => vec![Effect::Error("no schema selected to fork".into())],
            },
            Action::DeleteSchema => self.delete(),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [left, right] = split(area);
        // The ref column: what the fixed columns and the borders leave; long refs are cut in
        // the middle so that `x` and `x_v2` stay apart.
        let ref_width = usize::from(left.width).saturating_sub(2 + 8 + 6 + 6 + 4 + 4);
        let header = Row::new(["ref", "uid", "fields", "compat", "runs"]).style(theme.fg("muted"));
        let rows: Vec<Row> = self
            .schemas
            .iter()
            .map(|s| {
                let fields = properties(&s.json).map_or(0, |p| p.len());
                let compat = if s.warnings.is_empty() { "ok" } else { "warn" };
                let runs = self.runs_of(s);
                let used = match runs.len() {
                    0 => "-".to_string(),
                    n => n.to_string(),
                };
                Row::new([
                    cut_middle(&s.schema_ref, ref_width.max(5)),
                    s.schema_uid.chars().take(8).collect(),
                    fields.to_string(),
                    compat.to_string(),
                    used,
                ])
            })
            .collect();
        let widths = [
            Constraint::Min(12),
            Constraint::Length(8),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(4),
        ];
        let title = format!(
            " Schemas · {} · n new  f fork  d delete ",
            self.schemas.len()
        );
        list_table(
            frame,
            left,
            Table::new(rows, widths).header(header),
            &title,
            theme,
            (!self.schemas.is_empty()).then_some(self.cursor),
            &self.offset,
        );
        let (title, body) = match self.current() {
            Some(s) => {
                let runs = self.runs_of(s);
                let used = if runs.is_empty() {
                    "no runs".to_string()
                } else {
                    format!("runs: {}", ids(runs))
                };
                (
                    format!(" {} · {used} · J/K scroll ", safe(&s.schema_ref)),
                    Self::preview_text(s),
                )
            }
            None => (
                " Preview ".to_string(),
                "No schemas yet: press n for a new schema (template, wizard, import, JSON)."
                    .to_string(),
            ),
        };
        let preview = Paragraph::new(body)
            .style(theme.fg("text"))
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(title, theme.title())),
            );
        frame.render_widget(preview, right);
    }

    /// A click on a schema's row selects it.
    fn click(&mut self, area: Rect, at: Position) -> Vec<Effect> {
        let [list, _] = split(area);
        if let Some(row) = crate::tui::kit::row_at(list, self.offset.get(), at) {
            if row < self.schemas.len() && row != self.cursor {
                self.cursor = row;
                self.scroll = 0;
            }
        }
        Vec::new()
    }
}

/// The runs' ids, comma separated.
fn ids(runs: &[Arc<Head>]) -> String {
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id()).collect();
    ids.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, Run};

    fn head(id: &str, schema: &str) -> Arc<Head> {
        let run = Run::new(
            id,
            "conv",
            (schema, "s@1", "uid"),
            ModelConfig::fixed("demo", "m", 0.0, 9),
            "me",
        );
        Arc::new(Head::from(run))
    }

    #[test]
    fn usage_lists_each_schemas_runs_oldest_first_when_schemas_interleave() {
        let mut pane = SchemasPane::default();
        // Newest first, as the Runs pane holds them: schema a, b, a, a.
        let runs = [
            head("r4", "a"),
            head("r3", "b"),
            head("r2", "a"),
            head("r1", "a"),
        ];
        pane.set_usage(&runs);
        let ids = |pane: &SchemasPane, s: &str| -> Vec<String> {
            pane.usage[s]
                .iter()
                .map(|r| r.run_id().to_string())
                .collect()
        };
        assert_eq!(ids(&pane, "a"), ["r1", "r2", "r4"]);
        assert_eq!(ids(&pane, "b"), ["r3"]);
        assert_eq!(pane.usage.len(), 2);
        pane.set_usage(&runs[..1]);
        assert_eq!(ids(&pane, "a"), ["r4"], "a new list replaces the old one");
        assert_eq!(pane.usage.len(), 1);
    }
}
