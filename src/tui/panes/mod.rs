//! The panes behind the tab bar. Each file owns one pane's state, its `update` (an action in,
//! [`Effect`](super::kit::Effect)s out) and its `render` (`&self`, never mutating). A new screen
//! is one new file here, one [`Pane`](super::kit::Pane) variant and a `[context]` section in
//! `keymap.toml`. Panes may open modals; modals never import panes.

pub mod grid;
pub mod keys;
pub mod library;
pub mod policy;
pub mod run_groups;
pub mod runs;
pub mod schemas;
