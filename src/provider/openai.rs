//! OpenAI-compatible chat completions (`POST {base}/chat/completions`): OpenAI, Google Gemini's
//! OpenAI-compatible endpoint, and custom servers (llama.cpp, vLLM, Ollama, gateways).
//!
//! Structured output uses a strict `json_schema` response format. A server that refuses it
//! (HTTP 400 naming `response_format` / `json_schema`) is asked again with a forced function
//! tool, and the client remembers to use the tool from then on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use super::errors::short;
use super::http::{self, header_u64};
use super::prompt::{self, Parsed};
use super::types::{CallAnswer, CallRequest, Provider, ProviderError, RateLimitInfo};
use crate::model::Usage;

/// OpenAI's API root (`OPENAI_BASE_URL` overrides it; like the SDKs, it includes `/v1`).
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Gemini's OpenAI-compatible root.
pub const GOOGLE_BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta/openai/";

/// Which OpenAI-compatible service this is; decides small wire differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    OpenAi,
    Google,
    Custom,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::OpenAi => "openai",
            Flavor::Google => "google",
            Flavor::Custom => "custom",
        }
    }

    /// Whether the schema may fix an array's length (`minItems` / `maxItems`). The grammar
    /// engines of local servers (llama.cpp, Ollama, vLLM) accept them; OpenAI's and Gemini's
    /// strict subsets have not always, and a refused schema would cost every batched call.
    pub fn accepts_array_bounds(self) -> bool {
        self == Flavor::Custom
    }
}

/// How structured output is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// `response_format: {type: "json_schema", json_schema: {..., strict: true}}`.
    JsonSchema,
    /// A forced function tool.
    Tool,
}

