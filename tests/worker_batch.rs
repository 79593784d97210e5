//! Batch mode (issue 24) against the fake's Message Batches API over real loopback HTTP: every
//! outcome of a batch request, faults of the batch API and of its result file, cancel, and a
//! restart that resumes polling without resubmitting.

mod support;

use std::sync::Arc;
use std::time::Duration;

use blockwise::fake::{FakeBatchConfig, FakeBatchScript, FakeOutcome};
use blockwise::model::{BatchState, CallMode, CallOutcome, OverlayStatus, Run, RunStatus};
use blockwise::provider::batch::{AnthropicBatch, BatchClient, BatchLimits};
use blockwise::provider::AnthropicClient;
use blockwise::worker::batch::{run_batch_worker, BatchOptions};
use blockwise::worker::{self, transitions, RunEnd};
use serde_json::json;
use support::batch_env::fast;
use support::{answer_for, Fault};
use tokio::sync::watch;

type Env = support::batch_env::BatchEnv;

fn setup(blocks: usize) -> Env {
    support::batch_env::setup(blocks, "claude-sonnet-4-5")
}

impl Env {
    fn clients(&self) -> (Arc<worker::AnyProvider>, BatchClient) {
        let p = worker::connect(
            "anthropic",
            Some("test-key".into()),
            Some(self.fake.anthropic_base_url()),
        )
        .unwrap();
        let c = p.batch_client().unwrap();
        (Arc::new(p), c)
    }

    async fn work_with(&self, run: &Run, opts: BatchOptions) -> RunEnd {
        let (p, c) = self.clients();
        let (_stop, rx) = watch::channel(false);
        run_batch_worker(self.store.clone(), p, c, &run.run_id, opts, None, rx)
            .await
            .unwrap()
    }

    async fn work(&self, run: &Run) -> RunEnd {
        self.work_with(run, fast()).await
    }

    fn run(&self, run: &Run) -> Run {
        self.store.get_run(&run.run_id).unwrap().unwrap()
    }

    /// Real-time calls the fake answered (batch requests are not counted there).
    fn realtime_calls(&self) -> u64 {
        self.fake.call_count()
    }

    fn status_of(&self, run: &Run, index: u32) -> OverlayStatus {
        self.store
            .overlay(&run.run_id, index)
            .unwrap()
            .unwrap()
            .status
    }

    fn assert_staged_as_the_fake_says(&self, run: &Run, index: u32) {
        let b = &self.store.blocks(&self.conv).unwrap()[index as usize];
        let ov = self.store.overlay(&run.run_id, index).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::AiComplete, "block {index}");
        let expected = answer_for(
            b.block_index,
            b.block_type.as_str(),
            &b.block_content,
            &self.properties,
        );
        assert_eq!(ov.staging.as_ref(), Some(&expected), "block {index}");
    }
}

#[tokio::test]
async fn a_clean_batch_run_stages_every_block_at_half_price_in_ceil_n_over_pack_requests() {
    let env = setup(25);
    env.policy("worker.batching.pack_size", json!(10));
    let run = env.create();
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    for i in 0..25 {
        env.assert_staged_as_the_fake_says(&run, i);
    }
    assert_eq!(env.fake.batches_created(), 1);
    assert_eq!(env.fake.batch_requests(), 3, "ceil(25 / 10) requests");
    assert_eq!(
        env.realtime_calls(),
        0,
        "no real-time call on clean answers"
    );
    let calls = env.store.calls(&run.run_id).unwrap();
    assert_eq!(calls.len(), 3);
    assert!(calls
        .iter()
        .all(|c| c.mode == CallMode::Batch && c.outcome == CallOutcome::Ok));
    let batches = env.store.batches_of_run(&run.run_id).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].state, BatchState::Joined);
    assert_eq!(batches[0].join.joined, 3);
    assert!(batches[0].results_expire_at.is_some() && batches[0].submitted_at.is_some());
    let r = env.run(&run);
    assert_eq!(r.usage.calls, 3);
    // Half the real-time price of the same tokens.
    let prices = blockwise::provider::PriceTable::builtin();
    let mut tokens = blockwise::model::Usage::default();
    for c in &calls {
        tokens.input_tokens += c.usage.input_tokens;
        tokens.output_tokens += c.usage.output_tokens;
        tokens.cache_write_tokens += c.usage.cache_write_tokens;
        tokens.cache_read_tokens += c.usage.cache_read_tokens;
    }
    let full = prices
        .estimate_at("claude-sonnet-4-5", &tokens, true)
        .unwrap();
    let cost = r.usage.cost_usd.unwrap();
    assert!(full > 0.0);
    assert!(
        (cost - full / 2.0).abs() < 1e-9,
        "batch {cost} vs real-time {full}"
    );
    // The batch's requests are the real-time packs: same body as a real-time call.
    let create = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/messages/batches")
        .unwrap();
    let first = &create.body["requests"][0];
    assert!(first["custom_id"].as_str().unwrap().contains('-'));
    assert_eq!(first["params"]["tool_choice"]["type"], "tool");
    assert_eq!(
        first["params"]["system"][0]["cache_control"]["type"],
        "ephemeral"
    );
}

