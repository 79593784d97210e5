//! The top floor: draws a frame from `&App`, never changing it. Tab bar, the focused pane, the
//! key-hint line and the status bar, then each open modal bottom to top; last, a sweep that
//! keeps control characters off the terminal.

mod bars;
mod safe_buffer;
pub(crate) mod terminal;

use ratatui::Frame;

use super::app::App;
use super::kit::draw::areas;
use super::kit::View;

pub fn draw(frame: &mut Frame, app: &App) {
    let [top, main, hints, bottom] = areas(frame.area());
    let working = app.workers().ids();
    let view = View {
        theme: app.theme(),
        keymap: app.keymap(),
        user: app.user(),
        working: &working,
    };
    bars::tabs(frame, top, app);
    app.focused().render(frame, main, &view);
    bars::hints(frame, hints, app);
    bars::status_bar(frame, bottom, app);
    for modal in app.modals() {
        modal.render(frame, main, &view);
    }
    // Last line of defence: no control character reaches the terminal from any widget.
    safe_buffer::sweep(frame.buffer_mut());
}
