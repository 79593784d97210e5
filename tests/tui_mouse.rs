//! Mouse (issue 12 item 8) on a real demo store, drawn with TestBackend between events: the
//! wheel scrolls, a click selects a row, a click on a tab switches pane.

mod support;

use std::sync::Arc;

use blockwise::store::{Store, StoreError};
use blockwise::tui::modals::{CallLog, Help};
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
    assert_eq!(app.runs().current().unwrap().run_id, ids[2]);
    // A click on the header or below the last run selects nothing new.
    app.handle_mouse(click(10, 2));
    app.handle_mouse(click(10, 3 + ids.len() as u16 + 2));
    assert_eq!(app.runs().current().unwrap().run_id, ids[2]);
    // The wheel moves by three, within the list.
    app.handle_mouse(mouse(MouseEventKind::ScrollUp, 10, 10));
    assert_eq!(app.runs().cursor, 0);
    app.handle_mouse(mouse(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(app.runs().cursor, 3.min(ids.len() - 1));

    // A click on the last row selects the oldest run.
    app.handle_mouse(click(10, 3 + ids.len() as u16 - 1));
    let oldest = ids.last().unwrap().clone();
    assert_eq!(app.runs().current().unwrap().run_id, oldest);

    // Tabs: " Blockwise " then " 1 Runs ", " 2 Grid ", " 3 Schemas ", " 4 Policy ".
    let tabs = s.lines().next().unwrap();
    let col = |label: &str| tabs.find(label).unwrap() as u16 + 1;
    app.handle_mouse(click(col("3 Schemas"), 0));
    assert_eq!(app.pane(), Pane::Schemas);
    app.handle_mouse(click(col("2 Grid"), 0));
    assert_eq!(app.pane(), Pane::Grid);
    app.handle_mouse(click(col("4 Policy"), 0));
    assert_eq!(app.pane(), Pane::Policy);
    app.handle_mouse(click(col("1 Runs"), 0));
    assert_eq!(app.pane(), Pane::Runs);
    // A click right of the tabs changes nothing.
    app.handle_mouse(click(119, 0));
    assert_eq!(app.pane(), Pane::Runs);

    // The wheel scrolls the help overlay too.
    // The wheel scrolls the help overlay too (at 80x24 it does not fit; a draw measures it).
    app.update(Action::Resize(80, 24));
    app.handle_key(key('?'));
    let _ = screen(&app, 80, 24);
    app.handle_mouse(mouse(MouseEventKind::ScrollDown, 40, 10));
    let Some(h) = app.modal::<Help>() else {
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
    support::tui::select_run(&mut app, &target);
    app.handle_key(key('c'));
    let _ = screen(&app, 120, 40);
    let Some(log) = app.modal::<CallLog>() else {
        panic!("c opens the call log")
    };
    assert!(log.calls.len() >= 2);
    // The call log covers the pane: row 1 its border, 2 its header, 3 the first call.
    app.handle_mouse(click(5, 3));
    let Some(log) = app.modal::<CallLog>() else {
        panic!()
    };
    assert_eq!(log.cursor, 0);
    app.handle_mouse(click(5, 4));
    let Some(log) = app.modal::<CallLog>() else {
        panic!()
    };
    assert_eq!(log.cursor, 1);
}

/// The screen row (y) of the first line of `s` containing `needle`.
fn row_of(s: &str, needle: &str) -> u16 {
    s.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not on screen:\n{s}")) as u16
}

#[test]
fn a_click_selects_a_grid_row_not_the_header_nor_in_the_detail_view() {
    let env = support::tui::demo(true);
    let (w, h) = (80, 24);
    let mut app = support::tui::grid_app(&env, w, h);
    let before = env.store.fingerprint().unwrap();
    let s = screen(&app, w, h);
    // Rows: 0 tabs, 1 the table's border, 2 its header, 3.. the blocks from the window's top.
    app.handle_mouse(click(10, row_of(&s, "    4  ")));
    assert_eq!(app.grid().cursor, 4);
    assert!(screen(&app, w, h).contains("row 5/21"));
    app.handle_mouse(click(10, 2));
    app.handle_mouse(click(0, row_of(&s, "    6  ")));
    assert_eq!(app.grid().cursor, 4, "header and border select nothing");
    // Scrolled to the end: a click maps through the window's offset.
    app.handle_key(key('G'));
    let s = screen(&app, w, h);
    assert!(app.grid().offset > 0);
    app.handle_mouse(click(30, row_of(&s, "   17  ")));
    assert_eq!(app.grid().index(), 17);
    // In the detail view a click changes nothing.
    app.handle_key(crossterm_enter());
    assert!(app.grid().detail.is_some());
    app.handle_mouse(click(10, 5));
    assert_eq!(app.grid().index(), 17);
    assert_eq!(
        env.store.fingerprint().unwrap(),
        before,
        "clicks only select"
    );
}

fn crossterm_enter() -> crossterm::event::KeyEvent {
    support::tui::code(crossterm::event::KeyCode::Enter)
}

#[test]
fn a_click_selects_a_schema_a_policy_key_an_audit_entry_and_a_provider() {
    let env = support::tui::demo(false);
    let ws = Workspace::new(env.store.clone());
    ws.set_policy_text("models.platform_default_temperature", "0.6", Some("calmer"))
        .unwrap();
    ws.set_policy_text(
        "models.platform_default_temperature",
        "0.5",
        Some("calmer still"),
    )
    .unwrap();
    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    let (w, h) = (120, 40);
    app.update(Action::Resize(w, h));

    app.handle_key(key('3'));
    let s = screen(&app, w, h);
    let y = row_of(&s, "summary_key_po");
    // A click in the preview beside the row selects nothing.
    app.handle_mouse(click(100, y));
    assert_eq!(app.schemas().cursor, 0);
    app.handle_mouse(click(3, y));
    assert!(app
        .schemas()
        .current()
        .unwrap()
        .schema_ref
        .starts_with("summary_key_po"));
    app.handle_mouse(click(3, row_of(&s, "clause_review")));
    assert_eq!(app.schemas().current().unwrap().schema_ref, "clause_review");

    app.handle_key(key('4'));
    let s = screen(&app, w, h);
    app.handle_mouse(click(3, row_of(&s, "│models.platform_default_temperature")));
    assert_eq!(
        app.policy().current().unwrap().key,
        "models.platform_default_temperature"
    );
    // The audit log's second row is the older change; the click moves the focus there.
    let y = row_of(&s, "calmer still") + 1;
    app.handle_mouse(click(3, y));
    assert_eq!(
        app.policy().focus,
        blockwise::tui::panes::policy::PolicyFocus::Audit
    );
    assert_eq!(
        app.policy().shown_audit()[app.policy().audit_cursor]
            .reason
            .as_deref(),
        Some("calmer")
    );
    assert!(screen(&app, w, h).contains("new: 0.6"));
    // Back up to a key.
    app.handle_mouse(click(3, row_of(&s, "│models.platform_default_temperature")));
    assert_eq!(
        app.policy().focus,
        blockwise::tui::panes::policy::PolicyFocus::Keys
    );

    app.handle_key(key('5'));
    let s = screen(&app, w, h);
    let last = blockwise::tui::panes::keys::KeysPane::providers()[3];
    app.handle_mouse(click(3, row_of(&s, &format!("│{last} "))));
    assert_eq!(app.keys().current(), last);
    app.handle_mouse(click(3, 2));
    assert_eq!(app.keys().current(), last, "the header selects nothing");
}
