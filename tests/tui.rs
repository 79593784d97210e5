//! The terminal UI on a demo-like store, rendered with ratatui's TestBackend: what the user sees
//! and what keys do to the store.

mod support;

use std::time::Duration;

use blockwise::model::OverlayStatus;
use blockwise::tui::modals::{EnumPicker, Prompt};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Pane, Spawner, Theme};
use blockwise::workspace::Workspace;
use crossterm::event::{KeyCode, KeyEventKind};
use support::tui::{code, ctrl, demo, key, status, Demo};

const W: u16 = 180;
const H: u16 = 30;

fn app(env: &Demo) -> App {
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(W, H));
    app
}

fn screen(app: &App) -> String {
    support::tui::screen(app, W, H)
}

#[test]
fn grid_shows_schema_columns_staged_values_and_the_demo_label() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('2'));
    assert_eq!(app.pane(), Pane::Grid);
    let s = screen(&app);
    println!("{s}");
    for col in ["#", "type", "status", "content", "clause_type"] {
        assert!(s.contains(col), "column {col} missing:\n{s}");
    }
    assert!(s.contains("DEMO"), "demo output must be labelled:\n{s}");
    // A staged value from the store appears in the clause_type column.
    let ov = env.store.overlay(&env.run_id, 0).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::AiComplete);
    let v = ov.staging.unwrap()["clause_type"]
        .as_str()
        .unwrap()
        .to_string();
    let first_row = s.lines().find(|l| l.contains("   0 ")).unwrap();
    assert!(first_row.contains("staged"), "{first_row}");
    assert!(first_row.contains(&v[..v.len().min(20)]), "{first_row}");
    // The Runs pane labels the demo run too.
    app.handle_key(key('1'));
    let runs = screen(&app);
    assert!(
        runs.contains(&env.run_id) && runs.contains("DEMO"),
        "{runs}"
    );
}

#[test]
fn keys_confirm_the_current_block_and_a_selection() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('2'));
    app.handle_key(key('a'));
    assert_eq!(status(&env, 0), OverlayStatus::Confirmed);
    assert_eq!(status(&env, 1), OverlayStatus::AiComplete);
    assert_eq!(app.grid().cursor, 1, "accept-and-next");
    assert!(screen(&app).contains("confirmed"));
    // Block 0 is confirmed now: confirming it again is refused with the reason, nothing changes.
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('g'));
    app.handle_key(key('a'));
    assert_eq!(env.store.fingerprint().unwrap(), before);
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(is_error && msg.contains("block 0 is confirmed"), "{msg}");
    // space selects (and moves down): select 2 and 3, then confirm both. (a moves on to the
    // next staged block at once, before its job reports, so go back to the top first.)
    app.handle_key(key('g'));
    app.handle_key(key('j'));
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Char(' ')));
    app.handle_key(code(KeyCode::Char(' ')));
    app.handle_key(key('a'));
    assert_eq!(status(&env, 2), OverlayStatus::Confirmed);
    assert_eq!(status(&env, 3), OverlayStatus::Confirmed);
    assert_eq!(status(&env, 1), OverlayStatus::AiComplete);
    // x rejects the current block back to pending (Enter: no reason).
    app.handle_key(key('g'));
    app.handle_key(key('j'));
    app.handle_key(key('x'));
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(status(&env, 1), OverlayStatus::Pending);
    // A confirms everything still staged, once Enter answers its question.
    app.handle_key(key('A'));
    app.handle_key(code(KeyCode::Enter));
    let run = env.store.get_run(&env.run_id).unwrap().unwrap();
    assert_eq!(run.counters.ai_complete, 0);
    assert_eq!(run.counters.confirmed, run.counters.total - 1);
}

#[test]
fn key_releases_are_ignored() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('2'));
    let mut release = key('a');
    release.kind = KeyEventKind::Release;
    app.handle_key(release);
    assert_eq!(status(&env, 0), OverlayStatus::AiComplete);
}

