//! The Library pane (issue 22 item 6) on a real redb file, drawn with TestBackend: documents and
//! projects with counts, types, sizes and who uses them; `p` creates a project, `space` + `a`
//! add documents to one, `i` ingests a folder with the CLI's summary line, `n` on a project
//! creates a run group through the new-run form. (Stopping a folder ingest between files is
//! tested in `tui::jobs::library`.)

mod support;

use std::sync::Arc;

use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::tui::modals::{NewRunForm, ProjectPicker, Prompt};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Pane, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use crossterm::event::KeyCode;
use serde_json::json;
use support::tui::{code, key, screen};

struct Env {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    ws: Workspace,
    docs: Vec<String>,
}

/// `alpha.md` (3 blocks) and `beta.txt` (2) in project `p`, `gamma.md` (1) alone, one run of
/// alpha, and schema `s`.
fn setup() -> Env {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("store.redb")).unwrap());
    blockwise::policy::ensure_workspace_admin_as(&store, "reviewer").unwrap();
    let ws = Workspace::new(store.clone());
    let limits = ws.ingest_limits().unwrap();
    let mut docs = Vec::new();
    for (name, text) in [
        ("alpha.md", "# Alpha\n\nOne.\n\nTwo.\n"),
        ("beta.txt", "First paragraph.\n\nSecond paragraph.\n"),
        ("gamma.md", "Only one.\n"),
    ] {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        docs.push(ws.ingest(&f, limits).unwrap().document.conv_uid);
    }
    let schema = json!({"type": "object", "properties": {"label": {"type": "string"}}});
    schema::save(
        &store,
        SaveRequest::new(schema, Some("s".into()), "reviewer"),
    )
    .unwrap();
    ws.create_project("p", None).unwrap();
    ws.add_to_project("p", &docs[..2]).unwrap();
    let opts = CreateRunOptions {
        provider: Some("demo".into()),
        ..Default::default()
    };
    ws.create_run(&docs[0], "s", &opts).unwrap();
    Env {
        dir,
        store,
        ws,
        docs,
    }
}

fn app(env: &Env) -> App {
    let mut app = App::new(
        env.ws.clone(),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(120, 40));
    app.handle_key(key('6'));
    app
}

/// Walk the Library cursor onto the document named `name`.
fn to_doc(app: &mut App, name: &str) {
    app.handle_key(key('g'));
    for _ in 0..app.library().len() {
        if app
            .library()
            .current_doc()
            .is_some_and(|d| d.doc.file_name == name)
        {
            return;
        }
        app.handle_key(key('j'));
    }
    panic!("{name} is not listed");
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(c));
    }
}

#[test]
fn the_library_lists_projects_and_documents_with_what_uses_each() {
    let env = setup();
    let mut app = app(&env);
    assert_eq!(app.pane(), Pane::Library);
    let lib = app.library();
    assert_eq!((lib.projects.len(), lib.docs.len()), (1, 3));
    let s = screen(&app, 120, 40);
    assert!(s.contains("6 Library"), "the tab: {s}");
    assert!(s.contains("1 project(s) · 3 document(s)"), "{s}");
    let line = |needle: &str| {
        s.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}: {s}"))
            .to_string()
    };
    // The project: its members, their blocks summed, no group yet.
    let p = line(" proj ");
    assert!(p.contains("2 docs") && p.contains(" 5 "), "{p}");
    let alpha = line("alpha.md");
    assert!(alpha.contains(" md ") && alpha.contains(" 3 "), "{alpha}");
    assert!(
        alpha.contains("heading 1") && alpha.contains("paragraph 2"),
        "{alpha}"
    );
    assert!(
        alpha.trim_end_matches(['│', ' ']).ends_with('1'),
        "one run: {alpha}"
    );
    let gamma = line("gamma.md");
    assert!(gamma.contains(" – "), "in no project: {gamma}");
    // The detail box names the document's projects and runs.
    to_doc(&mut app, "alpha.md");
    let s = screen(&app, 120, 40);
    assert!(s.contains("projects  p"), "{s}");
    assert!(s.contains("runs      run_"), "{s}");
    // At 80 columns the list still fits its columns.
    let narrow = screen(&app, 80, 24);
    assert!(
        narrow.contains("alpha.md") && narrow.contains("2 docs"),
        "{narrow}"
    );
}

