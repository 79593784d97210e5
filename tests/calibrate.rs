//! Calibration (issue 27 item 5b, SPEC §4a) over real HTTP against the fake provider and a real
//! redb file: the first blocks are answered singly (and kept), then packed at falling sizes;
//! the largest size whose answers agree with the single ones on ≥ 95% is kept for the rest of
//! the run, recorded with the figures; a planted pack shift drives it down to 1.

mod support;

use std::sync::Arc;
use std::time::Duration;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{OverlayStatus, Run};
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, calibrate, CreateRunOptions, EngineOptions};
use serde_json::json;
use tokio::sync::watch;

const ADMIN: &str = "tester";

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    fake: support::FakeServer,
    conv: String,
}

/// `blocks` paragraphs of their own words; pack size 8, calibration over the first 8 blocks.
fn setup(blocks: usize) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    policy::ensure_workspace_admin_as(&store, ADMIN).unwrap();
    let doc = dir.path().join("doc.md");
    let text: String = (0..blocks)
        .map(|i| {
            let words: Vec<String> = (0..8).map(|w| format!("b{i}w{w}")).collect();
            format!("{}\n\n", words.join(" "))
        })
        .collect();
    std::fs::write(&doc, text).unwrap();
    let conv = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let schema = json!({"type": "object", "properties": {
        "quote": {"type": "string", "x-grounded": true},
        "label": {"type": "string", "enum": ["fact", "claim"]},
        "score": {"type": "integer"}
    }});
    schema::save(&store, SaveRequest::new(schema, Some("g".into()), ADMIN)).unwrap();
    for (key, value) in [
        ("worker.batching.pack_size", json!(8)),
        ("worker.batching.calibrate_blocks", json!(8)),
    ] {
        policy::set_value(&store, ADMIN, key, value, Some("test")).unwrap();
    }
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

    fn provider(&self) -> Arc<worker::AnyProvider> {
        let p = worker::connect(
            "anthropic",
            Some("k".into()),
            Some(self.fake.anthropic_base_url()),
        );
        Arc::new(p.unwrap())
    }

    fn opts() -> EngineOptions {
        EngineOptions {
            concurrency: Some(2),
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            ..EngineOptions::default()
        }
    }

    /// Calibrate, then work the rest of the run.
    async fn calibrate_and_work(&self, run: &Run) -> blockwise::model::Calibration {
        let (_stop, stop) = watch::channel(false);
        let cal = calibrate::calibrate(
            self.store.clone(),
            self.provider(),
            &run.run_id,
            &Self::opts(),
            None,
            stop,
        )
        .await
        .unwrap()
        .expect("a run of pack size 8 calibrates");
        let (_stop, rx) = watch::channel(false);
        worker::run_worker(
            self.store.clone(),
            self.provider(),
            &run.run_id,
            Self::opts(),
            None,
            rx,
        )
        .await
        .unwrap();
        cal
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_provider_keeps_the_largest_pack_size_and_the_single_answers() {
    let env = setup(24);
    let run = env.create();
    let cal = env.calibrate_and_work(&run).await;
    assert_eq!((cal.first_block, cal.last_block, cal.blocks), (0, 7, 8));
    assert_eq!(cal.tries.len(), 1, "{cal:?}");
    let t = &cal.tries[0];
    assert_eq!(
        (t.pack_size, t.calls, t.compared),
        (8, 1, 24),
        "8 blocks x 3 fields"
    );
    assert!(t.agreement() >= 0.95, "{cal:?}");
    assert_eq!(cal.chosen, 8);
    let stored = env.store.get_run(&run.run_id).unwrap().unwrap();
    let guard = stored.pack_guard.expect("recorded on the run");
    assert_eq!(guard.calibration.as_ref(), Some(&cal));
    assert_eq!(guard.pack_size, Some(8));
    assert!(
        guard.steps.iter().any(|s| s.contains("-> pack size 8")),
        "{:?}",
        guard.steps
    );
    // Calls: 8 singles (blocks 0..8), 1 calibration pack (not staged), then packs of 8.
    let calls = env.store.calls(&run.run_id).unwrap();
    let mut singles: Vec<u32> = calls
        .iter()
        .filter(|c| c.pack_size == 1)
        .map(|c| c.first_block)
        .collect();
    // Two calls at once: they finish in any order.
    singles.sort_unstable();
    assert_eq!(
        singles,
        (0..8).collect::<Vec<_>>(),
        "the first blocks went alone, once each"
    );
    let cal_calls: Vec<_> = calls
        .iter()
        .filter(|c| {
            c.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("calibration:"))
        })
        .collect();
    assert_eq!(cal_calls.len(), 1);
    assert_eq!(
        cal_calls[0].written, 0,
        "a calibration answer is never staged"
    );
    let rest: Vec<u32> = calls
        .iter()
        .filter(|c| c.pack_size > 1 && !cal_calls.iter().any(|k| k.seq == c.seq))
        .map(|c| c.pack_size)
        .collect();
    assert_eq!(rest, vec![8, 8], "blocks 8..24 in packs of 8");
    assert_eq!(
        stored.usage.calls as usize,
        calls.len(),
        "calibration calls are counted"
    );
    for i in 0..24 {
        let ov = env.store.overlay(&run.run_id, i).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::AiComplete, "block {i}");
        let call = calls
            .iter()
            .find(|c| Some(c.seq) == ov.result_call)
            .unwrap();
        assert_eq!(
            call.pack_size == 1,
            i < 8,
            "block {i}: the single answers are kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packs_that_move_answers_between_blocks_calibrate_down_to_one() {
    let env = setup(12);
    env.fake.set_shift_packs(true);
    let run = env.create();
    let cal = env.calibrate_and_work(&run).await;
    let sizes: Vec<u32> = cal.tries.iter().map(|t| t.pack_size).collect();
    assert_eq!(
        sizes,
        vec![8, 4, 2],
        "every size tried, largest first: {cal:?}"
    );
    assert!(cal.tries.iter().all(|t| t.agreement() < 0.95), "{cal:?}");
    assert_eq!(cal.chosen, 1);
    // The rest of the run went one block per call: no pack shift reached a staged value.
    let calls = env.store.calls(&run.run_id).unwrap();
    let staged_by_packs = calls
        .iter()
        .filter(|c| c.pack_size > 1 && c.written > 0)
        .count();
    assert_eq!(staged_by_packs, 0, "{calls:#?}");
    for i in 0..12 {
        let ov = env.store.overlay(&run.run_id, i).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::AiComplete, "block {i}");
    }
    // A second calibration is not wanted: the run has one.
    let stored = env.store.get_run(&run.run_id).unwrap().unwrap();
    assert!(!calibrate::wanted(&stored, true));
}

