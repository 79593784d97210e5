//! The schema studio's Describe step (issue 26): intent, optional Library document, provider
//! and model with the call's cost shown before it is sent; the proposal opens in the wizard;
//! `r` refines with a diff to accept or drop; `u` undoes; a long call shows a spinner and Esc
//! cancels it. TestBackend, a real redb store, the offline demo provider and the fake provider
//! over loopback HTTP.

mod support;

use std::sync::Arc;
use std::time::Duration;

use blockwise::store::Store;
use blockwise::tui::modals::studio::{Screen, Studio};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Spawner, Theme};
use blockwise::workspace::Workspace;
use crossterm::event::KeyCode;
use support::tui::{code, key};
use support::{FakeConfig, FakeServer, Fault};

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
}

fn demo_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("demo.redb")).unwrap());
    blockwise::demo::populate(&store, &dir.path().join("samples")).unwrap();
    Env { _dir: dir, store }
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

fn screen(app: &App) -> String {
    support::tui::screen(app, 120, 40)
}

fn studio(app: &App) -> &Studio {
    app.modal::<Studio>().expect("the studio is open")
}

fn wizard_fields(app: &App) -> Vec<String> {
    match &studio(app).screen {
        Screen::Wizard(w) => w.model.fields.iter().map(|f| f.name.clone()).collect(),
        _ => panic!("not on the wizard:\n{}", screen(app)),
    }
}

fn schema_count(env: &Env) -> usize {
    env.store.list_schemas().unwrap().len()
}

#[test]
fn describe_with_the_demo_opens_a_labelled_proposal_and_r_refines_with_a_diff() {
    let env = demo_env();
    let mut app = app(&env);
    let schemas_before = schema_count(&env);
    press(&mut app, "3nd");
    let s = screen(&app);
    assert!(
        s.contains("Describe · what should each block give you?"),
        "{s}"
    );
    assert!(s.contains("DEMO, offline and deterministic"), "{s}");
    press_code(&mut app, KeyCode::F(5), 1);
    assert!(
        screen(&app).contains("the intent is empty"),
        "an empty intent is refused"
    );
    press(&mut app, "parties and deadlines");
    press_code(&mut app, KeyCode::Enter, 1);
    press(&mut app, "per clause");
    press_code(&mut app, KeyCode::F(5), 1);
    let s = screen(&app);
    assert!(
        s.contains("DEMO proposal (offline, not a model) · 1 call(s), 0/0 tokens"),
        "{s}"
    );
    let fields = wizard_fields(&app);
    for f in ["parties", "deadlines", "clause", "block_kind", "summary"] {
        assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
    }

    // r: one line, the diff, Enter accepts.
    press(&mut app, "radd owner");
    press_code(&mut app, KeyCode::Enter, 1);
    let s = screen(&app);
    assert!(
        s.contains("Refinement · field changes") && s.contains("+ owner"),
        "{s}"
    );
    assert!(
        !wizard_fields(&app).contains(&"owner".to_string()),
        "not before Enter"
    );
    press_code(&mut app, KeyCode::Enter, 1);
    assert!(wizard_fields(&app).contains(&"owner".to_string()));
    assert!(screen(&app).contains("accepted 1 change(s)"));
    // Esc drops a diff.
    press(&mut app, "rremove summary");
    press_code(&mut app, KeyCode::Enter, 1);
    assert!(screen(&app).contains("- summary"));
    press_code(&mut app, KeyCode::Esc, 1);
    assert!(wizard_fields(&app).contains(&"summary".to_string()));
    assert!(screen(&app).contains("refinement dropped"));
    // u undoes the accepted one.
    press(&mut app, "u");
    assert!(!wizard_fields(&app).contains(&"owner".to_string()));
    press(&mut app, "u");
    assert!(screen(&app).contains("no accepted refinement to undo"));

    assert_eq!(schema_count(&env), schemas_before, "nothing saved");
    let calls = env.store.assist_calls().unwrap();
    let tasks: Vec<&str> = calls.iter().map(|c| c.task.as_str()).collect();
    assert_eq!(tasks, ["suggest", "refine", "refine"]);
    assert!(calls
        .iter()
        .all(|c| c.provider == "demo" && c.cost == Some(0.0)));
    assert!(
        calls[0].conv_uid.is_some(),
        "the first Library document was sampled"
    );
}

