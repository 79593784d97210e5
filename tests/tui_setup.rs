//! Setting up work from the TUI (issue 13 items 2–5): the new-run form on the fake Anthropic
//! provider, keys (set masked, test, remove), ingest with Tab completion, the policy pane, and
//! insta snapshots of each new screen. Real redb file, real HTTP over loopback to the fake
//! provider, a real tokio runtime for the background jobs, ratatui's TestBackend.

mod support;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use blockwise::store::Store;
use blockwise::tui::modals::{NewRunForm, Prompt};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Pane, Spawner, Theme};
use blockwise::workspace::Workspace;
use crossterm::event::KeyCode;
use support::tui::{code, key};
use support::{FakeConfig, FakeServer};

/// The key the fake provider accepts; the environment offers it as ANTHROPIC_API_KEY.
const GOOD: &str = "sk-ant-api03-GOODtuiSECRETzq81-7w3k";
/// A key the fake rejects (401).
const WRONG: &str = "sk-ant-api03-WRONGtuiSECRETxy55-p0q9";

/// One fake provider and one environment for every test in this binary (tests run on threads
/// of one process, so the environment must be the same for all of them).
fn fake() -> &'static FakeServer {
    static FAKE: OnceLock<FakeServer> = OnceLock::new();
    FAKE.get_or_init(|| {
        let fake = FakeServer::start(FakeConfig {
            expected_key: Some(GOOD.to_string()),
            ..FakeConfig::default()
        })
        .unwrap();
        let config =
            std::env::temp_dir().join(format!("blockwise-13b-config-{}", std::process::id()));
        std::fs::create_dir_all(&config).unwrap();
        // The fake is not Anthropic's own endpoint, where built-in prices do not apply (issue
        // 14): the user's prices.json prices Claude models there, so previews show a cost.
        std::fs::write(
            config.join("prices.json"),
            r#"{"models": {"claude": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.3}}}"#,
        )
        .unwrap();
        std::env::set_var("BLOCKWISE_CONFIG_DIR", &config);
        std::env::set_var("BLOCKWISE_USER", "reviewer");
        std::env::set_var("ANTHROPIC_API_KEY", GOOD);
        std::env::set_var("ANTHROPIC_BASE_URL", fake.anthropic_base_url());
        for v in [
            "OPENAI_API_KEY",
            "GEMINI_API_KEY",
            "OPENAI_BASE_URL",
            "BLOCKWISE_PASSPHRASE",
        ] {
            std::env::remove_var(v);
        }
        fake
    })
}

struct Env {
    dir: PathBuf,
    store: Arc<Store>,
    rt: tokio::runtime::Runtime,
    rx: tokio::sync::mpsc::Receiver<Action>,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A demo workspace at a fixed path (so snapshots are stable) and an app with a runtime.
fn demo(name: &str, w: u16, h: u16) -> (Env, App) {
    fake();
    let dir = std::env::temp_dir().join(format!("blockwise-13b-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(Store::open(&dir.join("demo.redb")).unwrap());
    let ws = Workspace::new(store.clone());
    ws.populate_demo(&dir.join("samples")).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    )
    .with_spawner(Spawner {
        handle: rt.handle().clone(),
        tx,
    });
    app.update(Action::Resize(w, h));
    (Env { dir, store, rt, rx }, app)
}

/// Apply what the background sends until every job (and worker) has reported.
fn drain(env: &mut Env, app: &mut App) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !app.idle() && Instant::now() < deadline {
        let rx = &mut env.rx;
        let a = env
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), rx.recv()).await });
        if let Ok(Some(a)) = a {
            app.update(a);
        }
        app.flush();
    }
    assert!(app.idle(), "every job and worker reported back");
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(c));
    }
}

/// Every row of the buffer, cell by cell.
fn buffer_text(app: &App, w: u16, h: u16) -> String {
    support::tui::screen(app, w, h)
}

