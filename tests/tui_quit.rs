//! Issue 23 item 5: `q` while a worker of the window runs asks first. `s` stops it (the run
//! stays resumable: idle, no claims); `k` hands it over to a detached `blockwise run start`
//! whose pid `run status` (and the next TUI) shows. Real worker, real HTTP to a slow fake.

mod support;

use std::time::{Duration, Instant};

use blockwise::tui::modals::QuitAsk;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Spawner, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use crossterm::event::KeyCode;
use support::tui::{code, key, screen, Demo};

/// One slow fake for both tests (they share the process environment that points at it).
fn slow_fake() -> &'static support::FakeServer {
    static FAKE: std::sync::OnceLock<support::FakeServer> = std::sync::OnceLock::new();
    FAKE.get_or_init(|| {
        let fake = support::fake();
        fake.set_default_latency(Duration::from_secs(30));
        std::env::set_var("ANTHROPIC_API_KEY", "sk-test");
        std::env::set_var("ANTHROPIC_BASE_URL", fake.anthropic_base_url());
        fake
    })
}

/// A demo store with an anthropic run on a fake that answers after 30 s, an app on a runtime
/// with the Runs pane on that run, and the worker started with `s`.
fn working(env: &Demo) -> (App, tokio::sync::mpsc::Receiver<Action>, String) {
    slow_fake();
    let first = env.store.get_run(&env.run_id).unwrap().unwrap();
    let run = Workspace::new(env.store.clone())
        .create_run(
            &first.conv_uid,
            &first.schema_ref,
            &CreateRunOptions {
                provider: Some("anthropic".into()),
                model: Some("claude-sonnet-4-5".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    )
    .with_spawner(Spawner {
        handle: env.rt.handle().clone(),
        tx,
    });
    app.update(Action::Resize(120, 40));
    app.handle_key(key('1'));
    support::tui::select_run(&mut app, &run.run_id);
    app.handle_key(key('s'));
    assert!(app.workers().contains(&run.run_id), "{:?}", app.message());
    (app, rx, run.run_id)
}

/// What the event loop does after the user chose: stop the workers and wait for them.
fn shut_down(env: &Demo, app: &mut App, rx: &mut tokio::sync::mpsc::Receiver<Action>) {
    app.update(Action::Shutdown);
    let start = Instant::now();
    while !app.idle() && start.elapsed() < Duration::from_secs(10) {
        let got = env
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_millis(200), rx.recv()).await });
        if let Ok(Some(a)) = got {
            app.update(a);
        }
    }
    assert!(app.idle(), "the worker stopped");
}

#[test]
fn q_asks_first_and_s_stops_the_worker_leaving_the_run_resumable() {
    let env = support::tui::demo(true);
    let (mut app, mut rx, run_id) = working(&env);
    app.handle_key(key('q'));
    assert!(!app.quitting(), "q does not quit at once");
    assert!(app.modal::<QuitAsk>().is_some());
    let s = screen(&app, 80, 24);
    println!("{s}");
    assert!(s.contains("A worker of this window is running on"), "{s}");
    assert!(s.contains("keep it running after the UI closes"), "{s}");
    // Esc stays, the worker too.
    app.handle_key(code(KeyCode::Esc));
    assert!(!app.modal_open() && !app.quitting());
    assert!(app.workers().contains(&run_id));
    app.handle_key(key('q'));
    app.handle_key(key('s'));
    assert!(app.quitting());
    shut_down(&env, &mut app, &mut rx);
    assert!(app.workers().handover().is_empty(), "s hands nothing over");
    let ws = Workspace::new(env.store.clone());
    let run = ws.get_run(&run_id).unwrap().unwrap();
    assert_eq!(run.counters.claimed, 0, "claims went back");
    let state = ws.run_states(&[run]).unwrap().pop().unwrap();
    assert_eq!(state.as_str(), "idle", "resumable: {state:?}");
}

#[test]
fn k_keeps_the_worker_running_in_a_background_process_that_run_status_names() {
    let env = support::tui::demo(true);
    let (mut app, mut rx, run_id) = working(&env);
    app.handle_key(key('q'));
    let s = screen(&app, 120, 40);
    println!("{s}");
    app.handle_key(key('k'));
    assert!(app.quitting());
    shut_down(&env, &mut app, &mut rx);
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_blockwise"));
    let lines = blockwise::tui::hand_over_workers(&app, exe);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let pid: u32 = lines[0]
        .split("as pid ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{lines:?}"));
    let ws = Workspace::new(env.store.clone());
    let start = Instant::now();
    let held = loop {
        let held = ws.run_holders().unwrap();
        if !held.is_empty() || start.elapsed() > Duration::from_secs(20) {
            break held;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = support::blockwise_in(env.dir.path())
        .arg("--store")
        .arg(&env.path)
        .args(["run", "status", &run_id])
        .output()
        .unwrap();
    // The background worker is its own session's leader: a signal to it alone stops it.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    assert_eq!(held.len(), 1, "the background worker took the run");
    assert_eq!(held[0].0, run_id);
    assert_eq!(held[0].1.pid, pid);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains(&format!("running ▶ worker pid {pid}")),
        "{status}"
    );
}