/// A client for one key and one base URL.
#[derive(Clone)]
pub struct OpenAiClient {
    flavor: Flavor,
    base_url: String,
    key: String,
    http: reqwest::Client,
    /// Set once the server refused `json_schema`.
    use_tool: Arc<AtomicBool>,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("flavor", &self.flavor)
            .field("base_url", &self.base_url)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl OpenAiClient {
    pub fn new(flavor: Flavor, key: String, base_url: String, http: reqwest::Client) -> Self {
        OpenAiClient {
            flavor,
            base_url,
            key,
            http,
            use_tool: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The output mode the next call will use.
    pub fn output_mode(&self) -> OutputMode {
        if self.use_tool.load(Ordering::Relaxed) {
            OutputMode::Tool
        } else {
            OutputMode::JsonSchema
        }
    }

    /// Force an output mode (e.g. for a server known to lack `json_schema`).
    pub fn set_output_mode(&self, mode: OutputMode) {
        self.use_tool
            .store(mode == OutputMode::Tool, Ordering::Relaxed);
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The key, base URL and HTTP client, for the batch API of the same account.
    pub(crate) fn parts(&self) -> (&str, &str, &reqwest::Client) {
        (&self.key, &self.base_url, &self.http)
    }

    pub(super) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(super) fn key(&self) -> &str {
        &self.key
    }

    /// The bearer key, when there is one (a keyless local server gets no header).
    pub(super) fn authorized(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if self.key.is_empty() {
            req
        } else {
            req.bearer_auth(&self.key)
        }
    }

    /// One tiny structured call per mode (json_schema first, then a forced tool) to learn what
    /// the server honours. A rejected key or no credit is returned as the error it is.
    pub async fn probe_structured(&self, model: &str) -> Result<StructuredSupport, ProviderError> {
        let request = probe_request(model);
        for (mode, support) in [
            (OutputMode::JsonSchema, StructuredSupport::JsonSchema),
            (OutputMode::Tool, StructuredSupport::Tool),
        ] {
            let sent = tokio::time::timeout(http::REQUEST_TIMEOUT, self.send(&request, mode)).await;
            match sent.unwrap_or_else(|_| Err(http::timed_out(http::REQUEST_TIMEOUT))) {
                Ok(answer) => {
                    let parsed = parse_answer(&answer.body, &request)?;
                    if parsed
                        .output
                        .as_ref()
                        .is_some_and(|o| o.get("ok").is_some_and(Value::is_boolean))
                    {
                        return Ok(support);
                    }
                }
                Err(e @ (ProviderError::BadKey { .. } | ProviderError::OutOfCredit { .. })) => {
                    return Err(e)
                }
                Err(_) => {}
            }
        }
        Ok(StructuredSupport::Neither)
    }

    /// The cheapest real check of the key: list models.
    pub async fn test_key(&self) -> Result<(), ProviderError> {
        let req = self
            .authorized(self.http.get(http::join(&self.base_url, "/models")))
            .timeout(http::REQUEST_TIMEOUT);
        http::send(req, &self.key).await.map(|_| ())
    }

    async fn send(
        &self,
        request: &CallRequest,
        mode: OutputMode,
    ) -> Result<http::Answer, ProviderError> {
        let body = request_body(request, self.flavor, mode);
        let req = self
            .authorized(
                self.http
                    .post(http::join(&self.base_url, "/chat/completions")),
            )
            .json(&body);
        http::send(req, &self.key).await
    }
}

/// Which structured-output mode a server honours, found with one tiny call each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredSupport {
    /// `response_format: json_schema` is accepted and its answer parses.
    JsonSchema,
    /// Only a forced function tool gives a structured answer.
    Tool,
    /// Neither gives a structured answer: runs on this server will fail their blocks.
    Neither,
}

impl StructuredSupport {
    pub fn describe(self) -> &'static str {
        match self {
            StructuredSupport::JsonSchema => "json_schema works",
            StructuredSupport::Tool => "json_schema refused; a forced tool works",
            StructuredSupport::Neither => {
                "NEITHER json_schema nor a forced tool gave a structured answer"
            }
        }
    }
}

/// The smallest structured request: one boolean for one tiny block.
fn probe_request(model: &str) -> CallRequest {
    CallRequest {
        model: model.to_string(),
        temperature: 0.0,
        max_tokens: 32,
        system_prompt: String::new(),
        block_prompt: "Set ok to true.".into(),
        properties: json!({"ok": {"type": "boolean"}}),
        required: vec!["ok".into()],
        blocks: vec![super::types::BlockInput {
            block_index: 0,
            block_type: "paragraph".into(),
            content: "ping".into(),
        }],
        batched: false,
        prompt_caching: false,
    }
}

/// Reasoning models refuse a temperature other than the default.
pub(super) fn takes_temperature(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model);
    !(m.starts_with("o1") || m.starts_with("o3") || m.starts_with("o4") || m.starts_with("gpt-5"))
}

/// The request body for a call (public so tests can compare it with the documented shape).
pub fn request_body(request: &CallRequest, flavor: Flavor, mode: OutputMode) -> Value {
    let name = prompt::tool_name(request);
    let schema = prompt::output_schema(request, flavor.accepts_array_bounds());
    let mut messages = Vec::new();
    if !request.system_prompt.trim().is_empty() {
        messages.push(json!({"role": "system", "content": request.system_prompt}));
    }
    let via_tool = mode == OutputMode::Tool;
    messages.push(json!({"role": "user", "content": prompt::user_message(request, via_tool)}));
    let mut body = json!({
        "model": request.model,
        "messages": messages,
    });
    // OpenAI deprecated `max_tokens` for `max_completion_tokens`; other servers know the former.
    let max_key = if flavor == Flavor::OpenAi {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body[max_key] = json!(request.max_tokens);
    if takes_temperature(&request.model) {
        body["temperature"] = json!(request.temperature);
    }
    match mode {
        OutputMode::JsonSchema => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {
                    "name": name,
                    "description": prompt::tool_description(request),
                    "schema": prompt::strict_schema(&schema),
                    "strict": true,
                }
            });
        }
        OutputMode::Tool => {
            body["tools"] = json!([{
                "type": "function",
                "function": {
                    "name": name,
                    "description": prompt::tool_description(request),
                    "parameters": schema,
                }
            }]);
            body["tool_choice"] = json!({"type": "function", "function": {"name": name}});
        }
    }
    body
}

