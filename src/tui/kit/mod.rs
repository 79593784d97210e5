//! The ground floor of the TUI: the vocabulary every other floor speaks. Actions and effects,
//! the [`Component`] and [`Modal`] traits with [`Ctx`] and [`View`], [`KeyContext`], jobs as
//! data, the keymap, the theme, and text and drawing helpers. Nothing here imports another
//! `tui` module.

pub mod action;
pub mod complete;
pub mod component;
pub mod context;
pub mod draw;
pub mod input;
pub mod job;
pub mod keymap;
pub mod messages;
pub mod tab;
pub mod text;
pub mod theme;

pub use action::Action;
pub use action::Spawner;
pub use component::{
    moved, nav_delta, navigate, row_at, Component, Ctx, Effect, Hints, JobFate, KeyMode, Modal,
    View,
};
pub use context::KeyContext;
pub use input::{edit_string, TextInput};
pub use job::{Job, JobDone, JobKind, Output, Reply, Secret, Snapshot, UndoEntry};
pub use keymap::Keymap;
pub use messages::{Message, MessageLog};
pub use tab::Pane;
pub use theme::Theme;
