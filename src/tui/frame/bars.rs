//! The chrome around the tab: tab bar, key-hint line and status bar.

use crate::model::sanitize_line;
use crate::tui::kit::text::cut_to_width;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

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

/// The status bar: the last message comes first in priority. When the row cannot hold it and
/// the rest, the demo badge shortens and the store path goes; a message still too long is cut
/// with a pointer to `M`, where it reads in full.
pub fn status_bar(frame: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let theme = app.theme();
    let message = app.message().map(|(msg, is_error)| {
        let style = if *is_error {
            theme.fg("error")
        } else {
            theme.fg("text")
        };
        (sanitize_line(msg).into_owned(), style)
    });
    let msg_width = message.as_ref().map_or(0, |(m, _)| m.width());
    let mut lead = lead_spans(app, false);
    let path = app.workspace().display().to_string();
    let fits = |lead: &[Span]| lead.iter().map(Span::width).sum::<usize>() + msg_width <= width;
    if !fits(&lead) {
        lead = lead_spans(app, true);
    }
    let mut spans = lead;
    if let Some((msg, style)) = message {
        let room = width.saturating_sub(spans.iter().map(Span::width).sum::<usize>());
        if msg.width() <= room {
            spans.push(Span::styled(format!("{msg}  "), style));
        } else {
            let cut = cut_to_width(&msg, room.saturating_sub(MORE.width()));
            spans.push(Span::styled(cut, style));
            spans.push(Span::styled(MORE, theme.fg("staged")));
        }
    }
    spans.push(Span::styled(path, theme.fg("muted")));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Where a cut message says the rest is.
const MORE: &str = " M: all";

/// The badges before the message: demo, workers, the busy job (`short`: as few columns as
/// they can take).
fn lead_spans(app: &App, short: bool) -> Vec<Span<'static>> {
    let theme = app.theme();
    let mut spans = Vec::new();
    if app.showing_demo() {
        let badge = if short {
            " DEMO "
        } else {
            " DEMO · offline demo provider, not a real model "
        };
        spans.push(Span::styled(badge, theme.demo()));
        spans.push(Span::raw(" "));
    }
    if !app.workers().is_empty() {
        spans.push(Span::styled(
            format!("worker ▶ {} ", app.workers().len()),
            theme.fg("claimed"),
        ));
    }
    if let Some((label, more)) = app.jobs().busy() {
        let more = if more > 0 && !short {
            format!(" (+{more} queued)")
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("… {label}{more} "),
            theme.fg("claimed"),
        ));
    }
    spans
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
    let mut all = app.keymap().hints(app.context());
    // Enter says what it does in this dialog (search, apply, reject, ...), not always "save".
    if let Some(label) = app.top_modal().and_then(|m| m.submit_label()) {
        for (_, hint) in all.iter_mut().filter(|(_, h)| *h == "save") {
            *hint = label;
        }
    }
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
