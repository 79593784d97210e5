//! One schema assistant call (issue 26): a `schema suggest` or `schema refine` request sent to
//! a provider, recorded with its tokens and cost so nothing is spent unseen.

use serde::{Deserialize, Serialize};

use super::Usage;

/// A recorded suggest / refine call. Appended once the call ends (ok, invalid or error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistCall {
    /// Assigned by the store when appended (1, 2, ...).
    #[serde(default)]
    pub seq: u64,
    /// Milliseconds since the epoch, when the call was sent.
    pub at_ms: u64,
    /// `suggest` or `refine`.
    pub task: String,
    pub provider: String,
    pub model: String,
    /// 1 for the first answer, 2 for the retry that carried the first answer's errors.
    pub attempt: u32,
    /// The intent or the instruction, cut to 200 characters.
    pub prompt: String,
    /// The document the samples came from, for a suggestion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv_uid: Option<String>,
    pub usage: Usage,
    /// Estimated dollars (`None`: the model's price is unknown).
    pub cost: Option<f64>,
    pub latency_ms: u64,
    /// Bytes of the request body's user message.
    pub request_bytes: u64,
    /// `ok`, `invalid` (the answer failed the checks), `error` (the provider call failed) or
    /// `cancelled`.
    pub outcome: String,
    /// What was wrong, for `invalid` and `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
