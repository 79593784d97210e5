//! The one executor: [`App::apply`] runs the effects components return, and finished jobs come
//! back here to show their outcome and refresh what they changed.

use super::route::reload;
use super::App;
use crate::tui::kit::{Effect, JobDone, JobFate, JobKind, Output, Reply, Snapshot};
use crate::tui::panes::grid::Members;

impl App {
    pub(super) fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Info(msg) => self.messages.push((msg, false)),
                Effect::Error(msg) => self.error(msg),
                Effect::Focus(pane) => {
                    self.pane = pane;
                    if pane == crate::tui::kit::Pane::Library {
                        self.load_library();
                    }
                }
                Effect::Open(modal) => self.modals.push(modal),
                Effect::Replace(modal) => {
                    self.modals.pop();
                    self.modals.push(modal);
                }
                Effect::Close => {
                    self.modals.pop();
                }
                Effect::OpenRun(id) => self.open_run(&id),
                Effect::OpenGroup(id) => self.open_group(&id),
                Effect::GoTo(index) => {
                    let fx = self.grid.goto(index, &self.ws);
                    self.apply(fx);
                }
                Effect::Job(job, reply) => {
                    let done = self.jobs.start(self.spawner.as_ref(), &self.ws, job, reply);
                    if let Some(done) = done {
                        self.update(done);
                    }
                }
                Effect::Stale => self.stale = true,
                Effect::Against(a) => self.grid.against = a,
                Effect::SchemasChanged(select) => self.reload_schemas(select.as_deref()),
                Effect::Quit { keep_workers } => {
                    self.workers.hand_over(keep_workers);
                    self.quit = true;
                }
            }
        }
    }

    /// Re-read the Library pane's lists (shown now, or just changed).
    pub(super) fn load_library(&mut self) {
        if let Err(e) = self.library.load(&self.ws) {
            self.error(e);
        }
    }

    pub(super) fn error(&mut self, msg: impl std::fmt::Display) {
        let msg = msg.to_string();
        tracing::warn!("{msg}");
        self.messages.push((msg, true));
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

    pub(super) fn apply_snapshot(&mut self, s: Snapshot) {
        // Groups and runs at once: the rows are laid out once.
        self.runs
            .set_lists(s.groups, s.tallies, s.runs, s.members_listed);
        self.schemas.set_usage(&self.runs.runs);
        let selected = self.runs.current().cloned();
        self.runs.marks.refresh(&self.ws, selected.as_ref(), false);
        self.read_holders();
        self.schemas.set_schemas(s.schemas);
        self.policy.set(s.policy, s.audit, s.is_admin);
        self.keys.set(s.keys);
        let fx = self.grid.refresh(&self.ws);
        self.apply(fx);
    }

    /// The launch listed the runs of no group and the groups' tallies: read every head now
    /// (after the first frame; before anything acts on the lists), and give the grid of a
    /// group its members.
    pub fn list_members(&mut self) {
        if self.runs.members_listed || self.members_failed {
            return;
        }
        match self.ws.list_heads() {
            Ok(runs) => {
                self.runs.set_runs(runs);
                self.schemas.set_usage(&self.runs.runs);
            }
            Err(e) => {
                // Not again on every key: the lists stay as they are, on the tallies (a
                // reload, ctrl-r, tries again).
                self.members_failed = true;
                self.error(format!("cannot read the group members' runs: {e}"));
            }
        }
        let shown = self.grid.group.as_ref().map(|g| g.group.clone());
        if let Some(heads) = shown.and_then(|g| self.runs.members(&g)) {
            if let Some(g) = self.grid.group.as_mut() {
                g.attach(heads);
            }
        }
    }

    /// Re-read the run list and the grid window when background events changed them.
    pub(super) fn flush_now(&mut self) {
        if !std::mem::take(&mut self.stale) {
            return;
        }
        // Lazy heads: a worker's progress makes this reload often, and nothing here needs a run
        // decoded whole (the rows shown decode theirs when drawn).
        if let Ok(runs) = self.ws.list_heads() {
            // A group created elsewhere (the CLI): its members arrive first; read the groups.
            let known = |g: &str| self.runs.groups.iter().any(|r| r.group.group_id == g);
            let new_group = runs.iter().any(|r| r.group_id().is_some_and(|g| !known(g)));
            self.runs.set_runs(runs);
            self.schemas.set_usage(&self.runs.runs);
            if new_group {
                if let Ok(groups) = self.ws.list_groups() {
                    self.runs.set_groups(groups);
                }
            }
        }
        self.read_holders();
        for modal in &mut self.modals {
            modal.store_changed(&self.ws);
        }
        let fx = self.grid.refresh(&self.ws);
        self.apply(fx);
    }

    /// Which runs a worker of another process holds (shown as their state in the Runs pane).
    fn read_holders(&mut self) {
        if let Ok(held) = self.ws.run_holders() {
            self.runs.holders = held.into_iter().map(|(id, h)| (id, h.describe())).collect();
        }
        if let Ok(lines) = self.ws.batch_lines() {
            self.runs.batches = lines;
        }
    }

    pub(super) fn open_run(&mut self, run_id: &str) {
        if run_id.starts_with("grp_") {
            return self.open_group(run_id);
        }
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

    /// Show every block of group `group_id`'s members in the grid.
    pub(super) fn open_group(&mut self, group_id: &str) {
        // The listed record when the Runs pane has it: a 1,000-member group is not read twice.
        let listed = self
            .runs
            .groups
            .iter()
            .find(|g| g.group.group_id == group_id);
        let group = match listed.map(|g| Ok(Some(g.group.clone()))) {
            Some(group) => group,
            None => self.ws.resolve_run_or_group(group_id).map(|r| match r {
                crate::workspace::RunOrGroup::Group(group) => Some(std::sync::Arc::new(group)),
                _ => None,
            }),
        };
        match group {
            Ok(Some(group)) => {
                self.runs.select(&group.group_id);
                // Already shown: the grid keeps its members (a flush re-reads them).
                let shown = self.grid.shows_group(&group.group_id);
                let members = match (shown, self.runs.members(&group)) {
                    (true, _) => Members::Read,
                    (false, Some(heads)) => Members::Heads(heads),
                    (false, None) => self
                        .runs
                        .tally(&group.group_id)
                        .map_or(Members::Read, Members::Tally),
                };
                if let Err(e) = self.grid.open_group(&self.ws, group, members) {
                    self.error(e);
                }
            }
            Ok(None) => self.error(format!("run group {group_id} does not exist")),
            Err(e) => self.error(e),
        }
    }

    /// A run was created (by the new-run form's job, which closed the form): list it, show it.
    fn created(&mut self, run: crate::model::Run) {
        let demo = if run.model_config.is_demo() {
            " — offline DEMO output"
        } else {
            ""
        };
        self.messages.push((
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
        if let Ok(runs) = self.ws.list_heads() {
            self.runs.set_runs(runs);
            self.schemas.set_usage(&self.runs.runs);
        }
        self.open_run(&run.run_id);
    }

    /// A run group was created (by the form over a project): list it, show its grid.
    fn created_group(&mut self, group: crate::model::RunGroup) {
        self.messages.push((
            format!(
                "created run group {} ({} runs, schema {}, project {}); s starts the worker",
                group.group_id,
                group.run_ids.len(),
                group.schema_ref,
                group.project_ref
            ),
            false,
        ));
        match crate::tui::kit::Snapshot::read(&self.ws) {
            Ok(s) => self.apply_snapshot(s),
            Err(e) => self.error(e),
        }
        self.load_library();
        self.open_group(&group.group_id);
    }

    /// A review changed statuses: run the grid's filter again in the background.
    fn refilter(&mut self) {
        if let Some(job) = self.grid.refilter_job(&self.ws) {
            self.apply(vec![Effect::Job(job, Reply::Status)]);
        }
    }

    /// A job reported back: the top modal may take it (a prompt shows its refusal, the new-run
    /// form its preview) or close; the rest is shown here; then refresh what it changed.
    pub(super) fn on_job_done(&mut self, done: JobDone) {
        self.jobs.finished(done.id);
        let (kind, ok) = (done.kind, done.result.is_ok());
        let fate = match self.modals.last_mut() {
            Some(modal) => modal.job_done(done),
            None => JobFate::Pass(done),
        };
        match fate {
            JobFate::Taken => {}
            JobFate::Close(done) => {
                self.modals.pop();
                self.show_outcome(done);
            }
            JobFate::Pass(done) => self.show_outcome(done),
        }
        self.after_job(kind, ok);
        self.flush_now();
    }

    /// A finished job's outcome on the status bar, the grid or the lists.
    fn show_outcome(&mut self, done: JobDone) {
        match done.result {
            Ok(Output::Snapshot(s)) => {
                self.apply_snapshot(*s);
                if done.kind == (JobKind::Reload { announce: true }) {
                    self.messages.push(("reloaded".into(), false));
                }
            }
            Ok(Output::Message(msg)) => self.messages.push((msg, false)),
            Ok(Output::Found(query, hits)) => {
                let fx = self.grid.set_search(query, hits, &self.ws);
                self.apply(fx);
            }
            Ok(Output::View(filter, docs, kept, announce)) => {
                let described = match docs.len() {
                    0 => filter.describe(),
                    n => format!("{} · {n} document(s)", filter.describe()),
                };
                let fx = self.grid.set_view((filter, docs), kept, &self.ws);
                // The rows the grid now shows (every block when the filter was cleared).
                let n = self.grid.total();
                if announce {
                    self.messages
                        .push((format!("filter: {described} · {n} row(s)"), false));
                }
                self.apply(fx);
            }
            Ok(Output::Decided(msg, entry, skipped)) => {
                self.messages.push((msg, false));
                self.undo.push(*entry);
                self.grid.select_only(skipped);
            }
            Ok(Output::DecidedMany(msg, entries)) => {
                self.messages.push((msg, false));
                self.undo.extend(entries);
            }
            // A preview whose form has closed: nothing shows it any more.
            Ok(Output::Estimate { .. }) => {}
            // An assistant answer whose studio has closed: nothing was saved; the call is
            // recorded (`schema calls`).
            Ok(Output::Assist { .. }) => self.messages.push((
                "the schema assistant answered after the studio closed; nothing was saved".into(),
                false,
            )),
            Ok(Output::Created(run)) => self.created(*run),
            Ok(Output::CreatedGroup(group)) => self.created_group(*group),
            Ok(Output::Ingested { conv_uid, message }) => {
                let next = if conv_uid.is_some() {
                    " · n makes a run of it"
                } else {
                    ""
                };
                self.last_ingested = conv_uid.or(self.last_ingested.take());
                self.messages.push((format!("{message}{next}"), false));
            }
            Err(reason) => self.error(reason),
        }
    }

    /// What a finished job changed: statuses (re-read, filter again), the schema list, or the
    /// lists a reload re-reads.
    fn after_job(&mut self, kind: JobKind, ok: bool) {
        match kind {
            // The selection now holds what was skipped (a refusal keeps all of it).
            JobKind::Confirm | JobKind::Reject | JobKind::Unconfirm => {
                self.stale = true;
                self.refilter();
            }
            JobKind::Undo | JobKind::Edit | JobKind::Discard if ok => {
                self.stale = true;
                self.refilter();
            }
            JobKind::Discard | JobKind::Transition | JobKind::Undo | JobKind::RetryFailed => {
                self.stale = true
            }
            JobKind::DeleteSchema if ok => self.reload_schemas(None),
            JobKind::SetPolicy | JobKind::Keys | JobKind::Ingest if ok => {
                self.apply(vec![reload(false)]);
                self.load_library();
            }
            JobKind::Project if ok => self.load_library(),
            _ => {}
        }
    }
}
