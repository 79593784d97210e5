//! Checksum cost (issue 20 item 3): `cargo bench --bench seal_cost`.
//!
//! The same workloads, in one run, with the record checksums on and off (the bench-only switch
//! `sealed::bench_set_checksums`; off, a seal is 4 zero bytes and nothing is verified):
//! - ingest: a synthetic Markdown file (default 50,000 blocks, `BENCH_BLOCKS`) into a fresh
//!   store, best of 5 each, alternating;
//! - worker: a run of 2,000 blocks (`BENCH_WORKER_BLOCKS`) against the fake provider with no
//!   latency (the worst case: the store is then most of the wall), concurrency 16, best of 3.
//!
//! Prints both walls and the cost `on / off - 1`; target ≤ 5 % of each wall (PASS/FAIL).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::fake::{FakeConfig, FakeServer};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::{sealed, Store};
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use serde_json::json;

const TARGET: f64 = 0.05;

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ingest_once(doc: &Path) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("s.redb")).expect("store");
    let t = Instant::now();
    ingest_path(&store, doc, IngestLimits::default()).expect("ingest");
    t.elapsed()
}

fn worker_once(doc: &Path, fake: &FakeServer, rt: &tokio::runtime::Runtime) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(&dir.path().join("s.redb")).expect("store"));
    blockwise::policy::ensure_workspace_admin_as(&store, "bench").expect("admin");
    let conv = ingest_path(&store, doc, IngestLimits::default())
        .expect("ingest")
        .document
        .conv_uid;
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), "bench")).expect("schema");
    let opts = CreateRunOptions {
        provider: Some("anthropic".into()),
        model: Some("claude-sonnet-4-5".into()),
        ..Default::default()
    };
    let run = worker::create_run(&store, &conv, "s", &opts).expect("run");
    let client = worker::connect(
        "anthropic",
        Some("bench-key".into()),
        Some(fake.anthropic_base_url()),
    )
    .expect("connect");
    let engine = EngineOptions {
        concurrency: Some(16),
        ..EngineOptions::default()
    };
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let end = rt
        .block_on(worker::run_worker(
            store.clone(),
            Arc::new(client),
            &run.run_id,
            engine,
            None,
            rx,
        ))
        .expect("worker");
    let wall = t.elapsed();
    assert_eq!(end, RunEnd::Complete);
    wall
}

/// Best of `rounds` for each setting, alternating on and off so drift hits both alike.
fn compare(rounds: usize, mut once: impl FnMut() -> Duration) -> (Duration, Duration) {
    let (mut on, mut off) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        sealed::bench_set_checksums(true);
        on = on.min(once());
        sealed::bench_set_checksums(false);
        off = off.min(once());
    }
    sealed::bench_set_checksums(true);
    (on, off)
}

fn report(what: &str, (on, off): (Duration, Duration)) -> bool {
    let cost = on.as_secs_f64() / off.as_secs_f64() - 1.0;
    let pass = cost <= TARGET;
    println!(
        "{what}: checksums off {:.1} ms, on {:.1} ms: cost {:+.2} % of the wall (target <= {:.0} \
         %) {}",
        off.as_secs_f64() * 1e3,
        on.as_secs_f64() * 1e3,
        cost * 100.0,
        TARGET * 100.0,
        if pass { "PASS" } else { "FAIL" }
    );
    pass
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blocks = env_usize("BENCH_BLOCKS", 50_000);
    let doc = dir.path().join("bench.md");
    std::fs::write(&doc, blockwise::synth::markdown(blocks, 42)).expect("write");
    ingest_once(&doc); // warm the page cache
    let ingest = compare(5, || ingest_once(&doc));
    let ok_ingest = report(&format!("ingest of {blocks} blocks"), ingest);

    let wblocks = env_usize("BENCH_WORKER_BLOCKS", 2_000);
    let wdoc = dir.path().join("worker.md");
    std::fs::write(&wdoc, blockwise::synth::markdown(wblocks, 7)).expect("write");
    let fake = FakeServer::start(FakeConfig::default()).expect("fake provider");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let work = compare(3, || worker_once(&wdoc, &fake, &rt));
    let ok_worker = report(
        &format!("worker run of ~{wblocks} blocks (no latency)"),
        work,
    );
    if !(ok_ingest && ok_worker) {
        std::process::exit(1);
    }
}
