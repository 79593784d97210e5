//! Issue 23 item 6: one derived run state (running with a live worker / idle / paused /
//! cancelled / complete), the same in `run list`, `run status` and the TUI; `r` resumes and
//! starts the worker; no "ETA 0s" with pending blocks and no worker.

mod support;

use std::time::{Duration, Instant};

use blockwise::model::RunStatus;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Spawner, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use serde_json::Value;
use support::tui::{key, screen, Demo};

fn cli(env: &Demo, args: &[&str]) -> (i32, String, String) {
    let mut c = support::blockwise_in(env.dir.path());
    c.arg("--store").arg(&env.path).args(args);
    support::outcome(c.output().unwrap())
}

fn line_with<'a>(s: &'a str, needle: &str) -> &'a str {
    s.lines().find(|l| l.contains(needle)).unwrap_or("")
}

fn live_app(env: &Demo) -> (App, tokio::sync::mpsc::Receiver<Action>) {
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
    (app, rx)
}

#[test]
fn an_unworked_running_run_is_idle_in_the_cli_and_the_tui_with_no_eta() {
    let env = support::tui::demo(false);
    let (code, out, err) = cli(&env, &["run", "list"]);
    assert_eq!(code, 0, "{err}");
    let row = line_with(&out, &env.run_id);
    assert!(row.contains(" idle "), "{out}");
    let (_, out, _) = cli(&env, &["run", "status", &env.run_id]);
    assert!(
        out.contains("status    idle (no worker: `blockwise run start"),
        "{out}"
    );
    let (_, out, _) = cli(&env, &["--json", "run", "list"]);
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["status"], "running", "the stored status is kept");
    assert_eq!(list[0]["state"], "idle");
    let (_, out, _) = cli(&env, &["--json", "run", "status", &env.run_id]);
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["state"], "idle");

    let (app, _rx) = live_app(&env);
    let s = screen(&app, 120, 40);
    assert!(line_with(&s, &env.run_id).contains("idle"), "{s}");
    assert!(s.contains("ETA – (no worker)"), "{s}");
    assert!(!s.contains("ETA 0s"), "{s}");
}

#[test]
fn a_run_held_by_another_process_reads_the_same_in_run_status_run_list_and_the_tui() {
    let env = support::tui::demo(true);
    let fake = support::fake();
    fake.set_default_latency(Duration::from_secs(30));
    std::env::set_var("ANTHROPIC_API_KEY", "sk-test");
    let first = env.store.get_run(&env.run_id).unwrap().unwrap();
    let ws = Workspace::new(env.store.clone());
    let run = ws
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
    let mut child = support::blockwise_in(env.dir.path())
        .arg("--store")
        .arg(&env.path)
        .args(["run", "start", &run.run_id])
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while ws.run_holders().unwrap().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never took the run"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id();
    let (_, status, _) = cli(&env, &["run", "status", &run.run_id]);
    let (_, list, _) = cli(&env, &["run", "list"]);
    let (app, _rx) = live_app(&env);
    let s = screen(&app, 120, 40);
    child.kill().unwrap();
    child.wait().unwrap();
    let want = format!("running ▶ worker pid {pid}");
    assert!(status.contains(&format!("status    {want}")), "{status}");
    assert!(
        line_with(&list, &run.run_id).contains(" running "),
        "{list}"
    );
    assert!(
        line_with(&list, &env.run_id).contains(" complete "),
        "{list}"
    );
    assert!(line_with(&s, &run.run_id).contains(&want), "{s}");
}

#[test]
fn r_after_x_resumes_and_starts_the_worker() {
    let env = support::tui::demo(false);
    let (mut app, mut rx) = live_app(&env);
    let mut pump = |app: &mut App, done: &dyn Fn(&App) -> bool| {
        let start = Instant::now();
        while !done(app) && start.elapsed() < Duration::from_secs(30) {
            let got = env.rt.block_on(async {
                tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
            });
            if let Ok(Some(a)) = got {
                app.update(a);
            }
            app.update(Action::Flush);
        }
        done(app)
    };
    app.handle_key(key('X'));
    let id = env.run_id.clone();
    assert!(pump(&mut app, &|a| a.jobs().is_empty()
        && a.runs()
            .find(&id)
            .is_some_and(|r| r.status == RunStatus::Cancelled)));
    assert!(screen(&app, 120, 40).contains("cancelled"));
    app.handle_key(key('r'));
    assert_eq!(
        env.store.get_run(&env.run_id).unwrap().unwrap().status,
        RunStatus::Running
    );
    assert!(
        app.workers().contains(&env.run_id),
        "r starts the worker: {:?}",
        app.message()
    );
    let (msg, _) = app.message().cloned().unwrap();
    assert!(!msg.contains("s starts the worker"), "{msg}");
    assert!(
        pump(&mut app, &|_| env
            .store
            .get_run(&id)
            .unwrap()
            .is_some_and(|r| r.status == RunStatus::Complete)),
        "the worker finished the run"
    );
}
