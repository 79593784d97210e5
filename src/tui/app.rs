//! The application state and the one place it changes: [`App::update`]. An action goes to the
//! open modal, else to the focused pane; what they return ([`Effect`]s) is executed here. Writes
//! and long reads run as [`Job`]s off the UI task and come back as [`Action::JobDone`].

use std::path::PathBuf;

use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use tokio::sync::mpsc;

use super::action::Action;
use super::effect::{Effect, Reply};
use super::jobs::{Job, JobDone, JobKind, Jobs, Output, Snapshot};
use super::keymap::Keymap;
pub use super::modals::{Help, Modal, NewRunForm, Prompt, PromptKind};
use super::panes::grid::GridPane;
use super::panes::keys::KeysPane;
use super::panes::policy::PolicyPane;
use super::panes::runs::RunsPane;
use super::panes::schemas::SchemasPane;
pub use super::panes::Pane;
use super::panes::{Component, Ctx};
use super::theme::Theme;
use super::workers::{self, Workers};
use crate::workspace::Workspace;

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
    pub keys: KeysPane,
    /// The last message and whether it is an error.
    pub message: Option<(String, bool)>,
    pub quit: bool,
    pub user: String,
    pub workers: Workers,
    /// Background jobs in flight.
    pub jobs: Jobs,
    /// Where background work runs; without one, jobs run inline (headless tests).
    pub spawner: Option<Spawner>,
    /// Worker events arrived since the last flush.
    stale: bool,
    /// The terminal's (columns, rows), to map mouse clicks onto the layout.
    pub size: (u16, u16),
    /// The document ingested last in this session: the new-run form starts on it.
    pub last_ingested: Option<String>,
}