/// Neither the key nor any 5 characters of it before its last four appear in any cell, row or
/// across rows (the buffer joined without line breaks).
fn assert_key_hidden(app: &App, secret: &str) {
    for (w, h) in [(80, 24), (120, 40)] {
        let text = buffer_text(app, w, h);
        let joined: String = text.lines().collect();
        let hidden: Vec<char> = secret.chars().collect();
        let hidden = &hidden[..hidden.len() - 4];
        for window in hidden.windows(5) {
            let piece: String = window.iter().collect();
            assert!(
                !text.contains(&piece) && !joined.contains(&piece),
                "'{piece}' of the key is on screen at {w}x{h}:\n{text}"
            );
        }
    }
    if let Some((msg, _)) = app.message() {
        assert!(!msg.contains(&secret[..secret.len() - 4]), "{msg}");
    }
}

#[test]
fn a_run_on_the_fake_anthropic_provider_with_a_model_override_shows_its_effective_values() {
    let (mut env, mut app) = demo("newrun", 120, 40);
    let runs_before = env.store.list_runs().unwrap().len();
    app.handle_key(key('n'));
    drain(&mut env, &mut app);
    let Some(form) = app.modal::<NewRunForm>() else {
        panic!("n opens the new-run form")
    };
    // The environment's key makes Anthropic usable; demo is always offered, last.
    let names: Vec<&str> = form.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["anthropic", "demo"]);
    let s = buffer_text(&app, 120, 40);
    assert!(s.contains("pick a document"), "{s}");
    app.handle_key(code(KeyCode::Enter));
    assert!(buffer_text(&app, 120, 40).contains("pick a schema"));
    // Provider: anthropic (first). Model: typed override.
    app.handle_key(code(KeyCode::Down));
    app.handle_key(code(KeyCode::Down));
    typed(&mut app, "claude-haiku-4-5");
    drain(&mut env, &mut app);
    let s = buffer_text(&app, 120, 40);
    println!("{s}");
    assert!(s.contains("effective claude-haiku-4-5 (override)"), "{s}");
    // The demo's first schema sets temperature and max tokens in its prompt_config: the
    // resolver says so, and the form shows it.
    assert!(s.contains("effective 0 (schema prompt_config)"), "{s}");
    assert!(s.contains("effective 150 (schema prompt_config)"), "{s}");
    assert!(
        s.contains("provider anthropic  model claude-haiku-4-5"),
        "{s}"
    );
    let Some(form) = app.modal::<NewRunForm>() else {
        panic!("still in the form")
    };
    let est = form.preview.clone().unwrap().unwrap();
    assert!(
        est.calls >= 1 && est.cost_usd.is_some_and(|c| c > 0.0),
        "{est:?}"
    );
    assert!(s.contains(&format!("calls {} ", est.calls)), "{s}");
    // A temperature override wins over the schema's.
    app.handle_key(code(KeyCode::Down));
    typed(&mut app, "0.5");
    drain(&mut env, &mut app);
    assert!(buffer_text(&app, 120, 40).contains("effective 0.5 (override)"));
    // A typed value that is not a number is refused in the form; nothing is created.
    typed(&mut app, "x");
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    assert!(buffer_text(&app, 120, 40).contains("refused: temperature '0.5x'"));
    assert_eq!(env.store.list_runs().unwrap().len(), runs_before);
    app.handle_key(code(KeyCode::Backspace));
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    assert!(!app.modal_open(), "{:?}", app.message());
    let runs = env.store.list_runs().unwrap();
    assert_eq!(runs.len(), runs_before + 1);
    let run = app.grid().run.clone().unwrap();
    let mc = &run.model_config;
    assert_eq!(
        (mc.provider.as_str(), mc.model.as_str()),
        ("anthropic", "claude-haiku-4-5")
    );
    assert_eq!((mc.temperature, mc.max_tokens), (0.5, 150));
    assert_eq!(mc.sources["model"], "override");
    assert_eq!(mc.sources["temperature"], "override");
    assert_eq!(mc.sources["max_tokens"], "schema prompt_config");
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        !is_error && msg.contains("anthropic:claude-haiku-4-5"),
        "{msg}"
    );
    // s runs it on the fake provider to the end.
    app.handle_key(key('s'));
    drain(&mut env, &mut app);
    let done = env.store.get_run(&run.run_id).unwrap().unwrap();
    assert_eq!(
        done.counters.pending + done.counters.claimed,
        0,
        "{:?}",
        app.message()
    );
    assert_eq!(done.counters.ai_complete, done.counters.total);
    assert!(fake()
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/messages") && r.body["model"] == "claude-haiku-4-5"));
}

