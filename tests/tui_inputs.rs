//! Issue 23 item 3: one text-input widget everywhere, with the documented keys. `ctrl-u`
//! deletes to the start of the line in the save screen's ref, the wizard's field key, the import
//! path, the ingest prompt and the new-run form; `Tab` completes a path in the import path as in
//! the ingest prompt (TestBackend, real redb store, demo workspace).

mod support;

use blockwise::tui::modals::studio::Screen;
use blockwise::tui::modals::{NewRunForm, Prompt, Studio};
use blockwise::tui::App;
use crossterm::event::KeyCode;
use support::tui::{code, ctrl, demo, key, Demo};

fn app(env: &Demo) -> App {
    let mut app = support::tui::grid_app(env, 120, 40);
    app.handle_key(key('1'));
    app
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.handle_key(key(c));
    }
}

fn studio(app: &App) -> &Screen {
    &app.modal::<Studio>().expect("the studio is open").screen
}

fn message(app: &App) -> String {
    app.message().map(|m| m.0.clone()).unwrap_or_default()
}

#[test]
fn ctrl_u_clears_the_save_screens_ref_before_the_new_one_is_typed() {
    let env = demo(false);
    let mut app = app(&env);
    press(&mut app, "3ne");
    app.handle_key(code(KeyCode::F(2)));
    assert!(matches!(studio(&app), Screen::Save(_)));
    press(&mut app, "doc_tags_v2");
    app.handle_key(ctrl('u'));
    press(&mut app, "tag_review");
    let Screen::Save(form) = studio(&app) else {
        panic!("on the save screen")
    };
    assert_eq!(form.ref_field.text(), "tag_review");
    app.handle_key(code(KeyCode::Enter));
    assert!(
        message(&app).contains("created schema 'tag_review'"),
        "{}\n{}",
        message(&app),
        support::tui::screen(&app, 120, 40)
    );
    assert!(env.store.resolve_schema("doc_tags_v2tag_review").is_err());
}

#[test]
fn ctrl_u_clears_the_wizards_field_key() {
    let env = demo(false);
    let mut app = app(&env);
    press(&mut app, "3nw2a");
    app.handle_key(code(KeyCode::Enter)); // edit the new field's key
    app.handle_key(ctrl('u'));
    press(&mut app, "action");
    app.handle_key(code(KeyCode::Enter));
    let Screen::Wizard(w) = studio(&app) else {
        panic!("in the wizard")
    };
    let names: Vec<&str> = w.model.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["action"], "not field_1action");
}

#[test]
fn the_import_path_clears_with_ctrl_u_and_completes_with_tab() {
    let env = demo(false);
    let mut app = app(&env);
    let dir = env.dir.path().join("schemas");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("contract_terms.json"), "{}").unwrap();
    press(&mut app, "3ni");
    press(&mut app, "/no/such/place");
    app.handle_key(ctrl('u'));
    let path = |app: &App| match studio(app) {
        Screen::Import(f) => f.path.text(),
        _ => panic!("on the import screen"),
    };
    assert_eq!(
        path(&app),
        "",
        "ctrl-u deletes to the start, not one character"
    );
    press(&mut app, &format!("{}/contr", dir.display()));
    app.handle_key(code(KeyCode::Tab));
    assert_eq!(
        path(&app),
        format!("{}/contract_terms.json", dir.display()),
        "Tab completes instead of typing a space"
    );
}

#[test]
fn ctrl_u_clears_the_ingest_prompt_and_the_new_run_forms_typed_fields() {
    let env = demo(false);
    let mut app = app(&env);
    press(&mut app, "i");
    press(&mut app, "some/path.md");
    app.handle_key(ctrl('u'));
    assert_eq!(app.modal::<Prompt>().unwrap().field.text(), "");
    app.handle_key(code(KeyCode::Esc));
    press(&mut app, "n");
    let form = app.modal::<NewRunForm>().expect("n opens the new-run form");
    let before = form.focus;
    // Down to the model field, type, then ctrl-u.
    for _ in 0..3 {
        app.handle_key(code(KeyCode::Down));
    }
    assert_ne!(app.modal::<NewRunForm>().unwrap().focus, before);
    press(&mut app, "claude-x");
    app.handle_key(ctrl('w'));
    press(&mut app, "gpt-y");
    app.handle_key(ctrl('u'));
    press(&mut app, "m1");
    assert_eq!(app.modal::<NewRunForm>().unwrap().model, "m1");
}
