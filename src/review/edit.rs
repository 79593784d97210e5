//! Type-aware parsing of a typed-in field value and its check against that field's JSON schema.
//! Pure: no store. The TUI can call these to validate while the user types.
//!
//! Parsing rules, from the field's (resolved) schema:
//! - `enum`: the text must name a member (string members match the raw text; others as JSON);
//! - `null`: the word `null` when the field is nullable (`type` includes `"null"`, an `anyOf` /
//!   `oneOf` member is `{"type": "null"}`, `nullable: true`, or the enum lists `null`);
//! - `integer`, `number`: a JSON number (`.5` and `1e3` are accepted; `NaN` and infinity are not);
//! - `boolean`: `true` / `false` (any case);
//! - `array`, `object`: JSON text;
//! - `string`: the text exactly as typed (no quotes needed; `null` only means null when nullable);
//! - no `type`: JSON if the text parses as JSON, else a string.
//!
//! The parsed value is then checked with the `jsonschema` validator against the field schema
//! (with the root's `$schema`, `$defs` and `definitions` copied in so local `$ref`s resolve).

use serde_json::{Map, Number, Value};

mod example;

/// Why a typed-in value was refused. Messages say which field and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("schema has no field '{field}' (fields: {})", fields.join(", "))]
    UnknownField { field: String, fields: Vec<String> },
    #[error("field '{field}' is not nullable: null is not allowed")]
    NotNullable { field: String },
    #[error("field '{field}': '{input}' is not one of {}", members.join(", "))]
    NotEnumMember {
        field: String,
        input: String,
        members: Vec<String>,
    },
    #[error("field '{field}' expects {expected}, not '{input}'")]
    WrongType {
        field: String,
        expected: String,
        input: String,
    },
    #[error("field '{field}': {reason}")]
    Invalid { field: String, reason: String },
    #[error("field '{field}' has a schema the validator cannot compile: {reason}")]
    BadFieldSchema { field: String, reason: String },
}

/// The top-level property schema of `field`, or the reason it is not there.
pub fn field_schema<'a>(schema: &'a Value, field: &str) -> Result<&'a Value, EditError> {
    let props = crate::schema::properties(schema);
    props
        .and_then(|p| p.get(field))
        .ok_or_else(|| EditError::UnknownField {
            field: field.to_string(),
            fields: props
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default(),
        })
}

/// Parse `text` as a value of `field` (type-aware) and check it against the field's schema.
pub fn parse_and_validate(schema: &Value, field: &str, text: &str) -> Result<Value, EditError> {
    let value = parse_field_value(schema, field, text)?;
    validate_field_value(schema, field, &value)?;
    Ok(value)
}

/// Follow local `$ref`s (`#/...`) within `root`, a few levels deep.
fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let target = s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|ptr| root.pointer(ptr));
        match target {
            Some(t) => s = t,
            None => break,
        }
    }
    s
}

/// Declared types of a (resolved) schema, including those of `anyOf` / `oneOf` members.
fn types_of(root: &Value, s: &Value, out: &mut Vec<String>) {
    match s.get("type") {
        Some(Value::String(t)) => out.push(t.clone()),
        Some(Value::Array(ts)) => {
            out.extend(ts.iter().filter_map(|t| t.as_str().map(String::from)))
        }
        _ => {}
    }
    if s.get("nullable").and_then(Value::as_bool) == Some(true) {
        out.push("null".into());
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = s.get(key).and_then(Value::as_array) {
            for m in members {
                types_of(root, resolve(root, m), out);
            }
        }
    }
}

