//! Built-in, read-only templates: seeds a user saves a copy of through the save boundary.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SchemaError;

/// One built-in template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Stable id, also the default ref of a copy (a valid ref).
    pub id: String,
    pub version: u32,
    pub name: String,
    pub category: String,
    pub description: String,
    pub tags: Vec<String>,
    /// The schema seed, with a runnable `prompt_config`.
    pub schema: Value,
}

/// The template files, embedded at build time.
const FILES: [(&str, &str); 6] = [
    (
        "prose_optimizer.json",
        include_str!("templates/prose_optimizer.json"),
    ),
    (
        "entity_extraction.json",
        include_str!("templates/entity_extraction.json"),
    ),
    (
        "clause_review.json",
        include_str!("templates/clause_review.json"),
    ),
    (
        "classification.json",
        include_str!("templates/classification.json"),
    ),
    (
        "summary_key_points.json",
        include_str!("templates/summary_key_points.json"),
    ),
    (
        "citation_extraction.json",
        include_str!("templates/citation_extraction.json"),
    ),
];

/// Every built-in template, in a stable order.
pub fn templates() -> Result<Vec<Template>, SchemaError> {
    FILES
        .iter()
        .map(|(file, text)| {
            serde_json::from_str(text).map_err(|e| SchemaError::BrokenTemplate {
                file,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// One template by id.
pub fn template(id: &str) -> Result<Template, SchemaError> {
    let all = templates()?;
    let available = all.iter().map(|t| t.id.clone()).collect();
    all.into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| SchemaError::UnknownTemplate {
            id: id.to_string(),
            available,
        })
}
