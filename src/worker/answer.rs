//! Mapping a model's answer to blocks, with diagnostics (SPEC §3). Pure functions.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// What one answer gave, per block, and what was wrong with it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedAnswer {
    /// `block_index -> result object` (without the pack key).
    pub mapped: BTreeMap<u32, Map<String, Value>>,
    pub missing: Vec<u32>,
    pub unexpected: u32,
    pub duplicate: u32,
    /// No tool output, no results array, invalid JSON, ...
    pub parse_issue: Option<String>,
}

/// The block index of one result under the pack `key`: an integer, or a string holding one (a
/// model without enforced output may quote it).
fn index_of(result: &Map<String, Value>, key: &str) -> Option<u32> {
    match result.get(key)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parse a batched answer `{results: [{KEY, ...}]}` against the indices that were sent; `key`
/// is the call's pack key ([`crate::provider::prompt::pack_key`]).
pub fn parse_batched(
    output: Option<&Value>,
    issue: Option<&str>,
    sent: &[u32],
    key: &str,
) -> ParsedAnswer {
    let mut p = ParsedAnswer::default();
    let expected: BTreeSet<u32> = sent.iter().copied().collect();
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
                    let Some(index) = index_of(obj, key) else {
                        p.unexpected += 1;
                        continue;
                    };
                    if !expected.contains(&index) {
                        p.unexpected += 1;
                        continue;
                    }
                    match p.mapped.entry(index) {
                        Entry::Occupied(_) => p.duplicate += 1,
                        Entry::Vacant(slot) => {
                            let mut value = obj.clone();
                            value.shift_remove(key);
                            slot.insert(value);
                        }
                    }
                }
            }
        },
    }
    p.missing = sent
        .iter()
        .filter(|i| !p.mapped.contains_key(i))
        .copied()
        .collect();
    p
}

/// Parse a single-block answer: the output object is the block's result. `key` is the pack key
/// (never a schema field, so removing it never drops the user's field); `results_is_field`
/// says the schema has a field named `results`, which is then never taken for a wrapper.
pub fn parse_single(
    output: Option<&Value>,
    issue: Option<&str>,
    index: u32,
    key: &str,
    results_is_field: bool,
) -> ParsedAnswer {
    let mut p = ParsedAnswer::default();
    match output {
        Some(Value::Object(obj)) => {
            let mut value = obj.clone();
            // A model may still wrap its answer the batched way.
            if let (false, Some(Value::Array(results))) = (results_is_field, value.get("results")) {
                if let Some(Value::Object(first)) = results.first() {
                    value = first.clone();
                }
            }
            value.shift_remove(key);
            p.mapped.insert(index, value);
        }
        Some(_) => p.parse_issue = Some("answer is not a JSON object".to_string()),
        None => p.parse_issue = Some(issue.unwrap_or("no structured output").to_string()),
    }
    if p.mapped.is_empty() {
        p.missing.push(index);
    }
    p
}

/// The schema's local deterministic fields, where the answer parser reads them.
pub use crate::schema::LOCAL_FIELDS;

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

    #[test]
    fn batched_answers_map_by_index_and_count_problems() {
        let out = json!({"results": [
            {"block_index": 10, "label": "a"},
            {"block_index": 10, "label": "dup"},
            {"block_index": 99, "label": "x"},
            {"label": "no index"},
            {"block_index": "12", "label": "c"}
        ]});
        let p = parse_batched(Some(&out), None, &[10, 11, 12], "block_index");
        assert_eq!(p.mapped.len(), 2);
        assert_eq!(p.mapped[&10]["label"], "a", "first answer wins");
        assert!(!p.mapped[&10].contains_key("block_index"));
        assert_eq!(p.mapped[&12]["label"], "c", "a quoted index still maps");
        assert_eq!(p.missing, vec![11]);
        assert_eq!((p.unexpected, p.duplicate), (2, 1));
        assert_eq!(p.parse_issue, None);

        let none = parse_batched(None, Some("no tool output"), &[0, 1], "block_index");
        assert_eq!(none.parse_issue.as_deref(), Some("no tool output"));
        assert_eq!(none.missing.len(), 2);
        let bad = parse_batched(Some(&json!({"items": []})), None, &[0], "block_index");
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
