//! Every policy key of SPEC §5: type, bounds (possibly naming another key), default and meaning.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::prompts::{DEFAULT_BLOCK_PROMPT, DEFAULT_SYSTEM_PROMPT};
use super::{keys, PolicyError};

/// One end of an integer range: a number, or another key's effective value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Fixed(i64),
    Key(&'static str),
}

/// A key's type and bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyType {
    Bool,
    /// Inclusive bounds. `max` is `None` when the spec gives none; `ceiling` is the largest value
    /// the consumer's integer type can hold.
    Integer {
        min: i64,
        max: Option<Bound>,
        ceiling: i64,
    },
    /// Inclusive bounds, finite numbers only.
    Number {
        min: f64,
        max: f64,
    },
    String {
        non_empty: bool,
    },
    /// A list of block type names (`heading`, `page_footer`, ...), each known, none twice.
    BlockTypes,
}

impl KeyType {
    pub fn name(&self) -> &'static str {
        match self {
            KeyType::Bool => "boolean",
            KeyType::Integer { .. } => "integer",
            KeyType::Number { .. } => "number",
            KeyType::String { .. } => "string",
            KeyType::BlockTypes => "list of block types",
        }
    }
}

/// One registered policy key.
#[derive(Debug, Clone, Copy)]
pub struct PolicyKey {
    pub key: &'static str,
    pub ty: KeyType,
    pub description: &'static str,
    default: DefaultValue,
}

#[derive(Debug, Clone, Copy)]
enum DefaultValue {
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(&'static str),
    List(&'static [&'static str]),
}

impl PolicyKey {
    pub fn default_value(&self) -> Value {
        match self.default {
            DefaultValue::Bool(b) => json!(b),
            DefaultValue::Int(i) => json!(i),
            DefaultValue::Num(n) => json!(n),
            DefaultValue::Str(s) => json!(s),
            DefaultValue::List(l) => json!(l),
        }
    }

    /// Human text for the bounds, e.g. `1..=200`, `1..=worker.batching.pack_size_max`, `≥ 1024`.
    pub fn bounds_text(&self) -> String {
        match self.ty {
            KeyType::Bool => String::new(),
            KeyType::Integer { min, max, .. } => match max {
                Some(Bound::Fixed(m)) => format!("{min}..={m}"),
                Some(Bound::Key(k)) => format!("{min}..={k}"),
                None => format!(">= {min}"),
            },
            KeyType::Number { min, max } => format!("{min:.1}..={max:.1}"),
            KeyType::String { non_empty: true } => "non-empty".into(),
            KeyType::String { non_empty: false } => String::new(),
            KeyType::BlockTypes => "known block types".into(),
        }
    }
}

const U32: i64 = u32::MAX as i64;

const fn int(min: i64, max: Option<Bound>, ceiling: i64) -> KeyType {
    KeyType::Integer { min, max, ceiling }
}

