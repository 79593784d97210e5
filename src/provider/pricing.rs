//! Price table: USD per million tokens (input, output, cache write, cache read) per model.
//!
//! Built-in prices cover current Anthropic, OpenAI and Gemini models; `<config dir>/prices.json`
//! overrides or extends them. A model that matches nothing has an unknown cost (`None`), never
//! zero. Built-in prices are vendor prices: a call to any other endpoint (a local server, a
//! gateway) is priced only from the user's file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{ProviderKind, Usage};

/// Prices of one model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
    pub cache_write: f64,
    pub cache_read: f64,
}

/// Name of the user price file in the config directory.
pub const PRICES_FILE: &str = "prices.json";

#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("cannot read price file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "price file {path} is invalid: {reason}. Expected {{\"models\": {{\"MODEL\": {{\"input\": \
         3.0, \"output\": 15.0, \"cache_write\": 3.75, \"cache_read\": 0.3}}}}}} (USD per million \
         tokens)"
    )]
    Invalid { path: PathBuf, reason: String },
}

/// Model name (or name prefix) → prices. Lookup takes the exact name, else the longest entry
/// the model name starts with (so `claude-sonnet-4-5-20250929` uses `claude-sonnet-4-5`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PriceTable {
    pub models: BTreeMap<String, ModelPrice>,
    /// Models named in the user's price file (the only prices used off the vendor's endpoint).
    #[serde(skip)]
    pub user_models: BTreeSet<String>,
}

const fn p(input: f64, output: f64, cache_write: f64, cache_read: f64) -> ModelPrice {
    ModelPrice {
        input,
        output,
        cache_write,
        cache_read,
    }
}

