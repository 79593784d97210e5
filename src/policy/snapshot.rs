//! Run snapshots: every effective policy value is copied into a run's `model_config` when the run
//! is created, so later policy changes never alter an existing run (SPEC §3, §5).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::keys;
use super::registry::REGISTRY;
use super::resolve::{display_value, effective_all, param_value_ok, resolve_param, ParamLayers};
use super::PolicyError;
use crate::model::ModelConfig;
use crate::store::Store;

/// Every registered key's effective value now.
pub fn snapshot(store: &Store) -> Result<BTreeMap<String, Value>, PolicyError> {
    Ok(effective_all(store)?
        .into_iter()
        .map(|e| (e.key, e.value))
        .collect())
}

/// A typed view of a policy snapshot, one field per key, for the worker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerPolicy {
    pub prompt_caching: bool,
    pub batching: bool,
    pub pack_size: u32,
    pub pack_size_max: u32,
    pub text_heavy_max_pack_size: u32,
    pub context_window_tokens: u32,
    pub output_reserve_tokens: u32,
    pub tool_overhead_tokens: u32,
    pub max_output_tokens: u32,
    pub per_block_output_tokens: u32,
    pub claim_batch_size: u32,
    pub max_retries: u32,
    pub concurrency: u32,
    pub request_timeout_seconds: u32,
    pub transient_retries: u32,
    /// `worker.batching.calibrate` as written (`custom`, `all`, `none`, `custom,openai`).
    pub calibrate: String,
    pub calibrate_blocks: u32,
    pub batch_poll_seconds_min: u32,
    pub batch_poll_seconds_max: u32,
    pub batch_resubmit_expired: bool,
    pub default_system_prompt: String,
    pub default_block_prompt: String,
    pub default_model: String,
    pub default_temperature: f64,
    pub default_max_tokens: u32,
    pub max_file_bytes: u64,
}

/// Reads keys from a snapshot, falling back to the registry default for a key that is missing
/// or has the wrong type (a snapshot taken by an older build).
struct Reader<'a>(&'a BTreeMap<String, Value>);

impl Reader<'_> {
    fn get<T>(&self, key: &str, conv: impl Fn(&Value) -> Option<T>, last: T) -> T {
        self.0
            .get(key)
            .and_then(&conv)
            .or_else(|| {
                REGISTRY
                    .iter()
                    .find(|k| k.key == key)
                    .and_then(|k| conv(&k.default_value()))
            })
            .unwrap_or(last)
    }
    fn bool(&self, key: &str) -> bool {
        self.get(key, Value::as_bool, false)
    }
    fn u32(&self, key: &str) -> u32 {
        self.get(key, |v| v.as_u64().and_then(|n| u32::try_from(n).ok()), 1)
    }
    fn u64(&self, key: &str) -> u64 {
        self.get(key, Value::as_u64, 1)
    }
    fn f64(&self, key: &str) -> f64 {
        self.get(key, Value::as_f64, 0.0)
    }
    fn string(&self, key: &str) -> String {
        self.get(key, |v| v.as_str().map(str::to_string), String::new())
    }
}

impl WorkerPolicy {
    pub fn from_snapshot(snapshot: &BTreeMap<String, Value>) -> WorkerPolicy {
        let r = Reader(snapshot);
        WorkerPolicy {
            prompt_caching: r.bool(keys::PROMPT_CACHING),
            batching: r.bool(keys::BATCHING),
            pack_size: r.u32(keys::PACK_SIZE),
            pack_size_max: r.u32(keys::PACK_SIZE_MAX),
            text_heavy_max_pack_size: r.u32(keys::TEXT_HEAVY_MAX_PACK_SIZE),
            context_window_tokens: r.u32(keys::CONTEXT_WINDOW_TOKENS),
            output_reserve_tokens: r.u32(keys::OUTPUT_RESERVE_TOKENS),
            tool_overhead_tokens: r.u32(keys::TOOL_OVERHEAD_TOKENS),
            max_output_tokens: r.u32(keys::MAX_OUTPUT_TOKENS),
            per_block_output_tokens: r.u32(keys::PER_BLOCK_OUTPUT_TOKENS),
            claim_batch_size: r.u32(keys::CLAIM_BATCH_SIZE),
            max_retries: r.u32(keys::MAX_RETRIES),
            concurrency: r.u32(keys::CONCURRENCY),
            request_timeout_seconds: r.u32(keys::REQUEST_TIMEOUT_SECONDS),
            transient_retries: r.u32(keys::TRANSIENT_RETRIES),
            calibrate: r.string(keys::CALIBRATE),
            calibrate_blocks: r.u32(keys::CALIBRATE_BLOCKS),
            batch_poll_seconds_min: r.u32(keys::BATCH_POLL_SECONDS_MIN),
            batch_poll_seconds_max: r.u32(keys::BATCH_POLL_SECONDS_MAX),
            batch_resubmit_expired: r.bool(keys::BATCH_RESUBMIT_EXPIRED),
            default_system_prompt: r.string(keys::DEFAULT_SYSTEM_PROMPT),
            default_block_prompt: r.string(keys::DEFAULT_BLOCK_PROMPT),
            default_model: r.string(keys::DEFAULT_MODEL),
            default_temperature: r.f64(keys::DEFAULT_TEMPERATURE),
            default_max_tokens: r.u32(keys::DEFAULT_MAX_TOKENS),
            max_file_bytes: r.u64(keys::MAX_FILE_BYTES),
        }
    }
}

