//! What panes and modals are to the app: a [`Component`] changes only in `update` (an action in,
//! [`Effect`]s out) and draws itself in `render` (`&self`, never mutating); a [`Modal`] is a
//! component that also names how keys reach it. [`Ctx`] and [`View`] are what they may read;
//! an [`Effect`] is what they ask the app to do (one file: the three refer to each other).
//! Plus the list-navigation helpers every list pane and dialog shares.

use ratatui::layout::{Position, Rect};
use ratatui::Frame;

use super::action::Action;
use super::context::KeyContext;
use super::job::{Job, JobDone, Reply};
use super::keymap::Keymap;
use super::tab::Pane;
use super::theme::Theme;
use crate::workspace::Workspace;

/// What a pane or modal asks the app to do after an action. Components return effects instead
/// of reaching into the app, so the app stays the one place that executes them.
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
    /// Show every block of this run group's members in the grid.
    OpenGroup(String),
    /// Long or writing work: runs off the UI task, comes back as `Action::JobDone`.
    Job(Job, Reply),
    /// Move the grid's cursor to this block (accept-and-next after a reject's reason prompt).
    GoTo(u32),
    /// Background events changed the store: re-read runs and the grid window before drawing.
    Stale,
    /// The run the grid compares its run with, or scores it against as gold (SPEC §4a).
    Against(Option<crate::workspace::Against>),
    /// A schema was saved or deleted: re-read the schema list (and select this id).
    SchemasChanged(Option<String>),
    /// Close the TUI; `keep_workers`: hand this window's workers over to background
    /// `blockwise run start` processes instead of stopping them.
    Quit { keep_workers: bool },
}

/// What `update` may read: the workspace for bounded reads (a window of rows, a short list) and who
/// is at the keyboard. Writes and long work leave as [`Effect::Job`].
pub struct Ctx<'a> {
    pub ws: &'a Workspace,
    pub user: &'a str,
    /// Rows a page-up / page-down moves.
    pub page: u32,
}

/// What `render` may read besides the component itself.
pub struct View<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub user: &'a str,
    /// Runs with a background worker.
    pub working: &'a [String],
}

/// A pane or modal: state that changes only in `update`, drawn by `render`.
pub trait Component {
    fn update(&mut self, action: Action, ctx: &Ctx) -> Vec<Effect>;
    fn render(&self, frame: &mut Frame, area: Rect, view: &View);
    /// A left click at screen cell `at` of the component drawn in `area`: select what is there.
    fn click(&mut self, _area: Rect, _at: Position) -> Vec<Effect> {
        Vec::new()
    }
}

/// The list row under screen cell `at` of a bordered table with a one-line header drawn in
/// `area` from row `offset` (`None`: outside it, its border or the header).
pub fn row_at(area: Rect, offset: usize, at: Position) -> Option<usize> {
    let first = area.y + 2;
    let across = at.x > area.x && at.x + 1 < area.x + area.width;
    (across && at.y >= first && at.y + 1 < area.y + area.height)
        .then(|| offset + usize::from(at.y - first))
}

/// How far a navigation action moves a cursor (`None`: not a navigation action).
pub fn nav_delta(action: &Action, page: u32) -> Option<i64> {
    let page = i64::from(page.max(1));
    Some(match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -page,
        Action::PageDown => page,
        Action::Top => i64::MIN / 2,
        Action::Bottom => i64::MAX / 2,
        _ => return None,
    })
}

/// `cursor` moved by `delta`, kept inside a list of `len` items.
pub fn moved(cursor: usize, len: usize, delta: i64) -> usize {
    let max = len.saturating_sub(1) as i64;
    (cursor as i64).saturating_add(delta).clamp(0, max.max(0)) as usize
}

/// A plain list pane's navigation: returns whether `action` moved the cursor.
pub fn navigate(cursor: &mut usize, len: usize, action: &Action, page: u32) -> bool {
    match nav_delta(action, page) {
        Some(delta) => {
            *cursor = moved(*cursor, len, delta);
            true
        }
        None => false,
    }
}

/// How keys reach an open modal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// Only the keys bound in its context act (a viewer).
    Bound,
    /// Bound keys act; any other key is typed into it.
    Text,
    /// As `Text`, but Enter types a new line and ctrl-s submits (a multi-line editor).
    Lines,
    /// As `Text`, with keys handed over raw (shift-Tab as a shifted Tab): the schema studio.
    Raw,
    /// Its bound keys, then the global ones (q, ?); with `typed`, any other key is typed.
    Picker { typed: bool },
    /// Quit and scrolling act; any other key closes it (the help overlay).
    Dismiss,
}

/// The key-hint line under an open modal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hints {
    /// Generated from the keymap for its key context.
    Keymap,
    /// The modal draws its own hints inside its box.
    Own,
    /// This fixed line.
    Line(&'static str),
}

/// What an open modal does with a job that came back while it is on top.
pub enum JobFate {
    /// It showed the outcome itself (a refusal inside the prompt that asked).
    Taken,
    /// It is done: close it, and let the app show the outcome.
    Close(JobDone),
    /// Not its business: the app shows the outcome.
    Pass(JobDone),
}

/// A dialog over the tab: the app keeps them on a stack, draws them bottom to top and gives
/// keys to the top one. Each names its own key context, key mode and hints, so neither the app
/// nor the frame knows one modal from another.
pub trait Modal: Component {
    /// The keymap section for its keys (`None`: the focused pane's, for a viewer over it).
    fn context(&self) -> Option<KeyContext> {
        Some(KeyContext::Input)
    }
    fn key_mode(&self) -> KeyMode {
        KeyMode::Text
    }
    fn hints(&self) -> Hints {
        Hints::Keymap
    }
    /// What Enter does here, for the hint line ("search", "apply"); `None`: "save".
    fn submit_label(&self) -> Option<&'static str> {
        None
    }
    /// A job came back while this modal is on top.
    fn job_done(&mut self, done: JobDone) -> JobFate {
        JobFate::Pass(done)
    }
    /// Background events changed the store: re-read what it shows.
    fn store_changed(&mut self, _ws: &Workspace) {}
    /// For read-only inspection (tests look at a modal's state through `App::modal`).
    fn as_any(&self) -> &dyn std::any::Any;
}
