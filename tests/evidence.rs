//! Evidence (SPEC §4a, issue 27): grounding staged by the worker over real HTTP against the
//! fake provider, the pack guard on a planted pack shift, re-grounding after an edit, and the
//! JSONL export of the spans.

mod support;

use std::sync::Arc;
use std::time::Duration;

use blockwise::export::{self, Format, Mode};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{Run, SpanKind};
use blockwise::policy;
use blockwise::review;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, EngineOptions};
use serde_json::{json, Value};
use support::{FakeScript, FakeServer, Fault};
use tokio::sync::watch;

const ADMIN: &str = "tester";

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    fake: FakeServer,
    conv: String,
}

/// Every block's words are its own (`b3w0 b3w1 …`), so a quote of one block is in no other.
fn block_text(i: usize) -> String {
    (0..8)
        .map(|w| format!("b{i}w{w}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn grounded_schema() -> Value {
    json!({"type": "object", "properties": {
        "quote": {"type": "string", "x-grounded": true},
        "label": {"type": "string", "enum": ["fact", "claim"]}
    }})
}

fn setup(blocks: usize, pack_size: u32) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = dir.path().join("doc.md");
    let text: String = (0..blocks)
        .map(|i| format!("{}\n\n", block_text(i)))
        .collect();
    std::fs::write(&doc, text).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    schema::save(
        &store,
        SaveRequest::new(grounded_schema(), Some("g".into()), ADMIN),
    )
    .unwrap();
    policy::set_value(
        &store,
        ADMIN,
        "worker.batching.pack_size",
        json!(pack_size),
        Some("test"),
    )
    .unwrap();
    Env {
        _dir: dir,
        store: Arc::new(store),
        fake: support::fake(),
        conv,
    }
}

impl Env {
    fn create(&self) -> Run {
        let opts = CreateRunOptions {
            provider: Some("demo".into()),
            model: Some("claude-sonnet-4-5".into()),
            ..Default::default()
        };
        worker::create_run(&self.store, &self.conv, "g", &opts).unwrap()
    }

    async fn work(&self, run: &Run) {
        let p = worker::connect(
            "anthropic",
            Some("k".into()),
            Some(self.fake.anthropic_base_url()),
        )
        .unwrap();
        let opts = EngineOptions {
            concurrency: Some(1),
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            ..EngineOptions::default()
        };
        let (_stop, rx) = watch::channel(false);
        worker::run_worker(self.store.clone(), Arc::new(p), &run.run_id, opts, None, rx)
            .await
            .unwrap();
    }

    fn run(&self, run: &Run) -> Run {
        self.store.get_run(&run.run_id).unwrap().unwrap()
    }
}

/// Every staged quote's span, checked against its block's content.
fn assert_exact_spans(env: &Env, run: &Run) {
    for b in env.store.blocks(&env.conv).unwrap() {
        let ov = env
            .store
            .overlay(&run.run_id, b.block_index)
            .unwrap()
            .unwrap();
        let spans = ov
            .evidence
            .as_ref()
            .expect("a grounded schema stores evidence");
        assert_eq!(spans.len(), 1, "block {}", b.block_index);
        let s = &spans[0];
        assert_eq!((s.path.as_str(), s.kind), ("quote", SpanKind::Exact));
        let (a, e) = (s.start.unwrap() as usize, s.end.unwrap() as usize);
        let quote = ov.staging.as_ref().unwrap()["quote"].as_str().unwrap();
        assert_eq!(&b.block_content[a..e], quote, "block {}", b.block_index);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_packed_run_grounds_every_quote_exactly_and_flags_no_neighbour() {
    let env = setup(12, 4);
    let run = env.create();
    env.work(&run).await;
    assert_exact_spans(&env, &run);
    let after = env.run(&run);
    assert_eq!(after.counters.ai_complete, 12);
    assert_eq!(after.pack_guard, None, "a clean run never trips the guard");
    assert_eq!(env.fake.call_count(), 3, "three packs of four, no retries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shifted_pack_is_caught_retried_singly_and_halves_the_pack_size() {
    let env = setup(16, 4);
    // The first two packs answer each block with its neighbour's values. The worker forms the
    // next pack while one is out (up to 2 x concurrency packs in progress) and sends calls in
    // the order they were formed, so the second request is the second pack: the first call is
    // slow enough for it to be formed before the first answer's single retries are.
    env.fake.script(
        FakeScript::new()
            .then_after(std::time::Duration::from_millis(300), Fault::Shift)
            .then(Fault::Shift),
    );
    let run = env.create();
    env.work(&run).await;
    // Every block ends with its own quote: the shifted answers were never staged.
    assert_exact_spans(&env, &run);
    let after = env.run(&run);
    let guard = after
        .pack_guard
        .expect("the guard recorded the shifted packs");
    assert_eq!(guard.shifted_packs, 2);
    assert_eq!(guard.pack_size, Some(2), "two shifted packs halve 4 -> 2");
    assert_eq!(guard.steps.len(), 1, "{:?}", guard.steps);
    assert!(
        guard.steps[0].contains("pack size 4 -> 2"),
        "{}",
        guard.steps[0]
    );
    let calls = env.store.calls(&run.run_id).unwrap();
    let flagged: Vec<_> = calls
        .iter()
        .filter(|c| c.detail.as_deref().unwrap_or("").contains("pack guard"))
        .collect();
    let log: Vec<_> = calls
        .iter()
        .map(|c| (c.pack_size, c.first_block, c.detail.clone()))
        .collect();
    assert_eq!(
        flagged.len(),
        2,
        "both shifted packs say so in the call log: {log:#?}"
    );
    assert!(flagged[0]
        .detail
        .as_ref()
        .unwrap()
        .contains("4 result(s) quoted from a neighbour"));
    // 2 shifted packs and their 8 single retries; after the second one the pack size is 2:
    // only packs already formed then (at most 2 x concurrency = 2) may still hold 4 blocks.
    let sizes: Vec<u32> = calls.iter().map(|c| c.pack_size).collect();
    assert_eq!(sizes.iter().filter(|&&n| n == 1).count(), 8, "{sizes:?}");
    let second = calls
        .iter()
        .position(|c| std::ptr::eq(c, flagged[1]))
        .expect("the second shifted pack is in the log");
    let late_fours = sizes[second + 1..].iter().filter(|&&n| n == 4).count();
    assert!(
        late_fours <= 2,
        "packs of 4 formed after the halving: {sizes:?}"
    );
    assert!(sizes.contains(&2), "later packs hold 2 blocks: {sizes:?}");
    let blocks: u32 = calls
        .iter()
        .filter(|c| {
            c.pack_size > 1
                && c.detail
                    .as_deref()
                    .is_none_or(|d| !d.contains("pack guard"))
        })
        .map(|c| c.pack_size)
        .sum();
    assert_eq!(
        blocks, 8,
        "the 8 blocks after the shifted packs, each in one clean pack: {sizes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_grounded_again_and_the_export_carries_the_evidence() {
    let env = setup(3, 1);
    let run = env.create();
    env.work(&run).await;
    let edited = review::edit(
        &env.store,
        &run.run_id,
        1,
        "quote",
        "not in the block",
        ADMIN,
    );
    edited.unwrap();
    let ov = env.store.overlay(&run.run_id, 1).unwrap().unwrap();
    let spans = ov.evidence.unwrap();
    assert_eq!(spans[0].kind, SpanKind::None, "{spans:?}");
    review::edit(&env.store, &run.run_id, 1, "quote", "B1W2  b1w3", ADMIN).unwrap();
    let ov = env.store.overlay(&run.run_id, 1).unwrap().unwrap();
    let s = &ov.evidence.unwrap()[0];
    assert_eq!(
        (s.kind, s.start, s.end),
        (SpanKind::Normalized, Some(10), Some(19))
    );

    let mut out = Vec::new();
    export::export_to_writer(
        &env.store,
        &run.run_id,
        Format::Jsonl,
        Mode::Staging,
        &mut out,
        "-",
    )
    .unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[1]["user_defined"]["evidence"][0]["kind"],
        "normalized"
    );
    assert_eq!(lines[0]["user_defined"]["evidence"][0]["kind"], "exact");
    assert_eq!(
        lines[0].as_object().unwrap().len(),
        2,
        "still two top-level keys"
    );
}

/// The user message of a recorded request (Anthropic shape: a string or text parts).
fn user_text(r: &support::RecordedRequest) -> String {
    let content = &r.body["messages"][0]["content"];
    content
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| content[0]["text"].as_str().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_value_is_sent_back_with_its_single_retry_and_the_call_log_keeps_the_history() {
    let env = setup(3, 3);
    env.fake.script(FakeScript::new().then(Fault::InvalidValue {
        field: "label".into(),
        value: json!("opinion"),
    }));
    let run = env.create();
    env.work(&run).await;
    assert_exact_spans(&env, &run);
    let requests: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages"))
        .collect();
    assert_eq!(requests.len(), 2, "the pack, then block 0 alone");
    assert!(!user_text(&requests[0]).contains("was refused"));
    let retry = user_text(&requests[1]);
    assert!(
        retry.contains("Your previous answer for this block was refused"),
        "{retry}"
    );
    assert!(
        retry.contains("'label'") && retry.contains("\"opinion\""),
        "{retry}"
    );
    let calls = env.store.calls(&run.run_id).unwrap();
    let fb = calls[1]
        .feedback
        .as_ref()
        .expect("the retry keeps its feedback");
    assert_eq!(fb.block_index, 0);
    assert_eq!(fb.first_answer["label"], "opinion", "the first answer");
    assert!(
        fb.error.contains("'label'"),
        "the error sent back: {}",
        fb.error
    );
    let staged = env.store.overlay(&run.run_id, 0).unwrap().unwrap().staging;
    assert_eq!(
        fb.passed.as_ref(),
        staged.as_ref(),
        "the answer that passed"
    );
    assert!(calls[0].feedback.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_blocks_invalid_first_answer_is_sent_back_with_its_next_call() {
    // Pack size 1: block 0's first (single) answer is invalid. It uses one attempt as before,
    // and its next call alone tells the model what was wrong.
    let env = setup(2, 1);
    env.fake.script(FakeScript::new().then(Fault::InvalidValue {
        field: "label".into(),
        value: json!("opinion"),
    }));
    let run = env.create();
    env.work(&run).await;
    let requests: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages"))
        .collect();
    let calls = env.store.calls(&run.run_id).unwrap();
    let sizes: Vec<(u32, u32)> = calls.iter().map(|c| (c.pack_size, c.first_block)).collect();
    assert_eq!(
        sizes,
        vec![(1, 0), (1, 1), (1, 0)],
        "block 0, block 1, block 0 again"
    );
    assert_eq!(requests.len(), 3);
    assert!(!user_text(&requests[0]).contains("was refused"));
    assert!(
        !user_text(&requests[1]).contains("was refused"),
        "block 1 is told nothing"
    );
    let retry = user_text(&requests[2]);
    assert!(
        retry.contains("Your previous answer for this block was refused")
            && retry.contains("'label'")
            && retry.contains("\"opinion\""),
        "{retry}"
    );
    let fb = calls[2]
        .feedback
        .as_ref()
        .expect("the retry keeps its feedback");
    assert_eq!(fb.first_answer["label"], "opinion");
    let ov = env.store.overlay(&run.run_id, 0).unwrap().unwrap();
    assert_eq!(
        ov.attempt_count, 1,
        "the invalid answer used one attempt, as before"
    );
    assert_eq!(
        fb.passed.as_ref(),
        ov.staging.as_ref(),
        "the answer that passed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_shift_in_every_pack_is_flagged_for_every_shifted_value() {
    // 40 blocks, packs of 8, every packed answer shifted by one block.
    let env = setup(40, 8);
    env.fake.set_shift_packs(true);
    let run = env.create();
    env.work(&run).await;
    let calls = env.store.calls(&run.run_id).unwrap();
    let packed: u32 = calls
        .iter()
        .filter(|c| c.pack_size > 1)
        .map(|c| c.pack_size)
        .sum();
    let flagged: u32 = calls
        .iter()
        .filter(|c| c.detail.as_deref().unwrap_or("").contains("pack guard"))
        .map(|c| c.pack_size)
        .sum();
    let retried = calls
        .iter()
        .filter(|c| c.pack_size == 1 && c.feedback.is_some())
        .count() as u32;
    // Every shifted value was flagged and its block retried alone (told why); nothing
    // shifted was staged. 8, 8, 4, 4, 2, 2: then the guard is at 1 and the rest go singly;
    // a pack already formed when the guard halves (the worker keeps up to 2 x concurrency
    // packs in progress) still goes out at the old size, and is caught the same way.
    assert_eq!((flagged, retried), (packed, packed), "{calls:#?}");
    assert!(
        (28..=40).contains(&packed),
        "{packed} blocks went out packed"
    );
    assert_eq!(env.run(&run).pack_guard.unwrap().pack_size, Some(1));
    assert_exact_spans(&env, &run);
}
