//! The Schemas pane and the schema studio, driven by keys on a demo workspace (real redb store,
//! ratatui TestBackend): the five ways to a schema, each ending at the one save boundary.

mod support;

use std::sync::Arc;

use blockwise::store::Store;
use blockwise::tui::modals::studio::{Screen, Step};
use blockwise::tui::modals::{Ask, Help, Studio};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Theme};
use blockwise::workspace::Workspace;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{json, Value};
use support::tui::{code, key};

struct Env {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    run_id: String,
}

fn demo_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("demo.redb")).unwrap());
    let run = blockwise::demo::populate(&store, &dir.path().join("samples")).unwrap();
    Env {
        dir,
        store,
        run_id: run.run_id,
    }
}

fn app(env: &Env) -> App {
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(120, 40));
    app
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.handle_key(key(c));
    }
}

fn press_code(app: &mut App, c: KeyCode, times: usize) {
    for _ in 0..times {
        app.handle_key(code(c));
    }
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn enter(app: &mut App) {
    app.handle_key(code(KeyCode::Enter));
}

/// Replace the text of the open one-line field.
fn retype(app: &mut App, text: &str) {
    press_code(app, KeyCode::End, 1);
    press_code(app, KeyCode::Backspace, 80);
    press(app, text);
}

fn screen(app: &App) -> String {
    support::tui::screen(app, 120, 40)
}

fn studio(app: &App) -> &Screen {
    match app.modal::<Studio>() {
        Some(s) => &s.screen,
        None => panic!("the studio is not open"),
    }
}

fn message(app: &App) -> String {
    app.message().cloned().map(|(m, _)| m).unwrap_or_default()
}

/// Focus the Schemas pane with the cursor on `schema_ref`.
fn select(app: &mut App, schema_ref: &str) {
    press(app, "3g");
    let i = app
        .schemas()
        .schemas
        .iter()
        .position(|s| s.schema_ref == schema_ref)
        .unwrap_or_else(|| panic!("{schema_ref} not listed"));
    for _ in 0..i {
        press(app, "j");
    }
    assert_eq!(app.schemas().current().unwrap().schema_ref, schema_ref);
}

fn stored(env: &Env, schema_ref: &str) -> blockwise::model::Schema {
    env.store.resolve_schema(schema_ref).unwrap()
}

#[test]
fn pane_lists_ref_uid_fields_compat_and_runs_and_scrolls_the_preview() {
    let env = demo_env();
    let mut app = app(&env);
    select(&mut app, "clause_review");
    let s = screen(&app);
    let cr = stored(&env, "clause_review");
    let fields = cr.json["properties"].as_object().unwrap().len();
    let row = s
        .lines()
        .find(|l| l.contains("│clause_review"))
        .expect("row of clause_review");
    assert!(row.contains(&cr.schema_uid[..8]), "{row}");
    assert!(row.contains(&format!(" {fields} ")), "{row}");
    assert!(row.contains("ok"), "{row}");
    assert!(row.contains(" 1 "), "one run uses it: {row}");
    assert!(s.contains(&format!("runs: {}", env.run_id)), "{s}");
    let owner = format!("│owner: {}", blockwise::policy::current_user());
    assert!(s.contains(&owner), "preview starts at the top: {s}");
    press(&mut app, "JJ");
    assert_eq!(app.schemas().scroll, 2);
    assert!(!screen(&app).contains(&owner));
    press(&mut app, "K");
    assert_eq!(app.schemas().scroll, 1);
}

#[test]
fn delete_asks_first_and_is_refused_while_a_run_uses_the_schema() {
    let env = demo_env();
    let mut app = app(&env);
    let before = env.store.fingerprint().unwrap();
    select(&mut app, "clause_review");
    press(&mut app, "d");
    assert!(!app.modal_open(), "no question when it cannot be deleted");
    let m = message(&app);
    assert!(m.contains("refused") && m.contains(&env.run_id), "{m}");
    assert_eq!(env.store.fingerprint().unwrap(), before);

    select(&mut app, "classification");
    press(&mut app, "d");
    assert!(app.modal::<Ask>().is_some());
    assert!(screen(&app).contains("Delete schema 'classification'"));
    press(&mut app, "n");
    assert!(message(&app).contains("nothing was changed"));
    assert_eq!(env.store.fingerprint().unwrap(), before);
    press(&mut app, "dy");
    assert!(message(&app).contains("deleted schema 'classification'"));
    assert!(env.store.resolve_schema("classification").is_err());
    assert!(!app
        .schemas()
        .schemas
        .iter()
        .any(|s| s.schema_ref == "classification"));
}

#[test]
fn wizard_builds_a_schema_with_a_nested_object_and_a_nullable_field_and_saves_it() {
    let env = demo_env();
    let mut app = app(&env);
    press(&mut app, "3nw");
    assert!(matches!(studio(&app), Screen::Wizard(_)));
    // Step 1: intent and ref.
    enter(&mut app);
    press(&mut app, "Find every obligation");
    enter(&mut app);
    press(&mut app, "jj");
    enter(&mut app);
    press(&mut app, "obligations");
    enter(&mut app);
    // Steps are freely reachable: shift-Tab wraps to Save, Tab comes back, 2 jumps to Fields.
    let step = |app: &App| match studio(app) {
        Screen::Wizard(w) => w.step,
        _ => panic!("not in the wizard"),
    };
    press_code(&mut app, KeyCode::BackTab, 1);
    assert_eq!(step(&app), Step::Save);
    press_code(&mut app, KeyCode::Tab, 1);
    assert_eq!(step(&app), Step::Intent);
    press(&mut app, "2");
    assert_eq!(step(&app), Step::Fields);
    press(&mut app, "a"); // party: string, required
    enter(&mut app);
    retype(&mut app, "party");
    enter(&mut app);
    press(&mut app, "jjj");
    enter(&mut app); // required: yes
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "a"); // deadline: nullable string
    enter(&mut app);
    retype(&mut app, "deadline");
    enter(&mut app);
    press(&mut app, "jjjj");
    enter(&mut app); // nullable: yes
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "a"); // details: object with a number inside
    enter(&mut app);
    retype(&mut app, "details");
    enter(&mut app);
    press(&mut app, "j");
    press_code(&mut app, KeyCode::Left, 1); // string ← wraps to object
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "c");
    enter(&mut app);
    retype(&mut app, "amount");
    enter(&mut app);
    press(&mut app, "j");
    enter(&mut app); // string → number
    press(&mut app, "jjjjj"); // minimum (rows: key type desc req null enum min max)
    enter(&mut app);
    press(&mut app, "0");
    enter(&mut app);
    press_code(&mut app, KeyCode::Esc, 1);
    let s = screen(&app);
    assert!(s.contains("party : string *"), "{s}");
    assert!(s.contains("deadline : string?"), "{s}");
    assert!(s.contains("details : object"), "{s}");
    assert!(s.contains("  amount : number"), "{s}");
    // Reorder: deadline goes up one place (in the wizard's list).
    press(&mut app, "kk");
    press(&mut app, "K");
    let Screen::Wizard(w) = studio(&app) else {
        panic!()
    };
    let names: Vec<&str> = w.model.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["deadline", "party", "details"]);
    // Step 3: prompt config; step 4: preview.
    press(&mut app, "3");
    enter(&mut app);
    press(&mut app, "Be precise.");
    enter(&mut app);
    press(&mut app, "4+");
    let s = screen(&app);
    let columns = s.lines().find(|l| l.contains("grid columns:")).unwrap();
    assert!(
        columns.contains("# │ type │ status │ content │"),
        "{columns}"
    );
    for name in ["deadline", "party", "details"] {
        assert!(columns.contains(name), "{columns}");
    }
    assert!(s.contains("compatibility: ok"), "{s}");
    assert!(s.contains("Be precise."), "system prompt: {s}");
    assert!(
        s.contains("There are 2 blocks below"),
        "2 sample blocks: {s}"
    );
    assert!(s.contains("<<<BLOCK block_index="), "{s}");
    // Step 5: save.
    press(&mut app, "5");
    enter(&mut app);
    assert!(!app.modal_open(), "closed after the save");
    assert!(
        message(&app).contains("created schema 'obligations'"),
        "{}",
        message(&app)
    );
    let saved = stored(&env, "obligations");
    assert_eq!(app.schemas().current().unwrap().schema_id, saved.schema_id);
    let j = &saved.json;
    assert_eq!(j["description"], "Find every obligation");
    assert_eq!(j["required"], json!(["party"]));
    assert_eq!(
        j["properties"]["deadline"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(j["properties"]["details"]["type"], "object");
    assert_eq!(
        j["properties"]["details"]["properties"]["amount"],
        json!({"type": "number", "minimum": 0})
    );
    assert_eq!(j["prompt_config"]["system_instructions"], "Be precise.");
    assert!(saved.warnings.is_empty());
}

#[test]
fn a_ref_conflict_shows_the_existing_schema_and_saves_under_the_suggested_ref() {
    let env = demo_env();
    let mut app = app(&env);
    let existing = stored(&env, "clause_review");
    press(&mut app, "3ne");
    press_code(&mut app, KeyCode::F(2), 1); // the save screen, ref field first
    retype(&mut app, "clause_review");
    enter(&mut app);
    let s = screen(&app);
    assert!(s.contains("conflict: ref 'clause_review' is taken"), "{s}");
    assert!(s.contains("existing · clause_review"), "{s}");
    assert!(
        s.contains("clause_review_v2"),
        "suggested in the ref field: {s}"
    );
    let Screen::Save(form) = studio(&app) else {
        panic!("still on the save screen")
    };
    assert_eq!(form.ref_field.area().lines(), ["clause_review_v2"]);
    enter(&mut app);
    assert!(message(&app).contains("created schema 'clause_review_v2'"));
    let new = stored(&env, "clause_review_v2");
    assert_eq!(new.json, json!({"type": "object", "properties": {}}));
    assert_eq!(stored(&env, "clause_review"), existing, "untouched");
}

#[test]
fn fork_suggests_v2_and_leaves_the_original_untouched() {
    let env = demo_env();
    let mut app = app(&env);
    let original = stored(&env, "summary_key_points");
    select(&mut app, "summary_key_points");
    press(&mut app, "f");
    let s = screen(&app);
    assert!(s.contains("fork of summary_key_points"), "{s}");
    assert!(s.contains("summary_key_points_v2"), "{s}");
    press_code(&mut app, KeyCode::Esc, 1);
    assert!(!app.modal_open(), "Esc leaves a fork started from the pane");
    press(&mut app, "f");
    enter(&mut app);
    assert!(message(&app).contains("created schema 'summary_key_points_v2'"));
    let fork = stored(&env, "summary_key_points_v2");
    assert_eq!(
        fork.forked_from.as_deref(),
        Some(original.schema_id.as_str())
    );
    assert_ne!(fork.schema_uid, original.schema_uid);
    assert_eq!(stored(&env, "summary_key_points"), original);
    // Fork again from the menu: the next free ref.
    select(&mut app, "summary_key_points");
    press(&mut app, "nf");
    let Screen::Save(form) = studio(&app) else {
        panic!()
    };
    assert_eq!(form.ref_field.area().lines(), ["summary_key_points_v3"]);
}

#[test]
fn templates_gallery_filters_by_category_shows_details_and_applies() {
    let env = demo_env();
    let mut app = app(&env);
    press(&mut app, "3nt");
    let Screen::Gallery(g) = studio(&app) else {
        panic!()
    };
    let all = g.shown().len();
    assert!(all >= 6);
    press(&mut app, "c");
    let Screen::Gallery(g) = studio(&app) else {
        panic!()
    };
    let cat = g.category.clone().unwrap();
    assert!(g.shown().iter().all(|t| t.category == cat));
    assert!(g.shown().len() < all);
    assert!(screen(&app).contains(&format!("category: {cat}")));
    // Back to all, pick entity_extraction (not in the demo), see its details, apply it.
    while matches!(studio(&app), Screen::Gallery(g) if g.category.is_some()) {
        press(&mut app, "c");
    }
    let Screen::Gallery(g) = studio(&app) else {
        panic!()
    };
    let i = g
        .shown()
        .iter()
        .position(|t| t.id == "entity_extraction")
        .unwrap();
    press(&mut app, &"j".repeat(i));
    enter(&mut app);
    let s = screen(&app);
    assert!(s.contains("use case:") && s.contains("fields:"), "{s}");
    press(&mut app, "a");
    assert!(message(&app).contains("created schema 'entity_extraction'"));
    assert_eq!(
        stored(&env, "entity_extraction").template_id.as_deref(),
        Some("entity_extraction")
    );
    // Applying one the workspace already has: unchanged, nothing written.
    let before = env.store.fingerprint().unwrap();
    press(&mut app, "nt");
    let Screen::Gallery(g) = studio(&app) else {
        panic!()
    };
    let i = g
        .shown()
        .iter()
        .position(|t| t.id == "clause_review")
        .unwrap();
    press(&mut app, &"j".repeat(i));
    press(&mut app, "a");
    assert!(message(&app).contains("unchanged"), "{}", message(&app));
    assert_eq!(env.store.fingerprint().unwrap(), before);
}

fn write(env: &Env, name: &str, text: &str) -> String {
    let p = env.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn import_invalid_wizard_editable_and_advanced_files() {
    let env = demo_env();
    let mut app = app(&env);
    let before = env.store.fingerprint().unwrap();
    let bad = write(
        &env,
        "bad.json",
        "{\n  \"type\": \"object\",\n  \"properties\": {,}\n}\n",
    );
    press(&mut app, "3ni");
    press(&mut app, &bad);
    enter(&mut app);
    let Screen::Import(f) = studio(&app) else {
        panic!("an invalid file stays on the import screen")
    };
    let err = f.error.clone().unwrap();
    assert!(err.contains("line 3, column 18"), "{err}");
    assert!(screen(&app).contains("line 3, column 18"));
    assert_eq!(env.store.fingerprint().unwrap(), before);

    let simple = write(
        &env,
        "simple.json",
        r#"{"title": "Risk", "type": "object", "properties": {"risk": {"type": "string", "enum": ["low", "high"]}}}"#,
    );
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "i");
    press(&mut app, &simple);
    enter(&mut app);
    let Screen::Wizard(w) = studio(&app) else {
        panic!("wizard-editable → wizard")
    };
    assert_eq!(w.model.fields[0].name, "risk");
    press_code(&mut app, KeyCode::F(2), 1);
    enter(&mut app);
    assert!(
        message(&app).contains("created schema 'risk'"),
        "{}",
        message(&app)
    );

    let advanced_text = r##"{"type": "object", "$defs": {"p": {"type": "string"}},
 "properties": {"who": {"$ref": "#/$defs/p"}}}"##;
    let advanced = write(&env, "advanced.json", advanced_text);
    press(&mut app, "ni");
    press(&mut app, &advanced);
    enter(&mut app);
    let Screen::Json(e) = studio(&app) else {
        panic!("advanced → JSON editor")
    };
    assert_eq!(e.text(), advanced_text);
    assert!(e.note.as_ref().unwrap().contains("$defs"));
    app.handle_key(ctrl('s'));
    assert!(
        message(&app).contains("created schema 'schema'"),
        "{}",
        message(&app)
    );
    let expected: Value = serde_json::from_str(advanced_text).unwrap();
    assert_eq!(stored(&env, "schema").json, expected);
}

