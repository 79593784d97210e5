//! A yes/no question before a large change (`A`: confirm every staged block). Enter or `y`
//! starts the job; Esc or `n` cancels and nothing changes.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::{Input, Key};

use crate::model::sanitize_line;
use crate::tui::kit::draw::centered;
use crate::tui::kit::Action;
use crate::tui::kit::Job;
use crate::tui::kit::{Component, Ctx, View};
use crate::tui::kit::{Effect, Reply};
use crate::tui::kit::{Hints, Modal};

pub struct Ask {
    pub question: String,
    job: Job,
}

impl Ask {
    pub fn new(question: String, job: Job) -> Ask {
        Ask { question, job }
    }

    fn yes(&self) -> Vec<Effect> {
        vec![Effect::Close, Effect::Job(self.job.clone(), Reply::Status)]
    }

    fn no() -> Vec<Effect> {
        vec![
            Effect::Close,
            Effect::Info("cancelled; nothing was changed".into()),
        ]
    }
}

impl Modal for Ask {
    fn hints(&self) -> Hints {
        Hints::Line(" y / enter yes · n / esc no")
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for Ask {
    fn update(&mut self, action: Action, _ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Submit => self.yes(),
            Action::Cancel => Ask::no(),
            Action::Input(Input {
                key: Key::Char('y' | 'Y'),
                ..
            }) => self.yes(),
            Action::Input(Input {
                key: Key::Char('n' | 'N'),
                ..
            }) => Ask::no(),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let rect = centered(area, area.width.saturating_sub(8).clamp(20, 70), 5);
        frame.render_widget(Clear, rect);
        let text = vec![
            Line::from(Span::styled(
                sanitize_line(&self.question).into_owned(),
                theme.fg("text"),
            )),
            Line::from(Span::styled(
                "Enter / y: yes · Esc / n: no",
                theme.fg("muted"),
            )),
        ];
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(" Are you sure? ", theme.title())),
            ),
            rect,
        );
    }
}
