//! The application state and the one place it changes: [`App::update`]. An action goes to the
//! top modal, else to the app-wide actions, else to the focused pane; what they return
//! ([`Effect`](super::kit::Effect)s) is executed in `apply.rs`. Writes and long reads run as
//! jobs off the UI task and come back as [`Action::JobDone`]. Key routing is `route.rs`.

mod apply;
mod route;
pub mod watch;
pub(crate) mod workers;

use std::path::PathBuf;

use super::jobs::Jobs;
use super::kit::{
    Action, Component, Keymap, MessageLog, Modal, Pane, Snapshot, Spawner, Theme, UndoEntry,
};
use super::panes::grid::GridPane;
use super::panes::keys::KeysPane;
use super::panes::library::LibraryPane;
use super::panes::policy::PolicyPane;
use super::panes::runs::RunsPane;
use super::panes::schemas::SchemasPane;
use crate::workspace::Workspace;
use workers::Workers;

pub struct App {
    ws: Workspace,
    keymap: Keymap,
    theme: Theme,
    pane: Pane,
    /// Open dialogs, bottom first: the last one has the keys and is drawn on top.
    modals: Vec<Box<dyn Modal>>,
    runs: RunsPane,
    grid: GridPane,
    schemas: SchemasPane,
    policy: PolicyPane,
    keys: KeysPane,
    library: LibraryPane,
    /// The session's messages; the status bar shows the last.
    messages: MessageLog,
    quit: bool,
    user: String,
    workers: Workers,
    /// Background jobs in flight.
    jobs: Jobs,
    /// Where background work runs; without one, jobs run inline (headless tests).
    spawner: Option<Spawner>,
    /// Review actions of this session, newest last: what `u` undoes.
    undo: Vec<UndoEntry>,
    /// Worker events arrived since the last flush.
    stale: bool,
    /// The terminal's (columns, rows), to map mouse clicks onto the layout.
    size: (u16, u16),
    /// The document ingested last in this session: the new-run form starts on it.
    last_ingested: Option<String>,
    /// Reading the groups' members after the first frame failed (not tried on every key).
    members_failed: bool,
}

impl App {
    pub fn new(ws: Workspace, keymap: Keymap, theme: Theme) -> App {
        let mut app = App {
            user: ws.user().to_string(),
            ws,
            keymap,
            theme,
            pane: Pane::Runs,
            modals: Vec::new(),
            runs: RunsPane::default(),
            grid: GridPane::default(),
            schemas: SchemasPane::default(),
            policy: PolicyPane::default(),
            keys: KeysPane::default(),
            library: LibraryPane::default(),
            messages: MessageLog::default(),
            quit: false,
            workers: Workers::default(),
            jobs: Jobs::default(),
            spawner: None,
            undo: Vec::new(),
            stale: false,
            size: (0, 0),
            last_ingested: None,
            members_failed: false,
        };
        // The first frame needs the lists: read them here, before any runtime exists (a
        // group's members after the first frame: `App::list_members`).
        match Snapshot::launch(&app.ws) {
            Ok(s) => app.apply_snapshot(s),
            Err(e) => app.error(format!("cannot read the store: {e}")),
        }
        if let Some(id) = app.runs.current().map(|r| r.run_id.clone()) {
            app.open_run(&id);
        } else if let Some(id) = app.runs.current_group().map(|g| g.group.group_id.clone()) {
            app.open_group(&id);
        }
        app
    }

    /// Run background work (jobs, workers) on this runtime, reporting on its channel.
    pub fn with_spawner(mut self, spawner: Spawner) -> App {
        self.spawner = Some(spawner);
        self
    }

    pub fn ws(&self) -> &Workspace {
        &self.ws
    }

    /// Close without asking (`keep_workers`: hand the workers over, as quit's `k`).
    pub fn apply_quit(&mut self, keep_workers: bool) {
        self.apply(vec![crate::tui::kit::Effect::Quit { keep_workers }]);
    }

    pub fn workspace(&self) -> PathBuf {
        self.ws.path().to_path_buf()
    }

