//! What a pane or modal asks the app to do after an action. Components return effects instead
//! of reaching into the app, so the app stays the one place that executes them.

use super::component::Modal;
use super::job::Job;
use super::tab::Pane;

pub enum Effect {
    /// A message in the status bar.
    Info(String),
    /// An error in the status bar (also logged).
    Error(String),
    /// Give the focus to a pane.
    Focus(Pane),
    /// Show a modal on top of the stack (over the tab and any open modal).
    Open(Box<dyn Modal>),
    /// Replace the top modal with this one (the next step of a multi-step prompt).
    Replace(Box<dyn Modal>),
    /// Close the top modal: the one beneath, if any, has the keys again.
    Close,
    /// Show this run in the grid.
    OpenRun(String),
    /// Long or writing work: runs off the UI task, comes back as `Action::JobDone`.
    Job(Job, Reply),
    /// Move the grid's cursor to this block (accept-and-next after a reject's reason prompt).
    GoTo(u32),
    /// Background events changed the store: re-read runs and the grid window before drawing.
    Stale,
    /// A schema was saved or deleted: re-read the schema list (and select this id).
    SchemasChanged(Option<String>),
}

/// Where a job's outcome is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The status bar.
    Status,
    /// The prompt that started it: success closes it, a refusal stays in it with the reason.
    Prompt,
}
