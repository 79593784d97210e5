//! Batch mode through the real binary (issue 24): `run estimate --batch`, `run start --batch`
//! against the fake's Message Batches API over loopback, `run status` showing the batches, and
//! the refusal for providers without a batch API.

mod support;

use std::path::Path;

use serde_json::Value;

fn cli(dir: &Path, fake: &support::FakeServer, args: &[&str]) -> (i32, String, String) {
    let out = support::blockwise_in(dir)
        .arg("--store")
        .arg(dir.join("s.redb"))
        .args(args)
        .current_dir(dir)
        .env("BLOCKWISE_USER", "tester")
        .env("ANTHROPIC_API_KEY", "sk-ant-test-batch-0000")
        .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url())
        .output()
        .unwrap();
    support::outcome(out)
}

fn ok(dir: &Path, fake: &support::FakeServer, args: &[&str]) -> String {
    let (code, out, err) = cli(dir, fake, args);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out
}

fn workspace(dir: &Path, fake: &support::FakeServer, paragraphs: usize) -> String {
    let text: String = (0..paragraphs)
        .map(|i| format!("Paragraph {i} states a plain fact.\n\n"))
        .collect();
    std::fs::write(dir.join("doc.md"), text).unwrap();
    let schema = serde_json::json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]}
    }});
    std::fs::write(dir.join("label.json"), schema.to_string()).unwrap();
    let docs: Value =
        serde_json::from_str(&ok(dir, fake, &["--json", "ingest", "doc.md"])).unwrap();
    ok(
        dir,
        fake,
        &["schema", "add", "label.json", "--ref", "label"],
    );
    docs[0]["conv_uid"].as_str().unwrap().to_string()
}

#[test]
fn estimate_batch_prices_the_same_packs_at_half_and_demo_refuses_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = support::fake();
    let conv = workspace(d, &fake, 30);
    let args = [
        "--json",
        "run",
        "estimate",
        &conv,
        "label",
        "--provider",
        "anthropic",
        "--batch",
    ];
    let e: Value = serde_json::from_str(&ok(d, &fake, &args)).unwrap();
    let real = e["cost_usd"].as_f64().unwrap();
    assert!(real > 0.0);
    assert_eq!(e["batch"]["requests"], e["calls"]);
    assert_eq!(e["batch"]["batches"], 1);
    assert!((e["batch"]["cost_usd"].as_f64().unwrap() - real / 2.0).abs() < 1e-12);
    let human = ok(d, &fake, &args[1..]);
    assert!(human.contains("at the batch price"), "{human}");
    let (code, out, err) = cli(
        d,
        &fake,
        &[
            "run",
            "estimate",
            &conv,
            "label",
            "--provider",
            "demo",
            "--batch",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("demo provider has no batch API"), "{err}");
}

#[test]
fn run_start_batch_completes_and_status_shows_the_ended_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = support::fake();
    let conv = workspace(d, &fake, 12);
    ok(
        d,
        &fake,
        &["policy", "set", "worker.batch_api.poll_seconds_min", "1"],
    );
    ok(
        d,
        &fake,
        &["policy", "set", "worker.batch_api.poll_seconds_max", "1"],
    );
    let run: Value = serde_json::from_str(&ok(
        d,
        &fake,
        &[
            "--json",
            "run",
            "create",
            &conv,
            "label",
            "--provider",
            "anthropic",
        ],
    ))
    .unwrap();
    let id = run["run_id"].as_str().unwrap();
    ok(d, &fake, &["--quiet", "run", "start", id, "--batch"]);
    assert_eq!(fake.batches_created(), 1);
    assert_eq!(fake.call_count(), 0, "no real-time call");
    let status = ok(d, &fake, &["run", "status", id]);
    assert!(status.contains("status    complete"), "{status}");
    assert!(status.contains("batches   0 open, 1 ended"), "{status}");
    assert!(status.contains("msgbatch_fake0001  joined"), "{status}");
    assert!(status.contains("results until"), "{status}");
    let json: Value =
        serde_json::from_str(&ok(d, &fake, &["--json", "run", "status", id])).unwrap();
    assert_eq!(json["batches"][0]["state"], "joined");
    let calls: Value =
        serde_json::from_str(&ok(d, &fake, &["--json", "run", "calls", id])).unwrap();
    let calls = calls.as_array().unwrap();
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c["mode"] == "batch"),
        "{calls:?}"
    );
}

#[test]
fn run_start_batch_on_a_demo_run_is_refused_before_anything_is_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = support::fake();
    let conv = workspace(d, &fake, 3);
    let run: Value = serde_json::from_str(&ok(
        d,
        &fake,
        &[
            "--json",
            "run",
            "create",
            &conv,
            "label",
            "--provider",
            "demo",
        ],
    ))
    .unwrap();
    let id = run["run_id"].as_str().unwrap();
    let (code, out, err) = cli(d, &fake, &["run", "start", id, "--batch"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no batch API"), "{err}");
    let status: Value =
        serde_json::from_str(&ok(d, &fake, &["--json", "run", "status", id])).unwrap();
    assert_eq!(status["run"]["counters"]["pending"], 3);
}
