//! Themes (issue 12 item 9) through the real draw code into a TestBackend buffer: the chosen
//! theme's colours reach the cells, and the 16-colour fallback emits only ANSI colours.

use std::sync::Arc;

use blockwise::store::Store;
use blockwise::tui::theme::ColorMode;
use blockwise::tui::{draw, Action, App, Keymap, Theme};
use blockwise::workspace::Workspace;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;

fn buffer(theme: Theme) -> Buffer {
    std::env::set_var("BLOCKWISE_USER", "reviewer");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("demo.redb")).unwrap());
    blockwise::demo::populate(&store, &dir.path().join("samples")).unwrap();
    let mut app = App::new(Workspace::new(store), Keymap::default_keymap(), theme);
    app.update(Action::Resize(120, 40));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| draw(f, &app)).unwrap();
    term.backend().buffer().clone()
}

/// The foreground of the last cell of the first `text` on the screen (ASCII text).
fn fg_of(buf: &Buffer, text: &str) -> Option<Color> {
    let w = buf.area.width;
    for y in 0..buf.area.height {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(at) = line.find(text) {
            let col = line[..at].chars().count() + text.len() - 1;
            return Some(buf[(col as u16, y)].fg);
        }
    }
    None
}

#[test]
fn light_and_high_contrast_colours_reach_the_screen() {
    for name in ["light", "high-contrast"] {
        let theme = Theme::named(name, ColorMode::Rgb).unwrap();
        let idle = theme.fg("text").fg;
        let buf = buffer(theme);
        assert_eq!(
            fg_of(&buf, "state  idle"),
            idle,
            "theme {name}: the idle state uses its text colour"
        );
    }
    let light = fg_of(
        &buffer(Theme::named("light", ColorMode::Rgb).unwrap()),
        "state  idle",
    );
    let dark = fg_of(&buffer(Theme::with_mode(ColorMode::Rgb)), "state  idle");
    assert_ne!(light, dark);
}

#[test]
fn the_16_colour_fallback_and_no_color_emit_no_rgb_or_indexed_colours() {
    let buf = buffer(Theme::named("default", ColorMode::Basic).unwrap());
    let mut seen = 0;
    for cell in buf.content() {
        for c in [cell.fg, cell.bg] {
            assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
            seen += usize::from(c != Color::Reset);
        }
    }
    assert!(seen > 0, "the fallback still has colour");
    let buf = buffer(Theme::named("light", ColorMode::None).unwrap());
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "NO_COLOR: no colour at all"
    );
}
