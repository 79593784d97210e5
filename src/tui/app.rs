//! The application state and the one place it changes: [`App::update`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyEvent, KeyEventKind};
use tokio::sync::{mpsc, watch};
use tui_textarea::TextArea;

use super::action::Action;
use super::grid::{compact, GridPane};
use super::keymap::Keymap;
use super::policy::PolicyPane;
use super::runs::{is_demo, RunsPane};
use super::schemas::SchemasPane;
use super::theme::Theme;
use crate::export::{Format, Mode};
use crate::model::RunStatus;
use crate::review::{self, Selection, Target};
use crate::store::Store;
use crate::worker::{self, transitions, CreateRunOptions, EngineOptions, RunEnd, WorkerEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Runs,
    Grid,
    Schemas,
    Policy,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Runs, Pane::Grid, Pane::Schemas, Pane::Policy];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Runs => "Runs",
            Pane::Grid => "Grid",
            Pane::Schemas => "Schemas",
            Pane::Policy => "Policy",
        }
    }

    fn context(self) -> &'static str {
        match self {
            Pane::Runs => "runs",
            Pane::Grid => "grid",
            Pane::Schemas => "schemas",
            Pane::Policy => "policy",
        }
    }
}

/// What a text prompt is for.
#[derive(Debug, Clone)]
pub enum PromptKind {
    EditCell {
        run_id: String,
        index: u32,
        field: String,
    },
    Export {
        run_id: String,
    },
    PolicyValue {
        key: String,
    },
    PolicyReason {
        key: String,
        value: String,
    },
}

pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub hint: String,
    pub textarea: TextArea<'static>,
    /// Why the last submit was refused (nothing was saved).
    pub error: Option<String>,
}

/// The new-run picker: a document, then a schema.
#[derive(Debug, Clone)]
pub struct Picker {
    pub doc: Option<String>,
    /// (id, label) of the current step's choices.
    pub items: Vec<(String, String)>,
    pub cursor: usize,
}

pub enum Modal {
    None,
    Help,
    Prompt(Box<Prompt>),
    Picker(Picker),
}

/// Sends actions from background tasks back to the UI loop.
#[derive(Clone)]
pub struct Spawner {
    pub handle: tokio::runtime::Handle,
    pub tx: mpsc::Sender<Action>,
}

pub struct App {
    pub store: Arc<Store>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub pane: Pane,
    pub modal: Modal,
    pub runs: RunsPane,
    pub grid: GridPane,
    pub schemas: SchemasPane,
    pub policy: PolicyPane,
    /// The last message and whether it is an error.
    pub message: Option<(String, bool)>,
    pub quit: bool,
    pub user: String,
    /// Runs with a background worker, and the switch that stops it.
    pub workers: HashMap<String, watch::Sender<bool>>,
    pub spawner: Option<Spawner>,
    /// Worker events arrived since the last [`App::flush`].
    stale: bool,
}

impl App {
    pub fn new(store: Arc<Store>, keymap: Keymap, theme: Theme) -> App {
        let mut app = App {
            store,
            keymap,
            theme,
            pane: Pane::Runs,
            modal: Modal::None,
            runs: RunsPane::default(),
            grid: GridPane::default(),
            schemas: SchemasPane::default(),
            policy: PolicyPane::default(),
            message: None,
            quit: false,
            user: crate::policy::current_user(),
            workers: HashMap::new(),
            spawner: None,
            stale: false,
        };
        app.grid.height = 20;
        app.reload_all();
        if let Some(run) = app.runs.current().cloned() {
            app.open_run(&run.run_id);
        }
        app
    }

