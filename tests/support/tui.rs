//! Key events and screen text for TUI tests (ratatui TestBackend).

use std::sync::Arc;

use blockwise::model::OverlayStatus;
use blockwise::store::Store;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{draw, Action, App, Keymap, Theme};
use blockwise::worker::{self, EngineOptions, RunEnd};
use blockwise::workspace::Workspace;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// A key press with no modifiers.
pub fn code(code: KeyCode) -> KeyEvent {
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

/// `ctrl-<c>`.
pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent {
        modifiers: KeyModifiers::CONTROL,
        ..key(c)
    }
}

pub fn key(c: char) -> KeyEvent {
    code(KeyCode::Char(c))
}

/// What a `width` x `height` terminal shows, one line per row.
pub fn screen(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    term.draw(|f| draw(f, app)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        // A wide character (CJK, emoji) fills two cells; the second holds nothing to print.
        let mut hidden = 0;
        for x in 0..buf.area.width {
            if hidden > 0 {
                hidden -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            hidden = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            out.push_str(symbol);
        }
        out.push('\n');
    }
    out
}

/// A demo workspace (sample document, template schemas, one demo run) in a temp dir, with a
/// runtime; `process` runs the worker to completion first (offline demo provider).
pub struct Demo {
    pub dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
    pub store: std::sync::Arc<blockwise::store::Store>,
    pub run_id: String,
    pub rt: tokio::runtime::Runtime,
}

pub fn demo(process: bool) -> Demo {
    use std::sync::Arc;
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.redb");
    let store = Arc::new(blockwise::store::Store::open(&path).expect("open store"));
    let run = blockwise::demo::populate(&store, &dir.path().join("samples")).expect("demo");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if process {
        let provider = Arc::new(blockwise::worker::connect_provider(&store, &run).expect("demo"));
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let end = rt
            .block_on(blockwise::worker::run_worker(
                store.clone(),
                provider,
                &run.run_id,
                blockwise::worker::EngineOptions::default(),
                None,
                stop_rx,
            ))
            .expect("worker");
        assert_eq!(end, blockwise::worker::RunEnd::Complete);
    }
    Demo {
        dir,
        path,
        store,
        run_id: run.run_id,
        rt,
    }
}

/// The app on `env`'s store, sized `width` x `height`, with the grid in front.
pub fn grid_app(env: &Demo, width: u16, height: u16) -> App {
    let mut app = App::new(
        Workspace::new(env.store.clone()),
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    app.update(Action::Resize(width, height));
    app.handle_key(key('2'));
    app
}

/// The stored status of block `index` of `env`'s run.
pub fn status(env: &Demo, index: u32) -> OverlayStatus {
    env.store
        .overlay(&env.run_id, index)
        .unwrap()
        .unwrap()
        .status
}

/// What a screen shows with the OS account running the tests (schema owners, audit entries, the
/// admin in the Policy title) replaced by `<user>`, so snapshots pass for any account. Each
/// line keeps its width: the difference is taken from (or given to) the first run of padding
/// (spaces or `─`) after the name. Wrapping that depends on the name's length (a
/// name longer than about 11 characters in the 80-column schema preview) is not undone.
pub fn without_user(screen: &str) -> String {
    without_name(screen, &blockwise::policy::current_user(), "<user>")
}

/// `screen` with the word `name` replaced by `placeholder`, each line keeping its width.
pub fn without_name(screen: &str, name: &str, placeholder: &str) -> String {
    use unicode_width::UnicodeWidthStr;
    if name.is_empty() {
        return screen.to_string();
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '.';
    let mut out = String::new();
    for line in screen.split_inclusive('\n') {
        let mut l = line.to_string();
        let mut from = 0;
        while let Some(i) = l[from..].find(name).map(|i| i + from) {
            let end = i + name.len();
            let alone = !l[..i].chars().next_back().is_some_and(is_word)
                && !l[end..].chars().next().is_some_and(is_word);
            if !alone {
                from = end;
                continue;
            }
            l.replace_range(i..end, placeholder);
            from = i + placeholder.len();
            let grow = placeholder.width() as isize - name.width() as isize;
            // Take from padding that keeps a space after; give to padding (2+), not to the one
            // space between two words.
            let min = if grow > 0 { grow as usize + 1 } else { 2 };
            if let Some((at, fill)) = padding_after(&l, from, min) {
                if grow > 0 {
                    l.replace_range(at..at + grow as usize * fill.len_utf8(), "");
                } else {
                    let extra: String = std::iter::repeat_n(fill, (-grow) as usize).collect();
                    l.insert_str(at, &extra);
                }
            }
        }
        out.push_str(&l);
    }
    out
}

/// Byte offset and character of the first run of at least `min` spaces or `─` at or after `from`.
fn padding_after(l: &str, from: usize, min: usize) -> Option<(usize, char)> {
    let mut run: Option<(usize, char, usize)> = None;
    for (i, c) in l[from..].char_indices() {
        let i = i + from;
        match run {
            Some((at, f, n)) if c == f => {
                if n + 1 >= min {
                    return Some((at, f));
                }
                run = Some((at, f, n + 1));
            }
            _ if c == ' ' || c == '─' => run = Some((i, c, 1)),
            _ => run = None,
        }
    }
    None
}

/// In the open filter, walk the cursor to the box named `label` and toggle it with space.
pub fn toggle_filter(app: &mut App, label: &str) {
    let f = app
        .modal::<blockwise::tui::modals::FilterPicker>()
        .expect("the filter is open");
    let (from, to) = (f.cursor, f.position(label).expect("a filter box"));
    let step = if to >= from { 'j' } else { 'k' };
    for _ in 0..from.abs_diff(to) {
        app.handle_key(key(step));
    }
    app.handle_key(key(' '));
}

/// In the Runs pane, walk the cursor to `run_id` with j / k.
pub fn select_run(app: &mut App, run_id: &str) {
    let pane = app.runs();
    let to = pane
        .runs
        .iter()
        .position(|r| r.run_id == run_id)
        .expect("run listed");
    let (from, step) = (pane.cursor, if to >= pane.cursor { 'j' } else { 'k' });
    for _ in 0..from.abs_diff(to) {
        app.handle_key(key(step));
    }
}