/// Parse `text` as a value of `field` following the rules in the module documentation.
pub fn parse_field_value(schema: &Value, field: &str, text: &str) -> Result<Value, EditError> {
    let s = resolve(schema, field_schema(schema, field)?);
    let mut types = Vec::new();
    types_of(schema, s, &mut types);
    let members = s.get("enum").and_then(Value::as_array);
    let untyped = types.is_empty() && members.is_none();
    let nullable = untyped
        || types.iter().any(|t| t == "null")
        || members.is_some_and(|m| m.contains(&Value::Null));
    let trimmed = text.trim();
    if trimmed == "null" {
        if nullable {
            return Ok(Value::Null);
        }
        if !types.iter().any(|t| t == "string") {
            return Err(EditError::NotNullable {
                field: field.to_string(),
            });
        }
    }
    if let Some(members) = members {
        return enum_member(field, members, text);
    }
    if types.iter().all(|t| t == "null") {
        // Untyped: JSON when it reads as JSON, else the text itself.
        return Ok(serde_json::from_str::<Value>(trimmed)
            .unwrap_or_else(|_| Value::String(text.to_string())));
    }
    for wanted in ["integer", "number", "boolean", "array", "object", "string"] {
        if !types.iter().any(|t| t == wanted) {
            continue;
        }
        let parsed = parse_as(wanted, text);
        if let Some(v) = parsed {
            return Ok(v);
        }
    }
    Err(wrong_type(
        field,
        &types,
        text,
        &example::example(schema, s, 0),
    ))
}

/// `text` as one of the enum's `members`: the text itself when it is a member string, else the
/// JSON it reads as when that is a member.
fn enum_member(field: &str, members: &[Value], text: &str) -> Result<Value, EditError> {
    let as_string = Value::String(text.to_string());
    if members.contains(&as_string) {
        return Ok(as_string);
    }
    if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
        if members.contains(&v) {
            return Ok(v);
        }
    }
    Err(EditError::NotEnumMember {
        field: field.to_string(),
        input: text.to_string(),
        members: members
            .iter()
            .map(|m| match m {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
    })
}

/// `text` read as the JSON type `wanted` (`None`: it does not read as one).
fn parse_as(wanted: &str, text: &str) -> Option<Value> {
    let trimmed = text.trim();
    match wanted {
        "integer" => parse_integer(trimmed),
        "number" => parse_number(trimmed),
        "boolean" => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        "array" => serde_json::from_str::<Value>(trimmed)
            .ok()
            .filter(Value::is_array),
        "object" => serde_json::from_str::<Value>(trimmed)
            .ok()
            .filter(Value::is_object),
        _ => Some(Value::String(text.to_string())),
    }
}

/// The refusal naming the types `field` takes, in words.
fn wrong_type(field: &str, types: &[String], text: &str, example: &Value) -> EditError {
    let json_like = |what: &str| {
        let why = match serde_json::from_str::<Value>(text.trim()) {
            Err(e) => format!(" (the text is not JSON: {e})"),
            Ok(_) => String::new(),
        };
        format!("{what} like {example}{why}")
    };
    let mut expected: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "null")
        .collect();
    expected.dedup();
    EditError::WrongType {
        field: field.to_string(),
        expected: expected
            .iter()
            .map(|t| match *t {
                "integer" => "an integer".to_string(),
                "number" => "a number".to_string(),
                "boolean" => "true or false".to_string(),
                "array" => json_like("a JSON array"),
                "object" => json_like("a JSON object"),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" or "),
        input: example::shortened(text),
    }
}

fn parse_number(t: &str) -> Option<Value> {
    if let Ok(n) = serde_json::from_str::<Number>(t) {
        return Some(Value::Number(n));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(Number::from_f64)
        .map(Value::Number)
}

fn parse_integer(t: &str) -> Option<Value> {
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(Value::from(u));
    }
    // `3.0` and `1e3` are integers in JSON Schema; store them as such.
    let f = t.parse::<f64>().ok().filter(|f| f.is_finite())?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then(|| Value::from(f as i64))
}

/// Check `value` against the schema of `field`; the error carries the validator's reasons.
pub fn validate_field_value(schema: &Value, field: &str, value: &Value) -> Result<(), EditError> {
    let validator = compile_field(schema, field)?;
    check_with(&validator, field, value)
}

/// The field's schema compiled with the root's `$schema` and definitions (for local `$ref`s).
fn compile_field(schema: &Value, field: &str) -> Result<jsonschema::Validator, EditError> {
    let fs = field_schema(schema, field)?;
    let compiled = match fs {
        Value::Object(obj) => {
            let mut obj: Map<String, Value> = obj.clone();
            for key in ["$schema", "$defs", "definitions"] {
                if let Some(v) = schema.get(key) {
                    obj.entry(key).or_insert_with(|| v.clone());
                }
            }
            Value::Object(obj)
        }
        other => other.clone(),
    };
    jsonschema::validator_for(&compiled).map_err(|e| EditError::BadFieldSchema {
        field: field.to_string(),
        reason: e.to_string(),
    })
}

fn check_with(
    validator: &jsonschema::Validator,
    field: &str,
    value: &Value,
) -> Result<(), EditError> {
    let reasons: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                e.to_string()
            } else {
                format!("at {path}: {e}")
            }
        })
        .collect();
    if reasons.is_empty() {
        Ok(())
    } else {
        // A reason quotes the refused value, which a model can make megabytes long.
        Err(EditError::Invalid {
            field: field.to_string(),
            reason: crate::record_cap::cap(reasons.join("; ")),
        })
    }
}

