//! The grid's filter (`f`): statuses and block types to keep, as checkboxes. `space` toggles,
//! Enter applies (nothing checked: every block), Esc leaves the filter as it was.

use ratatui::layout::Rect;
use ratatui::widgets::ListItem;
use ratatui::Frame;
use tui_textarea::{Input, Key};

use super::centered;
use crate::model::{BlockType, Run};
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Reply};
use crate::tui::jobs::Job;
use crate::tui::panes::find::{Filter, StatusChoice};
use crate::tui::panes::{navigate, Component, Ctx, View};
use crate::tui::widgets::list_dialog;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Status(StatusChoice),
    Type(BlockType),
}

pub struct FilterPicker {
    run: Run,
    items: Vec<(Choice, bool)>,
    pub cursor: usize,
}

impl FilterPicker {
    pub fn new(run: Run, current: &Filter) -> FilterPicker {
        let statuses =
            StatusChoice::ALL.map(|s| (Choice::Status(s), current.statuses.contains(&s)));
        let types = BlockType::ALL.map(|t| (Choice::Type(t), current.types.contains(&t)));
        FilterPicker {
            run,
            items: statuses.into_iter().chain(types).collect(),
            cursor: 0,
        }
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

    /// Check (or uncheck) the box named `label` (tests, and typing a name is not needed).
    pub fn toggle(&mut self, label: &str) {
        for (choice, on) in &mut self.items {
            if choice_label(*choice) == label {
                *on = !*on;
            }
        }
    }
}

fn choice_label(c: Choice) -> &'static str {
    match c {
        Choice::Status(s) => s.as_str(),
        Choice::Type(t) => t.as_str(),
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
                    run: Box::new(self.run.clone()),
                    filter: self.filter(),
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
                };
                let mark = if *on { "[x]" } else { "[ ]" };
                ListItem::new(format!("{mark} {kind} {}", choice_label(*choice)))
            })
            .collect();
        let title = " Filter · space toggles, Enter applies, Esc cancels ";
        list_dialog(frame, rect, items, title, view.theme, self.cursor);
    }
}
