//! Drawing helpers shared by panes and modals: a bordered list table, a dialog list, a centred
//! dialog rectangle.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Span;
use ratatui::Frame;

use super::text::cut_to_width;
use super::theme::Theme;

/// The grid's fixed columns before the schema's properties (the studio's preview names the same).
pub const GRID_FIXED: [(&str, u16); 4] = [("#", 6), ("type", 10), ("status", 11), ("content", 36)];

/// A bordered list table with `title`, the `cursor` row highlighted and kept in view; `offset`
/// carries the first row shown from frame to frame so moving up does not jump the window.
pub fn list_table(
    frame: &mut Frame,
    area: Rect,
    table: ratatui::widgets::Table,
    title: &str,
    theme: &Theme,
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
    theme: &Theme,
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

/// A `width` x `height` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Tab bar, the focused pane, the key-hint line and the status bar (mouse clicks map back
/// through the same split).
pub fn areas(area: Rect) -> [Rect; 4] {
    Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area)
}
