//! OpenAI Batch: upload a JSONL of `{custom_id, method: "POST", url: "/v1/chat/completions",
//! body}` lines (`POST /v1/files`, multipart, `purpose=batch`; one model per file, at most
//! 50,000 lines and 200 MB), then `POST /v1/batches {input_file_id, endpoint,
//! completion_window: "24h"}`; poll `GET /v1/batches/{id}`; read `output_file_id` and
//! `error_file_id` (`GET /v1/files/{id}/content`, lines `{id, custom_id, response:
//! {status_code, body}, error}`); `POST /v1/batches/{id}/cancel`.

use serde_json::{json, Value};

use super::{BatchItem, BatchLimits, BatchLine, BatchOutcome, BatchStatus, LineStream};
use crate::model::BatchCounts;
use crate::provider::errors::{classify_http, short};
use crate::provider::http::{self, join};
use crate::provider::openai::{parse_answer, request_body, OpenAiClient, OutputMode};
use crate::provider::types::{CallAnswer, CallRequest, ProviderError, RateLimitInfo};
use crate::provider::Flavor;

/// OpenAI's documented limits: 50,000 requests and 200 MB per input file.
pub const LIMITS: BatchLimits = BatchLimits {
    max_requests: 50_000,
    max_bytes: 200 * 1000 * 1000,
};

#[derive(Clone)]
pub struct OpenAiBatch {
    key: String,
    base_url: String,
    http: reqwest::Client,
    flavor: Flavor,
    pub limits: BatchLimits,
}

