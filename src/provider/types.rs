//! The contract between the worker and every provider.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::model::Usage;

/// One block as sent to the model. It is keyed by its `block_index` (a few characters) rather
/// than its 64-character uid: the key is repeated in every result, and output tokens are the
/// expensive ones; the worker maps indices back to uids.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockInput {
    pub block_index: u32,
    pub block_type: String,
    pub content: String,
}

/// One model call: a single block, or a pack of blocks answered as `{results: [...]}`.
#[derive(Debug, Clone)]
pub struct CallRequest {
    pub model: String,
    pub temperature: f64,
    /// Maximum output tokens for this call.
    pub max_tokens: u32,
    pub system_prompt: String,
    /// Instruction placed before the block(s) in the user message.
    pub block_prompt: String,
    /// The schema's top-level `properties` object (a JSON Schema object map).
    pub properties: Value,
    /// The schema's top-level `required` list, if any.
    pub required: Vec<String>,
    pub blocks: Vec<BlockInput>,
    /// `true`: ask for `{results: [{block_index, ...properties}]}`, one per block.
    /// `false`: exactly one block, answered as an object of the properties.
    pub batched: bool,
    /// Mark the system prompt cacheable (Anthropic `cache_control: ephemeral`).
    pub prompt_caching: bool,
}

/// Rate-limit headers seen on an answer, when the provider sends them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimitInfo {
    pub requests_remaining: Option<u64>,
    pub tokens_remaining: Option<u64>,
}

/// A provider's answer, decoded from the wire but not yet mapped to blocks.
#[derive(Debug, Clone)]
pub struct CallAnswer {
    /// The structured output: the forced tool's input (Anthropic, OpenAI tool fallback) or the
    /// JSON content (OpenAI `json_schema`). `None` when the answer had no structured output.
    pub output: Option<Value>,
    /// Why `output` is missing or unusable (no tool output, invalid JSON, ...), if it is.
    pub parse_issue: Option<String>,
    pub usage: Usage,
    /// Stop reason as the provider said it (`end_turn`, `tool_use`, `max_tokens`, `stop`,
    /// `length`, ...).
    pub stop_reason: Option<String>,
    /// The answer was cut by the output limit (`max_tokens` / `length`).
    pub truncated: bool,
    pub latency: Duration,
    pub rate_limit: RateLimitInfo,
}

/// Every failure, classified for the worker (SPEC §3 Failures). Messages are short and never
/// contain a key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// 5xx, 529, timeouts, connection resets: back off and retry without using attempts.
    #[error("provider unavailable ({status_text}): {message}")]
    Transient {
        status_text: String,
        message: String,
    },
    /// 429; `retry_after` from the header (seconds or HTTP date) when present.
    #[error("rate limited: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// 402, or a 400 saying the credit balance is too low: pause the run.
    #[error("out of credit: {message}")]
    OutOfCredit { message: String },
    /// 401/403: mark the key invalid, pause the run.
    #[error("API key rejected (HTTP {status}): {message}")]
    BadKey { status: u16, message: String },
    /// Prompt too long for the model's context: split the pack.
    #[error("context overflow: {message}")]
    ContextOverflow { message: String },
    /// Other 4xx about the request: counts as a block failure.
    #[error("bad request (HTTP {status}): {message}")]
    BadRequest { status: u16, message: String },
    /// A 2xx whose body is not the documented shape.
    #[error("malformed answer: {message}")]
    Malformed { message: String },
}

/// A model provider the worker can call. Implementations are cheap to share (`Arc`).
pub trait Provider: Send + Sync + 'static {
    /// `anthropic`, `openai`, `google`, `custom` or `demo`.
    fn name(&self) -> &str;

    /// The base URL calls go to (recorded with each call; decides which prices apply).
    fn base_url(&self) -> &str;

    /// What the server says about its context and slots (self-hosted servers only); asked once
    /// when a worker session starts.
    fn server_limits(
        &self,
        _model: &str,
    ) -> impl Future<Output = Option<super::ServerLimits>> + Send {
        async { None }
    }

    /// Send one call and decode the answer.
    fn call(
        &self,
        request: &CallRequest,
    ) -> impl Future<Output = Result<CallAnswer, ProviderError>> + Send;
}
