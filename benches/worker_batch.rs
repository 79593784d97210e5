//! Batch-mode benchmark (issue 24): `cargo bench --bench worker_batch`.
//!
//! 1. Cost: the same 10,000-block document (`BENCH_BLOCKS` overrides) at Sonnet prices, once in
//!    real time (packing + caching on, the worker bench's case (c)) and once through the fake's
//!    Message Batches API; prints both costs and their ratio (target ≤ 0.5), and checks that
//!    clean answers take ceil(N / pack) requests in ceil(requests / limit) batches (with the
//!    provider's limit, and with a limit of 300 requests to make it split).
//! 2. Join: a batch of 100,000 requests (`BENCH_JOIN_LINES` overrides; one block each) is
//!    submitted, then a child process (this binary with `BENCH_BATCH_PHASE=join`) opens the
//!    store and joins the 100,000-line result file as `blockwise run start` would; it reports
//!    lines per second (target ≥ 50,000) and peak memory above its own baseline after opening
//!    the store (target ≤ 64 MiB). The fake lives in the parent, so its copy of the file is not
//!    counted; it has rendered the file once before the child starts (a real provider serves a
//!    finished file).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::fake::{FakeBatchConfig, FakeConfig, FakeServer};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::policy;
use blockwise::provider::batch::{BatchClient, BatchLimits};
use blockwise::provider::{self, PriceTable};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::worker::batch::{run_batch_worker, BatchOptions};
use blockwise::worker::{self, AnyProvider, CreateRunOptions, EngineOptions, RunEnd};
use serde_json::{json, Value};
use tokio::sync::watch;

const MODEL: &str = "claude-sonnet-4-5";
const USER: &str = "bench";
const KEY: &str = "sk-ant-bench-key";

/// Live heap bytes and their peak (the join child reports its heap peak next to its RSS, to
/// tell what it allocated from what the allocator kept). Each thread adds up its own changes
/// and moves them to `LIVE` once they pass [`SLACK`] either way, so the peak may read up to
/// `SLACK` per thread low (well under 1 MiB against a figure in MiB). Counting every
/// allocation in one shared atomic made the counting itself a large share of the join's CPU
/// (perf: `__rust_alloc`/`__rust_dealloc` 24 % of the main thread, 34 % of the writer's, the
/// two fighting over one cache line); the product has no counting allocator.
struct Counting;
#[repr(align(128))]
struct Line(AtomicIsize);
static LIVE: Line = Line(AtomicIsize::new(0));
static PEAK: Line = Line(AtomicIsize::new(0));
const SLACK: isize = 64 * 1024;

thread_local! {
    static DELTA: Cell<isize> = const { Cell::new(0) };
}

/// Count `d` bytes more (or fewer) live.
fn note(d: isize) {
    let ready = DELTA
        .try_with(|c| {
            let v = c.get() + d;
            if v.abs() < SLACK {
                c.set(v);
                0
            } else {
                c.set(0);
                v
            }
        })
        .unwrap_or(d);
    if ready != 0 {
        let now = LIVE.0.fetch_add(ready, Ordering::Relaxed) + ready;
        if now > PEAK.0.load(Ordering::Relaxed) {
            PEAK.0.fetch_max(now, Ordering::Relaxed);
        }
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        note(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new);
        if !p.is_null() {
            note(new as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds this process has used (user + system, from /proc/self/stat): a figure that
/// does not depend on how loaded the machine is, shown beside the wall-clock rate.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn env_n(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// About 1,500 tokens of rules: above Sonnet's 1,024-token minimum cacheable prefix.
fn rules() -> String {
    (1..=100)
        .map(|i| format!("{i}. label each block by its main obligation or payment term only.\n"))
        .collect()
}

/// A store with `blocks` paragraphs, a label schema (with `system` as its instructions) and
/// `pack` as the pack size; returns the conv_uid.
fn setup(path: &Path, blocks: usize, pack: u32, system: &str) -> (Arc<Store>, String) {
    let store = Store::open(path).expect("open store");
    policy::ensure_workspace_admin_as(&store, USER).unwrap();
    let doc = path.with_extension("md");
    let text: String = (0..blocks)
        .map(|i| {
            format!(
                "Paragraph {i}: the party shall pay invoice {} within 30 days.\n\n",
                i % 97
            )
        })
        .collect();
    std::fs::write(&doc, text).unwrap();
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let conv = ingest_path(&store, &doc, limits).unwrap().document.conv_uid;
    let schema = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["obligation", "payment", "other"]}
    }, "prompt_config": {"system_instructions": system}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), USER)).unwrap();
    policy::set_value(
        &store,
        USER,
        "worker.batching.pack_size",
        json!(pack),
        Some("bench"),
    )
    .unwrap();
    (Arc::new(store), conv)
}

fn create(store: &Store, conv: &str) -> String {
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        model: Some(MODEL.into()),
        ..Default::default()
    };
    worker::create_run(store, conv, "s", &opts).unwrap().run_id
}

