//! The JSON type a field's schema asks for, read one way by everything that makes a value of
//! it without validating (the cost estimator's typical answers, the fake provider's answers).

use serde_json::Value;

/// `type` as a string; for a list of types the first that is not `"null"` (`"null"` when that is
/// all there is); without `type`, `"object"` when it has `properties`, `"array"` when it has
/// `items`, else `"string"`.
pub fn value_type(spec: &Value) -> &str {
    match spec.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if spec.get("properties").is_some() => "object",
        _ if spec.get("items").is_some() => "array",
        _ => "string",
    }
}

#[cfg(test)]
mod tests {
    use super::value_type;
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
}
