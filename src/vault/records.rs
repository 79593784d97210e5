//! Stored key records (SPEC §6) without their secrets: the listing shown by `keys list` and the
//! Keys pane, a key's default model/temperature/max tokens, removal and test verdicts.

use super::{
    check_provider, env_base_url, env_key, shown_key, KeySummary, StoredKey, VaultError,
    KEYED_PROVIDERS, NO_KEY, NO_KEY_SHOWN,
};
use crate::provider::{key_env_var, CUSTOM_BASE_URL_ENV};
use crate::store::Store;

pub(super) fn summary(record: &StoredKey) -> KeySummary {
    KeySummary {
        provider: record.provider.clone(),
        key: if record.encryption == NO_KEY {
            NO_KEY_SHOWN.to_string()
        } else {
            format!("…{}", record.last4)
        },
        source: "stored".into(),
        encryption: Some(record.encryption.clone()),
        // A URL stored before credentials were refused is still shown without them.
        base_url: record.base_url.as_deref().map(crate::provider::redact_url),
        model: record.model.clone(),
        temperature: record.temperature,
        max_tokens: record.max_tokens,
        is_valid: record.is_valid,
        tested_at: record.tested_at.clone(),
    }
}

/// Stored keys plus environment-only ones, in provider order. Never decrypts.
pub fn list_keys(store: &Store) -> Result<Vec<KeySummary>, VaultError> {
    let stored = store.list_api_keys()?;
    let mut out = Vec::new();
    for provider in KEYED_PROVIDERS {
        if let Some(record) = stored.iter().find(|k| k.provider == provider) {
            out.push(summary(record));
        } else if let Some(var) = key_env_var(provider)
            .filter(|_| env_key(provider).is_some() || env_base_url(provider).is_some())
        {
            let base_url = env_base_url(provider);
            let source = match (&base_url, env_key(provider)) {
                (Some(_), None) => CUSTOM_BASE_URL_ENV,
                _ => var,
            };
            out.push(KeySummary {
                provider: provider.to_string(),
                key: shown_key(&env_key(provider).unwrap_or_default()),
                source: format!("env:{source}"),
                encryption: None,
                base_url,
                model: None,
                temperature: None,
                max_tokens: None,
                is_valid: None,
                tested_at: None,
            });
        }
    }
    Ok(out)
}

/// The bounds of a key's default temperature and max tokens (`keys set`, the Keys pane).
pub fn check_defaults(
    provider: &str,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
) -> Result<(), VaultError> {
    if let Some(t) = temperature {
        let max = temperature_max(provider);
        if !(0.0..=max).contains(&t) || !t.is_finite() {
            return Err(VaultError::BadTemperature {
                provider: provider.to_string(),
                value: t,
                max,
            });
        }
    }
    if let Some(m) = max_tokens {
        if !(1..=1_000_000).contains(&m) {
            return Err(VaultError::BadMaxTokens(m));
        }
    }
    Ok(())
}

/// The highest temperature `provider`'s API takes: Anthropic's Messages API 1.0, the
/// OpenAI-compatible ones 2.0 (SPEC §6: defaults stay within the provider's own bounds).
pub fn temperature_max(provider: &str) -> f64 {
    match crate::model::ProviderKind::parse(provider) {
        Some(crate::model::ProviderKind::Anthropic) => 1.0,
        _ => 2.0,
    }
}

/// Replace the default model, temperature and max tokens of a stored key (the secret, base URL
/// and test verdict stay). Checked like `keys set`; a refusal writes nothing.
pub fn set_key_defaults(
    store: &Store,
    provider: &str,
    model: Option<String>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
) -> Result<KeySummary, VaultError> {
    check_provider(provider)?;
    check_defaults(provider, temperature, max_tokens)?;
    let Some(mut record) = store.get_api_key(provider)? else {
        return Err(VaultError::NotFound(provider.into()));
    };
    record.model = model.filter(|m| !m.trim().is_empty());
    record.temperature = temperature;
    record.max_tokens = max_tokens;
    record.updated_at = crate::clock::now_rfc3339();
    store.put_api_key(&record)?;
    Ok(summary(&record))
}

/// Replace the base URL of a stored key (empty or `None`: the vendor's own endpoint; custom
/// needs one). Checked like `keys set --base-url`; a refusal writes nothing.
pub fn set_key_base_url(
    store: &Store,
    provider: &str,
    base_url: Option<String>,
) -> Result<KeySummary, VaultError> {
    check_provider(provider)?;
    let base_url = base_url.filter(|u| !u.trim().is_empty());
    super::check_base_url(provider, base_url.as_deref())?;
    let Some(mut record) = store.get_api_key(provider)? else {
        return Err(VaultError::NotFound(provider.into()));
    };
    record.base_url = base_url;
    record.updated_at = crate::clock::now_rfc3339();
    store.put_api_key(&record)?;
    Ok(summary(&record))
}

/// Remove a stored key; `false` when there was none.
pub fn remove_key(store: &Store, provider: &str) -> Result<bool, VaultError> {
    check_provider(provider)?;
    Ok(store.delete_api_key(provider)?)
}

/// Record the outcome of a key test (or a 401/403 seen by the worker) on the stored key.
/// Returns `false` when no key is stored for the provider (an environment key has no record).
pub fn record_test(store: &Store, provider: &str, valid: bool) -> Result<bool, VaultError> {
    let Some(mut record) = store.get_api_key(provider)? else {
        return Ok(false);
    };
    record.is_valid = Some(valid);
    record.tested_at = Some(crate::clock::now_rfc3339());
    store.put_api_key(&record)?;
    Ok(true)
}
