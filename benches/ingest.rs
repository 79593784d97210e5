//! Ingest benchmark (issue 2): `cargo bench --bench ingest`.
//!
//! Generates a ~10 MB Markdown file (~50k blocks), then measures in the same run (best of 5):
//! - parse-only: read the file, validate it as UTF-8 text and parse it into block ranges —
//!   everything a converter without identities or a store must do (the bound);
//! - the parser alone on an in-memory string, for reference;
//! - full ingest: the above plus both SHA-256 identities and one durable redb transaction
//!   holding the text pages, block records and document record.
//!
//! Prints blocks/s, peak memory, and the ratio full / parse-only (target ≤ 2.0).

use std::time::{Duration, Instant};

use blockwise::ingest::{
    convert, identity, ingest_path, markdown_drafts, IngestLimits, SourceFormat,
};
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
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
    let runs = 5;

    let mut blocks = 0;
    let parse_only = best_of(runs, || {
        let t = Instant::now();
        let raw = std::fs::read(&path).expect("read");
        let converted = convert(SourceFormat::Markdown, &raw).expect("convert");
        blocks = converted.drafts.blocks.len();
        t.elapsed()
    });
    let parser = best_of(runs, || {
        let t = Instant::now();
        let d = markdown_drafts(&text);
        assert_eq!(d.blocks.len(), blocks);
        t.elapsed()
    });
    let hashing = best_of(runs, || {
        let t = Instant::now();
        let ids = identity(
            SourceFormat::Markdown,
            SourceFormat::Markdown.parsing_tool(),
            text.as_bytes(),
            text.as_bytes(),
        );
        assert_eq!(ids.conv_uid.len(), 64);
        t.elapsed()
    });
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let mut n = 0;
    let full = best_of(runs, || {
        n += 1;
        let store = Store::open(&dir.path().join(format!("s{n}.redb"))).expect("store");
        let t = Instant::now();
        let report = ingest_path(&store, &path, limits).expect("ingest");
        let e = t.elapsed();
        assert!(report.created);
        assert_eq!(report.document.total_blocks as usize, blocks);
        e
    });
    let mb = text.len() as f64 / 1e6;
    println!("ingest benchmark: {mb:.1} MB Markdown, {blocks} blocks (best of {runs})");
    println!(
        "  parse-only  : {:>7.1} ms  ({:.0} blocks/s)  read + UTF-8 check + Markdown → blocks",
        ms(parse_only),
        blocks as f64 / parse_only.as_secs_f64()
    );
    println!(
        "    parser alone (string in memory): {:.1} ms; both SHA-256 identities: {:.1} ms",
        ms(parser),
        ms(hashing)
    );
    println!(
        "  full ingest : {:>7.1} ms  ({:.0} blocks/s, {:.1} MB/s)  + identities + one durable redb transaction",
        ms(full),
        blocks as f64 / full.as_secs_f64(),
        mb / full.as_secs_f64()
    );
    if let (Some(before), Some(peak)) = (rss_before, peak_rss_kib()) {
        println!(
            "  peak memory : {:.1} MiB (before ingest {:.1} MiB; source file {:.1} MiB)",
            peak as f64 / 1024.0,
            before as f64 / 1024.0,
            text.len() as f64 / 1048576.0
        );
    }
    let ratio = full.as_secs_f64() / parse_only.as_secs_f64();
    let verdict = if ratio <= 2.0 { "PASS" } else { "FAIL" };
    println!("  ratio full / parse-only = {ratio:.2} (target <= 2.00): {verdict}");
    println!(
        "  (ratio full / parser alone = {:.2}, for reference)",
        full.as_secs_f64() / parser.as_secs_f64()
    );
}
