//! The message log (`M`): every status-bar message of this session in full, wrapped to the
//! width, newest at the bottom. `j` / `k` / page keys scroll it; `M`, `esc` or `q` close it.

use std::cell::Cell as StdCell;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::kit::draw::centered;
use crate::tui::kit::text::{cut_to_width, safe};
use crate::tui::kit::{nav_delta, Action, Component, Ctx, Effect, Message, View};
use crate::tui::kit::{Hints, KeyContext, KeyMode, Modal};

#[derive(Debug)]
pub struct Messages {
    /// Oldest first, as the log held them when it opened.
    pub entries: Vec<Message>,
    /// Lines scrolled up from the end (0: the newest message shows at the bottom).
    pub up: usize,
    /// How far `up` can go, as of the last frame.
    max_up: StdCell<usize>,
}

impl Messages {
    pub fn new(entries: Vec<Message>) -> Messages {
        Messages {
            entries,
            up: 0,
            max_up: StdCell::new(0),
        }
    }

    fn lines(&self, view: &View) -> Vec<Line<'static>> {
        let theme = view.theme;
        if self.entries.is_empty() {
            return vec![Line::from(Span::styled(
                "no messages yet in this session",
                theme.fg("muted"),
            ))];
        }
        let mut lines = Vec::new();
        for (i, (text, is_error)) in self.entries.iter().enumerate() {
            let style = if *is_error {
                theme.fg("error")
            } else {
                theme.fg("text")
            };
            let mark = if *is_error { "error" } else { "" };
            let head = Span::styled(format!("{:>3} {mark:<5} ", i + 1), theme.fg("muted"));
            // Line feeds in a message start new lines; control characters are shown, not obeyed.
            for (j, part) in safe(text).lines().enumerate() {
                let lead = if j == 0 {
                    head.clone()
                } else {
                    Span::raw(" ".repeat(10))
                };
                lines.push(Line::from(vec![
                    lead,
                    Span::styled(part.to_string(), style),
                ]));
            }
        }
        lines
    }
}

impl Modal for Messages {
    fn context(&self) -> Option<KeyContext> {
        None
    }
    fn key_mode(&self) -> KeyMode {
        KeyMode::Bound
    }
    fn hints(&self) -> Hints {
        Hints::Line(" j/k pageup/pagedown scroll · M or esc closes")
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for Messages {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if let Some(delta) = nav_delta(&action, ctx.page) {
            let up = (self.up as i64 - delta).clamp(0, self.max_up.get() as i64);
            self.up = up as usize;
            return Vec::new();
        }
        match action {
            Action::MessageLog | Action::Cancel | Action::ToggleHelp => vec![Effect::Close],
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let rect = centered(area, area.width.saturating_sub(4), area.height);
        frame.render_widget(Clear, rect);
        let title = format!(
            " Messages of this session ({}) · newest last · M or esc closes ",
            self.entries.len()
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                cut_to_width(&title, rect.width.saturating_sub(2) as usize),
                theme.title(),
            ));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let para = Paragraph::new(self.lines(view)).wrap(Wrap { trim: false });
        let total = para.line_count(inner.width);
        let max_up = total.saturating_sub(usize::from(inner.height));
        self.max_up.set(max_up);
        let top = max_up - self.up.min(max_up);
        let top = u16::try_from(top).unwrap_or(u16::MAX);
        frame.render_widget(para.scroll((top, 0)), inner);
    }
}
