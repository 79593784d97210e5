//! Schemas: list, show, save, templates, forks, delete.

use serde_json::Value;

use super::{SaveOutcome, SaveRequest, SchemaDelete, SchemaError, Workspace};
use crate::model::Schema;
use crate::store::StoreError;

impl Workspace {
    pub fn list_schemas(&self) -> Result<Vec<Schema>, StoreError> {
        self.store.list_schemas()
    }

    pub fn get_schema(&self, schema_id: &str) -> Result<Option<Schema>, StoreError> {
        self.store.get_schema(schema_id)
    }

    /// A schema by ref, id or unique prefix.
    pub fn resolve_schema(&self, name: &str) -> Result<Schema, StoreError> {
        self.store.resolve_schema(name)
    }

    /// The runs that pin this schema (they keep it from being deleted).
    pub fn runs_referencing(&self, schema_id: &str) -> Result<Vec<String>, StoreError> {
        self.store.runs_referencing(schema_id)
    }

    /// Save `json` as a schema owned by this workspace's user.
    pub fn save_schema(
        &self,
        json: Value,
        schema_ref: Option<String>,
    ) -> Result<SaveOutcome, SchemaError> {
        crate::schema::save(
            &self.store,
            SaveRequest::new(json, schema_ref, self.user.clone()),
        )
    }

    pub fn schema_from_template(
        &self,
        template_id: &str,
        schema_ref: Option<String>,
    ) -> Result<SaveOutcome, SchemaError> {
        crate::schema::apply_template(&self.store, template_id, schema_ref, &self.user)
    }

    /// A new schema from `source`, optionally with an edited body.
    pub fn fork_schema(
        &self,
        source: &str,
        new_ref: Option<String>,
        edited: Option<Value>,
    ) -> Result<SaveOutcome, SchemaError> {
        crate::schema::fork(&self.store, source, new_ref, edited, &self.user)
    }

    /// Delete a schema no run references.
    pub fn delete_schema(&self, name: &str) -> Result<SchemaDelete, StoreError> {
        self.store.delete_schema(name)
    }
}
