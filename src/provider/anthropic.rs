//! Anthropic Messages API (`POST /v1/messages`) with a forced tool for structured output.

use serde_json::{json, Value};

use super::http::{self, header_u64};
use super::prompt::{self, Parsed};
use super::types::{CallAnswer, CallRequest, Provider, ProviderError, RateLimitInfo};
use crate::model::Usage;

/// Default API root; `ANTHROPIC_BASE_URL` overrides it (same convention as the official SDKs:
/// the root without `/v1`).
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The `anthropic-version` header value.
pub const API_VERSION: &str = "2023-06-01";

/// A client for one key and one base URL.
#[derive(Clone)]
pub struct AnthropicClient {
    name: String,
    base_url: String,
    key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl AnthropicClient {
    /// `name` is what [`Provider::name`] reports (`anthropic`, or `demo` for the offline
    /// provider).
    pub fn new(
        name: &str,
        key: String,
        base_url: String,
        http: reqwest::Client,
    ) -> AnthropicClient {
        AnthropicClient {
            name: name.to_string(),
            base_url,
            key,
            http,
        }
    }

    /// The key, base URL and HTTP client, for the batch API of the same account.
    pub(crate) fn parts(&self) -> (&str, &str, &reqwest::Client) {
        (&self.key, &self.base_url, &self.http)
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(http::join(&self.base_url, "/v1/messages"))
            .header("x-api-key", &self.key)
            .header("anthropic-version", API_VERSION)
            .header("content-type", "application/json")
            .json(body)
    }

    /// The cheapest real check of the key: a 1-token message.
    pub async fn test_key(&self, model: &str) -> Result<(), ProviderError> {
        let body = json!({
            "model": model,
            "max_tokens": 1,
            "messages": [{"role": "user", "content": "ping"}],
        });
        let req = self.post(&body).timeout(http::REQUEST_TIMEOUT);
        http::send(req, &self.key).await.map(|_| ())
    }
}

/// The request body for a call (public so tests can compare it with the documented shape).
pub fn request_body(request: &CallRequest) -> Value {
    let tool = prompt::tool_name(request);
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "messages": [{"role": "user", "content": prompt::user_message(request, true)}],
        "tools": [{
            "name": tool,
            "description": prompt::tool_description(request),
            // A tool's input_schema takes any JSON Schema, so the result count can be fixed.
            "input_schema": prompt::output_schema(request, true),
        }],
        "tool_choice": {"type": "tool", "name": tool},
    });
    if !request.system_prompt.trim().is_empty() {
        body["system"] = if request.prompt_caching {
            json!([{
                "type": "text",
                "text": request.system_prompt,
                "cache_control": {"type": "ephemeral"},
            }])
        } else {
            Value::String(request.system_prompt.clone())
        };
    }
    body
}

/// Decode a 2xx Messages answer.
pub fn parse_answer(body: &Value, request: &CallRequest) -> Result<Parsed, ProviderError> {
    let Some(content) = body.get("content").and_then(Value::as_array) else {
        return Err(ProviderError::Malformed {
            message: "answer has no content array".into(),
        });
    };
    let u = body.get("usage").cloned().unwrap_or(Value::Null);
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    let usage = Usage {
        input_tokens: n("input_tokens"),
        output_tokens: n("output_tokens"),
        cache_write_tokens: n("cache_creation_input_tokens"),
        cache_read_tokens: n("cache_read_input_tokens"),
    };
    let stop_reason = body
        .get("stop_reason")
        .and_then(Value::as_str)
        .map(str::to_string);
    let tool = prompt::tool_name(request);
    let tool_use = content.iter().find(|c| {
        c.get("type").and_then(Value::as_str) == Some("tool_use")
            && c.get("name").and_then(Value::as_str) == Some(tool)
    });
    let (output, issue) = match tool_use.and_then(|t| t.get("input")) {
        None => (
            None,
            Some(format!("no tool output (expected a {tool} tool_use block)")),
        ),
        Some(Value::Object(map)) => {
            let v = Value::Object(map.clone());
            let issue = (request.batched && !v.get("results").is_some_and(Value::is_array))
                .then(|| "no results array in the tool output".to_string());
            (Some(v), issue)
        }
        Some(other) => (
            None,
            Some(format!(
                "tool input is not an object: {}",
                super::errors::short(&other.to_string())
            )),
        ),
    };
    Ok(Parsed {
        output,
        parse_issue: issue,
        usage,
        stop_reason,
    })
}

impl Provider for AnthropicClient {
    fn name(&self) -> &str {
        &self.name
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn call(&self, request: &CallRequest) -> Result<CallAnswer, ProviderError> {
        let answer = http::send(self.post(&request_body(request)), &self.key).await?;
        let parsed = parse_answer(&answer.body, request)?;
        let truncated = parsed.stop_reason.as_deref() == Some("max_tokens");
        Ok(CallAnswer {
            output: parsed.output,
            parse_issue: parsed.parse_issue,
            usage: parsed.usage,
            truncated,
            stop_reason: parsed.stop_reason,
            latency: answer.latency,
            rate_limit: RateLimitInfo {
                requests_remaining: header_u64(
                    &answer.headers,
                    "anthropic-ratelimit-requests-remaining",
                ),
                tokens_remaining: header_u64(
                    &answer.headers,
                    "anthropic-ratelimit-tokens-remaining",
                ),
            },
        })
    }
}
