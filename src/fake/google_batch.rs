//! The fake Gemini Batch API (inline requests): `POST /v1beta/models/{model}:batchGenerateContent`
//! `{batch: {displayName, inputConfig: {requests: {requests: [{request, metadata: {key}}]}}}}`
//! answers an Operation (`name` batches/{id}, `metadata` the batch with `state` and
//! `batchStats`); `GET /v1beta/batches/{id}` polls it, and once ended carries
//! `response.inlinedResponses.inlinedResponses` (`{response | error, metadata}`), shuffled so
//! the client must join by key; `POST /v1beta/batches/{id}:cancel`. The key comes in
//! `x-goog-api-key`. Each request is answered as the chat-completions endpoint would answer
//! it (the same scripts as the other batch fakes). Gemini has no per-request expired or
//! cancelled state: a scripted `Expired` ends the batch as `BATCH_STATE_EXPIRED` (else a
//! `Canceled` or a cancel as `BATCH_STATE_CANCELLED`), and those requests carry no response.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::batch_script::{FakeBatchScript, FakeOutcome};
use super::openai::openai;
use super::reply::{key_ok, reply, status, Reply};
use super::{lock, Fault, Shared};

/// Inline requests take at most 20 MB per batch.
const MAX_BYTES: usize = 20 * 1000 * 1000;

/// One batch of the fake Gemini API.
pub(super) struct GBatch {
    name: String,
    model: String,
    created: Instant,
    created_at: String,
    requests: Vec<(String, Value)>,
    script: FakeBatchScript,
    /// Requests done when a cancel arrived before the end (`None`: not cancelled).
    cancelled: Option<usize>,
    /// GETs answered after the end (a scripted results failure fails all but the first).
    ended_gets: u32,
    rendered: Option<Value>,
}

pub(super) fn request_count(b: &GBatch) -> u64 {
    b.requests.len() as u64
}

fn error(code: u16, message: &str) -> Reply {
    let word = match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        404 => "NOT_FOUND",
        _ => "INTERNAL",
    };
    reply(
        status(code),
        json!({"error": {"code": code, "message": message, "status": word}}),
        &[],
    )
}

/// `Some` when `path` is a Gemini batch route; the reply to it.
pub(super) async fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &BTreeMap<String, String>,
    raw: &[u8],
) -> Option<Reply> {
    let rest = path.strip_prefix("/v1beta/")?;
    let is_create = rest.starts_with("models/") && rest.ends_with(":batchGenerateContent");
    if !(is_create || rest.starts_with("batches/")) {
        return None;
    }
    if !key_ok(shared, headers.get("x-goog-api-key").map(String::as_str)) {
        return Some(error(
            400,
            "API key not valid. Please pass a valid API key.",
        ));
    }
    Some(match *method {
        Method::POST if is_create => {
            let model = &rest["models/".len()..rest.len() - ":batchGenerateContent".len()];
            create(shared, model, raw)
        }
        Method::POST if rest.ends_with(":cancel") => {
            cancel(shared, rest.trim_end_matches(":cancel"))
        }
        Method::GET => get(shared, headers, rest).await,
        _ => error(404, &format!("no route {method} {path}")),
    })
}

fn create(shared: &Shared, model: &str, raw: &[u8]) -> Reply {
    let body: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
    let mut b = lock(&shared.batches);
    let script = b.scripts.pop_front().unwrap_or_default();
    if let Some((code, message)) = &script.submit_error {
        return error(*code, message);
    }
    if raw.len() > MAX_BYTES {
        return error(
            400,
            "Request payload size exceeds the limit: 20971520 bytes.",
        );
    }
    let Some(list) = body
        .pointer("/batch/inputConfig/requests/requests")
        .and_then(Value::as_array)
    else {
        return error(400, "batch.input_config.requests.requests: field required");
    };
    let max = lock(&shared.config).batch.max_requests;
    if list.is_empty() || (max > 0 && list.len() > max) {
        return error(
            400,
            &format!("a batch holds 1 to {max} requests, got {}", list.len()),
        );
    }
    let mut requests: Vec<(String, Value)> = Vec::new();
    for r in list {
        let key = r
            .pointer("/metadata/key")
            .and_then(Value::as_str)
            .unwrap_or("");
        if key.is_empty() || requests.iter().any(|(k, _)| k == key) {
            return error(
                400,
                &format!("request metadata key '{key}': missing or duplicate"),
            );
        }
        if r["request"]["contents"]
            .as_array()
            .is_none_or(Vec::is_empty)
        {
            return error(400, &format!("request '{key}': contents is not specified"));
        }
        requests.push((key.to_string(), r["request"].clone()));
    }
    b.created += 1;
    let batch = GBatch {
        name: format!("batches/fake{:04}", b.created),
        model: format!("models/{model}"),
        created: Instant::now(),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        requests,
        script,
        cancelled: None,
        ended_gets: 0,
        rendered: None,
    };
    let answer = operation(&batch, Duration::MAX, None);
    b.google.push(batch);
    reply(StatusCode::OK, answer, &[])
}

