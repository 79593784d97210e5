//! The new-run picker: a document, then a schema; the run is created on the demo provider.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, List, ListItem};
use ratatui::Frame;

use super::centered;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::panes::{navigate, Component, Ctx, View};
use crate::workspace::Workspace;

#[derive(Debug, Clone)]
pub struct Picker {
    /// The document chosen in step 1.
    pub doc: Option<String>,
    /// (id, label) of the current step's choices.
    pub items: Vec<(String, String)>,
    pub cursor: usize,
}

impl Picker {
    /// Step 1: the workspace's documents, or why there is nothing to pick.
    pub fn documents(ws: &Workspace) -> Result<Picker, String> {
        let docs = ws.list_documents().map_err(|e| e.to_string())?;
        if docs.is_empty() {
            return Err("no documents yet: `blockwise ingest FILE` first".into());
        }
        let items = docs
            .into_iter()
            .map(|d| {
                let label = format!(
                    "{}  {}  ({} blocks)  {}",
                    &d.conv_uid[..12.min(d.conv_uid.len())],
                    d.title,
                    d.total_blocks,
                    d.file_name
                );
                (d.conv_uid, label)
            })
            .collect();
        Ok(Picker {
            doc: None,
            items,
            cursor: 0,
        })
    }

    fn submit(&mut self, ws: &Workspace) -> Vec<Effect> {
        let Some((id, _)) = self.items.get(self.cursor).cloned() else {
            return Vec::new();
        };
        match self.doc.clone() {
            None => match ws.list_schemas() {
                Ok(s) if s.is_empty() => vec![
                    Effect::Close,
                    Effect::Error(
                        "no schemas yet: `blockwise schema from-template ID` first".into(),
                    ),
                ],
                Ok(schemas) => {
                    self.doc = Some(id);
                    self.items = schemas
                        .into_iter()
                        .map(|s| (s.schema_ref.clone(), s.schema_ref))
                        .collect();
                    self.cursor = 0;
                    Vec::new()
                }
                Err(e) => vec![Effect::Error(e.to_string())],
            },
            Some(doc) => vec![Effect::Close, Effect::CreateRun { doc, schema: id }],
        }
    }
}

impl Component for Picker {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if matches!(
            action,
            Action::Up | Action::Down | Action::Top | Action::Bottom
        ) {
            navigate(&mut self.cursor, self.items.len(), &action, ctx.page);
            return Vec::new();
        }
        match action {
            Action::Cancel => vec![Effect::Close],
            Action::Submit => self.submit(ctx.ws),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let title = if self.doc.is_none() {
            " New run · 1/2 pick a document (Enter), Esc cancels "
        } else {
            " New run · 2/2 pick a schema (Enter creates the run on the demo provider) "
        };
        let rect = centered(area, 80, (self.items.len() as u16 + 2).clamp(5, 20));
        frame.render_widget(Clear, rect);
        let items: Vec<ListItem> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, (_, label))| {
                let item = ListItem::new(label.clone());
                if i == self.cursor {
                    item.style(theme.selection())
                } else {
                    item
                }
            })
            .collect();
        frame.render_widget(
            List::new(items).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(title, theme.title())),
            ),
            rect,
        );
    }
}