    pub fn workspace(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    /// Whether the run on screen (grid, else the Runs cursor) uses the demo provider.
    pub fn showing_demo(&self) -> bool {
        match self.pane {
            Pane::Runs => self.runs.current().is_some_and(is_demo),
            _ => self.grid.run.as_ref().is_some_and(is_demo),
        }
    }

    fn info(&mut self, msg: impl Into<String>) {
        self.message = Some((msg.into(), false));
    }

    fn error(&mut self, msg: impl std::fmt::Display) {
        let msg = msg.to_string();
        tracing::warn!("{msg}");
        self.message = Some((msg, true));
    }

    /// Re-read runs, schemas, policy and the grid window.
    pub fn reload_all(&mut self) {
        if let Err(e) = self.try_reload_all() {
            self.error(format!("cannot read the store: {e}"));
        }
    }

    fn try_reload_all(&mut self) -> anyhow::Result<()> {
        self.runs.runs = self.store.list_runs()?;
        self.runs.move_by(0);
        self.schemas.schemas = self.store.list_schemas()?;
        self.schemas.move_by(0);
        self.policy.values = crate::policy::effective_all(&self.store)?;
        self.policy.audit = crate::policy::audit_log(&self.store)?;
        self.policy.is_admin = crate::policy::is_admin(&self.store, &self.user)?;
        self.policy.move_by(0);
        self.grid.reload(&self.store)?;
        Ok(())
    }

    fn reload_grid(&mut self) {
        if let Err(e) = self.grid.reload(&self.store) {
            self.error(format!("cannot read the grid: {e}"));
        }
    }

    /// Apply what background events changed (once per batch of events, not per event).
    pub fn flush(&mut self) {
        if std::mem::take(&mut self.stale) {
            if let Ok(runs) = self.store.list_runs() {
                self.runs.runs = runs;
                self.runs.move_by(0);
            }
            self.reload_grid();
        }
    }

    pub fn open_run(&mut self, run_id: &str) {
        match self.store.get_run(run_id) {
            Ok(Some(run)) => {
                if let Some(i) = self.runs.runs.iter().position(|r| r.run_id == run_id) {
                    self.runs.cursor = i;
                }
                if let Err(e) = self.grid.open(&self.store, run) {
                    self.error(e);
                }
            }
            Ok(None) => self.error(format!("run {run_id} does not exist")),
            Err(e) => self.error(e),
        }
    }

    /// The keymap context for the current mode.
    fn context(&self) -> &'static str {
        match self.modal {
            Modal::Prompt(_) | Modal::Picker(_) => "input",
            _ => self.pane.context(),
        }
    }

    /// Translate a key into an action (releases are dropped; text prompts take other keys).
    pub fn key_action(&self, key: &KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let bound = self.keymap.lookup(self.context(), key);
        match &self.modal {
            Modal::Prompt(_) => bound.or(Some(Action::Input((*key).into()))),
            Modal::Picker(_) => bound.or_else(|| self.keymap.lookup("global", key)),
            Modal::Help => match bound {
                Some(Action::Quit) => Some(Action::Quit),
                _ => Some(Action::ToggleHelp),
            },
            Modal::None => bound,
        }
    }