#[test]
fn json_editor_blocks_invalid_saves_and_keeps_unknown_keys_through_the_wizard() {
    let env = demo_env();
    let mut app = app(&env);
    press(&mut app, "3ne");
    // Clear the starter text, then type a schema with keys the wizard does not know.
    press_code(&mut app, KeyCode::Down, 5);
    press_code(&mut app, KeyCode::End, 1);
    press_code(&mut app, KeyCode::Backspace, 100);
    let text = r#"{"type": "object", "x-ui": {"color": "red"}, "properties": {"a": {"type": "string", "x-hint": 1}}, "prompt_config": {"x-tone": "dry"}"#;
    press(&mut app, text);
    let s = screen(&app);
    assert!(s.contains("invalid, save blocked: line 1, column"), "{s}");
    let before = env.store.fingerprint().unwrap();
    app.handle_key(ctrl('s'));
    assert!(
        matches!(studio(&app), Screen::Json(_)),
        "not saved while invalid"
    );
    assert_eq!(env.store.fingerprint().unwrap(), before);
    press(&mut app, "}");
    assert!(screen(&app).contains("valid JSON"));
    // To the wizard, change the intent there, and back.
    press_code(&mut app, KeyCode::F(3), 1);
    assert!(matches!(studio(&app), Screen::Wizard(_)));
    enter(&mut app);
    press(&mut app, "tone check");
    enter(&mut app);
    press_code(&mut app, KeyCode::F(3), 1);
    let Screen::Json(e) = studio(&app) else {
        panic!()
    };
    let back: Value = serde_json::from_str(&e.text()).unwrap();
    assert_eq!(back["x-ui"], json!({"color": "red"}));
    assert_eq!(back["properties"]["a"]["x-hint"], 1);
    assert_eq!(back["prompt_config"]["x-tone"], "dry");
    assert_eq!(back["description"], "tone check");
    app.handle_key(ctrl('s'));
    let saved = stored(&env, "schema");
    assert_eq!(saved.json, back);
}