#[tokio::test]
async fn errored_uses_an_attempt_expired_and_canceled_go_back_and_are_resubmitted() {
    let env = setup(4);
    env.policy("worker.batching.pack_size", json!(1));
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        outcomes: [
            (
                1,
                FakeOutcome::Errored("max_tokens: 99999999 > 64000".into()),
            ),
            (2, FakeOutcome::Expired),
            (3, FakeOutcome::Canceled),
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    });
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    assert_eq!(
        env.fake.batches_created(),
        2,
        "the second batch carries the three that came back"
    );
    assert_eq!(env.fake.batch_requests(), 4 + 3);
    for i in 0..4 {
        env.assert_staged_as_the_fake_says(&run, i);
    }
    let attempts = |i| {
        env.store
            .overlay(&run.run_id, i)
            .unwrap()
            .unwrap()
            .attempt_count
    };
    assert_eq!(attempts(1), 1, "errored: a failed call for its block");
    assert_eq!(attempts(2), 0, "expired: no attempt used");
    assert_eq!(attempts(3), 0, "canceled: no attempt used");
    let calls = env.store.calls(&run.run_id).unwrap();
    let errored = calls
        .iter()
        .find(|c| c.outcome.is_error())
        .expect("the errored request is a failed call");
    assert!(errored.detail.as_deref().unwrap().contains("max_tokens"));
}

#[tokio::test]
async fn expired_requests_pause_the_run_when_resubmit_is_off() {
    let env = setup(2);
    env.policy("worker.batching.pack_size", json!(1));
    env.policy("worker.batch_api.resubmit_expired", json!(false));
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        outcomes: [(0, FakeOutcome::Expired)].into_iter().collect(),
        ..Default::default()
    });
    match env.work(&run).await {
        RunEnd::Paused(why) => assert!(why.contains("resubmit_expired"), "{why}"),
        other => panic!("expected a pause, got {other:?}"),
    }
    assert_eq!(env.fake.batches_created(), 1);
    assert_eq!(env.status_of(&run, 0), OverlayStatus::Pending);
    env.assert_staged_as_the_fake_says(&run, 1);
}

#[tokio::test]
async fn missing_and_invalid_blocks_of_a_batch_answer_are_retried_in_real_time() {
    let env = setup(6);
    env.policy("worker.batching.pack_size", json!(3));
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        outcomes: [
            (0, FakeOutcome::Succeeded(Fault::MissingUid)),
            (
                1,
                FakeOutcome::Succeeded(Fault::InvalidValue {
                    field: "score".into(),
                    value: json!(99),
                }),
            ),
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    });
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    for i in 0..6 {
        env.assert_staged_as_the_fake_says(&run, i);
    }
    assert_eq!(env.fake.batches_created(), 1);
    assert_eq!(
        env.realtime_calls(),
        2,
        "one missing block and one invalid, each alone"
    );
    let calls = env.store.calls(&run.run_id).unwrap();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.mode == CallMode::Realtime)
            .count(),
        2
    );
}

