//! Snapshots (issue 12 "Show") at 80x24 and 120x40 on the demo workspace: the Runs, Schemas and
//! Policy panes and the help overlay as `blockwise demo` creates it (run not yet started); the
//! grid, a filtered grid and the detail view with the run processed by the offline demo provider.
//! (The Keys pane's are in tests/tui_setup.rs.) What varies between runs is masked with
//! same-width placeholders: run ids (random salt), timestamps, the temp directory's random
//! suffix and which call (`#seq`) answered a block.

mod support;

use std::sync::Arc;

use blockwise::store::Store;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{Action, App, Keymap, Theme};
use blockwise::workspace::Workspace;
use crossterm::event::KeyCode;
use support::tui::{code, demo, key, screen, Demo};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn demo_app() -> (tempfile::TempDir, App) {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::Builder::new()
        .prefix("bwsnap")
        .tempdir_in("/tmp")
        .unwrap();
    let store = Arc::new(Store::open(&dir.path().join("demo.redb")).unwrap());
    let ws = Workspace::new(store);
    ws.populate_demo(&dir.path().join("samples")).unwrap();
    let app = App::new(
        ws,
        Keymap::default_keymap(),
        Theme::with_mode(ColorMode::None),
    );
    (dir, app)
}

/// `text` with the varying parts replaced by `X`/digits of the same width.
fn masked(text: &str) -> String {
    let mut c: Vec<char> = text.chars().collect();
    let at = |c: &[char], i: usize, s: &str| {
        s.chars().enumerate().all(|(k, x)| c.get(i + k) == Some(&x))
    };
    let mut i = 0;
    while i < c.len() {
        if at(&c, i, "run_") {
            let mut j = i + 4;
            while j < c.len() && j < i + 16 && c[j].is_ascii_hexdigit() {
                c[j] = 'X';
                j += 1;
            }
        } else if at(&c, i, "bwsnap") {
            for k in c.iter_mut().skip(i + 6).take(6) {
                *k = 'X';
            }
        }
        // 2026-11-27T05:37:17Z, also when a column cut it short (`2026-11-2`).
        let date = "dddd-d";
        if date
            .chars()
            .enumerate()
            .all(|(k, p)| match (p, c.get(i + k)) {
                ('d', Some(x)) => x.is_ascii_digit(),
                (p, Some(x)) => p == *x,
                _ => false,
            })
        {
            let mut j = i;
            while j < c.len() && (c[j].is_ascii_digit() || "-T:".contains(c[j])) {
                if c[j].is_ascii_digit() {
                    c[j] = '0';
                }
                j += 1;
            }
        }
        i += 1;
    }
    c.into_iter().collect()
}

fn snap(app: &mut App, w: u16, h: u16) -> String {
    app.update(Action::Resize(w, h));
    masked(&support::tui::without_user(&screen(app, w, h)))
}

#[test]
fn runs_pane() {
    let (_dir, mut app) = demo_app();
    app.handle_key(key('1'));
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("runs_{w}x{h}"), snap(&mut app, w, h));
    }
}

#[test]
fn schemas_pane() {
    let (_dir, mut app) = demo_app();
    app.handle_key(key('3'));
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("schemas_{w}x{h}"), snap(&mut app, w, h));
    }
}

#[test]
fn policy_pane() {
    let (_dir, mut app) = demo_app();
    app.handle_key(key('4'));
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("policy_{w}x{h}"), snap(&mut app, w, h));
    }
}

#[test]
fn help_overlay() {
    let (_dir, mut app) = demo_app();
    app.handle_key(key('1'));
    app.handle_key(key('?'));
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("help_{w}x{h}"), snap(&mut app, w, h));
    }
}

/// The grid / detail screen of a processed demo run, masked: its temp dir (same length, fixed),
/// then [`masked`], then the call `#seq` (packs run concurrently, so which call answered a block
/// varies between runs).
fn shot(env: &Demo, app: &App, w: u16, h: u16) -> String {
    let dir = env.dir.path().display().to_string();
    let fixed_dir = format!("/tmp/{}", "x".repeat(dir.len().saturating_sub(5)));
    let text = masked(&screen(app, w, h).replace(&dir, &fixed_dir));
    text.lines()
        .map(|l| match l.find(" · pack ") {
            Some(at) => {
                let hash = l[..at].rfind('#').unwrap_or(at);
                format!("{}#N{}", &l[..hash], &l[at..])
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn grid_and_detail_snapshots() {
    let env = demo(true);
    for (w, h) in SIZES {
        let mut app = support::tui::grid_app(&env, w, h);
        app.handle_key(key('j'));
        insta::assert_snapshot!(format!("grid_{w}x{h}"), shot(&env, &app, w, h));
        app.handle_key(code(KeyCode::Enter));
        insta::assert_snapshot!(format!("detail_{w}x{h}"), shot(&env, &app, w, h));
    }
}

#[test]
fn filtered_grid_snapshots() {
    let env = demo(true);
    for (w, h) in SIZES {
        let mut app = support::tui::grid_app(&env, w, h);
        app.handle_key(key('f'));
        support::tui::toggle_filter(&mut app, "heading");
        app.handle_key(code(KeyCode::Enter));
        insta::assert_snapshot!(
            format!("grid_heading_filter_{w}x{h}"),
            shot(&env, &app, w, h)
        );
    }
}

#[test]
fn masking_keeps_widths_and_hides_only_what_varies() {
    let line = "│run_8f8425d6e828 at 2026-11-27T05:37:17Z in /tmp/bwsnapAb12Cd/demo.redb│";
    let m = masked(line);
    assert_eq!(m.chars().count(), line.chars().count());
    assert_eq!(
        m,
        "│run_XXXXXXXXXXXX at 0000-00-00T00:00:00Z in /tmp/bwsnapXXXXXX/demo.redb│"
    );
    assert_eq!(masked("run_abc… idle"), "run_XXX… idle");
    assert_eq!(masked("│2026-11-27T0 reviewer"), "│0000-00-00T0 reviewer");
}
