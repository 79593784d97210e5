//! Review (SPEC §4): confirm, reject, edit and discard staged overlay values.
//!
//! Every operation is one write transaction over the run ([`Store::with_run`]) that also appends
//! its [`ReviewEvent`]; a refused operation (a block in the wrong state, an invalid edit) returns
//! an error and writes nothing.
//!
//! [`Store::with_run`]: crate::store::Store::with_run

pub mod edit;
mod find;
pub mod look;
mod ops;
mod regrounding;
mod salvage;
mod selection;
mod undo;
mod wrong;

pub use edit::EditError;
pub use find::{search as find_blocks, Filter, StatusChoice};
pub use ops::{
    confirm, confirm_all_staged, discard_edit, edit, reject, reject_with_reason, EditOutcome,
    ReviewOutcome, Target,
};
pub use salvage::Salvage;
pub use selection::{Selection, SelectionError};
pub use undo::{unconfirm, undo, Undo};
pub use wrong::{skipped_line, SkippedBlock};

pub use crate::model::ReviewEvent;

use crate::model::OverlayStatus;
use crate::store::StoreError;

/// The review actions, as recorded in the review log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Reject,
    Edit,
    Discard,
    /// Confirmed back to staged (`review unconfirm`, `U`).
    Unconfirm,
    /// Reverses one earlier action of this session (`u`); the event's reason names it.
    Undo,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Reject => "reject",
            Action::Edit => "edit",
            Action::Discard => "discard",
            Action::Unconfirm => "unconfirm",
            Action::Undo => "undo",
        }
    }
}

/// Why a review operation was refused or failed. Every refusal says which block, its state and
/// that nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error("{}", wrong_state_message(*action, wrong, *wrong_total))]
    WrongState {
        run_id: String,
        action: Action,
        /// The first few offending blocks with their state.
        wrong: Vec<(u32, OverlayStatus)>,
        wrong_total: usize,
    },
    #[error("block {index} does not exist: run {run_id} has {total} blocks{}; nothing was changed",
        if *total > 0 { format!(" (0-{})", total - 1) } else { String::new() })]
    OutOfRange {
        run_id: String,
        index: u32,
        total: u32,
    },
    #[error("run {run_id}, block {index}: {source}; nothing was changed")]
    Edit {
        run_id: String,
        index: u32,
        source: EditError,
    },
    #[error("run {run_id}, block {index}: the staged value does not obey the schema ({source}); edit or reject the block; nothing was confirmed")]
    InvalidStaged {
        run_id: String,
        index: u32,
        source: EditError,
    },
    #[error("block {index} has no draft edit: its staged value is the model's answer; nothing to discard")]
    NoDraft { run_id: String, index: u32 },
    #[error("block {index} of run {run_id} has a staged value that is not a JSON object, so field '{field}' cannot be edited; reject the block to have it processed again")]
    StagingNotObject {
        run_id: String,
        index: u32,
        field: String,
    },
    #[error("block {index} of run {run_id} changed since that {action} (it is {status} now); nothing was changed")]
    Changed {
        run_id: String,
        index: u32,
        action: &'static str,
        status: &'static str,
    },
    #[error("nothing to undo: {0}")]
    NothingToUndo(String),
    #[error("schema {schema_id} of run {run_id} is missing from the store")]
    SchemaMissing { run_id: String, schema_id: String },
}

/// How many offending blocks a refusal names before "and N more".
const NAMED_WRONG: usize = 8;

/// The state an action needs, as said to the user.
fn state_rule(action: Action) -> &'static str {
    match action {
        Action::Confirm => "only staged blocks (ai_complete) can be confirmed",
        Action::Reject => "only staged blocks (ai_complete) can be rejected",
        Action::Edit => {
            "only staged blocks (ai_complete), and failed blocks that kept an invalid answer, \
             can be edited"
        }
        Action::Discard => "only staged blocks (ai_complete) have draft edits to discard",
        Action::Unconfirm => "only confirmed blocks can be unconfirmed",
        Action::Undo => "it changed since the action being undone",
    }
}

fn wrong_state_message(action: Action, wrong: &[(u32, OverlayStatus)], total: usize) -> String {
    let rule = state_rule(action);
    let named: Vec<String> = wrong
        .iter()
        .map(|(i, s)| format!("block {i} is {}", s.as_str()))
        .collect();
    let more = if total > wrong.len() {
        format!(" (and {} more)", total - wrong.len())
    } else {
        String::new()
    };
    format!(
        "{}{more}: nothing to {} ({rule}); nothing was changed",
        named.join(", "),
        action.as_str()
    )
}
