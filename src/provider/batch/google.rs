//! Gemini Batch API with inline requests (ai.google.dev/api/batch-mode): `POST
//! v1beta/models/{model}:batchGenerateContent` `{batch: {displayName, inputConfig: {requests:
//! {requests: [{request: GenerateContentRequest, metadata: {key}}]}}}}` (at most 20 MB in all)
//! answers an Operation whose `metadata` is the batch (`name` batches/{id}, `state`,
//! `batchStats`, `createTime`, `endTime`); `GET v1beta/batches/{id}` polls it, and once it has
//! ended its `response.inlinedResponses.inlinedResponses` carry `{response |
//! error, metadata}` per request; `POST v1beta/batches/{id}:cancel`. Price: half the standard
//! one. Real-time Gemini calls go through the OpenAI-compatible endpoint; each batch request
//! is that same call ([`crate::provider::openai::request_body`]) said in the native shape, and
//! each answer is read back through the same chat-completions decoder.

use serde_json::{json, Value};

use super::{BatchItem, BatchLimits, BatchLine, BatchOutcome, BatchStatus, LineStream};
use crate::model::BatchCounts;
use crate::provider::errors::{classify_http, short};
use crate::provider::http::{self, join};
use crate::provider::openai::{request_body, OpenAiClient, OutputMode};
use crate::provider::types::{CallAnswer, CallRequest, ProviderError};
use crate::provider::Flavor;

/// Inline requests take at most 20 MB per batch, the whole create body. The split counts only
/// the request bodies, so 5 MB are kept for the per-request wrapper (`{"request": …,
/// "metadata": {"key": …}}`, under 100 bytes with a 64-character key) of up to 50,000 requests.
/// No request-count limit is documented; OpenAI's 50,000 keeps a batch object small.
pub const LIMITS: BatchLimits = BatchLimits {
    max_requests: 50_000,
    max_bytes: 15 * 1000 * 1000,
};

/// The documented ceiling of one inline create body.
pub const INLINE_MAX_BYTES: usize = 20 * 1000 * 1000;

#[derive(Clone)]
pub struct GoogleBatch {
    key: String,
    /// The native API root (`…/v1beta/`), the OpenAI-compatible base without `openai/`.
    root: String,
    http: reqwest::Client,
    pub limits: BatchLimits,
}

impl std::fmt::Debug for GoogleBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleBatch")
            .field("root", &self.root)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// `…/v1beta/openai/` → `…/v1beta`; a base without the `openai` segment is used as it is.
pub fn native_root(base_url: &str) -> String {
    let b = base_url.trim_end_matches('/');
    b.strip_suffix("/openai").unwrap_or(b).to_string()
}

impl GoogleBatch {
    pub fn of(client: &OpenAiClient) -> GoogleBatch {
        let (key, base_url, http) = client.parts();
        GoogleBatch {
            key: key.to_string(),
            root: native_root(base_url),
            http: http.clone(),
            limits: LIMITS,
        }
    }

    fn send(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        b.header("x-goog-api-key", &self.key)
            .timeout(http::REQUEST_TIMEOUT)
    }

    /// The real-time call's body (OpenAI-compatible, strict JSON schema) as a native
    /// `GenerateContentRequest`.
    pub fn request_body(&self, request: &CallRequest) -> Value {
        native_request(&request_body(
            request,
            Flavor::Google,
            OutputMode::JsonSchema,
        ))
    }

    pub async fn create(&self, items: &[BatchItem]) -> Result<BatchStatus, ProviderError> {
        let model = items
            .first()
            .and_then(|i| i.body["model"].as_str())
            .unwrap_or("")
            .trim_start_matches("models/")
            .to_string();
        let requests: Vec<Value> = items
            .iter()
            .map(|i| json!({"request": i.body, "metadata": {"key": i.custom_id}}))
            .collect();
        let name = items.first().map(|i| i.custom_id.as_str()).unwrap_or("");
        let body = json!({"batch": {
            "displayName": format!("blockwise {name}"),
            "inputConfig": {"requests": {"requests": requests}},
        }});
        let url = join(&self.root, &format!("/models/{model}:batchGenerateContent"));
        let answer = http::send(self.send(self.http.post(url).json(&body)), &self.key).await?;
        read_status(&answer.body)
    }

