//! Key events and screen text for TUI tests (ratatui TestBackend).

use blockwise::tui::{draw, App};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// A key press with no modifiers.
pub fn code(code: KeyCode) -> KeyEvent {
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

pub fn key(c: char) -> KeyEvent {
    code(KeyCode::Char(c))
}

/// What a `width` x `height` terminal shows, one line per row.
pub fn screen(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    term.draw(|f| draw(f, app)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        // A wide character (CJK, emoji) fills two cells; the second holds nothing to print.
        let mut hidden = 0;
        for x in 0..buf.area.width {
            if hidden > 0 {
                hidden -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            hidden = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            out.push_str(symbol);
        }
        out.push('\n');
    }
    out
}

/// A demo workspace (sample document, template schemas, one demo run) in a temp dir, with a
/// runtime; `process` runs the worker to completion first (offline demo provider).
pub struct Demo {
    pub dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
    pub store: std::sync::Arc<blockwise::store::Store>,
    pub run_id: String,
    pub rt: tokio::runtime::Runtime,
}

pub fn demo(process: bool) -> Demo {
    use std::sync::Arc;
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.redb");
    let store = Arc::new(blockwise::store::Store::open(&path).expect("open store"));
    let run = blockwise::demo::populate(&store, &dir.path().join("samples")).expect("demo");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if process {
        let provider = Arc::new(blockwise::worker::connect_provider(&store, &run).expect("demo"));
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let end = rt
            .block_on(blockwise::worker::run_worker(
                store.clone(),
                provider,
                &run.run_id,
                blockwise::worker::EngineOptions::default(),
                None,
                stop_rx,
            ))
            .expect("worker");
        assert_eq!(end, blockwise::worker::RunEnd::Complete);
    }
    Demo {
        dir,
        path,
        store,
        run_id: run.run_id,
        rt,
    }
}
