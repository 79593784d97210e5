//! Connect a run's provider with its stored or environment key (shared by the CLI and the TUI).

use super::WorkerError;
use crate::model::Run;
use crate::provider::{self, AnyProvider};
use crate::store::Store;

/// The provider client for `run`: its stored key (or the environment's), and the run's base URL,
/// else the stored key's. `demo` starts the offline fake server and needs no key.
pub fn connect_provider(store: &Store, run: &Run) -> Result<AnyProvider, WorkerError> {
    let name = run.model_config.provider.as_str();
    let key = crate::vault::key_for(store, name)?;
    let base_url = run
        .model_config
        .base_url
        .clone()
        .or_else(|| key.as_ref().and_then(|k| k.base_url.clone()));
    Ok(provider::connect(name, key.map(|k| k.secret), base_url)?)
}
