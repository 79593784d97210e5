//! Effective values with their source: the policy layer (stored value or registry default) and
//! the full parameter precedence chain of SPEC §3. The worker and the UI call the same functions.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::keys;
use super::registry::{self, check_type, effective_in, REGISTRY};
use super::PolicyError;
use crate::model::ModelConfig;
use crate::store::Store;

/// Where a policy value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    /// Never set: the registry default.
    Default,
    /// Set by an admin and stored in the workspace.
    Stored,
}

impl PolicySource {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicySource::Default => "default",
            PolicySource::Stored => "stored",
        }
    }
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One key's effective value, where it came from, and what it may be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectiveValue {
    pub key: String,
    pub value: Value,
    pub source: PolicySource,
    #[serde(rename = "type")]
    pub value_type: String,
    pub default: Value,
    pub bounds: String,
    pub description: String,
}

impl fmt::Display for EffectiveValue {
    /// `effective=<value> (source=<layer>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "effective={} (source={})",
            display_value(&self.value),
            self.source
        )
    }
}

fn effective_from(values: &BTreeMap<String, Value>, key: &registry::PolicyKey) -> EffectiveValue {
    let stored = values
        .get(key.key)
        .is_some_and(|v| check_type(key, v).is_ok());
    EffectiveValue {
        key: key.key.to_string(),
        value: effective_in(values, key),
        source: if stored {
            PolicySource::Stored
        } else {
            PolicySource::Default
        },
        value_type: key.ty.name().to_string(),
        default: key.default_value(),
        bounds: key.bounds_text(),
        description: key.description.to_string(),
    }
}

/// Every registered key's effective value, in registry order.
pub fn effective_all(store: &Store) -> Result<Vec<EffectiveValue>, PolicyError> {
    let values = store.policy_values()?;
    Ok(REGISTRY
        .iter()
        .map(|k| effective_from(&values, k))
        .collect())
}

/// One key's effective value (full name or unique last segment).
pub fn effective_value(store: &Store, key: &str) -> Result<EffectiveValue, PolicyError> {
    let spec = registry::lookup(key)?;
    Ok(effective_from(&store.policy_values()?, spec))
}

/// A value for humans: strings bare, everything else as compact JSON.
pub fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The layer a model parameter came from (SPEC §3), first that is set wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Source {
    Override,
    SchemaPromptConfig,
    RunModelConfig,
    KeyDefaults,
    PolicyBaseline,
    BuiltinFallback,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Override => "override",
            Source::SchemaPromptConfig => "schema prompt_config",
            Source::RunModelConfig => "run model_config",
            Source::KeyDefaults => "key defaults",
            Source::PolicyBaseline => "policy baseline",
            Source::BuiltinFallback => "built-in fallback",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The candidate values of one parameter, layer by layer. `None` (or JSON `null`) = not set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamLayers {
    pub override_: Option<Value>,
    pub schema_prompt_config: Option<Value>,
    pub run_model_config: Option<Value>,
    pub key_defaults: Option<Value>,
    pub policy_baseline: Option<Value>,
    pub builtin: Value,
}

/// Which field each layer names a parameter by, its policy key, and what a valid value is.
struct ParamSpec {
    prompt_config: &'static str,
    model_config: Option<&'static str>,
    key_defaults: Option<&'static str>,
    policy_key: &'static str,
    valid: fn(&Value) -> bool,
}

fn non_empty_str(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.trim().is_empty())
}
fn any_str(v: &Value) -> bool {
    v.is_string()
}
fn temperature(v: &Value) -> bool {
    v.as_f64()
        .is_some_and(|t| t.is_finite() && (0.0..=2.0).contains(&t))
}
fn positive_u32(v: &Value) -> bool {
    v.as_u64()
        .is_some_and(|n| n >= 1 && n <= u64::from(u32::MAX))
}