/// Built-in prices (USD / million tokens). OpenAI and Gemini bill no cache writes, so their
/// cache-write price equals the input price (the counter is always zero for them anyway).
const BUILTIN: &[(&str, ModelPrice)] = &[
    ("claude-opus-4-6", p(5.0, 25.0, 6.25, 0.50)),
    ("claude-opus-4-5", p(5.0, 25.0, 6.25, 0.50)),
    ("claude-opus-4-1", p(15.0, 75.0, 18.75, 1.50)),
    ("claude-opus-4", p(15.0, 75.0, 18.75, 1.50)),
    ("claude-sonnet-4-6", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-sonnet-4-5", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-sonnet-4", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-3-7-sonnet", p(3.0, 15.0, 3.75, 0.30)),
    ("claude-haiku-4-5", p(1.0, 5.0, 1.25, 0.10)),
    ("claude-3-5-haiku", p(0.80, 4.0, 1.0, 0.08)),
    ("claude-3-haiku", p(0.25, 1.25, 0.30, 0.03)),
    ("gpt-5", p(1.25, 10.0, 1.25, 0.125)),
    ("gpt-5-mini", p(0.25, 2.0, 0.25, 0.025)),
    ("gpt-5-nano", p(0.05, 0.40, 0.05, 0.005)),
    ("gpt-4.1", p(2.0, 8.0, 2.0, 0.50)),
    ("gpt-4.1-mini", p(0.40, 1.60, 0.40, 0.10)),
    ("gpt-4.1-nano", p(0.10, 0.40, 0.10, 0.025)),
    ("gpt-4o", p(2.50, 10.0, 2.50, 1.25)),
    ("gpt-4o-mini", p(0.15, 0.60, 0.15, 0.075)),
    ("o4-mini", p(1.10, 4.40, 1.10, 0.275)),
    ("o3", p(2.0, 8.0, 2.0, 0.50)),
    ("gemini-2.5-pro", p(1.25, 10.0, 1.25, 0.125)),
    ("gemini-2.5-flash", p(0.30, 2.50, 0.30, 0.03)),
    ("gemini-2.5-flash-lite", p(0.10, 0.40, 0.10, 0.01)),
    // The offline demo provider costs nothing, and says so explicitly.
    ("demo", p(0.0, 0.0, 0.0, 0.0)),
];

impl PriceTable {
    /// The prices shipped with this build.
    pub fn builtin() -> PriceTable {
        PriceTable {
            models: BUILTIN
                .iter()
                .map(|(name, price)| (name.to_string(), *price))
                .collect(),
            user_models: BTreeSet::new(),
        }
    }

    /// The built-in prices, applied at any endpoint: for benchmarks and tests whose stand-in of
    /// a vendor (the fake provider) should be priced like the vendor.
    pub fn builtin_anywhere() -> PriceTable {
        let mut t = PriceTable::builtin();
        t.user_models = t.models.keys().cloned().collect();
        t
    }

    /// Built-in prices merged with `<config_dir>/prices.json` when it exists.
    pub fn load(config_dir: &Path) -> Result<PriceTable, PricingError> {
        let mut table = PriceTable::builtin();
        let path = config_dir.join(PRICES_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => table.merge_json(&text, &path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(PricingError::Read { path, source: e }),
        }
        Ok(table)
    }

    /// The table a worker uses: built-in prices merged with the user's `prices.json` from the
    /// config directory. A broken file is logged with its path and the reason, and the built-in
    /// prices are used.
    pub fn for_user() -> PriceTable {
        let Some(dir) = crate::paths::config_dir() else {
            return PriceTable::builtin();
        };
        PriceTable::load(&dir).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "ignoring the price file; using built-in prices");
            PriceTable::builtin()
        })
    }

    /// Merge a price file. Accepts `{"models": {...}}` or the bare map. A field left out keeps
    /// the built-in value; a new model needs `input` and `output`, and its cache prices default
    /// to the input price.
    pub fn merge_json(&mut self, text: &str, path: &Path) -> Result<(), PricingError> {
        let invalid = |reason: String| PricingError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let root: Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not JSON ({e})")))?;
        let map = match root.get("models") {
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(invalid("\"models\" must be an object".into())),
            None => match root {
                Value::Object(m) => m,
                _ => return Err(invalid("top level must be an object".into())),
            },
        };
        let mut staged = self.models.clone();
        let mut named = self.user_models.clone();
        for (model, entry) in map {
            let Value::Object(fields) = entry else {
                return Err(invalid(format!("entry for {model} must be an object")));
            };
            let get = |name: &str| -> Result<Option<f64>, PricingError> {
                match fields.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::Number(n)) => match n.as_f64() {
                        Some(x) if x >= 0.0 && x.is_finite() => Ok(Some(x)),
                        _ => Err(invalid(format!("{model}.{name} must be a price ≥ 0"))),
                    },
                    Some(_) => Err(invalid(format!("{model}.{name} must be a number"))),
                }
            };
            let (input, output, write, read) = (
                get("input")?,
                get("output")?,
                get("cache_write")?,
                get("cache_read")?,
            );
            let price = match staged.get(&model) {
                Some(old) => ModelPrice {
                    input: input.unwrap_or(old.input),
                    output: output.unwrap_or(old.output),
                    cache_write: write.unwrap_or(old.cache_write),
                    cache_read: read.unwrap_or(old.cache_read),
                },
                None => {
                    let (Some(input), Some(output)) = (input, output) else {
                        return Err(invalid(format!(
                            "new model {model} needs both \"input\" and \"output\""
                        )));
                    };
                    ModelPrice {
                        input,
                        output,
                        cache_write: write.unwrap_or(input),
                        cache_read: read.unwrap_or(input),
                    }
                }
            };
            staged.insert(model.clone(), price);
            named.insert(model);
        }
        self.models = staged;
        self.user_models = named;
        Ok(())
    }

    /// Prices for a model: exact name, else the longest known prefix.
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        self.lookup(model, |_| true)
    }

    /// Prices for a model served at an endpoint: any price at the vendor's own endpoint,
    /// elsewhere only a price the user's file names (never a vendor price for a local server).
    pub fn price_at(&self, model: &str, vendor_endpoint: bool) -> Option<&ModelPrice> {
        if vendor_endpoint {
            self.price(model)
        } else {
            self.lookup(model, |name| self.user_models.contains(name))
        }
    }

    fn lookup(&self, model: &str, allowed: impl Fn(&str) -> bool) -> Option<&ModelPrice> {
        if let Some(p) = self.models.get(model).filter(|_| allowed(model)) {
            return Some(p);
        }
        self.models
            .iter()
            .filter(|(name, _)| model.starts_with(name.as_str()) && allowed(name))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| p)
    }

    /// The priced models a provider serves, by family name (`claude-…` for Anthropic, `gpt-…`
    /// / `o…` for OpenAI, `gemini-…` for Google, `demo`); empty for custom servers.
    pub fn models_for(&self, provider: &str) -> Vec<String> {
        let kind = ProviderKind::parse(provider);
        let family = |m: &str| match kind {
            Some(ProviderKind::Anthropic) => m.starts_with("claude"),
            Some(ProviderKind::OpenAi) => {
                m.starts_with("gpt-") || m.starts_with("o3") || m.starts_with("o4")
            }
            Some(ProviderKind::Google) => m.starts_with("gemini"),
            Some(ProviderKind::Demo) => m == "demo",
            Some(ProviderKind::Custom) | None => false,
        };
        self.models.keys().filter(|m| family(m)).cloned().collect()
    }

    /// Estimated cost in USD of one usage record at the vendor's endpoint; `None` when the
    /// model is unknown.
    pub fn estimate(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.estimate_at(model, usage, true)
    }

    /// [`PriceTable::estimate`] for a call to an endpoint that may not be the vendor's.
    pub fn estimate_at(&self, model: &str, usage: &Usage, vendor_endpoint: bool) -> Option<f64> {
        let p = self.price_at(model, vendor_endpoint)?;
        let per = |tokens: u64, price: f64| tokens as f64 * price / 1_000_000.0;
        Some(
            per(usage.input_tokens, p.input)
                + per(usage.output_tokens, p.output)
                + per(usage.cache_write_tokens, p.cache_write)
                + per(usage.cache_read_tokens, p.cache_read),
        )
    }
}

