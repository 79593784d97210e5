//! The one way to start a worker session, for `run start` and the TUI alike: connect the run's
//! provider with its key, load the user's price table, and run the engine as a task whose
//! events arrive on a channel.

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::{Error, RunEnd, WorkerError, WorkerEvent, Workspace};
use crate::model::Run;
use crate::worker::EngineOptions;

/// Events a session may queue before the worker waits for the front to read them.
pub(super) const EVENT_BUFFER: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Overrides the run's `worker.concurrency` for this session.
    pub concurrency: Option<u32>,
    /// Through the provider's batch API (SPEC §3 "Batch mode"); a run with open batches
    /// resumes them whatever this says.
    pub batch: bool,
    /// Calibrate the pack size first (`run start --calibrate`; SPEC §4a), whatever
    /// `worker.batching.calibrate` says.
    pub calibrate: bool,
}

/// A running worker session.
pub struct Session {
    /// The run as it was when the session started.
    pub run: Run,
    /// Progress, warnings and the end state, in order.
    pub events: mpsc::Receiver<WorkerEvent>,
    /// Send `true` to stop: claims are released and the run stays `running`.
    pub stop: watch::Sender<bool>,
    /// How the session ended.
    pub done: JoinHandle<Result<RunEnd, WorkerError>>,
}

impl Workspace {
    /// Start the worker on `run_id` as a task on `runtime`.
    pub fn start_session(
        &self,
        runtime: &Handle,
        run_id: &str,
        opts: SessionOptions,
    ) -> Result<Session, Error> {
        let run = self
            .store
            .get_run(run_id)?
            .ok_or_else(|| WorkerError::Refused(format!("run {run_id} does not exist")))?;
        // Refuse at once, with who holds it, rather than from inside the spawned engine.
        let me = crate::worker::worker_id();
        if let Some(h) = crate::worker::holding::other_holder(&self.store, run_id, &me)? {
            return Err(Error::from(crate::worker::holding::refusal(run_id, &h)));
        }
        let provider = Arc::new(crate::worker::connect_provider(&self.store, &run)?);
        let engine = EngineOptions {
            concurrency: opts.concurrency,
            prices: crate::provider::PriceTable::for_user(),
            ..EngineOptions::default()
        };
        let (stop, stop_rx) = watch::channel(false);
        let (ev_tx, events) = mpsc::channel(EVENT_BUFFER);
        let (store, id) = (self.store.clone(), run_id.to_string());
        let batch = opts.batch
            || crate::worker::batch::has_open_batches(
                &self.store,
                std::slice::from_ref(&run.run_id),
            )?;
        let client = if batch {
            Some(batch_client(&provider, &run.model_config.provider)?)
        } else {
            None
        };
        let calibrate = client.is_none() && crate::worker::calibrate::wanted(&run, opts.calibrate);
        let done = runtime.spawn(async move {
            match client {
                Some(client) => {
                    let opts = crate::worker::batch::BatchOptions {
                        engine,
                        ..Default::default()
                    };
                    crate::worker::batch::run_batch_worker(
                        store,
                        provider,
                        client,
                        &id,
                        opts,
                        Some(ev_tx),
                        stop_rx,
                    )
                    .await
                }
                None => {
                    if calibrate {
                        let (s, p, tx) = (store.clone(), provider.clone(), Some(ev_tx.clone()));
                        let stop = stop_rx.clone();
                        crate::worker::calibrate::calibrate(s, p, &id, &engine, tx, stop).await?;
                    }
                    crate::worker::run_worker(store, provider, &id, engine, Some(ev_tx), stop_rx)
                        .await
                }
            }
        });
        Ok(Session {
            run,
            events,
            stop,
            done,
        })
    }
}

/// The run's batch API, or why its provider has none (refused before anything is claimed).
pub(super) fn batch_client(
    provider: &crate::worker::AnyProvider,
    name: &str,
) -> Result<crate::provider::batch::BatchClient, WorkerError> {
    if let Some(why) = crate::worker::batch::refusal(name) {
        return Err(WorkerError::Refused(why));
    }
    provider.batch_client()
}
