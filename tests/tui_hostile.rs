//! Hostile bytes (`\x1b[2J`, `\x1b]0;t\x07`, BEL, C1 CSI, bidi override) in block content, in a
//! schema field name, in an enum member and in a document title, through every screen of the
//! grid that shows them: grid, detail, edit prompt, enum picker, new-run picker, reject prompt,
//! titles and the status bar. The backend buffer must hold only visible, inert text, and the
//! stand-ins must be there (the text was shown, not dropped).

mod support;

use std::sync::Arc;

use blockwise::ingest::{ingest_path, IngestLimits};
use blockwise::model::{OverlayStatus, ProviderKind};
use blockwise::schema::{save, SaveRequest};
use blockwise::store::Store;
use blockwise::tui::modals::{EnumPicker, Prompt};
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{draw, Action, App, Keymap, Theme};
use blockwise::workspace::{CreateRunOptions, Workspace};
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;
use support::tui::{code, key};

const FIELD: &str = "verdict\x1b[2J";
const NOTE: &str = "note\x1b]0;t\x07";
const MEMBER: &str = "ok\x1b]0;pwned\x07";

/// Render and check every cell: no control character, no bidi override; return the text.
fn inert_screen(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw(f, app)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            let sym = buf[(x, y)].symbol();
            assert!(
                !sym.chars()
                    .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                "control character {sym:?} at ({x},{y}):\n{out}"
            );
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

#[test]
fn control_bytes_reach_the_buffer_only_as_visible_stand_ins() {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
    let doc_path = dir.path().join("evil.md");
    std::fs::write(
        &doc_path,
        "# Title \x1b]0;t\x07 evil\n\nPara \x1b[2J clears, \x1b[31mred\x1b[0m, bell \x07, \
         C1 \u{9b}31m and \u{202e}reversed.\n\nSecond paragraph.\n",
    )
    .unwrap();
    let doc = ingest_path(&store, &doc_path, IngestLimits::default())
        .unwrap()
        .document;
    let schema = json!({
        "type": "object",
        "properties": {
            FIELD: {"type": "string", "enum": [MEMBER, "bad"]},
            NOTE: {"type": "string"}
        }
    });
    let schema = save(
        &store,
        SaveRequest::new(schema, Some("evil".into()), "reviewer"),
    )
    .unwrap()
    .schema()
    .clone();
    let ws = Workspace::new(store.clone());
    let run = ws
        .create_run(
            &doc.conv_uid,
            &schema.schema_ref,
            &CreateRunOptions {
                provider: Some(ProviderKind::Demo.as_str().into()),
                ..Default::default()
            },
        )
        .unwrap();
    // Stage every block with hostile values, as a worker would.
    store
        .with_run(&run.run_id, |rt| {
            for i in 0..rt.run.counters.total {
                let mut ov = rt.overlay(i)?.unwrap();
                let v = json!({FIELD: MEMBER, NOTE: "say \x1b[2J\x07 hi"});
                ov.status = OverlayStatus::AiComplete;
                ov.staging = Some(v.clone());
                ov.model_output = Some(v);
                rt.put_overlay(&ov)?;
            }
            Ok::<_, blockwise::store::StoreError>(())
        })
        .unwrap();

    let mut app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        app.update(Action::Resize(w, h));
        app.handle_key(key('2'));
        app.handle_key(key('g'));
        // The text field is the schema's second: move there (at 80 columns only one shows).
        app.handle_key(key('l'));
        // Grid: header (field name), content and values.
        let s = inert_screen(&app, w, h);
        assert!(s.contains("note␛]0;t␇"), "field name shown inert:\n{s}");
        assert!(s.contains("␛"), "{s}");
        // Detail view: content with its neighbours, the value, the title.
        app.handle_key(key('j'));
        app.handle_key(code(KeyCode::Enter));
        let s = inert_screen(&app, w, h);
        assert!(
            s.contains("␛[2J clears") && s.contains("␇"),
            "content shown inert:\n{s}"
        );
        assert!(s.contains("<U+009B>") || w == 80, "{s}");
        app.handle_key(code(KeyCode::Esc));
        // One-line edit prompt on the text field: title (field name) and value.
        app.handle_key(key('e'));
        assert!(app.modal::<Prompt>().is_some());
        let s = inert_screen(&app, w, h);
        assert!(
            s.contains("note␛]0;t␇") && s.contains("say ␛[2J␇ hi"),
            "{s}"
        );
        app.handle_key(code(KeyCode::Esc));
        // Enum picker on the other (first) field: its name in the title, the members.
        app.handle_key(key('h'));
        app.handle_key(key('e'));
        assert!(app.modal::<EnumPicker>().is_some());
        let s = inert_screen(&app, w, h);
        assert!(
            s.contains("ok␛]0;pwned␇") && s.contains("verdict␛[2J"),
            "{s}"
        );
        app.handle_key(code(KeyCode::Esc));
        // Reject prompt title, then the new-run form showing the document title.
        app.handle_key(key('x'));
        inert_screen(&app, w, h);
        app.handle_key(code(KeyCode::Esc));
        app.handle_key(key('1'));
        app.handle_key(key('n'));
        let s = inert_screen(&app, w, h);
        assert!(
            s.contains("Title ␛]0;t␇ evil"),
            "document title shown inert:\n{s}"
        );
        app.handle_key(code(KeyCode::Esc));
    }
}
