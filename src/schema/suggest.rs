//! The schema assistant's offline half (issue 26): sample blocks from a document, make the
//! deterministic DEMO suggestion, and check any suggested schema before anyone sees it.

use serde_json::{json, Map, Value};

use super::check;

/// Default number of sample blocks a suggestion request carries.
pub const DEFAULT_SAMPLE_BLOCKS: usize = 8;
/// The problem of a schema with an empty `properties` map.
pub const NO_FIELDS: &str = "the schema has no fields";
/// Most fields a suggested schema may have.
pub const MAX_SUGGESTED_FIELDS: usize = 30;

const TYPE_NAMES: [&str; 7] = [
    "string", "integer", "number", "boolean", "array", "object", "null",
];

const STOPWORDS: [&str; 24] = [
    "the", "and", "for", "with", "from", "that", "this", "each", "every", "what", "which", "into",
    "about", "find", "extract", "list", "their", "them", "they", "block", "blocks", "want",
    "should", "where",
];

/// Positions (into `types`, one block type name per block in order) of up to `n` sample
/// blocks: the first block of each distinct type first (a mix of types), then blocks evenly
/// spaced through the document. Sorted, no repeats.
pub fn sample_positions(types: &[&str], n: usize) -> Vec<usize> {
    let n = n.min(types.len());
    let mut picked: Vec<usize> = Vec::with_capacity(n);
    let mut seen: Vec<&str> = Vec::new();
    for (i, t) in types.iter().enumerate() {
        if picked.len() >= n.div_ceil(2) {
            break;
        }
        if !seen.contains(t) {
            seen.push(t);
            picked.push(i);
        }
    }
    let mut k = 0;
    while picked.len() < n && k < n * 4 {
        let pos = (k * types.len()) / n.max(1) % types.len().max(1);
        if !picked.contains(&pos) {
            picked.push(pos);
        }
        k += 1;
    }
    let mut i = 0;
    while picked.len() < n {
        if !picked.contains(&i) {
            picked.push(i);
        }
        i += 1;
    }
    picked.sort_unstable();
    picked
}

/// The nouns-ish words of an intent: lower-case, letters only, 4+ letters, no stopwords,
/// first occurrence order, at most `max`.
pub fn intent_terms(intent: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in intent.split(|c: char| !c.is_ascii_alphabetic()) {
        let w = w.to_ascii_lowercase();
        if w.len() >= 4 && !STOPWORDS.contains(&w.as_str()) && !out.contains(&w) {
            out.push(w);
        }
        if out.len() >= max {
            break;
        }
    }
    out
}

/// The DEMO provider's deterministic suggestion: one nullable text field per intent term,
/// plus `block_kind` (an enum of the samples' block types) and `summary`.
pub fn demo_suggestion(intent: &str, sample_types: &[&str]) -> Value {
    let mut props = Map::new();
    for term in intent_terms(intent, 6) {
        props.insert(
            term.clone(),
            json!({"type": ["string", "null"],
                   "description": format!("The {term} this block mentions, null if none.")}),
        );
    }
    let mut kinds: Vec<&str> = sample_types.to_vec();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.push("other");
    props.insert(
        "block_kind".into(),
        json!({"type": "string", "enum": kinds,
               "description": "What kind of block this is."}),
    );
    props.insert(
        "summary".into(),
        json!({"type": "string", "description": "One sentence on what the block says."}),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("DEMO suggestion: {}", intent.trim()),
        "description": format!("DEMO (offline, deterministic) suggestion for: {}", intent.trim()),
        "type": "object",
        "properties": props,
        "required": ["block_kind", "summary"],
    })
}

/// Every problem with a suggested schema; empty when it can be shown and saved.
pub fn problems(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return vec!["the answer has no `properties` object".into()];
    };
    if props.is_empty() {
        out.push(NO_FIELDS.into());
    }
    if props.len() > MAX_SUGGESTED_FIELDS {
        out.push(format!(
            "{} fields, more than the {MAX_SUGGESTED_FIELDS} allowed",
            props.len()
        ));
    }
    for (name, spec) in props {
        out.extend(field_problems(name, spec));
    }
    if let Err(e) = jsonschema::validator_for(schema) {
        out.push(format!("not a valid JSON Schema: {e}"));
    }
    out.extend(check(schema).errors);
    out
}

fn field_problems(name: &str, spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if !valid_field_name(name) {
        out.push(format!(
            "field name {name:?} is not lower_snake_case (a-z, 0-9, _; starts with a letter; \
             at most 64)"
        ));
    }
    let types: Vec<&Value> = match spec.get("type") {
        Some(Value::Array(ts)) => ts.iter().collect(),
        Some(t) => vec![t],
        None => vec![],
    };
    for t in types {
        if !t.as_str().is_some_and(|t| TYPE_NAMES.contains(&t)) {
            out.push(format!("field {name:?}: unknown type {t}"));
        }
    }
    if let Some(e) = spec.get("enum") {
        if e.as_array().is_none_or(|a| a.is_empty()) {
            out.push(format!("field {name:?}: `enum` must be a non-empty list"));
        }
    }
    out
}

fn valid_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_mix_types_and_spread() {
        let mut types = vec!["paragraph"; 50_000];
        types[3] = "heading";
        types[40_000] = "table";
        let p = sample_positions(&types, 8);
        assert_eq!(p.len(), 8);
        assert!(p.contains(&3) && p.contains(&40_000));
        assert!(*p.last().unwrap() > 30_000);
        assert_eq!(sample_positions(&types[..3], 8), vec![0, 1, 2]);
    }

    #[test]
    fn demo_suggestion_passes_its_own_checks() {
        let s = demo_suggestion(
            "Find the parties, dates and amounts",
            &["paragraph", "heading"],
        );
        assert_eq!(problems(&s), Vec::<String>::new());
        let props = s["properties"].as_object().unwrap();
        assert!(props.contains_key("parties") && props.contains_key("amounts"));
        assert!(s["title"].as_str().unwrap().starts_with("DEMO"));
    }

    #[test]
    fn bad_answers_are_named() {
        let bad = json!({"type": "object", "properties": {
            "Bad Name": {"type": "string"}, "x": {"type": "text"}, "k": {"enum": []}}});
        let p = problems(&bad);
        assert!(p.iter().any(|m| m.contains("Bad Name")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("unknown type")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("non-empty")), "{p:?}");
        assert!(!problems(&json!({"type": "object", "properties": {}})).is_empty());
        let many: Map<String, Value> = (0..31)
            .map(|i| (format!("f{i}"), json!({"type": "string"})))
            .collect();
        assert!(problems(&json!({"properties": many}))
            .iter()
            .any(|m| m.contains("31 fields")));
    }
}
