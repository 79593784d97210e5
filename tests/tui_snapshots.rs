//! Snapshots of the grid and the detail view at 80x24 and 120x40 on the demo workspace (its run
//! processed by the offline demo provider). The run id is random per store, so it is replaced by
//! a fixed string of the same length before comparing.

mod support;

use blockwise::tui::App;
use crossterm::event::KeyCode;
use support::tui::{code, demo_env, key, screen, Env};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The screen with the random run id and temp dir replaced by same-length fixed text.
fn shot(env: &Env, app: &App, w: u16, h: u16) -> String {
    let dir = env._dir.path().display().to_string();
    let fixed_dir = format!("/tmp/{}", "x".repeat(dir.len().saturating_sub(5)));
    let text = screen(app, w, h)
        .replace(&env.run_id, "run_000000000000")
        .replace(&dir, &fixed_dir);
    // Packs run concurrently, so which call (#seq) answered a block varies between runs.
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

fn app(env: &Env, w: u16, h: u16) -> App {
    support::tui::grid_app(env, w, h)
}

#[test]
fn grid_and_detail_snapshots() {
    let env = demo_env(true);
    for (w, h) in SIZES {
        let mut app = app(&env, w, h);
        app.handle_key(key('j'));
        insta::assert_snapshot!(format!("grid_{w}x{h}"), shot(&env, &app, w, h));
        app.handle_key(code(KeyCode::Enter));
        insta::assert_snapshot!(format!("detail_{w}x{h}"), shot(&env, &app, w, h));
    }
}

#[test]
fn filtered_grid_snapshots() {
    let env = demo_env(true);
    for (w, h) in SIZES {
        let mut app = app(&env, w, h);
        app.handle_key(key('f'));
        let blockwise::tui::app::Modal::Filter(f) = &mut app.modal else {
            panic!("filter");
        };
        f.toggle("heading");
        app.handle_key(code(KeyCode::Enter));
        insta::assert_snapshot!(
            format!("grid_heading_filter_{w}x{h}"),
            shot(&env, &app, w, h)
        );
    }
}