/// The registry, in display order.
pub const REGISTRY: &[PolicyKey] = &[
    PolicyKey {
        key: keys::DEFAULT_MODEL,
        ty: KeyType::String { non_empty: true },
        description:
            "Model used when neither the invocation, the schema, the run nor the provider \
                      key names one.",
        default: DefaultValue::Str("claude-sonnet-4-5"),
    },
    PolicyKey {
        key: keys::DEFAULT_TEMPERATURE,
        ty: KeyType::Number { min: 0.0, max: 1.0 },
        description: "Sampling temperature when nothing more specific sets one.",
        default: DefaultValue::Num(0.3),
    },
    PolicyKey {
        key: keys::DEFAULT_MAX_TOKENS,
        ty: int(1, Some(Bound::Fixed(64000)), U32),
        description: "Maximum output tokens per block when nothing more specific sets it.",
        default: DefaultValue::Int(2000),
    },
    PolicyKey {
        key: keys::PROMPT_CACHING,
        ty: KeyType::Bool,
        description: "Mark the system prompt cacheable (Anthropic cache_control) so repeated \
                      calls of a run pay less for it.",
        default: DefaultValue::Bool(true),
    },
    PolicyKey {
        key: keys::BATCHING,
        ty: KeyType::Bool,
        description: "Pack several blocks into one model call; off = one call per block.",
        default: DefaultValue::Bool(true),
    },
    PolicyKey {
        key: keys::PACK_SIZE,
        ty: int(1, Some(Bound::Key(keys::PACK_SIZE_MAX)), U32),
        description: "Preferred number of blocks per call.",
        default: DefaultValue::Int(10),
    },
    PolicyKey {
        key: keys::PACK_SIZE_MAX,
        ty: int(1, Some(Bound::Fixed(200)), U32),
        description: "Hard cap on blocks per call; pack_size and text_heavy_max_pack_size must \
                      not exceed it.",
        default: DefaultValue::Int(40),
    },
    PolicyKey {
        key: keys::TEXT_HEAVY_MAX_PACK_SIZE,
        ty: int(1, Some(Bound::Key(keys::PACK_SIZE_MAX)), U32),
        description: "Cap on blocks per call when the schema asks for free text (rewrite, \
                      summary, final, ...).",
        default: DefaultValue::Int(6),
    },
    PolicyKey {
        key: keys::CONTEXT_WINDOW_TOKENS,
        ty: int(1024, None, U32),
        description: "Model context window assumed when sizing packs.",
        default: DefaultValue::Int(200_000),
    },
    PolicyKey {
        key: keys::OUTPUT_RESERVE_TOKENS,
        ty: int(256, None, U32),
        description: "Tokens of the context window kept free for the answer.",
        default: DefaultValue::Int(20_000),
    },
    PolicyKey {
        key: keys::TOOL_OVERHEAD_TOKENS,
        ty: int(0, None, U32),
        description: "Tokens assumed for the tool / response-format definition of each call.",
        default: DefaultValue::Int(2000),
    },
    PolicyKey {
        key: keys::MAX_OUTPUT_TOKENS,
        ty: int(256, None, U32),
        description: "Output budget of one call; a pack closes before its estimated output \
                      exceeds it.",
        default: DefaultValue::Int(8192),
    },
    PolicyKey {
        key: keys::PER_BLOCK_OUTPUT_TOKENS,
        ty: int(1, None, U32),
        description: "Base estimate of output tokens per block (grows with the schema).",
        default: DefaultValue::Int(200),
    },
    PolicyKey {
        key: keys::CLAIM_BATCH_SIZE,
        ty: int(1, Some(Bound::Fixed(100)), U32),
        description: "Pending blocks a worker claims at once (lowest block_index first).",
        default: DefaultValue::Int(25),
    },
    PolicyKey {
        key: keys::MAX_RETRIES,
        ty: int(1, Some(Bound::Fixed(10)), U32),
        description: "Attempts before a block that keeps failing is marked failed.",
        default: DefaultValue::Int(3),
    },
    PolicyKey {
        key: keys::CONCURRENCY,
        ty: int(1, Some(Bound::Fixed(64)), U32),
        description: "Model calls in flight at once per run.",
        default: DefaultValue::Int(4),
    },
    PolicyKey {
        key: keys::REQUEST_TIMEOUT_SECONDS,
        ty: int(5, Some(Bound::Fixed(3600)), U32),
        description: "Seconds a model call may take to its first byte, time queued in the \
                      server included (a one-slot local server queues every other call); \
                      then it is a transient failure and is retried.",
        default: DefaultValue::Int(120),
    },
    PolicyKey {
        key: keys::TRANSIENT_RETRIES,
        ty: int(0, Some(Bound::Fixed(100)), U32),
        description: "Retries of one call after transient trouble (timeouts, 429, 5xx) before \
                      the run pauses; they never use a block's attempts.",
        default: DefaultValue::Int(8),
    },
    PolicyKey {
        key: keys::CALIBRATE,
        ty: KeyType::String { non_empty: true },
        description: "Providers whose runs calibrate the pack size before packing (`all`, `none`, \
                      or names such as `custom` or `custom,openai`); `run start --calibrate` \
                      calibrates on any provider.",
        default: DefaultValue::Str("custom"),
    },
    PolicyKey {
        key: keys::CALIBRATE_BLOCKS,
        ty: int(2, Some(Bound::Fixed(200)), U32),
        description: "Calibration answers this many first blocks both singly and packed and \
                      keeps the largest pack size that agrees with single calls on >= 95%.",
        default: DefaultValue::Int(20),
    },
    PolicyKey {
        key: keys::SKIP_BLOCK_TYPES,
        ty: KeyType::BlockTypes,
        description: "Block types a new run does not send to the model: their blocks are \
                      `skipped` from creation, cost nothing, count toward complete and export \
                      with data null (page furniture by default). Set as names separated by \
                      commas, or a JSON list; empty or [] skips nothing.",
        default: DefaultValue::List(&["page_header", "page_footer"]),
    },
    PolicyKey {
        key: keys::BATCH_POLL_SECONDS_MIN,
        ty: int(1, Some(Bound::Fixed(3600)), U32),
        description: "Batch mode (`run start --batch`): the first wait, in seconds, before an \
                      open provider batch is polled again; the wait doubles up to the maximum.",
        default: DefaultValue::Int(10),
    },
    PolicyKey {
        key: keys::BATCH_POLL_SECONDS_MAX,
        ty: int(1, Some(Bound::Fixed(86400)), U32),
        description: "Batch mode: the longest wait, in seconds, between two polls of an open \
                      provider batch.",
        default: DefaultValue::Int(120),
    },
    PolicyKey {
        key: keys::BATCH_RESUBMIT_EXPIRED,
        ty: KeyType::Bool,
        description: "Batch mode: requests the provider expired or cancelled return their \
                      blocks to pending (no attempt used) and go out again in a new batch.",
        default: DefaultValue::Bool(true),
    },
    PolicyKey {
        key: keys::DEFAULT_SYSTEM_PROMPT,
        ty: KeyType::String { non_empty: false },
        description: "System prompt of every call when the schema has no system_instructions.",
        default: DefaultValue::Str(DEFAULT_SYSTEM_PROMPT),
    },
    PolicyKey {
        key: keys::DEFAULT_BLOCK_PROMPT,
        ty: KeyType::String { non_empty: false },
        description: "Instruction placed before the blocks when the schema has no \
                      per_block_prompt.",
        default: DefaultValue::Str(DEFAULT_BLOCK_PROMPT),
    },
    PolicyKey {
        key: keys::MAX_FILE_BYTES,
        ty: int(1, None, i64::MAX),
        description: "Largest file ingest accepts, in bytes.",
        default: DefaultValue::Int(50 * 1024 * 1024),
    },
];

