//! Worker benchmark (issue 6): `cargo bench --bench worker`.
//!
//! Against the fake provider with 50 ms latency per call, at concurrency 16, for each size
//! (default 1,000 and 10,000 blocks; `BENCH_BLOCKS=1000,10000` overrides) runs three
//! configurations side by side:
//!   (a) batching off, caching off;  (b) caching on (batching off);  (c) batching on (caching on).
//! For each: calls, input / cache-write / cache-read / output tokens, estimated cost, wall time,
//! and the ratio of wall time to the lower bound `ceil(calls / concurrency) × latency`.
//! Targets: (c) ≤ 1.05 × ceil(blocks / pack size) calls; wall ratio ≤ 1.25; peak memory of the
//! worker flat from the smallest to the largest size.
//!
//! Every case runs in a child process (this binary re-executed with `BENCH_WORKER_PHASE`), so
//! each peak memory figure (`VmHWM`) is its own: a setup child builds the store (document,
//! schema, policy, run), then a worker child opens it and runs the worker, as `blockwise run
//! start` would. The fake server runs in the parent (it keeps every request it receives, which
//! is not the worker's memory).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::fake::{FakeConfig, FakeServer};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::policy;
use blockwise::provider;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use serde_json::{json, Value};

const LATENCY: Duration = Duration::from_millis(50);
const CONCURRENCY: u32 = 16;
const MODEL: &str = "claude-sonnet-4-5";
const USER: &str = "bench";

#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    label: &'static str,
    batching: bool,
    caching: bool,
}

const CASES: [Case; 3] = [
    Case {
        name: "a",
        label: "(a) batch off, cache off",
        batching: false,
        caching: false,
    },
    Case {
        name: "b",
        label: "(b) cache on",
        batching: false,
        caching: true,
    },
    Case {
        name: "c",
        label: "(c) batch on (+cache)",
        batching: true,
        caching: true,
    },
];

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own; RUSAGE_SELF is always valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn store_path(dir: &Path) -> PathBuf {
    dir.join("bench.redb")
}

/// A system prompt of about 1,500 tokens: above Anthropic's 1,024-token minimum cacheable
/// prefix for the model, so caching is worth something, as with a real annotation guide.
fn system_instructions() -> String {
    const WORDS: &[&str] = &[
        "label",
        "each",
        "block",
        "by",
        "its",
        "main",
        "obligation",
        "payment",
        "term",
        "party",
        "notice",
        "only",
        "when",
        "the",
        "text",
        "says",
        "so",
        "explicitly",
        "otherwise",
        "other",
    ];
    let mut rng = blockwise::synth::SplitMix64::new(7);
    let mut out = String::from(
        "You annotate contract excerpts one block at a time. Follow the numbered rules.\n",
    );
    for rule in 1..=100 {
        out.push_str(&format!("{rule}."));
        for _ in 0..10 {
            out.push(' ');
            out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        }
        out.push_str(".\n");
    }
    out
}

/// Setup child: a store with the document, the schema, the policy of `case`, and a run.
fn setup_child(case: Case, blocks: usize, dir: &Path) {
    let store = Store::open(&store_path(dir)).expect("open store");
    policy::ensure_workspace_admin_as(&store, USER).expect("admin");
    for (key, on) in [
        ("worker.batching.enabled", case.batching),
        ("worker.prompt_caching.enabled", case.caching),
    ] {
        policy::set_value(&store, USER, key, json!(on), Some("benchmark")).expect("set policy");
    }
    let path = dir.join("doc.md");
    std::fs::write(&path, blockwise::synth::markdown(blocks, 42)).expect("write document");
    let report = ingest_path(
        &store,
        &path,
        IngestLimits {
            max_file_bytes: 1 << 30,
        },
    )
    .expect("ingest");
    let schema_json = json!({
        "type": "object",
        "prompt_config": {"system_instructions": system_instructions()},
        "properties": {
            "topic": {"type": "string"},
            "label": {"type": "string", "enum": ["obligation", "payment", "other"]},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "flag": {"type": "boolean"}
        },
        "required": ["label"]
    });
    schema::save(
        &store,
        SaveRequest::new(schema_json, Some("bench".into()), USER),
    )
    .expect("save schema");
    let run = worker::create_run(
        &store,
        &report.document.conv_uid,
        "bench",
        &CreateRunOptions {
            provider: Some("anthropic".into()),
            model: Some(MODEL.into()),
            ..Default::default()
        },
    )
    .expect("create run");
    let wp = policy::WorkerPolicy::from_snapshot(&run.model_config.policy);
    assert_eq!(wp.batching, case.batching);
    assert_eq!(wp.prompt_caching, case.caching);
    let result = json!({
        "run_id": run.run_id,
        "blocks": report.document.total_blocks,
        "pack_size": wp.pack_size,
    });
    println!("RESULT {result}");
}