fn processing(shared: &Shared) -> (Duration, usize) {
    let c = lock(&shared.config);
    (c.batch.processing, c.batch.done_before_cancel)
}

fn cancel(shared: &Shared, name: &str) -> Reply {
    let (p, done) = processing(shared);
    let mut b = lock(&shared.batches);
    b.cancels += 1;
    match b
        .google
        .iter_mut()
        .find(|x| x.name == name && !x.script.vanish)
    {
        Some(x) => {
            if x.cancelled.is_none() && x.created.elapsed() < p {
                x.cancelled = Some(done.min(x.requests.len()));
            }
            reply(StatusCode::OK, json!({}), &[])
        }
        None => error(404, "Requested entity was not found."),
    }
}

async fn get(shared: &Shared, headers: &BTreeMap<String, String>, name: &str) -> Reply {
    let (p, _) = processing(shared);
    let picked = {
        let mut b = lock(&shared.batches);
        let Some(x) = b
            .google
            .iter_mut()
            .find(|x| x.name == name && !x.script.vanish)
        else {
            return error(404, "Requested entity was not found.");
        };
        let ended = x.cancelled.is_some() || x.created.elapsed() >= p;
        if !ended {
            return reply(StatusCode::OK, operation(x, p, None), &[]);
        }
        x.ended_gets += 1;
        if x.script.results_fail && x.ended_gets > 1 {
            return error(500, "An internal error has occurred.");
        }
        let outcomes: Vec<FakeOutcome> = (0..x.requests.len()).map(|i| outcome(x, i)).collect();
        (
            x.requests.clone(),
            outcomes,
            x.script.clone(),
            x.rendered.clone(),
        )
    };
    let (requests, outcomes, script, rendered) = picked;
    let responses = match rendered {
        Some(r) => r,
        None => {
            let r = render(shared, headers, &requests, &outcomes, &script).await;
            if let Some(x) = lock(&shared.batches)
                .google
                .iter_mut()
                .find(|x| x.name == name)
            {
                x.rendered = Some(r.clone());
            }
            r
        }
    };
    let b = lock(&shared.batches);
    match b.google.iter().find(|x| x.name == name) {
        Some(x) => reply(StatusCode::OK, operation(x, p, Some(responses)), &[]),
        None => error(404, "Requested entity was not found."),
    }
}

fn outcome(b: &GBatch, i: usize) -> FakeOutcome {
    match b.cancelled {
        Some(done) if i >= done => FakeOutcome::Canceled,
        _ => b
            .script
            .outcomes
            .get(&i)
            .cloned()
            .unwrap_or(FakeOutcome::Succeeded(Fault::None)),
    }
}

fn state(b: &GBatch, ended: bool) -> &'static str {
    let outs: Vec<FakeOutcome> = (0..b.requests.len()).map(|i| outcome(b, i)).collect();
    if !ended {
        "BATCH_STATE_RUNNING"
    } else if b.script.batch_failed.is_some() {
        "BATCH_STATE_FAILED"
    } else if outs.contains(&FakeOutcome::Expired) {
        "BATCH_STATE_EXPIRED"
    } else if b.cancelled.is_some() || outs.contains(&FakeOutcome::Canceled) {
        "BATCH_STATE_CANCELLED"
    } else {
        "BATCH_STATE_SUCCEEDED"
    }
}

/// The Operation of a batch; `responses` once it has ended.
fn operation(b: &GBatch, p: Duration, responses: Option<Value>) -> Value {
    let ended = b.cancelled.is_some() || b.created.elapsed() >= p;
    let n = b.requests.len();
    let outs: Vec<FakeOutcome> = (0..n).map(|i| outcome(b, i)).collect();
    let ok = outs
        .iter()
        .filter(|o| matches!(o, FakeOutcome::Succeeded(_)))
        .count();
    let failed = outs
        .iter()
        .filter(|o| matches!(o, FakeOutcome::Errored(_)))
        .count();
    let stats = if ended {
        json!({"requestCount": n.to_string(), "successfulRequestCount": ok.to_string(), "failedRequestCount": failed.to_string()})
    } else {
        json!({"requestCount": n.to_string(), "pendingRequestCount": n.to_string()})
    };
    let mut meta = json!({
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
        "model": b.model, "name": b.name, "displayName": "blockwise",
        "createTime": b.created_at, "updateTime": b.created_at,
        "batchStats": stats, "state": state(b, ended),
    });
    let mut op = json!({"name": b.name, "done": ended});
    if ended {
        meta["endTime"] =
            json!(humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string());
    }
    op["metadata"] = meta;
    if let (true, Some(why)) = (ended, &b.script.batch_failed) {
        op["error"] = json!({"code": 13, "message": why});
        return op;
    }
    if let Some(r) = responses {
        op["response"] = json!({
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",
            "inlinedResponses": {"inlinedResponses": r},
        });
    }
    op
}

