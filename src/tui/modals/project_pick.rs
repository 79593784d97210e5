//! Which project the selected documents join (`a` in the Library pane): the projects by name
//! with their sizes; Enter adds, Esc leaves everything as it was.

use ratatui::layout::Rect;
use ratatui::widgets::ListItem;
use ratatui::Frame;

use crate::tui::kit::draw::{centered, list_dialog};
use crate::tui::kit::text::safe;
use crate::tui::kit::{navigate, Action, Component, Ctx, Effect, Job, KeyMode, Modal, Reply, View};

pub struct ProjectPicker {
    /// (project ref, members now).
    pub projects: Vec<(String, u32)>,
    /// The documents to add (`conv_uid`s).
    pub docs: Vec<String>,
    pub cursor: usize,
}

impl ProjectPicker {
    pub fn new(projects: Vec<(String, u32)>, docs: Vec<String>) -> ProjectPicker {
        ProjectPicker {
            projects,
            docs,
            cursor: 0,
        }
    }
}

impl Modal for ProjectPicker {
    fn key_mode(&self) -> KeyMode {
        KeyMode::Picker { typed: false }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Component for ProjectPicker {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        if navigate(&mut self.cursor, self.projects.len(), &action, ctx.page) {
            return Vec::new();
        }
        match action {
            Action::Cancel => vec![
                Effect::Close,
                Effect::Info("cancelled; nothing was changed".into()),
            ],
            Action::Submit => match self.projects.get(self.cursor) {
                Some((project_ref, _)) => {
                    let job = Job::AddToProject {
                        project_ref: project_ref.clone(),
                        docs: self.docs.clone(),
                    };
                    vec![Effect::Close, Effect::Job(job, Reply::Status)]
                }
                None => vec![Effect::Close],
            },
            _ => Vec::new(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        let h = (self.projects.len() as u16 + 2).clamp(3, area.height);
        let rect = centered(area, 52, h);
        let items: Vec<ListItem> = self
            .projects
            .iter()
            .map(|(r, n)| ListItem::new(format!("{}  ({n} documents)", safe(r))))
            .collect();
        let title = format!(
            " Add {} document(s) to · Enter adds, Esc cancels ",
            self.docs.len()
        );
        list_dialog(frame, rect, items, &title, view.theme, self.cursor);
    }
}
