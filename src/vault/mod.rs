//! API keys (SPEC §6): one per provider, encrypted at rest with age, shown only as `…` + the
//! last four characters, with the provider's environment variable as a fallback.

mod crypto;
mod records;

use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use serde::Serialize;

pub use crypto::IDENTITY_FILE;
use records::summary;
pub use records::{
    check_defaults, list_keys, record_test, remove_key, set_key_base_url, set_key_defaults,
    temperature_max,
};

use crate::model::ProviderKind;
pub use crate::model::StoredKey;
use crate::provider::{key_env_var, validate_base_url, CUSTOM_BASE_URL_ENV};
use crate::store::{Store, StoreError};

/// Environment variable holding a passphrase; when set, new keys are passphrase-encrypted and
/// passphrase-encrypted keys can be read.
pub const PASSPHRASE_ENV: &str = "BLOCKWISE_PASSPHRASE";

/// Providers that take a key.
pub const KEYED_PROVIDERS: [&str; 4] = [
    ProviderKind::KEYED[0].as_str(),
    ProviderKind::KEYED[1].as_str(),
    ProviderKind::KEYED[2].as_str(),
    ProviderKind::KEYED[3].as_str(),
];

/// `encryption` of a custom endpoint stored without a key (a local server that needs none).
pub const NO_KEY: &str = "none";

/// How a key is shown when there is none.
pub const NO_KEY_SHOWN: &str = "(no key)";

/// Where a resolved key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    Stored,
    Env,
}

/// A usable key for the worker: the plain secret (never print it) and the key's defaults.
#[derive(Clone)]
pub struct ResolvedKey {
    pub provider: String,
    pub secret: String,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub source: KeySource,
}

impl std::fmt::Debug for ResolvedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedKey")
            .field("provider", &self.provider)
            .field("secret", &display_key(&self.secret))
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("source", &self.source)
            .finish()
    }
}

/// Defaults and base URL given with `keys set`.
#[derive(Debug, Clone, Default)]
pub struct KeyOptions {
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
}

/// What `keys list` shows for one provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeySummary {
    pub provider: String,
    /// `…abcd`
    pub key: String,
    /// `stored` or `env:ANTHROPIC_API_KEY`.
    pub source: String,
    pub encryption: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub is_valid: Option<bool>,
    pub tested_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unknown provider '{0}': keys are for anthropic, openai, google or custom")]
    UnknownProvider(String),
    #[error("the demo provider is offline and needs no key")]
    DemoNeedsNoKey,
    #[error("the key for {0} is empty: pass it on stdin or with --env VAR")]
    EmptyKey(String),
    #[error("the key for {0} contains whitespace or control characters: check what was pasted")]
    BadKeyText(String),
    #[error("{0} takes no base URL (anthropic, openai, google and custom do)")]
    BaseUrlNotAllowed(String),
    #[error("the custom provider needs --base-url (an http or https URL, e.g. http://localhost:8080/v1)")]
    MissingBaseUrl,
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    #[error("temperature {value} is out of range for {provider}: its API takes 0.0–{max:.1}")]
    BadTemperature {
        provider: String,
        value: f64,
        max: f64,
    },
    #[error("max tokens {0} is out of range 1–1000000")]
    BadMaxTokens(u32),
    #[error("no stored key for {0}: `blockwise keys list` shows what is stored")]
    NotFound(String),
    #[error("no config directory: set BLOCKWISE_CONFIG_DIR")]
    NoConfigDir,
    #[error("key identity {path}: {reason}")]
    Identity { path: PathBuf, reason: String },
    #[error(
        "the {provider} key is passphrase-protected: set {PASSPHRASE_ENV} to read it (or store \
         the key again)"
    )]
    NeedPassphrase { provider: String },
    #[error("passphrase: {0}")]
    Passphrase(String),
    #[error("encryption failed: {0}")]
    Crypto(String),
    #[error("stored key for {provider} is damaged ({reason}): store it again with `blockwise keys set {provider}`")]
    Damaged { provider: String, reason: String },
}