// ---- snapshots of every new screen at 80x24 and 120x40 ----

/// Screen text with what differs between runs (temp paths, run ids) replaced.
fn redacted(app: &App, env: &Env, w: u16, h: u16) -> String {
    let s = support::tui::without_user(&support::tui::screen(app, w, h));
    let s = hide_ids(&s);
    let dir = env.dir.path().display().to_string();
    // The status bar may cut the path: redact every visible prefix of it.
    let mut out = String::new();
    for line in s.lines() {
        let mut l = line.to_string();
        if let Some(i) = l.find("/tmp") {
            let end = l[i..].find(' ').map_or(l.len(), |e| i + e);
            if dir.starts_with(&l[i..end]) || l[i..end].starts_with(&dir) {
                l.replace_range(i..end, "<store>");
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// Run and schema ids (`run_` / `sch_` and hex digits, maybe cut by the screen width) →
/// `run_<id>` / `sch_<id>`: they differ between runs.
fn hide_ids(s: &str) -> String {
    let mut s = s.to_string();
    for prefix in ["run_", "sch_"] {
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find(prefix) {
            out.push_str(&rest[..i]);
            let after = &rest[i + 4..];
            let n = after
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(after.len());
            out.push_str(prefix);
            if n >= 4 {
                out.push_str("<id>");
                rest = &after[n..];
            } else {
                rest = after;
            }
        }
        out.push_str(rest);
        s = out;
    }
    s
}

fn snap(app: &mut App, env: &Env, name: &str) {
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        app.update(Action::Resize(w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), redacted(app, env, w, h));
    }
}

#[test]
fn snapshots_of_the_schema_screens() {
    let env = demo_env();
    let mut app = app(&env);
    select(&mut app, "clause_review");
    snap(&mut app, &env, "schemas_pane");
    select(&mut app, "classification");
    press(&mut app, "d");
    snap(&mut app, &env, "delete_confirm");
    press(&mut app, "n");
    press(&mut app, "n");
    snap(&mut app, &env, "studio_menu");
    press(&mut app, "t");
    snap(&mut app, &env, "gallery");
    enter(&mut app);
    snap(&mut app, &env, "gallery_detail");
    press_code(&mut app, KeyCode::Esc, 2);
    press(&mut app, "f");
    snap(&mut app, &env, "fork_save");
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "i");
    press(&mut app, "/nonexistent/schema.json");
    enter(&mut app);
    snap(&mut app, &env, "import_error");
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "e");
    press(&mut app, "x");
    snap(&mut app, &env, "json_editor_invalid");
    press_code(&mut app, KeyCode::Backspace, 1);
    press_code(&mut app, KeyCode::F(2), 1);
    retype(&mut app, "clause_review");
    enter(&mut app);
    snap(&mut app, &env, "save_conflict");
    press_code(&mut app, KeyCode::Esc, 3);
    press(&mut app, "w");
    enter(&mut app);
    press(&mut app, "Find obligations");
    enter(&mut app);
    snap(&mut app, &env, "wizard_intent");
    press_code(&mut app, KeyCode::Tab, 1);
    press(&mut app, "a");
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "a");
    press(&mut app, "j");
    press_code(&mut app, KeyCode::Left, 1);
    press_code(&mut app, KeyCode::Esc, 1);
    press(&mut app, "c");
    snap(&mut app, &env, "wizard_fields");
    press(&mut app, "3");
    snap(&mut app, &env, "wizard_prompt");
    press(&mut app, "4");
    snap(&mut app, &env, "wizard_preview");
    press(&mut app, "5");
    snap(&mut app, &env, "wizard_save");
}

