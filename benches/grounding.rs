//! Grounding benchmark (issue 27 item 6): `cargo bench --bench grounding`.
//!
//! 1. Cost: a 10,000-block run with a grounded field, worked against the fake provider in a
//!    child process (the fake runs in this parent, so the child's CPU is the worker's alone).
//!    Then, in this process, the same grounding work again (each staged value against its
//!    block and the other blocks of a pack of the run's pack size) on one thread. Target:
//!    grounding CPU ≤ 10 % of the worker's CPU per block (both printed).
//! 2. Spans: 20,000 quotes cut on grapheme boundaries out of generated blocks mixing CJK,
//!    emoji (ZWJ sequences, skin tones, flags) and combining marks; target ≥ 99.9 % found
//!    `exact` with `block_content[start..end]` equal to the quote.
//! 3. Pack shift: every pack of the synthetic document answered with its neighbour's values
//!    (as the fake's `Fault::Shift` does) is grounded; target ≥ 95 % of the shifted values
//!    flagged `neighbour`, and 0 values of the unshifted answers.
//!
//! `BENCH_BLOCKS=N` changes the run size of part 1.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use blockwise::evidence::GroundedFields;
use blockwise::fake::{answer_for, FakeConfig, FakeServer};
use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{Block, SpanKind};
use blockwise::policy;
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::synth::SplitMix64;
use blockwise::worker::{self, CreateRunOptions, EngineOptions, RunEnd};
use serde_json::{json, Value};
use unicode_segmentation::UnicodeSegmentation;

const PACK: usize = 10;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own; RUSAGE_SELF is always valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn schema_json() -> Value {
    json!({"type": "object", "properties": {
        "quote": {"type": "string", "x-grounded": true},
        "entities": {"type": "array", "items": {"type": "object", "properties": {
            "text": {"type": "string", "x-grounded": true},
            "kind": {"type": "string", "enum": ["person", "place", "other"]}
        }}},
        "label": {"type": "string", "enum": ["fact", "claim", "other"]}
    }})
}

/// A store with the synthetic document, the grounded schema and a run; returns the run id.
fn setup(dir: &Path, blocks: usize) -> String {
    let store = Store::open(&dir.join("g.redb")).expect("store");
    policy::ensure_workspace_admin_as(&store, "bench").expect("admin");
    let path = dir.join("doc.md");
    std::fs::write(&path, blockwise::synth::markdown(blocks, 42)).expect("write");
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let doc = ingest_path(&store, &path, limits).expect("ingest").document;
    schema::save(
        &store,
        SaveRequest::new(schema_json(), Some("g".into()), "bench"),
    )
    .expect("schema");
    policy::set_value(
        &store,
        "bench",
        "worker.batching.pack_size",
        json!(PACK),
        None,
    )
    .expect("policy");
    let opts = CreateRunOptions {
        provider: Some("anthropic".into()),
        model: Some("claude-sonnet-4-5".into()),
        ..Default::default()
    };
    worker::create_run(&store, &doc.conv_uid, "g", &opts)
        .expect("run")
        .run_id
}

/// The child: work the run to the end; print its CPU seconds.
fn worker_child(dir: &Path, run_id: &str, url: String) {
    let store = Arc::new(Store::open(&dir.join("g.redb")).expect("store"));
    let client = worker::connect("anthropic", Some("k".into()), Some(url)).expect("connect");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("rt");
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let opts = EngineOptions {
        concurrency: Some(8),
        ..EngineOptions::default()
    };
    let cpu = cpu_seconds();
    let end = rt
        .block_on(worker::run_worker(
            store,
            Arc::new(client),
            run_id,
            opts,
            None,
            rx,
        ))
        .expect("worker");
    assert_eq!(end, RunEnd::Complete);
    println!("RESULT {}", cpu_seconds() - cpu);
}

