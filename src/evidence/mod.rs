//! Evidence for answers (SPEC §4a): grounding of quoted values in their blocks.
//!
//! A schema node marked `"x-grounded": true` (a top-level field or one nested in an array's
//! items or an object's properties) is extractive: every string value at or under it is
//! located in the block ([`locate`]): `exact`, `normalized` ([`normalize`]), `neighbour`
//! (exactly in another block of the same call), `fuzzy` ([`fuzzy`]) or `none`. Spans are byte
//! offsets into `block_content`, never cutting a grapheme (CJK, emoji, combining marks).

pub mod compare;
pub mod compare_runs;
pub mod fuzzy;
pub mod locate;
pub mod normalize;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Span, SpanKind};
use locate::Prepared;

/// The grounded parts of a schema, compiled once per run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroundedFields {
    root: Node,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Node {
    grounded: bool,
    props: BTreeMap<String, Node>,
    items: Option<Box<Node>>,
}

/// The node of `schema`, or `None` when nothing at or under it is grounded.
fn compile(schema: &Value) -> Option<Node> {
    let obj = schema.as_object()?;
    let grounded = obj.get("x-grounded").and_then(Value::as_bool) == Some(true);
    let props: BTreeMap<String, Node> = obj
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter_map(|(k, v)| compile(v).map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    let items = obj.get("items").and_then(compile).map(Box::new);
    (grounded || !props.is_empty() || items.is_some()).then_some(Node {
        grounded,
        props,
        items,
    })
}

impl GroundedFields {
    /// The grounded fields of a run's schema; `None` when it has none (nothing to ground).
    pub fn from_schema(schema: &Value) -> Option<GroundedFields> {
        let root = compile(schema)?;
        Some(GroundedFields { root })
    }

    /// Ground every string value of a grounded field of `value` (a result object) in `own`
    /// (its block's content); `others` are the other blocks of the same call.
    pub fn ground(&self, value: &Value, own: &str, others: &[(u32, &str)]) -> Vec<Span> {
        let mut out = Vec::new();
        let mut own = Prepared::new(own);
        walk(&self.root, value, String::new(), false, &mut |path, s| {
            out.push(locate::locate(path, s, &mut own, others));
        });
        out
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Visit every string under a grounded node: `under` says an ancestor is grounded.
fn walk(node: &Node, value: &Value, path: String, under: bool, f: &mut dyn FnMut(String, &str)) {
    let grounded = under || node.grounded;
    match value {
        Value::String(s) if grounded => f(path, s),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                match &node.items {
                    Some(n) => walk(n, v, p, grounded, f),
                    None if grounded => walk(&Node::default(), v, p, true, f),
                    None => {}
                }
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let p = join(&path, k);
                match node.props.get(k) {
                    Some(n) => walk(n, v, p, grounded, f),
                    None if grounded => walk(&Node::default(), v, p, true, f),
                    None => {}
                }
            }
        }
        _ => {}
    }
}

/// Counts of spans by kind, in kind order.
pub fn count_kinds<'a>(spans: impl IntoIterator<Item = &'a Span>) -> BTreeMap<SpanKind, u64> {
    let mut out = BTreeMap::new();
    for s in spans {
        *out.entry(s.kind).or_default() += 1;
    }
    out
}

/// Whether any span is a neighbour (the pack-shift signature).
pub fn has_neighbour(spans: &[Span]) -> bool {
    spans.iter().any(|s| s.kind == SpanKind::Neighbour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "quote": {"type": "string", "x-grounded": true},
            "label": {"type": "string"},
            "entities": {"type": "array", "items": {"type": "object", "properties": {
                "text": {"type": "string", "x-grounded": true},
                "type": {"type": "string"}
            }}},
            "tags": {"type": "array", "items": {"type": "string"}, "x-grounded": true}
        }})
    }

    #[test]
    fn only_grounded_strings_are_located_with_their_paths() {
        let g = GroundedFields::from_schema(&schema()).unwrap();
        let value = json!({"quote": "Ada", "label": "Ada", "entities": [
            {"text": "Lovelace", "type": "person"}, {"text": "Babbage", "type": "person"}],
            "tags": ["engine", "nowhere"]});
        let spans = g.ground(&value, "Ada Lovelace wrote about the engine.", &[]);
        let got: Vec<(&str, SpanKind)> = spans.iter().map(|s| (s.path.as_str(), s.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("quote", SpanKind::Exact),
                ("entities[0].text", SpanKind::Exact),
                ("entities[1].text", SpanKind::None),
                ("tags[0]", SpanKind::Exact),
                ("tags[1]", SpanKind::None),
            ]
        );
        assert_eq!((spans[1].start, spans[1].end), (Some(4), Some(12)));
    }

    #[test]
    fn a_schema_without_grounded_fields_grounds_nothing() {
        let s = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        assert_eq!(GroundedFields::from_schema(&s), None);
    }
}
