//! The schema assistant's wire form (issue 26): what a model is asked to return for a
//! suggestion or a refinement, and the conversion both ways between it and a saved schema.
//!
//! A model answers a flat list of fields rather than a JSON Schema: OpenAI strict structured
//! output (and the grammar engines of llama.cpp and friends) cannot describe a free-form
//! `properties` map, but they can describe `fields: [{name, type, ...}]`, and a list also lets
//! colliding names be seen (a map would merge them silently).

use serde_json::{json, Map, Value};

/// Forced tool / json_schema name of a suggestion or refinement call.
pub const TOOL_NAME: &str = "propose_schema";
/// Its one-line description.
pub const TOOL_DESCRIPTION: &str = "The proposed extraction schema: its title, description, \
    system instructions, per-block prompt and fields.";

/// The first line of every assistant user message; the JSON payload follows it. The fake
/// provider recognises an assistant call by it.
pub const PAYLOAD_MARK: &str = "<<<SCHEMA ASSISTANT REQUEST>>>";

/// Field types a model may propose (`array` is a list of strings).
pub const WIRE_TYPES: [&str; 5] = ["string", "integer", "number", "boolean", "array"];

/// The JSON Schema of the structured answer (strict-mode compatible: every object lists all
/// of its properties as required; "no enum" is an empty list).
pub fn answer_schema() -> Value {
    let text = |d: &str| json!({"type": "string", "description": d});
    json!({
        "type": "object",
        "properties": {
            "title": text("A short title for the schema."),
            "description": text("One sentence on what the schema extracts."),
            "system_instructions": text("System prompt for every call of a run."),
            "per_block_prompt": text("Instruction placed before each block."),
            "fields": {
                "type": "array",
                "description": "The fields, at most 30, each answered for every block.",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": text("lower_snake_case, unique, at most 64 characters."),
                        "type": {"type": "string", "enum": WIRE_TYPES,
                                 "description": "array means a list of strings."},
                        "description": text("What the field holds."),
                        "enum": {"type": "array", "items": {"type": "string"},
                                 "description": "Allowed values; empty for none."},
                        "nullable": {"type": "boolean",
                                     "description": "true when a block may have no value."},
                        "grounded": {"type": "boolean",
                                     "description": "true when values quote the block's text."},
                    },
                    "required": ["name", "type", "description", "enum", "nullable", "grounded"],
                },
            },
        },
        "required": ["title", "description", "system_instructions", "per_block_prompt",
                     "fields"],
    })
}

/// The user message of an assistant call: the mark, then the payload as JSON.
pub fn user_message(payload: &Value) -> String {
    let body = serde_json::to_string_pretty(payload).unwrap_or_else(|_| payload.to_string());
    format!("{PAYLOAD_MARK}\n{body}\n")
}

/// The payload of a user message written by [`user_message`], if it is one.
pub fn payload_of(message: &str) -> Option<Value> {
    let rest = message.trim_start().strip_prefix(PAYLOAD_MARK)?;
    serde_json::from_str(rest.trim()).ok()
}

/// What is wrong with a wire answer before it can become a schema: its shape, and names
/// that collide. Empty when [`from_wire`] may be called.
pub fn wire_problems(answer: &Value) -> Vec<String> {
    let Some(fields) = answer.get("fields").and_then(Value::as_array) else {
        return vec!["the answer has no `fields` list".into()];
    };
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let Some(name) = f.get("name").and_then(Value::as_str) else {
            out.push(format!("field {} has no name", i + 1));
            continue;
        };
        if seen.contains(&name) {
            out.push(format!(
                "field names collide: {name:?} appears more than once"
            ));
        }
        seen.push(name);
        match f.get("type").and_then(Value::as_str) {
            Some(t) if WIRE_TYPES.contains(&t) => {}
            Some(t) => out.push(format!(
                "field {name:?}: unknown type {t:?} (known: {})",
                WIRE_TYPES.join(", ")
            )),
            None => out.push(format!("field {name:?} has no type")),
        }
        if f.get("enum").is_some_and(|e| !e.is_array()) {
            out.push(format!("field {name:?}: `enum` is not a list"));
        }
    }
    out
}

