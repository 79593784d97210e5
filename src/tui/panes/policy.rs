//! The Policy pane: effective value, source and bounds of every key, and the audit log.
//! Admins edit a key with `e` (value, then reason); others see why they cannot.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use ratatui::Frame;

use super::{navigate, Component, Ctx, View};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::modals::{Modal, Prompt, PromptKind};
use crate::workspace::{display_value, AuditEntry, EffectiveValue, PolicySource};

#[derive(Debug, Default)]
pub struct PolicyPane {
    pub values: Vec<EffectiveValue>,
    pub audit: Vec<AuditEntry>,
    pub cursor: usize,
    pub is_admin: bool,
}

impl PolicyPane {
    pub fn current(&self) -> Option<&EffectiveValue> {
        self.values.get(self.cursor)
    }

    pub fn set(&mut self, values: Vec<EffectiveValue>, audit: Vec<AuditEntry>, is_admin: bool) {
        self.values = values;
        self.audit = audit;
        self.is_admin = is_admin;
        self.cursor = super::moved(self.cursor, self.values.len(), 0);
    }

    fn begin_edit(&self, user: &str) -> Vec<Effect> {
        let Some(v) = self.current() else {
            return Vec::new();
        };
        if !self.is_admin {
            return vec![Effect::Error(format!(
                "user '{user}' is not a workspace admin: policy is read only here (an admin runs \
                 `blockwise policy admins add {user}`)"
            ))];
        }
        let prompt = Prompt::new(
            PromptKind::PolicyValue { key: v.key.clone() },
            format!("Set {}", v.key),
            format!(
                "{} · bounds {} · Enter next (reason), Esc cancels",
                v.value_type, v.bounds
            ),
            display_value(&v.value),
        );
        vec![Effect::Open(Modal::Prompt(Box::new(prompt)))]
    }
}

impl Component for PolicyPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, self.values.len(), &action, ctx.page) {
            return Vec::new();
        }
        match action {
            Action::Edit => self.begin_edit(ctx.user),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [top, bottom] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Percentage(65), Constraint::Percentage(35)])
            .areas(area);
        let rows = self.values.iter().enumerate().map(|(i, v)| {
            let source_style = match v.source {
                PolicySource::Stored => theme.fg("staged"),
                PolicySource::Default => theme.fg("muted"),
            };
            let row = Row::new(vec![
                Cell::from(v.key.clone()),
                Cell::from(display_value(&v.value)),
                Cell::from(v.source.as_str()).style(source_style),
                Cell::from(v.bounds.clone()).style(theme.fg("muted")),
                Cell::from(v.description.clone()).style(theme.fg("muted")),
            ]);
            if i == self.cursor {
                row.style(theme.selection())
            } else {
                row
            }
        });
        let user = view.user;
        let who = if self.is_admin {
            format!("{user} is admin: e edits the key")
        } else {
            format!("{user} is not an admin: read only")
        };
        let table = Table::new(
            rows,
            [
                Constraint::Length(40),
                Constraint::Length(22),
                Constraint::Length(8),
                Constraint::Length(16),
                Constraint::Min(10),
            ],
        )
        .header(
            Row::new(["key", "effective", "source", "bounds", "description"]).style(theme.title()),
        )
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(format!(" Policy · {who} "), theme.title())),
        );
        frame.render_widget(table, top);
        let audit = self.audit.iter().rev().map(|a| {
            Row::new(vec![
                Cell::from(a.seq.to_string()),
                Cell::from(a.at.clone()),
                Cell::from(a.user.clone()),
                Cell::from(a.key.clone()),
                Cell::from(format!(
                    "{} → {}",
                    display_value(&a.old),
                    display_value(&a.new)
                )),
                Cell::from(a.reason.clone().unwrap_or_default()),
            ])
        });
        let audit = Table::new(
            audit,
            [
                Constraint::Length(4),
                Constraint::Length(21),
                Constraint::Length(12),
                Constraint::Length(28),
                Constraint::Length(24),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(["#", "at", "user", "key", "change", "reason"]).style(theme.title()))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border())
                .title(Span::styled(" Audit log (newest first) ", theme.title())),
        );
        frame.render_widget(audit, bottom);
    }
}