#[test]
fn the_calibrate_key_names_providers_and_a_wrong_name_is_refused_naming_it() {
    let env = setup(12);
    let err = policy::set_value(
        &env.store,
        ADMIN,
        "worker.batching.calibrate",
        json!("custm"),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("'custm' is not a provider"), "{err}");
    let run = env.create();
    // Default `custom`: a demo run calibrates only when asked.
    assert!(!calibrate::wanted(&run, false));
    assert!(calibrate::wanted(&run, true));
    policy::set_value(
        &env.store,
        ADMIN,
        "worker.batching.calibrate",
        json!("demo,custom"),
        None,
    )
    .unwrap();
    let run = env.create();
    assert!(
        calibrate::wanted(&run, false),
        "named in the policy snapshot"
    );
    // Not automatic when nothing would be left to pack after the calibrated blocks.
    let key = "worker.batching.calibrate_blocks";
    policy::set_value(&env.store, ADMIN, key, json!(12), None).unwrap();
    assert!(
        !calibrate::wanted(&env.create(), false),
        "12 blocks, 12 to calibrate"
    );
    assert!(
        calibrate::wanted(&env.create(), true),
        "asked: it says why it did not"
    );
    let err = policy::set_value(
        &env.store,
        ADMIN,
        "worker.batching.calibrate_blocks",
        json!(1),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("at least 2"), "{err}");
}

fn cli(dir: &std::path::Path, store: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(dir);
    c.arg("--store").arg(store).args(args);
    support::outcome(c.output().unwrap())
}

#[test]
fn run_start_calibrate_prints_the_choice_and_run_status_shows_it() {
    let env = setup(20);
    let run = env.create();
    let path = env._dir.path().join("store.redb");
    let dir = env._dir.path().to_path_buf();
    drop(env.store);
    let (code, out, err) = cli(
        &dir,
        &path,
        &["run", "start", &run.run_id, "--calibrate", "--batch"],
    );
    assert_eq!(code, 2, "--calibrate and --batch do not mix: {out}{err}");
    let (code, out, err) = cli(&dir, &path, &["run", "start", &run.run_id, "--calibrate"]);
    assert_eq!(code, 0, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("calibration: blocks 0-7 (8 answered singly): pack 8 agreed"),
        "{all}"
    );
    let (code, out, _) = cli(&dir, &path, &["run", "status", &run.run_id]);
    assert_eq!(code, 0);
    assert!(
        out.contains("calibration: blocks 0-7") && out.contains("-> pack size 8"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_calibration_ends_it_at_once_records_nothing_and_leaves_nothing_claimed() {
    let env = setup(20);
    env.fake.set_default_latency(Duration::from_millis(400));
    let run = env.create();
    let (stop_tx, stop) = watch::channel(false);
    let (store, provider, id) = (env.store.clone(), env.provider(), run.run_id.clone());
    let task = tokio::spawn(async move {
        calibrate::calibrate(store, provider, &id, &Env::opts(), None, stop).await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let since = std::time::Instant::now();
    stop_tx.send(true).unwrap();
    let got = task.await.unwrap().unwrap();
    assert!(got.is_none(), "{got:?}");
    assert!(
        since.elapsed() < Duration::from_secs(2),
        "{:?}",
        since.elapsed()
    );
    let stored = env.store.get_run(&run.run_id).unwrap().unwrap();
    assert!(stored.pack_guard.is_none_or(|g| g.calibration.is_none()));
    assert_eq!(stored.counters.claimed, 0, "{:?}", stored.counters);
    assert_eq!(
        stored.counters.pending, 20,
        "the calls in flight were aborted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibration_holds_the_run_so_status_names_it_and_a_second_worker_is_refused() {
    let env = setup(20);
    env.fake.set_default_latency(Duration::from_millis(300));
    let run = env.create();
    let (stop_tx, stop) = watch::channel(false);
    let (store, provider, id) = (env.store.clone(), env.provider(), run.run_id.clone());
    let task = tokio::spawn(async move {
        calibrate::calibrate(store, provider, &id, &Env::opts(), None, stop).await
    });
    // A call at the fake means calibration has started (it takes the run before any call).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while env.fake.call_count() == 0 && env.fake.requests().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no call reached the fake"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let held: Vec<String> = env
        .store
        .holders()
        .unwrap()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(held, vec![run.run_id.clone()], "calibration holds the run");
    let other = worker::holding::take(&env.store, &run.run_id, "elsewhere:1:0");
    let why = format!("{:?}", other.expect_err("a second worker is refused"));
    assert!(why.contains("already being worked on"), "{why}");
    stop_tx.send(true).unwrap();
    task.await.unwrap().unwrap();
    assert!(
        env.store.holders().unwrap().is_empty(),
        "calibration gives the run up when it ends"
    );
}
