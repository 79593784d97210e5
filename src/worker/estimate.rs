//! What a run would cost before it is created (SPEC §3 packing, §3 price table): the real
//! packer over the document's blocks gives the calls; each call's request is built as the worker
//! builds it and counted at about four characters per token; the output is the JSON of a typical
//! answer per block. Nothing is written.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::create::{plan_run_keyed, CreateRunOptions, PlannedRun};
use super::pack::{estimate_tokens, make_packs};
use super::prepare::RunPlan;
use super::WorkerError;
use crate::model::{ProviderKind, Usage};
use crate::provider::{prompt, BlockInput, Flavor, PriceTable};
use crate::schema::ValueType;
use crate::store::Store;

/// The estimate of one run, with the effective settings it was made with.
#[derive(Debug, Clone, Serialize)]
pub struct RunEstimate {
    pub provider: String,
    pub model: String,
    pub temperature: f64,
    pub max_tokens: u32,
    /// Where model, temperature and max_tokens came from (the precedence chain).
    pub sources: std::collections::BTreeMap<String, String>,
    pub blocks: u32,
    /// Blocks of `blocks` the run would skip by type (`worker.skip_block_types`): no calls.
    pub skipped: u32,
    pub document_blocks: u32,
    pub calls: u32,
    /// Blocks per call at most (the packer's cap).
    pub block_cap: u32,
    pub batching: bool,
    pub prompt_caching: bool,
    pub input_tokens: u64,
    pub cache_write_tokens: u64,
    pub cache_read_tokens: u64,
    pub output_tokens: u64,
    /// USD; `None` when the model has no price.
    pub cost_usd: Option<f64>,
}

impl RunEstimate {
    pub fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_write_tokens: self.cache_write_tokens,
            cache_read_tokens: self.cache_read_tokens,
        }
    }
}

/// Estimate a run of `schema_name` over `doc` with `opts`, priced with `prices`.
pub fn estimate_run(
    store: &Store,
    doc: &str,
    schema_name: &str,
    opts: &CreateRunOptions,
    prices: &PriceTable,
) -> Result<RunEstimate, WorkerError> {
    let PlannedRun {
        run,
        blocks,
        document_blocks,
    } = plan_run_keyed(store, doc, schema_name, opts, false)?;
    let docs = [(run.conv_uid.clone(), blocks)];
    estimate_planned(store, run, &docs, document_blocks, prices)
}

/// Estimate a run group of `schema_name` over `docs` (a project's members in project order):
/// packs run across documents as the group worker packs them. Nothing is written.
pub fn estimate_group(
    store: &Store,
    project_ref: &str,
    docs: &[String],
    schema_name: &str,
    opts: &CreateRunOptions,
    prices: &PriceTable,
) -> Result<RunEstimate, WorkerError> {
    let plan =
        super::create_group::plan_group_keyed(store, project_ref, docs, schema_name, opts, false)?;
    let mut document_blocks = 0u32;
    for conv in docs {
        document_blocks += store.get_document(conv)?.map_or(0, |d| d.total_blocks);
    }
    let sources: Vec<(String, u32)> = plan
        .members
        .iter()
        .map(|(r, b)| (r.conv_uid.clone(), *b))
        .collect();
    let run = plan.members[0].0.clone();
    estimate_planned(store, run, &sources, document_blocks, prices)
}