impl std::fmt::Debug for OpenAiBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiBatch")
            .field("base_url", &self.base_url)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl OpenAiBatch {
    pub fn of(client: &OpenAiClient) -> OpenAiBatch {
        let (key, base_url, http) = client.parts();
        OpenAiBatch {
            key: key.to_string(),
            base_url: base_url.to_string(),
            http: http.clone(),
            flavor: client.flavor(),
            limits: LIMITS,
        }
    }

    fn send(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        b.bearer_auth(&self.key).timeout(http::REQUEST_TIMEOUT)
    }

    /// The body each line carries: the chat-completions call with a strict JSON schema.
    pub fn request_body(&self, request: &CallRequest) -> Value {
        request_body(request, self.flavor, OutputMode::JsonSchema)
    }

    pub async fn create(&self, items: &[BatchItem]) -> Result<BatchStatus, ProviderError> {
        let mut file = String::new();
        for i in items {
            let line = json!({"custom_id": i.custom_id, "method": "POST", "url": "/v1/chat/completions", "body": i.body});
            file.push_str(&line.to_string());
            file.push('\n');
        }
        let boundary = format!("blockwise{:x}", crate::clock::now_millis());
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let upload = self
            .http
            .post(join(&self.base_url, "/files"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        let uploaded = http::send(self.send(upload), &self.key).await?;
        let file_id = uploaded.body["id"]
            .as_str()
            .ok_or_else(|| ProviderError::Malformed {
                message: "file upload answer has no id".into(),
            })?;
        let create = self
            .http
            .post(join(&self.base_url, "/batches"))
            .json(&json!({
                "input_file_id": file_id,
                "endpoint": "/v1/chat/completions",
                "completion_window": "24h",
            }));
        read_status(&http::send(self.send(create), &self.key).await?.body)
    }

    pub async fn get(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        let url = join(&self.base_url, &format!("/batches/{id}"));
        read_status(
            &http::send(self.send(self.http.get(url)), &self.key)
                .await?
                .body,
        )
    }

    pub async fn cancel(&self, id: &str) -> Result<BatchStatus, ProviderError> {
        let url = join(&self.base_url, &format!("/batches/{id}/cancel"));
        read_status(
            &http::send(self.send(self.http.post(url)), &self.key)
                .await?
                .body,
        )
    }

    /// The output file, then the error file, as one stream of lines.
    pub async fn results(&self, status: &BatchStatus) -> Result<LineStream, ProviderError> {
        let mut files: Vec<String> = status.results_url.iter().cloned().collect();
        files.extend(status.error_file.iter().cloned());
        let mut stream = LineStream::empty(&self.key);
        for id in files {
            let url = join(&self.base_url, &format!("/files/{id}/content"));
            let response = self
                .send(self.http.get(url))
                .timeout(http::BACKSTOP_TIMEOUT)
                .send()
                .await
                .map_err(|e| crate::provider::errors::classify_transport(&e, &self.key))?;
            let code = response.status().as_u16();
            if !(200..300).contains(&code) {
                let text = response.text().await.unwrap_or_default();
                return Err(classify_http(code, None, &text, &self.key));
            }
            stream.push(response);
        }
        Ok(stream)
    }
}

/// A Batch object.
fn read_status(body: &Value) -> Result<BatchStatus, ProviderError> {
    let id = body["id"]
        .as_str()
        .ok_or_else(|| ProviderError::Malformed {
            message: short(&format!("batch answer has no id: {body}")),
        })?;
    let status = body["status"].as_str().unwrap_or("").to_string();
    let ended = matches!(
        status.as_str(),
        "completed" | "failed" | "expired" | "cancelled"
    );
    let c = &body["request_counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or(0) as u32;
    let (total, completed, failed) = (n("total"), n("completed"), n("failed"));
    let rest = total.saturating_sub(completed + failed);
    let counts = BatchCounts {
        processing: if ended { 0 } else { rest },
        succeeded: completed,
        errored: failed,
        canceled: if status == "cancelled" { rest } else { 0 },
        expired: if status == "expired" { rest } else { 0 },
    };
    let text = |k: &str| body[k].as_str().map(str::to_string);
    let time = |k: &str| {
        body[k].as_u64().map(|s| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(s),
            )
            .to_string()
        })
    };
    Ok(BatchStatus {
        id: id.to_string(),
        ended,
        status: if status == "cancelling" {
            "canceling".into()
        } else {
            status
        },
        counts,
        results_url: text("output_file_id"),
        error_file: text("error_file_id"),
        created_at: time("created_at"),
        expires_at: time("expires_at"),
        ended_at: time("completed_at")
            .or_else(|| time("cancelled_at"))
            .or_else(|| time("expired_at")),
    })
}

/// One line of the output or error file.
pub fn parse_line(line: &[u8]) -> Result<BatchLine, String> {
    let mut v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    let custom_id = v["custom_id"].as_str().ok_or("no custom_id")?.to_string();
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        let code = err["code"].as_str().unwrap_or("");
        let outcome = match code {
            "batch_expired" => BatchOutcome::Expired,
            "batch_cancelled" => BatchOutcome::Canceled,
            _ => BatchOutcome::Errored(classify_http(
                400,
                None,
                &json!({ "error": err }).to_string(),
                "",
            )),
        };
        return Ok(BatchLine { custom_id, outcome });
    }
    let response = v
        .get_mut("response")
        .filter(|r| !r.is_null())
        .ok_or("neither response nor error")?;
    let code = response["status_code"].as_u64().ok_or("no status_code")? as u16;
    // Moved out of the line, not copied: the line is dropped here.
    let body = response
        .get_mut("body")
        .map(Value::take)
        .unwrap_or(Value::Null);
    let outcome = if (200..300).contains(&code) {
        BatchOutcome::Succeeded(body)
    } else {
        BatchOutcome::Errored(classify_http(code, None, &body.to_string(), ""))
    };
    Ok(BatchLine { custom_id, outcome })
}

/// A succeeded request's chat completion, decoded like a real-time answer.
pub fn answer(body: &Value, request: &CallRequest) -> Result<CallAnswer, ProviderError> {
    let parsed = parse_answer(body, request)?;
    Ok(CallAnswer {
        truncated: parsed.stop_reason.as_deref() == Some("length"),
        output: parsed.output,
        parse_issue: parsed.parse_issue,
        usage: parsed.usage,
        stop_reason: parsed.stop_reason,
        latency: std::time::Duration::ZERO,
        rate_limit: RateLimitInfo::default(),
    })
}