#[test]
fn p_creates_a_project_and_a_bad_name_is_refused_in_the_prompt() {
    let env = setup();
    let mut app = app(&env);
    app.handle_key(key('p'));
    type_text(&mut app, "Bad Name");
    app.handle_key(code(KeyCode::Enter));
    let prompt = app.modal::<Prompt>().expect("the prompt stays open");
    assert!(prompt.error.as_deref().unwrap_or("").contains("Bad Name"));
    assert_eq!(env.ws.list_projects().unwrap().len(), 1, "nothing created");
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(key('p'));
    type_text(&mut app, "minutes");
    app.handle_key(code(KeyCode::Enter));
    assert!(!app.modal_open());
    assert!(env.ws.project("minutes").is_ok());
    assert_eq!(app.library().projects.len(), 2, "listed at once");
    // The same name again: refused, named.
    app.handle_key(key('p'));
    type_text(&mut app, "minutes");
    app.handle_key(code(KeyCode::Enter));
    let prompt = app.modal::<Prompt>().expect("refused in the prompt");
    assert!(prompt.error.as_deref().unwrap_or("").contains("minutes"));
}

#[test]
fn space_and_a_add_the_selected_documents_to_a_picked_project() {
    let env = setup();
    env.ws.create_project("q", None).unwrap();
    let mut app = app(&env);
    // Mark gamma.md and alpha.md.
    to_doc(&mut app, "gamma.md");
    app.handle_key(key(' '));
    to_doc(&mut app, "alpha.md");
    app.handle_key(key(' '));
    assert_eq!(app.library().selected.len(), 2);
    app.handle_key(key('a'));
    let picker = app.modal::<ProjectPicker>().expect("a project picker");
    assert_eq!(picker.docs.len(), 2);
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    let members = env.ws.project_members("q").unwrap();
    assert_eq!(members.len(), 2);
    assert!(members.contains(&env.docs[0]) && members.contains(&env.docs[2]));
    assert!(app.message().unwrap().0.contains("2 document(s) added"));
    assert_eq!(env.ws.project_members("p").unwrap().len(), 2, "p unchanged");
    // Nothing selected and a project row under the cursor: refused with what to do.
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(key('g'));
    app.handle_key(key('a'));
    assert!(!app.modal_open());
    assert!(app.message().unwrap().0.contains("space marks documents"));
}

#[test]
fn i_ingests_a_folder_with_the_cli_summary_line() {
    let env = setup();
    let folder = env.dir.path().join("corpus");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    std::fs::write(folder.join("one.md"), "# One\n\nText of one.\n").unwrap();
    std::fs::write(folder.join("sub/two.txt"), "Text of two.\n").unwrap();
    std::fs::write(folder.join("notes.xyz"), "unknown type").unwrap();
    std::fs::write(folder.join("empty.md"), "").unwrap();
    let mut app = app(&env);
    app.handle_key(key('i'));
    type_text(&mut app, folder.to_str().unwrap());
    app.handle_key(code(KeyCode::Enter));
    let (msg, _) = app.message().cloned().unwrap();
    assert!(
        msg.starts_with("ingested 2 · unchanged 0 · skipped 1 (unknown type) · refused 1"),
        "{msg}"
    );
    assert!(msg.contains("empty.md"), "the refused file is named: {msg}");
    assert_eq!(app.library().docs.len(), 5, "listed at once");
    assert_eq!(env.ws.list_documents().unwrap().len(), 5);
    // Again: everything unchanged, nothing duplicated.
    app.handle_key(key('i'));
    type_text(&mut app, folder.to_str().unwrap());
    app.handle_key(code(KeyCode::Enter));
    let (msg, _) = app.message().cloned().unwrap();
    assert!(msg.starts_with("ingested 0 · unchanged 2"), "{msg}");
    assert_eq!(env.ws.list_documents().unwrap().len(), 5);
    assert!(env.store.check().unwrap().ok(), "the store checks clean");
}

#[test]
fn n_on_a_project_creates_a_run_group_from_the_new_run_form() {
    let env = setup();
    let mut app = app(&env);
    app.handle_key(key('g'));
    app.handle_key(key('n'));
    let form = app.modal::<NewRunForm>().expect("the new-run form");
    assert_eq!(form.project.as_deref(), Some("p"));
    let s = screen(&app, 120, 40);
    assert!(s.contains("New run group"), "{s}");
    assert!(s.contains("project p  (2 documents, 5 blocks)"), "{s}");
    // Pick the offline demo on the provider row (none is chosen for the user), then create.
    app.handle_key(code(KeyCode::Down));
    app.handle_key(code(KeyCode::Right));
    app.handle_key(code(KeyCode::Enter));
    assert!(!app.modal_open(), "created: {:?}", app.message());
    let groups = env.ws.list_groups().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].conv_uids, env.docs[..2].to_vec());
    assert!(app.message().unwrap().0.contains("created run group grp_"));
    // Its grid is open, and the Runs pane lists it as one row.
    assert_eq!(app.grid().total(), 5);
    assert!(app.runs().groups.len() == 1);
    // A project with no documents is refused before the form opens.
    env.ws.create_project("empty", None).unwrap();
    app.handle_key(key('6'));
    app.handle_key(key('g'));
    app.handle_key(key('n'));
    assert!(!app.modal_open());
    assert!(app.message().unwrap().0.contains("has no documents"));
}
