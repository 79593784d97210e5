//! Export benchmark (issue 7): `cargo bench --bench export`.
//!
//! Builds a run over a ~100k-block synthetic document with every block staged and confirmed,
//! then measures in the same run:
//! - the JSONL export from the store (one read snapshot, blocks + overlays, serialization);
//! - a bare serde_json serialization of the same records, already in memory as typed structs.
//!
//! Prints MB/s for both, the peak memory of the export (VmHWM, reset just before it, when the
//! kernel allows) and the ratio export/bare (target <= 1.5). The two outputs are compared byte
//! for byte, so the baseline really is the same records.
//! `BENCH_BLOCKS=N` changes the size.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::time::{Duration, Instant};

use blockwise::export::{self, Format, Mode};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{BlockType, Locator, ModelConfig, OverlayStatus, Run};
use blockwise::review::{self, Target};
use blockwise::schema::{save, SaveRequest};
use blockwise::store::{Store, StoreError};
use serde::Serialize;
use serde_json::{json, Value};

fn proc_status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Reset VmHWM to the current RSS (Linux >= 4.0); false when not allowed.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

/// A writer that counts and discards, so neither side pays for a disk.
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// The same records, owned, for the bare serialization.
#[derive(Serialize)]
struct Line {
    immutable: Immutable,
    user_defined: UserDefined,
}
#[derive(Serialize)]
struct Immutable {
    source_upload: SourceUpload,
    conversion: Conversion,
    block: BlockOut,
}
#[derive(Serialize)]
struct SourceUpload {
    source_uid: String,
    source_type: String,
    source_filesize: u64,
}
#[derive(Serialize)]
struct Conversion {
    conv_uid: String,
    conv_parsing_tool: String,
    conv_total_blocks: u32,
    conv_block_type_freq: BTreeMap<String, u32>,
}
#[derive(Serialize)]
struct BlockOut {
    block_uid: String,
    block_index: u32,
    block_type: BlockType,
    block_locator: Locator,
    block_content: String,
}
#[derive(Serialize)]
struct UserDefined {
    schema_ref: String,
    schema_uid: String,
    run_id: String,
    data: Option<Value>,
}

