//! Gemini batch mode (issue 24) against the fake's Gemini Batch API (inline requests) over
//! real loopback HTTP: a clean run at half price, errored / expired / cancelled requests,
//! results damage, `run cancel`, and a restart that resumes polling without resubmitting.

mod support;

use std::sync::Arc;
use std::time::Duration;

use blockwise::fake::{FakeBatchConfig, FakeBatchScript, FakeOutcome};
use blockwise::model::{BatchState, CallMode, CallOutcome, OverlayStatus, Run, RunStatus};
use blockwise::provider::batch::BatchClient;
use blockwise::worker::batch::run_batch_worker;
use blockwise::worker::{self, transitions, RunEnd};
use serde_json::json;
use support::batch_env::fast;
use support::{answer_for, Fault};
use tokio::sync::watch;

const MODEL: &str = "gemini-2.5-flash";

type Env = support::batch_env::BatchEnv;

fn setup(blocks: usize) -> Env {
    let env = support::batch_env::setup(blocks, MODEL);
    env.fake.set_expected_key(Some("gem-test-key".into()));
    env
}

impl Env {
    fn clients(&self) -> (Arc<worker::AnyProvider>, BatchClient) {
        let p = worker::connect(
            "google",
            Some("gem-test-key".into()),
            Some(self.fake.google_base_url()),
        )
        .unwrap();
        let c = p.batch_client().unwrap();
        assert!(matches!(c, BatchClient::Google(_)));
        (Arc::new(p), c)
    }

    async fn work(&self, run: &Run) -> RunEnd {
        let (p, c) = self.clients();
        let (_stop, rx) = watch::channel(false);
        run_batch_worker(self.store.clone(), p, c, &run.run_id, fast(), None, rx)
            .await
            .unwrap()
    }

    fn spawn(&self, run: &Run) -> (watch::Sender<bool>, tokio::task::JoinHandle<RunEnd>) {
        let (p, c) = self.clients();
        let (stop, rx) = watch::channel(false);
        let (store, id) = (self.store.clone(), run.run_id.clone());
        let task = tokio::spawn(async move {
            run_batch_worker(store, p, c, &id, fast(), None, rx)
                .await
                .unwrap()
        });
        (stop, task)
    }

