//! Dialogs drawn over the tab, kept on the app's modal stack. Each file owns one modal's state,
//! `update` and `render`, like the panes, and implements [`Modal`](super::kit::Modal) to name
//! its key context, key mode and hints; a new dialog is one file here. Modals import only the
//! kit (and each other): never a pane.

pub mod ask;
pub mod calls;
pub mod complete;
pub mod enum_pick;
pub mod filter;
pub mod help;
pub mod new_run;
pub mod prompt;
pub mod quit;
pub mod studio;

pub use ask::Ask;
pub use calls::CallLog;
pub use enum_pick::EnumPicker;
pub use filter::FilterPicker;
pub use help::Help;
pub use new_run::NewRunForm;
pub use prompt::{Prompt, PromptKind};
pub use quit::QuitAsk;
pub use studio::Studio;
