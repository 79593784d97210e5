//! Issue 12 item 2: finding work — search with n / N and highlights, the status / type filter
//! shown in the title, jumps to staged and failed blocks, the reviewed figure (TestBackend, real
//! redb store, demo workspace).

mod support;

use blockwise::model::{BlockType, OverlayStatus};

use blockwise::tui::{draw, App};
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use ratatui::Terminal;
use support::tui::{code, demo, key, screen, status, Demo};

fn app(env: &Demo) -> App {
    support::tui::grid_app(env, 120, 40)
}

#[test]
fn search_finds_content_and_values_n_and_n_move_and_the_match_is_highlighted() {
    let env = demo(true);
    let mut app = app(&env);
    let blocks = env
        .store
        .blocks(&env.store.get_run(&env.run_id).unwrap().unwrap().conv_uid)
        .unwrap();
    let expected: Vec<u32> = blocks
        .iter()
        .filter(|b| b.block_content.to_lowercase().contains("customer"))
        .map(|b| b.block_index)
        .collect();
    assert!(expected.len() >= 2);
    app.handle_key(key('/'));
    for c in "CUSTOMER".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(code(KeyCode::Enter));
    let (q, hits) = app.grid().search.clone().expect("search ran");
    assert_eq!(q, "CUSTOMER");
    // Content matches are found (the demo values quote the content too, so no block is lost).
    for i in &expected {
        assert!(hits.contains(i), "block {i} matches");
    }
    assert_eq!(
        app.grid().cursor,
        hits[0],
        "the cursor went to the first match"
    );
    app.handle_key(key('n'));
    assert_eq!(app.grid().cursor, hits[1]);
    app.handle_key(key('N'));
    assert_eq!(app.grid().cursor, hits[0]);
    app.handle_key(key('N'));
    assert_eq!(app.grid().cursor, *hits.last().unwrap(), "N wraps");
    // The match is drawn reversed in the content column.
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| draw(f, &app)).unwrap();
    let buf = term.backend().buffer();
    let mut found = false;
    for y in 0..40 {
        let line: String = (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>();
        if let Some(col) = line.find("Customer") {
            let x = line[..col].chars().count() as u16;
            found |= buf[(x, y)].modifier.contains(Modifier::REVERSED);
        }
    }
    assert!(found, "a highlighted match on screen");
    assert!(
        screen(&app, 120, 40).contains("/CUSTOMER ("),
        "the search in the title"
    );
    // An empty search clears it.
    app.handle_key(key('/'));
    for _ in 0..20 {
        app.handle_key(code(KeyCode::Backspace));
    }
    app.handle_key(code(KeyCode::Enter));
    assert!(app.grid().search.is_none());
}

#[test]
fn filter_by_status_and_type_is_shown_in_the_title_and_follows_decisions() {
    let env = demo(true);
    let mut app = app(&env);
    // Confirm blocks 0 and 2 (a moves on; 1 is skipped with j... a goes to 1, then j to 2).
    app.handle_key(key('a'));
    app.handle_key(key('j'));
    app.handle_key(key('a'));
    assert_eq!(status(&env, 0), OverlayStatus::Confirmed);
    assert_eq!(status(&env, 2), OverlayStatus::Confirmed);
    assert!(screen(&app, 120, 40).contains("reviewed 2 / 21 (9.5%)"));
    // f, check "confirmed", Enter: only blocks 0 and 2.
    app.handle_key(key('f'));
    support::tui::toggle_filter(&mut app, "confirmed");
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.grid().total(), 2);
    assert_eq!(app.grid().index_at(0), 0);
    assert_eq!(app.grid().index_at(1), 2);
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("row 2/2 ·") && s.contains("filter: confirmed "),
        "{s}"
    );
    // U on the second row unconfirms block 2; the filter runs again and drops it.
    app.handle_key(key('j'));
    app.handle_key(key('U'));
    assert_eq!(status(&env, 2), OverlayStatus::AiComplete);
    assert_eq!(app.grid().total(), 1);
    // The decision's own line stays on the status bar (the re-run filter does not replace it).
    let s = screen(&app, 120, 40);
    assert!(
        s.lines().last().unwrap().contains("unconfirmed"),
        "{}",
        s.lines().last().unwrap()
    );
    // Type filter: headings only, with space toggling in the modal.
    app.handle_key(key('f'));
    for _ in 0..3 {
        app.handle_key(key('j'));
    }
    app.handle_key(code(KeyCode::Char(' '))); // unchecks "confirmed"
    support::tui::toggle_filter(&mut app, "heading");
    app.handle_key(code(KeyCode::Enter));
    let run = env.store.get_run(&env.run_id).unwrap().unwrap();
    let headings: Vec<u32> = env
        .store
        .blocks(&run.conv_uid)
        .unwrap()
        .iter()
        .filter(|b| b.block_type == BlockType::Heading)
        .map(|b| b.block_index)
        .collect();
    assert_eq!(app.grid().total() as usize, headings.len());
    let s = screen(&app, 120, 40);
    assert!(s.contains("[filter: heading]"), "{s}");
    assert!(!s.contains(" paragraph "), "only headings listed:\n{s}");
}

#[test]
fn jumps_go_to_the_next_and_previous_staged_and_failed_blocks() {
    let env = demo(true);
    env.store
        .with_run(&env.run_id, |rt| {
            for i in [6u32, 12] {
                let mut ov = rt.overlay(i)?.unwrap();
                ov.status = OverlayStatus::Failed;
                rt.put_overlay(&ov)?;
            }
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();
    let mut app = app(&env);
    app.handle_key(key('}'));
    assert_eq!(app.grid().cursor, 6);
    app.handle_key(key('}'));
    assert_eq!(app.grid().cursor, 12);
    app.handle_key(key('{'));
    assert_eq!(app.grid().cursor, 6);
    // Confirm 7 and 8 with accept-and-next; ] from 6 skips them to 9, [ from 9 goes to 5.
    app.handle_key(key('j'));
    app.handle_key(key('a'));
    app.handle_key(key('a'));
    assert_eq!(status(&env, 8), OverlayStatus::Confirmed);
    app.handle_key(key('g'));
    for _ in 0..6 {
        app.handle_key(key('j'));
    }
    app.handle_key(key(']'));
    assert_eq!(app.grid().cursor, 9);
    app.handle_key(key('['));
    assert_eq!(app.grid().cursor, 5);
}
