//! `blockwise run estimate` against what a finished run on the fake Anthropic provider really
//! used (real binary, real HTTP over loopback, real redb file), and `run create --sample N`.

mod support;

use std::path::Path;

use serde_json::Value;

const KEY: &str = "sk-ant-test-estimate-0000";

fn cli(dir: &Path, fake: &support::FakeServer, args: &[&str]) -> (i32, String, String) {
    let out = support::blockwise_in(dir)
        .arg("--store")
        .arg(dir.join("s.redb"))
        .args(args)
        .current_dir(dir)
        .env("BLOCKWISE_USER", "tester")
        .env("ANTHROPIC_API_KEY", KEY)
        .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url())
        .output()
        .unwrap();
    support::outcome(out)
}

fn json_of(dir: &Path, fake: &support::FakeServer, args: &[&str]) -> Value {
    let (code, out, err) = cli(dir, fake, args);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// A document of paragraphs of varied length and a label schema, ingested and saved.
fn workspace(dir: &Path, fake: &support::FakeServer, paragraphs: usize) -> String {
    let text: String = (0..paragraphs)
        .map(|i| {
            let words = 8 + (i * 7) % 60;
            let body: Vec<String> = (0..words)
                .map(|w| format!("word{}", (i + w) % 13))
                .collect();
            format!("Paragraph {i}: {}.\n\n", body.join(" "))
        })
        .collect();
    std::fs::write(dir.join("doc.md"), text).unwrap();
    // A system prompt above claude-haiku-4-5's minimum cacheable length (4096 tokens), so the
    // estimate counts it as cached as the provider does (a shorter one is never cached).
    let rules: String = (0..400)
        .map(|i| format!("Rule {i}: label each block on its own merits. "))
        .collect();
    let schema = serde_json::json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "question", "other"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 9},
        "has_question": {"type": "boolean"}
    }, "prompt_config": {"system_instructions": rules}});
    std::fs::write(dir.join("label.json"), schema.to_string()).unwrap();
    let docs = json_of(dir, fake, &["--json", "ingest", "doc.md"]);
    let conv = docs[0]["conv_uid"].as_str().unwrap().to_string();
    let (code, out, err) = cli(
        dir,
        fake,
        &["schema", "add", "label.json", "--ref", "label"],
    );
    assert_eq!(code, 0, "{out}{err}");
    conv
}

/// `run VERB DOC label --provider P` plus `extra`.
fn run_args<'a>(
    verb: &'a str,
    conv: &'a str,
    provider: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut v = vec!["run", verb, conv, "label", "--provider", provider];
    v.extend_from_slice(extra);
    v
}

fn within(estimated: f64, used: f64, what: &str) {
    let off = (estimated - used).abs() / used.max(1.0);
    assert!(
        off <= 0.10,
        "{what}: estimated {estimated}, used {used} ({:.1}% off)",
        off * 100.0
    );
}

