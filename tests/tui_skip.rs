//! `worker.skip_block_types` in the terminal UI (TestBackend): the Policy pane edits the list
//! (refusing an unknown type in the prompt, writing nothing), and the grid of a run over a PDF
//! with page furniture shows those blocks `skipped` and counts them in its title.

mod support;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::tui::modals::Prompt;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use crossterm::event::KeyCode;
use serde_json::json;
use support::tui::{code, demo, key};

const KEY: &str = "worker.skip_block_types";

fn app(env: &support::tui::Demo, w: u16, h: u16) -> App {
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(w, h));
    app
}

fn typed(app: &mut App, text: &str) {
    for _ in 0..60 {
        app.handle_key(code(KeyCode::Backspace));
    }
    for c in text.chars() {
        app.handle_key(key(c));
    }
    app.handle_key(code(KeyCode::Enter));
}

#[test]
fn the_policy_pane_edits_the_list_and_refuses_an_unknown_type() {
    let env = demo(false);
    let mut app = app(&env, 120, 40);
    app.handle_key(key('4'));
    let at = app
        .policy()
        .values
        .iter()
        .position(|v| v.key == KEY)
        .expect("the key is listed");
    for _ in 0..at {
        app.handle_key(key('j'));
    }
    assert_eq!(app.policy().current().unwrap().key, KEY);
    let screen = support::tui::screen(&app, 120, 40);
    assert!(screen.contains("list of block types"), "{screen}");
    app.handle_key(key('e'));
    let before = env.store.fingerprint().unwrap();
    typed(&mut app, "page_header, sidebar");
    let Some(p) = app.modal::<Prompt>() else {
        panic!("the value prompt stays open")
    };
    let why = p.error.clone().unwrap_or_default();
    assert!(why.contains("unknown block type 'sidebar'"), "{why}");
    assert_eq!(env.store.fingerprint().unwrap(), before, "nothing written");
    typed(&mut app, "page_header, page_footer, other");
    typed(&mut app, "notes are furniture here");
    let now = blockwise::policy::effective_value(&env.store, KEY).unwrap();
    assert_eq!(now.value, json!(["page_header", "page_footer", "other"]));
    let audit = blockwise::policy::audit_log(&env.store).unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.key, KEY);
    assert_eq!(last.reason.as_deref(), Some("notes are furniture here"));
}

#[test]
fn the_grid_shows_skipped_furniture_and_counts_it_in_the_title() {
    let env = demo(false);
    let pdf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pdf/library-annual-report.pdf");
    let conv = ingest_path(&env.store, &pdf, IngestLimits::default())
        .unwrap()
        .document
        .conv_uid;
    let first = env.store.get_run(&env.run_id).unwrap().unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let run = Workspace::new(env.store.clone())
        .create_run(&conv, &first.schema_ref, &opts)
        .unwrap();
    assert_eq!(run.counters.skipped, 4);
    let mut app = app(&env, 120, 40);
    app.handle_key(key('1'));
    support::tui::select_run(&mut app, &run.run_id);
    app.handle_key(code(KeyCode::Enter));
    let screen = support::tui::screen(&app, 120, 40);
    assert!(
        screen.contains("reviewed 0 / 35 (0.0%) · 4 skipped"),
        "{screen}"
    );
    // Block 0 is the first page's running header (its type cut to the column: `page_head…`).
    let row = screen
        .lines()
        .find(|l| l.contains("│    0 "))
        .unwrap_or_else(|| panic!("row 0: {screen}"));
    assert!(
        row.contains("page_head") && row.contains("skipped"),
        "{row}"
    );
    let row = screen.lines().find(|l| l.contains("│    1 ")).unwrap();
    assert!(row.contains("heading") && row.contains("pending"), "{row}");
    // The status filter has a `skipped` box: only the furniture rows.
    app.handle_key(key('f'));
    support::tui::toggle_filter(&mut app, "skipped");
    app.handle_key(code(KeyCode::Enter));
    let shown: Vec<u32> = (0..app.grid().total())
        .map(|r| app.grid().index_at(r))
        .collect();
    let furniture = env
        .store
        .indices_with_status(&run.run_id, blockwise::model::OverlayStatus::Skipped)
        .unwrap();
    assert_eq!(shown, furniture);
    assert_eq!(shown.len(), 4);
}
