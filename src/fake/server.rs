//! The fake's HTTP side: hyper 1 on a tokio listener, one task per connection.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{answer_for, lock, Fault, RecordedRequest, ScriptedCall, Shared, FAKE_MODEL};
use crate::provider::prompt;

type Reply = Response<Full<Bytes>>;

pub(super) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { handle(shared, req).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

enum Protocol {
    Anthropic,
    OpenAi,
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Reply, std::io::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let raw = req
        .into_body()
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    lock(&shared.requests).push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });

    let protocol = match (&method, path.as_str()) {
        (&Method::POST, "/v1/messages") => Protocol::Anthropic,
        (&Method::POST, "/v1/chat/completions") | (&Method::POST, "/chat/completions") => {
            Protocol::OpenAi
        }
        (&Method::GET, "/v1/models") | (&Method::GET, "/models") => {
            return Ok(match check_bearer(&shared, &headers) {
                Some(refused) => refused,
                None => reply(
                    StatusCode::OK,
                    json!({"object": "list", "data": [
                        {"id": FAKE_MODEL, "object": "model", "created": 0, "owned_by": "blockwise-fake"}
                    ]}),
                    &[],
                ),
            });
        }
        _ => {
            return Ok(reply(
                StatusCode::NOT_FOUND,
                json!({"error": {"type": "not_found_error", "message": format!("no route {method} {path}")}}),
                &[],
            ))
        }
    };

    let n = shared.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let scripted = lock(&shared.script).pop_front().unwrap_or(ScriptedCall {
        latency: None,
        fault: Fault::None,
    });
    let latency = scripted
        .latency
        .unwrap_or_else(|| lock(&shared.config).default_latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if scripted.fault == Fault::ConnectionReset {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "scripted connection reset",
        ));
    }
    Ok(match protocol {
        Protocol::Anthropic => anthropic(&shared, &headers, &body, &scripted.fault, n),
        Protocol::OpenAi => openai(&shared, &headers, &body, &scripted.fault, n),
    })
}

fn reply(status: StatusCode, body: Value, extra: &[(&str, String)]) -> Reply {
    raw_reply(status, body.to_string(), extra)
}

fn raw_reply(status: StatusCode, body: String, extra: &[(&str, String)]) -> Reply {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (k, v) in extra {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::from_static(b"{}"))))
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

fn anthropic_error(code: u16, kind: &str, message: &str, extra: &[(&str, String)]) -> Reply {
    reply(
        status(code),
        json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}),
        extra,
    )
}

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

fn retry_header(fault: &Fault) -> Vec<(&'static str, String)> {
    match fault {
        Fault::RateLimited { retry_after_secs } => {
            vec![("retry-after", retry_after_secs.to_string())]
        }
        Fault::RateLimitedDate { retry_after_secs } => vec![(
            "retry-after",
            httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(*retry_after_secs)),
        )],
        _ => vec![],
    }
}

/// What the structured output of a request should contain.
struct Wanted {
    blocks: Vec<crate::provider::BlockInput>,
    batched: bool,
    properties: Value,
}

fn wanted(user_text: &str, schema: &Value) -> Wanted {
    let blocks = prompt::parse_blocks(user_text);
    let results = schema.pointer("/properties/results/items/properties");
    match results {
        Some(Value::Object(props)) => {
            let mut props = props.clone();
            props.remove("block_uid");
            Wanted {
                blocks,
                batched: true,
                properties: Value::Object(props),
            }
        }
        _ => Wanted {
            blocks,
            batched: false,
            properties: schema.get("properties").cloned().unwrap_or(json!({})),
        },
    }
}

