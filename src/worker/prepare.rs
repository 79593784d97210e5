//! Everything a worker needs to know about a run before its first call, read once.

use serde_json::{Map, Value};

use super::pack::{OutputShape, PackLimits};
use super::WorkerError;
use crate::model::Run;
use crate::policy::WorkerPolicy;
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
}

impl RunPlan {
    pub fn load(store: &Store, run_id: &str) -> Result<RunPlan, WorkerError> {
        let run = store
            .get_run(run_id)?
            .ok_or_else(|| WorkerError::Refused(format!("run {run_id} does not exist")))?;
        let schema = store.get_schema(&run.schema_id)?.ok_or_else(|| {
            WorkerError::Refused(format!(
                "run {run_id}: its schema {} ({}) is missing",
                run.schema_ref, run.schema_id
            ))
        })?;
        let properties = schema::properties(&schema.json)
            .cloned()
            .unwrap_or_default();
        let required = schema
            .json
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let prompt = PromptConfig::from_schema(&schema.json)
            .map_err(|e| WorkerError::Refused(format!("schema '{}': {e}", schema.schema_ref)))?;
        let policy = WorkerPolicy::from_snapshot(&run.model_config.policy);
        let system_prompt = prompt
            .system_instructions
            .clone()
            .unwrap_or_else(|| policy.default_system_prompt.clone());
        let block_prompt = prompt
            .per_block_prompt
            .clone()
            .unwrap_or_else(|| policy.default_block_prompt.clone());
        let max_batch_size = prompt.max_batch_size;
        let limits = PackLimits::new(
            &policy,
            max_batch_size,
            OutputShape::of(&properties),
            &system_prompt,
            &block_prompt,
        );
        Ok(RunPlan {
            run,
            properties,
            required,
            system_prompt,
            block_prompt,
            policy,
            limits,
            max_batch_size,
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
}
