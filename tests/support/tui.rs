//! Key events and screen text for TUI tests (ratatui TestBackend).

use std::sync::Arc;

use blockwise::model::OverlayStatus;
use blockwise::store::Store;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{draw, Action, App, Keymap, Theme};
use blockwise::worker::{self, EngineOptions, RunEnd};
use blockwise::workspace::Workspace;
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

/// `ctrl-<c>`.
pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent {
        modifiers: KeyModifiers::CONTROL,
        ..key(c)
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
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// A demo workspace in a temp dir, and a runtime for background work.
pub struct Env {
    pub _dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub run_id: String,
    pub rt: tokio::runtime::Runtime,
}

/// A demo workspace; with `process`, its run was processed to completion by the worker
/// (offline demo provider), so every block is staged.
pub fn demo_env(process: bool) -> Env {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("demo.redb")).unwrap());
    let run = blockwise::demo::populate(&store, &dir.path().join("samples")).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if process {
        let provider = Arc::new(worker::connect_provider(&store, &run).unwrap());
        let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let end = rt
            .block_on(worker::run_worker(
                store.clone(),
                provider,
                &run.run_id,
                EngineOptions::default(),
                None,
                stop_rx,
            ))
            .unwrap();
        assert_eq!(end, RunEnd::Complete);
    }
    Env {
        _dir: dir,
        store,
        run_id: run.run_id,
        rt,
    }
}

/// The app on `env`'s store, sized `width` x `height`, with the grid in front.
pub fn grid_app(env: &Env, width: u16, height: u16) -> App {
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(width, height));
    app.handle_key(key('2'));
    app
}

/// The stored status of block `index` of `env`'s run.
pub fn status(env: &Env, index: u32) -> OverlayStatus {
    env.store
        .overlay(&env.run_id, index)
        .unwrap()
        .unwrap()
        .status
}
