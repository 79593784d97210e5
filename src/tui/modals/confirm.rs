//! A yes / no question before something that cannot be undone (deleting a schema).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::Key;

use super::centered;
use crate::model::Schema;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::modals::studio::safe;
use crate::tui::panes::{Component, Ctx, View};
use crate::workspace::SchemaDelete;

#[derive(Debug, Clone)]
pub enum Confirm {
    DeleteSchema {
        schema_id: String,
        schema_ref: String,
    },
}

impl Confirm {
    pub fn delete_schema(s: &Schema) -> Confirm {
        Confirm::DeleteSchema {
            schema_id: s.schema_id.clone(),
            schema_ref: s.schema_ref.clone(),
        }
    }

    fn yes(&self, ctx: &Ctx) -> Vec<Effect> {
        let Confirm::DeleteSchema {
            schema_id,
            schema_ref,
        } = self;
        let r = safe(schema_ref);
        // One small transaction; the store refuses it while a run references the schema.
        match ctx.ws.delete_schema(schema_id) {
            Ok(SchemaDelete::Deleted(_)) => vec![
                Effect::Close,
                Effect::Info(format!("deleted schema '{r}' ({schema_id})")),
                Effect::SchemasChanged(None),
            ],
            Ok(SchemaDelete::Referenced { run_ids, .. }) => vec![
                Effect::Close,
                Effect::Error(format!(
                    "refused: schema '{r}' is used by run(s) {}; nothing was deleted",
                    run_ids.join(", ")
                )),
            ],
            Err(e) => vec![Effect::Close, Effect::Error(format!("refused: {e}"))],
        }
    }
}

impl Component for Confirm {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Submit => self.yes(ctx),
            Action::Input(i) if i.key == Key::Char('y') => self.yes(ctx),
            Action::Cancel => vec![
                Effect::Close,
                Effect::Info("kept; nothing was deleted".into()),
            ],
            Action::Input(i) if i.key == Key::Char('n') => {
                vec![
                    Effect::Close,
                    Effect::Info("kept; nothing was deleted".into()),
                ]
            }
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let Confirm::DeleteSchema {
            schema_id,
            schema_ref,
        } = self;
        let rect = centered(area, 60, 6);
        frame.render_widget(Clear, rect);
        let text = vec![
            Line::from(format!(
                "Delete schema '{}' ({schema_id})?",
                safe(schema_ref)
            )),
            Line::from("No run uses it. This cannot be undone."),
            Line::from(Span::styled(
                "y / Enter deletes · n / Esc keeps it",
                view.theme.fg("muted"),
            )),
        ];
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(view.theme.border())
                    .title(Span::styled(" Delete schema ", view.theme.title())),
            ),
            rect,
        );
    }
}
