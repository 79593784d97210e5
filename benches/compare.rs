//! Run comparison benchmark (issue 27 item 6): `cargo bench --bench compare`.
//!
//! Two runs over one ~100,000-block synthetic document, every block staged (run B differs on
//! every 50th block), then in the same process:
//! - `run compare A B` (all four fields) timed, best of 3; target ≤ 2 s;
//! - the bound measured in the same run: a bare scan of both runs' overlays (the store reads
//!   a comparison cannot avoid), printed as the ratio compare / scan;
//! - the compare's peak memory above its start (VmHWM, reset just before it) against the
//!   memory one run's values take when loaded (`Vec<Value>`); target ≤ 2×.
//!
//! `BENCH_BLOCKS=N` changes the size.

use std::time::{Duration, Instant};

use blockwise::evidence::compare_runs::{compare, Side};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{ModelConfig, OverlayStatus, Run};
use blockwise::schema::{save, SaveRequest};
use blockwise::store::{Store, StoreError};
use serde_json::{json, Value};

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Reset VmHWM to the current RSS (Linux ≥ 4.0); false when not allowed.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn value(i: u32, differ: bool) -> Value {
    let labels = ["fact", "claim", "other"];
    let label = labels[(i as usize + usize::from(differ)) % 3];
    json!({
        "label": label,
        "flag": i.is_multiple_of(7),
        "quote": format!("Block {i} quotes a short phrase"),
        "score": (i % 100) as f64 / 100.0,
    })
}

/// A run over `conv` with every block staged; B's values differ on every 50th block.
fn staged_run(
    store: &Store,
    id: &str,
    conv: &str,
    schema: (&str, &str, &str),
    n: u32,
    b: bool,
) -> Run {
    let run = Run::new(
        id,
        conv,
        schema,
        ModelConfig::fixed("demo", "demo", 0.0, 100),
        "bench",
    );
    store.create_run(&run, n).expect("run");
    store
        .with_run(id, |rt| {
            for i in 0..n {
                let mut ov = rt.overlay(i)?.expect("overlay");
                let v = value(i, b && i.is_multiple_of(50));
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v);
                rt.put_overlay(&ov)?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("stage");
    store.get_run(id).unwrap().unwrap()
}

fn main() {
    let target: usize = std::env::var("BENCH_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.md");
    std::fs::write(&path, blockwise::synth::markdown(target, 7)).expect("write");
    let store = Store::open(&dir.path().join("s.redb")).expect("store");
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let doc = ingest_path(&store, &path, limits).expect("ingest").document;
    let schema_json = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "flag": {"type": "boolean"},
        "quote": {"type": "string", "x-grounded": true},
        "score": {"type": "number"}
    }});
    let schema = save(
        &store,
        SaveRequest::new(schema_json.clone(), Some("b".into()), "bench"),
    )
    .expect("schema")
    .schema()
    .clone();
    let ids = (
        &schema.schema_id[..],
        &schema.schema_ref[..],
        &schema.schema_uid[..],
    );
    let n = doc.total_blocks;
    let a = staged_run(&store, "run_a", &doc.conv_uid, ids, n, false);
    let b = staged_run(&store, "run_b", &doc.conv_uid, ids, n, true);
    let side = |r: &Run| Side {
        name: r.run_id.clone(),
        runs: vec![r.clone()],
        schema: schema_json.clone(),
    };
    let (sa, sb) = (side(&a), side(&b));

    let rss_before = status_kib("VmRSS:").unwrap_or(0);
    let reset = reset_peak();
    let t = Instant::now();
    let first = compare(&store, &sa, &sb, None, false).expect("compare");
    let one = t.elapsed();
    let peak = status_kib("VmHWM:").unwrap_or(0);
    let compare_kib = peak.saturating_sub(rss_before);
    let label = first.fields.iter().find(|f| f.field == "label").unwrap();
    assert_eq!(
        label.differing.len() as u32,
        n.div_ceil(50),
        "the planted differences"
    );
    let compare_t = best_of(2, || {
        let t = Instant::now();
        std::hint::black_box(compare(&store, &sa, &sb, None, false).expect("compare"));
        t.elapsed()
    })
    .min(one);
    let scan_t = best_of(3, || {
        let t = Instant::now();
        let mut bytes = 0usize;
        store
            .for_each_overlay_pair(&a.run_id, &b.run_id, |_, x, y| {
                bytes += x.and_then(|o| o.staging).map_or(0, |r| r.get().len());
                bytes += y.and_then(|o| o.staging).map_or(0, |r| r.get().len());
                Ok::<(), StoreError>(())
            })
            .expect("scan");
        std::hint::black_box(bytes);
        t.elapsed()
    });

    // One run's values in memory: the bound of the memory target.
    let rss0 = status_kib("VmRSS:").unwrap_or(0);
    let mut values: Vec<Value> = Vec::with_capacity(n as usize);
    store
        .for_each_overlay(&a.run_id, |ov| {
            values.push(ov.staging.unwrap_or(Value::Null));
            Ok(())
        })
        .expect("load values");
    let values_kib = status_kib("VmRSS:")
        .unwrap_or(0)
        .saturating_sub(rss0)
        .max(1);
    std::hint::black_box(&values);

    let secs = compare_t.as_secs_f64();
    let mem_ratio = compare_kib as f64 / values_kib as f64;
    println!("compare: two runs of {n} blocks, 4 fields (2 categorical)");
    println!(
        "  time     {:>8.3} s  (target ≤ 2 s: ratio {:.2})  {}",
        secs,
        secs / 2.0,
        verdict(secs <= 2.0)
    );
    println!(
        "  bound    {:>8.3} s  bare scan of both runs' overlays; compare / scan = {:.2}",
        scan_t.as_secs_f64(),
        secs / scan_t.as_secs_f64().max(1e-9)
    );
    if reset {
        println!(
            "  memory   {compare_kib:>8} KiB above start, one run's values {values_kib} KiB: ratio {mem_ratio:.2} (target ≤ 2)  {}",
            verdict(mem_ratio <= 2.0)
        );
    } else {
        println!("  memory   not measured: the kernel refused to reset VmHWM  FAIL");
    }
}
