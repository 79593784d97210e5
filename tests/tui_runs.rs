//! The Runs pane (issue 12 item 5) on a real demo store, drawn with TestBackend: states in words,
//! newest first, the call log, retry of failed blocks, cancel on its new key, and a pause reason
//! shown as soon as a real worker (real HTTP to the fake provider) reports it.

mod support;

use std::sync::Arc;

use blockwise::model::{OverlayStatus, RunStatus};

use blockwise::tui::modals::CallLog;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Theme};
use blockwise::worker::{self, EngineOptions, RunEnd};
use blockwise::workspace::{CreateRunOptions, Workspace};
use crossterm::event::KeyCode;
use support::tui::{code, key};

use support::tui::Demo as Env;

fn app(env: &Env, w: u16, h: u16) -> App {
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(w, h));
    app.handle_key(key('1'));
    app
}

fn run(env: &Env, id: &str) -> blockwise::model::Run {
    env.store.get_run(id).unwrap().unwrap()
}

/// A second run of the demo document (another template schema), created "later".
fn second_run(env: &Env) -> String {
    let ws = Workspace::new(env.store.clone());
    let first = run(env, &env.run_id);
    let other = ws
        .list_schemas()
        .unwrap()
        .into_iter()
        .find(|s| s.schema_id != first.schema_id)
        .expect("the demo has several schemas");
    let r = ws
        .create_run(
            &first.conv_uid,
            &other.schema_ref,
            &CreateRunOptions {
                provider: Some("demo".into()),
                ..Default::default()
            },
        )
        .unwrap();
    // Make the order independent of the clock's one-second resolution.
    env.store
        .with_run(&env.run_id, |rt| {
            rt.run.created_at = "2020-01-01T00:00:00Z".into();
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    r.run_id
}

/// Mark `n` blocks of `run_id` failed for good and roll the run up to complete.
fn fail_blocks(env: &Env, run_id: &str, n: u32) {
    env.store
        .with_run(run_id, |rt| {
            for i in 0..n {
                let mut ov = rt.overlay(i)?.unwrap();
                ov.status = OverlayStatus::Failed;
                ov.attempt_count = 3;
                ov.last_error = Some("the model answered nothing usable".into());
                rt.put_overlay(&ov)?;
            }
            rt.run.status = RunStatus::Complete;
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

#[test]
fn newest_first_with_states_in_words_and_cancel_on_capital_x() {
    let env = support::tui::demo(true);
    let newer = second_run(&env);
    let mut app = app(&env, 80, 24);
    let s = support::tui::screen(&app, 80, 24);
    println!("{s}");
    // Newest first: the fresh run is above the processed one, and the cursor starts on it.
    let pos = |id: &str| {
        s.find(&id[..12])
            .unwrap_or_else(|| panic!("{id} missing:\n{s}"))
    };
    assert!(pos(&newer) < pos(&env.run_id), "{s}");
    assert_eq!(app.runs().current().unwrap().run_id, newer);
    // At 80 columns: id prefix, state and progress as done/total survive.
    let total = run(&env, &env.run_id).counters.total;
    let done_row = line_with(&s, &env.run_id[..12]);
    assert!(done_row.contains("complete"), "{done_row}");
    assert!(done_row.contains(&format!("{total}/{total}")), "{done_row}");
    let new_row = line_with(&s, &newer[..12]);
    assert!(new_row.contains("idle"), "{new_row}");
    assert!(new_row.contains(&format!("0/{total}")), "{new_row}");
    assert!(
        s.contains("s starts the worker"),
        "what to do is said:\n{s}"
    );

    // `c` is the call log now; cancel moved to `X`.
    app.handle_key(key('X'));
    assert_eq!(run(&env, &newer).status, RunStatus::Cancelled);
    let s = support::tui::screen(&app, 80, 24);
    assert!(line_with(&s, &newer[..12]).contains("cancelled"), "{s}");
    assert!(s.contains("r resumes it"), "{s}");
    app.handle_key(key('r'));
    assert_eq!(run(&env, &newer).status, RunStatus::Running);
}

#[test]
fn complete_with_failed_blocks_says_so_and_capital_r_retries_them() {
    let env = support::tui::demo(true);
    fail_blocks(&env, &env.run_id, 3);
    let mut app = app(&env, 120, 40);
    let s = support::tui::screen(&app, 120, 40);
    println!("{s}");
    assert!(
        line_with(&s, &env.run_id).contains("complete with 3 failed"),
        "{s}"
    );
    assert!(s.contains("R retries the 3 failed block(s)"), "{s}");
    app.handle_key(key('R'));
    let after = run(&env, &env.run_id);
    assert_eq!(after.status, RunStatus::Running);
    assert_eq!(after.counters.failed, 0);
    assert_eq!(after.counters.pending, 3);
    let ov = env.store.overlay(&env.run_id, 0).unwrap().unwrap();
    assert_eq!((ov.status, ov.attempt_count), (OverlayStatus::Pending, 0));
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(!is_error && msg.contains("3 failed block(s)"), "{msg}");
    let s = support::tui::screen(&app, 120, 40);
    assert!(line_with(&s, &env.run_id).contains("idle"), "{s}");
    // Nothing failed any more: R says so and writes nothing.
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('R'));
    assert_eq!(env.store.fingerprint().unwrap(), before);
    assert!(app
        .message()
        .cloned()
        .unwrap()
        .0
        .contains("no failed blocks"));
}

#[test]
fn c_shows_the_call_log_of_the_selected_run_and_esc_closes_it() {
    let env = support::tui::demo(true);
    let calls = env.store.calls(&env.run_id).unwrap();
    assert!(!calls.is_empty());
    let mut app = app(&env, 120, 40);
    app.handle_key(key('c'));
    let Some(log) = app.modal::<CallLog>() else {
        panic!("c opens the call log")
    };
    assert_eq!(log.calls.len(), calls.len());
    assert_eq!(log.cursor, calls.len() - 1, "the newest call is selected");
    let s = support::tui::screen(&app, 120, 40);
    println!("{s}");
    assert!(
        s.contains(&format!("{} call(s)", calls.len())),
        "title counts the calls:\n{s}"
    );
    let last = calls.last().unwrap();
    let row = line_with(&s, &format!("{}-{}", last.first_block, last.last_block));
    assert!(row.contains("ok"), "{row}");
    // j/k move inside the log; the store is untouched by looking.
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('g'));
    let Some(log) = app.modal::<CallLog>() else {
        panic!()
    };
    assert_eq!(log.cursor, 0);
    app.handle_key(code(KeyCode::Esc));
    assert!(!app.modal_open());
    app.handle_key(key('c'));
    app.handle_key(key('c'));
    assert!(!app.modal_open(), "c toggles it");
    assert_eq!(env.store.fingerprint().unwrap(), before);
}

#[test]
fn a_paused_run_shows_the_reason_in_full_as_soon_as_the_worker_reports_it() {
    let env = support::tui::demo(false);
    let fake = support::fake();
    fake.script(support::FakeScript::new().then(support::Fault::Unauthorized));
    let mut app = app(&env, 120, 40);
    let s = support::tui::screen(&app, 120, 40);
    assert!(line_with(&s, &env.run_id).contains("idle"), "{s}");
    let provider = worker::connect(
        "anthropic",
        Some("sk-test-key".into()),
        Some(fake.anthropic_base_url()),
    )
    .unwrap();
    let (tx, mut events) = tokio::sync::mpsc::channel(256);
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let end = env
        .rt
        .block_on(worker::run_worker(
            env.store.clone(),
            Arc::new(provider),
            &env.run_id,
            EngineOptions::default(),
            Some(tx),
            stop_rx,
        ))
        .unwrap();
    let RunEnd::Paused(reason) = end else {
        panic!("a bad key pauses the run, got {end:?}")
    };
    // Feed the worker's own events to the app, without any reload from the store.
    while let Ok(ev) = events.try_recv() {
        app.update(Action::Worker(ev));
    }
    let s = support::tui::screen(&app, 120, 40);
    println!("{s}");
    assert!(line_with(&s, &env.run_id).contains("paused:"), "{s}");
    // The reason in full (wrapped in the detail box), and what to do.
    let flat: String = s
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = reason.split_whitespace().collect();
    let last_word = words.last().unwrap();
    assert!(
        flat.contains(words[0]) && flat.contains(last_word),
        "{reason}\n{s}"
    );
    assert!(flat.contains("then r resumes"), "{s}");
}