    /// Whether the run on screen (grid, else the Runs cursor) uses the demo provider.
    pub fn showing_demo(&self) -> bool {
        let demo = |r: &crate::model::Run| r.model_config.is_demo();
        if let (Pane::Runs, Some(row)) = (self.pane, self.runs.current_group()) {
            // A group's members share one model config: a member the grid or the list read.
            let group_id = &row.group.group_id;
            let in_grid = self
                .grid
                .run
                .as_ref()
                .filter(|_| self.grid.shows_group(group_id));
            let listed = row.members.first().map(|&i| self.runs.runs[i].run());
            return in_grid.or(listed).is_some_and(demo);
        }
        self.target().is_some_and(demo)
    }

    /// Nothing in the background still needs the process (workers and jobs all reported).
    pub fn idle(&self) -> bool {
        self.workers.is_empty() && self.jobs.is_empty()
    }

    /// Whether the Runs list holds the groups' member runs (see `App::list_members`).
    pub fn members_listed(&self) -> bool {
        self.runs.members_listed
    }

    /// Whether the members are still to be read after the first frame.
    pub fn members_pending(&self) -> bool {
        !self.runs.members_listed && !self.members_failed
    }

    /// The user asked to quit.
    pub fn quitting(&self) -> bool {
        self.quit
    }

    /// Apply what background events changed (the event loop sends [`Action::Flush`]).
    pub fn flush(&mut self) {
        self.update(Action::Flush);
    }

    /// The pane with the focus: the one place a pane is looked up by its tab.
    pub fn focused(&self) -> &dyn Component {
        match self.pane {
            Pane::Runs => &self.runs,
            Pane::Grid => &self.grid,
            Pane::Schemas => &self.schemas,
            Pane::Policy => &self.policy,
            Pane::Keys => &self.keys,
            Pane::Library => &self.library,
        }
    }

    fn focused_mut(&mut self) -> &mut dyn Component {
        match self.pane {
            Pane::Runs => &mut self.runs,
            Pane::Grid => &mut self.grid,
            Pane::Schemas => &mut self.schemas,
            Pane::Policy => &mut self.policy,
            Pane::Keys => &mut self.keys,
            Pane::Library => &mut self.library,
        }
    }

    /// The run an app-wide action applies to: the Runs cursor in the Runs pane, else the grid's.
    fn target(&self) -> Option<&crate::model::Run> {
        match self.pane {
            Pane::Runs => self.runs.current(),
            _ => self.grid.run.as_ref(),
        }
    }

    /// The run group an app-wide action applies to: the group row under the Runs cursor, or
    /// the group open in the grid.
    fn target_group(&self) -> Option<crate::model::RunGroup> {
        match self.pane {
            Pane::Runs => self.runs.current_group().map(|g| (*g.group).clone()),
            Pane::Grid => self.grid.group.as_ref().map(|g| (*g.group).clone()),
            _ => None,
        }
    }

    fn target_run(&self) -> Option<String> {
        self.target().map(|r| r.run_id.clone())
    }
}

/// Read-only views of the state, for the frame and for tests (which change it only through
/// [`App::update`], [`App::handle_key`] and [`App::handle_mouse`]).
impl App {
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The focused tab.
    pub fn pane(&self) -> Pane {
        self.pane
    }

    /// The last status-bar message and whether it is an error.
    pub fn message(&self) -> Option<&(String, bool)> {
        self.messages.last()
    }

    /// The open modals, bottom first (the frame draws them in this order).
    pub fn modals(&self) -> impl Iterator<Item = &dyn Modal> {
        self.modals.iter().map(|m| m.as_ref())
    }

    /// The modal with the keys, if one is open.
    pub fn top_modal(&self) -> Option<&dyn Modal> {
        self.modals.last().map(|m| m.as_ref())
    }

    pub fn modal_open(&self) -> bool {
        !self.modals.is_empty()
    }

    /// The top modal if it is a `T` (a prompt, the studio, ...).
    pub fn modal<T: 'static>(&self) -> Option<&T> {
        self.top_modal()?.as_any().downcast_ref::<T>()
    }

    pub fn runs(&self) -> &RunsPane {
        &self.runs
    }

    pub fn grid(&self) -> &GridPane {
        &self.grid
    }

    pub fn schemas(&self) -> &SchemasPane {
        &self.schemas
    }

    pub fn policy(&self) -> &PolicyPane {
        &self.policy
    }

    pub fn keys(&self) -> &KeysPane {
        &self.keys
    }

    pub fn library(&self) -> &LibraryPane {
        &self.library
    }

    pub fn workers(&self) -> &Workers {
        &self.workers
    }

    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }
}
