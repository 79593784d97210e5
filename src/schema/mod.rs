//! Schemas (SPEC §2): canonical identity, refs, the compatibility check, the single save
//! boundary, fork, built-in templates, import classification and the wizard's data model.
//!
//! Every way of making a schema ends in [`save`]; nothing else writes schemas.

pub mod assist_wire;
mod canonical;
mod compat;
mod error;
mod import;
mod prompt;
mod reference;
mod save;
pub mod suggest;
pub mod suggest_refine;
mod templates;
mod value_type;
mod wizard;

pub use canonical::{canonical_json, canonical_value, schema_uid};
pub use compat::{check, Compat};
pub use error::SchemaError;
pub use import::{classify, classify_value, ImportClass};
pub use prompt::{PromptConfig, PROMPT_CONFIG_KEYS};
pub use reference::{derive_ref, slugify, suggest_fork_ref, validate_ref, MAX_REF_LEN};
pub(crate) use save::free_ref;
pub use save::{apply_template, fork, save, SaveOutcome, SaveRequest};
pub use templates::{template, templates, Template};
pub use value_type::ValueType;
pub use wizard::{Field, FieldSpec, FieldType, WizardModel};

/// Fields the program computes from the block itself and writes over what a model said (SPEC §3
/// "Local deterministic fields"); `schema check` warns about them, the worker fills them.
pub const LOCAL_FIELDS: [&str; 3] = ["word_count", "has_question", "first_40_chars"];

use serde_json::{Map, Value};

/// The top-level `required` field names (empty when absent or malformed).
pub fn required(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The schema's top-level `properties` map: the field set the grid and the worker use.
/// `None` when the schema has no `properties` object.
pub fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties")?.as_object()
}
