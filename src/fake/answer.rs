//! Deterministic answers: a pure function of the block and the schema.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::schema::ValueType;

/// The value the fake (and the demo provider) returns for one block: an object with one entry
/// per property, each a function of `block_index`, the content and the property's schema.
/// Strings are `"demo: <first words>"`, enums are picked by a hash, `word_count`-like integers
/// count words, `has_question`-like booleans look for `?`.
pub fn answer_for(block_index: u32, block_type: &str, content: &str, properties: &Value) -> Value {
    let mut out = Map::new();
    if let Value::Object(props) = properties {
        for (name, schema) in props {
            out.insert(
                name.clone(),
                value_for(name, schema, block_index, block_type, content, 0),
            );
        }
    }
    Value::Object(out)
}

fn seed(block_index: u32, name: &str, content: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(block_index.to_le_bytes());
    h.update([0]);
    h.update(name.as_bytes());
    h.update([0]);
    h.update(content.as_bytes());
    let d = h.finalize();
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn first_words(content: &str, n: usize) -> String {
    content
        .split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

fn value_for(
    name: &str,
    schema: &Value,
    block_index: u32,
    block_type: &str,
    content: &str,
    depth: usize,
) -> Value {
    let h = seed(block_index, name, content);
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        if !options.is_empty() {
            return options[(h % options.len() as u64) as usize].clone();
        }
    }
    let lname = name.to_ascii_lowercase();
    match ValueType::of(schema) {
        ValueType::Integer => {
            let raw = if lname.contains("count") {
                content.split_whitespace().count() as i64
            } else {
                (h % 100) as i64
            };
            let min = schema.get("minimum").and_then(Value::as_i64);
            let max = schema.get("maximum").and_then(Value::as_i64);
            json!(clamp_i(raw, min, max))
        }
        ValueType::Number => {
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            let max = schema.get("maximum").and_then(Value::as_f64).unwrap_or(1.0);
            let frac = (h % 101) as f64 / 100.0;
            json!(((min + (max - min) * frac) * 100.0).round() / 100.0)
        }
        ValueType::Boolean => {
            if lname.contains("question") {
                json!(content.contains('?'))
            } else {
                json!(h.is_multiple_of(2))
            }
        }
        ValueType::Array if depth > 4 => json!([]),
        ValueType::Array => {
            let n = item_count(schema, h);
            let mut items = schema
                .get("items")
                .cloned()
                .unwrap_or(json!({"type": "string"}));
            if grounded(schema) {
                // Strings under a grounded array quote the block too.
                if let Value::Object(m) = &mut items {
                    m.insert("x-grounded".into(), json!(true));
                }
            }
            let item = |i: usize| {
                let name = format!("{name}[{i}]");
                value_for(&name, &items, block_index, block_type, content, depth + 1)
            };
            Value::Array((0..n).map(item).collect())
        }
        ValueType::Object if depth > 4 => json!({}),
        ValueType::Object => {
            let mut out = Map::new();
            if let Some(Value::Object(props)) = schema.get("properties") {
                for (k, s) in props {
                    let name = format!("{name}.{k}");
                    let child = value_for(&name, s, block_index, block_type, content, depth + 1);
                    out.insert(k.clone(), child);
                }
            }
            Value::Object(out)
        }
        ValueType::Null => Value::Null,
        ValueType::String if grounded(schema) => quote_value(h, block_type, content),
        ValueType::String => text_value(&lname, schema, block_type, content),
    }
}

/// How many items an array answer has: 1 or 2 by the hash, within `minItems`/`maxItems`.
fn item_count(schema: &Value, h: u64) -> usize {
    let n = 1 + (h % 2) as usize;
    let n = schema
        .get("minItems")
        .and_then(Value::as_u64)
        .map_or(n, |m| n.max(m as usize));
    schema
        .get("maxItems")
        .and_then(Value::as_u64)
        .map_or(n, |m| n.min(m as usize))
}

fn grounded(schema: &Value) -> bool {
    schema.get("x-grounded").and_then(Value::as_bool) == Some(true)
}

/// A grounded (extractive) field's answer: up to four words copied verbatim from the block,
/// starting at a word picked by the hash (SPEC §4a: such a field quotes its block).
fn quote_value(h: u64, block_type: &str, content: &str) -> Value {
    let words: Vec<(usize, usize)> = content
        .split_whitespace()
        .map(|w| {
            let start = w.as_ptr() as usize - content.as_ptr() as usize;
            (start, start + w.len())
        })
        .collect();
    if words.is_empty() {
        return json!(format!("demo: ({block_type})"));
    }
    let first = (h % words.len().saturating_sub(3).max(1) as u64) as usize;
    let last = (first + 3).min(words.len() - 1);
    json!(&content[words[first].0..words[last].1])
}

/// A text answer: `demo: <first words>` (or the first 40 characters for `first_40`-like
/// names), cut to `maxLength`.
fn text_value(lname: &str, schema: &Value, block_type: &str, content: &str) -> Value {
    let words = first_words(content, 6);
    let text = if lname.contains("first_40") {
        content.chars().take(40).collect()
    } else if words.is_empty() {
        format!("demo: ({block_type})")
    } else {
        format!("demo: {words}")
    };
    let max = schema.get("maxLength").and_then(Value::as_u64);
    json!(match max {
        Some(m) => text.chars().take(m as usize).collect::<String>(),
        None => text,
    })
}

fn clamp_i(v: i64, min: Option<i64>, max: Option<i64>) -> i64 {
    let v = min.map_or(v, |m| v.max(m));
    max.map_or(v, |m| v.min(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_depend_on_content_and_respect_the_schema() {
        let props = json!({
            "summary": {"type": "string"},
            "label": {"type": "string", "enum": ["x", "y", "z"]},
            "word_count": {"type": "integer"},
            "has_question": {"type": "boolean"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "final": {"type": "object", "properties": {"content": {"type": "string"}}}
        });
        let a = answer_for(0, "paragraph", "Is this the first one? Yes it is.", &props);
        assert_eq!(a["summary"], "demo: Is this the first one? Yes");
        assert!(["x", "y", "z"].contains(&a["label"].as_str().unwrap()));
        assert_eq!(a["word_count"], 8);
        assert_eq!(a["has_question"], true);
        let c = a["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        assert!(a["tags"].as_array().unwrap().len() <= 3);
        assert!(a["final"]["content"]
            .as_str()
            .unwrap()
            .starts_with("demo: "));
        // Pure: same input, same output; different content, different summary.
        assert_eq!(
            a,
            answer_for(0, "paragraph", "Is this the first one? Yes it is.", &props)
        );
        let b = answer_for(1, "paragraph", "Another block entirely", &props);
        assert_ne!(a["summary"], b["summary"]);
    }
}