/// Every top-level field's validator, compiled once: the one check applied to review edits,
/// to model answers before they are staged, and to staged values before they are confirmed.
pub struct FieldValidators {
    fields: Vec<(String, jsonschema::Validator)>,
    required: Vec<String>,
    /// The schema's object-level rules (`additionalProperties`, `required`, `propertyNames`,
    /// `minProperties`, `dependentRequired`, `patternProperties`, `allOf`, ...): the top-level
    /// schema with each property's own schema replaced by `true`, since `fields` checks those.
    object: Option<jsonschema::Validator>,
}

impl std::fmt::Debug for FieldValidators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("FieldValidators")
            .field("fields", &names)
            .field("required", &self.required)
            .finish()
    }
}

impl FieldValidators {
    pub fn new(schema: &Value) -> Result<FieldValidators, EditError> {
        let mut fields = Vec::new();
        if let Some(props) = crate::schema::properties(schema) {
            for name in props.keys() {
                fields.push((name.clone(), compile_field(schema, name)?));
            }
        }
        let required = crate::schema::required(schema);
        let object = compile_object_rules(schema)?;
        Ok(FieldValidators {
            fields,
            required,
            object,
        })
    }

    /// Check a whole result object: every known field present obeys its schema, and every
    /// required field is present. The first problem names the field and the rule.
    pub fn check_object(&self, value: &Value) -> Result<(), EditError> {
        self.check_object_except(value, &[])
    }

    /// [`Self::check_object`], skipping `skip` (fields the program computes itself).
    pub fn check_object_except(&self, value: &Value, skip: &[&str]) -> Result<(), EditError> {
        let Some(obj) = value.as_object() else {
            return Err(EditError::Invalid {
                field: "(result)".into(),
                reason: "the result is not a JSON object".into(),
            });
        };
        for name in &self.required {
            if !obj.contains_key(name) {
                return Err(EditError::Invalid {
                    field: name.clone(),
                    reason: "required by the schema but missing".into(),
                });
            }
        }
        for (name, validator) in &self.fields {
            if skip.contains(&name.as_str()) {
                continue;
            }
            if let Some(v) = obj.get(name) {
                check_with(validator, name, v)?;
            }
        }
        match &self.object {
            Some(validator) => check_with(validator, "(result object)", value),
            None => Ok(()),
        }
    }
}

