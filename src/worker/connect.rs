//! The provider client for a name or a run: the wire client with its key, or the offline demo
//! (the in-process fake server). Lives here, above `provider/` and `fake/`, so those two stay
//! leaves that do not import each other.

use std::sync::Arc;

use super::WorkerError;
use crate::fake::{FakeConfig, FakeServer};
use crate::model::{ProviderKind, Run};
use crate::provider::{
    anthropic, base_url_env_var, http, key_env_var, openai, validate_base_url, AnthropicClient,
    CallAnswer, CallRequest, ConnectError, Flavor, OpenAiClient, Provider, ProviderError,
    ServerLimits,
};
use crate::store::Store;

/// The provider client for `run`, resolved now (SPEC §3: the endpoint is taken when a run
/// starts, not frozen at creation): its stored key (or the environment's) with that key's
/// current base URL, so `keys set custom --base-url NEW` moves every run that starts after it.
/// A run created by an older build may carry a base URL; it is used only when nothing is
/// configured now. The model and parameters stay the run's. `demo` starts the offline fake
/// server and needs no key.
pub fn connect_provider(store: &Store, run: &Run) -> Result<AnyProvider, WorkerError> {
    let name = run.model_config.provider.as_str();
    let key = crate::vault::key_for(store, name)?;
    let base_url = key
        .as_ref()
        .and_then(|k| k.base_url.clone())
        .or_else(|| run.model_config.base_url.clone());
    Ok(connect(name, key.map(|k| k.secret), base_url)?)
}

/// Whether built-in prices apply to a session of `run` started now
/// ([`crate::provider::builtin_prices_apply`]), its endpoint resolved like
/// [`connect_provider`] without building a client.
pub fn at_vendor_endpoint(store: &Store, run: &Run) -> Result<bool, WorkerError> {
    let name = run.model_config.provider.as_str();
    if ProviderKind::parse(name).is_some_and(|k| k.is_demo()) {
        return Ok(true);
    }
    let stored = crate::vault::key_for(store, name)?
        .and_then(|k| k.base_url)
        .or_else(|| run.model_config.base_url.clone());
    Ok(resolve_base_url(name, stored)
        .is_some_and(|u| crate::provider::builtin_prices_apply(name, &u)))
}

/// The base URL calls to `name` go to: `base_url` (the stored one), else the provider's
/// `*_BASE_URL` variable, else the vendor's default (`None`: a custom server with none set).
fn resolve_base_url(name: &str, base_url: Option<String>) -> Option<String> {
    let env_url = base_url_env_var(name)
        .and_then(|v| std::env::var(v).ok())
        .filter(|u| !u.trim().is_empty());
    let url = base_url.filter(|u| !u.trim().is_empty()).or(env_url);
    url.or_else(|| match ProviderKind::parse(name)? {
        ProviderKind::Anthropic => Some(anthropic::DEFAULT_BASE_URL.to_string()),
        ProviderKind::OpenAi => Some(openai::OPENAI_BASE_URL.to_string()),
        ProviderKind::Google => Some(openai::GOOGLE_BASE_URL.to_string()),
        ProviderKind::Custom | ProviderKind::Demo => None,
    })
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

    /// The OpenAI-compatible client (OpenAI, Google, custom), which can probe structured output.
    pub fn as_openai(&self) -> Option<&OpenAiClient> {
        match self {
            AnyProvider::OpenAi(c) => Some(c),
            _ => None,
        }
    }

    /// What a self-hosted (custom) server says about its context and slots; `None` for hosted
    /// APIs, which have no such endpoint, and for servers that do not say.
    pub async fn discover(&self, model: Option<&str>) -> Option<ServerLimits> {
        match self {
            AnyProvider::OpenAi(c) if c.flavor() == Flavor::Custom => c.discover(model).await,
            _ => None,
        }
    }

    /// The batch API of the same key and endpoint; `Err` says why this provider has none.
    pub fn batch_client(&self) -> Result<crate::provider::batch::BatchClient, WorkerError> {
        use crate::provider::batch::{AnthropicBatch, BatchClient};
        match self {
            AnyProvider::Anthropic(c) if c.name() == "anthropic" => {
                Ok(BatchClient::Anthropic(AnthropicBatch::of(c)))
            }
            AnyProvider::OpenAi(c) if c.flavor() == crate::provider::Flavor::OpenAi => Ok(
                BatchClient::OpenAi(crate::provider::batch::OpenAiBatch::of(c)),
            ),
            AnyProvider::OpenAi(c) if c.flavor() == crate::provider::Flavor::Google => Ok(
                BatchClient::Google(crate::provider::batch::GoogleBatch::of(c)),
            ),
            other => Err(WorkerError::Refused(
                super::batch::refusal(other.name()).unwrap_or_default(),
            )),
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

    async fn server_limits(&self, model: &str) -> Option<ServerLimits> {
        self.discover(Some(model)).await
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
    let Some(kind) = ProviderKind::parse(name) else {
        return Err(ConnectError::UnknownProvider(name.to_string()));
    };
    let http = http::client().map_err(|e| ConnectError::Http(e.to_string()))?;
    if kind.is_demo() {
        let server =
            FakeServer::start(FakeConfig::demo()).map_err(|e| ConnectError::Demo(e.to_string()))?;
        let client = AnthropicClient::new(
            ProviderKind::Demo.as_str(),
            ProviderKind::Demo.as_str().to_string(),
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
        None if kind == ProviderKind::Custom => String::new(),
        None => {
            return Err(ConnectError::MissingKey {
                provider: name.to_string(),
                env: key_env_var(name),
            })
        }
    };
    let url = resolve_base_url(name, base_url).ok_or(ConnectError::MissingBaseUrl)?;
    validate_base_url(&url)?;
    Ok(match kind {
        ProviderKind::Anthropic => AnyProvider::Anthropic(AnthropicClient::new(
            ProviderKind::Anthropic.as_str(),
            key,
            url,
            http,
        )),
        ProviderKind::OpenAi => {
            AnyProvider::OpenAi(OpenAiClient::new(Flavor::OpenAi, key, url, http))
        }
        ProviderKind::Google => {
            AnyProvider::OpenAi(OpenAiClient::new(Flavor::Google, key, url, http))
        }
        ProviderKind::Custom | ProviderKind::Demo => {
            AnyProvider::OpenAi(OpenAiClient::new(Flavor::Custom, key, url, http))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
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
