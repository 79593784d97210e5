//! Provider batches (SPEC §3 "Batch mode"): what the store keeps of each batch a run sent
//! through a provider's batch API, and of each request in it.

use serde::{Deserialize, Serialize};

/// How a call went out: one real-time request, or one request of a provider batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallMode {
    #[default]
    Realtime,
    Batch,
}

impl CallMode {
    pub fn is_realtime(&self) -> bool {
        *self == CallMode::Realtime
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CallMode::Realtime => "realtime",
            CallMode::Batch => "batch",
        }
    }
}

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchState {
    /// Recorded just before the create request went out; the provider has not answered yet.
    Submitting,
    /// The worker stopped between sending the create request and recording the answer: the
    /// provider may hold (and bill) this batch; its blocks went back to pending.
    Unconfirmed,
    /// Accepted by the provider and still processing.
    InProgress,
    /// A cancel was sent; the provider is finishing what it started.
    Canceling,
    /// The provider says it ended; its results are not joined yet.
    Ended,
    /// Every result line was joined; the batch holds no block any more.
    Joined,
    /// The provider lost it (404) or its results could not be read: blocks back to pending.
    Failed,
}

impl BatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchState::Submitting => "submitting",
            BatchState::Unconfirmed => "unconfirmed",
            BatchState::InProgress => "in_progress",
            BatchState::Canceling => "canceling",
            BatchState::Ended => "ended",
            BatchState::Joined => "joined",
            BatchState::Failed => "failed",
        }
    }

    /// The provider may still be working on it (it must be polled).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            BatchState::InProgress | BatchState::Canceling | BatchState::Ended
        )
    }
}

/// The provider's request counts, as last polled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCounts {
    pub processing: u32,
    pub succeeded: u32,
    pub errored: u32,
    pub canceled: u32,
    pub expired: u32,
}

/// What joining the result file found besides the results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJoin {
    /// Lines joined to a request of this batch.
    pub joined: u32,
    /// Lines that were not JSON or not the documented shape.
    pub malformed: u32,
    /// Lines naming a `custom_id` this batch never sent.
    pub unknown: u32,
    /// Second and later lines for the same `custom_id`.
    pub duplicate: u32,
    /// Requests that got no line at all (their blocks went back to pending).
    pub missing: u32,
}

/// One provider batch of a run (or of a group's member runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// The store's own id of the batch (part of every `custom_id`).
    pub key: String,
    /// The run or group that sent it.
    pub label: String,
    /// The member runs its blocks belong to (a request's block names its run by position).
    pub run_ids: Vec<String>,
    pub provider: String,
    /// The provider's id (`msgbatch_…`, `batch_…`); `None` until the provider answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_batch_id: Option<String>,
    pub state: BatchState,
    pub requests: u32,
    pub blocks: u32,
    /// The worker that sent it (a `submitting` batch whose worker is gone is `unconfirmed`).
    pub worker: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// When the provider expires what it has not processed (24 h after submission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// Until when the provider keeps the results (Anthropic: 29 days after the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_expire_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_poll_at: Option<String>,
    /// Seconds the worker waits before the next poll (grows up to the policy maximum).
    #[serde(default)]
    pub poll_wait_seconds: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_url: Option<String>,
    /// OpenAI: the error file (failed requests' lines), read after the output file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_file: Option<String>,
    #[serde(default)]
    pub counts: BatchCounts,
    #[serde(default)]
    pub join: BatchJoin,
    /// The last thing worth telling about it (a provider error, why it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One request of a batch: one pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    pub custom_id: String,
    /// `(member position, block index)` of each block, in pack order.
    pub blocks: Vec<(u32, u32)>,
    /// The sequence number of its call record in the run of its first block (0 before the
    /// provider accepted the batch).
    #[serde(default)]
    pub call_seq: u64,
}

/// The `claimed_by` of a block leased to a batch: never a live worker's id, so lease recovery
/// leaves it alone; only the batch's own join or failure gives it back.
pub fn batch_owner(key: &str) -> String {
    format!("{BATCH_OWNER_PREFIX}{key}")
}

/// Prefix of every batch owner (`host:pid:start` worker ids never start with it).
pub const BATCH_OWNER_PREFIX: &str = "batch!";

/// Whether `ov` is leased to a provider batch (only that batch's join or failure frees it).
pub fn held_by_a_batch(ov: &super::Overlay) -> bool {
    ov.claimed_by
        .as_deref()
        .is_some_and(|w| w.starts_with(BATCH_OWNER_PREFIX))
}
