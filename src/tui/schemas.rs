//! The Schemas pane: saved schemas and a JSON preview of the selected one.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, List, ListItem, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use crate::model::Schema;

#[derive(Debug, Default)]
pub struct SchemasPane {
    pub schemas: Vec<Schema>,
    pub cursor: usize,
}

impl SchemasPane {
    pub fn move_by(&mut self, delta: i64) {
        let max = self.schemas.len().saturating_sub(1) as i64;
        self.cursor = (self.cursor as i64 + delta).clamp(0, max.max(0)) as usize;
    }
}

pub fn render(frame: &mut Frame, area: Rect, pane: &SchemasPane, theme: &Theme) {
    let [left, right] = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(34), Constraint::Min(20)])
        .areas(area);
    let items: Vec<ListItem> = pane
        .schemas
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let item = ListItem::new(format!(
                "{}  {}",
                s.schema_ref,
                &s.schema_uid[..8.min(s.schema_uid.len())]
            ));
            if i == pane.cursor {
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
                format!(" Schemas · {} ", pane.schemas.len()),
                theme.title(),
            )),
    );
    frame.render_widget(list, left);
    let (title, body) = match pane.schemas.get(pane.cursor) {
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
            "No schemas yet: `blockwise schema from-template ID` or `schema add FILE`.".to_string(),
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
