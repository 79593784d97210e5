//! The user message and the structured-output definitions, shared by both wire protocols.
//!
//! The fake provider parses blocks back out of the user message with [`parse_blocks`], so the
//! delimiters live here and nowhere else.

use serde_json::{json, Map, Value};

use super::types::{BlockInput, CallRequest};
use crate::model::Usage;

/// The decoded pieces of a 2xx answer, common to both wire protocols.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub output: Option<Value>,
    pub parse_issue: Option<String>,
    pub usage: Usage,
    pub stop_reason: Option<String>,
}

/// Opens a block: `<<<BLOCK block_uid="…" block_type="…">>>` on its own line.
pub const BLOCK_OPEN: &str = "<<<BLOCK ";
/// Closes a block: `<<<END BLOCK <block_uid>>>>` on its own line.
pub const BLOCK_CLOSE: &str = "<<<END BLOCK ";
/// End of a delimiter line.
pub const DELIM_END: &str = ">>>";

/// Forced tool / json_schema name for a single-block call.
pub const SINGLE_TOOL: &str = "record_result";
/// Forced tool / json_schema name for a batched call.
pub const BATCH_TOOL: &str = "record_results";

/// The tool (or json_schema) name a request uses.
pub fn tool_name(request: &CallRequest) -> &'static str {
    if request.batched {
        BATCH_TOOL
    } else {
        SINGLE_TOOL
    }
}

/// A one-line description of the tool, telling the model what to put in it.
pub fn tool_description(request: &CallRequest) -> &'static str {
    if request.batched {
        "Record exactly one result per block_uid given in the user message. Each result holds \
         the block_uid and the fields of the schema for that block alone."
    } else {
        "Record the result for the one block given in the user message, with the fields of the \
         schema."
    }
}

/// The user message: the block prompt, the rules, then every block between delimiters.
pub fn user_message(request: &CallRequest) -> String {
    let mut out = String::new();
    let prompt = request.block_prompt.trim();
    if !prompt.is_empty() {
        out.push_str(prompt);
        out.push_str("\n\n");
    }
    if request.batched {
        out.push_str(&format!(
            "There are {} blocks below. Treat each block independently: what one block says \
             must not change the result of another. Return exactly one result per block_uid, \
             with the block_uid copied exactly, using the {BATCH_TOOL} tool.\n\n",
            request.blocks.len()
        ));
    } else {
        out.push_str(&format!(
            "There is one block below. Return its result using the {SINGLE_TOOL} tool.\n\n"
        ));
    }
    for block in &request.blocks {
        push_block(&mut out, block);
    }
    out
}

fn push_block(out: &mut String, block: &BlockInput) {
    out.push_str(BLOCK_OPEN);
    out.push_str(&format!(
        "block_uid=\"{}\" block_type=\"{}\"{DELIM_END}\n",
        block.block_uid, block.block_type
    ));
    out.push_str(&block.content);
    // Always one newline before the close line; the parser removes exactly this one.
    out.push('\n');
    out.push_str(BLOCK_CLOSE);
    out.push_str(&block.block_uid);
    out.push_str(DELIM_END);
    out.push_str("\n\n");
}

/// Parse the blocks back out of a user message written by [`user_message`]; content
/// round-trips exactly.
pub fn parse_blocks(message: &str) -> Vec<BlockInput> {
    let mut blocks = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find(BLOCK_OPEN) {
        let after = &rest[start + BLOCK_OPEN.len()..];
        let Some(line_end) = after.find('\n') else {
            break;
        };
        let header = after[..line_end].trim_end_matches(DELIM_END);
        let uid = attr(header, "block_uid").unwrap_or_default();
        let block_type = attr(header, "block_type").unwrap_or_default();
        let body = &after[line_end + 1..];
        let close = format!("{BLOCK_CLOSE}{uid}{DELIM_END}");
        let Some(end) = body.find(&close) else {
            break;
        };
        let content = body[..end].strip_suffix('\n').unwrap_or(&body[..end]);
        blocks.push(BlockInput {
            block_uid: uid,
            block_type,
            content: content.to_string(),
        });
        rest = &body[end + close.len()..];
    }
    blocks
}

fn attr(header: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = header.find(&key)? + key.len();
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_string())
}

