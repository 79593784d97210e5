//! The fake OpenAI Batch API: `POST /v1/files` (multipart, `purpose=batch`, a JSONL of
//! `{custom_id, method, url, body}` lines), `POST /v1/batches` `{input_file_id, endpoint,
//! completion_window}`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`, and
//! `GET /v1/files/{id}/content` for the output file (`{id, custom_id, response: {status_code,
//! body}, error}` lines, shuffled) and the error file. Each request is answered as the
//! chat-completions endpoint would answer it; scripts are shared with the Anthropic fake.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::batch_script::{FakeBatchScript, FakeOutcome};
use super::openai::{check_bearer, openai};
use super::reply::{raw_reply, reply, status, Reply};
use super::{lock, Fault, Shared};

/// One batch of the fake OpenAI API.
pub(super) struct OaBatch {
    id: String,
    created: Instant,
    requests: Vec<(String, Value)>,
    script: FakeBatchScript,
    cancelled: bool,
    files: Option<(String, String)>,
}

pub(super) fn request_count(b: &OaBatch) -> u64 {
    b.requests.len() as u64
}

fn error(code: u16, message: &str) -> Reply {
    reply(
        status(code),
        json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}),
        &[],
    )
}

/// `Some` when `path` is a files or batches route; the reply to it.
pub(super) async fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &BTreeMap<String, String>,
    raw: &[u8],
) -> Option<Reply> {
    let rest = path.strip_prefix("/v1")?;
    if !(rest.starts_with("/files") || rest.starts_with("/batches")) {
        return None;
    }
    if let Some(refused) = check_bearer(shared, headers) {
        return Some(refused);
    }
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    Some(match (method, parts.as_slice()) {
        (&Method::POST, ["files"]) => upload(shared, headers, raw),
        (&Method::GET, ["files", id, "content"]) => content(shared, headers, id).await,
        (&Method::POST, ["batches"]) => create(shared, raw),
        (&Method::GET, ["batches", id]) => {
            with(shared, id, |b, p| reply(StatusCode::OK, object(b, p), &[]))
        }
        (&Method::POST, ["batches", id, "cancel"]) => cancel(shared, id),
        _ => error(404, &format!("no route {method} {path}")),
    })
}

/// The `file` and `purpose` fields of a multipart/form-data body.
fn multipart(headers: &BTreeMap<String, String>, raw: &[u8]) -> Option<(String, Vec<u8>)> {
    let ct = headers.get("content-type")?;
    let boundary = ct.split("boundary=").nth(1)?.trim_matches('"');
    let text = raw;
    let sep = format!("--{boundary}");
    let mut purpose = None;
    let mut file = None;
    let body = String::from_utf8_lossy(text);
    for part in body.split(sep.as_str()) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        if head.contains("name=\"purpose\"") {
            purpose = Some(content.trim().to_string());
        } else if head.contains("name=\"file\"") {
            file = Some(content.as_bytes().to_vec());
        }
    }
    Some((purpose?, file?))
}

fn upload(shared: &Shared, headers: &BTreeMap<String, String>, raw: &[u8]) -> Reply {
    let Some((purpose, file)) = multipart(headers, raw) else {
        return error(
            400,
            "a multipart/form-data body with `file` and `purpose` is required",
        );
    };
    if purpose != "batch" {
        return error(400, &format!("purpose '{purpose}' is not 'batch'"));
    }
    let mut b = lock(&shared.batches);
    b.created_files += 1;
    let id = format!("file-fake{:04}", b.created_files);
    let bytes = file.len();
    b.files
        .insert(id.clone(), String::from_utf8_lossy(&file).into_owned());
    reply(
        StatusCode::OK,
        json!({"id": id, "object": "file", "bytes": bytes, "purpose": "batch", "filename": "batch.jsonl"}),
        &[],
    )
}

fn create(shared: &Shared, raw: &[u8]) -> Reply {
    let body: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
    let mut b = lock(&shared.batches);
    let script = b.scripts.pop_front().unwrap_or_default();
    if let Some((code, message)) = &script.submit_error {
        return error(*code, message);
    }
    if body["endpoint"] != "/v1/chat/completions" || body["completion_window"] != "24h" {
        return error(
            400,
            "endpoint must be /v1/chat/completions and completion_window 24h",
        );
    }
    let Some(file) = body["input_file_id"]
        .as_str()
        .and_then(|id| b.files.get(id))
        .cloned()
    else {
        return error(404, "input_file_id: no such file");
    };
    let mut requests = Vec::new();
    for line in file.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return error(400, "the input file has a line that is not JSON");
        };
        let id = v["custom_id"].as_str().unwrap_or("").to_string();
        if id.is_empty()
            || requests.iter().any(|(c, _)| *c == id)
            || v["url"] != "/v1/chat/completions"
        {
            return error(
                400,
                &format!("input line with custom_id '{id}': missing, duplicate or wrong url"),
            );
        }
        requests.push((id, v["body"].clone()));
    }
    if requests.is_empty() || requests.len() > 50_000 {
        return error(400, "a batch holds 1 to 50,000 requests");
    }
    b.created += 1;
    let batch = OaBatch {
        id: format!("batch_fake{:04}", b.created),
        created: Instant::now(),
        requests,
        script,
        cancelled: false,
        files: None,
    };
    let answer = object(&batch, Duration::MAX);
    b.openai.push(batch);
    reply(StatusCode::OK, answer, &[])
}

fn processing(shared: &Shared) -> Duration {
    lock(&shared.config).batch.processing
}

fn with(shared: &Shared, id: &str, f: impl FnOnce(&OaBatch, Duration) -> Reply) -> Reply {
    let p = processing(shared);
    let b = lock(&shared.batches);
    match b.openai.iter().find(|x| x.id == id && !x.script.vanish) {
        Some(x) => f(x, p),
        None => error(404, &format!("No batch found with id '{id}'.")),
    }
}

