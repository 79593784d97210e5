//! Run creation: bind a document and a schema, snapshot the effective policy, one pending
//! overlay per block (SPEC §3).

use serde_json::{json, Value};

use super::WorkerError;
use crate::model::{ProviderKind, Run};
use crate::policy::{self, RunModelInputs};
use crate::provider;
use crate::schema::{self, PromptConfig};
use crate::store::Store;
use crate::vault;

/// Options of `run create`; `None` means "use the precedence chain".
#[derive(Debug, Clone, Default)]
pub struct CreateRunOptions {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    /// Only the first N blocks of the document (a cheap trial of a schema).
    pub sample: Option<u32>,
}

/// A run ready to be written: everything resolved, nothing stored yet. The cost estimate and
/// the new-run form read this, so they show exactly what creating the run would store.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub run: Run,
    /// Blocks the run covers (the sample size, or the whole document).
    pub blocks: u32,
    /// Blocks in the document.
    pub document_blocks: u32,
}

fn new_run_id(conv: &str, schema_id: &str) -> String {
    let salt = format!(
        "{}:{}:{:?}",
        crate::clock::now_millis(),
        std::process::id(),
        std::time::Instant::now()
    );
    let h = crate::hashing::sha256_hex(&[conv.as_bytes(), schema_id.as_bytes(), salt.as_bytes()]);
    format!("run_{}", &h[..12])
}

/// The provider used when none is named: the first with a stored or environment key (or, for
/// custom, an endpoint). With none, an error listing every way to get one: the offline demo is
/// used only when asked for by name.
fn default_provider(store: &Store) -> Result<String, WorkerError> {
    for p in ProviderKind::KEYED {
        if vault::key_for(store, p.as_str())?.is_some() {
            return Ok(p.as_str().to_string());
        }
    }
    Err(WorkerError::Refused(format!(
        "no provider is set up. Any one of these works:\n\
         - a hosted model: `blockwise keys set anthropic` (or openai, google), reading the key \
         from stdin, or set ANTHROPIC_API_KEY / OPENAI_API_KEY / GEMINI_API_KEY;\n\
         - a local or self-hosted OpenAI-compatible server (llama.cpp, Ollama, vLLM): \
         `blockwise keys set custom --base-url http://localhost:8080/v1`, or set {} (and {} if it \
         wants a key);\n\
         - the offline demo (not a real model): `--provider demo`.",
        provider::CUSTOM_BASE_URL_ENV,
        provider::CUSTOM_KEY_ENV,
    )))
}

/// Create a run of schema `schema_name` (ref or id) over document `doc` (conv_uid prefix).
pub fn create_run(
    store: &Store,
    doc: &str,
    schema_name: &str,
    opts: &CreateRunOptions,
) -> Result<Run, WorkerError> {
    let plan = plan_run(store, doc, schema_name, opts)?;
    store.create_run(&plan.run, plan.blocks)?;
    Ok(store.get_run(&plan.run.run_id)?.unwrap_or(plan.run))
}

/// Resolve everything a new run stores (document, schema, provider, key defaults, the
/// precedence chain, the policy snapshot) without writing anything.
pub fn plan_run(
    store: &Store,
    doc: &str,
    schema_name: &str,
    opts: &CreateRunOptions,
) -> Result<PlannedRun, WorkerError> {
    plan_run_keyed(store, doc, schema_name, opts, true)
}

/// [`plan_run`]; with `need_key` false, no API key or custom endpoint is required (the cost
/// estimate works offline, before any key is set).
pub(super) fn plan_run_keyed(
    store: &Store,
    doc: &str,
    schema_name: &str,
    opts: &CreateRunOptions,
    need_key: bool,
) -> Result<PlannedRun, WorkerError> {
    let conv = store.resolve_document(doc)?;
    let document = store
        .get_document(&conv)?
        .ok_or_else(|| WorkerError::Refused(format!("document {conv} is missing")))?;
    let (schema, prompt) = schema_with_fields(store, schema_name)?;
    let provider_name = chosen_provider(store, opts)?;
    let key = vault::key_for(store, &provider_name)?;
    if need_key {
        key_is_set_up(&provider_name, key.as_ref())?;
    }
    let prompt_value = Value::Object(prompt.to_map());
    let model_config = policy::build_model_config(
        store,
        &RunModelInputs {
            provider: provider_name.clone(),
            // The endpoint is resolved when the run starts (worker::connect_provider).
            base_url: None,
            model: opts.model.clone(),
            temperature: opts.temperature,
            max_tokens: opts.max_tokens,
            prompt_config: Some(&prompt_value),
            key_defaults: Some(&key_defaults(&provider_name, key.as_ref())),
        },
    )?;
    let model_config = name_the_default_model(model_config, key.as_ref());
    fits_one_block(&model_config.policy, &prompt, &schema.json)?;
    let blocks = sampled_blocks(opts.sample, document.total_blocks)?;
    let mut run = Run::new(
        &new_run_id(&conv, &schema.schema_id),
        &conv,
        (&schema.schema_id, &schema.schema_ref, &schema.schema_uid),
        model_config,
        &policy::current_user(),
    );
    run.sample = opts.sample.map(|_| blocks);
    run.counters.total = blocks;
    run.counters.pending = blocks;
    Ok(PlannedRun {
        run,
        blocks,
        document_blocks: document.total_blocks,
    })
}

