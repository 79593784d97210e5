//! The worker against the fake provider over real HTTP, one test per behaviour (issue 6).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{CallRecord, OverlayStatus, Run, RunStatus};
use blockwise::policy;
use blockwise::provider::{self, prompt};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, transitions, CreateRunOptions, EngineOptions, RunEnd};
use serde_json::{json, Value};
use support::{answer_for, FakeScript, FakeServer, Fault};
use tokio::sync::watch;

const ADMIN: &str = "tester";

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    fake: FakeServer,
    conv: String,
    properties: Value,
}

/// A store with one document of `blocks` paragraphs (`contents` gives each text) and one schema
/// saved as `s`.
fn setup_with(blocks: usize, schema: Value, contents: impl Fn(usize) -> String) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = dir.path().join("doc.md");
    let text: String = (0..blocks)
        .map(|i| format!("{}\n\n", contents(i)))
        .collect();
    std::fs::write(&doc, text).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let properties = schema["properties"].clone();
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), ADMIN)).unwrap();
    Env {
        _dir: dir,
        store: Arc::new(store),
        fake: support::fake(),
        conv,
        properties,
    }
}

fn label_schema() -> Value {
    json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 9}
    }})
}

fn setup(blocks: usize) -> Env {
    setup_with(blocks, label_schema(), |i| {
        format!("Paragraph {i} says something plain.")
    })
}

impl Env {
    fn policy(&self, key: &str, value: Value) {
        policy::set_value(&self.store, ADMIN, key, value, Some("test")).unwrap();
    }

    fn create(&self) -> Run {
        worker::create_run(
            &self.store,
            &self.conv,
            "s",
            &CreateRunOptions {
                provider: Some("demo".into()),
                model: Some("claude-sonnet-4-5".into()),
                ..Default::default()
            },
        )
        .unwrap()
    }

    async fn work_with(&self, run: &Run, opts: EngineOptions) -> RunEnd {
        let p = worker::connect(
            "anthropic",
            Some("test-key".into()),
            Some(self.fake.anthropic_base_url()),
        )
        .unwrap();
        let (_stop, rx) = watch::channel(false);
        worker::run_worker(self.store.clone(), Arc::new(p), &run.run_id, opts, None, rx)
            .await
            .unwrap()
    }

    /// The worker on `run` as a task (against the fake as Anthropic), to act while it works.
    fn spawn_worker(
        &self,
        run: &Run,
        opts: EngineOptions,
    ) -> tokio::task::JoinHandle<Result<RunEnd, worker::WorkerError>> {
        let (store, url, id) = (
            self.store.clone(),
            self.fake.anthropic_base_url(),
            run.run_id.clone(),
        );
        tokio::spawn(async move {
            let p = worker::connect("anthropic", Some("k".into()), Some(url)).unwrap();
            let (_stop, rx) = watch::channel(false);
            worker::run_worker(store, Arc::new(p), &id, opts, None, rx).await
        })
    }

    async fn work(&self, run: &Run, concurrency: u32) -> RunEnd {
        self.work_with(run, fast(concurrency)).await
    }

    fn run(&self, run: &Run) -> Run {
        self.store.get_run(&run.run_id).unwrap().unwrap()
    }

    fn calls(&self, run: &Run) -> Vec<CallRecord> {
        self.store.calls(&run.run_id).unwrap()
    }

    /// Block indices sent in each request, in arrival order.
    fn sent_packs(&self) -> Vec<Vec<u32>> {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/messages"))
            .map(|r| {
                let content = &r.body["messages"][0]["content"];
                let text = content
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| content[0]["text"].as_str().map(str::to_string))
                    .unwrap_or_default();
                prompt::parse_blocks(&text)
                    .iter()
                    .map(|b| b.block_index)
                    .collect()
            })
            .collect()
    }

    /// Every overlay staged with exactly the fake's deterministic answer.
    fn assert_all_staged_correctly(&self, run: &Run) {
        let blocks = self.store.blocks(&self.conv).unwrap();
        for b in blocks {
            let ov = self
                .store
                .overlay(&run.run_id, b.block_index)
                .unwrap()
                .unwrap();
            assert_eq!(
                ov.status,
                OverlayStatus::AiComplete,
                "block {}",
                b.block_index
            );
            let expected = answer_for(
                b.block_index,
                b.block_type.as_str(),
                &b.block_content,
                &self.properties,
            );
            assert_eq!(
                ov.staging.as_ref(),
                Some(&expected),
                "block {}",
                b.block_index
            );
            assert_eq!(ov.attempt_count, 0);
        }
        assert_eq!(self.run(run).status, RunStatus::Complete);
    }
}

