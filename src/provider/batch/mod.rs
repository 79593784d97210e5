//! Provider batch APIs (SPEC §3 "Batch mode"): submit many calls at once at half price, poll,
//! and read the results as a stream of JSON lines. [`anthropic`] speaks Anthropic's Message
//! Batches; the wire shapes follow the providers' API references.

pub mod anthropic;
pub mod google;
mod lines;
pub mod openai;

use serde_json::Value;

use super::types::{CallAnswer, CallRequest, ProviderError};
use crate::model::BatchCounts;
pub use anthropic::AnthropicBatch;
pub use google::GoogleBatch;
pub use lines::LineStream;
pub use openai::OpenAiBatch;

/// What the provider accepts in one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_requests: usize,
    /// Most bytes of the create request's body.
    pub max_bytes: usize,
}

/// One request of a batch: the call body as the real-time endpoint takes it, and its id.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub custom_id: String,
    pub body: Value,
}

/// What the provider says about a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStatus {
    pub id: String,
    /// `in_progress`, `canceling`, `ended` (Anthropic's words).
    pub status: String,
    pub ended: bool,
    pub counts: BatchCounts,
    /// Anthropic: the results URL; OpenAI: the output file id.
    pub results_url: Option<String>,
    /// OpenAI: the error file id (failed requests' lines).
    pub error_file: Option<String>,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
    pub ended_at: Option<String>,
}

/// How one request of a batch ended.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    /// The answer, as the real-time endpoint would have sent it.
    Succeeded(Value),
    /// The request failed; `class` is the error as a real-time call would be classified.
    Errored(ProviderError),
    Canceled,
    Expired,
}

/// One line of a result file.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLine {
    pub custom_id: String,
    pub outcome: BatchOutcome,
}

/// A provider's batch API. One client per key and base URL.
#[derive(Debug, Clone)]
pub enum BatchClient {
    Anthropic(AnthropicBatch),
    OpenAi(OpenAiBatch),
    Google(GoogleBatch),
}

/// The common case read without a decoder: a line that starts `{"custom_id":"` with an id
/// free of escapes (Anthropic's and the fake's lines). What it reads only orders the lines:
/// a line whose full decode names another id is looked up again by that one.
fn leading_custom_id(client: &BatchClient, line: &[u8]) -> Option<String> {
    if matches!(client, BatchClient::Google(_)) {
        return None;
    }
    let rest = line.strip_prefix(br#"{"custom_id":""#)?;
    let end = rest.iter().position(|b| *b == b'"' || *b == b'\\')?;
    (rest[end] == b'"')
        .then(|| std::str::from_utf8(&rest[..end]).ok().map(str::to_owned))
        .flatten()
}

impl BatchClient {
    pub fn limits(&self) -> BatchLimits {
        match self {
            BatchClient::Anthropic(c) => c.limits,
            BatchClient::OpenAi(c) => c.limits,
            BatchClient::Google(c) => c.limits,
        }
    }

    /// How long the provider keeps the results of a batch created at `created` (RFC 3339).
    pub fn results_kept_days(&self) -> u64 {
        match self {
            BatchClient::Anthropic(_) => 29,
            // Batch output files are kept 30 days.
            BatchClient::OpenAi(_) => 30,
            // Inline responses live in the batch object, which the API keeps (no file expiry
            // is documented); shown as OpenAI's file expiry, the shorter guess being safer.
            BatchClient::Google(_) => 30,
        }
    }

    /// The body one request of the batch carries (the real-time call's body).
    pub fn request_body(&self, request: &CallRequest) -> Value {
        match self {
            BatchClient::Anthropic(_) => super::anthropic::request_body(request),
            BatchClient::OpenAi(c) => c.request_body(request),
            BatchClient::Google(c) => c.request_body(request),
        }
    }

    pub async fn create(&self, items: &[BatchItem]) -> Result<BatchStatus, ProviderError> {
        match self {
            BatchClient::Anthropic(c) => c.create(items).await,
            BatchClient::OpenAi(c) => c.create(items).await,
            BatchClient::Google(c) => c.create(items).await,
        }
    }

    pub async fn get(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        match self {
            BatchClient::Anthropic(c) => c.get(id).await,
            BatchClient::OpenAi(c) => c.get(id).await,
            BatchClient::Google(c) => c.get(id).await,
        }
    }

    pub async fn cancel(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        match self {
            BatchClient::Anthropic(c) => c.cancel(id).await,
            BatchClient::OpenAi(c) => c.cancel(id).await,
            BatchClient::Google(c) => c.cancel(id).await,
        }
    }

    /// The result file of an ended batch, as a stream of lines (never the whole file at once).
    pub async fn results(&self, status: &BatchStatus) -> Result<LineStream, ProviderError> {
        match self {
            BatchClient::Anthropic(c) => c.results(status).await,
            BatchClient::OpenAi(c) => c.results(status).await,
            BatchClient::Google(c) => c.results(status).await,
        }
    }

    /// Decode one result line; `Err` names what is wrong with it.
    pub fn parse_line(&self, line: &[u8]) -> Result<BatchLine, String> {
        match self {
            BatchClient::Anthropic(_) => anthropic::parse_line(line),
            BatchClient::OpenAi(_) => openai::parse_line(line),
            BatchClient::Google(_) => google::parse_line(line),
        }
    }

    /// The `custom_id` a result line names (Gemini: its `key`), read without decoding the
    /// rest of the line; `None` when it names none. The join only orders lines by it: every
    /// line is decoded in full by [`BatchClient::parse_line`] when it is joined.
    pub fn line_custom_id(&self, line: &[u8]) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Head<'a> {
            #[serde(borrow, default)]
            custom_id: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            key: Option<std::borrow::Cow<'a, str>>,
        }
        if let Some(id) = leading_custom_id(self, line) {
            return Some(id);
        }
        let head: Head<'_> = serde_json::from_slice(line).ok()?;
        match self {
            BatchClient::Google(_) => head.key,
            BatchClient::Anthropic(_) | BatchClient::OpenAi(_) => head.custom_id,
        }
        .map(std::borrow::Cow::into_owned)
    }

    /// A succeeded request's answer, decoded as the real-time call's would be.
    pub fn answer(&self, body: &Value, request: &CallRequest) -> Result<CallAnswer, ProviderError> {
        match self {
            BatchClient::Anthropic(_) => anthropic::answer(body, request),
            BatchClient::OpenAi(_) => openai::answer(body, request),
            BatchClient::Google(_) => google::answer(body, request),
        }
    }
}
