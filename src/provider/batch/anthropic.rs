//! Anthropic Message Batches: `POST /v1/messages/batches` `{requests: [{custom_id, params}]}`,
//! `GET /v1/messages/batches/{id}`, `POST …/{id}/cancel`, and the JSONL at `results_url`
//! (`{custom_id, result: {type: succeeded|errored|canceled|expired, message|error}}`, in any
//! order).

use serde_json::{json, Value};

use super::{BatchItem, BatchLimits, BatchLine, BatchOutcome, BatchStatus, LineStream};
use crate::model::BatchCounts;
use crate::provider::anthropic::{parse_answer, AnthropicClient, API_VERSION};
use crate::provider::errors::{classify_http, classify_transport, short};
use crate::provider::http::{self, join};
use crate::provider::types::{CallAnswer, CallRequest, ProviderError, RateLimitInfo};

/// Anthropic's documented limits: 100,000 requests or 256 MB per batch.
pub const LIMITS: BatchLimits = BatchLimits {
    max_requests: 100_000,
    max_bytes: 256 * 1000 * 1000,
};

#[derive(Clone)]
pub struct AnthropicBatch {
    key: String,
    base_url: String,
    http: reqwest::Client,
    pub limits: BatchLimits,
}

impl std::fmt::Debug for AnthropicBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicBatch")
            .field("base_url", &self.base_url)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl AnthropicBatch {
    /// The batch API of the same key and endpoint as `client`.
    pub fn of(client: &AnthropicClient) -> AnthropicBatch {
        let (key, base_url, http) = client.parts();
        AnthropicBatch {
            key: key.to_string(),
            base_url: base_url.to_string(),
            http: http.clone(),
            limits: LIMITS,
        }
    }

    fn with_headers(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        b.header("x-api-key", &self.key)
            .header("anthropic-version", API_VERSION)
            .timeout(http::REQUEST_TIMEOUT)
    }

    pub async fn create(&self, items: &[BatchItem]) -> Result<BatchStatus, ProviderError> {
        let requests: Vec<Value> = items
            .iter()
            .map(|i| json!({"custom_id": i.custom_id, "params": i.body}))
            .collect();
        let req = self
            .http
            .post(join(&self.base_url, "/v1/messages/batches"))
            .json(&json!({ "requests": requests }));
        let answer = http::send(self.with_headers(req), &self.key).await?;
        read_status(&answer.body)
    }

    pub async fn get(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        let url = join(&self.base_url, &format!("/v1/messages/batches/{id}"));
        let answer = http::send(self.with_headers(self.http.get(url)), &self.key).await?;
        read_status(&answer.body)
    }

    pub async fn cancel(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        let url = join(&self.base_url, &format!("/v1/messages/batches/{id}/cancel"));
        let answer = http::send(self.with_headers(self.http.post(url)), &self.key).await?;
        read_status(&answer.body)
    }

    /// Open the result file; its lines are read as they arrive.
    pub async fn results(&self, status: &BatchStatus) -> Result<LineStream, ProviderError> {
        let url = match status.results_url.as_deref() {
            // A gateway may answer with a path on itself.
            Some(path) if path.starts_with('/') => join(&self.base_url, path),
            Some(url) => url.to_string(),
            None => join(
                &self.base_url,
                &format!("/v1/messages/batches/{}/results", status.id),
            ),
        };
        let req = self
            .http
            .get(url)
            .header("x-api-key", &self.key)
            .header("anthropic-version", API_VERSION);
        let response = req
            .send()
            .await
            .map_err(|e| classify_transport(&e, &self.key))?;
        let code = response.status().as_u16();
        if !(200..300).contains(&code) {
            let text = response.text().await.unwrap_or_default();
            return Err(classify_http(code, None, &text, &self.key));
        }
        Ok(LineStream::new(response, &self.key))
    }
}

/// A Message Batch object.
fn read_status(body: &Value) -> Result<BatchStatus, ProviderError> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::Malformed {
            message: short(&format!("batch answer has no id: {body}")),
        })?;
    let status = body
        .get("processing_status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let c = body.get("request_counts").cloned().unwrap_or(Value::Null);
    let n = |k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0) as u32;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(BatchStatus {
        id: id.to_string(),
        ended: status == "ended",
        status,
        counts: BatchCounts {
            processing: n("processing"),
            succeeded: n("succeeded"),
            errored: n("errored"),
            canceled: n("canceled"),
            expired: n("expired"),
        },
        results_url: text("results_url"),
        error_file: None,
        created_at: text("created_at"),
        expires_at: text("expires_at"),
        ended_at: text("ended_at"),
    })
}

