//! The help overlay: every binding of the keymap, grouped by context. Any key closes it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::centered;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::panes::{Component, Ctx, View};

#[derive(Debug, Default)]
pub struct Help;

impl Component for Help {
    fn update(&mut self, action: Action, _ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::ToggleHelp | Action::Cancel => vec![Effect::Close],
            _ => Vec::new(),
        }
    }

    /// Flowed into as many columns as needed.
    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let mut lines = Vec::new();
        for (context, bindings) in view.keymap.help() {
            lines.push(Line::from(Span::styled(
                format!("[{context}]"),
                theme.title(),
            )));
            for (keys, desc) in bindings {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<16}"), theme.fg("staged")),
                    Span::raw(desc),
                ]));
            }
        }
        let rect = centered(area, area.width.saturating_sub(4), area.height);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                " Keys (from keymap.toml; any key closes) ",
                theme.title(),
            ));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let per_col = inner.height.max(1) as usize;
        let columns = lines.len().div_ceil(per_col).max(1) as u16;
        let col_width = (inner.width / columns).max(30);
        for (i, chunk) in lines.chunks(per_col).enumerate() {
            let x = inner.x + i as u16 * col_width;
            if x >= inner.x + inner.width {
                break;
            }
            let col = Rect {
                x,
                y: inner.y,
                width: col_width.min(inner.x + inner.width - x),
                height: inner.height,
            };
            frame.render_widget(Paragraph::new(chunk.to_vec()), col);
        }
    }
}
