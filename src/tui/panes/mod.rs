//! The panes behind the tab bar. Each file owns one pane's state, its `update` (an action in,
//! `Effect`s out) and its `render` (`&self`, never mutating). A new screen
//! is one new file here, one [`Pane`](super::kit::Pane) variant and a `[context]` section in
//! `keymap.toml`. Panes may open modals; modals never import panes.

pub(crate) mod grid;
pub mod keys;
pub(crate) mod library;
pub mod policy;
pub(crate) mod run_groups;
pub(crate) mod run_marks;
pub(crate) mod run_text;
pub(crate) mod runs;
pub(crate) mod schemas;
