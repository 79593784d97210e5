//! The ground floor of the TUI: the vocabulary every other floor speaks. Actions and effects,
//! the [`Component`] and [`Modal`] traits with [`Ctx`] and [`View`], [`KeyContext`], jobs as
//! data, the keymap, the theme, and text and drawing helpers. Nothing here imports another
//! `tui` module.

pub(crate) mod action;
pub(crate) mod complete;
pub(crate) mod component;
pub(crate) mod context;
pub(crate) mod draw;
pub(crate) mod input;
pub(crate) mod job;
pub mod keymap;
pub(crate) mod messages;
pub(crate) mod tab;
pub(crate) mod text;
pub mod theme;

pub use action::Action;
pub use action::Spawner;
pub use component::{
    moved, nav_delta, navigate, row_at, Component, Ctx, Effect, Hints, JobFate, KeyMode, Modal,
    View,
};
pub use context::KeyContext;
pub use input::{edit_string, TextInput};
pub use job::{Job, JobDone, JobKind, Output, Reply, Scope, Secret, Snapshot, UndoEntry};
pub use keymap::Keymap;
pub use messages::{Message, MessageLog};
pub use tab::Pane;
pub use theme::Theme;
