//! Issue 23 item 4: failures you can act on. Every failed call says why in the call log,
//! `run status` counts failed calls and lists failures by cause (human and `--json`), and a
//! failed block keeps the model's invalid answer so a reviewer can fix the bad field and
//! confirm it. Real binary, real redb file, real HTTP to the fake provider.

mod support;

use std::path::PathBuf;
use std::process::Command;

use blockwise::model::OverlayStatus;
use blockwise::store::Store;
use serde_json::{json, Value};
use support::{FakeScript, Fault};

struct Ws {
    dir: tempfile::TempDir,
    store: PathBuf,
    run_id: String,
    fake: support::FakeServer,
}

impl Ws {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = support::blockwise_in(self.dir.path());
        c.arg("--store")
            .arg(&self.store)
            .args(args)
            .env("ANTHROPIC_API_KEY", "sk-ant-test")
            .env("ANTHROPIC_BASE_URL", self.fake.anthropic_base_url());
        c
    }

    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        support::outcome(self.cmd(args).output().unwrap())
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let (code, out, err) = self.cli(&all);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }
}

/// Three paragraphs, a schema whose `score` is at most 10, singles (no packs), one attempt
/// per block, and an anthropic run; the fake answers block 0 with score 11 and refuses block 1.
fn failed_run() -> Ws {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("ws.redb");
    let doc = dir.path().join("doc.md");
    let text: String = (0..3)
        .map(|i| format!("Paragraph {i} says something plain.\n\n"))
        .collect();
    std::fs::write(&doc, text).unwrap();
    let schema = dir.path().join("s.json");
    let s = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 10}
    }});
    std::fs::write(&schema, s.to_string()).unwrap();
    let mut w = Ws {
        dir,
        store,
        run_id: String::new(),
        fake: support::fake(),
    };
    let doc = doc.to_str().unwrap().to_string();
    assert_eq!(w.cli(&["ingest", &doc]).0, 0);
    assert_eq!(
        w.cli(&["schema", "add", schema.to_str().unwrap(), "--ref", "s"])
            .0,
        0
    );
    for (k, v) in [
        ("worker.max_retries", "1"),
        ("worker.batching.enabled", "false"),
    ] {
        let (code, _, err) = w.cli(&["policy", "set", k, v, "--reason", "test"]);
        assert_eq!(code, 0, "{err}");
    }
    let conv = w.json(&["docs"])[0]["conv_uid"]
        .as_str()
        .unwrap()
        .to_string();
    let run = w.json(&["run", "create", &conv, "s", "--provider", "anthropic"]);
    w.run_id = run["run_id"].as_str().unwrap().to_string();
    w.fake.script(
        FakeScript::new()
            .then(Fault::InvalidValue {
                field: "score".into(),
                value: json!(11),
            })
            .then(Fault::BadRequest),
    );
    let (code, out, err) = w.cli(&["run", "start", &w.run_id, "--concurrency", "1"]);
    assert_eq!(code, 5, "{out}{err}");
    w
}

#[test]
fn every_failed_call_says_why_and_status_counts_and_groups_the_failures() {
    let w = failed_run();
    let calls = w.json(&["run", "calls", &w.run_id]);
    let failed: Vec<&Value> = calls
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "failed" || c["outcome"].as_str().unwrap().starts_with("error"))
        .collect();
    assert_eq!(failed.len(), 2, "{calls:#}");
    for c in &failed {
        let detail = c["detail"].as_str().unwrap_or("");
        assert!(
            !detail.is_empty(),
            "a failed call without its reason: {c:#}"
        );
    }
    let invalid = failed.iter().find(|c| c["outcome"] == "failed").unwrap();
    assert!(
        invalid["detail"].as_str().unwrap().contains(
            "block 0: invalid answer: field 'score': 11 is greater than the maximum of 10"
        ),
        "{invalid:#}"
    );

    // The human call log shows the whole reason, not its first 60 characters.
    let (_, out, _) = w.cli(&["run", "calls", &w.run_id]);
    assert!(
        out.contains(
            "block 0: invalid answer: field 'score': 11 is greater than the maximum of 10"
        ),
        "{out}"
    );
    let status = w.json(&["run", "status", &w.run_id]);
    assert_eq!(status["run"]["usage"]["failed_calls"], 2, "{status:#}");
    let failures = status["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{status:#}");
    let by_cause = |cause: &str| {
        failures
            .iter()
            .find(|f| f["cause"].as_str().unwrap().contains(cause))
            .unwrap_or_else(|| panic!("no cause {cause}: {failures:#?}"))
    };
    let score = by_cause("invalid answer (field 'score')");
    assert_eq!(score["count"], 1);
    assert_eq!(score["blocks"], json!([0]));
    assert!(score["example"].as_str().unwrap().contains("maximum of 10"));
    assert_eq!(by_cause("bad request")["blocks"], json!([1]));

    let (code, out, err) = w.cli(&["run", "status", &w.run_id]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("failed 2)"), "{out}");
    assert!(
        out.contains("failures  2 blocks failed, 2 cause(s)"),
        "{out}"
    );
    assert!(
        out.contains("1 × invalid answer (field 'score')  blocks 0"),
        "{out}"
    );
    assert!(
        out.contains("e.g. block 0: invalid answer: field 'score': 11"),
        "{out}"
    );
}

