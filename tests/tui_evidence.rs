//! Issue 27 in the TUI (TestBackend, real redb store, the offline demo provider): the detail
//! view's grounded spans, the needs-a-look order and filter (`L`), `A`'s "confirm only the
//! clean ones", the compare view (`m` `m` `C`, `]`, `2`) and a gold score in the Runs pane.

mod support;

use std::sync::Arc;

use blockwise::model::{OverlayStatus, SpanKind};
use blockwise::review::{self, Selection, Target};
use blockwise::schema::{self, SaveRequest};
use blockwise::store::Store;
use blockwise::tui::modals::{Ask, CompareView};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{draw, Action, App, Keymap, Theme};
use blockwise::workspace::Workspace;
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use ratatui::Terminal;
use serde_json::json;
use support::tui::{code, key, screen, select_run};

const USER: &str = "reviewer";

/// Block 1 holds CJK, an emoji, a combining mark and an escape sequence; the others are plain.
fn paragraphs() -> Vec<String> {
    let mut p: Vec<String> = (0..8)
        .map(|i| format!("Paragraph {i} names clause c{i}a and term t{i}b plainly."))
        .collect();
    p[1] = "東京の契約 👩‍💻 cafe\u{301} terms \u{1b}[2J apply here today".into();
    p
}

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    conv: String,
    rt: tokio::runtime::Runtime,
}

fn setup() -> Env {
    std::env::set_var("BLOCKWISE_USER", USER);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
    blockwise::policy::ensure_workspace_admin_as(&store, USER).unwrap();
    let doc = dir.path().join("doc.md");
    std::fs::write(&doc, paragraphs().join("\n\n") + "\n").unwrap();
    let ws = Workspace::new(store.clone());
    let limits = ws.ingest_limits().unwrap();
    let conv = ws.ingest(&doc, limits).unwrap().document.conv_uid;
    let schema = json!({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["fact", "claim", "other"]},
        "quote": {"type": "string", "x-grounded": true}
    }});
    schema::save(&store, SaveRequest::new(schema, Some("s".into()), USER)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    Env {
        _dir: dir,
        store,
        conv,
        rt,
    }
}

impl Env {
    /// A demo run of schema `s` worked to the end; its id.
    fn worked_run(&self) -> String {
        let opts = blockwise::worker::CreateRunOptions {
            provider: Some("demo".into()),
            ..Default::default()
        };
        let run = blockwise::worker::create_run(&self.store, &self.conv, "s", &opts).unwrap();
        let provider = Arc::new(blockwise::worker::connect_provider(&self.store, &run).unwrap());
        let (_stop, rx) = tokio::sync::watch::channel(false);
        let end = self
            .rt
            .block_on(blockwise::worker::run_worker(
                self.store.clone(),
                provider,
                &run.run_id,
                blockwise::worker::EngineOptions::default(),
                None,
                rx,
            ))
            .unwrap();
        assert_eq!(end, blockwise::worker::RunEnd::Complete);
        run.run_id
    }

    fn app(&self, width: u16, height: u16) -> App {
        let mut app = App::new(
            Workspace::new(self.store.clone()),
            Keymap::default_keymap(),
            Theme::with_mode(ColorMode::None),
        );
        app.update(Action::Resize(width, height));
        app
    }

    fn edit(&self, run: &str, index: u32, field: &str, text: &str) {
        review::edit(&self.store, run, index, field, text, USER).unwrap();
    }

    fn status(&self, run: &str, index: u32) -> OverlayStatus {
        self.store.overlay(run, index).unwrap().unwrap().status
    }

    fn value(&self, run: &str, index: u32, field: &str) -> serde_json::Value {
        let ov = self.store.overlay(run, index).unwrap().unwrap();
        ov.status.shown(ov.confirmed, ov.staging).value().unwrap()[field].clone()
    }
}

/// Open `run`'s grid with the cursor on block `index`.
fn open_grid(app: &mut App, run: &str, index: u32) {
    app.handle_key(key('1'));
    select_run(app, run);
    app.handle_key(code(KeyCode::Enter));
    for _ in 0..index {
        app.handle_key(key('j'));
    }
}

