//! `run compare A B [--field F]` and `run compare RUN --gold GOLD` (SPEC §4a, CLI.md).

use super::output::{one_line, print_json, short_id};
use super::{Ctx, Exit};
use crate::evidence::compare::FieldTally;
use crate::evidence::compare_runs::Comparison;
use crate::workspace::Workspace;

/// Blocks listed per field in human output (all of them are in `--json`).
const LISTED: usize = 20;

pub(super) fn compare(
    ctx: &Ctx,
    ws: &Workspace,
    a: &str,
    b: Option<&str>,
    gold: Option<&str>,
    field: Option<&str>,
) -> anyhow::Result<u8> {
    let (other, is_gold) = match (b, gold) {
        (Some(b), None) => (b, false),
        (None, Some(g)) => (g, true),
        (Some(_), Some(_)) => {
            return Err(Exit::new(2, "give either B or --gold GOLD, not both").into())
        }
        (None, None) => {
            return Err(Exit::new(
                2,
                "missing B: `run compare A B` or `run compare RUN --gold GOLD`",
            )
            .into())
        }
    };
    let c = ws.compare_runs(a, other, field, is_gold)?;
    if ctx.json {
        print_json(&json_of(&c))?;
        return Ok(0);
    }
    print_human(&c);
    Ok(0)
}

fn json_of(c: &Comparison) -> serde_json::Value {
    let fields: Vec<serde_json::Value> = c
        .fields
        .iter()
        .map(|t| {
            serde_json::json!({
                "field": t.field,
                "categorical": t.categorical,
                "compared": t.compared,
                "exact": t.exact,
                "exact_rate": t.exact_rate(),
                "normalized": t.normalized,
                "normalized_rate": t.normalized_rate(),
                "kappa": t.kappa(),
                "only_a": t.only_a,
                "only_b": t.only_b,
                "differing": t.differing.iter().map(|(d, i)| serde_json::json!({
                    "conv_uid": c.documents[*d as usize], "block_index": i
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "a": c.a, "b": c.b, "gold": c.gold, "documents": c.documents,
        "fields": fields, "not_compared": c.not_compared,
    })
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn print_human(c: &Comparison) {
    if c.gold {
        outln!(
            "{} scored against the confirmed values of {} (gold)",
            c.a,
            c.b
        );
    } else {
        outln!("A {}  vs  B {}", c.a, c.b);
    }
    let (agree, differ) = if c.gold {
        ("ACCURACY", "WRONG")
    } else {
        ("EXACT", "DIFFER")
    };
    outln!(
        "{:<24} {:>7} {:>9} {:>10} {:>7} {:>7}",
        "FIELD",
        "BLOCKS",
        agree,
        "NORMALIZED",
        "KAPPA",
        differ
    );
    for t in &c.fields {
        outln!(
            "{:<24} {:>7} {:>9} {:>10} {:>7} {:>7}",
            one_line(&t.field, 24),
            t.compared,
            pct(t.exact_rate()),
            pct(t.normalized_rate()),
            t.kappa()
                .map(|k| format!("{k:.3}"))
                .unwrap_or_else(|| "-".into()),
            t.differing.len()
        );
    }
    for n in &c.not_compared {
        outln!(
            "not compared: {} (only in {})",
            one_line(&n.field, 60),
            n.only_in
        );
    }
    for t in &c.fields {
        print_differences(c, t);
    }
}

fn print_differences(c: &Comparison, t: &FieldTally) {
    let side = |n: u64, who: &str| (n > 0).then(|| format!("{n} blocks only {who} answered"));
    let a = if c.gold { "the candidate" } else { "A" };
    let b = if c.gold { "gold" } else { "B" };
    for line in [side(t.only_a, a), side(t.only_b, b)].into_iter().flatten() {
        outln!("{}: {line}", one_line(&t.field, 60));
    }
    if t.differing.is_empty() {
        return;
    }
    let many_docs = c.documents.len() > 1;
    let name = |(d, i): (u32, u32)| {
        if many_docs {
            format!("{}:{i}", short_id(&c.documents[d as usize]))
        } else {
            i.to_string()
        }
    };
    let listed: Vec<String> = t.differing.iter().take(LISTED).map(|x| name(*x)).collect();
    let more = t.differing.len().saturating_sub(LISTED);
    let tail = if more > 0 {
        format!(" (+{more} more)")
    } else {
        String::new()
    };
    let what = if c.gold { "wrong" } else { "differ" };
    outln!(
        "{}: {} blocks {what}: {}{tail}",
        one_line(&t.field, 60),
        t.differing.len(),
        listed.join(", ")
    );
    for d in t.shown.iter().take(3) {
        outln!(
            "  block {}: {a} {}  {b} {}",
            name((d.doc, d.block_index)),
            one_line(&d.a.to_string(), 60),
            one_line(&d.b.to_string(), 60)
        );
    }
}