/// The structured output for a request, with the fault applied. Returns (output, truncated).
fn build_output(w: &Wanted, fault: &Fault) -> (Value, bool) {
    if !w.batched {
        let b = w.blocks.first();
        let out = match b {
            Some(b) => answer_for(&b.block_uid, &b.block_type, &b.content, &w.properties),
            None => answer_for("", "other", "", &w.properties),
        };
        return match fault {
            Fault::Truncated => (json!({}), true),
            _ => (out, false),
        };
    }
    let mut results: Vec<Value> = w
        .blocks
        .iter()
        .map(|b| {
            let mut v = answer_for(&b.block_uid, &b.block_type, &b.content, &w.properties);
            if let Value::Object(m) = &mut v {
                m.insert("block_uid".into(), json!(b.block_uid));
            }
            v
        })
        .collect();
    let mut truncated = false;
    match fault {
        Fault::MissingUid => {
            results.pop();
        }
        Fault::DuplicateUid => {
            if let Some(first) = results.first().cloned() {
                results.push(first);
            }
        }
        Fault::UnexpectedUid => {
            let mut extra = answer_for("unexpected:9999", "paragraph", "", &w.properties);
            if let Value::Object(m) = &mut extra {
                m.insert("block_uid".into(), json!("unexpected:9999"));
            }
            results.push(extra);
        }
        Fault::Truncated => {
            results.truncate(results.len() / 2);
            truncated = true;
        }
        _ => {}
    }
    (json!({ "results": results }), truncated)
}

