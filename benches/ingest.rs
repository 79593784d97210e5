//! Ingest benchmark (issue 2): `cargo bench --bench ingest`.
//!
//! Generates a ~10 MB Markdown file (~50k blocks), then measures in the same run:
//! parse-only time (Markdown → block drafts) and full ingest time (read, validate, hash, parse,
//! build blocks, one redb write transaction with a durable commit). Prints blocks/s, peak memory
//! and the ratio full/parse-only (target ≤ 2.0).

use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, markdown_drafts, IngestLimits};
use blockwise::store::Store;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

fn main() {
    let target_blocks: usize = std::env::var("BENCH_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let text = blockwise::synth::markdown(target_blocks, 42);
    let path = dir.path().join("bench.md");
    std::fs::write(&path, &text).expect("write bench file");
    let rss_before = peak_rss_kib();

    let mut blocks = 0;
    let parse = best_of(3, || {
        let t = Instant::now();
        let d = markdown_drafts(&text);
        blocks = d.blocks.len();
        t.elapsed()
    });
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let mut run = 0;
    let full = best_of(3, || {
        run += 1;
        let store = Store::open(&dir.path().join(format!("s{run}.redb"))).expect("store");
        let t = Instant::now();
        let report = ingest_path(&store, &path, limits).expect("ingest");
        let e = t.elapsed();
        assert!(report.created);
        e
    });
    // Where full ingest time goes: read + validate + hash + parse, then the store write.
    let prepare = best_of(3, || {
        let t = Instant::now();
        let p = blockwise::ingest::prepare_path(&path, limits).expect("prepare");
        let e = t.elapsed();
        assert_eq!(p.drafts.len(), blocks);
        e
    });
    let prepared = blockwise::ingest::prepare_path(&path, limits).expect("prepare");
    let write = best_of(3, || {
        run += 1;
        let store = Store::open(&dir.path().join(format!("s{run}.redb"))).expect("store");
        let t = Instant::now();
        store
            .insert_document(&prepared.document, prepared.block_refs())
            .expect("insert");
        t.elapsed()
    });
    let mb = text.len() as f64 / 1e6;
    println!("ingest benchmark: {mb:.1} MB Markdown, {blocks} blocks (best of 3)");
    println!(
        "  parse-only : {:>8.1} ms  ({:.0} blocks/s)",
        parse.as_secs_f64() * 1e3,
        blocks as f64 / parse.as_secs_f64()
    );
    println!(
        "  full ingest: {:>8.1} ms  ({:.0} blocks/s, {:.1} MB/s)",
        full.as_secs_f64() * 1e3,
        blocks as f64 / full.as_secs_f64(),
        mb / full.as_secs_f64()
    );
    println!(
        "    of which read+validate+hash+parse {:.1} ms, store write + commit {:.1} ms",
        prepare.as_secs_f64() * 1e3,
        write.as_secs_f64() * 1e3
    );
    if let (Some(before), Some(peak)) = (rss_before, peak_rss_kib()) {
        println!(
            "  peak memory: {:.1} MiB (before ingest {:.1} MiB; source file {:.1} MiB)",
            peak as f64 / 1024.0,
            before as f64 / 1024.0,
            text.len() as f64 / 1048576.0
        );
    }
    let ratio = full.as_secs_f64() / parse.as_secs_f64();
    let verdict = if ratio <= 2.0 { "PASS" } else { "FAIL" };
    println!("  ratio full/parse-only = {ratio:.2} (target <= 2.00): {verdict}");
}