#[test]
fn the_estimate_is_within_ten_percent_of_what_a_finished_run_used() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("home")).unwrap();
    // The fake stands in for Anthropic behind a gateway (ANTHROPIC_BASE_URL), where the model
    // keeps its built-in price (issue 20 item 9); the user's prices.json sets it here.
    std::fs::create_dir_all(d.join("config")).unwrap();
    std::fs::write(
        d.join("config").join("prices.json"),
        r#"{"models": {"claude-haiku-4-5": {"input": 1.0, "output": 5.0, "cache_write": 1.25, "cache_read": 0.1}}}"#,
    )
    .unwrap();
    let fake = support::fake();
    let conv = workspace(d, &fake, 120);
    let conv = &conv[..12];
    let est = json_of(
        d,
        &fake,
        &run_args(
            "estimate",
            conv,
            "anthropic",
            &["--model", "claude-haiku-4-5", "--json"],
        ),
    );
    // The human form says the same.
    let (code, human, err) = cli(
        d,
        &fake,
        &run_args(
            "estimate",
            conv,
            "anthropic",
            &["--model", "claude-haiku-4-5"],
        ),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        human.contains(&format!("calls {}", est["calls"])),
        "{human}"
    );
    let run = json_of(
        d,
        &fake,
        &run_args(
            "create",
            conv,
            "anthropic",
            &["--model", "claude-haiku-4-5", "--json"],
        ),
    );
    let run_id = run["run_id"].as_str().unwrap();
    let (code, out, err) = cli(d, &fake, &["run", "start", run_id]);
    assert_eq!(code, 0, "{out}{err}");
    let status = json_of(d, &fake, &["--json", "run", "status", run_id]);
    let usage = &status["run"]["usage"];
    let tokens = usage; // token counts are flattened into usage
    let used = |k: &str| tokens[k].as_f64().unwrap();
    let est_f = |k: &str| est[k].as_f64().unwrap();
    println!("estimate: {est}");
    println!("used:     {usage}");
    println!(
        "calls {} vs {}; input {} vs {}; cache-write {} vs {}; cache-read {} vs {}; output {} vs {}; cost {} vs {}",
        est["calls"], usage["calls"],
        est["input_tokens"], tokens["input_tokens"],
        est["cache_write_tokens"], tokens["cache_write_tokens"],
        est["cache_read_tokens"], tokens["cache_read_tokens"],
        est["output_tokens"], tokens["output_tokens"],
        est["cost_usd"], usage["cost_usd"],
    );
    assert_eq!(status["run"]["status"], "complete");
    assert_eq!(usage["failed_calls"], 0, "a clean run, no retries");
    within(est_f("calls"), usage["calls"].as_f64().unwrap(), "calls");
    let all_in = |f: &dyn Fn(&str) -> f64| {
        f("input_tokens") + f("cache_write_tokens") + f("cache_read_tokens")
    };
    within(all_in(&est_f), all_in(&used), "all input tokens");
    within(
        est_f("input_tokens"),
        used("input_tokens"),
        "uncached input tokens",
    );
    within(
        est_f("output_tokens"),
        used("output_tokens"),
        "output tokens",
    );
    within(
        est_f("cost_usd"),
        usage["cost_usd"].as_f64().unwrap(),
        "cost",
    );
    assert!(
        est["calls"].as_u64().unwrap() > 1,
        "packing made several calls"
    );
}

#[test]
fn a_sample_run_covers_the_first_n_blocks_and_exports_only_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = support::fake();
    let conv = workspace(d, &fake, 30);
    let conv = &conv[..12];
    let est = json_of(
        d,
        &fake,
        &run_args("estimate", conv, "demo", &["--sample", "7", "--json"]),
    );
    assert_eq!(
        (est["blocks"].as_u64(), est["document_blocks"].as_u64()),
        (Some(7), Some(30))
    );
    let run = json_of(
        d,
        &fake,
        &run_args("create", conv, "demo", &["--sample", "7", "--json"]),
    );
    assert_eq!(run["counters"]["total"], 7);
    assert_eq!(run["sample"], 7, "the run says it is a sample");
    let run_id = run["run_id"].as_str().unwrap();
    let (code, out, err) = cli(d, &fake, &["run", "start", run_id]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = cli(
        d,
        &fake,
        &["export", run_id, "--mode", "staging", "-o", "out.jsonl"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let lines = std::fs::read_to_string(d.join("out.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 7, "{lines}");
    // Bad input: a clear refusal, nothing created.
    let before = json_of(d, &fake, &["--json", "run", "list"])
        .as_array()
        .unwrap()
        .len();
    let (code, _, err) = cli(
        d,
        &fake,
        &run_args("create", conv, "demo", &["--sample", "0"]),
    );
    assert_eq!(code, 1);
    assert!(err.contains("--sample 0"), "{err}");
    let after = json_of(d, &fake, &["--json", "run", "list"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
}
