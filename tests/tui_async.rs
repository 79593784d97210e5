//! The TUI never waits on a store transaction: confirm-all on a 100,000-block run runs in the
//! background while key presses are still handled (TestBackend, real redb file, real runtime).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{ModelConfig, OverlayStatus, Run};
use blockwise::schema::{save, SaveRequest};
use blockwise::store::{Store, StoreError};
use blockwise::tui::modals::{Ask, Prompt};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Pane, Spawner, Theme};
use blockwise::workspace::Workspace;
use serde_json::json;
use support::tui::key;

const BLOCKS: u32 = 100_000;
const W: u16 = 120;
const H: u16 = 40;

fn screen(app: &App) -> String {
    support::tui::screen(app, W, H)
}

/// A plain-text document of `BLOCKS` paragraphs, a run over it, and every block staged as the
/// worker would leave it (one write transaction).
fn staged_run(dir: &std::path::Path) -> (Arc<Store>, String) {
    let text: String = (0..BLOCKS)
        .map(|i| format!("Paragraph {i} of the big document.\n\n"))
        .collect();
    let path = dir.join("big.txt");
    std::fs::write(&path, text).unwrap();
    let store = Store::open(&dir.join("s.redb")).unwrap();
    let limits = IngestLimits {
        max_file_bytes: 1 << 30,
    };
    let doc = ingest_path(&store, &path, limits).unwrap().document;
    assert_eq!(doc.total_blocks, BLOCKS);
    let schema = save(
        &store,
        SaveRequest::new(
            json!({"type": "object", "properties": {"summary": {"type": "string"}}}),
            Some("big".into()),
            "reviewer",
        ),
    )
    .unwrap()
    .schema()
    .clone();
    let run = Run::new(
        "big_run",
        &doc.conv_uid,
        (&schema.schema_id, &schema.schema_ref, &schema.schema_uid),
        ModelConfig::fixed("demo", "demo", 0.0, 100),
        "reviewer",
    );
    store.create_run(&run, doc.total_blocks).unwrap();
    store
        .with_run(&run.run_id, |rt| {
            for i in 0..BLOCKS {
                let mut ov = rt.overlay(i)?.expect("overlay");
                let v = json!({"summary": format!("block {i}")});
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v);
                rt.put_overlay(&ov)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    (Arc::new(store), run.run_id)
}

#[test]
fn confirm_all_on_100k_blocks_runs_while_keys_are_still_handled() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let (store, run_id) = staged_run(dir.path());
    println!(
        "setup (ingest + stage {BLOCKS} blocks) took {:?}",
        t.elapsed()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let mut app = App::new(
        Workspace::new(store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    )
    .with_spawner(Spawner {
        handle: rt.handle().clone(),
        tx,
    });
    app.update(Action::Resize(W, H));
    app.handle_key(key('2'));
    assert_eq!(app.pane(), Pane::Grid);
    assert_eq!(app.grid().run.as_ref().unwrap().run_id, run_id);

    // A: confirm every staged block. The key returns at once; the confirm runs in the background.
    let pressed = Instant::now();
    app.handle_key(key('A'));
    assert!(app.modal::<Ask>().is_some(), "A asks first");
    app.handle_key(support::tui::code(crossterm::event::KeyCode::Enter));
    // Navigation right after: the cursor moves and the screen shows it.
    for _ in 0..5 {
        app.handle_key(key('j'));
    }
    app.handle_key(key('G'));
    app.handle_key(key('k'));
    let keys_took = pressed.elapsed();
    let s = screen(&app);
    // These were handled while the confirm's transaction had not committed yet: the store
    // still shows every block staged and nothing confirmed.
    let during = store.get_run(&run_id).unwrap().unwrap().counters;
    assert_eq!(
        (during.ai_complete, during.confirmed),
        (BLOCKS, 0),
        "the keys were handled only after the confirm landed (keys took {keys_took:?})"
    );
    assert!(!app.jobs().is_empty(), "the confirm is still running");
    assert_eq!(app.grid().cursor, BLOCKS - 2, "G then k moved the cursor");
    assert!(
        s.contains(&format!("row {}/{BLOCKS}", BLOCKS - 1)),
        "the grid shows the new row:\n{s}"
    );
    assert!(
        s.contains("confirming every staged block of big_run"),
        "the status bar says what runs in the background:\n{s}"
    );
    assert_eq!(
        app.grid().current_row().map(|r| r.status),
        Some(OverlayStatus::AiComplete),
        "the grid window fetched near the end still reads the pre-confirm snapshot"
    );

    // The result comes back through the action channel, like any worker event.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !app.jobs().is_empty() && Instant::now() < deadline {
        let a =
            rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), rx.recv()).await });
        if let Ok(Some(a)) = a {
            app.update(a);
        }
    }
    let confirm_took = pressed.elapsed();
    println!("keys handled in {keys_took:?}; confirm-all of {BLOCKS} blocks landed after {confirm_took:?}");
    assert!(app.jobs().is_empty(), "the confirm reported back");
    let after = store.get_run(&run_id).unwrap().unwrap().counters;
    assert_eq!((after.ai_complete, after.confirmed), (0, BLOCKS));
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        !is_error && msg.contains(&format!("confirmed {BLOCKS} block(s)")),
        "{msg}"
    );
    // The grid re-read after the job: the current row is confirmed on screen.
    assert_eq!(
        app.grid().current_row().map(|r| r.status),
        Some(OverlayStatus::Confirmed)
    );
    assert!(screen(&app).contains(&format!("confirmed {BLOCKS}")));
}