/// The top-level schema as a validator of the result object's own rules, with every property
/// schema replaced by `true` (checked per field, with the field's name, by [`FieldValidators`]).
/// `None` when the schema is not an object (nothing object-level to check).
fn compile_object_rules(schema: &Value) -> Result<Option<jsonschema::Validator>, EditError> {
    let Value::Object(root) = schema else {
        return Ok(None);
    };
    let mut root = root.clone();
    // Worker-owned: the prompt settings are not part of the answer's rules.
    root.shift_remove("prompt_config");
    if let Some(Value::Object(props)) = root.get_mut("properties") {
        for v in props.values_mut() {
            *v = Value::Bool(true);
        }
    }
    jsonschema::validator_for(&Value::Object(root))
        .map(Some)
        .map_err(|e| EditError::BadFieldSchema {
            field: "(result object)".into(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {"level": {"type": "string", "enum": ["low", "high"]}},
            "properties": {
                "action": {"type": "string", "enum": ["keep", "rewrite", "skip_nonprose"]},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "count": {"type": "integer", "minimum": 0},
                "flag": {"type": "boolean"},
                "note": {"type": ["string", "null"], "maxLength": 10},
                "title": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "final": {"type": "object", "properties": {"content": {"type": "string"}},
                          "required": ["content"]},
                "level": {"$ref": "#/$defs/level"},
                "any": {}
            }
        })
    }

    fn ok(field: &str, text: &str) -> Value {
        parse_and_validate(&schema(), field, text).unwrap()
    }

    fn err(field: &str, text: &str) -> String {
        parse_and_validate(&schema(), field, text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_by_type() {
        assert_eq!(ok("confidence", "0.25"), json!(0.25));
        assert_eq!(ok("confidence", ".5"), json!(0.5));
        assert_eq!(ok("count", "7"), json!(7));
        assert_eq!(ok("count", "3.0"), json!(3));
        assert_eq!(ok("flag", "TRUE"), json!(true));
        assert_eq!(ok("note", "null"), Value::Null);
        assert_eq!(ok("note", "short"), json!("short"));
        assert_eq!(
            ok("title", "null"),
            json!("null"),
            "non-nullable string keeps text"
        );
        assert_eq!(ok("title", " spaced "), json!(" spaced "));
        assert_eq!(ok("tags", r#"["a","b"]"#), json!(["a", "b"]));
        assert_eq!(ok("final", r#"{"content":"x"}"#), json!({"content": "x"}));
        assert_eq!(ok("action", "rewrite"), json!("rewrite"));
        assert_eq!(ok("level", "high"), json!("high"));
        assert_eq!(ok("any", "[1]"), json!([1]));
        assert_eq!(ok("any", "plain words"), json!("plain words"));
    }

    #[test]
    fn refuses_with_reasons() {
        let e = err("confidence", "1.5");
        assert!(e.contains("confidence") && e.contains("maximum"), "{e}");
        let e = err("confidence", "abc");
        assert!(e.contains("a number") && e.contains("'abc'"), "{e}");
        assert!(err("confidence", "NaN").contains("a number"));
        assert!(err("count", "2.5").contains("an integer"));
        assert!(err("count", "-1").contains("minimum"));
        assert!(err("flag", "maybe").contains("true or false"));
        assert!(err("flag", "null").contains("not nullable"));
        let e = err("action", "delete");
        assert!(e.contains("keep, rewrite, skip_nonprose"), "{e}");
        assert!(err("level", "mid").contains("low, high"));
        assert!(err("note", "far too long for it").contains("longer than 10"));
        let e = err("tags", r#"["a", 2]"#);
        assert!(e.contains("/1"), "path of the bad item: {e}");
        assert!(err("tags", "a,b").contains("JSON array"));
        assert!(err("final", r#"{"x":1}"#).contains("content"));
        let e = err("nope", "1");
        assert!(
            e.contains("no field 'nope'") && e.contains("confidence"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod whole_schema_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_level_rules_of_the_schema_are_checked() {
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "minProperties": 1,
            "dependentRequired": {"label": ["score"]},
            "properties": {
                "label": {"type": "string"},
                "score": {"type": "integer"}
            },
            "prompt_config": {"model": "m"}
        });
        let v = FieldValidators::new(&schema).unwrap();
        assert!(v.check_object(&json!({"label": "a", "score": 1})).is_ok());
        let extra = v
            .check_object(&json!({"label": "a", "score": 1, "zzz": 1}))
            .unwrap_err()
            .to_string();
        assert!(extra.contains("zzz"), "names the extra key: {extra}");
        assert!(v.check_object(&json!({})).is_err(), "minProperties");
        let dep = v
            .check_object(&json!({"label": "a"}))
            .unwrap_err()
            .to_string();
        assert!(dep.contains("score"), "dependentRequired: {dep}");
        let names = json!({"type": "object", "propertyNames": {"maxLength": 3},
                           "properties": {"ab": {}}});
        let v = FieldValidators::new(&names).unwrap();
        assert!(v.check_object(&json!({"ab": 1})).is_ok());
        assert!(
            v.check_object(&json!({"abcd": 1})).is_err(),
            "propertyNames"
        );
    }
}
