//! The last step of every frame: any cell still holding a control character (text that was not
//! sanitized where it entered the UI) is passed through the one sanitizer, so it is shown and
//! never obeyed by the terminal.

use ratatui::buffer::Buffer;

use crate::model::sanitize_line;

pub fn sweep(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.chars().any(|c| c.is_control()) {
            let clean = sanitize_line(symbol).into_owned();
            cell.set_symbol(&clean);
        }
    }
}