/// Worker child: what `blockwise run start` does — open the store, work the run to the end.
/// Its `VmHWM` is the worker's peak memory.
fn run_child(dir: &Path, run_id: &str, fake_url: String) {
    let store = Arc::new(Store::open(&store_path(dir)).expect("open store"));
    let client =
        blockwise::worker::connect("anthropic", Some(env("ANTHROPIC_API_KEY")), Some(fake_url))
            .expect("connect");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let opts = EngineOptions {
        concurrency: Some(CONCURRENCY),
        // The fake stands in for Anthropic's endpoint: price it like the vendor.
        prices: provider::PriceTable::builtin_anywhere(),
        ..EngineOptions::default()
    };
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let cpu_start = cpu_seconds();
    let t = Instant::now();
    let end = runtime
        .block_on(worker::run_worker(
            store.clone(),
            Arc::new(client),
            run_id,
            opts,
            None,
            stop_rx,
        ))
        .expect("worker");
    let wall = t.elapsed();
    let cpu = cpu_seconds() - cpu_start;
    let peak = status_kib("VmHWM:").unwrap_or(0);
    assert_eq!(end, RunEnd::Complete, "run did not complete");
    let done = store.get_run(run_id).unwrap().unwrap();
    assert_eq!(
        done.counters.ai_complete, done.counters.total,
        "{:?}",
        done.counters
    );
    let records = store.calls(run_id).expect("call records");
    let mean_call_ms =
        records.iter().map(|c| c.latency_ms as f64).sum::<f64>() / records.len().max(1) as f64;
    let u = done.usage;
    // The file moves in redb's growth steps (up to 50 % for the same data); the allocated pages
    // are the data (store::space).
    let space = store.space().expect("store space");
    let result = json!({
        "mean_call_ms": mean_call_ms,
        "calls": u.calls,
        "input": u.tokens.input_tokens,
        "cache_write": u.tokens.cache_write_tokens,
        "cache_read": u.tokens.cache_read_tokens,
        "output": u.tokens.output_tokens,
        "cost": u.cost_usd,
        "wall_ms": wall.as_secs_f64() * 1e3,
        "cpu_s": cpu,
        "peak_kib": peak,
        "store_kib": space.file_bytes / 1024,
        "store_data_kib": space.allocated_bytes / 1024,
    });
    println!("RESULT {result}");
}

