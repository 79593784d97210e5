//! Adaptive packing (SPEC §3): group claimed blocks into model calls under a block cap and
//! input / output token budgets. Pure functions.

use serde_json::{Map, Value};

use crate::policy::WorkerPolicy;

/// About four characters per token.
pub fn estimate_tokens(text: &str) -> u32 {
    (text.chars().count() as u32).div_ceil(4)
}

/// Field names whose values are free text of about the block's own length.
const FREE_TEXT: &[&str] = &[
    "content", "summary", "analysis", "reason", "rewrite", "revised", "final",
];

pub(crate) fn is_free_text_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    FREE_TEXT.iter().any(|f| lower.contains(f))
}

/// What the schema's shape says about output size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputShape {
    pub fields: u32,
    pub arrays: u32,
    pub objects: u32,
    pub free_text: u32,
    /// Free-text field names or a `final` field: packs get the text-heavy cap.
    pub text_heavy: bool,
}

impl OutputShape {
    /// Walk the top-level properties (and one level of nesting) of a schema.
    pub fn of(properties: &Map<String, Value>) -> OutputShape {
        let mut s = OutputShape::default();
        fn walk(props: &Map<String, Value>, s: &mut OutputShape, depth: u32) {
            for (name, spec) in props {
                s.fields += 1;
                if is_free_text_name(name) {
                    s.free_text += 1;
                }
                let ty = spec.get("type");
                let has = |t: &str| match ty {
                    Some(Value::String(x)) => x == t,
                    Some(Value::Array(xs)) => xs.iter().any(|x| x == t),
                    _ => false,
                };
                if has("array") {
                    s.arrays += 1;
                }
                if has("object") {
                    s.objects += 1;
                    if depth == 0 {
                        if let Some(inner) = spec.get("properties").and_then(Value::as_object) {
                            walk(inner, s, depth + 1);
                        }
                    }
                }
            }
        }
        walk(properties, &mut s, 0);
        s.text_heavy = s.free_text > 0 || properties.contains_key("final");
        s
    }

    /// Estimated output tokens for one block of `block_tokens` input tokens.
    pub fn block_output_tokens(&self, base: u32, block_tokens: u32) -> u32 {
        base + self.fields * 8
            + self.arrays * 40
            + self.objects * 30
            + self.free_text * (block_tokens + 30)
            + 20 // block_index key and framing
    }
}

/// Budgets of one run, from its policy snapshot, prompts and schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackLimits {
    pub block_cap: u32,
    pub input_budget: u32,
    pub output_budget: u32,
    pub per_block_output_base: u32,
    pub shape: OutputShape,
}

/// Tokens of framing per block in the user message (delimiters, index, type, fence).
pub const BLOCK_FRAMING_TOKENS: u32 = 30;

impl PackLimits {
    pub fn new(
        policy: &WorkerPolicy,
        schema_max_batch_size: Option<u32>,
        shape: OutputShape,
        system_prompt: &str,
        block_prompt: &str,
    ) -> PackLimits {
        let mut cap = policy.pack_size.min(policy.pack_size_max);
        if let Some(m) = schema_max_batch_size {
            cap = cap.min(m);
        }
        if shape.text_heavy {
            cap = cap.min(policy.text_heavy_max_pack_size);
        }
        if !policy.batching {
            cap = 1;
        }
        let input_budget = policy
            .context_window_tokens
            .saturating_sub(policy.output_reserve_tokens)
            .saturating_sub(policy.tool_overhead_tokens)
            .saturating_sub(estimate_tokens(system_prompt))
            .saturating_sub(estimate_tokens(block_prompt));
        PackLimits {
            block_cap: cap.max(1),
            input_budget,
            output_budget: policy.max_output_tokens,
            per_block_output_base: policy.per_block_output_tokens,
            shape,
        }
    }
}

/// Why a pack closed (for tests and telemetry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    BlockCap,
    InputBudget,
    OutputBudget,
    End,
}