    pub async fn get(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        read_status(&self.get_raw(id).await?)
    }

    async fn get_raw(&self, id: &str) -> Result<Value, ProviderError> {
        let url = join(&self.root, &format!("/{}", batch_name(id)));
        Ok(http::send(self.send(self.http.get(url)), &self.key)
            .await?
            .body)
    }

    /// `:cancel` answers an empty object; the batch is read again for its state.
    pub async fn cancel(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        let url = join(&self.root, &format!("/{}:cancel", batch_name(id)));
        http::send(self.send(self.http.post(url).json(&json!({}))), &self.key).await?;
        self.get(id).await
    }

    /// The inline responses of an ended batch, one line each (`{key, response | error}`).
    pub async fn results(&self, status: &BatchStatus) -> Result<LineStream, ProviderError> {
        let body = self.get_raw(&status.id).await?;
        let state = batch_of(&body)["state"].as_str().unwrap_or("").to_string();
        let empty = Vec::new();
        let responses = body
            .pointer("/response/inlinedResponses/inlinedResponses")
            .or_else(|| body.pointer("/output/inlinedResponses/inlinedResponses"))
            .or_else(|| body.pointer("/metadata/output/inlinedResponses/inlinedResponses"))
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        if responses.is_empty() && state_word(&state).0 == "failed" {
            // The whole batch failed: say why rather than report every request missing.
            let why = body.pointer("/error/message").and_then(Value::as_str);
            return Err(ProviderError::Malformed {
                message: short(&format!(
                    "batch {} failed: {}",
                    status.id,
                    why.unwrap_or("the provider gave no reason")
                )),
            });
        }
        let lines = responses
            .iter()
            .map(|r| {
                let mut line = json!({"key": r.pointer("/metadata/key").cloned().unwrap_or(Value::Null), "state": state});
                for k in ["response", "error"] {
                    if let Some(v) = r.get(k) {
                        line[k] = v.clone();
                    }
                }
                line.to_string().into_bytes()
            })
            .collect();
        Ok(LineStream::from_lines(lines, &self.key))
    }
}

/// `batches/{id}` whether the store kept the full name or the id.
fn batch_name(id: &str) -> String {
    if id.starts_with("batches/") {
        id.to_string()
    } else {
        format!("batches/{id}")
    }
}

/// The batch inside an Operation (`metadata`), or the batch itself.
fn batch_of(body: &Value) -> &Value {
    match body.get("metadata") {
        Some(m) if m.get("state").is_some() || m.get("name").is_some() => m,
        _ => body,
    }
}

/// State names as the REST reference (`BATCH_STATE_*`) and the SDKs (`JOB_STATE_*`) say them,
/// in the words of the batch model.
fn state_word(state: &str) -> (&'static str, bool) {
    let s = state
        .trim_start_matches("BATCH_STATE_")
        .trim_start_matches("JOB_STATE_");
    match s {
        "SUCCEEDED" => ("ended", true),
        "FAILED" => ("failed", true),
        "CANCELLED" => ("cancelled", true),
        "EXPIRED" => ("expired", true),
        "CANCELLING" => ("canceling", false),
        _ => ("in_progress", false),
    }
}