fn child_result(mut cmd: Command, what: &str) -> Value {
    let out = cmd.output().expect("run benchmark child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    match (
        out.status.success(),
        stdout.lines().find_map(|l| l.strip_prefix("RESULT ")),
    ) {
        (true, Some(l)) => serde_json::from_str(l).expect("child result is JSON"),
        _ => panic!(
            "{what} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Set up and run one case, each in its own process.
fn run_case(case: Case, blocks: usize) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("current exe");
    let child = |phase: &str| {
        let mut c = Command::new(&exe);
        c.env("BENCH_WORKER_PHASE", phase)
            .env("BENCH_DIR", dir.path())
            .env("ANTHROPIC_API_KEY", "sk-ant-bench-key")
            .env("BLOCKWISE_CONFIG_DIR", dir.path().join("config"))
            .env_remove("BLOCKWISE_STORE");
        c
    };
    let mut setup = child("setup");
    setup
        .env("BENCH_CASE", case.name)
        .env("BENCH_N", blocks.to_string());
    let mut v = child_result(setup, &format!("setup of {} at {blocks}", case.name));
    // The fake lives in this (parent) process: it records every request it gets, which is not
    // the worker's memory.
    let fake = FakeServer::start(FakeConfig {
        default_latency: LATENCY,
        // As Anthropic does for this model: shorter prefixes are not cached.
        min_cacheable_tokens: provider::min_cacheable_tokens("anthropic", MODEL).unwrap_or(0)
            as u64,
        ..FakeConfig::default()
    })
    .expect("start fake provider");
    let mut run = child("run");
    run.env("BENCH_RUN", v["run_id"].as_str().expect("run_id"))
        .env("BENCH_FAKE_URL", fake.anthropic_base_url());
    let r = child_result(run, &format!("case {} at {blocks}", case.name));
    for (k, val) in r.as_object().expect("object") {
        v[k] = val.clone();
    }
    assert_eq!(
        json!(fake.call_count()),
        v["calls"],
        "calls recorded vs calls the fake received"
    );
    v
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or(0)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn main() {
    match std::env::var("BENCH_WORKER_PHASE").as_deref() {
        Ok("setup") => {
            let name = env("BENCH_CASE");
            let case = CASES
                .iter()
                .copied()
                .find(|c| c.name == name)
                .expect("known case");
            let n = env("BENCH_N").parse().expect("block count");
            setup_child(case, n, Path::new(&env("BENCH_DIR")));
            return;
        }
        Ok("run") => {
            run_child(
                Path::new(&env("BENCH_DIR")),
                &env("BENCH_RUN"),
                env("BENCH_FAKE_URL"),
            );
            return;
        }
        _ => {}
    }
    let mut sizes: Vec<usize> = std::env::var("BENCH_BLOCKS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    sizes.sort_unstable();
    sizes.dedup();
    println!(
        "worker benchmark: fake provider, {} ms latency per call, concurrency {CONCURRENCY}, \
         model {MODEL}",
        LATENCY.as_millis()
    );
    let mut all: Vec<(usize, Vec<Value>)> = Vec::new();
    let mut failures = 0;
    let largest = sizes.last().copied().unwrap_or(0);
    for &n in &sizes {
        // Targets are judged at the largest size (10,000 by default); smaller sizes are shown
        // for the memory comparison, where fixed start-up costs dominate the wall time.
        let judged = n == largest;
        let mut judge = |ok: bool| {
            if judged {
                failures += usize::from(!ok);
                verdict(ok)
            } else {
                "info"
            }
        };
        let results: Vec<Value> = CASES.iter().map(|&c| run_case(c, n)).collect();
        let blocks = u(&results[0], "blocks");
        println!("\n{blocks} blocks (synth::markdown({n}, 42))");
        println!(
            "  {:<26} {:>7} {:>10} {:>11} {:>11} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9} {:>6}",
            "configuration",
            "calls",
            "input",
            "cache-wr",
            "cache-rd",
            "output",
            "cost $",
            "wall s",
            "bound s",
            "ratio",
            "peak MiB",
            "cpu s"
        );
        for (case, r) in CASES.iter().zip(&results) {
            let calls = u(r, "calls");
            let bound = calls.div_ceil(CONCURRENCY as u64) as f64 * LATENCY.as_secs_f64();
            let wall = r["wall_ms"].as_f64().unwrap_or(0.0) / 1e3;
            let ratio = wall / bound;
            let cost = r["cost"]
                .as_f64()
                .map_or("unknown".to_string(), |c| format!("{c:.4}"));
            println!(
                "  {:<26} {:>7} {:>10} {:>11} {:>11} {:>9} {:>9} {:>9.2} {:>9.2} {:>7.3} {:>9.1} {:>6.2}",
                case.label,
                calls,
                u(r, "input"),
                u(r, "cache_write"),
                u(r, "cache_read"),
                u(r, "output"),
                cost,
                wall,
                bound,
                ratio,
                u(r, "peak_kib") as f64 / 1024.0,
                r["cpu_s"].as_f64().unwrap_or(0.0)
            );
        }
        println!("  per block (issue 14: output tokens are the expensive ones)");
        for (case, r) in CASES.iter().zip(&results) {
            let per = |v: f64| v / blocks.max(1) as f64;
            let cost = r["cost"]
                .as_f64()
                .map_or("unknown".to_string(), |c| format!("${:.7}", per(c)));
            println!(
                "  {:<26} output tokens/block {:>7.2}   input tokens/block {:>8.2}   cost/block {}",
                case.label,
                per(u(r, "output") as f64),
                per((u(r, "input") + u(r, "cache_write") + u(r, "cache_read")) as f64),
                cost
            );
        }
        println!(
            "  where time goes: per round of {CONCURRENCY} calls, wall / rounds = call latency \
             seen by the worker (HTTP + fake) + the rest (commit, ack, claims, scheduling)"
        );
        for (case, r) in CASES.iter().zip(&results) {
            let rounds = u(r, "calls").div_ceil(CONCURRENCY as u64).max(1) as f64;
            let per_round = r["wall_ms"].as_f64().unwrap_or(0.0) / rounds;
            let call = r["mean_call_ms"].as_f64().unwrap_or(0.0);
            println!(
                "    {:<26} {per_round:>6.1} ms/round = {call:>5.1} ms call + {:>5.1} ms rest \
                 (worker CPU {:.2} ms/call)",
                case.label,
                per_round - call,
                r["cpu_s"].as_f64().unwrap_or(0.0) * 1e3 / u(r, "calls").max(1) as f64
            );
        }
        println!(
            "  targets{}:",
            if judged {
                ""
            } else {
                " (informational at this size)"
            }
        );
        for (case, r) in CASES.iter().zip(&results) {
            let calls = u(r, "calls");
            let bound = calls.div_ceil(CONCURRENCY as u64) as f64 * LATENCY.as_secs_f64();
            let ratio = r["wall_ms"].as_f64().unwrap_or(0.0) / 1e3 / bound;
            println!(
                "    {:<26} wall / bound = {ratio:.3} (target <= 1.25): {}",
                case.label,
                judge(ratio <= 1.25)
            );
        }
        let c = &results[2];
        let pack = u(c, "pack_size");
        let ideal = blocks.div_ceil(pack);
        let limit = ideal as f64 * 1.05;
        let ok = (u(c, "calls") as f64) <= limit;
        println!(
            "    (c) calls {} vs ceil({blocks} / pack size {pack}) = {ideal} -> ratio {:.3} \
             (target <= 1.05): {}",
            u(c, "calls"),
            u(c, "calls") as f64 / ideal as f64,
            judge(ok)
        );
        all.push((n, results));
    }
    if all.len() >= 2 {
        let (small_n, small) = &all[0];
        let (big_n, big) = &all[all.len() - 1];
        println!(
            "\npeak memory of the worker process (VmHWM of a process that opens the store and runs the \
             worker, like `blockwise run start`; in brackets at the end: the store file's size and the \
             pages redb has allocated, its data: the file grows in steps of up to 50 %)"
        );
        for (i, case) in CASES.iter().enumerate() {
            let a = u(&small[i], "peak_kib") as f64 / 1024.0;
            let b = u(&big[i], "peak_kib") as f64 / 1024.0;
            // Flat: growing the document 10× may not grow the worker's peak by more than half.
            let ok = b <= a * 1.5;
            failures += usize::from(!ok);
            let store = |r: &Value| {
                format!(
                    "[store {:>5.1}, data {:>5.1}]",
                    u(r, "store_kib") as f64 / 1024.0,
                    u(r, "store_data_kib") as f64 / 1024.0
                )
            };
            println!(
                "  {:<26} {small_n:>6} blocks {a:>6.1} MiB {}   {big_n:>6} blocks \
                 {b:>6.1} MiB {}   ×{:.2} (target <= 1.5): {}",
                case.label,
                store(&small[i]),
                store(&big[i]),
                b / a,
                verdict(ok)
            );
        }
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
