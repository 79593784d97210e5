//! The chrome around the tab: tab bar, key-hint line and status bar.

use crate::model::sanitize_line;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::app::App;
use crate::tui::kit::tab::{tab_label, BRAND};
use crate::tui::kit::{Hints, Pane};

pub fn tabs(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = vec![Span::styled(BRAND, app.theme().title())];
    for (i, p) in Pane::ALL.iter().enumerate() {
        let label = tab_label(i, *p);
        if *p == app.pane() {
            spans.push(Span::styled(label, app.theme().selection()));
        } else {
            spans.push(Span::styled(label, app.theme().fg("muted")));
        }
    }
    // The help reminder as far as it fits after the tabs (the help itself lists q).
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let room = usize::from(area.width).saturating_sub(used);
    let tail = ["  ? help  q quit", "  ? help", ""]
        .into_iter()
        .find(|t| t.len() <= room)
        .unwrap_or("");
    spans.push(Span::styled(tail, app.theme().fg("muted")));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status_bar(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = Vec::new();
    if app.showing_demo() {
        spans.push(Span::styled(
            " DEMO · offline demo provider, not a real model ",
            app.theme().demo(),
        ));
        spans.push(Span::raw(" "));
    }
    if !app.workers().is_empty() {
        spans.push(Span::styled(
            format!("worker ▶ {} ", app.workers().len()),
            app.theme().fg("claimed"),
        ));
    }
    if let Some((label, more)) = app.jobs().busy() {
        let more = if more > 0 {
            format!(" (+{more} queued)")
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("… {label}{more} "),
            app.theme().fg("claimed"),
        ));
    }
    // The message before the store path: when the row is too narrow for both, the path (the
    // same all session) is what gets cut, not the outcome the user just asked for.
    if let Some((msg, is_error)) = app.message() {
        let style = if *is_error {
            app.theme().fg("error")
        } else {
            app.theme().fg("text")
        };
        spans.push(Span::styled(format!("{}  ", sanitize_line(msg)), style));
    }
    spans.push(Span::styled(
        app.workspace().display().to_string(),
        app.theme().fg("muted"),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The key hints of the focused pane or open dialog, generated from the keymap, cut to width.
pub fn hints(frame: &mut Frame, area: Rect, app: &App) {
    match app.top_modal().map(|m| m.hints()) {
        Some(Hints::Own) => return,
        Some(Hints::Line(line)) => {
            frame.render_widget(
                Paragraph::new(Span::styled(line, app.theme().fg("muted"))),
                area,
            );
            return;
        }
        Some(Hints::Keymap) | None => {}
    }
    // `?` and `q` (the last hints) always show; the pane's own fill the room before them.
    let all = app.keymap().hints(app.context());
    let split = all
        .iter()
        .position(|(_, h)| *h == "help" || *h == "quit")
        .unwrap_or(all.len());
    let (own, global) = all.split_at(split);
    let piece = |(keys, hint): &(String, &str)| {
        [
            Span::styled(format!(" {keys}"), app.theme().fg("staged")),
            Span::styled(format!(" {hint} "), app.theme().fg("muted")),
        ]
    };
    let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    let tail: Vec<Span> = global.iter().flat_map(piece).collect();
    let room = (area.width as usize).saturating_sub(width(&tail) + 1);
    let mut spans = Vec::new();
    for h in own {
        let p = piece(h);
        if width(&spans) + width(&p) > room {
            spans.push(Span::styled("…", app.theme().fg("muted")));
            break;
        }
        spans.extend(p);
    }
    spans.extend(tail);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