#[test]
fn hostile_schema_text_never_reaches_the_terminal_raw() {
    let env = demo_env();
    let ws = Workspace::new(env.store.clone());
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\r\u{202e}";
    let json = json!({
        "type": "object",
        "title": format!("T{evil}"),
        "description": format!("D{evil}"),
        "properties": {format!("f{evil}"): {"type": "string", "description": format!("x{evil}")}}
    });
    ws.save_schema(json, Some("evil".into())).unwrap();
    let mut app = app(&env);
    let mut screens = Vec::new();
    select(&mut app, "evil");
    screens.push(screen(&app));
    press(&mut app, "f"); // fork → save screen
    screens.push(screen(&app));
    press_code(&mut app, KeyCode::F(3), 1); // JSON editor
    screens.push(screen(&app));
    press_code(&mut app, KeyCode::F(3), 1); // wizard
    screens.push(screen(&app));
    press(&mut app, "2");
    enter(&mut app);
    screens.push(screen(&app));
    press(&mut app, "4");
    screens.push(screen(&app));
    for s in &screens {
        for bad in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
            assert!(!s.contains(bad), "{bad:?} reached the screen:\n{s}");
        }
    }
    assert!(screens[4].contains("f␛[2J"), "{}", screens[4]);
}

/// Positions of `names` in `line`, which must all appear, in the order given.
fn in_order(line: &str, names: &[&str]) -> bool {
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            line.find(n)
                .unwrap_or_else(|| panic!("{n} missing from {line}"))
        })
        .collect();
    at.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn the_field_order_chosen_in_the_wizard_is_the_grid_and_csv_column_order_after_reopening() {
    let env = demo_env();
    let path = env.dir.path().join("demo.redb");
    let mut app = app(&env);
    press(&mut app, "3nw");
    enter(&mut app);
    press(&mut app, "Ordered fields");
    enter(&mut app);
    press(&mut app, "jj");
    enter(&mut app);
    press(&mut app, "ordered");
    enter(&mut app);
    press(&mut app, "2");
    // Not alphabetical on purpose: zeta, alpha, mid; then mid moves up one place.
    for name in ["zeta", "alpha", "mid"] {
        press(&mut app, "a");
        enter(&mut app);
        retype(&mut app, name);
        enter(&mut app);
        press_code(&mut app, KeyCode::Esc, 1);
    }
    press(&mut app, "K");
    let want = ["zeta", "mid", "alpha"];
    let Screen::Wizard(w) = studio(&app) else {
        panic!("not in the wizard")
    };
    let names: Vec<&str> = w.model.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, want);
    press(&mut app, "4");
    let s = screen(&app);
    let columns = s.lines().find(|l| l.contains("grid columns:")).unwrap();
    assert!(in_order(columns, &want), "preview: {columns}");
    press(&mut app, "5");
    enter(&mut app);
    assert!(
        message(&app).contains("created schema 'ordered'"),
        "{}",
        message(&app)
    );
    let keys: Vec<String> = stored(&env, "ordered").json["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, want, "stored in the chosen order");

    // Reopen the store from its file: the order is in the saved schema, not in memory.
    drop(app);
    let Env { dir, store, .. } = env;
    drop(store);
    let store = Arc::new(Store::open(&path).unwrap());
    let ws = Workspace::new(store.clone());
    let doc = ws.list_documents().unwrap()[0].conv_uid.clone();
    let opts = blockwise::workspace::CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    let run = ws.create_run(&doc, "ordered", &opts).unwrap();
    let env = Env {
        dir,
        store,
        run_id: run.run_id.clone(),
    };
    let mut app = self::app(&env);
    app.update(Action::ShowRun(run.run_id.clone()));
    // Wide enough for every column (the grid shows the columns that fit).
    app.update(Action::Resize(200, 40));
    let s = support::tui::screen(&app, 200, 40);
    let header = s
        .lines()
        .find(|l| l.contains("content") && l.contains("zeta"))
        .unwrap_or_else(|| panic!("grid header: {s}"));
    assert!(in_order(header, &want), "grid: {header}");
    let mut csv = Vec::new();
    let ws = Workspace::new(env.store.clone());
    ws.export_to_writer(
        &run.run_id,
        blockwise::workspace::Format::Csv,
        blockwise::workspace::Mode::Both,
        &mut csv,
        "memory",
    )
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let head = csv.lines().next().unwrap();
    assert!(
        head.ends_with("data.zeta,data.mid,data.alpha,staging.zeta,staging.mid,staging.alpha"),
        "{head}"
    );
}