impl Default for WorkerPolicy {
    /// Every key at its registry default.
    fn default() -> Self {
        WorkerPolicy::from_snapshot(&BTreeMap::new())
    }
}

/// What run creation knows besides policy.
#[derive(Debug, Clone, Default)]
pub struct RunModelInputs<'a> {
    pub provider: String,
    pub base_url: Option<String>,
    /// `--model`, `--temperature`, `--max-tokens` of this invocation.
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    /// The schema's `prompt_config` object, if any.
    pub prompt_config: Option<&'a Value>,
    /// The provider key's defaults `{model, temperature, max_tokens}`, if any.
    pub key_defaults: Option<&'a Value>,
}

/// The `model_config` of a new run: model, temperature and max tokens resolved through the
/// precedence chain (no run layer yet), each with its source, plus the snapshot of every
/// effective policy value.
pub fn build_model_config(
    store: &Store,
    inputs: &RunModelInputs<'_>,
) -> Result<ModelConfig, PolicyError> {
    let checks = [
        (
            "model",
            inputs.model.clone().map(Value::from),
            "a non-empty model name",
        ),
        (
            "temperature",
            inputs.temperature.map(Value::from),
            "a number from 0.0 to 2.0",
        ),
        (
            "max_tokens",
            inputs.max_tokens.map(Value::from),
            "a whole number of at least 1",
        ),
    ];
    for (name, value, expected) in checks {
        if let Some(v) = value.filter(|v| !param_value_ok(name, v)) {
            return Err(PolicyError::InvalidValue {
                key: name.to_string(),
                value: display_value(&v),
                expected: expected.to_string(),
            });
        }
    }
    let policy = snapshot(store)?;
    let defaults = WorkerPolicy::from_snapshot(&policy);
    let mut sources = BTreeMap::new();
    let mut resolve = |name: &str, over: Option<Value>| -> Value {
        let layers = ParamLayers::for_param(
            name,
            over,
            inputs.prompt_config,
            None,
            inputs.key_defaults,
            &policy,
        )
        .unwrap_or_default();
        let (value, source) = resolve_param(name, &layers);
        sources.insert(name.to_string(), source.as_str().to_string());
        value
    };
    let model = resolve("model", inputs.model.clone().map(Value::from));
    let temperature = resolve("temperature", inputs.temperature.map(Value::from));
    let max_tokens = resolve("max_tokens", inputs.max_tokens.map(Value::from));
    let temperature_value = temperature.as_f64().unwrap_or(defaults.default_temperature);
    let max = crate::vault::temperature_max(&inputs.provider);
    if temperature_value > max {
        let source = sources.get("temperature").cloned().unwrap_or_default();
        return Err(PolicyError::InvalidValue {
            key: "temperature".to_string(),
            value: format!("{temperature_value} ({source})"),
            expected: format!("a number from 0.0 to {max:.1} for {}", inputs.provider),
        });
    }
    Ok(ModelConfig {
        provider: inputs.provider.clone(),
        model: model
            .as_str()
            .map(str::to_string)
            .unwrap_or(defaults.default_model),
        temperature: temperature_value,
        max_tokens: max_tokens
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(defaults.default_max_tokens),
        base_url: inputs.base_url.clone(),
        sources,
        policy,
    })
}
