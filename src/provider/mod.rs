//! Model providers: one trait, one module per wire protocol, one classified error type.
//!
//! The worker talks only to [`Provider`]; the wire modules (Anthropic Messages,
//! OpenAI-compatible chat completions) implement it. [`connect`] builds the right client for a
//! provider name; `demo` starts the in-process fake server (no key, no network).

pub mod anthropic;
pub mod errors;
mod http;
pub mod openai;
pub mod pricing;
pub mod prompt;
mod types;

use std::sync::Arc;

pub use anthropic::AnthropicClient;
pub use openai::{Flavor, OpenAiClient, OutputMode};
pub use pricing::{format_cost, ModelPrice, PriceTable};
pub use types::{BlockInput, CallAnswer, CallRequest, Provider, ProviderError, RateLimitInfo};

use crate::fake::{FakeConfig, FakeServer};

/// Every provider name the product knows.
pub const PROVIDERS: [&str; 5] = ["anthropic", "openai", "google", "custom", "demo"];

/// The environment variable holding a fallback key for a provider.
pub fn key_env_var(provider: &str) -> Option<&'static str> {
    match provider {
        "anthropic" => Some("ANTHROPIC_API_KEY"),
        "openai" => Some("OPENAI_API_KEY"),
        "google" => Some("GEMINI_API_KEY"),
        "custom" => Some(CUSTOM_KEY_ENV),
        _ => None,
    }
}

/// The custom endpoint's key, when its server wants one (a local server usually does not).
pub const CUSTOM_KEY_ENV: &str = "BLOCKWISE_CUSTOM_API_KEY";
/// The custom endpoint's base URL, used when no stored one exists.
pub const CUSTOM_BASE_URL_ENV: &str = "BLOCKWISE_CUSTOM_BASE_URL";

/// The environment variable that overrides a provider's base URL.
pub fn base_url_env_var(provider: &str) -> Option<&'static str> {
    match provider {
        "anthropic" => Some("ANTHROPIC_BASE_URL"),
        "openai" => Some("OPENAI_BASE_URL"),
        "custom" => Some(CUSTOM_BASE_URL_ENV),
        _ => None,
    }
}

/// Whether `base_url` is the provider's own public endpoint, whose built-in prices apply.
/// Custom servers never are; the demo is priced by its own zero-price entry.
pub fn is_vendor_endpoint(provider: &str, base_url: &str) -> bool {
    let url = base_url.trim_end_matches('/');
    let vendor = match provider {
        "anthropic" => anthropic::DEFAULT_BASE_URL,
        "openai" => openai::OPENAI_BASE_URL,
        "google" => openai::GOOGLE_BASE_URL,
        "demo" => return true,
        _ => return false,
    };
    url == vendor.trim_end_matches('/')
}

/// A sensible model when neither the run, the schema nor the key names one.
pub fn default_model(provider: &str) -> &'static str {
    match provider {
        "openai" => "gpt-4.1-mini",
        "google" => "gemini-2.5-flash",
        "custom" => "default",
        "demo" => "demo",
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
    #[error("invalid base URL '{url}': {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    #[error("cannot start the HTTP client: {0}")]
    Http(String),
    #[error("cannot start the offline demo provider: {0}")]
    Demo(String),
}

/// Check a base URL: absolute, http or https.
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
    Ok(())
}

/// Any provider, dispatching [`Provider`] to the right wire client.
#[derive(Debug, Clone)]
pub enum AnyProvider {
    Anthropic(AnthropicClient),
    OpenAi(OpenAiClient),
    /// The offline demo: an Anthropic client pointed at the in-process fake server, which is
    /// kept alive as long as this value (or a clone) lives.
    Demo {
        client: AnthropicClient,
        server: Arc<FakeServer>,
    },
}

impl AnyProvider {
    /// The cheapest real check of the key (Anthropic: a 1-token message with `model`;
    /// OpenAI-compatible: list models).
    pub async fn test_key(&self, model: &str) -> Result<(), ProviderError> {
        match self {
            AnyProvider::Anthropic(c) => c.test_key(model).await,
            AnyProvider::OpenAi(c) => c.test_key().await,
            AnyProvider::Demo { client, .. } => client.test_key(model).await,
        }
    }

    /// `true` for the offline demo provider, so fronts can label its results as such.
    pub fn is_demo(&self) -> bool {
        matches!(self, AnyProvider::Demo { .. })
    }
}

