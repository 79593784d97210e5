//! The Schemas pane: saved schemas and a JSON preview of the selected one.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, List, ListItem, Paragraph, Wrap};
use ratatui::Frame;

use super::{navigate, Component, Ctx, View};
use crate::model::Schema;
use crate::tui::action::Action;
use crate::tui::effect::Effect;

#[derive(Debug, Default)]
pub struct SchemasPane {
    pub schemas: Vec<Schema>,
    pub cursor: usize,
}

impl SchemasPane {
    pub fn set_schemas(&mut self, schemas: Vec<Schema>) {
        self.schemas = schemas;
        self.cursor = super::moved(self.cursor, self.schemas.len(), 0);
    }
}

impl Component for SchemasPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        navigate(&mut self.cursor, self.schemas.len(), &action, ctx.page);
        Vec::new()
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [left, right] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Length(34), Constraint::Min(20)])
            .areas(area);
        let items: Vec<ListItem> = self
            .schemas
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let item = ListItem::new(format!(
                    "{}  {}",
                    s.schema_ref,
                    &s.schema_uid[..8.min(s.schema_uid.len())]
                ));
                if i == self.cursor {
                    item.style(theme.selection())
                } else {
                    item
                }
            })
            .collect();
        let list = List::new(items).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(
                    format!(" Schemas · {} ", self.schemas.len()),
                    theme.title(),
                )),
        );
        frame.render_widget(list, left);
        let (title, body) = match self.schemas.get(self.cursor) {
            Some(s) => {
                let mut body = serde_json::to_string_pretty(&s.json).unwrap_or_default();
                if !s.warnings.is_empty() {
                    body = format!("warnings: {}\n\n{body}", s.warnings.join("; "));
                }
                (
                    format!(" {} · owner {} · {} ", s.schema_ref, s.owner, s.created_at),
                    body,
                )
            }
            None => (
                " Preview ".to_string(),
                "No schemas yet: `blockwise schema from-template ID` or `schema add FILE`."
                    .to_string(),
            ),
        };
        let preview = Paragraph::new(body)
            .style(theme.fg("text"))
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(title, theme.title())),
            );
        frame.render_widget(preview, right);
    }
}