/// One line of the result file.
pub fn parse_line(line: &[u8]) -> Result<BatchLine, String> {
    let mut v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    let custom_id = v
        .get("custom_id")
        .and_then(Value::as_str)
        .ok_or("no custom_id")?
        .to_string();
    let result = v.get_mut("result").ok_or("no result")?;
    let kind = result
        .get("type")
        .and_then(Value::as_str)
        .ok_or("no result type")?
        .to_string();
    let outcome = match kind.as_str() {
        // Moved out of the line, not copied: the line is dropped here.
        "succeeded" => BatchOutcome::Succeeded(
            result
                .get_mut("message")
                .map(Value::take)
                .ok_or("a succeeded result without a message")?,
        ),
        "errored" => BatchOutcome::Errored(errored(result)),
        "canceled" => BatchOutcome::Canceled,
        "expired" => BatchOutcome::Expired,
        other => return Err(format!("unknown result type '{}'", short(other))),
    };
    Ok(BatchLine { custom_id, outcome })
}

/// An errored request's error (`{type: "error", error: {type, message}}`), classified as the
/// same error of a real-time call would be (`invalid_request_error` → a bad request).
fn errored(result: &Value) -> ProviderError {
    let error = result.get("error").cloned().unwrap_or(Value::Null);
    let inner = error.get("error").unwrap_or(&error);
    let kind = inner.get("type").and_then(Value::as_str).unwrap_or("");
    let status = match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    };
    classify_http(status, None, &json!({ "error": inner }).to_string(), "")
}

/// A succeeded request's message, decoded like a real-time answer.
pub fn answer(body: &Value, request: &CallRequest) -> Result<CallAnswer, ProviderError> {
    let parsed = parse_answer(body, request)?;
    Ok(CallAnswer {
        truncated: parsed.stop_reason.as_deref() == Some("max_tokens"),
        output: parsed.output,
        parse_issue: parsed.parse_issue,
        usage: parsed.usage,
        stop_reason: parsed.stop_reason,
        latency: std::time::Duration::ZERO,
        rate_limit: RateLimitInfo::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_of_every_kind_decode_and_bad_ones_say_why() {
        let ok = parse_line(
            br#"{"custom_id":"a-1","result":{"type":"succeeded","message":{"content":[]}}}"#,
        )
        .unwrap();
        assert_eq!(ok.custom_id, "a-1");
        assert!(matches!(ok.outcome, BatchOutcome::Succeeded(_)));
        let err = parse_line(br#"{"custom_id":"a-2","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}}}}"#).unwrap();
        match err.outcome {
            BatchOutcome::Errored(ProviderError::BadRequest {
                status: 400,
                message,
            }) => {
                assert!(message.contains("max_tokens"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let exp = parse_line(br#"{"custom_id":"a-3","result":{"type":"expired"}}"#).unwrap();
        assert_eq!(exp.outcome, BatchOutcome::Expired);
        assert!(parse_line(b"{not json").unwrap_err().contains("not JSON"));
        assert!(parse_line(br#"{"result":{"type":"expired"}}"#)
            .unwrap_err()
            .contains("custom_id"));
        assert!(parse_line(br#"{"custom_id":"x","result":{"type":"weird"}}"#).is_err());
    }

    #[test]
    fn a_batch_object_reads_its_counts_and_end() {
        let s = read_status(&json!({
            "id": "msgbatch_1", "type": "message_batch", "processing_status": "ended",
            "request_counts": {"processing": 0, "succeeded": 3, "errored": 1, "canceled": 0, "expired": 2},
            "results_url": "http://h/v1/messages/batches/msgbatch_1/results",
            "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-02T00:00:00Z",
            "ended_at": "2026-01-01T00:10:00Z"
        }))
        .unwrap();
        assert!(s.ended);
        assert_eq!(s.counts.succeeded, 3);
        assert_eq!(s.counts.expired, 2);
        assert!(read_status(&json!({"processing_status": "ended"})).is_err());
    }
}