/// The estimate of `run`'s settings over the first `blocks` blocks of each `(conv, blocks)`.
fn estimate_planned(
    store: &Store,
    run: crate::model::Run,
    docs: &[(String, u32)],
    document_blocks: u32,
    prices: &PriceTable,
) -> Result<RunEstimate, WorkerError> {
    let blocks: u32 = docs.iter().map(|(_, b)| *b).sum();
    // Built-in prices are the vendor's: a local server or a gateway is priced by prices.json.
    let vendor = super::connect::at_vendor_endpoint(store, &run)?;
    // The answer is asked for through a tool (Anthropic, the demo) or a JSON response format
    // (OpenAI-compatible), with the results array's length fixed where the provider takes it.
    let (via_tool, bounded) = match ProviderKind::parse(&run.model_config.provider) {
        Some(ProviderKind::Anthropic | ProviderKind::Demo) => (true, true),
        Some(ProviderKind::Custom) => (false, Flavor::Custom.accepts_array_bounds()),
        _ => (false, false),
    };
    let skip = run.model_config.skip_block_types();
    let plan = RunPlan::for_run(store, run)?;
    let (inputs, skipped) = planned_inputs(store, docs, &skip, blocks)?;
    let tokens: Vec<u32> = inputs.iter().map(|b| estimate_tokens(&b.content)).collect();
    let packs = make_packs(&tokens, &plan.limits);
    let system = estimate_tokens(&plan.system_prompt) as u64;
    // A prompt shorter than the provider's minimum cacheable length is never cached: it is
    // plain input on every call, no cache write.
    let mc = &plan.run.model_config;
    let min_cached = crate::provider::min_cacheable_tokens(&mc.provider, &mc.model).unwrap_or(0);
    let caching = plan.policy.prompt_caching && system > 0 && system >= u64::from(min_cached);
    let mut usage = Usage::default();
    for (i, (range, _)) in packs.iter().enumerate() {
        let request = plan.request(inputs[range.clone()].to_vec());
        let output = typical_output(&plan, &request.blocks, request.batched);
        let tool = json!({
            "name": prompt::tool_name(&request),
            "description": prompt::tool_description(&request),
            "input_schema": prompt::output_schema(&request, bounded),
        });
        let message = prompt::user_message(&request, via_tool);
        let rest = estimate_tokens(&(message + &tool.to_string())) as u64;
        // With caching on, the first call writes the system prompt and later calls read it.
        match (caching, i) {
            (false, _) => usage.input_tokens += system,
            (true, 0) => usage.cache_write_tokens += system,
            (true, _) => usage.cache_read_tokens += system,
        }
        usage.input_tokens += rest;
        usage.output_tokens += estimate_tokens(&output.to_string()) as u64;
    }
    let mc = &plan.run.model_config;
    Ok(RunEstimate {
        provider: mc.provider.clone(),
        model: mc.model.clone(),
        temperature: mc.temperature,
        max_tokens: mc.max_tokens,
        sources: mc.sources.clone(),
        blocks,
        skipped,
        document_blocks,
        calls: packs.len() as u32,
        block_cap: plan.limits.block_cap,
        batching: plan.policy.batching,
        prompt_caching: plan.policy.prompt_caching,
        cost_usd: prices.estimate_at(&mc.model, &usage, vendor),
        input_tokens: usage.input_tokens,
        cache_write_tokens: usage.cache_write_tokens,
        cache_read_tokens: usage.cache_read_tokens,
        output_tokens: usage.output_tokens,
    })
}

/// The first `take` blocks of each document as a call would send them, and how many of them
/// the run skips by type.
fn planned_inputs(
    store: &Store,
    docs: &[(String, u32)],
    skip: &[crate::model::BlockType],
    blocks: u32,
) -> Result<(Vec<BlockInput>, u32), WorkerError> {
    let mut inputs: Vec<BlockInput> = Vec::with_capacity(blocks as usize);
    let mut skipped = 0u32;
    for (conv, take) in docs {
        store.for_each_block(conv, |b| {
            if b.block_index < *take && skip.contains(&b.block_type) {
                skipped += 1;
            } else if b.block_index < *take {
                inputs.push(BlockInput {
                    block_index: b.block_index,
                    block_type: b.block_type.as_str().to_string(),
                    content: b.block_content,
                });
            }
            Ok(())
        })?;
    }
    Ok((inputs, skipped))
}

