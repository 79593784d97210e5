//! The chrome around the panes: tab bar and status bar.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::App;
use super::panes::Pane;

pub fn tabs(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = vec![Span::styled(" Blockwise ", app.theme.title())];
    for (i, p) in Pane::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, p.title());
        if *p == app.pane {
            spans.push(Span::styled(label, app.theme.selection()));
        } else {
            spans.push(Span::styled(label, app.theme.fg("muted")));
        }
    }
    spans.push(Span::styled("  ? help  q quit", app.theme.fg("muted")));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status_bar(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = Vec::new();
    if app.showing_demo() {
        spans.push(Span::styled(
            " DEMO · offline demo provider, not a real model ",
            app.theme.demo(),
        ));
        spans.push(Span::raw(" "));
    }
    if !app.workers.is_empty() {
        spans.push(Span::styled(
            format!("worker ▶ {} ", app.workers.len()),
            app.theme.fg("claimed"),
        ));
    }
    if let Some((label, more)) = app.jobs.busy() {
        let more = if more > 0 {
            format!(" (+{more} queued)")
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("… {label}{more} "),
            app.theme.fg("claimed"),
        ));
    }
    spans.push(Span::styled(
        format!("{}  ", app.workspace().display()),
        app.theme.fg("muted"),
    ));
    if let Some((msg, is_error)) = &app.message {
        let style = if *is_error {
            app.theme.fg("error")
        } else {
            app.theme.fg("text")
        };
        spans.push(Span::styled(msg.clone(), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
