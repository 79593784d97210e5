//! The schema's optional `prompt_config` (SPEC §2), typed for the worker.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::kind_of;
use super::SchemaError;

/// Every key `prompt_config` understands. Others are kept but warned about.
pub const PROMPT_CONFIG_KEYS: [&str; 6] = [
    "system_instructions",
    "per_block_prompt",
    "model",
    "temperature",
    "max_tokens_per_block",
    "max_batch_size",
];

/// A schema's prompt settings. `None` = not set here; a later layer decides (SPEC §3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_block_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// 0.0–1.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Positive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_per_block: Option<u32>,
    /// Positive: upper bound on blocks per call for this schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<u32>,
}

impl PromptConfig {
    /// Read the schema's `prompt_config`. Absent (or `null`) → all `None`. Invalid values are
    /// an error listing every problem; unknown keys are ignored here (the compatibility check
    /// warns about them).
    pub fn from_schema(schema: &Value) -> Result<PromptConfig, SchemaError> {
        match schema.get("prompt_config") {
            None | Some(Value::Null) => Ok(PromptConfig::default()),
            Some(Value::Object(map)) => {
                let (config, problems) = parse_map(map);
                if problems.is_empty() {
                    Ok(config)
                } else {
                    Err(SchemaError::InvalidPromptConfig { problems })
                }
            }
            Some(other) => Err(SchemaError::InvalidPromptConfig {
                problems: vec![format!(
                    "prompt_config must be an object, found {}",
                    kind_of(other)
                )],
            }),
        }
    }

    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == PromptConfig::default()
    }

    /// The set keys as a JSON object map.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put(
            "system_instructions",
            self.system_instructions.clone().map(Value::from),
        );
        put(
            "per_block_prompt",
            self.per_block_prompt.clone().map(Value::from),
        );
        put("model", self.model.clone().map(Value::from));
        put("temperature", self.temperature.map(Value::from));
        put(
            "max_tokens_per_block",
            self.max_tokens_per_block.map(Value::from),
        );
        put("max_batch_size", self.max_batch_size.map(Value::from));
        m
    }
}

/// Parse the known keys of a `prompt_config` object; returns the config and every problem.
/// A key with a bad value is left `None` in the config.
pub(crate) fn parse_map(map: &Map<String, Value>) -> (PromptConfig, Vec<String>) {
    let mut c = PromptConfig::default();
    let mut problems = Vec::new();
    for (key, value) in map {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "system_instructions" | "per_block_prompt" | "model" => match value.as_str() {
                Some(s) => {
                    let s = Some(s.to_string());
                    match key.as_str() {
                        "system_instructions" => c.system_instructions = s,
                        "per_block_prompt" => c.per_block_prompt = s,
                        _ => c.model = s,
                    }
                }
                None => problems.push(format!(
                    "prompt_config.{key} must be a string, found {}",
                    kind_of(value)
                )),
            },
            "temperature" => match value.as_f64() {
                Some(t) if (0.0..=1.0).contains(&t) => c.temperature = Some(t),
                Some(t) => problems.push(format!(
                    "prompt_config.temperature is {t}; it must be between 0 and 1"
                )),
                None => problems.push(format!(
                    "prompt_config.temperature must be a number, found {}",
                    kind_of(value)
                )),
            },
            "max_tokens_per_block" | "max_batch_size" => match positive_u32(value) {
                Ok(n) => {
                    if key == "max_batch_size" {
                        c.max_batch_size = Some(n);
                    } else {
                        c.max_tokens_per_block = Some(n);
                    }
                }
                Err(why) => problems.push(format!("prompt_config.{key} {why}")),
            },
            _ => {}
        }
    }
    (c, problems)
}

/// A positive whole number that fits u32 (`100.0` counts, canonical JSON agrees it is `100`).
fn positive_u32(v: &Value) -> Result<u32, String> {
    let Value::Number(n) = v else {
        return Err(format!(
            "must be a positive whole number, found {}",
            kind_of(v)
        ));
    };
    let f = n.as_f64().unwrap_or(f64::NAN);
    if let Some(u) = n.as_u64() {
        if u == 0 {
            return Err("is 0; it must be positive".into());
        }
        return u32::try_from(u).map_err(|_| format!("is {u}; it must be at most {}", u32::MAX));
    }
    if n.is_i64() || f <= 0.0 {
        return Err(format!("is {n}; it must be positive"));
    }
    if f.fract() == 0.0 && f <= u32::MAX as f64 {
        return Ok(f as u32);
    }
    Err(format!("is {n}; it must be a positive whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_valid_config_and_lists_every_problem() {
        let ok = PromptConfig::from_schema(&json!({"prompt_config": {
            "model": "m", "temperature": 0, "max_tokens_per_block": 300.0, "max_batch_size": 4,
            "extra": 1
        }}))
        .unwrap();
        assert_eq!(ok.model.as_deref(), Some("m"));
        assert_eq!(ok.temperature, Some(0.0));
        assert_eq!(ok.max_tokens_per_block, Some(300));
        assert_eq!(ok.max_batch_size, Some(4));

        let err = PromptConfig::from_schema(&json!({"prompt_config": {
            "temperature": 1.5, "max_tokens_per_block": 0, "max_batch_size": -2, "model": 3
        }}))
        .unwrap_err()
        .to_string();
        for part in [
            "temperature is 1.5",
            "max_tokens_per_block is 0",
            "max_batch_size is -2",
            "model must be a string",
        ] {
            assert!(err.contains(part), "{err}");
        }
        assert!(PromptConfig::from_schema(&json!({"prompt_config": []})).is_err());
        assert!(PromptConfig::from_schema(&json!({})).unwrap().is_empty());
    }
}
