//! The Keys pane (SPEC §6): one row per provider that takes a key, with the key's last four
//! characters, where it comes from, whether it was found valid, its default model and base URL.
//! `s` sets a key (masked input), `t` tests it (a background job), `d` removes it (asks first),
//! `m` sets its default model, temperature and max tokens.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::{navigate, Component, Ctx, View};
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Reply};
use crate::tui::jobs::Job;
use crate::tui::modals::key_defaults::KeyDefaults;
use crate::tui::modals::studio::safe;
use crate::tui::modals::{Modal, Prompt, PromptKind};
use crate::workspace::{KeySummary, ProviderKind};

#[derive(Debug, Default)]
pub struct KeysPane {
    pub keys: Vec<KeySummary>,
    pub cursor: usize,
}

impl KeysPane {
    /// Every provider that takes a key, stored or not.
    pub fn providers() -> Vec<&'static str> {
        ProviderKind::KEYED.iter().map(|k| k.as_str()).collect()
    }

    pub fn set(&mut self, keys: Vec<KeySummary>) {
        self.keys = keys;
    }

    pub fn current(&self) -> &'static str {
        let all = Self::providers();
        all[self.cursor.min(all.len() - 1)]
    }

    fn summary(&self, provider: &str) -> Option<&KeySummary> {
        self.keys.iter().find(|k| k.provider == provider)
    }

    fn begin_set(&self) -> Vec<Effect> {
        let provider = self.current();
        let prompt = if provider == ProviderKind::Custom.as_str() {
            Prompt::new(
                PromptKind::KeyBaseUrl {
                    provider: provider.into(),
                },
                "Base URL of the custom (OpenAI-compatible) server".into(),
                "e.g. http://localhost:8080/v1 · Enter next (the key), Esc cancels".into(),
                self.summary(provider)
                    .and_then(|k| k.base_url.clone())
                    .unwrap_or_default(),
            )
        } else {
            Prompt::secret(provider, None)
        };
        vec![Effect::Open(Modal::Prompt(Box::new(prompt)))]
    }

    fn begin_defaults(&self) -> Vec<Effect> {
        let provider = self.current();
        match self.summary(provider) {
            Some(k) if k.source == "stored" => {
                let prompt = KeyDefaults::of(k).prompt();
                vec![Effect::Open(Modal::Prompt(Box::new(prompt)))]
            }
            Some(k) => vec![Effect::Error(format!(
                "the {provider} key comes from {}; defaults belong to a stored key (s stores one)",
                k.source
            ))],
            None => vec![Effect::Error(format!(
                "no stored {provider} key: s stores one, then m sets its defaults"
            ))],
        }
    }

    fn begin_remove(&self) -> Vec<Effect> {
        let provider = self.current();
        match self.summary(provider) {
            Some(k) if k.source == "stored" => {
                let prompt = Prompt::new(
                    PromptKind::RemoveKey {
                        provider: provider.into(),
                    },
                    format!("Remove the stored {provider} key {}?", k.key),
                    "Enter removes it (it cannot be undone), Esc keeps it".into(),
                    String::new(),
                );
                vec![Effect::Open(Modal::Prompt(Box::new(prompt)))]
            }
            Some(k) => vec![Effect::Error(format!(
                "the {provider} key comes from {}; it is not stored, so there is nothing to remove",
                k.source
            ))],
            None => vec![Effect::Error(format!("no stored {provider} key"))],
        }
    }
}

impl Component for KeysPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, Self::providers().len(), &action, ctx.page) {
            return Vec::new();
        }
        match action {
            Action::SetKey => self.begin_set(),
            Action::TestKey => vec![Effect::Job(
                Job::TestKey {
                    provider: self.current().into(),
                },
                Reply::Status,
            )],
            Action::RemoveKey => self.begin_remove(),
            Action::KeyDefaults => self.begin_defaults(),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [top, bottom] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(4), Constraint::Length(3)])
            .areas(area);
        let rows = Self::providers().into_iter().map(|p| {
            let k = self.summary(p);
            let valid = match k.map(|k| k.is_valid) {
                None => ("-", theme.fg("muted")),
                Some(None) => ("untested", theme.fg("muted")),
                Some(Some(true)) => ("valid", theme.fg("confirmed")),
                Some(Some(false)) => ("REJECTED", theme.fg("error")),
            };
            // Models, URLs and sources are user or environment text: made safe to draw.
            let text = |v: Option<String>| v.map(|v| safe(&v)).unwrap_or_else(|| "-".into());
            Row::new(vec![
                Cell::from(p),
                Cell::from(text(k.map(|k| k.key.clone()))),
                Cell::from(text(k.map(|k| k.source.clone()))),
                Cell::from(valid.0).style(valid.1),
                Cell::from(text(k.and_then(defaults_text))),
                Cell::from(text(k.and_then(|k| k.base_url.clone()))),
                Cell::from(text(k.and_then(|k| k.tested_at.clone()))).style(theme.fg("muted")),
            ])
        });
        let table = Table::new(
            rows,
            // Fixed columns keep their width; the free-text ones share what is left.
            [
                Constraint::Length(9),
                Constraint::Length(6),
                Constraint::Length(21),
                Constraint::Length(8),
                Constraint::Fill(4),
                Constraint::Fill(2),
                Constraint::Fill(2),
            ],
        )
        .header(
            Row::new([
                "provider", "key", "source", "valid", "defaults", "base URL", "tested",
            ])
            .style(theme.title()),
        )
        .row_highlight_style(theme.selection())
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(
                    " Keys · s set (input hidden) · t test · m defaults · d remove ",
                    theme.title(),
                )),
        );
        let mut state = TableState::default().with_selected(Some(self.cursor));
        frame.render_stateful_widget(table, top, &mut state);
        frame.render_widget(
            Paragraph::new(vec![
                ratatui::text::Line::from(
                    "Keys are encrypted at rest with age and shown only as their last 4 characters.",
                ),
                ratatui::text::Line::from(
                    "The demo provider needs no key; ANTHROPIC_API_KEY / OPENAI_API_KEY / GEMINI_API_KEY work as a fallback.",
                ),
            ])
            .style(theme.fg("muted")),
            bottom,
        );
    }
}

/// A key's defaults in one cell: `model · T 0.2 · max 800`, leaving out what is not set.
fn defaults_text(k: &KeySummary) -> Option<String> {
    let parts: Vec<String> = [
        k.model.clone(),
        k.temperature.map(|t| format!("T {t}")),
        k.max_tokens.map(|n| format!("max {n}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}