/// Look a key up by its full name, or by its last dotted segment when that is unique
/// (`pack_size` → `worker.batching.pack_size`), else by a unique `_`-suffix (`temperature`).
pub fn lookup(name: &str) -> Result<&'static PolicyKey, PolicyError> {
    if let Some(k) = REGISTRY.iter().find(|k| k.key == name) {
        return Ok(k);
    }
    let unique = |hits: Vec<&'static PolicyKey>| match hits.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let segment = REGISTRY
        .iter()
        .filter(|k| k.key.rsplit('.').next() == Some(name))
        .collect();
    let suffix = || {
        REGISTRY
            .iter()
            .filter(|k| {
                !name.is_empty()
                    && (k.key.ends_with(&format!(".{name}"))
                        || k.key.ends_with(&format!("_{name}")))
            })
            .collect()
    };
    unique(segment)
        .or_else(|| unique(suffix()))
        .ok_or_else(|| PolicyError::UnknownKey {
            key: name.to_string(),
            suggestion: suggest(name),
        })
}

fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    REGISTRY
        .iter()
        .find(|k| k.key.contains(&lower) || (lower.len() > 3 && lower.contains(k.key)))
        .map(|k| k.key)
}

/// Parse command-line text by the key's type. Strings are taken verbatim.
pub fn parse_value(key: &PolicyKey, text: &str) -> Result<Value, PolicyError> {
    let bad = |expected: &str| PolicyError::InvalidValue {
        key: key.key.to_string(),
        value: text.to_string(),
        expected: expected.to_string(),
    };
    let t = text.trim();
    match key.ty {
        KeyType::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(json!(true)),
            "false" | "off" | "no" | "0" => Ok(json!(false)),
            _ => Err(bad("a boolean (true or false)")),
        },
        KeyType::Integer { .. } => {
            let cleaned: String = t.chars().filter(|c| *c != '_').collect();
            cleaned
                .parse::<i64>()
                .map(|i| json!(i))
                .map_err(|_| bad("a whole number"))
        }
        KeyType::Number { .. } => match t.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(json!(n)),
            _ => Err(bad("a number such as 0.3")),
        },
        KeyType::String { .. } => Ok(Value::String(text.to_string())),
        KeyType::BlockTypes => parse_name_list(t).map_err(|why| bad(&why)),
    }
}