fn main() {
    let target_blocks: usize = std::env::var("BENCH_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.md");
    std::fs::write(&path, blockwise::synth::markdown(target_blocks, 7)).expect("write");
    let store = Store::open(&dir.path().join("s.redb")).expect("store");
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let doc = ingest_path(&store, &path, limits).expect("ingest").document;
    let schema_json = json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "entities": {"type": "array", "items": {"type": "string"}},
            "confidence": {"type": "number"},
            "flagged": {"type": "boolean"}
        }
    });
    let schema = save(
        &store,
        SaveRequest::new(schema_json, Some("bench".into()), "bench"),
    )
    .expect("schema")
    .schema()
    .clone();
    let run = Run::new(
        "bench_run",
        &doc.conv_uid,
        (&schema.schema_id, &schema.schema_ref, &schema.schema_uid),
        ModelConfig::fixed("demo", "demo", 0.0, 100),
        "bench",
    );
    store.create_run(&run, doc.total_blocks).expect("run");
    // Stage every block as the worker would, then confirm them all (one transaction each).
    store
        .with_run(&run.run_id, |rt| {
            for i in 0..doc.total_blocks {
                let mut ov = rt.overlay(i)?.expect("overlay");
                let v = json!({
                    "summary": format!("Block {i} says something worth a sentence or two."),
                    "entities": ["Alice", "Bob", format!("Thing {}", i % 97)],
                    "confidence": (i % 100) as f64 / 100.0,
                    "flagged": i % 7 == 0
                });
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v);
                rt.put_overlay(&ov)?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("stage");
    review::confirm(&store, &run.run_id, &Target::AllStaged, "bench").expect("confirm");
    let blocks = doc.total_blocks as usize;

    // --- export from the store (streaming) ---
    let rss_before = proc_status_kib("VmRSS:");
    let reset = reset_peak();
    let mut bytes = 0;
    let export_t = best_of(3, || {
        let t = Instant::now();
        let s = export::export_to_writer(
            &store,
            &run.run_id,
            Format::Jsonl,
            Mode::Confirmed,
            Sink(0),
            "sink",
        )
        .expect("export");
        bytes = s.bytes;
        t.elapsed()
    });
    let export_peak = proc_status_kib("VmHWM:");
    let threads = export::jsonl_threads();
    // The same export on one rendering thread, for an apples-to-apples comparison.
    std::env::set_var("BLOCKWISE_EXPORT_THREADS", "1");
    let single_t = best_of(3, || {
        let t = Instant::now();
        export::export_to_writer(
            &store,
            &run.run_id,
            Format::Jsonl,
            Mode::Confirmed,
            Sink(0),
            "sink",
        )
        .expect("export");
        t.elapsed()
    });
    std::env::remove_var("BLOCKWISE_EXPORT_THREADS");
    // Breakdown: the store side alone (read snapshot, block decode, overlay view decode).
    let scan_t = best_of(3, || {
        let t = Instant::now();
        let mut n = 0u64;
        store
            .for_each_block_overlay(&doc.conv_uid, &run.run_id, |b, ov| {
                n +=
                    b.block_content.len() as u64 + ov.confirmed.map_or(0, |c| c.get().len() as u64);
                Ok::<(), StoreError>(())
            })
            .expect("scan");
        std::hint::black_box(n);
        t.elapsed()
    });
    let file_t = {
        let out = dir.path().join("out.jsonl");
        let t = Instant::now();
        export::export_to_path(&store, &run.run_id, Format::Jsonl, Mode::Confirmed, &out)
            .expect("export to file");
        t.elapsed()
    };

    // --- the same records, in memory, bare serde_json ---
    let records: Vec<Line> = {
        let mut confirmed = Vec::with_capacity(blocks);
        store
            .for_each_overlay(&run.run_id, |ov| {
                confirmed.push(ov.confirmed);
                Ok(())
            })
            .expect("overlays");
        let mut out = Vec::with_capacity(blocks);
        let mut data = confirmed.into_iter();
        store
            .for_each_block(&doc.conv_uid, |b| {
                out.push(Line {
                    immutable: Immutable {
                        source_upload: SourceUpload {
                            source_uid: doc.source_uid.clone(),
                            source_type: doc.source_type.clone(),
                            source_filesize: doc.source_filesize,
                        },
                        conversion: Conversion {
                            conv_uid: doc.conv_uid.clone(),
                            conv_parsing_tool: doc.parsing_tool.clone(),
                            conv_total_blocks: doc.total_blocks,
                            conv_block_type_freq: doc.block_type_freq.clone(),
                        },
                        block: BlockOut {
                            block_uid: b.block_uid,
                            block_index: b.block_index,
                            block_type: b.block_type,
                            block_locator: b.block_locator,
                            block_content: b.block_content,
                        },
                    },
                    user_defined: UserDefined {
                        schema_ref: run.schema_ref.clone(),
                        schema_uid: run.schema_uid.clone(),
                        run_id: run.run_id.clone(),
                        data: data.next().flatten(),
                    },
                });
                Ok(())
            })
            .expect("blocks");
        out
    };
    let bare = |w: &mut dyn Write| {
        let mut w = BufWriter::with_capacity(256 * 1024, w);
        for r in &records {
            serde_json::to_writer(&mut w, r).expect("serialize");
            w.write_all(b"\n").expect("write");
        }
        w.flush().expect("flush");
    };
    let bare_t = best_of(3, || {
        let mut sink = Sink(0);
        let t = Instant::now();
        bare(&mut sink);
        t.elapsed()
    });

    // Same bytes on both sides, or the comparison means nothing.
    let mut exported = Vec::new();
    export::export_to_writer(
        &store,
        &run.run_id,
        Format::Jsonl,
        Mode::Confirmed,
        &mut exported,
        "mem",
    )
    .expect("export");
    let mut baseline = Vec::new();
    bare(&mut baseline);
    let same = exported == baseline;

    let mb = bytes as f64 / 1e6;
    println!("export benchmark: {blocks} blocks, {mb:.1} MB of JSONL, all confirmed (best of 3)");
    println!(
        "  export (store -> JSONL): {:>8.1} ms  {:>7.1} MB/s  ({:.0} blocks/s, {threads} rendering threads)",
        export_t.as_secs_f64() * 1e3,
        mb / export_t.as_secs_f64(),
        blocks as f64 / export_t.as_secs_f64()
    );
    println!(
        "  export, 1 thread      : {:>8.1} ms  {:>7.1} MB/s  (BLOCKWISE_EXPORT_THREADS=1)",
        single_t.as_secs_f64() * 1e3,
        mb / single_t.as_secs_f64()
    );
    println!(
        "    of which store scan : {:>8.1} ms  (read snapshot, decode blocks and overlay views)",
        scan_t.as_secs_f64() * 1e3
    );
    println!(
        "  export to a file (-o) : {:>8.1} ms  {:>7.1} MB/s  (temp file, fsync, rename)",
        file_t.as_secs_f64() * 1e3,
        mb / file_t.as_secs_f64()
    );
    println!(
        "  bare serde_json       : {:>8.1} ms  {:>7.1} MB/s  (same records already in memory)",
        bare_t.as_secs_f64() * 1e3,
        mb / bare_t.as_secs_f64()
    );
    match (rss_before, export_peak, reset) {
        (Some(before), Some(peak), true) => println!(
            "  peak memory during export: {:.1} MiB (RSS before {:.1} MiB, so +{:.1} MiB for {mb:.0} MB out)",
            peak as f64 / 1024.0,
            before as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0
        ),
        (_, Some(peak), _) => println!(
            "  peak memory of the process so far: {:.1} MiB (VmHWM could not be reset)",
            peak as f64 / 1024.0
        ),
        _ => println!("  peak memory: unavailable (no /proc/self/status)"),
    }
    println!(
        "  output identical to the bare serialization: {}",
        if same { "yes" } else { "NO" }
    );
    let ratio = export_t.as_secs_f64() / bare_t.as_secs_f64();
    let single = single_t.as_secs_f64() / bare_t.as_secs_f64();
    let verdict = if ratio <= 1.5 && same { "PASS" } else { "FAIL" };
    println!(
        "  ratio export/bare = {ratio:.2} (target <= 1.50): {verdict}  [1 thread: {single:.2}]"
    );
}