/// The schema named (ref or id) and its prompt config; refused when it has no properties.
fn schema_with_fields(
    store: &Store,
    schema_name: &str,
) -> Result<(crate::model::Schema, PromptConfig), WorkerError> {
    let schema = store.resolve_schema(schema_name)?;
    let has_fields = schema::properties(&schema.json).is_some_and(|p| !p.is_empty());
    if !has_fields {
        return Err(WorkerError::Refused(format!(
            "schema '{}' has no properties: the model would have nothing to fill and the grid \
             no columns; add a `properties` object (fork it with `blockwise schema fork {}`)",
            schema.schema_ref, schema.schema_ref
        )));
    }
    let prompt = PromptConfig::from_schema(&schema.json)
        .map_err(|e| WorkerError::Refused(format!("schema '{}': {e}", schema.schema_ref)))?;
    Ok((schema, prompt))
}

/// The provider named in the options (checked against the known ones), or the default.
fn chosen_provider(store: &Store, opts: &CreateRunOptions) -> Result<String, WorkerError> {
    let provider_name = match &opts.provider {
        Some(p) => p.to_ascii_lowercase(),
        None => default_provider(store)?,
    };
    if !provider::PROVIDERS.contains(&provider_name.as_str()) {
        return Err(WorkerError::Refused(format!(
            "unknown provider '{provider_name}' (expected one of: {})",
            provider::PROVIDERS.join(", ")
        )));
    }
    Ok(provider_name)
}

/// Refuse a provider that has no key (custom: no endpoint), saying how to set one up.
fn key_is_set_up(
    provider_name: &str,
    key: Option<&crate::vault::ResolvedKey>,
) -> Result<(), WorkerError> {
    if provider_name == ProviderKind::Custom.as_str() && key.is_none_or(|k| k.base_url.is_none()) {
        return Err(WorkerError::Refused(format!(
            "no custom endpoint: run `blockwise keys set custom --base-url URL` (add --stdin if \
             the server wants a key), or set {}",
            provider::CUSTOM_BASE_URL_ENV
        )));
    }
    if !ProviderKind::is_demo_name(provider_name) && key.is_none() {
        let env = provider::key_env_var(provider_name)
            .map(|v| format!(" or set {v}"))
            .unwrap_or_default();
        return Err(WorkerError::Refused(format!(
            "no API key for {provider_name}: run `blockwise keys set {provider_name} --stdin`{env}, \
             or use `--provider demo` for the offline demo"
        )));
    }
    Ok(())
}

/// The key's defaults, with the provider's own default model when the key names none, so a
/// run on OpenAI never inherits an Anthropic model name from the policy baseline.
fn key_defaults(provider_name: &str, key: Option<&crate::vault::ResolvedKey>) -> Value {
    json!({
        "model": key
            .and_then(|k| k.model.clone())
            .unwrap_or_else(|| provider::default_model(provider_name).to_string()),
        "temperature": key.and_then(|k| k.temperature),
        "max_tokens": key.and_then(|k| k.max_tokens),
    })
}

/// How many blocks the run covers: the first `sample` (never 0), or the whole document.
fn sampled_blocks(sample: Option<u32>, document_blocks: u32) -> Result<u32, WorkerError> {
    match sample {
        Some(0) => Err(WorkerError::Refused(
            "--sample 0 would make a run with no blocks: give at least 1".into(),
        )),
        Some(n) => Ok(n.min(document_blocks)),
        None => Ok(document_blocks),
    }
}

/// A model taken from the "key defaults" layer when the key names none is the provider's
/// default: say so, and say "environment" when the key came from an environment variable
/// (there is no stored key whose defaults it could be).
fn name_the_default_model(
    mut config: crate::model::ModelConfig,
    key: Option<&crate::vault::ResolvedKey>,
) -> crate::model::ModelConfig {
    let from_key_layer = config.sources.get("model").map(String::as_str)
        == Some(crate::policy::Source::KeyDefaults.as_str());
    if from_key_layer && key.and_then(|k| k.model.as_ref()).is_none() {
        let label = match key.map(|k| &k.source) {
            Some(crate::vault::KeySource::Env) => "environment",
            _ => "provider default",
        };
        config.sources.insert("model".into(), label.into());
    }
    config
}

/// Refuse a run whose fixed prompt (system prompt, block prompt, tool overhead, output reserve)
/// leaves no room in the context window for even one block, naming the sizes.
fn fits_one_block(
    snapshot: &std::collections::BTreeMap<String, Value>,
    prompt: &PromptConfig,
    schema_json: &Value,
) -> Result<(), WorkerError> {
    use super::pack::{estimate_tokens, BLOCK_FRAMING_TOKENS};
    let policy = crate::policy::WorkerPolicy::from_snapshot(snapshot);
    let props = schema::properties(schema_json).cloned().unwrap_or_default();
    let (system, block, limits) = super::prepare::fixed_prompt(&policy, prompt, &props);
    let one_block = BLOCK_FRAMING_TOKENS + 1;
    if limits.input_budget >= one_block {
        return Ok(());
    }
    Err(WorkerError::Refused(format!(
        "the fixed prompt leaves no room for a block: context window {} tokens − output reserve \
         {} − tool overhead {} − system prompt ~{} − block prompt ~{} = {} tokens, and one block \
         needs at least {one_block}; shorten the prompts, or raise \
         worker.batching.context_window_tokens (if the model allows) / lower \
         worker.batching.output_reserve_tokens",
        policy.context_window_tokens,
        policy.output_reserve_tokens,
        policy.tool_overhead_tokens,
        estimate_tokens(&system),
        estimate_tokens(&block),
        limits.input_budget,
    )))
}
