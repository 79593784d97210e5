//! Every state change of the TUI is one [`Action`]; the keymap file names them in snake_case.

use serde::{Deserialize, Serialize};

use super::job::JobDone;
use crate::workspace::{RunEnd, WorkerEvent};

/// Things the user (through the keymap) or the program (worker, terminal) asks the app to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    ToggleHelp,
    /// Every message of this session in full (the status bar shows the last one).
    MessageLog,
    NextPane,
    PrevPane,
    ShowRuns,
    ShowGrid,
    ShowSchemas,
    ShowPolicy,
    ShowKeys,
    ShowLibrary,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    /// Open the selected item (a run or a run group: its grid).
    Open,
    /// Runs pane: show / hide the member runs of the group under the cursor.
    Fold,
    NewRun,
    StartWorker,
    /// Start the worker through the provider's batch API (issue 24).
    StartBatch,
    CancelRun,
    ResumeRun,
    ToggleSelect,
    ConfirmSelected,
    ConfirmAllStaged,
    Reject,
    Edit,
    DiscardEdit,
    /// Start a range selection from the current row; again: keep the range selected.
    RangeSelect,
    /// Undo the last review action made since the TUI opened.
    Undo,
    /// Confirmed rows back to staged.
    Unconfirm,
    /// Search block content and values.
    Search,
    SearchNext,
    SearchPrev,
    /// Filter the grid by status and block type.
    Filter,
    /// Grid: the values that need a look first, then only them, then block order (SPEC §4a).
    NeedsALook,
    /// Runs pane: compare the two marked runs field by field (a view with a word diff).
    CompareRuns,
    /// Runs pane: score runs against this one's confirmed values (again: no gold run).
    SetGold,
    NextStaged,
    PrevStaged,
    NextFailed,
    PrevFailed,
    Export,
    /// Ingest a file or a folder (a path prompt).
    Ingest,
    /// Library pane: create a project (a name prompt).
    NewProject,
    /// Library pane: add the selected documents to a project (a picker).
    AddToProject,
    SetKey,
    TestKey,
    RemoveKey,
    /// Keys pane: the stored key's default model, temperature and max tokens.
    KeyDefaults,
    /// Keys pane: the stored key's base URL (a gateway or proxy; custom: its server).
    KeyBaseUrl,
    /// Policy pane: move between the keys and the audit log.
    SwitchFocus,
    /// Policy pane: show only the audit entries of the selected key (again: all).
    FilterAudit,
    /// Enter in a prompt or picker.
    Submit,
    /// Esc in a prompt, picker or overlay.
    Cancel,
    /// Re-read everything from the store.
    Refresh,
    /// The call log of the selected run (what `run calls` shows).
    CallLog,
    /// Failed blocks of the selected run back to pending (`run retry-failed`).
    RetryFailed,
    /// Schemas pane: open the schema studio (five ways to a new schema).
    NewSchema,
    ForkSchema,
    DeleteSchema,
    PreviewDown,
    PreviewUp,
    /// A key typed into a text prompt (not bindable).
    #[serde(skip)]
    Input(tui_textarea::Input),
    /// The terminal was resized to (columns, rows).
    #[serde(skip)]
    Resize(u16, u16),
    #[serde(skip)]
    Worker(WorkerEvent),
    /// A background worker session ended.
    #[serde(skip)]
    WorkerEnded {
        run_id: String,
        result: Result<RunEnd, String>,
    },
    /// A background job (confirm, export, reload, ...) finished.
    #[serde(skip)]
    JobDone(JobDone),
    /// The event loop drained a batch: apply what background events changed, once.
    #[serde(skip)]
    Flush,
    /// Show this run in the grid (the demo opens its run at start).
    #[serde(skip)]
    ShowRun(String),
    /// Start the worker on this run.
    #[serde(skip)]
    StartWorkerOn(String),
    /// The UI is closing: ask every background worker to stop.
    #[serde(skip)]
    Shutdown,
    /// The store changed (any process): `runs` — runs, reviews or holders; `rest` — the other
    /// panes' lists.
    #[serde(skip)]
    StoreChanged {
        runs: bool,
        rest: bool,
    },
}