    async fn until_created(&self) {
        while self.fake.batches_created() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    fn run(&self, run: &Run) -> Run {
        self.store.get_run(&run.run_id).unwrap().unwrap()
    }

    fn attempts(&self, run: &Run, index: u32) -> u32 {
        self.store
            .overlay(&run.run_id, index)
            .unwrap()
            .unwrap()
            .attempt_count
    }

    fn status_of(&self, run: &Run, index: u32) -> OverlayStatus {
        self.store
            .overlay(&run.run_id, index)
            .unwrap()
            .unwrap()
            .status
    }

    fn assert_staged(&self, run: &Run, index: u32) {
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

    fn assert_all_staged(&self, run: &Run, n: u32) {
        for i in 0..n {
            self.assert_staged(run, i);
        }
    }

    fn script(&self, outcomes: Vec<(usize, FakeOutcome)>) {
        self.fake.script_batch(FakeBatchScript {
            outcomes: outcomes.into_iter().collect(),
            ..Default::default()
        });
    }
}

#[tokio::test]
async fn a_clean_gemini_batch_stages_every_block_at_half_price_in_ceil_n_over_pack_requests() {
    let env = setup(25);
    env.policy("worker.batching.pack_size", json!(10));
    let run = env.create();
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    env.assert_all_staged(&run, 25);
    assert_eq!(env.fake.batches_created(), 1);
    assert_eq!(env.fake.batch_requests(), 3, "ceil(25 / 10) requests");
    assert_eq!(
        env.fake.call_count(),
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
    let id = batches[0].provider_batch_id.clone().unwrap();
    assert!(id.starts_with("batches/"), "{id}");
    let mut tokens = blockwise::model::Usage::default();
    for c in &calls {
        tokens.input_tokens += c.usage.input_tokens;
        tokens.output_tokens += c.usage.output_tokens;
        tokens.cache_read_tokens += c.usage.cache_read_tokens;
    }
    let full = blockwise::provider::PriceTable::builtin()
        .estimate_at(MODEL, &tokens, true)
        .unwrap();
    let cost = env.run(&run).usage.cost_usd.unwrap();
    assert!(full > 0.0 && tokens.output_tokens > 0);
    assert!(
        (cost - full / 2.0).abs() < 1e-9,
        "batch {cost} vs real-time {full}"
    );
    // The create request: native inline requests keyed by metadata.key, the key in its header.
    let create = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == format!("/v1beta/models/{MODEL}:batchGenerateContent"))
        .expect("a batchGenerateContent request");
    assert_eq!(create.headers["x-goog-api-key"], "gem-test-key");
    let reqs = &create.body["batch"]["inputConfig"]["requests"]["requests"];
    assert_eq!(reqs.as_array().unwrap().len(), 3);
    let first = &reqs[0];
    assert!(first["metadata"]["key"].as_str().unwrap().contains('-'));
    assert_eq!(first["request"]["model"], format!("models/{MODEL}"));
    let config = &first["request"]["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert!(
        config["responseJsonSchema"]["properties"]["results"].is_object(),
        "{config}"
    );
    assert!(first["request"]["systemInstruction"]["parts"][0]["text"].is_string());
}

#[tokio::test]
async fn errored_uses_an_attempt_and_an_expired_batch_goes_back_and_is_resubmitted() {
    let env = setup(3);
    env.policy("worker.batching.pack_size", json!(1));
    let run = env.create();
    env.script(vec![
        (1, FakeOutcome::Errored("contents: too long".into())),
        (2, FakeOutcome::Expired),
    ]);
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    env.assert_all_staged(&run, 3);
    assert_eq!(
        env.fake.batches_created(),
        2,
        "the second carries the two that came back"
    );
    assert_eq!(env.fake.batch_requests(), 3 + 2);
    assert_eq!(
        env.attempts(&run, 1),
        1,
        "errored: a failed call for its block"
    );
    assert_eq!(env.attempts(&run, 2), 0, "expired: no attempt used");
    let calls = env.store.calls(&run.run_id).unwrap();
    let errored = calls.iter().find(|c| c.outcome.is_error()).unwrap();
    assert!(errored.detail.as_deref().unwrap().contains("too long"));
    let batches = env.store.batches_of_run(&run.run_id).unwrap();
    assert_eq!(batches[0].state, BatchState::Joined);
}

#[tokio::test]
async fn a_cancelled_batch_puts_its_requests_back_without_attempts_and_resubmits_them() {
    let env = setup(2);
    env.policy("worker.batching.pack_size", json!(1));
    let run = env.create();
    env.script(vec![(1, FakeOutcome::Canceled)]);
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    env.assert_all_staged(&run, 2);
    assert_eq!(env.fake.batches_created(), 2);
    assert_eq!(env.attempts(&run, 1), 0);
}

#[tokio::test]
async fn expired_requests_pause_the_run_when_resubmit_is_off() {
    let env = setup(2);
    env.policy("worker.batching.pack_size", json!(1));
    env.policy("worker.batch_api.resubmit_expired", json!(false));
    let run = env.create();
    env.script(vec![(0, FakeOutcome::Expired)]);
    match env.work(&run).await {
        RunEnd::Paused(why) => assert!(why.contains("resubmit_expired"), "{why}"),
        other => panic!("expected a pause, got {other:?}"),
    }
    assert_eq!(env.fake.batches_created(), 1);
    assert_eq!(env.status_of(&run, 0), OverlayStatus::Pending);
    env.assert_staged(&run, 1);
}

#[tokio::test]
async fn missing_and_invalid_blocks_are_retried_in_real_time_through_the_compatible_endpoint() {
    let env = setup(6);
    env.policy("worker.batching.pack_size", json!(3));
    let run = env.create();
    env.script(vec![
        (0, FakeOutcome::Succeeded(Fault::MissingUid)),
        (
            1,
            FakeOutcome::Succeeded(Fault::InvalidValue {
                field: "score".into(),
                value: json!(99),
            }),
        ),
    ]);
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    env.assert_all_staged(&run, 6);
    assert_eq!(env.fake.batches_created(), 1);
    assert_eq!(
        env.fake.call_count(),
        2,
        "one missing block and one invalid, each alone"
    );
    assert!(env
        .fake
        .requests()
        .iter()
        .any(|r| r.path == "/v1beta/openai/chat/completions"));
}

#[tokio::test]
async fn unknown_duplicate_and_malformed_responses_are_counted_and_ignored() {
    let env = setup(4);
    env.policy("worker.batching.pack_size", json!(2));
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        duplicate_first: true,
        no_line: vec![1],
        extra_lines: vec![
            "{not json".into(),
            json!({"metadata": {"key": "someone-else-0"}, "response": {"candidates": []}})
                .to_string(),
        ],
        ..Default::default()
    });
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    env.assert_all_staged(&run, 4);
    let batches = env.store.batches_of_run(&run.run_id).unwrap();
    assert_eq!(
        batches.len(),
        2,
        "the request without a response went out again"
    );
    let j = &batches[0].join;
    assert_eq!(
        (j.duplicate, j.unknown, j.malformed, j.missing),
        (1, 1, 1, 1)
    );
    assert_eq!(
        env.run(&run).usage.calls,
        2,
        "the duplicate was not joined twice"
    );
}

