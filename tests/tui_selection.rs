//! Issue 23 items 1-2 as a reviewer types them (TestBackend, real redb store, demo workspace):
//! `v` ends a range by keeping it, and a review key over a selection acts on every block that
//! can take it, says how many were skipped and why, and keeps the skipped ones selected.

mod support;

use blockwise::model::OverlayStatus;
use blockwise::tui::App;
use crossterm::event::KeyCode;
use support::tui::{code, demo, key, screen, status, Demo};

fn app(env: &Demo) -> App {
    support::tui::grid_app(env, 120, 40)
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(c));
    }
}

fn message(app: &App) -> String {
    app.message().map(|m| m.0.clone()).unwrap_or_default()
}

#[test]
fn v_ends_a_range_by_keeping_it_selected() {
    let env = demo(true);
    let mut app = app(&env);
    keys(&mut app, "jjvjjv");
    assert_eq!(app.grid().targets().to_string(), "2-4", "the range is kept");
    assert!(app.grid().anchor.is_none(), "the range has ended");
    // The cursor moves on; the kept range does not follow it.
    keys(&mut app, "jj");
    assert_eq!(app.grid().targets().to_string(), "2-4");
    assert!(screen(&app, 120, 40).contains("3 selected"));
    // a confirms exactly the kept range.
    keys(&mut app, "a");
    for i in 2..=4 {
        assert_eq!(status(&env, i), OverlayStatus::Confirmed, "block {i}");
    }
    for i in [0, 1, 5, 6] {
        assert_eq!(status(&env, i), OverlayStatus::AiComplete, "block {i}");
    }
    assert!(app.grid().selected.is_empty(), "nothing was skipped");
}

#[test]
fn confirm_over_a_mixed_selection_confirms_what_it_can_and_keeps_the_skipped() {
    let env = demo(true);
    let mut app = app(&env);
    // Block 3 back to pending (reject, no reason).
    keys(&mut app, "jjjx");
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(status(&env, 3), OverlayStatus::Pending);
    // Select 2-5 with a range, confirm.
    app.handle_key(code(KeyCode::Home));
    keys(&mut app, "jjvjjjva");
    for i in [2, 4, 5] {
        assert_eq!(status(&env, i), OverlayStatus::Confirmed, "block {i}");
    }
    assert_eq!(status(&env, 3), OverlayStatus::Pending);
    let m = message(&app);
    assert!(
        m.contains("confirmed 3 block(s): 2,4-5") && m.contains("1 skipped: block 3 is pending"),
        "{m}"
    );
    assert!(m.contains("only staged blocks"), "says why: {m}");
    assert_eq!(app.grid().selected.iter().copied().collect::<Vec<_>>(), [3]);
    let ev = env
        .store
        .review_log(Some(&env.run_id))
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (ev.action.as_str(), ev.blocks.as_str()),
        ("confirm", "2,4-5")
    );

    // U over 2-4 (2 and 4 confirmed, 3 pending): unconfirms 2 and 4, keeps 3 selected.
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(code(KeyCode::Home));
    keys(&mut app, "jjvjjvU");
    assert_eq!(status(&env, 2), OverlayStatus::AiComplete);
    assert_eq!(status(&env, 4), OverlayStatus::AiComplete);
    let m = message(&app);
    assert!(
        m.contains("unconfirmed 2 block(s)") && m.contains("1 skipped"),
        "{m}"
    );
    assert_eq!(app.grid().selected.iter().copied().collect::<Vec<_>>(), [3]);

    // x over 3-5 (3 pending, 5 confirmed, 4 staged): rejects 4 only.
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(code(KeyCode::Home));
    keys(&mut app, "jjjvjjvx");
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(status(&env, 4), OverlayStatus::Pending);
    assert_eq!(status(&env, 5), OverlayStatus::Confirmed);
    let m = message(&app);
    assert!(
        m.contains("rejected 1 block(s)")
            && m.contains("2 skipped: block 3 is pending, block 5 is confirmed"),
        "{m}"
    );
    assert_eq!(
        app.grid().selected.iter().copied().collect::<Vec<_>>(),
        [3, 5]
    );
}

#[test]
fn a_selection_with_nothing_to_confirm_is_refused_and_stays_selected() {
    let env = demo(true);
    let mut app = app(&env);
    keys(&mut app, "a"); // block 0 confirmed; cursor on 1
    app.handle_key(code(KeyCode::Home));
    keys(&mut app, " "); // mark 0
    let before = env.store.fingerprint().unwrap();
    app.handle_key(code(KeyCode::Home));
    keys(&mut app, "a");
    assert_eq!(env.store.fingerprint().unwrap(), before, "nothing changed");
    let m = message(&app);
    assert!(
        m.contains("block 0 is confirmed: nothing to confirm"),
        "{m}"
    );
    assert_eq!(app.grid().selected.iter().copied().collect::<Vec<_>>(), [0]);
}