fn param_spec(name: &str) -> Option<ParamSpec> {
    Some(match name {
        "model" => ParamSpec {
            prompt_config: "model",
            model_config: Some("model"),
            key_defaults: Some("model"),
            policy_key: keys::DEFAULT_MODEL,
            valid: non_empty_str,
        },
        "temperature" => ParamSpec {
            prompt_config: "temperature",
            model_config: Some("temperature"),
            key_defaults: Some("temperature"),
            policy_key: keys::DEFAULT_TEMPERATURE,
            valid: temperature,
        },
        "max_tokens" => ParamSpec {
            prompt_config: "max_tokens_per_block",
            model_config: Some("max_tokens"),
            key_defaults: Some("max_tokens"),
            policy_key: keys::DEFAULT_MAX_TOKENS,
            valid: positive_u32,
        },
        "system_prompt" => ParamSpec {
            prompt_config: "system_instructions",
            model_config: None,
            key_defaults: None,
            policy_key: keys::DEFAULT_SYSTEM_PROMPT,
            valid: any_str,
        },
        "block_prompt" => ParamSpec {
            prompt_config: "per_block_prompt",
            model_config: None,
            key_defaults: None,
            policy_key: keys::DEFAULT_BLOCK_PROMPT,
            valid: any_str,
        },
        _ => return None,
    })
}

/// Whether `value` is acceptable for parameter `name` (unknown names accept anything).
pub fn param_value_ok(name: &str, value: &Value) -> bool {
    param_spec(name).is_none_or(|s| (s.valid)(value))
}

impl ParamLayers {
    /// Build the layers of a known parameter (`model`, `temperature`, `max_tokens`,
    /// `system_prompt`, `block_prompt`) from the objects each layer keeps:
    /// a schema's `prompt_config`, the run's `model_config`, the provider key's defaults
    /// (`{model, temperature, max_tokens}`) and a policy snapshot. A layer whose value has the
    /// wrong type for the parameter is treated as not set. `None` for an unknown name.
    pub fn for_param(
        name: &str,
        override_: Option<Value>,
        prompt_config: Option<&Value>,
        run_model_config: Option<&ModelConfig>,
        key_defaults: Option<&Value>,
        policy_snapshot: &BTreeMap<String, Value>,
    ) -> Option<ParamLayers> {
        let spec = param_spec(name)?;
        let keep = |v: Option<Value>| v.filter(|v| (spec.valid)(v));
        let run_json = run_model_config.and_then(|m| serde_json::to_value(m).ok());
        let policy_spec = registry::lookup(spec.policy_key).ok()?;
        Some(ParamLayers {
            override_: keep(override_),
            schema_prompt_config: keep(
                prompt_config
                    .and_then(|p| p.get(spec.prompt_config))
                    .cloned(),
            ),
            run_model_config: keep(
                spec.model_config
                    .and_then(|f| run_json.as_ref().and_then(|m| m.get(f)).cloned()),
            ),
            key_defaults: keep(
                spec.key_defaults
                    .and_then(|f| key_defaults.and_then(|k| k.get(f)).cloned()),
            ),
            policy_baseline: keep(policy_snapshot.get(spec.policy_key).cloned()),
            builtin: policy_spec.default_value(),
        })
    }
}

/// The effective value of parameter `name` and the layer it came from: the first layer that is
/// set (not `None`, not JSON `null`) wins, else the built-in fallback.
pub fn resolve_param(name: &str, layers: &ParamLayers) -> (Value, Source) {
    let ordered = [
        (&layers.override_, Source::Override),
        (&layers.schema_prompt_config, Source::SchemaPromptConfig),
        (&layers.run_model_config, Source::RunModelConfig),
        (&layers.key_defaults, Source::KeyDefaults),
        (&layers.policy_baseline, Source::PolicyBaseline),
    ];
    for (value, source) in ordered {
        if let Some(v) = value.as_ref().filter(|v| !v.is_null()) {
            tracing::trace!(param = name, source = source.as_str(), "parameter resolved");
            return (v.clone(), source);
        }
    }
    (layers.builtin.clone(), Source::BuiltinFallback)
}

/// `temperature=0.3 (policy baseline)`.
pub fn format_param(name: &str, value: &Value, source: Source) -> String {
    format!("{name}={} ({source})", display_value(value))
}
