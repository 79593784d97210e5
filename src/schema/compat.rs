//! The compatibility check (SPEC §2): does the grid/worker find a field set in this schema?

use serde::Serialize;
use serde_json::Value;

use super::error::kind_of;
use super::prompt::{parse_map, PROMPT_CONFIG_KEYS};

/// Result of [`check`]. Warnings never block saving; `errors` (invalid `prompt_config` values)
/// do.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Compat {
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

impl Compat {
    /// `type: "object"`, `properties` an object of schema objects, and a clean `prompt_config`.
    pub fn passes(&self) -> bool {
        self.warnings.is_empty() && self.errors.is_empty()
    }
}

/// Every `$ref` that points outside the schema itself (`http:`, `https:`, `file:`, or a relative
/// file name), with its JSON pointer. Blockwise validates offline: such a schema is refused.
pub fn remote_refs(schema: &Value) -> Vec<String> {
    fn walk(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    if k == "$ref" || k == "$dynamicRef" {
                        if let Value::String(r) = child {
                            if !r.starts_with('#') {
                                out.push(format!("'{r}' at {here}"));
                            }
                        }
                    }
                    walk(child, &here, out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(schema, "", &mut out);
    out
}

/// A warning per field whose name the worker reserves: the local deterministic fields (SPEC
/// §3: computed from the block, the model's answer replaced) and the pack key `block_index`
/// (kept as a field; the worker then carries the index under another key).
fn reserved_names(schema: &Value) -> Vec<String> {
    let props = &schema["properties"];
    let mut out = Vec::new();
    for name in super::LOCAL_FIELDS {
        if props.get(name).is_some() {
            out.push(format!(
                "field '{name}' is reserved: the program computes it from the block itself and \
                 replaces whatever the model answers"
            ));
        }
    }
    let index = crate::provider::prompt::INDEX_KEY;
    if props.get(index).is_some() {
        let key = crate::provider::prompt::pack_key(props);
        out.push(format!(
            "field '{index}' is the name the worker gives each result's block index in a batched \
             call: your field is kept, and this schema's calls carry the index as '{key}' instead"
        ));
    }
    out
}

/// Check a schema. A non-object schema gets one error (it is rejected by the save boundary).
pub fn check(schema: &Value) -> Compat {
    let mut c = Compat::default();
    let Some(obj) = schema.as_object() else {
        c.errors.push(format!(
            "a schema must be a JSON object, found {}",
            kind_of(schema)
        ));
        return c;
    };
    for r in remote_refs(schema) {
        c.errors.push(format!(
            "remote $ref {r}: every schema must validate offline; copy the definition into \
             \"$defs\" and refer to it as \"#/$defs/NAME\""
        ));
    }
    let no_columns = "the grid will show no result columns";
    match obj.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => c.warnings.push(format!(
            "top-level type is {other}, not \"object\": {no_columns}"
        )),
        None => c
            .warnings
            .push(format!("no top-level \"type\": \"object\": {no_columns}")),
    }
    match obj.get("properties") {
        Some(Value::Object(props)) => {
            c.warnings.extend(reserved_names(schema));
            for (name, p) in props {
                if !p.is_object() {
                    c.warnings.push(format!(
                        "property '{name}' is {}, not a schema object: the model gets no \
                         description of it",
                        kind_of(p)
                    ));
                }
            }
        }
        Some(other) => c.warnings.push(format!(
            "\"properties\" is {}, not an object: {no_columns}",
            kind_of(other)
        )),
        None => c.warnings.push(format!("no \"properties\": {no_columns}")),
    }
    match obj.get("prompt_config") {
        None | Some(Value::Null) => {}
        Some(Value::Object(pc)) => {
            for key in pc.keys() {
                if !PROMPT_CONFIG_KEYS.contains(&key.as_str()) {
                    c.warnings.push(format!(
                        "unknown prompt_config key '{key}' is ignored (known: {})",
                        PROMPT_CONFIG_KEYS.join(", ")
                    ));
                }
            }
            c.errors.extend(parse_map(pc).1);
        }
        Some(other) => c.errors.push(format!(
            "prompt_config must be an object, found {}",
            kind_of(other)
        )),
    }
    c
}
