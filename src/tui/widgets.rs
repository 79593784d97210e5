//! Small widgets: tab bar, status bar, help overlay (from the keymap), prompt, picker.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, Pane, Picker, Prompt};
use crate::model::{sanitize, sanitize_line};

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
        spans.push(Span::styled(sanitize_line(msg).into_owned(), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Every binding of the keymap, grouped by context, flowed into as many columns as needed.
pub fn help(frame: &mut Frame, area: Rect, app: &App) {
    let mut lines = Vec::new();
    for (context, bindings) in app.keymap.help() {
        lines.push(Line::from(Span::styled(
            format!("[{context}]"),
            app.theme.title(),
        )));
        for (keys, desc) in bindings {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16}"), app.theme.fg("staged")),
                Span::raw(desc),
            ]));
        }
    }
    let rect = centered(area, area.width.saturating_sub(4), area.height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border())
        .title(Span::styled(
            " Keys (from keymap.toml; any key closes) ",
            app.theme.title(),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let per_col = inner.height.max(1) as usize;
    let columns = lines.len().div_ceil(per_col).max(1) as u16;
    let col_width = (inner.width / columns).max(30);
    for (i, chunk) in lines.chunks(per_col).enumerate() {
        let x = inner.x + i as u16 * col_width;
        if x >= inner.x + inner.width {
            break;
        }
        let col = Rect {
            x,
            y: inner.y,
            width: col_width.min(inner.x + inner.width - x),
            height: inner.height,
        };
        frame.render_widget(Paragraph::new(chunk.to_vec()), col);
    }
}

pub fn prompt(frame: &mut Frame, area: Rect, app: &App, prompt: &Prompt) {
    let height = if prompt.error.is_some() { 9 } else { 6 };
    let rect = centered(area, area.width.saturating_sub(8).max(20), height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border())
        .title(Span::styled(
            format!(" {} ", sanitize_line(&prompt.title)),
            app.theme.title(),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [text, hint, err] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(inner);
    let mut ta = prompt.textarea.clone();
    ta.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(app.theme.fg("staged")),
    );
    frame.render_widget(&ta, text);
    frame.render_widget(
        Paragraph::new(Span::styled(
            sanitize_line(&prompt.hint).into_owned(),
            app.theme.fg("muted"),
        )),
        hint,
    );
    if let Some(e) = &prompt.error {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("refused: {}", sanitize(e)),
                app.theme.fg("error"),
            ))
            .wrap(Wrap { trim: false }),
            err,
        );
    }
}

pub fn picker(frame: &mut Frame, area: Rect, app: &App, picker: &Picker) {
    let title = if picker.doc.is_none() {
        " New run · 1/2 pick a document (Enter), Esc cancels "
    } else {
        " New run · 2/2 pick a schema (Enter creates the run on the demo provider) "
    };
    let rect = centered(area, 80, (picker.items.len() as u16 + 2).clamp(5, 20));
    frame.render_widget(Clear, rect);
    let items: Vec<ListItem> = picker
        .items
        .iter()
        .enumerate()
        .map(|(i, (_, label))| {
            let item = ListItem::new(sanitize_line(label).into_owned());
            if i == picker.cursor {
                item.style(app.theme.selection())
            } else {
                item
            }
        })
        .collect();
    frame.render_widget(
        List::new(items).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.border())
                .title(Span::styled(title, app.theme.title())),
        ),
        rect,
    );
}
