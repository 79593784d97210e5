//! The worker (SPEC §3): claim → pack → call → parse → write / split / retry.
//!
//! Packing ([`pack`]) and answer parsing ([`answer`]) are pure; [`transitions`] holds every
//! overlay state change as one store transaction; [`engine`] owns concurrency, backoff,
//! cancellation and lease recovery and reports through [`events`].

pub(crate) mod answer;
mod apply;
mod arenas;
mod backoff;
pub mod batch;
pub mod calibrate;
mod claiming;
mod connect;
mod create;
mod create_group;
pub(crate) mod engine;
mod estimate;
pub(crate) mod events;
mod failures;
mod group_session;
pub(crate) mod group_transitions;
pub mod guard;
pub mod holding;
mod identity;
mod item;
pub mod lease;
pub(crate) mod pack;
mod prepare;
pub mod profile;
pub use crate::record_cap;
mod session;
mod session_loop;
mod steps;
mod task;
pub mod transitions;
mod writer;

pub use connect::{connect, connect_provider, AnyProvider};
pub use create::{create_run, plan_run, CreateRunOptions, PlannedRun};
pub use create_group::{create_group, plan_group, PlannedGroup};
pub use engine::{run_worker, EngineOptions};
pub use estimate::{estimate_group, estimate_run, RunEstimate};
pub use events::WorkerEvent;
pub use failures::{
    failures_by_cause, lines as failure_lines, summary as failure_summary, FailureCause,
};
pub use group_session::run_group_worker;
pub use identity::worker_id;
pub use lease::owner_alive;
pub use session::RunEnd;

/// Why a worker operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    #[error(transparent)]
    Connect(#[from] crate::provider::ConnectError),
    #[error("{0}")]
    Refused(String),
}
