//! Issue 23 item 10: the wizard defines the fields of an array's items. `c` on an array of
//! objects (the clause_review template's `obligations`) adds an item field; it is saved inside
//! `items.properties` (TestBackend, real redb store, demo workspace).

mod support;

use blockwise::tui::modals::studio::{Screen, Step};
use blockwise::tui::modals::Studio;
use blockwise::tui::App;
use crossterm::event::KeyCode;
use serde_json::json;
use support::tui::{code, ctrl, demo, key, screen};

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.handle_key(key(c));
    }
}

fn wizard(app: &App) -> &blockwise::tui::modals::studio::Wizard {
    match &app.modal::<Studio>().expect("the studio is open").screen {
        Screen::Wizard(w) => w,
        _ => panic!("not in the wizard"),
    }
}

#[test]
fn c_on_an_array_of_objects_adds_an_item_field_that_is_saved_in_its_items() {
    let env = demo(false);
    let mut app = support::tui::grid_app(&env, 120, 40);
    // Templates, clause_review, w: customise it in the wizard.
    press(&mut app, "3nt");
    let Screen::Gallery(g) = &app.modal::<Studio>().unwrap().screen else {
        panic!("the gallery")
    };
    let i = g
        .shown()
        .iter()
        .position(|t| t.id == "clause_review")
        .unwrap();
    press(&mut app, &"j".repeat(i));
    press(&mut app, "w");
    press(&mut app, "2");
    assert_eq!(wizard(&app).step, Step::Fields);
    // The cursor to `obligations`, then c.
    let at = wizard(&app)
        .model
        .fields
        .iter()
        .position(|f| f.name == "obligations")
        .expect("the template has obligations");
    press(&mut app, &"j".repeat(at));
    press(&mut app, "c");
    let w = wizard(&app);
    assert!(w.message.is_none(), "{:?}", w.message);
    assert!(w.editor.is_some(), "the new item field's editor is open");
    let items = w.model.fields[at].spec.items.as_ref().unwrap();
    let names: Vec<&str> = items
        .properties
        .as_ref()
        .unwrap()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["party", "obligation", "deadline", "condition", "field_1"]
    );
    // Name it and save under a new ref.
    app.handle_key(code(KeyCode::Enter));
    app.handle_key(ctrl('u'));
    press(&mut app, "note");
    app.handle_key(code(KeyCode::Enter));
    app.handle_key(code(KeyCode::Esc));
    let s = screen(&app, 120, 40);
    assert!(s.contains("note"), "the item field is listed:\n{s}");
    app.handle_key(code(KeyCode::F(2)));
    app.handle_key(ctrl('u'));
    press(&mut app, "clause_review_notes");
    app.handle_key(code(KeyCode::Enter));
    let saved = env.store.resolve_schema("clause_review_notes").unwrap();
    let obligations = &saved.json["properties"]["obligations"];
    assert_eq!(
        obligations["items"]["properties"]["note"],
        json!({"type": "string"}),
        "{obligations:#}"
    );
    assert!(obligations["items"]["properties"]["party"].is_object());
}