#[test]
fn a_key_is_set_masked_tested_and_removed_and_never_drawn() {
    let (mut env, mut app) = demo("keys", 120, 40);
    app.handle_key(key('5'));
    assert_eq!(app.pane(), Pane::Keys);
    assert_eq!(app.keys().current(), "anthropic");
    // A wrong key first: stored, then rejected by the fake provider.
    app.handle_key(key('s'));
    typed(&mut app, WRONG);
    assert_key_hidden(&app, WRONG);
    assert!(buffer_text(&app, 120, 40).contains("•••••"));
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    assert_key_hidden(&app, WRONG);
    let stored = env.store.get_api_key("anthropic").unwrap().unwrap();
    assert_eq!(stored.last4, "p0q9");
    app.handle_key(key('t'));
    drain(&mut env, &mut app);
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(is_error && msg.contains("REJECTED"), "{msg}");
    assert_eq!(
        env.store
            .get_api_key("anthropic")
            .unwrap()
            .unwrap()
            .is_valid,
        Some(false)
    );
    assert!(buffer_text(&app, 120, 40).contains("REJECTED"));
    assert_key_hidden(&app, WRONG);

    // The right key replaces it and tests valid.
    app.handle_key(key('s'));
    typed(&mut app, GOOD);
    assert_key_hidden(&app, GOOD);
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    app.handle_key(key('t'));
    drain(&mut env, &mut app);
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        !is_error && msg.contains("valid") && msg.contains("…7w3k"),
        "{msg}"
    );
    let s = buffer_text(&app, 120, 40);
    assert!(
        s.contains("…7w3k") && s.contains("stored") && s.contains("valid"),
        "{s}"
    );
    assert_key_hidden(&app, GOOD);
    // The fake saw the key on the wire (the test was real).
    assert!(fake()
        .requests()
        .iter()
        .any(|r| r.headers.get("x-api-key").is_some_and(|k| k == GOOD)));

    // Remove asks first: Esc keeps the key, Enter removes it.
    app.handle_key(key('d'));
    assert!(buffer_text(&app, 120, 40).contains("Remove the stored anthropic key"));
    app.handle_key(code(KeyCode::Esc));
    assert!(env.store.get_api_key("anthropic").unwrap().is_some());
    app.handle_key(key('d'));
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    assert!(env.store.get_api_key("anthropic").unwrap().is_none());
    // The environment key is still listed (not stored, so it cannot be removed here).
    assert!(buffer_text(&app, 120, 40).contains("env:ANTHROPIC_API_KEY"));
    assert_key_hidden(&app, GOOD);
}

/// The refusal the real `blockwise keys set` prints for these defaults (on a throw-away store).
fn cli_refusal(env: &Env, args: &[&str]) -> String {
    let dir = env.dir.join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let (code_, _, err) = support::outcome(
        support::blockwise_in(&dir)
            .env("TUI_TEST_KEY", GOOD)
            .arg("--store")
            .arg(dir.join("cli.redb"))
            .args(["keys", "set", "anthropic", "--env", "TUI_TEST_KEY"])
            .args(args)
            .output()
            .unwrap(),
    );
    assert_eq!(code_, 1, "{err}");
    err
}

