//! Shared HTTP plumbing for the wire modules: one client, one send-and-read routine.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::errors::{classify_http, classify_transport, retry_after_from, short};
use super::types::ProviderError;

/// Connect timeout for every provider.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout of checks outside a run (key tests, structured-output probes).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The client's backstop: a run's own limit (`worker.request_timeout_seconds`, at most an hour)
/// is applied by the worker around each call, so the client must not cut it shorter.
pub const BACKSTOP_TIMEOUT: Duration = Duration::from_secs(3660);

/// A reqwest client with the product's timeouts.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(BACKSTOP_TIMEOUT)
        .user_agent(concat!("blockwise/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A successful (2xx) answer: parsed JSON body, headers and latency.
pub struct Answer {
    pub body: Value,
    pub headers: HeaderMap,
    pub latency: Duration,
}

/// Send a prepared request; classify any failure. `secret` is scrubbed from every message.
pub async fn send(request: reqwest::RequestBuilder, secret: &str) -> Result<Answer, ProviderError> {
    let started = Instant::now();
    let response = request
        .send()
        .await
        .map_err(|e| classify_transport(&e, secret))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response
        .text()
        .await
        .map_err(|e| classify_transport(&e, secret))?;
    let latency = started.elapsed();
    if !(200..300).contains(&status) {
        return Err(classify_http(
            status,
            retry_after_from(&headers),
            &text,
            secret,
        ));
    }
    let body = serde_json::from_str(&text).map_err(|e| ProviderError::Malformed {
        message: short(&format!(
            "HTTP {status} body is not JSON ({e}): {}",
            super::errors::redact(&text, secret)
        )),
    })?;
    Ok(Answer {
        body,
        headers,
        latency,
    })
}

/// The transient error of a call that got no answer within `limit`.
pub fn timed_out(limit: Duration) -> ProviderError {
    ProviderError::Transient {
        status_text: "timeout".into(),
        message: format!(
            "no answer within {} s (time to first byte, time queued in the server included)",
            limit.as_secs()
        ),
    }
}

/// A header as a number, if present and numeric.
pub fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// `base` without a trailing slash, joined with `path` (which starts with `/`).
pub fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}
