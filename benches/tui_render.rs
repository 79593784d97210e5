//! TUI render benchmark (issue 12): `cargo bench --bench tui_render`.
//!
//! Builds three stores with a run of 1k, 10k and 100k blocks (every block staged), then for each
//! measures (median of repeated samples, release build, ratatui TestBackend 120x40):
//! - grid frame: jump to the other end of the run (`G` / `g`: fetch the visible window) and draw;
//! - detail view: open the detail view of the block under the cursor (`enter`: block,
//!   neighbours, overlay, call) and draw;
//! - launch to first frame: open the store file, build the app (lists, grid window), draw;
//!   `…→members` (info) goes on until every run head is listed: a group's first frame stands
//!   on its stored tally and its 1,000 member heads are read right after it.
//!
//! Each 100k (and 10k) figure is printed as a ratio to the 1k one measured in the same run
//! (target: 100k <= 1.5x 1k). Then the same for the grid of a run group of 1,000 documents x
//! 100 blocks (issue 22: 100k blocks across 1,000 member runs, the `doc` column shown): grid
//! frame and launch to first frame within 1.5x of the 1k-block run. FAIL when a target is
//! missed. `BENCH_SAMPLES=N` changes the sample count (default 30).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{ModelConfig, OverlayStatus, Run};
use blockwise::schema::{save, SaveRequest};
use blockwise::store::{Store, StoreError};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{draw, Action, App, Keymap, Theme};
use blockwise::workspace::{CreateRunOptions, IngestRequest, WalkOptions, Workspace};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

const W: u16 = 120;
const H: u16 = 40;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

/// A store at `dir/s.redb` with one run of `n` staged blocks over an `n`-paragraph document.
fn build(dir: &Path, n: u32) -> PathBuf {
    let text: String = (0..n)
        .map(|i| format!("Paragraph {i} of the benchmark document, with a few more words.\n\n"))
        .collect();
    let path = dir.join("doc.txt");
    std::fs::write(&path, text).unwrap();
    let store_path = dir.join("s.redb");
    let store = Store::open(&store_path).unwrap();
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let doc = ingest_path(&store, &path, limits).unwrap().document;
    assert_eq!(doc.total_blocks, n);
    let schema = save(
        &store,
        SaveRequest::new(
            json!({"type": "object", "properties": {
                "summary": {"type": "string"},
                "kind": {"type": "string", "enum": ["a", "b"]}
            }}),
            Some("bench".into()),
            "bench",
        ),
    )
    .unwrap()
    .schema()
    .clone();
    let run = Run::new(
        "bench_run",
        &doc.conv_uid,
        (&schema.schema_id, &schema.schema_ref, &schema.schema_uid),
        ModelConfig::fixed("demo", "demo", 0.0, 100),
        "bench",
    );
    store.create_run(&run, n).unwrap();
    stage_all(&store, &run.run_id, n);
    store_path
}

/// A store at `dir/s.redb` with project `p` of `docs` documents of `per` paragraphs each, and
/// one run group over it with every block staged. Returns the store and the group id.
fn build_group(dir: &Path, docs: u32, per: u32) -> (PathBuf, String) {
    let folder = dir.join("docs");
    std::fs::create_dir_all(&folder).unwrap();
    for d in 0..docs {
        let text: String = (0..per)
            .map(|i| {
                format!("Document {d} paragraph {i} of the benchmark corpus, a few words.\n\n")
            })
            .collect();
        std::fs::write(folder.join(format!("doc{d:04}.txt")), text).unwrap();
    }
    let store_path = dir.join("s.redb");
    let store = Arc::new(Store::open(&store_path).unwrap());
    let ws = Workspace::new(store.clone());
    let paths = [folder];
    let req = IngestRequest {
        paths: &paths,
        walk: WalkOptions::default(),
        project: Some("p"),
        limits: IngestLimits {
            max_file_bytes: 1 << 30,
        },
        threads: None,
        interrupt: None,
    };
    let summary = ws.ingest_paths(&req, |_| {}).unwrap();
    assert_eq!(summary.ingested, docs as usize);
    save(
        &store,
        SaveRequest::new(
            json!({"type": "object", "properties": {
                "summary": {"type": "string"},
                "kind": {"type": "string", "enum": ["a", "b"]}
            }}),
            Some("bench".into()),
            "bench",
        ),
    )
    .unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let group = ws.create_group("p", "bench", &opts).unwrap();
    for run_id in &group.run_ids {
        stage_all(&store, run_id, per);
    }
    (store_path, group.group_id)
}