#[test]
fn a_stored_keys_default_model_temperature_and_max_tokens_are_set_with_the_clis_bounds() {
    let (mut env, mut app) = demo("key-defaults", 120, 40);
    app.handle_key(key('5'));
    assert_eq!(app.keys().current(), "anthropic");
    // Only a stored key has defaults: the environment key is refused with the reason.
    app.handle_key(key('m'));
    assert!(!app.modal_open());
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(is_error && msg.contains("env:ANTHROPIC_API_KEY"), "{msg}");
    app.handle_key(key('s'));
    typed(&mut app, GOOD);
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    let before = env.store.get_api_key("anthropic").unwrap().unwrap();
    assert_eq!(before.model, None);

    app.handle_key(key('m'));
    assert!(buffer_text(&app, 120, 40).contains("Default model of the anthropic key (1/3)"));
    typed(&mut app, "claude-haiku-4-5");
    app.handle_key(code(KeyCode::Enter));
    // Temperature: not a number, then out of the CLI's bounds; refused in the prompt.
    let refused = |app: &App| match app.modal::<Prompt>() {
        Some(p) => p.error.clone().unwrap_or_default(),
        None => panic!("the prompt stays open"),
    };
    let fingerprint = env.store.fingerprint().unwrap();
    typed(&mut app, "0.5x");
    app.handle_key(code(KeyCode::Enter));
    assert!(
        refused(&app).contains("invalid value '0.5x' for temperature"),
        "{}",
        refused(&app)
    );
    for _ in 0..10 {
        app.handle_key(code(KeyCode::Backspace));
    }
    typed(&mut app, "2.5");
    app.handle_key(code(KeyCode::Enter));
    let tui = refused(&app);
    assert_eq!(tui, "temperature 2.5 is out of range 0.0–2.0");
    assert!(cli_refusal(&env, &["--temperature", "2.5"]).contains(&tui));
    for _ in 0..10 {
        app.handle_key(code(KeyCode::Backspace));
    }
    typed(&mut app, "0.2");
    app.handle_key(code(KeyCode::Enter));
    // Max tokens: 0 is out of bounds (same words as the CLI), 800 is stored.
    assert!(buffer_text(&app, 120, 40).contains("Default max tokens of the anthropic key (3/3)"));
    typed(&mut app, "0");
    app.handle_key(code(KeyCode::Enter));
    let tui = refused(&app);
    assert_eq!(tui, "max tokens 0 is out of range 1–1000000");
    assert!(cli_refusal(&env, &["--max-tokens", "0"]).contains(&tui));
    assert_eq!(
        env.store.fingerprint().unwrap(),
        fingerprint,
        "nothing written yet"
    );
    app.handle_key(code(KeyCode::Backspace));
    typed(&mut app, "800");
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    assert!(!app.modal_open(), "{:?}", app.message());
    let after = env.store.get_api_key("anthropic").unwrap().unwrap();
    assert_eq!(after.model.as_deref(), Some("claude-haiku-4-5"));
    assert_eq!(after.temperature, Some(0.2));
    assert_eq!(after.max_tokens, Some(800));
    assert_eq!(
        after.ciphertext, before.ciphertext,
        "the key itself is untouched"
    );
    assert_eq!(after.created_at, before.created_at);
    let s = buffer_text(&app, 120, 40);
    assert!(s.contains("claude-haiku-4-5 · T 0.2 · max 800"), "{s}");
    // At 80 columns the defaults do not fit their column: cut with an ellipsis, not clipped.
    let narrow = buffer_text(&app, 80, 24);
    let row = narrow
        .lines()
        .find(|l| l.contains("anthropic"))
        .expect("the anthropic row");
    assert!(
        row.contains("claude-haiku-…") && !row.contains("max 800"),
        "{narrow}"
    );
    assert_key_hidden(&app, GOOD);
    // The worker's resolver sees them: a new run's defaults come from the key.
    let resolved = blockwise::vault::key_for(&env.store, "anthropic")
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            resolved.model.as_deref(),
            resolved.temperature,
            resolved.max_tokens
        ),
        (Some("claude-haiku-4-5"), Some(0.2), Some(800))
    );

    // Again: the prompts start from the stored values; emptying the temperature clears it.
    app.handle_key(key('m'));
    let Some(p) = app.modal::<Prompt>() else {
        panic!("prompt")
    };
    assert_eq!(p.field.area().lines(), ["claude-haiku-4-5"]);
    app.handle_key(code(KeyCode::Enter));
    let Some(p) = app.modal::<Prompt>() else {
        panic!("prompt")
    };
    assert_eq!(p.field.area().lines(), ["0.2"]);
    for _ in 0..5 {
        app.handle_key(code(KeyCode::Backspace));
    }
    app.handle_key(code(KeyCode::Enter));
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    let cleared = env.store.get_api_key("anthropic").unwrap().unwrap();
    assert_eq!(
        (
            cleared.model.as_deref(),
            cleared.temperature,
            cleared.max_tokens
        ),
        (Some("claude-haiku-4-5"), None, Some(800))
    );
}

