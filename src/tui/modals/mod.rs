//! Dialogs drawn over the panes. Each file owns one modal's state, `update` and `render`, like
//! the panes; a new dialog is one file plus a [`Modal`] variant.

pub mod calls;
pub mod complete;
pub mod confirm;
pub mod help;
pub mod key_defaults;
pub mod new_run;
pub mod prompt;
pub mod studio;

use ratatui::layout::Rect;
use ratatui::Frame;

pub use calls::CallLog;
pub use confirm::Confirm;
pub use help::Help;
pub use new_run::NewRunForm;
pub use prompt::{Prompt, PromptKind};

use super::action::Action;
use super::effect::Effect;
use super::panes::{Component, Ctx, View};

pub enum Modal {
    None,
    Help(Help),
    Prompt(Box<Prompt>),
    NewRun(Box<NewRunForm>),
    Calls(Box<CallLog>),
    Confirm(Confirm),
    Studio(Box<studio::Studio>),
}

impl Modal {
    /// The keymap section for keys while this modal is open (`None`: the focused pane's).
    pub fn context(&self) -> Option<&'static str> {
        match self {
            Modal::Prompt(_) | Modal::NewRun(_) | Modal::Confirm(_) | Modal::Studio(_) => {
                Some("input")
            }
            Modal::Help(_) | Modal::Calls(_) | Modal::None => None,
        }
    }

    pub fn is_open(&self) -> bool {
        !matches!(self, Modal::None)
    }

    fn component(&mut self) -> Option<&mut dyn Component> {
        match self {
            Modal::None => None,
            Modal::Help(m) => Some(m),
            Modal::Prompt(m) => Some(m.as_mut()),
            Modal::NewRun(m) => Some(m.as_mut()),
            Modal::Calls(m) => Some(m.as_mut()),
            Modal::Confirm(m) => Some(m),
            Modal::Studio(m) => Some(m.as_mut()),
        }
    }

    pub fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect> {
        match self.component() {
            Some(m) => m.update(action, ctx),
            None => Vec::new(),
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, view: &View) {
        match self {
            Modal::None => {}
            Modal::Help(m) => m.render(frame, area, view),
            Modal::Prompt(m) => m.render(frame, area, view),
            Modal::NewRun(m) => m.render(frame, area, view),
            Modal::Calls(m) => m.render(frame, area, view),
            Modal::Confirm(m) => m.render(frame, area, view),
            Modal::Studio(m) => m.render(frame, area, view),
        }
    }
}

/// A `width` x `height` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