impl Provider for AnyProvider {
    fn name(&self) -> &str {
        match self {
            AnyProvider::Anthropic(c) => c.name(),
            AnyProvider::OpenAi(c) => c.name(),
            AnyProvider::Demo { client, .. } => client.name(),
        }
    }

    fn base_url(&self) -> &str {
        match self {
            AnyProvider::Anthropic(c) => c.base_url(),
            AnyProvider::OpenAi(c) => c.base_url(),
            AnyProvider::Demo { client, .. } => client.base_url(),
        }
    }

    async fn call(&self, request: &CallRequest) -> Result<CallAnswer, ProviderError> {
        match self {
            AnyProvider::Anthropic(c) => c.call(request).await,
            AnyProvider::OpenAi(c) => c.call(request).await,
            AnyProvider::Demo { client, .. } => client.call(request).await,
        }
    }
}

/// Build the client for `name`. `key` falls back to the provider's environment variable;
/// `base_url` (an explicit override, e.g. the stored custom URL) falls back to
/// `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`, then the default. `demo` needs neither: it starts
/// the in-process fake server on 127.0.0.1 (its own thread, so no runtime is required here).
pub fn connect(
    name: &str,
    key: Option<String>,
    base_url: Option<String>,
) -> Result<AnyProvider, ConnectError> {
    if !PROVIDERS.contains(&name) {
        return Err(ConnectError::UnknownProvider(name.to_string()));
    }
    let http = http::client().map_err(|e| ConnectError::Http(e.to_string()))?;
    if name == "demo" {
        let server =
            FakeServer::start(FakeConfig::demo()).map_err(|e| ConnectError::Demo(e.to_string()))?;
        let client = AnthropicClient::new(
            "demo",
            "demo".to_string(),
            server.anthropic_base_url(),
            http,
        );
        return Ok(AnyProvider::Demo {
            client,
            server: Arc::new(server),
        });
    }
    let key = key.filter(|k| !k.trim().is_empty()).or_else(|| {
        key_env_var(name)
            .and_then(|v| std::env::var(v).ok())
            .filter(|k| !k.trim().is_empty())
    });
    // A custom server may need no key (llama.cpp, Ollama and vLLM run without one).
    let key = match key {
        Some(k) => k,
        None if name == "custom" => String::new(),
        None => {
            return Err(ConnectError::MissingKey {
                provider: name.to_string(),
                env: key_env_var(name),
            })
        }
    };
    let env_url = base_url_env_var(name)
        .and_then(|v| std::env::var(v).ok())
        .filter(|u| !u.trim().is_empty());
    let url = base_url.filter(|u| !u.trim().is_empty()).or(env_url);
    if let Some(u) = &url {
        validate_base_url(u)?;
    }
    Ok(match name {
        "anthropic" => AnyProvider::Anthropic(AnthropicClient::new(
            "anthropic",
            key,
            url.unwrap_or_else(|| anthropic::DEFAULT_BASE_URL.to_string()),
            http,
        )),
        "openai" => AnyProvider::OpenAi(OpenAiClient::new(
            Flavor::OpenAi,
            key,
            url.unwrap_or_else(|| openai::OPENAI_BASE_URL.to_string()),
            http,
        )),
        "google" => AnyProvider::OpenAi(OpenAiClient::new(
            Flavor::Google,
            key,
            url.unwrap_or_else(|| openai::GOOGLE_BASE_URL.to_string()),
            http,
        )),
        _ => AnyProvider::OpenAi(OpenAiClient::new(
            Flavor::Custom,
            key,
            url.ok_or(ConnectError::MissingBaseUrl)?,
            http,
        )),
    })
}

/// The shortest prompt prefix a provider will cache, in tokens, when it is documented
/// (Anthropic per model; OpenAI 1024). The worker warns when the system prompt is shorter.
pub fn min_cacheable_tokens(provider: &str, model: &str) -> Option<u32> {
    match provider {
        "anthropic" => {
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
        "openai" => Some(1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn base_url_rules() {
        assert!(validate_base_url("http://127.0.0.1:8080/v1").is_ok());
        assert!(validate_base_url("https://example.com/v1").is_ok());
        assert!(validate_base_url("ftp://example.com").is_err());
        assert!(validate_base_url("file:///etc/passwd").is_err());
        assert!(validate_base_url("localhost:8080").is_err());
        assert!(matches!(
            connect("custom", Some("k".into()), None),
            Err(ConnectError::MissingBaseUrl)
        ));
        assert!(matches!(
            connect("nope", None, None),
            Err(ConnectError::UnknownProvider(_))
        ));
    }
}