#[test]
fn ingest_completes_the_path_checks_like_the_cli_and_the_document_is_offered_at_once() {
    let (mut env, mut app) = demo("ingest", 120, 40);
    let dir = env.dir.join("files");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("lease_terms.md"),
        "# Lease\n\nThe tenant pays monthly.\n\nDoes the deposit earn interest?\n",
    )
    .unwrap();
    std::fs::write(dir.join("scan.pdf"), b"%PDF-1.4 not text").unwrap();
    let docs_before = env.store.list_documents().unwrap().len();
    app.handle_key(key('i'));
    typed(&mut app, &format!("{}/lea", dir.display()));
    app.handle_key(code(KeyCode::Tab));
    let Some(p) = app.modal::<Prompt>() else {
        panic!("i opens the path prompt")
    };
    assert_eq!(
        p.field.area().lines()[0],
        format!("{}/lease_terms.md", dir.display())
    );
    // A file the CLI refuses is refused here with the same message; nothing is stored.
    let before = env.store.fingerprint().unwrap();
    for _ in 0..200 {
        app.handle_key(code(KeyCode::Backspace));
    }
    let pdf = dir.join("scan.pdf");
    typed(&mut app, &pdf.display().to_string());
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    let ws = Workspace::new(env.store.clone());
    let expected = ws
        .ingest(&pdf, ws.ingest_limits().unwrap())
        .unwrap_err()
        .to_string();
    let Some(p) = app.modal::<Prompt>() else {
        panic!("a refused file keeps the prompt open")
    };
    assert_eq!(p.error.as_deref(), Some(expected.as_str()));
    assert_eq!(env.store.fingerprint().unwrap(), before);
    let (code_, _, err) = support::outcome(
        support::blockwise_in(&env.dir)
            .arg("--store")
            .arg(env.dir.join("demo.redb"))
            .arg("ingest")
            .arg(&pdf)
            .output()
            .unwrap(),
    );
    assert_eq!(code_, 1);
    assert!(err.contains(&expected), "CLI: {err} / TUI: {expected}");
    // The good file.
    for _ in 0..200 {
        app.handle_key(code(KeyCode::Backspace));
    }
    typed(&mut app, &format!("{}/lease_terms.md", dir.display()));
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    assert!(!app.modal_open());
    let docs = env.store.list_documents().unwrap();
    assert_eq!(docs.len(), docs_before + 1);
    let doc = docs.iter().find(|d| d.title == "Lease").unwrap();
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        !is_error
            && msg.starts_with("created 'Lease' · 3 blocks")
            && msg.contains(&doc.conv_uid[..12]),
        "{msg}"
    );
    // Title, count and the next step fit the status row at 120 columns.
    let s = buffer_text(&app, 120, 40);
    let status = s.lines().last().unwrap();
    assert!(status.contains("n makes a run of it"), "{status}");
    // n: the new document is the form's choice already.
    app.handle_key(key('n'));
    drain(&mut env, &mut app);
    let Some(form) = app.modal::<NewRunForm>() else {
        panic!("form")
    };
    assert_eq!(form.docs[form.doc].conv_uid, doc.conv_uid);
    assert!(buffer_text(&app, 120, 40).contains("Lease"));
}

