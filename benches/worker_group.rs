//! Run-group worker benchmark (issue 22): `cargo bench --bench worker_group`.
//!
//! A project of N generated documents of 1–30 paragraphs each (default N = 100 and 1,000;
//! `BENCH_DOCS=100,1000` overrides) gets one run group, worked by one session against the fake
//! provider (50 ms latency per call, concurrency 16, batching and caching on, pack size 10).
//! Printed, each as a ratio to a bound measured or fixed in the same run:
//! - `run create --project` time (the group and its N runs in one transaction) vs 2 s;
//! - calls vs `ceil(total blocks / pack size)` (target: exactly equal on clean answers);
//! - wall vs the lower bound `ceil(calls / concurrency) × latency` (target ≤ 1.10);
//! - peak memory (VmHWM) of the worker process from the smallest to the largest N (≤ ×1.2).
//!
//! Setup and worker run in child processes (this binary re-executed with
//! `BENCH_GROUP_PHASE`), so each peak is the worker's own; the fake runs in the parent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::fake::{FakeConfig, FakeServer};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use blockwise::workspace::Workspace;
use serde_json::{json, Value};

const LATENCY: Duration = Duration::from_millis(50);
const CONCURRENCY: u32 = 16;
const PACK: u64 = 10;
const MODEL: &str = "claude-sonnet-4-5";
const USER: &str = "bench";
const CREATE_TARGET_S: f64 = 2.0;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn store_path(dir: &Path) -> PathBuf {
    dir.join("bench.redb")
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Setup child: N documents in project `bench`, the schema, the policy; then the timed
/// `run create --project` (Workspace::create_group, as the CLI calls it).
fn setup_child(docs: usize, dir: &Path) {
    let store = Arc::new(Store::open(&store_path(dir)).expect("open store"));
    policy::ensure_workspace_admin_as(&store, USER).expect("admin");
    for (key, v) in [
        ("worker.batching.enabled", json!(true)),
        ("worker.prompt_caching.enabled", json!(true)),
        ("worker.batching.pack_size", json!(PACK)),
    ] {
        policy::set_value(&store, USER, key, v, Some("benchmark")).expect("set policy");
    }
    let ws = Workspace::new(store.clone());
    ws.create_project("bench", None).expect("project");
    let mut rng = blockwise::synth::SplitMix64::new(22);
    let mut convs = Vec::with_capacity(docs);
    let files = dir.join("docs");
    std::fs::create_dir_all(&files).expect("docs dir");
    for d in 0..docs {
        let n = 1 + rng.below(30) as usize;
        let text: String = (0..n)
            .map(|i| format!("Document {d} paragraph {i}: the parties agree to a plain term.\n\n"))
            .collect();
        let path = files.join(format!("doc{d:05}.md"));
        std::fs::write(&path, text).expect("write doc");
        let limits = IngestLimits {
            max_file_bytes: 1 << 30,
        };
        convs.push(
            ingest_path(&store, &path, limits)
                .expect("ingest")
                .document
                .conv_uid,
        );
    }
    ws.add_to_project("bench", &convs).expect("members");
    let schema_json = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["obligation", "payment", "other"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1}
    }});
    schema::save(
        &store,
        SaveRequest::new(schema_json, Some("bench".into()), USER),
    )
    .expect("schema");
    let opts = CreateRunOptions {
        provider: Some("anthropic".into()),
        model: Some(MODEL.into()),
        ..Default::default()
    };
    let t = Instant::now();
    let group = ws
        .create_group("bench", "bench", &opts)
        .expect("create group");
    let create_s = t.elapsed().as_secs_f64();
    let total = ws.group_summary(&group).expect("summary").counters.total;
    let result = json!({"group_id": group.group_id, "blocks": total, "create_s": create_s});
    println!("RESULT {result}");
}

/// Worker child: what `blockwise run start GROUP` does.
fn run_child(dir: &Path, group_id: &str, fake_url: String) {
    let store = Arc::new(Store::open(&store_path(dir)).expect("open store"));
    let client =
        worker::connect("anthropic", Some("sk-ant-bench".into()), Some(fake_url)).expect("connect");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let opts = EngineOptions {
        concurrency: Some(CONCURRENCY),
        prices: blockwise::provider::PriceTable::builtin_anywhere(),
        ..EngineOptions::default()
    };
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let end = runtime
        .block_on(worker::run_group_worker(
            store.clone(),
            Arc::new(client),
            group_id,
            opts,
            None,
            rx,
        ))
        .expect("worker");
    let wall = t.elapsed().as_secs_f64();
    assert_eq!(end, RunEnd::Complete);
    let ws = Workspace::new(store);
    let group = ws.resolve_run_or_group(group_id).expect("group");
    let blockwise::workspace::RunOrGroup::Group(group) = group else {
        panic!("not a group")
    };
    let s = ws.group_summary(&group).expect("summary");
    assert_eq!(s.counters.ai_complete, s.counters.total, "{:?}", s.counters);
    let result = json!({"wall_s": wall, "calls": s.usage.calls,
        "cache_hit_calls": s.usage.cache_hit_calls, "peak_kib": peak_kib(),
        "profile": where_time_went()});
    println!("RESULT {result}");
}

