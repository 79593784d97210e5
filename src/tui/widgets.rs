//! The chrome around the panes: tab bar and status bar.

use crate::model::sanitize_line;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::App;
use super::panes::Pane;

const BRAND: &str = " Blockwise ";

fn tab_label(i: usize, pane: Pane) -> String {
    format!(" {} {} ", i + 1, pane.title())
}

/// The tab under column `x` of the tab bar (a click there switches pane).
pub fn tab_at(x: u16) -> Option<Pane> {
    let mut start = BRAND.len() as u16;
    for (i, p) in Pane::ALL.iter().enumerate() {
        let end = start + tab_label(i, *p).len() as u16;
        if (start..end).contains(&x) {
            return Some(*p);
        }
        start = end;
    }
    None
}

pub fn tabs(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = vec![Span::styled(BRAND, app.theme.title())];
    for (i, p) in Pane::ALL.iter().enumerate() {
        let label = tab_label(i, *p);
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
    // The message before the store path: when the row is too narrow for both, the path (the
    // same all session) is what gets cut, not the outcome the user just asked for.
    if let Some((msg, is_error)) = &app.message {
        let style = if *is_error {
            app.theme.fg("error")
        } else {
            app.theme.fg("text")
        };
        spans.push(Span::styled(format!("{}  ", sanitize_line(msg)), style));
    }
    spans.push(Span::styled(
        app.workspace().display().to_string(),
        app.theme.fg("muted"),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The key hints of the focused pane or open dialog, generated from the keymap, cut to width.
pub fn hints(frame: &mut Frame, area: Rect, app: &App) {
    // The schema studio draws its own hint line inside its screens.
    if matches!(app.modal, super::modals::Modal::Studio(_)) {
        return;
    }
    if matches!(app.modal, super::modals::Modal::Help(_)) {
        let line = " j/k pageup/pagedown scroll · any other key closes the help";
        frame.render_widget(
            Paragraph::new(Span::styled(line, app.theme.fg("muted"))),
            area,
        );
        return;
    }
    // `?` and `q` (the last hints) always show; the pane's own fill the room before them.
    let all = app.keymap.hints(app.context());
    let split = all
        .iter()
        .position(|(_, h)| *h == "help" || *h == "quit")
        .unwrap_or(all.len());
    let (own, global) = all.split_at(split);
    let piece = |(keys, hint): &(String, &str)| {
        [
            Span::styled(format!(" {keys}"), app.theme.fg("staged")),
            Span::styled(format!(" {hint} "), app.theme.fg("muted")),
        ]
    };
    let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    let tail: Vec<Span> = global.iter().flat_map(piece).collect();
    let room = (area.width as usize).saturating_sub(width(&tail) + 1);
    let mut spans = Vec::new();
    for h in own {
        let p = piece(h);
        if width(&spans) + width(&p) > room {
            spans.push(Span::styled("…", app.theme.fg("muted")));
            break;
        }
        spans.extend(p);
    }
    spans.extend(tail);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A bordered list table with `title`, the `cursor` row highlighted and kept in view; `offset`
/// carries the first row shown from frame to frame so moving up does not jump the window.
pub fn list_table(
    frame: &mut Frame,
    area: Rect,
    table: ratatui::widgets::Table,
    title: &str,
    theme: &super::theme::Theme,
    cursor: Option<usize>,
    offset: &std::cell::Cell<usize>,
) {
    let title = cut_to_width(title, area.width.saturating_sub(2) as usize);
    let table = table.row_highlight_style(theme.selection()).block(
        ratatui::widgets::Block::default()
            .borders(ratatui::widgets::Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(title, theme.title())),
    );
    let mut state = ratatui::widgets::TableState::default()
        .with_offset(offset.get())
        .with_selected(cursor);
    frame.render_stateful_widget(table, area, &mut state);
    offset.set(state.offset());
}

/// A dialog's list of `items` in a bordered box at `rect` (cleared first) with `title` cut to
/// its width, the `cursor` item highlighted and kept in view (a long list scrolls).
pub fn list_dialog(
    frame: &mut Frame,
    rect: Rect,
    items: Vec<ratatui::widgets::ListItem>,
    title: &str,
    theme: &super::theme::Theme,
    cursor: usize,
) {
    frame.render_widget(ratatui::widgets::Clear, rect);
    let title = cut_to_width(title, rect.width.saturating_sub(2) as usize);
    let mut state = ratatui::widgets::ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        ratatui::widgets::List::new(items)
            .highlight_style(theme.selection())
            .block(
                ratatui::widgets::Block::default()
                    .borders(ratatui::widgets::Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(title, theme.title())),
            ),
        rect,
        &mut state,
    );
}

/// Text from documents, schemas, files and errors through the one terminal sanitizer
/// ([`crate::model::sanitize`]): control characters become visible stand-ins, line feeds and
/// tabs stay.
pub fn safe(s: &str) -> String {
    crate::model::sanitize(s).into_owned()
}

/// `s` on one line through the one terminal sanitizer ([`crate::model::sanitize_line`]): text
/// from documents, models and errors never moves the cursor or retitles the terminal.
pub fn inert(s: &str) -> String {
    sanitize_line(s).into_owned()
}

/// `s` cut to at most `width` terminal columns, by display width (CJK and emoji take two),
/// never splitting a grapheme, with `…` when something was cut. It is sanitized first, so a cut
/// never leaves half an escape sequence on screen.
pub fn cut_to_width(s: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    use unicode_width::UnicodeWidthStr;
    if width == 0 {
        return String::new();
    }
    let clean = sanitize_line(s);
    if clean.width() <= width {
        return clean.into_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in clean.graphemes(true) {
        let w = g.width();
        if used + w > width - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::cut_to_width;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn cuts_by_display_width_with_an_ellipsis() {
        assert_eq!(cut_to_width("short", 10), "short");
        assert_eq!(cut_to_width("exactly10!", 10), "exactly10!");
        assert_eq!(cut_to_width("a longer line", 6), "a lon…");
        // CJK: two columns each; never a half character.
        assert_eq!(cut_to_width("契約書の条項", 7), "契約書…");
        assert_eq!(cut_to_width("契約書の条項", 7).width(), 7);
        assert_eq!(cut_to_width("契約書の条項", 6).width(), 5);
        // An emoji ZWJ sequence is one grapheme: kept whole or dropped whole.
        let family = "👨‍👩‍👧 family";
        let cut = cut_to_width(family, 4);
        assert!(cut.starts_with("👨‍👩‍👧") && cut.ends_with('…'), "{cut}");
        assert!(cut.width() <= 4);
        assert_eq!(
            cut_to_width(family, 2),
            "…",
            "the emoji does not fit beside the ellipsis"
        );
        assert_eq!(cut_to_width("anything", 0), "");
        assert_eq!(cut_to_width("anything", 1), "…");
    }

    #[test]
    fn control_bytes_never_reach_the_screen() {
        let cut = cut_to_width("a\x1b[2Jb\x07", 20);
        assert!(!cut.chars().any(char::is_control), "{cut:?}");
        assert_eq!(cut, "a␛[2Jb␇");
        assert_eq!(super::inert("x\ny\u{9b}"), "x␊y<U+009B>");
    }
}
