//! The fake's answers to schema assistant calls (issue 26): deterministic functions of the
//! request payload, so tests can assert exact proposals, plus the scripted invalid answer.

use serde_json::{json, Value};

use super::Fault;
use crate::schema::assist_wire::to_wire;
use crate::schema::suggest::demo_suggestion;
use crate::schema::suggest_refine::demo_refine;

/// The structured answer to an assistant `payload`, with `fault` applied.
pub(super) fn answer(payload: &Value, fault: &Fault) -> Value {
    if *fault == Fault::InvalidProposal {
        return invalid_proposal();
    }
    let mut wire = match payload.get("task").and_then(Value::as_str) {
        Some("refine") => refined(payload),
        _ => suggested(payload),
    };
    if let Fault::InvalidValue { field, value } = fault {
        wire[field.as_str()] = value.clone();
    }
    wire
}

fn suggested(payload: &Value) -> Value {
    let intent = payload.get("intent").and_then(Value::as_str).unwrap_or("");
    let types: Vec<&str> = payload
        .get("samples")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(|b| b["block_type"].as_str()).collect())
        .unwrap_or_default();
    let mut wire = to_wire(&demo_suggestion(intent, &types));
    wire["title"] = json!(format!("Suggestion: {}", intent.trim()));
    wire["description"] = json!(format!("Fields for: {}", intent.trim()));
    wire["system_instructions"] = json!("You extract structured data from one block at a time.");
    wire["per_block_prompt"] = json!(format!("For this block: {}", intent.trim()));
    wire
}

/// The draft with the instruction applied the way the DEMO refinement understands it; an
/// instruction it does not understand leaves the draft as it was.
fn refined(payload: &Value) -> Value {
    let draft = payload.get("draft").cloned().unwrap_or(json!({}));
    let instruction = payload
        .get("instruction")
        .and_then(Value::as_str)
        .unwrap_or("");
    to_wire(&demo_refine(&draft, instruction).unwrap_or(draft))
}

/// Colliding names and an unknown type: what a small model gets wrong.
fn invalid_proposal() -> Value {
    let field = |name: &str, t: &str| {
        json!({"name": name, "type": t, "description": "", "enum": [], "nullable": false,
               "grounded": false})
    };
    json!({"title": "bad", "description": "bad", "system_instructions": "",
           "per_block_prompt": "",
           "fields": [field("topic", "string"), field("topic", "string"), field("when", "date")]})
}