#[test]
fn describe_over_providers_shows_the_cost_first_retries_an_invalid_answer_and_cancels() {
    // Both real-provider paths in one test: the environment is the process's.
    let anthropic = FakeServer::start(FakeConfig::default()).unwrap();
    let custom = FakeServer::start(FakeConfig::default()).unwrap();
    std::env::set_var("ANTHROPIC_API_KEY", "sk-ant-describe-0000");
    std::env::set_var("ANTHROPIC_BASE_URL", anthropic.anthropic_base_url());
    std::env::set_var("BLOCKWISE_CUSTOM_API_KEY", "sk-local-0000");
    std::env::set_var("BLOCKWISE_CUSTOM_BASE_URL", custom.openai_base_url());
    let env = demo_env();
    let mut app = app(&env);
    press(&mut app, "3nd");
    press(&mut app, "obligations");
    press_code(&mut app, KeyCode::Tab, 2);
    press_code(&mut app, KeyCode::Right, 1);
    let s = screen(&app);
    assert!(s.contains("‹ anthropic ›"), "{s}");
    assert!(
        s.contains("this call: ≈") && s.contains("≤ 4096 out") && s.contains("· claude-sonnet-4-5"),
        "the cost before sending:\n{s}"
    );
    assert!(s.contains("≤ $"), "claude-sonnet-4-5 is priced:\n{s}");
    assert_eq!(anthropic.call_count(), 0, "nothing sent yet");

    anthropic.push(Fault::InvalidProposal);
    press_code(&mut app, KeyCode::F(5), 1);
    let s = screen(&app);
    assert!(
        s.contains("proposal from anthropic claude-sonnet-4-5 · 2 call(s)"),
        "{s}"
    );
    assert!(wizard_fields(&app).contains(&"obligations".to_string()));
    let outcomes: Vec<String> = env
        .store
        .assist_calls()
        .unwrap()
        .into_iter()
        .map(|c| c.outcome)
        .collect();
    assert_eq!(outcomes, ["invalid", "ok"]);

    // A slow custom server: the spinner counts, Esc cancels, nothing is saved.
    custom.set_default_latency(Duration::from_secs(20));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    )
    .with_spawner(Spawner {
        handle: rt.handle().clone(),
        tx,
    });
    app.update(Action::Resize(80, 24));
    press(&mut app, "3nd");
    press(&mut app, "dates");
    press_code(&mut app, KeyCode::Tab, 2);
    press_code(&mut app, KeyCode::Left, 1);
    assert!(support::tui::screen(&app, 80, 24).contains("‹ custom ›"));
    press_code(&mut app, KeyCode::F(5), 1);
    std::thread::sleep(Duration::from_millis(300));
    let s = support::tui::screen(&app, 80, 24);
    assert!(
        s.contains("asking custom") && s.contains(" s · Esc cancels"),
        "spinner:\n{s}"
    );
    let started = std::time::Instant::now();
    press_code(&mut app, KeyCode::Esc, 1);
    let done = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), rx.recv()).await });
    let done = done
        .expect("the cancelled call came back within 5 s")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cancel took {:?}",
        started.elapsed()
    );
    app.update(done);
    let s = support::tui::screen(&app, 80, 24);
    assert!(
        s.contains("no proposal: cancelled; nothing was saved"),
        "{s}"
    );
    assert!(
        matches!(studio(&app).screen, Screen::Describe(_)),
        "still on Describe"
    );
    let last = env.store.assist_calls().unwrap().pop().unwrap();
    assert_eq!(
        (last.provider.as_str(), last.outcome.as_str()),
        ("custom", "cancelled")
    );
}
