//! Overlay state changes of the worker on one run (SPEC §3), each one write transaction
//! through [`Store::with_run`]; the steps themselves live in `steps` (shared with the group
//! versions in [`super::group_transitions`]).

use crate::model::{Run, ServerSeen};
use crate::store::{Store, StoreError};

use super::steps;
pub use super::steps::call_state;

/// Claim up to `n` pending overlays in ascending block order. Returns the run as it is after
/// the claim, and the claimed indices (empty when the run is not `running`).
pub fn claim(
    store: &Store,
    run_id: &str,
    n: usize,
    worker: &str,
    now_ms: u64,
) -> Result<(Run, Vec<u32>), StoreError> {
    store.with_run(run_id, |rt| {
        let indices = steps::claim_in(rt, n, worker, now_ms)?;
        Ok((rt.run.clone(), indices))
    })
}

/// Keep what a self-hosted server reported at a session's start with the run (display only:
/// the run's policy snapshot is not changed).
pub fn record_server(store: &Store, run_id: &str, seen: ServerSeen) -> Result<(), StoreError> {
    store.with_run(run_id, |rt| {
        rt.run.server = Some(seen);
        Ok(())
    })
}

/// `run cancel`: no new claims; claims are released; remaining overlays stay `pending`.
pub fn cancel(store: &Store, run_id: &str) -> Result<Run, StoreError> {
    store.with_run(run_id, |rt| {
        steps::cancel_in(rt);
        Ok(rt.run.clone())
    })
}

/// `run resume`: a paused or cancelled run goes back to `running`.
pub fn resume(store: &Store, run_id: &str) -> Result<Run, StoreError> {
    store.with_run(run_id, |rt| {
        steps::resume_in(rt);
        Ok(rt.run.clone())
    })
}

/// `run retry-failed`: every failed block goes back to `pending` with its attempts reset, and a
/// complete run runs again. Returns the run and how many blocks were reset.
pub fn retry_failed(store: &Store, run_id: &str) -> Result<(Run, u32), StoreError> {
    store.with_run(run_id, |rt| {
        let reset = steps::retry_failed_in(rt)?;
        Ok((rt.run.clone(), reset))
    })
}
