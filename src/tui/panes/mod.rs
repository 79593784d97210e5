//! The panes behind the tab bar. Each file owns one pane's state, its `update` (an action in,
//! [`Effect`]s out) and its `render` (`&self`, never mutating). A new screen is one new file
//! here, one [`Pane`] variant and a `[context]` section in `keymap.toml`.

pub mod grid;
pub mod keys;
pub mod policy;
pub mod runs;
pub mod schemas;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::action::Action;
use super::effect::Effect;
use super::keymap::Keymap;
use super::theme::Theme;
use crate::workspace::Workspace;

/// The tabs, in tab-bar order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Runs,
    Grid,
    Schemas,
    Policy,
    Keys,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Runs,
        Pane::Grid,
        Pane::Schemas,
        Pane::Policy,
        Pane::Keys,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Runs => "Runs",
            Pane::Grid => "Grid",
            Pane::Schemas => "Schemas",
            Pane::Policy => "Policy",
            Pane::Keys => "Keys",
        }
    }

    /// The keymap section looked up first while this pane has the focus.
    pub fn context(self) -> &'static str {
        match self {
            Pane::Runs => "runs",
            Pane::Grid => "grid",
            Pane::Schemas => "schemas",
            Pane::Policy => "policy",
            Pane::Keys => "keys",
        }
    }

    /// The next (`step` 1) or previous (`step` -1) tab, wrapping around.
    pub fn cycle(self, step: isize) -> Pane {
        let n = Pane::ALL.len() as isize;
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ALL[(i + step).rem_euclid(n) as usize]
    }
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
    /// A left click at screen row `y` of the component drawn in `area`: select what is there.
    fn click(&mut self, _area: Rect, _y: u16) -> Vec<Effect> {
        Vec::new()
    }
}

/// The list row under screen row `y` of a bordered table with a one-line header drawn in `area`
/// from row `offset` (`None`: the border or the header).
pub fn row_at(area: Rect, offset: usize, y: u16) -> Option<usize> {
    let first = area.y + 2;
    (y >= first && y + 1 < area.y + area.height).then(|| offset + usize::from(y - first))
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