fn cancel(shared: &Shared, id: &str) -> Reply {
    let p = processing(shared);
    let mut b = lock(&shared.batches);
    b.cancels += 1;
    match b.openai.iter_mut().find(|x| x.id == id && !x.script.vanish) {
        Some(x) => {
            if x.created.elapsed() < p {
                x.cancelled = true;
            }
            reply(StatusCode::OK, object(x, p), &[])
        }
        None => error(404, &format!("No batch found with id '{id}'.")),
    }
}

fn ended(b: &OaBatch, p: Duration) -> bool {
    b.cancelled || b.created.elapsed() >= p
}

fn outcome(b: &OaBatch, i: usize) -> FakeOutcome {
    if b.cancelled {
        return FakeOutcome::Canceled;
    }
    b.script
        .outcomes
        .get(&i)
        .cloned()
        .unwrap_or(FakeOutcome::Succeeded(Fault::None))
}

fn object(b: &OaBatch, p: Duration) -> Value {
    let done = ended(b, p);
    let n = b.requests.len();
    let failed = (0..n)
        .filter(|i| !matches!(outcome(b, *i), FakeOutcome::Succeeded(_)))
        .count();
    let status = match (done, b.cancelled) {
        (false, _) => "in_progress",
        (true, true) => "cancelled",
        (true, false) => "completed",
    };
    let now = crate::clock::now_millis() / 1000;
    json!({
        "id": b.id, "object": "batch", "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in", "completion_window": "24h", "status": status,
        "output_file_id": if done { json!(format!("file-out-{}", b.id)) } else { Value::Null },
        "error_file_id": if done && failed > 0 { json!(format!("file-err-{}", b.id)) } else { Value::Null },
        "created_at": now, "expires_at": now + 86_400,
        "request_counts": {"total": n, "completed": if done { n - failed } else { 0 }, "failed": if done { failed } else { 0 }},
    })
}

/// The output or error file of an ended batch (rendered once).
async fn content(shared: &Shared, headers: &BTreeMap<String, String>, id: &str) -> Reply {
    if let Some(text) = lock(&shared.batches).files.get(id).cloned() {
        if !id.starts_with("file-out-") && !id.starts_with("file-err-") {
            return raw_reply(StatusCode::OK, text, &[]);
        }
    }
    let batch_id = id
        .trim_start_matches("file-out-")
        .trim_start_matches("file-err-")
        .to_string();
    let picked = {
        let b = lock(&shared.batches);
        b.openai
            .iter()
            .find(|x| x.id == batch_id && !x.script.vanish)
            .map(|x| {
                let outs: Vec<FakeOutcome> = (0..x.requests.len()).map(|i| outcome(x, i)).collect();
                (x.requests.clone(), outs, x.script.clone(), x.files.clone())
            })
    };
    let Some((requests, outcomes, script, rendered)) = picked else {
        return error(404, &format!("No such File object: {id}"));
    };
    if script.results_fail {
        return error(
            500,
            "The server had an error while processing your request.",
        );
    }
    let (out, err) = match rendered {
        Some(r) => r,
        None => {
            let r = render(shared, headers, &requests, outcomes, &script).await;
            if let Some(x) = lock(&shared.batches)
                .openai
                .iter_mut()
                .find(|x| x.id == batch_id)
            {
                x.files = Some(r.clone());
            }
            r
        }
    };
    raw_reply(
        StatusCode::OK,
        if id.starts_with("file-out-") {
            out
        } else {
            err
        },
        &[],
    )
}

async fn render(
    shared: &Shared,
    headers: &BTreeMap<String, String>,
    requests: &[(String, Value)],
    outcomes: Vec<FakeOutcome>,
    script: &FakeBatchScript,
) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut auth = headers.clone();
    auth.insert("content-type".into(), "application/json".into());
    for (i, ((custom_id, body), how)) in requests.iter().zip(outcomes).enumerate() {
        if script.no_line.contains(&i) {
            continue;
        }
        let id = format!("batch_req_{i}");
        let line = match how {
            FakeOutcome::Succeeded(fault) => {
                let answer = openai(shared, &auth, body, &fault, i as u64 + 1);
                let code = answer.status().as_u16();
                let bytes = match answer.into_body().collect().await {
                    Ok(b) => b.to_bytes(),
                    Err(never) => match never {},
                };
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                json!({"id": id, "custom_id": custom_id, "response": {"status_code": code, "request_id": format!("req_{i}"), "body": body}, "error": null})
            }
            FakeOutcome::Errored(m) => json!({"id": id, "custom_id": custom_id, "response": {"status_code": 400, "request_id": format!("req_{i}"), "body": {"error": {"message": m, "type": "invalid_request_error", "param": null, "code": null}}}, "error": null}),
            FakeOutcome::Expired => json!({"id": id, "custom_id": custom_id, "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}),
            FakeOutcome::Canceled => json!({"id": id, "custom_id": custom_id, "response": null, "error": {"code": "batch_cancelled", "message": "This request was not executed because the batch was cancelled."}}),
        }
        .to_string();
        let failed = !line.contains("\"status_code\":200");
        if failed {
            err.push(line)
        } else {
            if i == 0 && script.duplicate_first {
                out.push(line.clone());
            }
            out.push(line);
        }
    }
    out.extend(script.extra_lines.iter().cloned());
    out.sort_by_key(|l| Sha256::digest(l.as_bytes()).to_vec());
    let join = |v: Vec<String>| {
        if v.is_empty() {
            String::new()
        } else {
            v.join("\n") + "\n"
        }
    };
    (join(out), join(err))
}
