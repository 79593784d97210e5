//! Gemini batch mode through the real binary (issue 24): `run estimate --batch --provider
//! google`, `run start --batch` against the fake's Gemini Batch API over loopback (the key and
//! its stored base URL from `keys set google`), `run status` showing the batch, and `run
//! cancel` of a run whose worker was killed with its batch open.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use blockwise::fake::FakeBatchConfig;
use serde_json::Value;

const KEY: &str = "gem-cli-test-key-0000";

fn cli(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = support::blockwise_in(dir)
        .arg("--store")
        .arg(dir.join("s.redb"))
        .args(args)
        .current_dir(dir)
        .env("BLOCKWISE_USER", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    support::feed_stdin(&mut child, stdin.as_bytes());
    support::outcome(child.wait_with_output().unwrap())
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = cli(dir, args, "");
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out
}

/// A document of `paragraphs` blocks, a schema, and a google key at the fake; the conv uid.
fn workspace(dir: &Path, fake: &support::FakeServer, paragraphs: usize) -> String {
    let text: String = (0..paragraphs)
        .map(|i| format!("Paragraph {i} states a plain fact.\n\n"))
        .collect();
    std::fs::write(dir.join("doc.md"), text).unwrap();
    let schema = serde_json::json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]}
    }});
    std::fs::write(dir.join("label.json"), schema.to_string()).unwrap();
    let docs: Value = serde_json::from_str(&ok(dir, &["--json", "ingest", "doc.md"])).unwrap();
    ok(dir, &["schema", "add", "label.json", "--ref", "label"]);
    let url = fake.google_base_url();
    let (code, out, err) = cli(
        dir,
        &["keys", "set", "google", "--stdin", "--base-url", &url],
        KEY,
    );
    assert_eq!(code, 0, "{out}{err}");
    fake.set_expected_key(Some(KEY.into()));
    for k in ["min", "max"] {
        ok(
            dir,
            &[
                "policy",
                "set",
                &format!("worker.batch_api.poll_seconds_{k}"),
                "1",
            ],
        );
    }
    docs[0]["conv_uid"].as_str().unwrap().to_string()
}

fn create_run(dir: &Path, conv: &str) -> String {
    let run: Value = serde_json::from_str(&ok(
        dir,
        &[
            "--json",
            "run",
            "create",
            conv,
            "label",
            "--provider",
            "google",
        ],
    ))
    .unwrap();
    run["run_id"].as_str().unwrap().to_string()
}

#[test]
fn estimate_batch_with_google_prices_the_same_packs_at_half() {
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
        "google",
        "--batch",
    ];
    let e: Value = serde_json::from_str(&ok(d, &args)).unwrap();
    let real = e["cost_usd"].as_f64().unwrap();
    assert!(real > 0.0, "{e}");
    assert_eq!(e["model"], "gemini-2.5-flash");
    assert_eq!(e["batch"]["requests"], e["calls"]);
    assert_eq!(e["batch"]["batches"], 1);
    assert!((e["batch"]["cost_usd"].as_f64().unwrap() - real / 2.0).abs() < 1e-12);
    let human = ok(d, &args[1..]);
    assert!(human.contains("at the batch price"), "{human}");
}

#[test]
fn run_start_batch_with_google_completes_and_status_shows_the_joined_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = support::fake();
    let conv = workspace(d, &fake, 12);
    let id = create_run(d, &conv);
    ok(d, &["--quiet", "run", "start", &id, "--batch"]);
    assert_eq!(fake.batches_created(), 1);
    assert_eq!(fake.call_count(), 0, "no real-time call");
    let status = ok(d, &["run", "status", &id]);
    assert!(status.contains("status    complete"), "{status}");
    assert!(status.contains("batches   0 open, 1 ended"), "{status}");
    assert!(status.contains("batches/fake0001  joined"), "{status}");
    let calls: Value = serde_json::from_str(&ok(d, &["--json", "run", "calls", &id])).unwrap();
    let calls = calls.as_array().unwrap();
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c["mode"] == "batch"),
        "{calls:?}"
    );
}

#[test]
fn run_cancel_cancels_the_open_gemini_batch_of_a_killed_worker() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = support::fake();
    let conv = workspace(d, &fake, 4);
    ok(d, &["policy", "set", "worker.batching.pack_size", "1"]);
    fake.set_batch_config(FakeBatchConfig {
        processing: Duration::from_secs(60),
        done_before_cancel: 2,
        ..Default::default()
    });
    let id = create_run(d, &conv);
    let mut worker = support::blockwise_in(d)
        .arg("--store")
        .arg(d.join("s.redb"))
        .args(["--quiet", "run", "start", &id, "--batch"])
        .env("BLOCKWISE_USER", "tester")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while fake.batches_created() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no batch was created"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let the worker record the provider's answer, then kill it (no clean shutdown).
    std::thread::sleep(Duration::from_millis(500));
    worker.kill().unwrap();
    worker.wait().unwrap();
    ok(d, &["run", "cancel", &id]);
    assert_eq!(
        fake.batch_cancels(),
        1,
        "the open batch was cancelled at the provider"
    );
    assert_eq!(fake.batches_created(), 1, "nothing was submitted again");
    let status: Value = serde_json::from_str(&ok(d, &["--json", "run", "status", &id])).unwrap();
    let c = &status["run"]["counters"];
    assert_eq!(status["run"]["status"], "cancelled", "{status}");
    assert_eq!(
        (c["ai_complete"].as_u64(), c["pending"].as_u64()),
        (Some(2), Some(2)),
        "{c}"
    );
    assert_eq!(c["claimed"], 0);
}
