//! A pack's call record as it starts (every path overwrites its outcome), and the class of a
//! provider error.

use super::Item;
use crate::model::{CallOutcome, CallRecord, ErrorClass, Usage};
use crate::provider::ProviderError;

pub(crate) fn record(run_id: &str, endpoint: &str, pack: &[Item]) -> CallRecord {
    CallRecord {
        seq: 0,
        run_id: run_id.to_string(),
        endpoint: Some(endpoint.to_string()),
        pack_size: pack.len() as u32,
        first_block: pack.first().map(|i| i.index).unwrap_or(0),
        last_block: pack.last().map(|i| i.index).unwrap_or(0),
        usage: Usage::default(),
        latency_ms: 0,
        stop_reason: None,
        // Overwritten on every path; a record that escaped that would not claim success.
        outcome: CallOutcome::Failed,
        detail: match pack {
            [Item {
                feedback: Some(fb), ..
            }] => Some(format!("retried with feedback: {}", fb.error)),
            _ => None,
        },
        mapped: 0,
        written: 0,
        missing: 0,
        unexpected: 0,
        duplicate: 0,
        at: crate::clock::now_rfc3339(),
        worker: None,
        cost_upper_usd: None,
        mode: crate::model::CallMode::Realtime,
        feedback: match pack {
            [one] => one.feedback.clone(),
            _ => None,
        },
    }
}

pub(crate) fn error_class(e: &ProviderError) -> ErrorClass {
    match e {
        ProviderError::Transient { .. } => ErrorClass::Transient,
        ProviderError::RateLimited { .. } => ErrorClass::RateLimited,
        ProviderError::OutOfCredit { .. } => ErrorClass::OutOfCredit,
        ProviderError::BadKey { .. } => ErrorClass::BadKey,
        ProviderError::ContextOverflow { .. } => ErrorClass::ContextOverflow,
        ProviderError::BadRequest { .. } => ErrorClass::BadRequest,
        ProviderError::Malformed { .. } => ErrorClass::Malformed,
    }
}
