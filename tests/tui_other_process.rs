//! Other processes (issue 12 item 6) with real second processes (the `blockwise` binary) on the
//! same redb file: the TUI notices their changes within a second without ctrl-r, and a second
//! worker on a run is refused with who holds it.

mod support;

use std::time::{Duration, Instant};

use blockwise::model::{OverlayStatus, RunStatus};
use blockwise::store::StoreError;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{watch, Action, App, Keymap, Spawner, Theme};
use blockwise::worker;
use blockwise::workspace::{self, CreateRunOptions, SessionOptions, WorkerError, Workspace};
use crossterm::event::KeyCode;
use support::tui::{code, key};

use support::tui::Demo as Env;

fn cli(env: &Env, args: &[&str]) -> std::process::Command {
    let mut c = support::blockwise_in(env.dir.path());
    c.arg("--store").arg(&env.path).args(args);
    c
}

/// An app on a runtime, with the store watcher, and its action channel.
fn live_app(env: &Env) -> (App, tokio::sync::mpsc::Receiver<Action>) {
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let spawner = Spawner {
        handle: env.rt.handle().clone(),
        tx,
    };
    let ws = Workspace::new(env.store.clone());
    watch::spawn(&spawner, ws.clone(), watch::POLL);
    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    )
    .with_spawner(spawner);
    app.update(Action::Resize(120, 40));
    (app, rx)
}

/// Apply actions as the event loop does until `done(app)` or `limit` passes; how long it took.
fn pump_until(
    env: &Env,
    app: &mut App,
    rx: &mut tokio::sync::mpsc::Receiver<Action>,
    limit: Duration,
    done: impl Fn(&App) -> bool,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done(app) {
            return Some(start.elapsed());
        }
        let left = limit.saturating_sub(start.elapsed());
        let got = env
            .rt
            .block_on(async { tokio::time::timeout(left, rx.recv()).await });
        if let Ok(Some(a)) = got {
            app.update(a);
            app.update(Action::Flush);
        }
    }
    done(app).then(|| start.elapsed())
}

