//! Issue 12 item 1: the detail view (TestBackend, real redb store, demo workspace).

mod support;

use blockwise::model::OverlayStatus;
use blockwise::tui::App;
use crossterm::event::KeyCode;
use support::tui::{code, demo, key, screen, Demo};

fn app(env: &Demo) -> App {
    support::tui::grid_app(env, 120, 40)
}

#[test]
fn enter_shows_the_block_its_neighbours_value_and_call_and_review_keys_work_there() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    let d = app
        .grid()
        .detail
        .as_ref()
        .expect("enter opens the detail view");
    assert_eq!(d.index, 1);
    let s = screen(&app, 120, 40);
    println!("{s}");
    assert!(s.contains("Block 1 ·") && s.contains("esc back"), "{s}");
    for i in 0..3 {
        assert!(
            s.contains(&format!("── #{i} ")),
            "neighbour {i} shown:\n{s}"
        );
    }
    assert!(
        s.contains("clause_type:") && s.contains("status staged"),
        "{s}"
    );
    let ov = env.store.overlay(&env.run_id, 1).unwrap().unwrap();
    let call = ov.result_call.expect("the worker recorded the call");
    assert!(
        s.contains(&format!("#{call} · pack ")),
        "the producing call:\n{s}"
    );
    // A review key in the detail view: a confirms block 1 and the view follows to block 2.
    app.handle_key(key('a'));
    assert_eq!(
        env.store.overlay(&env.run_id, 1).unwrap().unwrap().status,
        OverlayStatus::Confirmed
    );
    assert_eq!(app.grid().detail.as_ref().unwrap().index, 2);
    // An edit shows the model's answer against the staged value (text fields as a word diff).
    while app.grid().current_field() != Some("risk_reason") {
        app.handle_key(key('l'));
    }
    app.handle_key(key('e'));
    for _ in 0..200 {
        app.handle_key(code(KeyCode::Backspace));
    }
    for c in "edited reason words".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(code(KeyCode::Enter));
    let s = screen(&app, 120, 40);
    assert!(s.contains("model answer → staged (differs)"), "{s}");
    assert!(
        s.contains("edited reason words") || s.contains("edited"),
        "{s}"
    );
    // j / k scroll the content as far as it has lines: at 120x40 it fits, so j stays put; in a
    // small terminal it scrolls. esc goes back to the grid on the same row.
    app.handle_key(key('j'));
    assert_eq!(app.grid().detail.as_ref().unwrap().scroll, 0);
    screen(&app, 60, 14);
    app.handle_key(key('j'));
    assert_eq!(app.grid().detail.as_ref().unwrap().scroll, 1);
    app.handle_key(code(KeyCode::Esc));
    assert!(app.grid().detail.is_none());
    assert_eq!(app.grid().cursor, 2);
    assert!(screen(&app, 120, 40).contains("reviewed 1 / "));
}

#[test]
fn a_failed_block_shows_its_last_error_and_attempts() {
    let env = demo(true);
    env.store
        .with_run(&env.run_id, |rt| {
            let mut ov = rt.overlay(3)?.unwrap();
            ov.status = OverlayStatus::Failed;
            ov.attempt_count = 3;
            ov.last_error = Some("model answer did not match the schema: risk_level".into());
            rt.put_overlay(&ov)
        })
        .unwrap();
    let mut app = app(&env);
    // } jumps to the failed block; enter opens it.
    app.handle_key(key('}'));
    assert_eq!(app.grid().cursor, 3);
    app.handle_key(code(KeyCode::Enter));
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("status failed") && s.contains("attempts 3"),
        "{s}"
    );
    assert!(
        s.contains("last error") && s.contains("did not match the schema"),
        "{s}"
    );
}