/// `a, b c` or a JSON list of strings → a JSON list of the names, first occurrence kept;
/// empty text, `[]` or `none` is the empty list. Names are checked by [`check_bounds`].
fn parse_name_list(text: &str) -> Result<Value, String> {
    let names: Vec<String> = if text.starts_with('[') {
        serde_json::from_str::<Vec<String>>(text).map_err(|e| {
            format!("a list of block type names, e.g. page_header, page_footer (not JSON: {e})")
        })?
    } else if text.eq_ignore_ascii_case("none") {
        Vec::new()
    } else {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut out: Vec<String> = Vec::new();
    for n in names.into_iter().map(|n| n.trim().to_string()) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(json!(out))
}

/// Check a value's type (a JSON value from any front end) without bounds.
pub fn check_type(key: &PolicyKey, value: &Value) -> Result<(), PolicyError> {
    let ok = match key.ty {
        KeyType::Bool => value.is_boolean(),
        KeyType::Integer { .. } => value.is_i64() || value.is_u64(),
        KeyType::Number { .. } => value.as_f64().is_some_and(f64::is_finite),
        KeyType::String { .. } => value.is_string(),
        KeyType::BlockTypes => value
            .as_array()
            .is_some_and(|l| l.iter().all(Value::is_string)),
    };
    if ok {
        Ok(())
    } else {
        Err(PolicyError::InvalidValue {
            key: key.key.to_string(),
            value: value.to_string(),
            expected: format!("a {}", key.ty.name()),
        })
    }
}

/// The effective value of `key` in `values` (stored values), else its default.
pub fn effective_in(values: &BTreeMap<String, Value>, key: &PolicyKey) -> Value {
    values
        .get(key.key)
        .filter(|v| check_type(key, v).is_ok())
        .cloned()
        .unwrap_or_else(|| key.default_value())
}

fn bound_value(bound: Bound, values: &BTreeMap<String, Value>) -> i64 {
    match bound {
        Bound::Fixed(n) => n,
        Bound::Key(k) => REGISTRY
            .iter()
            .find(|p| p.key == k)
            .and_then(|p| effective_in(values, p).as_i64())
            .unwrap_or(i64::MAX),
    }
}

/// Check `value` against `key`'s type and bounds, reading cross-key bounds from `values` (the
/// stored values as they would be after the change).
pub fn check_bounds(
    key: &PolicyKey,
    value: &Value,
    values: &BTreeMap<String, Value>,
) -> Result<(), PolicyError> {
    check_type(key, value)?;
    let out = |why: String| PolicyError::OutOfBounds {
        key: key.key.to_string(),
        value: value.to_string(),
        reason: why,
    };
    match key.ty {
        KeyType::Bool => Ok(()),
        KeyType::Integer { min, max, ceiling } => {
            let Some(n) = value.as_i64() else {
                return Err(out(format!("must be at most {ceiling}")));
            };
            if n < min {
                return Err(out(format!("must be at least {min}")));
            }
            if n > ceiling {
                return Err(out(format!("must be at most {ceiling}")));
            }
            match max {
                Some(Bound::Fixed(m)) if n > m => Err(out(format!("must be at most {m}"))),
                Some(Bound::Key(k)) => {
                    let m = bound_value(Bound::Key(k), values);
                    if n > m {
                        Err(out(format!(
                            "must be at most {k} (currently {m}); raise {k} first"
                        )))
                    } else {
                        Ok(())
                    }
                }
                _ => Ok(()),
            }
        }
        KeyType::Number { min, max } => {
            let n = value.as_f64().unwrap_or(f64::NAN);
            if n < min || n > max {
                Err(out(format!("must be between {min:.1} and {max:.1}")))
            } else {
                Ok(())
            }
        }
        KeyType::String { non_empty } => {
            if non_empty && value.as_str().is_none_or(|s| s.trim().is_empty()) {
                Err(out("must not be empty".into()))
            } else if key.key == keys::CALIBRATE {
                calibrate_providers(value.as_str().unwrap_or_default())
                    .map(|_| ())
                    .map_err(out)
            } else {
                Ok(())
            }
        }
        KeyType::BlockTypes => known_block_types(value).map_err(out),
    }
}

/// The providers `worker.batching.calibrate` names (`all`: every one, `none`: none), or why it
/// names something else.
pub fn calibrate_providers(value: &str) -> Result<Vec<String>, String> {
    const KNOWN: [&str; 5] = ["anthropic", "openai", "google", "custom", "demo"];
    match value.trim() {
        "all" => return Ok(KNOWN.iter().map(|p| p.to_string()).collect()),
        "none" => return Ok(Vec::new()),
        _ => {}
    }
    let names: Vec<String> = value.split(',').map(|p| p.trim().to_string()).collect();
    match names.iter().find(|n| !KNOWN.contains(&n.as_str())) {
        Some(bad) => Err(format!(
            "'{bad}' is not a provider: use all, none, or names from {}",
            KNOWN.join(", ")
        )),
        None => Ok(names),
    }
}

/// Every name of the list is a block type, and none comes twice.
fn known_block_types(value: &Value) -> Result<(), String> {
    let names: Vec<&str> = value
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (i, name) in names.iter().enumerate() {
        name.parse::<crate::model::BlockType>()?;
        if names[..i].contains(name) {
            return Err(format!("'{name}' is listed twice"));
        }
    }
    Ok(())
}

/// Keys whose bounds refer to `key` (e.g. `pack_size` and `text_heavy_max_pack_size` for
/// `pack_size_max`).
pub fn dependents(key: &str) -> impl Iterator<Item = &'static PolicyKey> + '_ {
    REGISTRY.iter().filter(
        move |p| matches!(p.ty, KeyType::Integer { max: Some(Bound::Key(k)), .. } if k == key),
    )
}
