//! Model providers: one trait, one module per wire protocol, one classified error type.
//!
//! The worker talks only to [`Provider`]; the wire modules (Anthropic Messages,
//! OpenAI-compatible chat completions) implement it. [`connect`] builds the right client for a
//! A leaf: it knows the wire protocols, not the store, the vault or the fake server; the
//! client for a run's provider is built in `worker::connect`.

pub mod anthropic;
pub mod batch;
pub(crate) mod discover;
pub(crate) mod errors;
pub(crate) mod http;
pub mod openai;
pub(crate) mod pricing;
pub mod prompt;
pub mod tool_call;
mod types;

use crate::model::ProviderKind;
pub use anthropic::AnthropicClient;
pub use discover::{ServerKind, ServerLimits};
pub use http::install_tls;
pub use openai::{Flavor, OpenAiClient, OutputMode, StructuredSupport};
pub use pricing::{format_cost, ModelPrice, PriceTable};
pub use tool_call::{ToolAnswer, ToolCall};
pub use types::{BlockInput, CallAnswer, CallRequest, Provider, ProviderError, RateLimitInfo};

/// Every provider name the product knows.
pub const PROVIDERS: [&str; 5] = [
    ProviderKind::Anthropic.as_str(),
    ProviderKind::OpenAi.as_str(),
    ProviderKind::Google.as_str(),
    ProviderKind::Custom.as_str(),
    ProviderKind::Demo.as_str(),
];

/// The environment variable holding a fallback key for a provider.
pub fn key_env_var(provider: &str) -> Option<&'static str> {
    match ProviderKind::parse(provider)? {
        ProviderKind::Anthropic => Some("ANTHROPIC_API_KEY"),
        ProviderKind::OpenAi => Some("OPENAI_API_KEY"),
        ProviderKind::Google => Some("GEMINI_API_KEY"),
        ProviderKind::Custom => Some(CUSTOM_KEY_ENV),
        ProviderKind::Demo => None,
    }
}

/// The custom endpoint's key, when its server wants one (a local server usually does not).
pub const CUSTOM_KEY_ENV: &str = "BLOCKWISE_CUSTOM_API_KEY";
/// The custom endpoint's base URL, used when no stored one exists.
pub const CUSTOM_BASE_URL_ENV: &str = "BLOCKWISE_CUSTOM_BASE_URL";

/// The environment variable that overrides a provider's base URL.
pub fn base_url_env_var(provider: &str) -> Option<&'static str> {
    match ProviderKind::parse(provider)? {
        ProviderKind::Anthropic => Some("ANTHROPIC_BASE_URL"),
        ProviderKind::OpenAi => Some("OPENAI_BASE_URL"),
        ProviderKind::Custom => Some(CUSTOM_BASE_URL_ENV),
        _ => None,
    }
}

/// Whether `base_url` is the provider's own public endpoint, whose built-in prices apply.
/// Custom servers never are; the demo is priced by its own zero-price entry.
pub fn is_vendor_endpoint(provider: &str, base_url: &str) -> bool {
    let url = base_url.trim_end_matches('/');
    let vendor = match ProviderKind::parse(provider) {
        Some(ProviderKind::Anthropic) => anthropic::DEFAULT_BASE_URL,
        Some(ProviderKind::OpenAi) => openai::OPENAI_BASE_URL,
        Some(ProviderKind::Google) => openai::GOOGLE_BASE_URL,
        Some(ProviderKind::Demo) => return true,
        Some(ProviderKind::Custom) | None => return false,
    };
    url == vendor.trim_end_matches('/')
}

/// Whether the built-in price table applies to calls of `provider` at `base_url`: a named
/// vendor (Anthropic, OpenAI, Google) keeps its models' prices behind a gateway or proxy
/// (`ANTHROPIC_BASE_URL`, a stored base URL), since the model is still the vendor's — a model
/// the table does not know stays unknown; a custom server is priced only by the user's
/// `prices.json`; the demo by its own zero-price entry.
pub fn builtin_prices_apply(provider: &str, base_url: &str) -> bool {
    match ProviderKind::parse(provider) {
        Some(ProviderKind::Anthropic | ProviderKind::OpenAi | ProviderKind::Google) => true,
        Some(ProviderKind::Demo) => true,
        Some(ProviderKind::Custom) | None => is_vendor_endpoint(provider, base_url),
    }
}

/// A sensible model when neither the run, the schema nor the key names one.
pub fn default_model(provider: &str) -> &'static str {
    match ProviderKind::parse(provider) {
        Some(ProviderKind::OpenAi) => "gpt-4.1-mini",
        Some(ProviderKind::Google) => "gemini-2.5-flash",
        Some(ProviderKind::Custom) => "default",
        Some(ProviderKind::Demo) => "demo",
        _ => "claude-sonnet-4-5",
    }
}

/// Why a provider could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unknown provider '{0}': use one of anthropic, openai, google, custom, demo")]
    UnknownProvider(String),
    #[error(
        "no API key for {provider}: store one with `blockwise keys set {provider}`{}",
        env.map(|e| format!(" or set {e}")).unwrap_or_default()
    )]
    MissingKey {
        provider: String,
        env: Option<&'static str>,
    },
    #[error(
        "the custom provider needs a base URL: `blockwise keys set custom --base-url \
         http://host:port/v1` or set {CUSTOM_BASE_URL_ENV}"
    )]
    MissingBaseUrl,
    #[error("invalid base URL '{}': {reason}", redact_url(url))]
    InvalidBaseUrl { url: String, reason: String },
    #[error("cannot start the HTTP client: {0}")]
    Http(String),
    #[error("cannot start the offline demo provider: {0}")]
    Demo(String),
}