#[test]
fn invalid_edit_shows_the_validator_reason_and_changes_nothing() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('2'));
    assert_eq!(app.grid().current_field(), Some("clause_type"));
    let before = env.store.fingerprint().unwrap();
    // An array field opens the multi-line JSON editor; ctrl-s saves, the refusal shows inline.
    while app.grid().current_field() != Some("obligations") {
        app.handle_key(key('l'));
    }
    app.handle_key(key('e'));
    let Some(p) = app.modal::<Prompt>() else {
        panic!("an array field opens the JSON editor");
    };
    assert!(p.multiline);
    app.handle_key(ctrl('a'));
    for _ in 0..20 {
        app.handle_key(code(KeyCode::Down));
    }
    app.handle_key(ctrl('e'));
    for c in "oops".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(ctrl('s'));
    assert_eq!(env.store.fingerprint().unwrap(), before, "nothing saved");
    let Some(p) = app.modal::<Prompt>() else {
        panic!("the editor stays open after a refusal");
    };
    let reason = p.error.clone().unwrap();
    let text = p.field.area().lines().join("\n");
    let schema = app.grid().schema.clone().unwrap();
    let expected = blockwise::review::edit::parse_and_validate(&schema, "obligations", &text)
        .unwrap_err()
        .to_string();
    assert!(reason.contains(&expected), "{reason} / {expected}");
    let s = screen(&app);
    assert!(s.contains("refused:"), "{s}");
    // Esc cancels; still nothing changed.
    app.handle_key(code(KeyCode::Esc));
    assert!(!app.modal_open());
    assert_eq!(env.store.fingerprint().unwrap(), before);

    // An enum field opens a picker of its members: choosing one saves a draft, d discards it.
    while app.grid().current_field() != Some("clause_type") {
        app.handle_key(key('h'));
    }
    app.handle_key(key('e'));
    let Some(p) = app.modal::<EnumPicker>() else {
        panic!("an enum field opens a picker");
    };
    let at = p.members.iter().position(|m| m == "indemnity").unwrap();
    app.handle_key(key('g'));
    for _ in 0..at {
        app.handle_key(key('j'));
    }
    app.handle_key(code(KeyCode::Enter));
    assert!(!app.modal_open());
    let ov = env.store.overlay(&env.run_id, 0).unwrap().unwrap();
    assert_eq!(ov.staging.as_ref().unwrap()["clause_type"], "indemnity");
    let model = ov.model_output.as_ref().unwrap()["clause_type"].clone();
    if model != "indemnity" {
        assert!(ov.edited);
        assert!(screen(&app).contains("staged*"));
        app.handle_key(key('d'));
        let ov = env.store.overlay(&env.run_id, 0).unwrap().unwrap();
        assert_eq!(ov.staging.unwrap()["clause_type"], model);
    }
}

#[test]
fn help_overlay_lists_the_keymap() {
    let env = demo(false);
    let mut app = app(&env);
    app.handle_key(key('?'));
    let s = screen(&app);
    for text in [
        "confirm every staged block",
        "reject selected rows",
        "export the run",
        "[grid]",
        "[runs]",
        "ctrl-c",
    ] {
        assert!(s.contains(text), "help lacks {text}:\n{s}");
    }
    app.handle_key(key('x'));
    assert!(!app.modal_open(), "any key closes help");
}

#[test]
fn new_run_from_the_picker_and_the_background_worker_fill_the_grid() {
    let env = demo(false);
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let mut app = app(&env).with_spawner(Spawner {
        handle: env.rt.handle().clone(),
        tx,
    });
    let runs_before = env.store.list_runs().unwrap().len();
    app.handle_key(key('n'));
    assert!(screen(&app).contains("pick a document"));
    app.handle_key(code(KeyCode::Enter));
    assert!(screen(&app).contains("pick a schema"));
    // The run is created by a background job: wait for it to report, as tests/tui_async.rs does.
    let settle = |app: &mut App, rx: &mut tokio::sync::mpsc::Receiver<Action>| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !app.jobs().is_empty() && std::time::Instant::now() < deadline {
            let a = env
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), rx.recv()).await });
            if let Ok(Some(a)) = a {
                app.update(a);
            }
        }
    };
    // No provider is set up: none is chosen for the user (issue 14), the demo is only offered.
    let s = screen(&app);
    assert!(s.contains("none set up"), "{s}");
    app.handle_key(code(KeyCode::Enter));
    settle(&mut app, &mut rx);
    let s = screen(&app);
    assert!(s.contains("no provider is set up"), "{s}");
    assert_eq!(env.store.list_runs().unwrap().len(), runs_before);
    // The demo, picked explicitly on the provider row, is labelled as such.
    app.handle_key(code(KeyCode::Down));
    app.handle_key(code(KeyCode::Right));
    let s = screen(&app);
    assert!(s.contains("offline demo, not a real model"), "{s}");
    app.handle_key(code(KeyCode::Enter));
    settle(&mut app, &mut rx);
    let runs = env.store.list_runs().unwrap();
    assert_eq!(runs.len(), runs_before + 1);
    let new_run = app.grid().run.clone().unwrap();
    assert_eq!(new_run.model_config.provider, "demo");
    app.handle_key(key('2'));
    app.handle_key(key('s'));
    assert_eq!(app.workers().len(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !app.workers().is_empty() && std::time::Instant::now() < deadline {
        let a = env
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), rx.recv()).await });
        if let Ok(Some(a)) = a {
            app.update(a);
        }
        app.flush();
    }
    assert!(app.workers().is_empty(), "the worker ended");
    let run = env.store.get_run(&new_run.run_id).unwrap().unwrap();
    assert_eq!(run.counters.pending + run.counters.claimed, 0);
    assert_eq!(app.grid().run.as_ref().unwrap().counters, run.counters);
    let s = screen(&app);
    assert!(s.contains("staged") && s.contains("DEMO"), "{s}");
}