/// Split `block_tokens` (input tokens per block, in order) into packs of consecutive indices.
/// A block too big for any budget still gets a pack of its own.
pub fn make_packs(
    block_tokens: &[u32],
    limits: &PackLimits,
) -> Vec<(std::ops::Range<usize>, CloseReason)> {
    let mut packs = Vec::new();
    let mut start = 0usize;
    let (mut input, mut output) = (0u32, 0u32);
    for (i, &tokens) in block_tokens.iter().enumerate() {
        let add_in = tokens + BLOCK_FRAMING_TOKENS;
        let add_out = limits
            .shape
            .block_output_tokens(limits.per_block_output_base, tokens);
        let count = (i - start) as u32;
        if count > 0 {
            let reason = if count >= limits.block_cap {
                Some(CloseReason::BlockCap)
            } else if input + add_in > limits.input_budget {
                Some(CloseReason::InputBudget)
            } else if output + add_out > limits.output_budget {
                Some(CloseReason::OutputBudget)
            } else {
                None
            };
            if let Some(reason) = reason {
                packs.push((start..i, reason));
                start = i;
                input = 0;
                output = 0;
            }
        }
        input += add_in;
        output += add_out;
    }
    if start < block_tokens.len() {
        packs.push((start..block_tokens.len(), CloseReason::End));
    }
    packs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits(cap: u32, input: u32, output: u32) -> PackLimits {
        PackLimits {
            block_cap: cap,
            input_budget: input,
            output_budget: output,
            per_block_output_base: 50,
            shape: OutputShape::default(),
        }
    }

    #[test]
    fn packs_close_on_each_budget() {
        let by_cap = make_packs(&[10; 7], &limits(3, 1_000_000, 1_000_000));
        let sizes: Vec<usize> = by_cap.iter().map(|(r, _)| r.len()).collect();
        assert_eq!(sizes, vec![3, 3, 1]);
        assert_eq!(by_cap[0].1, CloseReason::BlockCap);

        // Each block costs 10 + 30 framing = 40 input tokens; budget 100 fits 2.
        let by_input = make_packs(&[10; 5], &limits(40, 100, 1_000_000));
        assert_eq!(by_input[0], (0..2, CloseReason::InputBudget));

        // Output per block: 50 base + 20 framing = 70; budget 150 fits 2.
        let by_output = make_packs(&[10; 5], &limits(40, 1_000_000, 150));
        assert_eq!(by_output[0], (0..2, CloseReason::OutputBudget));

        // An oversized block is alone, never dropped.
        let big = make_packs(&[10, 5000, 10], &limits(40, 200, 1_000_000));
        let ranges: Vec<_> = big.iter().map(|(r, _)| r.clone()).collect();
        assert_eq!(ranges, vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn schema_shape_drives_output_estimate_and_text_heavy_cap() {
        let props = json!({
            "label": {"type": "string", "enum": ["a", "b"]},
            "entities": {"type": "array", "items": {"type": "string"}},
            "summary": {"type": "string"},
            "final": {"type": "object", "properties": {"content": {"type": "string"}}}
        });
        let shape = OutputShape::of(props.as_object().unwrap());
        assert!(shape.text_heavy);
        assert_eq!((shape.arrays, shape.objects), (1, 1));
        assert_eq!(shape.free_text, 3, "summary, final, final.content");
        let small = OutputShape::of(json!({"label": {"type": "string"}}).as_object().unwrap());
        assert!(!small.text_heavy);
        assert!(shape.block_output_tokens(200, 100) > small.block_output_tokens(200, 100) + 300);

        let policy = WorkerPolicy::default();
        let l = PackLimits::new(&policy, Some(8), shape, "sys", "blk");
        assert_eq!(l.block_cap, policy.text_heavy_max_pack_size.min(8));
        let l = PackLimits::new(&policy, Some(8), small, "sys", "blk");
        assert_eq!(l.block_cap, 8);
        let l = PackLimits::new(&policy, None, small, "sys", "blk");
        assert_eq!(l.block_cap, policy.pack_size);
        let off = WorkerPolicy {
            batching: false,
            ..WorkerPolicy::default()
        };
        assert_eq!(PackLimits::new(&off, None, small, "", "").block_cap, 1);
    }
}
