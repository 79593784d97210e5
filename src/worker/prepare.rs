//! Everything a worker needs to know about a run before its first call, read once.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::pack::{OutputShape, PackLimits};
use super::WorkerError;
use crate::model::Run;
use crate::policy::WorkerPolicy;
use crate::provider::{BlockInput, CallRequest};
use crate::review::edit::FieldValidators;
use crate::schema::{self, PromptConfig};
use crate::store::Store;

/// A run's fixed call parameters (from its snapshot and schema; never from current policy).
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub run: Run,
    pub properties: Map<String, Value>,
    pub required: Vec<String>,
    pub system_prompt: String,
    pub block_prompt: String,
    pub policy: WorkerPolicy,
    pub limits: PackLimits,
    /// The schema's `max_batch_size`, kept to size packs again for a server's context.
    max_batch_size: Option<u32>,
    /// The review validators: every answer is checked with them before it is staged.
    pub validators: Arc<FieldValidators>,
    /// The key carrying each result's block index in a batched answer: never a schema field.
    pub pack_key: String,
    /// The schema's grounded fields (SPEC §4a); `None` when it has none.
    pub grounded: Option<Arc<crate::evidence::GroundedFields>>,
}

/// The system prompt, block prompt and pack limits a run uses: the schema's prompts, else the
/// policy's defaults (shared by run creation's fit check and the worker).
pub(super) fn fixed_prompt(
    policy: &WorkerPolicy,
    prompt: &PromptConfig,
    properties: &Map<String, Value>,
) -> (String, String, PackLimits) {
    let system_prompt = prompt
        .system_instructions
        .clone()
        .unwrap_or_else(|| policy.default_system_prompt.clone());
    let block_prompt = prompt
        .per_block_prompt
        .clone()
        .unwrap_or_else(|| policy.default_block_prompt.clone());
    let limits = PackLimits::new(
        policy,
        prompt.max_batch_size,
        OutputShape::of(properties),
        &system_prompt,
        &block_prompt,
    );
    (system_prompt, block_prompt, limits)
}

impl RunPlan {
    pub fn load(store: &Store, run_id: &str) -> Result<RunPlan, WorkerError> {
        let run = store
            .get_run(run_id)?
            .ok_or_else(|| WorkerError::Refused(format!("run {run_id} does not exist")))?;
        RunPlan::for_run(store, run)
    }

    /// The plan of a run, stored or not yet (the cost estimate plans a run it has not created).
    pub fn for_run(store: &Store, run: Run) -> Result<RunPlan, WorkerError> {
        let run_id = run.run_id.clone();
        let schema = store.get_schema(&run.schema_id)?.ok_or_else(|| {
            WorkerError::Refused(format!(
                "run {run_id}: its schema {} ({}) is missing",
                run.schema_ref, run.schema_id
            ))
        })?;
        let properties = schema::properties(&schema.json)
            .cloned()
            .unwrap_or_default();
        let required = schema::required(&schema.json);
        let prompt = PromptConfig::from_schema(&schema.json)
            .map_err(|e| WorkerError::Refused(format!("schema '{}': {e}", schema.schema_ref)))?;
        let validators = FieldValidators::new(&schema.json)
            .map_err(|e| WorkerError::Refused(format!("schema '{}': {e}", schema.schema_ref)))?;
        let policy = WorkerPolicy::from_snapshot(&run.model_config.policy);
        let (system_prompt, block_prompt, limits) = fixed_prompt(&policy, &prompt, &properties);
        let max_batch_size = prompt.max_batch_size;
        let pack_key = crate::provider::prompt::pack_key(&schema.json["properties"]);
        Ok(RunPlan {
            run,
            properties,
            required,
            system_prompt,
            block_prompt,
            policy,
            limits,
            max_batch_size,
            validators: Arc::new(validators),
            pack_key,
            grounded: crate::evidence::GroundedFields::from_schema(&schema.json).map(Arc::new),
        })
    }
}

/// The per-request context a server reported, applied to one session (source `server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerFit {
    pub context_tokens: u32,
    pub max_output_tokens: u32,
}

impl RunPlan {
    /// Size packs to a server's context window when it is smaller than the run's policy
    /// assumes: the answer keeps at most half of it, the tool definition at most an eighth, and
    /// the packs' input budget is what is left. `None` when the policy already fits.
    pub fn fit_to_context(&mut self, context_tokens: u32) -> Option<ServerFit> {
        let p = &mut self.policy;
        if context_tokens >= p.context_window_tokens {
            return None;
        }
        p.context_window_tokens = context_tokens;
        p.max_output_tokens = p.max_output_tokens.min(context_tokens / 2).max(1);
        // The reserve is what the answer may use; keep input + answer inside the window.
        p.output_reserve_tokens = p.max_output_tokens;
        p.tool_overhead_tokens = p.tool_overhead_tokens.min(context_tokens / 8);
        self.limits = PackLimits::new(
            p,
            self.max_batch_size,
            self.limits.shape,
            &self.system_prompt,
            &self.block_prompt,
        );
        Some(ServerFit {
            context_tokens,
            max_output_tokens: p.max_output_tokens,
        })
    }

    /// The call for one pack of blocks, as the worker sends it (and the estimate counts it).
    pub fn request(&self, blocks: Vec<BlockInput>) -> CallRequest {
        let mc = &self.run.model_config;
        let batched = blocks.len() > 1;
        let max_tokens = if batched {
            mc.max_tokens
                .saturating_mul(blocks.len() as u32)
                .min(self.policy.max_output_tokens)
                .max(1)
        } else {
            // A server's small context (fit_to_context) caps single calls too.
            mc.max_tokens.min(self.policy.max_output_tokens).max(1)
        };
        CallRequest {
            model: mc.model.clone(),
            temperature: mc.temperature,
            max_tokens,
            system_prompt: self.system_prompt.clone(),
            block_prompt: self.block_prompt.clone(),
            properties: Value::Object(self.properties.clone()),
            required: self.required.clone(),
            blocks,
            batched,
            prompt_caching: self.policy.prompt_caching,
        }
    }
}