#[test]
fn a_long_value_scrolls_with_j_and_k_capitals_and_the_content_stays() {
    let env = demo(true);
    // 80x24: the value of a clause (with its obligations) is longer than the panel.
    let mut app = support::tui::grid_app(&env, 80, 24);
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    let s = screen(&app, 80, 24);
    assert!(s.contains("clause_type:"), "{s}");
    assert!(
        !s.contains(" · pack "),
        "the call is below the panel at first:\n{s}"
    );
    let mut shown = false;
    for _ in 0..60 {
        app.handle_key(key('J'));
        if screen(&app, 80, 24).contains(" · pack ") {
            shown = true;
            break;
        }
    }
    let s = screen(&app, 80, 24);
    assert!(shown, "J scrolls down to the producing call:\n{s}");
    assert!(
        !s.contains("clause_type:"),
        "the top of the value scrolled away:\n{s}"
    );
    assert!(s.contains("── #1 "), "the content panel did not move:\n{s}");
    for _ in 0..60 {
        app.handle_key(key('K'));
    }
    assert!(screen(&app, 80, 24).contains("clause_type:"));
    assert_eq!(app.grid().index(), 1, "J / K do not move the cursor");
}

#[test]
fn j_stops_at_the_end_of_the_value_instead_of_scrolling_into_blank_rows() {
    let env = demo(true);
    let mut app = support::tui::grid_app(&env, 80, 24);
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    for _ in 0..500 {
        app.handle_key(key('J'));
    }
    let end = screen(&app, 80, 24);
    assert!(
        end.contains(" · pack "),
        "the call is the value panel's last line:\n{end}"
    );
    // One more `K` after 500 `J`s moves the panel at once: nothing was scrolled past the end.
    app.handle_key(key('K'));
    let up = screen(&app, 80, 24);
    assert_ne!(
        up, end,
        "K after scrolling to the end moves the value panel back"
    );
    // The panel's last text row (the one above the bottom border and the two status rows) is
    // not blank at the end: the value fills the panel down to its last line.
    let rows: Vec<&str> = end.lines().collect();
    let last = rows[rows.len() - 4];
    let right_half: String = last.chars().skip(41).collect();
    assert!(
        !right_half
            .trim_matches(|c: char| c == '│' || c.is_whitespace())
            .is_empty(),
        "the value panel's bottom row is blank:\n{end}"
    );
}

/// Issue 23 item 7: block 2's staged value made to differ from the model's answer in a short
/// enum field and a long text field.
fn change_block(env: &Demo) {
    env.store
        .with_run(&env.run_id, |rt| {
            let mut ov = rt.overlay(2)?.unwrap();
            let mut model = ov.model_output.clone().unwrap();
            model["risk_level"] = "none".into();
            model["risk_reason"] =
                "The tenant must pay the rent on the first day of every month.".into();
            let mut staged = model.clone();
            staged["risk_level"] = "medium".into();
            staged["risk_reason"] =
                "The tenant shall pay the rent on the fifth day of every month.".into();
            ov.model_output = Some(model);
            ov.staging = Some(staged);
            ov.edited = true;
            rt.put_overlay(&ov)
        })
        .unwrap();
}

#[test]
fn the_change_view_keeps_removed_and_added_text_apart_in_every_colour_mode() {
    use blockwise::tui::theme::ColorMode;
    use blockwise::tui::{Action, Keymap, Theme};
    use blockwise::workspace::Workspace;
    let env = demo(true);
    change_block(&env);
    for mode in [ColorMode::None, ColorMode::Basic, ColorMode::Rgb] {
        let mut app = App::new(
            Workspace::new(env.store.clone()),
            Keymap::default_keymap(),
            Theme::with_mode(mode),
        );
        app.update(Action::Resize(120, 40));
        app.handle_key(key('2'));
        app.handle_key(key('j'));
        app.handle_key(key('j'));
        app.handle_key(code(KeyCode::Enter));
        let s = screen(&app, 120, 40);
        assert!(
            s.contains("model answer → staged (differs)"),
            "{mode:?}\n{s}"
        );
        assert!(
            !s.contains("nonemedium"),
            "{mode:?}: old and new run together\n{s}"
        );
        assert!(
            s.contains("  - none") && s.contains("  + medium"),
            "{mode:?}: a short value as before / after lines\n{s}"
        );
        assert!(
            s.contains("[-must-]{+shall+}") && s.contains("[-first-]{+fifth+}"),
            "{mode:?}: a long text as a marked word diff\n{s}"
        );
    }
}