/// The demo workspace processed by the offline worker, and an app with a background runtime.
struct Demo {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    run_id: String,
    rt: tokio::runtime::Runtime,
    rx: tokio::sync::mpsc::Receiver<Action>,
}

fn demo_app() -> (Demo, App) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("demo.redb")).unwrap());
    let ws = Workspace::new(store.clone());
    let run = ws.populate_demo(&dir.path().join("samples")).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let session = ws
        .start_session(rt.handle(), &run.run_id, Default::default())
        .unwrap();
    let end = rt.block_on(session.done).unwrap().unwrap();
    assert_eq!(end, blockwise::workspace::RunEnd::Complete);
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
    app.update(Action::Resize(W, H));
    let demo = Demo {
        dir,
        store,
        run_id: run.run_id,
        rt,
        rx,
    };
    (demo, app)
}

/// Apply what the background sends until every job has reported.
fn drain(demo: &mut Demo, app: &mut App) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !app.jobs().is_empty() && Instant::now() < deadline {
        let rx = &mut demo.rx;
        let a = demo
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), rx.recv()).await });
        if let Ok(Some(a)) = a {
            app.update(a);
        }
    }
    assert!(app.jobs().is_empty(), "every job reported back");
}

fn status(demo: &Demo, index: u32) -> OverlayStatus {
    demo.store
        .overlay(&demo.run_id, index)
        .unwrap()
        .unwrap()
        .status
}

#[test]
fn background_jobs_land_in_the_order_the_keys_asked() {
    let (mut demo, mut app) = demo_app();
    app.handle_key(key('2'));
    // Confirm block 0, then at once try to reject it: the reject must see the confirm.
    app.handle_key(key('a'));
    // a moved on to block 1 (accept-and-next); back to block 0 and reject it, no reason.
    app.handle_key(key('k'));
    app.handle_key(key('x'));
    app.handle_key(support::tui::code(crossterm::event::KeyCode::Enter));
    drain(&mut demo, &mut app);
    assert_eq!(status(&demo, 0), OverlayStatus::Confirmed);
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(is_error && msg.contains("block 0 is confirmed"), "{msg}");
}

#[test]
fn a_prompt_waits_for_its_job_then_shows_the_refusal_or_closes() {
    let (mut demo, mut app) = demo_app();
    app.handle_key(key('2'));
    let before = demo.store.fingerprint().unwrap();
    // The JSON editor of an array field; trailing junk makes the value invalid.
    while app.grid().current_field() != Some("obligations") {
        app.handle_key(key('l'));
    }
    app.handle_key(key('e'));
    for c in "bogus_kind".chars() {
        app.handle_key(key(c));
    }
    app.handle_key(support::tui::ctrl('s'));
    // Submitted: the prompt stays open and says it is working until the job reports.
    let Some(p) = app.modal::<Prompt>() else {
        panic!("the prompt stays open while its job runs");
    };
    assert!(p.busy && p.error.is_none());
    drain(&mut demo, &mut app);
    let Some(p) = app.modal::<Prompt>() else {
        panic!("a refused edit keeps the prompt open");
    };
    assert!(!p.busy);
    assert!(
        p.error.as_deref().unwrap().contains("obligations"),
        "{:?}",
        p.error
    );
    assert!(screen(&app).contains("refused:"));
    assert_eq!(demo.store.fingerprint().unwrap(), before, "nothing saved");

    // Export from the prompt: the file exists once the job reported, and the prompt closed.
    app.handle_key(support::tui::code(crossterm::event::KeyCode::Esc));
    app.handle_key(key('E'));
    for _ in 0..60 {
        app.handle_key(support::tui::code(crossterm::event::KeyCode::Backspace));
    }
    let target = demo.dir.path().join("out.jsonl");
    for c in format!("{} staging", target.display()).chars() {
        app.handle_key(key(c));
    }
    app.handle_key(support::tui::code(crossterm::event::KeyCode::Enter));
    drain(&mut demo, &mut app);
    assert!(!app.modal_open(), "{:?}", app.message());
    let text = std::fs::read_to_string(&target).unwrap();
    let run = demo.store.get_run(&demo.run_id).unwrap().unwrap();
    assert_eq!(text.lines().count() as u32, run.counters.total);
    let (msg, is_error) = app.message().cloned().unwrap();
    assert!(
        !is_error && msg.contains("exported") && msg.contains("DEMO"),
        "{msg}"
    );
}
