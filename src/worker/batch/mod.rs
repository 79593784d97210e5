//! Batch mode (SPEC §3 "Batch mode"): a run's packs go through the provider's batch API at
//! half price. The packs, prompts, parsing, validation and staging are the real-time ones
//! ([`super::task`]); this module adds what a batch needs: [`submit`] (claim, pack, split under
//! the provider's limits, record), [`poll`] (with backoff), [`join`] (stream the result file,
//! each line through the real-time answer path) and [`session`] (the loop, resumed after any
//! restart). Blocks of a batch are leased to it ([`held_by_a_batch`]), never to a worker.

mod join;
mod poll;
mod session;
mod spool;
mod store_ops;
mod submit;

pub use crate::model::held_by_a_batch;
use crate::model::ProviderKind;
pub use session::{run_batch_group_worker, run_batch_worker, BatchOptions};

/// Whether any batch of these runs may still be at the provider (then `run start` resumes
/// polling it rather than working in real time).
pub fn has_open_batches(
    store: &crate::store::Store,
    run_ids: &[String],
) -> Result<bool, crate::store::StoreError> {
    Ok(store
        .batches_of_runs(run_ids)?
        .iter()
        .any(|b| b.state.is_open()))
}

/// Why runs of `provider` cannot use batch mode, or `None` when they can.
pub fn refusal(provider: &str) -> Option<String> {
    match ProviderKind::parse(provider) {
        Some(ProviderKind::Anthropic | ProviderKind::OpenAi | ProviderKind::Google) => None,
        Some(ProviderKind::Custom) => Some(
            "the custom provider has no batch API (an OpenAI-compatible server answers calls \
             as they come): run it with `blockwise run start` (no --batch)"
                .to_string(),
        ),
        Some(ProviderKind::Demo) => Some(
            "the offline demo provider has no batch API: run it with `blockwise run start` \
             (no --batch)"
                .to_string(),
        ),
        None => Some(format!("unknown provider '{provider}' has no batch API")),
    }
}