#[test]
fn policy_edit_is_refused_for_non_admins_with_the_reason() {
    let env = demo(false);
    // The demo made this OS user the admin: hand the workspace to another admin first, so the
    // TUI opens as a real non-admin.
    let me = blockwise::policy::current_user();
    blockwise::policy::add_admin(&env.store, &me, "owner", None).unwrap();
    blockwise::policy::remove_admin(&env.store, "owner", &me, None).unwrap();
    let mut app = app(&env);
    assert!(!app.policy().is_admin);
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('4'));
    app.handle_key(key('e'));
    assert!(!app.modal_open());
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        is_error && msg.contains(me.as_str()) && msg.contains("admin"),
        "{msg}"
    );
    assert_eq!(env.store.fingerprint().unwrap(), before);
    assert!(screen(&app).contains("read only"));
}

#[test]
fn bare_blockwise_without_a_terminal_says_so_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::blockwise_in(dir.path())
        .arg("--store")
        .arg(dir.path().join("s.redb"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
}

#[test]
fn export_prompt_writes_the_file_and_labels_demo_output() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('2'));
    app.handle_key(key('a'));
    app.handle_key(key('E'));
    assert!(app.modal::<Prompt>().is_some());
    for _ in 0..60 {
        app.handle_key(code(KeyCode::Backspace));
    }
    let target = env.dir.path().join("out.csv");
    for c in format!("{} both", target.display()).chars() {
        app.handle_key(key(c));
    }
    app.handle_key(code(KeyCode::Enter));
    assert!(!app.modal_open(), "{:?}", app.message());
    let csv = std::fs::read_to_string(&target).unwrap();
    assert!(csv.lines().count() > 2, "{csv}");
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        !is_error && msg.contains("1 confirmed") && msg.contains("DEMO"),
        "{msg}"
    );
    // An unknown extension is refused in the prompt, and no file appears.
    app.handle_key(key('E'));
    for _ in 0..60 {
        app.handle_key(code(KeyCode::Backspace));
    }
    let bad = env.dir.path().join("out.xls");
    for c in bad.display().to_string().chars() {
        app.handle_key(key(c));
    }
    app.handle_key(code(KeyCode::Enter));
    let Some(p) = app.modal::<Prompt>() else {
        panic!("prompt stays open")
    };
    assert!(p.error.as_deref().unwrap().contains(".jsonl, .csv or .md"));
    assert!(!bad.exists());
}

#[test]
fn admin_edits_a_policy_key_with_a_reason_and_it_is_audited() {
    let env = demo(false);
    let mut app = app(&env);
    assert!(
        app.policy().is_admin,
        "the demo makes the current user admin"
    );
    app.handle_key(key('4'));
    app.handle_key(key('j'));
    let key_name = app.policy().current().unwrap().key.clone();
    assert_eq!(key_name, "models.platform_default_temperature");
    let typed = |app: &mut App, text: &str| {
        for _ in 0..30 {
            app.handle_key(code(KeyCode::Backspace));
        }
        for c in text.chars() {
            app.handle_key(key(c));
        }
        app.handle_key(code(KeyCode::Enter));
    };
    app.handle_key(key('e'));
    // Out of bounds (0..=1): refused at once, nothing written.
    let before = env.store.fingerprint().unwrap();
    typed(&mut app, "7");
    let Some(p) = app.modal::<Prompt>() else {
        panic!("value prompt stays open")
    };
    assert!(
        p.error.as_deref().unwrap().contains("refused"),
        "{:?}",
        p.error
    );
    assert_eq!(env.store.fingerprint().unwrap(), before);
    let n_audit = blockwise::policy::audit_log(&env.store).unwrap().len();
    typed(&mut app, "0.7");
    typed(&mut app, "steadier answers");
    let audit = blockwise::policy::audit_log(&env.store).unwrap();
    let shown = format!("{:?}", app.message());
    if let Some(last) = audit.last().filter(|_| audit.len() > n_audit) {
        assert_eq!(last.key, key_name);
        assert_eq!(last.reason.as_deref(), Some("steadier answers"));
        assert!(screen(&app).contains("steadier answers"), "audit shown");
    } else {
        panic!("no audit entry written: {shown}");
    }
    assert_ne!(env.store.fingerprint().unwrap(), before);
}
