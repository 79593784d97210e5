//! Plain serde types shared by every module. No I/O here.

mod assist_call;
mod batch;
mod block;
mod call;
mod document;
mod evidence;
mod group;
mod project;
mod provider;
mod records;
mod run;
mod run_state;
mod sanitize;
mod schema;
mod usage;

pub use assist_call::AssistCall;
pub use batch::{
    batch_owner, held_by_a_batch, BatchCounts, BatchJoin, BatchRecord, BatchRequest, BatchState,
    CallMode, BATCH_OWNER_PREFIX,
};
pub use block::{Block, BlockRef, BlockType, Locator};
pub use call::{CallOutcome, ErrorClass};
pub use document::{Document, HiddenSkipped};
pub use evidence::{Calibration, CalibrationTry, CallFeedback, PackGuard, Span, SpanKind};
pub use group::{nanos, GroupSummary, MemberState, RunGroup};
pub use project::{MembershipChange, Project};
pub use provider::{ProviderKind, UnknownProvider};
pub use records::{AdminRecord, AuditEntry, ReviewEvent, StoredKey};
pub use run::{
    CallRecord, ModelConfig, Overlay, OverlayStatus, Run, RunCounters, RunStatus, ServerSeen,
    Shown, UsageTotals, SKIP_BLOCK_TYPES_KEY,
};
pub use run_state::RunState;
pub use sanitize::{json_escape_controls, one_line, sanitize, sanitize_line};
pub use schema::{generate_schema_id, Schema};
pub use usage::Usage;
