//! The Keys pane (SPEC §6): one row per provider that takes a key, with the key's last four
//! characters, where it comes from, whether it was found valid, its default model and base URL.
//! `s` sets a key (masked input), `t` tests it (a background job), `d` removes it (asks first),
//! `m` sets its default model, temperature and max tokens.

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::tui::kit::text::cut_to_width;
use crate::tui::kit::Action;
use crate::tui::kit::Job;
use crate::tui::kit::{navigate, Component, Ctx, Theme, View};
use crate::tui::kit::{Effect, Reply};
use crate::tui::modals::prompt::key_defaults::KeyDefaults;
use crate::tui::modals::{Ask, Prompt, PromptKind};
use crate::workspace::{KeySummary, ProviderKind};

#[derive(Debug, Default)]
pub struct KeysPane {
    pub keys: Vec<KeySummary>,
    pub cursor: usize,
    /// First row shown in the last frame (maps clicks to rows).
    pub offset: std::cell::Cell<usize>,
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
        vec![Effect::Open(Box::new(prompt))]
    }

    /// `b`: the stored key's base URL, prefilled; empty goes back to the vendor's endpoint.
    fn begin_base_url(&self) -> Vec<Effect> {
        let provider = self.current();
        match self.summary(provider) {
            Some(k) if k.source == "stored" => {
                let hint = if provider == ProviderKind::Custom.as_str() {
                    "http(s), no user:password, no query · Enter saves, Esc cancels"
                } else {
                    "a gateway or proxy; http(s), no user:password, no query · empty: the \
                     vendor's own · Enter saves, Esc cancels"
                };
                let prompt = Prompt::new(
                    PromptKind::StoredKeyBaseUrl {
                        provider: provider.into(),
                    },
                    format!("Base URL of the {provider} key"),
                    hint.into(),
                    k.base_url.clone().unwrap_or_default(),
                );
                vec![Effect::Open(Box::new(prompt))]
            }
            _ => vec![Effect::Error(format!(
                "no stored {provider} key: s stores one, then b sets its base URL"
            ))],
        }
    }

    fn begin_defaults(&self) -> Vec<Effect> {
        let provider = self.current();
        match self.summary(provider) {
            Some(k) if k.source == "stored" => {
                let prompt = KeyDefaults::of(k).prompt();
                vec![Effect::Open(Box::new(prompt))]
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
                let question = format!(
                    "Remove the stored {provider} key {}? It cannot be undone.",
                    k.key
                );
                let job = Job::RemoveKey {
                    provider: provider.into(),
                };
                vec![Effect::Open(Box::new(Ask::new(question, job)))]
            }
            Some(k) => vec![Effect::Error(format!(
                "the {provider} key comes from {}; it is not stored, so there is nothing to remove",
                k.source
            ))],
            None => vec![Effect::Error(format!("no stored {provider} key"))],
        }
    }
}

/// The providers' table, the note under it.
fn split(area: Rect) -> [Rect; 2] {
    Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(4), Constraint::Length(3)])
        .areas(area)
}

impl KeysPane {
    /// One provider's row, each text cut to its column's `widths`.
    fn provider_row(&self, p: &'static str, theme: &Theme, widths: &[usize]) -> Row<'static> {
        let k = self.summary(p);
        let valid = match k.map(|k| k.is_valid) {
            None => ("-", theme.fg("muted")),
            Some(None) => ("untested", theme.fg("muted")),
            Some(Some(true)) => ("valid", theme.fg("confirmed")),
            Some(Some(false)) => ("REJECTED", theme.fg("error")),
        };
        // Models, URLs and sources are user or environment text: made safe and cut to fit.
        let text = |v: Option<String>, col: usize| {
            v.map(|v| cut_to_width(&v, widths[col]))
                .unwrap_or_else(|| "-".into())
        };
        Row::new(vec![
            Cell::from(p),
            Cell::from(text(k.map(|k| k.key.clone()), 1)),
            Cell::from(text(k.map(|k| k.source.clone()), 2)),
            Cell::from(valid.0).style(valid.1),
            Cell::from(text(k.and_then(defaults_text), 4)),
            Cell::from(text(k.and_then(|k| k.base_url.clone()), 5)),
            Cell::from(text(k.and_then(|k| k.tested_at.clone()), 6)).style(theme.fg("muted")),
        ])
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
            Action::KeyBaseUrl => self.begin_base_url(),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [top, bottom] = split(area);
        // Fixed columns keep their width; the free-text ones share what is left.
        let columns = [
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Length(21),
            Constraint::Length(8),
            Constraint::Fill(4),
            Constraint::Fill(2),
            Constraint::Fill(2),
        ];
        // The widths the table will give each column (inside the borders, one space between
        // columns), so long text is cut with an ellipsis instead of clipped.
        let widths: Vec<usize> = Layout::horizontal(columns)
            .spacing(1)
            .split(Rect {
                width: top.width.saturating_sub(2),
                ..top
            })
            .iter()
            .map(|r| usize::from(r.width))
            .collect();
        let rows = Self::providers()
            .into_iter()
            .map(|p| self.provider_row(p, theme, &widths));
        let table = Table::new(rows, columns)
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
        let mut state = TableState::default()
            .with_offset(self.offset.get())
            .with_selected(Some(self.cursor));
        frame.render_stateful_widget(table, top, &mut state);
        self.offset.set(state.offset());
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

    /// A click on a provider's row selects it.
    fn click(&mut self, area: Rect, at: Position) -> Vec<Effect> {
        let [table, _] = split(area);
        if let Some(row) = crate::tui::kit::row_at(table, self.offset.get(), at) {
            if row < Self::providers().len() {
                self.cursor = row;
            }
        }
        Vec::new()
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
