//! The single save boundary (SPEC §2) and the operations built on it: fork, apply a template.

use serde::Serialize;
use serde_json::Value;

use super::error::kind_of;
use super::{canonical, check, derive_ref, reference, templates, validate_ref, SchemaError};
use crate::model::Schema;
use crate::store::{SchemaInsert, Store};

/// Everything needed to save a schema. Every way of making one builds this.
#[derive(Debug, Clone)]
pub struct SaveRequest {
    pub json: Value,
    /// `None`: derived from `$id`, `title`, else `schema`.
    pub schema_ref: Option<String>,
    pub owner: String,
    pub forked_from: Option<String>,
    pub template_id: Option<String>,
}

impl SaveRequest {
    /// A plain save by `owner`.
    pub fn new(json: Value, schema_ref: Option<String>, owner: impl Into<String>) -> SaveRequest {
        SaveRequest {
            json,
            schema_ref,
            owner: owner.into(),
            forked_from: None,
            template_id: None,
        }
    }
}

/// A successful save. Conflicts and rejections are `SchemaError`s.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", content = "schema", rename_all = "snake_case")]
pub enum SaveOutcome {
    /// New ref, new content: written.
    Created(Schema),
    /// Same ref, same content: the existing schema; nothing written.
    Unchanged(Schema),
}

impl SaveOutcome {
    pub fn schema(&self) -> &Schema {
        match self {
            SaveOutcome::Created(s) | SaveOutcome::Unchanged(s) => s,
        }
    }

    pub fn status(&self) -> &'static str {
        match self {
            SaveOutcome::Created(_) => "created",
            SaveOutcome::Unchanged(_) => "unchanged",
        }
    }
}

/// Save through the one boundary. Outcomes: created, unchanged (idempotent), `RefConflict`,
/// `ContentConflict`, or rejected (`NotAnObject`, `InvalidRef`, `InvalidPromptConfig`). The
/// write is one transaction; anything but `Created` writes nothing.
pub fn save(store: &Store, req: SaveRequest) -> Result<SaveOutcome, SchemaError> {
    if !req.json.is_object() {
        return Err(SchemaError::NotAnObject {
            found: kind_of(&req.json),
        });
    }
    let schema_ref = match req.schema_ref {
        Some(r) => r,
        None => derive_ref(&req.json),
    };
    validate_ref(&schema_ref)?;
    let refs = super::compat::remote_refs(&req.json);
    if !refs.is_empty() {
        return Err(SchemaError::RemoteRef { refs });
    }
    let compat = check(&req.json);
    if !compat.errors.is_empty() {
        return Err(SchemaError::InvalidPromptConfig {
            problems: compat.errors,
        });
    }
    let record = Schema {
        schema_id: String::new(),
        schema_uid: canonical::schema_uid(&req.json),
        schema_ref,
        json: req.json,
        owner: req.owner,
        created_at: crate::clock::now_rfc3339(),
        forked_from: req.forked_from,
        template_id: req.template_id,
        warnings: compat.warnings,
    };
    match store.save_schema(&record)? {
        SchemaInsert::Created(s) => Ok(SaveOutcome::Created(s)),
        SchemaInsert::Unchanged(s) => Ok(SaveOutcome::Unchanged(s)),
        SchemaInsert::RefTaken(existing) => Err(SchemaError::RefConflict {
            suggested_ref: free_ref(store, &existing.schema_ref)?,
            schema_ref: existing.schema_ref,
            existing_id: existing.schema_id,
            existing_uid: existing.schema_uid,
        }),
        SchemaInsert::ContentTaken(existing) => Err(SchemaError::ContentConflict {
            requested_ref: record.schema_ref,
            existing_ref: existing.schema_ref,
            existing_id: existing.schema_id,
            schema_uid: existing.schema_uid,
        }),
    }
}

/// The first free `<ref>_v2`, `_v3`, ... in the store.
pub(crate) fn free_ref(store: &Store, r: &str) -> Result<String, SchemaError> {
    let mut err = None;
    let suggestion = reference::suggest_fork_ref(r, |c| match store.schema_ref_exists(c) {
        Ok(taken) => taken,
        Err(e) => {
            err = Some(e);
            false
        }
    });
    match err {
        Some(e) => Err(e.into()),
        None => Ok(suggestion),
    }
}

/// Fork `source` (a ref or schema id) as a new schema; the original is untouched.
///
/// - `new_ref`: default the first free `<ref>_v2`, `_v3`, ...
/// - `edited`: the new content. `None` copies the content *renamed*: `title` gets the new ref
///   appended in parentheses (or becomes the new ref) and a `$id` tail is replaced by the new
///   ref, so the copy has its own content identity (one content has one ref per owner).
pub fn fork(
    store: &Store,
    source: &str,
    new_ref: Option<String>,
    edited: Option<Value>,
    owner: &str,
) -> Result<SaveOutcome, SchemaError> {
    let original = store.resolve_schema(source)?;
    let new_ref = match new_ref {
        Some(r) => r,
        None => free_ref(store, &original.schema_ref)?,
    };
    validate_ref(&new_ref)?;
    let json = match edited {
        Some(v) => v,
        None => renamed_copy(&original.json, &original.schema_ref, &new_ref),
    };
    save(
        store,
        SaveRequest {
            json,
            schema_ref: Some(new_ref),
            owner: owner.to_string(),
            forked_from: Some(original.schema_id),
            template_id: original.template_id,
        },
    )
}

fn renamed_copy(json: &Value, old_ref: &str, new_ref: &str) -> Value {
    let mut copy = json.clone();
    let Some(obj) = copy.as_object_mut() else {
        return copy;
    };
    if let Some(Value::String(id)) = obj.get_mut("$id") {
        let cut = id.rfind(['/', ':']).map(|i| i + 1).unwrap_or(0);
        id.truncate(cut);
        id.push_str(new_ref);
    }
    let title = match obj.get("title").and_then(Value::as_str) {
        Some(t) => {
            let base = t.strip_suffix(&format!(" ({old_ref})")).unwrap_or(t);
            format!("{base} ({new_ref})")
        }
        None => new_ref.to_string(),
    };
    obj.insert("title".into(), Value::String(title));
    copy
}

/// Save a user-owned copy of a built-in template. Default ref: the template id.
pub fn apply_template(
    store: &Store,
    template_id: &str,
    schema_ref: Option<String>,
    owner: &str,
) -> Result<SaveOutcome, SchemaError> {
    let t = templates::template(template_id)?;
    save(
        store,
        SaveRequest {
            json: t.schema.clone(),
            schema_ref: Some(schema_ref.unwrap_or_else(|| t.id.clone())),
            owner: owner.to_string(),
            forked_from: None,
            template_id: Some(t.id.clone()),
        },
    )
}