#[test]
fn changes_by_another_process_show_within_a_second_without_ctrl_r() {
    let env = support::tui::demo(true);
    let first = env.store.get_run(&env.run_id).unwrap().unwrap();
    let idle = Workspace::new(env.store.clone())
        .create_run(
            &first.conv_uid,
            &first.schema_ref,
            &CreateRunOptions {
                provider: Some("demo".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .run_id;
    let (mut app, mut rx) = live_app(&env);
    assert_eq!(app.runs().find(&env.run_id).unwrap().counters.confirmed, 0);
    // Show the processed run in the grid (both runs may carry the same created_at second, so
    // which one the grid opened at start is not fixed), then go back to the Runs pane.
    support::tui::select_run(&mut app, &env.run_id);
    app.handle_key(code(KeyCode::Enter));
    assert!(!support::tui::screen(&app, 120, 40).contains("confirmed"));
    app.handle_key(key('1'));
    // A CLI confirm in another process.
    let out = cli(&env, &["review", "confirm", &env.run_id, "--blocks", "0,1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        env.store.overlay(&env.run_id, 0).unwrap().unwrap().status,
        OverlayStatus::Confirmed
    );
    let run_id = env.run_id.clone();
    let took = pump_until(&env, &mut app, &mut rx, Duration::from_secs(5), |a| {
        a.runs().find(&run_id).unwrap().counters.confirmed == 2
    })
    .expect("the Runs pane shows the CLI's confirm");
    println!("CLI confirm seen by the TUI after {took:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    // The grid window was re-read too: row 0 is confirmed on screen.
    app.handle_key(key('2'));
    let s = support::tui::screen(&app, 120, 40);
    assert!(s.contains("confirmed"), "{s}");

    // A cancel in another process.
    let out = cli(&env, &["run", "cancel", &idle]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = pump_until(&env, &mut app, &mut rx, Duration::from_secs(5), |a| {
        a.runs().find(&idle).unwrap().status == RunStatus::Cancelled
    })
    .expect("the Runs pane shows the CLI's cancel");
    println!("CLI cancel seen by the TUI after {took:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    app.handle_key(key('1'));
    let s = support::tui::screen(&app, 120, 40);
    assert!(s.contains("cancelled"), "{s}");
}

#[test]
fn a_group_created_by_another_process_shows_as_one_group_row_without_ctrl_r() {
    let env = support::tui::demo(true);
    let doc = env.store.get_run(&env.run_id).unwrap().unwrap().conv_uid;
    let (mut app, mut rx) = live_app(&env);
    assert!(app.runs().groups.is_empty());
    for args in [
        vec!["project", "create", "contracts"],
        vec!["project", "add", "contracts", &doc],
        vec![
            "run",
            "create",
            "--project",
            "contracts",
            "clause_review",
            "--provider",
            "demo",
        ],
    ] {
        let out = cli(&env, &args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The reload lists the member's head first and reads the groups because of it (its group
    // id is read from the lazy head, not from a decoded run).
    let took = pump_until(&env, &mut app, &mut rx, Duration::from_secs(5), |a| {
        a.runs().groups.len() == 1
    })
    .expect("the Runs pane lists the CLI's group");
    println!("CLI group seen by the TUI after {took:?}");
    let row = &app.runs().groups[0];
    assert_eq!(row.group.project_ref, "contracts");
    assert_eq!(row.members.len(), 1, "its member run is summed into it");
    app.handle_key(key('1'));
    let s = support::tui::screen(&app, 120, 40);
    assert!(s.contains("1 group(s)"), "{s}");
}

#[test]
fn a_second_worker_is_refused_naming_the_live_process_that_holds_the_run() {
    let env = support::tui::demo(true);
    let fake = support::fake();
    fake.set_default_latency(Duration::from_secs(30));
    let conv = env.store.get_run(&env.run_id).unwrap().unwrap().conv_uid;
    let ws = Workspace::new(env.store.clone());
    // Creating an anthropic run wants a key (the run itself talks to the fake).
    std::env::set_var("ANTHROPIC_API_KEY", "sk-test");
    let schema = env.store.get_run(&env.run_id).unwrap().unwrap().schema_ref;
    let run = ws
        .create_run(
            &conv,
            &schema,
            &CreateRunOptions {
                provider: Some("anthropic".into()),
                model: Some("claude-sonnet-4-5".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let mut child = cli(&env, &["run", "start", &run.run_id])
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = Instant::now();
    while ws.run_holders().unwrap().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the child never took the run"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the child claim its first blocks and settle (its calls then wait 30 s on the fake),
    // so the fingerprints below see only what the refusals would write.
    let mut last = String::new();
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the child never settled"
        );
        std::thread::sleep(Duration::from_millis(400));
        let now = env.store.fingerprint().unwrap();
        let claimed = env
            .store
            .get_run(&run.run_id)
            .unwrap()
            .unwrap()
            .counters
            .claimed;
        if claimed > 0 && now == last {
            break;
        }
        last = now;
    }
    let held = ws.run_holders().unwrap();
    assert_eq!(held[0].0, run.run_id);
    assert_eq!(held[0].1.pid, pid);

    // The workspace refuses at once, naming pid, host and command.
    let err = match ws.start_session(env.rt.handle(), &run.run_id, SessionOptions::default()) {
        Err(workspace::Error::Worker(WorkerError::Refused(why))) => why,
        Err(e) => panic!("expected a refusal, got {e}"),
        Ok(_) => panic!("a second worker started on a held run"),
    };
    assert!(err.contains(&format!("pid {pid}")), "{err}");
    assert!(err.contains("run start"), "{err}");

    // So does the TUI: `s` on that run, and the Runs pane says who is working on it.
    let (mut app, _rx) = live_app(&env);
    app.handle_key(key('1'));
    let s = support::tui::screen(&app, 120, 40);
    println!("{s}");
    let row = s.lines().find(|l| l.contains(&run.run_id)).unwrap();
    assert!(
        row.contains(&format!("running ▶ worker pid {pid}")),
        "{row}"
    );
    support::tui::select_run(&mut app, &run.run_id);
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('s'));
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(is_error && msg.contains(&format!("pid {pid}")), "{msg}");
    assert!(app.workers().is_empty());

    // And a second `run start` process.
    let out = cli(&env, &["run", "start", &run.run_id])
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("ANTHROPIC_BASE_URL", fake.anthropic_base_url())
        .output()
        .unwrap();
    let (code, _, stderr) = support::outcome(out);
    assert_ne!(code, 0);
    assert!(stderr.contains(&format!("pid {pid}")), "{stderr}");
    assert_eq!(
        env.store.fingerprint().unwrap(),
        before,
        "refusals wrote nothing"
    );

    // Once that process is gone, its hold no longer counts.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ws.run_holders().unwrap().is_empty());
    assert!(
        worker::holding::other_holder(&env.store, &run.run_id, &worker::worker_id())
            .unwrap()
            .is_none()
    );
}

#[test]
fn run_retry_failed_on_the_cli_returns_failed_blocks_to_pending() {
    let env = support::tui::demo(true);
    env.store
        .with_run(&env.run_id, |rt| {
            for i in 0..3 {
                let mut ov = rt.overlay(i)?.unwrap();
                ov.status = OverlayStatus::Failed;
                ov.attempt_count = 3;
                rt.put_overlay(&ov)?;
            }
            rt.run.status = RunStatus::Complete;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let out = cli(&env, &["run", "retry-failed", &env.run_id])
        .output()
        .unwrap();
    let (code, stdout, stderr) = support::outcome(out);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("3 failed blocks back to pending"),
        "{stdout}"
    );
    let run = env.store.get_run(&env.run_id).unwrap().unwrap();
    assert_eq!((run.counters.failed, run.counters.pending), (0, 3));
    assert_eq!(run.status, RunStatus::Running);
}
