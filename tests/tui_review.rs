//! Issue 12 items 3-4 as a reviewer types them (TestBackend, real redb store, demo workspace):
//! accept-and-next, reject with a reason, range selection, confirm-all that asks first, the
//! editors that fit each field, undo and unconfirm. The store is checked after each decision.

mod support;

use blockwise::model::OverlayStatus;
use blockwise::policy::identity::os_user;
use blockwise::tui::modals::{Ask, Prompt};
use blockwise::tui::{draw, App};
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use ratatui::Terminal;
use support::tui::{code, ctrl, demo, key, status, Demo};

fn app(env: &Demo) -> App {
    support::tui::grid_app(env, 120, 40)
}

fn last_event(env: &Demo) -> blockwise::model::ReviewEvent {
    env.store
        .review_log(Some(&env.run_id))
        .unwrap()
        .pop()
        .unwrap()
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(c));
    }
}

#[test]
fn accept_and_next_reject_with_reason_range_and_confirm_all_asks_first() {
    let env = demo(true);
    let mut app = app(&env);
    // a: confirm block 0 and land on the next block needing review.
    app.handle_key(key('a'));
    assert_eq!(status(&env, 0), OverlayStatus::Confirmed);
    assert_eq!(app.grid().cursor, 1);
    // x: reject block 1 with a reason; the reason is in the review log; the cursor moves on.
    app.handle_key(key('x'));
    assert!(app.modal::<Prompt>().is_some(), "x asks for a reason");
    type_text(&mut app, "wrong clause type");
    app.handle_key(code(KeyCode::Enter));
    assert!(!app.modal_open());
    assert_eq!(status(&env, 1), OverlayStatus::Pending);
    let ev = last_event(&env);
    assert_eq!(
        (ev.action.as_str(), ev.blocks.as_str(), ev.by.as_str()),
        ("reject", "1", os_user().as_str())
    );
    assert_eq!(ev.reason.as_deref(), Some("wrong clause type"));
    assert_eq!(app.grid().cursor, 2);
    // v starts a range at 2; two rows down; a confirms 2-4 and moves to 5.
    app.handle_key(key('v'));
    app.handle_key(key('j'));
    app.handle_key(key('j'));
    assert_eq!(app.grid().targets().to_string(), "2-4");
    app.handle_key(key('a'));
    for i in 2..=4 {
        assert_eq!(status(&env, i), OverlayStatus::Confirmed, "block {i}");
    }
    assert_eq!(status(&env, 5), OverlayStatus::AiComplete);
    assert_eq!(app.grid().cursor, 5);
    assert!(
        app.grid().targets().to_string() == "5",
        "the range ended with the decision"
    );
    // A asks first with the count; n says no and changes nothing.
    let staged = env
        .store
        .get_run(&env.run_id)
        .unwrap()
        .unwrap()
        .counters
        .ai_complete;
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('A'));
    let Some(ask) = app.modal::<Ask>() else {
        panic!("A asks first");
    };
    assert!(
        ask.question.contains(&format!("all {staged} staged")),
        "{}",
        ask.question
    );
    app.handle_key(key('n'));
    assert!(!app.modal_open());
    assert_eq!(env.store.fingerprint().unwrap(), before);
    // y confirms every staged block.
    app.handle_key(key('A'));
    app.handle_key(key('y'));
    let run = env.store.get_run(&env.run_id).unwrap().unwrap();
    assert_eq!(run.counters.ai_complete, 0);
    assert_eq!(run.counters.pending, 1, "block 1 was rejected");
}