#[test]
fn the_detail_view_marks_the_grounded_span_in_cjk_text_and_shows_no_escape() {
    let env = setup();
    let run = env.worked_run();
    let ov = env.store.overlay(&run, 1).unwrap().unwrap();
    let span = ov.evidence.as_ref().expect("grounded")[0].clone();
    assert_eq!(span.kind, SpanKind::Exact, "{span:?}");
    let quote = ov.staging.as_ref().unwrap()["quote"]
        .as_str()
        .unwrap()
        .to_string();
    let mut app = env.app(120, 40);
    open_grid(&mut app, &run, 1);
    app.handle_key(code(KeyCode::Enter));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| draw(f, &app)).unwrap();
    let buf = term.backend().buffer().clone();
    let s = screen(&app, 120, 40);
    println!("{s}");
    assert!(!s.contains('\u{1b}'), "an escape reached the screen");
    let (a, b) = (span.start.unwrap(), span.end.unwrap());
    assert!(
        s.contains(&format!("quote exact bytes {a}-{b}")),
        "the span is listed with its kind:\n{s}"
    );
    // The cells that show the quote's first word are underlined and reversed; the word before
    // the quote in the block is not.
    let first = quote.split_whitespace().next().unwrap();
    let marked = |word: &str| -> Option<bool> {
        for y in 0..buf.area.height {
            // A wide character fills two cells: keep the x of each character's first cell.
            let (mut row, mut xs, mut hidden) = (String::new(), Vec::new(), 0);
            for x in 0..buf.area.width {
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                hidden = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
                xs.extend(std::iter::repeat_n(x, sym.len()));
                row.push_str(sym);
            }
            if let Some(at) = row.find(word) {
                let m = buf[(xs[at], y)].modifier;
                return Some(m.contains(Modifier::REVERSED | Modifier::UNDERLINED));
            }
        }
        None
    };
    assert_eq!(
        marked(first),
        Some(true),
        "the quote's first word {first:?} is marked"
    );
    let block = &paragraphs()[1];
    let before = block[..a as usize].split_whitespace().last();
    if let Some(word) = before.filter(|w| w.is_ascii()) {
        assert_eq!(
            marked(word),
            Some(false),
            "{word:?} (before the quote) is not marked"
        );
    }
}

#[test]
fn l_puts_what_needs_a_look_first_then_only_it_and_a_confirms_only_the_clean_ones() {
    let env = setup();
    let run = env.worked_run();
    // A quote no block holds: grounded `none` once the edit is grounded again.
    env.edit(&run, 5, "quote", "words that appear in no block");
    let kinds: Vec<SpanKind> = env
        .store
        .overlay(&run, 5)
        .unwrap()
        .unwrap()
        .evidence
        .unwrap()
        .iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(kinds, vec![SpanKind::None]);
    let mut app = env.app(120, 40);
    open_grid(&mut app, &run, 0);
    app.handle_key(key('L'));
    assert_eq!(app.grid().index_at(0), 5, "block 5 comes first");
    assert_eq!(app.grid().index_at(1), 0, "then every other block in order");
    let total = app.grid().total();
    assert_eq!(total, paragraphs().len() as u32);
    let s = screen(&app, 120, 40);
    assert!(s.contains("[needs a look first: 1 need a look"), "{s}");
    app.handle_key(key('L'));
    assert_eq!(app.grid().total(), 1, "only what needs a look");
    assert_eq!(app.grid().index(), 5);
    app.handle_key(key('L'));
    assert_eq!(app.grid().total(), total, "block order again");
    assert!(app.grid().look.is_none());
    // A offers every staged block or only the clean ones, both counted.
    app.handle_key(key('A'));
    let ask = app.modal::<Ask>().expect("A asks first");
    assert!(ask.other.is_some(), "a second answer is offered");
    let s = screen(&app, 120, 40);
    println!("{s}");
    let clean = total - 1;
    assert!(s.contains("1 need a look"), "{s}");
    assert!(
        s.contains(&format!("c: confirm only the {clean} clean ones")),
        "{s}"
    );
    app.handle_key(key('c'));
    assert_eq!(
        env.status(&run, 5),
        OverlayStatus::AiComplete,
        "the one to look at waits"
    );
    for i in (0..total).filter(|&i| i != 5) {
        assert_eq!(env.status(&run, i), OverlayStatus::Confirmed, "block {i}");
    }
}

