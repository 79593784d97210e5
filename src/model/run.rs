use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Usage;

/// Run status (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Created or being worked on; a worker may claim its pending overlays.
    Running,
    /// Waiting on the user (bad key, no credit); `paused_reason` says why.
    Paused,
    Complete,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::Complete => "complete",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// Overlay status machine (SPEC §3). The numeric code is the key of the status index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverlayStatus {
    Pending,
    Claimed,
    AiComplete,
    Confirmed,
    Failed,
    /// The block's type is in the run's `worker.skip_block_types`: never claimed, never sent to
    /// a model; it counts toward complete and exports with `data: null`.
    Skipped,
}

/// The values a block shows (the one rule used by the grid and by export): the confirmed value
/// of a confirmed block, the staged value of a staged (`ai_complete`) block, else nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown<T> {
    pub confirmed: Option<T>,
    pub staged: Option<T>,
}

impl<T> Shown<T> {
    /// The single value a reviewer sees: confirmed, else staged.
    pub fn value(self) -> Option<T> {
        self.confirmed.or(self.staged)
    }
}

impl OverlayStatus {
    /// Apply the shown-value rule to a block's stored `confirmed` and `staging` values.
    pub fn shown<T>(self, confirmed: Option<T>, staging: Option<T>) -> Shown<T> {
        match self {
            OverlayStatus::Confirmed => Shown {
                confirmed,
                staged: None,
            },
            OverlayStatus::AiComplete => Shown {
                confirmed: None,
                staged: staging,
            },
            _ => Shown {
                confirmed: None,
                staged: None,
            },
        }
    }

    pub const ALL: [OverlayStatus; 6] = [
        OverlayStatus::Pending,
        OverlayStatus::Claimed,
        OverlayStatus::AiComplete,
        OverlayStatus::Confirmed,
        OverlayStatus::Failed,
        OverlayStatus::Skipped,
    ];

    pub fn code(self) -> u8 {
        match self {
            OverlayStatus::Pending => 0,
            OverlayStatus::Claimed => 1,
            OverlayStatus::AiComplete => 2,
            OverlayStatus::Confirmed => 3,
            OverlayStatus::Failed => 4,
            OverlayStatus::Skipped => 5,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OverlayStatus::Pending => "pending",
            OverlayStatus::Claimed => "claimed",
            OverlayStatus::AiComplete => "ai_complete",
            OverlayStatus::Confirmed => "confirmed",
            OverlayStatus::Failed => "failed",
            OverlayStatus::Skipped => "skipped",
        }
    }
}

/// The policy key naming the block types a run skips (declared here so the store, which
/// creates the overlays, can read it from a run's snapshot; `policy::keys` re-exports it).
pub const SKIP_BLOCK_TYPES_KEY: &str = "worker.skip_block_types";

/// Everything a run needs to behave the same forever: provider, model controls, and a snapshot
/// of every effective policy value at creation (SPEC §3, §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// `anthropic`, `openai`, `google`, `custom`, `demo`.
    pub provider: String,
    pub model: String,
    pub temperature: f64,
    pub max_tokens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Where each effective value above came from, e.g. `temperature -> "policy baseline"`.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Policy key -> effective value at run creation.
    #[serde(default)]
    pub policy: BTreeMap<String, Value>,
}

impl ModelConfig {
    /// Whether this run uses the offline demo provider (its output must be labelled).
    pub fn is_demo(&self) -> bool {
        super::ProviderKind::is_demo_name(&self.provider)
    }

    /// The block types this run skips: the snapshot's `worker.skip_block_types` (unknown names
    /// are ignored; policy validation refuses them when they are set). A run without the key in
    /// its snapshot (made by an older build, or [`ModelConfig::fixed`]) skips nothing.
    pub fn skip_block_types(&self) -> Vec<super::BlockType> {
        let Some(list) = self
            .policy
            .get(SKIP_BLOCK_TYPES_KEY)
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        list.iter()
            .filter_map(Value::as_str)
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    /// A config with explicit values and no recorded sources or policy snapshot.
    pub fn fixed(provider: &str, model: &str, temperature: f64, max_tokens: u32) -> ModelConfig {
        ModelConfig {
            provider: provider.to_string(),
            model: model.to_string(),
            temperature,
            max_tokens,
            base_url: None,
            sources: BTreeMap::new(),
            policy: BTreeMap::new(),
        }
    }
}

/// Overlay counts of a run, kept in step with the overlays in the same transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounters {
    pub total: u32,
    pub pending: u32,
    pub claimed: u32,
    pub ai_complete: u32,
    pub confirmed: u32,
    pub failed: u32,
    /// Blocks the run skips by type (`worker.skip_block_types`); absent in older runs.
    #[serde(default)]
    pub skipped: u32,
}

impl RunCounters {
    pub fn get_mut(&mut self, s: OverlayStatus) -> &mut u32 {
        match s {
            OverlayStatus::Pending => &mut self.pending,
            OverlayStatus::Claimed => &mut self.claimed,
            OverlayStatus::AiComplete => &mut self.ai_complete,
            OverlayStatus::Confirmed => &mut self.confirmed,
            OverlayStatus::Failed => &mut self.failed,
            OverlayStatus::Skipped => &mut self.skipped,
        }
    }

    /// Add `other`'s counts to these (a run group's totals).
    pub fn add(&mut self, other: &RunCounters) {
        self.total += other.total;
        self.pending += other.pending;
        self.claimed += other.claimed;
        self.ai_complete += other.ai_complete;
        self.confirmed += other.confirmed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }

