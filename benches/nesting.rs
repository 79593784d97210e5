//! Deep HTML nesting (issue 20 item 4): `cargo bench --bench nesting`.
//!
//! Ingests `<div>` nested 10,000 / 100,000 / 1,000,000 levels (text at every 1,000th level)
//! into a fresh store and prints the time and the peak memory growth of each, next to the
//! bound measured in the same run: reading the file and validating it as UTF-8 (what any
//! converter must do). Such a document is refused past `MAX_DEPTH` (512) levels. Target at
//! 1,000,000 levels: handled within 2 s and 100 MB (PASS/FAIL).

use std::time::Instant;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::store::Store;

fn peak_rss_kib() -> u64 {
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

/// Reset VmHWM to the current RSS (Linux >= 4.0): each ingest's peak is then its own, not an
/// earlier one's (the 11 MB string this bench builds, a previous level). False when not allowed.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn nested(levels: usize) -> String {
    let mut s = String::from("<!doctype html><html><body>");
    for i in 0..levels {
        s.push_str("<div>");
        if i % 1000 == 0 {
            s.push_str(&format!("level {i} "));
        }
    }
    s.push_str(&"</div>".repeat(levels));
    s.push_str("</body></html>");
    s
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("s.redb")).expect("store");
    let mut pass = true;
    for levels in [10_000, 100_000, 1_000_000] {
        let file = dir.path().join(format!("deep{levels}.html"));
        std::fs::write(&file, nested(levels)).expect("write");
        // Before the bound's read: the file's bytes count against the ingest's 100 MB (a peak
        // already holding them would hide the ingest's own read of the file).
        let reset = reset_peak();
        let rss = peak_rss_kib();
        let t = Instant::now();
        let raw = std::fs::read(&file).expect("read");
        std::str::from_utf8(&raw).expect("utf-8");
        let bound = t.elapsed();
        drop(raw);
        let t = Instant::now();
        let outcome = ingest_path(&store, &file, IngestLimits::default());
        let took = t.elapsed();
        // The 100 MB are decimal megabytes.
        let grew_mb = peak_rss_kib().saturating_sub(rss) as f64 * 1024.0 / 1e6;
        let what = match &outcome {
            Ok(r) => format!("ingested, {} blocks", r.document.total_blocks),
            Err(e) => format!(
                "refused: {}",
                e.to_string().chars().take(90).collect::<String>()
            ),
        };
        // Without a reset the peak may be an earlier one's: not a measurement, so no PASS.
        let ok = reset && took.as_secs_f64() <= 2.0 && grew_mb <= 100.0;
        if levels == 1_000_000 {
            pass &= ok;
        }
        println!(
            "{levels:>9} levels ({:.1} MB): {:.1} ms, peak memory +{grew_mb:.1} MB, {:.2} x the \
             read+validate bound ({:.2} ms); {what}{}",
            std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() / bound.as_secs_f64().max(1e-9),
            bound.as_secs_f64() * 1e3,
            if levels == 1_000_000 {
                if ok {
                    "  PASS (<= 2 s, <= 100 MB)"
                } else {
                    "  FAIL (> 2 s or > 100 MB)"
                }
            } else {
                ""
            }
        );
    }
    if !pass {
        std::process::exit(1);
    }
}