#[test]
fn c_on_two_marked_runs_shows_the_disagreement_side_by_side_and_2_takes_bs_value() {
    let env = setup();
    let a = env.worked_run();
    let b = env.worked_run();
    let other = if env.value(&a, 3, "label") == json!("claim") {
        "fact"
    } else {
        "claim"
    };
    env.edit(&b, 3, "label", other);
    let mut app = env.app(120, 40);
    select_run(&mut app, &a);
    app.handle_key(key('m'));
    select_run(&mut app, &b);
    app.handle_key(key('m'));
    assert_eq!(app.runs().marks.marked, vec![a.clone(), b.clone()]);
    app.handle_key(key('C'));
    let view = app
        .modal::<CompareView>()
        .expect("C opens the compare view");
    assert_eq!(view.field_name(), "label", "the first field that differs");
    assert_eq!(view.pair.as_ref().unwrap().index, 3);
    let s = screen(&app, 120, 40);
    println!("{s}");
    assert!(s.contains("block 3 · disagreement 1 of 1"), "{s}");
    assert!(
        s.contains(&format!("{{+{other}+}}")),
        "B's word is marked added:\n{s}"
    );
    assert!(s.contains("normalized 87.5%"), "7 of 8 agree:\n{s}");
    assert!(!s.contains('\u{1b}'));
    // ] wraps to the only disagreement; 2 takes B's value into A (a logged review edit).
    app.handle_key(key(']'));
    app.handle_key(key('2'));
    assert_eq!(env.value(&a, 3, "label"), json!(other));
    let ov = env.store.overlay(&a, 3).unwrap().unwrap();
    assert!(ov.edited, "a draft edit: the model's answer is kept");
    let s = screen(&app, 120, 40);
    assert!(s.contains("[-") || s.contains(other), "{s}");
    app.handle_key(code(KeyCode::Esc));
    assert!(app.modal::<CompareView>().is_none());
    // The grid of A now marks nothing as differing from B on block 3.
    assert_eq!(
        app.grid().against.as_ref().map(|x| x.run_id.clone()),
        Some(b.clone())
    );
}

#[test]
fn a_gold_run_scores_the_selected_run_in_the_runs_pane_and_l_puts_its_misses_first() {
    let env = setup();
    let cand = env.worked_run();
    let gold = env.worked_run();
    let other = if env.value(&gold, 2, "label") == json!("claim") {
        "fact"
    } else {
        "claim"
    };
    env.edit(&gold, 2, "label", other);
    // Only confirmed gold blocks count: confirm 0..=3 of the gold run.
    let target = Target::Blocks(Selection::from_indices(0..4));
    review::confirm(&env.store, &gold, &target, USER).unwrap();
    let mut app = env.app(120, 40);
    select_run(&mut app, &gold);
    app.handle_key(key('*'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("this is the gold run"), "{s}");
    select_run(&mut app, &cand);
    let s = screen(&app, 120, 40);
    println!("{s}");
    assert!(s.contains("gold   vs "), "{s}");
    assert!(
        s.contains("label 75.0% (3/4)"),
        "3 of the 4 confirmed labels match:\n{s}"
    );
    assert!(s.contains("1 block(s) wrong"), "{s}");
    // At 80x24 the line is there too (cut, never wrapped over the usage line).
    assert!(
        screen(&app, 80, 24).contains("gold "),
        "{}",
        screen(&app, 80, 24)
    );
    app.handle_key(code(KeyCode::Enter));
    app.handle_key(key('L'));
    assert_eq!(
        app.grid().index_at(0),
        2,
        "the block that differs from gold comes first"
    );
    // * again: no gold run, no score line.
    app.handle_key(key('1'));
    select_run(&mut app, &gold);
    app.handle_key(key('*'));
    select_run(&mut app, &cand);
    assert!(!screen(&app, 120, 40).contains("gold   vs "));
}
