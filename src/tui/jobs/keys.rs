//! Provider key jobs: store, test, remove a key, and store a key's defaults.

use super::{err, text};
use crate::tui::kit::{Job, Output, Secret};
use crate::workspace::{KeyOptions, KeySummary, Workspace};

/// A key job (the caller sends only those here).
pub(super) fn run(job: Job, ws: &Workspace) -> Result<Output, String> {
    match job {
        Job::SetKey {
            provider,
            secret,
            base_url,
        } => set_key(ws, &provider, &secret, base_url),
        Job::TestKey { provider } => test_key(ws, &provider),
        Job::RemoveKey { provider } => remove_key(ws, &provider),
        Job::SetKeyBaseUrl { provider, base_url } => {
            let k = ws
                .set_key_base_url(&provider, base_url)
                .map_err(|e| err(&e))?;
            text(match &k.base_url {
                Some(u) => format!(
                    "the {provider} key now goes to {u} (its models keep their prices); t tests it"
                ),
                None => format!("the {provider} key goes to the vendor's own endpoint"),
            })
        }
        Job::SetKeyDefaults {
            provider,
            model,
            temperature,
            max_tokens,
        } => set_defaults(ws, &provider, model, temperature, max_tokens),
        other => Err(format!("not a key job: {}", other.label())),
    }
}

fn set_key(
    ws: &Workspace,
    provider: &str,
    secret: &Secret,
    base_url: Option<String>,
) -> Result<Output, String> {
    let options = KeyOptions {
        base_url,
        ..KeyOptions::default()
    };
    let key = Some(secret.0.as_str()).filter(|k| !k.trim().is_empty());
    let (summary, how) = ws.set_key(provider, key, options).map_err(|e| err(&e))?;
    if key.is_none() {
        text(format!(
            "stored the {provider} endpoint {} with no key; t tests it",
            summary.base_url.as_deref().unwrap_or_default()
        ))
    } else {
        text(format!(
            "stored the {provider} key {} (encrypted {how}); t tests it",
            summary.key
        ))
    }
}

/// The cheapest real call with the key; runs the async test on the current runtime, else on a
/// small one of its own.
fn test_key(ws: &Workspace, provider: &str) -> Result<Output, String> {
    let test = ws.test_key(provider, None);
    let out = match tokio::runtime::Handle::try_current() {
        Ok(h) => h.block_on(test),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| err(&e))?
            .block_on(test),
    }
    .map_err(|e| err(&e))?;
    let detail = out.detail.map(|d| format!(": {d}")).unwrap_or_default();
    match out.verdict {
        Some(true) => text(format!("{provider} key {}: valid{detail}", out.key_shown)),
        Some(false) => Err(format!(
            "{provider} key {}: REJECTED{detail}",
            out.key_shown
        )),
        None => Err(format!(
            "{provider} key {}: could not be checked{detail}",
            out.key_shown
        )),
    }
}

fn set_defaults(
    ws: &Workspace,
    provider: &str,
    model: Option<String>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
) -> Result<Output, String> {
    let key = ws
        .set_key_defaults(provider, model, temperature, max_tokens)
        .map_err(|e| err(&e))?;
    text(stored_line(&key))
}

/// The line shown when the defaults are stored.
fn stored_line(key: &KeySummary) -> String {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    format!(
        "stored the {} key's defaults: model {} · temperature {} · max tokens {}",
        key.provider,
        or_dash(key.model.clone()),
        or_dash(key.temperature.map(|t| t.to_string())),
        or_dash(key.max_tokens.map(|t| t.to_string())),
    )
}

fn remove_key(ws: &Workspace, provider: &str) -> Result<Output, String> {
    if ws.remove_key(provider).map_err(|e| err(&e))? {
        text(format!("removed the stored {provider} key"))
    } else {
        Err(format!("no stored {provider} key"))
    }
}