/// The share of the real-time price a provider's batch API charges (Anthropic Message Batches
/// and OpenAI Batch: 50 %, prompt-cache prices included, so the cache discount stacks).
pub const BATCH_PRICE_FACTOR: f64 = 0.5;

/// A real-time cost at the batch price.
pub fn batch_cost(real_time: Option<f64>) -> Option<f64> {
    real_time.map(|c| c * BATCH_PRICE_FACTOR)
}

/// A cost for humans: `$0.0123`, or `unknown` (never `$0` for a model without a price).
pub fn format_cost(cost: Option<f64>) -> String {
    match cost {
        Some(c) if c >= 1.0 => format!("${c:.2}"),
        Some(c) => format!("${c:.4}"),
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(i: u64, o: u64, w: u64, r: u64) -> Usage {
        Usage {
            input_tokens: i,
            output_tokens: o,
            cache_write_tokens: w,
            cache_read_tokens: r,
        }
    }

    #[test]
    fn dated_model_names_use_the_longest_prefix() {
        let t = PriceTable::builtin();
        let cost = t
            .estimate(
                "claude-sonnet-4-5-20250929",
                &usage(1_000_000, 100_000, 200_000, 1_000_000),
            )
            .unwrap();
        // 3 + 1.5 + 0.75 + 0.3
        assert!((cost - 5.55).abs() < 1e-9, "{cost}");
        assert_eq!(t.price("gpt-4o-mini-2024-07-18").unwrap().input, 0.15);
        assert_eq!(t.price("gpt-5-mini").unwrap().output, 2.0);
    }

    #[test]
    fn unknown_model_is_unknown_not_zero() {
        let t = PriceTable::builtin();
        assert_eq!(t.estimate("llama-3-70b", &usage(10, 10, 0, 0)), None);
        assert_eq!(format_cost(None), "unknown");
    }

    #[test]
    fn off_the_vendor_endpoint_only_user_prices_count() {
        let dir = tempfile::tempdir().unwrap();
        let t = PriceTable::load(dir.path()).unwrap();
        let u = usage(1_000_000, 1_000_000, 0, 0);
        assert!(t.estimate_at("gpt-4o", &u, true).is_some());
        assert_eq!(
            t.estimate_at("gpt-4o", &u, false),
            None,
            "no vendor price locally"
        );
        std::fs::write(
            dir.path().join(PRICES_FILE),
            r#"{"models": {"qwen2.5": {"input": 0.01, "output": 0.02}, "gpt-4o": {"output": 1.0}}}"#,
        )
        .unwrap();
        let t = PriceTable::load(dir.path()).unwrap();
        let local = t.estimate_at("qwen2.5-0.5b-instruct", &u, false).unwrap();
        assert!((local - 0.03).abs() < 1e-9, "{local}");
        // Named in the user's file: its merged price is the user's word for this model.
        assert!(t.estimate_at("gpt-4o", &u, false).is_some());
        assert_eq!(t.estimate_at("claude-sonnet-4-5", &u, false), None);
    }

    #[test]
    fn config_file_overrides_and_extends() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(PRICES_FILE),
            r#"{"models": {"claude-haiku-4-5": {"output": 6.0}, "llama-3-70b": {"input": 0.5, "output": 0.7}}}"#,
        )
        .unwrap();
        let t = PriceTable::load(dir.path()).unwrap();
        let h = t.price("claude-haiku-4-5").unwrap();
        assert_eq!((h.input, h.output), (1.0, 6.0));
        let l = t.price("llama-3-70b").unwrap();
        assert_eq!((l.cache_write, l.cache_read), (0.5, 0.5));

        std::fs::write(
            dir.path().join(PRICES_FILE),
            r#"{"models": {"new-model": {"input": 1}}}"#,
        )
        .unwrap();
        let err = PriceTable::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("new-model") && err.contains("prices.json"),
            "{err}"
        );
    }
}
