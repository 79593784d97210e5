//! TUI render benchmark (issue 12): `cargo bench --bench tui_render`.
//!
//! Builds three stores with a run of 1k, 10k and 100k blocks (every block staged), then for each
//! measures (median of repeated samples, release build, ratatui TestBackend 120x40):
//! - grid frame: jump to the other end of the run (`G` / `g`: fetch the visible window) and draw;
//! - detail view: open the detail view of the block under the cursor (`enter`: block,
//!   neighbours, overlay, call) and draw;
//! - launch to first frame: open the store file, build the app (lists, grid window), draw.
//!
//! Each 100k (and 10k) figure is printed as a ratio to the 1k one measured in the same run
//! (target: 100k <= 1.5x 1k). `BENCH_SAMPLES=N` changes the sample count (default 30).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{ModelConfig, OverlayStatus, Run};
use blockwise::schema::{save, SaveRequest};
use blockwise::store::{Store, StoreError};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{draw, Action, App, Keymap, Theme};
use blockwise::workspace::Workspace;
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
    store
        .with_run(&run.run_id, |rt| {
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
    store_path
}

fn open_app(store: &Path) -> App {
    let ws = Workspace::new(Arc::new(Store::open(store).unwrap()));
    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(W, H));
    app.update(Action::ShowRun("bench_run".into()));
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
}

fn measure(store: &Path, samples: usize) -> Figures {
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    let mut app = open_app(store);
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
    let mut launch = Vec::new();
    drop(app);
    for _ in 0..samples.min(10) {
        let t = Instant::now();
        let app = open_app(store);
        frame(&mut term, &app);
        launch.push(t.elapsed());
    }
    Figures {
        grid: median(grid),
        detail: median(detail),
        launch: median(launch),
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
        if worst <= 1.5 { "OK" } else { "OVER" }
    );
}