#[tokio::test]
async fn unknown_duplicate_and_malformed_result_lines_are_counted_and_ignored() {
    let env = setup(4);
    env.policy("worker.batching.pack_size", json!(2));
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        duplicate_first: true,
        no_line: vec![1],
        extra_lines: vec![
            "{not json".into(),
            json!({"custom_id": "someone-else-0", "result": {"type": "expired"}}).to_string(),
        ],
        ..Default::default()
    });
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    for i in 0..4 {
        env.assert_staged_as_the_fake_says(&run, i);
    }
    let batches = env.store.batches_of_run(&run.run_id).unwrap();
    assert_eq!(
        batches.len(),
        2,
        "the request without a line went out again"
    );
    let first = &batches[0];
    assert_eq!(
        (
            first.join.duplicate,
            first.join.unknown,
            first.join.malformed
        ),
        (1, 1, 1)
    );
    assert_eq!(first.join.missing, 1);
    // One call per joined request (the line-less request is closed without a result and
    // costs nothing): a second join of the duplicate would make it 3.
    assert_eq!(
        env.run(&run).usage.calls,
        2,
        "the duplicate line was not joined twice"
    );
}

#[tokio::test]
async fn a_line_naming_two_custom_ids_joins_by_the_last_one_as_json_reads_it() {
    // The join orders lines by a quick read of their id, which sees no id in such a line; the
    // full decode sees the last one, and the line is looked up again by it.
    let env = setup(4);
    env.policy("worker.batching.pack_size", json!(2));
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        doubled_id_first: true,
        ..Default::default()
    });
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    for i in 0..4 {
        env.assert_staged_as_the_fake_says(&run, i);
    }
    let batches = env.store.batches_of_run(&run.run_id).unwrap();
    assert_eq!(batches.len(), 1, "nothing went out again");
    let b = &batches[0].join;
    assert_eq!((b.joined, b.unknown, b.missing), (2, 0, 0));
}

#[tokio::test]
async fn a_refused_submit_pauses_the_run_with_the_providers_message_and_loses_nothing() {
    let env = setup(3);
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        submit_error: Some((400, "model: claude-nope is not a model".into())),
        ..Default::default()
    });
    match env.work(&run).await {
        RunEnd::Paused(why) => assert!(why.contains("claude-nope is not a model"), "{why}"),
        other => panic!("expected a pause, got {other:?}"),
    }
    let r = env.run(&run);
    assert_eq!(r.status, RunStatus::Paused);
    assert_eq!(r.counters.pending, 3, "every block back to pending");
    assert_eq!(r.counters.claimed, 0);
    let b = &env.store.batches_of_run(&run.run_id).unwrap()[0];
    assert_eq!(b.state, BatchState::Failed);
}

#[tokio::test]
async fn a_vanished_batch_or_failing_results_put_the_blocks_back_to_pending_never_done() {
    for script in [
        FakeBatchScript {
            vanish: true,
            ..Default::default()
        },
        FakeBatchScript {
            results_fail: true,
            ..Default::default()
        },
    ] {
        let env = setup(3);
        let run = env.create();
        env.fake.script_batch(script.clone());
        // The second batch (the blocks sent again) works.
        assert_eq!(env.work(&run).await, RunEnd::Complete);
        let batches = env.store.batches_of_run(&run.run_id).unwrap();
        assert_eq!(batches[0].state, BatchState::Failed, "{script:?}");
        let why = batches[0].message.clone().unwrap();
        assert!(
            why.contains("404") || why.contains("could not be read"),
            "{why}"
        );
        assert_eq!(batches[1].state, BatchState::Joined);
        for i in 0..3 {
            env.assert_staged_as_the_fake_says(&run, i);
            let ov = env.store.overlay(&run.run_id, i).unwrap().unwrap();
            assert_eq!(ov.attempt_count, 0);
        }
    }
}

#[tokio::test]
async fn an_interrupted_session_resumes_polling_after_restart_and_never_resubmits() {
    let env = setup(5);
    env.fake.set_batch_config(FakeBatchConfig {
        processing: Duration::from_millis(600),
        ..Default::default()
    });
    let run = env.create();
    let (p, c) = env.clients();
    let (stop, rx) = watch::channel(false);
    let (store, id) = (env.store.clone(), run.run_id.clone());
    let task =
        tokio::spawn(async move { run_batch_worker(store, p, c, &id, fast(), None, rx).await });
    while env.fake.batches_created() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(true).unwrap();
    assert_eq!(task.await.unwrap().unwrap(), RunEnd::Interrupted);
    let r = env.run(&run);
    assert_eq!(
        r.counters.claimed, 5,
        "the blocks stay leased to the open batch"
    );
    // Lease recovery (as at every program start) leaves the batch's blocks alone.
    worker::lease::recover_all(&env.store, u64::MAX / 2).unwrap();
    assert_eq!(env.run(&run).counters.claimed, 5);
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    assert_eq!(env.fake.batches_created(), 1, "resumed, not resubmitted");
    for i in 0..5 {
        env.assert_staged_as_the_fake_says(&run, i);
    }
}

