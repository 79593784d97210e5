//! The fake Anthropic Message Batches API: `POST /v1/messages/batches`, `GET …/{id}`,
//! `POST …/{id}/cancel` and `GET …/{id}/results` (JSONL, lines in shuffled order). Each
//! request is answered as the real-time endpoint would answer it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::anthropic::anthropic;
use super::batch_script::{FakeBatchScript, FakeOutcome};
use super::reply::{key_ok, raw_reply, reply, status, Reply};
use super::{lock, Fault, Shared};

/// One batch the fake holds.
pub(super) struct FakeBatch {
    id: String,
    created: Instant,
    created_at: String,
    requests: Vec<(String, Value)>,
    script: FakeBatchScript,
    /// When a cancel arrived before the end.
    cancelled: bool,
    /// `http://host:port` the batch was created through (its results URL is absolute).
    origin: String,
    /// The result file once built (a real provider serves a finished file; so does the fake,
    /// from its second download on).
    rendered: Option<std::sync::Arc<String>>,
}

/// Every batch the fake holds, and the scripts of batches not created yet.
#[derive(Default)]
pub(super) struct Batches {
    pub(super) held: Vec<FakeBatch>,
    pub(super) scripts: std::collections::VecDeque<FakeBatchScript>,
    pub(super) created: u64,
    pub(super) cancels: u64,
    /// The OpenAI Batch API's batches and uploaded files.
    pub(super) openai: Vec<super::openai_batch::OaBatch>,
    pub(super) files: std::collections::HashMap<String, String>,
    pub(super) created_files: u64,
    /// The Gemini Batch API's batches.
    pub(super) google: Vec<super::google_batch::GBatch>,
}

pub(super) fn request_count(b: &FakeBatch) -> u64 {
    b.requests.len() as u64
}

fn error(code: u16, kind: &str, message: &str) -> Reply {
    reply(
        status(code),
        json!({"type": "error", "error": {"type": kind, "message": message}}),
        &[],
    )
}

/// `Some` when `path` is a batch route; the reply to it.
pub(super) async fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &BTreeMap<String, String>,
    body: &Value,
) -> Option<Reply> {
    let rest = path.strip_prefix("/v1/messages/batches")?;
    if !key_ok(shared, headers.get("x-api-key").map(String::as_str)) {
        return Some(error(401, "authentication_error", "invalid x-api-key"));
    }
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    Some(match (method, parts.as_slice()) {
        (&Method::POST, [""]) => {
            let host = headers.get("host").cloned().unwrap_or_default();
            create(shared, body, format!("http://{host}"))
        }
        (&Method::GET, [id]) => with_batch(shared, id, |b, s, d| {
            reply(StatusCode::OK, object(b, s, d), &[])
        }),
        (&Method::POST, [id, "cancel"]) => cancel(shared, id),
        (&Method::GET, [id, "results"]) => results(shared, headers, id).await,
        _ => error(404, "not_found_error", &format!("no route {method} {path}")),
    })
}

fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn create(shared: &Shared, body: &Value, origin: String) -> Reply {
    let mut batches = lock(&shared.batches);
    let script = batches.scripts.pop_front().unwrap_or_default();
    if let Some((code, message)) = &script.submit_error {
        return error(*code, "invalid_request_error", message);
    }
    let Some(list) = body.get("requests").and_then(Value::as_array) else {
        return error(400, "invalid_request_error", "requests: field required");
    };
    let max = lock(&shared.config).batch.max_requests;
    let max = if max == 0 { 100_000 } else { max };
    if list.is_empty() || list.len() > max {
        let m = format!(
            "requests: a batch holds 1 to {max} requests, got {}",
            list.len()
        );
        return error(400, "invalid_request_error", &m);
    }
    let mut requests = Vec::with_capacity(list.len());
    let mut seen = std::collections::HashSet::new();
    for r in list {
        let id = r.get("custom_id").and_then(Value::as_str).unwrap_or("");
        if !valid_custom_id(id) {
            let m = format!("requests.custom_id: '{id}' does not match ^[a-zA-Z0-9_-]{{1,64}}$");
            return error(400, "invalid_request_error", &m);
        }
        if !seen.insert(id.to_string()) {
            let m = format!("requests: custom_id '{id}' is not unique in the batch");
            return error(400, "invalid_request_error", &m);
        }
        requests.push((
            id.to_string(),
            r.get("params").cloned().unwrap_or(Value::Null),
        ));
    }
    batches.created += 1;
    let batch = FakeBatch {
        id: format!("msgbatch_fake{:04}", batches.created),
        created: Instant::now(),
        created_at: crate::clock::now_rfc3339(),
        requests,
        script,
        cancelled: false,
        origin,
        rendered: None,
    };
    let answer = object(&batch, Duration::MAX, 0);
    batches.held.push(batch);
    reply(StatusCode::OK, answer, &[])
}

fn timing(shared: &Shared) -> (Duration, usize) {
    let c = lock(&shared.config);
    (c.batch.processing, c.batch.done_before_cancel)
}

fn with_batch(
    shared: &Shared,
    id: &str,
    f: impl FnOnce(&FakeBatch, Duration, usize) -> Reply,
) -> Reply {
    let (processing, done_before_cancel) = timing(shared);
    let batches = lock(&shared.batches);
    match batches.held.iter().find(|b| b.id == id && !b.script.vanish) {
        Some(b) => f(b, processing, done_before_cancel),
        None => error(
            404,
            "not_found_error",
            &format!("message batch {id} not found"),
        ),
    }
}

