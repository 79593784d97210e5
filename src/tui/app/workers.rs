//! Background worker sessions seen from the UI: starting one, the stop switches, and what their
//! events mean for the screen. Events arrive as actions; nothing here waits on the network.

use std::collections::HashMap;

use tokio::sync::watch;

use crate::model::{RunGroup, RunStatus};
use crate::tui::kit::{Action, Effect, Spawner};
use crate::tui::panes::runs::RunsPane;
use crate::workspace::{
    self, RunEnd, Session, SessionOptions, WorkerError, WorkerEvent, Workspace,
};

/// Runs with a background worker, and the switch that stops each.
#[derive(Default)]
pub struct Workers {
    stops: HashMap<String, watch::Sender<bool>>,
}

impl Workers {
    pub fn len(&self) -> usize {
        self.stops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stops.is_empty()
    }

    pub fn contains(&self, run_id: &str) -> bool {
        self.stops.contains_key(run_id)
    }

    pub fn ids(&self) -> Vec<String> {
        self.stops.keys().cloned().collect()
    }

    /// Ask the worker on `run_id` to stop (its claims are released by the engine).
    pub fn stop(&self, run_id: &str) {
        if let Some(stop) = self.stops.get(run_id) {
            let _ = stop.send(true);
        }
    }

    pub fn stop_all(&self) {
        for stop in self.stops.values() {
            let _ = stop.send(true);
        }
    }

    /// Start the worker on `run_id` as a background task; its events come back as actions.
    pub fn start(&mut self, spawner: Option<&Spawner>, ws: &Workspace, run_id: &str) -> Effect {
        self.start_with(spawner, ws, run_id, false)
    }

    /// [`Workers::start`], through the provider's batch API when `batch` (a run with open
    /// batches resumes them either way).
    pub fn start_with(
        &mut self,
        spawner: Option<&Spawner>,
        ws: &Workspace,
        run_id: &str,
        batch: bool,
    ) -> Effect {
        if self.contains(run_id) {
            return Effect::Info(format!("the worker is already running on {run_id}"));
        }
        let Some(spawner) = spawner else {
            return Effect::Error("no background runtime: the worker cannot start here".into());
        };
        let run = match ws.get_run(run_id) {
            Ok(Some(r)) => r,
            Ok(None) => return Effect::Error(format!("run {run_id} does not exist")),
            Err(e) => return Effect::Error(e.to_string()),
        };
        match run.status {
            RunStatus::Running => {}
            RunStatus::Complete => {
                return Effect::Info(format!("run {run_id} is complete: nothing left to do"))
            }
            RunStatus::Paused | RunStatus::Cancelled => {
                return Effect::Error(format!(
                    "run {run_id} is {}: press r to resume it first",
                    run.status.as_str()
                ))
            }
        }
        let opts = SessionOptions {
            batch,
            ..SessionOptions::default()
        };
        let session = match ws.start_session(&spawner.handle, run_id, opts) {
            Ok(s) => s,
            Err(workspace::Error::Worker(WorkerError::Refused(why))) => return Effect::Error(why),
            Err(e) => {
                return Effect::Error(format!("cannot connect {}: {e}", run.model_config.provider))
            }
        };
        self.spawn(spawner, session, run_id);
        Effect::Info(format!(
            "{}worker started on {run_id}{}",
            if batch { "batch " } else { "" },
            if run.model_config.is_demo() {
                " (offline DEMO provider)"
            } else {
                ""
            }
        ))
    }

    /// Start one worker over every member of `group` (one pool; packs may mix documents).
    pub fn start_group(
        &mut self,
        spawner: Option<&Spawner>,
        ws: &Workspace,
        group: &RunGroup,
    ) -> Effect {
        let id = &group.group_id;
        if self.contains(id) {
            return Effect::Info(format!("the worker is already running on {id}"));
        }
        let Some(spawner) = spawner else {
            return Effect::Error("no background runtime: the worker cannot start here".into());
        };
        let session =
            match ws.start_group_session(&spawner.handle, group, SessionOptions::default()) {
                Ok(s) => s,
                Err(workspace::Error::Worker(WorkerError::Refused(why))) => {
                    return Effect::Error(why)
                }
                Err(e) => return Effect::Error(format!("cannot start the worker on {id}: {e}")),
            };
        let demo = session.run.model_config.is_demo();
        self.spawn(spawner, session, id);
        Effect::Info(format!(
            "worker started on group {id} ({} runs){}",
            group.run_ids.len(),
            if demo { " (offline DEMO provider)" } else { "" }
        ))
    }

    /// Forward a session's events as actions and report its end as `WorkerEnded { id }`.
    fn spawn(&mut self, spawner: &Spawner, session: Session, id: &str) {
        let Session {
            mut events,
            stop,
            done,
            ..
        } = session;
        let key = id.to_string();
        let id = id.to_string();
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
        self.stops.insert(key, stop);
    }

    /// A session ended: forget its switch and say how it ended.
    pub fn ended(&mut self, run_id: &str, result: Result<RunEnd, String>) -> Vec<Effect> {
        self.stops.remove(run_id);
        let say = match result {
            Ok(RunEnd::Complete) => Effect::Info(format!("run {run_id} complete")),
            Ok(RunEnd::Paused(reason)) => {
                Effect::Error(format!("run {run_id} paused: {reason}; r resumes"))
            }
            Ok(RunEnd::Cancelled) => Effect::Info(format!("run {run_id} cancelled")),
            Ok(RunEnd::Interrupted) => Effect::Info(format!("worker for {run_id} stopped")),
            Ok(RunEnd::Busy(msg)) => Effect::Info(format!("run {run_id}: {msg}")),
            Err(e) => Effect::Error(format!("worker for {run_id} failed: {e}")),
        };
        vec![say, Effect::Stale]
    }
}

/// A worker event: progress goes straight into the Runs list; the grid re-reads once per batch.
pub fn on_event(ev: WorkerEvent, runs: &mut RunsPane) -> Vec<Effect> {
    match ev {
        WorkerEvent::Progress {
            run_id,
            counters,
            usage,
        } => {
            runs.progress(&run_id, counters, usage);
            vec![Effect::Stale]
        }
        WorkerEvent::CallFinished(call) if call.outcome.is_error() => {
            let problem = format!(
                "call #{} {}: {}",
                call.seq,
                call.outcome,
                call.detail.as_deref().unwrap_or("no detail")
            );
            runs.reasons.insert(call.run_id.clone(), problem);
            Vec::new()
        }
        WorkerEvent::CallFinished(_) | WorkerEvent::InFlight { .. } => Vec::new(),
        WorkerEvent::Notice { run_id, message } => {
            vec![Effect::Info(format!("{run_id}: {message}"))]
        }
        WorkerEvent::Warning { run_id, message } => {
            runs.reasons.insert(run_id.clone(), message.clone());
            vec![Effect::Error(format!("{run_id}: {message}"))]
        }
        WorkerEvent::Paused { run_id, reason } => {
            runs.paused(&run_id, &reason);
            vec![
                Effect::Error(format!("run {run_id} paused: {reason}")),
                Effect::Stale,
            ]
        }
        WorkerEvent::Complete { .. } | WorkerEvent::Cancelled { .. } => vec![Effect::Stale],
    }
}
