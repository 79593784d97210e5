//! The Policy pane: effective value, source, bounds and description of every key, and the audit
//! log newest first (filterable by key). Both lists scroll with their selection in view; the box
//! at the bottom shows the selected key or audit entry in full. Admins edit a key with `e`
//! (value, then a reason, which is required); others see why they cannot.

use std::cell::Cell as Measured;

use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::tui::kit::text::safe;
use crate::tui::kit::Action;
use crate::tui::kit::Effect;
use crate::tui::kit::Theme;
use crate::tui::kit::{navigate, Component, Ctx, View};
use crate::tui::modals::{Prompt, PromptKind};
use crate::workspace::{display_value, AuditEntry, EffectiveValue, PolicySource};

/// Which list the navigation keys move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PolicyFocus {
    #[default]
    Keys,
    Audit,
}

#[derive(Debug, Default)]
pub struct PolicyPane {
    pub values: Vec<EffectiveValue>,
    /// Oldest first, as stored; shown newest first.
    pub audit: Vec<AuditEntry>,
    pub cursor: usize,
    /// Position in the shown (newest first, filtered) audit entries.
    pub audit_cursor: usize,
    /// Show only the audit entries of this key.
    pub filter: Option<String>,
    pub focus: PolicyFocus,
    pub is_admin: bool,
    /// First row of the detail box shown (`J`/`K`): a long value or reason scrolls there.
    pub detail_scroll: usize,
    /// Wrapped rows of the detail box at the last draw, and how many fit: bounds the scroll.
    detail_rows: Measured<(usize, usize)>,
    /// First row shown in the last frame of the keys / audit tables (keeps each window still
    /// while its cursor moves inside it; maps clicks to rows).
    pub offsets: [Measured<usize>; 2],
}

impl PolicyPane {
    pub fn current(&self) -> Option<&EffectiveValue> {
        self.values.get(self.cursor)
    }

    pub fn set(&mut self, values: Vec<EffectiveValue>, audit: Vec<AuditEntry>, is_admin: bool) {
        self.values = values;
        self.audit = audit;
        self.is_admin = is_admin;
        self.cursor = crate::tui::kit::moved(self.cursor, self.values.len(), 0);
        self.audit_cursor = crate::tui::kit::moved(self.audit_cursor, self.shown_audit().len(), 0);
    }

    /// The audit entries on screen: newest first, only the filtered key's when filtering.
    pub fn shown_audit(&self) -> Vec<&AuditEntry> {
        self.audit
            .iter()
            .rev()
            .filter(|a| self.filter.as_ref().is_none_or(|k| &a.key == k))
            .collect()
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
        vec![Effect::Open(Box::new(prompt))]
    }

    fn toggle_filter(&mut self) -> Vec<Effect> {
        self.filter = match (&self.filter, self.current()) {
            (Some(_), _) | (None, None) => None,
            (None, Some(v)) => Some(v.key.clone()),
        };
        self.audit_cursor = 0;
        let shown = self.shown_audit().len();
        vec![Effect::Info(match &self.filter {
            Some(k) => format!("audit log: {shown} change(s) of {k} (f shows all keys)"),
            None => format!("audit log: all {shown} change(s)"),
        })]
    }

    /// The bottom box: the focused key or audit entry, in full (made safe to draw).
    fn detail(&self) -> Vec<String> {
        let lines = match self.focus {
            PolicyFocus::Keys => match self.current() {
                Some(v) => vec![
                    format!(
                        "{} = {} (source: {}) · {} · bounds {} · default {}",
                        v.key,
                        display_value(&v.value),
                        v.source.as_str(),
                        v.value_type,
                        v.bounds,
                        display_value(&v.default)
                    ),
                    v.description.clone(),
                ],
                None => Vec::new(),
            },
            PolicyFocus::Audit => match self.shown_audit().get(self.audit_cursor) {
                Some(a) => vec![
                    format!("#{} {} by {} · {}", a.seq, a.at, a.user, a.key),
                    format!("old: {}", display_value(&a.old)),
                    format!("new: {}", display_value(&a.new)),
                    format!("reason: {}", a.reason.as_deref().unwrap_or("(none given)")),
                ],
                None => vec!["no audit entries".into()],
            },
        };
        lines.iter().map(|l| safe(l)).collect()
    }

