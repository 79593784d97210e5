//! Quitting while a worker of this window runs (issue 23 item 5): ask first. `s` (or Enter, or
//! `q` again) stops the worker: its claims go back and the run stays resumable (idle); `k`
//! keeps it working after the UI closes, as a detached `blockwise run start` process whose pid
//! the next TUI and `run status` show; Esc stays in the TUI.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::{Input, Key};

use crate::model::sanitize_line;
use crate::tui::kit::draw::centered;
use crate::tui::kit::{Action, Component, Ctx, Effect, Hints, Modal, View};

pub struct QuitAsk {
    /// The runs this window's workers are on.
    pub runs: Vec<String>,
}

impl QuitAsk {
    pub fn new(mut runs: Vec<String>) -> QuitAsk {
        runs.sort();
        QuitAsk { runs }
    }
}

impl Modal for QuitAsk {
    fn hints(&self) -> Hints {
        Hints::Own
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for QuitAsk {
    fn update(&mut self, action: Action, _ctx: &Ctx) -> Vec<Effect> {
        let key = match &action {
            Action::Input(Input {
                key: Key::Char(c), ..
            }) => Some(c.to_ascii_lowercase()),
            _ => None,
        };
        match (action, key) {
            (Action::Submit, _) | (_, Some('s' | 'q')) => vec![Effect::Quit {
                keep_workers: false,
            }],
            (_, Some('k' | 'b')) => vec![Effect::Quit { keep_workers: true }],
            (Action::Cancel, _) | (_, Some('n')) => vec![
                Effect::Close,
                Effect::Info("still here; the worker keeps running".into()),
            ],
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let rect = centered(area, area.width.saturating_sub(4).clamp(20, 76), 9);
        frame.render_widget(Clear, rect);
        let runs = sanitize_line(&self.runs.join(", ")).into_owned();
        let text = vec![
            Line::from(Span::styled(
                format!("A worker of this window is running on {runs}."),
                theme.fg("text"),
            )),
            Line::default(),
            Line::from(vec![
                Span::styled("s / Enter ", theme.fg("staged")),
                Span::raw("stop it and quit: claims go back, the run stays resumable (r, or `blockwise run start`)"),
            ]),
            Line::from(vec![
                Span::styled("k         ", theme.fg("staged")),
                Span::raw("keep it running after the UI closes (a background `blockwise run start`)"),
            ]),
            Line::from(vec![
                Span::styled("Esc       ", theme.fg("staged")),
                Span::raw("stay in the TUI"),
            ]),
        ];
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(" Quit? ", theme.title())),
            ),
            rect,
        );
    }
}