#[tokio::test]
async fn cancel_cancels_the_open_batch_keeps_what_succeeded_and_the_rest_goes_pending() {
    let env = setup(4);
    env.policy("worker.batching.pack_size", json!(1));
    env.fake.set_batch_config(FakeBatchConfig {
        processing: Duration::from_secs(30),
        done_before_cancel: 2,
        ..Default::default()
    });
    let run = env.create();
    let (p, c) = env.clients();
    let (_stop, rx) = watch::channel(false);
    let (store, id) = (env.store.clone(), run.run_id.clone());
    let task =
        tokio::spawn(async move { run_batch_worker(store, p, c, &id, fast(), None, rx).await });
    while env.fake.batches_created() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    transitions::cancel(&env.store, &run.run_id).unwrap();
    assert_eq!(task.await.unwrap().unwrap(), RunEnd::Cancelled);
    assert_eq!(env.fake.batch_cancels(), 1);
    env.assert_staged_as_the_fake_says(&run, 0);
    env.assert_staged_as_the_fake_says(&run, 1);
    assert_eq!(env.status_of(&run, 2), OverlayStatus::Pending);
    assert_eq!(env.status_of(&run, 3), OverlayStatus::Pending);
    let r = env.run(&run);
    assert_eq!((r.status, r.counters.claimed), (RunStatus::Cancelled, 0));
}

#[tokio::test]
async fn batches_split_under_the_request_limit() {
    let env = setup(7);
    env.policy("worker.batching.pack_size", json!(1));
    let run = env.create();
    let opts = BatchOptions {
        limits: Some(BatchLimits {
            max_requests: 3,
            max_bytes: usize::MAX,
        }),
        ..fast()
    };
    assert_eq!(env.work_with(&run, opts).await, RunEnd::Complete);
    assert_eq!(env.fake.batches_created(), 3, "ceil(7 / 3) batches");
    assert_eq!(env.fake.batch_requests(), 7);
}

#[test]
fn custom_and_demo_refuse_batch_mode_with_the_reason() {
    for p in ["custom", "demo"] {
        let why = blockwise::worker::batch::refusal(p).unwrap();
        assert!(
            why.contains("no batch API") && why.contains("--batch"),
            "{why}"
        );
    }
    assert!(blockwise::worker::batch::refusal("anthropic").is_none());
    let _ = AnthropicBatch::of;
    let _ = AnthropicClient::new;
}

#[tokio::test]
async fn openai_batch_uploads_a_file_and_joins_output_and_error_files() {
    let env = setup(6);
    env.policy("worker.batching.pack_size", json!(2));
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        outcomes: [
            (1, FakeOutcome::Errored("messages: too long".into())),
            (2, FakeOutcome::Expired),
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    });
    let p = worker::connect(
        "openai",
        Some("sk-test".into()),
        Some(env.fake.openai_base_url()),
    )
    .unwrap();
    let c = p.batch_client().unwrap();
    let (_stop, rx) = watch::channel(false);
    let end = run_batch_worker(
        env.store.clone(),
        Arc::new(p),
        c,
        &run.run_id,
        fast(),
        None,
        rx,
    )
    .await
    .unwrap();
    assert_eq!(end, RunEnd::Complete);
    for i in 0..6 {
        env.assert_staged_as_the_fake_says(&run, i);
    }
    // The errored pack used an attempt; the expired one none; both went out again.
    assert_eq!(
        env.store
            .overlay(&run.run_id, 2)
            .unwrap()
            .unwrap()
            .attempt_count,
        1
    );
    assert_eq!(
        env.store
            .overlay(&run.run_id, 4)
            .unwrap()
            .unwrap()
            .attempt_count,
        0
    );
    assert_eq!(env.fake.batches_created(), 2);
    let upload = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/files")
        .expect("a file upload");
    assert!(upload.headers["content-type"].starts_with("multipart/form-data; boundary="));
    let create = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/batches")
        .unwrap();
    assert_eq!(create.body["completion_window"], "24h");
    assert_eq!(create.body["endpoint"], "/v1/chat/completions");
    let calls = env.store.calls(&run.run_id).unwrap();
    assert!(calls.iter().all(|c| c.mode == CallMode::Batch));
}
