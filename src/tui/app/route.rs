//! Where keys, clicks and actions go: the top modal, else the focused pane, else the app-wide
//! bindings (as yazi's router does). The modal says how it takes keys ([`KeyMode`]); nothing
//! here knows one modal from another.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::App;
use crate::tui::kit::draw::areas;
use crate::tui::kit::tab::tab_at;
use crate::tui::kit::Pane;
use crate::tui::kit::{nav_delta, Action, Ctx, Effect, Job, KeyContext, KeyMode, Modal, Reply};
use crate::tui::modals::{Help, Messages, NewRunForm, Prompt, QuitAsk};

/// Rows one wheel notch moves.
const WHEEL: usize = 3;

impl App {
    /// The keymap context for the current mode: the top modal's, else the focused pane's.
    pub fn context(&self) -> KeyContext {
        self.top_modal()
            .and_then(|m| m.context())
            .unwrap_or(self.pane.context())
    }

    /// Translate a key into an action (releases are dropped; text prompts take other keys).
    pub fn key_action(&self, key: &KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let bound = self.keymap.lookup(self.context(), key);
        match self.top_modal() {
            Some(modal) => self.modal_key(modal, key, bound),
            None => bound,
        }
    }

    /// What a key means to the top modal, by its key mode.
    fn modal_key(
        &self,
        modal: &dyn Modal,
        key: &KeyEvent,
        bound: Option<Action>,
    ) -> Option<Action> {
        let typed = || Some(Action::Input((*key).into()));
        let global = || self.keymap.lookup(KeyContext::Global, key);
        match modal.key_mode() {
            KeyMode::Bound => bound,
            KeyMode::Text => bound.or_else(typed),
            // A JSON editor types Enter as a new line; ctrl-s saves (as in the schema studio).
            KeyMode::Lines => match key.code {
                KeyCode::Enter => typed(),
                KeyCode::Char('s') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    Some(Action::Submit)
                }
                _ => bound.or_else(typed),
            },
            KeyMode::Raw => bound.or(Some(Action::Input(match key.code {
                KeyCode::BackTab => tui_textarea::Input {
                    key: tui_textarea::Key::Tab,
                    shift: true,
                    ..Default::default()
                },
                _ => (*key).into(),
            }))),
            KeyMode::Picker { typed: false } => bound.or_else(global),
            KeyMode::Picker { typed: true } => bound.or_else(global).or_else(typed),
            // Quit and the navigation keys act; any other key closes (ToggleHelp closes it).
            KeyMode::Dismiss => match bound {
                Some(Action::Quit) => Some(Action::Quit),
                Some(a) if nav_delta(&a, 1).is_some() => Some(a),
                _ => Some(Action::ToggleHelp),
            },
        }
    }

    /// Look a key up and apply it.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if let Some(action) = self.key_action(&key) {
            self.update(action);
        }
    }

    /// Wheel scrolls what has the focus (the top dialog, else the pane); a left click on a tab
    /// switches pane, on a list row selects it.
    pub fn handle_mouse(&mut self, m: MouseEvent) {
        self.list_members();
        let (w, h) = self.size;
        let [top, main, _, _] = areas(Rect::new(0, 0, w, h));
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
        let at = Position::new(m.column, m.row);
        let fx = if m.row == top.y && self.modals.is_empty() {
            tab_at(m.column).map(Effect::Focus).into_iter().collect()
        } else if main.contains(at) {
            match self.modals.last_mut() {
                Some(modal) => modal.click(main, at),
                None => self.focused_mut().click(main, at),
            }
        } else {
            Vec::new()
        };
        self.apply(fx);
    }

    /// The only place state changes.
    pub fn update(&mut self, action: Action) {
        // The first frame may stand on the groups' tallies; anything past a resize or showing
        // a group reads the members first (once).
        let first_frame = match &action {
            Action::Resize(..) => true,
            Action::ShowRun(id) => id.starts_with("grp_"),
            _ => false,
        };
        if !first_frame {
            self.list_members();
        }
        let effects = match action {
            Action::Quit => self.ask_to_quit(),
            Action::Resize(cols, rows) => {
                self.size = (cols, rows);
                self.grid.resize(rows, &self.ws)
            }
            Action::Worker(ev) => super::workers::on_event(ev, &mut self.runs),
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
                    self.apply(vec![reload(false)]);
                }
                return self.flush_now();
            }
            Action::Refresh => vec![reload(true)],
            Action::ShowRun(id) => vec![Effect::OpenRun(id), Effect::Focus(Pane::Grid)],
            Action::StartWorkerOn(id) => {
                vec![self.workers.start(self.spawner.as_ref(), &self.ws, &id)]
            }
            Action::Shutdown => {
                self.workers.stop_all();
                Vec::new()
            }
            action => self.route(action),
        };
        self.apply(effects);
    }

    /// A user action: the top modal takes it, else the app-wide ones, else the focused pane.
    fn route(&mut self, action: Action) -> Vec<Effect> {
        let ctx = Ctx {
            ws: &self.ws,
            user: &self.user,
            page: self.grid.height,
        };
        if let Some(modal) = self.modals.last_mut() {
            return modal.update(action, &ctx);
        }
        if let Some(fx) = self.app_wide(&action) {
            return fx;
        }
        let (ws, user) = (self.ws.clone(), self.user.clone());
        let ctx = Ctx {
            ws: &ws,
            user: &user,
            page: self.grid.height,
        };
        self.focused_mut().update(action, &ctx)
    }

    /// The actions that mean the same in every pane (`None`: the focused pane's business).
    fn app_wide(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let focus = |pane| vec![Effect::Focus(pane)];
        Some(match action {
            Action::ToggleHelp => vec![Effect::Open(Box::new(Help::default()))],
            Action::MessageLog => {
                let entries = self.messages.entries().cloned().collect();
                vec![Effect::Open(Box::new(Messages::new(entries)))]
            }
            Action::NextPane => focus(self.pane.cycle(1)),
            Action::PrevPane => focus(self.pane.cycle(-1)),
            Action::ShowRuns => focus(Pane::Runs),
            Action::ShowGrid => focus(Pane::Grid),
            Action::ShowSchemas => focus(Pane::Schemas),
            Action::ShowPolicy => focus(Pane::Policy),
            Action::ShowKeys => focus(Pane::Keys),
            Action::ShowLibrary => focus(Pane::Library),
            Action::Ingest => vec![Effect::Open(Box::new(Prompt::ingest()))],
            Action::NewRun => self.new_run_form(),
            Action::StartWorker => match (self.target_group(), self.target_run()) {
                (Some(g), _) => vec![self
                    .workers
                    .start_group(self.spawner.as_ref(), &self.ws, &g)],
                (None, Some(id)) => vec![self.workers.start(self.spawner.as_ref(), &self.ws, &id)],
                (None, None) => Vec::new(),
            },
            Action::StartBatch => match self.target_run() {
                Some(id) => {
                    vec![self
                        .workers
                        .start_with(self.spawner.as_ref(), &self.ws, &id, true)]
                }
                None => Vec::new(),
            },
            Action::CancelRun => self.transition(true),
            Action::ResumeRun => self.transition(false),
            Action::Undo => match self.undo.pop() {
                Some(entry) => vec![Effect::Job(Job::Undo(entry), Reply::Status)],
                None => vec![Effect::Info(
                    "nothing to undo: no review action since the TUI opened".into(),
                )],
            },
            Action::Export if self.target_group().is_some() => vec![Effect::Info(
                "export a group from the command line: `blockwise export GROUP -o FILE` \
                 (one file in project order)"
                    .into(),
            )],
            Action::Export => match self.target() {
                Some(run) => vec![Effect::Open(Box::new(Prompt::export(run)))],
                None => vec![Effect::Error("no run to export".into())],
            },
            _ => return None,
        })
    }

    fn new_run_form(&self) -> Vec<Effect> {
        let lib = (self.pane == Pane::Library).then_some(&self.library);
        let form = match lib.and_then(|l| l.current_project()) {
            Some(p) => {
                let r = &p.project.project_ref;
                NewRunForm::for_project(&self.ws, (r, p.members.len(), p.blocks as u32))
            }
            None => NewRunForm::open(&self.ws),
        };
        match form {
            Ok(mut form) => {
                let doc = lib.and_then(|l| l.current_doc()).map(|d| &d.doc.conv_uid);
                if let Some(doc) = doc.or(self.last_ingested.as_ref()) {
                    form.select_document(doc);
                }
                let mut fx = form.refresh();
                fx.insert(0, Effect::Open(Box::new(form)));
                fx
            }
            Err(e) => vec![Effect::Error(e)],
        }
    }

    /// Cancel (`cancel`) or resume the target run.
    fn transition(&mut self, cancel: bool) -> Vec<Effect> {
        let group = self.target_group().map(|g| g.group_id);
        let is_group = group.is_some();
        let Some(run_id) = group.or_else(|| self.target_run()) else {
            return Vec::new();
        };
        // A single run: `r` resumes and starts its worker. A group row resumes every member in
        // one transaction (the job below); `s` then starts the group's worker.
        if !cancel && !is_group {
            return self.resume_and_start(&run_id);
        }
        if cancel {
            self.workers.stop(&run_id);
        }
        vec![Effect::Job(
            Job::Transition { run_id, cancel },
            Reply::Status,
        )]
    }
}

