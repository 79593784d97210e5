//! The grid's filter (`f`): statuses, documents (the grid of a run group) and block types to
//! keep, as checkboxes. `space` toggles, Enter applies (nothing checked: every block), Esc
//! leaves the filter as it was.

use ratatui::layout::Rect;
use ratatui::widgets::ListItem;
use ratatui::Frame;
use tui_textarea::{Input, Key};

use crate::model::BlockType;
use crate::tui::kit::draw::centered;
use crate::tui::kit::draw::list_dialog;
use crate::tui::kit::text::cut_to_width;
use crate::tui::kit::Action;
use crate::tui::kit::Job;
use crate::tui::kit::{navigate, Component, Ctx, View};
use crate::tui::kit::{Effect, Reply, Scope};
use crate::tui::kit::{KeyMode, Modal};
use crate::workspace::{BlockFilter as Filter, StatusChoice};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Status(StatusChoice),
    Type(BlockType),
    /// A member document of the group, by its position in the group.
    Doc(usize),
}

pub struct FilterPicker {
    scope: Scope,
    items: Vec<(Choice, bool)>,
    /// The group's file names (sanitized), by member; empty for one run.
    docs: Vec<String>,
    pub cursor: usize,
}

impl FilterPicker {
    /// Over one run (`docs` empty) or a group's runs, whose file names `docs` lists; `current`
    /// and `chosen` (members) are checked.
    pub fn new(scope: Scope, current: &Filter, docs: Vec<String>, chosen: &[usize]) -> Self {
        let statuses =
            StatusChoice::ALL.map(|s| (Choice::Status(s), current.statuses.contains(&s)));
        let members = (0..docs.len()).map(|m| (Choice::Doc(m), chosen.contains(&m)));
        let types = BlockType::ALL.map(|t| (Choice::Type(t), current.types.contains(&t)));
        FilterPicker {
            scope,
            items: statuses.into_iter().chain(members).chain(types).collect(),
            docs,
            cursor: 0,
        }
    }

    /// The members checked (none: every document).
    pub fn chosen_docs(&self) -> Vec<usize> {
        let docs = self.items.iter().filter(|(_, on)| *on);
        docs.filter_map(|(c, _)| match c {
            Choice::Doc(m) => Some(*m),
            _ => None,
        })
        .collect()
    }

    /// The filter the checked boxes describe.
    pub fn filter(&self) -> Filter {
        let mut f = Filter::default();
        for (choice, on) in &self.items {
            match (choice, on) {
                (Choice::Status(s), true) => f.statuses.push(*s),
                (Choice::Type(t), true) => f.types.push(*t),
                _ => {}
            }
        }
        f
    }

    /// Where the box named `label` is in the list (tests walk the cursor there).
    pub fn position(&self, label: &str) -> Option<usize> {
        self.items.iter().position(|(c, _)| self.label(*c) == label)
    }

    fn label(&self, c: Choice) -> &str {
        match c {
            Choice::Status(s) => s.as_str(),
            Choice::Type(t) => t.as_str(),
            Choice::Doc(m) => self.docs.get(m).map(String::as_str).unwrap_or(""),
        }
    }
}

impl Modal for FilterPicker {
    fn submit_label(&self) -> Option<&'static str> {
        Some("apply")
    }
    fn key_mode(&self) -> KeyMode {
        KeyMode::Picker { typed: true }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for FilterPicker {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, self.items.len(), &action, ctx.page) {
            return Vec::new();
        }
        match action {
            Action::Cancel => vec![Effect::Close],
            Action::Submit => {
                let job = Job::Filter {
                    scope: self.scope.clone(),
                    filter: self.filter(),
                    docs: self.chosen_docs(),
                    announce: true,
                };
                vec![Effect::Close, Effect::Job(job, Reply::Status)]
            }
            Action::ToggleSelect
            | Action::Input(Input {
                key: Key::Char(' '),
                ..
            }) => {
                if let Some((_, on)) = self.items.get_mut(self.cursor) {
                    *on = !*on;
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let rect = centered(area, 48, (self.items.len() as u16 + 2).min(area.height));
        let items: Vec<ListItem> = self
            .items
            .iter()
            .map(|(choice, on)| {
                let kind = match choice {
                    Choice::Status(_) => "status",
                    Choice::Type(_) => "type  ",
                    Choice::Doc(_) => "doc   ",
                };
                let mark = if *on { "[x]" } else { "[ ]" };
                let label = cut_to_width(self.label(*choice), 36);
                ListItem::new(format!("{mark} {kind} {label}"))
            })
            .collect();
        let title = " Filter · space toggles, Enter applies, Esc cancels ";
        list_dialog(frame, rect, items, title, view.theme, self.cursor);
    }
}
