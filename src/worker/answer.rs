//! Mapping a model's answer to blocks, with diagnostics (SPEC §3). Pure functions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// What one answer gave, per block, and what was wrong with it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedAnswer {
    /// `block_uid -> result object` (without the `block_uid` key).
    pub mapped: BTreeMap<String, Map<String, Value>>,
    pub missing: Vec<String>,
    pub unexpected: u32,
    pub duplicate: u32,
    /// No tool output, no results array, invalid JSON, ...
    pub parse_issue: Option<String>,
}

/// Parse a batched answer `{results: [{block_uid, ...}]}` against the uids that were sent.
pub fn parse_batched(output: Option<&Value>, issue: Option<&str>, sent: &[String]) -> ParsedAnswer {
    let mut p = ParsedAnswer::default();
    let expected: BTreeSet<&str> = sent.iter().map(String::as_str).collect();
    match output {
        None => p.parse_issue = Some(issue.unwrap_or("no structured output").to_string()),
        Some(out) => match out.get("results").and_then(Value::as_array) {
            None => p.parse_issue = Some("answer has no results array".to_string()),
            Some(results) => {
                for entry in results {
                    let Some(obj) = entry.as_object() else {
                        p.unexpected += 1;
                        continue;
                    };
                    let Some(uid) = obj.get("block_uid").and_then(Value::as_str) else {
                        p.unexpected += 1;
                        continue;
                    };
                    if !expected.contains(uid) {
                        p.unexpected += 1;
                    } else if p.mapped.contains_key(uid) {
                        p.duplicate += 1;
                    } else {
                        let mut value = obj.clone();
                        value.shift_remove("block_uid");
                        p.mapped.insert(uid.to_string(), value);
                    }
                }
            }
        },
    }
    p.missing = sent
        .iter()
        .filter(|u| !p.mapped.contains_key(u.as_str()))
        .cloned()
        .collect();
    p
}

/// Parse a single-block answer: the output object is the block's result.
pub fn parse_single(output: Option<&Value>, issue: Option<&str>, uid: &str) -> ParsedAnswer {
    let mut p = ParsedAnswer::default();
    match output {
        Some(Value::Object(obj)) => {
            let mut value = obj.clone();
            // A model may still wrap its answer the batched way.
            if let Some(Value::Array(results)) = value.get("results") {
                if let Some(Value::Object(first)) = results.first() {
                    value = first.clone();
                }
            }
            value.shift_remove("block_uid");
            p.mapped.insert(uid.to_string(), value);
        }
        Some(_) => p.parse_issue = Some("answer is not a JSON object".to_string()),
        None => p.parse_issue = Some(issue.unwrap_or("no structured output").to_string()),
    }
    if p.mapped.is_empty() {
        p.missing.push(uid.to_string());
    }
    p
}

/// Fields the program computes from the block itself (SPEC §3 "Local deterministic fields").
pub const LOCAL_FIELDS: [&str; 3] = ["word_count", "has_question", "first_40_chars"];

/// Local deterministic fields: computed from the block itself, overwriting the model.
pub fn apply_local_fields(
    properties: &Map<String, Value>,
    content: &str,
    value: &mut Map<String, Value>,
) {
    if properties.contains_key("word_count") {
        value.insert(
            "word_count".into(),
            Value::from(content.split_whitespace().count() as u64),
        );
    }
    if properties.contains_key("has_question") {
        value.insert("has_question".into(), Value::from(content.contains('?')));
    }
    if properties.contains_key("first_40_chars") {
        let first: String = content.chars().take(40).collect();
        value.insert("first_40_chars".into(), Value::from(first));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn uids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c:{i}")).collect()
    }

    #[test]
    fn batched_answers_map_by_uid_and_count_problems() {
        let out = json!({"results": [
            {"block_uid": "c:0", "label": "a"},
            {"block_uid": "c:0", "label": "dup"},
            {"block_uid": "zzz", "label": "x"},
            {"label": "no uid"},
            {"block_uid": "c:2", "label": "c"}
        ]});
        let p = parse_batched(Some(&out), None, &uids(3));
        assert_eq!(p.mapped.len(), 2);
        assert_eq!(p.mapped["c:0"]["label"], "a", "first answer wins");
        assert!(!p.mapped["c:0"].contains_key("block_uid"));
        assert_eq!(p.missing, vec!["c:1".to_string()]);
        assert_eq!((p.unexpected, p.duplicate), (2, 1));
        assert_eq!(p.parse_issue, None);

        let none = parse_batched(None, Some("no tool output"), &uids(2));
        assert_eq!(none.parse_issue.as_deref(), Some("no tool output"));
        assert_eq!(none.missing.len(), 2);
        let bad = parse_batched(Some(&json!({"items": []})), None, &uids(1));
        assert_eq!(
            bad.parse_issue.as_deref(),
            Some("answer has no results array")
        );
    }

    #[test]
    fn local_fields_overwrite_the_model() {
        let props = json!({"word_count": {}, "has_question": {}, "first_40_chars": {}});
        let mut v = json!({"word_count": 999, "has_question": false})
            .as_object()
            .unwrap()
            .clone();
        let text = "Is this the real life? Is this just fantasy, caught in a landslide";
        apply_local_fields(props.as_object().unwrap(), text, &mut v);
        assert_eq!(v["word_count"], 13);
        assert_eq!(v["has_question"], true);
        assert_eq!(
            v["first_40_chars"],
            "Is this the real life? Is this just fant"
        );
    }
}
