//! `schema calls`: every schema assistant call (suggest / refine) with its tokens and cost,
//! human or `--json`. Read-only, like the other read commands.

use serde_json::{json, Value};

use super::output::{one_line, print_json};
use super::Ctx;
use crate::model::AssistCall;
use crate::provider::format_cost;

pub fn run(ctx: &Ctx) -> anyhow::Result<u8> {
    let ws = ctx.open_read()?;
    let calls = ws.assist_calls()?;
    if ctx.json {
        let list: Vec<Value> = calls.iter().map(call_json).collect();
        let total: f64 = calls.iter().filter_map(|c| c.cost).sum();
        let unpriced = calls.iter().filter(|c| c.cost.is_none()).count();
        print_json(&json!({"calls": list, "total_cost": total, "unpriced_calls": unpriced}))?;
        return Ok(0);
    }
    if calls.is_empty() {
        outln!("no schema assistant calls yet (`blockwise schema suggest` makes one)");
        return Ok(0);
    }
    outln!(
        "{:>4}  {:<7}  {:<9}  {:<20}  {:>2}  {:>7}  {:>6}  {:>9}  {:<9}  PROMPT / DETAIL",
        "SEQ",
        "TASK",
        "PROVIDER",
        "MODEL",
        "#",
        "IN",
        "OUT",
        "COST",
        "OUTCOME"
    );
    for c in &calls {
        outln!(
            "{:>4}  {:<7}  {:<9}  {:<20}  {:>2}  {:>7}  {:>6}  {:>9}  {:<9}  {}",
            c.seq,
            c.task,
            c.provider,
            one_line(&c.model, 20),
            c.attempt,
            c.usage.input_tokens,
            c.usage.output_tokens,
            format_cost(c.cost),
            c.outcome,
            one_line(c.detail.as_deref().unwrap_or(&c.prompt), 120)
        );
    }
    let total: f64 = calls.iter().filter_map(|c| c.cost).sum();
    outln!(
        "{} calls, {} in total",
        calls.len(),
        format_cost(Some(total))
    );
    Ok(0)
}

/// One call on one line (suggest / refine print theirs on stderr).
pub(super) fn call_line(c: &AssistCall) -> String {
    let what = match c.outcome.as_str() {
        "ok" => "ok".to_string(),
        other => format!(
            "{other}: {}",
            one_line(c.detail.as_deref().unwrap_or(""), 160)
        ),
    };
    format!(
        "call {} (attempt {}): {} in / {} out tokens, {}, {} ms, {what}",
        c.seq,
        c.attempt,
        c.usage.input_tokens,
        c.usage.output_tokens,
        format_cost(c.cost),
        c.latency_ms
    )
}

pub(super) fn call_json(c: &AssistCall) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}
