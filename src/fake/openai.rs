//! The fake OpenAI Chat Completions endpoint (`POST /v1/chat/completions`) and its bearer check.

use std::collections::BTreeMap;
use std::time::SystemTime;

use hyper::StatusCode;
use serde_json::{json, Value};

use super::reply::{
    build_output, cache_lookup, key_ok, raw_reply, reply, retry_header, status, text_of, tokens,
    wanted, Reply,
};
use super::{lock, Fault, Shared, FAKE_MODEL};

fn openai_error(
    code: u16,
    kind: &str,
    err_code: Option<&str>,
    message: &str,
    extra: &[(&str, String)],
) -> Reply {
    reply(
        status(code),
        json!({"error": {"message": message, "type": kind, "param": null, "code": err_code}}),
        extra,
    )
}

/// `Some(401 reply)` when the bearer key is missing or wrong.
pub(super) fn check_bearer(shared: &Shared, headers: &BTreeMap<String, String>) -> Option<Reply> {
    let key = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "));
    if key_ok(shared, key) {
        return None;
    }
    // Like OpenAI, name the key it got; the client must scrub it.
    let shown = key.unwrap_or("");
    Some(openai_error(
        401,
        "invalid_request_error",
        Some("invalid_api_key"),
        &format!("Incorrect API key provided: {shown}. You can find your API key in your account settings."),
        &[],
    ))
}

pub(super) fn openai(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    body: &Value,
    fault: &Fault,
    n: u64,
) -> Reply {
    if let Some(refused) = refuse_request(shared, headers, body) {
        return refused;
    }
    let key = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or("");
    if let Some(failed) = fault_reply(fault, key) {
        return failed;
    }
    let request = ChatRequest::read(body);
    let (message, finish, out_chars) = assistant_message(&request, fault, n);
    let cached = match cache_lookup(
        shared,
        request.model,
        &request.system,
        request.system_tokens,
    ) {
        Some(true) => request.system_tokens,
        _ => 0,
    };
    completion_reply(&request, message, finish, out_chars, cached, n)
}

/// `Some(error reply)` for a request this server will not take: a wrong key, a body that is
/// not JSON, or an output mode (json_schema, tools) the configured server does not support.
fn refuse_request(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    body: &Value,
) -> Option<Reply> {
    if let Some(refused) = check_bearer(shared, headers) {
        return Some(refused);
    }
    let refuse = |message: &str| {
        Some(openai_error(
            400,
            "invalid_request_error",
            None,
            message,
            &[],
        ))
    };
    if body.is_null() {
        return refuse("We could not parse the JSON body of your request.");
    }
    if json_mode(body) && !lock(&shared.config).json_schema_supported {
        return refuse("response_format type json_schema is not supported by this server");
    }
    if body.get("tools").is_some() && !lock(&shared.config).tools_supported {
        return refuse("tools are not supported by this server");
    }
    None
}

fn json_mode(body: &Value) -> bool {
    body.pointer("/response_format/type")
        .and_then(Value::as_str)
        == Some("json_schema")
}

/// The error reply OpenAI sends for an injected fault; `None` for faults that still answer.
/// One arm per fault, each a status and OpenAI's own wording, so it stays one table.
fn fault_reply(fault: &Fault, key: &str) -> Option<Reply> {
    let extra = retry_header(fault);
    Some(match fault {
        Fault::RateLimited { .. } | Fault::RateLimitedDate { .. } => {
            openai_error(
                429,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests per min (RPM). Please try again later.",
                &extra,
            )
        }
        Fault::Overloaded => {
            openai_error(503, "server_error", None, "The server is overloaded or not ready yet.", &[])
        }
        Fault::ServerError => {
            openai_error(500, "server_error", None, "The server had an error while processing your request.", &[])
        }
        Fault::PaymentRequired => {
            openai_error(402, "billing_error", Some("payment_required"), "Payment required.", &[])
        }
        Fault::LowCredit => {
            openai_error(
                429,
                "insufficient_quota",
                Some("insufficient_quota"),
                "You exceeded your current quota, please check your plan and billing details.",
                &[],
            )
        }
        Fault::Unauthorized => {
            openai_error(
                401,
                "invalid_request_error",
                Some("invalid_api_key"),
                &format!("Incorrect API key provided: {key}. You can find your API key in your account settings."),
                &[],
            )
        }
        Fault::Forbidden => {
            openai_error(403, "invalid_request_error", Some("model_not_found"), "You do not have access to this model.", &[])
        }
        Fault::BadRequest => {
            openai_error(400, "invalid_request_error", Some("invalid_value"), "Invalid value for 'temperature': must be between 0 and 2.", &[])
        }
        Fault::ContextOverflow => {
            openai_error(
                400,
                "invalid_request_error",
                Some("context_length_exceeded"),
                "This model's maximum context length is 128000 tokens. However, your messages resulted in 250000 tokens. Please reduce the length of the messages.",
                &[],
            )
        }
        Fault::MalformedJson => {
            raw_reply(StatusCode::OK, "{\"id\": \"chatcmpl-fake\", \"choices\": [".into(), &[])
        }
        _ => return None,
    })
}