    /// Scroll the detail box by `by` rows, within what the last draw measured.
    fn scroll_detail(&mut self, by: isize) {
        let (rows, fit) = self.detail_rows.get();
        let last = rows.saturating_sub(fit);
        self.detail_scroll = self.detail_scroll.saturating_add_signed(by).min(last);
    }
}

/// `text` broken into rows of at most `width` terminal columns, at spaces where it can, inside
/// a word when one word is wider than a row.
pub fn wrap_rows(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut rows = Vec::new();
    for line in text.split('\n') {
        let mut row = String::new();
        let mut used = 0;
        for word in line.split(' ') {
            let w: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
            if used > 0 && used + 1 + w > width {
                rows.push(std::mem::take(&mut row));
                used = 0;
            }
            if used > 0 {
                row.push(' ');
                used += 1;
            }
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used > 0 && used + cw > width {
                    rows.push(std::mem::take(&mut row));
                    used = 0;
                }
                row.push(c);
                used += cw;
            }
        }
        rows.push(row);
    }
    rows
}

/// A list table framed and highlighted as focused or not.
fn framed<'a>(table: Table<'a>, focused: bool, title: String, theme: &Theme) -> Table<'a> {
    let (highlight, border) = if focused {
        (theme.selection(), theme.fg("staged"))
    } else {
        (theme.fg("text"), theme.border())
    };
    table.row_highlight_style(highlight).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(border)
            .title(Span::styled(title, theme.title())),
    )
}

/// The keys table, the audit log, the box with the selection in full.
fn split(area: Rect) -> [Rect; 3] {
    Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Percentage(50),
            Constraint::Min(4),
            Constraint::Length(6),
        ])
        .areas(area)
}

impl PolicyPane {
    /// The policy keys with their effective values, source and bounds.
    fn render_keys(&self, frame: &mut Frame, top: Rect, view: &View) {
        let theme = view.theme;
        let rows = self.values.iter().map(|v| {
            let source_style = match v.source {
                PolicySource::Stored => theme.fg("staged"),
                PolicySource::Default => theme.fg("muted"),
            };
            Row::new(vec![
                Cell::from(v.key.clone()),
                Cell::from(safe(&display_value(&v.value))),
                Cell::from(v.source.as_str()).style(source_style),
                Cell::from(v.bounds.clone()).style(theme.fg("muted")),
                Cell::from(v.description.clone()).style(theme.fg("muted")),
            ])
        });
        let user = view.user;
        let who = if self.is_admin {
            format!("{user} is admin: e edits the key")
        } else {
            format!("{user} is not an admin: read only")
        };
        let table = Table::new(
            rows,
            // The key name keeps its width; bounds and description share what is left.
            [
                Constraint::Length(41),
                Constraint::Length(12),
                Constraint::Length(7),
                Constraint::Fill(1),
                Constraint::Fill(2),
            ],
        )
        .header(
            Row::new(["key", "effective", "source", "bounds", "description"]).style(theme.title()),
        );
        let title = format!(
            " Policy · {}/{} · {who} · a audit log ",
            self.cursor + 1,
            self.values.len()
        );
        let table = framed(table, self.focus == PolicyFocus::Keys, title, theme);
        let mut state = TableState::default()
            .with_offset(self.offsets[0].get())
            .with_selected(Some(self.cursor));
        frame.render_stateful_widget(table, top, &mut state);
        self.offsets[0].set(state.offset());
    }