/// `url` with any user name, password and query string removed (`?…` marks a dropped query),
/// for every place a base URL is shown: `keys list`, errors, logs.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            let had_query = u.query().is_some();
            u.set_query(None);
            u.set_fragment(None);
            let mut s = u.to_string();
            if had_query {
                s.push_str("?…");
            }
            s
        }
        // Unparseable: drop everything between the scheme and an '@', and any query.
        Err(_) => {
            let no_query = url.split(['?', '#']).next().unwrap_or("");
            match (no_query.find("://"), no_query.rfind('@')) {
                (Some(i), Some(at)) if at > i => {
                    format!("{}://{}", &no_query[..i], &no_query[at + 1..])
                }
                (None, Some(at)) => no_query[at + 1..].to_string(),
                _ => no_query.to_string(),
            }
        }
    }
}

/// Check a base URL: absolute, http or https, no credentials and no query string (a key
/// belongs in `keys set --stdin`, where it is encrypted and never shown).
pub fn validate_base_url(url: &str) -> Result<(), ConnectError> {
    let invalid = |reason: &str| ConnectError::InvalidBaseUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => return Err(invalid(&format!("scheme '{other}' is not http or https"))),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "it holds a user name or password; a key belongs in `blockwise keys set PROVIDER \
             --stdin` (stored encrypted), not in the URL",
        ));
    }
    if parsed.query().is_some() {
        return Err(invalid(
            "it has a query string; a key belongs in `blockwise keys set PROVIDER --stdin` \
             (stored encrypted), not in the URL",
        ));
    }
    if parsed.fragment().is_some() {
        return Err(invalid(
            "it has a fragment (the part from '#'), which is never sent to the server: drop \
             it; a key belongs in `blockwise keys set PROVIDER --stdin`, not in the URL",
        ));
    }
    Ok(())
}

/// The shortest prompt prefix a provider will cache, in tokens, when it is documented
/// (Anthropic per model; OpenAI 1024). The worker warns when the system prompt is shorter.
pub fn min_cacheable_tokens(provider: &str, model: &str) -> Option<u32> {
    match ProviderKind::parse(provider)? {
        ProviderKind::Anthropic => {
            let m = model.to_ascii_lowercase();
            if m.contains("opus-4-5") || m.contains("opus-4-6") || m.contains("haiku-4-5") {
                Some(4096)
            } else if m.contains("sonnet-4-6") || m.contains("haiku") {
                Some(2048)
            } else if m.starts_with("claude") {
                Some(1024)
            } else {
                None
            }
        }
        ProviderKind::OpenAi => Some(1024),
        ProviderKind::Google | ProviderKind::Custom | ProviderKind::Demo => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_vendors_own_endpoint_is_vendor_priced() {
        assert!(is_vendor_endpoint(
            "anthropic",
            "https://api.anthropic.com/"
        ));
        assert!(is_vendor_endpoint("openai", "https://api.openai.com/v1"));
        assert!(is_vendor_endpoint("google", openai::GOOGLE_BASE_URL));
        assert!(!is_vendor_endpoint("openai", "http://127.0.0.1:8080/v1"));
        assert!(!is_vendor_endpoint(
            "anthropic",
            "https://gateway.example.com"
        ));
        assert!(!is_vendor_endpoint("custom", "https://api.openai.com/v1"));
        assert!(is_vendor_endpoint("demo", "http://127.0.0.1:1"));
        assert!(builtin_prices_apply(
            "anthropic",
            "https://gateway.example/v1"
        ));
        assert!(!builtin_prices_apply("custom", "https://api.openai.com/v1"));
    }

    #[test]
    fn cacheable_minimums_follow_the_docs() {
        assert_eq!(
            min_cacheable_tokens("anthropic", "claude-sonnet-4-5"),
            Some(1024)
        );
        assert_eq!(
            min_cacheable_tokens("anthropic", "claude-opus-4-1"),
            Some(1024)
        );
        assert_eq!(
            min_cacheable_tokens("anthropic", "claude-3-5-haiku-latest"),
            Some(2048)
        );
        assert_eq!(
            min_cacheable_tokens("anthropic", "claude-haiku-4-5"),
            Some(4096)
        );
        assert_eq!(min_cacheable_tokens("openai", "gpt-4o"), Some(1024));
        assert_eq!(min_cacheable_tokens("custom", "llama"), None);
    }

    #[test]
    fn base_url_rules() {
        assert!(validate_base_url("http://127.0.0.1:8080/v1").is_ok());
        assert!(validate_base_url("https://example.com/v1").is_ok());
        assert!(validate_base_url("ftp://example.com").is_err());
        assert!(validate_base_url("file:///etc/passwd").is_err());
        assert!(validate_base_url("localhost:8080").is_err());
        for bad in [
            "http://user:sk-secret@host:8080/v1",
            "http://sk-secret@host/v1",
            "https://host/v1?key=sk-secret",
        ] {
            let e = validate_base_url(bad).unwrap_err().to_string();
            assert!(!e.contains("sk-secret"), "{e}");
            assert!(e.contains("keys set PROVIDER --stdin"), "{e}");
        }
        let e = validate_base_url("https://host/v1#sk-secret")
            .unwrap_err()
            .to_string();
        assert!(e.contains("fragment") && !e.contains("query string"), "{e}");
        assert!(!e.contains("sk-secret"), "{e}");
        assert_eq!(redact_url("http://u:p@h:1/v1?k=s"), "http://h:1/v1?…");
        assert_eq!(redact_url("http://u:p@[bad/v1?k=s"), "http://[bad/v1");
    }
}
