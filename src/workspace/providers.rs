//! Which providers a new run can use, and the models each is known to serve. One function, so
//! a change in what makes a provider usable (keyless custom servers, discovery) lands here only.

use super::{Error, WorkerError, Workspace};
use crate::model::ProviderKind;
use crate::provider::{default_model, PriceTable};

/// A provider a new run can be created on.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderChoice {
    pub name: String,
    /// The key's default model, else the provider's built-in default.
    pub default_model: String,
    /// Models with a known price (the user may type any other).
    pub models: Vec<String>,
    /// Where its key comes from (`stored`, `env:VAR`), or `no key needed`.
    pub source: String,
    pub base_url: Option<String>,
    /// The offline demo: offered last and labelled, never picked for the user.
    pub demo: bool,
}

impl Workspace {
    /// Providers with a usable key (stored or from the environment, not known to be rejected;
    /// custom also needs a base URL), then the offline demo, which needs nothing.
    pub fn run_providers(&self) -> Result<Vec<ProviderChoice>, Error> {
        let prices = PriceTable::for_user();
        let mut out = Vec::new();
        // Through WorkerError, as before `workspace::Error`: a vault failure here is a worker one.
        for k in crate::vault::list_keys(&self.store).map_err(WorkerError::from)? {
            let custom = k.provider == ProviderKind::Custom.as_str();
            if k.is_valid == Some(false) || (custom && k.base_url.is_none()) {
                continue;
            }
            out.push(ProviderChoice {
                default_model: k
                    .model
                    .clone()
                    .unwrap_or_else(|| default_model(&k.provider).to_string()),
                models: prices.models_for(&k.provider),
                source: k.source.clone(),
                base_url: k.base_url.clone(),
                name: k.provider,
                demo: false,
            });
        }
        let demo = ProviderKind::Demo.as_str();
        out.push(ProviderChoice {
            name: demo.to_string(),
            default_model: default_model(demo).to_string(),
            models: prices.models_for(demo),
            source: "offline demo, not a real model (no key needed)".into(),
            base_url: None,
            demo: true,
        });
        Ok(out)
    }
}