/// Wait (at most 60 s) until the run has a staged block.
async fn staged_some(store: &Store, run_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.get_run(run_id).unwrap().unwrap().counters.ai_complete == 0 {
        assert!(Instant::now() < deadline, "no block was staged");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn fast(concurrency: u32) -> EngineOptions {
    EngineOptions {
        concurrency: Some(concurrency),
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        ..EngineOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_in_numeric_block_order() {
    let env = setup(12);
    env.policy("worker.batching.enabled", json!(false));
    let run = env.create();
    assert_eq!(env.work(&run, 1).await, RunEnd::Complete);
    let order: Vec<u32> = env.sent_packs().into_iter().flatten().collect();
    assert_eq!(order, (0..12).collect::<Vec<u32>>(), "10 follows 9, not 1");
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packs_close_at_the_block_cap() {
    let env = setup(10);
    env.policy("worker.batching.pack_size", json!(4));
    let run = env.create();
    env.work(&run, 1).await;
    let sizes: Vec<usize> = env.sent_packs().iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![4, 4, 2]);
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packs_close_at_the_output_budget() {
    let env = setup(10);
    env.policy("worker.batching.max_output_tokens", json!(256));
    env.policy("worker.batching.per_block_output_tokens", json!(100));
    let run = env.create();
    env.work(&run, 1).await;
    // 2 fields: 100 + 2·8 + 20 = 136 tokens per block; two would need 272 > 256.
    let sizes: Vec<usize> = env.sent_packs().iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|&n| n == 1), "{sizes:?}");
    env.policy("worker.batching.per_block_output_tokens", json!(80));
    let run2 = env.create();
    let before = env.sent_packs().len();
    env.work(&run2, 1).await;
    // 80 + 16 + 20 = 116; two fit in 256, three do not.
    let sizes: Vec<usize> = env.sent_packs()[before..].iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![2, 2, 2, 2, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packs_close_at_the_input_budget() {
    let schema = json!({"type": "object",
        "prompt_config": {"system_instructions": "S", "per_block_prompt": "B"},
        "properties": {"label": {"type": "string"}}});
    // ~400 characters ≈ 100 tokens per block, plus 30 tokens of framing.
    let env = setup_with(12, schema, |i| format!("{i} {}", "word ".repeat(80)));
    env.policy("worker.batching.context_window_tokens", json!(1024));
    env.policy("worker.batching.output_reserve_tokens", json!(256));
    env.policy("worker.batching.tool_overhead_tokens", json!(0));
    let run = env.create();
    env.work(&run, 1).await;
    // Budget 1024 − 256 − 1 − 1 = 766 tokens; 131 per block → 5 per pack.
    let sizes: Vec<usize> = env.sent_packs().iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![5, 5, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_heavy_schemas_get_the_text_heavy_cap() {
    let schema = json!({"type": "object", "properties": {
        "summary": {"type": "string"}, "label": {"type": "string"}}});
    let env = setup_with(10, schema, |i| format!("Paragraph {i}."));
    env.policy("worker.batching.text_heavy_max_pack_size", json!(3));
    let run = env.create();
    env.work(&run, 1).await;
    let sizes: Vec<usize> = env.sent_packs().iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_uids_are_retried_alone() {
    let env = setup(4);
    env.fake.script(FakeScript::new().then(Fault::MissingUid));
    let run = env.create();
    env.work(&run, 1).await;
    assert_eq!(env.sent_packs(), vec![vec![0, 1, 2, 3], vec![3]]);
    let calls = env.calls(&run);
    assert_eq!(
        (calls[0].outcome.as_str(), calls[0].missing),
        ("partial", 1)
    );
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_missing_uids_are_split_in_halves() {
    let env = setup(8);
    env.policy("worker.batching.pack_size", json!(8));
    env.fake.script(
        FakeScript::new()
            .then(Fault::Truncated)
            .then(Fault::MissingUid),
    );
    let run = env.create();
    env.work(&run, 1).await;
    let packs = env.sent_packs();
    assert_eq!(packs[0].len(), 8, "first the whole pack");
    assert_eq!(packs[1], vec![0, 1, 2, 3], "truncated → first half");
    assert_eq!(packs[2], vec![3], "its missing block alone");
    assert_eq!(packs[3], vec![4, 5, 6, 7]);
    assert_eq!(env.calls(&run)[0].outcome, "split");
    assert_eq!(
        env.calls(&run)[0].stop_reason.as_deref(),
        Some("max_tokens")
    );
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_and_unexpected_results_are_ignored_and_counted() {
    let env = setup(8);
    env.policy("worker.batching.pack_size", json!(4));
    env.fake.script(
        FakeScript::new()
            .then(Fault::DuplicateUid)
            .then(Fault::UnexpectedUid),
    );
    let run = env.create();
    env.work(&run, 1).await;
    let packs = env.sent_packs();
    assert_eq!(packs.len(), 2, "nothing retried");
    // The faults meet the requests in arrival order; the call log is in the order the
    // answers were written, which a freed call slot lets differ: match them by first block.
    let calls = env.calls(&run);
    let of = |first: u32| calls.iter().find(|c| c.first_block == first).unwrap();
    let (dup, unexp) = (of(packs[0][0]), of(packs[1][0]));
    assert_eq!((dup.duplicate, dup.unexpected), (1, 0));
    assert_eq!((unexp.duplicate, unexp.unexpected), (0, 1));
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_overflow_and_malformed_answers_split_the_pack() {
    for fault in [
        Fault::ContextOverflow,
        Fault::MalformedJson,
        Fault::NoToolOutput,
    ] {
        let env = setup(4);
        env.fake.script(FakeScript::new().then(fault.clone()));
        let run = env.create();
        env.work(&run, 1).await;
        assert_eq!(
            env.sent_packs(),
            vec![vec![0, 1, 2, 3], vec![0, 1], vec![2, 3]],
            "{fault:?}"
        );
        assert_eq!(env.calls(&run)[0].outcome, "split", "{fault:?}");
        env.assert_all_staged_correctly(&run);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_honour_retry_after_without_using_attempts() {
    let env = setup(2);
    env.fake.script(FakeScript::new().then(Fault::RateLimited {
        retry_after_secs: 1,
    }));
    let run = env.create();
    let t = Instant::now();
    env.work(&run, 2).await;
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    let calls = env.calls(&run);
    assert_eq!(calls[0].outcome, "error:rate_limited");
    env.assert_all_staged_correctly(&run);
    assert_eq!(env.run(&run).usage.failed_calls, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overloaded_and_server_errors_back_off_and_retry() {
    let env = setup(3);
    env.fake.script(
        FakeScript::new()
            .then(Fault::Overloaded)
            .then(Fault::ServerError)
            .then(Fault::ConnectionReset),
    );
    let run = env.create();
    assert_eq!(env.work(&run, 1).await, RunEnd::Complete);
    let outcomes: Vec<String> = env
        .calls(&run)
        .into_iter()
        .map(|c| c.outcome.to_string())
        .collect();
    assert_eq!(
        outcomes,
        vec![
            "error:transient",
            "error:transient",
            "error:transient",
            "ok"
        ]
    );
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_credit_pauses_releases_claims_and_keeps_attempts() {
    for fault in [Fault::PaymentRequired, Fault::LowCredit] {
        let env = setup(30);
        env.policy("worker.batching.pack_size", json!(5));
        env.fake
            .script(FakeScript::new().then(Fault::None).then(fault.clone()));
        let run = env.create();
        let end = env.work(&run, 1).await;
        let RunEnd::Paused(reason) = end else {
            panic!("{fault:?}: {end:?}")
        };
        assert!(reason.contains("out of credit"), "{reason}");
        let r = env.run(&run);
        assert_eq!(r.status, RunStatus::Paused);
        assert_eq!(r.counters.claimed, 0, "claims released");
        assert_eq!((r.counters.ai_complete, r.counters.pending), (5, 25));
        env.store
            .for_each_overlay(&run.run_id, |ov| {
                assert_eq!(ov.attempt_count, 0, "{fault:?}: attempts unchanged");
                Ok(())
            })
            .unwrap();
        // Nothing is lost: resuming finishes the run.
        transitions::resume(&env.store, &run.run_id).unwrap();
        assert_eq!(env.work(&run, 1).await, RunEnd::Complete);
        env.assert_all_staged_correctly(&run);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_key_pauses_the_run_and_is_marked_invalid() {
    let env = setup(6);
    let config = tempfile::tempdir().unwrap();
    let vault = blockwise::vault::Vault::new(config.path());
    vault
        .set_key(&env.store, "anthropic", "sk-test-1234", Default::default())
        .unwrap();
    env.fake.script(FakeScript::new().then(Fault::Unauthorized));
    let mut run = env.create();
    // The run talks to Anthropic (the fake); key checks apply to that provider.
    env.store
        .with_run(&run.run_id, |rt| {
            rt.run.model_config.provider = "anthropic".into();
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    run.model_config.provider = "anthropic".into();
    let end = env.work(&run, 1).await;
    let RunEnd::Paused(reason) = end else {
        panic!("{end:?}")
    };
    assert!(reason.contains("API key rejected"), "{reason}");
    assert!(!reason.contains("sk-test-1234"));
    let keys = blockwise::vault::list_keys(&env.store).unwrap();
    let anthropic = keys.iter().find(|k| k.provider == "anthropic").unwrap();
    assert_eq!(anthropic.is_valid, Some(false));
    assert_eq!(env.run(&run).counters.claimed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_mark_the_block_failed_with_the_last_error() {
    let env = setup(2);
    env.policy("worker.batching.enabled", json!(false));
    env.policy("worker.max_retries", json!(2));
    // Calls go 0, 1, 0 (retry), 1 (retry): the first three are refused.
    env.fake.script(
        FakeScript::new()
            .then(Fault::BadRequest)
            .then(Fault::BadRequest)
            .then(Fault::BadRequest),
    );
    let run = env.create();
    assert_eq!(env.work(&run, 1).await, RunEnd::Complete, "the run goes on");
    assert_eq!(env.sent_packs(), vec![vec![0], vec![1], vec![0], vec![1]]);
    let ov = env.store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::Failed);
    assert_eq!(ov.attempt_count, 2);
    assert!(ov.last_error.unwrap().contains("bad request"));
    let ok = env.store.overlay(&run.run_id, 1).unwrap().unwrap();
    assert_eq!(
        (ok.status, ok.attempt_count),
        (OverlayStatus::AiComplete, 1)
    );
    assert_eq!(ok.last_error, None);
    let r = env.run(&run);
    assert_eq!((r.counters.failed, r.counters.ai_complete), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_claiming_and_resume_finishes() {
    let env = setup(40);
    env.policy("worker.batching.enabled", json!(false));
    env.fake.set_default_latency(Duration::from_millis(25));
    let run = env.create();
    let store = env.store.clone();
    let id = run.run_id.clone();
    // Cancel once some work is done (not after a fixed time: each call is two commits, which
    // a loaded disk makes slow).
    let canceller = tokio::spawn(async move {
        staged_some(&store, &id).await;
        transitions::cancel(&store, &id).unwrap();
    });
    assert_eq!(env.work(&run, 1).await, RunEnd::Cancelled);
    canceller.await.unwrap();
    let r = env.run(&run);
    assert_eq!(r.status, RunStatus::Cancelled);
    assert_eq!(r.counters.claimed, 0);
    assert!(
        r.counters.pending > 0 && r.counters.ai_complete > 0,
        "{:?}",
        r.counters
    );
    let done_before = r.counters.ai_complete;
    // A cancelled run does nothing until resumed.
    assert_eq!(env.work(&run, 1).await, RunEnd::Cancelled);
    assert_eq!(env.run(&run).counters.ai_complete, done_before);
    transitions::resume(&env.store, &run.run_id).unwrap();
    env.fake.set_default_latency(Duration::ZERO);
    assert_eq!(env.work(&run, 4).await, RunEnd::Complete);
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_deterministic_fields_overwrite_the_model() {
    // Typed so the fake's answer differs from the local value for every field.
    let schema = json!({"type": "object", "properties": {
        "word_count": {"type": "string"},
        "has_question": {"type": "integer"},
        "first_40_chars": {"type": "string"}}});
    let env = setup_with(2, schema, |i| {
        if i == 0 {
            "Is this the real life, or is this just fantasy caught in a landslide?".into()
        } else {
            "No escape from reality.".into()
        }
    });
    let run = env.create();
    env.work(&run, 1).await;
    let a = env
        .store
        .overlay(&run.run_id, 0)
        .unwrap()
        .unwrap()
        .staging
        .unwrap();
    assert_eq!(a["word_count"], 14);
    assert_eq!(a["has_question"], true);
    assert_eq!(
        a["first_40_chars"],
        "Is this the real life, or is this just f"
    );
    let b = env
        .store
        .overlay(&run.run_id, 1)
        .unwrap()
        .unwrap()
        .staging
        .unwrap();
    assert_eq!(
        (b["word_count"].clone(), b["has_question"].clone()),
        (json!(4), json!(false))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_after_creation_does_not_change_the_run() {
    let env = setup(20);
    let run = env.create();
    env.policy("worker.batching.pack_size", json!(2));
    env.policy("worker.batching.enabled", json!(false));
    env.work(&run, 1).await;
    let sizes: Vec<usize> = env.sent_packs().iter().map(Vec::len).collect();
    assert_eq!(
        sizes,
        vec![10, 10],
        "the run's snapshot (pack size 10) applies"
    );
    assert_eq!(
        env.run(&run).model_config.policy["worker.batching.pack_size"],
        10
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_leases_and_dead_workers_return_to_pending() {
    let env = setup(6);
    let run = env.create();
    let now = blockwise::clock::now_millis();
    transitions::claim(&env.store, &run.run_id, 2, "ghost-host:1:1", now).unwrap();
    transitions::claim(&env.store, &run.run_id, 2, "ghost-host:2:1", now - 700_000).unwrap();
    // A lease of a live worker on another host that has not expired is kept...
    let released = worker::lease::recover(&env.store, &run.run_id, now, 600_000, |_| true).unwrap();
    assert_eq!(released, 2, "only the expired lease");
    assert_eq!(env.run(&run).counters.claimed, 2);
    // ...until its worker is known dead.
    worker::lease::recover(&env.store, &run.run_id, now, 600_000, |_| false).unwrap();
    assert_eq!(env.run(&run).counters.claimed, 0);
    assert_eq!(env.work(&run, 2).await, RunEnd::Complete);
    env.assert_all_staged_correctly(&run);
}

#[test]
fn demo_runs_the_whole_flow_offline_and_never_replaces_a_real_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.redb");
    let cli = |store: &std::path::Path, args: &[&str]| {
        support::blockwise_in(dir.path())
            .arg("--store")
            .arg(store)
            .args(args)
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let out = cli(&demo, &["demo", "--headless"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("DEMO OUTPUT"), "{stdout}");
        let runs = cli(&demo, &["--json", "run", "list"]);
        let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
        assert_eq!(
            runs.as_array().unwrap().len(),
            1,
            "a fresh workspace each time"
        );
        assert_eq!(runs[0]["status"], "complete");
        assert_eq!(runs[0]["model_config"]["provider"], "demo");
    }
    let real = dir.path().join("real.redb");
    // A real workspace (made by a writing command; `docs` is read-only and creates nothing).
    let made = cli(&real, &["schema", "from-template", "classification"]);
    assert_eq!(made.status.code(), Some(0));
    let out = cli(&real, &["demo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a demo workspace"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_releases_claims_and_a_restart_finishes() {
    let env = setup(30);
    env.policy("worker.batching.enabled", json!(false));
    env.fake.set_default_latency(Duration::from_millis(40));
    let run = env.create();
    let p = worker::connect(
        "anthropic",
        Some("test-key".into()),
        Some(env.fake.anthropic_base_url()),
    )
    .unwrap();
    let (stop, rx) = watch::channel(false);
    let (store, id) = (env.store.clone(), run.run_id.clone());
    let worker = tokio::spawn(async move {
        worker::run_worker(store, Arc::new(p), &id, fast(3), None, rx).await
    });
    staged_some(&env.store, &run.run_id).await;
    stop.send(true).unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("stops promptly")
        .unwrap()
        .unwrap();
    assert_eq!(end, RunEnd::Interrupted);
    let r = env.run(&run);
    assert_eq!(
        r.status,
        RunStatus::Running,
        "still resumable by `run start`"
    );
    assert_eq!(r.counters.claimed, 0, "claims released");
    assert!(
        r.counters.ai_complete > 0 && r.counters.pending > 0,
        "{:?}",
        r.counters
    );
    env.fake.set_default_latency(Duration::ZERO);
    assert_eq!(env.work(&run, 4).await, RunEnd::Complete);
    env.assert_all_staged_correctly(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_held_by_another_live_worker_are_left_to_it_and_reported() {
    let env = setup(5);
    let run = env.create();
    let now = blockwise::clock::now_millis();
    // A worker on another host holds a fresh lease on blocks 0 and 1.
    transitions::claim(&env.store, &run.run_id, 2, "other-host:42:1", now).unwrap();
    let end = env.work(&run, 2).await;
    let RunEnd::Busy(msg) = end else {
        panic!("{end:?}")
    };
    assert!(
        msg.contains("2 blocks are claimed by another worker"),
        "{msg}"
    );
    let r = env.run(&run);
    assert_eq!((r.counters.claimed, r.counters.ai_complete), (2, 3));
    assert_eq!(r.status, RunStatus::Running);
}

/// Issue 14 item 7: a run served by a server that is not the vendor's never gets a vendor
/// price; the user's price file can name one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_endpoint_costs_unknown_unless_the_user_prices_its_model() {
    let env = setup(4);
    let custom =
        || worker::connect("custom", Some("k".into()), Some(env.fake.openai_base_url())).unwrap();
    // The model has a built-in (Anthropic) price, but the calls go to a local server.
    let run = env.create();
    let (_stop, rx) = watch::channel(false);
    let end = worker::run_worker(
        env.store.clone(),
        Arc::new(custom()),
        &run.run_id,
        fast(1),
        None,
        rx,
    )
    .await
    .unwrap();
    assert_eq!(end, RunEnd::Complete);
    let r = env.run(&run);
    assert!(r.usage.tokens.output_tokens > 0);
    assert_eq!(
        r.usage.cost_usd, None,
        "cost unknown, never the vendor's price"
    );
    assert_eq!(provider::format_cost(r.usage.cost_usd), "unknown");

    // Not even `$0` before the first answer: a failed call on an unpriced endpoint is unknown.
    let failing = env.create();
    env.fake.script(FakeScript::new().then(Fault::Unauthorized));
    let (_stop, rx) = watch::channel(false);
    worker::run_worker(
        env.store.clone(),
        Arc::new(custom()),
        &failing.run_id,
        fast(1),
        None,
        rx,
    )
    .await
    .unwrap();
    assert_eq!(env.run(&failing).usage.calls, 1);
    assert_eq!(env.run(&failing).usage.cost_usd, None);

    let mut prices = provider::PriceTable::builtin();
    prices
        .merge_json(
            r#"{"models": {"claude-sonnet-4-5": {"input": 0, "output": 1, "cache_write": 0, "cache_read": 0}}}"#,
            std::path::Path::new("prices.json"),
        )
        .unwrap();
    let priced = env.create();
    let (_stop, rx) = watch::channel(false);
    let opts = EngineOptions { prices, ..fast(1) };
    worker::run_worker(
        env.store.clone(),
        Arc::new(custom()),
        &priced.run_id,
        opts,
        None,
        rx,
    )
    .await
    .unwrap();
    let r = env.run(&priced);
    let want = r.usage.tokens.output_tokens as f64 / 1e6;
    let got = r.usage.cost_usd.expect("the user's price applies");
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
}

/// Every overlay of the run is pending with no attempt used and no claim left.
fn assert_nothing_lost(env: &Env, run: &Run) {
    let r = env.run(run);
    assert_eq!(r.counters.claimed, 0, "{:?}", r.counters);
    assert_eq!(r.counters.failed, 0, "{:?}", r.counters);
    for b in env.store.blocks(&env.conv).unwrap() {
        let ov = env
            .store
            .overlay(&run.run_id, b.block_index)
            .unwrap()
            .unwrap();
        assert!(
            matches!(
                ov.status,
                OverlayStatus::Pending | OverlayStatus::AiComplete
            ),
            "block {}: {:?}",
            b.block_index,
            ov.status
        );
        assert_eq!(ov.attempt_count, 0, "block {}", b.block_index);
    }
}

/// Wait (up to 10 s) until the fake has received `n` model calls.
async fn until_calls(fake: &FakeServer, n: u64) {
    let t = Instant::now();
    while fake.call_count() < n {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "only {} calls",
            fake.call_count()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Issue 14 item 4: a cancel during slow calls returns within a second: the requests in flight
/// are aborted, recorded as cancelled, their blocks go back to pending unused, and a resume
/// finishes every block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_during_a_slow_call_returns_within_a_second_with_nothing_lost() {
    let env = setup(6);
    env.policy("worker.batching.pack_size", json!(3));
    env.fake.set_default_latency(Duration::from_secs(30));
    let run = env.create();
    let worker = env.spawn_worker(&run, fast(2));
    until_calls(&env.fake, 2).await;
    let cancelled_at = Instant::now();
    transitions::cancel(&env.store, &run.run_id).unwrap();
    let end = worker.await.unwrap().unwrap();
    let took = cancelled_at.elapsed();
    assert_eq!(end, RunEnd::Cancelled);
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
    assert_eq!(env.fake.call_count(), 2, "no new call after the cancel");
    let calls = env.calls(&run);
    assert_eq!(calls.len(), 2, "{calls:?}");
    for c in &calls {
        assert_eq!(c.outcome, "cancelled");
        assert_eq!(c.pack_size, 3);
        assert_eq!(
            c.endpoint.as_deref(),
            Some(env.fake.anthropic_base_url().as_str())
        );
    }
    assert_eq!(env.run(&run).status, RunStatus::Cancelled);
    assert_eq!(env.run(&run).counters.pending, 6);
    assert_nothing_lost(&env, &run);

    transitions::resume(&env.store, &run.run_id).unwrap();
    env.fake.set_default_latency(Duration::ZERO);
    assert_eq!(env.work(&run, 2).await, RunEnd::Complete);
    env.assert_all_staged_correctly(&run);
}

/// A cancel while a call waits to be retried stops the retries at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_retries_of_a_failing_server() {
    let env = setup(2);
    env.policy("worker.batching.enabled", json!(false));
    env.fake.script(
        FakeScript::new()
            .then(Fault::ServerError)
            .then(Fault::ServerError)
            .then(Fault::ServerError),
    );
    let run = env.create();
    let opts = EngineOptions {
        backoff_base: Duration::from_secs(60),
        backoff_max: Duration::from_secs(60),
        ..fast(1)
    };
    let worker = env.spawn_worker(&run, opts);
    until_calls(&env.fake, 1).await;
    // Let the failure be recorded; the task now sleeps a minute before its retry.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cancelled_at = Instant::now();
    transitions::cancel(&env.store, &run.run_id).unwrap();
    assert_eq!(worker.await.unwrap().unwrap(), RunEnd::Cancelled);
    assert!(cancelled_at.elapsed() < Duration::from_secs(1));
    assert_eq!(env.fake.call_count(), 1, "no retry after the cancel");
    assert_nothing_lost(&env, &run);
}

/// Issue 14 item 5: `worker.transient_retries` and `worker.request_timeout_seconds` come from the
/// run's snapshot; a call that times out is transient trouble, retried, then the run pauses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_and_transient_retries_come_from_the_run_policy() {
    let env = setup(1);
    env.policy("worker.transient_retries", json!(1));
    env.policy("worker.request_timeout_seconds", json!(5));
    let run = env.create();
    // Later changes do not reach the run.
    env.policy("worker.transient_retries", json!(50));
    env.policy("worker.request_timeout_seconds", json!(3600));
    env.fake.set_default_latency(Duration::from_secs(30));
    let t = Instant::now();
    let end = env.work(&run, 1).await;
    let took = t.elapsed();
    assert!(
        matches!(&end, RunEnd::Paused(r) if r.contains("after 1 retries")
            && r.contains("worker.request_timeout_seconds` (this run: 5 s")),
        "{end:?}"
    );
    // Two tries of 5 s each (plus a short backoff), not 2 × 30 s.
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(20),
        "{took:?}"
    );
    let calls = env.calls(&run);
    assert_eq!(calls.len(), 2, "one retry, then the final try");
    for c in &calls {
        assert_eq!(c.outcome, "error:transient");
        assert!(
            c.detail
                .as_deref()
                .unwrap_or("")
                .contains("no answer within 5 s"),
            "{c:?}"
        );
    }
    assert_eq!(env.fake.call_count(), 2);
    let ov = env.store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!((ov.status, ov.attempt_count), (OverlayStatus::Pending, 0));
}

/// Zero retries: the first transient failure pauses the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_transient_retries_pause_at_the_first_failure() {
    let env = setup(1);
    env.policy("worker.transient_retries", json!(0));
    env.fake.script(FakeScript::new().then(Fault::Overloaded));
    let run = env.create();
    assert!(matches!(env.work(&run, 1).await, RunEnd::Paused(_)));
    assert_eq!(env.fake.call_count(), 1);
    assert_eq!(env.calls(&run).len(), 1);
}

/// Issue 14 item 2 at run start: a llama.cpp server's context and slots size the packs and the
/// concurrency of the session, and the values are announced with source `server`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packs_and_concurrency_follow_the_servers_context_and_slots() {
    let env = setup(24);
    env.fake
        .set_local(Some(blockwise::fake::FakeLocal::LlamaCpp {
            n_ctx: 2048,
            slots: 1,
        }));
    env.fake.set_default_latency(Duration::from_millis(20));
    let run = env.create();
    let p = worker::connect("custom", Some("k".into()), Some(env.fake.openai_base_url())).unwrap();
    let (_stop, rx) = watch::channel(false);
    let (tx, mut events) = tokio::sync::mpsc::channel(1024);
    let opts = EngineOptions {
        concurrency: None,
        ..fast(1)
    };
    let end = worker::run_worker(
        env.store.clone(),
        Arc::new(p),
        &run.run_id,
        opts,
        Some(tx),
        rx,
    )
    .await
    .unwrap();
    assert_eq!(end, RunEnd::Complete);
    env.assert_all_staged_correctly(&run);
    assert_eq!(
        env.fake.max_concurrent_calls(),
        1,
        "one slot: one call at a time"
    );
    let mut notice = String::new();
    while let Ok(ev) = events.try_recv() {
        if let worker::WorkerEvent::Notice { message, .. } = ev {
            notice = message;
        }
    }
    assert!(notice.contains("llama.cpp: context 2048"), "{notice}");
    assert!(
        notice.contains("context_window_tokens=2048 (source=server)"),
        "{notice}"
    );
    assert!(notice.contains("concurrency=1 (source=server)"), "{notice}");
    // Every request fits the window: its prompt (≈ chars / 4) plus the answer it may write.
    let calls: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .collect();
    assert!(
        calls.len() > 2,
        "packs were made smaller than the policy's 10"
    );
    for r in &calls {
        let max_tokens = r.body["max_tokens"].as_u64().unwrap();
        let prompt = r.body["messages"].to_string().len() as u64 / 4
            + r.body["response_format"].to_string().len() as u64 / 4;
        assert!(max_tokens <= 1024, "{max_tokens}");
        assert!(prompt + max_tokens <= 2048, "{prompt} + {max_tokens}");
    }
}