    /// Look a key up and apply it.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if let Some(action) = self.key_action(&key) {
            self.update(action);
        }
    }

    /// The only place state changes.
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Resize(_, rows) => {
                // Tabs, status bar, table borders and header.
                self.grid.height = u32::from(rows.saturating_sub(5)).max(1);
                if self.grid.clamp() || self.grid.rows.len() < self.grid.height as usize {
                    self.reload_grid();
                }
            }
            Action::Worker(ev) => self.on_worker_event(ev),
            Action::WorkerEnded { run_id, result } => {
                self.workers.remove(&run_id);
                match result {
                    Ok(RunEnd::Complete) => self.info(format!("run {run_id} complete")),
                    Ok(RunEnd::Paused(reason)) => {
                        self.error(format!("run {run_id} paused: {reason}; r resumes"))
                    }
                    Ok(RunEnd::Cancelled) => self.info(format!("run {run_id} cancelled")),
                    Ok(RunEnd::Interrupted) => self.info(format!("worker for {run_id} stopped")),
                    Ok(RunEnd::Busy(msg)) => self.info(format!("run {run_id}: {msg}")),
                    Err(e) => self.error(format!("worker for {run_id} failed: {e}")),
                }
                self.stale = true;
                self.flush();
            }
            Action::Refresh => {
                self.reload_all();
                self.info("reloaded");
            }
            action => match &self.modal {
                Modal::Help => {
                    if matches!(action, Action::ToggleHelp | Action::Cancel) {
                        self.modal = Modal::None;
                    }
                }
                Modal::Prompt(_) => self.update_prompt(action),
                Modal::Picker(_) => self.update_picker(action),
                Modal::None => self.update_pane(action),
            },
        }
    }

    fn on_worker_event(&mut self, ev: WorkerEvent) {
        match ev {
            WorkerEvent::Progress {
                run_id,
                counters,
                usage,
            } => {
                if let Some(r) = self.runs.runs.iter_mut().find(|r| r.run_id == run_id) {
                    r.counters = counters;
                    r.usage = usage;
                }
                self.stale = true;
            }
            WorkerEvent::CallFinished(_) => {}
            WorkerEvent::Warning { run_id, message } => self.error(format!("{run_id}: {message}")),
            WorkerEvent::Paused { run_id, reason } => {
                self.error(format!("run {run_id} paused: {reason}"));
                self.stale = true;
            }
            WorkerEvent::Complete { run_id } | WorkerEvent::Cancelled { run_id } => {
                let _ = run_id;
                self.stale = true;
            }
        }
    }

    fn update_pane(&mut self, action: Action) {
        match action {
            Action::ToggleHelp => self.modal = Modal::Help,
            Action::NextPane | Action::PrevPane => {
                let i = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0);
                let n = Pane::ALL.len();
                let next = if matches!(action, Action::NextPane) {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.pane = Pane::ALL[next];
            }
            Action::ShowRuns => self.pane = Pane::Runs,
            Action::ShowGrid => self.pane = Pane::Grid,
            Action::ShowSchemas => self.pane = Pane::Schemas,
            Action::ShowPolicy => self.pane = Pane::Policy,
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                let page = i64::from(self.grid.height.max(1));
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    _ => page,
                };
                self.move_by(delta);
            }
            Action::Top => self.move_by(i64::MIN / 2),
            Action::Bottom => self.move_by(i64::MAX / 2),
            Action::Left if self.pane == Pane::Grid => {
                self.grid.col = self.grid.col.saturating_sub(1)
            }
            Action::Right if self.pane == Pane::Grid => {
                self.grid.col = (self.grid.col + 1).min(self.grid.fields.len().saturating_sub(1))
            }
            Action::Open if self.pane == Pane::Runs => {
                if let Some(id) = self.runs.current().map(|r| r.run_id.clone()) {
                    self.open_run(&id);
                    self.pane = Pane::Grid;
                }
            }
            Action::NewRun => self.open_picker(),
            Action::StartWorker => {
                if let Some(id) = self.target_run() {
                    self.start_worker(&id);
                }
            }
            Action::CancelRun => self.transition(true),
            Action::ResumeRun => self.transition(false),
            Action::ToggleSelect if self.pane == Pane::Grid && self.grid.total() > 0 => {
                let i = self.grid.cursor;
                if !self.grid.selected.remove(&i) {
                    self.grid.selected.insert(i);
                }
                self.move_by(1);
            }
            Action::ConfirmSelected if self.pane == Pane::Grid => {
                let sel = Selection::from_indices(self.grid.targets());
                self.confirm(Target::Blocks(sel));
            }
            Action::ConfirmAllStaged if self.pane == Pane::Grid => self.confirm(Target::AllStaged),
            Action::Reject if self.pane == Pane::Grid => self.reject(),
            Action::Edit if self.pane == Pane::Grid => self.begin_edit(),
            Action::Edit if self.pane == Pane::Policy => self.begin_policy_edit(),
            Action::DiscardEdit if self.pane == Pane::Grid => self.discard(),
            Action::Export => self.begin_export(),
            _ => {}
        }
    }

    fn move_by(&mut self, delta: i64) {
        match self.pane {
            Pane::Runs => self.runs.move_by(delta),
            Pane::Grid => {
                self.grid.move_by(delta);
                if self.grid.clamp() || self.grid.current_row().is_none() {
                    self.reload_grid();
                }
            }
            Pane::Schemas => self.schemas.move_by(delta),
            Pane::Policy => self.policy.move_by(delta),
        }
    }

    /// The run an action applies to: the Runs cursor in the Runs pane, else the grid's run.
    fn target_run(&self) -> Option<String> {
        let run = match self.pane {
            Pane::Runs => self.runs.current(),
            _ => self.grid.run.as_ref(),
        };
        run.map(|r| r.run_id.clone())
    }

    fn grid_run_id(&mut self) -> Option<String> {
        let id = self.grid.run.as_ref().map(|r| r.run_id.clone());
        if id.is_none() {
            self.error("no run open: pick one in the Runs pane and press Enter");
        }
        id
    }

    fn after_review(&mut self) {
        self.stale = true;
        self.flush();
    }

    fn confirm(&mut self, target: Target) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        match review::confirm(&self.store, &run_id, &target, &self.user) {
            Ok(out) => {
                self.grid.selected.clear();
                self.info(format!("confirmed {} block(s): {}", out.count, out.blocks));
            }
            Err(e) => self.error(e),
        }
        self.after_review();
    }

    fn reject(&mut self) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        let sel = Selection::from_indices(self.grid.targets());
        match review::reject(&self.store, &run_id, &sel, &self.user) {
            Ok(out) => {
                self.grid.selected.clear();
                self.info(format!(
                    "rejected {} block(s) back to pending: {} (s runs the worker again)",
                    out.count, out.blocks
                ));
            }
            Err(e) => self.error(e),
        }
        self.after_review();
    }

    fn discard(&mut self) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        match review::discard_edit(&self.store, &run_id, self.grid.cursor, &self.user) {
            Ok(out) => self.info(format!(
                "block {}: draft edit discarded, back to the model's answer",
                out.block_index
            )),
            Err(e) => self.error(e),
        }
        self.after_review();
    }

    fn begin_edit(&mut self) {
        let Some(run_id) = self.grid_run_id() else {
            return;
        };
        let Some(field) = self.grid.current_field().map(str::to_string) else {
            self.error("this run's schema has no top-level properties to edit");
            return;
        };
        let Some(row) = self.grid.current_row() else {
            return;
        };
        if row.status != crate::model::OverlayStatus::AiComplete {
            self.error(format!(
                "block {} is {}: only staged blocks can be edited",
                row.index,
                row.status.as_str()
            ));
            return;
        }
        let current = row
            .value
            .as_ref()
            .and_then(|v| v.get(&field))
            .map(compact)
            .unwrap_or_default();
        let index = row.index;
        let ty = self
            .grid
            .schema
            .as_ref()
            .and_then(crate::schema::properties)
            .and_then(|p| p.get(&field))
            .map(|s| serde_json::to_string(s).unwrap_or_default())
            .unwrap_or_default();
        self.modal = Modal::Prompt(Box::new(new_prompt(
            PromptKind::EditCell {
                run_id,
                index,
                field: field.clone(),
            },
            format!("Edit block {index} · {field}"),
            format!("Enter saves, Esc cancels · schema {ty}"),
            current,
        )));
    }

    fn begin_export(&mut self) {
        let Some(run_id) = self.target_run() else {
            self.error("no run to export");
            return;
        };
        self.modal = Modal::Prompt(Box::new(new_prompt(
            PromptKind::Export {
                run_id: run_id.clone(),
            },
            format!("Export run {run_id}"),
            "file path; .jsonl, .csv or .md picks the format; add ' staging' or ' both' for \
             unconfirmed values · Enter exports, Esc cancels"
                .into(),
            format!("{run_id}.jsonl"),
        )));
    }

    fn begin_policy_edit(&mut self) {
        let Some(v) = self.policy.current().cloned() else {
            return;
        };
        if !self.policy.is_admin {
            self.error(format!(
                "user '{}' is not a workspace admin: policy is read only here (an admin runs \
                 `blockwise policy admins add {}`)",
                self.user, self.user
            ));
            return;
        }
        self.modal = Modal::Prompt(Box::new(new_prompt(
            PromptKind::PolicyValue { key: v.key.clone() },
            format!("Set {}", v.key),
            format!(
                "{} · bounds {} · Enter next (reason), Esc cancels",
                v.value_type, v.bounds
            ),
            crate::policy::display_value(&v.value),
        )));
    }

    fn update_prompt(&mut self, action: Action) {
        let Modal::Prompt(prompt) = &mut self.modal else {
            return;
        };
        match action {
            Action::Cancel => {
                self.modal = Modal::None;
                self.info("cancelled; nothing was changed");
            }
            Action::Input(input) => {
                prompt.textarea.input(input);
            }
            Action::Submit => {
                let text = prompt.textarea.lines().join("\n");
                let kind = prompt.kind.clone();
                match self.submit_prompt(kind, text) {
                    Ok(true) => self.modal = Modal::None,
                    Ok(false) => {}
                    Err(reason) => {
                        if let Modal::Prompt(p) = &mut self.modal {
                            p.error = Some(reason);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Carry out a prompt: `Ok(true)` closes it, `Ok(false)` when it was replaced by the next
    /// step; `Err` keeps it open with the reason (nothing was saved).
    fn submit_prompt(&mut self, kind: PromptKind, text: String) -> Result<bool, String> {
        match kind {
            PromptKind::EditCell {
                run_id,
                index,
                field,
            } => {
                let out = review::edit(&self.store, &run_id, index, &field, &text, &self.user)
                    .map_err(|e| e.to_string())?;
                self.info(format!(
                    "block {index}: {field} = {}{}",
                    out.new_value.as_ref().map(compact).unwrap_or_default(),
                    if out.edited {
                        " (draft edit; d discards)"
                    } else {
                        ""
                    }
                ));
                self.after_review();
                Ok(true)
            }
            PromptKind::Export { run_id } => {
                let (path, mode) = parse_export_target(&text)?;
                let format = match path.extension().and_then(|e| e.to_str()) {
                    Some("jsonl") | Some("json") => Format::Jsonl,
                    Some("csv") => Format::Csv,
                    Some("md") | Some("markdown") => Format::Markdown,
                    _ => {
                        return Err(format!(
                            "{}: end the file name with .jsonl, .csv or .md to pick the format",
                            path.display()
                        ))
                    }
                };
                let demo = self
                    .runs
                    .runs
                    .iter()
                    .find(|r| r.run_id == run_id)
                    .is_some_and(is_demo);
                let sum = crate::export::export_to_path(&self.store, &run_id, format, mode, &path)
                    .map_err(|e| e.to_string())?;
                self.info(format!(
                    "exported {} blocks ({} confirmed, {} drafts, {} bytes) to {}{}",
                    sum.blocks,
                    sum.confirmed,
                    sum.drafts,
                    sum.bytes,
                    path.display(),
                    if demo { " [DEMO output]" } else { "" }
                ));
                Ok(true)
            }
            PromptKind::PolicyValue { key } => {
                let spec = crate::policy::lookup(&key).map_err(|e| e.to_string())?;
                let value = crate::policy::registry::parse_value(spec, text.trim())
                    .map_err(|e| e.to_string())?;
                // Bounds now, so the reason prompt only follows a value that can be saved.
                let mut values = self.store.policy_values().map_err(|e| e.to_string())?;
                values.insert(spec.key.to_string(), value.clone());
                crate::policy::registry::check_bounds(spec, &value, &values)
                    .map_err(|e| e.to_string())?;
                self.modal = Modal::Prompt(Box::new(new_prompt(
                    PromptKind::PolicyReason {
                        key: key.clone(),
                        value: text.trim().to_string(),
                    },
                    format!("Why set {key} = {}?", text.trim()),
                    "reason recorded in the audit log · Enter saves, Esc cancels".into(),
                    String::new(),
                )));
                Ok(false)
            }
            PromptKind::PolicyReason { key, value } => {
                let reason = Some(text.trim()).filter(|r| !r.is_empty());
                let out =
                    crate::policy::set_value_text(&self.store, &self.user, &key, &value, reason)
                        .map_err(|e| e.to_string())?;
                match out {
                    crate::policy::SetOutcome::Changed(e) => self.info(format!(
                        "{key}: {} → {} (audit #{})",
                        crate::policy::display_value(&e.old),
                        crate::policy::display_value(&e.new),
                        e.seq
                    )),
                    crate::policy::SetOutcome::Unchanged { .. } => {
                        self.info(format!("{key} already holds {value}; nothing was written"))
                    }
                }
                self.reload_all();
                Ok(true)
            }
        }
    }

    fn open_picker(&mut self) {
        match self.store.list_documents() {
            Ok(docs) if docs.is_empty() => {
                self.error("no documents yet: `blockwise ingest FILE` first")
            }
            Ok(docs) => {
                let items = docs
                    .into_iter()
                    .map(|d| {
                        let label = format!(
                            "{}  {}  ({} blocks)  {}",
                            &d.conv_uid[..12.min(d.conv_uid.len())],
                            d.title,
                            d.total_blocks,
                            d.file_name
                        );
                        (d.conv_uid, label)
                    })
                    .collect();
                self.modal = Modal::Picker(Picker {
                    doc: None,
                    items,
                    cursor: 0,
                });
            }
            Err(e) => self.error(e),
        }
    }

    fn update_picker(&mut self, action: Action) {
        let Modal::Picker(p) = &mut self.modal else {
            return;
        };
        let max = p.items.len().saturating_sub(1);
        match action {
            Action::Cancel => self.modal = Modal::None,
            Action::Up => p.cursor = p.cursor.saturating_sub(1),
            Action::Down => p.cursor = (p.cursor + 1).min(max),
            Action::Top => p.cursor = 0,
            Action::Bottom => p.cursor = max,
            Action::Submit => {
                let Some((id, _)) = p.items.get(p.cursor).cloned() else {
                    return;
                };
                match p.doc.clone() {
                    None => match self.store.list_schemas() {
                        Ok(s) if s.is_empty() => {
                            self.modal = Modal::None;
                            self.error("no schemas yet: `blockwise schema from-template ID` first")
                        }
                        Ok(schemas) => {
                            p.doc = Some(id);
                            p.items = schemas
                                .into_iter()
                                .map(|s| (s.schema_ref.clone(), s.schema_ref))
                                .collect();
                            p.cursor = 0;
                        }
                        Err(e) => self.error(e),
                    },
                    Some(doc) => {
                        self.modal = Modal::None;
                        let opts = CreateRunOptions {
                            provider: Some("demo".into()),
                            ..Default::default()
                        };
                        match worker::create_run(&self.store, &doc, &id, &opts) {
                            Ok(run) => {
                                self.info(format!(
                                    "created run {} ({} blocks, schema {}, provider demo — \
                                     offline DEMO output); s starts the worker",
                                    run.run_id, run.counters.total, run.schema_ref
                                ));
                                self.reload_all();
                                self.open_run(&run.run_id);
                            }
                            Err(e) => self.error(e),
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn transition(&mut self, cancel: bool) {
        let Some(id) = self.target_run() else {
            return;
        };
        let result = if cancel {
            if let Some(stop) = self.workers.get(&id) {
                let _ = stop.send(true);
            }
            transitions::cancel(&self.store, &id)
        } else {
            transitions::resume(&self.store, &id)
        };
        match result {
            Ok(r) => self.info(format!(
                "run {} is {}{}",
                r.run_id,
                r.status.as_str(),
                if cancel { "" } else { "; s starts the worker" }
            )),
            Err(e) => self.error(e),
        }
        self.stale = true;
        self.flush();
    }

    /// Start the worker on `run_id` as a background task; its events come back as actions.
    pub fn start_worker(&mut self, run_id: &str) {
        if self.workers.contains_key(run_id) {
            self.info(format!("the worker is already running on {run_id}"));
            return;
        }
        let Some(spawner) = self.spawner.clone() else {
            self.error("no background runtime: the worker cannot start here");
            return;
        };
        let run = match self.store.get_run(run_id) {
            Ok(Some(r)) => r,
            Ok(None) => return self.error(format!("run {run_id} does not exist")),
            Err(e) => return self.error(e),
        };
        match run.status {
            RunStatus::Running => {}
            RunStatus::Complete => {
                return self.info(format!("run {run_id} is complete: nothing left to do"))
            }
            RunStatus::Paused | RunStatus::Cancelled => {
                return self.error(format!(
                    "run {run_id} is {}: press r to resume it first",
                    run.status.as_str()
                ))
            }
        }
        let provider = match worker::connect_provider(&self.store, &run) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                return self.error(format!("cannot connect {}: {e}", run.model_config.provider))
            }
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let opts = EngineOptions {
            prices: prices(),
            ..EngineOptions::default()
        };
        let store = self.store.clone();
        let id = run_id.to_string();
        let tx = spawner.tx.clone();
        spawner.handle.spawn(async move {
            let (ev_tx, mut ev_rx) = mpsc::channel(256);
            let fwd_tx = tx.clone();
            let forward = tokio::spawn(async move {
                while let Some(ev) = ev_rx.recv().await {
                    if fwd_tx.send(Action::Worker(ev)).await.is_err() {
                        break;
                    }
                }
            });
            let result = worker::run_worker(store, provider, &id, opts, Some(ev_tx), stop_rx)
                .await
                .map_err(|e| e.to_string());
            let _ = forward.await;
            let _ = tx.send(Action::WorkerEnded { run_id: id, result }).await;
        });
        self.workers.insert(run_id.to_string(), stop_tx);
        self.info(format!(
            "worker started on {run_id}{}",
            if is_demo(&run) {
                " (offline DEMO provider)"
            } else {
                ""
            }
        ));
    }

    /// Ask every background worker to stop (claims are released by the engine).
    pub fn stop_workers(&self) {
        for stop in self.workers.values() {
            let _ = stop.send(true);
        }
    }
}

fn prices() -> crate::provider::PriceTable {
    crate::paths::config_dir()
        .and_then(|d| crate::provider::PriceTable::load(&d).ok())
        .unwrap_or_else(crate::provider::PriceTable::builtin)
}

fn new_prompt(kind: PromptKind, title: String, hint: String, text: String) -> Prompt {
    let mut textarea = TextArea::new(text.lines().map(str::to_string).collect());
    textarea.move_cursor(tui_textarea::CursorMove::Bottom);
    textarea.move_cursor(tui_textarea::CursorMove::End);
    Prompt {
        kind,
        title,
        hint,
        textarea,
        error: None,
    }
}

/// `PATH [confirmed|staging|both]`.
fn parse_export_target(text: &str) -> Result<(PathBuf, Mode), String> {
    let text = text.trim();
    let (path, mode) = match text.rsplit_once(' ') {
        Some((p, "staging")) => (p.trim(), Mode::Staging),
        Some((p, "both")) => (p.trim(), Mode::Both),
        Some((p, "confirmed")) => (p.trim(), Mode::Confirmed),
        _ => (text, Mode::Confirmed),
    };
    if path.is_empty() {
        return Err("type a file path to export to".into());
    }
    Ok((PathBuf::from(path), mode))
}
