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

/// Make ring rustls's crypto for this process (once; a provider already installed stays). A
/// reqwest client built before it would panic: it is called by [`client`], and by anything else
/// that builds one.
pub fn install_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A reqwest client with the product's timeouts.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    install_tls();
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The client speaks TLS through ring: an `https` call to a local server that answers in
    /// plain HTTP fails as a transport error (the handshake ran and was refused), not a panic
    /// for want of a crypto provider.
    #[tokio::test]
    async fn an_https_call_runs_a_tls_handshake_with_the_installed_provider() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut hello = [0u8; 5];
            sock.read_exact(&mut hello).await.unwrap();
            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
            hello
        });
        let client = client().expect("a client");
        let err = client
            .get(format!("https://{addr}/"))
            .send()
            .await
            .expect_err("plain HTTP is no TLS answer");
        assert!(err.is_connect() || err.is_request(), "{err:?}");
        let hello = server.await.unwrap();
        assert_eq!(
            hello[0], 0x16,
            "a TLS record (handshake) came first: {hello:?}"
        );
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