#[test]
fn the_account_name_is_replaced_in_snapshots_keeping_each_line_its_width() {
    let s = "│owner: root · x   │\n┌ root is admin ────┐\n│[\"root\"]   rooted │\n";
    let out = support::tui::without_name(s, "root", "<user>");
    assert_eq!(
        out,
        "│owner: <user> · x │\n┌ <user> is admin ──┐\n│[\"<user>\"] rooted │\n"
    );
    let long = support::tui::without_name("│by alexandra    │\n", "alexandra", "<user>");
    assert_eq!(long, "│by <user>       │\n");
}

#[test]
fn help_opened_from_the_studio_stacks_over_it_and_esc_returns_to_it_intact() {
    let env = demo_env();
    let mut app = app(&env);
    press(&mut app, "3nw");
    enter(&mut app);
    press(&mut app, "Find every obligation");
    enter(&mut app);
    let before = screen(&app);
    assert!(before.contains("Find every obligation"), "{before}");
    // F1 opens the key help on top of the studio: two modals, the help has the keys.
    press_code(&mut app, KeyCode::F(1), 1);
    assert_eq!(app.modals().count(), 2);
    assert!(app.modal::<Help>().is_some());
    let over = screen(&app);
    assert!(over.contains("any other key closes the help"), "{over}");
    // Esc closes the help only: the studio is back with what was typed, on the same step.
    press_code(&mut app, KeyCode::Esc, 1);
    assert_eq!(app.modals().count(), 1);
    assert!(matches!(studio(&app), Screen::Wizard(_)));
    assert_eq!(screen(&app), before);
    // And Esc in the studio still means the studio's own back/close.
    press_code(&mut app, KeyCode::Esc, 1);
    assert!(app.modal::<Help>().is_none());
}
