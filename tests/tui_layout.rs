//! Layout (issue 12 item 7) with TestBackend: lists scroll and keep the selection visible, text
//! is cut by display width, 80x24 keeps what matters, key hints come from the keymap, help
//! scrolls.

mod support;

use blockwise::model::RunStatus;
use blockwise::store::StoreError;
use blockwise::tui::modals::Help;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use support::tui::{key, screen};
use unicode_width::UnicodeWidthStr;

use support::tui::Demo as Env;

fn app_with(env: &Env, keymap: Keymap) -> App {
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        keymap,
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(80, 24));
    app.handle_key(key('1'));
    app
}

fn app(env: &Env) -> App {
    app_with(env, Keymap::default_keymap())
}

/// Runs of the demo document under every schema, `per_schema` times each, with distinct
/// creation times so the order is known: returns the ids newest first.
fn many_runs(env: &Env, per_schema: usize) -> Vec<String> {
    let ws = Workspace::new(env.store.clone());
    let conv = ws.get_run(&env.run_id).unwrap().unwrap().conv_uid;
    let mut ids = vec![env.run_id.clone()];
    for _ in 0..per_schema {
        for s in ws.list_schemas().unwrap() {
            let opts = CreateRunOptions {
                provider: Some("demo".into()),
                ..Default::default()
            };
            if let Ok(r) = ws.create_run(&conv, &s.schema_ref, &opts) {
                ids.push(r.run_id);
            }
        }
    }
    for (i, id) in ids.iter().enumerate() {
        env.store
            .with_run(id, |rt| {
                rt.run.created_at = format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    ids.reverse();
    ids
}

#[test]
fn the_runs_list_scrolls_and_keeps_the_selection_visible() {
    let env = support::tui::demo(false);
    let ids = many_runs(&env, 6);
    assert!(
        ids.len() > 12,
        "more runs than the 11 rows shown: {}",
        ids.len()
    );
    let mut app = app(&env);
    let s = screen(&app, 80, 24);
    assert!(s.contains(&ids[0][..12]), "{s}");
    assert!(
        !s.contains(&ids[ids.len() - 1][..12]),
        "the oldest is below the fold:\n{s}"
    );
    app.handle_key(key('G'));
    let s = screen(&app, 80, 24);
    println!("{s}");
    assert_eq!(app.runs().current().unwrap().run_id, ids[ids.len() - 1]);
    assert!(
        s.contains(&ids[ids.len() - 1][..12]),
        "G shows the last run:\n{s}"
    );
    assert!(!s.contains(&ids[0][..12]), "{s}");
    // Up by one keeps the window where it is (no jump back to the top).
    app.handle_key(key('k'));
    let s2 = screen(&app, 80, 24);
    assert!(s2.contains(&ids[ids.len() - 1][..12]), "{s2}");
    assert!(s2.contains(&ids[ids.len() - 2][..12]), "{s2}");
    app.handle_key(key('g'));
    let s = screen(&app, 80, 24);
    assert!(s.contains(&ids[0][..12]), "{s}");
}

#[test]
fn wide_text_is_cut_by_display_width_and_80x24_keeps_id_state_and_progress() {
    let env = support::tui::demo(false);
    let reason = "契約書の条項が見つかりません 👨‍👩‍👧 the provider refused the request because \
                  the key has no credit left on this account";
    env.store
        .with_run(&env.run_id, |rt| {
            rt.run.status = RunStatus::Paused;
            rt.run.paused_reason = Some(reason.into());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let app = app(&env);
    let s = screen(&app, 80, 24);
    println!("{s}");
    let row = s
        .lines()
        .find(|l| l.contains(&env.run_id[..12]) && l.contains("paused"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("paused: 契約書"), "{row}");
    assert!(row.contains('…'), "cut with an ellipsis: {row}");
    let total = env
        .store
        .get_run(&env.run_id)
        .unwrap()
        .unwrap()
        .counters
        .total;
    assert!(
        row.contains(&format!("0/{total}")),
        "progress survives: {row}"
    );
    for line in s.lines() {
        assert!(line.width() <= 80, "wider than the terminal: {line}");
    }
}

#[test]
fn the_hint_line_comes_from_the_keymap_and_never_shows_an_unbound_key() {
    let env = support::tui::demo(false);
    let app = app(&env);
    let s = screen(&app, 120, 40);
    let hints = s.lines().nth(38).unwrap();
    println!("{hints}");
    for h in [
        "enter open",
        "c calls",
        "X cancel run",
        "R retry failed",
        "? help",
    ] {
        assert!(hints.contains(h), "{h:?} missing: {hints}");
    }
    let mut keymap = Keymap::default_keymap();
    keymap
        .merge("[runs]\n\"c\" = \"none\"\n\"L\" = \"call_log\"\n", "user")
        .unwrap();
    let mut app = app_with(&env, keymap);
    let s = screen(&app, 120, 40);
    let hints = s.lines().nth(38).unwrap();
    assert!(
        !hints.contains("c calls") && hints.contains("L calls"),
        "{hints}"
    );
    // The grid's hints differ from the Runs pane's.
    app.handle_key(key('2'));
    let s = screen(&app, 120, 40);
    let hints = s.lines().nth(38).unwrap();
    assert!(
        hints.contains("a confirm") && !hints.contains("calls"),
        "{hints}"
    );
}

#[test]
fn help_scrolls_at_80x24_and_any_other_key_closes_it() {
    let env = support::tui::demo(false);
    let mut app = app(&env);
    app.handle_key(key('?'));
    let s = screen(&app, 80, 24);
    println!("{s}");
    assert!(s.contains("lines 1-"), "the title says there is more:\n{s}");
    let last_desc = "save / choose"; // [input] enter: the last section
    assert!(!s.contains(last_desc), "{s}");
    app.handle_key(key('j'));
    let Some(h) = app.modal::<Help>() else {
        panic!("j scrolls, it does not close")
    };
    assert_eq!(h.scroll, 1);
    assert!(screen(&app, 80, 24).contains("lines 2-"));
    app.handle_key(key('G'));
    let s = screen(&app, 80, 24);
    assert!(s.contains(last_desc), "G shows the end:\n{s}");
    app.handle_key(key('k'));
    assert!(app.modal::<Help>().is_some());
    app.handle_key(key('x'));
    assert!(!app.modal_open(), "any other key closes");
}

/// The data rows shown of the bordered list whose header holds `header` (the list's own box
/// only, not a box beside it).
fn shown_rows<'a>(s: &'a str, header: &str) -> Vec<&'a str> {
    s.lines()
        .skip_while(|l| !l.contains(header))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .map(|l| l.split("││").next().unwrap_or(l))
        .collect()
}

#[test]
fn the_schemas_and_policy_lists_scroll_keep_the_selection_visible_and_the_window_still() {
    let env = support::tui::demo(false);
    let ws = Workspace::new(env.store.clone());
    for i in 0..25 {
        // Distinct content: the same schema under a second ref is refused.
        let field = format!("n{i}");
        let json = serde_json::json!({"type": "object", "properties": {field: {"type": "string"}}});
        ws.save_schema(json, Some(format!("extra_{i:02}"))).unwrap();
    }
    let mut app = app(&env);
    app.handle_key(key('3'));
    let n = app.schemas().schemas.len();
    assert!(n >= 28);
    let s = screen(&app, 80, 24);
    let first = app.schemas().schemas[0].schema_ref.clone();
    let last = app.schemas().schemas[n - 1].schema_ref.clone();
    assert!(s.contains(&first[..12]) && !s.contains(&last[..12]), "{s}");
    // G: the last schema is on screen, the first is not.
    app.handle_key(key('G'));
    let s = screen(&app, 80, 24);
    assert!(s.contains(&last[..12]) && !s.contains(&first[..12]), "{s}");
    let top = shown_rows(&s, "ref")[0].to_string();
    // k inside the window does not move it.
    app.handle_key(key('k'));
    app.handle_key(key('k'));
    let s = screen(&app, 80, 24);
    assert_eq!(shown_rows(&s, "ref")[0], top, "{s}");
    app.handle_key(key('g'));
    let s = screen(&app, 80, 24);
    assert!(s.contains(&first[..12]), "{s}");

    // Policy at 80x24: more keys than rows.
    app.handle_key(key('4'));
    let keys = app.policy().values.len();
    app.handle_key(key('G'));
    let s = screen(&app, 80, 24);
    let last = app.policy().values[keys - 1].key.clone();
    let first = app.policy().values[0].key.clone();
    assert!(s.contains(&last[..20]) && !s.contains(&first), "{s}");
    let top = shown_rows(&s, "key")[0].to_string();
    app.handle_key(key('k'));
    let s = screen(&app, 80, 24);
    assert_eq!(shown_rows(&s, "key")[0], top, "{s}");
    app.handle_key(key('g'));
    assert!(screen(&app, 80, 24).contains(&first), "the first key again");
}
