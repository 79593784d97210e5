//! What both fake protocols share: building replies, the structured answer a request wants,
//! fault headers, the prompt-cache simulation and key checks.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{answer_for, lock, Fault, Shared};
use crate::provider::prompt::{self, INDEX_KEY};

pub(super) type Reply = Response<Full<Bytes>>;

pub(super) fn reply(status: StatusCode, body: Value, extra: &[(&str, String)]) -> Reply {
    raw_reply(status, body.to_string(), extra)
}

pub(super) fn raw_reply(status: StatusCode, body: String, extra: &[(&str, String)]) -> Reply {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (k, v) in extra {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::from_static(b"{}"))))
}

pub(super) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(super) fn tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

pub(super) fn retry_header(fault: &Fault) -> Vec<(&'static str, String)> {
    match fault {
        Fault::RateLimited { retry_after_secs } => {
            vec![("retry-after", retry_after_secs.to_string())]
        }
        Fault::RateLimitedDate { retry_after_secs } => vec![(
            "retry-after",
            httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(*retry_after_secs)),
        )],
        _ => vec![],
    }
}

/// The block_index of the extra result [`Fault::UnexpectedUid`] adds (never in a test pack).
const UNASKED_INDEX: u32 = 999_999;

/// What the structured output of a request should contain.
pub(super) struct Wanted {
    pub(super) blocks: Vec<crate::provider::BlockInput>,
    pub(super) batched: bool,
    pub(super) properties: Value,
    /// The key each batched result carries its block index under, as the tool schema says.
    pub(super) key: String,
    /// The payload of a schema assistant call, which is answered by `assist.rs`.
    pub(super) assist: Option<Value>,
}

pub(super) fn wanted(user_text: &str, schema: &Value) -> Wanted {
    let assist = crate::schema::assist_wire::payload_of(user_text);
    let blocks = prompt::parse_blocks(user_text);
    let results = schema.pointer("/properties/results/items/properties");
    match results {
        Some(Value::Object(props)) => {
            let key = prompt::pack_key_of_output_schema(schema).unwrap_or(INDEX_KEY.into());
            let mut props = props.clone();
            props.shift_remove(&key);
            Wanted {
                blocks,
                batched: true,
                properties: Value::Object(props),
                key,
                assist,
            }
        }
        _ => Wanted {
            blocks,
            batched: false,
            properties: schema.get("properties").cloned().unwrap_or(json!({})),
            key: INDEX_KEY.into(),
            assist,
        },
    }
}

/// The structured output for a request, with the fault applied. Returns (output, truncated).
pub(super) fn build_output(w: &Wanted, fault: &Fault) -> (Value, bool) {
    if let Some(payload) = &w.assist {
        return (
            super::assist::answer(payload, fault),
            *fault == Fault::Truncated,
        );
    }
    if !w.batched {
        let b = w.blocks.first();
        let out = match b {
            Some(b) => answer_for(b.block_index, &b.block_type, &b.content, &w.properties),
            None => answer_for(0, "other", "", &w.properties),
        };
        return match fault {
            Fault::Truncated => (json!({}), true),
            Fault::InvalidValue { field, value } => {
                let mut out = out;
                if let Value::Object(m) = &mut out {
                    m.insert(field.clone(), value.clone());
                }
                (out, false)
            }
            _ => (out, false),
        };
    }
    let shift = usize::from(*fault == Fault::Shift);
    let mut results: Vec<Value> = w
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let a = &w.blocks[(i + shift) % w.blocks.len()];
            let mut v = answer_for(a.block_index, &a.block_type, &a.content, &w.properties);
            if let Value::Object(m) = &mut v {
                m.insert(w.key.clone(), json!(b.block_index));
            }
            v
        })
        .collect();
    let mut truncated = false;
    match fault {
        Fault::MissingUid => {
            results.pop();
        }
        Fault::DuplicateUid => {
            if let Some(first) = results.first().cloned() {
                results.push(first);
            }
        }
        Fault::UnexpectedUid => {
            let mut extra = answer_for(UNASKED_INDEX, "paragraph", "", &w.properties);
            if let Value::Object(m) = &mut extra {
                m.insert(w.key.clone(), json!(UNASKED_INDEX));
            }
            results.push(extra);
        }
        Fault::Truncated => {
            results.truncate(results.len() / 2);
            truncated = true;
        }
        Fault::InvalidValue { field, value } => {
            if let Some(Value::Object(m)) = results.first_mut() {
                m.insert(field.clone(), value.clone());
            }
        }
        _ => {}
    }
    (json!({ "results": results }), truncated)
}

/// Cache simulation: `Some(true)` = read, `Some(false)` = written now, `None` = not cached.
pub(super) fn cache_lookup(
    shared: &Shared,
    model: &str,
    system: &str,
    system_tokens: u64,
) -> Option<bool> {
    let min = lock(&shared.config).min_cacheable_tokens;
    if system.is_empty() || system_tokens < min.max(1) {
        return None;
    }
    let key = hex::encode(Sha256::digest(format!("{model}\0{system}").as_bytes()));
    let mut cache = lock(&shared.cache);
    if cache.contains(&key) {
        Some(true)
    } else {
        cache.insert(key);
        Some(false)
    }
}

pub(super) fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

pub(super) fn key_ok(shared: &Shared, key: Option<&str>) -> bool {
    let (expected, keyless) = {
        let c = lock(&shared.config);
        (c.expected_key.clone(), c.keyless)
    };
    match (key, expected) {
        (None, _) => keyless,
        (Some(k), _) if k.trim().is_empty() => keyless,
        (Some(k), Some(e)) => k == e,
        (Some(_), None) => true,
    }
}
