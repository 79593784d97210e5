//! Issue 23 item 8: messages are never lost to the width of the terminal. The status line gives
//! the message priority over the badges and the store path, a cut message points to `M`, `M`
//! opens the session's message log in full, and a JSON edit's refusal shows whole with an
//! example shaped like the field (TestBackend, real redb store, demo workspace).

mod support;

use blockwise::tui::modals::{Messages, Prompt};
use blockwise::tui::App;
use crossterm::event::KeyCode;
use support::tui::{code, ctrl, demo, key, screen};

fn status_line(app: &App, w: u16, h: u16) -> String {
    screen(app, w, h)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_long_message_comes_first_is_cut_with_a_pointer_and_m_shows_it_whole() {
    let env = demo(true);
    let mut app = support::tui::grid_app(&env, 80, 24);
    app.handle_key(key('a'));
    let first = app.message().unwrap().0.clone();
    app.handle_key(key('x'));
    app.handle_key(code(KeyCode::Enter));
    let msg = app.message().unwrap().0.clone();
    assert!(
        msg.ends_with("(u undoes; s runs the worker again)"),
        "{msg}"
    );
    let line = status_line(&app, 80, 24);
    assert!(
        line.starts_with(" DEMO  rejected 1 block(s)"),
        "the message leads: {line}"
    );
    assert!(
        line.trim_end().ends_with("M: all"),
        "a cut message says where the rest is: {line}"
    );
    assert!(!line.contains(".redb"), "the store path gives way: {line}");
    // At 120 columns it fits whole, with the store path after it.
    let wide = status_line(&app, 120, 40);
    assert!(wide.contains(&msg) && wide.contains(".redb"), "{wide}");

    // M: the session's messages in full, newest last.
    app.handle_key(key('M'));
    let log = app.modal::<Messages>().expect("M opens the message log");
    assert_eq!(log.entries.len(), 2, "{:?}", log.entries);
    let s = screen(&app, 80, 24);
    assert!(s.contains("Messages of this session (2)"), "{s}");
    assert!(s.contains("  1       confirmed 1 block(s)"), "{s}");
    assert!(
        s.contains("s runs the") && s.contains("worker again)"),
        "the cut end reads here (wrapped):\n{s}"
    );
    assert!(first.starts_with("confirmed 1 block(s)"));
    app.handle_key(key('M'));
    assert!(!app.modal_open(), "M closes it again");
}

#[test]
fn a_json_edit_refusal_shows_whole_with_an_example_of_the_items() {
    let env = demo(true);
    let mut app = support::tui::grid_app(&env, 80, 24);
    while app.grid().current_field() != Some("obligations") {
        app.handle_key(key('l'));
    }
    app.handle_key(key('e'));
    assert!(app.modal::<Prompt>().is_some(), "e opens the JSON editor");
    for _ in 0..3000 {
        app.handle_key(code(KeyCode::Backspace));
    }
    for c in "[\"pay rent\"]".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(ctrl('s'));
    let s = screen(&app, 80, 24);
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("refused:"), "{s}");
    // The validator's reason: a string is not an object; it must be on screen whole.
    let err = app.modal::<Prompt>().unwrap().error.clone().unwrap();
    let words: Vec<&str> = err.split_whitespace().collect();
    let tail = words[words.len().saturating_sub(4)..].join(" ");
    assert!(
        flat.contains(&tail),
        "the end of the refusal shows ({tail}):\n{s}"
    );
    // Text that is not JSON: the example is an array of objects like the field's items.
    for _ in 0..100 {
        app.handle_key(code(KeyCode::Backspace));
    }
    for c in "[{\"party\": \"A\"".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(ctrl('s'));
    let err = app.modal::<Prompt>().unwrap().error.clone().unwrap();
    assert!(
        err.contains(
            r#"like [{"party":"text","obligation":"text","deadline":"text","condition":"text"}]"#
        ) && err.contains("the text is not JSON"),
        "{err}"
    );
    let s = screen(&app, 80, 24);
    let words: Vec<&str> = err.split_whitespace().collect();
    let tail = words[words.len().saturating_sub(3)..].join(" ");
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&tail),
        "the end of the refusal shows ({tail}):\n{s}"
    );
}

#[test]
fn a_refusal_with_a_bulleted_list_keeps_one_bullet_a_line() {
    let env = demo(false);
    let mut app = support::tui::grid_app(&env, 120, 40);
    app.handle_key(key('1'));
    app.handle_key(key('n'));
    app.handle_key(code(KeyCode::Enter)); // document → schema
    app.handle_key(code(KeyCode::Enter)); // create, with no provider picked
    let s = screen(&app, 120, 40);
    let form = app
        .modal::<blockwise::tui::modals::NewRunForm>()
        .expect("a refused create stays in the form");
    let err = form.error.clone().unwrap_or_default();
    assert!(err.contains("\n- "), "a bulleted refusal: {err}");
    assert!(!s.contains(":- "), "bullets run together:\n{s}");
    let bullets = s.lines().filter(|l| l.contains("│- ")).count();
    assert!(bullets >= 2, "one bullet a line:\n{s}");
}