/// Ground every staged value of the run as the worker does; CPU seconds and spans by kind.
fn ground_again(store: &Store, run_id: &str, blocks: &[Block]) -> (f64, [u64; 5]) {
    let fields = GroundedFields::from_schema(&schema_json()).expect("grounded");
    let mut staged = Vec::with_capacity(blocks.len());
    store
        .for_each_overlay(run_id, |ov| {
            staged.push(ov.staging.unwrap_or(Value::Null));
            Ok(())
        })
        .expect("overlays");
    let mut kinds = [0u64; 5];
    let cpu = cpu_seconds();
    for (pack_no, pack) in blocks.chunks(PACK).enumerate() {
        for (i, b) in pack.iter().enumerate() {
            let others: Vec<(u32, &str)> = pack
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| (o.block_index, o.block_content.as_str()))
                .collect();
            let v = &staged[pack_no * PACK + i];
            for s in fields.ground(v, &b.block_content, &others) {
                kinds[kind_slot(s.kind)] += 1;
            }
        }
    }
    (cpu_seconds() - cpu, kinds)
}

fn kind_slot(k: SpanKind) -> usize {
    match k {
        SpanKind::Exact => 0,
        SpanKind::Normalized => 1,
        SpanKind::Fuzzy => 2,
        SpanKind::Neighbour => 3,
        SpanKind::None => 4,
    }
}