fn read_status(body: &Value) -> Result<BatchStatus, ProviderError> {
    let batch = batch_of(body);
    let name = batch["name"]
        .as_str()
        .or_else(|| body["name"].as_str())
        .ok_or_else(|| ProviderError::Malformed {
            message: short(&format!("batch answer has no name: {body}")),
        })?;
    let (status, ended) = state_word(batch["state"].as_str().unwrap_or(""));
    let st = &batch["batchStats"];
    // int64 fields come as strings in proto JSON.
    let n = |k: &str| {
        st[k]
            .as_u64()
            .or_else(|| st[k].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(0) as u32
    };
    let (total, ok, failed) = (
        n("requestCount"),
        n("successfulRequestCount"),
        n("failedRequestCount"),
    );
    let rest = total.saturating_sub(ok + failed);
    let counts = BatchCounts {
        processing: if ended {
            0
        } else {
            n("pendingRequestCount").max(rest)
        },
        succeeded: ok,
        errored: failed,
        canceled: if status == "cancelled" { rest } else { 0 },
        expired: if status == "expired" { rest } else { 0 },
    };
    let text = |k: &str| batch[k].as_str().map(str::to_string);
    Ok(BatchStatus {
        id: name.to_string(),
        ended,
        status: status.to_string(),
        counts,
        results_url: None,
        error_file: None,
        created_at: text("createTime"),
        expires_at: None,
        ended_at: text("endTime"),
    })
}

/// One inline response, as [`GoogleBatch::results`] lays it out.
pub fn parse_line(line: &[u8]) -> Result<BatchLine, String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    let custom_id = v["key"].as_str().ok_or("no metadata.key")?.to_string();
    let outcome = if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        BatchOutcome::Errored(rpc_error(err))
    } else if let Some(r) = v.get("response").filter(|r| !r.is_null()) {
        BatchOutcome::Succeeded(r.clone())
    } else {
        match v["state"].as_str().map(state_word) {
            Some(("cancelled", _)) => BatchOutcome::Canceled,
            Some(("expired", _)) => BatchOutcome::Expired,
            _ => return Err("neither response nor error".into()),
        }
    };
    Ok(BatchLine { custom_id, outcome })
}

/// A `google.rpc.Status` (`{code, message, status}`) as the HTTP error it stands for.
fn rpc_error(err: &Value) -> ProviderError {
    let http = match err["code"].as_u64().unwrap_or(0) {
        3 | 9 | 11 => 400,
        16 => 401,
        7 => 403,
        5 => 404,
        8 => 429,
        c @ 400..=599 => c,
        _ => 500,
    } as u16;
    classify_http(http, None, &json!({ "error": err }).to_string(), "")
}

/// A succeeded request's `GenerateContentResponse`, decoded as the real-time (chat
/// completions) answer would be.
pub fn answer(body: &Value, request: &CallRequest) -> Result<CallAnswer, ProviderError> {
    super::openai::answer(&as_chat_completion(body), request)
}

/// An OpenAI-compatible chat body as a native `GenerateContentRequest`.
pub fn native_request(chat: &Value) -> Value {
    let mut system = String::new();
    let mut contents = Vec::new();
    for m in chat["messages"].as_array().into_iter().flatten() {
        let text = m["content"].as_str().unwrap_or("");
        match m["role"].as_str() {
            Some("system") => system.push_str(text),
            Some("assistant") => contents.push(json!({"role": "model", "parts": [{"text": text}]})),
            _ => contents.push(json!({"role": "user", "parts": [{"text": text}]})),
        }
    }
    let mut config = json!({"responseMimeType": "application/json"});
    if let Some(max) = chat.get("max_tokens").or(chat.get("max_completion_tokens")) {
        config["maxOutputTokens"] = max.clone();
    }
    if let Some(t) = chat.get("temperature") {
        config["temperature"] = t.clone();
    }
    if let Some(schema) = chat.pointer("/response_format/json_schema/schema") {
        config["responseJsonSchema"] = schema.clone();
    }
    let mut body = json!({
        "model": format!("models/{}", chat["model"].as_str().unwrap_or("")),
        "contents": contents,
        "generationConfig": config,
    });
    if !system.is_empty() {
        body["systemInstruction"] = json!({"parts": [{"text": system}]});
    }
    body
}