impl Action {
    /// A word or two for the key-hint line (`None`: not worth a hint, e.g. moving).
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Left
            | Action::Right
            | Action::NextPane
            | Action::PrevPane
            | Action::ShowRuns
            | Action::ShowGrid
            | Action::ShowSchemas
            | Action::ShowPolicy
            | Action::ShowLibrary
            | Action::PreviewDown
            | Action::PreviewUp => return None,
            Action::NewSchema => "new schema",
            Action::ForkSchema => "fork",
            Action::DeleteSchema => "delete",
            Action::Open => "open",
            Action::Fold => "group runs",
            Action::NewProject => "new project",
            Action::AddToProject => "add to project",
            Action::NewRun => "new run",
            Action::StartWorker => "start worker",
            Action::StartBatch => "start batch",
            Action::CancelRun => "cancel run",
            Action::ResumeRun => "resume",
            Action::ToggleSelect => "select",
            Action::ConfirmSelected => "confirm",
            Action::ConfirmAllStaged => "confirm all",
            Action::DiscardEdit => "discard edit",
            Action::Reject => "reject",
            Action::Edit => "edit",
            Action::RangeSelect => "range",
            Action::Undo => "undo",
            Action::Unconfirm => "unconfirm",
            Action::Search => "search",
            Action::SearchNext | Action::SearchPrev => "match",
            Action::Filter => "filter",
            Action::NeedsALook => "needs a look",
            Action::CompareRuns => "compare",
            Action::SetGold => "gold",
            Action::NextStaged | Action::PrevStaged => "staged",
            Action::NextFailed | Action::PrevFailed => "failed",
            Action::Export => "export",
            Action::CallLog => "calls",
            Action::RetryFailed => "retry failed",
            Action::KeyDefaults => "defaults",
            Action::KeyBaseUrl => "base URL",
            Action::Submit => "save",
            Action::Cancel => "close",
            Action::ToggleHelp => "help",
            Action::MessageLog => "messages",
            Action::Refresh => "reload",
            other => other.describe().split(" (").next().unwrap_or(""),
        })
        .filter(|h| !h.is_empty())
    }

    /// One line for the help overlay. A table (one arm per action), long by design.
    pub fn describe(&self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ToggleHelp => "show / hide this help",
            Action::MessageLog => "messages of this session in full (the status line's last one)",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::ShowRuns => "Runs pane",
            Action::ShowGrid => "Grid pane",
            Action::ShowSchemas => "Schemas pane",
            Action::ShowPolicy => "Policy pane",
            Action::ShowKeys => "Keys pane",
            Action::ShowLibrary | Action::NewProject | Action::AddToProject | Action::Fold => {
                self.describe_projects()
            }
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::Left => "previous column",
            Action::Right => "next column",
            Action::Open => "open: a run's or a group's grid (Runs), a block's detail view (Grid)",
            Action::NewRun => "new run or, on a project (Library), a run group: schema, model",
            Action::StartWorker => "start / continue the worker in the background",
            Action::StartBatch => {
                "start the worker through the provider's batch API (half price, results within 24 h)"
            }
            Action::CancelRun => "cancel the run (pending blocks stay pending)",
            Action::ResumeRun => "resume a run and start its worker",
            Action::ToggleSelect => "select / unselect the row",
            Action::ConfirmSelected => {
                "confirm selected rows (or the current one), then go to the next staged block"
            }
            Action::ConfirmAllStaged => "confirm every staged block (asks first, with the count)",
            Action::Reject => {
                "reject selected rows (or the current one) to pending, optional reason; moves on"
            }
            Action::Edit => "edit the current cell / policy key",
            Action::DiscardEdit => "discard the draft edit of the current row",
            Action::RangeSelect => "start a range (v, move, v keeps it selected)",
            Action::Undo => "undo the last confirm / reject / edit / discard of this session",
            Action::Unconfirm => "unconfirm selected rows (or the current one) back to staged",
            Action::Search => "search block content and values",
            Action::SearchNext => "next search match",
            Action::SearchPrev => "previous search match",
            Action::Filter => "filter by status and block type",
            Action::NeedsALook | Action::CompareRuns | Action::SetGold => self.describe_evidence(),
            Action::NextStaged => "next staged block (needs review)",
            Action::PrevStaged => "previous staged block",
            Action::NextFailed => "next failed block",
            Action::PrevFailed => "previous failed block",
            Action::Export => "export the run (JSONL / CSV / MD by file extension)",
            Action::Ingest => "ingest a file or a folder (path prompt, Tab completes)",
            Action::SetKey => "set the provider's key (input hidden)",
            Action::TestKey => "test the provider's key with the cheapest real call",
            Action::RemoveKey => "remove the stored key (asks first)",
            Action::KeyDefaults => "default model, temperature and max tokens of the stored key",
            Action::KeyBaseUrl => "the stored key's base URL (gateway)",
            Action::SwitchFocus => "move between the keys and the audit log",
            Action::FilterAudit => "audit log: only the selected key / all keys",
            Action::Submit => "save / choose",
            Action::Cancel => "cancel / close / back",
            Action::Refresh => "reload from the store",
            Action::CallLog => "call log of the run (what `run calls` shows)",
            Action::RetryFailed => "retry the failed blocks of the run",
            Action::NewSchema => "new schema: template, fork, wizard, import or JSON editor",
            Action::ForkSchema => "fork the selected schema (the original stays untouched)",
            Action::DeleteSchema => {
                "delete the selected schema (asks first; refused while runs use it)"
            }
            Action::PreviewDown => "scroll the preview/detail/value down",
            Action::PreviewUp => "scroll the preview/detail/value up",
            Action::Input(_)
            | Action::Resize(..)
            | Action::Worker(_)
            | Action::WorkerEnded { .. }
            | Action::JobDone(_)
            | Action::Flush
            | Action::ShowRun(_)
            | Action::StartWorkerOn(_)
            | Action::Shutdown
            | Action::StoreChanged { .. } => "",
        }
    }
}

impl Action {
    /// The help lines of the evidence actions (SPEC §4a).
    fn describe_evidence(&self) -> &'static str {
        match self {
            Action::NeedsALook => {
                "needs a look first (ungrounded, fixed after a retry, differs), only those, off"
            }
            Action::CompareRuns => "compare the two marked runs (m marks): A | B, ] [ , 1 / 2",
            Action::SetGold => "score runs against this run's confirmed values (again: off)",
            _ => "",
        }
    }

    /// The help lines of the Library pane's and the run groups' actions.
    fn describe_projects(&self) -> &'static str {
        match self {
            Action::ShowLibrary => "Library pane",
            Action::NewProject => "new project (a name, same rule as a schema ref)",
            Action::AddToProject => "add the selected documents (or the current one) to a project",
            Action::Fold => "show / hide the member runs of a run group",
            _ => "",
        }
    }
}

/// Where background work runs and how its results come back: a runtime handle and the UI's
/// action channel.
#[derive(Clone)]
pub struct Spawner {
    pub handle: tokio::runtime::Handle,
    pub tx: tokio::sync::mpsc::Sender<Action>,
}
