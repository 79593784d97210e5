//! Mouse (issue 12 item 8) on a real demo store, drawn with TestBackend between events: the
//! wheel scrolls, a click selects a row, a click on a tab switches pane.

mod support;

use std::sync::Arc;

use blockwise::store::{Store, StoreError};
use blockwise::tui::app::Modal;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Pane, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use support::tui::{key, screen};

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

fn click(column: u16, row: u16) -> MouseEvent {
    mouse(MouseEventKind::Down(MouseButton::Left), column, row)
}

/// A demo store with a few more runs of its document (known order, newest first).
fn setup() -> (tempfile::TempDir, Arc<Store>, Vec<String>) {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("demo.redb")).unwrap());
    let first = blockwise::demo::populate(&store, &dir.path().join("samples")).unwrap();
    let ws = Workspace::new(store.clone());
    let mut ids = vec![first.run_id.clone()];
    for s in ws.list_schemas().unwrap() {
        let opts = CreateRunOptions {
            provider: Some("demo".into()),
            ..Default::default()
        };
        ids.push(
            ws.create_run(&first.conv_uid, &s.schema_ref, &opts)
                .unwrap()
                .run_id,
        );
    }
    for (i, id) in ids.iter().enumerate() {
        store
            .with_run(id, |rt| {
                rt.run.created_at = format!("2026-01-01T00:00:{i:02}Z");
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    ids.reverse();
    (dir, store, ids)
}

#[test]
fn wheel_scrolls_click_selects_and_a_tab_click_switches_pane() {
    let (_dir, store, ids) = setup();
    let mut app = App::new(
        Workspace::new(store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(120, 40));
    app.handle_key(key('1'));
    let s = screen(&app, 120, 40);
    // Rows: 0 tabs, 1 the list's border, 2 its header, 3.. the runs.
    let third = s.lines().nth(5).unwrap();
    assert!(third.contains(&ids[2]), "{third}");
    app.handle_mouse(click(10, 5));
    assert_eq!(app.runs.current().unwrap().run_id, ids[2]);
    // A click on the header or below the last run selects nothing new.
    app.handle_mouse(click(10, 2));
    app.handle_mouse(click(10, 3 + ids.len() as u16 + 2));
    assert_eq!(app.runs.current().unwrap().run_id, ids[2]);
    // The wheel moves by three, within the list.
    app.handle_mouse(mouse(MouseEventKind::ScrollUp, 10, 10));
    assert_eq!(app.runs.cursor, 0);
    app.handle_mouse(mouse(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(app.runs.cursor, 3.min(ids.len() - 1));

    // A click on the last row selects the oldest run.
    app.handle_mouse(click(10, 3 + ids.len() as u16 - 1));
    let oldest = ids.last().unwrap().clone();
    assert_eq!(app.runs.current().unwrap().run_id, oldest);

    // Tabs: " Blockwise " then " 1 Runs ", " 2 Grid ", " 3 Schemas ", " 4 Policy ".
    let tabs = s.lines().next().unwrap();
    let col = |label: &str| tabs.find(label).unwrap() as u16 + 1;
    app.handle_mouse(click(col("3 Schemas"), 0));
    assert_eq!(app.pane, Pane::Schemas);
    app.handle_mouse(click(col("2 Grid"), 0));
    assert_eq!(app.pane, Pane::Grid);
    app.handle_mouse(click(col("4 Policy"), 0));
    assert_eq!(app.pane, Pane::Policy);
    app.handle_mouse(click(col("1 Runs"), 0));
    assert_eq!(app.pane, Pane::Runs);
    // A click right of the tabs changes nothing.
    app.handle_mouse(click(119, 0));
    assert_eq!(app.pane, Pane::Runs);

    // The wheel scrolls the help overlay too.
    // The wheel scrolls the help overlay too (at 80x24 it does not fit; a draw measures it).
    app.update(Action::Resize(80, 24));
    app.handle_key(key('?'));
    let _ = screen(&app, 80, 24);
    app.handle_mouse(mouse(MouseEventKind::ScrollDown, 40, 10));
    let Modal::Help(h) = &app.modal else {
        panic!("the wheel does not close the help")
    };
    assert_eq!(h.scroll, 3, "one notch, three lines");
}

#[test]
fn a_click_selects_a_call_in_the_call_log() {
    let (_dir, store, ids) = setup();
    // Process the demo's own run (the oldest) so it has calls.
    let ws = Workspace::new(store.clone());
    let target = ids.last().unwrap().clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let provider = Arc::new(
        blockwise::worker::connect_provider(&store, &ws.get_run(&target).unwrap().unwrap())
            .unwrap(),
    );
    let (_stop, rx) = tokio::sync::watch::channel(false);
    rt.block_on(blockwise::worker::run_worker(
        store.clone(),
        provider,
        &target,
        blockwise::worker::EngineOptions::default(),
        None,
        rx,
    ))
    .unwrap();
    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(120, 40));
    app.handle_key(key('1'));
    app.runs.select(&target);
    app.handle_key(key('c'));
    let _ = screen(&app, 120, 40);
    let Modal::Calls(log) = &app.modal else {
        panic!("c opens the call log")
    };
    assert!(log.calls.len() >= 2);
    // The call log covers the pane: row 1 its border, 2 its header, 3 the first call.
    app.handle_mouse(click(5, 3));
    let Modal::Calls(log) = &app.modal else {
        panic!()
    };
    assert_eq!(log.cursor, 0);
    app.handle_mouse(click(5, 4));
    let Modal::Calls(log) = &app.modal else {
        panic!()
    };
    assert_eq!(log.cursor, 1);
}