#[test]
fn policy_scrolls_requires_a_reason_and_filters_the_audit_log_with_full_values() {
    let (mut env, mut app) = demo("policy", 80, 24);
    app.handle_key(key('4'));
    let audit_before = app.policy().shown_audit().len();
    // The last key is on screen after G even at 80x24.
    app.handle_key(key('G'));
    let last = app.policy().current().unwrap().key.clone();
    let s = buffer_text(&app, 80, 24);
    assert!(s.contains(&last[..30.min(last.len())]), "{last}:\n{s}");
    app.handle_key(key('g'));
    app.handle_key(key('j'));
    let key_name = app.policy().current().unwrap().key.clone();
    assert_eq!(key_name, "models.platform_default_temperature");
    // A value, then an empty reason: refused, nothing written.
    let before = env.store.fingerprint().unwrap();
    app.handle_key(key('e'));
    for _ in 0..10 {
        app.handle_key(code(KeyCode::Backspace));
    }
    typed(&mut app, "0.6");
    app.handle_key(code(KeyCode::Enter));
    app.handle_key(code(KeyCode::Enter));
    let Some(p) = app.modal::<Prompt>() else {
        panic!("the reason prompt stays open")
    };
    assert!(p.error.as_deref().unwrap().contains("a reason is required"));
    assert_eq!(env.store.fingerprint().unwrap(), before);
    let long_reason = format!("calmer answers for the review of {}", "clause ".repeat(12));
    typed(&mut app, &long_reason);
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    // A second key changes too, so the filter has something to hide.
    app.handle_key(key('g'));
    app.handle_key(key('e'));
    for _ in 0..40 {
        app.handle_key(code(KeyCode::Backspace));
    }
    typed(&mut app, "claude-haiku-4-5");
    app.handle_key(code(KeyCode::Enter));
    typed(&mut app, "cheaper");
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    assert_eq!(app.policy().shown_audit().len(), audit_before + 2);
    assert_eq!(
        app.policy().shown_audit()[0].key,
        "models.platform_default_model",
        "newest first"
    );
    // f: only the selected key's changes.
    app.handle_key(key('j'));
    app.handle_key(key('f'));
    let shown = app.policy().shown_audit();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].key, key_name);
    // a: the audit log has the focus; its selected entry is shown in full.
    app.handle_key(key('a'));
    let s = buffer_text(&app, 120, 40);
    assert!(s.contains("old: 0.3") && s.contains("new: 0.6"), "{s}");
    let joined: String = s
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains("clause clause clause clause clause clause clause clause"),
        "{s}"
    );
    app.handle_key(key('f'));
    assert_eq!(app.policy().shown_audit().len(), audit_before + 2);
}

