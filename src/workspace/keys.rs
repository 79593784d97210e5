//! API keys (SPEC §6): store, list, test, remove. Secrets never leave through this API except
//! into a provider client.

use std::path::PathBuf;

use super::{Error, KeyOptions, KeySource, KeySummary, ProviderError, VaultError, Workspace};
use crate::model::ProviderKind;
use crate::provider::{ConnectError, ServerLimits, StructuredSupport};
use crate::vault::{self, Vault};

/// The outcome of `keys test`.
#[derive(Debug, Clone)]
pub struct KeyTest {
    /// `…abcd`, or `(none needed)` for the demo provider.
    pub key_shown: String,
    /// `Some(true)` valid, `Some(false)` rejected, `None` could not be checked.
    pub verdict: Option<bool>,
    /// The verdict was written on the stored key.
    pub recorded: bool,
    /// The provider's message when the check did not plainly succeed.
    pub detail: Option<String>,
    /// OpenAI-compatible providers: what one tiny structured call showed works.
    pub structured: Option<StructuredSupport>,
    /// A self-hosted server's own limits (source `server`), when it tells them.
    pub server: Option<ServerLimits>,
}

/// Why a key could not be tested.
#[derive(Debug, thiserror::Error)]
pub enum KeyTestError {
    #[error(
        "no key for {provider}: store one with `blockwise keys set {provider}`{}",
        if ProviderKind::is_custom_name(provider) {
            format!(" --base-url URL, or set {}", crate::provider::CUSTOM_BASE_URL_ENV)
        } else {
            env.map(|v| format!(" or set {v}")).unwrap_or_default()
        }
    )]
    NoKey {
        provider: String,
        env: Option<&'static str>,
    },
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

impl Workspace {
    /// Refuse a provider that takes no key before asking the user for a secret.
    pub fn check_keyed_provider(provider: &str) -> Result<(), Error> {
        Ok(vault::check_provider(provider)?)
    }

    /// Encrypt and store a key (`None`: the custom endpoint alone, for a server that needs no
    /// key). Returns what was stored and how it is encrypted (in words).
    pub fn set_key(
        &self,
        provider: &str,
        secret: Option<&str>,
        options: KeyOptions,
    ) -> Result<(KeySummary, String), Error> {
        let vault = Vault::from_env()?;
        let summary = match secret {
            Some(secret) => vault.set_key(&self.store, provider, secret, options)?,
            None => vault.set_keyless_endpoint(&self.store, options)?,
        };
        let how = if summary.encryption.as_deref() == Some(vault::NO_KEY) {
            "no key".to_string()
        } else if summary.encryption.as_deref() == Some("age-scrypt") {
            "with your passphrase".to_string()
        } else {
            format!("with the age identity {}", identity_path(&vault).display())
        };
        Ok((summary, how))
    }

    /// Stored and environment keys, never decrypted.
    pub fn list_keys(&self) -> Result<Vec<KeySummary>, Error> {
        Ok(vault::list_keys(&self.store)?)
    }

    /// Check a default temperature / max tokens the way `keys set` does (nothing is written).
    pub fn check_key_defaults(
        temperature: Option<f64>,
        max_tokens: Option<u32>,
    ) -> Result<(), Error> {
        Ok(vault::check_defaults(temperature, max_tokens)?)
    }

    /// Replace a stored key's default model, temperature and max tokens (`None` clears one).
    pub fn set_key_defaults(
        &self,
        provider: &str,
        model: Option<String>,
        temperature: Option<f64>,
        max_tokens: Option<u32>,
    ) -> Result<KeySummary, Error> {
        Ok(vault::set_key_defaults(
            &self.store,
            provider,
            model,
            temperature,
            max_tokens,
        )?)
    }

    /// Remove a stored key; `false` when there was none.
    pub fn remove_key(&self, provider: &str) -> Result<bool, Error> {
        Ok(vault::remove_key(&self.store, provider)?)
    }

    /// Make the cheapest real call with the key and record the verdict on a stored key.
    pub async fn test_key(
        &self,
        provider: &str,
        model: Option<&str>,
    ) -> Result<KeyTest, KeyTestError> {
        let resolved = Vault::from_env()?.key_for(&self.store, provider)?;
        let demo = crate::model::ProviderKind::parse(provider).is_some_and(|k| k.is_demo());
        if !demo && resolved.is_none() {
            return Err(KeyTestError::NoKey {
                provider: provider.to_string(),
                env: crate::provider::key_env_var(provider),
            });
        }
        let (secret, base_url, key_model, source) = match &resolved {
            Some(k) => (
                Some(k.secret.clone()),
                k.base_url.clone(),
                k.model.clone(),
                Some(k.source),
            ),
            None => (None, None, None, None),
        };
        let client = crate::worker::connect(provider, secret, base_url)?;
        let asked = model.map(str::to_string).or(key_model);
        let server = client.discover(asked.as_deref()).await;
        // A server serving one model names it; a request for another may be refused (vLLM).
        let model = asked
            .or_else(|| server.as_ref().and_then(|s| s.model.clone()))
            .unwrap_or_else(|| crate::provider::default_model(provider).to_string());
        let mut outcome = client.test_key(&model).await;
        let mut structured = None;
        if let (Ok(()), Some(c)) = (&outcome, client.as_openai()) {
            match c.probe_structured(&model).await {
                Ok(s) => structured = Some(s),
                Err(e) => outcome = Err(e),
            }
        }
        // Out of credit still proves the key authenticates.
        let verdict = match &outcome {
            Ok(()) => Some(true),
            Err(ProviderError::OutOfCredit { .. }) => Some(true),
            Err(ProviderError::BadKey { .. }) => Some(false),
            Err(_) => None,
        };
        let recorded = match (verdict, source) {
            (Some(v), Some(KeySource::Stored)) => vault::record_test(&self.store, provider, v)?,
            _ => false,
        };
        Ok(KeyTest {
            key_shown: resolved
                .as_ref()
                .map(|k| vault::shown_key(&k.secret))
                .unwrap_or_else(|| "(none needed)".into()),
            verdict,
            recorded,
            detail: outcome.as_ref().err().map(|e| e.to_string()),
            structured,
            server,
        })
    }

    /// What the stored (or environment) custom endpoint says about itself, best effort.
    pub async fn discover_server(&self, provider: &str) -> Option<ServerLimits> {
        let key = Vault::from_env()
            .ok()?
            .key_for(&self.store, provider)
            .ok()??;
        let client = crate::worker::connect(provider, Some(key.secret), key.base_url).ok()?;
        client.discover(key.model.as_deref()).await
    }
}

fn identity_path(vault: &Vault) -> PathBuf {
    vault.identity_path()
}
