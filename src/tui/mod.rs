//! The terminal UI (DESIGN.md "tui/"): [`App`] state changed only by [`App::update`] with an
//! [`Action`]; [`ui::draw`] reads `&App`. Keys go through the [`Keymap`]; worker events arrive on
//! a bounded channel and become actions. Renders are coalesced to at most one per 16 ms.

pub mod action;
pub mod app;
mod app_panes;
mod app_review;
pub mod grid;
pub mod keymap;
mod modal;
pub mod policy;
pub mod runs;
pub mod schemas;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod widgets;
mod worker_link;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use tokio::sync::mpsc;

pub use action::Action;
pub use app::{App, Pane, Spawner};
pub use keymap::Keymap;
pub use theme::Theme;
pub use ui::draw;

use crate::workspace::Workspace;

const FRAME: Duration = Duration::from_millis(16);
const BATCH: usize = 512;

/// How to open the TUI.
#[derive(Debug, Default, Clone)]
pub struct TuiOptions {
    /// Open this run's grid at start.
    pub open_run: Option<String>,
    /// Start the worker on `open_run` at once (the demo does).
    pub start_worker: bool,
}

/// Build the app with the user's keymap and theme from the config directory.
pub fn build_app(ws: Workspace) -> anyhow::Result<App> {
    let config = crate::paths::config_dir();
    let keymap = Keymap::load(config.as_deref())?;
    let theme = Theme::load(config.as_deref());
    Ok(App::new(ws, keymap, theme))
}

/// Run the TUI until the user quits. The caller checks that stdin/stdout are terminals.
pub fn run(ws: Workspace, opts: TuiOptions) -> anyhow::Result<()> {
    let mut app = build_app(ws)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (tx, rx) = mpsc::channel::<Action>(1024);
    app.spawner = Some(Spawner {
        handle: runtime.handle().clone(),
        tx,
    });
    if let Some(id) = &opts.open_run {
        app.open_run(id);
        app.pane = Pane::Grid;
        if opts.start_worker {
            app.start_worker(id);
        }
    }
    let (mut term, guard) = terminal::enter()?;
    let result = runtime.block_on(event_loop(&mut term, &mut app, rx));
    drop(guard);
    tracing::info!("tui closed");
    result
}

/// Read terminal events on a plain thread (crossterm's reader blocks) into a channel.
fn spawn_input(stop: Arc<AtomicBool>) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel(256);
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if tx.blocking_send(ev).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!("terminal read failed: {e}");
                        break;
                    }
                },
                Ok(false) => {}
                Err(e) => {
                    tracing::error!("terminal poll failed: {e}");
                    break;
                }
            }
        }
    });
    rx
}

fn on_event(app: &mut App, ev: Event) {
    match ev {
        Event::Key(key) => app.handle_key(key),
        Event::Resize(w, h) => app.update(Action::Resize(w, h)),
        _ => {}
    }
}

async fn event_loop(
    term: &mut terminal::Term,
    app: &mut App,
    mut actions: mpsc::Receiver<Action>,
) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut input = spawn_input(stop.clone());
    let size = term.size()?;
    app.update(Action::Resize(size.width, size.height));
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    loop {
        if dirty && last_draw.elapsed() >= FRAME {
            term.draw(|f| draw(f, app))?;
            last_draw = Instant::now();
            dirty = false;
        }
        let next_frame = tokio::time::Instant::from_std(last_draw + FRAME);
        tokio::select! {
            ev = input.recv() => match ev {
                Some(ev) => on_event(app, ev),
                None => app.quit = true,
            },
            Some(a) = actions.recv() => app.update(a),
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
        dirty = true;
        // Drain what else arrived in one batch before drawing again.
        for _ in 0..BATCH {
            match input.try_recv() {
                Ok(ev) => on_event(app, ev),
                Err(_) => break,
            }
        }
        for _ in 0..BATCH {
            match actions.try_recv() {
                Ok(a) => app.update(a),
                Err(_) => break,
            }
        }
        app.flush();
        if app.quit {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    // Let background workers release their claims before the runtime goes away.
    app.stop_workers();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !app.workers.is_empty() {
        match tokio::time::timeout_at(deadline, actions.recv()).await {
            Ok(Some(a)) => app.update(a),
            _ => break,
        }
    }
    Ok(())
}