/// The JSON Schema of the structured output: the properties for a single call, or
/// `{results: [{block_uid, ...properties}]}` for a batched one.
pub fn output_schema(request: &CallRequest) -> Value {
    let properties = match &request.properties {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    if !request.batched {
        return json!({
            "type": "object",
            "properties": Value::Object(properties),
            "required": request.required,
        });
    }
    let mut item_props = Map::new();
    item_props.insert(
        "block_uid".to_string(),
        json!({"type": "string", "description": "The block_uid of the block this result is for."}),
    );
    for (k, v) in properties {
        if k != "block_uid" {
            item_props.insert(k, v);
        }
    }
    let mut required = vec![Value::String("block_uid".into())];
    required.extend(
        request
            .required
            .iter()
            .filter(|r| r.as_str() != "block_uid")
            .map(|r| Value::String(r.clone())),
    );
    json!({
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "description": "One result per block_uid.",
                "items": {
                    "type": "object",
                    "properties": Value::Object(item_props),
                    "required": required,
                }
            }
        },
        "required": ["results"],
    })
}

/// The schema made acceptable to OpenAI strict structured outputs: every object lists all of
/// its properties as required and forbids additional ones.
pub fn strict_schema(schema: &Value) -> Value {
    let mut out = schema.clone();
    strictify(&mut out);
    out
}

fn strictify(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                let keys: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                for v in props.values_mut() {
                    strictify(v);
                }
                map.insert("required".into(), Value::Array(keys));
                map.insert("additionalProperties".into(), Value::Bool(false));
                if !map.contains_key("type") {
                    map.insert("type".into(), Value::String("object".into()));
                }
            }
            for key in ["items", "anyOf", "oneOf", "allOf", "$defs", "definitions"] {
                if let Some(v) = map.get_mut(key) {
                    match v {
                        Value::Array(items) => items.iter_mut().for_each(strictify),
                        Value::Object(obj) if key == "$defs" || key == "definitions" => {
                            obj.values_mut().for_each(strictify)
                        }
                        other => strictify(other),
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strictify),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(batched: bool, blocks: Vec<BlockInput>) -> CallRequest {
        CallRequest {
            model: "m".into(),
            temperature: 0.0,
            max_tokens: 100,
            system_prompt: "sys".into(),
            block_prompt: "Classify.".into(),
            properties: json!({"label": {"type": "string", "enum": ["a", "b"]}}),
            required: vec!["label".into()],
            blocks,
            batched,
            prompt_caching: false,
        }
    }

    fn block(uid: &str, content: &str) -> BlockInput {
        BlockInput {
            block_uid: uid.into(),
            block_type: "paragraph".into(),
            content: content.into(),
        }
    }

    #[test]
    fn blocks_round_trip_through_the_user_message() {
        let blocks = vec![
            block("c1:0", "First paragraph.\nSecond line."),
            block("c1:1", "Code ends with newline\n"),
            block("c1:2", "Mentions <<<BLOCK inside text"),
        ];
        let req = request(true, blocks.clone());
        let msg = user_message(&req);
        assert!(msg.contains("exactly one result per block_uid"));
        assert!(msg.contains("independently"));
        let parsed = parse_blocks(&msg);
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0], blocks[0]);
        assert_eq!(parsed[1], blocks[1]);
        assert_eq!(parsed[2], blocks[2]);
    }

    #[test]
    fn batched_schema_wraps_properties_in_results() {
        let s = output_schema(&request(true, vec![]));
        let items = &s["properties"]["results"]["items"];
        assert_eq!(items["required"], json!(["block_uid", "label"]));
        assert!(items["properties"]["label"]["enum"].is_array());
        let single = output_schema(&request(false, vec![]));
        assert_eq!(single["required"], json!(["label"]));
        assert!(single["properties"].get("results").is_none());
    }

    #[test]
    fn strict_schema_requires_every_property_at_every_level() {
        let s = strict_schema(&json!({
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "object", "properties": {"c": {"type": "integer"}}}},
            "required": ["a"]
        }));
        assert_eq!(s["required"], json!(["a", "b"]));
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["properties"]["b"]["required"], json!(["c"]));
        assert_eq!(s["properties"]["b"]["additionalProperties"], json!(false));
    }
}