#[test]
fn a_failed_block_keeps_its_invalid_answer_and_is_salvaged_by_an_edit_then_confirmed() {
    let w = failed_run();
    let answer = {
        let store = Store::open_read_only(&w.store).unwrap();
        let ov = store.overlay(&w.run_id, 0).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::Failed);
        ov.invalid_answer
            .expect("the model's invalid answer is kept")
    };
    assert_eq!(answer["score"], 11, "{answer}");
    // A value that still breaks the rule is refused; the block stays failed.
    let (code, _, err) = w.cli(&["review", "edit", &w.run_id, "0", "score", "12"]);
    assert_ne!(code, 0);
    assert!(err.contains("maximum of 10"), "{err}");
    let (code, out, err) = w.cli(&["review", "edit", &w.run_id, "0", "score", "7"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = w.cli(&["review", "confirm", &w.run_id, "--blocks", "0"]);
    assert_eq!(code, 0, "{out}{err}");
    let store = Store::open_read_only(&w.store).unwrap();
    let ov = store.overlay(&w.run_id, 0).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::Confirmed);
    let confirmed = ov.confirmed.unwrap();
    assert_eq!(confirmed["score"], 7);
    assert_eq!(
        confirmed["label"], answer["label"],
        "the rest of the answer is kept"
    );
    let run = store.get_run(&w.run_id).unwrap().unwrap();
    assert_eq!(run.counters.failed, 1, "{:?}", run.counters);
    assert_eq!(run.counters.confirmed, 1, "{:?}", run.counters);
    drop(store);
    let log = w.json(&["review", "log", &w.run_id]);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["edit", "confirm"], "{log:#}");
}

#[test]
fn a_groups_status_lists_each_members_failures_by_cause() {
    let w = failed_run();
    let doc2 = w.dir.path().join("two.md");
    std::fs::write(&doc2, "Another document.\n\nIts second paragraph.\n").unwrap();
    let doc1 = w.dir.path().join("doc.md");
    let (code, _, err) = w.cli(&[
        "ingest",
        doc1.to_str().unwrap(),
        doc2.to_str().unwrap(),
        "--project",
        "p",
    ]);
    assert_eq!(code, 0, "{err}");
    let group = w.json(&[
        "run",
        "create",
        "--project",
        "p",
        "s",
        "--provider",
        "anthropic",
    ]);
    let gid = group["group"]["group_id"]
        .as_str()
        .or(group["group_id"].as_str())
        .unwrap_or_else(|| panic!("{group:#}"))
        .to_string();
    // Nobody works on it yet: idle, as a run is (issue 23 item 6).
    let (_, out, _) = w.cli(&["run", "status", &gid]);
    assert!(out.contains("status    idle"), "{out}");
    let (_, out, _) = w.cli(&["run", "list"]);
    assert!(out.contains(&format!("{gid}  idle  2 runs")), "{out}");
    w.fake.script(FakeScript::new().then(Fault::InvalidValue {
        field: "score".into(),
        value: json!(11),
    }));
    let (code, out, err) = w.cli(&["run", "start", &gid, "--concurrency", "1"]);
    assert_eq!(code, 5, "{out}{err}");
    let status = w.json(&["run", "status", &gid]);
    let failures = status["failures"].as_object().unwrap();
    assert_eq!(failures.len(), 1, "{status:#}");
    let (_, causes) = failures.iter().next().unwrap();
    assert_eq!(causes[0]["cause"], "invalid answer (field 'score')");
    let (code, out, _) = w.cli(&["run", "status", &gid]);
    assert_eq!(code, 0);
    assert!(
        out.contains(": failures  1 blocks failed, 1 cause(s)"),
        "{out}"
    );
    assert!(out.contains("e.g. block 0: invalid answer"), "{out}");
}
