use crate::store::StoreError;

/// Everything a schema operation can refuse. Conflicts (`is_conflict`) map to CLI exit 3.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Rejected: the schema is not a JSON object.
    #[error("rejected: a schema must be a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    /// Rejected: the ref does not match `^[a-z0-9][a-z0-9_-]{0,63}$`.
    #[error("rejected: invalid schema ref '{schema_ref}': {reason}")]
    InvalidRef { schema_ref: String, reason: String },
    /// Rejected: a `$ref` points outside the schema (the validator runs offline).
    #[error(
        "rejected: remote $ref {}: every schema must validate offline; copy the definition \
         into \"$defs\" and refer to it as \"#/$defs/NAME\"", refs.join(", ")
    )]
    RemoteRef { refs: Vec<String> },
    /// Rejected: `prompt_config` holds values the worker cannot use.
    #[error("rejected: invalid prompt_config: {}", problems.join("; "))]
    InvalidPromptConfig { problems: Vec<String> },
    /// Same ref, different content.
    #[error(
        "conflict: schema ref '{schema_ref}' is already taken by schema {existing_id} (uid \
         {existing_uid}) with different content; save it under a free ref such as \
         '{suggested_ref}' (--ref {suggested_ref}) or fork '{schema_ref}'"
    )]
    RefConflict {
        schema_ref: String,
        existing_id: String,
        existing_uid: String,
        suggested_ref: String,
    },
    /// Different ref, content this owner already saved.
    #[error(
        "conflict: this content (uid {schema_uid}) is already saved as schema '{existing_ref}' \
         ({existing_id}); use '{existing_ref}', or change the content before saving it as \
         '{requested_ref}'"
    )]
    ContentConflict {
        requested_ref: String,
        existing_ref: String,
        existing_id: String,
        schema_uid: String,
    },
    #[error("no built-in template '{id}'; available: {}", available.join(", "))]
    UnknownTemplate { id: String, available: Vec<String> },
    #[error("built-in template file {file} is broken: {reason}")]
    BrokenTemplate { file: &'static str, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SchemaError {
    /// A save conflict: the user renames or forks (CLI exit 3).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            SchemaError::RefConflict { .. } | SchemaError::ContentConflict { .. }
        )
    }

    /// A rejected save (bad input); nothing was written.
    pub fn is_rejected(&self) -> bool {
        matches!(
            self,
            SchemaError::NotAnObject { .. }
                | SchemaError::InvalidRef { .. }
                | SchemaError::InvalidPromptConfig { .. }
                | SchemaError::RemoteRef { .. }
        )
    }
}

/// A JSON value's kind, for messages.
pub(crate) fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