/// Decode a 2xx chat completion.
pub fn parse_answer(body: &Value, request: &CallRequest) -> Result<Parsed, ProviderError> {
    let Some(choice) = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return Err(ProviderError::Malformed {
            message: "answer has no choices".into(),
        });
    };
    let u = body.get("usage").cloned().unwrap_or(Value::Null);
    let n = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
    let prompt_tokens = n(u.get("prompt_tokens"));
    let cached = n(u.pointer("/prompt_tokens_details/cached_tokens"));
    // `prompt_tokens` includes the cached part; keep input = uncached, as Anthropic reports it,
    // so the cost of cached tokens is counted once, at the cache-read price.
    let usage = Usage {
        input_tokens: prompt_tokens.saturating_sub(cached),
        output_tokens: n(u.get("completion_tokens")),
        cache_write_tokens: 0,
        cache_read_tokens: cached,
    };
    let stop_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_string);
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    let name = prompt::tool_name(request);

    let tool_args = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .and_then(|calls| {
            calls
                .iter()
                .find(|c| c.pointer("/function/name").and_then(Value::as_str) == Some(name))
        })
        .and_then(|c| c.pointer("/function/arguments"))
        .and_then(Value::as_str);
    let content = message.get("content").and_then(Value::as_str);
    let refusal = message.get("refusal").and_then(Value::as_str);

    let (text, source) = match (tool_args, content) {
        (Some(args), _) => (Some(args), "tool arguments"),
        (None, Some(c)) if !c.trim().is_empty() => (Some(c), "content"),
        _ => (None, ""),
    };
    let (output, issue) = match text {
        None => {
            let why = match refusal {
                Some(r) => format!("model refused: {}", short(r)),
                None => "no structured output (empty content, no tool call)".to_string(),
            };
            (None, Some(why))
        }
        Some(text) => match serde_json::from_str::<Value>(strip_fences(text)) {
            Ok(Value::Object(map)) => {
                let v = Value::Object(map);
                let issue = (request.batched && !v.get("results").is_some_and(Value::is_array))
                    .then(|| "no results array in the output".to_string());
                (Some(v), issue)
            }
            Ok(other) => (
                None,
                Some(format!(
                    "{source} is JSON but not an object: {}",
                    short(&other.to_string())
                )),
            ),
            Err(e) => (None, Some(format!("{source} is not valid JSON: {e}"))),
        },
    };
    Ok(Parsed {
        output,
        parse_issue: issue,
        usage,
        stop_reason,
    })
}

/// Some local servers wrap JSON in a Markdown code fence.
fn strip_fences(text: &str) -> &str {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("```") {
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        return rest.strip_suffix("```").unwrap_or(rest).trim();
    }
    t
}

/// A 400 that says the server does not know the `json_schema` response format.
pub(super) fn refuses_json_schema(err: &ProviderError) -> bool {
    match err {
        ProviderError::BadRequest { status, message } if *status == 400 || *status == 422 => {
            let m = message.to_ascii_lowercase();
            m.contains("response_format") || m.contains("json_schema")
        }
        _ => false,
    }
}

impl Provider for OpenAiClient {
    fn name(&self) -> &str {
        self.flavor.name()
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn call(&self, request: &CallRequest) -> Result<CallAnswer, ProviderError> {
        let mode = self.output_mode();
        let answer = match self.send(request, mode).await {
            Err(e) if mode == OutputMode::JsonSchema && refuses_json_schema(&e) => {
                tracing::info!(
                    provider = self.flavor.name(),
                    "server refused json_schema; falling back to a forced tool"
                );
                self.set_output_mode(OutputMode::Tool);
                self.send(request, OutputMode::Tool).await?
            }
            other => other?,
        };
        let parsed = parse_answer(&answer.body, request)?;
        let truncated = parsed.stop_reason.as_deref() == Some("length");
        Ok(CallAnswer {
            output: parsed.output,
            parse_issue: parsed.parse_issue,
            usage: parsed.usage,
            truncated,
            stop_reason: parsed.stop_reason,
            latency: answer.latency,
            rate_limit: RateLimitInfo {
                requests_remaining: header_u64(&answer.headers, "x-ratelimit-remaining-requests"),
                tokens_remaining: header_u64(&answer.headers, "x-ratelimit-remaining-tokens"),
            },
        })
    }
}