/// `…` + the last four characters (the only form a key is ever shown in).
pub fn display_key(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

/// The key store's encryption settings: an identity file in the config directory, or a
/// passphrase.
pub struct Vault {
    config_dir: PathBuf,
    passphrase: Option<SecretString>,
}

impl Vault {
    /// Identity in `config_dir`; a passphrase from `BLOCKWISE_PASSPHRASE` when set.
    pub fn new(config_dir: &Path) -> Vault {
        let passphrase = std::env::var(PASSPHRASE_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(SecretString::from);
        Vault {
            config_dir: config_dir.to_path_buf(),
            passphrase,
        }
    }

    /// Passphrase mode with an explicit passphrase.
    pub fn with_passphrase(config_dir: &Path, passphrase: String) -> Vault {
        Vault {
            config_dir: config_dir.to_path_buf(),
            passphrase: Some(SecretString::from(passphrase)),
        }
    }

    /// The vault of the default config directory (`BLOCKWISE_CONFIG_DIR` overrides).
    pub fn from_env() -> Result<Vault, VaultError> {
        crate::paths::config_dir()
            .map(|d| Vault::new(&d))
            .ok_or(VaultError::NoConfigDir)
    }

    pub fn identity_path(&self) -> PathBuf {
        self.config_dir.join(IDENTITY_FILE)
    }

    /// `age-scrypt` with a passphrase, else `age-x25519`.
    pub fn encryption(&self) -> &'static str {
        if self.passphrase.is_some() {
            crypto::PASSPHRASE
        } else {
            crypto::X25519
        }
    }

    /// Validate, encrypt and store a key (replacing any earlier one for the provider).
    pub fn set_key(
        &self,
        store: &Store,
        provider: &str,
        secret: &str,
        options: KeyOptions,
    ) -> Result<KeySummary, VaultError> {
        let secret = secret.trim();
        if secret.is_empty() {
            check_provider(provider)?;
            return Err(VaultError::EmptyKey(provider.into()));
        }
        self.store_entry(store, provider, Some(secret), options)
    }

    /// Store the custom endpoint without a key, for a server that needs none (replacing any
    /// earlier custom entry).
    pub fn set_keyless_endpoint(
        &self,
        store: &Store,
        options: KeyOptions,
    ) -> Result<KeySummary, VaultError> {
        self.store_entry(store, "custom", None, options)
    }

    fn store_entry(
        &self,
        store: &Store,
        provider: &str,
        secret: Option<&str>,
        options: KeyOptions,
    ) -> Result<KeySummary, VaultError> {
        check_provider(provider)?;
        if secret.is_none() && !ProviderKind::is_custom_name(provider) {
            return Err(VaultError::EmptyKey(provider.into()));
        }
        if secret.is_some_and(|s| s.chars().any(|c| c.is_whitespace() || c.is_control())) {
            return Err(VaultError::BadKeyText(provider.into()));
        }
        let base_url = options.base_url.filter(|u| !u.trim().is_empty());
        check_base_url(provider, base_url.as_deref())?;
        check_defaults(provider, options.temperature, options.max_tokens)?;
        let cipher = match (secret, &self.passphrase) {
            (None, _) => Vec::new(),
            (Some(secret), Some(p)) => crypto::encrypt_with_passphrase(p, secret.as_bytes())?,
            (Some(secret), None) => {
                crypto::encrypt_with_identity(&self.identity_path(), secret.as_bytes())?
            }
        };
        let now = crate::clock::now_rfc3339();
        let created_at = store
            .get_api_key(provider)?
            .map(|k| k.created_at)
            .unwrap_or_else(|| now.clone());
        let record = StoredKey {
            provider: provider.to_string(),
            encryption: match secret {
                Some(_) => self.encryption().to_string(),
                None => NO_KEY.to_string(),
            },
            ciphertext: hex::encode(cipher),
            last4: secret
                .map(|s| display_key(s).trim_start_matches('…').to_string())
                .unwrap_or_default(),
            model: options.model.filter(|m| !m.trim().is_empty()),
            temperature: options.temperature,
            max_tokens: options.max_tokens,
            base_url,
            is_valid: None,
            tested_at: None,
            created_at,
            updated_at: now,
        };
        store.put_api_key(&record)?;
        match secret {
            Some(secret) => tracing::info!(provider, key = %display_key(secret), "stored API key"),
            None => tracing::info!(provider, "stored a keyless endpoint"),
        }
        Ok(summary(&record))
    }

    /// Decrypt a stored key.
    pub fn decrypt(&self, record: &StoredKey) -> Result<String, VaultError> {
        let damaged = |reason: String| VaultError::Damaged {
            provider: record.provider.clone(),
            reason,
        };
        let cipher = hex::decode(&record.ciphertext).map_err(|e| damaged(e.to_string()))?;
        let plain = match record.encryption.as_str() {
            NO_KEY => Vec::new(),
            crypto::PASSPHRASE => {
                let p = self
                    .passphrase
                    .as_ref()
                    .ok_or_else(|| VaultError::NeedPassphrase {
                        provider: record.provider.clone(),
                    })?;
                crypto::decrypt_with_passphrase(p, &cipher)?
            }
            crypto::X25519 => crypto::decrypt_with_identity(&self.identity_path(), &cipher)?,
            other => return Err(damaged(format!("unknown encryption '{other}'"))),
        };
        String::from_utf8(plain).map_err(|_| damaged("not UTF-8".into()))
    }

    /// The key the worker should use for `provider`: the stored one, else the environment
    /// variable. `Ok(None)` when there is neither (and always for `demo`, which needs none).
    pub fn key_for(
        &self,
        store: &Store,
        provider: &str,
    ) -> Result<Option<ResolvedKey>, VaultError> {
        if ProviderKind::is_demo_name(provider) {
            return Ok(None);
        }
        check_provider(provider)?;
        if let Some(record) = store.get_api_key(provider)? {
            let secret = self.decrypt(&record)?;
            return Ok(Some(ResolvedKey {
                provider: provider.to_string(),
                secret,
                base_url: record.base_url,
                model: record.model,
                temperature: record.temperature,
                max_tokens: record.max_tokens,
                source: KeySource::Stored,
            }));
        }
        let base_url = env_base_url(provider);
        let secret = match (env_key(provider), &base_url) {
            (Some(k), _) => k,
            // A custom server named by the environment alone needs no key.
            (None, Some(_)) => String::new(),
            (None, None) => return Ok(None),
        };
        Ok(Some(ResolvedKey {
            provider: provider.to_string(),
            secret,
            base_url,
            model: None,
            temperature: None,
            max_tokens: None,
            source: KeySource::Env,
        }))
    }
}

/// A key's base URL (SPEC §3): required for custom; optional for anthropic, openai and google
/// (a gateway or proxy in front of the hosted API); http(s), no credentials, no query.
pub fn check_base_url(provider: &str, base_url: Option<&str>) -> Result<(), VaultError> {
    match (ProviderKind::parse(provider), base_url) {
        (Some(ProviderKind::Custom), None) => Err(VaultError::MissingBaseUrl),
        (Some(ProviderKind::Demo), Some(_)) | (None, Some(_)) => {
            Err(VaultError::BaseUrlNotAllowed(provider.into()))
        }
        (_, Some(u)) => validate_base_url(u).map_err(|e| VaultError::InvalidBaseUrl(e.to_string())),
        (_, None) => Ok(()),
    }
}

/// Refuse `demo` (it needs no key) and names that are not keyed providers.
pub fn check_provider(provider: &str) -> Result<(), VaultError> {
    if ProviderKind::is_demo_name(provider) {
        return Err(VaultError::DemoNeedsNoKey);
    }
    if !KEYED_PROVIDERS.contains(&provider) {
        return Err(VaultError::UnknownProvider(provider.to_string()));
    }
    Ok(())
}

/// The environment fallback key, if its variable is set and non-empty.
pub fn env_key(provider: &str) -> Option<String> {
    key_env_var(provider)
        .and_then(|v| std::env::var(v).ok())
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
}

/// The custom endpoint's environment base URL (the only provider whose URL comes from here).
pub(super) fn env_base_url(provider: &str) -> Option<String> {
    ProviderKind::is_custom_name(provider)
        .then(|| std::env::var(CUSTOM_BASE_URL_ENV).ok())
        .flatten()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}

/// How a plain key is shown: `…` + its last four characters, or that there is none.
pub fn shown_key(secret: &str) -> String {
    if secret.is_empty() {
        NO_KEY_SHOWN.to_string()
    } else {
        display_key(secret)
    }
}

/// [`Vault::key_for`] with the default config directory.
pub fn key_for(store: &Store, provider: &str) -> Result<Option<ResolvedKey>, VaultError> {
    Vault::from_env()?.key_for(store, provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_last_four_only() {
        assert_eq!(display_key("sk-ant-1234567890abcd"), "…abcd");
        assert_eq!(display_key("ab"), "…ab");
    }

    #[test]
    fn identity_round_trip_and_rules() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let vault = Vault {
            config_dir: dir.path().join("cfg"),
            passphrase: None,
        };
        let s = vault
            .set_key(
                &store,
                "anthropic",
                "sk-ant-secret-9876",
                KeyOptions::default(),
            )
            .unwrap();
        assert_eq!(s.key, "…9876");
        let k = vault.key_for(&store, "anthropic").unwrap().unwrap();
        assert_eq!(k.secret, "sk-ant-secret-9876");
        assert_eq!(k.source, KeySource::Stored);
        assert!(!format!("{k:?}").contains("secret-9876"));

        let with_url = KeyOptions {
            base_url: Some("http://localhost:1/v1".into()),
            ..Default::default()
        };
        // A hosted provider takes a gateway URL by the custom rules (issue 23 item 9).
        let openai = vault
            .set_key(&store, "openai", "k123456", with_url.clone())
            .unwrap();
        assert_eq!(openai.base_url.as_deref(), Some("http://localhost:1/v1"));
        let query = KeyOptions {
            base_url: Some("https://gw.example/v1?key=1".into()),
            ..Default::default()
        };
        assert!(matches!(
            vault.set_key(&store, "google", "k123456", query),
            Err(VaultError::InvalidBaseUrl(_))
        ));
        assert!(matches!(
            vault.set_key(&store, "custom", "k123456", KeyOptions::default()),
            Err(VaultError::MissingBaseUrl)
        ));
        let ftp = KeyOptions {
            base_url: Some("ftp://x/v1".into()),
            ..Default::default()
        };
        assert!(matches!(
            vault.set_key(&store, "custom", "k123456", ftp),
            Err(VaultError::InvalidBaseUrl(_))
        ));
        assert!(vault.set_key(&store, "custom", "k123456", with_url).is_ok());
        assert!(matches!(
            vault.set_key(&store, "demo", "x", KeyOptions::default()),
            Err(VaultError::DemoNeedsNoKey)
        ));
        // Refused operations wrote nothing: anthropic, openai (with its URL) and custom.
        assert_eq!(store.list_api_keys().unwrap().len(), 3);
    }

    #[cfg(unix)]
    #[test]
    fn identity_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let vault = Vault {
            config_dir: dir.path().join("cfg"),
            passphrase: None,
        };
        vault
            .set_key(&store, "openai", "sk-abcdef-1111", KeyOptions::default())
            .unwrap();
        let path = vault.identity_path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = vault.key_for(&store, "openai").unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains("sk-abcdef-1111"));
    }

    #[test]
    fn passphrase_mode_round_trips_and_rejects_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let cfg = dir.path().join("cfg");
        let vault = Vault::with_passphrase(&cfg, "correct horse battery".into());
        let s = vault
            .set_key(
                &store,
                "google",
                "AIzaSyPASSPHRASEkey42",
                KeyOptions::default(),
            )
            .unwrap();
        assert_eq!(s.encryption.as_deref(), Some("age-scrypt"));
        // No identity file is needed or created in passphrase mode.
        assert!(!vault.identity_path().exists());
        let k = vault.key_for(&store, "google").unwrap().unwrap();
        assert_eq!(k.secret, "AIzaSyPASSPHRASEkey42");

        let wrong = Vault::with_passphrase(&cfg, "wrong".into());
        let err = wrong.key_for(&store, "google").unwrap_err().to_string();
        assert!(err.contains("wrong passphrase"), "{err}");
        let none = Vault {
            config_dir: cfg,
            passphrase: None,
        };
        assert!(matches!(
            none.key_for(&store, "google"),
            Err(VaultError::NeedPassphrase { .. })
        ));
    }
}
