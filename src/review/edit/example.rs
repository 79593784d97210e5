//! The example in a type refusal ("a JSON array like [{…}]"), built from the field's schema so
//! that it has the field's shape, and the typed text cut for the same message.

use serde_json::Value;

use super::{resolve, types_of};

/// A small value that `s` accepts in shape (an enum's first member, one item of an array, each
/// property of an object), for the refusal's "like …": an array of objects gets an object.
pub(super) fn example(root: &Value, s: &Value, depth: u8) -> Value {
    let s = resolve(root, s);
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|m| m.first())
    {
        return first.clone();
    }
    let mut types = Vec::new();
    types_of(root, s, &mut types);
    let ty = types
        .iter()
        .find(|t| *t != "null")
        .map_or("string", String::as_str);
    match ty {
        "integer" => Value::from(1),
        "number" => Value::from(0.5),
        "boolean" => Value::Bool(true),
        "array" if depth < 3 => {
            let items = s.get("items").unwrap_or(&Value::Null);
            Value::Array(vec![example(root, items, depth + 1)])
        }
        "object" if depth < 3 => {
            let props = s.get("properties").and_then(Value::as_object);
            let map = props
                .map(|p| {
                    p.iter()
                        .map(|(k, v)| (k.clone(), example(root, v, depth + 1)))
                        .collect()
                })
                .unwrap_or_else(|| [("k".to_string(), Value::from(1))].into_iter().collect());
            Value::Object(map)
        }
        "array" => Value::Array(Vec::new()),
        "object" => Value::Object(Default::default()),
        _ => Value::String("text".into()),
    }
}

/// What the user typed, cut for the refusal (a long JSON value would push the reason away).
pub(super) fn shortened(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_field_value;
    use serde_json::json;

    #[test]
    fn an_array_of_objects_is_refused_with_an_example_of_its_items() {
        let schema = json!({"type": "object", "properties": {"parties": {
            "type": "array",
            "items": {"type": "object", "properties": {
                "name": {"type": "string"},
                "role": {"type": "string", "enum": ["buyer", "seller"]}
            }}
        }}});
        let long = format!("[{{\"name\": \"A\", {}", "\"x\": 1, ".repeat(30));
        let e = parse_field_value(&schema, "parties", &long)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(r#"like [{"name":"text","role":"buyer"}]"#),
            "an example shaped like the items: {e}"
        );
        assert!(e.contains("the text is not JSON"), "says why: {e}");
        assert!(e.chars().count() < 260, "the input is cut: {e}");
    }
}
