//! Drawing: reads `&App`, never changes it. Each pane and modal draws itself.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::Frame;

use super::app::App;
use super::panes::View;
use super::widgets;

pub fn draw(frame: &mut Frame, app: &App) {
    let [top, main, hints, bottom] = areas(frame.area());
    let working = app.workers.ids();
    let view = View {
        theme: &app.theme,
        keymap: &app.keymap,
        user: &app.user,
        working: &working,
    };
    widgets::tabs(frame, top, app);
    app.focused().render(frame, main, &view);
    widgets::hints(frame, hints, app);
    widgets::status_bar(frame, bottom, app);
    app.modal.render(frame, main, &view);
    // Last line of defence: no control character reaches the terminal from any widget.
    super::safe_buffer::sweep(frame.buffer_mut());
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