impl App {
    /// `q` with a worker of this window running asks first (stop it, or keep it running in
    /// the background); `q` again in that question stops it and quits.
    fn ask_to_quit(&mut self) -> Vec<Effect> {
        let asking = self
            .modals
            .last()
            .is_some_and(|m| m.as_any().is::<QuitAsk>());
        if self.workers.is_empty() || asking {
            return vec![Effect::Quit {
                keep_workers: false,
            }];
        }
        vec![Effect::Open(Box::new(QuitAsk::new(self.workers.ids())))]
    }

    /// `r`: a paused or cancelled run back to `running`, and the worker started on it (as `s`
    /// would), so "resumed" never leaves an idle run behind.
    fn resume_and_start(&mut self, run_id: &str) -> Vec<Effect> {
        let resumable = matches!(
            self.ws.get_run(run_id),
            Ok(Some(r)) if matches!(r.status, crate::model::RunStatus::Paused | crate::model::RunStatus::Cancelled)
        );
        if resumable {
            if let Err(e) = self.ws.resume_run(run_id) {
                return vec![Effect::Error(format!("cannot resume {run_id}: {e}"))];
            }
        }
        vec![
            Effect::Stale,
            self.workers.start(self.spawner.as_ref(), &self.ws, run_id),
        ]
    }
}

/// Re-read runs, schemas and policy in the background (`announce`: say "reloaded").
pub(super) fn reload(announce: bool) -> Effect {
    Effect::Job(Job::Reload { announce }, Reply::Status)
}
