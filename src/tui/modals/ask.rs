//! A yes/no question before a large change (`A`: confirm every staged block). Enter or `y`
//! starts the job; Esc or `n` cancels and nothing changes. A question may offer one other
//! answer on its own key (`c`: confirm only the clean ones).

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
    /// Another answer: its key, what it does (shown), and its job.
    pub other: Option<(char, String, Job)>,
}

impl Ask {
    pub fn new(question: String, job: Job) -> Ask {
        Ask {
            question,
            job,
            other: None,
        }
    }

    /// The question with another answer on key `key`, described by `label`.
    pub fn with_other(mut self, key: char, label: String, job: Job) -> Ask {
        self.other = Some((key, label, job));
        self
    }

    fn other_answer(&self, c: char) -> Option<Vec<Effect>> {
        let (_, _, job) = self.other.as_ref().filter(|(k, ..)| *k == c)?;
        Some(vec![Effect::Close, Effect::Job(job.clone(), Reply::Status)])
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
        match self.other {
            Some(_) => Hints::Own,
            None => Hints::Line(" y / enter yes · n / esc no"),
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for Ask {
    fn update(&mut self, action: Action, _ctx: &Ctx) -> Vec<Effect> {
        if let Action::Input(Input {
            key: Key::Char(c), ..
        }) = &action
        {
            if let Some(fx) = self.other_answer(*c) {
                return fx;
            }
        }
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
        let tall = if self.other.is_some() { 8 } else { 5 };
        let rect = centered(area, area.width.saturating_sub(8).clamp(20, 70), tall);
        frame.render_widget(Clear, rect);
        let mut text = vec![Line::from(Span::styled(
            sanitize_line(&self.question).into_owned(),
            theme.fg("text"),
        ))];
        if let Some((key, label, _)) = &self.other {
            text.push(Line::from(Span::styled(
                format!("{key}: {}", sanitize_line(label)),
                theme.fg("text"),
            )));
        }
        text.push(Line::from(Span::styled(
            "Enter / y: yes · Esc / n: no",
            theme.fg("muted"),
        )));
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