/// The inline responses of an ended batch, shuffled, with the script's damage.
async fn render(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    requests: &[(String, Value)],
    outcomes: &[FakeOutcome],
    script: &FakeBatchScript,
) -> Value {
    let mut auth = headers.clone();
    let key = headers.get("x-goog-api-key").cloned().unwrap_or_default();
    auth.insert("authorization".into(), format!("Bearer {key}"));
    let mut out = Vec::new();
    for (i, ((key, request), how)) in requests.iter().zip(outcomes).enumerate() {
        if script.no_line.contains(&i) {
            continue;
        }
        let meta = json!({"key": key});
        let entry = match how {
            FakeOutcome::Succeeded(fault) => {
                answered(shared, &auth, request, fault, i as u64 + 1, meta).await
            }
            FakeOutcome::Errored(m) => {
                json!({"metadata": meta, "error": {"code": 3, "message": m, "status": "INVALID_ARGUMENT"}})
            }
            FakeOutcome::Expired | FakeOutcome::Canceled => json!({"metadata": meta}),
        };
        if i == 0 && script.duplicate_first {
            out.push(entry.clone());
        }
        out.push(entry);
    }
    for extra in &script.extra_lines {
        out.push(serde_json::from_str(extra).unwrap_or_else(|_| json!(extra)));
    }
    out.sort_by_key(|v| Sha256::digest(v.to_string().as_bytes()).to_vec());
    Value::Array(out)
}

/// One request answered by the fake chat-completions endpoint, said as a native response.
async fn answered(
    shared: &Shared,
    auth: &BTreeMap<String, String>,
    request: &Value,
    fault: &Fault,
    n: u64,
    meta: Value,
) -> Value {
    let reply = openai(shared, auth, &chat_request(request), fault, n);
    let code = reply.status().as_u16();
    let bytes = match reply.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(never) => match never {},
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if !(200..300).contains(&code) {
        let message = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("error");
        return json!({"metadata": meta, "error": {"code": code, "message": message, "status": "INTERNAL"}});
    }
    json!({"metadata": meta, "response": native_response(&body)})
}

/// A native `GenerateContentRequest` as the chat body the fake answers.
fn chat_request(native: &Value) -> Value {
    let mut messages = Vec::new();
    if let Some(s) = native.pointer("/systemInstruction/parts/0/text") {
        messages.push(json!({"role": "system", "content": s}));
    }
    for c in native["contents"].as_array().into_iter().flatten() {
        let text: String = c["parts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["text"].as_str())
            .collect();
        let role = if c["role"] == "model" {
            "assistant"
        } else {
            "user"
        };
        messages.push(json!({"role": role, "content": text}));
    }
    let g = &native["generationConfig"];
    let mut body = json!({
        "model": native["model"].as_str().unwrap_or("").trim_start_matches("models/"),
        "messages": messages,
        "max_tokens": g["maxOutputTokens"],
    });
    if let Some(schema) = g.get("responseJsonSchema") {
        body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "results", "schema": schema, "strict": true}});
    }
    body
}

/// A chat completion as a native `GenerateContentResponse`.
fn native_response(chat: &Value) -> Value {
    let choice = &chat["choices"][0];
    let finish = if choice["finish_reason"] == "length" {
        "MAX_TOKENS"
    } else {
        "STOP"
    };
    let u = &chat["usage"];
    let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    json!({
        "candidates": [{
            "content": {"role": "model", "parts": [{"text": choice["message"]["content"].as_str().unwrap_or("")}]},
            "finishReason": finish, "index": 0,
        }],
        "usageMetadata": {
            "promptTokenCount": n("/prompt_tokens"),
            "candidatesTokenCount": n("/completion_tokens"),
            "cachedContentTokenCount": n("/prompt_tokens_details/cached_tokens"),
            "totalTokenCount": n("/prompt_tokens") + n("/completion_tokens"),
        },
        "modelVersion": chat["model"],
    })
}
