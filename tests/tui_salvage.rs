//! Issue 23 items 4 and 11 in the TUI (TestBackend, real redb store, demo workspace): a failed
//! block shows the model's last invalid answer in the detail view, `e` fixes the bad field in
//! place and `a` confirms the salvaged value (both logged); an answered block never reads
//! "attempts 0".

mod support;

use blockwise::model::OverlayStatus;
use crossterm::event::KeyCode;
use serde_json::json;
use support::tui::{code, demo, key, screen};

#[test]
fn a_failed_block_shows_its_invalid_answer_and_e_then_a_salvages_and_confirms_it() {
    let env = demo(true);
    let answer = env
        .store
        .with_run(&env.run_id, |rt| {
            let mut ov = rt.overlay(3)?.unwrap();
            let mut answer = ov.staging.take().unwrap();
            answer["risk_level"] = json!("catastrophic");
            ov.status = OverlayStatus::Failed;
            ov.attempt_count = 3;
            ov.model_output = None;
            ov.last_error = Some(
                "invalid answer: field 'risk_level': \"catastrophic\" is not one of the enum"
                    .into(),
            );
            ov.invalid_answer = Some(answer.clone());
            rt.put_overlay(&ov)?;
            Ok::<_, blockwise::store::StoreError>(answer)
        })
        .unwrap();
    let mut app = support::tui::grid_app(&env, 120, 40);
    app.handle_key(key('}'));
    assert_eq!(app.grid().cursor, 3);
    app.handle_key(code(KeyCode::Enter));
    let s = screen(&app, 120, 40);
    println!("{s}");
    assert!(s.contains("failed after 3 tries"), "{s}");
    assert!(
        s.contains("the model's last answer (invalid, not staged)"),
        "{s}"
    );
    assert!(
        s.contains("catastrophic"),
        "the invalid answer is shown:\n{s}"
    );
    assert!(!s.contains("(no value yet)"), "{s}");
    while app.grid().current_field() != Some("risk_level") {
        app.handle_key(key('l'));
    }
    // The enum picker opens on the failed block; `high` is the last member.
    app.handle_key(key('e'));
    app.handle_key(code(KeyCode::End));
    app.handle_key(code(KeyCode::Enter));
    let ov = env.store.overlay(&env.run_id, 3).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::AiComplete, "{ov:?}");
    let staged = ov.staging.unwrap();
    assert_eq!(staged["risk_level"], "high");
    assert_eq!(
        staged["clause_type"], answer["clause_type"],
        "the rest is kept"
    );
    let s = screen(&app, 120, 40);
    assert!(s.contains("salvaged"), "{s}");
    // u undoes the salvage (the block is failed again, with the model's answer); the edit
    // is then made again.
    app.handle_key(key('u'));
    let ov = env.store.overlay(&env.run_id, 3).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::Failed, "{ov:?}");
    assert_eq!(ov.invalid_answer.as_ref(), Some(&answer));
    app.handle_key(key('e'));
    app.handle_key(code(KeyCode::End));
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(
        env.store.overlay(&env.run_id, 3).unwrap().unwrap().status,
        OverlayStatus::AiComplete
    );
    app.handle_key(key('a'));
    let ov = env.store.overlay(&env.run_id, 3).unwrap().unwrap();
    assert_eq!(ov.status, OverlayStatus::Confirmed);
    assert_eq!(ov.confirmed.unwrap()["risk_level"], "high");
    let log = env.store.review_log(Some(&env.run_id)).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["edit", "undo", "edit", "confirm"], "{log:?}");
}

#[test]
fn an_answered_block_says_which_try_answered_it_not_attempts_0() {
    let env = demo(true);
    let mut app = support::tui::grid_app(&env, 120, 40);
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    let s = screen(&app, 120, 40);
    assert!(s.contains("status staged  answered on try 1"), "{s}");
    assert!(!s.contains("attempts 0"), "{s}");
}