/// Where the session's time went: commits (count, mean ms), writes that waited behind another
/// write transaction, how long calls waited for their records to commit, the claims.
fn where_time_went() -> Value {
    let c = blockwise::store::commit_stats::snapshot();
    let p = blockwise::worker::profile::snapshot();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = |(n, d): (u64, Duration)| ms(d) / n.max(1) as f64;
    json!({
        "commits": c.commits, "commit_total_ms": ms(c.commit_time),
        "commit_mean_ms": mean((c.commits, c.commit_time)),
        "write_waits": c.waits, "write_wait_total_ms": ms(c.wait_time),
        "started_waits": p.started_wait.0, "started_wait_mean_ms": mean(p.started_wait),
        "result_waits": p.result_wait.0, "result_wait_mean_ms": mean(p.result_wait),
        "claims": p.claims.0, "claim_mean_ms": mean(p.claims),
        "starved_total_ms": ms(p.starved.1),
    })
}

fn child_result(mut cmd: Command, what: &str) -> Value {
    let out = cmd.output().expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    match (
        out.status.success(),
        stdout.lines().find_map(|l| l.strip_prefix("RESULT ")),
    ) {
        (true, Some(l)) => serde_json::from_str(l).expect("child result"),
        _ => panic!(
            "{what} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn run_size(docs: usize) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("exe");
    let child = |phase: &str| {
        let mut c = Command::new(&exe);
        c.env("BENCH_GROUP_PHASE", phase)
            .env("BENCH_DIR", dir.path())
            .env("ANTHROPIC_API_KEY", "sk-ant-bench")
            .env("BLOCKWISE_CONFIG_DIR", dir.path().join("config"))
            .env_remove("BLOCKWISE_STORE");
        c
    };
    let mut setup = child("setup");
    setup.env("BENCH_N", docs.to_string());
    let mut v = child_result(setup, &format!("setup of {docs} documents"));
    let fake = FakeServer::start(FakeConfig {
        default_latency: LATENCY,
        ..FakeConfig::default()
    })
    .expect("fake");
    let mut run = child("run");
    run.env("BENCH_GROUP", v["group_id"].as_str().expect("group id"))
        .env("BENCH_FAKE_URL", fake.anthropic_base_url());
    let r = child_result(run, &format!("group of {docs} documents"));
    for (k, val) in r.as_object().expect("object") {
        v[k] = val.clone();
    }
    assert_eq!(
        json!(fake.call_count()),
        v["calls"],
        "recorded vs received calls"
    );
    v
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn main() {
    match std::env::var("BENCH_GROUP_PHASE").as_deref() {
        Ok("setup") => {
            return setup_child(
                env("BENCH_N").parse().expect("N"),
                Path::new(&env("BENCH_DIR")),
            )
        }
        Ok("run") => {
            return run_child(
                Path::new(&env("BENCH_DIR")),
                &env("BENCH_GROUP"),
                env("BENCH_FAKE_URL"),
            )
        }
        _ => {}
    }
    let mut sizes: Vec<usize> = std::env::var("BENCH_DOCS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1_000]);
    sizes.sort_unstable();
    sizes.dedup();
    println!(
        "run-group worker benchmark: fake provider, {} ms latency, concurrency {CONCURRENCY}, \
         pack size {PACK}, documents of 1-30 paragraphs",
        LATENCY.as_millis()
    );
    let mut failures = 0;
    let mut results = Vec::new();
    for &n in &sizes {
        let v = run_size(n);
        let blocks = v["blocks"].as_u64().unwrap_or(0);
        let calls = v["calls"].as_u64().unwrap_or(0);
        let ideal = blocks.div_ceil(PACK);
        let bound = calls.div_ceil(u64::from(CONCURRENCY)) as f64 * LATENCY.as_secs_f64();
        let wall = v["wall_s"].as_f64().unwrap_or(0.0);
        let create = v["create_s"].as_f64().unwrap_or(0.0);
        let judged = n == *sizes.last().unwrap_or(&n);
        let mut judge = |ok: bool| {
            if judged {
                failures += usize::from(!ok);
                verdict(ok)
            } else {
                "info"
            }
        };
        println!("\n{n} documents, {blocks} blocks");
        println!(
            "  run create --project: {create:.3} s (target {CREATE_TARGET_S} s) -> ratio {:.3}: {}",
            create / CREATE_TARGET_S,
            judge(create <= CREATE_TARGET_S)
        );
        println!(
            "  calls {calls} vs ceil({blocks} / {PACK}) = {ideal} -> ratio {:.4} (target = 1, \
             exactly): {}   (cache-hit calls {})",
            calls as f64 / ideal.max(1) as f64,
            judge(calls == ideal),
            v["cache_hit_calls"]
        );
        println!(
            "  wall {wall:.2} s vs bound ceil({calls} / {CONCURRENCY}) x {} ms = {bound:.2} s -> \
             ratio {:.3} (target <= 1.10): {}",
            LATENCY.as_millis(),
            wall / bound,
            judge(wall / bound <= 1.10)
        );
        println!(
            "  worker peak memory {:.1} MiB",
            v["peak_kib"].as_u64().unwrap_or(0) as f64 / 1024.0
        );
        println!("  where the time went: {}", v["profile"]);
        results.push((n, v));
    }
    if results.len() >= 2 {
        let (a_n, a) = &results[0];
        let (b_n, b) = &results[results.len() - 1];
        let (pa, pb) = (
            a["peak_kib"].as_u64().unwrap_or(0) as f64 / 1024.0,
            b["peak_kib"].as_u64().unwrap_or(1) as f64 / 1024.0,
        );
        let ok = pb <= pa * 1.2;
        failures += usize::from(!ok);
        println!(
            "\npeak memory of the worker: {a_n} documents {pa:.1} MiB -> {b_n} documents {pb:.1} MiB \
             = x{:.2} (target <= 1.2): {}",
            pb / pa,
            verdict(ok)
        );
    }
    println!(
        "\n{}",
        if failures == 0 {
            "all targets PASS".to_string()
        } else {
            format!("{failures} target(s) FAIL")
        }
    );
}