    /// Record one overlay moving from `from` to `to`.
    pub fn shift(&mut self, from: OverlayStatus, to: OverlayStatus) {
        if from != to {
            let f = self.get_mut(from);
            *f = f.saturating_sub(1);
            *self.get_mut(to) += 1;
        }
    }
}

/// Usage totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub calls: u64,
    pub cache_hit_calls: u64,
    pub failed_calls: u64,
    #[serde(flatten)]
    pub tokens: Usage,
    /// Estimated cost in USD; `None` when the model has no price (never shown as zero).
    pub cost_usd: Option<f64>,
}

/// One schema applied to one document, one execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub run_id: String,
    pub conv_uid: String,
    pub schema_id: String,
    pub schema_ref: String,
    pub schema_uid: String,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_reason: Option<String>,
    pub model_config: ModelConfig,
    pub counters: RunCounters,
    pub usage: UsageTotals,
    pub created_at: String,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Milliseconds spent with a worker active, summed over sessions.
    #[serde(default)]
    pub active_millis: u64,
    /// A sample run covers only the document's first this-many blocks (`run create --sample`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<u32>,
    /// What the server said about itself at the start of the last session that asked it
    /// (self-hosted servers only); the run's snapshot is never changed by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerSeen>,
    /// The run group this run belongs to (`grp_…`, SPEC §1a), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The pack guard's record (SPEC §4a): packs whose answers moved values between blocks,
    /// and the pack size the run was halved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack_guard: Option<super::PackGuard>,
}

/// Limits a self-hosted server reported at a session's start (source `server`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSeen {
    /// One line for people, e.g. `llama.cpp: context 4096 tokens per request, 1 slot`.
    pub summary: String,
    pub context_tokens: Option<u32>,
    pub slots: Option<u32>,
    /// What the session applied because of it, e.g. `concurrency=1 (source=server)`.
    #[serde(default)]
    pub applied: Vec<String>,
    pub at: String,
}

impl Run {
    /// A new `running` run with zero counters and usage (cost known: zero so far).
    pub fn new(
        run_id: &str,
        conv_uid: &str,
        schema: (&str, &str, &str),
        model_config: ModelConfig,
        created_by: &str,
    ) -> Run {
        let (schema_id, schema_ref, schema_uid) = schema;
        Run {
            run_id: run_id.to_string(),
            conv_uid: conv_uid.to_string(),
            schema_id: schema_id.to_string(),
            schema_ref: schema_ref.to_string(),
            schema_uid: schema_uid.to_string(),
            status: RunStatus::Running,
            paused_reason: None,
            model_config,
            counters: RunCounters::default(),
            usage: UsageTotals {
                cost_usd: Some(0.0),
                ..UsageTotals::default()
            },
            created_at: crate::clock::now_rfc3339(),
            created_by: created_by.to_string(),
            started_at: None,
            finished_at: None,
            sample: None,
            server: None,
            active_millis: 0,
            group_id: None,
            pack_guard: None,
        }
    }
}

/// The run's mutable output for one block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlay {
    pub run_id: String,
    pub block_index: u32,
    pub status: OverlayStatus,
    #[serde(default)]
    pub attempt_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    /// Lease start, milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<u64>,
    /// The staged value shown for review (the model's answer, possibly edited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging: Option<Value>,
    /// The model's answer as received (after local deterministic fields), kept so a draft edit
    /// can be discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_output: Option<Value>,
    #[serde(default)]
    pub edited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    /// Sequence number of the call whose answer produced `model_output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_call: Option<u64>,
    /// Grounding of the staged value's quoted strings (SPEC §4a); recomputed after an edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<super::Span>>,
    /// The model's last answer that did not validate (a failed block keeps it, so a reviewer
    /// can fix the bad field and salvage it); with the reviewer's fixes so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_answer: Option<Value>,
}

impl Overlay {
    pub fn new_pending(run_id: &str, block_index: u32) -> Overlay {
        Overlay::new_with_status(run_id, block_index, OverlayStatus::Pending)
    }

    /// A new overlay in `status` (pending, or skipped by type) with nothing else set.
    pub fn new_with_status(run_id: &str, block_index: u32, status: OverlayStatus) -> Overlay {
        Overlay {
            run_id: run_id.to_string(),
            block_index,
            status,
            attempt_count: 0,
            last_error: None,
            claimed_by: None,
            claimed_at: None,
            staging: None,
            model_output: None,
            edited: false,
            confirmed: None,
            confirmed_at: None,
            confirmed_by: None,
            result_call: None,
            evidence: None,
            invalid_answer: None,
        }
    }
}

/// Telemetry of one provider call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub seq: u64,
    pub run_id: String,
    pub pack_size: u32,
    pub first_block: u32,
    pub last_block: u32,
    pub usage: Usage,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Stored as `ok`, `partial`, `split`, `failed`, `error:<class>`, `cancelled`.
    pub outcome: super::CallOutcome,
    /// The base URL the call went to (taken when the session started; absent in old records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub mapped: u32,
    /// Results of this call actually written (a block already staged is never overwritten).
    #[serde(default)]
    pub written: u32,
    pub missing: u32,
    pub unexpected: u32,
    pub duplicate: u32,
    pub at: String,
    /// The worker that sent the call (`host:pid:start`), recorded with outcome `started` before
    /// the request goes out, so a call in flight when its worker dies is never lost from view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Most the call can cost (estimated input, maximum output): counted for a `lost` call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_upper_usd: Option<f64>,
    /// `batch` for a request of a provider batch (priced at the batch rate); absent: real time.
    #[serde(default, skip_serializing_if = "super::CallMode::is_realtime")]
    pub mode: super::CallMode,
    /// A single retry after an invalid answer: what the model was told, and what passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Box<super::CallFeedback>>,
}
