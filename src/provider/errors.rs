//! HTTP status + body → [`ProviderError`], `retry-after` parsing, and key redaction.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::types::ProviderError;

/// Longest error message kept from a provider body.
const MAX_MESSAGE: usize = 300;

/// Classify a non-2xx answer. `retry_after` is the raw `retry-after` header (or
/// `retry-after-ms` converted by the caller), `secret` the API key, which is scrubbed from the
/// message.
pub fn classify_http(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    secret: &str,
) -> ProviderError {
    let (kind, code, raw_message) = error_fields(body);
    let message = short(&redact(&raw_message, secret));
    let lower = raw_message.to_ascii_lowercase();
    let kind_l = kind.to_ascii_lowercase();
    let code_l = code.to_ascii_lowercase();

    let low_credit = lower.contains("credit balance is too low")
        || kind_l == "billing_error"
        || kind_l == "insufficient_quota"
        || code_l == "insufficient_quota";
    if status == 402 || low_credit {
        return ProviderError::OutOfCredit { message };
    }
    if status == 401 || status == 403 {
        return ProviderError::BadKey { status, message };
    }
    if status == 429 {
        return ProviderError::RateLimited {
            retry_after,
            message,
        };
    }
    if is_context_overflow(status, &lower, &code_l) {
        return ProviderError::ContextOverflow { message };
    }
    if status >= 500 || status == 408 || status == 409 || kind_l == "overloaded_error" {
        return ProviderError::Transient {
            status_text: format!("HTTP {status}"),
            message,
        };
    }
    ProviderError::BadRequest { status, message }
}

fn is_context_overflow(status: u16, lower: &str, code: &str) -> bool {
    if status == 413 {
        return true;
    }
    if !(400..500).contains(&status) {
        return false;
    }
    code == "context_length_exceeded"
        || lower.contains("prompt is too long")
        || lower.contains("maximum context length")
        || lower.contains("context length")
        || lower.contains("context window")
        || lower.contains("too many tokens")
        || lower.contains("exceeds the maximum number of tokens")
}

/// `(type, code, message)` from the documented error shapes: Anthropic
/// `{type: "error", error: {type, message}}`, OpenAI `{error: {message, type, code}}`, and the
/// Gemini OpenAI-compatible list form `[{error: {...}}]`. A non-JSON body becomes the message.
fn error_fields(body: &str) -> (String, String, String) {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let root = match parsed {
        Some(Value::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
        Some(v) => v,
        None => {
            let text = body.trim();
            let text = if text.is_empty() {
                "(empty body)"
            } else {
                text
            };
            return (String::new(), String::new(), text.to_string());
        }
    };
    let err = root.get("error").unwrap_or(&root);
    let field = |name: &str| match err.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let mut message = field("message");
    if message.is_empty() {
        message = match err {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
    }
    (field("type"), field("code"), message)
}

/// Parse `retry-after`: delta seconds (integer or decimal) or an HTTP date, relative to `now`.
/// A date in the past gives zero.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
        return None;
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The retry delay from response headers: `retry-after-ms` (OpenAI) first, then `retry-after`.
pub fn retry_after_from(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// A transport failure (no HTTP answer): timeouts, refused or reset connections.
pub fn classify_transport(err: &reqwest::Error, secret: &str) -> ProviderError {
    let what = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "connection error"
    };
    // The source chain says why (reset, refused, closed); keep it short and key-free.
    // Without the URL: a base URL may carry credentials from an older store.
    let mut detail = match err.url() {
        Some(u) => err
            .to_string()
            .replace(u.as_str(), &super::redact_url(u.as_str())),
        None => err.to_string(),
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    ProviderError::Transient {
        status_text: what.to_string(),
        message: short(&redact(&detail, secret)),
    }
}

/// Remove the key, and anything shaped like an OpenAI-style key, from a message.
pub fn redact(text: &str, secret: &str) -> String {
    let mut out = if secret.len() >= 4 {
        text.replace(secret, "[redacted key]")
    } else {
        text.to_string()
    };
    // Masked echoes such as "sk-abc***wxyz" or full "sk-..." tokens.
    for prefix in ["sk-", "sk_", "AIza"] {
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(pos) = rest.find(prefix) {
            result.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            let len = tail
                .char_indices()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*')))
                .map(|(i, _)| i)
                .unwrap_or(tail.len());
            if len >= prefix.len() + 6 {
                result.push_str("[redacted key]");
            } else {
                result.push_str(&tail[..len]);
            }
            rest = &tail[len..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// One line, at most [`MAX_MESSAGE`] characters.
pub fn short(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() <= MAX_MESSAGE {
        return flat.to_string();
    }
    let mut out: String = flat.chars().take(MAX_MESSAGE).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn classes_from_status_and_body() {
        let anth = |t: &str, m: &str| {
            format!(r#"{{"type":"error","error":{{"type":"{t}","message":"{m}"}}}}"#)
        };
        assert!(matches!(
            classify_http(
                400,
                None,
                &anth(
                    "invalid_request_error",
                    "Your credit balance is too low to access the Anthropic API."
                ),
                "k"
            ),
            ProviderError::OutOfCredit { .. }
        ));
        assert!(matches!(
            classify_http(
                400,
                None,
                &anth(
                    "invalid_request_error",
                    "prompt is too long: 250000 tokens > 200000 maximum"
                ),
                "k"
            ),
            ProviderError::ContextOverflow { .. }
        ));
        assert!(matches!(
            classify_http(
                400,
                None,
                &anth("invalid_request_error", "max_tokens: field required"),
                "k"
            ),
            ProviderError::BadRequest { status: 400, .. }
        ));
        assert!(matches!(
            classify_http(529, None, &anth("overloaded_error", "Overloaded"), "k"),
            ProviderError::Transient { .. }
        ));
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert!(matches!(
            classify_http(429, None, quota, "k"),
            ProviderError::OutOfCredit { .. }
        ));
        assert!(matches!(
            classify_http(502, None, "<html>bad gateway</html>", "k"),
            ProviderError::Transient { .. }
        ));
    }

    #[test]
    fn messages_never_carry_the_key() {
        let key = "sk-proj-ABCDEFGHIJKLMNOP1234";
        let body = format!(
            r#"{{"error":{{"message":"Incorrect API key provided: {key}. Also sk-pro***1234.","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
        );
        let err = classify_http(401, None, &body, key);
        let text = err.to_string();
        assert!(!text.contains(key), "{text}");
        assert!(!text.contains("sk-pro***"), "{text}");
        assert!(matches!(err, ProviderError::BadKey { status: 401, .. }));
        assert!(short(&"x".repeat(1000)).chars().count() <= MAX_MESSAGE + 1);
    }
}
