//! Issue 6 crash test: `blockwise run start` is SIGKILLed at random moments, again and again,
//! on a 2,000-block run against the fake provider, and restarted each time. At the end the run
//! is complete, every block has exactly one staged result equal to the fake provider's
//! deterministic answer, and no call's result was written twice.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use blockwise::fake::{answer_for, FakeConfig, FakeServer};
use blockwise::model::{OverlayStatus, RunStatus};
use blockwise::store::Store;
use blockwise::synth::SplitMix64;
use serde_json::{json, Value};

const BLOCKS: usize = 2_000;
/// Kills that land after the child has committed at least one new call.
const PROGRESS_KILLS: usize = 12;
/// Extra kills at a random moment soon after start (open, recovery, first claims).
const EARLY_KILLS: usize = 4;
const CONCURRENCY: u64 = 4;

struct Env {
    dir: tempfile::TempDir,
    fake: FakeServer,
}

impl Env {
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = support::blockwise_in(self.dir.path());
        c.args(args)
            .env("BLOCKWISE_STORE", self.path("store.redb"))
            .env("ANTHROPIC_BASE_URL", self.fake.anthropic_base_url())
            .env("ANTHROPIC_API_KEY", "sk-ant-crash-test-key");
        c
    }

    /// Run a setup command to success and parse its `--json` output.
    fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.command(&full).output().expect("run blockwise");
        assert!(
            out.status.success(),
            "blockwise {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("--json output is JSON")
    }

    fn start_worker(&self, run_id: &str, attempt: usize) -> Child {
        let log = std::fs::File::create(self.path(&format!("worker-{attempt}.err"))).unwrap();
        self.command(&[
            "--quiet",
            "run",
            "start",
            run_id,
            "--concurrency",
            &CONCURRENCY.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn blockwise run start")
    }

    fn stderr_of(&self, attempt: usize) -> String {
        std::fs::read_to_string(self.path(&format!("worker-{attempt}.err"))).unwrap_or_default()
    }
}

fn sigkill(child: &mut Child) {
    // SAFETY: sending SIGKILL to our own child process, whose pid we hold and have not reaped.
    let r = unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    assert_eq!(r, 0, "kill failed: {}", std::io::Error::last_os_error());
    let status = child.wait().expect("reap killed child");
    assert!(!status.success(), "child was not killed: {status:?}");
}

/// 2,000 plain paragraphs, each distinct.
fn document(rng: &mut SplitMix64) -> String {
    const WORDS: &[&str] = &[
        "contract",
        "party",
        "shall",
        "deliver",
        "notice",
        "within",
        "days",
        "receipt",
        "term",
        "payment",
        "invoice",
        "clause",
        "liability",
        "warranty",
        "service",
        "report",
        "café",
        "Zürich",
        "東京",
        "data",
    ];
    let mut out = String::new();
    for i in 0..BLOCKS {
        out.push_str(&format!("Paragraph {i}"));
        for _ in 0..(4 + rng.below(12)) {
            out.push(' ');
            out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        }
        out.push_str(".\n\n");
    }
    out
}

/// Counters of the run as the store holds them right now (the child is not running).
fn done_count(store_path: &Path, run_id: &str) -> (u32, RunStatus) {
    let store = Store::open(store_path).expect("open store after kill");
    let run = store.get_run(run_id).unwrap().expect("run exists");
    (run.counters.ai_complete, run.status)
}

#[test]
fn sigkilled_worker_restarts_to_a_complete_run_with_every_result_written_once() {
    let started = Instant::now();
    let fake = FakeServer::start(FakeConfig {
        default_latency: Duration::from_millis(30),
        ..FakeConfig::default()
    })
    .expect("start fake provider");
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
        fake,
    };
    // CRASH_SEED varies the kill moments (the default is fixed so CI is reproducible).
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6_c4a5);
    let mut rng = SplitMix64::new(seed);

    // Setup through the CLI, as a user would.
    std::fs::write(env.path("doc.md"), document(&mut rng)).unwrap();
    let properties = json!({
        "topic": {"type": "string"},
        "label": {"type": "string", "enum": ["obligation", "payment", "other"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "flag": {"type": "boolean"}
    });
    let schema = json!({"type": "object", "properties": properties, "required": ["label"]});
    std::fs::write(env.path("schema.json"), schema.to_string()).unwrap();
    let docs = env.json(&["ingest", env.path("doc.md").to_str().unwrap()]);
    let conv = docs[0]["conv_uid"].as_str().expect("conv_uid").to_string();
    assert_eq!(docs[0]["total_blocks"], BLOCKS);
    env.json(&[
        "schema",
        "add",
        env.path("schema.json").to_str().unwrap(),
        "--ref",
        "crash",
    ]);
    // Small packs so the run needs ~400 calls and a kill always finds work left.
    let out = env
        .command(&["policy", "set", "worker.batching.pack_size", "5"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = env.json(&["run", "create", &conv, "crash", "--provider", "anthropic"]);
    let run_id = run["run_id"].as_str().expect("run_id").to_string();
    assert_eq!(run["model_config"]["provider"], "anthropic");

    let store_path = env.path("store.redb");
    let mut attempt = 0usize;
    let mut last_done = 0u32;
    let mut progress_kills = 0usize;
    let mut early_kills = 0usize;
    while progress_kills < PROGRESS_KILLS || early_kills < EARLY_KILLS {
        attempt += 1;
        // Every fourth restart is killed early: during open, lease recovery or the first claim.
        let early = early_kills < EARLY_KILLS && attempt.is_multiple_of(4);
        let before = env.fake.call_count();
        let mut child = env.start_worker(&run_id, attempt);
        if early {
            std::thread::sleep(Duration::from_millis(rng.below(120)));
        } else {
            // At most 2 x CONCURRENCY packs are in progress, and a pack's task gives its place
            // back only after the writer's ack of its last call (a call slot is free as soon as
            // the request ends, so a pack can be recorded as started ahead). Each task has at
            // most one call not yet committed, so 2 x CONCURRENCY + k calls received means at
            // least k calls committed in this session.
            let k = 1 + rng.below(6);
            let deadline = Instant::now() + Duration::from_secs(20);
            while env.fake.call_count() < before + 2 * CONCURRENCY + k {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!(
                        "worker exited ({status}) before kill {attempt}; the run should still \
                         have work left. stderr:\n{}",
                        env.stderr_of(attempt)
                    );
                }
                assert!(
                    Instant::now() < deadline,
                    "worker made no progress in 20 s (attempt {attempt}); stderr:\n{}",
                    env.stderr_of(attempt)
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            // Then a random moment: mid-call, mid-commit, mid-claim.
            std::thread::sleep(Duration::from_millis(rng.below(70)));
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "worker exited ({status}) before kill {attempt}; stderr:\n{}",
                env.stderr_of(attempt)
            );
        }
        sigkill(&mut child);
        let (done, status) = done_count(&store_path, &run_id);
        assert_eq!(status, RunStatus::Running, "after kill {attempt}");
        assert!(
            done >= last_done,
            "kill {attempt}: staged results went from {last_done} to {done}"
        );
        if early {
            early_kills += 1;
        } else {
            assert!(
                done > last_done,
                "kill {attempt}: the session committed calls but staged results stayed at {done}"
            );
            progress_kills += 1;
        }
        last_done = done;
    }
    assert!(
        (last_done as usize) < BLOCKS,
        "the run finished before the last kill; the test did not exercise a crash"
    );

    // Final session to completion.
    attempt += 1;
    let mut child = env.start_worker(&run_id, attempt);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            sigkill(&mut child);
            panic!("final worker did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.success(),
        "final worker failed ({status}): {}",
        env.stderr_of(attempt)
    );

    // Check everything in the store.
    let store = Store::open(&store_path).unwrap();
    let run = store.get_run(&run_id).unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Complete);
    let c = run.counters;
    assert_eq!(
        (c.total, c.ai_complete, c.pending, c.claimed, c.failed),
        (BLOCKS as u32, BLOCKS as u32, 0, 0, 0),
        "counters {c:?}"
    );
    let blocks = store.blocks(&conv).unwrap();
    assert_eq!(blocks.len(), BLOCKS);
    let mut per_call: BTreeMap<u64, u32> = BTreeMap::new();
    let mut seen = 0usize;
    store
        .for_each_overlay(&run_id, |ov| {
            let b = &blocks[ov.block_index as usize];
            assert_eq!(b.block_index, ov.block_index);
            assert_eq!(
                ov.status,
                OverlayStatus::AiComplete,
                "block {}",
                ov.block_index
            );
            assert!(ov.claimed_by.is_none() && ov.claimed_at.is_none());
            let expected = answer_for(
                b.block_index,
                b.block_type.as_str(),
                &b.block_content,
                &properties,
            );
            assert_eq!(
                ov.model_output.as_ref(),
                Some(&expected),
                "block {}",
                b.block_index
            );
            assert_eq!(
                ov.staging.as_ref(),
                Some(&expected),
                "block {}",
                b.block_index
            );
            assert!(!ov.edited);
            let seq = ov.result_call.expect("staged result names its call");
            *per_call.entry(seq).or_default() += 1;
            seen += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, BLOCKS);
    for s in [
        OverlayStatus::Pending,
        OverlayStatus::Claimed,
        OverlayStatus::Failed,
    ] {
        assert!(
            store.indices_with_status(&run_id, s).unwrap().is_empty(),
            "status index still lists {s:?} overlays"
        );
    }
    assert_eq!(
        store
            .indices_with_status(&run_id, OverlayStatus::AiComplete)
            .unwrap()
            .len(),
        BLOCKS
    );

    let calls = store.calls(&run_id).unwrap();
    let written: u64 = calls.iter().map(|c| c.written as u64).sum();
    assert_eq!(
        written, BLOCKS as u64,
        "sum of results written over all calls must equal the block count"
    );
    for call in &calls {
        assert_eq!(
            per_call.get(&call.seq).copied().unwrap_or(0),
            call.written,
            "call {} says it wrote {} results",
            call.seq,
            call.written
        );
        assert!(call.written <= call.pack_size);
    }
    let known: std::collections::BTreeSet<u64> = calls.iter().map(|c| c.seq).collect();
    assert!(
        per_call.keys().all(|s| known.contains(s)),
        "an overlay names a call that was never recorded"
    );
    // Every call is recorded before it is sent (issue 10 item 17): no call that reached the
    // fake is missing from the records. A call killed before or while it was sent is `lost`;
    // every other record is an answer the fake gave.
    let lost = calls.iter().filter(|c| c.outcome == "lost").count() as u64;
    assert!(
        env.fake.call_count() <= calls.len() as u64,
        "a call reached the provider without a record"
    );
    assert!(calls.len() as u64 - lost <= env.fake.call_count());
    assert_eq!(run.usage.calls, calls.len() as u64);
    let total = attempt - 1;
    assert!(total >= 10, "only {total} kills");
    eprintln!(
        "seed {seed}: {total} kills ({progress_kills} after progress, {early_kills} early), {} call records, \
         {} calls received by the fake, {:.1} s",
        calls.len(),
        env.fake.call_count(),
        started.elapsed().as_secs_f64()
    );
}