/// Rows one wheel notch moves.
const WHEEL: usize = 3;

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
            keys: KeysPane::default(),
            message: None,
            quit: false,
            workers: Workers::default(),
            jobs: Jobs::default(),
            spawner: None,
            stale: false,
            size: (0, 0),
            last_ingested: None,
        };
        // The first frame needs the lists: read them here, before any runtime exists.
        match Snapshot::read(&app.ws) {
            Ok(s) => app.apply_snapshot(s),
            Err(e) => app.error(format!("cannot read the store: {e}")),
        }
        if let Some(id) = app.runs.current().map(|r| r.run_id.clone()) {
            app.open_run(&id);
        }
        app
    }

    /// Run background work (jobs, workers) on this runtime, reporting on its channel.
    pub fn with_spawner(mut self, spawner: Spawner) -> App {
        self.spawner = Some(spawner);
        self
    }

    pub fn workspace(&self) -> PathBuf {
        self.ws.path().to_path_buf()
    }

    /// Whether the run on screen (grid, else the Runs cursor) uses the demo provider.
    pub fn showing_demo(&self) -> bool {
        match self.pane {
            Pane::Runs => self.runs.current(),
            _ => self.grid.run.as_ref(),
        }
        .is_some_and(|r| r.model_config.is_demo())
    }

    /// Nothing in the background still needs the process (workers and jobs all reported).
    pub fn idle(&self) -> bool {
        self.workers.is_empty() && self.jobs.is_empty()
    }

    /// The keymap context for the current mode.
    pub fn context(&self) -> &'static str {
        self.modal.context().unwrap_or(self.pane.context())
    }

    /// Translate a key into an action (releases are dropped; text prompts take other keys).
    pub fn key_action(&self, key: &KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let bound = self.keymap.lookup(self.context(), key);
        match &self.modal {
            Modal::Prompt(_) | Modal::NewRun(_) | Modal::Confirm(_) => {
                bound.or(Some(Action::Input((*key).into())))
            }
            // The studio is mostly text fields: it reads raw keys (shift-Tab as a shifted Tab).
            Modal::Studio(_) => bound.or(Some(Action::Input(match key.code {
                crossterm::event::KeyCode::BackTab => tui_textarea::Input {
                    key: tui_textarea::Key::Tab,
                    shift: true,
                    ..Default::default()
                },
                _ => (*key).into(),
            }))),
            Modal::Help(_) => match bound {
                Some(Action::Quit) => Some(Action::Quit),
                Some(a) if Help::scrolls(&a) => Some(a),
                _ => Some(Action::ToggleHelp),
            },
            Modal::Calls(_) | Modal::None => bound,
        }
    }

    /// Look a key up and apply it.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if let Some(action) = self.key_action(&key) {
            self.update(action);
        }
    }

    /// Wheel scrolls what has the focus (the open dialog, else the pane); a left click on a tab
    /// switches pane, on a list row selects it.
    pub fn handle_mouse(&mut self, m: MouseEvent) {
        let (w, h) = self.size;
        let [top, main, _, _] = super::ui::areas(Rect::new(0, 0, w, h));
        let step = match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        if let Some(step) = step {
            for _ in 0..WHEEL {
                self.update(step.clone());
            }
            return;
        }
        if m.kind != MouseEventKind::Down(MouseButton::Left) {
            return;
        }
        let fx = if m.row == top.y && !self.modal.is_open() {
            match super::widgets::tab_at(m.column) {
                Some(pane) => vec![Effect::Focus(pane)],
                None => Vec::new(),
            }
        } else if main.contains(Position::new(m.column, m.row)) {
            match &mut self.modal {
                Modal::Calls(log) => log.click(main, m.row),
                Modal::None => self.focused_mut().click(main, m.row),
                _ => Vec::new(),
            }
        } else {
            Vec::new()
        };
        self.apply(fx);
    }

    /// Apply what background events changed (the event loop sends [`Action::Flush`]).
    pub fn flush(&mut self) {
        self.update(Action::Flush);
    }

    /// The only place state changes.
    pub fn update(&mut self, action: Action) {
        let effects = match action {
            Action::Quit => {
                self.quit = true;
                Vec::new()
            }
            Action::Resize(cols, rows) => {
                self.size = (cols, rows);
                self.grid.resize(rows, &self.ws)
            }
            Action::Worker(ev) => workers::on_event(ev, &mut self.runs),
            Action::WorkerEnded { run_id, result } => {
                self.runs.worker_ended(&run_id);
                let mut fx = self.workers.ended(&run_id, result);
                fx.push(Effect::Stale);
                self.apply(fx);
                return self.flush_now();
            }
            Action::JobDone(done) => return self.on_job_done(done),
            Action::Flush => return self.flush_now(),
            Action::StoreChanged { runs, rest } => {
                self.stale |= runs;
                if rest {
                    self.apply(vec![Effect::Job(
                        Job::Reload { announce: false },
                        Reply::Status,
                    )]);
                }
                return self.flush_now();
            }
            Action::Refresh => vec![Effect::Job(Job::Reload { announce: true }, Reply::Status)],
            Action::ShowRun(id) => vec![Effect::OpenRun(id), Effect::Focus(Pane::Grid)],
            Action::StartWorkerOn(id) => {
                vec![self.workers.start(self.spawner.as_ref(), &self.ws, &id)]
            }
            Action::Shutdown => {
                self.workers.stop_all();
                Vec::new()
            }
            action if self.modal.is_open() => {
                let ctx = Ctx {
                    ws: &self.ws,
                    user: &self.user,
                    page: self.grid.height,
                };
                self.modal.update(action, &ctx)
            }
            action => self.update_pane(action),
        };
        self.apply(effects);
    }

    /// No modal open: app-wide actions first, the rest to the focused pane.
    fn update_pane(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::ToggleHelp => vec![Effect::Open(Modal::Help(Help::default()))],
            Action::NextPane => vec![Effect::Focus(self.pane.cycle(1))],
            Action::PrevPane => vec![Effect::Focus(self.pane.cycle(-1))],
            Action::ShowRuns => vec![Effect::Focus(Pane::Runs)],
            Action::ShowGrid => vec![Effect::Focus(Pane::Grid)],
            Action::ShowSchemas => vec![Effect::Focus(Pane::Schemas)],
            Action::ShowPolicy => vec![Effect::Focus(Pane::Policy)],
            Action::ShowKeys => vec![Effect::Focus(Pane::Keys)],
            Action::Ingest => vec![Effect::Open(Modal::Prompt(Box::new(Prompt::ingest())))],
            Action::NewRun => match NewRunForm::open(&self.ws) {
                Ok(mut form) => {
                    if let Some(doc) = &self.last_ingested {
                        form.select_document(doc);
                    }
                    let mut fx = form.refresh();
                    fx.insert(0, Effect::Open(Modal::NewRun(Box::new(form))));
                    fx
                }
                Err(e) => vec![Effect::Error(e)],
            },
            Action::StartWorker => match self.target_run() {
                Some(id) => vec![self.workers.start(self.spawner.as_ref(), &self.ws, &id)],
                None => Vec::new(),
            },
            Action::CancelRun | Action::ResumeRun => {
                let Some(run_id) = self.target_run() else {
                    return Vec::new();
                };
                let cancel = matches!(action, Action::CancelRun);
                if cancel {
                    self.workers.stop(&run_id);
                }
                vec![Effect::Job(
                    Job::Transition { run_id, cancel },
                    Reply::Status,
                )]
            }
            Action::Export => match self.target() {
                Some(run) => vec![Effect::Open(Modal::Prompt(Box::new(Prompt::export(run))))],
                None => vec![Effect::Error("no run to export".into())],
            },
            action => {
                let (ws, user) = (self.ws.clone(), self.user.clone());
                let ctx = Ctx {
                    ws: &ws,
                    user: &user,
                    page: self.grid.height,
                };
                self.focused_mut().update(action, &ctx)
            }
        }
    }

    /// The pane with the focus: the one place a pane is looked up by its tab.
    pub fn focused(&self) -> &dyn Component {
        match self.pane {
            Pane::Runs => &self.runs,
            Pane::Grid => &self.grid,
            Pane::Schemas => &self.schemas,
            Pane::Policy => &self.policy,
            Pane::Keys => &self.keys,
        }
    }

    fn focused_mut(&mut self) -> &mut dyn Component {
        match self.pane {
            Pane::Runs => &mut self.runs,
            Pane::Grid => &mut self.grid,
            Pane::Schemas => &mut self.schemas,
            Pane::Policy => &mut self.policy,
            Pane::Keys => &mut self.keys,
        }
    }

    /// The run an app-wide action applies to: the Runs cursor in the Runs pane, else the grid's.
    fn target(&self) -> Option<&crate::model::Run> {
        match self.pane {
            Pane::Runs => self.runs.current(),
            _ => self.grid.run.as_ref(),
        }
    }

    fn target_run(&self) -> Option<String> {
        self.target().map(|r| r.run_id.clone())
    }

    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Info(msg) => self.message = Some((msg, false)),
                Effect::Error(msg) => self.error(msg),
                Effect::Focus(pane) => self.pane = pane,
                Effect::Open(modal) => self.modal = modal,
                Effect::Close => self.modal = Modal::None,
                Effect::OpenRun(id) => self.open_run(&id),
                Effect::Job(job, reply) => {
                    let done = self.jobs.start(self.spawner.as_ref(), &self.ws, job, reply);
                    if let Some(done) = done {
                        self.update(done);
                    }
                }
                Effect::Stale => self.stale = true,
                Effect::SchemasChanged(select) => self.reload_schemas(select.as_deref()),
            }
        }
    }

    fn error(&mut self, msg: impl std::fmt::Display) {
        let msg = msg.to_string();
        tracing::warn!("{msg}");
        self.message = Some((msg, true));
    }

    /// Re-read the schema list after a save or delete, and put the cursor on `select`.
    fn reload_schemas(&mut self, select: Option<&str>) {
        match self.ws.list_schemas() {
            Ok(list) => {
                self.schemas.set_schemas(list);
                if let Some(id) = select {
                    self.schemas.select(id);
                }
            }
            Err(e) => self.error(e),
        }
    }

    fn apply_snapshot(&mut self, s: Snapshot) {
        self.schemas.set_usage(&s.runs);
        self.runs.set_runs(s.runs);
        self.read_holders();
        self.schemas.set_schemas(s.schemas);
        self.policy.set(s.policy, s.audit, s.is_admin);
        self.keys.set(s.keys);
        let fx = self.grid.refresh(&self.ws);
        self.apply(fx);
    }

    /// Re-read the run list and the grid window when background events changed them.
    fn flush_now(&mut self) {
        if !std::mem::take(&mut self.stale) {
            return;
        }
        if let Ok(runs) = self.ws.list_runs() {
            self.schemas.set_usage(&runs);
            self.runs.set_runs(runs);
        }
        self.read_holders();
        if let Modal::Calls(log) = &mut self.modal {
            log.reload(&self.ws);
        }
        let fx = self.grid.refresh(&self.ws);
        self.apply(fx);
    }

    /// Which runs a worker of another process holds (shown as their state in the Runs pane).
    fn read_holders(&mut self) {
        if let Ok(held) = self.ws.run_holders() {
            self.runs.holders = held.into_iter().map(|(id, h)| (id, h.describe())).collect();
        }
    }

    fn open_run(&mut self, run_id: &str) {
        match self.ws.get_run(run_id) {
            Ok(Some(run)) => {
                self.runs.select(run_id);
                if let Err(e) = self.grid.open(&self.ws, run) {
                    self.error(e);
                }
            }
            Ok(None) => self.error(format!("run {run_id} does not exist")),
            Err(e) => self.error(e),
        }
    }

    /// A run was created (by the new-run form's job): list it, show it, close the form.
    fn created(&mut self, run: crate::model::Run) {
        if matches!(self.modal, Modal::NewRun(_)) {
            self.modal = Modal::None;
        }
        let demo = if run.model_config.is_demo() {
            " — offline DEMO output"
        } else {
            ""
        };
        self.message = Some((
            format!(
                "created run {} ({} blocks, schema {}, {}:{}{demo}); s starts the worker",
                run.run_id,
                run.counters.total,
                run.schema_ref,
                run.model_config.provider,
                run.model_config.model
            ),
            false,
        ));
        if let Ok(runs) = self.ws.list_runs() {
            self.schemas.set_usage(&runs);
            self.runs.set_runs(runs);
        }
        self.open_run(&run.run_id);
    }

    /// A job reported back: show its outcome where it belongs, then refresh what it changed.
    fn on_job_done(&mut self, done: JobDone) {
        self.jobs.finished(done.id);
        let to_prompt =
            done.reply == Reply::Prompt && matches!(&self.modal, Modal::Prompt(p) if p.busy);
        let ok = done.result.is_ok();
        match done.result {
            Ok(Output::Snapshot(s)) => {
                self.apply_snapshot(*s);
                if done.kind == (JobKind::Reload { announce: true }) {
                    self.message = Some(("reloaded".into(), false));
                }
            }
            Ok(Output::Message(msg)) => {
                if to_prompt {
                    self.modal = Modal::None;
                }
                self.message = Some((msg, false));
            }
            Ok(Output::Estimate { ask, result }) => {
                if let Modal::NewRun(form) = &mut self.modal {
                    form.preview_done(ask, result);
                }
            }
            Ok(Output::Created(run)) => self.created(*run),
            Ok(Output::Ingested { conv_uid, message }) => {
                if to_prompt {
                    self.modal = Modal::None;
                }
                self.last_ingested = Some(conv_uid);
                self.message = Some((format!("{message} · n makes a run of it"), false));
            }
            Err(reason) => match &mut self.modal {
                Modal::Prompt(p) if to_prompt => p.job_refused(reason),
                Modal::NewRun(form) if done.kind == JobKind::CreateRun => {
                    form.create_refused(reason)
                }
                _ => self.error(reason),
            },
        }
        match done.kind {
            JobKind::Confirm | JobKind::Reject => {
                if ok {
                    self.grid.selected.clear();
                }
                self.stale = true;
            }
            JobKind::Discard | JobKind::Transition | JobKind::RetryFailed => self.stale = true,
            JobKind::Edit => self.stale |= ok,
            JobKind::SetPolicy | JobKind::Keys | JobKind::Ingest if ok => {
                self.apply(vec![Effect::Job(
                    Job::Reload { announce: false },
                    Reply::Status,
                )]);
            }
            _ => {}
        }
        self.flush_now();
    }
}
