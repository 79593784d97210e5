//! The help overlay: every binding of the keymap, grouped by context, flowed into as many
//! columns as fit. `j` / `k` / page keys scroll it; any other key closes it.

use std::cell::Cell as StdCell;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::kit::draw::centered;
use crate::tui::kit::text::cut_to_width;
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::{moved, nav_delta, Component, Ctx, View};
use crate::tui::kit::{Hints, KeyContext, KeyMode, Modal};

/// Narrowest help column: the keys (18) and a description of at least 38 columns, which wraps
/// onto more lines rather than being cut.
const COLUMN: u16 = 56;

#[derive(Debug, Default)]
pub struct Help {
    /// First line shown.
    pub scroll: usize,
    /// The largest useful `scroll` at the last render (how many lines do not fit).
    max_scroll: StdCell<usize>,
}

impl Help {}

impl Modal for Help {
    /// Over whatever pane is focused: its bindings decide what scrolls and what quits.
    fn context(&self) -> Option<KeyContext> {
        None
    }
    fn key_mode(&self) -> KeyMode {
        KeyMode::Dismiss
    }
    fn hints(&self) -> Hints {
        Hints::Line(" j/k pageup/pagedown scroll · any other key closes the help")
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for Help {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if let Some(delta) = nav_delta(&action, ctx.page) {
            self.scroll = moved(self.scroll, self.max_scroll.get() + 1, delta);
            return Vec::new();
        }
        match action {
            Action::ToggleHelp | Action::Cancel => vec![Effect::Close],
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let rect = centered(area, area.width.saturating_sub(4), area.height);
        frame.render_widget(Clear, rect);
        let inner_w = rect.width.saturating_sub(2);
        let per_col = rect.height.saturating_sub(2).max(1) as usize;
        let help = view.keymap.help();
        let count: usize = help.iter().map(|(_, b)| b.len() + 1).sum();
        // As many columns as fit, but no more than the lines need (wider text instead).
        let columns = (inner_w / COLUMN).clamp(1, count.div_ceil(per_col).max(1) as u16);
        let col_width = inner_w / columns;
        // The keys column is as wide as the longest keys (at most 16), the rest describes.
        let keys_w = help
            .iter()
            .flat_map(|(_, b)| b.iter().map(|(k, _)| k.chars().count()))
            .max()
            .unwrap_or(0)
            .min(16);
        let desc_w = (col_width as usize).saturating_sub(2 + keys_w + 1);
        let mut lines = Vec::new();
        for (context, bindings) in help {
            lines.push(Line::from(Span::styled(
                format!("[{context}]"),
                theme.title(),
            )));
            for (keys, desc) in bindings {
                for (i, part) in wrap_words(&desc, desc_w).into_iter().enumerate() {
                    let keys = if i == 0 {
                        cut_to_width(&keys, keys_w)
                    } else {
                        String::new()
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {keys:<keys_w$} "), theme.fg("staged")),
                        Span::raw(part),
                    ]));
                }
            }
        }
        let shown = per_col * columns as usize;
        let max_scroll = lines.len().saturating_sub(shown);
        self.max_scroll.set(max_scroll);
        let scroll = self.scroll.min(max_scroll);
        let title = if max_scroll > 0 {
            format!(
                " Keys · lines {}-{} of {} · j/k scroll, any other key closes ",
                scroll + 1,
                (scroll + shown).min(lines.len()),
                lines.len()
            )
        } else {
            " Keys (from keymap.toml) · any key but j/k closes ".to_string()
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                cut_to_width(&title, inner_w as usize),
                theme.title(),
            ));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        for (i, chunk) in lines[scroll..]
            .chunks(per_col)
            .take(columns as usize)
            .enumerate()
        {
            let col = Rect {
                x: inner.x + i as u16 * col_width,
                y: inner.y,
                width: col_width,
                height: inner.height,
            };
            frame.render_widget(Paragraph::new(chunk.to_vec()), col);
        }
    }
}

/// `text` in lines of at most `width` columns, broken between words (a word wider than a line
/// is cut).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if line.is_empty() {
            line.push_str(&cut_to_width(word, width));
        } else if line.width() + 1 + word.width() <= width {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(cut_to_width(word, width));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn descriptions_wrap_between_words() {
        let got = super::wrap_words("confirm selected rows (or the current one), then go on", 20);
        assert_eq!(
            got,
            [
                "confirm selected",
                "rows (or the current",
                "one), then go on"
            ]
        );
    }
}
