//! The grid editor's picker for an enum field: its members in a list, Enter saves the chosen one
//! as a draft edit (a background job, checked against the schema like any edit).

use ratatui::layout::Rect;
use ratatui::widgets::ListItem;
use ratatui::Frame;

use crate::tui::kit::draw::centered;
use crate::tui::kit::draw::list_dialog;
use crate::tui::kit::text::cut_to_width;
use crate::tui::kit::Action;
use crate::tui::kit::Job;
use crate::tui::kit::{navigate, Component, Ctx, View};
use crate::tui::kit::{Effect, Reply};
use crate::tui::kit::{KeyMode, Modal};

#[derive(Debug, Clone)]
pub struct EnumPicker {
    pub run_id: String,
    pub index: u32,
    pub field: String,
    /// The enum's members, as the schema lists them.
    pub members: Vec<String>,
    pub cursor: usize,
}

impl EnumPicker {
    /// Starts on the member the block holds now (else the first).
    pub fn new(
        run_id: String,
        index: u32,
        field: String,
        members: Vec<String>,
        current: &str,
    ) -> Self {
        let cursor = members.iter().position(|m| m == current).unwrap_or(0);
        EnumPicker {
            run_id,
            index,
            field,
            members,
            cursor,
        }
    }

    fn submit(&self) -> Vec<Effect> {
        let Some(member) = self.members.get(self.cursor) else {
            return vec![Effect::Close];
        };
        let job = Job::Edit {
            run_id: self.run_id.clone(),
            index: self.index,
            field: self.field.clone(),
            text: member.clone(),
        };
        vec![Effect::Close, Effect::Job(job, Reply::Status)]
    }
}

impl Modal for EnumPicker {
    fn submit_label(&self) -> Option<&'static str> {
        Some("choose")
    }
    fn key_mode(&self) -> KeyMode {
        KeyMode::Picker { typed: false }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for EnumPicker {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => {
                navigate(&mut self.cursor, self.members.len(), &action, ctx.page);
                Vec::new()
            }
            Action::Cancel => vec![Effect::Close],
            Action::Submit => self.submit(),
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let rect = centered(area, 60, (self.members.len() as u16 + 2).clamp(5, 20));
        let inner = rect.width.saturating_sub(2) as usize;
        let title = format!(
            " Block {} · {} (Enter sets, Esc cancels) ",
            self.index, self.field
        );
        let items: Vec<ListItem> = self
            .members
            .iter()
            .map(|m| ListItem::new(cut_to_width(m, inner)))
            .collect();
        list_dialog(frame, rect, items, &title, view.theme, self.cursor);
    }
}