/// The answer a call would get: `{results: [{KEY, ...}]}` for a pack, the fields alone for one
/// block, each field holding a value of typical size for its type.
fn typical_output(plan: &RunPlan, blocks: &[BlockInput], batched: bool) -> Value {
    let one = |b: &BlockInput| -> Map<String, Value> {
        plan.properties
            .iter()
            .map(|(name, spec)| (name.clone(), typical_value(name, spec, &b.content, 0)))
            .collect()
    };
    if !batched {
        return blocks
            .first()
            .map(|b| Value::Object(one(b)))
            .unwrap_or_default();
    }
    let results: Vec<Value> = blocks
        .iter()
        .map(|b| {
            let mut m = Map::new();
            m.insert(plan.pack_key.clone(), json!(b.block_index));
            m.extend(one(b));
            Value::Object(m)
        })
        .collect();
    json!({ "results": results })
}

/// Characters of a short free string (a label, a name, a few words).
const SHORT_TEXT_CHARS: usize = 40;

/// A value of typical size for `spec`: the middle enum value, a number inside its bounds, a
/// short string, or (for free-text names such as summary or rewrite) text as long as the block.
fn typical_value(name: &str, spec: &Value, content: &str, depth: u32) -> Value {
    if let Some(c) = spec.get("const") {
        return c.clone();
    }
    if let Some(Value::Array(options)) = spec.get("enum") {
        let mut by_len: Vec<&Value> = options.iter().collect();
        by_len.sort_by_key(|v| v.to_string().len());
        if let Some(v) = by_len.get(by_len.len() / 2) {
            return (*v).clone();
        }
    }
    let ty = ValueType::of(spec);
    let bound = |k: &str| spec.get(k).and_then(Value::as_f64);
    match ty {
        ValueType::Integer => {
            let (lo, hi) = (
                bound("minimum").unwrap_or(0.0),
                bound("maximum").unwrap_or(99.0),
            );
            json!(((lo + hi) / 2.0).round() as i64)
        }
        ValueType::Number => {
            let (lo, hi) = (
                bound("minimum").unwrap_or(0.0),
                bound("maximum").unwrap_or(1.0),
            );
            json!(((lo + hi) / 2.0 * 100.0).round() / 100.0)
        }
        ValueType::Boolean => json!(false),
        ValueType::Null => Value::Null,
        ValueType::Array if depth < 4 => {
            let items = spec
                .get("items")
                .cloned()
                .unwrap_or(json!({"type": "string"}));
            let n = spec
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(2)
                .max(1);
            Value::Array(
                (0..n)
                    .map(|_| typical_value(name, &items, content, depth + 1))
                    .collect(),
            )
        }
        ValueType::Object if depth < 4 => Value::Object(
            spec.get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .map(|(k, s)| (k.clone(), typical_value(k, s, content, depth + 1)))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        ValueType::Array => json!([]),
        ValueType::Object => json!({}),
        ValueType::String => {
            let chars = if super::pack::is_free_text_name(name) {
                content.chars().count().max(SHORT_TEXT_CHARS)
            } else {
                SHORT_TEXT_CHARS
            };
            let chars = spec
                .get("maxLength")
                .and_then(Value::as_u64)
                .map_or(chars, |m| chars.min(m as usize));
            Value::String("x".repeat(chars))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_values_follow_the_schema() {
        let v = typical_value("label", &json!({"enum": ["a", "bbb", "cc"]}), "", 0);
        assert_eq!(v, json!("cc"));
        assert_eq!(
            typical_value(
                "score",
                &json!({"type": "integer", "minimum": 0, "maximum": 9}),
                "",
                0
            ),
            json!(5)
        );
        let long = "word ".repeat(100);
        let s = typical_value("summary", &json!({"type": "string"}), &long, 0);
        assert_eq!(s.as_str().unwrap().len(), long.len());
        let t = typical_value("title", &json!({"type": ["string", "null"]}), &long, 0);
        assert_eq!(t.as_str().unwrap().len(), SHORT_TEXT_CHARS);
        // No `type` but `items`: an array, as the fake provider answers it (one shared reader).
        let tags = typical_value("tags", &json!({"items": {"type": "boolean"}}), "", 0);
        assert_eq!(tags, json!([false, false]));
    }
}
