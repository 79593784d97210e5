//! Issue 23 item 11, the TUI parts: the cleared filter's row count, the 80-column Schemas list,
//! icon glyphs in block text, the hint line of search / filter / confirm dialogs, help lines at
//! 120 columns, the character count of hidden input, and the new-run form at 40x10
//! (TestBackend, real redb store, demo workspace).

mod support;

use std::sync::Arc;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::ProviderKind;
use blockwise::schema::{save, SaveRequest};
use blockwise::store::Store;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use crossterm::event::KeyCode;
use serde_json::json;
use support::tui::{code, demo, key, screen, Demo};

fn app(env: &Demo) -> App {
    support::tui::grid_app(env, 120, 40)
}

fn hint_line(app: &App, w: u16, h: u16) -> String {
    let s = screen(app, w, h);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len() - 2].to_string()
}

#[test]
fn clearing_the_filter_counts_the_rows_that_show() {
    let env = demo(true);
    let mut app = app(&env);
    let total = app.grid().total();
    assert!(total > 0);
    app.handle_key(key('f'));
    support::tui::toggle_filter(&mut app, "heading");
    app.handle_key(code(KeyCode::Enter));
    assert!(app.grid().total() < total);
    app.handle_key(key('f'));
    support::tui::toggle_filter(&mut app, "heading");
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.grid().total(), total);
    let m = app.message().unwrap().0.clone();
    assert_eq!(m, format!("filter: all · {total} row(s)"));
}

#[test]
fn the_80_column_schemas_list_keeps_refs_that_differ_in_a_suffix_apart() {
    let env = demo(false);
    for r in ["entity_extraction_long", "entity_extraction_long_v2"] {
        let schema = json!({"type": "object", "properties": {r: {"type": "string"}}});
        save(
            &env.store,
            SaveRequest::new(schema, Some(r.into()), "reviewer"),
        )
        .unwrap();
    }
    let mut app = app(&env);
    app.update(Action::Resize(80, 24));
    app.handle_key(key('3'));
    let s = screen(&app, 80, 24);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("entity_")).collect();
    assert_eq!(rows.len(), 2, "{s}");
    assert!(
        rows.iter().all(|r| r.contains('…')),
        "cut with an ellipsis:\n{s}"
    );
    assert!(rows[0] != rows[1], "the two refs read differently:\n{s}");
    assert!(s.contains("_v2"), "the suffix shows:\n{s}");
}

#[test]
fn an_icon_glyph_in_block_text_never_reaches_the_grid() {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
    let doc = dir.path().join("sphinx.md");
    std::fs::write(&doc, "# Install\u{f0c1}\n\nRun the installer.\u{f0c1}\n").unwrap();
    let doc = ingest_path(&store, &doc, IngestLimits::default())
        .unwrap()
        .document;
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    let schema = save(
        &store,
        SaveRequest::new(schema, Some("l".into()), "reviewer"),
    )
    .unwrap()
    .schema()
    .clone();
    let ws = Workspace::new(store.clone());
    let opts = CreateRunOptions {
        provider: Some(ProviderKind::Demo.as_str().into()),
        ..Default::default()
    };
    ws.create_run(&doc.conv_uid, &schema.schema_ref, &opts)
        .unwrap();
    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(80, 24));
    app.handle_key(key('2'));
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("# Install") && s.contains("Run the installer."),
        "{s}"
    );
    assert!(
        !s.contains('\u{f0c1}'),
        "the private-use glyph was drawn:\n{s}"
    );
}

#[test]
fn dialogs_say_what_enter_does_and_help_lines_are_whole_at_120_columns() {
    let env = demo(true);
    let mut app = app(&env);
    app.handle_key(key('/'));
    let h = hint_line(&app, 120, 40);
    assert!(h.contains("enter search") && !h.contains("save"), "{h}");
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(key('f'));
    let h = hint_line(&app, 120, 40);
    assert!(h.contains("enter apply") && !h.contains("save"), "{h}");
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(key('A'));
    let h = hint_line(&app, 120, 40);
    assert!(h.contains("y / enter yes") && !h.contains("save"), "{h}");
    app.handle_key(key('n'));
    app.handle_key(key('?'));
    let s = screen(&app, 120, 40);
    let cut: Vec<&str> = s.lines().filter(|l| l.contains('…')).collect();
    assert!(cut.is_empty(), "help lines cut:\n{}", cut.join("\n"));
}

#[test]
fn hidden_key_input_counts_its_characters() {
    let env = demo(false);
    let mut app = app(&env);
    app.handle_key(key('5'));
    app.handle_key(key('s'));
    for c in "sk-abc".chars() {
        app.handle_key(key(c));
    }
    let s = screen(&app, 120, 40);
    assert!(s.contains("6 characters typed"), "{s}");
    assert!(!s.contains("sk-abc"), "the key is never drawn");
}

#[test]
fn the_new_run_form_shows_the_provider_at_40x10() {
    let env = demo(false);
    let mut app = app(&env);
    app.update(Action::Resize(40, 10));
    app.handle_key(key('1'));
    app.handle_key(key('n'));
    let s = screen(&app, 40, 10);
    assert!(s.contains("provider"), "{s}");
    // Walking down keeps the focused field in view.
    for _ in 0..6 {
        app.handle_key(code(KeyCode::Down));
    }
    let s = screen(&app, 40, 10);
    assert!(s.contains("▸ sample"), "{s}");
}