/// Cache simulation: `Some(true)` = read, `Some(false)` = written now, `None` = not cached.
fn cache_lookup(shared: &Shared, model: &str, system: &str, system_tokens: u64) -> Option<bool> {
    let min = lock(&shared.config).min_cacheable_tokens;
    if system.is_empty() || system_tokens < min.max(1) {
        return None;
    }
    let key = hex::encode(Sha256::digest(format!("{model}\0{system}").as_bytes()));
    let mut cache = lock(&shared.cache);
    if cache.contains(&key) {
        Some(true)
    } else {
        cache.insert(key);
        Some(false)
    }
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn key_ok(shared: &Shared, key: Option<&str>) -> bool {
    let expected = lock(&shared.config).expected_key.clone();
    match (key, expected) {
        (None, _) => false,
        (Some(k), _) if k.trim().is_empty() => false,
        (Some(k), Some(e)) => k == e,
        (Some(_), None) => true,
    }
}

fn anthropic(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    body: &Value,
    fault: &Fault,
    n: u64,
) -> Reply {
    if !key_ok(shared, headers.get("x-api-key").map(String::as_str)) {
        return anthropic_error(401, "authentication_error", "invalid x-api-key", &[]);
    }
    if !headers.contains_key("anthropic-version") {
        return anthropic_error(
            400,
            "invalid_request_error",
            "anthropic-version: header is required",
            &[],
        );
    }
    if body.is_null() {
        return anthropic_error(
            400,
            "invalid_request_error",
            "request body is not JSON",
            &[],
        );
    }
    let extra = retry_header(fault);
    match fault {
        Fault::RateLimited { .. } | Fault::RateLimitedDate { .. } => {
            return anthropic_error(
                429,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
                &extra,
            )
        }
        Fault::Overloaded => return anthropic_error(529, "overloaded_error", "Overloaded", &[]),
        Fault::ServerError => {
            return anthropic_error(500, "api_error", "Internal server error", &[])
        }
        Fault::PaymentRequired => {
            return anthropic_error(402, "billing_error", "Payment required for this request", &[])
        }
        Fault::LowCredit => {
            return anthropic_error(
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
                &[],
            )
        }
        Fault::Unauthorized => {
            return anthropic_error(401, "authentication_error", "invalid x-api-key", &[])
        }
        Fault::Forbidden => {
            return anthropic_error(
                403,
                "permission_error",
                "Your API key does not have permission to use the specified resource.",
                &[],
            )
        }
        Fault::BadRequest => {
            return anthropic_error(
                400,
                "invalid_request_error",
                "temperature: range: 0..1",
                &[],
            )
        }
        Fault::ContextOverflow => {
            return anthropic_error(
                400,
                "invalid_request_error",
                "prompt is too long: 250000 tokens > 200000 maximum",
                &[],
            )
        }
        Fault::MalformedJson => {
            return raw_reply(StatusCode::OK, "{\"id\": \"msg_fake\", \"content\": [".into(), &[])
        }
        _ => {}
    }

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

    let (content, stop_reason, out_chars) = match (&tool, fault) {
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
            let w = wanted(&user_text, &schema);
            let (input, truncated) = build_output(&w, fault);
            let len = input.to_string().len();
            let block = json!({"type": "tool_use", "id": format!("toolu_fake_{n}"), "name": name, "input": input});
            (
                json!([block]),
                if truncated { "max_tokens" } else { "tool_use" },
                len,
            )
        }
    };

    let (mut write, mut read) = (0, 0);
    if cacheable {
        match cache_lookup(shared, model, &system, system_tokens) {
            Some(true) => read = system_tokens,
            Some(false) => write = system_tokens,
            None => {}
        }
    }
    let input_tokens = total_in - write - read;
    let answer = json!({
        "id": format!("msg_fake_{n}"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": tokens(out_chars).max(1),
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }
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

/// `Some(401 reply)` when the bearer key is missing or wrong.
fn check_bearer(shared: &Shared, headers: &BTreeMap<String, String>) -> Option<Reply> {
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

fn openai(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    body: &Value,
    fault: &Fault,
    n: u64,
) -> Reply {
    if let Some(refused) = check_bearer(shared, headers) {
        return refused;
    }
    if body.is_null() {
        return openai_error(
            400,
            "invalid_request_error",
            None,
            "We could not parse the JSON body of your request.",
            &[],
        );
    }
    let json_mode = body
        .pointer("/response_format/type")
        .and_then(Value::as_str)
        == Some("json_schema");
    if json_mode && !lock(&shared.config).json_schema_supported {
        return openai_error(
            400,
            "invalid_request_error",
            None,
            "response_format type json_schema is not supported by this server",
            &[],
        );
    }
    let extra = retry_header(fault);
    let key = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or("");
    match fault {
        Fault::RateLimited { .. } | Fault::RateLimitedDate { .. } => {
            return openai_error(
                429,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests per min (RPM). Please try again later.",
                &extra,
            )
        }
        Fault::Overloaded => {
            return openai_error(503, "server_error", None, "The server is overloaded or not ready yet.", &[])
        }
        Fault::ServerError => {
            return openai_error(500, "server_error", None, "The server had an error while processing your request.", &[])
        }
        Fault::PaymentRequired => {
            return openai_error(402, "billing_error", Some("payment_required"), "Payment required.", &[])
        }
        Fault::LowCredit => {
            return openai_error(
                429,
                "insufficient_quota",
                Some("insufficient_quota"),
                "You exceeded your current quota, please check your plan and billing details.",
                &[],
            )
        }
        Fault::Unauthorized => {
            return openai_error(
                401,
                "invalid_request_error",
                Some("invalid_api_key"),
                &format!("Incorrect API key provided: {key}. You can find your API key in your account settings."),
                &[],
            )
        }
        Fault::Forbidden => {
            return openai_error(403, "invalid_request_error", Some("model_not_found"), "You do not have access to this model.", &[])
        }
        Fault::BadRequest => {
            return openai_error(400, "invalid_request_error", Some("invalid_value"), "Invalid value for 'temperature': must be between 0 and 2.", &[])
        }
        Fault::ContextOverflow => {
            return openai_error(
                400,
                "invalid_request_error",
                Some("context_length_exceeded"),
                "This model's maximum context length is 128000 tokens. However, your messages resulted in 250000 tokens. Please reduce the length of the messages.",
                &[],
            )
        }
        Fault::MalformedJson => {
            return raw_reply(StatusCode::OK, "{\"id\": \"chatcmpl-fake\", \"choices\": [".into(), &[])
        }
        _ => {}
    }

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
    let (schema, tool_name) = if json_mode {
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

    let mut message = json!({"role": "assistant", "content": null, "refusal": null});
    let mut finish = "stop";
    let out_chars;
    match (schema, fault) {
        (None, _) | (Some(_), Fault::NoToolOutput) => {
            let text = "I can't produce that output.";
            out_chars = text.len();
            message["content"] = json!(text);
        }
        (Some(schema), _) => {
            let w = wanted(&user_text, &schema);
            let (output, truncated) = build_output(&w, fault);
            let mut text = output.to_string();
            if truncated {
                // A length cut leaves JSON unfinished.
                let full = text.clone();
                text = full.chars().take(full.chars().count() / 2).collect();
                finish = "length";
            }
            out_chars = text.len();
            match tool_name {
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
    let cached = match cache_lookup(shared, model, &system, system_tokens) {
        Some(true) => system_tokens,
        _ => 0,
    };
    let completion = tokens(out_chars).max(1);
    let answer = json!({
        "id": format!("chatcmpl-fake{n}"),
        "object": "chat.completion",
        "created": SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "model": model,
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