#[test]
fn a_long_value_in_the_policy_detail_box_scrolls_into_view_with_j_and_k() {
    let (mut env, mut app) = demo("policy-scroll", 80, 24);
    app.handle_key(key('4'));
    app.handle_key(key('j'));
    assert_eq!(
        app.policy().current().unwrap().key,
        "models.platform_default_temperature"
    );
    // A reason of 60 numbered words: about 6 rows of the box's 4 at 80 columns.
    let words: Vec<String> = (1..=60).map(|i| format!("word{i:02}")).collect();
    app.handle_key(key('e'));
    for _ in 0..10 {
        app.handle_key(code(KeyCode::Backspace));
    }
    typed(&mut app, "0.4");
    app.handle_key(code(KeyCode::Enter));
    typed(&mut app, &words.join(" "));
    app.handle_key(code(KeyCode::Enter));
    drain(&mut env, &mut app);
    app.handle_key(key('a'));
    let shown = |s: &str| -> Vec<String> {
        words
            .iter()
            .filter(|w| s.contains(w.as_str()))
            .cloned()
            .collect()
    };
    let s = buffer_text(&app, 80, 24);
    assert!(s.contains("J/K scroll"), "the box says it scrolls:\n{s}");
    assert!(s.contains("reason: word01"), "{s}");
    assert!(
        !s.contains("word60"),
        "the end is below the box at first:\n{s}"
    );
    // J until the last word is in view: every word was on screen at some point.
    let mut seen = shown(&s);
    for _ in 0..20 {
        app.handle_key(key('J'));
        let s = buffer_text(&app, 80, 24);
        seen.extend(shown(&s));
        if s.contains("word60") {
            break;
        }
    }
    let s = buffer_text(&app, 80, 24);
    assert!(s.contains("word60"), "{s}");
    assert!(!s.contains("reason: word01"), "the top scrolled away:\n{s}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen, words, "the whole reason can be read");
    // More J stays at the end; K goes back; moving the selection starts at the top again.
    let end = app.policy().detail_scroll;
    app.handle_key(key('J'));
    assert_eq!(app.policy().detail_scroll, end);
    app.handle_key(key('K'));
    assert_eq!(app.policy().detail_scroll, end - 1);
    app.handle_key(key('j'));
    assert_eq!(app.policy().detail_scroll, 0);
}

/// The screen at `w`x`h`, with the store's fixed directory named as such.
/// The screen without the status bar (it shows the store's temp path, cut at the width), with
/// run ids and timestamps (random, the clock) replaced by placeholders of the same width.
fn snapshot_text(app: &App, env: &Env, w: u16, h: u16) -> String {
    let full = support::tui::without_user(&buffer_text(app, w, h));
    let rows: Vec<&str> = full.lines().collect();
    let text = rows[..rows.len() - 1].join("\n");
    let text = text.replace(&env.dir.display().to_string(), "[dir]");
    blank_run_ids(&blank_timestamps(&text))
}

/// `run_3c593ff130a7` (or its start, when a column cuts it) → `run_XXXXXXXXXXXX`.
fn blank_run_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("run_") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let hex = rest
            .find(|c: char| !c.is_ascii_hexdigit() || c.is_ascii_uppercase())
            .unwrap_or(rest.len());
        out.push_str(&"X".repeat(hex));
        rest = &rest[hex..];
    }
    out.push_str(rest);
    out
}

/// `2026-11-27T05:45:36Z` (or its start, when a column cuts it) → `X` for every character.
fn blank_timestamps(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let looks_like_date = chars.len() >= i + 11
            && chars[i..i + 4].iter().all(char::is_ascii_digit)
            && chars[i + 4] == '-'
            && chars[i + 7] == '-'
            && chars[i + 10] == 'T';
        if looks_like_date {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || ":.+-".contains(chars[i]))
            {
                out.push('X');
                i += 1;
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn snapshots(name: &str, setup: impl Fn(&mut Env, &mut App)) {
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let (mut env, mut app) = demo(&format!("snap-{name}-{w}"), w, h);
        setup(&mut env, &mut app);
        let text = snapshot_text(&app, &env, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn snapshots_of_the_new_screens() {
    snapshots("new_run_form", |env, app| {
        app.handle_key(key('n'));
        drain(env, app);
        app.handle_key(code(KeyCode::Enter));
    });
    snapshots("keys_pane", |_, app| {
        app.handle_key(key('5'));
    });
    snapshots("key_prompt_masked", |_, app| {
        app.handle_key(key('5'));
        app.handle_key(key('s'));
        typed(app, WRONG);
    });
    snapshots("policy_pane", |_, app| {
        app.handle_key(key('4'));
        app.handle_key(key('j'));
    });
    snapshots("ingest_prompt", |env, app| {
        let dir = env.dir.join("files");
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["contract_a.md", "contract_b.md"] {
            std::fs::write(dir.join(f), "# A\n").unwrap();
        }
        app.handle_key(key('i'));
        typed(app, &format!("{}/con", dir.display()));
        app.handle_key(code(KeyCode::Tab));
    });
}