#[test]
fn undo_reverses_the_last_actions_in_order_as_logged_events() {
    let env = demo(true);
    let mut app = app(&env);
    let ov1 = env.store.overlay(&env.run_id, 1).unwrap().unwrap();
    // Nothing done yet: nothing to undo, nothing written.
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('u'));
    assert_eq!(env.store.fingerprint().unwrap(), before);
    assert!(app
        .message()
        .cloned()
        .unwrap()
        .0
        .contains("nothing to undo"));

    app.handle_key(key('a')); // confirm 0
    app.handle_key(key('x')); // reject 1
    app.handle_key(code(KeyCode::Enter));
    // needs_lawyer is a boolean: e toggles it on block 2.
    while app.grid().current_field() != Some("needs_lawyer") {
        app.handle_key(key('l'));
    }
    assert_eq!(app.grid().cursor, 2);
    let was = env
        .store
        .overlay(&env.run_id, 2)
        .unwrap()
        .unwrap()
        .staging
        .unwrap()["needs_lawyer"]
        .clone();
    app.handle_key(key('e'));
    let now = env.store.overlay(&env.run_id, 2).unwrap().unwrap();
    assert_eq!(
        now.staging.unwrap()["needs_lawyer"],
        serde_json::json!(!was.as_bool().unwrap())
    );
    assert!(now.edited);

    // u: the toggle is undone (staged value as before, no draft left).
    app.handle_key(key('u'));
    let ov2 = env.store.overlay(&env.run_id, 2).unwrap().unwrap();
    assert_eq!(ov2.staging.unwrap()["needs_lawyer"], was);
    assert!(!ov2.edited);
    let ev = last_event(&env);
    assert_eq!((ev.action.as_str(), ev.blocks.as_str()), ("undo", "2"));
    assert!(ev.reason.unwrap().contains("(edit)"));
    // u: the reject is undone: block 1 is staged again with exactly its old answer.
    app.handle_key(key('u'));
    let back = env.store.overlay(&env.run_id, 1).unwrap().unwrap();
    assert_eq!(back, ov1);
    assert!(last_event(&env).reason.unwrap().contains("(reject)"));
    // u: the confirm is undone.
    app.handle_key(key('u'));
    assert_eq!(status(&env, 0), OverlayStatus::AiComplete);
    let ov0 = env.store.overlay(&env.run_id, 0).unwrap().unwrap();
    assert!(ov0.confirmed.is_none() && ov0.confirmed_by.is_none());
    // The log kept every action and every undo: 3 + 3 events.
    let log = env.store.review_log(Some(&env.run_id)).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["confirm", "reject", "edit", "undo", "undo", "undo"]
    );
    let run = env.store.get_run(&env.run_id).unwrap().unwrap();
    assert_eq!(run.counters.ai_complete, run.counters.total);
}

#[test]
fn undo_is_refused_when_the_block_moved_on_since() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('x'));
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(status(&env, 0), OverlayStatus::Pending);
    // Another process confirms... here: the block is claimed by a worker meanwhile.
    blockwise::worker::transitions::claim(&env.store, &env.run_id, 1, "w", 1).unwrap();
    assert_eq!(status(&env, 0), OverlayStatus::Claimed);
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('u'));
    assert_eq!(env.store.fingerprint().unwrap(), before, "nothing changed");
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        is_error && msg.contains("changed since") && msg.contains("claimed"),
        "{msg}"
    );
}

#[test]
fn unconfirm_takes_selected_confirmed_blocks_back_to_staged_with_who_and_when() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('A'));
    app.handle_key(code(KeyCode::Enter));
    let staged0 = env
        .store
        .overlay(&env.run_id, 0)
        .unwrap()
        .unwrap()
        .confirmed;
    // Select 0 and 1, U.
    app.handle_key(key('g'));
    app.handle_key(code(KeyCode::Char(' ')));
    app.handle_key(code(KeyCode::Char(' ')));
    app.handle_key(key('U'));
    for i in 0..2 {
        let ov = env.store.overlay(&env.run_id, i).unwrap().unwrap();
        assert_eq!(ov.status, OverlayStatus::AiComplete);
        assert!(ov.confirmed.is_none());
    }
    assert_eq!(
        env.store.overlay(&env.run_id, 0).unwrap().unwrap().staging,
        staged0,
        "the confirmed value is staged again"
    );
    assert_eq!(status(&env, 2), OverlayStatus::Confirmed);
    let ev = last_event(&env);
    assert_eq!(
        (ev.action.as_str(), ev.blocks.as_str(), ev.by.as_str()),
        ("unconfirm", "0-1", os_user().as_str())
    );
    assert!(ev.at.starts_with("20"), "{}", ev.at);
    // U on a staged block is refused, nothing changes.
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('g'));
    app.handle_key(key('U'));
    assert_eq!(env.store.fingerprint().unwrap(), before);
    assert!(app.message().unwrap().0.contains("only confirmed blocks"));
}

#[test]
fn the_prompt_shows_its_cursor_and_takes_readline_keys() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('x'));
    type_text(&mut app, "abc def");
    app.handle_key(ctrl('w'));
    app.handle_key(ctrl('a'));
    type_text(&mut app, "X");
    app.handle_key(ctrl('e'));
    type_text(&mut app, "Y");
    let Some(p) = app.modal::<Prompt>() else {
        panic!("reason prompt");
    };
    assert_eq!(p.field.area().lines(), ["Xabc Y"]);
    // The cursor is drawn (a reversed cell after the text) and the terminal cursor is there.
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| draw(f, &app)).unwrap();
    let pos = term.get_cursor_position().unwrap();
    let cell = &term.backend().buffer()[(pos.x, pos.y)];
    assert!(
        cell.modifier.contains(Modifier::REVERSED),
        "{pos:?} {cell:?}"
    );
    let left = &term.backend().buffer()[(pos.x - 1, pos.y)];
    assert_eq!(left.symbol(), "Y");
    app.handle_key(ctrl('u'));
    let Some(p) = app.modal::<Prompt>() else {
        panic!("reason prompt");
    };
    assert_eq!(p.field.area().lines(), [""]);
    // Esc: nothing rejected.
    app.handle_key(code(KeyCode::Esc));
    assert_eq!(status(&env, 0), OverlayStatus::AiComplete);
}
