//! The template gallery: built-in templates filtered by category, a detail view (fields, use
//! case) and apply (a user-owned copy through the save screen) or customise (the wizard).

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::Key;

use super::{boxed, hint, plain_char, safe, split_rows_bottom, Next, Origin, Wizard};
use crate::tui::kit::Action;
use crate::tui::kit::View;
use crate::workspace::{properties, templates, Template, WizardModel, Workspace};

pub struct Gallery {
    pub all: Vec<Template>,
    /// `None`: every category.
    pub category: Option<String>,
    pub cursor: usize,
    /// The detail view of the selected template is open.
    pub detail: bool,
}

impl Gallery {
    pub fn new() -> Result<Gallery, String> {
        Ok(Gallery {
            all: templates().map_err(|e| e.to_string())?,
            category: None,
            cursor: 0,
            detail: false,
        })
    }

    fn categories(&self) -> Vec<String> {
        let mut c: Vec<String> = self.all.iter().map(|t| t.category.clone()).collect();
        c.sort();
        c.dedup();
        c
    }

    pub fn shown(&self) -> Vec<&Template> {
        self.all
            .iter()
            .filter(|t| self.category.as_ref().is_none_or(|c| &t.category == c))
            .collect()
    }

    fn current(&self) -> Option<&Template> {
        self.shown().get(self.cursor).copied()
    }

    /// The next category filter: all → first → ... → last → all.
    fn cycle_category(&mut self) {
        let cats = self.categories();
        self.category = match &self.category {
            None => cats.first().cloned(),
            Some(c) => cats
                .iter()
                .position(|x| x == c)
                .and_then(|i| cats.get(i + 1).cloned()),
        };
        self.cursor = 0;
    }

    pub fn update(&mut self, action: Action, _ws: &Workspace) -> Next {
        let n = self.shown().len();
        match action {
            Action::Cancel if self.detail => {
                self.detail = false;
                Next::Stay
            }
            Action::Cancel => Next::Back,
            Action::Submit if !self.detail => {
                self.detail = n > 0;
                Next::Stay
            }
            Action::Submit => self.apply(),
            Action::Input(input) => match (input.key, plain_char(&input)) {
                (Key::Down, _) | (_, Some('j')) => {
                    self.cursor = (self.cursor + 1).min(n.saturating_sub(1));
                    Next::Stay
                }
                (Key::Up, _) | (_, Some('k')) => {
                    self.cursor = self.cursor.saturating_sub(1);
                    Next::Stay
                }
                (_, Some('c')) => {
                    self.cycle_category();
                    Next::Stay
                }
                (_, Some('a')) => self.apply(),
                (_, Some('w')) => self.customise(),
                _ => Next::Stay,
            },
            _ => Next::Stay,
        }
    }

    /// Save a copy under the template's id (or the save screen's conflict resolution).
    fn apply(&self) -> Next {
        match self.current() {
            Some(t) => Next::Save {
                json: t.schema.clone(),
                origin: Origin::Template(t.id.clone()),
                schema_ref: t.id.clone(),
                now: true,
            },
            None => Next::Stay,
        }
    }

    /// Open the template in the wizard to change it before saving.
    fn customise(&self) -> Next {
        let Some(t) = self.current() else {
            return Next::Stay;
        };
        match WizardModel::from_schema(&t.schema) {
            Ok(m) => Next::Go(super::Screen::Wizard(Box::new(Wizard::new(
                m,
                Origin::Template(t.id.clone()),
                t.id.clone(),
            )))),
            Err(_) => Next::Stay,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let [body, hints] = split_rows_bottom(area, 1);
        let [list_area, detail_area] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(40), Constraint::Percentage(60)])
            .areas(body);
        let shown = self.shown();
        let items: Vec<ListItem> = shown
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mark = if i == self.cursor { "› " } else { "  " };
                let item =
                    ListItem::new(format!("{mark}{} · {}", safe(&t.name), safe(&t.category)));
                if i == self.cursor {
                    item.style(theme.selection())
                } else {
                    item
                }
            })
            .collect();
        let filter = match &self.category {
            Some(c) => safe(c),
            None => "all".into(),
        };
        frame.render_widget(
            List::new(items).block(boxed(
                view,
                format!("Templates · category: {filter} · {}", shown.len()),
            )),
            list_area,
        );
        let detail = match self.current() {
            Some(t) if self.detail => detail_lines(t),
            Some(t) => vec![
                Line::from(safe(&t.description)),
                Line::from(""),
                Line::from(Span::styled(
                    "Enter shows the fields and use case",
                    theme.fg("muted"),
                )),
            ],
            None => vec![Line::from("no template in this category")],
        };
        let title = match self.current() {
            Some(t) => format!("{} · {}", safe(&t.id), safe(&t.name)),
            None => "template".into(),
        };
        frame.render_widget(
            Paragraph::new(detail)
                .wrap(Wrap { trim: false })
                .block(boxed(view, title)),
            detail_area,
        );
        let keys = if self.detail {
            "a / Enter apply (save a copy) · w customise in the wizard · Esc back to the list"
        } else {
            "j/k move · c category filter · Enter details · a apply · w customise · Esc back"
        };
        hint(frame, hints, view, keys);
    }
}

/// The detail view: use case, tags, and each field with its type and description.
fn detail_lines(t: &Template) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(format!("use case: {}", safe(&t.description))),
        Line::from(format!("tags: {}", safe(&t.tags.join(", ")))),
        Line::from(""),
        Line::from("fields:"),
    ];
    for (name, spec) in properties(&t.schema).into_iter().flatten() {
        let ty = match spec.get("type") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "-".into(),
        };
        let desc = spec
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or("");
        lines.push(Line::from(format!(
            "  {} ({}) {}",
            safe(name),
            safe(&ty),
            safe(desc)
        )));
    }
    lines
}
