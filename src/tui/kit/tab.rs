//! The tabs behind the tab bar, by name: what [`Effect::Focus`](super::Effect) points at.

use super::context::KeyContext;

/// The tabs, in tab-bar order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Runs,
    Grid,
    Schemas,
    Policy,
    Keys,
    Library,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Runs,
        Pane::Grid,
        Pane::Schemas,
        Pane::Policy,
        Pane::Keys,
        Pane::Library,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Runs => "Runs",
            Pane::Grid => "Grid",
            Pane::Schemas => "Schemas",
            Pane::Policy => "Policy",
            Pane::Keys => "Keys",
            Pane::Library => "Library",
        }
    }

    /// The keymap section looked up first while this pane has the focus.
    pub fn context(self) -> KeyContext {
        match self {
            Pane::Runs => KeyContext::Runs,
            Pane::Grid => KeyContext::Grid,
            Pane::Schemas => KeyContext::Schemas,
            Pane::Policy => KeyContext::Policy,
            Pane::Keys => KeyContext::Keys,
            Pane::Library => KeyContext::Library,
        }
    }

    /// The next (`step` 1) or previous (`step` -1) tab, wrapping around.
    pub fn cycle(self, step: isize) -> Pane {
        let n = Pane::ALL.len() as isize;
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ALL[(i + step).rem_euclid(n) as usize]
    }
}

/// The brand at the left of the tab bar.
pub const BRAND: &str = " Blockwise ";

pub fn tab_label(i: usize, pane: Pane) -> String {
    format!(" {} {} ", i + 1, pane.title())
}

/// The tab under column `x` of the tab bar (a click there switches pane).
pub fn tab_at(x: u16) -> Option<Pane> {
    let mut start = BRAND.len() as u16;
    for (i, p) in Pane::ALL.iter().enumerate() {
        let end = start + tab_label(i, *p).len() as u16;
        if (start..end).contains(&x) {
            return Some(*p);
        }
        start = end;
    }
    None
}
