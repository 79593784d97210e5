//! The JSON type a field's schema asks for, read one way by everything that makes a value of
//! it without validating (the cost estimator's typical answers, the fake provider's answers).

use std::fmt;

use serde_json::Value;

/// A JSON Schema `type` name. A name outside these seven reads as [`ValueType::String`]: every
/// reader makes a short text for it, as it did for `"string"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl ValueType {
    /// `type` as read from a field's schema; for a list of types the first that is not
    /// `"null"` ([`ValueType::Null`] when that is all there is); without `type`,
    /// [`ValueType::Object`] when it has `properties`, [`ValueType::Array`] when it has
    /// `items`, else [`ValueType::String`].
    pub fn of(spec: &Value) -> ValueType {
        match spec.get("type") {
            Some(Value::String(t)) => ValueType::named(t),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .map_or(ValueType::Null, ValueType::named),
            _ if spec.get("properties").is_some() => ValueType::Object,
            _ if spec.get("items").is_some() => ValueType::Array,
            _ => ValueType::String,
        }
    }

    /// The type called `name` in JSON Schema; an unknown name is [`ValueType::String`].
    fn named(name: &str) -> ValueType {
        match name {
            "integer" => ValueType::Integer,
            "number" => ValueType::Number,
            "boolean" => ValueType::Boolean,
            "array" => ValueType::Array,
            "object" => ValueType::Object,
            "null" => ValueType::Null,
            _ => ValueType::String,
        }
    }

    /// The JSON Schema name (`"integer"`, `"array"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Integer => "integer",
            ValueType::Number => "number",
            ValueType::Boolean => "boolean",
            ValueType::Array => "array",
            ValueType::Object => "object",
            ValueType::Null => "null",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ValueType;
    use serde_json::Value;

    fn value_type(spec: &Value) -> &'static str {
        ValueType::of(spec).as_str()
    }
    use serde_json::json;

    #[test]
    fn reads_the_declared_type_or_infers_it() {
        assert_eq!(value_type(&json!({"type": "integer"})), "integer");
        assert_eq!(value_type(&json!({"type": ["null", "number"]})), "number");
        assert_eq!(value_type(&json!({"type": ["null"]})), "null");
        assert_eq!(value_type(&json!({"properties": {}})), "object");
        assert_eq!(value_type(&json!({"items": {"type": "string"}})), "array");
        assert_eq!(value_type(&json!({"description": "x"})), "string");
    }

    #[test]
    fn unknown_type_names_read_as_string_and_names_round_trip() {
        assert_eq!(ValueType::of(&json!({"type": "date"})), ValueType::String);
        assert_eq!(
            ValueType::of(&json!({"type": ["null", "bogus"]})),
            ValueType::String
        );
        for t in [
            ValueType::String,
            ValueType::Integer,
            ValueType::Number,
            ValueType::Boolean,
            ValueType::Array,
            ValueType::Object,
            ValueType::Null,
        ] {
            assert_eq!(ValueType::of(&json!({ "type": t.as_str() })), t);
            assert_eq!(t.to_string(), t.as_str());
        }
    }
}
