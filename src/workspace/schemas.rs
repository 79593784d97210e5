//! Schemas: list, show, save, templates, forks, delete.

use serde_json::Value;

use super::{Error, SaveOutcome, SaveRequest, SchemaDelete, Workspace};
use crate::model::Schema;

impl Workspace {
    pub fn list_schemas(&self) -> Result<Vec<Schema>, Error> {
        Ok(self.store.list_schemas()?)
    }

    pub fn get_schema(&self, schema_id: &str) -> Result<Option<Schema>, Error> {
        Ok(self.store.get_schema(schema_id)?)
    }

    /// A schema by ref, id or unique prefix.
    pub fn resolve_schema(&self, name: &str) -> Result<Schema, Error> {
        Ok(self.store.resolve_schema(name)?)
    }

    /// The runs that pin this schema (they keep it from being deleted).
    pub fn runs_referencing(&self, schema_id: &str) -> Result<Vec<String>, Error> {
        Ok(self.store.runs_referencing(schema_id)?)
    }

    /// Save `json` as a schema owned by this workspace's user.
    pub fn save_schema(
        &self,
        json: Value,
        schema_ref: Option<String>,
    ) -> Result<SaveOutcome, Error> {
        Ok(crate::schema::save(
            &self.store,
            SaveRequest::new(json, schema_ref, self.user.clone()),
        )?)
    }

    pub fn schema_from_template(
        &self,
        template_id: &str,
        schema_ref: Option<String>,
    ) -> Result<SaveOutcome, Error> {
        Ok(crate::schema::apply_template(
            &self.store,
            template_id,
            schema_ref,
            &self.user,
        )?)
    }

    /// A new schema from `source`, optionally with an edited body.
    pub fn fork_schema(
        &self,
        source: &str,
        new_ref: Option<String>,
        edited: Option<Value>,
    ) -> Result<SaveOutcome, Error> {
        Ok(crate::schema::fork(
            &self.store,
            source,
            new_ref,
            edited,
            &self.user,
        )?)
    }

    /// Delete a schema no run references.
    pub fn delete_schema(&self, name: &str) -> Result<SchemaDelete, Error> {
        Ok(self.store.delete_schema(name)?)
    }
}

/// What the model would get for a few sample blocks under a draft schema (the wizard's preview).
#[derive(Debug, Clone, PartialEq)]
pub struct PromptPreview {
    pub system_prompt: String,
    /// The user message, built by the same function the worker's calls use.
    pub user_message: String,
    pub blocks: usize,
}

impl Workspace {
    /// The first free `<ref>_v2`, `_v3`, ... (the fork and conflict suggestion).
    pub fn suggest_schema_ref(&self, schema_ref: &str) -> Result<String, Error> {
        Ok(crate::schema::free_ref(&self.store, schema_ref)?)
    }

    /// The prompt a run of `schema` would send for the first `count` blocks of document
    /// `conv_uid`: the schema's `prompt_config`, else the current policy's default prompts, put
    /// together by the provider's own message builder.
    pub fn preview_prompt(
        &self,
        schema: &Value,
        conv_uid: &str,
        count: u32,
    ) -> Result<PromptPreview, String> {
        let config = crate::schema::PromptConfig::from_schema(schema).map_err(|e| e.to_string())?;
        let snapshot = crate::policy::snapshot(&self.store).map_err(|e| e.to_string())?;
        let policy = crate::policy::WorkerPolicy::from_snapshot(&snapshot);
        let indices: Vec<u32> = (0..count.max(1)).collect();
        let blocks = self
            .store
            .blocks_at(conv_uid, &indices)
            .map_err(|e| e.to_string())?;
        let request = crate::provider::CallRequest {
            model: config.model.clone().unwrap_or_default(),
            temperature: config.temperature.unwrap_or_default(),
            max_tokens: config.max_tokens_per_block.unwrap_or(1),
            system_prompt: config
                .system_instructions
                .clone()
                .unwrap_or(policy.default_system_prompt),
            block_prompt: config
                .per_block_prompt
                .clone()
                .unwrap_or(policy.default_block_prompt),
            properties: Value::Object(
                crate::schema::properties(schema)
                    .cloned()
                    .unwrap_or_default(),
            ),
            required: Vec::new(),
            batched: blocks.len() > 1,
            blocks: blocks
                .iter()
                .map(|b| crate::provider::BlockInput {
                    block_index: b.block_index,
                    block_type: b.block_type.as_str().to_string(),
                    content: b.block_content.clone(),
                })
                .collect(),
            prompt_caching: false,
        };
        Ok(PromptPreview {
            // As the default provider (Anthropic, a forced tool) would be sent it.
            user_message: crate::provider::prompt::user_message(&request, true),
            system_prompt: request.system_prompt,
            blocks: request.blocks.len(),
        })
    }
}
