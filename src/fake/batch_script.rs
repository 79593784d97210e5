//! How the fake's batch APIs behave: a processing delay, and per batch (in creation order) a
//! script of request outcomes and result-file damage, so every path of batch mode can be
//! tested over loopback.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Fault;

/// How one request of a batch ends (by its position in the batch).
#[derive(Debug, Clone, PartialEq)]
pub enum FakeOutcome {
    /// Answered as a real-time call with this fault would be (`Fault::None`: a clean answer;
    /// `MissingUid`, `InvalidValue`, … still "succeed" with a damaged answer).
    Succeeded(Fault),
    /// `errored` with an `invalid_request_error` saying `message`.
    Errored(String),
    Expired,
    Canceled,
}

/// The script of one batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FakeBatchScript {
    /// Refuse the create request: status and message (e.g. 400 "model: not found").
    pub submit_error: Option<(u16, String)>,
    /// Outcomes by request position; others succeed cleanly.
    pub outcomes: BTreeMap<usize, FakeOutcome>,
    /// Requests (by position) with no line at all in the result file.
    pub no_line: Vec<usize>,
    /// Extra raw lines added to the result file (unknown custom_ids, malformed JSON).
    pub extra_lines: Vec<String>,
    /// The first request's line appears twice.
    pub duplicate_first: bool,
    /// The first request's line names a `custom_id` twice, a bogus one and then its own (a
    /// JSON object's last key wins; Anthropic's fake only).
    pub doubled_id_first: bool,
    /// The batch vanishes once created: `GET` answers 404.
    pub vanish: bool,
    /// The result file answers 500.
    pub results_fail: bool,
    /// The whole batch ends failed with this message (Gemini's `BATCH_STATE_FAILED`, with an
    /// Operation `error` and no responses); the other fakes ignore it.
    pub batch_failed: Option<String>,
}

/// The fake's batch behaviour.
#[derive(Debug, Clone, Default)]
pub struct FakeBatchConfig {
    /// Time from creation until a batch ends by itself.
    pub processing: Duration,
    /// On a cancel before the end, this many requests (from the first) count as done.
    pub done_before_cancel: usize,
    /// The largest batch accepted (requests); 0: Anthropic's 100,000.
    pub max_requests: usize,
}