fn part_cost(blocks_wanted: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    // A key for the (fake) Anthropic endpoint, and no user config read.
    std::env::set_var("ANTHROPIC_API_KEY", "sk-ant-bench-key");
    std::env::set_var("BLOCKWISE_CONFIG_DIR", dir.path().join("config"));
    let run_id = setup(dir.path(), blocks_wanted);
    let fake = FakeServer::start(FakeConfig::default()).expect("fake");
    let out = Command::new(std::env::current_exe().expect("exe"))
        .env("BENCH_GROUND_PHASE", "worker")
        .env("BENCH_DIR", dir.path())
        .env("BENCH_RUN", &run_id)
        .env("BENCH_FAKE_URL", fake.anthropic_base_url())
        .env("BLOCKWISE_CONFIG_DIR", dir.path().join("config"))
        .output()
        .expect("worker child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let worker_cpu: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "worker child failed: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let store = Store::open(&dir.path().join("g.redb")).expect("store");
    let conv = store.get_run(&run_id).unwrap().unwrap().conv_uid;
    let blocks = store.blocks(&conv).expect("blocks");
    let n = blocks.len() as f64;
    let (ground_cpu, kinds) = ground_again(&store, &run_id, &blocks);
    let ratio = ground_cpu / worker_cpu.max(1e-9);
    println!(
        "grounding cost: {} blocks, packs of {PACK}, fake provider in another process",
        blocks.len()
    );
    println!(
        "  worker CPU    {:>9.1} µs/block ({worker_cpu:.3} s)",
        worker_cpu / n * 1e6
    );
    println!(
        "  grounding CPU {:>9.1} µs/block ({ground_cpu:.3} s)",
        ground_cpu / n * 1e6
    );
    println!(
        "  ratio {:.3} (target ≤ 0.10)  {}",
        ratio,
        verdict(ratio <= 0.10)
    );
    println!(
        "  spans: exact {} normalized {} fuzzy {} neighbour {} none {}",
        kinds[0], kinds[1], kinds[2], kinds[3], kinds[4]
    );
}

/// A block of mixed scripts: CJK, kana, hangul, emoji sequences, combining marks, Latin.
fn mixed_block(rng: &mut SplitMix64) -> String {
    const PIECES: &[&str] = &[
        "日本語",
        "東京都",
        "漢字",
        "ひらがな",
        "カタカナ",
        "한국어",
        "中文字符",
        "👩\u{200d}👩\u{200d}👧",
        "👍🏽",
        "🇫🇷",
        "❤\u{fe0f}",
        "cafe\u{301}",
        "n\u{303}o",
        "Ångström",
        "e\u{301}te\u{301}",
        "Zürich",
        "naïve",
        "word",
        "quote",
        "the",
        "and",
        "«guillemets»",
        "—",
        "“curly”",
        "a\u{308}\u{301}",
    ];
    let n = 6 + rng.below(20) as usize;
    let mut out = String::new();
    for i in 0..n {
        if i > 0 && rng.below(3) > 0 {
            out.push(' ');
        }
        out.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
    }
    out
}

fn part_spans() {
    let mut rng = SplitMix64::new(2027);
    let fields = GroundedFields::from_schema(&json!({"type": "object", "properties": {
        "q": {"type": "string", "x-grounded": true}}}))
    .expect("grounded");
    let (mut total, mut right) = (0u64, 0u64);
    let cpu = cpu_seconds();
    while total < 20_000 {
        let block = mixed_block(&mut rng);
        let g: Vec<(usize, &str)> = block.grapheme_indices(true).collect();
        let from = rng.below(g.len() as u64) as usize;
        let len = 1 + rng.below(12) as usize;
        let to = (from + len).min(g.len());
        let start = g[from].0;
        let end = g.get(to).map_or(block.len(), |x| x.0);
        let quote = block[start..end].trim();
        if quote.is_empty() {
            continue;
        }
        total += 1;
        let s = &fields.ground(&json!({"q": quote}), &block, &[])[0];
        if s.kind == SpanKind::Exact {
            let (a, b) = (s.start.unwrap() as usize, s.end.unwrap() as usize);
            right += u64::from(&block[a..b] == quote);
        }
    }
    let pct = right as f64 / total as f64 * 100.0;
    println!("spans on CJK / emoji / combining marks: {right} of {total} exact and right = {pct:.3}% (target ≥ 99.9%)  {}  [{:.1} µs/quote]",
        verdict(pct >= 99.9), (cpu_seconds() - cpu) / total as f64 * 1e6);
}

fn part_shift() {
    let text = blockwise::synth::markdown(5_000, 9);
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("s.redb")).expect("store");
    let path = dir.path().join("d.md");
    std::fs::write(&path, text).expect("write");
    let doc = ingest_path(&store, &path, IngestLimits::default())
        .expect("ingest")
        .document;
    let blocks = store.blocks(&doc.conv_uid).expect("blocks");
    let schema = schema_json();
    let fields = GroundedFields::from_schema(&schema).expect("grounded");
    let props = &schema["properties"];
    let (mut shifted, mut flagged, mut clean, mut clean_flagged) = (0u64, 0u64, 0u64, 0u64);
    for pack in blocks.chunks(PACK).filter(|p| p.len() > 1) {
        for (i, b) in pack.iter().enumerate() {
            let others: Vec<(u32, &str)> = pack
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| (o.block_index, o.block_content.as_str()))
                .collect();
            let next = &pack[(i + 1) % pack.len()];
            let bad = answer_for(
                next.block_index,
                next.block_type.as_str(),
                &next.block_content,
                props,
            );
            let good = answer_for(
                b.block_index,
                b.block_type.as_str(),
                &b.block_content,
                props,
            );
            for (v, is_shift) in [(bad, true), (good, false)] {
                for s in fields.ground(&v, &b.block_content, &others) {
                    let n = u64::from(s.kind == SpanKind::Neighbour);
                    if is_shift {
                        shifted += 1;
                        flagged += n;
                    } else {
                        clean += 1;
                        clean_flagged += n;
                    }
                }
            }
        }
    }
    let pct = flagged as f64 / shifted.max(1) as f64 * 100.0;
    println!("pack shift: {flagged} of {shifted} shifted values flagged neighbour = {pct:.2}% (target ≥ 95%)  {}", verdict(pct >= 95.0));
    println!(
        "            {clean_flagged} of {clean} values of unshifted answers flagged (target 0)  {}",
        verdict(clean_flagged == 0)
    );
}

fn main() {
    if std::env::var("BENCH_GROUND_PHASE").as_deref() == Ok("worker") {
        let dir = std::env::var("BENCH_DIR").expect("dir");
        let run = std::env::var("BENCH_RUN").expect("run");
        worker_child(
            Path::new(&dir),
            &run,
            std::env::var("BENCH_FAKE_URL").expect("url"),
        );
        return;
    }
    let blocks = std::env::var("BENCH_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    part_spans();
    part_shift();
    part_cost(blocks);
}
