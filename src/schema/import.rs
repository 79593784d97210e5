//! Import: read a JSON file and say which editor can handle it.

use serde::Serialize;
use serde_json::Value;

use super::error::kind_of;
use super::WizardModel;

/// How an imported file can be edited.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum ImportClass {
    /// Not JSON, or not a JSON object. `line`/`column` (1-based) locate a parse error.
    Invalid {
        reason: String,
        line: Option<usize>,
        column: Option<usize>,
    },
    /// Everything is inside the wizard's subset.
    WizardEditable { json: Value },
    /// Valid, but something is outside the subset: the raw JSON editor handles it.
    Advanced { json: Value, reasons: Vec<String> },
}

impl ImportClass {
    pub fn name(&self) -> &'static str {
        match self {
            ImportClass::Invalid { .. } => "invalid",
            ImportClass::WizardEditable { .. } => "wizard_editable",
            ImportClass::Advanced { .. } => "advanced",
        }
    }

    /// The parsed schema, unless invalid.
    pub fn json(&self) -> Option<&Value> {
        match self {
            ImportClass::Invalid { .. } => None,
            ImportClass::WizardEditable { json } | ImportClass::Advanced { json, .. } => Some(json),
        }
    }
}

/// Classify the text of a JSON file.
pub fn classify(text: &str) -> ImportClass {
    // A UTF-8 byte-order mark is common in files saved by Windows editors.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_json::from_str::<Value>(text) {
        Ok(v) => classify_value(v),
        Err(e) => ImportClass::Invalid {
            reason: format!("not valid JSON: {e}"),
            line: Some(e.line()),
            column: Some(e.column()),
        },
    }
}

/// Classify an already parsed value.
pub fn classify_value(json: Value) -> ImportClass {
    let model = match WizardModel::from_schema(&json) {
        Ok(m) => m,
        Err(_) => {
            return ImportClass::Invalid {
                reason: format!("a schema must be a JSON object, found {}", kind_of(&json)),
                line: None,
                column: None,
            }
        }
    };
    let reasons = model.unsupported();
    if reasons.is_empty() {
        ImportClass::WizardEditable { json }
    } else {
        ImportClass::Advanced { json, reasons }
    }
}