    /// The audit log, newest first, perhaps only the selected key's changes.
    fn render_audit(&self, frame: &mut Frame, middle: Rect, theme: &Theme) {
        let shown = self.shown_audit();
        let audit_rows = shown.iter().map(|a| {
            Row::new(vec![
                Cell::from(a.seq.to_string()),
                Cell::from(a.at.clone()),
                // Values, users and reasons are typed by people: made safe to draw.
                Cell::from(safe(&a.user)),
                Cell::from(a.key.clone()),
                Cell::from(safe(&format!(
                    "{} → {}",
                    display_value(&a.old),
                    display_value(&a.new)
                ))),
                Cell::from(safe(&a.reason.clone().unwrap_or_default())),
            ])
        });
        let filter = match &self.filter {
            Some(k) => format!("only {k} · f shows all"),
            None => "f: only the selected key".into(),
        };
        let audit = Table::new(
            audit_rows,
            [
                Constraint::Length(4),
                Constraint::Length(21),
                Constraint::Length(12),
                Constraint::Length(28),
                Constraint::Length(24),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(["#", "at", "user", "key", "change", "reason"]).style(theme.title()));
        let title = format!(" Audit log (newest first) · {} · {filter} ", shown.len());
        let audit = framed(audit, self.focus == PolicyFocus::Audit, title, theme);
        let mut audit_state = TableState::default().with_offset(self.offsets[1].get());
        if !shown.is_empty() {
            audit_state.select(Some(self.audit_cursor));
        }
        frame.render_stateful_widget(audit, middle, &mut audit_state);
        self.offsets[1].set(audit_state.offset());
    }

    /// The selected key or change in full, wrapped, scrolled with J / K.
    fn render_detail(&self, frame: &mut Frame, bottom: Rect, theme: &Theme) {
        let what = match self.focus {
            PolicyFocus::Keys => "Selected key",
            PolicyFocus::Audit => "Selected change (full values)",
        };
        let inner = (
            bottom.width.saturating_sub(2) as usize,
            bottom.height.saturating_sub(2) as usize,
        );
        let rows: Vec<String> = self
            .detail()
            .iter()
            .flat_map(|l| wrap_rows(l, inner.0))
            .collect();
        self.detail_rows.set((rows.len(), inner.1));
        let first = self.detail_scroll.min(rows.len().saturating_sub(inner.1));
        let title = if rows.len() > inner.1 {
            let last = (first + inner.1).min(rows.len());
            format!(
                " {what} · rows {}-{last} of {} · J/K scroll ",
                first + 1,
                rows.len()
            )
        } else {
            format!(" {what} ")
        };
        let shown: Vec<Line> = rows.into_iter().skip(first).map(Line::from).collect();
        frame.render_widget(
            Paragraph::new(shown).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(title, theme.title())),
            ),
            bottom,
        );
    }
}

impl Component for PolicyPane {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        let moved = match self.focus {
            PolicyFocus::Keys => navigate(&mut self.cursor, self.values.len(), &action, ctx.page),
            PolicyFocus::Audit => {
                let n = self.shown_audit().len();
                navigate(&mut self.audit_cursor, n, &action, ctx.page)
            }
        };
        if moved {
            self.detail_scroll = 0;
            return Vec::new();
        }
        match action {
            Action::Edit => self.begin_edit(ctx.user),
            Action::PreviewDown => {
                self.scroll_detail(1);
                Vec::new()
            }
            Action::PreviewUp => {
                self.scroll_detail(-1);
                Vec::new()
            }
            Action::SwitchFocus => {
                self.detail_scroll = 0;
                self.focus = match self.focus {
                    PolicyFocus::Keys => PolicyFocus::Audit,
                    PolicyFocus::Audit => PolicyFocus::Keys,
                };
                Vec::new()
            }
            Action::FilterAudit => {
                self.detail_scroll = 0;
                self.toggle_filter()
            }
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let [top, middle, bottom] = split(area);
        self.render_keys(frame, top, view);
        self.render_audit(frame, middle, view.theme);
        self.render_detail(frame, bottom, view.theme);
    }

    /// A click on a key's row selects it; on an audit entry's row, selects that entry (and
    /// moves the focus to the table clicked).
    fn click(&mut self, area: Rect, at: Position) -> Vec<Effect> {
        let [top, middle, _] = split(area);
        if let Some(row) = crate::tui::kit::row_at(top, self.offsets[0].get(), at) {
            if row < self.values.len() {
                self.cursor = row;
                self.focus = PolicyFocus::Keys;
                self.detail_scroll = 0;
            }
        } else if let Some(row) = crate::tui::kit::row_at(middle, self.offsets[1].get(), at) {
            if row < self.shown_audit().len() {
                self.audit_cursor = row;
                self.focus = PolicyFocus::Audit;
                self.detail_scroll = 0;
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::wrap_rows;

    #[test]
    fn wraps_at_spaces_and_inside_words_wider_than_a_row() {
        assert_eq!(wrap_rows("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap_rows("abcdefgh x", 3), ["abc", "def", "gh", "x"]);
        assert_eq!(wrap_rows("one\ntwo", 10), ["one", "two"]);
        assert_eq!(wrap_rows("漢字漢字", 4), ["漢字", "漢字"]);
        assert_eq!(wrap_rows("", 4), [""]);
    }
}
