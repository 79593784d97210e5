//! Background workers seen from the UI: starting one, stopping them, cancel/resume, and the
//! events they send back.

use super::action::Action;
use super::app::App;
use crate::model::RunStatus;
use crate::workspace::{RunEnd, Session, SessionOptions, WorkerEvent};

impl App {
    pub(super) fn on_worker_event(&mut self, ev: WorkerEvent) {
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
            WorkerEvent::CallFinished(_) | WorkerEvent::InFlight { .. } => {}
            WorkerEvent::Notice { run_id, message } => self.info(format!("{run_id}: {message}")),
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

    /// A background worker finished: say how, and show what it changed.
    pub(super) fn on_worker_ended(&mut self, run_id: String, result: Result<RunEnd, String>) {
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

    pub(super) fn transition(&mut self, cancel: bool) {
        let Some(id) = self.target_run() else {
            return;
        };
        let result = if cancel {
            if let Some(stop) = self.workers.get(&id) {
                let _ = stop.send(true);
            }
            self.ws.cancel_run(&id)
        } else {
            self.ws.resume_run(&id)
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
        let run = match self.ws.get_run(run_id) {
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
        let session =
            match self
                .ws
                .start_session(&spawner.handle, run_id, SessionOptions::default())
            {
                Ok(s) => s,
                Err(e) => {
                    return self.error(format!("cannot connect {}: {e}", run.model_config.provider))
                }
            };
        let Session {
            mut events,
            stop,
            done,
            ..
        } = session;
        let id = run_id.to_string();
        let tx = spawner.tx.clone();
        spawner.handle.spawn(async move {
            let fwd_tx = tx.clone();
            let forward = tokio::spawn(async move {
                while let Some(ev) = events.recv().await {
                    if fwd_tx.send(Action::Worker(ev)).await.is_err() {
                        break;
                    }
                }
            });
            let result = match done.await {
                Ok(end) => end.map_err(|e| e.to_string()),
                Err(e) => Err(format!("worker task failed: {e}")),
            };
            let _ = forward.await;
            let _ = tx.send(Action::WorkerEnded { run_id: id, result }).await;
        });
        self.workers.insert(run_id.to_string(), stop);
        self.info(format!(
            "worker started on {run_id}{}",
            if run.model_config.is_demo() {
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
