//! Ingest benchmark for HTML, CSV, DOCX, EPUB and PDF (issue 15):
//! `cargo bench --bench ingest_formats`.
//!
//! For each format a large file is generated here (the same synthetic report: sections with a
//! heading, paragraphs, list items and a table; CSV gets rows), then measured in the same run
//! (best of 3):
//! - convert: read, unpack/parse, render the text representation, identities (no store);
//! - full ingest: the same plus one durable redb transaction;
//! - the bound: the Markdown parser on the text representation that conversion produced, i.e.
//!   what parsing that text as a `.md` file costs.
//!
//! Prints blocks/s of each and the ratio convert / bound. There is no target: the ratio says
//! what each container format costs over parsing plain Markdown of the same content.

use std::path::Path;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, markdown_drafts, prepare_path, IngestLimits};
use blockwise::store::Store;

#[path = "common/formats.rs"]
mod formats;
use formats::{csv, docx, epub, html, pdf};

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

fn measure(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write bench file");
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let prepared = prepare_path(&path, limits).expect("convert");
    let blocks = prepared.drafts.len();
    let convert = best_of(3, || {
        let t = Instant::now();
        let p = prepare_path(&path, limits).expect("convert");
        assert_eq!(p.drafts.len(), blocks);
        t.elapsed()
    });
    let mut n = 0;
    let full = best_of(3, || {
        n += 1;
        let store = Store::open(&dir.join(format!("{name}.{n}.redb"))).expect("store");
        let t = Instant::now();
        let report = ingest_path(&store, &path, limits).expect("ingest");
        let e = t.elapsed();
        assert_eq!(report.document.total_blocks as usize, blocks);
        e
    });
    let bound = best_of(3, || {
        let t = Instant::now();
        let d = markdown_drafts(&prepared.text);
        assert!(!d.blocks.is_empty());
        t.elapsed()
    });
    let rate = |d: Duration| blocks as f64 / d.as_secs_f64();
    println!(
        "  {name:<11} {:>5.1} MB {blocks:>7} blocks | convert {:>7.1} ms {:>8.0} blocks/s | \
         full ingest {:>7.1} ms {:>8.0} blocks/s | bound (Markdown parse of its text) {:>6.1} ms \
         {:>8.0} blocks/s | convert/bound {:>5.1}",
        bytes.len() as f64 / 1e6,
        convert.as_secs_f64() * 1e3,
        rate(convert),
        full.as_secs_f64() * 1e3,
        rate(full),
        bound.as_secs_f64() * 1e3,
        rate(bound),
        convert.as_secs_f64() / bound.as_secs_f64()
    );
}

fn main() {
    let sections: usize = std::env::var("BENCH_SECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "ingest formats benchmark: {sections} sections per document (best of 3); \
         bound = Markdown parse of the same text representation"
    );
    measure(dir.path(), "report.html", &html(sections));
    measure(dir.path(), "loans.csv", &csv(sections * 8));
    measure(dir.path(), "report.docx", &docx(sections));
    measure(dir.path(), "report.epub", &epub(sections));
    measure(dir.path(), "report.pdf", &pdf(sections));
}
