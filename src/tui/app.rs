//! The application state and the one place it changes: [`App::update`].

use std::collections::HashMap;
use std::path::PathBuf;

use crossterm::event::{KeyEvent, KeyEventKind};
use tokio::sync::{mpsc, watch};

use super::action::Action;
use super::grid::GridPane;
use super::keymap::Keymap;
pub use super::modal::{Picker, Prompt, PromptKind};
use super::policy::PolicyPane;
use super::runs::RunsPane;
use super::schemas::SchemasPane;
use super::theme::Theme;
use crate::workspace::Workspace;

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
    pub ws: Workspace,
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
    pub(super) stale: bool,
}

impl App {
    pub fn new(ws: Workspace, keymap: Keymap, theme: Theme) -> App {
        let mut app = App {
            user: ws.user().to_string(),
            ws,
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
        self.ws.path().to_path_buf()
    }

    /// Whether the run on screen (grid, else the Runs cursor) uses the demo provider.
    pub fn showing_demo(&self) -> bool {
        match self.pane {
            Pane::Runs => self
                .runs
                .current()
                .is_some_and(|r| r.model_config.is_demo()),
            _ => self
                .grid
                .run
                .as_ref()
                .is_some_and(|r| r.model_config.is_demo()),
        }
    }

    pub(super) fn info(&mut self, msg: impl Into<String>) {
        self.message = Some((msg.into(), false));
    }

    pub(super) fn error(&mut self, msg: impl std::fmt::Display) {
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
        self.runs.runs = self.ws.list_runs()?;
        self.runs.move_by(0);
        self.schemas.schemas = self.ws.list_schemas()?;
        self.schemas.move_by(0);
        self.policy.values = self.ws.policy_all()?;
        self.policy.audit = self.ws.audit_log()?;
        self.policy.is_admin = self.ws.is_admin()?;
        self.policy.move_by(0);
        self.grid.reload(&self.ws)?;
        Ok(())
    }

    pub(super) fn reload_grid(&mut self) {
        if let Err(e) = self.grid.reload(&self.ws) {
            self.error(format!("cannot read the grid: {e}"));
        }
    }

    /// Apply what background events changed (once per batch of events, not per event).
    pub fn flush(&mut self) {
        if std::mem::take(&mut self.stale) {
            if let Ok(runs) = self.ws.list_runs() {
                self.runs.runs = runs;
                self.runs.move_by(0);
            }
            self.reload_grid();
        }
    }

    pub fn open_run(&mut self, run_id: &str) {
        match self.ws.get_run(run_id) {
            Ok(Some(run)) => {
                if let Some(i) = self.runs.runs.iter().position(|r| r.run_id == run_id) {
                    self.runs.cursor = i;
                }
                if let Err(e) = self.grid.open(&self.ws, run) {
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
            Action::WorkerEnded { run_id, result } => self.on_worker_ended(run_id, result),
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
}
