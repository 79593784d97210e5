//! The terminal UI (DESIGN.md "tui/"): [`App`] state changed only by [`App::update`] with an
//! [`Action`]; [`draw`] reads `&App`. Keys go through the [`Keymap`]; worker events and
//! finished background jobs arrive on a bounded channel and become actions. Renders are
//! coalesced to at most one per 16 ms.
//!
//! The files sit on floors, and each imports only its own floor or lower ones
//! (`tests/tui_floors.rs` checks it, naming file and line):
//! `kit/` is the vocabulary — [`Action`], `Effect`, the `Component` and `Modal` traits, `Ctx`,
//! `View`, `KeyContext`, jobs as data, keymap, theme, text and drawing helpers — and imports
//! nothing else in `tui`; `jobs/` runs jobs (the queue, and one file per area: review, runs,
//! keys, schemas); `modals/` are the dialogs (prompts, pickers, the schema studio) and never
//! import a pane; `panes/` are the tabs (runs, `grid/` with its table, detail and find parts,
//! schemas, policy, keys), which may open a modal; `app/` holds [`App`] with the modal stack,
//! key routing (top modal, then the focused pane, then global), workers and the store watch;
//! `frame/` draws the tab bar, the pane, the hints and status bar, then each modal in z-order.
//! This file, above them all, runs the event loop.

pub(crate) mod app;
pub(crate) mod frame;
pub(crate) mod jobs;
pub(crate) mod kit;
pub mod modals;
pub mod panes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use tokio::sync::mpsc;

pub use app::{watch, App};
pub use frame::draw;
pub use kit::{keymap, theme, Action, Keymap, Pane, Spawner, Theme};

use frame::terminal;

use crate::workspace::Workspace;

const FRAME: Duration = Duration::from_millis(16);
/// How often the screen is redrawn while a job runs (spinners, elapsed time).
const TICK: Duration = Duration::from_millis(100);
const BATCH: usize = 512;
/// How long closing waits for background workers to release their claims.
const WORKER_GRACE: Duration = Duration::from_secs(3);
/// How long closing waits for running jobs (a confirm-all on a large run) to land.
const JOB_GRACE: Duration = Duration::from_secs(120);

/// How to open the TUI.
#[derive(Debug, Default, Clone)]
pub struct TuiOptions {
    /// Open this run's grid at start.
    pub open_run: Option<String>,
    /// Start the worker on `open_run` at once (the demo does).
    pub start_worker: bool,
    /// A built-in theme by name (`--theme`); else `config.toml`'s, else the default.
    pub theme: Option<String>,
}

/// Build the app with the user's keymap and theme from the config directory.
pub fn build_app(ws: Workspace, theme: Option<&str>) -> anyhow::Result<App> {
    let config = crate::paths::config_dir();
    let keymap = Keymap::load(config.as_deref())?;
    let theme = Theme::load(config.as_deref(), theme)?;
    Ok(App::new(ws, keymap, theme))
}

/// Run the TUI until the user quits. The caller checks that stdin/stdout are terminals.
pub fn run(ws: Workspace, opts: TuiOptions) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (tx, rx) = mpsc::channel::<Action>(1024);
    let spawner = Spawner {
        handle: runtime.handle().clone(),
        tx,
    };
    watch::spawn(&spawner, ws.clone(), watch::POLL);
    let mut app = build_app(ws, opts.theme.as_deref())?.with_spawner(spawner);
    if let Some(id) = &opts.open_run {
        app.update(Action::ShowRun(id.clone()));
        if opts.start_worker {
            app.update(Action::StartWorkerOn(id.clone()));
        }
    }
    let (mut term, guard) = terminal::enter()?;
    let result = runtime.block_on(event_loop(&mut term, &mut app, rx));
    drop(guard);
    tracing::info!("tui closed");
    if !app.workers().handover().is_empty() {
        let exe = std::env::current_exe()?;
        for line in hand_over_workers(&app, &exe) {
            println!("{line}");
        }
    }
    result
}

/// Quit with `k`: each stopped worker goes on as a background `blockwise run start` (its
/// claims were released, so it can take the run); what happened, one line per run, printed
/// once the terminal is restored.
pub fn hand_over_workers(app: &App, exe: &std::path::Path) -> Vec<String> {
    let ws = app.ws();
    app.workers()
        .handover()
        .into_iter()
        .map(|(run_id, stopped)| {
            let run_id = crate::model::sanitize_line(&run_id).into_owned();
            if !stopped {
                return format!(
                    "{run_id}: its worker did not stop in time, so it was not handed over; \
                     `blockwise run start {run_id}` continues it"
                );
            }
            match ws.spawn_background_worker(exe, &run_id) {
                Ok(pid) => format!(
                    "{run_id}: the worker goes on in the background as pid {pid} \
                     (`blockwise run status {run_id}` shows it; `blockwise run cancel {run_id}` \
                     stops it)"
                ),
                Err(e) => format!(
                    "{run_id}: could not start a background worker ({e}); `blockwise run start \
                     {run_id}` continues it"
                ),
            }
        })
        .collect()
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
        Event::Mouse(m) => app.handle_mouse(m),
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
            // The first frame stood on the groups' tallies: read their members now.
            if app.members_pending() {
                app.list_members();
                dirty = true;
            }
        }
        let next_frame = tokio::time::Instant::from_std(last_draw + FRAME);
        // While a job runs, draw again every TICK so a spinner and its elapsed time move.
        let ticking = !app.jobs().is_empty();
        tokio::select! {
            ev = input.recv() => match ev {
                Some(ev) => on_event(app, ev),
                // The terminal is gone: nobody can answer a question; stop and close.
                None => app.apply_quit(false),
            },
            Some(a) = actions.recv() => app.update(a),
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
            _ = tokio::time::sleep(TICK), if ticking => {}
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
        app.update(Action::Flush);
        if app.quitting() {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    // Let background workers release their claims, and let the jobs the user started (a
    // confirm, an export) land, before the runtime goes away.
    app.update(Action::Shutdown);
    if !app.jobs().is_empty() {
        term.draw(|f| draw(f, app))?;
    }
    let start = tokio::time::Instant::now();
    while !app.idle() {
        let grace = if app.jobs().is_empty() {
            WORKER_GRACE
        } else {
            JOB_GRACE
        };
        match tokio::time::timeout_at(start + grace, actions.recv()).await {
            Ok(Some(a)) => app.update(a),
            _ => break,
        }
    }
    Ok(())
}
