//! Drawing: reads `&App`, never changes it. Each pane and modal draws itself.

use ratatui::layout::{Constraint, Direction, Layout};
use ratatui::Frame;

use super::app::App;
use super::panes::View;
use super::widgets;

pub fn draw(frame: &mut Frame, app: &App) {
    let [top, main, bottom] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
    let working = app.workers.ids();
    let view = View {
        theme: &app.theme,
        keymap: &app.keymap,
        user: &app.user,
        working: &working,
    };
    widgets::tabs(frame, top, app);
    app.focused().render(frame, main, &view);
    widgets::status_bar(frame, bottom, app);
    app.modal.render(frame, main, &view);
}