/// What the fake reads from a chat completions request.
struct ChatRequest<'a> {
    model: &'a str,
    system: String,
    user_text: String,
    /// The output schema, from `response_format` (json mode) or the first tool.
    schema: Option<Value>,
    /// The tool to call with the answer; `None` in json mode.
    tool_name: Option<String>,
    system_tokens: u64,
    prompt_tokens: u64,
}

impl<'a> ChatRequest<'a> {
    fn read(body: &'a Value) -> ChatRequest<'a> {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(FAKE_MODEL);
        let messages = body
            .get("messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let system = messages
            .iter()
            .filter(|m| m["role"] == "system" || m["role"] == "developer")
            .map(|m| text_of(&m["content"]))
            .collect::<Vec<_>>()
            .join("\n");
        let user_text = messages
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .map(|m| text_of(&m["content"]))
            .unwrap_or_default();
        let (schema, tool_name) = if json_mode(body) {
            (
                body.pointer("/response_format/json_schema/schema").cloned(),
                None,
            )
        } else {
            (
                body.pointer("/tools/0/function/parameters").cloned(),
                body.pointer("/tools/0/function/name")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
        };
        let extra_chars = body
            .get("tools")
            .or(body.get("response_format"))
            .map_or(0, |t| t.to_string().len());
        let system_tokens = tokens(system.len());
        let prompt_tokens = system_tokens + tokens(user_text.len() + extra_chars) + 8;
        ChatRequest {
            model,
            system,
            user_text,
            schema,
            tool_name,
            system_tokens,
            prompt_tokens,
        }
    }
}

/// The assistant message (text, or a tool call carrying the JSON answer), its finish reason
/// and its length in characters.
fn assistant_message(request: &ChatRequest, fault: &Fault, n: u64) -> (Value, &'static str, usize) {
    let mut message = json!({"role": "assistant", "content": null, "refusal": null});
    let mut finish = "stop";
    let out_chars;
    match (&request.schema, fault) {
        (None, _) | (Some(_), Fault::NoToolOutput) => {
            let text = "I can't produce that output.";
            out_chars = text.len();
            message["content"] = json!(text);
        }
        (Some(schema), _) => {
            let w = wanted(&request.user_text, schema);
            let (output, truncated) = build_output(&w, fault);
            let mut text = output.to_string();
            if truncated {
                // A length cut leaves JSON unfinished.
                let full = text.clone();
                text = full.chars().take(full.chars().count() / 2).collect();
                finish = "length";
            }
            out_chars = text.len();
            match &request.tool_name {
                Some(name) => {
                    message["tool_calls"] = json!([{
                        "id": format!("call_fake_{n}"),
                        "type": "function",
                        "function": {"name": name, "arguments": text},
                    }]);
                    if !truncated {
                        finish = "tool_calls";
                    }
                }
                None => message["content"] = json!(text),
            }
        }
    }
    (message, finish, out_chars)
}

/// The 200 reply: the completion object with its usage, and rate-limit headers.
fn completion_reply(
    request: &ChatRequest,
    message: Value,
    finish: &str,
    out_chars: usize,
    cached: u64,
    n: u64,
) -> Reply {
    let prompt_tokens = request.prompt_tokens;
    let completion = tokens(out_chars).max(1);
    let answer = json!({
        "id": format!("chatcmpl-fake{n}"),
        "object": "chat.completion",
        "created": SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "model": request.model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        }
    });
    reply(
        StatusCode::OK,
        answer,
        &[
            (
                "x-ratelimit-remaining-requests",
                (100_000u64.saturating_sub(n)).to_string(),
            ),
            ("x-ratelimit-remaining-tokens", "2000000".to_string()),
        ],
    )
}
