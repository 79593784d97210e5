//! Issue 20 ("Trust II"), items 0, 1, 5 and 6: one test per promise, each through real parts
//! (the `blockwise` binary as a subprocess, the real redb file, the fake provider over loopback).

mod support;

use std::sync::Arc;

use blockwise::model::OverlayStatus;
use blockwise::policy;
use blockwise::store::Store;
use blockwise::worker::{self, EngineOptions, RunEnd};
use serde_json::{json, Value};
use support::rules::*;
use support::{FakeScript, Fault};
use tokio::sync::watch;

#[test]
fn demo_refuses_to_wipe_a_demo_store_holding_the_users_work() {
    let d = Dir::new();
    let store = d.path("demo.redb");
    let (code, out, err) = d.cli(&store, &["demo", "--headless", "-q"]);
    assert_eq!(code, 0, "{out}{err}");
    // A pristine demo store is replaced by a fresh one.
    let (code, out, err) = d.cli(&store, &["demo", "--headless", "-q"]);
    assert_eq!(code, 0, "a pristine demo store may be reset: {out}{err}");
    // The user adds a document of their own, then asks for the demo again.
    let mine = d.path("mine.md");
    std::fs::write(&mine, "# Mine\n\nMy own paragraph.\n").unwrap();
    let (code, _, err) = d.cli(&store, &["ingest", mine.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let before = file_bytes(&store);
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("would lose 1 document (mine.md)"),
        "names what would be lost: {err}"
    );
    assert!(file_bytes(&store) == before, "store untouched");
    assert_eq!(d.json(&store, &["docs"]).as_array().unwrap().len(), 2);
    // `demo` without --headless and without a terminal refuses the same way.
    let (code, _, err) = d.cli(&store, &["demo"]);
    assert_eq!(code, 1, "{err}");
    assert!(file_bytes(&store) == before, "store untouched");
}

#[test]
fn demo_refuses_runs_policy_changes_and_reviews_added_to_a_demo_store() {
    let d = Dir::new();
    let store = d.path("demo.redb");
    assert_eq!(d.cli(&store, &["demo", "--headless", "-q"]).0, 0);
    let runs = d.json(&store, &["run", "list"]);
    let demo_run = runs[0]["run_id"].as_str().unwrap().to_string();
    let conv = runs[0]["conv_uid"].as_str().unwrap().to_string();
    let (code, _, err) = d.cli(&store, &["review", "confirm", &demo_run, "--blocks", "0"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = d.cli(
        &store,
        &[
            "policy",
            "set",
            "worker.concurrency",
            "2",
            "--reason",
            "mine",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = d.cli(
        &store,
        &[
            "run",
            "create",
            &conv,
            "classification",
            "--provider",
            "demo",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let before = file_bytes(&store);
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    for lost in ["1 run (run_", "1 review action", "1 policy audit entry"] {
        assert!(err.contains(lost), "names {lost:?}: {err}");
    }
    assert!(file_bytes(&store) == before, "store untouched");
}

#[test]
fn demo_refuses_a_project_added_to_a_demo_store() {
    let d = Dir::new();
    let store = d.path("demo.redb");
    assert_eq!(d.cli(&store, &["demo", "--headless", "-q"]).0, 0);
    let (code, _, err) = d.cli(&store, &["project", "create", "mine"]);
    assert_eq!(code, 0, "{err}");
    let before = file_bytes(&store);
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("1 project (mine)"), "names the project: {err}");
    assert!(file_bytes(&store) == before, "store untouched");
}

#[test]
fn demo_never_writes_over_a_file_beside_the_store() {
    let d = Dir::new();
    let store = d.path("fresh.redb");
    std::fs::create_dir_all(d.path("samples")).unwrap();
    let theirs = d.path("samples/service_agreement.md");
    std::fs::write(&theirs, "my own agreement, not the demo's\n").unwrap();
    let (code, _, err) = d.cli(&store, &["demo", "--headless"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is not the demo's sample"), "{err}");
    assert!(file_bytes(&theirs) == b"my own agreement, not the demo's\n");
    assert!(!store.exists(), "no store created beside the user's file");
}

// ------------------------------------------------------------ 1. answers obey the whole schema

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item1_an_answer_with_a_key_the_schema_forbids_is_never_staged() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 3, closed_schema());
    let store = Arc::new(Store::open(&path).unwrap());
    policy::set_value(&store, ADMIN, "worker.max_retries", json!(1), Some("t")).unwrap();
    let run = create_run(&store, &conv, "demo");
    let fake = support::fake();
    let extra = || Fault::InvalidValue {
        field: "zzz".into(),
        value: json!(1),
    };
    fake.script(FakeScript::new().then(extra()).then(extra()));
    assert_eq!(work(&store, &fake, &run.run_id).await, RunEnd::Complete);
    let ov0 = store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(ov0.status, OverlayStatus::Failed);
    assert_eq!(ov0.staging, None, "the forbidden key was staged");
    let err = ov0.last_error.unwrap();
    assert!(err.contains("zzz"), "names the extra key: {err}");
    for i in [1, 2] {
        let ov = store.overlay(&run.run_id, i).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::AiComplete, "block {i}");
        assert!(!ov.staging.unwrap().as_object().unwrap().contains_key("zzz"));
    }
}

#[test]
fn item1_confirm_refuses_a_staged_value_breaking_an_object_rule() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 2, closed_schema());
    let store = Store::open(&path).unwrap();
    let run = create_run(&store, &conv, "demo");
    // As staged by a build that checked fields only.
    store
        .with_run(&run.run_id, |rt| {
            for (i, v) in [
                (0u32, json!({"label": "a", "score": 1})),
                (1, json!({"label": "b", "score": 2, "zzz": 1})),
            ] {
                let mut ov = rt.overlay(i)?.unwrap();
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v);
                rt.put_overlay(&ov)?;
            }
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    drop(store);
    let (code, _, err) = d.cli(&path, &["review", "confirm", &run.run_id, "--all"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("block 1") && err.contains("zzz"), "{err}");
    let (code, _, err) = d.cli(&path, &["review", "confirm", &run.run_id, "--blocks", "0"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = d.cli(&path, &["export", &run.run_id]);
    assert_eq!(code, 0);
    assert!(!out.contains("zzz"), "{out}");
}

// ------------------------------------------------------- 6. a field named like the pack key

fn index_field_schema() -> Value {
    json!({"type": "object", "required": ["block_index"], "properties": {
        "block_index": {"type": "string", "description": "the clause number as printed"},
        "label": {"type": "string"}
    }})
}

async fn work_with(store: &Arc<Store>, provider: worker::AnyProvider, run: &str) -> RunEnd {
    let (_stop, rx) = watch::channel(false);
    let options = EngineOptions {
        concurrency: Some(2),
        ..EngineOptions::default()
    };
    worker::run_worker(store.clone(), Arc::new(provider), run, options, None, rx)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item6_a_field_named_block_index_is_staged_on_both_wire_protocols() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 12, index_field_schema());
    let store = Arc::new(Store::open(&path).unwrap());
    let fake = support::fake();
    for (name, url) in [
        ("anthropic", fake.anthropic_base_url()),
        ("openai", fake.openai_base_url()),
    ] {
        let run = create_run(&store, &conv, "demo");
        let p = worker::connect(name, Some("test-key".into()), Some(url)).unwrap();
        assert_eq!(work_with(&store, p, &run.run_id).await, RunEnd::Complete);
        let done = store.get_run(&run.run_id).unwrap().unwrap();
        assert_eq!(done.counters.ai_complete, 12, "{name}: {:?}", done.counters);
        for i in 0..12 {
            let ov = store.overlay(&run.run_id, i).unwrap().unwrap();
            let staged = ov.staging.unwrap();
            assert!(
                staged["block_index"].is_string(),
                "{name} block {i}: {staged}"
            );
            assert!(!staged.as_object().unwrap().contains_key("_block_index"));
        }
        let calls = store.calls(&run.run_id).unwrap();
        assert!(
            calls.iter().any(|c| c.pack_size > 1),
            "{name}: packs were batched"
        );
    }
    let tool = &fake.last_request().unwrap().body;
    assert!(tool.to_string().contains("_block_index"), "{tool}");
}

#[test]
fn item6_schema_check_warns_about_names_the_worker_reserves() {
    let d = Dir::new();
    let file = d.path("s.json");
    let mut schema = index_field_schema();
    schema["properties"]["word_count"] = json!({"type": "integer"});
    std::fs::write(&file, schema.to_string()).unwrap();
    let (code, out, err) = d.cli(
        &d.path("x.redb"),
        &["schema", "check", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("field 'block_index'") && out.contains("'_block_index'"),
        "{out}"
    );
    assert!(out.contains("field 'word_count' is reserved"), "{out}");
    assert!(!out.contains("compat     pass"), "{out}");
}

// ------------------------------------------------------------- 5. a cancelled run exits 6

#[test]
fn item5_run_start_exits_6_when_the_run_ends_cancelled() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 12, closed_schema());
    let run = create_run(&Store::open(&path).unwrap(), &conv, "demo");
    let (code, _, err) = d.cli(&path, &["run", "cancel", &run.run_id]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = d.cli(&path, &["run", "start", &run.run_id]);
    assert_eq!(code, 6, "{out}{err}");
    assert!(err.contains("cancelled (12 blocks pending)"), "{err}");
    // Resumed, the same command finishes it and exits 0.
    assert_eq!(d.cli(&path, &["run", "resume", &run.run_id]).0, 0);
    let (code, out, err) = d.cli(&path, &["run", "start", &run.run_id]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn item1_export_never_writes_a_value_breaking_the_schema() {
    let d = Dir::new();
    let (path, conv) = workspace(&d, 3, closed_schema());
    let store = Store::open(&path).unwrap();
    let run = create_run(&store, &conv, "demo");
    // As left by a build that checked fields only: block 1 confirmed, block 2 staged, both
    // with a key the schema forbids.
    store
        .with_run(&run.run_id, |rt| {
            for (i, status) in [
                (1u32, OverlayStatus::Confirmed),
                (2, OverlayStatus::AiComplete),
            ] {
                let v = json!({"label": "b", "score": 2, "zzz": 1});
                let mut ov = rt.overlay(i)?.unwrap();
                ov.status = status;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v.clone());
                if status == OverlayStatus::Confirmed {
                    ov.confirmed = Some(v);
                }
                rt.put_overlay(&ov)?;
            }
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    drop(store);
    let out = d.path("out.jsonl");
    let (code, stdout, err) = d.cli(&path, &["export", &run.run_id, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{err}");
    assert!(
        err.contains("blocks 1 do not obey") && err.contains("zzz"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
    let (code, stdout, err) = d.cli(&path, &["export", &run.run_id, "--mode", "staging"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        stdout.is_empty() && err.contains("blocks 1, 2 do not obey"),
        "{err}"
    );
    // Once block 1 is unconfirmed and both are rejected, the export goes through.
    assert_eq!(
        d.cli(
            &path,
            &["review", "unconfirm", &run.run_id, "--blocks", "1"]
        )
        .0,
        0
    );
    let (code, _, err) = d.cli(&path, &["review", "reject", &run.run_id, "--blocks", "1,2"]);
    assert_eq!(code, 0, "{err}");
    let (code, stdout, err) = d.cli(&path, &["export", &run.run_id, "--mode", "staging"]);
    assert_eq!(code, 0, "{err}");
    assert!(!stdout.contains("zzz"), "{stdout}");
}