/// Every block of `run_id` staged with a value.
fn stage_all(store: &Store, run_id: &str, n: u32) {
    store
        .with_run(run_id, |rt| {
            for i in 0..n {
                let mut ov = rt.overlay(i)?.expect("overlay");
                let v = json!({"summary": format!("summary of block {i}"), "kind": "a"});
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v);
                rt.put_overlay(&ov)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

fn open_app_on(store: &Path, id: &str) -> App {
    let ws = Workspace::new(Arc::new(Store::open(store).unwrap()));
    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(W, H));
    app.update(Action::ShowRun(id.into()));
    app
}

fn frame(term: &mut Terminal<TestBackend>, app: &App) {
    term.draw(|f| draw(f, app)).unwrap();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Figures {
    grid: Duration,
    detail: Duration,
    launch: Duration,
    /// Launch to first frame, then every run head listed (a group's first frame stands on
    /// its stored tally; its members are read after it, before any key acts).
    listed: Duration,
}

fn measure(store: &Path, samples: usize) -> Figures {
    measure_on(store, "bench_run", samples)
}

fn measure_on(store: &Path, id: &str, samples: usize) -> Figures {
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    let mut app = open_app_on(store, id);
    frame(&mut term, &app);
    let mut grid = Vec::new();
    for i in 0..samples {
        let c = if i % 2 == 0 { 'G' } else { 'g' };
        let t = Instant::now();
        app.handle_key(key(KeyCode::Char(c)));
        frame(&mut term, &app);
        grid.push(t.elapsed());
    }
    let mut detail = Vec::new();
    for i in 0..samples {
        app.handle_key(key(KeyCode::Char(if i % 2 == 0 { 'G' } else { 'g' })));
        let t = Instant::now();
        app.handle_key(key(KeyCode::Enter));
        frame(&mut term, &app);
        detail.push(t.elapsed());
        app.handle_key(key(KeyCode::Esc));
    }
    let (mut launch, mut listed) = (Vec::new(), Vec::new());
    drop(app);
    for _ in 0..samples.min(10) {
        let t = Instant::now();
        let app = open_app_on(store, id);
        frame(&mut term, &app);
        launch.push(t.elapsed());
    }
    // Apart: a launch loop that also lists the members leaves another heap to the next launch.
    for _ in 0..samples.min(10) {
        let t = Instant::now();
        let mut app = open_app_on(store, id);
        frame(&mut term, &app);
        app.list_members();
        listed.push(t.elapsed());
    }
    Figures {
        grid: median(grid),
        detail: median(detail),
        launch: median(launch),
        listed: median(listed),
    }
}

fn main() {
    let samples: usize = std::env::var("BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let sizes = [1_000u32, 10_000, 100_000];
    let mut results = Vec::new();
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let store = build(dir.path(), n);
        eprintln!("built a {n}-block store in {:.1?}", t.elapsed());
        results.push((n, measure(&store, samples)));
    }
    let base = &results[0].1;
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "TUI render, {W}x{H}, median of {samples} samples (launch: of {})",
        samples.min(10)
    );
    println!(
        "{:>8}  {:>12} {:>7}  {:>12} {:>7}  {:>14} {:>7}",
        "blocks", "grid frame", "x 1k", "detail view", "x 1k", "launch→frame", "x 1k"
    );
    for (n, f) in &results {
        println!(
            "{:>8}  {:>12.2?} {:>7.2}  {:>12.2?} {:>7.2}  {:>14.2?} {:>7.2}",
            n,
            f.grid,
            ratio(f.grid, base.grid),
            f.detail,
            ratio(f.detail, base.detail),
            f.launch,
            ratio(f.launch, base.launch)
        );
    }
    let last = &results[results.len() - 1].1;
    let worst = [
        ratio(last.grid, base.grid),
        ratio(last.detail, base.detail),
        ratio(last.launch, base.launch),
    ]
    .into_iter()
    .fold(0.0, f64::max);
    println!(
        "100k / 1k worst ratio: {worst:.2} (target <= 1.5): {}",
        if worst <= 1.5 { "PASS" } else { "FAIL" }
    );
    group_figures(base, samples);
}

/// The grid of a 1,000-document x 100-block run group against the 1k-block run.
fn group_figures(base: &Figures, samples: usize) {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let (store, group_id) = build_group(dir.path(), 1_000, 100);
    eprintln!("built a 1000 x 100 group store in {:.1?}", t.elapsed());
    let g = measure_on(&store, &group_id, samples);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!();
    println!(
        "run group of 1000 documents x 100 blocks (100k blocks), {W}x{H}, vs the 1k-block run"
    );
    let mut fails = 0;
    for (what, v, b) in [
        ("grid frame", g.grid, base.grid),
        ("detail view", g.detail, base.detail),
        ("launch→frame", g.launch, base.launch),
        ("…→members", g.listed, base.listed),
    ] {
        let r = ratio(v, b);
        let target = what != "detail view" && what != "…→members";
        let verdict = match (target, r <= 1.5) {
            (false, _) => "info",
            (true, true) => "PASS",
            (true, false) => {
                fails += 1;
                "FAIL"
            }
        };
        println!("{what:>14}  {v:>10.2?} vs {b:>10.2?}  ratio {r:>6.2} (target <= 1.5): {verdict}");
    }
    if fails > 0 {
        println!("{fails} group target(s) FAIL");
    }
}