#[tokio::test]
async fn a_refused_submit_pauses_with_the_message_and_a_vanished_batch_loses_nothing() {
    let env = setup(3);
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        submit_error: Some((400, "models/gemini-nope is not found".into())),
        ..Default::default()
    });
    match env.work(&run).await {
        RunEnd::Paused(why) => assert!(why.contains("gemini-nope is not found"), "{why}"),
        other => panic!("expected a pause, got {other:?}"),
    }
    let r = env.run(&run);
    assert_eq!(
        (r.status, r.counters.pending, r.counters.claimed),
        (RunStatus::Paused, 3, 0)
    );
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
        assert_eq!(env.work(&run).await, RunEnd::Complete, "{script:?}");
        let batches = env.store.batches_of_run(&run.run_id).unwrap();
        assert_eq!(batches[0].state, BatchState::Failed, "{script:?}");
        assert_eq!(batches[1].state, BatchState::Joined);
        env.assert_all_staged(&run, 3);
        assert!((0..3).all(|i| env.attempts(&run, i) == 0));
    }
}

#[tokio::test]
async fn a_failed_batch_says_why_and_its_blocks_go_out_again_never_done() {
    let env = setup(3);
    let run = env.create();
    env.fake.script_batch(FakeBatchScript {
        batch_failed: Some("internal error while processing the batch".into()),
        ..Default::default()
    });
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    let batches = env.store.batches_of_run(&run.run_id).unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].state, BatchState::Failed);
    let why = batches[0].message.clone().unwrap();
    assert!(
        why.contains("failed: internal error while processing"),
        "{why}"
    );
    assert_eq!(batches[1].state, BatchState::Joined);
    env.assert_all_staged(&run, 3);
    assert!((0..3).all(|i| env.attempts(&run, i) == 0));
}

#[tokio::test]
async fn an_interrupted_session_resumes_polling_after_restart_and_never_resubmits() {
    let env = setup(5);
    env.fake.set_batch_config(FakeBatchConfig {
        processing: Duration::from_millis(600),
        ..Default::default()
    });
    let run = env.create();
    let (stop, task) = env.spawn(&run);
    env.until_created().await;
    stop.send(true).unwrap();
    assert_eq!(task.await.unwrap(), RunEnd::Interrupted);
    assert_eq!(
        env.run(&run).counters.claimed,
        5,
        "leased to the open batch"
    );
    worker::lease::recover_all(&env.store, u64::MAX / 2).unwrap();
    assert_eq!(env.run(&run).counters.claimed, 5);
    assert_eq!(env.work(&run).await, RunEnd::Complete);
    assert_eq!(env.fake.batches_created(), 1, "resumed, not resubmitted");
    env.assert_all_staged(&run, 5);
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
    let (_stop, task) = env.spawn(&run);
    env.until_created().await;
    transitions::cancel(&env.store, &run.run_id).unwrap();
    assert_eq!(task.await.unwrap(), RunEnd::Cancelled);
    assert_eq!(env.fake.batch_cancels(), 1);
    env.assert_staged(&run, 0);
    env.assert_staged(&run, 1);
    assert_eq!(env.status_of(&run, 2), OverlayStatus::Pending);
    assert_eq!(env.status_of(&run, 3), OverlayStatus::Pending);
    let r = env.run(&run);
    assert_eq!((r.status, r.counters.claimed), (RunStatus::Cancelled, 0));
}

#[test]
fn google_no_longer_refuses_batch_mode() {
    assert!(blockwise::worker::batch::refusal("google").is_none());
}
