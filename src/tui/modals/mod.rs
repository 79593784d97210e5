//! Dialogs drawn over the tab, kept on the app's modal stack. Each file owns one modal's state,
//! `update` and `render`, like the panes, and implements `kit::Modal` to name
//! its key context, key mode and hints; a new dialog is one file here. Modals import only the
//! kit (and each other): never a pane.

pub(crate) mod ask;
pub(crate) mod calls;
pub(crate) mod compare;
pub(crate) mod enum_pick;
pub(crate) mod filter;
pub(crate) mod help;
pub(crate) mod ingest_watch;
pub(crate) mod messages;
pub(crate) mod new_run;
pub(crate) mod project_pick;
pub(crate) mod prompt;
pub(crate) mod quit;
pub mod studio;

pub use ask::Ask;
pub use calls::CallLog;
pub use compare::CompareView;
pub use enum_pick::EnumPicker;
pub use filter::FilterPicker;
pub use help::Help;
pub use ingest_watch::IngestWatch;
pub use messages::Messages;
pub use new_run::NewRunForm;
pub use project_pick::ProjectPicker;
pub use prompt::{Prompt, PromptKind};
pub use quit::QuitAsk;
pub use studio::Studio;
