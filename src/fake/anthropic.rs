//! The fake Anthropic Messages endpoint (`POST /v1/messages`).

use std::collections::BTreeMap;

use hyper::StatusCode;
use serde_json::{json, Value};

use super::reply::{
    build_output, cache_lookup, key_ok, raw_reply, reply, retry_header, status, text_of, tokens,
    wanted, Reply,
};
use super::{Fault, Shared, FAKE_MODEL};

fn anthropic_error(code: u16, kind: &str, message: &str, extra: &[(&str, String)]) -> Reply {
    reply(
        status(code),
        json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}),
        extra,
    )
}

pub(super) fn anthropic(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    body: &Value,
    fault: &Fault,
    n: u64,
) -> Reply {
    if let Some(refused) = refuse_request(shared, headers, body) {
        return refused;
    }
    if let Some(failed) = fault_reply(fault) {
        return failed;
    }
    let request = MessagesRequest::read(body);
    let (content, stop_reason, out_chars) = answer_content(&request, body, fault, n);
    let (mut write, mut read) = (0, 0);
    if request.cacheable {
        match cache_lookup(
            shared,
            request.model,
            &request.system,
            request.system_tokens,
        ) {
            Some(true) => read = request.system_tokens,
            Some(false) => write = request.system_tokens,
            None => {}
        }
    }
    let usage = json!({
        "input_tokens": request.total_in - write - read,
        "output_tokens": tokens(out_chars).max(1),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
    });
    message_reply(request.model, content, stop_reason, usage, n)
}

/// `Some(error reply)` for a request Anthropic would refuse: a wrong key, no
/// `anthropic-version` header, or a body that is not JSON.
fn refuse_request(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    body: &Value,
) -> Option<Reply> {
    if !key_ok(shared, headers.get("x-api-key").map(String::as_str)) {
        return Some(anthropic_error(
            401,
            "authentication_error",
            "invalid x-api-key",
            &[],
        ));
    }
    if !headers.contains_key("anthropic-version") {
        return Some(anthropic_error(
            400,
            "invalid_request_error",
            "anthropic-version: header is required",
            &[],
        ));
    }
    if body.is_null() {
        return Some(anthropic_error(
            400,
            "invalid_request_error",
            "request body is not JSON",
            &[],
        ));
    }
    None
}

/// The error reply Anthropic sends for an injected fault; `None` for faults that still answer.
/// One arm per fault, each a status and Anthropic's own wording, so it stays one table.
fn fault_reply(fault: &Fault) -> Option<Reply> {
    let extra = retry_header(fault);
    Some(match fault {
        Fault::RateLimited { .. } | Fault::RateLimitedDate { .. } => {
            anthropic_error(
                429,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
                &extra,
            )
        }
        Fault::Overloaded => anthropic_error(529, "overloaded_error", "Overloaded", &[]),
        Fault::ServerError => {
            anthropic_error(500, "api_error", "Internal server error", &[])
        }
        Fault::PaymentRequired => {
            anthropic_error(402, "billing_error", "Payment required for this request", &[])
        }
        Fault::LowCredit => {
            anthropic_error(
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
                &[],
            )
        }
        Fault::Unauthorized => {
            anthropic_error(401, "authentication_error", "invalid x-api-key", &[])
        }
        Fault::Forbidden => {
            anthropic_error(
                403,
                "permission_error",
                "Your API key does not have permission to use the specified resource.",
                &[],
            )
        }
        Fault::BadRequest => {
            anthropic_error(
                400,
                "invalid_request_error",
                "temperature: range: 0..1",
                &[],
            )
        }
        Fault::ContextOverflow => {
            anthropic_error(
                400,
                "invalid_request_error",
                "prompt is too long: 250000 tokens > 200000 maximum",
                &[],
            )
        }
        Fault::MalformedJson => {
            raw_reply(StatusCode::OK, "{\"id\": \"msg_fake\", \"content\": [".into(), &[])
        }
        _ => return None,
    })
}

/// What the fake reads from a Messages request.
struct MessagesRequest<'a> {
    model: &'a str,
    system: String,
    /// Whether a system part asks for prompt caching (`cache_control`).
    cacheable: bool,
    user_text: String,
    /// The first tool, whose `input_schema` the answer follows.
    tool: Option<Value>,
    system_tokens: u64,
    total_in: u64,
}

impl<'a> MessagesRequest<'a> {
    fn read(body: &'a Value) -> MessagesRequest<'a> {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(FAKE_MODEL);
        let (system, cacheable) = match body.get("system") {
            Some(Value::String(s)) => (s.clone(), false),
            Some(v @ Value::Array(parts)) => (
                text_of(v),
                parts.iter().any(|p| p.get("cache_control").is_some()),
            ),
            _ => (String::new(), false),
        };
        let user_text = body
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
            .map(|m| text_of(&m["content"]))
            .unwrap_or_default();
        let tool = body.pointer("/tools/0").cloned();
        let tools_chars = body.get("tools").map_or(0, |t| t.to_string().len());
        let system_tokens = tokens(system.len());
        let total_in = system_tokens + tokens(user_text.len() + tools_chars) + 8;
        MessagesRequest {
            model,
            system,
            cacheable,
            user_text,
            tool,
            system_tokens,
            total_in,
        }
    }
}

/// The content blocks (a text refusal, or one `tool_use` with the JSON answer), the stop
/// reason and the answer's length in characters.
fn answer_content(
    request: &MessagesRequest,
    body: &Value,
    fault: &Fault,
    n: u64,
) -> (Value, &'static str, usize) {
    match (&request.tool, fault) {
        (Some(_), Fault::NoToolOutput) | (None, _) => {
            let text = "I can't produce that output.".to_string();
            let len = text.len();
            let max_one = body.get("max_tokens").and_then(Value::as_u64) == Some(1);
            let stop = if max_one { "max_tokens" } else { "end_turn" };
            (json!([{"type": "text", "text": text}]), stop, len)
        }
        (Some(tool), _) => {
            let name = tool.get("name").and_then(Value::as_str).unwrap_or("tool");
            let schema = tool.get("input_schema").cloned().unwrap_or(json!({}));
            let w = wanted(&request.user_text, &schema);
            let (input, truncated) = build_output(&w, fault);
            let len = input.to_string().len();
            let block = json!({"type": "tool_use", "id": format!("toolu_fake_{n}"), "name": name, "input": input});
            (
                json!([block]),
                if truncated { "max_tokens" } else { "tool_use" },
                len,
            )
        }
    }
}

/// The 200 reply: the message object and Anthropic's request-id and rate-limit headers.
fn message_reply(model: &str, content: Value, stop_reason: &str, usage: Value, n: u64) -> Reply {
    let answer = json!({
        "id": format!("msg_fake_{n}"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage,
    });
    reply(
        StatusCode::OK,
        answer,
        &[
            ("request-id", format!("req_fake_{n}")),
            (
                "anthropic-ratelimit-requests-remaining",
                (100_000u64.saturating_sub(n)).to_string(),
            ),
            ("anthropic-ratelimit-tokens-remaining", "400000".to_string()),
        ],
    )
}