fn clients(fake: &FakeServer) -> (Arc<AnyProvider>, BatchClient) {
    let p = worker::connect(
        "anthropic",
        Some(KEY.into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let c = p.batch_client().unwrap();
    (Arc::new(p), c)
}

fn engine() -> EngineOptions {
    EngineOptions {
        concurrency: Some(16),
        prices: PriceTable::builtin_anywhere(),
        ..EngineOptions::default()
    }
}

fn batch_opts(limits: Option<BatchLimits>) -> BatchOptions {
    BatchOptions {
        engine: engine(),
        poll: Some((Duration::from_millis(10), Duration::from_millis(50))),
        limits,
    }
}

/// Part 1: real time vs batch on the same blocks; returns the failures.
fn cost_part(rt: &tokio::runtime::Runtime, blocks: usize) -> usize {
    let pack = 10u32;
    let dir = tempfile::tempdir().unwrap();
    let (store, conv) = setup(&dir.path().join("cost.redb"), blocks, pack, &rules());
    let min_cache = provider::min_cacheable_tokens("anthropic", MODEL).unwrap_or(0) as u64;
    let fake = FakeServer::start(FakeConfig {
        min_cacheable_tokens: min_cache,
        ..FakeConfig::default()
    })
    .unwrap();
    let (p, c) = clients(&fake);
    let (_stop, rx) = watch::channel(false);
    let realtime = create(&store, &conv);
    let end = rt.block_on(worker::run_worker(
        store.clone(),
        p.clone(),
        &realtime,
        engine(),
        None,
        rx.clone(),
    ));
    assert_eq!(end.unwrap(), RunEnd::Complete);
    let rt_calls = fake.call_count();
    let mut failures = 0;
    let mut costs = Vec::new();
    for (label, limits, limit) in [
        ("provider limit", None, c.limits().max_requests),
        (
            "limit 300",
            Some(BatchLimits {
                max_requests: 300,
                max_bytes: usize::MAX,
            }),
            300,
        ),
    ] {
        fake.clear_cache();
        let before = (fake.batches_created(), fake.batch_requests());
        let run = create(&store, &conv);
        let end = rt.block_on(run_batch_worker(
            store.clone(),
            p.clone(),
            c.clone(),
            &run,
            batch_opts(limits),
            None,
            rx.clone(),
        ));
        assert_eq!(end.unwrap(), RunEnd::Complete);
        let requests = fake.batch_requests() - before.1;
        let batches = fake.batches_created() - before.0;
        let want_requests = blocks.div_ceil(pack as usize) as u64;
        let want_batches = (want_requests as usize).div_ceil(limit) as u64;
        let ok = requests == want_requests && batches == want_batches;
        failures += usize::from(!ok);
        println!(
            "  batch ({label}): {requests} requests (want ceil({blocks}/{pack}) = {want_requests}) in {batches} batches (want ceil({want_requests}/{limit}) = {want_batches})  {}",
            verdict(ok)
        );
        costs.push(
            store
                .get_run(&run)
                .unwrap()
                .unwrap()
                .usage
                .cost_usd
                .unwrap_or(f64::NAN),
        );
    }
    let rt_cost = store
        .get_run(&realtime)
        .unwrap()
        .unwrap()
        .usage
        .cost_usd
        .unwrap_or(f64::NAN);
    let ratio = costs[0] / rt_cost;
    let ok = ratio <= 0.5 + 1e-9;
    failures += usize::from(!ok);
    println!("  real time (pack {pack} + cache): {rt_calls} calls, cost ${rt_cost:.4}");
    println!(
        "  batch: cost ${:.4}  ratio {ratio:.4} (target <= 0.5)  {}",
        costs[0],
        verdict(ok)
    );
    failures
}

/// Part 2, parent side: submit a `lines`-request batch, let it end, render its file once, and
/// have a child join it.
fn join_part(rt: &tokio::runtime::Runtime, lines: usize) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("join.redb");
    let t = Instant::now();
    let (store, conv) = setup(&path, lines, 1, "Label each block.");
    let run = create(&store, &conv);
    let fake = FakeServer::start(FakeConfig {
        batch: FakeBatchConfig {
            processing: Duration::from_secs(3600),
            ..Default::default()
        },
        ..FakeConfig::default()
    })
    .unwrap();
    let (p, c) = clients(&fake);
    let (stop, rx) = watch::channel(false);
    let submit = {
        let (store, run, c) = (store.clone(), run.clone(), c.clone());
        rt.spawn(
            async move { run_batch_worker(store, p, c, &run, batch_opts(None), None, rx).await },
        )
    };
    while fake.batches_created() == 0
        || store
            .batches_of_run(&run)
            .unwrap()
            .iter()
            .all(|b| b.provider_batch_id.is_none())
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    stop.send(true).unwrap();
    assert_eq!(rt.block_on(submit).unwrap().unwrap(), RunEnd::Interrupted);
    fake.set_batch_config(FakeBatchConfig::default());
    let id = store.batches_of_run(&run).unwrap()[0]
        .provider_batch_id
        .clone()
        .unwrap();
    // Render the file once (a real provider serves a finished file).
    let status = rt.block_on(c.get(&id)).unwrap();
    let mut stream = rt.block_on(c.results(&status)).unwrap();
    let mut n = 0;
    while rt.block_on(stream.next_line()).unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, lines);
    println!(
        "  setup: {lines} blocks ingested, one {lines}-request batch submitted and ended ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
    drop(store);
    let out = Command::new(std::env::current_exe().unwrap())
        .env("BENCH_BATCH_PHASE", "join")
        .env("BENCH_STORE", &path)
        .env("BENCH_RUN", &run)
        .env("BENCH_FAKE_URL", fake.anthropic_base_url())
        .env("BLOCKWISE_CONFIG_DIR", dir.path().join("config"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(r) = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) else {
        panic!(
            "join child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for l in String::from_utf8_lossy(&out.stderr).lines() {
        if l.contains("timing") || l.contains("batch session") {
            println!("  child: {}", l.trim());
        }
    }
    let r: Value = serde_json::from_str(r).unwrap();
    let secs = r["seconds"].as_f64().unwrap();
    let rate = lines as f64 / secs;
    let above_mib = (r["peak_kib"]
        .as_u64()
        .unwrap()
        .saturating_sub(r["base_kib"].as_u64().unwrap())) as f64
        / 1024.0;
    let (rate_ok, mem_ok) = (rate >= 50_000.0, above_mib <= 64.0);
    println!(
        "  join: {lines} lines in {secs:.2} s = {rate:.0} lines/s, ratio to target 50,000 = {:.2}  {}",
        rate / 50_000.0,
        verdict(rate_ok)
    );
    let cpu = r["cpu_seconds"].as_f64().unwrap_or(0.0);
    println!(
        "  join: the child used {cpu:.2} CPU seconds (user + system, all threads) = {:.0} lines per CPU second; load {}",
        lines as f64 / cpu.max(0.01),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    println!(
        "  join: peak {:.1} MiB above the child's baseline ({:.1} MiB after opening the store), ratio to 64 MiB = {:.2}  {}",
        above_mib,
        r["base_kib"].as_u64().unwrap() as f64 / 1024.0,
        above_mib / 64.0,
        verdict(mem_ok)
    );
    println!(
        "  join: heap peak {:.1} MiB above the same baseline (what the allocator kept beyond it is the rest of the RSS)",
        r["heap_peak_kib"].as_u64().unwrap_or(0) as f64 / 1024.0
    );
    usize::from(!rate_ok) + usize::from(!mem_ok)
}

/// Part 2, child side: open the store and run the batch worker, which polls (ended) and joins.
fn join_child() {
    let var = |k: &str| std::env::var(k).unwrap();
    // The join's own phase timings (debug lines) go to stderr; the parent shows them.
    tracing_subscriber::fmt()
        .with_env_filter("blockwise::worker::batch=debug")
        .with_writer(std::io::stderr)
        .init();
    let store = Arc::new(Store::open(Path::new(&var("BENCH_STORE"))).unwrap());
    let run = var("BENCH_RUN");
    let p = worker::connect("anthropic", Some(KEY.into()), Some(var("BENCH_FAKE_URL"))).unwrap();
    let c = p.batch_client().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = status_kib("VmRSS:");
    let heap_base = LIVE.0.load(Ordering::Relaxed);
    PEAK.0.store(heap_base, Ordering::Relaxed);
    let (_stop, rx) = watch::channel(false);
    let opts = BatchOptions {
        poll: Some((Duration::from_millis(1), Duration::from_millis(1))),
        ..batch_opts(None)
    };
    let t = Instant::now();
    let cpu = cpu_seconds();
    let end = rt
        .block_on(run_batch_worker(
            store.clone(),
            Arc::new(p),
            c,
            &run,
            opts,
            None,
            rx,
        ))
        .unwrap();
    let seconds = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    assert_eq!(end, RunEnd::Complete);
    let r = store.get_run(&run).unwrap().unwrap();
    assert_eq!(r.counters.ai_complete, r.counters.total);
    let peak = status_kib("VmHWM:");
    println!(
        "RESULT {}",
        json!({"seconds": seconds, "cpu_seconds": cpu, "base_kib": base, "peak_kib": peak,
            "heap_peak_kib": (PEAK.0.load(Ordering::Relaxed) - heap_base).max(0) / 1024})
    );
}

fn main() {
    if std::env::var("BENCH_BATCH_PHASE").as_deref() == Ok("join") {
        join_child();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let blocks = env_n("BENCH_BLOCKS", 10_000);
    let lines = env_n("BENCH_JOIN_LINES", 100_000);
    println!("worker_batch bench: cost at {blocks} blocks ({MODEL} prices)");
    let mut failures = cost_part(&rt, blocks);
    println!("worker_batch bench: join of a {lines}-line result file");
    failures += join_part(&rt, lines);
    println!(
        "{}",
        if failures == 0 {
            "all targets PASS".to_string()
        } else {
            format!("{failures} target(s) FAIL")
        }
    );
}