/// A `GenerateContentResponse` in the chat-completions shape: the first candidate's text,
/// `finishReason` (`MAX_TOKENS` → `length`), and `usageMetadata` (thinking is billed as
/// output; `promptTokenCount` includes the cached part, as `prompt_tokens` does).
pub fn as_chat_completion(body: &Value) -> Value {
    let candidate = &body["candidates"][0];
    let text: String = candidate["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["thought"] != true)
        .filter_map(|p| p["text"].as_str())
        .collect();
    let finish = match candidate["finishReason"].as_str() {
        Some("MAX_TOKENS") => "length",
        Some("STOP") | None => "stop",
        Some(_) => "content_filter",
    };
    let u = &body["usageMetadata"];
    let n = |k: &str| u[k].as_u64().unwrap_or(0);
    let choices = if candidate.is_null() {
        json!([])
    } else {
        json!([{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}])
    };
    json!({
        "choices": choices,
        "usage": {
            "prompt_tokens": n("promptTokenCount"),
            "completion_tokens": n("candidatesTokenCount") + n("thoughtsTokenCount"),
            "prompt_tokens_details": {"cached_tokens": n("cachedContentTokenCount")},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_batch_with_its_wrappers_stays_under_the_inline_ceiling() {
        let wrapper = r#"{"request":,"metadata":{"key":""}},"#.len() + 64;
        assert!(LIMITS.max_bytes + LIMITS.max_requests * wrapper + 200 <= INLINE_MAX_BYTES);
    }

    #[test]
    fn states_of_both_spellings_map_onto_the_batch_model() {
        assert_eq!(state_word("BATCH_STATE_SUCCEEDED"), ("ended", true));
        assert_eq!(state_word("JOB_STATE_SUCCEEDED"), ("ended", true));
        assert_eq!(state_word("BATCH_STATE_RUNNING"), ("in_progress", false));
        assert_eq!(state_word("JOB_STATE_PENDING"), ("in_progress", false));
        assert_eq!(state_word("BATCH_STATE_EXPIRED"), ("expired", true));
        assert_eq!(state_word("BATCH_STATE_CANCELLED"), ("cancelled", true));
        assert_eq!(state_word("BATCH_STATE_FAILED"), ("failed", true));
    }

    #[test]
    fn an_operation_reads_its_batch_and_counts() {
        let s = read_status(&json!({"name": "batches/b1", "metadata": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": "batches/b1", "state": "BATCH_STATE_SUCCEEDED",
            "batchStats": {"requestCount": "3", "successfulRequestCount": "2", "failedRequestCount": "1"},
            "createTime": "2026-01-01T00:00:00Z"}}))
        .unwrap();
        assert!(s.ended);
        assert_eq!(
            (s.id.as_str(), s.counts.succeeded, s.counts.errored),
            ("batches/b1", 2, 1)
        );
        assert!(read_status(&json!({"metadata": {"state": "X"}})).is_err());
    }

    #[test]
    fn lines_of_every_kind_decode_and_bad_ones_say_why() {
        let ok = parse_line(br#"{"key":"r-1","response":{"candidates":[]}}"#).unwrap();
        assert!(matches!(ok.outcome, BatchOutcome::Succeeded(_)));
        let err = parse_line(br#"{"key":"r-2","error":{"code":3,"message":"contents: too long","status":"INVALID_ARGUMENT"}}"#).unwrap();
        match err.outcome {
            BatchOutcome::Errored(ProviderError::BadRequest {
                status: 400,
                message,
            }) => {
                assert!(message.contains("too long"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let exp = parse_line(br#"{"key":"r-3","state":"BATCH_STATE_EXPIRED"}"#).unwrap();
        assert_eq!(exp.outcome, BatchOutcome::Expired);
        assert!(parse_line(b"{nope").unwrap_err().contains("not JSON"));
        assert!(parse_line(br#"{"response":{}}"#)
            .unwrap_err()
            .contains("key"));
    }

    #[test]
    fn the_native_request_carries_the_real_time_prompt_and_schema() {
        let chat = json!({"model": "gemini-2.5-flash", "max_tokens": 500, "temperature": 0.0,
            "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}}});
        let n = native_request(&chat);
        assert_eq!(n["model"], "models/gemini-2.5-flash");
        assert_eq!(n["systemInstruction"]["parts"][0]["text"], "S");
        assert_eq!(n["contents"][0]["parts"][0]["text"], "U");
        assert_eq!(n["generationConfig"]["maxOutputTokens"], 500);
        assert_eq!(
            n["generationConfig"]["responseJsonSchema"]["type"],
            "object"
        );
        assert_eq!(
            native_root("https://g.example/v1beta/openai/"),
            "https://g.example/v1beta"
        );
    }
}
