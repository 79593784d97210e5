//! `schema refine`: the field diff between two drafts, and the DEMO provider's deterministic
//! refinement (it understands "add F[, G]" and "remove F[, G]" / "drop F"; anything else is
//! refused rather than guessed).

use serde_json::{json, Value};

/// One line of a field diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldChange {
    Added(String),
    Removed(String),
    /// Field and the aspects that changed: type, enum, description, prompt, other.
    Changed(String, Vec<&'static str>),
}

impl std::fmt::Display for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldChange::Added(n) => write!(f, "+ {n}"),
            FieldChange::Removed(n) => write!(f, "- {n}"),
            FieldChange::Changed(n, what) => write!(f, "~ {n} ({})", what.join(", ")),
        }
    }
}

/// The field-level differences from `old` to `new` (top-level `properties`), in name order.
pub fn field_diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let a = old
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let b = new
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|n| match (a.get(n), b.get(n)) {
            (None, Some(_)) => Some(FieldChange::Added(n.clone())),
            (Some(_), None) => Some(FieldChange::Removed(n.clone())),
            (Some(x), Some(y)) if x != y => Some(FieldChange::Changed(n.clone(), aspects(x, y))),
            _ => None,
        })
        .collect()
}

fn aspects(x: &Value, y: &Value) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = [
        ("type", "type"),
        ("enum", "enum"),
        ("description", "description"),
        ("prompt", "prompt"),
    ]
    .into_iter()
    .filter(|(k, _)| x.get(k) != y.get(k))
    .map(|(_, name)| name)
    .collect();
    if out.is_empty() {
        out.push("other");
    }
    out
}

/// The DEMO refinement of `draft` by one instruction. Errors say why nothing changed.
pub fn demo_refine(draft: &Value, instruction: &str) -> Result<Value, String> {
    let text = instruction.trim();
    let (verb, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let names: Vec<String> = rest
        .split([',', ' '])
        .map(|w| w.trim().to_ascii_lowercase())
        .filter(|w| !w.is_empty() && w != "and" && w != "field" && w != "fields")
        .collect();
    if names.is_empty() {
        return Err(format!(
            "the DEMO provider understands \"add F[, G]\" or \"remove F[, G]\", not {text:?}"
        ));
    }
    let mut out = draft.clone();
    let Some(props) = out.get_mut("properties").and_then(Value::as_object_mut) else {
        return Err("the draft has no `properties` object".into());
    };
    match verb.to_ascii_lowercase().as_str() {
        "add" => add_fields(props, &names)?,
        "remove" | "drop" | "delete" => {
            remove_fields(props, &names)?;
            if let Some(req) = out.get_mut("required").and_then(Value::as_array_mut) {
                req.retain(|r| !names.iter().any(|n| r == n));
            }
        }
        other => {
            return Err(format!(
                "the DEMO provider cannot {other:?}; use add or remove"
            ))
        }
    }
    Ok(out)
}

fn add_fields(props: &mut serde_json::Map<String, Value>, names: &[String]) -> Result<(), String> {
    for n in names {
        if props.contains_key(n) {
            return Err(format!(
                "field {n:?} already exists (field names must not collide)"
            ));
        }
        props.insert(
            n.clone(),
            json!({"type": ["string", "null"],
                   "description": format!("The {n} this block mentions, null if none.")}),
        );
    }
    Ok(())
}

fn remove_fields(
    props: &mut serde_json::Map<String, Value>,
    names: &[String],
) -> Result<(), String> {
    for n in names {
        if props.remove(n).is_none() {
            return Err(format!("no field {n:?} to remove"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_each_kind_of_change() {
        let a = json!({"properties": {"a": {"type": "string"}, "b": {"type": "string"},
                                      "c": {"enum": ["x"]}}});
        let b = json!({"properties": {"a": {"type": "integer"}, "c": {"enum": ["x", "y"]},
                                      "d": {"type": "string"}}});
        let d: Vec<String> = field_diff(&a, &b).iter().map(|c| c.to_string()).collect();
        assert_eq!(d, ["~ a (type)", "- b", "~ c (enum)", "+ d"]);
    }

    #[test]
    fn demo_refine_adds_removes_and_refuses() {
        let s = json!({"properties": {"a": {"type": "string"}}, "required": ["a"]});
        let added = demo_refine(&s, "add owner, due_date").unwrap();
        assert_eq!(field_diff(&s, &added).len(), 2);
        let removed = demo_refine(&added, "remove a").unwrap();
        assert_eq!(removed["required"], json!([]));
        assert!(demo_refine(&s, "add a").unwrap_err().contains("collide"));
        assert!(demo_refine(&s, "make it better").is_err());
        assert!(demo_refine(&s, "remove zz").is_err());
    }
}