/// The schema a wire answer describes (call [`wire_problems`] first). `label` prefixes the
/// title and description (e.g. "DEMO"), when given.
pub fn from_wire(answer: &Value, label: Option<&str>) -> Value {
    let s = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or("").trim();
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in answer["fields"].as_array().into_iter().flatten() {
        let name = f
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let nullable = f.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        if !nullable {
            required.push(Value::String(name.clone()));
        }
        props.insert(name, field_spec(f, nullable));
    }
    let labelled = |t: &str| match label {
        Some(l) => format!("{l}: {t}"),
        None => t.to_string(),
    };
    let mut prompt = Map::new();
    for key in ["system_instructions", "per_block_prompt"] {
        if !s(key).is_empty() {
            prompt.insert(key.into(), json!(s(key)));
        }
    }
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": labelled(s("title")),
        "description": labelled(s("description")),
        "type": "object",
        "properties": props,
        "required": required,
    });
    if !prompt.is_empty() {
        schema["prompt_config"] = Value::Object(prompt);
    }
    schema
}

fn field_spec(f: &Value, nullable: bool) -> Value {
    let t = f.get("type").and_then(Value::as_str).unwrap_or("string");
    let mut spec = Map::new();
    if t == "array" {
        spec.insert(
            "type".into(),
            json!(if nullable {
                json!(["array", "null"])
            } else {
                json!("array")
            }),
        );
        spec.insert("items".into(), json!({"type": "string"}));
    } else if nullable {
        spec.insert("type".into(), json!([t, "null"]));
    } else {
        spec.insert("type".into(), json!(t));
    }
    let d = f
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if !d.is_empty() {
        spec.insert("description".into(), json!(d));
    }
    if let Some(values) = f.get("enum").and_then(Value::as_array) {
        if !values.is_empty() && t != "array" {
            let mut values = values.clone();
            if nullable {
                values.push(Value::Null);
            }
            spec.insert("enum".into(), Value::Array(values));
        }
    }
    if f.get("grounded").and_then(Value::as_bool) == Some(true) {
        spec.insert("x-grounded".into(), json!(true));
    }
    Value::Object(spec)
}

/// A schema in wire form (for the fake provider's answers and for tests). Lossy for what the
/// wire cannot say: nested objects become strings, arrays become lists of strings.
pub fn to_wire(schema: &Value) -> Value {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fields: Vec<Value> = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, spec)| wire_field(name, spec, required.contains(&name.as_str())))
        .collect();
    let s = |p: &str| schema.pointer(p).and_then(Value::as_str).unwrap_or("");
    json!({
        "title": s("/title"),
        "description": s("/description"),
        "system_instructions": s("/prompt_config/system_instructions"),
        "per_block_prompt": s("/prompt_config/per_block_prompt"),
        "fields": fields,
    })
}

fn wire_field(name: &str, spec: &Value, required: bool) -> Value {
    let types: Vec<&str> = match spec.get("type") {
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(t)) => vec![t.as_str()],
        _ => vec![],
    };
    let nullable = types.contains(&"null") || !required;
    let t = types
        .iter()
        .find(|t| **t != "null")
        .map(|t| if WIRE_TYPES.contains(t) { *t } else { "string" })
        .unwrap_or("string");
    let values: Vec<Value> = spec
        .get("enum")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter(|v| v.is_string()).cloned().collect())
        .unwrap_or_default();
    json!({
        "name": name,
        "type": t,
        "description": spec.get("description").and_then(Value::as_str).unwrap_or(""),
        "enum": values,
        "nullable": nullable,
        "grounded": spec.get("x-grounded").and_then(Value::as_bool).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trips_the_demo_suggestion() {
        let demo = super::super::suggest::demo_suggestion("parties and dates", &["paragraph"]);
        let wire = to_wire(&demo);
        assert!(wire_problems(&wire).is_empty());
        let back = from_wire(&wire, None);
        assert_eq!(back["properties"], demo["properties"]);
        assert_eq!(back["required"], demo["required"]);
        assert!(super::super::suggest::problems(&back).is_empty());
    }

    #[test]
    fn collisions_and_unknown_types_are_named() {
        let wire = json!({"fields": [
            {"name": "a", "type": "string"}, {"name": "a", "type": "date"}]});
        let p = wire_problems(&wire);
        assert!(p.iter().any(|m| m.contains("collide")), "{p:?}");
        assert!(
            p.iter().any(|m| m.contains("unknown type \"date\"")),
            "{p:?}"
        );
        assert!(!wire_problems(&json!({"text": "prose"})).is_empty());
    }

    #[test]
    fn payload_survives_the_user_message() {
        let p = json!({"task": "suggest", "intent": "x <<<SCHEMA"});
        assert_eq!(payload_of(&user_message(&p)), Some(p));
        assert_eq!(payload_of("hello"), None);
    }
}