fn cancel(shared: &Shared, id: &str) -> Reply {
    let (processing, done_before_cancel) = timing(shared);
    let mut batches = lock(&shared.batches);
    batches.cancels += 1;
    match batches
        .held
        .iter_mut()
        .find(|b| b.id == id && !b.script.vanish)
    {
        Some(b) => {
            if !ended(b, processing) {
                b.cancelled = true;
            }
            reply(
                StatusCode::OK,
                object(b, processing, done_before_cancel),
                &[],
            )
        }
        None => error(
            404,
            "not_found_error",
            &format!("message batch {id} not found"),
        ),
    }
}

fn ended(b: &FakeBatch, processing: Duration) -> bool {
    b.cancelled || b.created.elapsed() >= processing
}

/// How request `i` of `b` ends (once the batch ended).
fn outcome(b: &FakeBatch, i: usize, done_before_cancel: usize) -> FakeOutcome {
    let scripted = b.script.outcomes.get(&i).cloned();
    if b.cancelled && i >= done_before_cancel {
        return FakeOutcome::Canceled;
    }
    scripted.unwrap_or(FakeOutcome::Succeeded(Fault::None))
}

/// The Message Batch object.
fn object(b: &FakeBatch, processing: Duration, done_before_cancel: usize) -> Value {
    let done = ended(b, processing);
    let mut counts =
        json!({"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0});
    if done {
        for i in 0..b.requests.len() {
            let k = match outcome(b, i, done_before_cancel) {
                FakeOutcome::Succeeded(_) => "succeeded",
                FakeOutcome::Errored(_) => "errored",
                FakeOutcome::Expired => "expired",
                FakeOutcome::Canceled => "canceled",
            };
            counts[k] = json!(counts[k].as_u64().unwrap_or(0) + 1);
        }
    } else {
        counts["processing"] = json!(b.requests.len());
    }
    json!({
        "id": b.id,
        "type": "message_batch",
        "processing_status": if done { "ended" } else if b.cancelled { "canceling" } else { "in_progress" },
        "request_counts": counts,
        "created_at": b.created_at,
        "expires_at": humantime::format_rfc3339_seconds(std::time::SystemTime::now() + Duration::from_secs(86_400)).to_string(),
        "ended_at": if done { json!(crate::clock::now_rfc3339()) } else { Value::Null },
        "cancel_initiated_at": Value::Null,
        "archived_at": Value::Null,
        "results_url": if done { json!(format!("{}/v1/messages/batches/{}/results", b.origin, b.id)) } else { Value::Null },
    })
}

/// The result file: one line per request (scripted gaps, duplicates and extra lines
/// included), in an order unrelated to the requests'.
async fn results(shared: &Shared, headers: &BTreeMap<String, String>, id: &str) -> Reply {
    let (processing, done_before_cancel) = timing(shared);
    let cached = {
        let batches = lock(&shared.batches);
        let b = batches.held.iter().find(|b| b.id == id && !b.script.vanish);
        b.filter(|b| !b.script.results_fail)
            .and_then(|b| b.rendered.clone())
    };
    if let Some(body) = cached {
        return raw_reply(StatusCode::OK, body.as_str().to_owned(), &[]);
    }
    let picked = {
        let batches = lock(&shared.batches);
        batches
            .held
            .iter()
            .find(|b| b.id == id && !b.script.vanish)
            .map(|b| {
                let outcomes: Vec<FakeOutcome> = (0..b.requests.len())
                    .map(|i| outcome(b, i, done_before_cancel))
                    .collect();
                (
                    ended(b, processing),
                    b.requests.clone(),
                    outcomes,
                    b.script.clone(),
                )
            })
    };
    let Some((done, requests, outcomes, script)) = picked else {
        return error(
            404,
            "not_found_error",
            &format!("message batch {id} not found"),
        );
    };
    if !done {
        return error(
            400,
            "invalid_request_error",
            "message batch is still processing",
        );
    }
    if script.results_fail {
        return error(500, "api_error", "Internal server error");
    }
    let mut lines = Vec::with_capacity(requests.len() + script.extra_lines.len() + 1);
    for (i, ((custom_id, params), how)) in requests.iter().zip(outcomes).enumerate() {
        if script.no_line.contains(&i) {
            continue;
        }
        let result = match how {
            FakeOutcome::Succeeded(fault) => {
                let message = message_for(shared, headers, params, &fault, i as u64 + 1).await;
                json!({"type": "succeeded", "message": message})
            }
            FakeOutcome::Errored(m) => {
                json!({"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": m}}})
            }
            FakeOutcome::Expired => json!({"type": "expired"}),
            FakeOutcome::Canceled => json!({"type": "canceled"}),
        };
        let line = line_of(custom_id, &result, i == 0 && script.doubled_id_first);
        if i == 0 && script.duplicate_first {
            lines.push(line.clone());
        }
        lines.push(line);
    }
    lines.extend(script.extra_lines.iter().cloned());
    lines.sort_by_key(|l| Sha256::digest(l.as_bytes()).to_vec());
    let mut body = lines.join("\n");
    body.push('\n');
    if let Some(b) = lock(&shared.batches).held.iter_mut().find(|b| b.id == id) {
        b.rendered = Some(std::sync::Arc::new(body.clone()));
    }
    raw_reply(StatusCode::OK, body, &[])
}

/// One line of the result file; `doubled`: it names a bogus `custom_id` before its own.
fn line_of(custom_id: &str, result: &Value, doubled: bool) -> String {
    if doubled {
        format!(
            r#"{{"custom_id":"zz-x","custom_id":{},"result":{result}}}"#,
            json!(custom_id)
        )
    } else {
        json!({"custom_id": custom_id, "result": result}).to_string()
    }
}

/// The message the real-time endpoint would send for `params`.
async fn message_for(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    params: &Value,
    fault: &Fault,
    n: u64,
) -> Value {
    let answer = anthropic(shared, headers, params, fault, n);
    let bytes = match answer.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(never) => match never {},
    };
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}
